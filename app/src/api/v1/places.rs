//! The network's municipalities, and the vocabularies the filters take
//! (rights categories, statuses), as open data.
use super::{
    asked, failed, open_json, or_answer, page_of, problem, PageQuery, Problem, Text, LIST_PAGING,
};
use crate::api::places::on_server;
use crate::api::MunicipalityRef;
use crate::domain::Slug;
use crate::server::AppState;
use axum::extract::{rejection::QueryRejection, Path, Query, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

/// A municipality, named in the language asked for where translated.
#[derive(Debug, Serialize, ToSchema)]
pub struct Municipality {
    #[schema(example = "brussels")]
    pub slug: String,
    pub name: Text,
}

impl From<MunicipalityRef> for Municipality {
    fn from(m: MunicipalityRef) -> Self {
        Municipality {
            slug: m.slug.to_string(),
            name: m.name.into(),
        }
    }
}

/// A municipality of the network.
#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalitySummary {
    #[schema(example = "brussels")]
    pub slug: String,
    pub name: Text,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "BE")]
    pub country: String,
    /// When it joined the network, ISO 8601 with the precision known.
    pub joined_on: Option<String>,
    /// How many published persons it adopted.
    pub adopted_persons: i64,
}

page_of!(
    /// A page of municipalities, by slug.
    MunicipalityPage,
    MunicipalitySummary
);

/// A published person a municipality adopted, and its decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptedPerson {
    #[schema(example = "loujain-al-hathloul")]
    pub person: String,
    pub name: String,
    /// ISO 8601 with the precision known.
    pub decided_on: String,
    /// When the municipality ended the adoption, ISO 8601 with the precision
    /// known; `null` while it lasts.
    pub ended_on: Option<String>,
    /// The council's decision reference.
    pub decision_reference: Option<String>,
    /// The council's note, as written.
    pub note: Option<String>,
}

/// A municipality and the published persons it adopted (ended adoptions too), latest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalityDetails {
    pub slug: String,
    pub name: Text,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// When it joined the network, ISO 8601 with the precision known.
    pub joined_on: Option<String>,
    pub adoptions: Vec<AdoptedPerson>,
}

/// The municipalities of the network, by slug, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/municipalities",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of municipalities", body = MunicipalityPage),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "A language or limit the document does not allow", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The data cannot be read now", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn municipalities(
    State(state): State<AppState>,
    read: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (q, lang) = or_answer!(asked(read, &headers));
    let mut all = or_answer!(on_server::municipalities_in(&state.db, lang)
        .await
        .map_err(failed));
    // In the cursors' byte order: a database's collation may sort slugs
    // otherwise (PostgreSQL's en_US ignores hyphens).
    all.sort_by(|a, b| a.slug.as_str().cmp(b.slug.as_str()));
    let (items, next_cursor) =
        or_answer!(LIST_PAGING.page(all, |m| m.slug.to_string(), q.cursor.as_deref(), q.limit));
    open_json(
        &headers,
        &MunicipalityPage {
            items: items
                .into_iter()
                .map(|m| MunicipalitySummary {
                    slug: m.slug.to_string(),
                    name: m.name.into(),
                    country: m.country_code,
                    joined_on: m.joined_on.map(|d| d.to_string()),
                    adopted_persons: m.adopted,
                })
                .collect(),
            next_cursor,
        },
    )
}

/// One municipality with the published persons it adopted.
#[utoipa::path(
    get,
    path = "/api/v1/municipalities/{slug}",
    params(("slug" = String, Path, description = "The municipality's slug"), super::LanguageQuery),
    responses(
        (status = 200, description = "The municipality", body = MunicipalityDetails),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "An unknown language", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No municipality has this slug", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The data cannot be read now", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn municipality(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    read: Result<Query<super::LanguageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (_, lang) = or_answer!(asked(read, &headers));
    let missing = || problem(StatusCode::NOT_FOUND, format!("no municipality {slug:?}"));
    let Ok(parsed) = Slug::parse(&slug) else {
        return missing();
    };
    match on_server::municipality(&state.db, &parsed, lang).await {
        Ok(Some(m)) => open_json(
            &headers,
            &MunicipalityDetails {
                slug: m.slug.to_string(),
                name: m.name.into(),
                country: m.country.map(|c| c.code.to_string()),
                joined_on: m.joined_on.map(|d| d.to_string()),
                adoptions: m
                    .adoptions
                    .into_iter()
                    .map(|(person, adoption)| AdoptedPerson {
                        person: person.slug.to_string(),
                        name: person.full_name,
                        decided_on: adoption.adopted_on.to_string(),
                        ended_on: adoption.ended_on.map(|d| d.to_string()),
                        decision_reference: adoption.decision_reference,
                        note: adoption.note,
                    })
                    .collect(),
            },
        ),
        Ok(None) => missing(),
        Err(error) => failed(error),
    }
}

/// A rights category or a status: its slug (the value the filters take) and
/// its name in the language asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct Term {
    #[schema(example = "released")]
    pub slug: &'static str,
    pub name: Text,
}

page_of!(
    /// A page of a vocabulary, in the order the site lists it.
    TermPage,
    Term
);

/// A page of a vocabulary, given whole in its order. A term's key is its
/// place in that order, so that any cursor says where a page starts.
fn term_page(headers: &HeaderMap, q: &PageQuery, all: Vec<Term>) -> Response {
    let keyed: Vec<(String, Term)> = all
        .into_iter()
        .enumerate()
        .map(|(place, term)| (format!("{place:03}"), term))
        .collect();
    let (page, next_cursor) =
        or_answer!(LIST_PAGING.page(keyed, |(key, _)| key.clone(), q.cursor.as_deref(), q.limit));
    let items = page.into_iter().map(|(_, term)| term).collect();
    open_json(headers, &TermPage { items, next_cursor })
}

/// The rights categories, in the order the site lists them.
#[utoipa::path(
    get,
    path = "/api/v1/rights-categories",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of rights categories", body = TermPage),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "A language or limit the document does not allow", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The data cannot be read now", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn rights_categories(
    State(state): State<AppState>,
    read: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (q, lang) = or_answer!(asked(read, &headers));
    let categories = or_answer!(on_server::categories(&state.db).await.map_err(failed));
    let all = categories
        .iter()
        .map(|c| Term {
            slug: c.category.slug(),
            name: Text {
                text: c.name.get(lang).to_owned(),
                lang: lang.code(),
            },
        })
        .collect();
    term_page(&headers, &q, all)
}

/// The statuses a person's case can be in.
#[utoipa::path(
    get,
    path = "/api/v1/statuses",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of statuses", body = TermPage),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "A language or limit the document does not allow", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn statuses(
    read: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (q, lang) = or_answer!(asked(read, &headers));
    let all = crate::domain::Status::ALL
        .iter()
        .map(|s| Term {
            slug: s.slug(),
            name: Text {
                text: lang.t(&s.label_key()),
                lang: lang.code(),
            },
        })
        .collect();
    term_page(&headers, &q, all)
}
