//! The render cache (issue 14): public pages, feeds and open data are
//! answered from the responses rendered before, as long as nothing they show
//! has changed. A person page costs several queries and a render; from the
//! cache it costs one read of a number.
//!
//! - **Never stale after a change.** Triggers bump `content_version` in the
//!   transaction of every write to what public pages show (migration 0017),
//!   whoever writes: this instance, another one on the same PostgreSQL, the
//!   command line. Each request reads that one number; an entry rendered
//!   under another is rendered again. Read per request rather than pushed
//!   (LISTEN/NOTIFY) because a notification arrives after the writer's
//!   answer, so a reader sent to the other instance right then could still
//!   get the old page; the read costs a primary-key lookup, and the requests
//!   that come while one is under way share the next.
//! - **Counts at most a second old.** Signing and confirming are not watched
//!   (a row every signer updates would serialise signing; anonymisation is),
//!   so an entry lives one second; a confirmation or withdrawal on this
//!   instance shows at once ([`RenderCache::signatures_changed`]), but
//!   while they come twenty a second or more, within a tenth of one:
//!   otherwise a day of fame's hundreds of confirmations a second would
//!   render every page anew for every reader. The clock (an action closing)
//!   is covered by the same second.
//! - **One rendering at a time.** When an entry has to be rendered again,
//!   the requests for it that come meanwhile wait for that one rendering
//!   instead of each making their own (issue 27: ten thousand watchers of
//!   one action).
//! - **Compressed once.** An entry keeps its body in brotli and gzip, made
//!   when it is stored (`server::encoded`); each answer is the variant the
//!   browser accepts, sent as it is.
//! - **Nothing personal.** Only `GET`s of the public routes below, only from
//!   requests whose cookies are at most the language choice (a staff session
//!   or a flash makes the request pass by the cache, both ways), and only
//!   `200` answers that set no cookie but the language one and do not say
//!   `private` or `no-store`.
//! - **The same bytes for everyone, and still a strict script policy.** The
//!   CSP nonce of the render would be one shared by every reader of the
//!   entry; instead, when an entry is stored, its inline scripts are allowed
//!   by their SHA-256 hashes (CSP Level 2) and the nonce is taken out. A
//!   script injected into a page matches no hash, as it would match no nonce.
//! - **Bounded.** Entries are weighed in bytes, every encoding counted, and
//!   past the cap the least useful ones go (quick_cache's CLOCK-Pro).
use super::encoded::{compressible, Encoded, Encoding};
use super::{cacheable, db::Db, AppState};
use crate::i18n::Locale;
use crate::on_pool;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an entry may serve counts that no trigger watches.
const COUNTS_MAX_AGE: Duration = Duration::from_secs(1);
/// Confirmations and withdrawals this many a second are a surge: an entry
/// then outlives them `SIGNATURES_SETTLE`.
const SURGE_PER_SECOND: usize = 20;
const SIGNATURES_SETTLE: Duration = Duration::from_millis(100);

/// A rendered response, as stored and as every reader gets it.
struct Page {
    version: Version,
    rendered_at: Instant,
    /// The headers of every answer: no length, no encoding, the scripts'
    /// hashes in the Content-Security-Policy, `Vary` naming Accept-Encoding.
    headers: HeaderMap,
    body: Encoded,
    weight: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Version {
    /// The database's change counter.
    content: i64,
    /// Signatures confirmed or withdrawn through this instance.
    signatures: u64,
    /// Whether they come in a surge.
    surge: bool,
}

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, Arc<Page>> for ByBytes {
    fn weight(&self, key: &String, page: &Arc<Page>) -> u64 {
        key.len() as u64 + page.weight
    }
}

/// A rendering under way, which the requests for its key wait for: the
/// page it made, or `None` when its answer may not be kept.
type Flight = Arc<tokio::sync::OnceCell<Option<Arc<Page>>>>;

/// Rendered public responses, shared by the requests of one instance.
#[derive(Clone)]
pub struct RenderCache {
    pages: Option<Arc<quick_cache::sync::Cache<String, Arc<Page>, ByBytes>>>,
    flights: Arc<Mutex<HashMap<String, Flight>>>,
    signatures: Arc<AtomicU64>,
    /// When the latest confirmations or withdrawals came (at most
    /// `SURGE_PER_SECOND`), and whether they came in a surge.
    recent_signatures: Arc<Mutex<std::collections::VecDeque<Instant>>>,
    surge: Arc<AtomicBool>,
    /// The change counter, read once for all the requests that came while
    /// the previous read was under way.
    content: super::fresh::Fresh<i64>,
    largest_entry: usize,
}

impl std::fmt::Debug for RenderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderCache")
            .field("bytes", &self.pages.as_ref().map(|pages| pages.weight()))
            .finish_non_exhaustive()
    }
}

