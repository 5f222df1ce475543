//! Signing a support action: a pending signature and its confirmation mail
//! are written in one transaction; the mail's link confirms (idempotent),
//! another withdraws. The answer to the signer never says whether the address
//! had signed before. Tokens are random; only their SHA-256 is stored.
use crate::domain::{CountryCode, Email, Line, PersonName, Slug};
use crate::i18n::Locale;
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

#[cfg(feature = "ssr")]
pub mod queries {
    use super::*;
    use crate::api::actions::{queries as actions, Availability};
    use crate::on_pool;
    use crate::ssr::db::{BeginWrite, Db};
    use base64::Engine;
    use sha2::{Digest, Sha256};

    /// A pending signer who asks again gets a new mail at most this often.
    pub const RESEND_AFTER_SECONDS: i64 = 10 * 60;

    #[derive(Debug, thiserror::Error)]
    pub enum SignError {
        #[error("no support action has the slug {0:?}")]
        UnknownAction(String),
        #[error("this support action does not take signatures now")]
        ActionNotOpen,
        #[error("unknown country {0:?}")]
        UnknownCountry(String),
        #[error(transparent)]
        Database(#[from] sqlx::Error),
    }

    /// 32 random bytes, URL-safe: what goes in the mail.
    pub fn new_token() -> String {
        let bytes: [u8; 32] = rand::random();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// What is stored: the token's SHA-256, hex. A database leak reveals no link.
    pub fn token_hash(token: &str) -> String {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[derive(sqlx::FromRow)]
    struct ActionRow {
        id: i64,
        title: String,
        opens_on: chrono::NaiveDate,
        closes_on: Option<chrono::NaiveDate>,
        is_open: bool,
    }

    #[derive(sqlx::FromRow)]
    struct ExistingRow {
        id: i64,
        state: String,
        last_mailed_at: i64,
    }

    fn availability(row: &ActionRow) -> Availability {
        actions::availability_today(row.is_open, row.opens_on, row.closes_on)
    }

    /// The confirmation mail, in the signer's language.
    pub fn confirmation_mail(
        locale: Locale,
        title: &str,
        base_url: &str,
        token: &str,
    ) -> (String, String) {
        let base = base_url.trim_end_matches('/');
        let subject = locale.t("mail.confirm_subject").replace("%{title}", title);
        let body = locale
            .t("mail.confirm_body")
            .replace("%{title}", title)
            .replace(
                "%{confirm_url}",
                &format!("{base}/signatures/confirm?token={token}"),
            )
            .replace(
                "%{withdraw_url}",
                &format!("{base}/signatures/withdraw?token={token}"),
            );
        (subject, body)
    }

    /// Records a signature request. `now` is Unix seconds.
    #[tracing::instrument(skip(db, request, base_url), fields(action = %request.action, domain = %request.email.domain()))]
    pub async fn sign(
        db: &Db,
        request: &SignatureRequest,
        base_url: &str,
        now: i64,
    ) -> Result<SignOutcome, SignError> {
        let canonical = request.email.canonical();
        let token = new_token();
        let hash = token_hash(&token);
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let action: Option<ActionRow> = sqlx::query_as(
                "SELECT a.id, a.title, a.opens_on, a.closes_on, a.is_open
                   FROM support_actions a JOIN persons p ON p.id = a.person_id
                  WHERE a.slug = $1 AND p.is_public",
            )
            .bind(request.action.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(action) = action else {
                return Err(SignError::UnknownAction(request.action.to_string()));
            };
            if availability(&action) != Availability::Open {
                return Err(SignError::ActionNotOpen);
            }
            if let Some(country) = &request.country {
                let known: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM countries WHERE code = $1")
                        .bind(country.as_str())
                        .fetch_one(&mut *tx)
                        .await?;
                if known == 0 {
                    return Err(SignError::UnknownCountry(country.to_string()));
                }
            }

            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO signatures (action_id, name, canonical_email, place, country_code, show_name,
                                         keep_informed, locale, token_hash, state, created_at, last_mailed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10)
                 ON CONFLICT (action_id, canonical_email) DO NOTHING
                 RETURNING id",
            )
            .bind(action.id)
            .bind(request.name.as_str())
            .bind(&canonical)
            .bind(request.place.as_ref().map(Line::as_str))
            .bind(request.country.as_ref().map(CountryCode::as_str))
            .bind(request.show_name)
            .bind(request.keep_informed)
            .bind(request.locale.code())
            .bind(&hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;

            if inserted.is_none() {
                let existing: ExistingRow = sqlx::query_as(
                    "SELECT id, state, last_mailed_at FROM signatures WHERE action_id = $1 AND canonical_email = $2",
                )
                .bind(action.id)
                .bind(&canonical)
                .fetch_one(&mut *tx)
                .await?;
                match existing.state.as_str() {
                    "confirmed" => return Ok(SignOutcome::AlreadyConfirmed),
                    "pending" if now - existing.last_mailed_at < RESEND_AFTER_SECONDS => {
                        return Ok(SignOutcome::Throttled)
                    }
                    _ => {}
                }
                // Pending for a while, or withdrawn: renew with the latest details and a new link.
                sqlx::query(
                    "UPDATE signatures
                        SET name = $2, place = $3, country_code = $4, show_name = $5, keep_informed = $6,
                            locale = $7, token_hash = $8, state = 'pending', last_mailed_at = $9, confirmed_at = NULL
                      WHERE id = $1",
                )
                .bind(existing.id)
                .bind(request.name.as_str())
                .bind(request.place.as_ref().map(Line::as_str))
                .bind(request.country.as_ref().map(CountryCode::as_str))
                .bind(request.show_name)
                .bind(request.keep_informed)
                .bind(request.locale.code())
                .bind(&hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }

            let (subject, body) =
                confirmation_mail(request.locale, &action.title, base_url, &token);
            sqlx::query(
                "INSERT INTO outbox (recipient, subject, body_text, created_at, next_attempt_at)
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(request.email.as_str())
            .bind(&subject)
            .bind(&body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(SignOutcome::MailQueued)
        })
    }

    /// Confirms the signature behind a mailed token. Idempotent.
    pub async fn confirm(db: &Db, token: &str, now: i64) -> Result<TokenOutcome, SignError> {
        let hash = token_hash(token);
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let found: Option<(String, i64)> =
                sqlx::query_as("SELECT state, action_id FROM signatures WHERE token_hash = $1")
                    .bind(&hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((state, action_id)) = found else {
                return Ok(TokenOutcome::UnknownToken);
            };
            match state.as_str() {
                "confirmed" => return Ok(TokenOutcome::AlreadyDone),
                "withdrawn" => return Ok(TokenOutcome::UnknownToken),
                _ => {}
            }
            let action: ActionRow = sqlx::query_as(
                "SELECT id, title, opens_on, closes_on, is_open FROM support_actions WHERE id = $1",
            )
            .bind(action_id)
            .fetch_one(&mut *tx)
            .await?;
            if availability(&action) != Availability::Open {
                return Ok(TokenOutcome::ActionClosed);
            }
            sqlx::query(
                "UPDATE signatures SET state = 'confirmed', confirmed_at = $2 WHERE token_hash = $1 AND state = 'pending'",
            )
            .bind(&hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(TokenOutcome::Done)
        })
    }

    /// Withdraws the signature behind a mailed token: it stops counting. Idempotent.
    pub async fn withdraw(db: &Db, token: &str) -> Result<TokenOutcome, SignError> {
        let hash = token_hash(token);
        let changed = on_pool!(db, |pool| sqlx::query(
            "UPDATE signatures SET state = 'withdrawn', confirmed_at = NULL
              WHERE token_hash = $1 AND state <> 'withdrawn'"
        )
        .bind(&hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if changed == 1 {
            return Ok(TokenOutcome::Done);
        }
        let known: i64 = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM signatures WHERE token_hash = $1"
        )
        .bind(&hash)
        .fetch_one(pool)
        .await)?;
        Ok(if known == 1 {
            TokenOutcome::AlreadyDone
        } else {
            TokenOutcome::UnknownToken
        })
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::queries::*;
    use crate::i18n::Locale;

    #[test]
    fn tokens_are_random_and_only_hashes_are_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes, base64url without padding");
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn the_mail_is_in_the_signers_language_with_both_links() {
        let (subject, body) = confirmation_mail(
            Locale::Fr,
            "Solidarité",
            "https://lumieres.example/",
            "TOKEN",
        );
        assert!(subject.contains("Solidarité"));
        assert!(
            body.contains("https://lumieres.example/signatures/confirm?token=TOKEN"),
            "{body}"
        );
        assert!(
            body.contains("https://lumieres.example/signatures/withdraw?token=TOKEN"),
            "{body}"
        );
        assert!(body.contains("signature"), "{body}");
        let (_, nl) = confirmation_mail(Locale::Nl, "X", "http://h", "T");
        assert!(nl.contains("handtekening"), "{nl}");
    }
}
