//! Staff login and logout, and who is logged in. The login form is a plain
//! form (a password manager fills it; there is nothing for JavaScript to
//! improve): the server functions answer with a redirect, and a failed
//! login leaves a short flash cookie with the typed email and the reason.
use super::MunicipalityRef;
use crate::domain::Role;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Council members only.
    pub municipality: Option<MunicipalityRef>,
}

/// Why the last login failed, for the login page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginFlash {
    pub email: String,
    /// `staff.login_invalid` or `staff.login_throttled`.
    pub message: String,
}

/// A local path to go back to after logging in; anything else goes to the staff home.
pub fn safe_next(next: &str, locale: Locale) -> String {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local {
        next.to_owned()
    } else {
        locale.path("/staff", false)
    }
}

#[server]
pub async fn current_staff_user() -> Result<Option<StaffUser>, ServerFnError> {
    Ok(on_server::current_user().await)
}

#[server(prefix = "/api", endpoint = "login")]
pub async fn log_in_staff(
    email: String,
    password: String,
    next: String,
    lang: String,
) -> Result<(), ServerFnError> {
    use crate::ssr::sessions::{log_in, session_cookie, LoginError};
    let state = super::state()?;
    let parts = super::request_parts()?;
    let locale = Locale::from_code(&lang).unwrap_or_default();
    let ip = crate::ssr::abuse::client_ip(&parts, state.client_ip_header.as_ref());
    let now = crate::ssr::outbox::unix_now();
    let next = safe_next(&next, locale);
    match log_in(&state.db, &email, &password, ip, now).await {
        Ok((_, token)) => {
            crate::ssr::cookies::set(&session_cookie(Some(&token), state.secure_cookies));
            leptos_axum::redirect(&next);
        }
        Err(error) => {
            let message = match error {
                LoginError::Invalid => "staff.login_invalid",
                LoginError::Throttled => "staff.login_throttled",
                LoginError::Database(error) => return Err(super::internal(error)),
            };
            on_server::set_login_flash(&LoginFlash {
                email: email.trim().chars().take(254).collect(),
                message: message.to_owned(),
            });
            let login = locale.path("/staff/login", false);
            leptos_axum::redirect(&format!("{login}?next={}", on_server::encode_query(&next)));
        }
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "logout")]
pub async fn log_out_staff(lang: String) -> Result<(), ServerFnError> {
    use crate::ssr::cookies;
    use crate::ssr::sessions::{log_out, session_cookie, SESSION_COOKIE};
    let state = super::state()?;
    let parts = super::request_parts()?;
    if let Some(token) = cookies::value(&parts.headers, SESSION_COOKIE) {
        log_out(&state.db, token).await.map_err(super::internal)?;
    }
    crate::ssr::cookies::set(&session_cookie(None, state.secure_cookies));
    let locale = Locale::from_code(&lang).unwrap_or_default();
    leptos_axum::redirect(&locale.path("/staff/login", false));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::ssr::cookies;
    use crate::ssr::sessions::{user_for_token, SESSION_COOKIE};

    pub const LOGIN_FLASH_COOKIE: &str = "lumieres_login";

    /// The logged-in staff member of this request, if any.
    pub async fn current_user() -> Option<StaffUser> {
        let state = use_context::<crate::ssr::AppState>()?;
        let parts = use_context::<http::request::Parts>()?;
        let token = cookies::value(&parts.headers, SESSION_COOKIE)?;
        match user_for_token(&state.db, token, crate::ssr::outbox::unix_now()).await {
            Ok(user) => user,
            Err(error) => {
                tracing::error!(%error, "cannot read the session");
                None
            }
        }
    }

    pub fn set_login_flash(flash: &LoginFlash) {
        cookies::set_flash(LOGIN_FLASH_COOKIE, flash);
    }

    pub fn take_login_flash() -> Option<LoginFlash> {
        cookies::take_flash(LOGIN_FLASH_COOKIE, |_: &LoginFlash| true)
    }

    /// Percent-encodes a path for a query value.
    pub fn encode_query(value: &str) -> String {
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/staff/persons", Locale::En), "/staff/persons");
        assert_eq!(safe_next("https://evil.example/", Locale::En), "/staff");
        assert_eq!(safe_next("//evil.example/", Locale::Fr), "/fr/staff");
        assert_eq!(safe_next("/\\evil.example", Locale::En), "/staff");
        assert_eq!(safe_next("", Locale::Nl), "/nl/staff");
    }
}
