//! Syncing partner feeds, top to bottom: a pass claims the feeds that are
//! due (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so that several
//! instances never fetch the same feed at once), fetches each carefully,
//! parses RSS, Atom or JSON Feed with feed-rs, matches each entry to a
//! person, and stores it once, sanitized. A trusted feed's matched entries
//! become published status events at once. Nothing a partner serves is
//! trusted: sizes, times, redirects and markup are all bounded here.
use crate::i18n::Locale;
use crate::on_pool;
use crate::records::timeline::{NewStatusEvent, Provenance, Timeline};
use crate::records::translations::stored_language;
use crate::server::audit::{Actor, AuditEntry, RecordAudit};
use crate::server::db::{BeginWrite, Db};
use crate::text::plain_text;
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
/// Feeds claimed at once; a pass claims batches until none is due.
pub const CLAIM_BATCH: i64 = 32;
/// At most this many entries of one fetch are kept, the newest: a 5 MB feed
/// of tiny items would otherwise be a hundred thousand rows at once.
pub const MAX_ENTRIES_PER_FETCH: usize = 500;
/// Entries are stored this many to a transaction, so that storing a large
/// feed never holds the one SQLite writer long (signing waits on it). Each
/// chunk is one INSERT of 9 values an entry: 900, far under the most values
/// one statement may bind (SQLite 32,766, PostgreSQL 65,535).
const ENTRIES_PER_COMMIT: usize = 100;

/// Which addresses partner feeds may be fetched from. A feed address is
/// typed by staff and its redirects are chosen by the partner: without a
/// check, either could make this server fetch from inside its own network
/// (the cloud metadata service at 169.254.169.254, a database's admin port)
/// and report what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The default: public addresses only.
    PublicOnly,
    /// Loopback and private networks too (`FEEDS_ALLOW_PRIVATE=1`: tests, intranets).
    PrivateToo,
}

/// The HTTP client for partner feeds: bounded in time and redirects,
/// decompressing (the size cap applies to what comes out), and reaching only
/// what `reach` allows, for every resolved address and every redirect hop.
#[derive(Debug, Clone)]
pub struct FeedClient {
    http: reqwest::Client,
    reach: Reach,
}

pub fn client(reach: Reach) -> FeedClient {
    FeedClient::from_builder(client_builder(reach), reach)
}

impl FeedClient {
    /// A client from changed settings (see `client_builder`).
    pub fn from_builder(builder: reqwest::ClientBuilder, reach: Reach) -> Self {
        let http = builder
            .build()
            .expect("the feed client's settings are valid");
        Self { http, reach }
    }
}

/// The client's settings, for a test to change one (a shorter timeout, a
/// name resolved to a test server).
pub fn client_builder(reach: Reach) -> reqwest::ClientBuilder {
    // lettre already brings rustls with ring; reqwest uses the same provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let builder = reqwest::Client::builder()
        .user_agent(concat!("Lumieres-feed-reader/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .redirect(redirect_policy(reach))
        .gzip(true)
        .brotli(true)
        .deflate(true);
    match reach {
        Reach::PublicOnly => builder.dns_resolver(PublicResolver),
        Reach::PrivateToo => builder,
    }
}

/// Refused: the address is not a public one.
#[derive(Debug, thiserror::Error)]
#[error("refused: {0} is not a public address")]
pub struct PrivateAddress(pub std::net::IpAddr);

/// Whether an address is on the public internet: not loopback, private,
/// link-local, shared (CGNAT), unique-local, documentation, multicast,
/// reserved or unspecified, seen directly or inside an IPv6 address.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 198 && (18..20).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped().or_else(|| v6.to_ipv4()) {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || (first == 0x0064 && v6.segments()[1] == 0xff9b))
        }
    }
}

/// Resolves names as the system does, then keeps public addresses only.
struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<std::net::SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| is_public(a.ip()))
                .collect();
            match (public.is_empty(), found.first()) {
                (true, Some(refused)) => Err(Box::new(PrivateAddress(refused.ip())) as _),
                _ => Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// At most `MAX_REDIRECTS` hops; with `PublicOnly`, a hop to an address
/// written as an IP (which no resolver sees) must be public too.
fn redirect_policy(reach: Reach) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error("too many redirects");
        }
        match refused_literal(reach, attempt.url().host_str()) {
            Some(ip) => attempt.error(PrivateAddress(ip)),
            None => attempt.follow(),
        }
    })
}

