//! The outbox: mail written in the same transaction as what it announces,
//! delivered later by a worker beside the web server. A mail is leased (its
//! next attempt pushed into the future) before delivery, so a crash or a second
//! instance never loses it and rarely sends it twice, and no lock is held while
//! a slow mail server answers. Failures back off exponentially.
//!
//! No live secret at rest (issue 28): a mail's text and its unsubscribe
//! address hold links (confirm, withdraw, unsubscribe, a password link) that
//! act for whoever holds them. Until it is sent, a mail keeps them sealed
//! with the data key (`server::data_key`), which is not in the database;
//! once sent, it keeps neither, nor its recipient's address (only its keyed
//! hash, `data_key::EmailIndex`): what a copy of the database shows of a mail is that it went.
use super::db::{BeginWrite, Db};
use crate::on_pool;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

use super::data_key::purpose::{
    OUTBOX_BODY as SEALED_BODY, OUTBOX_RECIPIENT as SEALED_RECIPIENT,
    OUTBOX_UNSUBSCRIBE as SEALED_UNSUBSCRIBE,
};

/// What RFC 8058 asks a one-click unsubscribe mail to say it accepts.
const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

/// Sent mail is kept this long (that it went, for support questions), then
/// deleted; so are the file mailer's files.
pub const SENT_MAIL_KEPT_SECONDS: i64 = 30 * 86_400;

/// How long a claimed mail stays hidden from other workers while it is delivered.
pub const LEASE_SECONDS: i64 = 300;
/// Back-off after a failure: 1 min, 2, 4 … capped at 6 h.
const MAX_BACKOFF_SECONDS: i64 = 6 * 3600;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutgoingMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub attempts: i32,
    /// The one-click unsubscribe address, for mail to people who asked for news.
    pub list_unsubscribe: Option<String>,
}

/// A mail to send, written in the same transaction as what it announces.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    /// Where a mail client's "unsubscribe" button posts (RFC 8058), for
    /// mail someone asked for and may stop; `None` for mail they must get.
    pub list_unsubscribe: Option<&'a str>,
    /// The person the mail is about, if any: a mail about a person whose
    /// case was taken down is never sent, even if queued before.
    pub about: Option<i64>,
}

impl<'a> NewMail<'a> {
    /// The same mail to each of `recipients`, none of whom may unsubscribe
    /// (a report, a notice to staff).
    pub fn to_each(recipients: &'a [String], subject: &'a str, body_text: &'a str) -> Vec<Self> {
        recipients
            .iter()
            .map(|recipient| NewMail {
                recipient,
                subject,
                body_text,
                list_unsubscribe: None,
                about: None,
            })
            .collect()
    }

    /// The same mails, about `person`.
    pub fn about(mails: Vec<Self>, person: i64) -> Vec<Self> {
        mails
            .into_iter()
            .map(|mail| NewMail {
                about: Some(person),
                ..mail
            })
            .collect()
    }
}

/// Queues a mail on a connection of either backend, inside the caller's
/// transaction: the one way every mail (confirmations, updates) is sent.
/// The columns of a mail as stored: recipient, body and unsubscribe address sealed.
struct Sealed {
    recipient: String,
    body_text: String,
    list_unsubscribe: Option<String>,
}

