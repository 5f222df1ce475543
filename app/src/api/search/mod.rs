//! Search across the three languages (issue 31): the box on every public
//! page, `/search` and `/api/v1/search`. It finds persons by their names
//! (any case, any accents, the start of a word, a letter off), and the texts of
//! persons, timelines and support actions in each text's own language, with
//! that language's stemmer: "détenue" finds "détenues", "arrested" finds
//! "arrest".
//!
//! What it finds is what the public pages show, and nothing else: the index
//! is built from `documents` (public persons, published events, the support
//! actions of public persons), and every hit is read again from the database
//! before it is shown (`documents::current`), so a case unpublished or taken
//! down a moment ago is not found even by an index built before; when the
//! index is older than the content, the hits must also still match the
//! query and filters as they are now (`index::still_found`). The excerpt is
//! cut from that fresh reading, never from the index.
//!
//! The engine is tantivy, in memory, one index per instance (`index`),
//! rebuilt at start and whenever `content_version` (the number the render
//! cache reads) has moved: several instances on one database each keep
//! their own in step, and both backends give the same results.
#[cfg(feature = "ssr")]
pub mod documents;
#[cfg(feature = "ssr")]
pub mod index;

use super::persons::{FilterChoices, PersonFilter};
use crate::domain::{PartialDate, Slug};
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a hit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HitKind {
    Person,
    StatusEvent,
    SupportAction,
}

impl HitKind {
    /// Its name in the open data.
    pub fn name(self) -> &'static str {
        match self {
            HitKind::Person => "person",
            HitKind::StatusEvent => "status_event",
            HitKind::SupportAction => "support_action",
        }
    }
}

/// A text cut to what matters, its matching words marked: each part with
/// whether it is a match. Plain text: the page escapes every part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marked {
    pub parts: Vec<(String, bool)>,
    pub lang: Locale,
}

impl Marked {
    pub fn plain(text: String, lang: Locale) -> Self {
        Marked {
            parts: vec![(text, false)],
            lang,
        }
    }

    pub fn text(&self) -> String {
        self.parts.iter().map(|(part, _)| part.as_str()).collect()
    }

    /// The words marked, as they are written in the text.
    pub fn matches(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter(|(_, hit)| *hit)
            .map(|(part, _)| part.as_str())
            .collect()
    }
}

/// One thing found, as the public pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub kind: HitKind,
    /// The person's name, the event's or the action's title.
    pub title: Marked,
    pub person_slug: Slug,
    pub person_name: String,
    /// The support action's slug (`SupportAction` only).
    pub action_slug: Option<Slug>,
    /// When the event happened (`StatusEvent` only).
    pub occurred_on: Option<PartialDate>,
    /// Where in its texts it matched; `None` when only the title did.
    pub excerpt: Option<Marked>,
}

impl SearchHit {
    /// Its page, without the language prefix.
    pub fn path(&self) -> String {
        match (&self.kind, &self.action_slug) {
            (HitKind::SupportAction, Some(action)) => format!("/actions/{action}"),
            (HitKind::StatusEvent, _) => format!("/persons/{}#timeline-heading", self.person_slug),
            _ => format!("/persons/{}", self.person_slug),
        }
    }
}

/// The longest query read; the rest is left out.
pub const QUERY_MAX_CHARS: usize = 200;
/// Hits on one page of results.
pub const PAGE_SIZE: usize = 20;
/// The best this many hits are all a search gives, in pages.
pub const MOST_HITS: usize = 200;

/// A search as the page and the API ask it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// What the reader typed, at most `QUERY_MAX_CHARS` characters.
    pub text: String,
    pub filter: PersonFilter,
}

impl SearchQuery {
    /// The words as typed, trimmed and cut to `QUERY_MAX_CHARS`.
    pub fn new(text: &str, filter: PersonFilter) -> Self {
        use unicode_normalization::UnicodeNormalization;
        // Composed, as stored texts are: "é" typed as "e" and an accent
        // still meets "é".
        SearchQuery {
            text: text.trim().nfc().take(QUERY_MAX_CHARS).collect(),
            filter,
        }
    }
}

/// A page of hits, best first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Whether hits are left after this page.
    pub more: bool,
}

/// The results page: hits and what its filter form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchPage {
    pub results: SearchResults,
    pub choices: FilterChoices,
}

/// Page `page` (from 0) of what `query` finds, in `lang`.
#[server]
pub async fn search(query: SearchQuery, page: usize, lang: Locale) -> Result<SearchPage, AppError> {
    let db = crate::server::context::db()?;
    let index = use_context::<index::SearchIndex>().ok_or(AppError::Internal)?;
    // Called directly, the function gets what a script sends: cut again.
    let query = SearchQuery::new(&query.text, query.filter);
    let results = index
        .search(&query, lang, page.saturating_mul(PAGE_SIZE), PAGE_SIZE)
        .await?;
    let choices = super::persons::on_server::filter_choices(&db, lang).await?;
    Ok(SearchPage { results, choices })
}
