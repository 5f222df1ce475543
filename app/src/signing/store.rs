//! The signing writes: a pending signature and its confirmation mail in one
//! transaction, alone or many at once (group commit, driven by `queue`);
//! confirming and withdrawing through the mailed token; and where a token
//! stands. Tokens are random; only their SHA-256 is stored.
use super::at_rest::SealedSigner;
use super::threshold::{CheckThreshold, LockAction};
use super::{SignOutcome, SignatureRequest, SignatureState, TokenOutcome, TokenView};
use crate::domain::{Availability, CountryCode, Line, Slug};
use crate::error::AppError;
use crate::i18n::{LangText, Locale};
use crate::on_pool;
use crate::server::clock::availability_today;
use crate::server::db::{BeginWrite, Db};
use crate::server::outbox::{Enqueue, NewMail};
use crate::server::tokens::{new_token, token_hash};

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

/// A refusal reaches the caller as what it is; a database error is logged.
impl From<SignError> for AppError {
    fn from(error: SignError) -> Self {
        match error {
            SignError::UnknownAction(_) => AppError::not_found("support action"),
            SignError::ActionNotOpen => AppError::Invalid(error.to_string()),
            SignError::UnknownCountry(_) => AppError::Invalid(error.to_string()),
            SignError::Database(error) => error.into(),
        }
    }
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

/// What the writes need of a checked action.
struct CheckedAction {
    id: i64,
    /// The person the action is about: its mails are about them.
    person_id: i64,
    /// In the signer's language where translated.
    title: LangText,
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    id: i64,
    person_id: i64,
    /// In the signer's language, else the original.
    title: String,
    title_lang: String,
    opens_on: chrono::NaiveDate,
    closes_on: Option<chrono::NaiveDate>,
    is_open: bool,
    delivered: bool,
}

#[derive(sqlx::FromRow)]
struct ExistingRow {
    id: i64,
    state: String,
    last_mailed_at: i64,
}

fn availability(row: &ActionRow) -> Availability {
    availability_today(row.is_open, row.delivered, row.opens_on, row.closes_on)
}

/// The confirmation mail, in the signer's language; the action's title in
/// it too where translated, else the original, said to be one.
pub fn confirmation_mail(
    locale: Locale,
    title: &LangText,
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
    let subject = locale
        .t("mail.confirm_subject")
        .replace("%{title}", &title.text);
    let marked = match title.lang_attr(locale) {
        None => title.text.clone(),
        Some(_) => format!("{} ({})", title.text, locale.untranslated_note(title.lang)),
    };
    let body = locale
        .t("mail.confirm_body")
        .replace("%{title}", &marked)
        .replace("%{confirm_url}", &link("confirm"))
        .replace("%{withdraw_url}", &link("withdraw"));
    (subject, body)
}

/// Whether the request's action takes signatures and its country exists:
/// reads only, so a refusal leaves nothing behind.
macro_rules! check_on_connection {
    ($conn:ident, $request:ident) => {
        async {
            let action: Option<ActionRow> = sqlx::query_as(concat!(
                "SELECT a.id, a.person_id, ",
                crate::translated!("a"."title"),
                ", a.opens_on, a.closes_on, a.is_open, ",
                crate::delivered!(),
                " AS delivered
                   FROM support_actions a JOIN persons p ON p.id = a.person_id",
                crate::translation_join!("support_action_translations"."support_action_id", "a"."title", "$2"),
                " WHERE a.slug = $1 AND p.is_public"
            ))
            .bind($request.action.as_str())
            .bind($request.locale.code())
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
            Ok::<_, SignError>(CheckedAction {
                id: action.id,
                person_id: action.person_id,
                title: LangText {
                    lang: crate::records::translations::stored_language(&action.title_lang)?,
                    text: action.title,
                },
            })
        }
    };
}

/// The writes of checked signature requests (each with its action), on a
/// connection inside a write transaction: written once, used for a lone
/// request and for a batch (group commit). New signatures go in with one
/// statement, and their mails with another, whatever the number: a round
/// trip each, not two per signature. A request whose address already
/// signed (before, or earlier in the same batch) is then looked at on its
/// own. Gives each request's outcome, in order.
macro_rules! write_on_connection {
    ($conn:ident, $checked:expr, $base_url:ident, $now:ident) => {
        async {
            let written: &[(&SignatureRequest, &CheckedAction, &SealedSigner)] = $checked;
            let fresh: Vec<Fresh> = written
                .iter()
                .map(|(_, action, signer)| Fresh::new(action.id, signer))
                .collect();
            let checked: Vec<(&SignatureRequest, &CheckedAction)> =
                written.iter().map(|(request, action, _)| (*request, *action)).collect();
            let rows: Vec<(&SignatureRequest, &Fresh)> =
                checked.iter().map(|(request, _)| *request).zip(&fresh).collect();
            let mut inserted: std::collections::HashSet<(i64, String)> =
                $conn.insert_signatures(&rows, $now).await?.into_iter().collect();
            let mut outcomes = Vec::with_capacity(checked.len());
            let mut mails = Vec::new();
            for ((request, action), fresh) in checked.iter().zip(&fresh) {
                // The first request for an address took the row; a second
                // in the same batch finds it as already there.
                if !inserted.remove(&(fresh.action_id, fresh.signer.email_hash.clone())) {
                    let existing: ExistingRow = sqlx::query_as(
                        "SELECT id, state, last_mailed_at FROM signatures WHERE action_id = $1 AND email_hash = $2",
                    )
                    .bind(fresh.action_id)
                    .bind(&fresh.signer.email_hash)
                    .fetch_one(&mut *$conn)
                    .await?;
                    match existing.state.as_str() {
                        "confirmed" => {
                            outcomes.push(SignOutcome::AlreadyConfirmed);
                            continue;
                        }
                        "pending" if $now - existing.last_mailed_at < RESEND_AFTER_SECONDS => {
                            outcomes.push(SignOutcome::Throttled);
                            continue;
                        }
                        _ => {}
                    }
                    // Pending for a while, or withdrawn: renew with the latest details and a new link.
                    sqlx::query(
                        "UPDATE signatures
                            SET name = $2, place = $3, country_code = $4, show_name = $5, keep_informed = $6,
                                locale = $7, token_hash = $8, state = 'pending', last_mailed_at = $9, confirmed_at = NULL,
                                client_ip = $10, email_sealed = $11
                          WHERE id = $1",
                    )
                    .bind(existing.id)
                    .bind(&fresh.signer.name)
                    .bind(&fresh.signer.place)
                    .bind(request.country.as_ref().map(CountryCode::as_str))
                    .bind(request.show_name)
                    .bind(request.keep_informed)
                    .bind(request.locale.code())
                    .bind(&fresh.hash)
                    .bind($now)
                    .bind(&fresh.signer.client_ip)
                    .bind(&fresh.signer.email_sealed)
                    .execute(&mut *$conn)
                    .await?;
                }
                mails.push(confirmation_mail(request.locale, &action.title, $base_url, &fresh.token));
                outcomes.push(SignOutcome::MailQueued);
            }
            let queued: Vec<NewMail> = checked
                .iter()
                .zip(&outcomes)
                .filter(|(_, outcome)| **outcome == SignOutcome::MailQueued)
                .zip(&mails)
                .map(|(((request, action), _), (subject, body))| NewMail {
                    recipient: request.email.as_str(),
                    subject,
                    body_text: body,
                    list_unsubscribe: None,
                    about: Some(action.person_id),
                })
                .collect();
            $conn.enqueue_all(&queued, $now).await?;
            Ok::<_, sqlx::Error>(outcomes)
        }
    };
}

/// The one statement that inserts a batch's new signatures (pending), an
/// address already there left alone: gives the (action, address) of each
/// row it inserted.
trait InsertSignatures {
    fn insert_signatures(
        &mut self,
        rows: &[(&SignatureRequest, &Fresh<'_>)],
        now: i64,
    ) -> impl std::future::Future<Output = Result<Vec<(i64, String)>, sqlx::Error>> + Send;
}

/// SQLite: a multi-row VALUES list.
impl InsertSignatures for sqlx::SqliteConnection {
    async fn insert_signatures(
        &mut self,
        rows: &[(&SignatureRequest, &Fresh<'_>)],
        now: i64,
    ) -> Result<Vec<(i64, String)>, sqlx::Error> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO signatures (action_id, name, email_hash, email_sealed, place, country_code, show_name,
                                     keep_informed, locale, token_hash, state, created_at, last_mailed_at, client_ip) ",
        );
        insert.push_values(rows, |mut row, (request, fresh)| {
            row.push_bind(fresh.action_id)
                .push_bind(fresh.signer.name.as_str())
                .push_bind(fresh.signer.email_hash.as_str())
                .push_bind(fresh.signer.email_sealed.as_str())
                .push_bind(fresh.signer.place.as_deref())
                .push_bind(request.country.as_ref().map(CountryCode::as_str))
                .push_bind(request.show_name)
                .push_bind(request.keep_informed)
                .push_bind(request.locale.code())
                .push_bind(fresh.hash.as_str())
                .push_bind("pending")
                .push_bind(now)
                .push_bind(now)
                .push_bind(fresh.signer.client_ip.as_deref());
        });
        insert.push(
            " ON CONFLICT (action_id, email_hash) DO NOTHING RETURNING action_id, email_hash",
        );
        insert.build_query_as().fetch_all(&mut *self).await
    }
}

/// PostgreSQL: arrays unnested, one statement text whatever the batch size
/// (prepared once and kept, where a VALUES list is a new statement for each
/// size). Measured, this alone changed little: the slowness once blamed on
/// it was Nagle's algorithm (sqlx 0.9.0 without TCP_NODELAY; BENCHMARKS.md).
impl InsertSignatures for sqlx::PgConnection {
    async fn insert_signatures(
        &mut self,
        rows: &[(&SignatureRequest, &Fresh<'_>)],
        now: i64,
    ) -> Result<Vec<(i64, String)>, sqlx::Error> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let text = |pick: fn(&SignatureRequest, &Fresh) -> Option<String>| -> Vec<Option<String>> {
            rows.iter()
                .map(|(request, fresh)| pick(request, fresh))
                .collect()
        };
        sqlx::query_as(
            "INSERT INTO signatures (action_id, name, email_hash, email_sealed, place, country_code, show_name,
                                     keep_informed, locale, token_hash, state, created_at, last_mailed_at, client_ip)
             SELECT action_id, name, email_hash, email_sealed, place, country_code, show_name,
                    keep_informed, locale, token_hash, 'pending', $11, $11, client_ip
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[],
                           $7::bool[], $8::text[], $9::text[], $10::text[], $12::text[])
                    AS r (action_id, name, email_hash, place, country_code, show_name,
                          keep_informed, locale, token_hash, client_ip, email_sealed)
             ON CONFLICT (action_id, email_hash) DO NOTHING
             RETURNING action_id, email_hash",
        )
        .bind(rows.iter().map(|(_, fresh)| fresh.action_id).collect::<Vec<i64>>())
        .bind(text(|_, f| Some(f.signer.name.clone())))
        .bind(text(|_, f| Some(f.signer.email_hash.clone())))
        .bind(text(|_, f| f.signer.place.clone()))
        .bind(text(|r, _| r.country.as_ref().map(|c| c.as_str().to_owned())))
        .bind(rows.iter().map(|(r, _)| r.show_name).collect::<Vec<bool>>())
        .bind(rows.iter().map(|(r, _)| r.keep_informed).collect::<Vec<bool>>())
        .bind(text(|r, _| Some(r.locale.code().to_owned())))
        .bind(text(|_, f| Some(f.hash.clone())))
        .bind(text(|_, f| f.signer.client_ip.clone()))
        .bind(now)
        .bind(text(|_, f| Some(f.signer.email_sealed.clone())))
        .fetch_all(&mut *self)
        .await
    }
}

/// What a request brings to its new row: the signer's details sealed, with
/// the address's hash to compare, and a fresh token (only its hash is
/// stored; the token goes in the mail).
struct Fresh<'a> {
    action_id: i64,
    signer: &'a SealedSigner,
    token: String,
    hash: String,
}

impl<'a> Fresh<'a> {
    fn new(action_id: i64, signer: &'a SealedSigner) -> Self {
        let token = new_token();
        Self {
            action_id,
            signer,
            hash: token_hash(&token),
            token,
        }
    }
}

/// The signer's details of a request, sealed before its transaction
/// begins: the sealing then adds nothing to the time a writer is held
/// (one at a time on SQLite).
fn sealed_signer(request: &SignatureRequest) -> SealedSigner {
    SealedSigner::new(
        request.name.as_str(),
        &request.email.canonical(),
        request.place.as_ref().map(Line::as_str),
        request.client_ip.map(|ip| ip.to_string()).as_deref(),
    )
}

/// Records a signature request. `now` is Unix seconds.
#[tracing::instrument(skip_all, fields(actor = "signer", action = %request.action))]
pub async fn sign(
    db: &Db,
    request: &SignatureRequest,
    base_url: &str,
    now: i64,
) -> Result<SignOutcome, SignError> {
    let signer = sealed_signer(request);
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let conn = &mut *tx;
        let action = check_on_connection!(conn, request).await?;
        let mut outcomes =
            write_on_connection!(conn, &[(request, &action, &signer)], base_url, now).await?;
        tx.commit().await?;
        Ok(outcomes.pop().expect("one outcome for one request"))
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
    let signers: Vec<SealedSigner> = requests.iter().map(sealed_signer).collect();
    let batched = on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let conn = &mut *tx;
        // Checks are remembered per (action, country, language: the title of
        // the mail is read in the signer's); a database error ends the batch.
        let key = |request: &SignatureRequest| {
            (
                request.action.clone(),
                request.country.clone(),
                request.locale,
            )
        };
        let mut checked: std::collections::HashMap<_, Result<CheckedAction, SignError>> =
            std::collections::HashMap::new();
        for request in requests {
            if let std::collections::hash_map::Entry::Vacant(slot) = checked.entry(key(request)) {
                let check = match check_on_connection!(conn, request).await {
                    Ok(action) => Ok(action),
                    Err(SignError::Database(error)) => return Err(error),
                    Err(refusal) => Err(refusal),
                };
                slot.insert(check);
            }
        }
        let writable: Vec<(&SignatureRequest, &CheckedAction, &SealedSigner)> = requests
            .iter()
            .zip(&signers)
            .filter_map(|(request, signer)| {
                Some((request, checked[&key(request)].as_ref().ok()?, signer))
            })
            .collect();
        match write_on_connection!(conn, &writable, base_url, now).await {
            Ok(written) => {
                tx.commit().await?;
                let mut written = written.into_iter();
                let outcomes = requests
                    .iter()
                    .map(|request| match &checked[&key(request)] {
                        Ok(_) => Ok(written.next().expect("an outcome per written request")),
                        Err(refusal) => Err(refusal.copy_of_refusal()),
                    })
                    .collect();
                Some(outcomes)
            }
            Err(error) => {
                tracing::warn!(%error, "a batch of signatures failed: retrying one by one");
                tx.rollback().await?;
                None
            }
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

/// Confirms the signature behind a mailed token. Idempotent. The count
/// may reach the action's threshold: its staff are then told, with links
/// under `base_url` (`threshold`).
pub async fn confirm(
    db: &Db,
    token: &str,
    base_url: &str,
    now: i64,
) -> Result<TokenOutcome, SignError> {
    let outcomes = confirm_together(db, &[token.to_owned()], base_url, now).await?;
    Ok(outcomes
        .into_iter()
        .next()
        .unwrap_or(TokenOutcome::UnknownToken))
}

/// Confirms the signatures behind `tokens`, together when it can: one
/// token's database error (a deadlock, a busy database) rolls the batch
/// back, and each is then confirmed alone, so that it fails alone.
pub async fn confirm_batch(
    db: &Db,
    tokens: &[String],
    base_url: &str,
    now: i64,
) -> Result<Vec<Result<TokenOutcome, SignError>>, sqlx::Error> {
    match confirm_together(db, tokens, base_url, now).await {
        Ok(outcomes) => Ok(outcomes.into_iter().map(Ok).collect()),
        Err(error) if tokens.len() > 1 => {
            tracing::warn!(%error, tokens = tokens.len(), "confirmations rolled back: one by one");
            let mut outcomes = Vec::with_capacity(tokens.len());
            for token in tokens {
                outcomes.push(confirm(db, token, base_url, now).await);
            }
            Ok(outcomes)
        }
        Err(error) => Err(error),
    }
}

/// Confirms the signatures behind `tokens` in one transaction: one commit
/// (an fsync) for all, as signing does (`queue`), each outcome what it
/// would be alone. Then each action whose count rose is checked against its
/// threshold, once.
#[tracing::instrument(skip_all, fields(actor = "signer", tokens = tokens.len()))]
async fn confirm_together(
    db: &Db,
    tokens: &[String],
    base_url: &str,
    now: i64,
) -> Result<Vec<TokenOutcome>, sqlx::Error> {
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let mut outcomes = Vec::with_capacity(tokens.len());
        let mut counted = Vec::new();
        for token in tokens {
            let (outcome, action) = tx.confirm_token(&token_hash(token), now).await?;
            outcomes.push(outcome);
            counted.extend(action);
        }
        // In one order on every instance: their threshold locks never cross.
        counted.sort_unstable();
        counted.dedup();
        for action in counted {
            tx.check_threshold(action, base_url, now).await?;
        }
        tx.commit().await?;
        Ok(outcomes)
    })
}

/// One confirmation, on a connection inside the caller's transaction.
trait ConfirmToken {
    /// The outcome, and the action whose count it raised.
    fn confirm_token(
        &mut self,
        hash: &str,
        now: i64,
    ) -> impl std::future::Future<Output = Result<(TokenOutcome, Option<i64>), sqlx::Error>> + Send;
}

crate::impl_for_connections! {
    impl ConfirmToken {
        async fn confirm_token(&mut self, hash: &str, now: i64) -> Result<(TokenOutcome, Option<i64>), sqlx::Error> {
            let found: Option<(i64, String, i64)> =
                sqlx::query_as("SELECT id, state, action_id FROM signatures WHERE token_hash = $1")
                    .bind(hash)
                    .fetch_optional(&mut *self)
                    .await?;
            let Some((id, state, action_id)) = found else {
                return Ok((TokenOutcome::UnknownToken, None));
            };
            tracing::debug!(signature = id, "confirming");
            match state.as_str() {
                "confirmed" => return Ok((TokenOutcome::AlreadyDone, None)),
                "withdrawn" => return Ok((TokenOutcome::UnknownToken, None)),
                _ => {}
            }
            // Not delivered under us: a delivery waits for this to commit.
            self.share_action(action_id).await?;
            let action: ActionRow = sqlx::query_as(concat!(
                "SELECT id, person_id, title, original_language AS title_lang, opens_on, closes_on, is_open, ",
                crate::delivered!(),
                " AS delivered FROM support_actions a WHERE id = $1"
            ))
            .bind(action_id)
            .fetch_one(&mut *self)
            .await?;
            if availability(&action) != Availability::Open {
                return Ok((TokenOutcome::ActionClosed, None));
            }
            sqlx::query(
                "UPDATE signatures SET state = 'confirmed', confirmed_at = $2 WHERE token_hash = $1 AND state = 'pending'",
            )
            .bind(hash)
            .bind(now)
            .execute(&mut *self)
            .await?;
            Ok((TokenOutcome::Done, Some(action_id)))
        }
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    state: String,
    slug: String,
    title: String,
    taken_down: bool,
    opens_on: chrono::NaiveDate,
    closes_on: Option<chrono::NaiveDate>,
    is_open: bool,
    delivered: bool,
}

/// Where the signature behind a mailed token stands, or `None` for an
/// unknown (or replaced) token.
pub async fn by_token(db: &Db, token: &str) -> Result<Option<TokenView>, SignError> {
    let hash = token_hash(token);
    let row: Option<TokenRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
        "SELECT s.state, a.slug, a.title, a.opens_on, a.closes_on, a.is_open, ",
        crate::taken_down!("p"),
        " AS taken_down, ",
        crate::delivered!(),
        " AS delivered
               FROM signatures s JOIN support_actions a ON a.id = s.action_id
               JOIN persons p ON p.id = a.person_id
              WHERE s.token_hash = $1"
    ))
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
        action_title: (!row.taken_down).then_some(row.title),
        action_open: availability_today(row.is_open, row.delivered, row.opens_on, row.closes_on)
            == Availability::Open,
    }))
}

