//! Guards in front of the application: state-changing requests must come
//! from our own pages (Origin), and one path (signing, chosen by the server
//! at start) is rate-limited per client address.
use crate::i18n::Locale;
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::{header, HeaderMap, HeaderName, Method, StatusCode};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

/// POST requests to one path allowed per client address and minute, in
/// bursts of the same size. For signing: shared offices and schools sit
/// behind one address, so the default is generous for people and still
/// stops a script.
#[derive(Clone)]
pub struct RateLimit {
    path: &'static str,
    /// Interface-string keys of the refusal's title and text.
    refusal: (&'static str, &'static str),
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Counted for everyone together rather than per address.
    site_wide: bool,
    /// The `Retry-After` of a refusal, in seconds.
    retry_after: &'static str,
}

impl RateLimit {
    /// Signing's limit, and its refusal ("too many signatures").
    pub fn per_minute(path: &'static str, per_minute: NonZeroU32) -> Self {
        Self::with_refusal(
            path,
            per_minute,
            ("guard.too_many_title", "guard.too_many_text"),
        )
    }

    pub fn with_refusal(
        path: &'static str,
        per_minute: NonZeroU32,
        refusal: (&'static str, &'static str),
    ) -> Self {
        Self {
            path,
            refusal,
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            site_wide: false,
            retry_after: "60",
        }
    }

    /// At most `per_hour` posts an hour from everyone together (on this
    /// instance): for a form that mails the same few people whatever
    /// address it comes from.
    pub fn site_wide_per_hour(
        path: &'static str,
        per_hour: NonZeroU32,
        refusal: (&'static str, &'static str),
    ) -> Self {
        Self {
            path,
            refusal,
            limiter: Arc::new(RateLimiter::keyed(Quota::per_hour(per_hour))),
            site_wide: true,
            retry_after: "3600",
        }
    }

    /// True while this address may post again.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let key = if self.site_wide {
            IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
        } else {
            rate_key(ip)
        };
        self.limiter.check_key(&key).is_ok()
    }

    /// Forgets addresses whose quota has refilled; called now and then so
    /// that the table does not grow with every address ever seen.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("path", &self.path)
            .field("addresses", &self.limiter.len())
            .finish()
    }
}

/// The bucket an address is counted in. One IPv6 subscriber usually holds a
/// whole /64: limit the network, not each of its 2^64 addresses. An IPv4
/// address seen through a dual-stack socket or a proxy (`::ffff:a.b.c.d`) is
/// that IPv4 address, not a share of the one /64 all of them fall in.
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Where a client's address is read: from the connection, or, for
/// connections from the reverse proxies the operator trusts
/// (`TRUSTED_PROXIES`), from the header they write (`CLIENT_IP_HEADER`).
#[derive(Debug, Clone, Default)]
pub struct ClientAddress {
    header: Option<HeaderName>,
    trusted_proxies: Vec<ipnet::IpNet>,
}

impl ClientAddress {
    /// The peer's address, whatever headers say: no proxy in front.
    pub fn peer() -> Self {
        Self::default()
    }

    /// Behind proxies: `header` is believed from `trusted_proxies` only.
    /// Both or neither: a header believed from anyone could be forged by
    /// whoever reaches an instance directly, and one believed from no one
    /// would make every client count as the proxy.
    pub fn behind(
        header: Option<HeaderName>,
        trusted_proxies: Vec<ipnet::IpNet>,
    ) -> Result<Self, &'static str> {
        match (&header, trusted_proxies.is_empty()) {
            (Some(_), true) => Err("CLIENT_IP_HEADER needs TRUSTED_PROXIES: the addresses of the proxies that write it"),
            (None, false) => Err("TRUSTED_PROXIES needs CLIENT_IP_HEADER: the header those proxies write"),
            _ => Ok(Self {
                header,
                trusted_proxies,
            }),
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

/// `TRUSTED_PROXIES`: addresses and networks (`10.0.0.5`, `10.0.0.0/24`,
/// `::1`), separated by commas or spaces.
pub fn parse_trusted_proxies(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split([',', ' '])
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| format!("{item:?} is neither an address nor a network"))
        })
        .collect()
}

/// The client's address (see [`ClientAddress`]).
pub fn client_ip(parts: &http::request::Parts, from: &ClientAddress) -> Option<IpAddr> {
    client_ip_from(&parts.headers, &parts.extensions, from)
}

