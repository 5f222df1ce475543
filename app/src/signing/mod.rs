//! Signing a support action, from the form to the database: a citizen posts
//! the form (`form`), the server function parses it and hands it to the
//! group-commit queue (`queue`), which writes the pending signature and its
//! confirmation mail in one transaction (`store`). The mail's link confirms
//! (idempotent), another withdraws; the answer never says whether the
//! address had signed before. Also here: forgetting personal data on time
//! (`retention`), stopping "keep me informed" news (`unsubscribe`), the
//! report of floods (`spikes`), the confirmed signatures for delivery
//! (`export`), and news of a case for those who follow it without signing
//! (`follows`), which share the mails, links and rules of signers' news.
//!
//! The form answers in two ways. The island's `fetch` gets a `SignResult`
//! back; a plain form post (JavaScript off) is redirected to the action page
//! with a short-lived flash cookie that carries the result and the typed
//! values, so the page can show them next to the fields.
//!
//! May import infrastructure (`server`), the case records' rules (`records`:
//! the counts, who answers for an action), `domain`, `error`, `i18n`. Never
//! a back-office folder, `feeds`, `api`, `pages` or `components` (which
//! import this).
pub mod form;

#[cfg(feature = "ssr")]
pub mod at_rest;
#[cfg(feature = "ssr")]
pub mod export;
pub mod follows;
#[cfg(feature = "ssr")]
pub mod queue;
#[cfg(feature = "ssr")]
pub mod retention;
#[cfg(feature = "ssr")]
pub mod spikes;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod threshold;
pub mod unsubscribe;

use crate::domain::{CountryCode, Email, Line, PersonName, Slug};
use crate::error::AppError;
use crate::i18n::Locale;
use form::{SignFormValues, SignResult};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A signature request, parsed: everything past the form takes only this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureRequest {
    pub action: Slug,
    pub name: PersonName,
    pub email: Email,
    /// Municipality or postcode, as the signer wrote it.
    pub place: Option<Line>,
    pub country: Option<CountryCode>,
    pub show_name: bool,
    pub keep_informed: bool,
    pub locale: Locale,
    /// The address the request came from, for spotting floods; never shown.
    pub client_ip: Option<std::net::IpAddr>,
}

/// What happened, for logs and tests. The signer is told the same thing in every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignOutcome {
    /// A new or renewed pending signature; a confirmation mail is in the outbox.
    MailQueued,
    /// Still pending, and mailed too recently to mail again.
    Throttled,
    /// Already confirmed: nothing to do.
    AlreadyConfirmed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenOutcome {
    Done,
    AlreadyDone,
    /// The token is unknown, or was replaced by a newer mail.
    UnknownToken,
    /// Confirming is refused once the action no longer takes signatures.
    ActionClosed,
}

/// Where a mailed token stands, for the confirm and withdraw pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub state: SignatureState,
    pub action_slug: Slug,
    /// `None` when the action's person was taken down (issue 29): the
    /// signer may still withdraw, but the page names nobody.
    pub action_title: Option<String>,
    pub action_open: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignatureState {
    Pending,
    Confirmed,
    Withdrawn,
}

/// The path the signing form posts to; the server rate-limits it per address.
pub const SIGN_PATH: &str = <SignSupportAction as leptos::server_fn::ServerFn>::PATH;

/// Signs a support action. See the module comment for the two ways it answers.
#[server(prefix = "/api", endpoint = "sign")]
pub async fn sign_support_action(
    #[server(flatten)] form: SignFormValues,
) -> Result<SignResult, AppError> {
    use crate::server::context::{is_plain_form_post, request_parts, state};
    use form::SignFlash;
    // A new address or one that signed already: the answer after as long.
    let answer_at = crate::server::even::NoSoonerThan::from_now(on_server::SIGN_ANSWER_FLOOR);
    let state = state()?;
    let parts = request_parts()?;
    let client_ip = crate::server::guard::client_ip(&parts, &state.client_address);
    let result = on_server::sign(&form, client_ip).await;
    answer_at.wait().await;
    if !is_plain_form_post(&parts.headers) {
        return result;
    }
    // The page shows a failure as one, whatever its cause.
    let result = result.unwrap_or(SignResult::Failed);
    let locale = Locale::from_code(&form.lang).unwrap_or_default();
    let page = locale.path(&format!("/actions/{}", form.support_action.trim()), false);
    on_server::set_flash(&SignFlash {
        action: form.support_action.trim().to_owned(),
        values: SignFlash::keepable(form),
        result: result.clone(),
    });
    crate::server::context::redirect(&format!("{page}#sign"))?;
    Ok(result)
}

/// How long personal data is kept, as the privacy notice states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionTerms {
    /// After an action closes.
    pub retention_days: u32,
    pub unconfirmed_days: i64,
    pub withdrawn_days: i64,
    pub address_days: i64,
    pub kept_at_most_days: i64,
}

