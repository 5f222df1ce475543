//! `StatusEventRecord`: a status event as stored, drafts included — what
//! staff edit and preview, and what the audit log records before and after
//! each change. The public timeline reads its own view of published events.
use super::{PartialDate, Status, Translatable, Translation};
use crate::i18n::Locale;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEventRecord {
    pub id: i64,
    /// The person's slug.
    pub person: String,
    /// A change of status, or none: a dated fact.
    pub status: Option<Status>,
    pub occurred_on: PartialDate,
    /// The language the title, body and source title are written in.
    pub original_language: Locale,
    pub title: String,
    /// Sanitized when it was stored.
    pub body_html: Option<String>,
    pub source_title: Option<String>,
    pub source_url: Option<String>,
    /// `manual` (written by staff) or `feed` (taken from a partner's feed).
    pub provenance: String,
    pub is_published: bool,
    /// Kept for staff, never published (issue 29).
    #[serde(default)]
    pub is_internal: bool,
    /// The title, body and source title in the other languages, where written.
    pub translations: Vec<Translation>,
}

/// The fields of a status event written per language, as the database and
/// the forms name them.
pub const STATUS_EVENT_FIELDS: [&str; 3] = ["title", "body_html", "source_title"];

impl Translatable for StatusEventRecord {
    fn fields(&self) -> &'static [&'static str] {
        &STATUS_EVENT_FIELDS
    }

    fn original_language(&self) -> Locale {
        self.original_language
    }

    fn original(&self, field: &str) -> Option<&str> {
        match field {
            "title" => Some(&self.title),
            "body_html" => self.body_html.as_deref(),
            "source_title" => self.source_title.as_deref(),
            _ => None,
        }
    }

    fn translations(&self) -> &[Translation] {
        &self.translations
    }

    /// A partner's name, for what came from its feed: no translation.
    fn is_translated(&self, field: &str) -> bool {
        !(self.provenance == "feed" && field == "source_title")
    }
}
