//! Personal data is kept only as long as needed: the signatures of closed
//! actions are anonymised after the retention period (counts stay), and sent
//! mail is deleted after a month. Run hourly beside the web server.
use super::store::SignError;
use crate::on_pool;
use crate::server::db::Db;

/// What one retention pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    pub anonymised: u64,
    pub mails_forgotten: u64,
}

/// Sent mail is kept this long (for support questions), then deleted:
/// it holds the address and the links.
pub const SENT_MAIL_KEPT_SECONDS: i64 = 30 * 86_400;

/// Anonymises the signatures of actions closed (by hand or by their
/// deadline) more than `retention_days` ago: name, email, place, address
/// and token go; state, country and dates stay, so every count stays.
/// Also deletes sent mail older than `SENT_MAIL_KEPT_SECONDS`.
pub async fn apply_retention(
    db: &Db,
    retention_days: u32,
    now: i64,
) -> Result<Retention, SignError> {
    let cutoff = now - i64::from(retention_days) * 86_400;
    let cutoff_day = chrono::DateTime::from_timestamp(cutoff, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let anonymised = on_pool!(db, |pool| {
        sqlx::query(
            "UPDATE signatures
            SET name = '', canonical_email = 'anonymised:' || id, place = NULL, client_ip = NULL,
                token_hash = 'anonymised:' || id, show_name = FALSE, keep_informed = FALSE,
                anonymised = TRUE
          WHERE anonymised = FALSE AND action_id IN (
                SELECT id FROM support_actions
                 WHERE (is_open = FALSE AND closed_at <= $1) OR closes_on < $2)",
        )
        .bind(cutoff)
        .bind(cutoff_day)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    let mails_forgotten = on_pool!(db, |pool| sqlx::query(
        "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1"
    )
    .bind(now - SENT_MAIL_KEPT_SECONDS)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(Retention {
        anonymised,
        mails_forgotten,
    })
}