/// Withdraws the signature behind a mailed token: it stops counting. Idempotent.
#[tracing::instrument(skip_all, fields(actor = "signer", signature = tracing::field::Empty))]
pub async fn withdraw(db: &Db, token: &str) -> Result<TokenOutcome, SignError> {
    let hash = token_hash(token);
    let withdrawn: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "UPDATE signatures SET state = 'withdrawn', confirmed_at = NULL
          WHERE token_hash = $1 AND state <> 'withdrawn' RETURNING id"
    )
    .bind(&hash)
    .fetch_optional(pool)
    .await)?;
    if let Some(id) = withdrawn {
        tracing::Span::current().record("signature", id);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_is_in_the_signers_language_with_both_links() {
        let title = |text: &str, lang| LangText {
            text: text.to_owned(),
            lang,
        };
        let (subject, body) = confirmation_mail(
            Locale::Fr,
            &title("Solidarité", Locale::Fr),
            "https://lumieres.example/",
            "TOKEN",
        );
        assert!(subject.contains("Solidarité"));
        assert!(!body.contains("Pas encore traduit"), "{body}");
        assert!(
            body.contains("https://lumieres.example/fr/signatures/confirm?token=TOKEN"),
            "{body}"
        );
        assert!(
            body.contains("https://lumieres.example/fr/signatures/withdraw?token=TOKEN"),
            "{body}"
        );
        assert!(body.contains("signature"), "{body}");
        let (_, nl) = confirmation_mail(Locale::Nl, &title("X", Locale::Fr), "http://h", "T");
        assert!(nl.contains("handtekening"), "{nl}");
        assert!(
            nl.contains("X (Nog niet vertaald: origineel in het Frans.)"),
            "an original is said to be one: {nl}"
        );
    }
}
