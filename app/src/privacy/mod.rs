//! A signer's rights over what the site holds about their address (issue
//! 30; GDPR Art. 15 and 17), without an account. They type their address
//! on `/my-data`; a link goes to it (the same answer, and the same work,
//! whether or not the address signed anything; one link per address every
//! ten minutes); the link's page shows every signature held for the
//! address — action, person, name, place, state, dates, whether the name
//! is shown and news sent — and every case it follows (`signing::follows`),
//! and offers it as JSON, and erasing it all at once: confirmed signatures
//! keep counting, anonymised as retention does; the rest goes, with the
//! address's follows, stop-the-news links and waiting mail.
//!
//! Opening the link changes nothing (mail scanners open links); the erase
//! button does, and spends the link; a newer link replaces an older one,
//! and each works for a day. Each request is in the staff's log with its
//! date and the day the answer is due (a month, Art. 12(3)); an erasure is
//! audited with its counts, never the address. The address waits sealed,
//! and found by its keyed hash, until the link ends.
//!
//! The staff's log is the administrators' (`backoffice::admin`). May import
//! `server`, `records`, `signing`, `domain`, `error`, `i18n`, `text`.
use crate::error::AppError;
use crate::signing::SignatureState;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The page to ask on, and the link's page.
pub const ASK_PAGE: &str = "/my-data";
pub const VIEW_PAGE: &str = "/my-data/view";
/// The link's data as a file.
pub const JSON_DOWNLOAD: &str = "/my-data.json";
/// How long a mailed link works.
pub const LINK_SECONDS: i64 = 24 * 3600;
/// One link per address at most this often; asking again meanwhile gets
/// the same answer, and no mail.
pub const RESEND_AFTER_SECONDS: i64 = 10 * 60;

/// The fields of the asking form, as posted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AskValues {
    pub lang: String,
    pub email: String,
    /// The honeypot: hidden from people, filled in by naive bots.
    pub website: String,
}

/// What a refused plain post leaves for the page: what was typed, and the
/// interface string of the problem.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AskFlash {
    pub values: AskValues,
    pub problem: String,
}

/// Mails a link to the address typed; back to the page, which says a link
/// is on its way (whether or not the address is known).
#[server(prefix = "/api", endpoint = "my-data/ask")]
pub async fn ask_for_my_data(#[server(flatten)] form: AskValues) -> Result<(), AppError> {
    on_server::ask_from_form(form).await
}

/// The path the asking form posts to; the server rate-limits it per client.
pub const ASK_PATH: &str = <AskForMyData as leptos::server_fn::ServerFn>::PATH;

/// The erase form's fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EraseValues {
    pub lang: String,
    pub token: String,
    /// The box that says the signer understands it cannot be undone.
    pub understood: String,
}

/// Erases everything held for the link's address; to `/my-data?erased=1`.
#[server(prefix = "/api", endpoint = "my-data/erase")]
pub async fn erase_my_data(#[server(flatten)] form: EraseValues) -> Result<(), AppError> {
    on_server::erase_from_form(form).await
}

/// An action a signature is for, while its person is public.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldAction {
    pub slug: String,
    pub title: String,
    pub person: String,
}

/// One signature, as held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldSignature {
    /// `None` for a case no longer shown: the page names nobody then.
    pub action: Option<HeldAction>,
    pub name: String,
    /// Municipality or postcode, as typed.
    pub place: Option<String>,
    pub country_code: Option<String>,
    /// The network address the signature came from (kept 30 days).
    pub client_address: Option<String>,
    pub state: SignatureState,
    /// UTC, RFC 3339.
    pub signed_at: String,
    pub confirmed_at: Option<String>,
    /// The name may be shown among the action's signers.
    pub name_shown: bool,
    /// News of the case goes to the address.
    pub kept_informed: bool,
    /// The language mail goes in.
    pub language: String,
}

/// A case the address follows (or asked to).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldFollow {
    /// The person's name and slug; `None` for a case no longer shown.
    pub person: Option<(String, String)>,
    /// Confirmed: news goes to the address; else it waits for confirmation.
    pub confirmed: bool,
    pub cadence: crate::signing::follows::Cadence,
    /// UTC, RFC 3339.
    pub asked_at: String,
    pub confirmed_at: Option<String>,
    /// The language mail goes in.
    pub language: String,
}