/// A host written as an IP address that `reach` does not allow. Such a host
/// is connected to directly, without the resolver, so it is checked here.
fn refused_literal(reach: Reach, host: Option<&str>) -> Option<std::net::IpAddr> {
    let host = host?.trim_start_matches('[').trim_end_matches(']');
    let ip: std::net::IpAddr = host.parse().ok()?;
    (reach == Reach::PublicOnly && !is_public(ip)).then_some(ip)
}

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

/// What went wrong with a fetch, as staff are told it (a class, stored in
/// `feeds.last_error` as a code the staff page words in their language);
/// the raw error goes to the log only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    PrivateAddress,
    CannotConnect,
    TimedOut,
    TooManyRedirects,
    TooLarge,
    CannotRead,
    /// A status other than 200, 304, 410, 429 and 503.
    Http(u16),
    NotAFeed,
    SlowDown,
    Gone,
}

impl Problem {
    /// `private-address`, `server-error:502`, `refused:404`, …
    pub fn code(&self) -> String {
        match self {
            Problem::PrivateAddress => "private-address".into(),
            Problem::CannotConnect => "cannot-connect".into(),
            Problem::TimedOut => "timed-out".into(),
            Problem::TooManyRedirects => "too-many-redirects".into(),
            Problem::TooLarge => "too-large".into(),
            Problem::CannotRead => "cannot-read".into(),
            Problem::Http(status) if *status >= 500 => format!("server-error:{status}"),
            Problem::Http(status) => format!("refused:{status}"),
            Problem::NotAFeed => "not-a-feed".into(),
            Problem::SlowDown => "slow-down".into(),
            Problem::Gone => "gone".into(),
        }
    }

    /// The class of a failed request; the detail is logged, not kept.
    fn of(error: &reqwest::Error, feed: i64) -> Self {
        tracing::warn!(feed, %error, "feed fetch failed");
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(cause) = source {
            if cause.downcast_ref::<PrivateAddress>().is_some() {
                return Problem::PrivateAddress;
            }
            source = cause.source();
        }
        if error.is_timeout() {
            Problem::TimedOut
        } else if error.is_redirect() {
            Problem::TooManyRedirects
        } else {
            Problem::CannotConnect
        }
    }
}

/// What one fetch came to; `Body` is the bytes as fetched, then what
/// parsing them gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome<Body = Vec<u8>> {
    /// New content: the body, and the validators for next time.
    Fresh {
        body: Body,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified,
    /// 410: the partner says the feed is gone for good.
    Gone,
    /// 429 or 503, with how long to wait if the server said.
    SlowDown(Option<i64>),
    Failed(Problem),
}

/// Fetches a feed with a conditional GET; the body is read in chunks and
/// cut at `MAX_BODY_BYTES` (after decompression: a gzip bomb stops there).
pub async fn fetch(client: &FeedClient, feed: &DueFeed, now: i64) -> FetchOutcome {
    use http::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
    let host = http::Uri::try_from(feed.url.as_str())
        .ok()
        .and_then(|uri| uri.host().map(str::to_owned));
    if let Some(ip) = refused_literal(client.reach, host.as_deref()) {
        tracing::warn!(feed = feed.id, %ip, "feed refused: not a public address");
        return FetchOutcome::Failed(Problem::PrivateAddress);
    }
    let mut request = client.http.get(&feed.url);
    if let Some(etag) = &feed.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(modified) = &feed.last_modified {
        request = request.header(IF_MODIFIED_SINCE, modified);
    }
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return FetchOutcome::Failed(Problem::of(&error, feed.id)),
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
        other => return FetchOutcome::Failed(Problem::Http(other)),
    }
    let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return FetchOutcome::Failed(Problem::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) if error.is_timeout() => return FetchOutcome::Failed(Problem::TimedOut),
            Err(error) => {
                tracing::warn!(feed = feed.id, %error, "feed body unreadable");
                return FetchOutcome::Failed(Problem::CannotRead);
            }
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
    /// The language the entry (else its feed) says it is in, if one of ours.
    pub language: Option<Locale>,
}

/// A language tag (`fr`, `nl-BE`, `en_US`) as one of the network's languages.
pub fn network_language(tag: &str) -> Option<Locale> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
    Locale::from_code(&primary.to_ascii_lowercase())
}

