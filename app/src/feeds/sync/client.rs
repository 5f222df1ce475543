//! The HTTP side of a feed's sync: a client bounded in time, size and
//! redirects that reaches only the addresses it may, and one conditional
//! fetch with what it came to.
use std::time::Duration;

/// The body is read up to this many bytes, counted after decompression.
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_REDIRECTS: usize = 5;
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole exchange, body included: a server that drips bytes is cut off.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
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
        .deflate(true)
        // A proxy from `HTTP(S)_PROXY` would be asked for the address, not
        // connected to: the resolver below would never see the feed's host.
        .no_proxy();
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
        match refused_literal(reach, attempt.url()) {
            Some(ip) => attempt.error(PrivateAddress(ip)),
            None => attempt.follow(),
        }
    })
}

/// A host written as an IP address that `reach` does not allow. Such a host
/// is connected to directly, without the resolver, so it is checked here,
/// read as reqwest reads it (the WHATWG URL rules): `2130706433`, `127.1`
/// and `0x7f.0.0.1` are all 127.0.0.1.
fn refused_literal(reach: Reach, url: &url::Url) -> Option<std::net::IpAddr> {
    let ip: std::net::IpAddr = match url.host()? {
        url::Host::Ipv4(v4) => v4.into(),
        url::Host::Ipv6(v6) => v6.into(),
        url::Host::Domain(_) => return None,
    };
    (reach == Reach::PublicOnly && !is_public(ip)).then_some(ip)
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

impl<Body> FetchOutcome<Body> {
    /// The same outcome, its body (if it brought one) made into another.
    pub fn map_body<Other>(self, make: impl FnOnce(Body) -> Other) -> FetchOutcome<Other> {
        match self {
            FetchOutcome::Fresh {
                body,
                etag,
                last_modified,
            } => FetchOutcome::Fresh {
                body: make(body),
                etag,
                last_modified,
            },
            FetchOutcome::NotModified => FetchOutcome::NotModified,
            FetchOutcome::Gone => FetchOutcome::Gone,
            FetchOutcome::SlowDown(wait) => FetchOutcome::SlowDown(wait),
            FetchOutcome::Failed(problem) => FetchOutcome::Failed(problem),
        }
    }
}

/// What a fetch needs of a feed: which it is (for the log), where, and the
/// validators of what was fetched last time.
#[derive(Debug, Clone, Copy)]
pub struct FeedAddress<'a> {
    pub id: i64,
    pub url: &'a str,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
}

/// Fetches a feed with a conditional GET; the body is read in chunks and
/// cut at `MAX_BODY_BYTES` (after decompression: a gzip bomb stops there).
pub async fn fetch(client: &FeedClient, feed: FeedAddress<'_>, now: i64) -> FetchOutcome {
    use http::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
    let url = url::Url::parse(feed.url).ok();
    if let Some(ip) = url.and_then(|url| refused_literal(client.reach, &url)) {
        tracing::warn!(feed = feed.id, %ip, "feed refused: not a public address");
        return FetchOutcome::Failed(Problem::PrivateAddress);
    }
    let mut request = client.http.get(feed.url);
    if let Some(etag) = feed.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(modified) = feed.last_modified {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after("120", 0), Some(120));
        assert_eq!(retry_after("Thu, 01 Jan 1970 00:10:00 GMT", 0), Some(600));
        assert_eq!(retry_after("soon", 0), None);
    }
}
