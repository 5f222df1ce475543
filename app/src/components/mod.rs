//! Pieces shared by several pages.
pub mod filter_form;
pub mod layout;
pub mod person;
pub mod sign_form;

use crate::domain::{PartialDate, Status};
use crate::i18n::use_locale;
use leptos::prelude::*;

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
