//! `/api/v1/`: the public read API, for journalists, partner NGOs and the
//! cities' own websites. It reads through the same readers as the public
//! pages, so it shows exactly what they show: published persons, their
//! published timeline, adoptions and support actions, with counts of
//! confirmed signatures; never a signer. Every response may be cached by
//! anyone (`Cache-Control`, `ETag`, `304`) and read from any origin (CORS
//! `*`, GET only). Texts come in the language asked for (`?lang=`, else
//! `Accept-Language`) where translated, each with the language it is in.
//! The OpenAPI 3.1 document, `/api/v1/openapi.json`, is generated from the
//! types and handlers below (utoipa): the contract and the code are one.
use super::persons::{PersonDetail, PersonFilter};
use super::{MunicipalityRef, PersonSummary, StatusEventView, SupportActionSummary};
use crate::domain::{Availability, Slug};
use crate::i18n::{LangText, Locale};
use crate::on_pool;
use crate::server::cacheable::cacheable;
use crate::server::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// How long anyone may keep a response: counts move, so not long.
const CACHE: &str = "public, max-age=60";
/// The most persons one page of the list holds.
pub const MAX_PAGE: usize = 100;
const DEFAULT_PAGE: usize = 50;

/// The API's contract, generated from the handlers and types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lumières open data",
        version = "1",
        description = "Persons at risk adopted by the cities of the Villes Lumières network, their timelines, adoptions and support actions, and the confirmed signature counts. No personal data."
    ),
    paths(persons, person, action_count, rights_categories, statuses)
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

/// A published person, as the persons list shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Person {
    #[schema(example = "loujain-al-hathloul")]
    pub slug: String,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "SA")]
    pub country: Option<String>,
    /// From the latest published status event that sets one.
    #[schema(example = "released")]
    pub current_status: Option<String>,
    /// Rights category slugs.
    pub rights: Vec<String>,
    pub municipalities: Vec<Municipality>,
    /// Sanitized HTML.
    pub summary_html: Option<Text>,
}

impl From<PersonSummary> for Person {
    fn from(p: PersonSummary) -> Self {
        Person {
            slug: p.slug.to_string(),
            name: p.full_name,
            country: p.country.map(|c| c.code.to_string()),
            current_status: p.current_status.map(|s| s.slug().to_owned()),
            rights: p
                .rights
                .iter()
                .map(|r| r.category.slug().to_owned())
                .collect(),
            municipalities: p.municipalities.into_iter().map(Into::into).collect(),
            summary_html: p.summary.map(Into::into),
        }
    }
}

/// One page of persons, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonPage {
    pub items: Vec<Person>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// A dated fact of a person's public timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    /// ISO 8601 with the precision known: `2015`, `2018-05`, `2020-12-28`.
    #[schema(example = "2018-05")]
    pub date: String,
    /// The status it set, if any.
    pub status: Option<String>,
    pub title: Text,
    /// Sanitized HTML.
    pub body_html: Option<Text>,
    pub source_title: Option<Text>,
    pub source_url: Option<String>,
    /// The partner whose feed brought it, when one did.
    pub from_partner: Option<String>,
}

impl From<StatusEventView> for TimelineEvent {
    fn from(e: StatusEventView) -> Self {
        TimelineEvent {
            date: e.occurred_on.to_string(),
            status: e.status.map(|s| s.slug().to_owned()),
            title: e.title.into(),
            body_html: e.body_html.map(Into::into),
            source_title: e.source_title.map(Into::into),
            source_url: e.source_url,
            from_partner: e.from_partner,
        }
    }
}

/// A municipality's decision to adopt the person.
#[derive(Debug, Serialize, ToSchema)]
pub struct Adoption {
    pub municipality: Municipality,
    /// ISO 8601 with the precision known.
    pub decided_on: String,
    /// The council's decision reference.
    pub decision_reference: Option<String>,
}

/// Whether an action takes signatures today.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    Open,
    NotYetOpen,
    DeadlinePassed,
    Closed,
}

