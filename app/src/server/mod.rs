//! Server-only code: state, database, accounts, guards, mail, demo data, sanitizing.
pub mod abuse;
pub mod accounts;
pub mod audit;
pub mod cookies;
pub mod db;
pub mod demo;
pub mod export;
pub mod feed_sync;
pub mod feeds_out;
pub mod municipalities;
pub mod outbox;
pub mod sanitize;
pub mod sessions;
pub mod sign_queue;

use leptos::config::LeptosOptions;

/// Everything a request handler or server function may need; given to the
/// router once and to server functions through context.
#[derive(Clone, Debug, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: db::Db,
    /// The address people reach the site at, for links in mail.
    pub public_url: String,
    /// Cookies get `Secure` when the public address is https.
    pub secure_cookies: bool,
    /// Behind a reverse proxy: the header that carries the client's address.
    pub client_ip_header: Option<http::HeaderName>,
    /// `None` when signing is not rate-limited (benchmarks).
    pub signing_limiter: Option<abuse::SigningLimiter>,
    /// Signatures are written in batches by one writer (group commit).
    pub sign_queue: sign_queue::SignQueue,
}
