//! Search as open data: what `/search` finds, with the same filters, its
//! matching words marked.
use super::{asked, contract, failed, open_json, or_answer, page_of, Problem, SEARCH_PAGING};
use crate::api::search::{index::SearchIndex, Marked, SearchHit, SearchQuery, MOST_HITS};
use axum::extract::{rejection::QueryRejection, Extension, Query};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A run of a text, and whether it is a word the query matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct Part {
    pub text: String,
    #[serde(rename = "match")]
    pub is_match: bool,
}

/// A text in runs: together they are the text; the matching words marked.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedText {
    pub parts: Vec<Part>,
    /// The language the text is in.
    #[schema(example = "fr")]
    pub lang: &'static str,
}

impl From<Marked> for MarkedText {
    fn from(m: Marked) -> Self {
        MarkedText {
            lang: m.lang.code(),
            parts: m
                .parts
                .into_iter()
                .map(|(text, is_match)| Part { text, is_match })
                .collect(),
        }
    }
}

/// One thing found.
#[derive(Debug, Serialize, ToSchema)]
pub struct Hit {
    /// What it is.
    #[schema(example = "status_event")]
    pub kind: &'static str,
    /// Its page on this site, in the language asked for.
    #[schema(example = "/fr/persons/loujain-al-hathloul")]
    pub path: String,
    /// A person's name, an event's or an action's title.
    pub title: MarkedText,
    #[schema(example = "loujain-al-hathloul")]
    pub person: String,
    pub person_name: String,
    /// The support action's slug, for an action.
    pub action: Option<String>,
    /// When the event happened, ISO 8601 with the precision known (events).
    pub date: Option<String>,
    /// Where its texts match, cut around the matches; null when only the
    /// title does.
    pub excerpt: Option<MarkedText>,
}

impl Hit {
    fn of(hit: SearchHit, lang: crate::i18n::Locale) -> Self {
        Hit {
            kind: hit.kind.name(),
            path: lang.path(&hit.path(), false),
            person: hit.person_slug.to_string(),
            action: hit.action_slug.as_ref().map(|s| s.to_string()),
            date: hit.occurred_on.map(|d| d.to_string()),
            title: hit.title.into(),
            excerpt: hit.excerpt.map(Into::into),
            person_name: hit.person_name,
        }
    }
}

page_of!(
    /// A page of hits, best first.
    HitPage,
    Hit
);

/// Words to find, the persons list's filters, language and page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The words to find: names (any case or accents, or their start) and
    /// words of the texts in any of the three languages. Only the first
    /// 200 characters are read.
    #[param(example = "détenue")]
    pub q: String,
    /// A rights category slug.
    #[param(schema_with = contract::rights)]
    pub rights: Option<String>,
    /// A status slug: the person's current status.
    #[param(schema_with = contract::status)]
    pub status: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[param(schema_with = contract::country)]
    pub country: Option<String>,
    /// A municipality slug: what concerns the persons it adopted.
    #[param(schema_with = contract::slug)]
    pub municipality: Option<String>,
    /// `en`, `fr` or `nl`: the reader's language, whose translations are
    /// searched; else the request's `Accept-Language`, else English.
    #[param(schema_with = contract::lang)]
    pub lang: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(schema_with = contract::search_cursor)]
    pub cursor: Option<String>,
    /// At most 50; 20 when not given.
    #[param(schema_with = contract::search_limit)]
    pub limit: Option<usize>,
}

impl super::Asks for SearchParams {
    fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }
}

/// How many hits came before the page a cursor starts
/// (`contract::SEARCH_CURSOR_PATTERN`).
pub(crate) fn offset(cursor: &str) -> Option<usize> {
    cursor.parse().ok()
}

/// What is public that matches the words, best first, a page at a time (the
/// best 200 at most).
#[utoipa::path(
    get,
    path = "/api/v1/search",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of hits", body = HitPage),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "A filter, language, cursor or limit names nothing known", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The data cannot be read now", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn search(
    Extension(index): Extension<SearchIndex>,
    read: Result<Query<SearchParams>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (q, lang) = or_answer!(asked(read, &headers));
    let filter = or_answer!(super::persons::person_filter(
        q.rights.as_deref(),
        q.status.as_deref(),
        q.country.as_deref(),
        q.municipality.as_deref()
    ));
    let limit = or_answer!(SEARCH_PAGING.limit(q.limit));
    let offset = match q.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => 0,
        Some(cursor) => or_answer!(offset(cursor).ok_or_else(|| super::problem(
            StatusCode::BAD_REQUEST,
            "cursor is the next_cursor of a page before".into()
        ))),
    };
    let query = SearchQuery::new(&q.q, filter);
    let results = or_answer!(index
        .search(&query, lang, offset.min(MOST_HITS), limit)
        .await
        .map_err(failed));
    let next_cursor = results.more.then(|| (offset + limit).to_string());
    let page = HitPage {
        items: results.hits.into_iter().map(|h| Hit::of(h, lang)).collect(),
        next_cursor,
    };
    open_json(&headers, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any cursor the document allows says where a page starts.
        #[test]
        fn a_cursor_the_document_allows_is_read(
            cursor in contract::tests::matched_by(contract::SEARCH_CURSOR_PATTERN),
        ) {
            prop_assert!(offset(&cursor).is_some(), "{cursor}");
        }
    }
}