fn client_ip_from(
    headers: &HeaderMap,
    extensions: &http::Extensions,
    from: &ClientAddress,
) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let (Some(name), Some(peer_ip)) = (&from.header, peer) else {
        return peer;
    };
    if !from.trusts(peer_ip) {
        if headers.contains_key(name) {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                tracing::warn!(header = %name, peer = %peer_ip, "CLIENT_IP_HEADER from a peer not in TRUSTED_PROXIES is ignored: limits count the peer")
            });
        }
        return peer;
    }
    // Read from the right: each trusted proxy appended the address it got
    // the request from; the first that is not one of them is the client.
    // Whatever lies further left came from the client and may be forged.
    let mut client = None;
    for entry in headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .rev()
    {
        match forwarded_address(entry.trim()) {
            Some(ip) if from.trusts(ip) => client = Some(ip),
            Some(ip) => {
                client = Some(ip);
                break;
            }
            None => break,
        }
    }
    if client.is_none() {
        // Counting the proxy's own address keeps every limit on (all clients
        // share one budget), where a missing address would turn them off.
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            tracing::warn!(header = %name, "CLIENT_IP_HEADER is missing or unreadable: limits count the proxy's address")
        });
    }
    client.or(peer)
}

/// An address as proxies write it: `203.0.113.9`, `203.0.113.9:5000`,
/// `[2001:db8::1]:5000`, `2001:db8::1`.
fn forwarded_address(value: &str) -> Option<IpAddr> {
    value
        .parse::<IpAddr>()
        .ok()
        .or_else(|| value.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// Whether a state-changing request comes from our own pages. Browsers send
/// `Sec-Fetch-Site` or `Origin` with every POST; a request with neither is not
/// from a browser, so no other site can have made a visitor's browser send it.
pub fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match authority {
        Some(authority) => Some(authority) == host || origin == public_url.trim_end_matches('/'),
        None => false,
    }
}

/// The middleware: Origin check on every state-changing request, the rate
/// limit on its path. Both refuse before the request body is read.
pub async fn guard_requests(
    State(state): State<super::AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !same_origin(request.headers(), &state.public_url) {
        tracing::warn!(path = %request.uri().path(), "cross-origin request refused");
        return refusal(
            &state,
            request.headers(),
            StatusCode::FORBIDDEN,
            "guard.cross_origin_title",
            "guard.cross_origin_text",
        );
    }
    for limiter in state
        .rate_limits
        .iter()
        .filter(|limit| request.method() == Method::POST && request.uri().path() == limit.path)
    {
        let ip = client_ip_from(
            request.headers(),
            request.extensions(),
            &state.client_address,
        );
        if let Some(ip) = ip {
            if !limiter.allows(ip) {
                tracing::warn!(%ip, path = limiter.path, "rate limit reached");
                let (title, text) = limiter.refusal;
                let mut response = refusal(
                    &state,
                    request.headers(),
                    StatusCode::TOO_MANY_REQUESTS,
                    title,
                    text,
                );
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    http::HeaderValue::from_static(limiter.retry_after),
                );
                return response;
            }
        }
    }
    next.run(request).await
}

