//! Plain text from stored rich text, for places that take no markup: a meta
//! description, a mail, a feed entry's title, name matching; and text made
//! safe where it goes (markup, a query string, a CSV cell). Neutral: pages
//! and feed sync both use it.

/// Tags go, the few entities the sanitizer writes are read back, whitespace
/// is collapsed.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Percent-encodes a value for a query string (a path to come back to, a
/// token). RFC 3986's unreserved characters stay as they are: a token
/// (base64url) comes back as it went out.
pub fn encode_query(value: &str) -> String {
    const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Text safe inside HTML or XML, in element content or a quoted attribute.
pub fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A CSV cell a spreadsheet will not run as a formula: one that starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe
/// (what others typed reaches the staff's and journalists' spreadsheets).
pub fn spreadsheet_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_text_drops_markup_and_reads_entities() {
        assert_eq!(
            super::plain_text("<p>Writer &amp; <em>blogger</em></p>\n<p>since 2008 &lt;3</p>"),
            "Writer & blogger since 2008 <3"
        );
        assert_eq!(super::plain_text("no markup"), "no markup");
    }
}