fn sealed(mails: &[NewMail<'_>]) -> Vec<Sealed> {
    let key = super::data_key::installed();
    mails
        .iter()
        .map(|mail| Sealed {
            recipient: key.seal(SEALED_RECIPIENT, mail.recipient),
            body_text: key.seal(SEALED_BODY, mail.body_text),
            list_unsubscribe: mail
                .list_unsubscribe
                .map(|url| key.seal(SEALED_UNSUBSCRIBE, url)),
        })
        .collect()
}

impl OutgoingMail {
    /// The mail as claimed, opened with the data key. A mail queued before
    /// sealing began is in clear, and sent as it is.
    fn opened(mut self) -> Result<Self, super::data_key::CannotOpen> {
        let key = super::data_key::installed();
        let open = |purpose, value| key.open_or_clear(purpose, value);
        self.recipient = open(SEALED_RECIPIENT, self.recipient)?;
        self.body_text = open(SEALED_BODY, self.body_text)?;
        self.list_unsubscribe = self
            .list_unsubscribe
            .map(|url| open(SEALED_UNSUBSCRIBE, url))
            .transpose()?;
        Ok(self)
    }
}

pub trait Enqueue {
    /// Several mails in one statement (a batch of signatures).
    fn enqueue_all(
        &mut self,
        mails: &[NewMail<'_>],
        now: i64,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

    fn enqueue(
        &mut self,
        mail: &NewMail<'_>,
        now: i64,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send {
        self.enqueue_all(std::slice::from_ref(mail), now)
    }
}

/// SQLite: a multi-row VALUES list.
impl Enqueue for sqlx::SqliteConnection {
    async fn enqueue_all(&mut self, mails: &[NewMail<'_>], now: i64) -> Result<(), sqlx::Error> {
        if mails.is_empty() {
            return Ok(());
        }
        let sealed = sealed(mails);
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO outbox (recipient, subject, body_text, created_at, next_attempt_at, list_unsubscribe, person_id) ",
        );
        insert.push_values(mails.iter().zip(&sealed), |mut row, (mail, sealed)| {
            row.push_bind(&sealed.recipient)
                .push_bind(mail.subject)
                .push_bind(&sealed.body_text)
                .push_bind(now)
                .push_bind(now)
                .push_bind(&sealed.list_unsubscribe)
                .push_bind(mail.about);
        });
        insert.build().execute(&mut *self).await.map(|_| ())
    }
}

/// PostgreSQL: arrays unnested, one statement text whatever the number of
/// mails (prepared once; a VALUES list would be parsed and planned again
/// for every batch size).
impl Enqueue for sqlx::PgConnection {
    async fn enqueue_all(&mut self, mails: &[NewMail<'_>], now: i64) -> Result<(), sqlx::Error> {
        if mails.is_empty() {
            return Ok(());
        }
        let sealed = sealed(mails);
        let column = |pick: fn(&NewMail<'_>) -> Option<String>| -> Vec<Option<String>> {
            mails.iter().map(pick).collect()
        };
        sqlx::query(
            "INSERT INTO outbox (recipient, subject, body_text, created_at, next_attempt_at, list_unsubscribe, person_id)
             SELECT recipient, subject, body_text, $4, $4, list_unsubscribe, person_id
               FROM UNNEST($1::text[], $2::text[], $3::text[], $5::text[], $6::bigint[])
                    AS m (recipient, subject, body_text, list_unsubscribe, person_id)",
        )
        .bind(
            sealed
                .iter()
                .map(|s| Some(s.recipient.clone()))
                .collect::<Vec<_>>(),
        )
        .bind(column(|m| Some(m.subject.to_owned())))
        .bind(
            sealed
                .iter()
                .map(|s| Some(s.body_text.clone()))
                .collect::<Vec<_>>(),
        )
        .bind(now)
        .bind(
            sealed
                .iter()
                .map(|s| s.list_unsubscribe.clone())
                .collect::<Vec<_>>(),
        )
        .bind(mails.iter().map(|m| m.about).collect::<Vec<_>>())
        .execute(&mut *self)
        .await
        .map(|_| ())
    }
}

/// Where mail goes. With no mail server configured, each mail becomes a file.
#[derive(Debug, Clone)]
pub enum Mailer {
    Files {
        dir: PathBuf,
    },
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub enum ExecutionOutcome {
    EmptyQueue,
    Delivered { id: i64 },
    Failed { id: i64, retry_at: i64 },
}

pub fn backoff_seconds(attempts: i32) -> i64 {
    let exponent = attempts.clamp(0, 20) as u32;
    (60_i64 << exponent).min(MAX_BACKOFF_SECONDS)
}

impl Mailer {
    /// An SMTP mailer from a URL such as `smtp://relay.example:587?tls=required`
    /// or `smtps://user:password@relay.example`. Errors never repeat the URL:
    /// it may hold a password.
    pub fn smtp(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP_URL is not a usable SMTP address: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("MAIL_FROM {from:?} is not a mail address: {e}"))?;
        Ok(Mailer::Smtp { transport, from })
    }

    /// The file mailer's files are the mail as delivered, links and all:
    /// they go when the outbox forgets a sent mail (`retention`), instead
    /// of staying for ever. Gives how many went.
    pub async fn forget_delivered(&self, now: i64) -> usize {
        let Mailer::Files { dir } = self else {
            return 0;
        };
        let oldest_kept = now - SENT_MAIL_KEPT_SECONDS;
        let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
            return 0;
        };
        let mut forgotten = 0;
        while let Ok(Some(entry)) = entries.next_entry().await {
            let path = entry.path();
            let written = entry
                .metadata()
                .await
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .and_then(|d| i64::try_from(d.as_secs()).ok());
            let is_mail = path.extension().is_some_and(|e| e == "eml");
            if is_mail
                && written.is_some_and(|at| at < oldest_kept)
                && tokio::fs::remove_file(&path).await.is_ok()
            {
                forgotten += 1;
            }
        }
        forgotten
    }

    async fn deliver(&self, mail: &OutgoingMail) -> Result<String, String> {
        match self {
            Mailer::Files { dir } => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| format!("{}: {e}", dir.display()))?;
                let path = dir.join(format!("{:08}.eml", mail.id));
                let unsubscribe = mail
                    .list_unsubscribe
                    .as_deref()
                    .map(|url| {
                        format!(
                            "List-Unsubscribe: <{url}>\r\nList-Unsubscribe-Post: {ONE_CLICK}\r\n"
                        )
                    })
                    .unwrap_or_default();
                let message = format!(
                    "To: {}\r\nSubject: {}\r\n{unsubscribe}Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                    mail.recipient, mail.subject, mail.body_text
                );
                tokio::fs::write(&path, message)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                // Without a mail server (`make run`), the log is how someone
                // trying the site finds the link. The link is a secret, but
                // in this mode the same link already sits in the file.
                let link = mail
                    .body_text
                    .split_whitespace()
                    .find(|word| word.contains("/signatures/confirm?token="));
                Ok(match link {
                    Some(link) => format!("{} (confirm: {link})", path.display()),
                    None => path.display().to_string(),
                })
            }
            Mailer::Smtp { transport, from } => {
                let to = mail
                    .recipient
                    .parse::<Mailbox>()
                    .map_err(|e| format!("recipient: {e}"))?;
                let mut message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(mail.subject.as_str());
                if let Some(url) = &mail.list_unsubscribe {
                    message = message
                        .raw_header(HeaderValue::new(
                            HeaderName::new_from_ascii_str("List-Unsubscribe"),
                            format!("<{url}>"),
                        ))
                        .raw_header(HeaderValue::new(
                            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                            ONE_CLICK.to_owned(),
                        ));
                }
                let message = message
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.body_text.clone())
                    .map_err(|e| format!("building the message: {e}"))?;
                let response = transport
                    .send(message)
                    .await
                    .map_err(|e| format!("SMTP: {e}"))?;
                Ok(format!(
                    "SMTP {}",
                    response.message().next().unwrap_or_default()
                ))
            }
        }
    }
}

/// At most this many mails are claimed at once: one lease and one "sent"
/// commit for the lot, which matters on SQLite, where each commit is an fsync
/// and the writer is shared with signing.
pub const CLAIM_BATCH: i64 = 64;

/// Claims the oldest due mail, delivers it, records the result. One step, so
/// tests can drive the worker deterministically. `now` is Unix seconds.
pub async fn try_execute_task(
    db: &Db,
    mailer: &Mailer,
    now: i64,
) -> Result<ExecutionOutcome, sqlx::Error> {
    let mut outcomes = deliver_due(db, mailer, now, 1).await?;
    Ok(outcomes.pop().unwrap_or(ExecutionOutcome::EmptyQueue))
}

/// Claims up to `limit` due mails, oldest first, delivers them one by one and
/// records the results: every success in one transaction, each failure with
/// its own back-off. An empty vector means the queue has nothing due.
pub async fn deliver_due(
    db: &Db,
    mailer: &Mailer,
    now: i64,
    limit: i64,
) -> Result<Vec<ExecutionOutcome>, sqlx::Error> {
    let claimed: Vec<OutgoingMail> = crate::claim!(
        db,
        "UPDATE outbox SET next_attempt_at = $2
          WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $1
                          -- Never a mail about a person taken down (issue 29): one
                          -- queued in a writer that read the person before the
                          -- take-down committed waits here, unsent.
                          AND (person_id IS NULL OR NOT EXISTS (
                              SELECT 1 FROM persons p WHERE p.id = outbox.person_id
                                 AND p.taken_down_at IS NOT NULL))
                        ORDER BY next_attempt_at, id LIMIT $3",
        ") RETURNING id, recipient, subject, body_text, attempts, list_unsubscribe",
        |query| query.bind(now).bind(now + LEASE_SECONDS).bind(limit)
    )?;
    let mut claimed = claimed;
    claimed.sort_by_key(|mail| mail.id);
    let mut outcomes = Vec::with_capacity(claimed.len());
    let mut delivered = Vec::new();
    for mail in claimed {
        let (id, attempts) = (mail.id, mail.attempts);
        let sent = match mail.opened() {
            Ok(mail) => mailer
                .deliver(&mail)
                .await
                .map(|place| (place, recipient_hash(&mail.recipient))),
            // Retried: the right key may be given at the next start.
            Err(error) => Err(format!("{error}: is DATA_KEY the one it was queued with?")),
        };
        match sent {
            Ok((place, recipient_hash)) => {
                tracing::info!(mail = id, %place, "mail delivered");
                delivered.push((id, recipient_hash));
                outcomes.push(ExecutionOutcome::Delivered { id });
            }
            Err(error) => {
                let error = without_addresses(&error);
                let retry_at = now + backoff_seconds(attempts);
                on_pool!(db, |pool| {
                    sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1"
                )
                .bind(id)
                .bind(&error)
                .bind(retry_at)
                .execute(pool)
                .await
                .map(|_| ())
                })?;
                tracing::warn!(mail = id, %error, retry_at, "mail delivery failed");
                outcomes.push(ExecutionOutcome::Failed { id, retry_at });
            }
        }
    }
    if !delivered.is_empty() {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            // What went keeps nothing of its text, links or address.
            for (id, recipient_hash) in &delivered {
                sqlx::query(
                    "UPDATE outbox SET sent_at = $2, attempts = attempts + 1, recipient = $3,
                            body_text = '', list_unsubscribe = NULL
                      WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .bind(recipient_hash)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        })?;
    }
    Ok(outcomes)
}

