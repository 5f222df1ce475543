//! Pieces shared by several pages.
pub mod filter_form;
pub mod layout;
pub mod person;
pub mod sign_form;

use crate::domain::{PartialDate, Status};
use crate::i18n::use_locale;
use leptos::prelude::*;

/// The text of stored (sanitized) rich text, for places that take no markup:
/// a meta description, a mail. Tags go, the few entities the sanitizer
/// writes are read back, whitespace is collapsed.
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

/// `<link rel="alternate">` to the Atom and JSON feeds under `base` ("" for the site's).
#[component]
pub fn FeedLinks(base: String, title: String) -> impl IntoView {
    use leptos_meta::Link;
    view! {
        <Link rel="alternate" type_="application/atom+xml" href=format!("{base}/feed.atom") title=format!("{title} (Atom)")/>
        <Link rel="alternate" type_="application/feed+json" href=format!("{base}/feed.json") title=format!("{title} (JSON Feed)")/>
    }
}

/// A partial date in the page's language, machine-readable too.
#[component]
pub fn DateText(date: PartialDate) -> impl IntoView {
    let locale = use_locale();
    view! { <time datetime=date.to_string()>{date.format(locale)}</time> }
}

/// The current status of a case, or a plain note that none is recorded.
#[component]
pub fn StatusBadge(status: Option<Status>) -> impl IntoView {
    let locale = use_locale();
    let (class, label) = match status {
        Some(s) if s.is_ongoing() => (
            format!("status status-ongoing status-{}", s.slug()),
            locale.t(&s.label_key()),
        ),
        Some(s) => (
            format!("status status-ended status-{}", s.slug()),
            locale.t(&s.label_key()),
        ),
        None => ("status status-none".to_owned(), locale.t("status.none")),
    };
    view! { <span class=class data-status=status.map(Status::slug).unwrap_or("none")>{label}</span> }
}
