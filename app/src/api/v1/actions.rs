//! Support actions as open data: what is asked of whom, the confirmed count
//! against the goal, its whole history and where the signers are, in
//! groups large enough that nobody is picked out.
use super::{
    asked, failed, open_json, open_json_for, or_answer, problem, query, LanguageQuery, Problem,
    Text, HISTORY_PAGING,
};
use crate::api::actions::{on_server, Answer, Delivery, Interval, SMALLEST_PUBLIC_GROUP};
use crate::api::SupportActionSummary;
use crate::domain::{Availability, DeliveryMethod, Slug};
use crate::server::AppState;
use axum::extract::{rejection::QueryRejection, Path, Query, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Whether an action takes signatures today.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    Open,
    NotYetOpen,
    DeadlinePassed,
    Closed,
    /// Its signatures were handed over: see `delivery`.
    Delivered,
}

impl ActionState {
    /// The name the API gives it, for the CSV files too.
    pub fn name(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

impl From<Availability> for ActionState {
    fn from(a: Availability) -> Self {
        match a {
            Availability::Open => ActionState::Open,
            Availability::NotYetOpen => ActionState::NotYetOpen,
            Availability::DeadlinePassed => ActionState::DeadlinePassed,
            Availability::ClosedByOrganisers => ActionState::Closed,
            Availability::Delivered => ActionState::Delivered,
        }
    }
}

/// A support action as a person's page lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportAction {
    pub slug: String,
    pub title: Text,
    pub addressee: Text,
    pub goal: i64,
    pub state: ActionState,
    /// Confirmed online signatures.
    pub confirmed: i64,
    /// Signatures collected on paper; they count with `confirmed`.
    pub paper: i64,
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
            paper: a.paper,
        }
    }
}

/// Who a support action is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionPerson {
    #[schema(example = "vahid-afkari")]
    pub slug: String,
    pub name: String,
}

/// A support action with what its public page says.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportActionDetails {
    #[schema(example = "solidarity-with-vahid-afkari")]
    pub slug: String,
    pub person: ActionPerson,
    pub title: Text,
    /// Sanitized HTML.
    pub body_html: Text,
    pub addressee: Text,
    pub goal: i64,
    /// ISO 8601 date: from when it takes signatures.
    pub opens_on: String,
    /// ISO 8601 date: the last day it takes signatures, if it has a deadline.
    pub deadline: Option<String>,
    pub state: ActionState,
    /// Confirmed online signatures.
    pub confirmed: i64,
    /// Signatures collected on paper; they count with `confirmed`.
    pub paper: i64,
    /// When, to whom and how its signatures were handed over; null until then.
    pub delivery: Option<ActionDelivery>,
    /// The addressee's response; null until one is recorded.
    pub response: Option<ActionResponse>,
    /// True once the delivery's `answer_by` has passed without a response.
    pub no_answer: bool,
}

/// The addressee's response to delivered signatures.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResponse {
    /// ISO 8601 date.
    pub responded_on: String,
    /// In the language asked for where translated, else the original.
    pub summary: Text,
    /// Sanitized HTML.
    pub body_html: Option<Text>,
    pub source_url: Option<String>,
}

/// How a support action's signatures were handed over.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryHow {
    Letter,
    Meeting,
    Embassy,
    Email,
}

/// A support action's signatures, handed over.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDelivery {
    /// ISO 8601 date.
    #[schema(example = "2027-01-15")]
    pub delivered_on: String,
    /// Who received them, in the language it was written in.
    pub recipient: Text,
    pub method: DeliveryHow,
    /// Sanitized HTML, in the recipient's language.
    pub note_html: Option<Text>,
    /// A web address showing the delivery.
    pub proof_url: Option<String>,
    /// ISO 8601 date after which no answer is news; null if none was set.
    pub answer_by: Option<String>,
    /// Confirmed online signatures handed over.
    pub signatures: i64,
    /// Paper signatures handed over.
    pub paper_signatures: i64,
}

impl From<Delivery> for ActionDelivery {
    fn from(d: Delivery) -> Self {
        ActionDelivery {
            delivered_on: d.delivered_on.to_string(),
            recipient: d.recipient.into(),
            method: match d.method {
                DeliveryMethod::Letter => DeliveryHow::Letter,
                DeliveryMethod::Meeting => DeliveryHow::Meeting,
                DeliveryMethod::Embassy => DeliveryHow::Embassy,
                DeliveryMethod::Email => DeliveryHow::Email,
            },
            note_html: d.note_html.map(Into::into),
            proof_url: d.proof_url,
            answer_by: d.answer_by.map(|day| day.to_string()),
            signatures: d.signatures,
            paper_signatures: d.paper_signatures,
        }
    }
}

