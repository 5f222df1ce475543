//! The one error type of every server function. It keeps apart what the
//! caller did (not logged in, not allowed, no such record, a request that
//! cannot be taken) from what went wrong inside, which is logged with its
//! cause where it happened and reaches the caller only as "internal error".
//!
//! Each kind has one HTTP status, set in one place: when the server-function
//! framework turns the error into its response (`ser`, below). Features keep
//! their own error enums for their data functions and convert them here.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("log in first")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("no such {0}")]
    NotFound(String),
    /// A case taken down (issue 29): 410, with a neutral text that names
    /// nobody, so that readers, caches and search engines drop their copies.
    #[error("no longer shown")]
    Gone,
    /// A form or request that cannot be taken, with what is wrong in it.
    #[error("invalid: {0}")]
    Invalid(String),
    /// A request nothing can be done with, whoever sent it (an address that
    /// cannot be followed): 400, even for a browser's own form post.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("internal error")]
    Internal,
    /// The database cannot be reached just now (down, restarting, cut off):
    /// a 503, which a load balancer and a reader both take as "try again
    /// shortly", not as a fault of this request.
    #[error("temporarily unavailable")]
    Unavailable,
}

/// How soon a reader (or a load balancer) may try again after a 503
/// (`Retry-After`, in seconds).
pub const RETRY_AFTER_SECONDS: &str = "5";

impl AppError {
    pub fn forbidden(reason: &str) -> Self {
        AppError::Forbidden(reason.to_owned())
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(what.to_owned())
    }

    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Gone => StatusCode::GONE,
            AppError::Invalid(_) | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(reason) | ServerFnErrorErr::MissingArg(reason) => {
                AppError::Invalid(reason)
            }
            #[cfg_attr(not(feature = "ssr"), allow(unused_variables))]
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                AppError::Internal
            }
        }
    }

    /// Called once per failed call, when its response is made: the status is
    /// set here, unless the function already chose one (a redirect to the
    /// login page). A browser's own form post is sent back to its page (the
    /// framework redirects to the Referer) unless the record is forbidden or
    /// does not exist, or the request is unusable.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            let chosen = response.0.read().map(|parts| parts.status.is_some());
            let plain_form_post = leptos::prelude::use_context::<http::request::Parts>()
                .is_some_and(|parts| is_plain_form_post(&parts.headers));
            let always = matches!(
                self,
                AppError::Forbidden(_)
                    | AppError::NotFound(_)
                    | AppError::Gone
                    | AppError::BadRequest(_)
            );
            if chosen.is_ok_and(|chosen| !chosen) && (always || !plain_form_post) {
                response.set_status(self.status());
                if *self == AppError::Unavailable {
                    response.insert_header(
                        http::header::RETRY_AFTER,
                        http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
                    );
                }
            }
        }
        <JsonEncoding as leptos::server_fn::Encodes<Self>>::encode(self)
            .unwrap_or_else(|_| leptos::server_fn::Bytes::from_static(br#""Internal""#))
    }
}

/// A browser posting a form itself asks for HTML; a script or an island's
/// `fetch` does not. The framework answers the first with a redirect (to the
/// Referer, or where the function said), so errors are told apart this way.
pub fn is_plain_form_post(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Logs what went wrong inside and answers with a generic failure: details
/// of the database or the mail server are nobody's business outside.
#[cfg(feature = "ssr")]
pub fn internal(error: impl std::fmt::Display) -> AppError {
    tracing::error!(%error, "server function failed");
    AppError::Internal
}