/// A refusal in the visitor's language: a small page for a browser's own
/// post, a server function error (shown by the island) for a fetch.
fn refusal(
    state: &super::AppState,
    headers: &HeaderMap,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response {
    let text_of = |name| {
        headers
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
    };
    let back = text_of(header::REFERER)
        .and_then(|r| r.parse::<http::Uri>().ok())
        .map(|uri| uri.path().to_owned());
    let locale = Locale::negotiate(
        back.as_deref().unwrap_or("/"),
        text_of(header::COOKIE),
        text_of(header::ACCEPT_LANGUAGE),
    );
    let (title, text) = (locale.t(title), locale.t(text));
    let wants_html = text_of(header::ACCEPT).is_some_and(|a| a.contains("text/html"));
    if !wants_html {
        return (status, format!("ServerError|{text}")).into_response();
    }
    let back = back.unwrap_or_else(|| locale.path("/", false));
    let page = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Lumières</title><link rel=\"stylesheet\" href=\"{stylesheet}\"></head>\
         <body><main id=\"main\" class=\"refusal\"><h1>{title}</h1><p>{text}</p>\
         <p><a href=\"{back}\">{back_label}</a></p></main></body></html>",
        lang = locale.code(),
        stylesheet = super::stylesheet(&state.leptos_options),
        title = escape(&title),
        text = escape(&text),
        back = escape(&back),
        back_label = escape(&locale.t("guard.back")),
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

use crate::text::escape_markup as escape;

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn only_our_own_pages_may_post() {
        let public = "https://lumieres.example";
        assert!(same_origin(
            &headers(&[
                ("origin", "http://127.0.0.1:3000"),
                ("host", "127.0.0.1:3000")
            ]),
            public
        ));
        assert!(same_origin(
            &headers(&[
                ("origin", "https://lumieres.example"),
                ("host", "10.0.0.5:3000")
            ]),
            public
        ));
        assert!(!same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:3000")
            ]),
            public
        ));
        assert!(!same_origin(
            &headers(&[("origin", "null"), ("host", "127.0.0.1:3000")]),
            public
        ));
        assert!(!same_origin(
            &headers(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://127.0.0.1:3000"),
                ("host", "127.0.0.1:3000")
            ]),
            public
        ));
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            public
        ));
        assert!(same_origin(&headers(&[("host", "127.0.0.1:3000")]), public));
    }

    fn from(peer: &str) -> http::Extensions {
        let mut extensions = http::Extensions::new();
        extensions.insert(ConnectInfo::<SocketAddr>(peer.parse().unwrap()));
        extensions
    }

    fn behind_proxy(trusted: &str) -> ClientAddress {
        ClientAddress::behind(
            Some(HeaderName::from_static("x-forwarded-for")),
            parse_trusted_proxies(trusted).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn the_proxy_header_gives_the_last_hop_from_a_trusted_proxy_only() {
        let map = headers(&[("x-forwarded-for", "203.0.113.9, 198.51.100.7")]);
        let proxy = behind_proxy("192.0.2.1");
        assert_eq!(
            client_ip_from(&map, &from("192.0.2.1:5000"), &proxy),
            Some("198.51.100.7".parse().unwrap())
        );
        assert_eq!(
            client_ip_from(&map, &from("198.51.100.200:5000"), &proxy),
            Some("198.51.100.200".parse().unwrap()),
            "a peer that is not a trusted proxy is counted, whatever it writes"
        );
        assert_eq!(
            client_ip_from(&map, &from("192.0.2.1:5000"), &ClientAddress::peer()),
            Some("192.0.2.1".parse().unwrap()),
            "without a configured proxy header, a client's header is ignored"
        );
        let chained = behind_proxy("192.0.2.0/24, 10.0.0.7");
        let map = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.7")]);
        assert_eq!(
            client_ip_from(&map, &from("[::ffff:192.0.2.3]:5000"), &chained),
            Some("198.51.100.7".parse().unwrap()),
            "a chain of trusted proxies is read back to the first address none of them is"
        );
    }

    #[test]
    fn the_header_and_the_trusted_proxies_come_together() {
        let header = Some(HeaderName::from_static("x-forwarded-for"));
        assert!(ClientAddress::behind(header.clone(), Vec::new()).is_err());
        assert!(ClientAddress::behind(None, parse_trusted_proxies("::1").unwrap()).is_err());
        assert!(ClientAddress::behind(None, Vec::new()).is_ok());
        assert_eq!(
            parse_trusted_proxies("10.0.0.0/8 ::1,127.0.0.1")
                .unwrap()
                .len(),
            3
        );
        let error = parse_trusted_proxies("10.0.0.0/33").unwrap_err();
        assert_eq!(error, "\"10.0.0.0/33\" is neither an address nor a network");
    }

    #[test]
    fn a_missing_or_odd_proxy_header_falls_back_to_the_peer_never_to_nothing() {
        let proxy = behind_proxy("192.0.2.1");
        let extensions = from("192.0.2.1:5000");
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        for odd in ["unknown", "for=198.51.100.7", "", "198.51.100.7:"] {
            let map = headers(&[("x-forwarded-for", odd)]);
            assert_eq!(
                client_ip_from(&map, &extensions, &proxy),
                Some(peer),
                "{odd:?}"
            );
        }
        assert_eq!(
            client_ip_from(&HeaderMap::new(), &extensions, &proxy),
            Some(peer)
        );
        let with_port = headers(&[("x-forwarded-for", "198.51.100.7:4711")]);
        assert_eq!(
            client_ip_from(&with_port, &extensions, &proxy),
            Some("198.51.100.7".parse().unwrap())
        );
        let v6 = headers(&[("x-forwarded-for", "[2001:db8::1]:4711")]);
        assert_eq!(
            client_ip_from(&v6, &extensions, &proxy),
            Some("2001:db8::1".parse().unwrap())
        );
    }

    #[test]
    fn ipv4_mapped_addresses_are_counted_as_ipv4() {
        let limiter = RateLimit::per_minute("/api/sign", NonZeroU32::new(1).unwrap());
        let a: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let b: IpAddr = "::ffff:198.51.100.7".parse().unwrap();
        assert_eq!(rate_key(a), "192.0.2.1".parse::<IpAddr>().unwrap());
        assert!(limiter.allows(a));
        assert!(
            limiter.allows(b),
            "another IPv4 client is not in the first one's bucket"
        );
        assert!(
            !limiter.allows("192.0.2.1".parse().unwrap()),
            "the same client, however written"
        );
    }

    #[test]
    fn the_limit_counts_per_address_and_per_ipv6_network() {
        let limiter = RateLimit::per_minute("/api/sign", NonZeroU32::new(2).unwrap());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.allows(a));
        assert!(limiter.allows(a));
        assert!(!limiter.allows(a), "the third in a minute is refused");
        assert!(limiter.allows(b), "another address is not affected");
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(limiter.allows(v6a));
        assert!(limiter.allows(v6b));
        assert!(!limiter.allows(v6a), "one /64 shares a quota");
    }
}