impl From<Availability> for ActionState {
    fn from(a: Availability) -> Self {
        match a {
            Availability::Open => ActionState::Open,
            Availability::NotYetOpen => ActionState::NotYetOpen,
            Availability::DeadlinePassed => ActionState::DeadlinePassed,
            Availability::ClosedByOrganisers => ActionState::Closed,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportAction {
    pub slug: String,
    pub title: Text,
    pub addressee: Text,
    pub goal: i64,
    pub state: ActionState,
    /// Confirmed signatures.
    pub confirmed: i64,
}

impl From<SupportActionSummary> for SupportAction {
    fn from(a: SupportActionSummary) -> Self {
        SupportAction {
            slug: a.slug.to_string(),
            title: a.title.into(),
            addressee: a.addressee.into(),
            goal: a.goal,
            state: a.availability.into(),
            confirmed: a.confirmed,
        }
    }
}

/// A published person with everything the public page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDetails {
    pub person: Person,
    /// Oldest first.
    pub timeline: Vec<TimelineEvent>,
    /// Earliest first.
    pub adoptions: Vec<Adoption>,
    pub support_actions: Vec<SupportAction>,
}

impl From<PersonDetail> for PersonDetails {
    fn from(d: PersonDetail) -> Self {
        PersonDetails {
            person: d.person.into(),
            timeline: d.timeline.into_iter().map(Into::into).collect(),
            adoptions: d
                .adoptions
                .into_iter()
                .map(|a| Adoption {
                    municipality: a.municipality.into(),
                    decided_on: a.adopted_on.to_string(),
                    decision_reference: a.decision_reference,
                })
                .collect(),
            support_actions: d.support_actions.into_iter().map(Into::into).collect(),
        }
    }
}

/// The live count of a support action.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ActionCount {
    pub action: String,
    pub goal: i64,
    /// Confirmed signatures.
    pub confirmed: i64,
}

/// What went wrong, in words.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiError {
    pub error: String,
}

/// The language of every query: `lang` (`en`, `fr`, `nl`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LanguageQuery {
    /// `en`, `fr` or `nl`; else the request's `Accept-Language`, else English.
    pub lang: Option<String>,
}

/// The persons list's filters (as on `/persons`), language and page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonsQuery {
    /// A rights category slug.
    pub rights: Option<String>,
    /// A status slug: the person's current status.
    pub status: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// A municipality slug: persons it adopted.
    pub municipality: Option<String>,
    /// `en`, `fr` or `nl`; else the request's `Accept-Language`, else English.
    pub lang: Option<String>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// At most 100; 50 when not given.
    pub limit: Option<usize>,
}

/// The language asked for, else the request's `Accept-Language`, else
/// English; `Err`: what to tell a client that asked for another one.
fn language(asked: Option<&str>, headers: &HeaderMap) -> Result<Locale, String> {
    match asked.map(str::trim).filter(|l| !l.is_empty()) {
        Some(code) => {
            Locale::from_code(code).ok_or_else(|| format!("no language {code:?}: en, fr or nl"))
        }
        None => Ok(headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Locale::from_accept_language)
            .unwrap_or_default()),
    }
}

/// JSON anyone may cache and read from any page.
fn open_json(headers: &HeaderMap, value: &impl Serialize) -> Response {
    let body = serde_json::to_string(value).unwrap_or_default();
    let mut response = cacheable(headers, body, "application/json", CACHE);
    let out = response.headers_mut();
    out.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    out.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    response
}

fn refused(status: StatusCode, error: String) -> Response {
    let mut response = (status, axum::Json(ApiError { error })).into_response();
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

fn failed(error: sqlx::Error) -> Response {
    tracing::error!(%error, "the open-data API cannot read");
    refused(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the data cannot be read now".into(),
    )
}

/// Published persons, filtered as on `/persons`, by name, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/persons",
    params(PersonsQuery),
    responses(
        (status = 200, description = "A page of persons", body = PersonPage),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "A filter, language, cursor or limit names nothing known", body = ApiError)
    )
)]
pub async fn persons(
    State(state): State<AppState>,
    Query(query): Query<PersonsQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = match language(query.lang.as_deref(), &headers) {
        Ok(lang) => lang,
        Err(error) => return refused(StatusCode::BAD_REQUEST, error),
    };
    let filter = PersonFilter::parse(|name| match name {
        "rights" => query.rights.as_deref(),
        "status" => query.status.as_deref(),
        "country" => query.country.as_deref(),
        "municipality" => query.municipality.as_deref(),
        _ => None,
    });
    let filter = match filter {
        Ok(filter) => filter,
        Err(e) => {
            return refused(
                StatusCode::BAD_REQUEST,
                format!("{}={:?} names nothing known", e.field, e.value),
            )
        }
    };
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return refused(
            StatusCode::BAD_REQUEST,
            format!("limit is from 1 to {MAX_PAGE}"),
        );
    }
    let all = match super::persons::on_server::list(&state.db, &filter, lang).await {
        Ok(all) => all,
        Err(error) => return failed(error),
    };
    let start = match query.cursor.as_deref() {
        None | Some("") => 0,
        Some(cursor) => match all.iter().position(|p| p.slug.as_str() == cursor) {
            Some(at) => at + 1,
            None => {
                return refused(
                    StatusCode::BAD_REQUEST,
                    format!("cursor {cursor:?} names no person in this list"),
                )
            }
        },
    };
    let page: Vec<PersonSummary> = all.iter().skip(start).take(limit).cloned().collect();
    let next_cursor = (start + page.len() < all.len())
        .then(|| page.last().map(|p| p.slug.to_string()))
        .flatten();
    open_json(
        &headers,
        &PersonPage {
            items: page.into_iter().map(Into::into).collect(),
            next_cursor,
        },
    )
}