/// What the site holds for an address: the link's page and its JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldData {
    pub address: String,
    /// UTC, RFC 3339: when the link stops working.
    pub link_works_until: String,
    pub signatures: Vec<HeldSignature>,
    pub follows: Vec<HeldFollow>,
}

/// The data behind a link, `None` once the link is spent, replaced or
/// past its day. Reading changes nothing.
#[server(prefix = "/api", endpoint = "my-data/held")]
pub async fn read_held_data(token: String, lang: String) -> Result<Option<HeldData>, AppError> {
    let db = crate::server::context::db()?;
    let locale = crate::i18n::Locale::from_code(&lang).unwrap_or_default();
    Ok(on_server::held(&db, &token, locale, crate::server::clock::now()).await?)
}

/// What became of a request, for the staff's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestOutcome {
    /// The link was mailed and still works.
    LinkSent,
    /// The signer erased everything (Unix seconds).
    Erased(i64),
    /// The link no longer works, without an erasure: its day passed, or a
    /// newer one replaced it.
    LinkEnded,
}

/// One request in the staff's log: never the address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub id: i64,
    /// Unix seconds.
    pub requested_at: i64,
    /// The day the answer is due, a month after the request (YYYY-MM-DD).
    pub due_on: String,
    pub language: String,
    pub outcome: RequestOutcome,
}

