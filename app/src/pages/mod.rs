//! One module per area of the public site.
pub mod actions;
pub mod errors;
pub mod home;
pub mod persons;
pub mod places;
pub mod signatures;
pub mod staff;
pub mod staff_admin;
pub mod staff_cases;
pub mod staff_feeds;
pub mod staff_forms;
pub mod staff_updates;

use crate::i18n::Locale;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// A `/:lang/…` route matched something that is not one of our languages.
fn unknown_language_prefix() -> bool {
    use_params_map()
        .read_untracked()
        .get("lang")
        .is_some_and(|l| Locale::from_code(&l).is_none())
}

/// The `:slug` route parameter.
fn slug_param() -> String {
    use_params_map()
        .read_untracked()
        .get("slug")
        .unwrap_or_default()
}
