//! Communications staff write status updates for a person: a dated fact,
//! optionally a change of status, saved as a draft, previewed, then published
//! (it enters the public timeline, and its status becomes the person's
//! current status, at once) or unpublished again. The first publication mails
//! the signers of the person's support actions who asked to be kept informed.
//! The writes and the publication are the timeline's (`server::timeline`),
//! shared with the feed inbox, trusted feeds and the demo data.
use super::forms::FormFlash;
use super::StaffUser;
use crate::domain::StatusEventRecord;
use crate::error::AppError;
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdateWorkspace {
    pub user: StaffUser,
    pub update: StatusEventRecord,
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

#[server(prefix = "/api/staff", endpoint = "status-update")]
pub async fn staff_status_update(id: i64) -> Result<Option<StatusUpdateWorkspace>, AppError> {
    let user = require(Permission::WriteUpdates).await?;
    let db = crate::server::context::db()?;
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
pub async fn new_status_update(person: String) -> Result<Option<NewUpdateWorkspace>, AppError> {
    let user = require(Permission::WriteUpdates).await?;
    let db = crate::server::context::db()?;
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
pub async fn save_status_update(#[server(flatten)] form: StatusUpdateForm) -> Result<(), AppError> {
    let user = require(Permission::WriteUpdates).await?;
    on_server::save(&user, form).await
}

#[server(prefix = "/api/staff", endpoint = "publish-status-update")]
pub async fn publish_status_update(lang: String, update: i64) -> Result<(), AppError> {
    let user = require(Permission::WriteUpdates).await?;
    on_server::set_published(&user, &lang, update, true).await
}

#[server(prefix = "/api/staff", endpoint = "unpublish-status-update")]
pub async fn unpublish_status_update(lang: String, update: i64) -> Result<(), AppError> {
    let user = require(Permission::WriteUpdates).await?;
    on_server::set_published(&user, &lang, update, false).await
}

#[cfg(feature = "ssr")]
use {
    super::{forms::on_server::take_form_flash, session::on_server::require},
    crate::domain::Permission,
};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::domain::{Line, Status};
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::server::audit::{AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};
    use crate::server::timeline::{NewStatusEvent, Provenance, Timeline};
    use crate::staff::forms::on_server::{dated_fact, done, refuse, rich, DatedFact};
    use crate::staff::forms::Problems;

    /// The update and the name of its person.
    pub async fn record(
        db: &Db,
        id: i64,
    ) -> Result<Option<(StatusEventRecord, String)>, sqlx::Error> {
        let record = on_pool!(db, |pool| pool
            .acquire()
            .await?
            .status_event_record(id)
            .await)?;
        let Some(record) = record else {
            return Ok(None);
        };
        let name = person_name(db, &record.person).await?.unwrap_or_default();
        Ok(Some((record, name)))
    }

    pub async fn person_name(db: &Db, slug: &str) -> Result<Option<String>, sqlx::Error> {
        on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT full_name FROM persons WHERE slug = $1"
        )
        .bind(slug)
        .fetch_optional(pool)
        .await)
    }

    /// The form, parsed: the dated fact and what comes with it.
    pub struct UpdateInput {
        pub fact: DatedFact,
        /// Sanitized; `None` when empty.
        pub body_html: Option<String>,
        pub source_title: Option<Line>,
        pub source_url: Option<String>,
    }

    /// Parses the status update form; every problem is noted next to its field.
    pub fn parse_update_form(
        problems: &mut Problems,
        form: &StatusUpdateForm,
    ) -> Option<UpdateInput> {
        let fact = dated_fact(problems, &form.occurred_on, &form.status, &form.title);
        let body = rich(problems, "body", &form.body);
        let source_title = match form.source_title.trim() {
            "" => Some(None),
            text => problems
                .check("source_title", Line::parse(text), "form.invalid_line")
                .map(Some),
        };
        // A source link is rendered as a link: only a web address will do.
        let source_url = match form.source_url.trim() {
            "" => Some(None),
            typed => problems
                .check(
                    "source_url",
                    crate::server::sanitize::web_address(typed).ok_or(()),
                    "form.invalid_url",
                )
                .map(Some),
        };
        Some(UpdateInput {
            fact: fact?,
            body_html: Some(body?).filter(|html| !html.is_empty()),
            source_title: source_title?,
            source_url: source_url?,
        })
    }

    /// Saves a draft (new) or the edits to an update, audited, then shows it.
    #[tracing::instrument(skip_all, fields(actor = user.id, update = %form.update.trim(), person = %form.person.trim()))]
    pub async fn save(user: &StaffUser, form: StatusUpdateForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let existing = match form.update.trim() {
            "" => None,
            id => Some(
                id.parse::<i64>()
                    .map_err(|_| AppError::not_found("status update"))?,
            ),
        };
        let person_id: Option<i64> = on_pool!(&db, |pool| sqlx::query_scalar(
            "SELECT id FROM persons WHERE slug = $1"
        )
        .bind(form.person.trim())
        .fetch_optional(pool)
        .await)?;
        let person_id = person_id.ok_or_else(|| AppError::not_found("person"))?;
        let mut problems = Problems::default();
        let Some(input) = parse_update_form(&mut problems, &form) else {
            return refuse(UPDATE_FORM, &form, problems).await;
        };
        let id = write(&db, user, person_id, existing, &input)
            .await?
            .ok_or_else(|| AppError::not_found("status update"))?;
        done(
            UPDATE_FORM,
            "staff.draft_saved",
            &locale.path(&format!("/staff/updates/{id}"), false),
        )
        .await
    }

    /// Writes a new draft or the edits to an update, with the audit entry, in
    /// one transaction; `None`: no such update.
    async fn write(
        db: &Db,
        user: &StaffUser,
        person_id: i64,
        existing: Option<i64>,
        input: &UpdateInput,
    ) -> Result<Option<i64>, sqlx::Error> {
        let now = crate::server::clock::now();
        let fact = &input.fact;
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let (id, before) = match existing {
                Some(id) => {
                    let Some(before) = tx.status_event_record(id).await? else {
                        return Ok(None);
                    };
                    sqlx::query(
                        "UPDATE status_events SET status = $2, occurred_year = $3, occurred_month = $4,
                                occurred_day = $5, title = $6, body_html = $7, source_title = $8, source_url = $9,
                                updated_at = $10
                          WHERE id = $1",
                    )
                    .bind(id)
                    .bind(fact.status.map(Status::slug))
                    .bind(fact.occurred_on.year_part())
                    .bind(fact.occurred_on.month_part().map(i32::from))
                    .bind(fact.occurred_on.day_part().map(i32::from))
                    .bind(fact.title.as_str())
                    .bind(input.body_html.as_deref())
                    .bind(input.source_title.as_ref().map(Line::as_str))
                    .bind(input.source_url.as_deref())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    (id, Some(before))
                }
                None => {
                    let event = NewStatusEvent {
                        person_id,
                        status: fact.status,
                        occurred_on: fact.occurred_on,
                        title: fact.title.as_str(),
                        body_html: input.body_html.as_deref(),
                        source_title: input.source_title.as_ref().map(Line::as_str),
                        source_url: input.source_url.as_deref(),
                        provenance: Provenance::Manual,
                        author: Some(user.id),
                        published: false,
                    };
                    (tx.insert_status_event(&event, now).await?, None)
                }
            };
            let after = tx.status_event_record(id).await?;
            let action = if before.is_some() {
                "status_event.update"
            } else {
                "status_event.create"
            };
            let entry = AuditEntry::new(user.actor(), action, "status_event", id)
                .before_if(before.as_ref())
                .after(&after);
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok(Some(id))
        })
    }

    /// Publishes or unpublishes (the timeline's publication, with its mail
    /// and audit entry), then shows the update.
    #[tracing::instrument(skip(user, lang), fields(actor = user.id))]
    pub async fn set_published(
        user: &StaffUser,
        lang: &str,
        id: i64,
        publish: bool,
    ) -> Result<(), AppError> {
        let state = crate::server::context::state()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let now = crate::server::clock::now();
        let found = on_pool!(&state.db, |pool| {
            let mut tx = pool.begin_write().await?;
            let found = tx
                .set_published(user.actor(), id, publish, now, &state.public_url)
                .await?;
            tx.commit().await?;
            found
        });
        found.ok_or_else(|| AppError::not_found("status update"))?;
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

    #[cfg(test)]
    mod tests {
        use super::*;

        fn form() -> StatusUpdateForm {
            StatusUpdateForm {
                occurred_on: "2026-11-20".into(),
                status: "released".into(),
                title: "Released".into(),
                body: "<p>Released <em>on bail</em><img src=x onerror=alert(1)></p>".into(),
                source_url: " https://www.amnesty.org/en/ ".into(),
                ..StatusUpdateForm::default()
            }
        }

        #[test]
        fn an_update_is_parsed_with_its_sanitized_body_and_source() {
            let mut problems = Problems::default();
            let input = parse_update_form(&mut problems, &form()).unwrap();
            assert_eq!(input.fact.status, Some(Status::Released));
            assert_eq!(
                input.body_html.as_deref(),
                Some("<p>Released <em>on bail</em></p>")
            );
            assert_eq!(
                input.source_url.as_deref(),
                Some("https://www.amnesty.org/en/")
            );
            assert_eq!(input.source_title, None);
            let empty = StatusUpdateForm {
                body: "  ".into(),
                ..form()
            };
            assert_eq!(
                parse_update_form(&mut problems, &empty).unwrap().body_html,
                None
            );
        }

        #[test]
        fn a_source_link_must_be_a_web_address() {
            let mut problems = Problems::default();
            let bad = StatusUpdateForm {
                source_url: "javascript:alert(1)".into(),
                occurred_on: String::new(),
                ..form()
            };
            assert!(parse_update_form(&mut problems, &bad).is_none());
            assert_eq!(problems.0["source_url"], "form.invalid_url");
            assert_eq!(problems.0["occurred_on"], "form.required");
        }
    }
}
