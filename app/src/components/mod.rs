//! Pieces shared by several pages: the layout, the person card, dates and
//! statuses, feed links, and the two islands (the persons filter and the
//! signing form), which are all the JavaScript the public site has.
//!
//! May import `api` and `signing` types, `domain`, `i18n`; never `server`
//! (compiled for the browser too) nor the staff or feeds features.
pub mod filter_form;
pub mod layout;
pub mod person;
pub mod sign_form;

use crate::domain::{PartialDate, Status};
use crate::i18n::use_locale;
use leptos::prelude::*;

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
