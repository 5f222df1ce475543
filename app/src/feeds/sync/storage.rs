//! What a sync keeps: which feeds are due and claimed, each feed's state
//! after a fetch (next fetch, back-off, errors for staff), and the entries
//! not seen before, a chunk to a transaction, a trusted feed's published at
//! once.
use super::client::{FetchOutcome, Problem};
use super::parser::ParsedFeed;
use super::processor::MatchedEntry;
use crate::on_pool;
use crate::records::timeline::{NewStatusEvent, Provenance, Timeline};
use crate::records::translations::stored_language;
use crate::server::audit::{Actor, AuditEntry, RecordAudit};
use crate::server::db::{BeginWrite, Db};

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
/// Entries are stored this many to a transaction, so that storing a large
/// feed never holds the one SQLite writer long (signing waits on it). Each
/// chunk is one INSERT of 9 values an entry: 900, far under the most values
/// one statement may bind (SQLite 32,766, PostgreSQL 65,535).
const ENTRIES_PER_COMMIT: usize = 100;

/// A feed claimed for fetching.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueFeed {
    pub id: i64,
    pub url: String,
    pub partner: String,
    pub default_person_id: Option<i64>,
    pub trusted: bool,
    /// The language of entries that do not say theirs.
    pub default_language: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub error_count: i32,
    pub parse_failures: i32,
}

impl DueFeed {
    /// What fetching it needs.
    pub fn address(&self) -> super::client::FeedAddress<'_> {
        super::client::FeedAddress {
            id: self.id,
            url: &self.url,
            etag: self.etag.as_deref(),
            last_modified: self.last_modified.as_deref(),
        }
    }
}

/// Claims up to `limit` due feeds, pushing their next fetch past the claim
/// time so that a crashed pass does not hold them for ever.
pub async fn claim_due(db: &Db, now: i64, limit: i64) -> Result<Vec<DueFeed>, sqlx::Error> {
    crate::claim!(
        db,
        "UPDATE feeds SET next_fetch_at = $1 + $3
          WHERE id IN (SELECT id FROM feeds WHERE enabled AND next_fetch_at <= $1
                        ORDER BY next_fetch_at, id LIMIT $2",
        ") RETURNING id, url, partner, default_person_id, trusted, default_language, etag,
                     last_modified, error_count, parse_failures",
        |query| query.bind(now).bind(limit).bind(CLAIM_SECONDS)
    )
}

/// Exponential back-off from one minute, doubled per error, at most a day,
/// with ±20 % jitter so that feeds failing together spread out.
pub fn backoff(errors: i32, jitter: f64) -> i64 {
    let base = 60_i64.saturating_mul(1_i64 << errors.clamp(1, 20).saturating_sub(1));
    let base = base.min(MAX_BACKOFF_SECONDS) as f64;
    ((base * (1.0 + 0.2 * jitter.clamp(-1.0, 1.0))) as i64).clamp(1, MAX_BACKOFF_SECONDS)
}

/// What a pass did, for the log and the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    pub feeds: usize,
    pub new_entries: usize,
    pub published: usize,
    pub not_modified: usize,
    pub failed: usize,
    /// Entries their source took down, hidden here.
    pub withdrawn: usize,
}

