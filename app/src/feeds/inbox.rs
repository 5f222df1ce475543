//! Communications staff follow partner feeds and review what they bring: an
//! entry in the inbox is published as a status event (staff choose the person,
//! the date and the status) or dismissed. What a trusted feed brings skips the
//! inbox (see `ssr::feed_sync`). Every status event from a feed keeps its
//! provenance, shown on the public timeline.
use super::staff::{FormFlash, StaffUser};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const FOLLOW_FORM: &str = "follow-feed";

/// Each inbox entry has its own form, so a problem shows on the right one.
pub fn entry_form(id: i64) -> String {
    format!("feed-entry-{id}")
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FollowFeedForm {
    pub lang: String,
    pub url: String,
    pub partner: String,
    /// A person slug, or empty.
    pub person: String,
    /// "on" when ticked.
    pub trusted: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedState {
    Enabled,
    /// Three parse failures in a row: staff should look.
    Flagged,
    /// The partner answered 410 Gone.
    Disabled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedView {
    pub id: i64,
    pub url: String,
    pub partner: String,
    pub default_person: Option<String>,
    pub trusted: bool,
    pub state: FeedState,
    pub entries: i64,
    pub error_count: i32,
    pub last_error: Option<String>,
    /// "2026-11-28 04:40 UTC", or none yet.
    pub last_fetched: Option<String>,
}

/// (slug, name) of every person, drafts included.
pub type PersonChoices = Vec<(String, String)>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedsWorkspace {
    pub user: StaffUser,
    pub feeds: Vec<FeedView>,
    pub persons: PersonChoices,
    pub flash: Option<FormFlash>,
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxWorkspace {
    pub user: StaffUser,
    pub entries: Vec<InboxEntry>,
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

#[cfg(feature = "ssr")]
const COMMS: &[crate::domain::Role] = &[crate::domain::Role::Comms];

#[server(prefix = "/api/staff", endpoint = "feeds")]
pub async fn staff_feeds() -> Result<Option<FeedsWorkspace>, ServerFnError> {
    use super::staff::on_server::{require, take_form_flash};
    let user = require(COMMS).await?;
    let db = super::db()?;
    let feeds = crate::ssr::feed_sync::list(&db)
        .await
        .map_err(super::internal)?
        .into_iter()
        .map(on_server::feed_view)
        .collect();
    Ok(Some(FeedsWorkspace {
        user,
        feeds,
        persons: on_server::person_choices(&db).await?,
        flash: take_form_flash().await,
    }))
}

#[server(prefix = "/api/staff", endpoint = "follow-feed")]
pub async fn follow_feed(#[server(flatten)] form: FollowFeedForm) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COMMS).await?;
    on_server::follow(&user, form).await
}

#[server(prefix = "/api/staff", endpoint = "unfollow-feed")]
pub async fn unfollow_feed(lang: String, feed: i64) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COMMS).await?;
    on_server::unfollow(&user, &lang, feed).await
}

#[server(prefix = "/api/staff", endpoint = "feed-inbox")]
pub async fn feed_inbox() -> Result<Option<InboxWorkspace>, ServerFnError> {
    use super::staff::on_server::{require, take_form_flash};
    let user = require(COMMS).await?;
    let db = super::db()?;
    let (entries, waiting) = on_server::inbox(&db).await?;
    Ok(Some(InboxWorkspace {
        user,
        entries,
        waiting,
        persons: on_server::person_choices(&db).await?,
        flash: take_form_flash().await,
    }))
}

/// Publishes an inbox entry as a status event, with the person, date and
/// status staff chose; it is then published like any update (signers who
/// asked to be kept informed are mailed).
#[server(prefix = "/api/staff", endpoint = "publish-feed-entry")]
pub async fn publish_feed_entry(
    #[server(flatten)] form: PublishEntryForm,
) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COMMS).await?;
    on_server::publish(&user, form).await
}

#[server(prefix = "/api/staff", endpoint = "dismiss-feed-entry")]
pub async fn dismiss_feed_entry(lang: String, entry: i64) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COMMS).await?;
    on_server::dismiss(&user, &lang, entry).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::api::adoptions::on_server::not_found;
    use crate::api::internal;
    use crate::api::staff::on_server::{done, refuse};
    use crate::api::staff::Problems;
    use crate::domain::{Line, Status};
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::ssr::audit::{AuditEntry, RecordAudit};
    use crate::ssr::db::{BeginWrite, Db};
    use crate::ssr::feed_sync::{self, FeedError, FeedRow, NewFeed};

    fn utc(seconds: i64, format: &str) -> Option<String> {
        chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.format(format).to_string())
    }

    pub fn feed_view(row: FeedRow) -> FeedView {
        FeedView {
            id: row.id,
            url: row.url,
            partner: row.partner,
            default_person: row.default_person,
            trusted: row.trusted,
            state: match (row.enabled, row.flagged) {
                (false, _) => FeedState::Disabled,
                (true, true) => FeedState::Flagged,
                (true, false) => FeedState::Enabled,
            },
            entries: row.entries,
            error_count: row.error_count,
            last_error: row.last_error,
            last_fetched: row
                .last_fetched_at
                .and_then(|t| utc(t, "%Y-%m-%d %H:%M UTC")),
        }
    }

    pub async fn person_choices(db: &Db) -> Result<PersonChoices, ServerFnError> {
        on_pool!(db, |pool| sqlx::query_as(
            "SELECT slug, full_name FROM persons ORDER BY full_name"
        )
        .fetch_all(pool)
        .await)
        .map_err(internal)
    }

    pub async fn follow(user: &StaffUser, form: FollowFeedForm) -> Result<(), ServerFnError> {
        let db = crate::api::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let mut problems = Problems::default();
        let url = problems.check("url", feed_sync::check_url(&form.url), "form.invalid_url");
        let partner = problems.check("partner", Line::parse(&form.partner), "form.invalid_line");
        let (Some(url), Some(partner)) = (url, partner) else {
            return refuse(FOLLOW_FORM, &form, problems).await;
        };
        let feed = NewFeed {
            url,
            partner: partner.to_string(),
            default_person: Some(form.person.trim().to_owned()).filter(|p| !p.is_empty()),
            trusted: !form.trusted.is_empty(),
        };
        match feed_sync::add(&db, Some(user.id), &feed, crate::ssr::outbox::unix_now()).await {
            Ok(_) => {}
            Err(FeedError::AlreadyFollowed) => {
                problems.add("url", "feeds.already_followed");
                return refuse(FOLLOW_FORM, &form, problems).await;
            }
            Err(FeedError::UnknownPerson(_)) => {
                problems.add("person", "form.invalid_choice");
                return refuse(FOLLOW_FORM, &form, problems).await;
            }
            Err(FeedError::BadUrl) => {
                problems.add("url", "form.invalid_url");
                return refuse(FOLLOW_FORM, &form, problems).await;
            }
            Err(error) => return Err(internal(error)),
        }
        done(
            FOLLOW_FORM,
            "feeds.followed",
            &locale.path("/staff/feeds", false),
        )
        .await
    }

    pub async fn unfollow(user: &StaffUser, lang: &str, id: i64) -> Result<(), ServerFnError> {
        let db = crate::api::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        match feed_sync::remove(&db, Some(user.id), id).await {
            Ok(()) => {}
            Err(FeedError::UnknownFeed(_)) => return Err(not_found("feed")),
            Err(error) => return Err(internal(error)),
        }
        done(
            FOLLOW_FORM,
            "feeds.unfollowed",
            &locale.path("/staff/feeds", false),
        )
        .await
    }

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

    pub async fn inbox(db: &Db) -> Result<(Vec<InboxEntry>, i64), ServerFnError> {
        let (rows, waiting): (Vec<InboxRow>, i64) = on_pool!(db, |pool| {
            async {
                let rows = sqlx::query_as(
                    "SELECT e.id, f.partner, e.title, e.url, e.summary_html, e.published_at,
                            p.slug AS person, p.full_name AS person_name
                       FROM feed_entries e JOIN feeds f ON f.id = e.feed_id
                       LEFT JOIN persons p ON p.id = e.matched_person_id
                      WHERE e.state = 'new'
                      ORDER BY e.id DESC LIMIT $1",
                )
                .bind(INBOX_PAGE)
                .fetch_all(pool)
                .await?;
                let waiting =
                    sqlx::query_scalar("SELECT COUNT(*) FROM feed_entries WHERE state = 'new'")
                        .fetch_one(pool)
                        .await?;
                Ok::<_, sqlx::Error>((rows, waiting))
            }
            .await
        })
        .map_err(internal)?;
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

    /// The entry's state, source link, text and partner.
    type EntryRow = (String, Option<String>, Option<String>, String);

    async fn entry(db: &Db, id: i64) -> Result<Option<EntryRow>, ServerFnError> {
        on_pool!(db, |pool| sqlx::query_as(
            "SELECT e.state, e.url, e.summary_html, f.partner
               FROM feed_entries e JOIN feeds f ON f.id = e.feed_id WHERE e.id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)
        .map_err(internal)
    }

    fn inbox_path(locale: Locale) -> String {
        locale.path("/staff/inbox", false)
    }

    pub async fn publish(user: &StaffUser, form: PublishEntryForm) -> Result<(), ServerFnError> {
        let db = crate::api::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let id: i64 = form
            .entry
            .trim()
            .parse()
            .map_err(|_| not_found("feed entry"))?;
        let Some((state, url, summary_html, partner)) = entry(&db, id).await? else {
            return Err(not_found("feed entry"));
        };
        let form_name = entry_form(id);
        if state != "new" {
            return done(&form_name, "feeds.already_reviewed", &inbox_path(locale)).await;
        }
        let mut problems = Problems::default();
        let person_id: Option<i64> = if form.person.trim().is_empty() {
            problems.add("person", "form.required");
            None
        } else {
            let found = on_pool!(&db, |pool| sqlx::query_scalar(
                "SELECT id FROM persons WHERE slug = $1"
            )
            .bind(form.person.trim())
            .fetch_optional(pool)
            .await)
            .map_err(internal)?;
            if found.is_none() {
                problems.add("person", "form.invalid_choice");
            }
            found
        };
        let (occurred_on, status, title) = crate::api::updates::on_server::dated_fact(
            &mut problems,
            &form.occurred_on,
            &form.status,
            &form.title,
        );
        let (Some(person_id), Some(occurred_on), Some(status), Some(title)) =
            (person_id, occurred_on, status, title)
        else {
            return refuse(&form_name, &form, problems).await;
        };
        let user_id = user.id;
        let now = crate::ssr::outbox::unix_now();
        let event: Option<i64> = on_pool!(&db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                // Claimed first: two staff publishing the same entry make one event.
                let claimed = sqlx::query(
                    "UPDATE feed_entries SET state = 'published' WHERE id = $1 AND state = 'new'",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed == 0 {
                    return Ok::<_, sqlx::Error>(None);
                }
                let event: i64 = sqlx::query_scalar(
                    "INSERT INTO status_events (person_id, status, occurred_year, occurred_month, occurred_day,
                                                title, body_html, source_title, source_url, provenance,
                                                is_published, author_id, updated_at, feed_entry_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'feed', FALSE, $10, $11, $12)
                     RETURNING id",
                )
                .bind(person_id)
                .bind(status.map(Status::slug))
                .bind(occurred_on.year_part())
                .bind(occurred_on.month_part().map(i32::from))
                .bind(occurred_on.day_part().map(i32::from))
                .bind(title.as_str())
                .bind(summary_html.as_deref())
                .bind(&partner)
                .bind(url.as_deref())
                .bind(user_id)
                .bind(now)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                let after = serde_json::json!({
                    "person": form.person.trim(), "title": title.as_str(),
                    "occurred_on": occurred_on.to_string(), "status": status.map(Status::slug),
                    "source_title": partner, "source_url": url, "provenance": "feed", "feed_entry": id,
                });
                tx.record_audit(
                    &AuditEntry::new(Some(user_id), "status_event.create", "status_event", event)
                        .after(&after),
                )
                .await?;
                tx.record_audit(
                    &AuditEntry::new(Some(user_id), "feed_entry.publish", "feed_entry", id)
                        .before(&serde_json::json!({ "state": "new" }))
                        .after(&serde_json::json!({ "state": "published", "status_event": event })),
                )
                .await?;
                tx.commit().await?;
                Ok(Some(event))
            }
            .await
        })
        .map_err(internal)?;
        match event {
            // Published the way every update is: timeline, status and mail at once.
            Some(event) => {
                crate::api::updates::on_server::set_published(user, &form.lang, event, true).await
            }
            None => done(&form_name, "feeds.already_reviewed", &inbox_path(locale)).await,
        }
    }

    pub async fn dismiss(user: &StaffUser, lang: &str, id: i64) -> Result<(), ServerFnError> {
        let db = crate::api::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let user_id = user.id;
        let dismissed: Option<bool> = on_pool!(&db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE feed_entries SET state = 'dismissed' WHERE id = $1 AND state = 'new'",
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
                    return Ok::<_, sqlx::Error>(exists.map(|_| false));
                }
                tx.record_audit(
                    &AuditEntry::new(Some(user_id), "feed_entry.dismiss", "feed_entry", id)
                        .before(&serde_json::json!({ "state": "new" }))
                        .after(&serde_json::json!({ "state": "dismissed" })),
                )
                .await?;
                tx.commit().await?;
                Ok(Some(true))
            }
            .await
        })
        .map_err(internal)?;
        let notice = match dismissed {
            None => return Err(not_found("feed entry")),
            Some(true) => "feeds.dismissed",
            Some(false) => "feeds.already_reviewed",
        };
        done(&entry_form(id), notice, &inbox_path(locale)).await
    }
}
