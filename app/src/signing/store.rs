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

    impl SignError {
        /// Refusals carry no database state and can be told to every request
        /// that asked the same thing; a database error cannot be copied.
        fn copy_of_refusal(&self) -> Self {
            match self {
                SignError::UnknownAction(slug) => SignError::UnknownAction(slug.clone()),
                SignError::ActionNotOpen => SignError::ActionNotOpen,
                SignError::UnknownCountry(code) => SignError::UnknownCountry(code.clone()),
                SignError::Database(error) => {
                    SignError::Database(sqlx::Error::Protocol(error.to_string()))
                }
            }
        }
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

    /// What the writes need of a checked action.
    struct CheckedAction {
        id: i64,
        title: String,
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
        let link = |kind: &str| {
            format!(
                "{base}{}?token={token}",
                locale.path(&format!("/signatures/{kind}"), false)
            )
        };
        let subject = locale.t("mail.confirm_subject").replace("%{title}", title);
        let body = locale
            .t("mail.confirm_body")
            .replace("%{title}", title)
            .replace("%{confirm_url}", &link("confirm"))
            .replace("%{withdraw_url}", &link("withdraw"));
        (subject, body)
    }

    /// Whether the request's action takes signatures and its country exists:
    /// reads only, so a refusal leaves nothing behind.
    macro_rules! check_on_connection {
        ($conn:ident, $request:ident) => {
            async {
                let action: Option<ActionRow> = sqlx::query_as(
                    "SELECT a.id, a.title, a.opens_on, a.closes_on, a.is_open
                       FROM support_actions a JOIN persons p ON p.id = a.person_id
                      WHERE a.slug = $1 AND p.is_public",
                )
                .bind($request.action.as_str())
                .fetch_optional(&mut *$conn)
                .await?;
                let Some(action) = action else {
                    return Err(SignError::UnknownAction($request.action.to_string()));
                };
                if availability(&action) != Availability::Open {
                    return Err(SignError::ActionNotOpen);
                }
                if let Some(country) = &$request.country {
                    let known: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM countries WHERE code = $1")
                            .bind(country.as_str())
                            .fetch_one(&mut *$conn)
                            .await?;
                    if known == 0 {
                        return Err(SignError::UnknownCountry(country.to_string()));
                    }
                }
                Ok::<_, SignError>(action)
            }
        };
    }

    /// The writes of one signature request, on a connection inside a write
    /// transaction, for an action already checked: written once, used for a
    /// lone request and for a batch (group commit). An async block, so
    /// `return` ends this request only.
    macro_rules! write_on_connection {
        ($conn:ident, $request:ident, $action:ident, $base_url:ident, $now:ident) => {
            async {
                let canonical = $request.email.canonical();
                let token = new_token();
                let hash = token_hash(&token);
                let inserted: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO signatures (action_id, name, canonical_email, place, country_code, show_name,
                                             keep_informed, locale, token_hash, state, created_at, last_mailed_at, client_ip)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10, $11)
                     ON CONFLICT (action_id, canonical_email) DO NOTHING
                     RETURNING id",
                )
                .bind($action.id)
                .bind($request.name.as_str())
                .bind(&canonical)
                .bind($request.place.as_ref().map(Line::as_str))
                .bind($request.country.as_ref().map(CountryCode::as_str))
                .bind($request.show_name)
                .bind($request.keep_informed)
                .bind($request.locale.code())
                .bind(&hash)
                .bind($now)
                .bind($request.client_ip.map(|ip| ip.to_string()))
                .fetch_optional(&mut *$conn)
                .await?;

                if inserted.is_none() {
                    let existing: ExistingRow = sqlx::query_as(
                        "SELECT id, state, last_mailed_at FROM signatures WHERE action_id = $1 AND canonical_email = $2",
                    )
                    .bind($action.id)
                    .bind(&canonical)
                    .fetch_one(&mut *$conn)
                    .await?;
                    match existing.state.as_str() {
                        "confirmed" => return Ok(SignOutcome::AlreadyConfirmed),
                        "pending" if $now - existing.last_mailed_at < RESEND_AFTER_SECONDS => {
                            return Ok(SignOutcome::Throttled)
                        }
                        _ => {}
                    }
                    // Pending for a while, or withdrawn: renew with the latest details and a new link.
                    sqlx::query(
                        "UPDATE signatures
                            SET name = $2, place = $3, country_code = $4, show_name = $5, keep_informed = $6,
                                locale = $7, token_hash = $8, state = 'pending', last_mailed_at = $9, confirmed_at = NULL,
                                client_ip = $10
                          WHERE id = $1",
                    )
                    .bind(existing.id)
                    .bind($request.name.as_str())
                    .bind($request.place.as_ref().map(Line::as_str))
                    .bind($request.country.as_ref().map(CountryCode::as_str))
                    .bind($request.show_name)
                    .bind($request.keep_informed)
                    .bind($request.locale.code())
                    .bind(&hash)
                    .bind($now)
                    .bind($request.client_ip.map(|ip| ip.to_string()))
                    .execute(&mut *$conn)
                    .await?;
                }

                let (subject, body) =
                    confirmation_mail($request.locale, &$action.title, $base_url, &token);
                sqlx::query(
                    "INSERT INTO outbox (recipient, subject, body_text, created_at, next_attempt_at)
                     VALUES ($1, $2, $3, $4, $4)",
                )
                .bind($request.email.as_str())
                .bind(&subject)
                .bind(&body)
                .bind($now)
                .execute(&mut *$conn)
                .await?;
                Ok::<_, SignError>(SignOutcome::MailQueued)
            }
        };
    }

    /// Records a signature request. `now` is Unix seconds.
    #[tracing::instrument(skip(db, request, base_url), fields(action = %request.action, domain = %request.email.domain()))]
    pub async fn sign(
        db: &Db,
        request: &SignatureRequest,
        base_url: &str,
        now: i64,
    ) -> Result<SignOutcome, SignError> {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let conn = &mut *tx;
            let action = check_on_connection!(conn, request).await?;
            let outcome = write_on_connection!(conn, request, action, base_url, now).await?;
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Records many signature requests in ONE transaction: one fsync for the
    /// lot (group commit). Checks (action open, country known) are
    /// read once per batch. Nothing is acknowledged before the commit: if it
    /// fails, every request of the batch gets the error. A request that fails
    /// half-way (a database error, not a refusal) would leave half its writes
    /// in the batch, so then the batch is rolled back and each request is
    /// retried in its own transaction.
    pub async fn sign_batch(
        db: &Db,
        requests: &[SignatureRequest],
        base_url: &str,
        now: i64,
    ) -> Result<Vec<Result<SignOutcome, SignError>>, sqlx::Error> {
        let batched = on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            // Refusals are remembered per (action, country); a database error ends the batch.
            let mut checked: std::collections::HashMap<_, Result<CheckedAction, SignError>> =
                std::collections::HashMap::new();
            let mut outcomes = Vec::with_capacity(requests.len());
            let mut broken = false;
            for request in requests {
                let conn = &mut *tx;
                let key = (request.action.clone(), request.country.clone());
                if !checked.contains_key(&key) {
                    let check = match check_on_connection!(conn, request).await {
                        Ok(action) => Ok(CheckedAction {
                            id: action.id,
                            title: action.title,
                        }),
                        Err(SignError::Database(error)) => return Err(error),
                        Err(refusal) => Err(refusal),
                    };
                    checked.insert(key.clone(), check);
                }
                let action = match &checked[&key] {
                    Ok(action) => action,
                    Err(refusal) => {
                        outcomes.push(Err(refusal.copy_of_refusal()));
                        continue;
                    }
                };
                match write_on_connection!(conn, request, action, base_url, now).await {
                    Err(SignError::Database(error)) => {
                        tracing::warn!(%error, "a request failed inside a batch: retrying one by one");
                        broken = true;
                        break;
                    }
                    outcome => outcomes.push(outcome),
                }
            }
            if broken {
                tx.rollback().await?;
                None
            } else {
                tx.commit().await?;
                Some(outcomes)
            }
        });
        match batched {
            Some(outcomes) => Ok(outcomes),
            None => {
                let mut one_by_one = Vec::with_capacity(requests.len());
                for request in requests {
                    one_by_one.push(sign(db, request, base_url, now).await);
                }
                Ok(one_by_one)
            }
        }
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

    #[derive(sqlx::FromRow)]
    struct TokenRow {
        state: String,
        slug: String,
        title: String,
        opens_on: chrono::NaiveDate,
        closes_on: Option<chrono::NaiveDate>,
        is_open: bool,
    }

    /// Where the signature behind a mailed token stands, or `None` for an
    /// unknown (or replaced) token.
    pub async fn by_token(
        db: &Db,
        token: &str,
    ) -> Result<Option<crate::api::signature_form::TokenView>, SignError> {
        use crate::api::signature_form::{SignatureState, TokenView};
        let hash = token_hash(token);
        let row: Option<TokenRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT s.state, a.slug, a.title, a.opens_on, a.closes_on, a.is_open
               FROM signatures s JOIN support_actions a ON a.id = s.action_id
              WHERE s.token_hash = $1"
        )
        .bind(&hash)
        .fetch_optional(pool)
        .await)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let state = match row.state.as_str() {
            "pending" => SignatureState::Pending,
            "confirmed" => SignatureState::Confirmed,
            _ => SignatureState::Withdrawn,
        };
        let Ok(action_slug) = Slug::parse(&row.slug) else {
            return Ok(None);
        };
        Ok(Some(TokenView {
            state,
            action_slug,
            action_title: row.title,
            action_open: actions::availability_today(row.is_open, row.opens_on, row.closes_on)
                == Availability::Open,
        }))
    }

    /// A confirmed signature as it is delivered to the addressee: no email.
    #[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
    pub struct DeliveredSignature {
        pub name: String,
        pub place: Option<String>,
        pub country_code: Option<String>,
        /// Unix seconds.
        pub confirmed_at: i64,
    }

    /// The confirmed signatures of an action, oldest first, for delivery.
    pub async fn confirmed_for_delivery(
        db: &Db,
        action: &Slug,
    ) -> Result<Vec<DeliveredSignature>, SignError> {
        let known: i64 = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM support_actions WHERE slug = $1"
        )
        .bind(action.as_str())
        .fetch_one(pool)
        .await)?;
        if known == 0 {
            return Err(SignError::UnknownAction(action.to_string()));
        }
        Ok(on_pool!(db, |pool| sqlx::query_as(
            "SELECT s.name, s.place, s.country_code, s.confirmed_at
               FROM signatures s JOIN support_actions a ON a.id = s.action_id
              WHERE a.slug = $1 AND s.state = 'confirmed' AND s.confirmed_at IS NOT NULL
              ORDER BY s.confirmed_at, s.id"
        )
        .bind(action.as_str())
        .fetch_all(pool)
        .await)?)
    }

    /// What one retention pass did.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Retention {
        pub anonymised: u64,
        pub mails_forgotten: u64,
    }

    /// Sent mail is kept this long (for support questions), then deleted:
    /// it holds the address and the links.
    pub const SENT_MAIL_KEPT_SECONDS: i64 = 30 * 86_400;

    /// Anonymises the signatures of actions closed (by hand or by their
    /// deadline) more than `retention_days` ago: name, email, place, address
    /// and token go; state, country and dates stay, so every count stays.
    /// Also deletes sent mail older than `SENT_MAIL_KEPT_SECONDS`.
    pub async fn apply_retention(
        db: &Db,
        retention_days: u32,
        now: i64,
    ) -> Result<Retention, SignError> {
        let cutoff = now - i64::from(retention_days) * 86_400;
        let cutoff_day = chrono::DateTime::from_timestamp(cutoff, 0)
            .map(|t| t.date_naive())
            .unwrap_or_default();
        let anonymised = on_pool!(db, |pool| {
            sqlx::query(
            "UPDATE signatures
                SET name = '', canonical_email = 'anonymised:' || id, place = NULL, client_ip = NULL,
                    token_hash = 'anonymised:' || id, show_name = FALSE, keep_informed = FALSE,
                    anonymised = TRUE
              WHERE anonymised = FALSE AND action_id IN (
                    SELECT id FROM support_actions
                     WHERE (is_open = FALSE AND closed_at <= $1) OR closes_on < $2)"
        )
        .bind(cutoff)
        .bind(cutoff_day)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        let mails_forgotten = on_pool!(db, |pool| sqlx::query(
            "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1"
        )
        .bind(now - SENT_MAIL_KEPT_SECONDS)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(Retention {
            anonymised,
            mails_forgotten,
        })
    }

    /// What a burst came from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum SpikeSource {
        Address,
        EmailDomain,
    }

    /// Many signature requests from one client address, or one email domain,
    /// within one time bucket.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Spike {
        pub source: SpikeSource,
        pub key: String,
        /// Unix seconds.
        pub bucket_start: i64,
        pub requests: u64,
        /// How many of them were confirmed: floods rarely are.
        pub confirmed: u64,
        /// Every request in the bucket, all sources together.
        pub bucket_total: u64,
    }

    #[derive(Debug, Clone, Copy)]
    pub struct SpikeRules {
        pub since: i64,
        pub bucket_seconds: i64,
        /// An address is listed from this many requests in one bucket.
        pub min_per_address: u64,
        /// A domain is listed from this many requests in one bucket, when it
        /// is also more than `min_domain_share` of the bucket: a big mail
        /// provider is busy whenever the site is.
        pub min_per_domain: u64,
        pub min_domain_share: f64,
    }

    /// Lists the bursts since `rules.since`, biggest first.
    pub async fn spikes(db: &Db, rules: SpikeRules) -> Result<Vec<Spike>, SignError> {
        let rows: Vec<(i64, Option<String>, String, String)> =
            on_pool!(db, |pool| sqlx::query_as(
                "SELECT created_at, client_ip, canonical_email, state FROM signatures
              WHERE created_at >= $1 AND NOT anonymised"
            )
            .bind(rules.since)
            .fetch_all(pool)
            .await)?;
        let bucket_of = |t: i64| t - t.rem_euclid(rules.bucket_seconds.max(1));
        let mut totals = std::collections::HashMap::<i64, u64>::new();
        let mut groups = std::collections::HashMap::<(SpikeSource, String, i64), (u64, u64)>::new();
        for (created_at, ip, email, state) in rows {
            let bucket = bucket_of(created_at);
            *totals.entry(bucket).or_default() += 1;
            let confirmed = u64::from(state == "confirmed");
            let domain = email.rsplit_once('@').map(|(_, d)| d.to_owned());
            for (source, key) in [
                (SpikeSource::Address, ip),
                (SpikeSource::EmailDomain, domain),
            ] {
                if let Some(key) = key {
                    let entry = groups.entry((source, key, bucket)).or_default();
                    entry.0 += 1;
                    entry.1 += confirmed;
                }
            }
        }
        let mut spikes: Vec<Spike> = groups
            .into_iter()
            .filter_map(|((source, key, bucket_start), (requests, confirmed))| {
                let bucket_total = totals.get(&bucket_start).copied().unwrap_or(requests);
                let listed = match source {
                    SpikeSource::Address => requests >= rules.min_per_address,
                    SpikeSource::EmailDomain => {
                        requests >= rules.min_per_domain
                            && requests as f64 > rules.min_domain_share * bucket_total as f64
                    }
                };
                listed.then_some(Spike {
                    source,
                    key,
                    bucket_start,
                    requests,
                    confirmed,
                    bucket_total,
                })
            })
            .collect();
        spikes.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then(a.bucket_start.cmp(&b.bucket_start))
                .then(a.source.cmp(&b.source))
                .then(a.key.cmp(&b.key))
        });
        Ok(spikes)
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
            body.contains("https://lumieres.example/fr/signatures/confirm?token=TOKEN"),
            "{body}"
        );
        assert!(
            body.contains("https://lumieres.example/fr/signatures/withdraw?token=TOKEN"),
            "{body}"
        );
        assert!(body.contains("signature"), "{body}");
        let (_, nl) = confirmation_mail(Locale::Nl, "X", "http://h", "T");
        assert!(nl.contains("handtekening"), "{nl}");
    }
}
