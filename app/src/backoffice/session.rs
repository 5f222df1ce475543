//! Staff sessions and logins. A session is a random token in an HttpOnly
//! cookie; the database keeps its SHA-256, so several instances share
//! sessions and a leaked table opens no session. Failed logins are counted
//! in the database too, per account and per address, for every instance.
//!
//! The login form is a plain form (a password manager fills it; there is
//! nothing for JavaScript to improve): the server functions answer with a
//! redirect, and a failed login leaves a short flash cookie with the typed
//! email and the reason. Every staff server function asks `require` who is
//! calling, on every call.
//!
//! With a second factor set up (`two_factor`), a good password opens a
//! session that only waits for the code: no page or server function takes
//! it as logged in. The code (or a recovery code, `two_factor`) replaces it
//! with a new session, under a new token. An account that needs a second factor and
//! has none yet is logged in to its own account page only, to set one up.
use super::StaffUser;
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Why the last login failed, for the login page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginFlash {
    pub email: String,
    /// `staff.login_invalid` or `staff.login_throttled`.
    pub message: String,
}

/// A local path to go back to after logging in; anything else goes to the
/// staff home. Browsers drop tabs and line breaks from addresses, so
/// `/\t/evil.example` would become `//evil.example`: no control or white
/// space character is accepted.
pub fn safe_next(next: &str, locale: Locale) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    if local {
        next.to_owned()
    } else {
        locale.path("/staff", false)
    }
}

#[server]
pub async fn current_staff_user() -> Result<Option<StaffUser>, AppError> {
    Ok(on_server::current_user().await)
}

#[server(prefix = "/api", endpoint = "login")]
pub async fn log_in_staff(
    email: String,
    password: String,
    next: String,
    lang: String,
) -> Result<(), AppError> {
    on_server::log_in_from_form(&email, &password, &next, &lang).await
}

