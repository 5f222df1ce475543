//! Staff accounts: creation and passwords. Only an argon2id hash is stored
//! (the crate's defaults: 19 MiB, 2 passes, OWASP's recommendation).
use super::db::Db;
use crate::domain::{Email, PersonName, Role, Slug};
use crate::on_pool;
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
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
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

/// Creates an account; returns its id. `now` is Unix seconds. The email is
/// stored lowercase: it is the login, and case must not make two accounts.
pub async fn create_user(
    db: &Db,
    user: &NewUser,
    password: &str,
    now: i64,
) -> Result<i64, AccountError> {
    check_password_length(password)?;
    match (user.role.needs_municipality(), &user.municipality) {
        (true, None) => return Err(AccountError::MunicipalityRequired),
        (false, Some(_)) => return Err(AccountError::MunicipalityNotAllowed(user.role.slug())),
        _ => {}
    }
    let municipality_id = match &user.municipality {
        Some(slug) => {
            let id: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
                "SELECT id FROM municipalities WHERE slug = $1"
            )
            .bind(slug.as_str())
            .fetch_optional(pool)
            .await)?;
            Some(id.ok_or_else(|| AccountError::UnknownMunicipality(slug.to_string()))?)
        }
        None => None,
    };
    // Hashing takes tens of milliseconds of CPU: keep it off the async workers.
    let owned = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&owned))
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))??;
    let id: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, role, municipality_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (email) DO NOTHING
         RETURNING id"
    )
    .bind(user.email.as_str().to_lowercase())
    .bind(user.name.as_str())
    .bind(&hash)
    .bind(user.role.slug())
    .bind(municipality_id)
    .bind(now)
    .fetch_optional(pool)
    .await)?;
    id.ok_or(AccountError::EmailTaken)
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