impl RenderCache {
    /// A cache holding at most `capacity` bytes of responses; 0 turns it off.
    pub fn new(capacity: u64) -> Self {
        // A typical page is ~20 KB; no entry may take more than an eighth.
        // Four shards whatever the cores: an entry heavier than its shard's
        // share would be dropped silently.
        let options = quick_cache::OptionsBuilder::new()
            .shards(4)
            .estimated_items_capacity(usize::try_from(capacity / 20_000).unwrap_or(usize::MAX))
            .weight_capacity(capacity)
            .build();
        let pages = match options {
            Ok(options) if capacity > 0 => Some(Arc::new(quick_cache::sync::Cache::with_options(
                options,
                ByBytes,
                Default::default(),
                Default::default(),
            ))),
            _ => None,
        };
        RenderCache {
            pages,
            flights: Arc::default(),
            signatures: Arc::default(),
            recent_signatures: Arc::default(),
            surge: Arc::default(),
            content: super::fresh::Fresh::new(Duration::ZERO, 1),
            // Kept in three encodings, an entry of an eighth could outweigh
            // its shard (a quarter): a twelfth.
            largest_entry: usize::try_from(capacity / 12).unwrap_or(usize::MAX),
        }
    }

    /// A signature was confirmed or withdrawn: counts on every page changed.
    pub fn signatures_changed(&self) {
        let now = Instant::now();
        let surge = {
            let mut recent = self
                .recent_signatures
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            recent.push_back(now);
            if recent.len() > SURGE_PER_SECOND {
                recent.pop_front();
            }
            recent.len() == SURGE_PER_SECOND
                && recent
                    .front()
                    .is_some_and(|first| now.duration_since(*first) < Duration::from_secs(1))
        };
        self.surge.store(surge, Ordering::SeqCst);
        self.signatures.fetch_add(1, Ordering::SeqCst);
    }

    async fn version(&self, db: &Db) -> Result<Version, sqlx::Error> {
        // Taken before the database's: a confirmation between the two reads
        // makes the entry older than it is, never newer.
        let signatures = self.signatures.load(Ordering::SeqCst);
        let content = self
            .content
            .get("content_version", || content_version(db))
            .await?;
        Ok(Version {
            content,
            signatures,
            surge: self.surge.load(Ordering::SeqCst),
        })
    }

    /// The rendering of `key` under way, or a new one.
    fn flight(&self, key: &str) -> Flight {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        flights.entry(key.to_owned()).or_default().clone()
    }

    /// A rendering is over: the next staleness starts another.
    fn landed(&self, key: &str, flight: &Flight) {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if flights.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            flights.remove(key);
        }
    }
}

impl Page {
    /// Whether a page rendered for another request may answer one that
    /// read `now`: it read what that one would have.
    fn is_as_new_as(&self, now: Version) -> bool {
        self.version.content >= now.content
            && (self.version.signatures >= now.signatures || now.surge)
    }

    /// Whether the page may answer a request that read `now`.
    fn is_fresh(&self, now: Version) -> bool {
        let age = self.rendered_at.elapsed();
        self.version.content == now.content
            && age < COUNTS_MAX_AGE
            && (self.version.signatures == now.signatures || (now.surge && age < SIGNATURES_SETTLE))
    }
}