/// Stores what one fetch came to: its new entries, if it brought any, and
/// the feed's state for the next pass.
pub async fn store_outcome(
    db: &Db,
    feed: &DueFeed,
    outcome: FetchOutcome<Result<ParsedFeed<MatchedEntry>, String>>,
    now: i64,
    report: &mut PassReport,
) -> Result<(), sqlx::Error> {
    let next = match outcome {
        FetchOutcome::Fresh {
            body,
            etag,
            last_modified,
        } => match body {
            Ok(parsed) => {
                let (new, published) = store_entries(db, feed, &parsed.entries, now).await?;
                report.new_entries += new;
                report.published += published;
                report.withdrawn += withdraw_entries(db, feed, &parsed.withdrawn, now).await?;
                NextFetch::fresh(now, etag, last_modified, 0)
            }
            Err(reason) => {
                tracing::warn!(feed = feed.id, %reason, "feed unparsable");
                NextFetch::after_error(feed, now, Problem::NotAFeed)
            }
        },
        FetchOutcome::NotModified => {
            report.not_modified += 1;
            // Nothing new to parse: the run of parse failures goes on.
            let (etag, modified) = (feed.etag.clone(), feed.last_modified.clone());
            NextFetch::fresh(now, etag, modified, feed.parse_failures)
        }
        FetchOutcome::Gone => NextFetch::after_error(feed, now, Problem::Gone),
        FetchOutcome::SlowDown(wait) => NextFetch::slow_down(feed, now, wait),
        FetchOutcome::Failed(problem) => NextFetch::after_error(feed, now, problem),
    };
    if next.last_error.is_some() {
        report.failed += 1;
    }
    next.record(db, feed.id, now).await
}

/// A feed's state after a fetch: when to fetch it again, and what went wrong.
#[derive(Debug)]
struct NextFetch {
    next_fetch_at: i64,
    enabled: bool,
    error_count: i32,
    parse_failures: i32,
    flagged: bool,
    last_error: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
}

impl NextFetch {
    /// Fetched fine (new content or not modified): back to the hourly refresh.
    fn fresh(
        now: i64,
        etag: Option<String>,
        last_modified: Option<String>,
        parse_failures: i32,
    ) -> Self {
        NextFetch {
            next_fetch_at: now + REFRESH_SECONDS,
            enabled: true,
            error_count: 0,
            parse_failures,
            flagged: false,
            last_error: None,
            etag: etag.filter(|e| e.len() <= 500),
            last_modified: last_modified.filter(|m| m.len() <= 100),
        }
    }

    /// Backs off (or stops, on 410); three parse failures in a row flag the feed.
    fn after_error(feed: &DueFeed, now: i64, problem: Problem) -> Self {
        let jitter = rand::random::<f64>() * 2.0 - 1.0;
        let error_count = feed.error_count + 1;
        let mut next = NextFetch {
            next_fetch_at: now + backoff(error_count, jitter),
            enabled: true,
            error_count,
            parse_failures: feed.parse_failures,
            flagged: false,
            last_error: Some(problem.code()),
            etag: feed.etag.clone(),
            last_modified: feed.last_modified.clone(),
        };
        match problem {
            Problem::Gone => {
                // Stopped, not backing off: its error count stays what it was.
                next.enabled = false;
                next.error_count = feed.error_count;
            }
            Problem::NotAFeed => {
                next.parse_failures = feed.parse_failures + 1;
                next.flagged = next.parse_failures >= PARSE_FAILURES_TO_FLAG;
            }
            _ => {}
        }
        next
    }

    /// 429 or 503: as long as the partner said (or the back-off), from a
    /// minute to a day.
    fn slow_down(feed: &DueFeed, now: i64, wait: Option<i64>) -> Self {
        let mut next = Self::after_error(feed, now, Problem::SlowDown);
        let wait = wait.unwrap_or(next.next_fetch_at - now);
        next.next_fetch_at = now + wait.clamp(60, MAX_BACKOFF_SECONDS);
        next
    }

    /// One UPDATE for every outcome. A flag stays until staff act on it.
    async fn record(&self, db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
        on_pool!(db, |pool| sqlx::query(
            "UPDATE feeds SET next_fetch_at = $2, enabled = enabled AND $3, error_count = $4,
                    parse_failures = $5, flagged = flagged OR $6, last_error = $7, etag = $8,
                    last_modified = $9, last_fetched_at = $10
              WHERE id = $1"
        )
        .bind(id)
        .bind(self.next_fetch_at)
        .bind(self.enabled)
        .bind(self.error_count)
        .bind(self.parse_failures)
        .bind(self.flagged)
        .bind(&self.last_error)
        .bind(&self.etag)
        .bind(&self.last_modified)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))
    }
}

