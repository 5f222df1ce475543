//! What Leptos's island rendering writes, mended on its way out.
//!
//! No wasm where no island (issue 14). Leptos puts its hydration assets in
//! the head of every page (a module preload of the JavaScript, a preload of
//! the wasm, and the script that loads both) before the body is rendered,
//! so before anyone knows whether the page holds an island. Most public
//! pages hold none (a person, a municipality, the privacy notice): for them
//! a phone would download ~125 KB for nothing. This middleware reads each
//! rendered HTML page once it is whole and, when no `<leptos-island>` is in
//! it, takes those three elements out, and the resource scripts Leptos
//! writes after `</html>` for hydration to read.
//!
//! Valid HTML (issue 31): what Leptos writes is not, in three ways the W3C
//! checker reports on every page, and each is mended here because it is
//! Leptos's, not ours (leptos 0.8.23, tachys 0.2.19):
//! - its hydration markers `<!>` are "bogus comments": browsers read them
//!   as empty comments, which `<!---->` is, validly — the same DOM, so
//!   hydration finds the same nodes; a page without islands needs none;
//! - its two preloads carry the CSP nonce as their `crossorigin` value,
//!   which a browser reads as `anonymous` (an invalid value's default):
//!   written so;
//! - its resource scripts follow `</html>`, where a browser's parser puts
//!   them at the end of the body: they are written there.
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::header;

/// Past this a page is passed on as it is, unread (none of ours comes near).
const LARGEST_PAGE: usize = 4 * 1024 * 1024;

/// How the script that loads the islands begins (Leptos's `island_script.js`).
const ISLAND_SCRIPT: &str = "((root, pkg_path, output_name, wasm_output_name)";

pub async fn mend_pages(request: Request, next: Next) -> Response {
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
    match std::str::from_utf8(&page) {
        Ok(text) => {
            let mut parts = parts;
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(mended(text)))
        }
        Err(_) => Response::from_parts(parts, Body::from(page)),
    }
}

/// The page as Leptos wrote it, mended (see the module's comment).
pub fn mended(page: &str) -> String {
    if page.contains("<leptos-island") {
        let page = with_valid_preloads(page);
        let page = resource_scripts_in_body(&page);
        with_markers_as(&page, "<!---->")
    } else {
        // Should Leptos's loader ever change so that it is not recognised,
        // its preloads still lose the nonce.
        let page = without_hydration(page).unwrap_or_else(|| with_valid_preloads(page));
        with_markers_as(&page, "")
    }
}

