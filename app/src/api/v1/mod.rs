//! `/api/v1/`: the public read API, for journalists, partner NGOs and the
//! cities' own websites. It reads through the same readers as the public
//! pages, so it shows exactly what they show: published persons, their
//! published timeline, adoptions and support actions, with counts of
//! confirmed signatures; never a signer. Every response may be cached by
//! anyone (`Cache-Control`, `ETag`, `304`) and read from any origin (CORS
//! `*`, GET only). Texts come in the language asked for (`?lang=`, else
//! `Accept-Language`) where translated, each with the language it is in.
//! Every list comes a page at a time (`limit`, `cursor`); a refusal is an
//! RFC 9457 problem document.
//! The OpenAPI 3.1 document, `/api/v1/openapi.json`, is generated from the
//! types and handlers of this folder (utoipa): the contract and the code are one.
// A refusal is the response a request is answered with, made once per
// request and returned straight away: boxing it would buy nothing.
#![allow(clippy::result_large_err)]
use crate::i18n::{LangText, Locale};
use crate::server::cacheable::cacheable;
use axum::response::{IntoResponse, Response};
use contract::PathSlugs;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

pub mod actions;
mod contract;
pub mod persons;
pub mod places;
pub mod search;

/// How long anyone may keep a response: counts move, so not long.
const CACHE: &str = "public, max-age=60";

/// The API's contract, generated from the handlers and types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lumières open data",
        version = "1",
        description = "Persons at risk adopted by the cities of the Villes Lumières network, their timelines, adoptions and support actions, and the confirmed signature counts, their history and where the signers are. No personal data. Explained with examples at /api; the same data as CSV files under /data/."
    ),
    paths(
        persons::persons,
        persons::person,
        places::municipalities,
        places::municipality,
        places::rights_categories,
        places::statuses,
        actions::action,
        actions::action_count,
        actions::history,
        actions::places,
        search::search
    ),
    modifiers(&PathSlugs)
)]
pub struct ApiDoc;

/// A text and the language it is in (`en`, `fr`, `nl`): the one asked for
/// where translated, else the original.
#[derive(Debug, Serialize, ToSchema)]
pub struct Text {
    pub text: String,
    #[schema(example = "fr")]
    pub lang: &'static str,
}

impl From<LangText> for Text {
    fn from(text: LangText) -> Self {
        Text {
            text: text.text,
            lang: text.lang.code(),
        }
    }
}

/// What went wrong (RFC 9457), sent as `application/problem+json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: &'static str,
    /// The status's name.
    #[schema(example = "Bad Request")]
    pub title: &'static str,
    #[schema(example = 400)]
    pub status: u16,
    /// What was wrong with this request, in words.
    #[schema(example = "limit is from 1 to 100")]
    pub detail: String,
}

/// A case taken down (issue 29): 410, naming nobody, not even by the
/// address asked for.
pub(crate) fn gone() -> Response {
    problem(StatusCode::GONE, "no longer shown".to_owned())
}

/// A refusal or a failure, as a problem document open to any origin.
pub(crate) fn problem(status: StatusCode, detail: String) -> Response {
    let body = Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
    };
    let mut response = (status, serde_json::to_string(&body).unwrap_or_default()).into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    allow_any_origin(out);
    response
}

pub(crate) fn failed(error: sqlx::Error) -> Response {
    if crate::server::db::unreachable(&error) {
        tracing::warn!(%error, "the open-data API cannot reach the database");
        let mut response = problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database cannot be reached just now".into(),
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(crate::error::RETRY_AFTER_SECONDS),
        );
        return response;
    }
    tracing::error!(%error, "the open-data API cannot read");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the data cannot be read now".into(),
    )
}

/// JSON anyone may cache (a minute) and read from any page.
pub(crate) fn open_json(headers: &HeaderMap, value: &impl Serialize) -> Response {
    open_json_for(headers, value, CACHE)
}

/// JSON anyone may cache as `cache_control` says and read from any page.
pub(crate) fn open_json_for(
    headers: &HeaderMap,
    value: &impl Serialize,
    cache_control: &'static str,
) -> Response {
    let body = serde_json::to_string(value).unwrap_or_default();
    open_to_all(headers, body, "application/json", cache_control)
}

/// Open data anyone may cache as `cache_control` says (an `ETag`, `304`),
/// read from any page, in the language the request asked for.
pub(crate) fn open_to_all(
    headers: &HeaderMap,
    body: String,
    content_type: &'static str,
    cache_control: &'static str,
) -> Response {
    let mut response = cacheable(headers, body, content_type, cache_control);
    let out = response.headers_mut();
    allow_any_origin(out);
    out.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    response
}

/// CORS for a GET: any website may read it.
pub(crate) fn allow_any_origin(headers: &mut HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// The language of every query: `lang` (`en`, `fr`, `nl`).
#[derive(Debug, Default, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LanguageQuery {
    /// `en`, `fr` or `nl`; else the request's `Accept-Language`, else English.
    #[param(schema_with = contract::lang)]
    pub lang: Option<String>,
}

