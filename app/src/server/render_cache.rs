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
//!   so an entry lives one second;
//!   confirmations and withdrawals on this instance take effect at once
//!   ([`RenderCache::signatures_changed`]). The clock (an action closing)
//!   is covered by the same second.
//! - **Nothing personal.** Only `GET`s of the public routes below, only from
//!   requests whose cookies are at most the language choice (a staff session
//!   or a flash makes the request pass by the cache, both ways), and only
//!   `200` answers that set no cookie but the language one and do not say
//!   `private` or `no-store`.
//! - **A fresh nonce each time.** The CSP nonce of the render is cut out of
//!   the body and the policy when stored; each answer puts in a new one.
//! - **Bounded.** Entries are weighed in bytes, and past the cap the least
//!   useful ones go (quick_cache's CLOCK-Pro).
use super::{cacheable, db::Db, AppState};
use crate::i18n::Locale;
use crate::on_pool;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an entry may serve counts that no trigger watches.
const COUNTS_MAX_AGE: Duration = Duration::from_secs(1);

/// A rendered response, as stored: the pieces around the render's nonce.
struct Page {
    version: Version,
    rendered_at: Instant,
    headers: HeaderMap,
    /// The Content-Security-Policy, cut where its nonce was.
    policy: Option<Vec<String>>,
    /// The body, cut where the nonce was (one piece when it had none).
    body: Vec<Bytes>,
    weight: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Version {
    /// The database's change counter.
    content: i64,
    /// Signatures confirmed or withdrawn through this instance.
    signatures: u64,
}

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, Arc<Page>> for ByBytes {
    fn weight(&self, key: &String, page: &Arc<Page>) -> u64 {
        key.len() as u64 + page.weight
    }
}

/// Rendered public responses, shared by the requests of one instance.
#[derive(Clone)]
pub struct RenderCache {
    pages: Option<Arc<quick_cache::sync::Cache<String, Arc<Page>, ByBytes>>>,
    signatures: Arc<AtomicU64>,
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
            signatures: Arc::default(),
            content: super::fresh::Fresh::new(Duration::ZERO, 1),
            largest_entry: usize::try_from(capacity / 8).unwrap_or(usize::MAX),
        }
    }

    /// A signature was confirmed or withdrawn: counts on every page changed.
    pub fn signatures_changed(&self) {
        self.signatures.fetch_add(1, Ordering::SeqCst);
    }

    async fn version(&self, db: &Db) -> Result<Version, sqlx::Error> {
        // Taken before the database's: a confirmation between the two reads
        // makes the entry older than it is, never newer.
        let signatures = self.signatures.load(Ordering::SeqCst);
        let content = self
            .content
            .get("content_version", || async {
                on_pool!(db, |pool| {
                    sqlx::query_scalar("SELECT version FROM content_version WHERE id = 1")
                        .fetch_one(pool)
                        .await
                })
            })
            .await?;
        Ok(Version {
            content,
            signatures,
        })
    }
}

/// The middleware: answers from the cache, or renders and keeps the answer.
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
    if let Some(page) = pages.get(&key) {
        if page.version == version && page.rendered_at.elapsed() < COUNTS_MAX_AGE {
            return page.answer(request.headers());
        }
    }
    let rendered_at = Instant::now();
    let response = next.run(request).await;
    if !may_keep(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match super::body::read_whole(body, cache.largest_entry).await {
        Ok(body) => body,
        Err(as_it_came) => return Response::from_parts(parts, as_it_came),
    };
    pages.insert(
        key,
        Arc::new(Page::new(version, rendered_at, &parts.headers, &body)),
    );
    Response::from_parts(parts, Body::from(body))
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
        | ["privacy"]
        | ["accessibility"]
        | ["api"]
        | ["feed.atom" | "feed.json"] => true,
        ["persons" | "municipalities", _] | ["persons" | "municipalities", _, _] => true,
        ["rights", _] | ["actions", _] | ["data", _] => true,
        ["api", "v1", .., last] => *last != "count",
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
            .remove(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok().map(str::to_owned));
        let nonce = policy.as_deref().and_then(nonce_in);
        let (policy, body) = match nonce {
            Some(nonce) => (
                policy
                    .as_deref()
                    .map(|p| cut(p.as_bytes(), nonce.as_bytes())),
                cut(body, format!("nonce=\"{nonce}\"").as_bytes()),
            ),
            None => (policy.map(|p| vec![Bytes::from(p)]), vec![body.clone()]),
        };
        let policy = policy.map(|pieces| {
            pieces
                .iter()
                .map(|piece| String::from_utf8_lossy(piece).into_owned())
                .collect()
        });
        let weight = body.iter().map(|piece| piece.len() as u64).sum::<u64>() + 1024;
        Page {
            version,
            rendered_at,
            headers,
            policy,
            body,
            weight,
        }
    }

    /// The stored response with a nonce of its own, or `304` to a client
    /// that holds its ETag.
    fn answer(&self, request: &HeaderMap) -> Response {
        let nonce = leptos::nonce::Nonce::new().to_string();
        let mut headers = self.headers.clone();
        if let Some(policy) = &self.policy {
            if let Ok(value) = HeaderValue::from_str(&policy.join(&nonce)) {
                headers.insert(header::CONTENT_SECURITY_POLICY, value);
            }
        }
        let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok());
        if etag.is_some_and(|etag| cacheable::holds(request, etag)) {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            headers.remove(header::CONTENT_TYPE);
            *response.headers_mut() = headers;
            return response;
        }
        let attribute = format!("nonce=\"{nonce}\"");
        let mut body = Vec::with_capacity(self.weight as usize);
        for (i, piece) in self.body.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(attribute.as_bytes());
            }
            body.extend_from_slice(piece);
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

/// `text` cut at every `separator`, which is left out.
fn cut(text: &[u8], separator: &[u8]) -> Vec<Bytes> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(at) = rest
        .windows(separator.len())
        .position(|window| window == separator)
    {
        pieces.push(Bytes::copy_from_slice(&rest[..at]));
        rest = &rest[at + separator.len()..];
    }
    pieces.push(Bytes::copy_from_slice(rest));
    pieces
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

    #[tokio::test]
    async fn each_answer_gets_its_own_nonce() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("script-src 'self' 'nonce-AbC+/1=' 'wasm-unsafe-eval'"),
        );
        let body = Bytes::from_static(
            b"<script nonce=\"AbC+/1=\">a</script><p>nonce=AbC+/1=</p><script nonce=\"AbC+/1=\"></script>",
        );
        let version = Version {
            content: 1,
            signatures: 0,
        };
        let page = Page::new(version, Instant::now(), &headers, &body);
        let mut nonces = Vec::new();
        for _ in 0..2 {
            let response = page.answer(&HeaderMap::new());
            let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned();
            let nonce = nonce_in(&policy).unwrap().to_owned();
            assert_ne!(nonce, "AbC+/1=");
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            assert_eq!(
                    String::from_utf8(body.to_vec()).unwrap(),
                    format!(
                        "<script nonce=\"{nonce}\">a</script><p>nonce=AbC+/1=</p><script nonce=\"{nonce}\"></script>"
                    ),
                    "only the attribute changes"
                );
            nonces.push(nonce);
        }
        assert_ne!(nonces[0], nonces[1]);
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