/// The `language` JSON Feed 1.1 gives each item, by item id: feed-rs reads
/// only the feed's own.
fn json_item_languages(body: &[u8]) -> std::collections::HashMap<String, Locale> {
    let is_json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    let Some(items) = is_json
        .then(|| serde_json::from_slice::<serde_json::Value>(body).ok())
        .flatten()
        .and_then(|feed| feed.get("items").and_then(|i| i.as_array()).cloned())
    else {
        return Default::default();
    };
    items
        .iter()
        .filter_map(|item| {
            let id = item.get("id")?.as_str()?.trim().to_owned();
            let language = network_language(item.get("language")?.as_str()?)?;
            Some((id, language))
        })
        .collect()
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
    let feed_language = feed.language.as_deref().and_then(network_language);
    let item_languages = json_item_languages(body);
    Ok(feed
        .entries
        .into_iter()
        .filter_map(|entry| {
            let title = entry
                .title
                .as_ref()
                .map(|t| plain_text(&ammonia::Builder::empty().clean(&t.content).to_string()))
                .unwrap_or_default();
            let url = entry
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(entry.links.first())
                .map(|l| l.href.trim().to_owned())
                .and_then(|href| crate::server::sanitize::web_address(&href));
            let published = entry.published.or(entry.updated).map(|t| t.timestamp());
            let language = entry
                .language
                .as_deref()
                .and_then(network_language)
                .or_else(|| item_languages.get(entry.id.trim()).copied())
                .or(feed_language);
            let html = entry
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .or_else(|| entry.summary.as_ref().map(|s| s.content.clone()));
            let summary_html = html
                .map(|h| crate::server::sanitize::rich_text(&h))
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
                    .map(plain_text)
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
                language,
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
            .map(plain_text)
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
pub async fn run_pass(db: &Db, client: &FeedClient, now: i64) -> Result<PassReport, sqlx::Error> {
    let mut report = PassReport::default();
    let persons = person_names(db).await?;
    // One parse at a time: parsing never takes more than one core, however
    // many feeds arrive at once (storing, beside it, mostly waits on the
    // database).
    let parsing = std::sync::Arc::new(tokio::sync::Semaphore::new(1));
    let started = std::time::Instant::now();
    loop {
        // A long pass moves its clock on: each batch is claimed (and leased)
        // from the time it is claimed, not from when the pass began.
        let now = now + started.elapsed().as_secs() as i64;
        let due = claim_due(db, now, CLAIM_BATCH).await?;
        if due.is_empty() {
            break;
        }
        // Each fetch of the batch is a task of its own, parsed as it arrives
        // and stored as soon as it is parsed, so that parsing one feed and
        // storing another overlap. Tasks, not futures polled from here: a
        // fetch left unpolled while a long store runs would run out its
        // deadline with its bytes already there.
        let mut fetched = tokio::task::JoinSet::new();
        for feed in due {
            let (client, parsing) = (client.clone(), parsing.clone());
            fetched.spawn(async move {
                let outcome = fetch(&client, &feed, now).await;
                let outcome = parsed(outcome, &parsing).await;
                (feed, outcome)
            });
        }
        while let Some(joined) = fetched.join_next().await {
            let (feed, outcome) = match joined {
                Ok(done) => done,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                // Cancelled: cannot happen (only dropping the set aborts its
                // tasks); were it to, the lease frees the feed.
                Err(_) => continue,
            };
            report.feeds += 1;
            store_outcome(db, &persons, &feed, outcome, now, &mut report).await?;
        }
    }
    Ok(report)
}

/// A fetch with its body parsed (or why it could not be), on a blocking
/// thread: a large feed takes CPU the web server's workers should not wait
/// behind. Keeps the newest `MAX_ENTRIES_PER_FETCH`.
async fn parsed(
    outcome: FetchOutcome,
    parsing: &tokio::sync::Semaphore,
) -> FetchOutcome<Result<Vec<ParsedEntry>, String>> {
    match outcome {
        FetchOutcome::Fresh {
            body,
            etag,
            last_modified,
        } => {
            // Never closed: the permit is always there to wait for.
            let _permit = parsing.acquire().await.ok();
            let body = tokio::task::spawn_blocking(move || parse(&body))
                .await
                .map_err(|e| format!("the parser stopped: {e}"))
                .and_then(|parsed| parsed.map(newest));
            FetchOutcome::Fresh {
                body,
                etag,
                last_modified,
            }
        }
        FetchOutcome::NotModified => FetchOutcome::NotModified,
        FetchOutcome::Gone => FetchOutcome::Gone,
        FetchOutcome::SlowDown(wait) => FetchOutcome::SlowDown(wait),
        FetchOutcome::Failed(problem) => FetchOutcome::Failed(problem),
    }
}

/// The newest entries of a fetch, at most `MAX_ENTRIES_PER_FETCH`; entries
/// without a date keep their place after the dated ones.
pub fn newest(mut entries: Vec<ParsedEntry>) -> Vec<ParsedEntry> {
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.published_at));
    entries.truncate(MAX_ENTRIES_PER_FETCH);
    entries
}

/// Stores what one fetch came to: its new entries, if it brought any, and
/// the feed's state for the next pass.
async fn store_outcome(
    db: &Db,
    persons: &[PersonNames],
    feed: &DueFeed,
    outcome: FetchOutcome<Result<Vec<ParsedEntry>, String>>,
    now: i64,
    report: &mut PassReport,
) -> Result<(), sqlx::Error> {
    let next = match outcome {
        FetchOutcome::Fresh {
            body,
            etag,
            last_modified,
        } => match body {
            Ok(entries) => {
                let (new, published) = store_entries(db, persons, feed, &entries, now).await?;
                report.new_entries += new;
                report.published += published;
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

/// Stores the entries not seen before, matched to persons first, a chunk to
/// a transaction; a trusted feed's matched entries become published status
/// events at once, with provenance.
async fn store_entries(
    db: &Db,
    persons: &[PersonNames],
    feed: &DueFeed,
    entries: &[ParsedEntry],
    now: i64,
) -> Result<(usize, usize), sqlx::Error> {
    let matched: Vec<(&ParsedEntry, Option<i64>)> = entries
        .iter()
        .map(|entry| (entry, match_person(persons, entry, feed.default_person_id)))
        .collect();
    let (mut new, mut published) = (0, 0);
    for chunk in matched.chunks(ENTRIES_PER_COMMIT) {
        let (n, p) = store_chunk(db, feed, chunk, now).await?;
        new += n;
        published += p;
    }
    Ok((new, published))
}

async fn store_chunk(
    db: &Db,
    feed: &DueFeed,
    chunk: &[(&ParsedEntry, Option<i64>)],
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
        insert.push_values(chunk, |mut row, &(entry, person)| {
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
        for &(entry, person) in chunk {
            let Some(id) = new_ids.remove(entry.stable_key.as_str()) else {
                continue;
            };
            let language = entry.language.unwrap_or(default_language);
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
            language: None,
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
    fn an_entry_is_in_the_language_it_or_its_feed_gives() {
        assert_eq!(network_language("nl-BE"), Some(Locale::Nl));
        assert_eq!(network_language(" FR_be "), Some(Locale::Fr));
        assert_eq!(network_language("de"), None);
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="nl"><title>t</title><id>f</id>
            <entry><id>1</id><title>Vrijgelaten</title><content type="html">v</content></entry>
            <entry><id>2</id><title>Libéré</title><content type="html" xml:lang="fr-BE">l</content></entry></feed>"#;
        let languages: Vec<_> = parse(atom.as_bytes())
            .unwrap()
            .iter()
            .map(|e| e.language)
            .collect();
        assert_eq!(languages, [Some(Locale::Nl), Some(Locale::Fr)]);
        let rss = r#"<rss version="2.0"><channel><title>t</title><language>de-DE</language>
            <item><guid>1</guid><title>Freigelassen</title></item></channel></rss>"#;
        assert_eq!(
            parse(rss.as_bytes()).unwrap()[0].language,
            None,
            "not a language of the network: the feed's default decides"
        );
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","language":"en",
            "items":[{"id":"1","title":"Libéré","language":"fr","content_html":"l"},
                     {"id":"2","title":"Released","content_html":"r"}]}"#;
        let languages: Vec<_> = parse(json.as_bytes())
            .unwrap()
            .iter()
            .map(|e| e.language)
            .collect();
        assert_eq!(languages, [Some(Locale::Fr), Some(Locale::En)]);
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
