//! Following a case without signing (issue 31): on a person's page, an
//! address and "send me news of this case", at once or in a weekly digest.
//! A mail asks the address to confirm (double opt-in: nothing goes to it
//! before; opening the link changes nothing, its button confirms); the
//! answer on the page is the same whether or not the address followed the
//! case already. News then comes as it does to signers who asked to be kept
//! informed (`records::timeline::MailKeptInformed`: at once), or gathered
//! once a week when there is any (`mail_digests`, run hourly beside
//! retention), each mail with the one-click link that stops it
//! (`unsubscribe`, which deletes the follow). The address is sealed and
//! found by its keyed hash; a request for one's data shows and erases
//! follows (`privacy`); retention deletes those never confirmed and those
//! older than a signature may be kept. Staff see how many follow a case,
//! never who.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The link's page, under the language prefix.
pub const CONFIRM_PAGE: &str = "/follows/confirm";
/// Where the form is on the person page, and where its answer shows.
pub const FORM_ANCHOR: &str = "follow";

/// How often news comes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// A mail for each update, as it is published.
    #[default]
    AtOnce,
    /// One mail a week, when there was news that week.
    Weekly,
}

impl Cadence {
    pub const ALL: [Cadence; 2] = [Cadence::AtOnce, Cadence::Weekly];

    /// As stored, and as the form posts it.
    pub fn code(self) -> &'static str {
        match self {
            Cadence::AtOnce => "at_once",
            Cadence::Weekly => "weekly",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Its interface string.
    pub fn key(self) -> &'static str {
        match self {
            Cadence::AtOnce => "follow.at_once",
            Cadence::Weekly => "follow.weekly",
        }
    }
}

/// The follow form's fields, as posted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FollowValues {
    pub lang: String,
    /// The person's slug.
    pub person: String,
    pub email: String,
    pub cadence: String,
    /// The honeypot: hidden from people, filled in by naive bots.
    pub website: String,
}

/// What a refused plain post leaves for the person page: what was typed,
/// and the interface string of the problem.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowFlash {
    pub values: FollowValues,
    pub problem: String,
}

/// Asks for news of a case: a mail goes to the address to confirm it; back
/// to the person page, which says a mail is on its way.
#[server(prefix = "/api", endpoint = "follow")]
pub async fn follow_case(#[server(flatten)] form: FollowValues) -> Result<(), AppError> {
    on_server::follow_from_form(form).await
}

/// The path the form posts to; the server rate-limits it per client.
pub const FOLLOW_PATH: &str = <FollowCase as leptos::server_fn::ServerFn>::PATH;

/// Where a confirmation link stands, for its page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowView {
    /// `None` when the case is no longer shown: the page names nobody.
    pub person_name: Option<String>,
    pub person_slug: Option<String>,
    pub confirmed: bool,
    pub cadence: Cadence,
}

/// The follow behind a confirmation link, if the link is known. Reading
/// changes nothing.
#[server]
pub async fn follow_by_token(token: String) -> Result<Option<FollowView>, AppError> {
    let db = crate::server::context::db()?;
    Ok(on_server::by_token(&db, &token).await?)
}

