//! Server-only code: state, database, demo data, sanitizing.
pub mod db;
pub mod demo;
pub mod outbox;
pub mod sanitize;

use leptos::config::LeptosOptions;

/// Everything a request handler or server function may need; given to the
/// router once and to server functions through context.
#[derive(Clone, Debug, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: db::Db,
}
