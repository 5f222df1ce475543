//! Status events, the facts of a person's timeline: their one order, a
//! person's current status, their one write, and their publication. Staff
//! updates, the feed inbox, trusted feeds and the demo data write through
//! here; the public pages, the staff pages and the outgoing feeds read in
//! this order. A rule of case records every feature shares: here, not in
//! any one feature.
use crate::domain::{PartialDate, Status, StatusEventRecord, Translatable};
use crate::i18n::Locale;
use crate::server::audit::{Actor, AuditEntry, RecordAudit};
use crate::server::outbox::{Enqueue, NewMail};
use crate::server::tokens::{new_token, token_hash};

/// Partial dates oldest first, on the status event table alias `$e`: a year
/// sorts before the months in it, a month before its days (as `PartialDate`
/// does), then the order of writing. Written with `COALESCE` because the two
/// backends put NULL at opposite ends of a sort.
#[macro_export]
macro_rules! oldest_first {
    ($e:literal) => {
        concat!(
            $e,
            ".occurred_year, COALESCE(",
            $e,
            ".occurred_month, 0), COALESCE(",
            $e,
            ".occurred_day, 0), ",
            $e,
            ".id"
        )
    };
}

/// Partial dates newest first: `oldest_first!` reversed.
#[macro_export]
macro_rules! newest_first {
    ($e:literal) => {
        concat!(
            $e,
            ".occurred_year DESC, COALESCE(",
            $e,
            ".occurred_month, 0) DESC, COALESCE(",
            $e,
            ".occurred_day, 0) DESC, ",
            $e,
            ".id DESC"
        )
    };
}

/// A person's current status, for the person table alias `$p`: the status
/// of their latest published event that sets one.
#[macro_export]
macro_rules! current_status {
    ($p:literal) => {
        concat!(
            "(SELECT e.status FROM status_events e WHERE e.person_id = ",
            $p,
            ".id AND e.is_published AND e.status IS NOT NULL ORDER BY ",
            $crate::newest_first!("e"),
            " LIMIT 1)"
        )
    };
}

/// Where a status event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// Written by staff, or the demo data.
    Manual,
    /// Taken from a partner's feed entry.
    Feed { entry: i64 },
}

impl Provenance {
    fn stored(self) -> (&'static str, Option<i64>) {
        match self {
            Provenance::Manual => ("manual", None),
            Provenance::Feed { entry } => ("feed", Some(entry)),
        }
    }
}

/// A status event to write. Text is sanitized by the caller, on the way in.
#[derive(Debug, Clone)]
pub struct NewStatusEvent<'a> {
    pub person_id: i64,
    pub status: Option<Status>,
    pub occurred_on: PartialDate,
    pub title: &'a str,
    pub body_html: Option<&'a str>,
    pub source_title: Option<&'a str>,
    pub source_url: Option<&'a str>,
    pub provenance: Provenance,
    /// The staff member who wrote it.
    pub author: Option<i64>,
    /// Published as it is written (the demo data, a trusted feed) and counted
    /// as announced: nobody is mailed about it. Otherwise a draft.
    pub published: bool,
    /// The language the title, body and source title are written in.
    pub original_language: Locale,
}

/// The writes and reads of status events, on a connection of either backend
/// (inside the caller's transaction).
pub trait Timeline {
    /// Writes a status event; returns its id.
    fn insert_status_event(
        &mut self,
        event: &NewStatusEvent<'_>,
        now: i64,
    ) -> impl std::future::Future<Output = Result<i64, sqlx::Error>> + Send;

    /// The event as stored, drafts included.
    fn status_event_record(
        &mut self,
        id: i64,
    ) -> impl std::future::Future<Output = Result<Option<StatusEventRecord>, sqlx::Error>> + Send;

    /// Publishes (or unpublishes) a status event, which changes the person's
    /// timeline and current status at once, and audits it. The first
    /// publication also queues the mail to each signer of the person's
    /// actions who asked to be kept informed, in their language, unless the
    /// person is not public (nothing is said about a case that is not).
    /// `None`: no such event.
    fn set_published(
        &mut self,
        actor: Actor,
        id: i64,
        publish: bool,
        now: i64,
        base_url: &str,
    ) -> impl std::future::Future<Output = Result<Option<()>, sqlx::Error>> + Send;
}

