//! Confirmed signatures as CSV, for delivery to an action's addressee: from
//! the command line (`server export-signatures`) or from the action's staff
//! page, for a council member of a municipality that adopted the person.
//! A download from the page is written to the audit log (personal data left
//! the site), in the same transaction that reads the signatures.
use super::audit::{AuditEntry, RecordAudit};
use super::db::BeginWrite;
use super::sessions::{user_for_token, SESSION_COOKIE};
use super::AppState;
use crate::api::signatures::queries::DeliveredSignature;
use crate::domain::Role;
use crate::on_pool;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};

/// The delivery CSV. A cell that a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, tab, carriage return first) gets a leading apostrophe:
/// signers' names are typed by anyone.
pub fn signatures_csv(rows: &[DeliveredSignature]) -> Result<Vec<u8>, csv::Error> {
    fn cell(value: &str) -> String {
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{value}")
        } else {
            value.to_owned()
        }
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "name",
        "municipality_or_postcode",
        "country",
        "confirmed_at",
    ])?;
    for row in rows {
        let confirmed = chrono::DateTime::from_timestamp(row.confirmed_at, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        out.write_record([
            cell(&row.name),
            cell(row.place.as_deref().unwrap_or("")),
            row.country_code.clone().unwrap_or_default(),
            confirmed,
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// `GET /staff/actions/{slug}/signatures.csv`.
pub async fn download(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let now = super::outbox::unix_now();
    let token = super::cookies::value(&headers, SESSION_COOKIE);
    let user = match token {
        Some(token) => match user_for_token(&state.db, token, now).await {
            Ok(user) => user,
            Err(error) => {
                tracing::error!(%error, "cannot read the session");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        },
        None => None,
    };
    let Some(user) = user else {
        let next = format!("/staff/actions/{slug}/signatures.csv");
        let login = format!(
            "/staff/login?next={}",
            percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
        );
        return (StatusCode::FOUND, [(header::LOCATION, login)]).into_response();
    };
    let Some(municipality) = user
        .municipality
        .as_ref()
        .filter(|_| user.role == Role::Council)
    else {
        return (
            StatusCode::FORBIDDEN,
            "only council members export signatures",
        )
            .into_response();
    };
    let municipality = municipality.slug.as_str().to_owned();
    let result = on_pool!(&state.db, |pool| {
        async {
            let mut tx = pool.begin_write().await?;
            let action: Option<(i64, i64)> = sqlx::query_as(
                "SELECT a.id, (SELECT COUNT(*) FROM adoptions d JOIN municipalities m ON m.id = d.municipality_id
                                WHERE d.person_id = a.person_id AND m.slug = $2)
                   FROM support_actions a WHERE a.slug = $1",
            )
            .bind(&slug)
            .bind(&municipality)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, adopted)) = action else {
                return Ok::<_, sqlx::Error>(Err(StatusCode::NOT_FOUND));
            };
            if adopted == 0 {
                return Ok(Err(StatusCode::FORBIDDEN));
            }
            let rows: Vec<DeliveredSignature> = sqlx::query_as(
                "SELECT s.name, s.place, s.country_code, s.confirmed_at
                   FROM signatures s
                  WHERE s.action_id = $1 AND s.state = 'confirmed' AND s.confirmed_at IS NOT NULL
                  ORDER BY s.confirmed_at, s.id",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            let entry = AuditEntry::new(Some(user.id), "support_action.export", "support_action", id)
                .after(&serde_json::json!({ "signatures": rows.len() }));
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok(Ok(rows))
        }
        .await
    });
    let rows = match result {
        Ok(Ok(rows)) => rows,
        Ok(Err(status)) => return status.into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot export signatures");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match signatures_csv(&rows) {
        Ok(csv) => {
            let disposition = format!("attachment; filename=\"{slug}-signatures.csv\"");
            let mut response = csv.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error) => {
            tracing::error!(%error, "cannot write the CSV");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