/// The link page's button; back to the page, which shows the new state.
#[server(prefix = "/api", endpoint = "confirm-follow")]
pub async fn confirm_follow(token: String, lang: String) -> Result<(), AppError> {
    let db = crate::server::context::db()?;
    on_server::confirm(&db, &token, crate::server::clock::now()).await?;
    let locale = crate::i18n::Locale::from_code(&lang).unwrap_or_default();
    crate::server::context::redirect(&format!(
        "{}?token={}",
        locale.path(CONFIRM_PAGE, false),
        crate::text::encode_query(&token)
    ))
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::domain::{Email, Slug};
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::records::timeline::UnsubscribeLinks;
    use crate::server::data_key::{self, purpose};
    use crate::server::db::{BeginWrite, Db};
    use crate::server::outbox::{Enqueue, NewMail};
    use crate::server::tokens::{new_token, token_hash};

    pub const FLASH_COOKIE: &str = "lumieres_follow";
    /// A pending follow asked again gets a new mail at most this often.
    pub use crate::signing::store::RESEND_AFTER_SECONDS;
    /// A weekly digest follows the last one by at least this much.
    pub const DIGEST_EVERY_SECONDS: i64 = 7 * 86_400;

    /// The person page the form is on, in the form's language.
    fn person_page(locale: Locale, slug: &str) -> String {
        locale.path(&format!("/persons/{slug}"), false)
    }

    pub async fn follow_from_form(form: FollowValues) -> Result<(), AppError> {
        use crate::server::context::{is_plain_form_post, redirect, request_parts, state};
        let state = state()?;
        let parts = request_parts()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let Ok(person) = Slug::parse(form.person.trim()) else {
            return Err(AppError::not_found("person"));
        };
        let page = person_page(locale, person.as_str());
        let sent = format!("{page}?follow=sent#{FORM_ANCHOR}");
        if !form.website.trim().is_empty() {
            let ip = crate::server::guard::client_ip(&parts, &state.client_address);
            tracing::info!(?ip, "honeypot field filled: follow dropped");
            return redirect(&sent);
        }
        let email = Email::parse(form.email.trim());
        let cadence = Cadence::from_code(form.cadence.trim());
        let problem = match (&email, cadence) {
            (Err(_), _) => Some(("email", "follow.error_email")),
            (_, None) => Some(("cadence", "follow.error_cadence")),
            _ => None,
        };
        if let Some((field, problem)) = problem {
            if is_plain_form_post(&parts.headers) {
                let flash = FollowFlash {
                    values: FollowValues {
                        website: String::new(),
                        ..form
                    },
                    problem: problem.to_owned(),
                };
                crate::server::cookies::set_flash(FLASH_COOKIE, &flash);
                redirect(&format!("{page}#{FORM_ANCHOR}"))?;
            }
            return Err(AppError::Invalid(format!("{field}={problem}")));
        }
        let (Ok(email), Some(cadence)) = (email, cadence) else {
            return Err(AppError::Internal);
        };
        // A new follow writes and mails, one already there does not: both
        // answer after as long, so the time tells nothing either.
        let answer_at = crate::server::even::NoSoonerThan::from_now(
            crate::signing::on_server::SIGN_ANSWER_FLOOR,
        );
        let asked = follow(
            &state.db,
            &person,
            &email,
            cadence,
            locale,
            &state.public_url,
            crate::server::clock::now(),
        )
        .await;
        answer_at.wait().await;
        let asked = asked?;
        if asked.is_none() {
            return Err(AppError::not_found("person"));
        }
        redirect(&sent)
    }

    /// The flash a refused plain post left for this person's page, once.
    pub fn take_flash(person: &str) -> Option<FollowFlash> {
        crate::server::cookies::take_flash(FLASH_COOKIE, |flash: &FollowFlash| {
            flash.values.person.trim() == person
        })
    }

    /// The mail that asks the address to confirm, in the page's language.
    pub fn confirmation_mail(
        locale: Locale,
        person_name: &str,
        cadence: Cadence,
        base_url: &str,
        token: &str,
    ) -> (String, String) {
        let url = format!(
            "{}{}?token={token}",
            base_url.trim_end_matches('/'),
            locale.path(CONFIRM_PAGE, false)
        );
        let subject = locale
            .t("mail.follow_subject")
            .replace("%{person}", person_name);
        let body = locale
            .t("mail.follow_body")
            .replace("%{person}", person_name)
            .replace("%{cadence}", &locale.t(cadence.key()))
            .replace("%{url}", &url);
        (subject, body)
    }

    /// What asking did, for logs and tests: the page says the same each time.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum FollowOutcome {
        /// A new or renewed pending follow; its mail is in the outbox.
        MailQueued,
        /// Still pending, and mailed too recently to mail again.
        Throttled,
        /// Followed already: nothing changes.
        AlreadyFollowing,
    }

    #[derive(sqlx::FromRow)]
    struct Existing {
        id: i64,
        state: String,
        last_mailed_at: i64,
    }

    /// Writes a pending follow of the public person `person` and mails its
    /// link; `None` when no public person has that slug.
    #[tracing::instrument(skip_all, fields(person = %person))]
    pub async fn follow(
        db: &Db,
        person: &Slug,
        email: &Email,
        cadence: Cadence,
        locale: Locale,
        base_url: &str,
        now: i64,
    ) -> Result<Option<FollowOutcome>, sqlx::Error> {
        let canonical = email.canonical();
        let hash = crate::signing::at_rest::email_hash(&canonical);
        let sealed = data_key::installed().seal(purpose::FOLLOW_EMAIL, &canonical);
        let token = new_token();
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let found: Option<(i64, String)> = sqlx::query_as(concat!(
                "SELECT p.id, p.full_name FROM persons p WHERE p.slug = $1 AND p.is_public AND NOT ",
                crate::taken_down!("p")
            ))
            .bind(person.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((person_id, person_name)) = found else {
                return Ok(None);
            };
            let existing: Option<Existing> = sqlx::query_as(
                "SELECT id, state, last_mailed_at FROM follows WHERE person_id = $1 AND email_hash = $2",
            )
            .bind(person_id)
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match existing {
                Some(row) if row.state == "confirmed" => FollowOutcome::AlreadyFollowing,
                Some(row) if row.last_mailed_at > now - RESEND_AFTER_SECONDS => {
                    FollowOutcome::Throttled
                }
                Some(row) => {
                    // A new link replaces the older one; the last choices
                    // stand, and the week before it is forgotten starts
                    // again. Conditional: of two asking at once, one mails.
                    let renewed = sqlx::query(
                        "UPDATE follows SET token_hash = $2, locale = $3, cadence = $4, email_sealed = $5,
                                last_mailed_at = $6, created_at = $6
                          WHERE id = $1 AND state = 'pending' AND last_mailed_at = $7",
                    )
                    .bind(row.id)
                    .bind(token_hash(&token))
                    .bind(locale.code())
                    .bind(cadence.code())
                    .bind(&sealed)
                    .bind(now)
                    .bind(row.last_mailed_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if renewed == 1 {
                        FollowOutcome::MailQueued
                    } else {
                        FollowOutcome::Throttled
                    }
                }
                None => {
                    // Of two asking at once (PostgreSQL lets both read no
                    // row), the second finds the first's and mails nothing.
                    let inserted = sqlx::query(
                        "INSERT INTO follows (person_id, email_hash, email_sealed, locale, cadence, state,
                                              token_hash, created_at, last_mailed_at)
                         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $7)
                         ON CONFLICT (person_id, email_hash) DO NOTHING",
                    )
                    .bind(person_id)
                    .bind(&hash)
                    .bind(&sealed)
                    .bind(locale.code())
                    .bind(cadence.code())
                    .bind(token_hash(&token))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 1 {
                        FollowOutcome::MailQueued
                    } else {
                        FollowOutcome::Throttled
                    }
                }
            };
            if outcome == FollowOutcome::MailQueued {
                let (subject, body) =
                    confirmation_mail(locale, &person_name, cadence, base_url, &token);
                let mail = NewMail {
                    recipient: &canonical,
                    subject: &subject,
                    body_text: &body,
                    list_unsubscribe: None,
                    about: Some(person_id),
                };
                tx.enqueue(&mail, now).await?;
            }
            tx.commit().await?;
            tracing::info!(?outcome, "follow asked");
            Ok(Some(outcome))
        })
    }

    #[derive(sqlx::FromRow)]
    struct LinkRow {
        id: i64,
        state: String,
        cadence: String,
        full_name: String,
        slug: String,
        shown: bool,
    }

    macro_rules! link_row {
        ($conn:expr, $token:expr) => {
            sqlx::query_as::<_, LinkRow>(concat!(
                "SELECT f.id, f.state, f.cadence, p.full_name, p.slug, (p.is_public AND NOT ",
                crate::taken_down!("p"),
                ") AS shown
                   FROM follows f JOIN persons p ON p.id = f.person_id
                  WHERE f.token_hash = $1"
            ))
            .bind(token_hash($token))
            .fetch_optional($conn)
            .await
        };
    }

    pub async fn by_token(db: &Db, token: &str) -> Result<Option<FollowView>, sqlx::Error> {
        let Some(row) = on_pool!(db, |pool| link_row!(pool, token))? else {
            return Ok(None);
        };
        Ok(Some(FollowView {
            person_name: row.shown.then(|| row.full_name.clone()),
            person_slug: row.shown.then_some(row.slug),
            confirmed: row.state == "confirmed",
            cadence: Cadence::from_code(&row.cadence).unwrap_or_default(),
        }))
    }

    /// Confirms the follow behind the link: news goes to its address from
    /// now on (a weekly digest tells what is announced from now). Confirming
    /// twice changes nothing; a case no longer shown is not followed.
    #[tracing::instrument(skip_all)]
    pub async fn confirm(
        db: &Db,
        token: &str,
        now: i64,
    ) -> Result<crate::signing::TokenOutcome, sqlx::Error> {
        use crate::signing::TokenOutcome;
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let Some(row) = link_row!(&mut *tx, token)? else {
                return Ok(TokenOutcome::UnknownToken);
            };
            if row.state == "confirmed" {
                return Ok(TokenOutcome::AlreadyDone);
            }
            if !row.shown {
                return Ok(TokenOutcome::UnknownToken);
            }
            sqlx::query(
                "UPDATE follows SET state = 'confirmed', confirmed_at = $2, digest_from = $2,
                        last_digest_at = $2
                  WHERE id = $1 AND state = 'pending'",
            )
            .bind(row.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::info!("follow confirmed");
            Ok(TokenOutcome::Done)
        })
    }

    #[derive(sqlx::FromRow)]
    struct DueRow {
        id: i64,
        person_id: i64,
        email_hash: String,
        email_sealed: String,
        locale: String,
        digest_from: i64,
        last_digest_at: i64,
        full_name: String,
        slug: String,
    }

    #[derive(sqlx::FromRow)]
    struct AnnouncedRow {
        status: Option<String>,
        occurred_year: i32,
        occurred_month: Option<i32>,
        occurred_day: Option<i32>,
        announced_at: i64,
        title: String,
        title_lang: String,
    }

    /// An update as a digest lists it, in the follower's language.
    pub struct DigestItem {
        pub occurred_on: crate::domain::PartialDate,
        pub status: Option<crate::domain::Status>,
        pub title: crate::i18n::LangText,
    }

    /// The weekly mail: the updates of the week, oldest first.
    pub fn digest_mail(
        locale: Locale,
        person_name: &str,
        person_slug: &str,
        items: &[DigestItem],
        base_url: &str,
        unsubscribe_url: &str,
    ) -> (String, String) {
        let base = base_url.trim_end_matches('/');
        let link = format!("{base}{}", person_page(locale, person_slug));
        let mut updates = String::new();
        for item in items {
            updates.push_str(&format!(
                "- {}: {}\n",
                item.occurred_on.format(locale),
                item.title.text
            ));
            if item.title.lang_attr(locale).is_some() {
                updates.push_str(&format!(
                    "  ({})\n",
                    locale.untranslated_note(item.title.lang)
                ));
            }
            if let Some(status) = item.status {
                updates.push_str(&format!(
                    "  {}: {}\n",
                    locale.t("mail.update_status"),
                    locale.t(&status.label_key())
                ));
            }
        }
        let subject = locale
            .t("mail.digest_subject")
            .replace("%{person}", person_name);
        let body = locale
            .t("mail.digest_body")
            .replace("%{person}", person_name)
            .replace("%{updates}", &updates)
            .replace("%{url}", &link)
            .replace("%{unsubscribe_url}", unsubscribe_url);
        (subject, body)
    }

    /// Mails each weekly follower whose week is over the updates of its case
    /// mailed to others since its last digest (`announced_at`), if there
    /// were any (none: no mail, and the next pass looks again). Only what is
    /// public now is told: an update since made a draft or internal, or a
    /// case no longer shown, is not. A follow that cannot be mailed (a value
    /// that does not open) is logged and the others go on. Gives how many
    /// digests were queued.
    #[tracing::instrument(skip_all)]
    pub async fn mail_digests(db: &Db, base_url: &str, now: i64) -> Result<usize, sqlx::Error> {
        let due: Vec<DueRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT f.id, f.person_id, f.email_hash, f.email_sealed, f.locale, f.digest_from,
                    f.last_digest_at, p.full_name, p.slug
               FROM follows f JOIN persons p ON p.id = f.person_id
              WHERE f.cadence = 'weekly' AND f.state = 'confirmed' AND f.last_digest_at <= $1
                AND p.is_public AND NOT ",
            crate::taken_down!("p"),
            " ORDER BY f.id"
        ))
        .bind(now - DIGEST_EVERY_SECONDS)
        .fetch_all(pool)
        .await)?;
        let mut queued = 0;
        for follow in due {
            let id = follow.id;
            match digest(db, base_url, now, follow).await {
                Ok(sent) => queued += usize::from(sent),
                Err(error) => tracing::error!(follow = id, %error, "a weekly digest failed"),
            }
        }
        if queued > 0 {
            tracing::info!(queued, "weekly digests queued");
        }
        Ok(queued)
    }

    /// One follower's digest, if its case had news; whether one was queued.
    async fn digest(
        db: &Db,
        base_url: &str,
        now: i64,
        follow: DueRow,
    ) -> Result<bool, sqlx::Error> {
        let locale = Locale::from_code(&follow.locale).unwrap_or_default();
        let announced: Vec<AnnouncedRow> = on_pool!(db, |pool| {
            sqlx::query_as(concat!(
                "SELECT e.status, e.occurred_year, e.occurred_month, e.occurred_day, e.announced_at, ",
                crate::translated!("e"."title"),
                " FROM status_events e",
                crate::translation_join!("status_event_translations"."status_event_id", "e"."title", "$3"),
                " WHERE e.person_id = $1 AND e.is_published AND NOT e.is_internal
                    AND e.announced_at > $2
                  ORDER BY ",
                crate::oldest_first!("e")
            ))
            .bind(follow.person_id)
            .bind(follow.digest_from)
            .bind(locale.code())
            .fetch_all(pool)
            .await
        })?;
        // The next digest tells what was announced after the last told here,
        // so an update whose publication commits after this read is not lost.
        let Some(told_up_to) = announced.iter().map(|row| row.announced_at).max() else {
            return Ok(false);
        };
        let mut items = Vec::with_capacity(announced.len());
        for row in announced {
            items.push(DigestItem {
                occurred_on: crate::server::db::stored_date(
                    row.occurred_year,
                    row.occurred_month,
                    row.occurred_day,
                )?,
                status: crate::server::db::stored_status(row.status.as_deref())?,
                title: crate::i18n::LangText {
                    lang: crate::records::translations::stored_language(&row.title_lang)?,
                    text: row.title,
                },
            });
        }
        let email = data_key::opened(purpose::FOLLOW_EMAIL, follow.email_sealed.clone())?;
        let token = new_token();
        let links = UnsubscribeLinks::new(base_url, locale, &token);
        let (subject, body) = digest_mail(
            locale,
            &follow.full_name,
            &follow.slug,
            &items,
            base_url,
            &links.page,
        );
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            // Claimed first: two instances' passes send one digest.
            let claimed = sqlx::query(
                "UPDATE follows SET digest_from = $3, last_digest_at = $4
                  WHERE id = $1 AND last_digest_at = $2",
            )
            .bind(follow.id)
            .bind(follow.last_digest_at)
            .bind(told_up_to)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                Ok(false)
            } else {
                sqlx::query(
                    "INSERT INTO unsubscribe_links (token_hash, person_id, email_hash, created_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash(&token))
                .bind(follow.person_id)
                .bind(&follow.email_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let mail = NewMail {
                    recipient: &email,
                    subject: &subject,
                    body_text: &body,
                    list_unsubscribe: Some(&links.one_click),
                    about: Some(follow.person_id),
                };
                tx.enqueue(&mail, now).await?;
                tx.commit().await?;
                Ok(true)
            }
        })
    }
}