/// The live count of a support action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionCount {
    pub action: String,
    pub goal: i64,
    /// Confirmed online signatures.
    pub confirmed: i64,
    /// Signatures collected on paper; they count with `confirmed`.
    pub paper: i64,
}

/// The id of the public support action `slug`, or the problem to answer.
async fn public_action(state: &AppState, slug: &str) -> Result<i64, Response> {
    match on_server::public_action_id(&state.db, slug).await {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(no_action(state, slug).await),
        Err(error) => Err(failed(error)),
    }
}

/// 404, or 410 for an action about a person taken down.
async fn no_action(state: &AppState, slug: &str) -> Response {
    match crate::records::takedown::action_gone(&state.db, slug).await {
        Ok(true) => super::gone(),
        Ok(false) => problem(
            StatusCode::NOT_FOUND,
            format!("no public support action {slug:?}"),
        ),
        Err(error) => failed(error),
    }
}

/// One support action of a published person.
#[utoipa::path(
    get,
    path = "/api/v1/actions/{slug}",
    params(("slug" = String, Path, description = "The support action's slug"), LanguageQuery),
    responses(
        (status = 200, description = "The support action", body = SupportActionDetails),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "An unknown language", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No public support action has this slug", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The action is about a person whose case was taken down: drop what you kept of it", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The data cannot be read now", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn action(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    read: Result<Query<LanguageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (_, lang) = or_answer!(asked(read, &headers));
    let Ok(parsed) = Slug::parse(&slug) else {
        return no_action(&state, &slug).await;
    };
    match on_server::detail(&state.db, &parsed, lang).await {
        Ok(Some(a)) => open_json(
            &headers,
            &SupportActionDetails {
                slug: a.slug.to_string(),
                person: ActionPerson {
                    slug: a.person_slug.to_string(),
                    name: a.person_name,
                },
                title: a.title.into(),
                body_html: a.body_html.into(),
                addressee: a.addressee.into(),
                goal: a.goal,
                opens_on: a.opens_on.to_string(),
                deadline: a.closes_on.map(|d| d.to_string()),
                state: a.availability.into(),
                confirmed: a.confirmed,
                paper: a.paper,
                delivery: a.delivery.map(Into::into),
                no_answer: matches!(a.answer, Some(Answer::NoneBy(_))),
                response: match a.answer {
                    Some(Answer::Given(r)) => Some(ActionResponse {
                        responded_on: r.responded_on.to_string(),
                        summary: r.summary.into(),
                        body_html: r.body_html.map(Into::into),
                        source_url: r.source_url,
                    }),
                    _ => None,
                },
            },
        ),
        Ok(None) => no_action(&state, &slug).await,
        Err(error) => failed(error),
    }
}

/// A support action's confirmed count against its goal: small, for a
/// page that shows a live number. At most a second old (and cacheable for
/// a second).
#[utoipa::path(
    get,
    path = "/api/v1/actions/{slug}/count",
    params(("slug" = String, Path, description = "The support action's slug")),
    responses(
        (status = 200, description = "The count", body = ActionCount),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 404, description = "No public support action has this slug", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The action is about a person whose case was taken down: drop what you kept of it", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The data cannot be read now", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn action_count(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    match on_server::live_count(&state, &slug).await {
        Ok(Some((goal, confirmed, paper))) => open_json_for(
            &headers,
            &ActionCount {
                action: slug,
                goal,
                confirmed,
                paper,
            },
            "public, max-age=1",
        ),
        Ok(None) => no_action(&state, &slug).await,
        Err(error) => failed(error),
    }
}

/// The history's interval and page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// `hour` or `day` (UTC); `day` when not given.
    #[param(schema_with = super::contract::interval)]
    pub interval: Option<String>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// At most 1000; 1000 when not given.
    #[param(schema_with = super::contract::history_limit)]
    pub limit: Option<usize>,
}

/// The confirmed signatures of one interval.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPoint {
    /// When the interval starts, RFC 3339 in UTC.
    #[schema(example = "2026-11-30T00:00:00Z")]
    pub start: String,
    /// Signatures confirmed in the interval (still confirmed today).
    pub confirmed: i64,
    /// Paper signatures collected on the interval's day (counted in its
    /// first interval).
    pub paper: i64,
    /// Signatures counted, online and on paper, up to the end of the interval.
    pub cumulative: i64,
}

