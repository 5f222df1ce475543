//! Public responses anyone may cache (feeds, the open-data API): the body's
//! own fingerprint as `ETag`, and `304 Not Modified` to a client that holds
//! it already, so a reader polling every minute costs a hash, not a download.
use super::tokens::hex;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};

/// `body` as `content_type` with `cache_control`, its `ETag`, or `304` when
/// the request's `If-None-Match` names it.
pub fn cacheable(
    request: &HeaderMap,
    body: String,
    content_type: &'static str,
    cache_control: &'static str,
) -> Response {
    let etag = format!("\"{}\"", &hex(&Sha256::digest(body.as_bytes()))[..32]);
    let not_modified = holds(request, &etag);
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    response
}

/// Whether the request's `If-None-Match` names `etag`: the client holds it.
/// Compared weakly, as RFC 9110 asks of If-None-Match: `W/"x"` and `"x"`
/// name the same page, in another encoding.
pub fn holds(request: &HeaderMap, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    request.get(header::IF_NONE_MATCH).is_some_and(|tags| {
        tags.to_str().is_ok_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == "*" || opaque(t) == opaque(etag))
        })
    })
}