/// The language asked for, else the request's `Accept-Language`, else
/// English; `Err`: the problem to answer a client that asked for another one.
pub(crate) fn language(asked: Option<&str>, headers: &HeaderMap) -> Result<Locale, Response> {
    match asked.map(str::trim).filter(|l| !l.is_empty()) {
        Some(code) => Locale::from_code(code).ok_or_else(|| {
            problem(
                StatusCode::BAD_REQUEST,
                format!("no language {code:?}: en, fr or nl"),
            )
        }),
        None => Ok(headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Locale::from_accept_language)
            .unwrap_or_default()),
    }
}

/// A query that may name the language of the answer.
pub(crate) trait Asks {
    fn lang(&self) -> Option<&str>;
}

impl Asks for LanguageQuery {
    fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }
}

impl Asks for PageQuery {
    fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }
}

/// The query read and the language to answer in, or the problem to answer.
pub(crate) fn asked<Q: Asks>(
    read: Result<axum::extract::Query<Q>, axum::extract::rejection::QueryRejection>,
    headers: &HeaderMap,
) -> Result<(Q, Locale), Response> {
    let q = query(read)?;
    let lang = language(q.lang(), headers)?;
    Ok((q, lang))
}

/// The value, or the answer (a problem document) returned at once.
macro_rules! or_answer {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(answer) => return answer,
        }
    };
}
pub(crate) use or_answer;

/// How a list is cut into pages: at most `max` items, `default` when the
/// client does not say. Every list is in the order of its keys, and a
/// cursor is the key of the last item of the page before: any cursor says
/// where the next page starts, even one whose item has gone since (a person
/// unpublished, an hour whose only signature was withdrawn).
pub(crate) struct Paging {
    pub default: usize,
    pub max: usize,
}

/// The lists of persons and municipalities and the vocabularies.
pub(crate) const LIST_PAGING: Paging = Paging {
    default: 50,
    max: 100,
};

/// A support action's count history; its keys, RFC 3339 starts in UTC,
/// sort as the times do.
pub(crate) const HISTORY_PAGING: Paging = Paging {
    default: 1000,
    max: 1000,
};

/// Search hits, best first; a cursor is a place in that order (a number).
pub(crate) const SEARCH_PAGING: Paging = Paging {
    default: crate::api::search::PAGE_SIZE,
    max: 50,
};

impl Paging {
    /// How many items a page holds: `limit`, else the default; the problem
    /// to answer when it is out of bounds.
    pub fn limit(&self, limit: Option<usize>) -> Result<usize, Response> {
        let limit = limit.unwrap_or(self.default);
        if !(1..=self.max).contains(&limit) {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                format!("limit is from 1 to {}", self.max),
            ));
        }
        Ok(limit)
    }

    /// The page after `cursor`, with the cursor of the next page if there
    /// is one. `all` is the whole list in the order of `key`.
    pub fn page<T>(
        &self,
        all: Vec<T>,
        key: impl Fn(&T) -> String,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> Result<(Vec<T>, Option<String>), Response> {
        let limit = self.limit(limit)?;
        let start = match cursor.filter(|c| !c.is_empty()) {
            None => 0,
            Some(cursor) => all.partition_point(|item| key(item).as_str() <= cursor),
        };
        let total = all.len();
        let page: Vec<T> = all.into_iter().skip(start).take(limit).collect();
        let next_cursor = (start + page.len() < total)
            .then(|| page.last().map(&key))
            .flatten();
        Ok((page, next_cursor))
    }
}

/// A page of a list: its items and where the next page starts.
macro_rules! page_of {
    ($(#[$doc:meta])* $page:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $page {
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; null on the last one.
            pub next_cursor: Option<String>,
        }
    };
}
pub(crate) use page_of;

/// The page of every list: `cursor` and `limit`.
#[derive(Debug, Default, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `en`, `fr` or `nl`; else the request's `Accept-Language`, else English.
    #[param(schema_with = contract::lang)]
    pub lang: Option<String>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// How many items a page holds: at most 100, 50 when not given.
    #[param(schema_with = contract::list_limit)]
    pub limit: Option<usize>,
}

/// A query string read, or the problem to answer when it cannot be (a
/// `limit` that is no number, say): axum's own refusal is plain text.
pub(crate) fn query<T>(
    read: Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, Response> {
    read.map(|q| q.0)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))
}

/// The OpenAPI 3.1 document of this API, with the licence this site
/// publishes its data under.
pub async fn openapi(
    axum::extract::State(licence): axum::extract::State<crate::server::Licence>,
    headers: HeaderMap,
) -> Response {
    let mut document = ApiDoc::openapi();
    let mut named = utoipa::openapi::License::new(licence.name);
    named.url = Some(licence.url);
    document.info.license = Some(named);
    open_json(&headers, &document)
}
