//! No wasm where no island (issue 14). Leptos puts its hydration assets in
//! the head of every page (a module preload of the JavaScript, a preload of
//! the wasm, and the script that loads both) before the body is rendered,
//! so before anyone knows whether the page holds an island. Most public
//! pages hold none (a person, a municipality, the privacy notice): for them
//! a phone would download ~125 KB for nothing. This middleware reads each
//! rendered HTML page once it is whole and, when no `<leptos-island>` is in
//! it, takes those three elements out, and the resource scripts Leptos
//! writes after `</html>` for hydration to read. Pages with an island are
//! left as Leptos wrote them.
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::header;

/// Past this a page is passed on as it is (none of ours comes near).
const LARGEST_PAGE: usize = 4 * 1024 * 1024;

/// How the script that loads the islands begins (Leptos's `island_script.js`).
const ISLAND_SCRIPT: &str = "((root, pkg_path, output_name, wasm_output_name)";

pub async fn only_where_islands(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html || response.headers().contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, LARGEST_PAGE).await else {
        // Too large or broken mid-way: nothing sensible to send.
        parts.status = http::StatusCode::INTERNAL_SERVER_ERROR;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    };
    let page = match std::str::from_utf8(&bytes) {
        Ok(page) if !page.contains("<leptos-island") => without_hydration(page),
        _ => None,
    };
    match page {
        Some(page) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(page))
        }
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// The page without the hydration assets, if it has them.
pub fn without_hydration(page: &str) -> Option<String> {
    let script_at = page.find(ISLAND_SCRIPT)?;
    let script_start = page[..script_at].rfind("<script")?;
    let script_end = script_at + page[script_at..].find("</script>")? + "</script>".len();
    let mut out = String::with_capacity(page.len());
    let head = &page[..script_start];
    // The two preloads sit just before the script, in the head.
    let mut rest = head;
    for marker in ["<link rel=\"modulepreload\"", "<link rel=\"preload\""] {
        if let Some(at) = rest.find(marker) {
            let end = at + rest[at..].find('>')? + 1;
            if rest[at..end].contains("/pkg/") {
                out.push_str(&rest[..at]);
                rest = &rest[end..];
            }
        }
    }
    out.push_str(rest);
    out.push_str(without_resource_scripts(&page[script_end..]));
    Some(out)
}

/// Leptos writes the state of the page's resources after `</html>`, as
/// inline scripts for hydration to read; with nothing to hydrate they go
/// too. Anything else after `</html>` is kept.
fn without_resource_scripts(page: &str) -> &str {
    let Some(end) = page.rfind("</html>").map(|at| at + "</html>".len()) else {
        return page;
    };
    let mut tail = page[end..].trim_start();
    while let Some(script) = tail.strip_prefix("<script") {
        match script.find("</script>") {
            Some(close) => tail = script[close + "</script>".len()..].trim_start(),
            None => return page,
        }
    }
    if tail.is_empty() {
        &page[..end]
    } else {
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = concat!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"/>",
        "<link rel=\"modulepreload\" href=\"/pkg/lumieres.js\" crossorigin=\"n\">",
        "<link rel=\"preload\" href=\"/pkg/lumieres.wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin=\"n\">",
        "<script type=\"module\" nonce=\"n\">((root, pkg_path, output_name, wasm_output_name) => { import('x') })(\"\", \"pkg\", \"lumieres\", \"lumieres\", false);</script>",
        "<link rel=\"stylesheet\" id=\"leptos\" href=\"/pkg/lumieres.css\"><title>A person</title></head>",
        "<body><main><h1>A person</h1></main></body></html>",
        "<script nonce=\"n\">__RESOLVED_RESOURCES=[];</script><script nonce=\"n\">__INCOMPLETE_CHUNKS=[];</script>"
    );

    #[test]
    fn a_page_without_islands_loses_the_hydration_assets_and_nothing_else() {
        let page = without_hydration(PAGE).unwrap();
        assert!(
            !page.contains("lumieres.js") && !page.contains(".wasm") && !page.contains("<script"),
            "{page}"
        );
        assert!(page.contains("<link rel=\"stylesheet\" id=\"leptos\" href=\"/pkg/lumieres.css\">"));
        assert!(page.starts_with(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"/><link rel=\"stylesheet\""
        ));
        assert!(page.ends_with("<body><main><h1>A person</h1></main></body></html>"));
    }

    #[test]
    fn a_page_that_never_had_them_is_left_alone() {
        assert_eq!(without_hydration("<html><body>plain</body></html>"), None);
    }
}
