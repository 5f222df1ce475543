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

/// Past this a page is passed on as it is, unread (none of ours comes near).
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
    let (parts, body) = response.into_parts();
    let page = match super::body::read_whole(body, LARGEST_PAGE).await {
        Ok(page) => page,
        // Broken mid-way, or too large to read: passed on as it came.
        Err(as_it_came) => return Response::from_parts(parts, as_it_came),
    };
    let stripped = match std::str::from_utf8(&page) {
        Ok(text) if !text.contains("<leptos-island") => without_hydration(text),
        _ => None,
    };
    match stripped {
        Some(stripped) => {
            let mut parts = parts;
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(stripped))
        }
        None => Response::from_parts(parts, Body::from(page)),
    }
}

/// The page without the hydration assets, if it has them.
pub fn without_hydration(page: &str) -> Option<String> {
    // Leptos writes it in the head, before any text of ours.
    let head_end = page.find("</head>")?;
    let script_at = page[..head_end].find(ISLAND_SCRIPT)?;
    let script_start = page[..script_at].rfind("<script")?;
    let opening = &page[script_start..script_at];
    if !(opening.starts_with("<script type=\"module\"")
        && opening.ends_with('>')
        && opening.matches('>').count() == 1)
    {
        return None;
    }
    let script_end = script_at + page[script_at..].find("</script>")? + "</script>".len();
    let mut out = String::with_capacity(page.len());
    let head = &page[..script_start];
    // The two preloads sit just before the script, in the head.
    let mut rest = head;
    for marker in ["<link rel=\"modulepreload\"", "<link rel=\"preload\""] {
        if let Some(at) = rest.find(marker) {
            let end = at + rest[at..].find('>')? + 1;
            let link = &rest[at..end];
            if link.contains("/pkg/") && (link.contains(".js\"") || link.contains(".wasm\"")) {
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
    fn only_leptos_s_loader_in_the_head_is_taken_out() {
        // The marker as text of the page (a summary quoting it) is not the loader.
        let quoted = PAGE.replace(
            "<h1>A person</h1>",
            "<p>((root, pkg_path, output_name, wasm_output_name)</p>",
        );
        let page = without_hydration(&quoted).unwrap();
        assert!(page.contains("<p>((root, pkg_path, output_name, wasm_output_name)</p>"));
        assert!(!page.contains("<script type=\"module\""));
        let body_only = "<html><head></head><body>((root, pkg_path, output_name, wasm_output_name)</body></html>";
        assert_eq!(without_hydration(body_only), None);
    }

    #[test]
    fn a_page_that_never_had_them_is_left_alone() {
        assert_eq!(without_hydration("<html><body>plain</body></html>"), None);
    }
}
