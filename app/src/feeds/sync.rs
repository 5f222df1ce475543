//! Following partner feeds. A pass claims the feeds that are due (on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, so that several instances never
//! fetch the same feed at once), fetches each carefully, parses RSS, Atom or
//! JSON Feed with feed-rs, and stores each entry once, sanitized and matched
//! to a person. Nothing a partner serves is trusted: sizes, times, redirects
//! and markup are all bounded here.
use super::db::{BeginWrite, Db};
use crate::on_pool;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The body is read up to this many bytes, counted after decompression.
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_REDIRECTS: usize = 5;
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole exchange, body included: a server that drips bytes is cut off.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a healthy feed is fetched.
pub const REFRESH_SECONDS: i64 = 3600;
/// Back-off after errors grows from a minute to at most a day.
pub const MAX_BACKOFF_SECONDS: i64 = 24 * 3600;
/// A feed that fails to parse this many times in a row is flagged for staff.
pub const PARSE_FAILURES_TO_FLAG: i32 = 3;
/// A claimed feed is left alone by other instances this long.
const CLAIM_SECONDS: i64 = 300;
/// 1900-01-01T00:00:00Z: the earliest date a status event can have.
const EARLIEST_FACT: i64 = -2_208_988_800;
/// Feeds claimed per pass.
pub const CLAIM_BATCH: i64 = 32;

/// The HTTP client for partner feeds: bounded in time and redirects, and
/// decompressing (the size cap applies to what comes out).
pub fn client() -> reqwest::Client {
    client_with_timeout(TOTAL_TIMEOUT)
}

/// The same client with another total timeout (the tests' slow drip).
pub fn client_with_timeout(total: Duration) -> reqwest::Client {
    // lettre already brings rustls with ring; reqwest uses the same provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("Lumieres-feed-reader/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(total)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .gzip(true)
        .brotli(true)
        .deflate(true)
        .build()
        .expect("the feed client's settings are valid")
}

/// A subscription to add.
#[derive(Debug, Clone)]
pub struct NewFeed {
    pub url: String,
    pub partner: String,
    pub default_person: Option<String>,
    pub trusted: bool,
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
    super::sanitize::web_address(url).ok_or(FeedError::BadUrl)
}

/// Follows a feed; returns its id. `actor` `None`: the command line.
pub async fn add(db: &Db, actor: Option<i64>, feed: &NewFeed, now: i64) -> Result<i64, FeedError> {
    use super::audit::{AuditEntry, RecordAudit};
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
            "INSERT INTO feeds (url, partner, default_person_id, trusted, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (url) DO UPDATE
                SET partner = excluded.partner, default_person_id = excluded.default_person_id,
                    trusted = excluded.trusted, enabled = TRUE, flagged = FALSE, removed_at = NULL,
                    error_count = 0, parse_failures = 0, last_error = NULL, next_fetch_at = 0
              WHERE feeds.removed_at IS NOT NULL
             RETURNING id",
        )
        .bind(&url)
        .bind(feed.partner.trim())
        .bind(person_id)
        .bind(feed.trusted)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let id = id.ok_or(FeedError::AlreadyFollowed)?;
        let after = serde_json::json!({
            "url": url, "partner": feed.partner.trim(),
            "default_person": feed.default_person, "trusted": feed.trusted,
        });
        tx.record_audit(&AuditEntry::new(actor, "feed.create", "feed", id).after(&after))
            .await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// Stops following a feed; what it brought stays (and so does provenance).
pub async fn remove(db: &Db, actor: Option<i64>, id: i64) -> Result<(), FeedError> {
    use super::audit::{AuditEntry, RecordAudit};
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        // The row stays, disabled: its entries keep their provenance.
        let url: Option<String> = sqlx::query_scalar(
            "UPDATE feeds SET enabled = FALSE, removed_at = $2
              WHERE id = $1 AND removed_at IS NULL RETURNING url",
        )
        .bind(id)
        .bind(super::outbox::unix_now())
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

/// A feed claimed for fetching.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueFeed {
    pub id: i64,
    pub url: String,
    pub partner: String,
    pub default_person_id: Option<i64>,
    pub trusted: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub error_count: i32,
    pub parse_failures: i32,
}

macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE feeds SET next_fetch_at = $1 + $3
              WHERE id IN (SELECT id FROM feeds WHERE enabled AND next_fetch_at <= $1
                            ORDER BY next_fetch_at, id LIMIT $2",
            $lock,
            ")
             RETURNING id, url, partner, default_person_id, trusted, etag, last_modified,
                       error_count, parse_failures"
        )
    };
}

/// Claims up to `limit` due feeds, pushing their next fetch past the claim
/// time so that a crashed pass does not hold them for ever.
pub async fn claim_due(db: &Db, now: i64, limit: i64) -> Result<Vec<DueFeed>, sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            sqlx::query_as(claim_sql!(""))
                .bind(now)
                .bind(limit)
                .bind(CLAIM_SECONDS)
                .fetch_all(pool)
                .await
        }
        Db::Postgres(pool) => {
            sqlx::query_as(claim_sql!(" FOR UPDATE SKIP LOCKED"))
                .bind(now)
                .bind(limit)
                .bind(CLAIM_SECONDS)
                .fetch_all(pool)
                .await
        }
    }
}

/// What one fetch came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// New content: the body, and the validators for next time.
    Fresh {
        body: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified,
    /// 410: the partner says the feed is gone for good.
    Gone,
    /// 429 or 503, with how long to wait if the server said.
    SlowDown(Option<i64>),
    Failed(String),
}

/// Fetches a feed with a conditional GET; the body is read in chunks and
/// cut at `MAX_BODY_BYTES` (after decompression: a gzip bomb stops there).
pub async fn fetch(client: &reqwest::Client, feed: &DueFeed, now: i64) -> FetchOutcome {
    use http::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
    let mut request = client.get(&feed.url);
    if let Some(etag) = &feed.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(modified) = &feed.last_modified {
        request = request.header(IF_MODIFIED_SINCE, modified);
    }
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) if error.is_redirect() => {
            return FetchOutcome::Failed("too many redirects".into())
        }
        Err(error) if error.is_timeout() => return FetchOutcome::Failed("timed out".into()),
        Err(error) => return FetchOutcome::Failed(format!("cannot connect: {error}")),
    };
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    match status.as_u16() {
        304 => return FetchOutcome::NotModified,
        410 => return FetchOutcome::Gone,
        429 | 503 => {
            return FetchOutcome::SlowDown(header(RETRY_AFTER).and_then(|v| retry_after(&v, now)))
        }
        200 => {}
        other => return FetchOutcome::Failed(format!("HTTP {other}")),
    }
    let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return FetchOutcome::Failed(format!("larger than {MAX_BODY_BYTES} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) if error.is_timeout() => return FetchOutcome::Failed("timed out".into()),
            Err(error) => return FetchOutcome::Failed(format!("cannot read the body: {error}")),
        }
    }
    FetchOutcome::Fresh {
        body,
        etag,
        last_modified,
    }
}

/// Seconds to wait from a Retry-After value (seconds, or an HTTP date).
pub fn retry_after(value: &str, now: i64) -> Option<i64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        return Some(seconds.max(0));
    }
    chrono::DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|at| (at.timestamp() - now).max(0))
}

/// Exponential back-off from one minute, doubled per error, at most a day,
/// with ±20 % jitter so that feeds failing together spread out.
pub fn backoff(errors: i32, jitter: f64) -> i64 {
    let base = 60_i64.saturating_mul(1_i64 << errors.clamp(1, 20).saturating_sub(1));
    let base = base.min(MAX_BACKOFF_SECONDS) as f64;
    ((base * (1.0 + 0.2 * jitter.clamp(-1.0, 1.0))) as i64).clamp(1, MAX_BACKOFF_SECONDS)
}

/// An entry as we keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEntry {
    pub stable_key: String,
    pub url: Option<String>,
    pub title: String,
    pub summary_html: Option<String>,
    pub published_at: Option<i64>,
}

