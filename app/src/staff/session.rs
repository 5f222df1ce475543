//! Staff sessions and logins. A session is a random token in an HttpOnly
//! cookie; the database keeps its SHA-256, so several instances share
//! sessions and a leaked table opens no session. Failed logins are counted
//! in the database too, per account and per address, for every instance.
use super::accounts::verify_password;
use super::db::Db;
use crate::api::signatures::queries::{new_token, token_hash};
use crate::api::staff::StaffUser;
use crate::api::MunicipalityRef;
use crate::domain::{Role, Slug};
use crate::on_pool;

pub const SESSION_COOKIE: &str = "lumieres_session";
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
}

impl UserRow {
    fn into_user(self) -> Option<StaffUser> {
        let municipality = match (self.municipality_slug, self.municipality_name) {
            (Some(slug), Some(name)) => Some(MunicipalityRef {
                slug: Slug::parse(&slug).ok()?,
                name,
            }),
            _ => None,
        };
        Some(StaffUser {
            id: self.id,
            email: self.email,
            name: self.name,
            role: Role::parse(&self.role).ok()?,
            municipality,
        })
    }
}

/// A hash that matches no password, verified when the email is unknown so
/// that a wrong email takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        super::accounts::hash_password(&new_token()).unwrap_or_else(|_| "$argon2id$".into())
    })
}

/// Checks a login and opens a session; returns the user and the cookie token.
pub async fn log_in(
    db: &Db,
    email: &str,
    password: &str,
    client_ip: Option<std::net::IpAddr>,
    now: i64,
) -> Result<(StaffUser, String), LoginError> {
    let email = email.trim().to_lowercase();
    let ip = client_ip.map(|ip| ip.to_string());
    let since = now - THROTTLE_WINDOW_SECONDS;
    let (by_account, by_address): (i64, i64) = on_pool!(db, |pool| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM login_failures WHERE email = $1 AND attempted_at > $3),
                (SELECT COUNT(*) FROM login_failures WHERE client_ip = $2 AND attempted_at > $3)"
    )
    .bind(&email)
    .bind(&ip)
    .bind(since)
    .fetch_one(pool)
    .await)?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
        tracing::warn!(ip = ?client_ip, "login throttled");
        return Err(LoginError::Throttled);
    }
    let row: Option<UserRow> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT u.id, u.email, u.name, u.role, u.password_hash,
                m.slug AS municipality_slug, m.name AS municipality_name
           FROM users u LEFT JOIN municipalities m ON m.id = u.municipality_id
          WHERE u.email = $1 AND NOT u.disabled"
    )
    .bind(&email)
    .fetch_optional(pool)
    .await)?;
    let stored = row
        .as_ref()
        .map(|r| r.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_owned());
    let attempt = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&stored, &attempt))
        .await
        .unwrap_or(false);
    let user = match (matches, row) {
        (true, Some(row)) => row.into_user(),
        _ => None,
    };
    let Some(user) = user else {
        on_pool!(db, |pool| sqlx::query(
            "INSERT INTO login_failures (email, client_ip, attempted_at) VALUES ($1, $2, $3)"
        )
        .bind(&email)
        .bind(&ip)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))?;
        return Err(LoginError::Invalid);
    };
    let token = new_token();
    on_pool!(db, |pool| {
        sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(token_hash(&token))
    .bind(user.id)
    .bind(now)
    .bind(now + SESSION_SECONDS)
    .execute(pool)
    .await
    .map(|_| ())
    })?;
    tracing::info!(user = user.id, "logged in");
    Ok((user, token))
}

/// The user behind a session token, if the session is live and the account enabled.
pub async fn user_for_token(
    db: &Db,
    token: &str,
    now: i64,
) -> Result<Option<StaffUser>, sqlx::Error> {
    let row: Option<UserRow> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT u.id, u.email, u.name, u.role, u.password_hash,
                m.slug AS municipality_slug, m.name AS municipality_name
           FROM sessions s JOIN users u ON u.id = s.user_id
           LEFT JOIN municipalities m ON m.id = u.municipality_id
          WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled"
    )
    .bind(token_hash(token))
    .bind(now)
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
    super::cookies::cookie(SESSION_COOKIE, token.map(|t| (t, SESSION_SECONDS)), secure)
}
