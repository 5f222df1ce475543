//! Cookies set by server functions and pages: every one HttpOnly and
//! SameSite=Lax, Secure behind https; and flash cookies, which carry a small
//! value (JSON, base64url) across one redirect and are cleared when read.
use base64::Engine;
use leptos::prelude::use_context;
use serde::{de::DeserializeOwned, Serialize};

/// How long a flash waits for the page it was left for.
pub const FLASH_SECONDS: i64 = 120;

/// A `Set-Cookie` value; `None` clears the cookie.
pub fn cookie(name: &str, value: Option<(&str, i64)>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let (value, max_age) = value.unwrap_or(("", 0));
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// Whether this site's cookies get `Secure` (the public address is https).
pub fn secure() -> bool {
    use_context::<super::AppState>().is_some_and(|state| state.secure_cookies)
}

/// Adds a `Set-Cookie` header to this response.
pub fn set(value: &str) {
    if let (Some(response), Ok(header)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        response.append_header(http::header::SET_COOKIE, header);
    }
}

/// A cookie's value from a request's `Cookie` headers.
pub fn value<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

pub fn set_flash<T: Serialize>(name: &str, flash: &T) {
    let Ok(json) = serde_json::to_vec(flash) else {
        return;
    };
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    set(&cookie(name, Some((&encoded, FLASH_SECONDS)), secure()));
}

/// Reads this request's flash if `wanted` accepts it, and then clears it,
/// so that a reload shows a fresh page. The page that shows it holds what
/// someone typed: no shared cache may keep it.
pub fn take_flash<T: DeserializeOwned>(name: &str, wanted: impl Fn(&T) -> bool) -> Option<T> {
    let parts = use_context::<http::request::Parts>()?;
    let flash = value(&parts.headers, name)
        .and_then(|v| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(v)
                .ok()
        })
        .and_then(|json| serde_json::from_slice::<T>(&json).ok())
        .filter(|flash| wanted(flash))?;
    set(&cookie(name, None, secure()));
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("private, no-store"),
        );
    }
    Some(flash)
}