/// Parses RSS, Atom or JSON Feed. Each entry gets a stable key: its GUID or
/// id, else its canonical link, else a hash of its title and date; never a
/// random one, so a re-sync recognises it.
pub fn parse(body: &[u8]) -> Result<Vec<ParsedEntry>, String> {
    let parser = feed_rs::parser::Builder::new()
        // Leave missing ids empty: the key is chosen below, the same way every time.
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser.parse(body).map_err(|e| e.to_string())?;
    Ok(feed
        .entries
        .into_iter()
        .filter_map(|entry| {
            let title = entry
                .title
                .as_ref()
                .map(|t| {
                    crate::components::plain_text(
                        &ammonia::Builder::empty().clean(&t.content).to_string(),
                    )
                })
                .unwrap_or_default();
            let url = entry
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(entry.links.first())
                .map(|l| l.href.trim().to_owned())
                .and_then(|href| check_url(&href).ok());
            let published = entry.published.or(entry.updated).map(|t| t.timestamp());
            let html = entry
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .or_else(|| entry.summary.as_ref().map(|s| s.content.clone()));
            let summary_html = html
                .map(|h| super::sanitize::rich_text(&h))
                .filter(|h| !h.trim().is_empty());
            let stable_key = if !entry.id.trim().is_empty() {
                format!("id:{}", entry.id.trim())
            } else if let Some(url) = &url {
                format!("link:{url}")
            } else {
                let digest =
                    Sha256::digest(format!("{title}\n{}", published.unwrap_or(0)).as_bytes());
                format!(
                    "hash:{}",
                    digest
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                )
            };
            let title: String = if title.is_empty() {
                summary_html
                    .as_deref()
                    .map(crate::components::plain_text)
                    .map(|t| t.chars().take(120).collect())
                    .unwrap_or_default()
            } else {
                title.chars().take(500).collect()
            };
            (!title.is_empty()).then_some(ParsedEntry {
                stable_key: stable_key.chars().take(1_000).collect(),
                url,
                title,
                summary_html,
                published_at: published,
            })
        })
        .collect())
}

/// Words folded for matching: accents and case gone, punctuation a space.
pub fn fold(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    let words: Vec<&str> = ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    format!(" {} ", words.join(" "))
}

/// A person's names, folded, for matching.
#[derive(Debug, Clone)]
pub struct PersonNames {
    pub id: i64,
    pub names: Vec<String>,
}

pub async fn person_names(db: &Db) -> Result<Vec<PersonNames>, sqlx::Error> {
    let rows: Vec<(i64, String)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT id, full_name FROM persons
         UNION ALL SELECT person_id, alias FROM person_aliases"
    )
    .fetch_all(pool)
    .await)?;
    let mut persons: Vec<PersonNames> = Vec::new();
    for (id, name) in rows {
        let folded = fold(&name);
        if folded.trim().is_empty() {
            continue;
        }
        match persons.iter_mut().find(|p| p.id == id) {
            Some(person) => person.names.push(folded),
            None => persons.push(PersonNames {
                id,
                names: vec![folded],
            }),
        }
    }
    Ok(persons)
}

/// The person an entry is about: a name or alias standing as whole words in
/// its title or text (the longest name wins), else the feed's default person.
pub fn match_person(
    persons: &[PersonNames],
    entry: &ParsedEntry,
    default: Option<i64>,
) -> Option<i64> {
    let text = fold(&format!(
        "{} {}",
        entry.title,
        entry
            .summary_html
            .as_deref()
            .map(crate::components::plain_text)
            .unwrap_or_default()
    ));
    persons
        .iter()
        .flat_map(|p| p.names.iter().map(move |n| (p.id, n)))
        .filter(|(_, name)| text.contains(name.as_str()))
        .max_by_key(|(_, name)| name.len())
        .map(|(id, _)| id)
        .or(default)
}

/// What a pass did, for the log and the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    pub feeds: usize,
    pub new_entries: usize,
    pub published: usize,
    pub not_modified: usize,
    pub failed: usize,
}

/// One pass: claims due feeds and syncs each. `sync-feeds` runs one; the
/// worker beside the web server runs one a minute.
pub async fn run_pass(
    db: &Db,
    client: &reqwest::Client,
    now: i64,
) -> Result<PassReport, sqlx::Error> {
    let mut report = PassReport::default();
    let persons = person_names(db).await?;
    loop {
        let due = claim_due(db, now, CLAIM_BATCH).await?;
        if due.is_empty() {
            break;
        }
        // Fetch the batch concurrently; each result is stored on its own.
        let fetched =
            futures_util::future::join_all(due.iter().map(|feed| fetch(client, feed, now))).await;
        for (feed, outcome) in due.iter().zip(fetched) {
            report.feeds += 1;
            store_outcome(db, &persons, feed, outcome, now, &mut report).await?;
        }
    }
    Ok(report)
}

