//! Communications staff write status updates for a person: a dated fact,
//! optionally a change of status, saved as a draft, previewed, then published
//! (it enters the public timeline, and its status becomes the person's
//! current status, at once) or unpublished again. The first publication mails
//! the signers of the person's support actions who asked to be kept informed.
use super::staff::{FormFlash, StaffUser};
use crate::domain::{PartialDate, Status};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const UPDATE_FORM: &str = "status-update";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatusUpdateForm {
    pub lang: String,
    /// The update being edited; empty for a new one.
    pub update: String,
    pub person: String,
    pub occurred_on: String,
    /// A status slug, or empty: a dated fact that changes no status.
    pub status: String,
    pub title: String,
    pub body: String,
    pub source_title: String,
    pub source_url: String,
}

/// A status update as staff edit it and the audit log records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdateRecord {
    pub id: i64,
    pub person: String,
    pub status: Option<Status>,
    pub occurred_on: PartialDate,
    pub title: String,
    pub body_html: Option<String>,
    pub source_title: Option<String>,
    pub source_url: Option<String>,
    pub provenance: String,
    pub is_published: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdateWorkspace {
    pub user: StaffUser,
    pub update: StatusUpdateRecord,
    pub person_name: String,
    pub flash: Option<FormFlash>,
}

/// The page for writing a new update about a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUpdateWorkspace {
    pub user: StaffUser,
    pub person: String,
    pub person_name: String,
    pub flash: Option<FormFlash>,
}

#[cfg(feature = "ssr")]
const COMMS: &[crate::domain::Role] = &[crate::domain::Role::Comms];

#[server(prefix = "/api/staff", endpoint = "status-update")]
pub async fn staff_status_update(id: i64) -> Result<Option<StatusUpdateWorkspace>, ServerFnError> {
    use super::staff::on_server::{require, take_form_flash};
    let user = require(COMMS).await?;
    let db = super::db()?;
    let Some((update, person_name)) = on_server::record(&db, id).await? else {
        return Ok(None);
    };
    Ok(Some(StatusUpdateWorkspace {
        user,
        update,
        person_name,
        flash: take_form_flash().await,
    }))
}

#[server(prefix = "/api/staff", endpoint = "new-status-update")]
pub async fn new_status_update(
    person: String,
) -> Result<Option<NewUpdateWorkspace>, ServerFnError> {
    use super::staff::on_server::{require, take_form_flash};
    let user = require(COMMS).await?;
    let db = super::db()?;
    let Some(person_name) = on_server::person_name(&db, &person).await? else {
        return Ok(None);
    };
    Ok(Some(NewUpdateWorkspace {
        user,
        person,
        person_name,
        flash: take_form_flash().await,
    }))
}

/// Saves a new draft, or the edits to an update (published or not).
#[server(prefix = "/api/staff", endpoint = "save-status-update")]
pub async fn save_status_update(
    #[server(flatten)] form: StatusUpdateForm,
) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COMMS).await?;
    on_server::save(&user, form).await
}

#[server(prefix = "/api/staff", endpoint = "publish-status-update")]
pub async fn publish_status_update(lang: String, update: i64) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COMMS).await?;
    on_server::set_published(&user, &lang, update, true).await
}