#[server(prefix = "/api", endpoint = "logout")]
pub async fn log_out_staff(lang: String) -> Result<(), AppError> {
    on_server::log_out_from_form(&lang).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::api::MunicipalityRef;
    use crate::domain::{Permission, Role, Slug};
    use crate::on_pool;
    use crate::server::context::{encode_query, is_plain_form_post, request_parts, state};
    use crate::server::cookies;
    use crate::server::db::{BeginWrite, Db};
    use crate::server::tokens::{new_token, token_hash};

    pub const LOGIN_FLASH_COOKIE: &str = "lumieres_login";

    pub const SESSION_COOKIE: &str = "lumieres_session";
    /// Behind https the cookie takes the `__Host-` prefix: browsers then accept
    /// it only Secure, for this host and path `/`, so no subdomain can plant one.
    pub const SECURE_SESSION_COOKIE: &str = "__Host-lumieres_session";

    /// The session cookie's name on this site.
    pub fn session_cookie_name(secure: bool) -> &'static str {
        if secure {
            SECURE_SESSION_COOKIE
        } else {
            SESSION_COOKIE
        }
    }
    /// A working day and some: staff log in again each morning.
    pub const SESSION_SECONDS: i64 = 12 * 3600;
    /// Failed logins are remembered this long for throttling.
    pub const THROTTLE_WINDOW_SECONDS: i64 = 15 * 60;
    /// An account is locked for the window after this many failures: enough for
    /// typos, far too few for guessing.
    pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
    /// An address is refused after this many failures, whatever the account.
    pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

    #[derive(Debug, thiserror::Error)]
    pub enum LoginError {
        /// Wrong email or wrong password: one answer for both.
        #[error("wrong email or password")]
        Invalid,
        #[error("too many failed logins; wait before trying again")]
        Throttled,
        #[error(transparent)]
        Database(#[from] sqlx::Error),
    }

    #[derive(sqlx::FromRow)]
    struct UserRow {
        id: i64,
        email: String,
        name: String,
        role: String,
        password_hash: String,
        municipality_slug: Option<String>,
        municipality_name: Option<String>,
        municipality_name_lang: Option<String>,
        second_factor_required: bool,
        second_factor_set: bool,
    }

    /// The columns of a `UserRow`, from `users u` and `municipalities m`.
    macro_rules! user_columns {
        () => {
            concat!(
                "u.id, u.email, u.name, u.role, u.password_hash,
             m.slug AS municipality_slug, m.name AS municipality_name,
             m.original_language AS municipality_name_lang, u.second_factor_required, ",
                crate::backoffice::second_factor_set!("u.id"),
                " AS second_factor_set"
            )
        };
    }

    impl UserRow {
        fn into_user(self) -> Option<StaffUser> {
            let municipality = match (
                self.municipality_slug,
                self.municipality_name,
                self.municipality_name_lang,
            ) {
                (Some(slug), Some(name), Some(lang)) => Some(MunicipalityRef {
                    slug: Slug::parse(&slug).ok()?,
                    name: crate::records::translations::stored_text(name, &lang).ok()?,
                }),
                _ => None,
            };
            let role = Role::parse(&self.role).ok()?;
            Some(StaffUser {
                id: self.id,
                email: self.email,
                name: self.name,
                second_factor: crate::backoffice::SecondFactor::of(
                    role,
                    self.second_factor_required,
                    self.second_factor_set,
                ),
                role,
                municipality,
            })
        }
    }

    /// A hash that matches no password, verified when the email is unknown so
    /// that a wrong email takes as long as a wrong password.
    fn decoy_hash() -> &'static str {
        static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        DECOY.get_or_init(|| {
            crate::backoffice::accounts::hash_password(&new_token())
                .unwrap_or_else(|_| "$argon2id$".into())
        })
    }

    /// A session opened: its cookie's token, and whether it waits for the
    /// second factor's code.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Opened {
        pub token: String,
        pub waits_for_code: bool,
    }

    /// Checks a login's password and opens a session (waiting for the code
    /// when the account has a second factor); returns the user and the session.
    #[tracing::instrument(skip_all)]
    pub async fn log_in(
        db: &Db,
        email: &str,
        password: &str,
        client_ip: Option<std::net::IpAddr>,
        now: i64,
    ) -> Result<(StaffUser, Opened), LoginError> {
        let (user, attempt) = check_password(db, email, password, client_ip, now).await?;
        let opened = on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.take_back_attempt(attempt).await?;
            let opened = tx.open_session(user.id, now, false).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(opened)
        })?;
        tracing::info!(
            user = user.id,
            waits_for_code = opened.waits_for_code,
            "password accepted"
        );
        Ok((user, opened))
    }

    /// Where a login goes once the password is right: to what the visitor
    /// asked for, or, while the session waits for a code, to the code page.
    pub fn after_password(locale: Locale, next: &str, waits_for_code: bool) -> String {
        if waits_for_code {
            let page = locale.path("/staff/login/code", false);
            format!("{page}?next={}", encode_query(next))
        } else {
            next.to_owned()
        }
    }

    /// Checks an enabled account's password; returns the user and the id of
    /// the attempt, counted as failed until the caller takes it back. The
    /// attempt is counted before the password is checked, so that attempts
    /// made at once see each other: however many arrive together, at most
    /// `MAX_FAILURES_PER_ACCOUNT` passwords are ever tried. Addresses are
    /// counted as the rate limits count them (an IPv6 /64 as one). Logging
    /// in and changing one's password both ask here.
    pub async fn check_password(
        db: &Db,
        email: &str,
        password: &str,
        client_ip: Option<std::net::IpAddr>,
        now: i64,
    ) -> Result<(StaffUser, i64), LoginError> {
        let email = email.trim().to_lowercase();
        let attempt = count_attempt(db, &email, Step::Password, client_ip, now).await?;
        let row: Option<UserRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users u LEFT JOIN municipalities m ON m.id = u.municipality_id
              WHERE u.email = $1 AND NOT u.disabled"
        ))
        .bind(&email)
        .fetch_optional(pool)
        .await)?;
        // Longer than any password we accept: refused before any hashing.
        if password.chars().count() > crate::backoffice::accounts::MAX_PASSWORD_CHARS {
            return Err(LoginError::Invalid);
        }
        let stored = row
            .as_ref()
            .map(|r| r.password_hash.clone())
            .unwrap_or_else(|| decoy_hash().to_owned());
        let matches =
            crate::backoffice::accounts::verify_password_in_turn(stored, password.to_owned()).await;
        match row.filter(|_| matches).and_then(UserRow::into_user) {
            Some(user) => Ok((user, attempt)),
            None => Err(LoginError::Invalid),
        }
    }

    /// Sessions and counted attempts, on a connection inside the caller's
    /// transaction.
    pub trait SessionWrites {
        /// Opens a session for `user_id`. Unless `factor_given`, it waits
        /// for the second factor if the account has one (whatever opened
        /// it: a password, a mailed password link).
        fn open_session(
            &mut self,
            user_id: i64,
            now: i64,
            factor_given: bool,
        ) -> impl std::future::Future<Output = Result<Opened, sqlx::Error>> + Send;
        /// A good password takes its attempt back: it was no failure.
        fn take_back_attempt(
            &mut self,
            attempt: i64,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl SessionWrites {
            async fn open_session(&mut self, user_id: i64, now: i64, factor_given: bool) -> Result<Opened, sqlx::Error> {
                let token = new_token();
                let waits_for_code: bool = sqlx::query_scalar(concat!(
                    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, second_factor_pending)
                     VALUES ($1, $2, $3, $4, NOT $5 AND ",
                    crate::backoffice::second_factor_set!("$2"),
                    ") RETURNING second_factor_pending",
                ))
                .bind(token_hash(&token))
                .bind(user_id)
                .bind(now)
                .bind(now + SESSION_SECONDS)
                .bind(factor_given)
                .fetch_one(&mut *self)
                .await?;
                Ok(Opened { token, waits_for_code })
            }

            async fn take_back_attempt(&mut self, attempt: i64) -> Result<(), sqlx::Error> {
                sqlx::query("DELETE FROM login_failures WHERE id = $1")
                    .bind(attempt)
                    .execute(&mut *self)
                    .await
                    .map(|_| ())
            }
        }
    }

    /// Which step of a login an attempt was: a mailed password link forgets
    /// the failed passwords (anyone may make those, and lock the owner
    /// out), not the failed second steps (only who had the password, or the
    /// link, can make those).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Step {
        Password,
        SecondFactor,
    }

    /// Counts an attempt at a password or a second factor's code as failed
    /// until the caller takes it back; returns its id. Counted before
    /// anything is checked, so that attempts made at once see each other;
    /// addresses as the rate limits count them (an IPv6 /64 as one).
    pub async fn count_attempt(
        db: &Db,
        email: &str,
        step: Step,
        client_ip: Option<std::net::IpAddr>,
        now: i64,
    ) -> Result<i64, LoginError> {
        let address = client_ip.map(|ip| crate::server::guard::rate_key(ip).to_string());
        let attempt = record_attempt(db, email, step, address.as_deref(), now).await?;
        let (by_account, by_address) = attempts(db, email, address.as_deref(), now).await?;
        if by_account > MAX_FAILURES_PER_ACCOUNT || by_address > MAX_FAILURES_PER_ADDRESS {
            tracing::warn!(address = ?address, "login throttled");
            return Err(LoginError::Throttled);
        }
        Ok(attempt)
    }

    async fn record_attempt(
        db: &Db,
        email: &str,
        step: Step,
        address: Option<&str>,
        now: i64,
    ) -> Result<i64, sqlx::Error> {
        on_pool!(db, |pool| {
            sqlx::query_scalar(
            "INSERT INTO login_failures (email, client_ip, attempted_at, second_step) VALUES ($1, $2, $3, $4) RETURNING id"
        )
        .bind(email)
        .bind(address)
        .bind(now)
        .bind(step == Step::SecondFactor)
        .fetch_one(pool)
        .await
        })
    }

    /// Attempts not (yet) successful in the window, by account and by address.
    async fn attempts(
        db: &Db,
        email: &str,
        address: Option<&str>,
        now: i64,
    ) -> Result<(i64, i64), sqlx::Error> {
        on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM login_failures WHERE email = $1 AND attempted_at > $3),
                    (SELECT COUNT(*) FROM login_failures WHERE client_ip = $2 AND attempted_at > $3)"
        )
        .bind(email)
        .bind(address)
        .bind(now - THROTTLE_WINDOW_SECONDS)
        .fetch_one(pool)
        .await
        })
    }

    /// The user behind a session token, if the session is live (not
    /// waiting for a code) and the account enabled.
    pub async fn user_for_token(
        db: &Db,
        token: &str,
        now: i64,
    ) -> Result<Option<StaffUser>, sqlx::Error> {
        session_user(db, token, now, false).await
    }

    /// The user whose session `token` waits for the second factor's code.
    pub async fn waiting_user(
        db: &Db,
        token: &str,
        now: i64,
    ) -> Result<Option<StaffUser>, sqlx::Error> {
        session_user(db, token, now, true).await
    }

    async fn session_user(
        db: &Db,
        token: &str,
        now: i64,
        waiting: bool,
    ) -> Result<Option<StaffUser>, sqlx::Error> {
        let row: Option<UserRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM sessions s JOIN users u ON u.id = s.user_id
               LEFT JOIN municipalities m ON m.id = u.municipality_id
              WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled
                AND s.second_factor_pending = $3"
        ))
        .bind(token_hash(token))
        .bind(now)
        .bind(waiting)
        .fetch_optional(pool)
        .await)?;
        Ok(row.and_then(UserRow::into_user))
    }

    pub async fn log_out(db: &Db, token: &str) -> Result<(), sqlx::Error> {
        on_pool!(db, |pool| sqlx::query(
            "DELETE FROM sessions WHERE token_hash = $1"
        )
        .bind(token_hash(token))
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// Keeps a staff form's flash (JSON) with the session, for the next page.
    pub async fn set_flash(db: &Db, token: &str, flash: &str) -> Result<(), sqlx::Error> {
        on_pool!(db, |pool| sqlx::query(
            "UPDATE sessions SET flash = $2 WHERE token_hash = $1"
        )
        .bind(token_hash(token))
        .bind(flash)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// The session's flash, once: reading it clears it.
    pub async fn take_flash(db: &Db, token: &str) -> Result<Option<String>, sqlx::Error> {
        let hash = token_hash(token);
        on_pool!(db, |pool| {
            let flash: Option<Option<String>> =
                sqlx::query_scalar("SELECT flash FROM sessions WHERE token_hash = $1")
                    .bind(&hash)
                    .fetch_optional(pool)
                    .await?;
            let flash = flash.flatten();
            if flash.is_some() {
                sqlx::query("UPDATE sessions SET flash = NULL WHERE token_hash = $1")
                    .bind(&hash)
                    .execute(pool)
                    .await?;
            }
            Ok(flash)
        })
    }

    /// Deletes expired sessions, and failed logins too old to throttle anything.
    /// Returns how many rows went. Run by the hourly retention pass.
    pub async fn forget_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
        let sessions = on_pool!(db, |pool| sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= $1"
        )
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        let failures = on_pool!(db, |pool| sqlx::query(
            "DELETE FROM login_failures WHERE attempted_at <= $1"
        )
        .bind(now - THROTTLE_WINDOW_SECONDS)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(sessions + failures)
    }

    /// The `Set-Cookie` value that opens (or, with `None`, ends) a session.
    pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
        cookies::cookie(
            session_cookie_name(secure),
            token.map(|t| (t, SESSION_SECONDS)),
            secure,
        )
    }

    impl From<LoginError> for AppError {
        fn from(error: LoginError) -> Self {
            match error {
                LoginError::Database(error) => error.into(),
                refusal => AppError::Forbidden(refusal.to_string()),
            }
        }
    }

    /// The login form: a session and a redirect to where the user was going,
    /// or back to the login page with the reason.
    #[tracing::instrument(skip_all)]
    pub async fn log_in_from_form(
        email: &str,
        password: &str,
        next: &str,
        lang: &str,
    ) -> Result<(), AppError> {
        let state = state()?;
        let parts = request_parts()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let ip = crate::server::guard::client_ip(&parts, &state.client_address);
        let next = safe_next(next, locale);
        match log_in(&state.db, email, password, ip, crate::server::clock::now()).await {
            Ok((_, opened)) => {
                cookies::set(&session_cookie(Some(&opened.token), state.secure_cookies));
                crate::server::context::redirect(&after_password(
                    locale,
                    &next,
                    opened.waits_for_code,
                ))?;
            }
            Err(LoginError::Database(error)) => return Err(error.into()),
            Err(refusal) => {
                let message = match refusal {
                    LoginError::Throttled => "staff.login_throttled",
                    _ => "staff.login_invalid",
                };
                cookies::set_flash(
                    LOGIN_FLASH_COOKIE,
                    &LoginFlash {
                        email: email.trim().chars().take(254).collect(),
                        message: message.to_owned(),
                    },
                );
                let login = locale.path("/staff/login", false);
                crate::server::context::redirect(&format!("{login}?next={}", encode_query(&next)))?;
            }
        }
        Ok(())
    }

    /// Ends this request's session, clears its cookie, and goes to the login page.
    #[tracing::instrument(skip_all)]
    pub async fn log_out_from_form(lang: &str) -> Result<(), AppError> {
        let state = state()?;
        if let Some(token) = session_token() {
            log_out(&state.db, &token).await?;
        }
        cookies::set(&session_cookie(None, state.secure_cookies));
        let locale = Locale::from_code(lang).unwrap_or_default();
        crate::server::context::redirect(&locale.path("/staff/login", false))
    }

    /// The session token of this request, if it carries one.
    pub fn session_token() -> Option<String> {
        let parts = use_context::<http::request::Parts>()?;
        let secure = use_context::<crate::server::AppState>()?.secure_cookies;
        cookies::value(&parts.headers, session_cookie_name(secure)).map(str::to_owned)
    }

    /// The staff member whose session cookie these headers carry, if the session is live.
    pub async fn user_from_headers(
        state: &crate::server::AppState,
        headers: &http::HeaderMap,
    ) -> Result<Option<StaffUser>, sqlx::Error> {
        match cookies::value(headers, session_cookie_name(state.secure_cookies)) {
            Some(token) => user_for_token(&state.db, token, crate::server::clock::now()).await,
            None => Ok(None),
        }
    }

    /// The logged-in staff member of this request, if any.
    pub async fn current_user() -> Option<StaffUser> {
        let state = use_context::<crate::server::AppState>()?;
        let parts = use_context::<http::request::Parts>()?;
        match user_from_headers(&state, &parts.headers).await {
            Ok(user) => user,
            Err(error) => {
                tracing::error!(%error, "cannot read the session");
                None
            }
        }
    }

    pub fn take_login_flash() -> Option<LoginFlash> {
        cookies::take_flash(LOGIN_FLASH_COOKIE, |_: &LoginFlash| true)
    }

    /// The logged-in staff member, if the policy lets their role do
    /// `permission`. Asked by every staff server function, on every call.
    /// Anonymous: `Unauthorized` (and a browser's own form post is sent to
    /// the login page, and back after); another role: `Forbidden`.
    pub async fn require(permission: Permission) -> Result<StaffUser, AppError> {
        let Some(user) = current_user().await else {
            let parts = request_parts()?;
            let back = parts
                .headers
                .get(http::header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| http::Uri::try_from(v).ok())
                .and_then(|uri| uri.path_and_query().map(|p| p.to_string()));
            if let (true, Some(back)) = (is_plain_form_post(&parts.headers), back) {
                let (locale, _) = Locale::split_path(&back);
                let login = locale.unwrap_or_default().path("/staff/login", false);
                crate::server::context::redirect(&format!("{login}?next={}", encode_query(&back)))?;
            }
            return Err(AppError::Unauthorized);
        };
        may(&user, permission)?;
        Ok(user)
    }

    /// Whether a logged-in staff member may do `permission`: their role,
    /// and, for an account that needs a second factor and has none yet,
    /// nothing but their own account page (where one is set up). Every way
    /// in asks here: server functions through `require`, the plain routes
    /// (the signatures CSV) directly.
    pub fn may(user: &StaffUser, permission: Permission) -> Result<(), AppError> {
        if !permission.allows(user.role) {
            return Err(AppError::forbidden("your role does not allow this"));
        }
        if user.second_factor == crate::backoffice::SecondFactor::Missing
            && permission != Permission::ChangeOwnPassword
        {
            return Err(AppError::forbidden(
                "set up a second factor on your account page first",
            ));
        }
        Ok(())
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
        assert_eq!(safe_next("/\t/evil.example", Locale::En), "/staff");
        assert_eq!(safe_next("/\n/evil.example", Locale::En), "/staff");
        assert_eq!(safe_next("/ /evil.example", Locale::En), "/staff");
        assert_eq!(
            safe_next("/staff/persons?x=1", Locale::En),
            "/staff/persons?x=1"
        );
    }
}
