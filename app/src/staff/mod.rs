//! Staff login and logout, and who is logged in. The login form is a plain
//! form (a password manager fills it; there is nothing for JavaScript to
//! improve): the server functions answer with a redirect, and a failed
//! login leaves a short flash cookie with the typed email and the reason.
use super::MunicipalityRef;
use crate::domain::Role;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// A staff form that came back to its page: what was typed and what is wrong
/// with it (field name → interface-string key), or, after a change, what was
/// done. Kept with the session until the next page shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFlash {
    /// Which form on the page it belongs to.
    pub form: String,
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
    /// Interface-string key of what was done.
    pub notice: Option<String>,
}

impl FormFlash {
    /// The value typed in `field` of `form`, if this flash is that form's.
    pub fn value(&self, form: &str, field: &str) -> Option<String> {
        (self.form == form && self.notice.is_none())
            .then(|| self.values.get(field).cloned())
            .flatten()
    }

    pub fn error(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form)
            .then(|| self.errors.get(field).map(String::as_str))
            .flatten()
    }
}

/// Collects the problems of a submitted form, field by field.
#[derive(Debug, Default)]
pub struct Problems(pub BTreeMap<String, String>);

impl Problems {
    /// The parsed value, or `None` with `key` noted against `field`.
    pub fn check<T, E>(&mut self, field: &str, parsed: Result<T, E>, key: &str) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(_) => {
                self.add(field, key);
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, key: &str) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| key.to_owned());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
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

    /// The logged-in staff member if their role is one of `allowed`. Checked
    /// by every staff server function, on every call. Anonymous: 401 (a
    /// browser's form post goes to the login page instead); wrong role: 403.
    pub async fn require(allowed: &[Role]) -> Result<StaffUser, ServerFnError> {
        use crate::api::signature_form::on_server::is_plain_form_post;
        let response = use_context::<leptos_axum::ResponseOptions>();
        let Some(user) = current_user().await else {
            let parts = crate::api::request_parts()?;
            let back = parts
                .headers
                .get(http::header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| http::Uri::try_from(v).ok())
                .and_then(|uri| uri.path_and_query().map(|p| p.to_string()));
            if let (true, Some(back)) = (is_plain_form_post(&parts.headers), back) {
                let (locale, _) = Locale::split_path(&back);
                let login = locale.unwrap_or_default().path("/staff/login", false);
                leptos_axum::redirect(&format!("{login}?next={}", encode_query(&back)));
            } else if let Some(response) = response {
                response.set_status(http::StatusCode::UNAUTHORIZED);
            }
            return Err(ServerFnError::new("log in first"));
        };
        if !allowed.contains(&user.role) {
            if let Some(response) = response {
                response.set_status(http::StatusCode::FORBIDDEN);
            }
            return Err(ServerFnError::new("your role does not allow this"));
        }
        Ok(user)
    }

    fn session_token() -> Option<String> {
        let parts = use_context::<http::request::Parts>()?;
        cookies::value(&parts.headers, SESSION_COOKIE).map(str::to_owned)
    }

    async fn store_flash(flash: &FormFlash) -> Result<(), ServerFnError> {
        let (Some(token), Ok(json)) = (session_token(), serde_json::to_string(flash)) else {
            return Ok(());
        };
        let db = crate::api::db()?;
        crate::ssr::sessions::set_flash(&db, &token, &json)
            .await
            .map_err(crate::api::internal)
    }

    /// The flash left by the last staff form, once.
    pub async fn take_form_flash() -> Option<FormFlash> {
        let token = session_token()?;
        let db = crate::api::db().ok()?;
        match crate::ssr::sessions::take_flash(&db, &token).await {
            Ok(json) => json.and_then(|json| serde_json::from_str(&json).ok()),
            Err(error) => {
                tracing::error!(%error, "cannot read the form flash");
                None
            }
        }
    }

    /// What a form's fields held, as the page shows them again. Never a password.
    pub fn values_of(form: &impl Serialize) -> BTreeMap<String, String> {
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(form) else {
            return BTreeMap::new();
        };
        fields
            .into_iter()
            .filter(|(name, _)| !name.contains("password"))
            .map(|(name, value)| {
                let text = match value {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Array(items) => items
                        .iter()
                        .filter_map(|item| item.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (name, text)
            })
            .collect()
    }

    /// Refuses a form and changes nothing. A browser's form post goes back to
    /// its page (leptos_axum redirects to the Referer), which shows the typed
    /// values and each problem next to its field; another caller gets 400 and
    /// the problems as `field=key` pairs.
    pub async fn refuse(
        form: &str,
        values: &impl Serialize,
        problems: Problems,
    ) -> Result<(), ServerFnError> {
        use crate::api::signature_form::on_server::is_plain_form_post;
        let parts = crate::api::request_parts()?;
        if is_plain_form_post(&parts.headers) {
            store_flash(&FormFlash {
                form: form.to_owned(),
                values: values_of(values),
                errors: problems.0,
                notice: None,
            })
            .await?;
            return Ok(());
        }
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::BAD_REQUEST);
        }
        let pairs: Vec<String> = problems.0.iter().map(|(f, k)| format!("{f}={k}")).collect();
        Err(ServerFnError::new(format!("invalid: {}", pairs.join(", "))))
    }

    /// After a change: say what was done on the next page, and go there.
    pub async fn done(form: &str, notice: &str, to: &str) -> Result<(), ServerFnError> {
        store_flash(&FormFlash {
            form: form.to_owned(),
            notice: Some(notice.to_owned()),
            ..FormFlash::default()
        })
        .await?;
        leptos_axum::redirect(to);
        Ok(())
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
