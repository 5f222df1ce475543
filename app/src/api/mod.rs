//! Server functions, one module per area, and the types they send to pages.
//! Nothing here carries a secret: every type may reach the browser.
use crate::domain::{CountryCode, PartialDate, RightsCategory, Slug, Status};
use crate::i18n::Locale;
use serde::{Deserialize, Serialize};

/// The one definition of "counted": confirmed signatures of the support action `a`.
#[cfg(feature = "ssr")]
macro_rules! confirmed_count {
    () => {
        "(SELECT COUNT(*) FROM signatures s WHERE s.action_id = a.id AND s.state = 'confirmed')"
    };
}

pub mod actions;
pub mod admin;
pub mod adoptions;
pub mod feeds;
pub mod persons;
pub mod places;
pub mod signature_form;
pub mod signatures;
pub mod staff;
pub mod updates;

/// A name stored in the three interface languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    pub en: String,
    pub fr: String,
    pub nl: String,
}

impl Localized {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::En => &self.en,
            Locale::Fr => &self.fr,
            Locale::Nl => &self.nl,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Country {
    pub code: CountryCode,
    pub name: Localized,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsCategoryInfo {
    pub category: RightsCategory,
    pub name: Localized,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalityRef {
    pub slug: Slug,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub slug: Slug,
    pub full_name: String,
    pub country: Option<Country>,
    pub summary: Option<String>,
    /// From the latest published status event that sets a status.
    pub current_status: Option<Status>,
    pub rights: Vec<RightsCategoryInfo>,
    pub municipalities: Vec<MunicipalityRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEventView {
    pub person_slug: Slug,
    pub person_name: String,
    pub status: Option<Status>,
    pub occurred_on: PartialDate,
    pub title: String,
    /// Sanitized when it was stored; rendered as is.
    pub body_html: Option<String>,
    pub source_title: Option<String>,
    pub source_url: Option<String>,
    /// The partner whose feed brought this event, when one did.
    pub from_partner: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptionView {
    pub municipality: MunicipalityRef,
    pub adopted_on: PartialDate,
    pub decision_reference: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportActionSummary {
    pub slug: Slug,
    pub title: String,
    pub addressee: String,
    pub goal: i64,
    pub availability: actions::Availability,
    /// Only confirmed signatures count.
    pub confirmed: i64,
}

#[cfg(feature = "ssr")]
pub(crate) fn state() -> Result<crate::ssr::AppState, leptos::prelude::ServerFnError> {
    leptos::prelude::use_context::<crate::ssr::AppState>()
        .ok_or_else(|| leptos::prelude::ServerFnError::new("application state missing"))
}

#[cfg(feature = "ssr")]
pub(crate) fn db() -> Result<crate::ssr::db::Db, leptos::prelude::ServerFnError> {
    state().map(|state| state.db)
}

/// The request a server function answers: headers, cookies, peer address.
#[cfg(feature = "ssr")]
pub(crate) fn request_parts() -> Result<http::request::Parts, leptos::prelude::ServerFnError> {
    leptos::prelude::use_context::<http::request::Parts>()
        .ok_or_else(|| leptos::prelude::ServerFnError::new("request missing"))
}

/// Logs what went wrong inside, with its cause, and gives the caller only a
/// generic failure: database details are nobody's business outside.
#[cfg(feature = "ssr")]
pub(crate) fn internal(error: impl std::fmt::Display) -> leptos::prelude::ServerFnError {
    tracing::error!(%error, "server function failed");
    leptos::prelude::ServerFnError::new("internal error")
}

/// Builds a `PartialDate` from its three columns; a bad row is an internal error.
#[cfg(feature = "ssr")]
pub(crate) fn date_from_columns(
    year: i32,
    month: Option<i32>,
    day: Option<i32>,
) -> Result<PartialDate, leptos::prelude::ServerFnError> {
    let small = |v: Option<i32>| v.map(|v| u8::try_from(v).unwrap_or(0));
    PartialDate::from_parts(year, small(month), small(day))
        .map_err(|e| internal(format!("stored date {year}-{month:?}-{day:?}: {e}")))
}

/// A slug read back from the database; a bad one is an internal error.
#[cfg(feature = "ssr")]
pub(crate) fn ssr_slug(s: &str) -> Result<Slug, leptos::prelude::ServerFnError> {
    Slug::parse(s).map_err(|e| internal(format!("stored slug {s:?}: {e}")))
}
