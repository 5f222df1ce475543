//! Personal data is kept only as long as needed (the privacy notice says the
//! same, with the configured number of days). One pass, run hourly beside
//! the web server:
//! - signatures never confirmed are deleted after `UNCONFIRMED_DAYS`;
//! - withdrawn signatures are anonymised after `WITHDRAWN_DAYS`;
//! - the network address a signature came from is erased after `ADDRESS_DAYS`;
//! - the signatures of an action closed (by hand or by its deadline) more
//!   than `retention_days` ago are anonymised; reopening an action does not
//!   restart that clock for the signatures made before its first closing;
//! - an action that is never closed keeps a signature at most
//!   `KEPT_AT_MOST_DAYS`: then it is anonymised too;
//! - sent mail is deleted after `SENT_MAIL_KEPT_SECONDS`, and mail that could
//!   not be delivered for `UNDELIVERABLE_DAYS` is given up and deleted;
//! - a follow of a case (`follows`) never confirmed is deleted after
//!   `UNCONFIRMED_DAYS`, and a confirmed one after `KEPT_AT_MOST_DAYS`
//!   (the follower may ask again).
//!
//! Anonymising erases name, email, place, address and token; state, country
//! and dates stay, so every count stays.
use super::store::SignError;
use crate::on_pool;
use crate::server::db::Db;

pub const UNCONFIRMED_DAYS: i64 = 7;
pub const WITHDRAWN_DAYS: i64 = 7;
pub const ADDRESS_DAYS: i64 = 30;
/// Two years: a campaign that runs longer asks its signers again.
pub const KEPT_AT_MOST_DAYS: i64 = 730;
pub const UNDELIVERABLE_DAYS: i64 = 7;
/// How long the staff's log keeps a request for one's data (its date,
/// language and outcome; the address goes when the link ends): enough to
/// show, years on, that each was answered.
pub const DATA_REQUESTS_LOGGED_DAYS: i64 = 3 * 365;
pub use crate::server::outbox::SENT_MAIL_KEPT_SECONDS;
const DAY: i64 = 86_400;

/// What one retention pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    pub anonymised: u64,
    pub unconfirmed_deleted: u64,
    pub addresses_erased: u64,
    pub mails_forgotten: u64,
    pub mails_given_up: u64,
    pub follows_deleted: u64,
}

/// The one way a signature is anonymised (here, and when its signer asks:
/// `privacy`); `$which` picks which.
macro_rules! anonymise {
    ($which:literal) => {
        concat!(
            "UPDATE signatures
                SET name = '', email_hash = 'anonymised:' || id, email_sealed = NULL, place = NULL, client_ip = NULL,
                    token_hash = 'anonymised:' || id, show_name = FALSE, keep_informed = FALSE,
                    anonymised = TRUE
              WHERE anonymised = FALSE AND ",
            $which
        )
    };
}
pub(crate) use anonymise;

/// One pass over everything personal that is due to go.
pub async fn apply_retention(
    db: &Db,
    retention_days: u32,
    now: i64,
) -> Result<Retention, SignError> {
    let cutoff = now - i64::from(retention_days) * DAY;
    let cutoff_day = chrono::DateTime::from_timestamp(cutoff, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let run = |sql: &'static str, at: i64| async move {
        on_pool!(db, |pool| sqlx::query(sql)
            .bind(at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
    };
    let closed = on_pool!(db, |pool| {
        sqlx::query(anonymise!(
        "EXISTS (SELECT 1 FROM support_actions a
                  WHERE a.id = signatures.action_id
                    AND ((a.is_open = FALSE AND a.closed_at <= $1) OR a.closes_on < $2
                         OR (a.first_closed_at <= $1 AND signatures.created_at <= a.first_closed_at)))"
    ))
    .bind(cutoff)
    .bind(cutoff_day)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?;
    let withdrawn = run(
        anonymise!("state = 'withdrawn' AND created_at < $1"),
        now - WITHDRAWN_DAYS * DAY,
    )
    .await?;
    let too_old = run(anonymise!("created_at < $1"), now - KEPT_AT_MOST_DAYS * DAY).await?;
    let unconfirmed_deleted = run(
        "DELETE FROM signatures WHERE state = 'pending' AND created_at < $1",
        now - UNCONFIRMED_DAYS * DAY,
    )
    .await?;
    let addresses_erased = run(
        "UPDATE signatures SET client_ip = NULL WHERE client_ip IS NOT NULL AND created_at < $1",
        now - ADDRESS_DAYS * DAY,
    )
    .await?;
    let follows_deleted = run(
        "DELETE FROM follows WHERE state = 'pending' AND created_at < $1",
        now - UNCONFIRMED_DAYS * DAY,
    )
    .await?
        + run(
            "DELETE FROM follows WHERE state = 'confirmed' AND confirmed_at < $1",
            now - KEPT_AT_MOST_DAYS * DAY,
        )
        .await?;
    // A stop-the-news link holds an address: it goes when no signature of
    // that address for that person keeps its personal data (an anonymised
    // one has no address any more), nor a confirmed follow of the person
    // (anyone may ask for a follow of any address).
    run(
        "DELETE FROM unsubscribe_links
          WHERE created_at < $1
             OR (NOT EXISTS (SELECT 1 FROM signatures s JOIN support_actions a ON a.id = s.action_id
                              WHERE s.email_hash = unsubscribe_links.email_hash
                                AND a.person_id = unsubscribe_links.person_id)
                 AND NOT EXISTS (SELECT 1 FROM follows f
                                  WHERE f.email_hash = unsubscribe_links.email_hash
                                    AND f.person_id = unsubscribe_links.person_id
                                    AND f.state = 'confirmed'))",
        now - KEPT_AT_MOST_DAYS * DAY,
    )
    .await?;
    // A request for one's data keeps the address (sealed, and its hash)
    // while its link works; the log of when it came, for three years.
    run(
        "UPDATE data_requests SET email_hash = NULL, email_sealed = NULL, token_hash = NULL
          WHERE expires_at < $1 AND (email_hash IS NOT NULL OR token_hash IS NOT NULL)",
        now,
    )
    .await?;
    run(
        "DELETE FROM data_requests WHERE requested_at < $1",
        now - DATA_REQUESTS_LOGGED_DAYS * DAY,
    )
    .await?;
    let mails_forgotten = run(
        "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1",
        now - SENT_MAIL_KEPT_SECONDS,
    )
    .await?;
    // Still undelivered after days of tries: the address is wrong or dead,
    // and the mail holds it and a link.
    let mails_given_up = run(
        "DELETE FROM outbox WHERE sent_at IS NULL AND created_at < $1",
        now - UNDELIVERABLE_DAYS * DAY,
    )
    .await?;
    Ok(Retention {
        anonymised: closed + withdrawn + too_old,
        unconfirmed_deleted,
        addresses_erased,
        mails_forgotten,
        mails_given_up,
        follows_deleted,
    })
}