/// Why an address gets news of a case: the mail says so, above its link
/// that stops the news.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewsReason {
    /// It signed an action for the person and asked to be kept informed.
    Signed,
    /// It follows the case (`signing::follows`), at once.
    Followed,
}

impl NewsReason {
    pub fn key(self) -> &'static str {
        match self {
            NewsReason::Signed => "mail.why_signed",
            NewsReason::Followed => "mail.why_followed",
        }
    }
}

/// What a mail of news says, in a language, with its unsubscribe page, to
/// an address there for a reason.
pub type Compose<'a> = dyn Fn(Locale, &str, NewsReason) -> (String, String) + Sync + 'a;

/// News to those who asked for it, on a connection of either backend
/// (inside the caller's transaction): the one way news of a case reaches
/// signers and followers as it happens (a weekly digest gathers it later:
/// `signing::follows`).
pub trait MailKeptInformed {
    /// Queues one mail to each confirmed signer of the public person
    /// `person_id`'s actions (`action`: of that one only) who asked to be
    /// kept informed, and — for news of the whole case (`action` is `None`)
    /// — to each address that follows the case at once; once per address,
    /// in the language it asked in, each with its own unsubscribe link
    /// (which stops news about the person). Gives how many were queued.
    fn mail_kept_informed(
        &mut self,
        person_id: i64,
        action: Option<i64>,
        base_url: &str,
        now: i64,
        compose: &Compose<'_>,
    ) -> impl std::future::Future<Output = Result<usize, sqlx::Error>> + Send;
}

