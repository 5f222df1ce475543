//! Staff accounts: creation and passwords. Only an argon2id hash is stored
//! (the crate's defaults: 19 MiB, 2 passes, OWASP's recommendation).
use crate::backoffice::password_links::{LinkPurpose, MailPasswordLink, PasswordLink};
use crate::domain::{Email, PersonName, Role, Slug};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::on_pool;
use crate::server::audit::{Actor, AuditEntry, RecordAudit};
use crate::server::db::{BeginWrite, Db};
use crate::server::tokens::new_token;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// NIST SP 800-63B asks for at least 8; staff accounts can publish in the
/// city's name, so 12. The upper bound keeps hashing cheap to call.
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: PersonName,
    pub role: Role,
    pub municipality: Option<Slug>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email address already exists")]
    EmailTaken,
    #[error("no municipality has the slug {0:?}")]
    UnknownMunicipality(String),
    #[error("a council member acts for one municipality: give --municipality")]
    MunicipalityRequired,
    #[error("only council members belong to a municipality; {0} accounts act for the whole site")]
    MunicipalityNotAllowed(&'static str),
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("the password may have at most {MAX_PASSWORD_CHARS} characters")]
    PasswordTooLong,
    #[error("no account has this id")]
    UnknownUser,
    #[error("administrators cannot disable their own account or change their own role")]
    OwnAccount,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// What an administrator did wrong is told; what failed inside is logged.
impl From<AccountError> for AppError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Database(error) => error.into(),
            AccountError::Hash(error) => crate::error::internal(error),
            AccountError::UnknownUser => AppError::not_found("account"),
            refusal => AppError::Invalid(refusal.to_string()),
        }
    }
}

pub fn check_password_length(password: &str) -> Result<(), AccountError> {
    match password.chars().count() {
        n if n < MIN_PASSWORD_CHARS => Err(AccountError::PasswordTooShort),
        n if n > MAX_PASSWORD_CHARS => Err(AccountError::PasswordTooLong),
        _ => Ok(()),
    }
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Hashes and verifications running at once: each takes 19 MiB and a core
/// for tens of milliseconds, so a flood of logins waits its turn here rather
/// than exhausting the machine's memory and blocking threads.
fn hashing_turns() -> &'static tokio::sync::Semaphore {
    static TURNS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    TURNS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

/// `hash_password` off the async workers, in turn.
pub async fn hash_password_in_turn(password: String) -> Result<String, AccountError> {
    let _turn = hashing_turns()
        .acquire()
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?
}

/// `verify_password` off the async workers, in turn.
pub async fn verify_password_in_turn(stored: String, password: String) -> bool {
    let Ok(_turn) = hashing_turns().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_password(&stored, &password))
        .await
        .unwrap_or(false)
}

/// Whether `password` matches a stored hash; a malformed hash matches nothing.
pub fn verify_password(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// An account as the audit log records it: never the password hash.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct UserRecord {
    pub email: String,
    pub name: String,
    pub role: String,
    pub municipality: Option<String>,
    pub disabled: bool,
}

macro_rules! user_record {
    ($conn:expr, $id:expr) => {
        sqlx::query_as::<_, UserRecord>(
            "SELECT u.email, u.name, u.role, m.slug AS municipality, u.disabled
               FROM users u LEFT JOIN municipalities m ON m.id = u.municipality_id
              WHERE u.id = $1",
        )
        .bind($id)
        .fetch_optional($conn)
        .await
    };
}

macro_rules! municipality_id {
    ($conn:expr, $slug:expr) => {
        match $slug {
            Some(slug) => {
                let id: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM municipalities WHERE slug = $1")
                        .bind(slug.as_str())
                        .fetch_optional($conn)
                        .await?;
                Some(id.ok_or_else(|| AccountError::UnknownMunicipality(slug.to_string()))?)
            }
            None => None,
        }
    };
}

