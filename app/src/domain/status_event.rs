//! `StatusEventRecord`: a status event as stored, drafts included — what
//! staff edit and preview, and what the audit log records before and after
//! each change. The public timeline reads its own view of published events.
use super::{PartialDate, Status};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEventRecord {
    pub id: i64,
    /// The person's slug.
    pub person: String,
    /// A change of status, or none: a dated fact.
    pub status: Option<Status>,
    pub occurred_on: PartialDate,
    pub title: String,
    /// Sanitized when it was stored.
    pub body_html: Option<String>,
    pub source_title: Option<String>,
    pub source_url: Option<String>,
    /// `manual` (written by staff) or `feed` (taken from a partner's feed).
    pub provenance: String,
    pub is_published: bool,
}