#[server(prefix = "/api/staff", endpoint = "unpublish-status-update")]
pub async fn unpublish_status_update(lang: String, update: i64) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COMMS).await?;
    on_server::set_published(&user, &lang, update, false).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::api::adoptions::on_server::not_found;
    use crate::api::staff::on_server::{done, refuse};
    use crate::api::staff::Problems;
    use crate::api::{date_from_columns, internal};
    use crate::domain::Line;
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::ssr::audit::{AuditEntry, RecordAudit};
    use crate::ssr::db::{BeginWrite, Db};

    #[derive(sqlx::FromRow)]
    pub struct UpdateRow {
        id: i64,
        person: String,
        status: Option<String>,
        occurred_year: i32,
        occurred_month: Option<i32>,
        occurred_day: Option<i32>,
        title: String,
        body_html: Option<String>,
        source_title: Option<String>,
        source_url: Option<String>,
        provenance: String,
        is_published: bool,
    }

    impl UpdateRow {
        fn into_record(self) -> Result<StatusUpdateRecord, sqlx::Error> {
            let decode = |e: String| sqlx::Error::Decode(e.into());
            Ok(StatusUpdateRecord {
                id: self.id,
                person: self.person,
                status: self
                    .status
                    .as_deref()
                    .map(Status::parse)
                    .transpose()
                    .map_err(|e| decode(e.to_string()))?,
                occurred_on: date_from_columns(
                    self.occurred_year,
                    self.occurred_month,
                    self.occurred_day,
                )
                .map_err(|e| decode(e.to_string()))?,
                title: self.title,
                body_html: self.body_html,
                source_title: self.source_title,
                source_url: self.source_url,
                provenance: self.provenance,
                is_published: self.is_published,
            })
        }
    }

    macro_rules! update_record {
        ($conn:expr, $id:expr) => {
            sqlx::query_as::<_, UpdateRow>(
                "SELECT e.id, p.slug AS person, e.status, e.occurred_year, e.occurred_month, e.occurred_day,
                        e.title, e.body_html, e.source_title, e.source_url, e.provenance, e.is_published
                   FROM status_events e JOIN persons p ON p.id = e.person_id WHERE e.id = $1",
            )
            .bind($id)
            .fetch_optional(&mut *$conn)
            .await
            .and_then(|row| row.map(UpdateRow::into_record).transpose())
        };
    }

    pub async fn record(
        db: &Db,
        id: i64,
    ) -> Result<Option<(StatusUpdateRecord, String)>, ServerFnError> {
        let record = on_pool!(db, |pool| {
            async {
                let mut conn = pool.acquire().await?;
                update_record!(conn, id)
            }
            .await
        })
        .map_err(internal)?;
        let Some(record) = record else {
            return Ok(None);
        };
        let name = person_name(db, &record.person).await?.unwrap_or_default();
        Ok(Some((record, name)))
    }

    pub async fn person_name(db: &Db, slug: &str) -> Result<Option<String>, ServerFnError> {
        on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT full_name FROM persons WHERE slug = $1"
        )
        .bind(slug)
        .fetch_optional(pool)
        .await)
        .map_err(internal)
    }

    /// What every status update states, checked: its date (required, partial
    /// allowed), an optional change of status, and its title. `None` where
    /// the field has a problem, which is then in `problems`.
    #[allow(clippy::type_complexity)]
    pub fn dated_fact(
        problems: &mut Problems,
        occurred_on: &str,
        status: &str,
        title: &str,
    ) -> (Option<PartialDate>, Option<Option<Status>>, Option<Line>) {
        let occurred_on = if occurred_on.trim().is_empty() {
            problems.add("occurred_on", "form.required");
            None
        } else {
            problems.check(
                "occurred_on",
                PartialDate::parse(occurred_on.trim()),
                "form.invalid_date",
            )
        };
        let status = match status.trim() {
            "" => Some(None),
            slug => problems
                .check("status", Status::parse(slug), "form.invalid_choice")
                .map(Some),
        };
        let title = problems.check("title", Line::parse(title), "form.invalid_line");
        (occurred_on, status, title)
    }

    /// A source link must be a web address: it is rendered as a link.
    fn source_url(problems: &mut Problems, input: &str) -> Option<Option<String>> {
        let input = input.trim();
        if input.is_empty() {
            return Some(None);
        }
        match crate::ssr::sanitize::web_address(input) {
            Some(url) => Some(Some(url)),
            None => {
                problems.add("source_url", "form.invalid_url");
                None
            }
        }
    }

    pub async fn save(user: &StaffUser, form: StatusUpdateForm) -> Result<(), ServerFnError> {
        let db = crate::api::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let existing = match form.update.trim() {
            "" => None,
            id => {
                let id: i64 = id.parse().map_err(|_| not_found("status update"))?;
                Some(id)
            }
        };
        let person_id: Option<i64> = on_pool!(&db, |pool| sqlx::query_scalar(
            "SELECT id FROM persons WHERE slug = $1"
        )
        .bind(form.person.trim())
        .fetch_optional(pool)
        .await)
        .map_err(internal)?;
        let Some(person_id) = person_id else {
            return Err(not_found("person"));
        };
        let mut problems = Problems::default();
        let (occurred_on, status, title) =
            dated_fact(&mut problems, &form.occurred_on, &form.status, &form.title);
        let body = if form.body.chars().count() > super::super::adoptions::MAX_RICH_TEXT_CHARS {
            problems.add("body", "form.too_long");
            None
        } else {
            let html = crate::ssr::sanitize::rich_text(form.body.trim());
            Some((!html.is_empty()).then_some(html))
        };
        let source_title = match form.source_title.trim() {
            "" => Some(None),
            text => problems
                .check("source_title", Line::parse(text), "form.invalid_line")
                .map(Some),
        };
        let source_url = source_url(&mut problems, &form.source_url);
        let (
            Some(occurred_on),
            Some(status),
            Some(title),
            Some(body),
            Some(source_title),
            Some(source_url),
        ) = (occurred_on, status, title, body, source_title, source_url)
        else {
            return refuse(UPDATE_FORM, &form, problems).await;
        };
        let user_id = user.id;
        let saved: Option<i64> = on_pool!(&db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                let (id, before) = match existing {
                    Some(id) => {
                        let Some(before) = update_record!(tx, id)? else {
                            return Ok::<_, sqlx::Error>(None);
                        };
                        sqlx::query(
                            "UPDATE status_events SET status = $2, occurred_year = $3, occurred_month = $4,
                                    occurred_day = $5, title = $6, body_html = $7, source_title = $8, source_url = $9,
                                    updated_at = $10
                              WHERE id = $1",
                        )
                        .bind(id)
                        .bind(status.map(Status::slug))
                        .bind(occurred_on.year_part())
                        .bind(occurred_on.month_part().map(i32::from))
                        .bind(occurred_on.day_part().map(i32::from))
                        .bind(title.as_str())
                        .bind(body.as_deref())
                        .bind(source_title.as_ref().map(Line::as_str))
                        .bind(source_url.as_deref())
                        .bind(crate::ssr::outbox::unix_now())
                        .execute(&mut *tx)
                        .await?;
                        (id, Some(before))
                    }
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO status_events (person_id, status, occurred_year, occurred_month, occurred_day,
                                                        title, body_html, source_title, source_url, provenance,
                                                        is_published, author_id, updated_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'manual', FALSE, $10, $11)
                             RETURNING id",
                        )
                        .bind(person_id)
                        .bind(status.map(Status::slug))
                        .bind(occurred_on.year_part())
                        .bind(occurred_on.month_part().map(i32::from))
                        .bind(occurred_on.day_part().map(i32::from))
                        .bind(title.as_str())
                        .bind(body.as_deref())
                        .bind(source_title.as_ref().map(Line::as_str))
                        .bind(source_url.as_deref())
                        .bind(user_id)
                        .bind(crate::ssr::outbox::unix_now())
                        .fetch_one(&mut *tx)
                        .await?;
                        (id, None)
                    }
                };
                let after = update_record!(tx, id)?;
                let action = if before.is_some() { "status_event.update" } else { "status_event.create" };
                let mut entry = AuditEntry::new(Some(user_id), action, "status_event", id).after(&after);
                if let Some(before) = &before {
                    entry = entry.before(before);
                }
                tx.record_audit(&entry).await?;
                tx.commit().await?;
                Ok(Some(id))
            }
            .await
        })
        .map_err(internal)?;
        let Some(id) = saved else {
            return Err(not_found("status update"));
        };
        done(
            UPDATE_FORM,
            "staff.draft_saved",
            &locale.path(&format!("/staff/updates/{id}"), false),
        )
        .await
    }

    /// Publishes or unpublishes; the first publication also queues the mail
    /// to signers who asked to be kept informed, in the same transaction.
    pub async fn set_published(
        user: &StaffUser,
        lang: &str,
        id: i64,
        publish: bool,
    ) -> Result<(), ServerFnError> {
        let state = crate::api::state()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let now = crate::ssr::outbox::unix_now();
        let user_id = user.id;
        let base_url = state.public_url.clone();
        let found = on_pool!(&state.db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                let Some(before) = update_record!(tx, id)? else {
                    return Ok::<_, sqlx::Error>(false);
                };
                sqlx::query(
                    "UPDATE status_events SET is_published = $2, updated_at = $3,
                            published_at = CASE WHEN $2 THEN COALESCE(published_at, $3) ELSE published_at END
                      WHERE id = $1",
                )
                .bind(id)
                .bind(publish)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if publish {
                    // Claim the notification: only the first publication mails.
                    let claimed = sqlx::query(
                        "UPDATE status_events SET notified_at = $2 WHERE id = $1 AND notified_at IS NULL",
                    )
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if claimed == 1 {
                        let person_name: String = sqlx::query_scalar("SELECT full_name FROM persons WHERE slug = $1")
                            .bind(&before.person)
                            .fetch_one(&mut *tx)
                            .await?;
                        let recipients: Vec<(String, String)> = sqlx::query_as(
                            "SELECT DISTINCT s.canonical_email, s.locale
                               FROM signatures s JOIN support_actions a ON a.id = s.action_id
                               JOIN persons p ON p.id = a.person_id
                              WHERE p.slug = $1 AND s.state = 'confirmed' AND s.keep_informed AND NOT s.anonymised",
                        )
                        .bind(&before.person)
                        .fetch_all(&mut *tx)
                        .await?;
                        let mut mailed = std::collections::HashSet::new();
                        for (email, code) in recipients {
                            if !mailed.insert(email.clone()) {
                                continue;
                            }
                            let mail_locale = Locale::from_code(&code).unwrap_or_default();
                            let (subject, body) =
                                update_mail(mail_locale, &person_name, &before, &base_url);
                            sqlx::query(
                                "INSERT INTO outbox (recipient, subject, body_text, created_at, next_attempt_at)
                                 VALUES ($1, $2, $3, $4, $4)",
                            )
                            .bind(&email)
                            .bind(&subject)
                            .bind(&body)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                }
                let after = update_record!(tx, id)?;
                let action = if publish { "status_event.publish" } else { "status_event.unpublish" };
                let entry = AuditEntry::new(Some(user_id), action, "status_event", id)
                    .before(&before)
                    .after(&after);
                tx.record_audit(&entry).await?;
                tx.commit().await?;
                Ok(true)
            }
            .await
        })
        .map_err(internal)?;
        if !found {
            return Err(not_found("status update"));
        }
        let notice = if publish {
            "staff.published"
        } else {
            "staff.unpublished"
        };
        done(
            UPDATE_FORM,
            notice,
            &locale.path(&format!("/staff/updates/{id}"), false),
        )
        .await
    }

    /// The mail to a signer who asked to be kept informed: the date, the
    /// title and a link to the case page, in the signer's language.
    pub fn update_mail(
        locale: Locale,
        person_name: &str,
        update: &StatusUpdateRecord,
        base_url: &str,
    ) -> (String, String) {
        let base = base_url.trim_end_matches('/');
        let link = format!(
            "{base}{}",
            locale.path(&format!("/persons/{}", update.person), false)
        );
        let status = update
            .status
            .map(|s| {
                format!(
                    "{}: {}\n",
                    locale.t("mail.update_status"),
                    locale.t(&s.label_key())
                )
            })
            .unwrap_or_default();
        let subject = locale
            .t("mail.update_subject")
            .replace("%{person}", person_name)
            .replace("%{title}", &update.title);
        let body = locale
            .t("mail.update_body")
            .replace("%{person}", person_name)
            .replace("%{date}", &update.occurred_on.format(locale))
            .replace("%{title}", &update.title)
            .replace("%{status}", &status)
            .replace("%{url}", &link);
        (subject, body)
    }
}
