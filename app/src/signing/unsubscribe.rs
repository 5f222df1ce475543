//! Stopping the news a signer asked for. Every update mail carries its own
//! link (`records::timeline::UnsubscribeLinks`): opening the page changes
//! nothing (mail scanners open links), its button does; mail clients post to
//! the one-click address the mail's `List-Unsubscribe` header gives (RFC
//! 8058). Either stops news about that person to that address, on every
//! action for the person it signed, and ends its follow of the case
//! (`follows`) if it had one; asking twice answers the same.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the page of a link shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionView {
    /// `None` when the case was taken down (issue 29): the signer may
    /// still stop the news, but the page names nobody.
    pub person_name: Option<String>,
    /// Whether news about the person still goes to the address.
    pub subscribed: bool,
    /// Where the page's button posts: the one-click address of this link.
    pub stop_address: String,
}

/// The subscription behind a link, if the link is known. Reading changes nothing.
#[server]
pub async fn news_subscription(token: String) -> Result<Option<SubscriptionView>, AppError> {
    let db = crate::server::context::db()?;
    Ok(on_server::subscription(&db, &token).await?)
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::records::timeline::{ONE_CLICK_UNSUBSCRIBE, UNSUBSCRIBE_PAGE};
    use crate::server::db::{BeginWrite, Db};
    use crate::server::tokens::token_hash;

    #[derive(sqlx::FromRow)]
    struct LinkRow {
        email_hash: String,
        person_id: i64,
        full_name: String,
        taken_down: bool,
    }

    macro_rules! link_row {
        ($conn:expr, $token:expr) => {
            sqlx::query_as::<_, LinkRow>(concat!(
                "SELECT l.email_hash, l.person_id, p.full_name, ",
                crate::taken_down!("p"),
                " AS taken_down
                       FROM unsubscribe_links l JOIN persons p ON p.id = l.person_id
                      WHERE l.token_hash = $1"
            ))
            .bind(token_hash($token))
            .fetch_optional($conn)
            .await
        };
    }

    pub async fn subscription(
        db: &Db,
        token: &str,
    ) -> Result<Option<SubscriptionView>, sqlx::Error> {
        on_pool!(db, |pool| {
            let Some(link) = link_row!(pool, token)? else {
                return Ok(None);
            };
            let subscribed: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM signatures s JOIN support_actions a ON a.id = s.action_id
                                 WHERE s.email_hash = $1 AND a.person_id = $2 AND s.keep_informed)
                     OR EXISTS (SELECT 1 FROM follows f
                                 WHERE f.email_hash = $1 AND f.person_id = $2 AND f.state = 'confirmed')",
            )
            .bind(&link.email_hash)
            .bind(link.person_id)
            .fetch_one(pool)
            .await?;
            Ok(Some(SubscriptionView {
                person_name: (!link.taken_down).then_some(link.full_name),
                subscribed,
                stop_address: format!(
                    "{ONE_CLICK_UNSUBSCRIBE}?token={}",
                    crate::server::context::encode_query(token)
                ),
            }))
        })
    }

    /// Stops news about the link's person to the link's address; returns
    /// whether the link is known.
    #[tracing::instrument(skip_all)]
    pub async fn unsubscribe(db: &Db, token: &str) -> Result<bool, sqlx::Error> {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let Some(link) = link_row!(&mut *tx, token)? else {
                return Ok(false);
            };
            let stopped = sqlx::query(
                "UPDATE signatures SET keep_informed = FALSE
                  WHERE email_hash = $1 AND keep_informed
                    AND action_id IN (SELECT id FROM support_actions WHERE person_id = $2)",
            )
            .bind(&link.email_hash)
            .bind(link.person_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // Nothing of a follow is worth keeping once its news stops.
            let follows =
                sqlx::query("DELETE FROM follows WHERE email_hash = $1 AND person_id = $2")
                    .bind(&link.email_hash)
                    .bind(link.person_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            tx.commit().await?;
            tracing::info!(
                person = link.person_id,
                signatures = stopped,
                follows,
                "news stopped"
            );
            Ok(true)
        })
    }

    #[derive(Debug, Deserialize)]
    pub struct OneClick {
        token: String,
        /// Given by the page's button: back to the page, in its language.
        lang: Option<String>,
    }

    /// `POST /api/unsubscribe?token=…`: a mail client's one-click
    /// unsubscribe (its body, `List-Unsubscribe=One-Click`, says nothing
    /// more), or the page's button (`&lang=…`: back to the page, which then
    /// says the news stopped).
    pub async fn one_click(
        axum::extract::State(state): axum::extract::State<crate::server::AppState>,
        axum::extract::Query(query): axum::extract::Query<OneClick>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        use http::{header, StatusCode};
        match unsubscribe(&state.db, &query.token).await {
            Ok(known) => match query.lang.as_deref().map(Locale::from_code) {
                Some(locale) => {
                    let page = format!(
                        "{}?token={}",
                        locale.unwrap_or_default().path(UNSUBSCRIBE_PAGE, false),
                        crate::server::context::encode_query(&query.token)
                    );
                    (StatusCode::SEE_OTHER, [(header::LOCATION, page)]).into_response()
                }
                None if known => (StatusCode::OK, "unsubscribed").into_response(),
                None => (StatusCode::NOT_FOUND, "unknown link").into_response(),
            },
            Err(error) => AppError::from(error).status().into_response(),
        }
    }
}
