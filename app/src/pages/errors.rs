//! The one error view: sets the HTTP status on the server and says, in the
//! page's language, what happened and where to go next.
use crate::error::AppError;
use crate::i18n::use_locale;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ErrorPage(status: u16, #[prop(optional, into)] message: Option<String>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
        if status == 503 {
            response.insert_header(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static(crate::error::RETRY_AFTER_SECONDS),
            );
        }
    }
    let locale = use_locale();
    let (title_key, text_key) = match status {
        404 => ("error.not_found_title", "error.not_found_text"),
        410 => ("error.gone_title", "error.gone_text"),
        400 => ("error.bad_request_title", "error.bad_request_text"),
        503 => ("error.unavailable_title", "error.unavailable_text"),
        _ => ("error.internal_title", "error.internal_text"),
    };
    let title = locale.t(title_key);
    view! {
        <Title text=title.clone() />
        <section class="error-page" data-status=status>
            <h1>{title}</h1>
            <p>{message.unwrap_or_else(|| locale.t(text_key))}</p>
            <p>
                <a href=locale.path("/persons", false)>{locale.t("error.go_persons")}</a>
            </p>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! { <ErrorPage status=404 /> }
}

/// A page whose data could not be loaded: 410 for a case taken down, 503
/// while the database cannot be reached, else 500.
#[component]
pub fn InternalError(error: AppError) -> impl IntoView {
    let status = match error {
        AppError::Gone => 410,
        AppError::Unavailable => 503,
        _ => 500,
    };
    view! { <ErrorPage status /> }
}