/// Stores the entries not seen before, a chunk to a transaction; a trusted
/// feed's matched entries become published status events at once, with
/// provenance.
async fn store_entries(
    db: &Db,
    feed: &DueFeed,
    entries: &[MatchedEntry],
    now: i64,
) -> Result<(usize, usize), sqlx::Error> {
    let (mut new, mut published) = (0, 0);
    for chunk in entries.chunks(ENTRIES_PER_COMMIT) {
        let (n, p) = store_chunk(db, feed, chunk, now).await?;
        new += n;
        published += p;
    }
    Ok((new, published))
}

async fn store_chunk(
    db: &Db,
    feed: &DueFeed,
    chunk: &[MatchedEntry],
    now: i64,
) -> Result<(usize, usize), sqlx::Error> {
    let default_language = stored_language(&feed.default_language)?;
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        // The chunk in one statement: a round trip per entry was most of the
        // time an ingest took on PostgreSQL (BENCHMARKS.md, issue 15).
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO feed_entries (feed_id, stable_key, url, title, summary_html, published_at,
                                       matched_person_id, fetched_at, language) ",
        );
        insert.push_values(chunk, |mut row, (entry, person)| {
            row.push_bind(feed.id)
                .push_bind(entry.stable_key.as_str())
                .push_bind(entry.url.as_deref())
                .push_bind(entry.title.as_str())
                .push_bind(entry.summary_html.as_deref())
                .push_bind(entry.published_at)
                .push_bind(person)
                .push_bind(now)
                .push_bind(entry.language.unwrap_or(default_language).code());
        });
        insert.push(" ON CONFLICT (feed_id, stable_key) DO NOTHING RETURNING stable_key, id");
        let stored: Vec<(String, i64)> = insert.build_query_as().fetch_all(&mut *tx).await?;
        let new = stored.len();
        let mut published = 0;
        // Which entry each new row is: by its key, the first entry of a key
        // only (a feed that repeats an entry stores and publishes it once).
        let mut new_ids: std::collections::HashMap<String, i64> = stored.into_iter().collect();
        for (entry, person) in chunk {
            let Some(id) = new_ids.remove(entry.stable_key.as_str()) else {
                continue;
            };
            let language = entry.language.unwrap_or(default_language);
            if let (true, &Some(person)) = (feed.trusted, person) {
                // A partner's date is only a claim: one in the future or before
                // 1900 would put the fact where no timeline can show it.
                let when = entry
                    .published_at
                    .filter(|t| (EARLIEST_FACT..=now).contains(t))
                    .unwrap_or(now);
                let day = chrono::DateTime::from_timestamp(when, 0)
                    .unwrap_or_default()
                    .date_naive();
                let title: String = entry.title.chars().take(200).collect();
                let event = NewStatusEvent {
                    person_id: person,
                    status: None,
                    occurred_on: crate::server::clock::date(day),
                    title: &title,
                    body_html: entry.summary_html.as_deref(),
                    source_title: Some(&feed.partner),
                    source_url: entry.url.as_deref(),
                    provenance: Provenance::Feed { entry: id },
                    author: None,
                    published: true,
                    original_language: language,
                };
                let event = tx.insert_status_event(&event, now).await?;
                sqlx::query("UPDATE feed_entries SET state = 'published' WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                // Published by no one on staff: the feed answers for it in the log.
                tx.audit_entry_event(Actor::Feed(feed.id), id, event)
                    .await?;
                published_before_translation(&mut *tx, Actor::Feed(feed.id), event).await?;
                published += 1;
            }
        }
        tx.commit().await?;
        Ok((new, published))
    })
}