/// A page of an action's count history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub action: String,
    #[schema(example = "day")]
    pub interval: String,
    /// Intervals without a confirmed signature are left out.
    pub items: Vec<HistoryPoint>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}

/// The whole count history of a support action since it opened: confirmed
/// signatures per hour or per day. It is kept when the signers' details are
/// removed after the retention period.
#[utoipa::path(
    get,
    path = "/api/v1/actions/{slug}/history",
    params(("slug" = String, Path, description = "The support action's slug"), HistoryQuery),
    responses(
        (status = 200, description = "A page of the history", body = History),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "An unknown interval, a bad cursor or limit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No public support action has this slug", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The action is about a person whose case was taken down: drop what you kept of it", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The data cannot be read now", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn history(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    read: Result<Query<HistoryQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let q = or_answer!(query(read));
    let asked = q.interval.as_deref().unwrap_or("day");
    let Some(interval) = Interval::parse(asked) else {
        return problem(
            StatusCode::BAD_REQUEST,
            format!("no interval {asked:?}: hour or day"),
        );
    };
    let action_id = or_answer!(public_action(&state, &slug).await);
    let counts = or_answer!(
        on_server::counted_per_interval(&state.db, Some(action_id), interval)
            .await
            .map_err(failed)
    );
    let mut cumulative = 0;
    let points: Vec<HistoryPoint> = counts
        .into_iter()
        .map(|(_, start, confirmed, paper)| {
            cumulative += confirmed + paper;
            HistoryPoint {
                start: chrono::DateTime::from_timestamp(start, 0)
                    .unwrap_or_default()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                confirmed,
                paper,
                cumulative,
            }
        })
        .collect();
    let (items, next_cursor) =
        or_answer!(HISTORY_PAGING.page(points, |p| p.start.clone(), q.cursor.as_deref(), q.limit));
    open_json(
        &headers,
        &History {
            action: slug,
            interval: asked.to_owned(),
            items,
            next_cursor,
        },
    )
}

/// Confirmed signatures from one place or one country.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupCount {
    /// A municipality of the network (its name), a postcode area (its first
    /// two digits: `10xx`), or an ISO 3166-1 alpha-2 country code.
    #[schema(example = "1000")]
    pub name: String,
    pub confirmed: i64,
}

/// Where the signers of a support action are: by the municipality of the
/// network or the postcode area of the place they gave (anything else
/// counts as `other`), and by country. Groups of fewer than five signers
/// are merged into `other` so that nobody is picked out.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceCounts {
    pub action: String,
    /// All confirmed signatures.
    pub confirmed: i64,
    /// The size under which a group is merged into `other`.
    #[schema(example = 5)]
    pub smallest_group: i64,
    /// By the place signers gave, largest first.
    pub places: Vec<GroupCount>,
    pub places_other: i64,
    /// Not given, or removed with the signers' other details after the
    /// retention period.
    pub places_not_known: i64,
    /// By country, largest first.
    pub countries: Vec<GroupCount>,
    pub countries_other: i64,
    pub countries_not_known: i64,
}

/// Confirmed signatures by the signers' place and country.
#[utoipa::path(
    get,
    path = "/api/v1/actions/{slug}/places",
    params(("slug" = String, Path, description = "The support action's slug")),
    responses(
        (status = 200, description = "The counts by place and country", body = PlaceCounts),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 404, description = "No public support action has this slug", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The action is about a person whose case was taken down: drop what you kept of it", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The data cannot be read now", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn places(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let action_id = or_answer!(public_action(&state, &slug).await);
    let tally = or_answer!(on_server::confirmed_by_place(&state.db, action_id)
        .await
        .map_err(failed));
    let group = |(name, confirmed)| GroupCount { name, confirmed };
    let confirmed = tally.places.iter().map(|(_, n)| n).sum::<i64>()
        + tally.places_other
        + tally.places_not_known;
    open_json(
        &headers,
        &PlaceCounts {
            action: slug,
            confirmed,
            smallest_group: SMALLEST_PUBLIC_GROUP,
            places: tally.places.into_iter().map(group).collect(),
            places_other: tally.places_other,
            places_not_known: tally.places_not_known,
            countries: tally
                .countries
                .into_iter()
                .map(|(code, n)| group((code.to_string(), n)))
                .collect(),
            countries_other: tally.countries_other,
            countries_not_known: tally.countries_not_known,
        },
    )
}