/// What a sent mail keeps of its address: the keyed hash of the canonical
/// address, the one signatures and data requests are found by (so that an
/// erasure finds it too).
fn recipient_hash(recipient: &str) -> String {
    let canonical = crate::domain::Email::parse(recipient)
        .map(|email| email.canonical())
        .unwrap_or_else(|_| recipient.to_lowercase());
    super::data_key::email_index().of(&canonical)
}

/// A delivery error as kept and logged: a mail server's refusal often
/// repeats the address ("550 5.1.1 <x@y>: Recipient address rejected"),
/// which must not sit in clear in the outbox or the logs.
fn without_addresses(error: &str) -> String {
    error
        .split(' ')
        .map(|word| {
            if word.contains('@') {
                "<address>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Delivers mail until `shutdown` resolves; idles a second when the queue is empty.
pub async fn run_worker_until_stopped(
    db: Db,
    mailer: Mailer,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut shutdown = shutdown;
    let mut files_checked_at: Option<i64> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let now = super::clock::now();
        if files_checked_at.is_none_or(|at| now - at >= 3600) {
            files_checked_at = Some(now);
            let forgotten = mailer.forget_delivered(now).await;
            if forgotten > 0 {
                tracing::info!(forgotten, "old mail files removed");
            }
        }
        let idle = match deliver_due(&db, &mailer, now, CLAIM_BATCH).await {
            Ok(outcomes) => outcomes.is_empty(),
            Err(error) => {
                tracing::error!(%error, "outbox worker: database error");
                true
            }
        };
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_delivery_error_keeps_no_address() {
        assert_eq!(
            super::without_addresses("550 5.1.1 <Amelie@Example.org>: Recipient address rejected"),
            "550 5.1.1 <address> Recipient address rejected"
        );
        assert_eq!(
            super::without_addresses("connection refused"),
            "connection refused"
        );
    }

    use super::backoff_seconds;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_seconds(0), 60);
        assert_eq!(backoff_seconds(1), 120);
        assert_eq!(backoff_seconds(3), 480);
        assert_eq!(backoff_seconds(30), 6 * 3600);
        assert_eq!(backoff_seconds(-1), 60);
    }
}
