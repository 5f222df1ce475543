//! The review inbox: communications staff publish an entry a partner feed
//! brought as a status event (choosing the person, the date and the status)
//! or dismiss it. Publishing is the timeline's publication, in one
//! transaction with taking the entry out of the inbox: the event enters the
//! timeline, sets the status, and mails the signers who asked, like any
//! update. What a trusted feed brings skips the inbox (see `sync`). Every
//! status event from a feed keeps its provenance. An entry its source took
//! down (a tombstone, issue 29) leaves the inbox and cannot be published;
//! the page lists those of the last weeks, so staff know why.
use super::subscriptions::PersonChoices;
use crate::backoffice::forms::FormFlash;
use crate::backoffice::StaffUser;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Each inbox entry has its own form, so a problem shows on the right one.
pub fn entry_form(id: i64) -> String {
    format!("feed-entry-{id}")
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub id: i64,
    pub partner: String,
    pub title: String,
    pub url: Option<String>,
    /// Sanitized when it was fetched.
    pub summary_html: Option<String>,
    /// The entry's own date, "YYYY-MM-DD", when it gave one.
    pub published_on: Option<String>,
    /// The matched person's slug.
    pub person: Option<String>,
    pub person_name: Option<String>,
}

/// An entry its source took down, as staff are told of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawnEntry {
    pub partner: String,
    pub title: String,
    pub person_name: Option<String>,
    /// "YYYY-MM-DD".
    pub withdrawn_on: String,
    /// Whether an update made from it was published until then.
    pub was_published: bool,
}

/// Entries taken down by their source are listed this long.
pub const WITHDRAWN_LISTED_DAYS: i64 = 30;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxWorkspace {
    pub user: StaffUser,
    pub entries: Vec<InboxEntry>,
    /// Taken down by their source in the last `WITHDRAWN_LISTED_DAYS`, newest first.
    pub withdrawn: Vec<WithdrawnEntry>,
    /// New entries in all; the page shows the latest `INBOX_PAGE`.
    pub waiting: i64,
    pub persons: PersonChoices,
    pub flash: Option<FormFlash>,
}

pub const INBOX_PAGE: i64 = 100;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PublishEntryForm {
    pub lang: String,
    pub entry: String,
    pub person: String,
    pub occurred_on: String,
    /// A status slug, or empty.
    pub status: String,
    pub title: String,
}

#[server(prefix = "/api/staff", endpoint = "feed-inbox")]
pub async fn feed_inbox() -> Result<Option<InboxWorkspace>, AppError> {
    use crate::backoffice::forms::on_server::take_form_flash;
    let user = require(Permission::ReviewFeeds).await?;
    let db = crate::server::context::db()?;
    let (entries, waiting) = on_server::inbox(&db).await?;
    Ok(Some(InboxWorkspace {
        user,
        entries,
        waiting,
        withdrawn: on_server::withdrawn(&db, crate::server::clock::now()).await?,
        persons: super::subscriptions::on_server::person_choices(&db).await?,
        flash: take_form_flash().await,
    }))
}

/// Publishes an inbox entry as a status event, with the person, date and
/// status staff chose.
#[server(prefix = "/api/staff", endpoint = "publish-feed-entry")]
pub async fn publish_feed_entry(#[server(flatten)] form: PublishEntryForm) -> Result<(), AppError> {
    let user = require(Permission::ReviewFeeds).await?;
    on_server::publish(&user, form).await
}

#[server(prefix = "/api/staff", endpoint = "dismiss-feed-entry")]
pub async fn dismiss_feed_entry(lang: String, entry: i64) -> Result<(), AppError> {
    let user = require(Permission::ReviewFeeds).await?;
    on_server::dismiss(&user, &lang, entry).await
}