async fn store_outcome(
    db: &Db,
    persons: &[PersonNames],
    feed: &DueFeed,
    outcome: FetchOutcome,
    now: i64,
    report: &mut PassReport,
) -> Result<(), sqlx::Error> {
    let jitter = rand::random::<f64>() * 2.0 - 1.0;
    let failed = |report: &mut PassReport| report.failed += 1;
    match outcome {
        FetchOutcome::NotModified => {
            report.not_modified += 1;
            settle(db, feed.id, now + REFRESH_SECONDS, 0, None).await
        }
        FetchOutcome::Gone => {
            failed(report);
            on_pool!(db, |pool| {
                sqlx::query(
                "UPDATE feeds SET enabled = FALSE, last_error = 'HTTP 410: the partner removed this feed', last_fetched_at = $2 WHERE id = $1"
            )
            .bind(feed.id)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
            })
        }
        FetchOutcome::SlowDown(wait) => {
            failed(report);
            let errors = feed.error_count + 1;
            let wait = wait
                .unwrap_or_else(|| backoff(errors, jitter))
                .clamp(60, MAX_BACKOFF_SECONDS);
            settle(
                db,
                feed.id,
                now + wait,
                errors,
                Some("asked to slow down (429/503)".into()),
            )
            .await
        }
        FetchOutcome::Failed(reason) => {
            failed(report);
            let errors = feed.error_count + 1;
            settle(
                db,
                feed.id,
                now + backoff(errors, jitter),
                errors,
                Some(reason),
            )
            .await
        }
        FetchOutcome::Fresh {
            body,
            etag,
            last_modified,
        } => match parse(&body) {
            Err(reason) => {
                failed(report);
                let failures = feed.parse_failures + 1;
                let errors = feed.error_count + 1;
                on_pool!(db, |pool| {
                    sqlx::query(
                    "UPDATE feeds SET parse_failures = $2, flagged = flagged OR $3, error_count = $4,
                            next_fetch_at = $5, last_error = $6, last_fetched_at = $7 WHERE id = $1"
                )
                .bind(feed.id)
                .bind(failures)
                .bind(failures >= PARSE_FAILURES_TO_FLAG)
                .bind(errors)
                .bind(now + backoff(errors, jitter))
                .bind(format!("cannot parse: {}", reason.chars().take(300).collect::<String>()))
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ())
                })
            }
            Ok(entries) => {
                let (new, published) = store_entries(db, persons, feed, &entries, now).await?;
                report.new_entries += new;
                report.published += published;
                on_pool!(db, |pool| {
                    sqlx::query(
                    "UPDATE feeds SET etag = $2, last_modified = $3, error_count = 0, parse_failures = 0,
                            next_fetch_at = $4, last_error = NULL, last_fetched_at = $5 WHERE id = $1"
                )
                .bind(feed.id)
                .bind(etag.filter(|e| e.len() <= 500))
                .bind(last_modified.filter(|m| m.len() <= 100))
                .bind(now + REFRESH_SECONDS)
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ())
                })
            }
        },
    }
}

async fn settle(
    db: &Db,
    id: i64,
    next: i64,
    errors: i32,
    error: Option<String>,
) -> Result<(), sqlx::Error> {
    on_pool!(db, |pool| sqlx::query(
        "UPDATE feeds SET next_fetch_at = $2, error_count = $3, last_error = $4,
                last_fetched_at = $5 WHERE id = $1"
    )
    .bind(id)
    .bind(next)
    .bind(errors)
    .bind(error)
    .bind(super::outbox::unix_now())
    .execute(pool)
    .await
    .map(|_| ()))
}

