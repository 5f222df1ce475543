//! Public reads: the server functions behind the public pages (persons,
//! places, support actions) and the types they send. Nothing here carries a
//! secret or anything personal: every type may reach any browser.
//!
//! Its server-only code (`on_server` in each file) reads with SQL of its own
//! and the case records' shared rules (`records`: the timeline's order, a
//! person's current status, the counts). May import `server`, `records`,
//! `domain`, `error`, `i18n`; never a feature (`signing`, the back office,
//! `feeds`), which may read through it.
use crate::domain::{Availability, CountryCode, PartialDate, RightsCategory, Slug, Status};
use crate::i18n::{LangText, Locale};
use serde::{Deserialize, Serialize};

/// The CSV files under `/data/` and the columns of each, in order (`/api`
/// explains each column in the page's language).
pub const OPEN_DATA_FILES: [(&str, &[&str]); 4] = [
    (
        "persons",
        &[
            "slug",
            "name",
            "country",
            "current_status",
            "rights",
            "municipalities",
            "summary",
            "summary_lang",
            "url",
        ],
    ),
    (
        "timeline",
        &[
            "person",
            "date",
            "status",
            "title",
            "title_lang",
            "source_title",
            "source_url",
            "from_partner",
        ],
    ),
    (
        "actions",
        &[
            "slug",
            "person",
            "title",
            "title_lang",
            "addressee",
            "addressee_lang",
            "goal",
            "opens_on",
            "deadline",
            "state",
            "confirmed",
            "paper",
        ],
    ),
    (
        "signature-history",
        &["action", "date", "confirmed", "cumulative", "paper"],
    ),
];

pub mod actions;
#[cfg(feature = "ssr")]
pub mod data;
#[cfg(feature = "ssr")]
pub mod embed;
pub mod home;
pub mod persons;
pub mod places;
pub mod portraits;
pub mod search;
#[cfg(feature = "ssr")]
pub mod v1;

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
    /// In the page's language where translated (staff pages: the original).
    pub name: LangText,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub slug: Slug,
    pub full_name: String,
    pub country: Option<Country>,
    /// Sanitized rich text.
    pub summary: Option<LangText>,
    /// From the latest published status event that sets a status.
    pub current_status: Option<Status>,
    pub rights: Vec<RightsCategoryInfo>,
    pub municipalities: Vec<MunicipalityRef>,
    /// Only while consent covers it.
    pub portrait: Option<portraits::PortraitView>,
    /// Support actions taking signatures today.
    pub open_actions: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEventView {
    pub person_slug: Slug,
    pub person_name: String,
    pub status: Option<Status>,
    pub occurred_on: PartialDate,
    pub title: LangText,
    /// Sanitized when it was stored; rendered as is.
    pub body_html: Option<LangText>,
    pub source_title: Option<LangText>,
    pub source_url: Option<String>,
    /// The partner whose feed brought this event, when one did.
    pub from_partner: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptionView {
    pub municipality: MunicipalityRef,
    pub adopted_on: PartialDate,
    /// When the municipality ended it; `None` while it lasts.
    pub ended_on: Option<PartialDate>,
    pub decision_reference: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportActionSummary {
    pub slug: Slug,
    pub title: LangText,
    pub addressee: LangText,
    pub goal: i64,
    pub availability: Availability,
    /// Confirmed online signatures: pending ones do not count.
    pub confirmed: i64,
    /// Signatures collected on paper: they count with the confirmed ones.
    pub paper: i64,
}