#[cfg(feature = "ssr")]
use {crate::backoffice::session::on_server::require, crate::domain::Permission};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::super::subscriptions::on_server::utc;
    use super::*;
    use crate::backoffice::forms::on_server::{dated_fact, done, refuse, DatedFact};
    use crate::backoffice::forms::Problems;
    use crate::feeds::sync::storage::EntryAudit;
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::publishing::updates::UPDATE_FORM;
    use crate::records::timeline::{NewStatusEvent, Provenance, Timeline};
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};

    #[derive(sqlx::FromRow)]
    struct InboxRow {
        id: i64,
        partner: String,
        title: String,
        url: Option<String>,
        summary_html: Option<String>,
        published_at: Option<i64>,
        person: Option<String>,
        person_name: Option<String>,
    }

    /// The newest entries waiting for review, and how many wait in all.
    pub async fn inbox(db: &Db) -> Result<(Vec<InboxEntry>, i64), sqlx::Error> {
        let rows: Vec<InboxRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT e.id, f.partner, e.title, e.url, e.summary_html, e.published_at,
                    p.slug AS person, p.full_name AS person_name
               FROM feed_entries e JOIN feeds f ON f.id = e.feed_id
               LEFT JOIN persons p ON p.id = e.matched_person_id
              WHERE e.state = 'new' AND e.withdrawn_at IS NULL
              ORDER BY e.id DESC LIMIT $1"
        )
        .bind(INBOX_PAGE)
        .fetch_all(pool)
        .await)?;
        let waiting: i64 = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM feed_entries WHERE state = 'new' AND withdrawn_at IS NULL"
        )
        .fetch_one(pool)
        .await)?;
        let entries = rows
            .into_iter()
            .map(|row| InboxEntry {
                id: row.id,
                partner: row.partner,
                title: row.title,
                url: row.url,
                summary_html: row.summary_html,
                published_on: row.published_at.and_then(|t| utc(t, "%Y-%m-%d")),
                person: row.person,
                person_name: row.person_name,
            })
            .collect();
        Ok((entries, waiting))
    }

    /// The entries taken down by their source lately, newest first.
    pub async fn withdrawn(db: &Db, now: i64) -> Result<Vec<WithdrawnEntry>, sqlx::Error> {
        let rows: Vec<(String, String, Option<String>, i64, bool)> =
            on_pool!(db, |pool| sqlx::query_as(
                "SELECT f.partner, e.title, p.full_name, e.withdrawn_at, e.state = 'published'
               FROM feed_entries e JOIN feeds f ON f.id = e.feed_id
               LEFT JOIN persons p ON p.id = e.matched_person_id
              WHERE e.withdrawn_at >= $1
              ORDER BY e.withdrawn_at DESC, e.id DESC LIMIT $2"
            )
            .bind(now - WITHDRAWN_LISTED_DAYS * 86_400)
            .bind(INBOX_PAGE)
            .fetch_all(pool)
            .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(partner, title, person_name, at, was_published)| WithdrawnEntry {
                    partner,
                    title,
                    person_name,
                    withdrawn_on: utc(at, "%Y-%m-%d").unwrap_or_default(),
                    was_published,
                },
            )
            .collect())
    }

    /// An entry as publishing needs it.
    #[derive(sqlx::FromRow)]
    struct EntryRow {
        state: String,
        url: Option<String>,
        summary_html: Option<String>,
        partner: String,
        /// What the entry is written in: the original language of its event.
        language: String,
    }

    fn inbox_path(locale: Locale) -> String {
        locale.path("/staff/inbox", false)
    }

    /// Publishes an inbox entry: parse the form, check the entry is still
    /// waiting, write and publish the event, then show it.
    #[tracing::instrument(skip_all, fields(actor = user.id, entry = %form.entry.trim()))]
    pub async fn publish(user: &StaffUser, form: PublishEntryForm) -> Result<(), AppError> {
        let state = crate::server::context::state()?;
        let db = &state.db;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let id: i64 = form
            .entry
            .trim()
            .parse()
            .map_err(|_| AppError::not_found("feed entry"))?;
        let entry: Option<EntryRow> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT CASE WHEN e.withdrawn_at IS NULL THEN e.state ELSE 'withdrawn' END AS state,
                    e.url, e.summary_html, f.partner, e.language
               FROM feed_entries e JOIN feeds f ON f.id = e.feed_id WHERE e.id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await
        })?;
        let entry = entry.ok_or_else(|| AppError::not_found("feed entry"))?;
        if entry.state != "new" {
            let notice = if entry.state == "withdrawn" {
                "feeds.withdrawn_by_source"
            } else {
                "feeds.already_reviewed"
            };
            return done(&entry_form(id), notice, &inbox_path(locale)).await;
        }
        let mut problems = Problems::default();
        let person_id = person(db, &mut problems, &form.person).await?;
        let fact = dated_fact(
            &mut problems,
            &form.occurred_on,
            &form.status,
            "title",
            &form.title,
        );
        let (Some(person_id), Some(fact)) = (person_id, fact) else {
            return refuse(&entry_form(id), &form, problems).await;
        };
        let published = write(
            db,
            user.actor(),
            id,
            &entry,
            person_id,
            &fact,
            &state.public_url,
        )
        .await?;
        match published {
            Some(event) => {
                done(
                    UPDATE_FORM,
                    "staff.published",
                    &locale.path(&format!("/staff/updates/{event}"), false),
                )
                .await
            }
            None => {
                done(
                    &entry_form(id),
                    "feeds.already_reviewed",
                    &inbox_path(locale),
                )
                .await
            }
        }
    }

    /// The chosen person's id; a problem when none or an unknown one is chosen.
    async fn person(
        db: &Db,
        problems: &mut Problems,
        slug: &str,
    ) -> Result<Option<i64>, sqlx::Error> {
        if slug.trim().is_empty() {
            problems.add("person", "form.required");
            return Ok(None);
        }
        let found: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT id FROM persons WHERE slug = $1"
        )
        .bind(slug.trim())
        .fetch_optional(pool)
        .await)?;
        if found.is_none() {
            problems.add("person", "form.invalid_choice");
        }
        Ok(found)
    }

    /// Takes the entry out of the inbox, writes its status event and
    /// publishes it, with the audit entries, in one transaction. `None`:
    /// someone else reviewed the entry first (it is claimed before anything
    /// is written, so two staff publishing it make one event).
    async fn write(
        db: &Db,
        actor: Actor,
        id: i64,
        entry: &EntryRow,
        person_id: i64,
        fact: &DatedFact,
        base_url: &str,
    ) -> Result<Option<i64>, sqlx::Error> {
        let now = crate::server::clock::now();
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let claimed = sqlx::query(
                "UPDATE feed_entries SET state = 'published'
                  WHERE id = $1 AND state = 'new' AND withdrawn_at IS NULL",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                return Ok(None);
            }
            let event = NewStatusEvent {
                person_id,
                status: fact.status,
                occurred_on: fact.occurred_on,
                title: fact.title.as_str(),
                body_html: entry.summary_html.as_deref(),
                source_title: Some(&entry.partner),
                source_url: entry.url.as_deref(),
                provenance: Provenance::Feed { entry: id },
                author: actor.user_id(),
                published: false,
                original_language: crate::records::translations::stored_language(&entry.language)?,
            };
            let event = tx.insert_status_event(&event, now).await?;
            tx.audit_entry_event(actor, id, event).await?;
            crate::feeds::sync::storage::published_before_translation(&mut *tx, actor, event)
                .await?;
            tx.set_published(actor, event, true, now, base_url).await?;
            tx.commit().await?;
            Ok(Some(event))
        })
    }

    #[tracing::instrument(skip(user, lang), fields(actor = user.id))]
    pub async fn dismiss(user: &StaffUser, lang: &str, id: i64) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let actor = user.actor();
        let dismissed: Option<bool> = on_pool!(&db, |pool| {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query(
                "UPDATE feed_entries SET state = 'dismissed'
                  WHERE id = $1 AND state = 'new' AND withdrawn_at IS NULL",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM feed_entries WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                exists.map(|_| false)
            } else {
                tx.record_audit(
                    &AuditEntry::new(actor, "feed_entry.dismiss", "feed_entry", id)
                        .before(&serde_json::json!({ "state": "new" }))
                        .after(&serde_json::json!({ "state": "dismissed" })),
                )
                .await?;
                tx.commit().await?;
                Some(true)
            }
        });
        let notice = match dismissed {
            None => return Err(AppError::not_found("feed entry")),
            Some(true) => "feeds.dismissed",
            Some(false) => "feeds.already_reviewed",
        };
        done(&entry_form(id), notice, &inbox_path(locale)).await
    }
}
