//! An action's threshold: the count (confirmed online and on paper) at
//! which the staff of the municipality that runs it are told, once, that it
//! is time to deliver. Checked inside every write that can raise the count
//! (a confirmation, a paper batch) or lower the bar (setting a threshold),
//! in that write's transaction: the mail is queued with the change that
//! made the count reach it, and `threshold_reached_at`, set once, makes it
//! once.
//!
//! Two confirmations at once on PostgreSQL (READ COMMITTED) would each count
//! without the other's and neither see the threshold reached; each checker
//! first locks the action's row (`FOR NO KEY UPDATE`, which new signatures'
//! foreign-key checks do not wait for), so the second counts after the
//! first has committed. SQLite has one writer at a time: nothing to lock.
//! Only actions with a threshold still to reach are locked.
use crate::i18n::Locale;
use crate::server::outbox::{Enqueue, NewMail};

/// Locks action `id` against another threshold check until the
/// transaction ends.
pub trait LockAction {
    fn lock_action(
        &mut self,
        id: i64,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl LockAction for sqlx::SqliteConnection {
    /// A write transaction already holds the one write lock.
    async fn lock_action(&mut self, _id: i64) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

impl LockAction for sqlx::PgConnection {
    async fn lock_action(&mut self, id: i64) -> Result<(), sqlx::Error> {
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
            let waiting: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM support_actions
                  WHERE id = $1 AND threshold IS NOT NULL AND threshold_reached_at IS NULL",
            )
            .bind(id)
            .fetch_optional(&mut *self)
            .await?;
            if waiting.is_none() {
                return Ok(false);
            }
            self.lock_action(id).await?;
            let pending: Option<Pending> = sqlx::query_as(concat!(
                "SELECT a.slug, a.title, a.original_language, CAST(a.threshold AS BIGINT) AS threshold, ",
                crate::confirmed_count!(), " + ", crate::paper_count!(),
                " AS counted, a.municipality_id
                   FROM support_actions a
                  WHERE a.id = $1 AND a.threshold IS NOT NULL AND a.threshold_reached_at IS NULL"
            ))
            .bind(id)
            .fetch_optional(&mut *self)
            .await?;
            let Some(pending) = pending.filter(|p| p.counted >= p.threshold) else {
                return Ok(false);
            };
            let noted = sqlx::query(
                "UPDATE support_actions SET threshold_reached_at = $2 WHERE id = $1 AND threshold_reached_at IS NULL",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *self)
            .await?;
            if noted.rows_affected() == 0 {
                return Ok(false);
            }
            let mut recipients: Vec<String> = sqlx::query_scalar(
                "SELECT email FROM users WHERE role = 'council' AND municipality_id = $1 AND NOT disabled ORDER BY id",
            )
            .bind(pending.municipality_id)
            .fetch_all(&mut *self)
            .await?;
            if recipients.is_empty() {
                recipients = sqlx::query_scalar(
                    "SELECT email FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id",
                )
                .fetch_all(&mut *self)
                .await?;
            }
            let locale = Locale::from_code(&pending.original_language).unwrap_or_default();
            let (subject, body) = threshold_mail(locale, &pending, base_url);
            let mails = NewMail::to_each(&recipients, &subject, &body);
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