crate::impl_for_connections! {
    impl MailKeptInformed {
        async fn mail_kept_informed(
            &mut self,
            person_id: i64,
            action: Option<i64>,
            base_url: &str,
            now: i64,
            compose: &Compose<'_>,
        ) -> Result<usize, sqlx::Error> {
            use crate::server::data_key::{opened, purpose};
            let signers: Vec<(String, Option<String>, String)> = sqlx::query_as(
                "SELECT s.email_hash, s.email_sealed, s.locale
                   FROM signatures s JOIN support_actions a ON a.id = s.action_id
                   JOIN persons p ON p.id = a.person_id
                  WHERE p.id = $1 AND p.is_public AND ($2 IS NULL OR a.id = $2)
                    AND s.state = 'confirmed' AND s.keep_informed AND NOT s.anonymised
                  ORDER BY s.id",
            )
            .bind(person_id)
            .bind(action)
            .fetch_all(&mut *self)
            .await?;
            let followers: Vec<(String, Option<String>, String)> = if action.is_none() {
                sqlx::query_as(
                    "SELECT f.email_hash, f.email_sealed, f.locale
                       FROM follows f JOIN persons p ON p.id = f.person_id
                      WHERE p.id = $1 AND p.is_public
                        AND f.state = 'confirmed' AND f.cadence = 'at_once'
                      ORDER BY f.id",
                )
                .bind(person_id)
                .fetch_all(&mut *self)
                .await?
            } else {
                Vec::new()
            };
            // A signer who also follows hears it once, as a signer.
            let recipients = signers
                .into_iter()
                .map(|r| (r, NewsReason::Signed, purpose::SIGNATURE_EMAIL))
                .chain(
                    followers
                        .into_iter()
                        .map(|r| (r, NewsReason::Followed, purpose::FOLLOW_EMAIL)),
                );
            let mut mailed = std::collections::HashSet::new();
            for ((email_hash, email, code), reason, sealed_for) in recipients {
                if !mailed.insert(email_hash.clone()) {
                    continue;
                }
                let Some(email) = email else { continue };
                let email = opened(sealed_for, email)?;
                // Each mail its own link: one in an older mail keeps working.
                let token = new_token();
                sqlx::query(
                    "INSERT INTO unsubscribe_links (token_hash, person_id, email_hash, created_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash(&token))
                .bind(person_id)
                .bind(&email_hash)
                .bind(now)
                .execute(&mut *self)
                .await?;
                let locale = Locale::from_code(&code).unwrap_or_default();
                let links = UnsubscribeLinks::new(base_url, locale, &token);
                let (subject, body) = compose(locale, &links.page, reason);
                let mail = NewMail {
                    recipient: &email,
                    subject: &subject,
                    body_text: &body,
                    list_unsubscribe: Some(&links.one_click),
                    about: Some(person_id),
                };
                self.enqueue(&mail, now).await?;
            }
            Ok(mailed.len())
        }
    }
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    person: String,
    status: Option<String>,
    occurred_year: i32,
    occurred_month: Option<i32>,
    occurred_day: Option<i32>,
    title: String,
    body_html: Option<String>,
    source_title: Option<String>,
    source_url: Option<String>,
    provenance: String,
    is_published: bool,
    is_internal: bool,
    original_language: String,
}

#[derive(sqlx::FromRow)]
struct TranslationRow {
    language: String,
    field: String,
    text: String,
    outdated: bool,
}

impl RecordRow {
    fn into_record(
        self,
        translations: Vec<TranslationRow>,
    ) -> Result<StatusEventRecord, sqlx::Error> {
        use crate::records::translations::stored_language;
        use crate::server::db::{stored_date, stored_status};
        let translations = translations
            .into_iter()
            .map(|t| {
                Ok(crate::domain::Translation {
                    language: stored_language(&t.language)?,
                    field: t.field,
                    text: t.text,
                    outdated: t.outdated,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(StatusEventRecord {
            original_language: stored_language(&self.original_language)?,
            translations,
            id: self.id,
            person: self.person,
            status: stored_status(self.status.as_deref())?,
            occurred_on: stored_date(self.occurred_year, self.occurred_month, self.occurred_day)?,
            title: self.title,
            body_html: self.body_html,
            source_title: self.source_title,
            source_url: self.source_url,
            provenance: self.provenance,
            is_published: self.is_published,
            is_internal: self.is_internal,
        })
    }
}

crate::impl_for_connections! {
    impl Timeline {
        async fn insert_status_event(&mut self, event: &NewStatusEvent<'_>, now: i64) -> Result<i64, sqlx::Error> {
            let (provenance, feed_entry) = event.provenance.stored();
            let date = event.occurred_on;
            sqlx::query_scalar(
                "INSERT INTO status_events (person_id, status, occurred_year, occurred_month, occurred_day,
                                            title, body_html, source_title, source_url, provenance, feed_entry_id,
                                            author_id, is_published, published_at, notified_at, updated_at,
                                            original_language)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16)
                 RETURNING id",
            )
            .bind(event.person_id)
            .bind(event.status.map(Status::slug))
            .bind(date.year_part())
            .bind(date.month_part().map(i32::from))
            .bind(date.day_part().map(i32::from))
            .bind(event.title)
            .bind(event.body_html)
            .bind(event.source_title)
            .bind(event.source_url)
            .bind(provenance)
            .bind(feed_entry)
            .bind(event.author)
            .bind(event.published)
            .bind(event.published.then_some(now))
            .bind(now)
            .bind(event.original_language.code())
            .fetch_one(&mut *self)
            .await
        }

        async fn status_event_record(&mut self, id: i64) -> Result<Option<StatusEventRecord>, sqlx::Error> {
            let Some(row) = sqlx::query_as::<_, RecordRow>(
                "SELECT e.id, p.slug AS person, e.status, e.occurred_year, e.occurred_month, e.occurred_day,
                        e.title, e.body_html, e.source_title, e.source_url, e.provenance, e.is_published,
                        e.is_internal, e.original_language
                   FROM status_events e JOIN persons p ON p.id = e.person_id WHERE e.id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *self)
            .await?
            else {
                return Ok(None);
            };
            let translations = sqlx::query_as::<_, TranslationRow>(concat!(
                "SELECT t.language, t.field, t.text, ",
                crate::translation_outdated!("t", "e", ["title", "body_html", "source_title"]),
                " AS outdated
                   FROM status_event_translations t JOIN status_events e ON e.id = t.status_event_id
                  WHERE t.status_event_id = $1 ORDER BY t.language, t.field"
            ))
            .bind(id)
            .fetch_all(&mut *self)
            .await?;
            row.into_record(translations).map(Some)
        }

        async fn set_published(
            &mut self,
            actor: Actor,
            id: i64,
            publish: bool,
            now: i64,
            base_url: &str,
        ) -> Result<Option<()>, sqlx::Error> {
            let Some(before) = self.status_event_record(id).await? else {
                return Ok(None);
            };
            sqlx::query(
                "UPDATE status_events SET is_published = $2, updated_at = $3,
                        published_at = CASE WHEN $2 THEN COALESCE(published_at, $3) ELSE published_at END
                  WHERE id = $1",
            )
            .bind(id)
            .bind(publish)
            .bind(now)
            .execute(&mut *self)
            .await?;
            // Claim the announcement: only the first publication mails.
            let announce = publish
                && sqlx::query("UPDATE status_events SET notified_at = $2 WHERE id = $1 AND notified_at IS NULL")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *self)
                    .await?
                    .rows_affected()
                    == 1;
            if announce {
                let (person_id, person_name, public): (i64, String, bool) =
                    sqlx::query_as("SELECT id, full_name, is_public FROM persons WHERE slug = $1")
                        .bind(&before.person)
                        .fetch_one(&mut *self)
                        .await?;
                // Mailed now, so a weekly digest tells it too; a case not
                // public is told nothing, now or later.
                if public {
                    sqlx::query("UPDATE status_events SET announced_at = $2 WHERE id = $1")
                        .bind(id)
                        .bind(now)
                        .execute(&mut *self)
                        .await?;
                }
                let compose = |locale: Locale, unsubscribe: &str, reason: NewsReason| {
                    update_mail(locale, &person_name, &before, base_url, unsubscribe, reason)
                };
                self.mail_kept_informed(person_id, None, base_url, now, &compose).await?;
            }
            let after = self.status_event_record(id).await?;
            let action = if publish { "status_event.publish" } else { "status_event.unpublish" };
            let entry = AuditEntry::new(actor, action, "status_event", id).before(&before).after(&after);
            self.record_audit(&entry).await?;
            Ok(Some(()))
        }
    }
}

/// Where news to a signer who asked for it stops: the page a person opens
/// from the mail (its button stops the news), and the address mail clients
/// post to for one-click unsubscribe (RFC 8058), which the mail's headers
/// give. Both are answered by `signing::unsubscribe`.
pub struct UnsubscribeLinks {
    pub page: String,
    pub one_click: String,
}

/// The page, under the language prefix.
pub const UNSUBSCRIBE_PAGE: &str = "/signatures/unsubscribe";
/// The one-click address: POST only, no language.
pub const ONE_CLICK_UNSUBSCRIBE: &str = "/api/unsubscribe";

impl UnsubscribeLinks {
    pub fn new(base_url: &str, locale: Locale, token: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        Self {
            page: format!(
                "{base}{}?token={token}",
                locale.path(UNSUBSCRIBE_PAGE, false)
            ),
            one_click: format!("{base}{ONE_CLICK_UNSUBSCRIBE}?token={token}"),
        }
    }
}

/// The mail to a signer who asked to be kept informed: the date, the title,
/// a link to the case page and one that stops the news, in the signer's
/// language.
pub fn update_mail(
    locale: Locale,
    person_name: &str,
    event: &StatusEventRecord,
    base_url: &str,
    unsubscribe_url: &str,
    reason: NewsReason,
) -> (String, String) {
    let base = base_url.trim_end_matches('/');
    let link = format!(
        "{base}{}",
        locale.path(&format!("/persons/{}", event.person), false)
    );
    let status = event
        .status
        .map(|s| {
            format!(
                "{}: {}\n",
                locale.t("mail.update_status"),
                locale.t(&s.label_key())
            )
        })
        .unwrap_or_default();
    // The title in the signer's language, else the original, said to be one.
    let (title, title_line) = match event.text_in("title", locale) {
        Some(title) => (title, title.to_owned()),
        None => {
            let note = locale.untranslated_note(event.original_language);
            (event.title.as_str(), format!("{}\n({note})", event.title))
        }
    };
    let subject = locale
        .t("mail.update_subject")
        .replace("%{person}", person_name)
        .replace("%{title}", title);
    let body = locale
        .t("mail.update_body")
        .replace("%{person}", person_name)
        .replace("%{date}", &event.occurred_on.format(locale))
        .replace("%{title}", &title_line)
        .replace("%{status}", &status)
        .replace("%{url}", &link)
        .replace("%{why}", &locale.t(reason.key()))
        .replace("%{unsubscribe_url}", unsubscribe_url);
    (subject, body)
}