/// The entries this feed's source says it took down (a case taken down on
/// the partner's instance, issue 29), a chunk to a transaction: each leaves
/// the inbox, and an update made from it is unpublished (the timeline's
/// own unpublish) and kept internal, so that nobody publishes it again by
/// mistake; staff see why on the inbox page. Audited as the feed's doing.
/// Returns how many entries were withdrawn.
async fn withdraw_entries(
    db: &Db,
    feed: &DueFeed,
    keys: &[String],
    now: i64,
) -> Result<usize, sqlx::Error> {
    let mut withdrawn = 0;
    for chunk in keys.chunks(ENTRIES_PER_COMMIT) {
        withdrawn += on_pool!(db, |pool| {
            let waiting = || {
                let mut select = sqlx::QueryBuilder::new(
                    "SELECT id, state FROM feed_entries WHERE withdrawn_at IS NULL AND feed_id = ",
                );
                select.push_bind(feed.id).push(" AND stable_key IN (");
                let mut keys = select.separated(", ");
                for key in chunk {
                    keys.push_bind(key.as_str());
                }
                select.push(") ORDER BY id");
                select
            };
            // Read first: a feed keeps its tombstones, and every later fetch
            // brings them again; the writer is taken only when one is new.
            let new: Vec<(i64, String)> = waiting().build_query_as().fetch_all(pool).await?;
            if new.is_empty() {
                return Ok(0);
            }
            let mut tx = pool.begin_write().await?;
            let entries: Vec<(i64, String)> =
                waiting().build_query_as().fetch_all(&mut *tx).await?;
            for (entry, state) in &entries {
                sqlx::query("UPDATE feed_entries SET withdrawn_at = $2 WHERE id = $1")
                    .bind(entry)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.record_audit(
                    &AuditEntry::new(Actor::Feed(feed.id), "feed_entry.withdraw", "feed_entry", *entry)
                        .before(&serde_json::json!({ "state": state }))
                        .after(&serde_json::json!({ "state": state, "withdrawn_at": now, "why": "taken down by its source" })),
                )
                .await?;
                let events: Vec<(i64, bool)> = sqlx::query_as(
                    "SELECT id, is_published FROM status_events WHERE feed_entry_id = $1 ORDER BY id",
                )
                .bind(entry)
                .fetch_all(&mut *tx)
                .await?;
                for (event, published) in events {
                    sqlx::query("UPDATE status_events SET is_internal = TRUE WHERE id = $1")
                        .bind(event)
                        .execute(&mut *tx)
                        .await?;
                    if published {
                        tx.set_published(Actor::Feed(feed.id), event, false, now, "")
                            .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(entries.len())
        })?;
    }
    Ok(withdrawn)
}

/// What comes from a partner is published in its one language: the other
/// languages the person's municipalities require wait in the translation
/// queue, and the audit log says what was missing, as when staff publish
/// with the translations to follow.
pub async fn published_before_translation<C>(
    conn: &mut C,
    actor: Actor,
    event: i64,
) -> Result<(), sqlx::Error>
where
    C: crate::records::timeline::Timeline
        + crate::records::translations::Translations
        + crate::server::audit::RecordAudit
        + Send,
{
    use crate::records::translations::{publication_gate, Kind, Publication};
    if let Some(record) = conn.status_event_record(event).await? {
        let to_follow = Publication::TranslationsToFollow;
        let gate = publication_gate(
            conn,
            actor,
            Kind::StatusEvent,
            event,
            &record.person,
            &record,
            to_follow,
        );
        // With the translations to follow, the gate never refuses.
        let _ = gate.await?;
    }
    Ok(())
}

/// The audit of a status event made from a feed entry, whoever made it (a
/// comms member from the inbox, or a trusted feed): the event as written, and
/// the entry leaving the inbox for it.
pub trait EntryAudit {
    fn audit_entry_event(
        &mut self,
        actor: Actor,
        entry: i64,
        event: i64,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

crate::impl_for_connections! {
    impl EntryAudit {
        async fn audit_entry_event(&mut self, actor: Actor, entry: i64, event: i64) -> Result<(), sqlx::Error> {
            let record = self.status_event_record(event).await?;
            self.record_audit(&AuditEntry::new(actor, "status_event.create", "status_event", event).after(&record))
                .await?;
            self.record_audit(
                &AuditEntry::new(actor, "feed_entry.publish", "feed_entry", entry)
                    .before(&serde_json::json!({ "state": "new" }))
                    .after(&serde_json::json!({ "state": "published", "status_event": event })),
            )
            .await
        }
    }
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
}
