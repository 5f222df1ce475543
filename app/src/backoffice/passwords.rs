//! Staff passwords are their own. An administrator never types one: opening
//! an account, or "reset", mails a one-time link (`password_links`: only the
//! token's SHA-256 is kept; 24 hours; single use) through the outbox. The
//! owner of a forgotten password, or of an account locked by someone else's
//! guesses, asks for the same link on the login page. A logged-in staff
//! member changes their password with the current one; their other sessions
//! end.
use super::forms::FormFlash;
use super::StaffUser;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The form on `/staff/account`.
pub const OWN_PASSWORD_FORM: &str = "own-password";

/// What the page of a one-time link shows before the password is chosen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordLinkView {
    pub name: String,
    pub email: String,
    /// `welcome` (a new account) or `reset`.
    pub purpose: String,
}

/// The form on the page of a mailed link. Its flash (the problem, never
/// what was typed) travels in a cookie: that page has no session to keep it.
pub const LINK_FORM: &str = "password-link";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnAccountPage {
    pub user: StaffUser,
    pub flash: Option<FormFlash>,
    pub second_factor: super::two_factor::SecondFactorView,
}

/// The account a live link opens, if it still works. Reading does not use it.
#[server]
pub async fn password_link(token: String) -> Result<Option<PasswordLinkView>, AppError> {
    let db = crate::server::context::db()?;
    Ok(
        on_server::live_link(&db, &token, crate::server::clock::now())
            .await?
            .map(|link| PasswordLinkView {
                name: link.name,
                email: link.email,
                purpose: link.purpose,
            }),
    )
}

/// Chooses a password through a one-time link, and logs in.
#[server(prefix = "/api", endpoint = "password/set")]
pub async fn set_password(
    token: String,
    new_password: String,
    repeat_password: String,
    lang: String,
) -> Result<(), AppError> {
    on_server::set_from_form(&token, &new_password, &repeat_password, &lang).await
}

/// Mails a one-time link to the owner of a staff account, if the address is
/// one. The answer is the same whether it is or not.
#[server(prefix = "/api", endpoint = "password/forgot")]
pub async fn request_password_link(email: String, lang: String) -> Result<(), AppError> {
    on_server::request_from_form(&email, &lang).await
}

#[server(prefix = "/api/staff", endpoint = "own-account")]
pub async fn own_account() -> Result<OwnAccountPage, AppError> {
    let user = require(Permission::ChangeOwnPassword).await?;
    let db = crate::server::context::db()?;
    let mut second_factor = super::two_factor::on_server::view(&db, &user).await?;
    let mut flash = super::forms::on_server::take_form_flash().await;
    if let Some(flash) = flash
        .as_mut()
        .filter(|f| f.form == super::two_factor::SECOND_FACTOR_FORM)
    {
        second_factor.new_recovery_codes = std::mem::take(&mut flash.shown_once);
    }
    Ok(OwnAccountPage {
        user,
        flash,
        second_factor,
    })
}

/// Changes the caller's own password; their other sessions end.
#[server(prefix = "/api/staff", endpoint = "change-password")]
pub async fn change_own_password(
    current_password: String,
    new_password: String,
    repeat_password: String,
    lang: String,
) -> Result<(), AppError> {
    let user = require(Permission::ChangeOwnPassword).await?;
    on_server::change_from_form(
        &user,
        &current_password,
        &new_password,
        &repeat_password,
        &lang,
    )
    .await
}