/// A month after `at` (Unix seconds), the legal deadline of an answer.
#[cfg(feature = "ssr")]
pub fn due_on(at: i64) -> chrono::NaiveDate {
    let day = chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .date_naive();
    day.checked_add_months(chrono::Months::new(1))
        .unwrap_or(day)
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::domain::Email;
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::data_key::{self, purpose};
    use crate::server::db::{BeginWrite, Db};
    use crate::server::outbox::{Enqueue, NewMail};
    use crate::server::tokens::{new_token, token_hash};

    pub const FLASH_COOKIE: &str = "lumieres_my_data";

    pub async fn ask_from_form(form: AskValues) -> Result<(), AppError> {
        use crate::server::context::{is_plain_form_post, redirect, request_parts, state};
        let state = state()?;
        let parts = request_parts()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let page = locale.path(ASK_PAGE, false);
        if !form.website.trim().is_empty() {
            let ip = crate::server::guard::client_ip(&parts, &state.client_address);
            tracing::info!(?ip, "honeypot field filled: data request dropped");
            return redirect(&format!("{page}?sent=1"));
        }
        let Ok(email) = Email::parse(form.email.trim()) else {
            if is_plain_form_post(&parts.headers) {
                let flash = AskFlash {
                    values: AskValues {
                        website: String::new(),
                        ..form
                    },
                    problem: "my_data.error_email".to_owned(),
                };
                crate::server::cookies::set_flash(FLASH_COOKIE, &flash);
                redirect(&format!("{page}#ask"))?;
            }
            return Err(AppError::Invalid("email=my_data.error_email".to_owned()));
        };
        ask(
            &state.db,
            &email,
            locale,
            &state.public_url,
            crate::server::clock::now(),
        )
        .await?;
        redirect(&format!("{page}?sent=1"))
    }

    /// The flash a refused plain post left, once.
    pub fn take_flash() -> Option<AskFlash> {
        crate::server::cookies::take_flash(FLASH_COOKIE, |_: &AskFlash| true)
    }

    /// The mail that carries a link, in the language of the page asked on.
    pub fn link_mail(locale: Locale, base_url: &str, token: &str) -> (String, String) {
        let url = format!(
            "{}{}?token={token}",
            base_url.trim_end_matches('/'),
            locale.path(VIEW_PAGE, false)
        );
        let subject = locale.t("mail.my_data_subject");
        let body = locale
            .t("mail.my_data_body")
            .replace("%{url}", &url)
            .replace("%{hours}", &(LINK_SECONDS / 3600).to_string());
        (subject, body)
    }

    /// Writes a request and mails its link, unless the address had one in
    /// the last ten minutes; whether it mailed. Known address or not, the
    /// same writes: nothing tells them apart.
    #[tracing::instrument(skip_all)]
    pub async fn ask(
        db: &Db,
        email: &Email,
        locale: Locale,
        base_url: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let canonical = email.canonical();
        let hash = crate::signing::at_rest::email_hash(&canonical);
        let sealed = data_key::installed().seal(purpose::DATA_REQUEST_EMAIL, &canonical);
        let token = new_token();
        let (subject, body) = link_mail(locale, base_url, &token);
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let recent: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM data_requests WHERE email_hash = $1 AND requested_at > $2",
            )
            .bind(&hash)
            .bind(now - RESEND_AFTER_SECONDS)
            .fetch_one(&mut *tx)
            .await?;
            if recent > 0 {
                tracing::info!("a data request again within minutes: no new link");
                return Ok(false);
            }
            // A newer link replaces the older ones.
            sqlx::query("UPDATE data_requests SET token_hash = NULL WHERE email_hash = $1")
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO data_requests (email_hash, email_sealed, token_hash, language, requested_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&hash)
            .bind(&sealed)
            .bind(token_hash(&token))
            .bind(locale.code())
            .bind(now)
            .bind(now + LINK_SECONDS)
            .execute(&mut *tx)
            .await?;
            // To the address the data is found by: `a+x@…` may not be
            // the owner of `a@…` on every domain.
            let mail = NewMail {
                recipient: &canonical,
                subject: &subject,
                body_text: &body,
                list_unsubscribe: None,
                about: None,
            };
            tx.enqueue(&mail, now).await?;
            tx.commit().await?;
            tracing::info!("data request: link mailed");
            Ok(true)
        })
    }

    #[derive(sqlx::FromRow)]
    struct LinkRow {
        id: i64,
        email_hash: String,
        email_sealed: String,
        expires_at: i64,
    }

    macro_rules! link_row {
        ($conn:expr, $token:expr, $now:expr) => {
            sqlx::query_as::<_, LinkRow>(
                "SELECT id, email_hash, email_sealed, expires_at FROM data_requests
                  WHERE token_hash = $1 AND expires_at > $2 AND erased_at IS NULL
                    AND email_hash IS NOT NULL AND email_sealed IS NOT NULL",
            )
            .bind(token_hash($token))
            .bind($now)
            .fetch_optional($conn)
            .await
        };
    }

    #[derive(sqlx::FromRow)]
    struct SignatureRow {
        slug: String,
        title: String,
        #[allow(dead_code)]
        title_lang: String,
        person: String,
        shown: bool,
        name: String,
        place: Option<String>,
        country_code: Option<String>,
        client_ip: Option<String>,
        state: String,
        created_at: i64,
        confirmed_at: Option<i64>,
        show_name: bool,
        keep_informed: bool,
        locale: String,
    }

    #[derive(sqlx::FromRow)]
    struct FollowRow {
        full_name: String,
        slug: String,
        shown: bool,
        state: String,
        cadence: String,
        created_at: i64,
        confirmed_at: Option<i64>,
        locale: String,
    }

    fn rfc3339(at: i64) -> String {
        chrono::DateTime::from_timestamp(at, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// What the link's address has, read as the page and the JSON show it.
    pub async fn held(
        db: &Db,
        token: &str,
        locale: Locale,
        now: i64,
    ) -> Result<Option<HeldData>, sqlx::Error> {
        on_pool!(db, |pool| {
            let Some(link) = link_row!(pool, token, now)? else {
                return Ok(None);
            };
            let rows: Vec<SignatureRow> = sqlx::query_as(concat!(
                "SELECT a.slug, ",
                crate::translated!("a"."title"),
                ", p.full_name AS person, (p.is_public AND NOT ",
                crate::taken_down!("p"),
                ") AS shown, s.name, s.place, s.country_code, s.client_ip, s.state, s.created_at, s.confirmed_at,
                        s.show_name, s.keep_informed, s.locale
                   FROM signatures s JOIN support_actions a ON a.id = s.action_id
                   JOIN persons p ON p.id = a.person_id",
                crate::translation_join!("support_action_translations"."support_action_id", "a"."title", "$2"),
                " WHERE s.email_hash = $1 AND NOT s.anonymised ORDER BY s.created_at, s.id"
            ))
            .bind(&link.email_hash)
            .bind(locale.code())
            .fetch_all(pool)
            .await?;
            let mut signatures = Vec::with_capacity(rows.len());
            for row in rows {
                signatures.push(HeldSignature {
                    action: row.shown.then_some(HeldAction {
                        slug: row.slug,
                        title: row.title,
                        person: row.person,
                    }),
                    name: data_key::opened(purpose::SIGNATURE_NAME, row.name)?,
                    place: data_key::opened_optional(purpose::SIGNATURE_PLACE, row.place)?,
                    country_code: row.country_code,
                    client_address: data_key::opened_optional(
                        purpose::SIGNATURE_CLIENT_IP,
                        row.client_ip,
                    )?,
                    state: match row.state.as_str() {
                        "confirmed" => SignatureState::Confirmed,
                        "withdrawn" => SignatureState::Withdrawn,
                        _ => SignatureState::Pending,
                    },
                    signed_at: rfc3339(row.created_at),
                    confirmed_at: row.confirmed_at.map(rfc3339),
                    name_shown: row.show_name,
                    kept_informed: row.keep_informed,
                    language: row.locale,
                });
            }
            let follows: Vec<FollowRow> = sqlx::query_as(concat!(
                "SELECT p.full_name, p.slug, (p.is_public AND NOT ",
                crate::taken_down!("p"),
                ") AS shown, f.state, f.cadence, f.created_at, f.confirmed_at, f.locale
                   FROM follows f JOIN persons p ON p.id = f.person_id
                  WHERE f.email_hash = $1 ORDER BY f.created_at, f.id"
            ))
            .bind(&link.email_hash)
            .fetch_all(pool)
            .await?;
            let follows = follows
                .into_iter()
                .map(|row| HeldFollow {
                    person: row.shown.then_some((row.full_name, row.slug)),
                    confirmed: row.state == "confirmed",
                    cadence: crate::signing::follows::Cadence::from_code(&row.cadence)
                        .unwrap_or_default(),
                    asked_at: rfc3339(row.created_at),
                    confirmed_at: row.confirmed_at.map(rfc3339),
                    language: row.locale,
                })
                .collect();
            Ok(Some(HeldData {
                address: data_key::opened(purpose::DATA_REQUEST_EMAIL, link.email_sealed)?,
                link_works_until: rfc3339(link.expires_at),
                signatures,
                follows,
            }))
        })
    }

    /// What an erasure did: the counts the audit log keeps.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    pub struct Erased {
        pub signatures_anonymised: u64,
        pub signatures_deleted: u64,
        pub news_links_deleted: u64,
        pub follows_deleted: u64,
        pub mails_deleted: u64,
    }

    pub async fn erase_from_form(form: EraseValues) -> Result<(), AppError> {
        use crate::server::context::{encode_query, redirect, state};
        let state = state()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let view = format!(
            "{}?token={}",
            locale.path(VIEW_PAGE, false),
            encode_query(&form.token)
        );
        if form.understood.is_empty() {
            return redirect(&format!("{view}&confirm=missing#erase"));
        }
        match erase(&state.db, &form.token, crate::server::clock::now()).await? {
            Some(_) => {
                state.render_cache.signatures_changed();
                redirect(&format!("{}?erased=1", locale.path(ASK_PAGE, false)))
            }
            // Spent, replaced or past its day: the page says so.
            None => redirect(&view),
        }
    }

    /// Erases everything held for the link's address, in one transaction,
    /// and spends every link of the address; `None` when the link does not
    /// work (any more).
    #[tracing::instrument(skip_all)]
    pub async fn erase(db: &Db, token: &str, now: i64) -> Result<Option<Erased>, sqlx::Error> {
        let Some(link) = on_pool!(db, |pool| link_row!(pool, token, now))? else {
            return Ok(None);
        };
        let address = data_key::opened(purpose::DATA_REQUEST_EMAIL, link.email_sealed.clone())?;
        // Mail waiting for the address (a confirmation, news): each address
        // is sealed with a nonce of its own, so each is opened — before the
        // write transaction, which signing waits for.
        let waiting: Vec<(i64, String)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT id, recipient FROM outbox WHERE sent_at IS NULL"
        )
        .fetch_all(pool)
        .await)?;
        let mut to_address = Vec::new();
        for (id, recipient) in waiting {
            let recipient = data_key::opened(purpose::OUTBOX_RECIPIENT, recipient)?;
            if Email::parse(&recipient).is_ok_and(|r| r.canonical() == address) {
                to_address.push(id);
            }
        }
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            // The link is claimed first: a second erase with it (a double
            // submit) finds nothing and does nothing.
            let claimed = sqlx::query(
                "UPDATE data_requests SET token_hash = NULL
                  WHERE id = $1 AND token_hash IS NOT NULL AND erased_at IS NULL",
            )
            .bind(link.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                return Ok(None);
            }
            let signatures_anonymised = sqlx::query(crate::signing::retention::anonymise!(
                "state = 'confirmed' AND email_hash = $1"
            ))
            .bind(&link.email_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let signatures_deleted = sqlx::query(
                "DELETE FROM signatures WHERE email_hash = $1 AND state <> 'confirmed' AND NOT anonymised",
            )
            .bind(&link.email_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let news_links_deleted =
                sqlx::query("DELETE FROM unsubscribe_links WHERE email_hash = $1")
                    .bind(&link.email_hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            let follows_deleted = sqlx::query("DELETE FROM follows WHERE email_hash = $1")
                .bind(&link.email_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let mut mails_deleted = 0;
            for id in &to_address {
                mails_deleted +=
                    sqlx::query("DELETE FROM outbox WHERE id = $1 AND sent_at IS NULL")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
            }
            // Mail that went keeps the address's keyed hash and its subject.
            mails_deleted +=
                sqlx::query("DELETE FROM outbox WHERE sent_at IS NOT NULL AND recipient = $1")
                    .bind(&link.email_hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            sqlx::query(
                "UPDATE data_requests SET email_hash = NULL, email_sealed = NULL, token_hash = NULL,
                        erased_at = CASE WHEN id = $2 THEN $3 ELSE erased_at END
                  WHERE email_hash = $1",
            )
            .bind(&link.email_hash)
            .bind(link.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let erased = Erased {
                signatures_anonymised,
                signatures_deleted,
                news_links_deleted,
                follows_deleted,
                mails_deleted,
            };
            let entry =
                AuditEntry::new(Actor::Signer, "data_request.erase", "data_request", link.id)
                    .after(&erased);
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            tracing::info!(?erased, "data request: erased");
            Ok(Some(erased))
        })
    }

    #[derive(sqlx::FromRow)]
    struct LogRow {
        id: i64,
        requested_at: i64,
        expires_at: i64,
        erased_at: Option<i64>,
        language: String,
        /// The link still works (not replaced, nor spent by an erasure).
        live: bool,
    }

    /// The staff's log: every request kept (`retention`), newest first.
    pub async fn log(db: &Db, now: i64) -> Result<Vec<LoggedRequest>, sqlx::Error> {
        let rows: Vec<LogRow> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT id, requested_at, expires_at, erased_at, language, token_hash IS NOT NULL AS live
               FROM data_requests WHERE requested_at > $1 ORDER BY requested_at DESC, id DESC"
        )
        .bind(now - crate::signing::retention::DATA_REQUESTS_LOGGED_DAYS * 86_400)
        .fetch_all(pool)
        .await
        })?;
        Ok(rows
            .into_iter()
            .map(|row| LoggedRequest {
                id: row.id,
                requested_at: row.requested_at,
                due_on: due_on(row.requested_at).to_string(),
                language: row.language,
                outcome: match row.erased_at {
                    Some(at) => RequestOutcome::Erased(at),
                    None if row.live && row.expires_at > now => RequestOutcome::LinkSent,
                    None => RequestOutcome::LinkEnded,
                },
            })
            .collect())
    }

    #[derive(Debug, Deserialize)]
    pub struct Download {
        token: String,
        lang: Option<String>,
    }

    /// `GET /my-data.json?token=…`: the link's data as a file. Never kept
    /// by a cache, never sent on in a Referer.
    pub async fn download(
        axum::extract::State(state): axum::extract::State<crate::server::AppState>,
        axum::extract::Query(query): axum::extract::Query<Download>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        use http::{header, StatusCode};
        let locale = query
            .lang
            .as_deref()
            .and_then(Locale::from_code)
            .unwrap_or_default();
        let private = [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ];
        match held(&state.db, &query.token, locale, crate::server::clock::now()).await {
            Ok(Some(data)) => match serde_json::to_vec_pretty(&data) {
                Ok(json) => (
                    StatusCode::OK,
                    private,
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"my-data.json\"",
                        ),
                    ],
                    json,
                )
                    .into_response(),
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            },
            Ok(None) => (
                StatusCode::NOT_FOUND,
                private,
                "this link does not work any more: ask for a new one",
            )
                .into_response(),
            Err(error) => AppError::from(error).status().into_response(),
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn an_answer_is_due_a_month_after_the_request() {
        let at = |day: &str| {
            chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .unwrap()
                .and_hms_opt(15, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp()
        };
        let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert_eq!(super::due_on(at("2026-12-07")), day("2027-01-07"));
        // No 31 February: the last day of the month.
        assert_eq!(super::due_on(at("2027-01-31")), day("2027-02-28"));
    }
}
