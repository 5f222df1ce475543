//! An action's threshold: the count (confirmed online and on paper) at
//! which the staff of the municipality that runs it are told, once, that it
//! is time to deliver. Checked inside every write that can raise the count
//! (a confirmation, a paper batch) or lower the bar (setting a threshold),
//! in that write's transaction: the mail is queued with the change that
//! made the count reach it, and the notice row (`threshold_notices`,
//! written once) makes it once.
//!
//! Two confirmations at once on PostgreSQL (READ COMMITTED) would each count
//! without the other's and neither see the threshold reached; each checker
//! first takes a transaction-scoped advisory lock on the action, so the
//! second counts after the first has committed. An advisory lock, not the
//! action's row: row locks are taken by deliveries and edits in an order of
//! their own, and mixing the two could deadlock. SQLite has one writer at a
//! time: nothing to lock. Only actions with a threshold still to reach,
//! and not delivered, are locked.
//!
//! Also here, the one lock a confirmation and a delivery agree on: a
//! confirmation holds its action's row in share (`FOR SHARE`) while it
//! counts, a delivery holds it exclusively (`FOR NO KEY UPDATE`) before it
//! takes the counts handed over; so no signature is confirmed after a
//! delivery that did not count it. Neither blocks new signatures, whose
//! foreign-key check takes only `FOR KEY SHARE`.
use crate::i18n::Locale;
use crate::records::owners::AnsweringFor;
use crate::server::outbox::{Enqueue, NewMail};

/// Row and advisory locks on a support action, until the transaction ends.
/// On SQLite, a write transaction already holds the one write lock: each
/// is nothing.
pub trait LockAction {
    /// Against another threshold check of the same action.
    fn lock_threshold(
        &mut self,
        id: i64,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

    /// A confirmation: the action is not delivered under it.
    fn share_action(
        &mut self,
        id: i64,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

    /// A delivery, a paper batch or a reopening: waits for confirmations in
    /// flight, holds off new ones and the others of the action.
    fn hold_action(
        &mut self,
        id: i64,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl LockAction for sqlx::SqliteConnection {
    async fn lock_threshold(&mut self, _id: i64) -> Result<(), sqlx::Error> {
        Ok(())
    }

    async fn share_action(&mut self, _id: i64) -> Result<(), sqlx::Error> {
        Ok(())
    }

    async fn hold_action(&mut self, _id: i64) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

/// Advisory locks of this kind are told apart from any other by this key.
const THRESHOLD_LOCK: i32 = 0x4c55_0001;

impl LockAction for sqlx::PgConnection {
    async fn lock_threshold(&mut self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_advisory_xact_lock($1, CAST($2 AS INTEGER))")
            .bind(THRESHOLD_LOCK)
            .bind(i32::try_from(id).unwrap_or(i32::MAX))
            .execute(&mut *self)
            .await
            .map(|_| ())
    }

    async fn share_action(&mut self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT id FROM support_actions WHERE id = $1 FOR SHARE")
            .bind(id)
            .execute(&mut *self)
            .await
            .map(|_| ())
    }

    /// The render cache's counter first, as every writer of a watched table
    /// takes it (its triggers), then the row: one order, no deadlock.
    async fn hold_action(&mut self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE content_version SET version = version + 1")
            .execute(&mut *self)
            .await?;
        sqlx::query("SELECT id FROM support_actions WHERE id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .execute(&mut *self)
            .await
            .map(|_| ())
    }
}

#[derive(sqlx::FromRow)]
struct Pending {
    slug: String,
    title: String,
    original_language: String,
    threshold: i64,
    counted: i64,
    municipality_id: Option<i64>,
    person_id: i64,
}

pub trait CheckThreshold {
    /// Inside the caller's write transaction, after its change: if action
    /// `id`'s count has reached its threshold for the first time, notes
    /// when and queues the mail to its municipality's council members
    /// (else to the administrators). Gives whether it did.
    fn check_threshold(
        &mut self,
        id: i64,
        base_url: &str,
        now: i64,
    ) -> impl std::future::Future<Output = Result<bool, sqlx::Error>> + Send;
}

crate::impl_for_connections! {
    impl CheckThreshold {
        async fn check_threshold(&mut self, id: i64, base_url: &str, now: i64) -> Result<bool, sqlx::Error> {
            // Most writes end here, reading one row and locking nothing.
            let waiting: Option<i64> = sqlx::query_scalar(concat!(
                "SELECT a.id FROM support_actions a
                  WHERE a.id = $1 AND a.threshold IS NOT NULL AND NOT ",
                crate::delivered!(),
                " AND NOT EXISTS (SELECT 1 FROM threshold_notices n WHERE n.action_id = a.id)"
            ))
            .bind(id)
            .fetch_optional(&mut *self)
            .await?;
            if waiting.is_none() {
                return Ok(false);
            }
            self.lock_threshold(id).await?;
            let pending: Option<Pending> = sqlx::query_as(concat!(
                "SELECT a.slug, a.title, a.original_language, CAST(a.threshold AS BIGINT) AS threshold, ",
                crate::confirmed_count!(), " + ", crate::paper_count!(),
                " AS counted, a.municipality_id, a.person_id
                   FROM support_actions a
                  WHERE a.id = $1 AND a.threshold IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM threshold_notices n WHERE n.action_id = a.id)"
            ))
            .bind(id)
            .fetch_optional(&mut *self)
            .await?;
            let Some(pending) = pending.filter(|p| p.counted >= p.threshold) else {
                return Ok(false);
            };
            let noted = sqlx::query(
                "INSERT INTO threshold_notices (action_id, reached_at) VALUES ($1, $2) ON CONFLICT (action_id) DO NOTHING",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *self)
            .await?;
            if noted.rows_affected() == 0 {
                return Ok(false);
            }
            let recipients = self.answering_for(pending.municipality_id).await?;
            let locale = Locale::from_code(&pending.original_language).unwrap_or_default();
            let (subject, body) = threshold_mail(locale, &pending, base_url);
            let mails = NewMail::about(NewMail::to_each(&recipients, &subject, &body), pending.person_id);
            self.enqueue_all(&mails, now).await?;
            Ok(true)
        }
    }
}

/// The mail that says it is time to deliver, in the action's language.
fn threshold_mail(locale: Locale, pending: &Pending, base_url: &str) -> (String, String) {
    let url = format!(
        "{}{}",
        base_url.trim_end_matches('/'),
        locale.path(&format!("/staff/actions/{}", pending.slug), false)
    );
    let fill = |text: String| {
        text.replace("%{title}", &pending.title)
            .replace("%{threshold}", &locale.number(pending.threshold))
            .replace("%{count}", &locale.number(pending.counted))
            .replace("%{url}", &url)
    };
    (
        fill(locale.t("mail.threshold_subject")),
        fill(locale.t("mail.threshold_body")),
    )
}