/// Stores the entries not seen before, in one transaction; a trusted feed's
/// matched entries become published status events at once, with provenance.
async fn store_entries(
    db: &Db,
    persons: &[PersonNames],
    feed: &DueFeed,
    entries: &[ParsedEntry],
    now: i64,
) -> Result<(usize, usize), sqlx::Error> {
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let (mut new, mut published) = (0, 0);
        for entry in entries {
            let person = match_person(persons, entry, feed.default_person_id);
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO feed_entries (feed_id, stable_key, url, title, summary_html, published_at,
                                           matched_person_id, fetched_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (feed_id, stable_key) DO NOTHING RETURNING id",
            )
            .bind(feed.id)
            .bind(&entry.stable_key)
            .bind(&entry.url)
            .bind(&entry.title)
            .bind(&entry.summary_html)
            .bind(entry.published_at)
            .bind(person)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { continue };
            new += 1;
            if let (true, Some(person)) = (feed.trusted, person) {
                // A partner's date is only a claim: one in the future or before
                // 1900 would put the fact where no timeline can show it.
                let when = entry
                    .published_at
                    .filter(|t| (EARLIEST_FACT..=now).contains(t))
                    .unwrap_or(now);
                let day = chrono::DateTime::from_timestamp(when, 0)
                    .unwrap_or_default()
                    .date_naive();
                use chrono::Datelike;
                sqlx::query(
                    "INSERT INTO status_events (person_id, occurred_year, occurred_month, occurred_day, title,
                                                body_html, source_title, source_url, provenance, is_published,
                                                published_at, updated_at, notified_at, feed_entry_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'feed', TRUE, $9, $9, $9, $10)",
                )
                .bind(person)
                .bind(day.year())
                .bind(day.month() as i32)
                .bind(day.day() as i32)
                .bind(entry.title.chars().take(200).collect::<String>())
                .bind(&entry.summary_html)
                .bind(&feed.partner)
                .bind(&entry.url)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE feed_entries SET state = 'published' WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                published += 1;
            }
        }
        tx.commit().await?;
        Ok((new, published))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_a_minute_to_a_day() {
        assert_eq!(backoff(1, 0.0), 60);
        assert_eq!(backoff(2, 0.0), 120);
        assert_eq!(backoff(5, 0.0), 960);
        assert_eq!(backoff(30, 0.0), MAX_BACKOFF_SECONDS);
        assert_eq!(
            backoff(30, 1.0),
            MAX_BACKOFF_SECONDS,
            "jitter never passes the cap"
        );
        assert_eq!(backoff(1, 1.0), 72);
        assert_eq!(backoff(1, -1.0), 48);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after("120", 0), Some(120));
        assert_eq!(retry_after("Thu, 01 Jan 1970 00:10:00 GMT", 0), Some(600));
        assert_eq!(retry_after("soon", 0), None);
    }

    #[test]
    fn names_match_as_whole_words_without_case_or_accents() {
        let persons = vec![
            PersonNames {
                id: 1,
                names: vec![fold("Loujain al-Hathloul"), fold("Loujain Alhathloul")],
            },
            PersonNames {
                id: 2,
                names: vec![fold("Hamid Babaei")],
            },
        ];
        let entry = |title: &str| ParsedEntry {
            stable_key: "k".into(),
            url: None,
            title: title.into(),
            summary_html: None,
            published_at: None,
        };
        assert_eq!(
            match_person(&persons, &entry("LOUJAIN AL HATHLOUL freed"), None),
            Some(1)
        );
        assert_eq!(
            match_person(&persons, &entry("News on Hamid Babaeï"), None),
            Some(2)
        );
        assert_eq!(
            match_person(&persons, &entry("Hamid Babaeian speaks"), None),
            None,
            "whole words"
        );
        assert_eq!(
            match_person(&persons, &entry("Nothing here"), Some(2)),
            Some(2),
            "default person"
        );
    }

    #[test]
    fn entries_without_guids_get_keys_that_do_not_change() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>P</title>
            <item><title>With link</title><link>https://partner.example/a</link></item>
            <item><title>Bare &lt;b&gt;title&lt;/b&gt;</title><pubDate>Tue, 10 Feb 2021 10:00:00 GMT</pubDate></item>
            <item><guid>urn:x:1</guid><title>Guid</title><description>&lt;p onclick="x()"&gt;Hi&lt;script&gt;1&lt;/script&gt;&lt;/p&gt;</description></item>
            </channel></rss>"#;
        let first = parse(rss).unwrap();
        assert_eq!(first, parse(rss).unwrap(), "the same keys every time");
        assert_eq!(first[0].stable_key, "link:https://partner.example/a");
        assert!(first[1].stable_key.starts_with("hash:"));
        assert_eq!(first[1].title, "Bare title");
        assert_eq!(first[2].stable_key, "id:urn:x:1");
        assert_eq!(first[2].summary_html.as_deref(), Some("<p>Hi</p>"));
    }
}