/// The page without the hydration assets, if it has them.
fn without_hydration(page: &str) -> Option<String> {
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

/// Leptos's empty comments, `<!>`, written as `marker`. Only markup is
/// read: a start tag to its end (a quoted value may hold anything), a
/// comment whole, and the text of `script`, `style`, `textarea` and `title`
/// to its end tag. Text elsewhere never holds a `<`: it is escaped.
fn with_markers_as(page: &str, marker: &str) -> String {
    const RAW_TEXT: [&str; 4] = ["script", "style", "textarea", "title"];
    let mut out = String::with_capacity(page.len());
    let mut rest = page;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = if let Some(after) = rest.strip_prefix("<!>") {
            out.push_str(marker);
            rest = after;
            continue;
        } else if rest.starts_with("<!--") {
            rest.find("-->").map_or(rest.len(), |end| end + "-->".len())
        } else if rest[1..].starts_with(|c: char| c.is_ascii_alphabetic()) {
            let tag_end = end_of_tag(rest);
            let name = &rest[1..];
            let name = &name[..name
                .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
                .unwrap_or(name.len())];
            match RAW_TEXT.iter().find(|raw| raw.eq_ignore_ascii_case(name)) {
                Some(raw) => {
                    end_tag(&rest[tag_end..], raw).map_or(rest.len(), |text_end| tag_end + text_end)
                }
                None => tag_end,
            }
        } else {
            1
        };
        out.push_str(&rest[..end]);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Where the end tag of `name` begins in `text` (any case, then `>`, a
/// space or `/`, as a browser ends raw text).
fn end_tag(text: &str, name: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find(|&at| {
        bytes[at..].starts_with(b"</")
            && bytes[at + 2..]
                .get(..name.len())
                .is_some_and(|found| found.eq_ignore_ascii_case(name.as_bytes()))
            && bytes
                .get(at + 2 + name.len())
                .is_none_or(|&after| after == b'>' || after == b'/' || after.is_ascii_whitespace())
    })
}

/// Where the start tag at the beginning of `markup` ends: its `>` outside
/// quoted values (Leptos quotes every value with `"`).
fn end_of_tag(markup: &str) -> usize {
    let mut quoted = false;
    for (at, c) in markup.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return at + 1,
            _ => {}
        }
    }
    markup.len()
}

/// The hydration preloads in the head with `crossorigin="anonymous"`, the
/// value a browser reads from the nonce Leptos writes there.
fn with_valid_preloads(page: &str) -> String {
    let Some(head_end) = page.find("</head>") else {
        return page.to_owned();
    };
    let mut out = String::with_capacity(page.len());
    let mut rest = &page[..head_end];
    while let Some(at) = rest.find("<link ") {
        let end = at + end_of_tag(&rest[at..]);
        let link = &rest[at..end];
        out.push_str(&rest[..at]);
        out.push_str(&valid_crossorigin(link));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.push_str(&page[head_end..]);
    out
}

fn valid_crossorigin(link: &str) -> std::borrow::Cow<'_, str> {
    const ATTRIBUTE: &str = " crossorigin=\"";
    let Some(start) = link.find(ATTRIBUTE).map(|at| at + ATTRIBUTE.len()) else {
        return link.into();
    };
    let Some(length) = link[start..].find('"') else {
        return link.into();
    };
    match &link[start..start + length] {
        "" | "anonymous" | "use-credentials" => link.into(),
        _ => format!("{}anonymous{}", &link[..start], &link[start + length..]).into(),
    }
}

/// The scripts Leptos writes after `</html>`, moved to the end of the body,
/// where a browser's parser puts them anyway. Anything else there, and the
/// page stays as it is.
fn resource_scripts_in_body(page: &str) -> String {
    let (Some(body_end), Some(html_end)) = (page.rfind("</body>"), page.rfind("</html>")) else {
        return page.to_owned();
    };
    let after = html_end + "</html>".len();
    let scripts = page[after..].trim();
    if body_end > html_end || scripts.is_empty() || without_resource_scripts(page).len() != after {
        return page.to_owned();
    }
    format!("{}{scripts}{}", &page[..body_end], &page[body_end..after])
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

    const ISLAND_PAGE: &str = concat!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>",
        "<link rel=\"modulepreload\" href=\"/pkg/lumieres.js\" crossorigin=\"n0nce\">",
        "<link rel=\"preload\" href=\"/pkg/lumieres.wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin=\"n0nce\">",
        "<script type=\"module\" nonce=\"n0nce\">((root, pkg_path, output_name, wasm_output_name) => {})()</script>",
        "<link rel=\"stylesheet\" href=\"/pkg/lumieres.css\"><title>A &lt;!&gt; title</title></head>",
        "<body><main><h1>A<!>person</h1><leptos-island data-component=\"SignForm\"><form><!><input/></form></leptos-island>",
        "</main></body></html>",
        "<script nonce=\"n0nce\">__RESOLVED_RESOURCES=[];</script><script nonce=\"n0nce\">__INCOMPLETE_CHUNKS=[];</script>"
    );

    #[test]
    fn a_page_with_islands_is_written_validly_and_keeps_what_hydration_reads() {
        let page = mended(ISLAND_PAGE);
        assert!(!page.contains("<!>"), "{page}");
        assert!(page.contains("<h1>A<!---->person</h1>"), "{page}");
        assert!(page.contains("<form><!----><input/></form>"), "{page}");
        assert_eq!(
            page.matches("crossorigin=\"anonymous\"").count(),
            2,
            "{page}"
        );
        assert!(!page.contains("crossorigin=\"n0nce\""), "{page}");
        assert!(
            page.contains("<script type=\"module\" nonce=\"n0nce\">"),
            "{page}"
        );
        assert!(
            page.ends_with(concat!(
                "</main><script nonce=\"n0nce\">__RESOLVED_RESOURCES=[];</script>",
                "<script nonce=\"n0nce\">__INCOMPLETE_CHUNKS=[];</script></body></html>"
            )),
            "{page}"
        );
    }

    #[test]
    fn a_page_without_islands_loses_its_markers() {
        let page = mended(
            PAGE.replace("<h1>A person</h1>", "<h1>A<!> <!>person</h1>")
                .as_str(),
        );
        assert!(
            page.ends_with("<body><main><h1>A person</h1></main></body></html>"),
            "{page}"
        );
    }

    #[test]
    fn only_markers_in_markup_are_rewritten() {
        let kept = concat!(
            "<script type=\"application/ld+json\">{\"name\":\"<!>\"}</script>",
            "<style>a::after { content: \"<!>\" }</style>",
            "<textarea name=\"t\"><!></textarea>",
            "<!-- a comment <!> -->",
            "<a title=\"x <!> y\" href=\"/\">link</a>",
            "<p>text</p>"
        );
        assert_eq!(with_markers_as(kept, "<!---->"), kept);
        // An element whose name begins like a raw-text one is markup; a raw
        // text ends only at its own end tag, in any case.
        assert_eq!(
            with_markers_as(
                "<title-bar><!></title-bar><script>a</scripts>\"<!>\"</SCRIPT ><!>",
                "<!---->"
            ),
            "<title-bar><!----></title-bar><script>a</scripts>\"<!>\"</SCRIPT ><!---->"
        );
        assert_eq!(
            with_markers_as("<p><!>1<!>2</p><br><!>", "<!---->"),
            "<p><!---->1<!---->2</p><br><!---->"
        );
    }

    #[test]
    fn a_valid_crossorigin_and_a_tail_that_is_not_scripts_are_left_alone() {
        for link in [
            "<link rel=\"preload\" crossorigin=\"use-credentials\">",
            "<link rel=\"preload\" crossorigin=\"\">",
            "<link rel=\"preload\">",
        ] {
            assert_eq!(valid_crossorigin(link), link);
        }
        let tail = "<html><body><p>x</p></body></html><p>stray</p>";
        assert_eq!(resource_scripts_in_body(tail), tail);
    }
}