/// The middleware: answers from the cache, or renders — once for all who
/// ask meanwhile — and keeps the answer.
pub async fn serve_public(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let cache = &state.render_cache;
    let (Some(pages), Some(key)) = (cache.pages.as_ref(), key_of(&request)) else {
        return next.run(request).await;
    };
    let version = match cache.version(&state.db).await {
        Ok(version) => version,
        Err(error) => {
            // Without the number nothing can be known fresh: rendered anew.
            tracing::warn!(%error, "render cache: the change counter cannot be read");
            return next.run(request).await;
        }
    };
    let asked = request.headers().clone();
    if let Some(page) = pages.get(&key).filter(|page| page.is_fresh(version)) {
        return page.answer(&asked);
    }
    let flight = cache.flight(&key);
    // Whoever leaves — answered, cancelled by a client gone, or panicking —
    // lets the next staleness start another flight.
    let _landing = Landing {
        cache,
        key: &key,
        flight: &flight,
    };
    let mut own = Some((request, next));
    let mut unkept = None;
    let page = flight
        .get_or_init(|| async {
            let (mut request, next) = own.take().expect("a flight renders once");
            // Rendered whole for everyone: this reader's 304 is the page's to make.
            let conditional = [header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE];
            for name in conditional {
                request.headers_mut().remove(name);
            }
            match render(cache, request, next, version).await {
                Ok(page) => {
                    pages.insert(key.clone(), page.clone());
                    Some(page)
                }
                Err(answer) => {
                    unkept = Some(answer);
                    None
                }
            }
        })
        .await
        .clone();
    if let Some(answer) = unkept {
        return answer;
    }
    match (page, own) {
        // What another request rendered, unless it read older content (or,
        // outside a surge, older counts) than this one.
        (Some(page), _) if page.is_as_new_as(version) => page.answer(&asked),
        (Some(page), None) => page.answer(&asked),
        (_, Some((request, next))) => next.run(request).await,
        (None, None) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Takes a flight out of the map when its request is done with it.
struct Landing<'a> {
    cache: &'a RenderCache,
    key: &'a str,
    flight: &'a Flight,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        self.cache.landed(self.key, self.flight);
    }
}

/// Renders a request: the page kept, or (`Err`) the answer as it came when
/// it may not be kept.
async fn render(
    cache: &RenderCache,
    request: Request,
    next: Next,
    version: Version,
) -> Result<Arc<Page>, Response> {
    let rendered_at = Instant::now();
    let response = next.run(request).await;
    if !may_keep(&response) {
        return Err(response);
    }
    let (parts, body) = response.into_parts();
    let body = match super::body::read_whole(body, cache.largest_entry).await {
        Ok(body) => body,
        Err(as_it_came) => return Err(Response::from_parts(parts, as_it_came)),
    };
    // Hashing and compressing take a millisecond or two, once per rendering;
    // on this worker, where the rendering was: a blocking thread's memory
    // would be freed by another thread, which the allocator keeps longer.
    let page = Page::new(version, rendered_at, &parts.headers, &body);
    Ok(Arc::new(page))
}

/// The cache key of a request that may be answered from the cache: the
/// address and everything a public answer's language depends on (the
/// language prefix is in the path, then the cookie, then Accept-Language,
/// which the API reads without the cookie).
fn key_of(request: &Request) -> Option<String> {
    if request.method() != Method::GET || !is_public(request.uri().path()) {
        return None;
    }
    let headers = request.headers();
    // Read as `Locale::negotiate` reads it, and only when that leaves no
    // doubt: one header, one well-formed language cookie, nothing else.
    let mut cookie_headers = headers.get_all(header::COOKIE).iter();
    let chosen = match (cookie_headers.next(), cookie_headers.next()) {
        (None, _) => None,
        (Some(cookies), None) => {
            let (name, value) = cookies.to_str().ok()?.trim().split_once('=')?;
            if name != Locale::COOKIE {
                return None;
            }
            Some(Locale::from_code(value.trim())?)
        }
        (Some(_), Some(_)) => return None,
    };
    let accepted = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language);
    let code = |locale: Option<Locale>| locale.map_or("-", Locale::code);
    let address = request.uri().path_and_query()?.as_str();
    Some(format!("{} {} {address}", code(chosen), code(accepted)))
}

/// The number every write to what the public sees moves (migration 0017):
/// what the render cache and the search index each compare theirs with.
pub async fn content_version(db: &Db) -> Result<i64, sqlx::Error> {
    on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT version FROM content_version WHERE id = 1")
            .fetch_one(pool)
            .await
    })
}

/// The routes whose answers are the same for every visitor: public pages,
/// feeds, the API and the CSV files. Not the live count, the embed and the
/// badge (they keep their own one-second cache), nor anything of staff or of
/// a signer (token pages).
fn is_public(path: &str) -> bool {
    let (_, rest) = Locale::split_path(path);
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        []
        | ["persons"]
        | ["actions"]
        | ["privacy"]
        | ["accessibility"]
        | ["api"]
        | ["feed.atom" | "feed.json"] => true,
        ["persons" | "municipalities", _] | ["persons" | "municipalities", _, _] => true,
        ["rights", _] | ["actions", _] | ["data", _] => true,
        // Not search: its index may lag behind the content a moment, and an
        // answer kept under the new version would keep that lag.
        ["api", "v1", .., last] => !matches!(*last, "count" | "search"),
        _ => false,
    }
}

