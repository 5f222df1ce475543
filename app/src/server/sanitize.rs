//! Rich text from outside (staff editors, feeds, the demo seed) is sanitized
//! on the way in with a narrow allowlist; what is stored is what is rendered.
use std::collections::HashSet;

/// Paragraphs, emphasis, lists and http(s)/mailto links that open safely.
pub fn rich_text(html: &str) -> String {
    ammonia::Builder::default()
        .tags(HashSet::from([
            "p",
            "br",
            "em",
            "strong",
            "ul",
            "ol",
            "li",
            "a",
            "blockquote",
        ]))
        .tag_attributes(std::collections::HashMap::from([(
            "a",
            HashSet::from(["href"]),
        )]))
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer"))
        .clean(html)
        .to_string()
}

/// A web address we will link to or fetch: http or https, a host, at most
/// 2,000 characters; trimmed. `None` for anything else.
pub fn web_address(input: &str) -> Option<String> {
    let input = input.trim();
    let ok = input.len() <= 2_000
        && (input.starts_with("https://") || input.starts_with("http://"))
        && http::Uri::try_from(input).is_ok_and(|uri| uri.host().is_some_and(|h| !h.is_empty()));
    ok.then(|| input.to_owned())
}

#[cfg(test)]
mod tests {
    use super::rich_text;

    #[test]
    fn keeps_simple_formatting() {
        assert_eq!(
            rich_text("<p>Released <em>today</em></p>"),
            "<p>Released <em>today</em></p>"
        );
    }

    #[test]
    fn strips_scripts_handlers_and_dangerous_links() {
        let out = rich_text(
            r#"<p onclick="x()">a<script>alert(1)</script><a href="javascript:alert(1)">l</a><img src=x onerror=y></p>"#,
        );
        assert!(
            !out.contains("script")
                && !out.contains("onclick")
                && !out.contains("javascript")
                && !out.contains("img"),
            "{out}"
        );
        let link = rich_text(r#"<a href="https://www.amnesty.org">x</a>"#);
        assert_eq!(
            link,
            r#"<a href="https://www.amnesty.org" rel="noopener noreferrer">x</a>"#
        );
    }
}