fn check_role_and_municipality(
    role: Role,
    municipality: Option<&Slug>,
) -> Result<(), AccountError> {
    match (role.needs_municipality(), municipality) {
        (true, None) => Err(AccountError::MunicipalityRequired),
        (false, Some(_)) => Err(AccountError::MunicipalityNotAllowed(role.slug())),
        _ => Ok(()),
    }
}

/// How a new account gets its first password.
#[derive(Debug, Clone, Copy)]
pub enum FirstPassword<'a> {
    /// Typed at the command line: the very first administrator has nobody
    /// to open the account for them, and may have no mail server yet.
    Typed(&'a str),
    /// Chosen by the new staff member through a one-time link mailed (in
    /// `locale`, to pages under `base_url`) in the same transaction: an
    /// administrator never knows a colleague's password.
    Mailed { base_url: &'a str, locale: Locale },
}

/// Creates an account with a typed password (the command line, tests).
pub async fn create_user(
    db: &Db,
    actor: Actor,
    user: &NewUser,
    password: &str,
    now: i64,
) -> Result<i64, AccountError> {
    create_account(db, actor, user, FirstPassword::Typed(password), now).await
}

/// Creates an account and its audit entry; returns its id. `actor` is the
/// administrator who made it, or the command line. `now` is Unix seconds.
/// The email is stored lowercase: it is the login, and case must not make
/// two accounts. An account whose password is mailed holds, until then, the
/// hash of a random secret nobody knows, so it opens to no password.
#[tracing::instrument(skip_all, fields(%actor, role = user.role.slug()))]
pub async fn create_account(
    db: &Db,
    actor: Actor,
    user: &NewUser,
    first: FirstPassword<'_>,
    now: i64,
) -> Result<i64, AccountError> {
    check_role_and_municipality(user.role, user.municipality.as_ref())?;
    let password = match first {
        FirstPassword::Typed(password) => {
            check_password_length(password)?;
            password.to_owned()
        }
        FirstPassword::Mailed { .. } => new_token(),
    };
    let hash = hash_password_in_turn(password).await?;
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let municipality_id = municipality_id!(&mut *tx, &user.municipality);
        let email = user.email.as_str().to_lowercase();
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO users (email, name, password_hash, role, municipality_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (email) DO NOTHING
             RETURNING id",
        )
        .bind(&email)
        .bind(user.name.as_str())
        .bind(&hash)
        .bind(user.role.slug())
        .bind(municipality_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let id = id.ok_or(AccountError::EmailTaken)?;
        if let FirstPassword::Mailed { base_url, locale } = first {
            let link = PasswordLink {
                user_id: id,
                email: &email,
                name: user.name.as_str(),
                purpose: LinkPurpose::Welcome,
                base_url,
                locale,
            };
            tx.mail_password_link(&link, now).await?;
        }
        let after = user_record!(&mut *tx, id)?;
        let mut entry = AuditEntry::new(actor, "user.create", "user", id).after(&after);
        entry.at = now;
        tx.record_audit(&entry).await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// What an administrator changes about an account.
#[derive(Debug, Clone)]
pub enum AccountChange {
    Disable,
    Enable,
    Role {
        role: Role,
        municipality: Option<Slug>,
    },
}

/// Applies `change` to account `user_id` and audits it. Administrators cannot
/// disable or demote themselves: the site would be left without a way in.
/// Disabling ends the account's sessions and password links at once.
#[tracing::instrument(skip(db, change))]
pub async fn change_user(
    db: &Db,
    actor: i64,
    user_id: i64,
    change: &AccountChange,
) -> Result<(), AccountError> {
    if user_id == actor && !matches!(change, AccountChange::Enable) {
        return Err(AccountError::OwnAccount);
    }
    if let AccountChange::Role { role, municipality } = change {
        check_role_and_municipality(*role, municipality.as_ref())?;
    }
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let before = user_record!(&mut *tx, user_id)?.ok_or(AccountError::UnknownUser)?;
        let action = match change {
            AccountChange::Disable | AccountChange::Enable => {
                let disabled = matches!(change, AccountChange::Disable);
                sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(disabled)
                    .execute(&mut *tx)
                    .await?;
                if disabled {
                    // Nothing of the account's stays usable: enabling it
                    // again does not bring back a link mailed before.
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM password_links WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                    "user.disable"
                } else {
                    "user.enable"
                }
            }
            AccountChange::Role { role, municipality } => {
                let municipality_id = municipality_id!(&mut *tx, municipality);
                sqlx::query("UPDATE users SET role = $2, municipality_id = $3 WHERE id = $1")
                    .bind(user_id)
                    .bind(role.slug())
                    .bind(municipality_id)
                    .execute(&mut *tx)
                    .await?;
                // Translating is a communications task: another role keeps no languages.
                sqlx::query(
                    "DELETE FROM translator_languages WHERE user_id = $1
                       AND NOT EXISTS (SELECT 1 FROM users WHERE id = $1 AND role = 'comms')",
                )
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                "user.role"
            }
        };
        let after = user_record!(&mut *tx, user_id)?;
        let entry = AuditEntry::new(Actor::Staff(actor), action, "user", user_id)
            .before(&before)
            .after(&after);
        tx.record_audit(&entry).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// One row of the administrator's list of accounts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub municipality_slug: Option<String>,
    pub municipality_name: Option<String>,
    pub municipality_name_lang: Option<String>,
    pub disabled: bool,
    pub second_factor_required: bool,
    pub second_factor_set: bool,
}

pub async fn list_users(db: &Db) -> Result<Vec<ListedUser>, sqlx::Error> {
    on_pool!(db, |pool| {
        sqlx::query_as(concat!(
        "SELECT u.id, u.email, u.name, u.role, m.slug AS municipality_slug,
                m.name AS municipality_name, m.original_language AS municipality_name_lang, u.disabled,
                u.second_factor_required, ",
        crate::backoffice::second_factor_set!("u.id"),
        " AS second_factor_set
           FROM users u LEFT JOIN municipalities m ON m.id = u.municipality_id
          ORDER BY u.disabled, u.email"
    ))
    .fetch_all(pool)
    .await
    })
}

/// The languages a staff member translates into, in the network's order.
pub async fn translator_languages(db: &Db, user: i64) -> Result<Vec<Locale>, sqlx::Error> {
    let codes: Vec<String> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT language FROM translator_languages WHERE user_id = $1"
    )
    .bind(user)
    .fetch_all(pool)
    .await)?;
    crate::records::translations::in_network_order(&codes)
}

/// Marks communications staff member `user` as translating into
/// `languages` (none: not a translator), audited; `false`: no such
/// communications staff member.
pub async fn set_translator_languages(
    db: &Db,
    actor: Actor,
    user: i64,
    languages: &[Locale],
) -> Result<bool, sqlx::Error> {
    use crate::server::audit::{AuditEntry, RecordAudit};
    use crate::server::db::BeginWrite;
    let before = translator_languages(db, user).await?;
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let comms: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND role = 'comms'")
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
        if comms.is_none() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM translator_languages WHERE user_id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        for language in languages {
            sqlx::query("INSERT INTO translator_languages (user_id, language) VALUES ($1, $2)")
                .bind(user)
                .bind(language.code())
                .execute(&mut *tx)
                .await?;
        }
        let entry = AuditEntry::new(actor, "user.translator_languages", "user", user)
            .before(&before)
            .after(&languages);
        tx.record_audit(&entry).await?;
        tx.commit().await?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_with_argon2id_and_salted() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify_password(&a, "correct horse battery"));
        assert!(!verify_password(&a, "correct horse battery "));
        assert!(!verify_password("not a hash", "anything"));
    }

    #[test]
    fn password_length_is_bounded() {
        assert!(matches!(
            check_password_length("short"),
            Err(AccountError::PasswordTooShort)
        ));
        assert!(check_password_length("twelve chars").is_ok());
        assert!(
            check_password_length("ééééééééééé").is_err(),
            "11 characters"
        );
        assert!(matches!(
            check_password_length(&"x".repeat(MAX_PASSWORD_CHARS + 1)),
            Err(AccountError::PasswordTooLong)
        ));
    }
}