/// A `200` that sets no cookie but the language one and is not private.
fn may_keep(response: &Response) -> bool {
    let headers = response.headers();
    let language_cookie = format!("{}=", Locale::COOKIE);
    response.status() == StatusCode::OK
        && !headers.contains_key(header::CONTENT_ENCODING)
        && headers.get_all(header::SET_COOKIE).iter().all(|cookie| {
            cookie
                .to_str()
                .is_ok_and(|c| c.starts_with(&language_cookie))
        })
        && headers.get_all(header::CACHE_CONTROL).iter().all(|value| {
            value
                .to_str()
                .is_ok_and(|v| !v.contains("private") && !v.contains("no-store"))
        })
}

impl Page {
    fn new(version: Version, rendered_at: Instant, headers: &HeaderMap, body: &Bytes) -> Self {
        let mut headers = headers.clone();
        headers.remove(header::CONTENT_LENGTH);
        let policy = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let pinned = policy.as_deref().and_then(|policy| {
            let (body, policy) = scripts_by_hash(body, policy, nonce_in(policy)?);
            Some((body, HeaderValue::from_str(&policy).ok()?))
        });
        let body = match pinned {
            Some((body, policy)) => {
                headers.insert(header::CONTENT_SECURITY_POLICY, policy);
                body
            }
            None => body.clone(),
        };
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let body = Encoded::new(body, compressible(content_type));
        let weight = body.weight() + 1024;
        Page {
            version,
            rendered_at,
            headers,
            body,
            weight,
        }
    }

    /// The stored response in the encoding the request accepts, or `304`
    /// to a client that holds its ETag.
    fn answer(&self, request: &HeaderMap) -> Response {
        let mut headers = self.headers.clone();
        let (encoding, body) = self.body.for_request(request);
        // Another encoding is another sequence of bytes: its tag is weak
        // (RFC 9110 8.8.1), and If-None-Match compares weakly anyway.
        if encoding != Encoding::Identity {
            let weak = headers
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok())
                .filter(|tag| !tag.starts_with("W/"))
                .and_then(|tag| HeaderValue::from_str(&format!("W/{tag}")).ok());
            if let Some(weak) = weak {
                headers.insert(header::ETAG, weak);
            }
        }
        let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok());
        if etag.is_some_and(|etag| cacheable::holds(request, etag)) {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            headers.remove(header::CONTENT_TYPE);
            *response.headers_mut() = headers;
            return response;
        }
        if encoding != Encoding::Identity {
            headers.insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(encoding.token()),
            );
        }
        let mut response = Response::new(Body::from(body));
        *response.headers_mut() = headers;
        response
    }
}

/// The nonce a Content-Security-Policy allows scripts by.
fn nonce_in(policy: &str) -> Option<&str> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let length = policy[start..].find('\'')?;
    Some(&policy[start..start + length]).filter(|nonce| !nonce.is_empty())
}

