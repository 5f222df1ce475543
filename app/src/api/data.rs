//! `/data/*.csv`: the open data in bulk, for a spreadsheet or a notebook.
//! The same readers as the API and the pages, so the same rules: published
//! persons and events only, counts of confirmed signatures, never a signer.
//! Every file has a header row, is UTF-8, may be cached and read from any
//! origin, and names its licence in a `Link: <…>; rel="license"` header;
//! its columns are documented on `/api` (`OPEN_DATA_FILES`).
// A refusal is the response a request is answered with, made once per
// request and returned straight away: boxing it would buy nothing.
#![allow(clippy::result_large_err)]
use crate::api::actions::{on_server as actions, Interval};
use crate::api::persons::{on_server as persons, PersonFilter};
use crate::api::v1::{asked, failed, open_to_all, or_answer, problem, LanguageQuery};
use crate::api::OPEN_DATA_FILES;
use crate::server::{AppState, Licence};
use crate::text::{plain_text, spreadsheet_cell as cell};
use axum::extract::{rejection::QueryRejection, Query, State};
use axum::response::Response;
use http::{header, HeaderMap, HeaderValue};

fn header_of(file: &str) -> &'static [&'static str] {
    OPEN_DATA_FILES
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, columns)| *columns)
        .unwrap_or_default()
}

fn write_csv(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<String, Box<dyn std::error::Error>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(header)?;
    for row in rows {
        out.write_record(row)?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

/// A CSV file anyone may cache and reuse under the licence.
fn open_csv(
    headers: &HeaderMap,
    licence: &Licence,
    file: &str,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Response {
    let body = match write_csv(header_of(file), rows) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, file, "an open-data file cannot be written");
            return problem(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "the file cannot be written now".into(),
            );
        }
    };
    let mut response = open_to_all(
        headers,
        body,
        "text/csv; charset=utf-8; header=present",
        "public, max-age=60",
    );
    let out = response.headers_mut();
    if let Ok(disposition) = HeaderValue::from_str(&format!("inline; filename=\"{file}.csv\"")) {
        out.insert(header::CONTENT_DISPOSITION, disposition);
    }
    if let Ok(link) = HeaderValue::from_str(&format!("<{}>; rel=\"license\"", licence.url)) {
        out.insert(header::LINK, link);
    }
    response
}

/// Every published person.
pub async fn persons_csv(
    State(state): State<AppState>,
    read: Result<Query<LanguageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (_, lang) = or_answer!(asked(read, &headers));
    let all = or_answer!(persons::list(&state.db, &PersonFilter::default(), lang)
        .await
        .map_err(failed));
    let rows = all.into_iter().map(|p| {
        vec![
            p.slug.to_string(),
            cell(&p.full_name),
            p.country.map(|c| c.code.to_string()).unwrap_or_default(),
            p.current_status
                .map(|s| s.slug().to_owned())
                .unwrap_or_default(),
            p.rights
                .iter()
                .map(|r| r.category.slug())
                .collect::<Vec<_>>()
                .join(";"),
            p.municipalities
                .iter()
                .map(|m| m.slug.to_string())
                .collect::<Vec<_>>()
                .join(";"),
            p.summary
                .as_ref()
                .map(|s| cell(&plain_text(&s.text)))
                .unwrap_or_default(),
            p.summary
                .as_ref()
                .map(|s| s.lang.code().to_owned())
                .unwrap_or_default(),
            format!(
                "{}{}",
                state.public_url,
                lang.path(&format!("/persons/{}", p.slug), false)
            ),
        ]
    });
    open_csv(&headers, &state.open_data_licence, "persons", rows)
}

/// Every published event of every published person.
pub async fn timeline_csv(
    State(state): State<AppState>,
    read: Result<Query<LanguageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (_, lang) = or_answer!(asked(read, &headers));
    let events = or_answer!(persons::all_events(&state.db, lang).await.map_err(failed));
    let rows = events.into_iter().map(|e| {
        vec![
            e.person_slug.to_string(),
            e.occurred_on.to_string(),
            e.status.map(|s| s.slug().to_owned()).unwrap_or_default(),
            cell(&e.title.text),
            e.title.lang.code().to_owned(),
            e.source_title.map(|t| cell(&t.text)).unwrap_or_default(),
            e.source_url.map(|u| cell(&u)).unwrap_or_default(),
            e.from_partner.map(|p| cell(&p)).unwrap_or_default(),
        ]
    });
    open_csv(&headers, &state.open_data_licence, "timeline", rows)
}

/// Every support action of a published person, with its count.
pub async fn actions_csv(
    State(state): State<AppState>,
    read: Result<Query<LanguageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (_, lang) = or_answer!(asked(read, &headers));
    let all = or_answer!(actions::public_actions(&state.db, lang)
        .await
        .map_err(failed));
    let rows = all.into_iter().map(|a| {
        let state = super::v1::actions::ActionState::from(a.availability);
        vec![
            a.slug.to_string(),
            a.person_slug.to_string(),
            cell(&a.title.text),
            a.title.lang.code().to_owned(),
            cell(&a.addressee.text),
            a.addressee.lang.code().to_owned(),
            a.goal.to_string(),
            a.opens_on.to_string(),
            a.closes_on.map(|d| d.to_string()).unwrap_or_default(),
            state.name(),
            a.confirmed.to_string(),
            a.paper.to_string(),
        ]
    });
    open_csv(&headers, &state.open_data_licence, "actions", rows)
}

/// Signatures counted per action and day (UTC), confirmed online and
/// collected on paper, days without one left out.
pub async fn signature_history_csv(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let days = or_answer!(
        actions::counted_per_interval(&state.db, None, Interval::Day)
            .await
            .map_err(failed)
    );
    let mut running: Option<(String, i64)> = None;
    let rows: Vec<Vec<String>> = days
        .into_iter()
        .map(|(action, start, confirmed, paper)| {
            let before = match &running {
                Some((last, total)) if *last == action => *total,
                _ => 0,
            };
            let cumulative = before + confirmed + paper;
            running = Some((action.clone(), cumulative));
            let date = chrono::DateTime::from_timestamp(start, 0)
                .map(|t| t.date_naive().to_string())
                .unwrap_or_default();
            vec![
                action,
                date,
                confirmed.to_string(),
                cumulative.to_string(),
                paper.to_string(),
            ]
        })
        .collect();
    open_csv(
        &headers,
        &state.open_data_licence,
        "signature-history",
        rows,
    )
}
