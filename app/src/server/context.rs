//! What a server function takes from its context: the application state,
//! the database, the request it answers; and whether that request is a
//! browser's own form post (JavaScript off), which is answered with a
//! redirect rather than data.
use super::{db::Db, AppState};
use crate::error::{internal, AppError};
use leptos::prelude::use_context;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| internal("application state missing"))
}

pub fn db() -> Result<Db, AppError> {
    state().map(|state| state.db)
}

/// The request a server function answers: headers, cookies, peer address.
pub fn request_parts() -> Result<http::request::Parts, AppError> {
    use_context::<http::request::Parts>().ok_or_else(|| internal("request missing"))
}

/// Whether the request is a browser's own form post (defined with the error
/// type, whose status depends on it).
pub use crate::error::is_plain_form_post;

pub use crate::text::encode_query;

/// Answers with a redirect to `path`. A path that cannot be a header value
/// (control characters someone typed into a form) is refused with 400 rather
/// than left to panic inside the framework.
pub fn redirect(path: &str) -> Result<(), AppError> {
    http::HeaderValue::from_str(path)
        .map_err(|_| AppError::BadRequest("this address cannot be followed".to_owned()))?;
    leptos_axum::redirect(path);
    Ok(())
}