/// The page with its inline scripts allowed by their hashes instead of by
/// `nonce`: the nonce attribute is taken out of every start tag and the
/// policy, and each inline script that carried it is named in the policy by
/// the SHA-256 of its text, as the browser will read it.
fn scripts_by_hash(body: &Bytes, policy: &str, nonce: &str) -> (Bytes, String) {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let attribute = format!(" nonce=\"{nonce}\"");
    let mut out = Vec::with_capacity(body.len());
    let mut hashes = Vec::new();
    let mut rest: &[u8] = body;
    while let Some(at) = find(rest, b"<") {
        let Some(end) = find(&rest[at..], b">").map(|e| at + e + 1) else {
            break;
        };
        out.extend_from_slice(&rest[..at]);
        let tag = &rest[at..end];
        let carried = find(tag, attribute.as_bytes());
        match carried {
            Some(cut) => {
                out.extend_from_slice(&tag[..cut]);
                out.extend_from_slice(&tag[cut + attribute.len()..]);
            }
            None => out.extend_from_slice(tag),
        }
        rest = &rest[end..];
        // A script's text is raw: no tag in it until its end tag.
        if tag.starts_with(b"<script") {
            let text_end = find(rest, b"</script>").unwrap_or(rest.len());
            let text = &rest[..text_end];
            if carried.is_some() && find(tag, b" src=").is_none() {
                let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text));
                hashes.push(format!("'sha256-{hash}'"));
            }
            out.extend_from_slice(text);
            rest = &rest[text_end..];
        }
    }
    out.extend_from_slice(rest);
    hashes.sort();
    hashes.dedup();
    let allowed = format!("'nonce-{nonce}'");
    let policy = if hashes.is_empty() {
        policy
            .replace(&format!(" {allowed}"), "")
            .replace(&allowed, "")
    } else {
        policy.replace(&allowed, &hashes.join(" "))
    };
    (Bytes::from(out), policy)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, headers: &[(&str, &str)]) -> Request {
        let mut request = http::Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(Body::empty()).unwrap()
    }

    #[test]
    fn only_public_routes_of_visitors_without_a_session_are_kept() {
        for path in [
            "/",
            "/fr",
            "/persons?status=detained",
            "/nl/persons/raif-badawi",
            "/persons/raif-badawi/feed.atom",
            "/municipalities/brussels",
            "/rights/freedom-of-expression",
            "/actions/free-raif",
            "/fr/api",
            "/api/v1/persons",
            "/api/v1/actions/free-raif/history",
            "/data/persons.csv",
            "/feed.json",
        ] {
            assert!(key_of(&request(path, &[])).is_some(), "{path} is public");
        }
        for path in [
            "/staff",
            "/fr/staff/persons",
            "/signatures/confirm?token=abc",
            "/fr/signatures/withdraw?token=abc",
            "/api/v1/actions/free-raif/count",
            "/actions/free-raif/embed",
            "/actions/free-raif/badge.svg",
            "/pkg/lumieres.css",
        ] {
            assert!(key_of(&request(path, &[])).is_none(), "{path} is not kept");
        }
        let with = |cookie| request("/persons", &[("cookie", cookie)]);
        assert!(key_of(&with("lang=fr")).is_some());
        assert!(key_of(&with("lang=fr; lumieres_session=x")).is_none());
        assert!(key_of(&with("lumieres_sign=x")).is_none());
        assert!(key_of(&with("nonsense")).is_none());
        // Anything `Locale::negotiate` could read otherwise than the key.
        for doubtful in [
            "lang=fr; lang=nl",
            "lang=fr; lang=xx",
            "lang =nl",
            "lang=xx",
        ] {
            assert!(key_of(&with(doubtful)).is_none(), "{doubtful}");
        }
        let two_headers = request("/persons", &[("cookie", "lang=fr"), ("cookie", "lang=nl")]);
        assert!(key_of(&two_headers).is_none());
        let post = http::Request::post("/persons").body(Body::empty()).unwrap();
        assert!(key_of(&post).is_none());
    }

    #[test]
    fn the_key_holds_what_the_language_depends_on() {
        let key = |headers: &[(&str, &str)]| key_of(&request("/persons", headers)).unwrap();
        assert_ne!(key(&[]), key(&[("cookie", "lang=fr")]));
        assert_ne!(key(&[]), key(&[("accept-language", "nl-BE,nl;q=0.9")]));
        assert_ne!(
            key(&[("cookie", "lang=fr"), ("accept-language", "nl")]),
            key(&[("cookie", "lang=fr"), ("accept-language", "en")]),
            "the API reads Accept-Language without the cookie"
        );
        assert_eq!(
            key(&[("accept-language", "fr-BE")]),
            key(&[("accept-language", "fr;q=0.8, de")])
        );
    }

    fn page_with_scripts() -> Page {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("script-src 'self' 'nonce-AbC+/1=' 'wasm-unsafe-eval'"),
        );
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        headers.insert(header::ETAG, HeaderValue::from_static("\"v1\""));
        let text = "<p>nonce=AbC+/1=</p>".repeat(100);
        let body = Bytes::from(format!(
            "<script nonce=\"AbC+/1=\">a()</script>{text}<script type=\"module\" nonce=\"AbC+/1=\">b()</script>\
             <script src=\"/pkg/x.js\" nonce=\"AbC+/1=\"></script><script>c()</script>"
        ));
        let version = Version {
            content: 1,
            signatures: 0,
            surge: false,
        };
        Page::new(version, Instant::now(), &headers, &body)
    }

    async fn body_of(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn a_confirmation_shows_at_once_unless_they_come_in_a_surge() {
        let page = page_with_scripts();
        let now = |content, signatures, surge| Version {
            content,
            signatures,
            surge,
        };
        assert!(page.is_fresh(now(1, 0, false)));
        assert!(
            !page.is_fresh(now(2, 0, false)),
            "a change of content, at once"
        );
        assert!(
            !page.is_fresh(now(1, 1, false)),
            "a lone confirmation, at once"
        );
        assert!(
            page.is_fresh(now(1, 1, true)),
            "in a surge, a tenth of a second later"
        );
        assert!(
            !page.is_fresh(now(2, 1, true)),
            "but never past a change of content"
        );
        let cache = RenderCache::new(1 << 20);
        for _ in 1..SURGE_PER_SECOND {
            cache.signatures_changed();
        }
        assert!(!cache.surge.load(Ordering::SeqCst), "a few are no surge");
        cache.signatures_changed();
        assert!(
            cache.surge.load(Ordering::SeqCst),
            "twenty within a second are"
        );
    }

    #[tokio::test]
    async fn inline_scripts_are_allowed_by_their_hashes_and_the_nonce_is_gone() {
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let hash = |script: &str| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        };
        let page = page_with_scripts();
        let response = page.answer(&HeaderMap::new());
        let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        let mut expected = [hash("a()"), hash("b()")];
        expected.sort();
        assert_eq!(
            policy,
            format!(
                "script-src 'self' {} 'wasm-unsafe-eval'",
                expected.join(" ")
            ),
            "only the scripts that carried the nonce, by their text"
        );
        let body = body_of(response).await;
        assert!(!body.contains("nonce=\""), "no nonce attribute is left");
        assert!(body.starts_with("<script>a()</script><p>nonce=AbC+/1=</p>"));
        assert!(body.ends_with("<script type=\"module\">b()</script><script src=\"/pkg/x.js\"></script><script>c()</script>"));
        assert_eq!(
            body_of(page.answer(&HeaderMap::new())).await,
            body,
            "every reader gets the same bytes"
        );
    }

    #[tokio::test]
    async fn a_browser_gets_the_page_compressed_once_with_a_weak_tag() {
        let page = page_with_scripts();
        let mut browser = HeaderMap::new();
        browser.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br, zstd"),
        );
        let response = page.answer(&browser);
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(response.headers()[header::ETAG], "W/\"v1\"");
        assert!(response
            .headers()
            .get_all(header::VARY)
            .iter()
            .any(|v| v == "Accept-Encoding"));
        let compressed = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let mut text = Vec::new();
        std::io::Read::read_to_end(
            &mut brotli::Decompressor::new(&compressed[..], 4096),
            &mut text,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            body_of(page.answer(&HeaderMap::new())).await
        );
        browser.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"v1\""));
        assert_eq!(page.answer(&browser).status(), StatusCode::NOT_MODIFIED);
        let mut holder = HeaderMap::new();
        holder.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"v1\""));
        assert_eq!(
            page.answer(&holder).status(),
            StatusCode::NOT_MODIFIED,
            "a tag compares weakly"
        );
    }

    #[test]
    fn personal_or_private_answers_are_not_kept() {
        let answer = |status, headers: &[(http::HeaderName, &'static str)]| {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = status;
            for (name, value) in headers {
                response
                    .headers_mut()
                    .append(name.clone(), HeaderValue::from_static(value));
            }
            may_keep(&response)
        };
        assert!(answer(StatusCode::OK, &[]));
        assert!(answer(
            StatusCode::OK,
            &[(header::SET_COOKIE, "lang=fr; Path=/; SameSite=Lax")]
        ));
        assert!(!answer(
            StatusCode::OK,
            &[(header::SET_COOKIE, "lumieres_sign=; Max-Age=0")]
        ));
        assert!(!answer(
            StatusCode::OK,
            &[(header::CACHE_CONTROL, "private")]
        ));
        assert!(!answer(
            StatusCode::OK,
            &[(header::CACHE_CONTROL, "no-store")]
        ));
        assert!(!answer(StatusCode::NOT_FOUND, &[]));
        assert!(!answer(StatusCode::FOUND, &[]));
    }
}
