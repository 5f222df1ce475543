//! Following partner feeds: communications staff (or the command line)
//! follow a feed — address, partner name, default person — and stop
//! following it; only an administrator (or the command line) marks a feed
//! trusted, so that what it brings is published without review. The list
//! shows each feed's state. The sync worker (`sync`) fetches what is followed.
use crate::backoffice::forms::FormFlash;
use crate::backoffice::StaffUser;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const FOLLOW_FORM: &str = "follow-feed";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FollowFeedForm {
    pub lang: String,
    pub url: String,
    pub partner: String,
    /// A person slug, or empty.
    pub person: String,
    /// The language of entries that do not say theirs; empty: the page's.
    pub language: String,
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
    /// Whether this user follows feeds (communications staff).
    pub may_follow: bool,
    /// Whether this user marks feeds trusted (administrators).
    pub may_trust: bool,
}

#[server(prefix = "/api/staff", endpoint = "feeds")]
pub async fn staff_feeds() -> Result<Option<FeedsWorkspace>, AppError> {
    use crate::backoffice::forms::on_server::take_form_flash;
    let user = require(Permission::ReadFeeds).await?;
    let db = crate::server::context::db()?;
    let feeds = on_server::list(&db)
        .await?
        .into_iter()
        .map(on_server::feed_view)
        .collect();
    Ok(Some(FeedsWorkspace {
        feeds,
        persons: on_server::person_choices(&db).await?,
        flash: take_form_flash().await,
        may_follow: Permission::ReviewFeeds.allows(user.role),
        may_trust: Permission::TrustFeeds.allows(user.role),
        user,
    }))
}

#[server(prefix = "/api/staff", endpoint = "follow-feed")]
pub async fn follow_feed(#[server(flatten)] form: FollowFeedForm) -> Result<(), AppError> {
    let user = require(Permission::ReviewFeeds).await?;
    on_server::follow(&user, form).await
}

#[server(prefix = "/api/staff", endpoint = "unfollow-feed")]
pub async fn unfollow_feed(lang: String, feed: i64) -> Result<(), AppError> {
    let user = require(Permission::ReviewFeeds).await?;
    on_server::unfollow(&user, &lang, feed).await
}

/// Marks a feed trusted (`trusted` = true) or not.
#[server(prefix = "/api/staff", endpoint = "trust-feed")]
pub async fn trust_feed(lang: String, feed: i64, trusted: bool) -> Result<(), AppError> {
    let user = require(Permission::TrustFeeds).await?;
    on_server::trust_from_form(&user, &lang, feed, trusted).await
}