/// One published person: status, rights, adoptions, timeline, support actions.
#[utoipa::path(
    get,
    path = "/api/v1/persons/{slug}",
    params(("slug" = String, Path, description = "The person's slug"), LanguageQuery),
    responses(
        (status = 200, description = "The person", body = PersonDetails),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 404, description = "No published person has this slug", body = ApiError)
    )
)]
pub async fn person(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<LanguageQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = match language(query.lang.as_deref(), &headers) {
        Ok(lang) => lang,
        Err(error) => return refused(StatusCode::BAD_REQUEST, error),
    };
    let missing = || {
        refused(
            StatusCode::NOT_FOUND,
            format!("no published person {slug:?}"),
        )
    };
    let Ok(slug_parsed) = Slug::parse(&slug) else {
        return missing();
    };
    match super::persons::on_server::detail(&state.db, &slug_parsed, lang).await {
        Ok(Some(detail)) => open_json(&headers, &PersonDetails::from(detail)),
        Ok(None) => missing(),
        Err(error) => failed(error),
    }
}

/// A support action's confirmed count against its goal: small, for a
/// page that shows a live number.
#[utoipa::path(
    get,
    path = "/api/v1/actions/{slug}/count",
    params(("slug" = String, Path, description = "The support action's slug")),
    responses(
        (status = 200, description = "The count", body = ActionCount),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 404, description = "No public support action has this slug", body = ApiError)
    )
)]
pub async fn action_count(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let count: Result<Option<ActionCount>, sqlx::Error> = on_pool!(&state.db, |pool| {
        sqlx::query_as(concat!(
            "SELECT a.slug AS action, CAST(a.goal AS BIGINT) AS goal, ",
            crate::confirmed_count!(),
            " AS confirmed FROM support_actions a JOIN persons p ON p.id = a.person_id
              WHERE a.slug = $1 AND p.is_public"
        ))
        .bind(&slug)
        .fetch_optional(pool)
        .await
    });
    match count {
        Ok(Some(count)) => open_json(&headers, &count),
        Ok(None) => refused(
            StatusCode::NOT_FOUND,
            format!("no public support action {slug:?}"),
        ),
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

/// The rights categories, in the order the site lists them.
#[utoipa::path(
    get,
    path = "/api/v1/rights-categories",
    params(LanguageQuery),
    responses(
        (status = 200, description = "Every rights category", body = [Term]),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "An unknown language", body = ApiError)
    )
)]
pub async fn rights_categories(
    State(state): State<AppState>,
    Query(query): Query<LanguageQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = match language(query.lang.as_deref(), &headers) {
        Ok(lang) => lang,
        Err(error) => return refused(StatusCode::BAD_REQUEST, error),
    };
    match super::places::on_server::categories(&state.db).await {
        Ok(categories) => {
            let terms: Vec<Term> = categories
                .iter()
                .map(|c| Term {
                    slug: c.category.slug(),
                    name: Text {
                        text: c.name.get(lang).to_owned(),
                        lang: lang.code(),
                    },
                })
                .collect();
            open_json(&headers, &terms)
        }
        Err(error) => failed(error),
    }
}

/// The statuses a person's case can be in.
#[utoipa::path(
    get,
    path = "/api/v1/statuses",
    params(LanguageQuery),
    responses(
        (status = 200, description = "Every status", body = [Term]),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "An unknown language", body = ApiError)
    )
)]
pub async fn statuses(Query(query): Query<LanguageQuery>, headers: HeaderMap) -> Response {
    let lang = match language(query.lang.as_deref(), &headers) {
        Ok(lang) => lang,
        Err(error) => return refused(StatusCode::BAD_REQUEST, error),
    };
    let terms: Vec<Term> = crate::domain::Status::ALL
        .iter()
        .map(|s| Term {
            slug: s.slug(),
            name: Text {
                text: lang.t(&s.label_key()),
                lang: lang.code(),
            },
        })
        .collect();
    open_json(&headers, &terms)
}

/// The OpenAPI 3.1 document of this API.
pub async fn openapi(headers: HeaderMap) -> Response {
    open_json(&headers, &ApiDoc::openapi())
}
