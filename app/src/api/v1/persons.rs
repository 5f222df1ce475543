//! Persons as open data: the list with the filters of `/persons`, and one
//! person with everything their public page shows.
use super::actions::SupportAction;
use super::places::Municipality;
use super::{
    asked, contract, failed, open_json, or_answer, page_of, problem, Problem, Text, LIST_PAGING,
};
use crate::api::persons::{on_server, PersonDetail, PersonFilter};
use crate::api::{PersonSummary, StatusEventView};
use crate::domain::Slug;
use crate::server::AppState;
use axum::extract::{rejection::QueryRejection, Path, Query, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Where a person stands in the list (by name, then slug), as a cursor: the
/// hex of both, which sorts as they do and needs no escaping in a query.
/// A cursor so keeps its place when its person leaves the list.
fn place_of(person: &PersonSummary) -> String {
    let key = format!(
        "{}\u{1}{}",
        on_server::name_key(&person.full_name),
        person.slug
    );
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A cursor this list can have given (`contract::PLACE_PATTERN`). Any such
/// cursor says where a page starts, even one no person has.
fn is_place(cursor: &str) -> bool {
    cursor.len().is_multiple_of(2)
        && cursor
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && cursor.as_bytes().chunks_exact(2).any(|byte| byte == b"01")
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
    /// Only while the person's consent covers it.
    pub portrait: Option<Portrait>,
}

/// A portrait: a JPEG cut to 4:5, in a few widths.
#[derive(Debug, Serialize, ToSchema)]
pub struct Portrait {
    /// Narrowest first. Each address serves the same bytes for ever.
    pub files: Vec<PortraitFile>,
    /// What it shows, in words.
    pub alt: Text,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortraitFile {
    /// On this site.
    #[schema(example = "/portraits/3f2a9c0d5e6b7a8190a1b2c3d4e5f607.jpg")]
    pub path: String,
    #[schema(example = 384)]
    pub width: u32,
    #[schema(example = 480)]
    pub height: u32,
}

impl From<crate::api::portraits::PortraitView> for Portrait {
    fn from(p: crate::api::portraits::PortraitView) -> Self {
        Portrait {
            files: p
                .files
                .into_iter()
                .map(|f| PortraitFile {
                    path: f.path,
                    width: f.width,
                    height: f.height,
                })
                .collect(),
            alt: p.alt.into(),
        }
    }
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
            portrait: p.portrait.map(Into::into),
        }
    }
}

page_of!(
    /// A page of persons, by name.
    PersonPage,
    Person
);

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

/// A municipality's decision to adopt the person, and its end if it ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct Adoption {
    pub municipality: Municipality,
    /// ISO 8601 with the precision known.
    pub decided_on: String,
    /// When the municipality ended the adoption, ISO 8601 with the precision
    /// known; `null` while it lasts.
    pub ended_on: Option<String>,
    /// The council's decision reference.
    pub decision_reference: Option<String>,
}

/// A published person with everything the public page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDetails {
    pub person: Person,
    /// Oldest first.
    pub timeline: Vec<TimelineEvent>,
    /// Earliest first, ended ones too.
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
                    ended_on: a.ended_on.map(|d| d.to_string()),
                    decision_reference: a.decision_reference,
                })
                .collect(),
            support_actions: d.support_actions.into_iter().map(Into::into).collect(),
        }
    }
}

/// The persons list's filters (as on `/persons`), language and page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonsQuery {
    /// A rights category slug.
    #[param(schema_with = contract::rights)]
    pub rights: Option<String>,
    /// A status slug: the person's current status.
    #[param(schema_with = contract::status)]
    pub status: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[param(schema_with = contract::country)]
    pub country: Option<String>,
    /// A municipality slug: persons it adopted (none when no municipality
    /// has this slug).
    #[param(schema_with = contract::slug)]
    pub municipality: Option<String>,
    /// `en`, `fr` or `nl`; else the request's `Accept-Language`, else English.
    #[param(schema_with = contract::lang)]
    pub lang: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(schema_with = contract::person_cursor)]
    pub cursor: Option<String>,
    /// At most 100; 50 when not given.
    #[param(schema_with = contract::list_limit)]
    pub limit: Option<usize>,
}

impl super::Asks for PersonsQuery {
    fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }
}

/// The persons list's filters as a query gives them (`rights`, `status`,
/// `country`, `municipality`), or the problem to answer.
pub(crate) fn person_filter(
    rights: Option<&str>,
    status: Option<&str>,
    country: Option<&str>,
    municipality: Option<&str>,
) -> Result<PersonFilter, Response> {
    PersonFilter::parse(|name| match name {
        "rights" => rights,
        "status" => status,
        "country" => country,
        "municipality" => municipality,
        _ => None,
    })
    .map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            format!("{}={:?} names nothing known", e.field, e.value),
        )
    })
}

/// Published persons, filtered as on `/persons`, by name, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/persons",
    params(PersonsQuery),
    responses(
        (status = 200, description = "A page of persons", body = PersonPage),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "A filter, language, cursor or limit names nothing known", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The data cannot be read now", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn persons(
    State(state): State<AppState>,
    read: Result<Query<PersonsQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (q, lang) = or_answer!(asked(read, &headers));
    let filter = or_answer!(person_filter(
        q.rights.as_deref(),
        q.status.as_deref(),
        q.country.as_deref(),
        q.municipality.as_deref()
    ));
    let all = or_answer!(on_server::list(&state.db, &filter, lang)
        .await
        .map_err(failed));
    if let Some(cursor) = q
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty() && !is_place(c))
    {
        return problem(
            StatusCode::BAD_REQUEST,
            format!("cursor {cursor:?} is not one this list gave"),
        );
    }
    let mut all = all;
    all.sort_by_cached_key(place_of);
    let (items, next_cursor) =
        or_answer!(LIST_PAGING.page(all, place_of, q.cursor.as_deref(), q.limit));
    open_json(
        &headers,
        &PersonPage {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor,
        },
    )
}

/// One published person: status, rights, adoptions, timeline, support actions.
#[utoipa::path(
    get,
    path = "/api/v1/persons/{slug}",
    params(("slug" = String, Path, description = "The person's slug"), super::LanguageQuery),
    responses(
        (status = 200, description = "The person", body = PersonDetails),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "An unknown language", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published person has this slug", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The person's case was taken down: drop what you kept of it", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The data cannot be read now", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn person(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    read: Result<Query<super::LanguageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (_, lang) = or_answer!(asked(read, &headers));
    let missing = || {
        problem(
            StatusCode::NOT_FOUND,
            format!("no published person {slug:?}"),
        )
    };
    let Ok(parsed) = Slug::parse(&slug) else {
        return missing();
    };
    match on_server::detail(&state.db, &parsed, lang).await {
        Ok(Some(detail)) => open_json(&headers, &PersonDetails::from(detail)),
        Ok(None) => match crate::records::takedown::person_gone(&state.db, &slug).await {
            Ok(true) => super::gone(),
            Ok(false) => missing(),
            Err(error) => failed(error),
        },
        Err(error) => failed(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A cursor the document allows is one this list takes.
        #[test]
        fn a_documented_cursor_is_a_place(
            cursor in contract::tests::matched_by(contract::PLACE_PATTERN),
        ) {
            prop_assert!(is_place(&cursor), "{cursor}");
        }
    }
}