#[cfg(feature = "ssr")]
use {super::session::on_server::require, crate::domain::Permission};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::accounts::{self, AccountError};
    use crate::backoffice::forms::on_server::{done, refuse};
    use crate::backoffice::forms::Problems;
    use crate::backoffice::password_links::{LinkPurpose, MailPasswordLink, PasswordLink};
    use crate::backoffice::session::on_server::{
        after_password, check_password, session_cookie, session_token, LoginError, SessionWrites,
    };
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::context::{encode_query, request_parts, state};
    use crate::server::cookies;
    use crate::server::db::{BeginWrite, Db};
    use crate::server::tokens::token_hash;

    pub const PASSWORD_FLASH_COOKIE: &str = "lumieres_password";
    /// A forgotten-password link is mailed at most this often per account, so
    /// that the form cannot be used to flood a colleague's mailbox.
    pub const ASK_AGAIN_SECONDS: i64 = 5 * 60;

    /// What a new password means, whichever way it came: the hash replaced,
    /// every session but `keep` (the one that changed it) ended, every
    /// password link of the account gone. Inside the caller's transaction;
    /// false when the account is disabled (nothing changed).
    pub trait ReplacePassword {
        fn replace_password(
            &mut self,
            user_id: i64,
            hash: &str,
            keep: Option<&str>,
        ) -> impl std::future::Future<Output = Result<bool, sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl ReplacePassword {
            async fn replace_password(&mut self, user_id: i64, hash: &str, keep: Option<&str>) -> Result<bool, sqlx::Error> {
                let changed = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1 AND NOT disabled")
                    .bind(user_id)
                    .bind(hash)
                    .execute(&mut *self)
                    .await?
                    .rows_affected();
                if changed != 1 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> COALESCE($2, '')")
                    .bind(user_id)
                    .bind(keep.map(token_hash))
                    .execute(&mut *self)
                    .await?;
                sqlx::query("DELETE FROM password_links WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *self)
                    .await?;
                Ok(true)
            }
        }
    }

    /// The account behind a link that still works.
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct LiveLink {
        pub user_id: i64,
        pub email: String,
        pub name: String,
        pub purpose: String,
    }

    pub async fn live_link(
        db: &Db,
        token: &str,
        now: i64,
    ) -> Result<Option<LiveLink>, sqlx::Error> {
        on_pool!(db, |pool| sqlx::query_as(
            "SELECT u.id AS user_id, u.email, u.name, l.purpose
               FROM password_links l JOIN users u ON u.id = l.user_id
              WHERE l.token_hash = $1 AND l.expires_at > $2 AND NOT u.disabled"
        )
        .bind(token_hash(token))
        .bind(now)
        .fetch_optional(pool)
        .await)
    }

    #[derive(Debug, thiserror::Error)]
    pub enum PasswordError {
        #[error(transparent)]
        Account(#[from] AccountError),
        #[error("the two new passwords differ")]
        Mismatch,
        /// Used already, expired, or its account disabled.
        #[error("the link does not work any more")]
        DeadLink,
        /// Disabled while changing its password: nothing changed.
        #[error("the account is disabled")]
        AccountDisabled,
        #[error(transparent)]
        Login(#[from] LoginError),
        #[error(transparent)]
        Database(#[from] sqlx::Error),
    }

    impl PasswordError {
        /// The field the problem is shown against, and its interface string.
        fn problem(&self) -> Option<(&'static str, &'static str)> {
            Some(match self {
                PasswordError::Account(AccountError::PasswordTooShort) => {
                    ("new_password", "form.password_short")
                }
                PasswordError::Account(AccountError::PasswordTooLong) => {
                    ("new_password", "form.password_long")
                }
                PasswordError::Mismatch => ("repeat_password", "form.password_mismatch"),
                PasswordError::DeadLink => ("token", "staff.password_link_dead"),
                PasswordError::Login(LoginError::Invalid) => {
                    ("current_password", "staff.current_password_wrong")
                }
                PasswordError::Login(LoginError::Throttled) => {
                    ("current_password", "staff.login_throttled")
                }
                _ => return None,
            })
        }
    }

    fn check_new(password: &str, repeat: &str) -> Result<(), PasswordError> {
        accounts::check_password_length(password)?;
        if password != repeat {
            return Err(PasswordError::Mismatch);
        }
        Ok(())
    }

    /// Sets a password through a link and opens a session; returns the
    /// account and the session's token. The link is used in the same
    /// transaction that sets the password, so two clicks at once set at most
    /// one; every link of the account goes, every other session ends, and the
    /// failed passwords counted against the account are forgotten (a
    /// stranger's guesses no longer lock its owner out; failed second steps
    /// stay, `session::on_server::Step`).
    #[tracing::instrument(skip_all)]
    pub async fn set_with_link(
        db: &Db,
        token: &str,
        password: &str,
        repeat: &str,
        now: i64,
    ) -> Result<(i64, crate::backoffice::session::on_server::Opened), PasswordError> {
        check_new(password, repeat)?;
        // Hash before writing: the writer is never held for argon2.
        let Some(link) = live_link(db, token, now).await? else {
            return Err(PasswordError::DeadLink);
        };
        let hash = accounts::hash_password_in_turn(password.to_owned()).await?;
        let session = on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let used = sqlx::query(
                "DELETE FROM password_links WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3",
            )
            .bind(token_hash(token))
            .bind(link.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if used != 1 {
                return Err(PasswordError::DeadLink);
            }
            if !tx.replace_password(link.user_id, &hash, None).await? {
                return Err(PasswordError::DeadLink);
            }
            // Failed second steps stay counted: else each link mailed
            // would bring fresh guesses at the code.
            sqlx::query("DELETE FROM login_failures WHERE email = $1 AND NOT second_step")
                .bind(&link.email)
                .execute(&mut *tx)
                .await?;
            let session = tx.open_session(link.user_id, now, false).await?;
            let mut entry = AuditEntry::new(
                Actor::Staff(link.user_id),
                "user.password_set",
                "user",
                link.user_id,
            );
            entry.at = now;
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok::<_, PasswordError>(session)
        })?;
        tracing::info!(user = link.user_id, "password set through a mailed link");
        Ok((link.user_id, session))
    }

    /// What the change-password form holds.
    #[derive(Debug, Clone, Copy)]
    pub struct PasswordChange<'a> {
        pub current: &'a str,
        pub new: &'a str,
        pub repeat: &'a str,
    }

    /// Changes a logged-in staff member's password. The current password is
    /// checked like a login (and counted like one, so a borrowed session
    /// cannot guess it); the other sessions end, this one stays.
    #[tracing::instrument(skip_all, fields(user = user.id))]
    pub async fn change_own(
        db: &Db,
        user: &StaffUser,
        this_session: &str,
        change: &PasswordChange<'_>,
        client_ip: Option<std::net::IpAddr>,
        now: i64,
    ) -> Result<(), PasswordError> {
        // A typo in the new password is no failed login: checked first.
        check_new(change.new, change.repeat)?;
        let (_, attempt) = check_password(db, &user.email, change.current, client_ip, now).await?;
        let hash = accounts::hash_password_in_turn(change.new.to_owned()).await?;
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.take_back_attempt(attempt).await?;
            if !tx
                .replace_password(user.id, &hash, Some(this_session))
                .await?
            {
                return Err(PasswordError::AccountDisabled);
            }
            let mut entry = AuditEntry::new(user.actor(), "user.password_change", "user", user.id);
            entry.at = now;
            tx.record_audit(&entry).await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// Mails a reset link for an account, if it is an enabled one and no link
    /// was mailed to it in the last minutes. `admin`: the administrator who
    /// asked (audited); `None`: the owner, from the login page (logged only:
    /// anyone may ask, and nothing changes until the link is used). Returns
    /// whether a mail was queued.
    #[tracing::instrument(skip_all, fields(by_admin = admin.is_some()))]
    pub async fn mail_reset_link(
        db: &Db,
        account: Account<'_>,
        admin: Option<&StaffUser>,
        base_url: &str,
        locale: Locale,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let found: Option<(i64, String, String)> = match account {
                Account::Id(id) => sqlx::query_as(
                    "SELECT id, email, name FROM users WHERE id = $1 AND NOT disabled",
                )
                .bind(id),
                Account::Email(email) => sqlx::query_as(
                    "SELECT id, email, name FROM users WHERE email = $1 AND NOT disabled",
                )
                .bind(email.trim().to_lowercase()),
            }
            .fetch_optional(&mut *tx)
            .await?;
            let Some((user_id, email, name)) = found else {
                return Ok(false);
            };
            let recent: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM password_links WHERE user_id = $1 AND created_at > $2",
            )
            .bind(user_id)
            .bind(now - ASK_AGAIN_SECONDS)
            .fetch_one(&mut *tx)
            .await?;
            if recent > 0 && admin.is_none() {
                tracing::info!(user = user_id, "a link was mailed minutes ago: not again");
                return Ok(false);
            }
            let link = PasswordLink {
                user_id,
                email: &email,
                name: &name,
                purpose: LinkPurpose::Reset,
                base_url,
                locale,
            };
            tx.mail_password_link(&link, now).await?;
            if let Some(admin) = admin {
                let mut entry =
                    AuditEntry::new(admin.actor(), "user.password_link", "user", user_id);
                entry.at = now;
                tx.record_audit(&entry).await?;
            }
            tx.commit().await?;
            tracing::info!(user = user_id, "password link mailed");
            Ok(true)
        })
    }

    /// Which account a reset link is for.
    #[derive(Debug, Clone, Copy)]
    pub enum Account<'a> {
        Id(i64),
        Email(&'a str),
    }

    /// Expired links, for the hourly retention pass. Returns how many went.
    pub async fn forget_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
        on_pool!(db, |pool| sqlx::query(
            "DELETE FROM password_links WHERE expires_at <= $1"
        )
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
    }

    fn password_page(locale: Locale, token: &str) -> String {
        format!(
            "{}?token={}",
            locale.path("/staff/password", false),
            encode_query(token)
        )
    }

    pub fn take_password_flash() -> Option<FormFlash> {
        cookies::take_flash(PASSWORD_FLASH_COOKIE, |flash: &FormFlash| {
            flash.form == LINK_FORM && flash.values.is_empty()
        })
    }

    /// The link's form: logged in and on to the staff home, or back to the
    /// link's page with the reason.
    pub async fn set_from_form(
        token: &str,
        password: &str,
        repeat: &str,
        lang: &str,
    ) -> Result<(), AppError> {
        let state = state()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let now = crate::server::clock::now();
        match set_with_link(&state.db, token, password, repeat, now).await {
            Ok((_, session)) => {
                // A second factor, if the account has one, is still asked:
                // the link proves the mailbox, not the phone.
                cookies::set(&session_cookie(Some(&session.token), state.secure_cookies));
                crate::server::context::redirect(&after_password(
                    locale,
                    &locale.path("/staff", false),
                    session.waits_for_code,
                ))
            }
            Err(error) => match error.problem() {
                Some((field, key)) => {
                    cookies::set_flash(
                        PASSWORD_FLASH_COOKIE,
                        &FormFlash {
                            form: LINK_FORM.to_owned(),
                            errors: Problems::one(field, key).0,
                            ..FormFlash::default()
                        },
                    );
                    crate::server::context::redirect(&password_page(locale, token))
                }
                None => Err(internal(error)),
            },
        }
    }

    /// The login page's "mail me a link": the same answer for any address.
    pub async fn request_from_form(email: &str, lang: &str) -> Result<(), AppError> {
        // Known or not, the address gets its answer after as long.
        let answer_at = crate::server::even::NoSoonerThan::from_now(LINK_ANSWER_FLOOR);
        let state = state()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let email = email.trim();
        if !email.is_empty() && email.len() <= 254 {
            mail_reset_link(
                &state.db,
                Account::Email(email),
                None,
                &state.public_url,
                locale,
                crate::server::clock::now(),
            )
            .await?;
        }
        answer_at.wait().await;
        crate::server::context::redirect(&format!(
            "{}?sent=1",
            locale.path("/staff/password/forgot", false)
        ))
    }

    /// How soon "mail me a link" answers at the earliest: above what a known
    /// address's link and mail take to write (`server::even`).
    pub const LINK_ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(100);

    pub async fn change_from_form(
        user: &StaffUser,
        current: &str,
        password: &str,
        repeat: &str,
        lang: &str,
    ) -> Result<(), AppError> {
        let state = state()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let parts = request_parts()?;
        let ip = crate::server::guard::client_ip(&parts, &state.client_address);
        let Some(this_session) = session_token() else {
            return Err(AppError::Unauthorized);
        };
        let now = crate::server::clock::now();
        let values = std::collections::BTreeMap::from([("lang", lang)]);
        let change = PasswordChange {
            current,
            new: password,
            repeat,
        };
        match change_own(&state.db, user, &this_session, &change, ip, now).await {
            Ok(()) => {
                done(
                    OWN_PASSWORD_FORM,
                    "staff.password_changed",
                    &locale.path("/staff/account", false),
                )
                .await
            }
            Err(error) => match error.problem() {
                Some((field, key)) => {
                    refuse(OWN_PASSWORD_FORM, &values, Problems::one(field, key)).await
                }
                None => Err(internal(error)),
            },
        }
    }

    fn internal(error: PasswordError) -> AppError {
        match error {
            PasswordError::Database(error) | PasswordError::Login(LoginError::Database(error)) => {
                error.into()
            }
            PasswordError::Account(error) => error.into(),
            PasswordError::AccountDisabled => AppError::Unauthorized,
            other => crate::error::internal(other),
        }
    }
}