#[cfg(feature = "ssr")]
use {crate::backoffice::session::on_server::require, crate::domain::Permission};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{done, refuse};
    use crate::backoffice::forms::Problems;
    use crate::domain::Line;
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};

    /// A subscription to add.
    #[derive(Debug, Clone)]
    pub struct NewFeed {
        pub url: String,
        pub partner: String,
        pub default_person: Option<String>,
        pub trusted: bool,
        /// The language of its entries when the feed does not say.
        pub default_language: Locale,
    }

    #[derive(Debug, thiserror::Error)]
    pub enum FeedError {
        #[error("a feed URL starts with http:// or https:// and names a host")]
        BadUrl,
        #[error("this feed is followed already")]
        AlreadyFollowed,
        #[error("no person has the slug {0:?}")]
        UnknownPerson(String),
        #[error("no feed has the id {0}")]
        UnknownFeed(i64),
        #[error(transparent)]
        Database(#[from] sqlx::Error),
    }

    pub fn check_url(url: &str) -> Result<String, FeedError> {
        crate::server::sanitize::web_address(url).ok_or(FeedError::BadUrl)
    }

    /// Follows a feed; returns its id.
    #[tracing::instrument(skip(db, feed), fields(%actor, partner = %feed.partner.trim()))]
    pub async fn add(db: &Db, actor: Actor, feed: &NewFeed, now: i64) -> Result<i64, FeedError> {
        let url = check_url(&feed.url)?;
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let person_id: Option<i64> = match &feed.default_person {
                Some(slug) => Some(
                    sqlx::query_scalar("SELECT id FROM persons WHERE slug = $1")
                        .bind(slug)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| FeedError::UnknownPerson(slug.clone()))?,
                ),
                None => None,
            };
            let id: Option<i64> = sqlx::query_scalar(
                // A feed removed earlier is followed again, afresh.
                "INSERT INTO feeds (url, partner, default_person_id, trusted, created_at, default_language)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (url) DO UPDATE
                    SET partner = excluded.partner, default_person_id = excluded.default_person_id,
                        trusted = excluded.trusted, default_language = excluded.default_language, enabled = TRUE, flagged = FALSE, removed_at = NULL,
                        error_count = 0, parse_failures = 0, last_error = NULL, next_fetch_at = 0
                  WHERE feeds.removed_at IS NOT NULL
                 RETURNING id",
            )
            .bind(&url)
            .bind(feed.partner.trim())
            .bind(person_id)
            .bind(feed.trusted)
            .bind(now)
            .bind(feed.default_language.code())
            .fetch_optional(&mut *tx)
            .await?;
            let id = id.ok_or(FeedError::AlreadyFollowed)?;
            let after = serde_json::json!({
                "url": url, "partner": feed.partner.trim(),
                "default_person": feed.default_person, "trusted": feed.trusted,
                "default_language": feed.default_language,
            });
            tx.record_audit(&AuditEntry::new(actor, "feed.create", "feed", id).after(&after))
                .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Stops following a feed; what it brought stays (and so does provenance).
    #[tracing::instrument(skip(db), fields(%actor))]
    pub async fn remove(db: &Db, actor: Actor, id: i64) -> Result<(), FeedError> {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            // The row stays, disabled: its entries keep their provenance.
            let url: Option<String> = sqlx::query_scalar(
                "UPDATE feeds SET enabled = FALSE, removed_at = $2
                  WHERE id = $1 AND removed_at IS NULL RETURNING url",
            )
            .bind(id)
            .bind(crate::server::clock::now())
            .fetch_optional(&mut *tx)
            .await?;
            let url = url.ok_or(FeedError::UnknownFeed(id))?;
            tx.record_audit(
                &AuditEntry::new(actor, "feed.remove", "feed", id)
                    .before(&serde_json::json!({ "url": url })),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Marks a feed trusted or not; audited with the state before and after.
    #[tracing::instrument(skip(db), fields(%actor))]
    pub async fn set_trusted(
        db: &Db,
        actor: Actor,
        id: i64,
        trusted: bool,
    ) -> Result<(), FeedError> {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let before: Option<(String, bool)> = sqlx::query_as(
                "SELECT url, trusted FROM feeds WHERE id = $1 AND removed_at IS NULL",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let (url, was) = before.ok_or(FeedError::UnknownFeed(id))?;
            sqlx::query("UPDATE feeds SET trusted = $2 WHERE id = $1")
                .bind(id)
                .bind(trusted)
                .execute(&mut *tx)
                .await?;
            let action = if trusted {
                "feed.trust"
            } else {
                "feed.distrust"
            };
            let entry = AuditEntry::new(actor, action, "feed", id)
                .before(&serde_json::json!({ "url": url, "trusted": was }))
                .after(&serde_json::json!({ "url": url, "trusted": trusted }));
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    #[tracing::instrument(skip(user, lang), fields(actor = user.id))]
    pub async fn trust_from_form(
        user: &StaffUser,
        lang: &str,
        id: i64,
        trusted: bool,
    ) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        set_trusted(&db, user.actor(), id, trusted).await?;
        let notice = if trusted {
            "feeds.trusted_now"
        } else {
            "feeds.untrusted_now"
        };
        done(FOLLOW_FORM, notice, &locale.path("/staff/feeds", false)).await
    }

    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct FeedRow {
        pub id: i64,
        pub url: String,
        pub partner: String,
        pub trusted: bool,
        pub enabled: bool,
        pub flagged: bool,
        pub error_count: i32,
        pub last_error: Option<String>,
        pub next_fetch_at: i64,
        pub last_fetched_at: Option<i64>,
        pub default_person: Option<String>,
        pub entries: i64,
    }

    pub async fn list(db: &Db) -> Result<Vec<FeedRow>, sqlx::Error> {
        on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT f.id, f.url, f.partner, f.trusted, f.enabled, f.flagged, f.error_count, f.last_error,
                    f.next_fetch_at, f.last_fetched_at, p.full_name AS default_person,
                    (SELECT COUNT(*) FROM feed_entries e WHERE e.feed_id = f.id) AS entries
               FROM feeds f LEFT JOIN persons p ON p.id = f.default_person_id
              WHERE f.removed_at IS NULL ORDER BY f.partner, f.id"
        )
        .fetch_all(pool)
        .await
        })
    }

    impl From<FeedError> for AppError {
        fn from(error: FeedError) -> Self {
            match error {
                FeedError::Database(error) => error.into(),
                FeedError::UnknownFeed(_) => AppError::not_found("feed"),
                refusal => AppError::Invalid(refusal.to_string()),
            }
        }
    }

    /// "2026-11-28 04:40 UTC".
    pub fn utc(seconds: i64, format: &str) -> Option<String> {
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

    /// Every person, drafts included, for the default-person and inbox choices.
    pub async fn person_choices(db: &Db) -> Result<PersonChoices, sqlx::Error> {
        on_pool!(db, |pool| sqlx::query_as(
            "SELECT slug, full_name FROM persons ORDER BY full_name"
        )
        .fetch_all(pool)
        .await)
    }

    #[tracing::instrument(skip_all, fields(actor = user.id))]
    pub async fn follow(user: &StaffUser, form: FollowFeedForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let mut problems = Problems::default();
        let url = problems.check("url", check_url(&form.url), "form.invalid_url");
        let partner = problems.check("partner", Line::parse(&form.partner), "form.invalid_line");
        let language = match form.language.trim() {
            "" => Some(locale),
            code => problems.check(
                "language",
                Locale::from_code(code).ok_or(()),
                "form.invalid_choice",
            ),
        };
        let (Some(url), Some(partner), Some(default_language)) = (url, partner, language) else {
            return refuse(FOLLOW_FORM, &form, problems).await;
        };
        let feed = NewFeed {
            url,
            partner: partner.to_string(),
            default_person: Some(form.person.trim().to_owned()).filter(|p| !p.is_empty()),
            trusted: false,
            default_language,
        };
        let problem = match add(&db, user.actor(), &feed, crate::server::clock::now()).await {
            Ok(_) => None,
            Err(FeedError::AlreadyFollowed) => Some(("url", "feeds.already_followed")),
            Err(FeedError::UnknownPerson(_)) => Some(("person", "form.invalid_choice")),
            Err(FeedError::BadUrl) => Some(("url", "form.invalid_url")),
            Err(error) => return Err(error.into()),
        };
        if let Some((field, key)) = problem {
            return refuse(FOLLOW_FORM, &form, Problems::one(field, key)).await;
        }
        done(
            FOLLOW_FORM,
            "feeds.followed",
            &locale.path("/staff/feeds", false),
        )
        .await
    }

    #[tracing::instrument(skip(user, lang), fields(actor = user.id))]
    pub async fn unfollow(user: &StaffUser, lang: &str, id: i64) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        remove(&db, user.actor(), id).await?;
        done(
            FOLLOW_FORM,
            "feeds.unfollowed",
            &locale.path("/staff/feeds", false),
        )
        .await
    }
}