/// The terms the retention pass applies on this site (`RETENTION_DAYS`).
#[server]
pub async fn privacy_terms() -> Result<RetentionTerms, AppError> {
    use retention::*;
    Ok(RetentionTerms {
        retention_days: crate::server::context::state()?.retention_days,
        unconfirmed_days: UNCONFIRMED_DAYS,
        withdrawn_days: WITHDRAWN_DAYS,
        address_days: ADDRESS_DAYS,
        kept_at_most_days: KEPT_AT_MOST_DAYS,
    })
}

#[server]
pub async fn signature_by_token(token: String) -> Result<Option<TokenView>, AppError> {
    let db = crate::server::context::db()?;
    Ok(store::by_token(&db, &token).await?)
}

/// The confirm link's button. Answers with a redirect back to the page of
/// the link, which then shows the new state from the database.
#[server(prefix = "/api", endpoint = "confirm-signature")]
pub async fn confirm_signature(token: String, lang: String) -> Result<(), AppError> {
    let state = crate::server::context::state()?;
    let queue = use_context::<queue::SignQueue>().ok_or_else(|| {
        tracing::error!("the signing queue is not running");
        AppError::Internal
    })?;
    let outcome = queue
        .confirm(token.clone(), crate::server::clock::now())
        .await?;
    // Only a count that moved makes pages stale: a dead link is no reason.
    if outcome == TokenOutcome::Done {
        state.render_cache.signatures_changed();
    }
    on_server::back_to_token_page("confirm", &token, &lang);
    Ok(())
}

#[server(prefix = "/api", endpoint = "withdraw-signature")]
pub async fn withdraw_signature(token: String, lang: String) -> Result<(), AppError> {
    let state = crate::server::context::state()?;
    if store::withdraw(&state.db, &token).await? == TokenOutcome::Done {
        state.render_cache.signatures_changed();
    }
    on_server::back_to_token_page("withdraw", &token, &lang);
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::form::{parse_signature_form, FieldError, SignField, SignFlash};
    use super::*;
    use crate::server::cookies;
    use store::SignError;

    pub const FLASH_COOKIE: &str = "lumieres_sign";

    /// How soon a signature answers at the earliest: above what a new
    /// signature and its mail take to write when the site is quiet (~3 ms),
    /// which is when a prober's timing would tell (`server::even`). Busy,
    /// both kinds wait for the same batched commit. Kept small: it is a
    /// floor under every signer's wait, and a load generator holding 64
    /// connections gets at most 64 answers per floor (BENCHMARKS.md).
    pub const SIGN_ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(10);

    /// Parses the form and queues the request: what the signer is told, or
    /// `Err` when nothing was recorded through no fault of theirs (internal,
    /// or the database unavailable). A bot that filled the honeypot gets the
    /// answer a person would get, and nothing is stored.
    #[tracing::instrument(skip_all, fields(actor = "signer", action = %form.support_action.trim()))]
    pub async fn sign(
        form: &SignFormValues,
        client_ip: Option<std::net::IpAddr>,
    ) -> Result<SignResult, AppError> {
        if !form.website.trim().is_empty() {
            tracing::info!(ip = ?client_ip, "honeypot field filled: signature dropped");
            return Ok(SignResult::Accepted);
        }
        let request = match parse_signature_form(form, client_ip) {
            Ok(request) => request,
            Err(result) => return Ok(result),
        };
        let Some(queue) = use_context::<queue::SignQueue>() else {
            tracing::error!("the signing queue is not running");
            return Err(AppError::Internal);
        };
        match queue.sign(request, crate::server::clock::now()).await {
            Ok(outcome) => {
                tracing::debug!(?outcome, "signature request");
                Ok(SignResult::Accepted)
            }
            Err(SignError::UnknownAction(_) | SignError::ActionNotOpen) => Ok(SignResult::NotOpen),
            Err(SignError::UnknownCountry(_)) => Ok(SignResult::Invalid(vec![FieldError {
                field: SignField::Country,
                message: "sign.error.country_unknown".to_owned(),
            }])),
            Err(SignError::Database(error)) => Err(error.into()),
        }
    }

    pub fn set_flash(flash: &SignFlash) {
        cookies::set_flash(FLASH_COOKIE, flash);
    }

    /// Reads the flash left for this action's page, and clears it. A flash
    /// for another action is left alone.
    pub fn take_flash(action: &Slug) -> Option<SignFlash> {
        cookies::take_flash(FLASH_COOKIE, |flash: &SignFlash| {
            flash.action == action.as_str()
        })
    }

    pub fn back_to_token_page(kind: &str, token: &str, lang: &str) {
        let locale = Locale::from_code(lang).unwrap_or_default();
        // The token is base64url: safe in a query string as it is.
        let token: String = token
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        leptos_axum::redirect(&locale.path(&format!("/signatures/{kind}?token={token}"), false));
    }
}
