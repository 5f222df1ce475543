//! The public pages, one module per area: home, persons, places
//! (municipalities, rights), support actions with the signing form, the
//! signature links, search, the privacy notice, the accessibility statement and the
//! open data explained, and the one error view (which
//! staff pages use too). Every page renders on the server and works with
//! JavaScript off; the islands in `components` only make it nicer.
//!
//! May import `api`, `signing`, `privacy` and `accessibility` (their wire types and server functions),
//! `components`, `domain`, `i18n`, `text`. Never the back office or `feeds`.
pub mod accessibility;
pub mod actions;
pub mod errors;
pub mod home;
pub mod my_data;
pub mod open_data;
pub mod persons;
pub mod places;
pub mod search;
pub mod signatures;

use crate::i18n::Locale;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// A `/:lang/…` route matched something that is not one of our languages.
pub(crate) fn unknown_language_prefix() -> bool {
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
