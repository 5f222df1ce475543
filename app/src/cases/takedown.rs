//! Taking a case down (issue 29): when the risk to a person changes
//! suddenly (a family under pressure, a new charge, a transfer), a council
//! member of a municipality holding the case, or an administrator, takes it
//! down at once, with a reason (staff only, audited).
//!
//! In one transaction: the person becomes private and marked taken down,
//! so that their pages, actions, embeds, badges and own feeds answer 410
//! (`records::takedown`) and our feeds carry tombstones that following
//! instances read; their portrait is deleted; their open support actions
//! close (each audited as any closing); and the mails about them still
//! queued are dropped (the outbox never sends one about a person taken
//! down, whenever queued).
//! The render cache is never stale: the write to `persons` moves its
//! counter in the same transaction.
//!
//! An administrator may undo it (a take-down made by mistake): the person
//! then stays private and the actions closed, until their council decides.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const TAKE_DOWN_FORM: &str = "take-down";

/// A reason is a few sentences for the staff who come after.
pub const MAX_REASON_CHARS: usize = 2_000;

/// A take-down on record, as the person's staff page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeDownView {
    /// "YYYY-MM-DD", UTC.
    pub taken_down_on: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TakeDownForm {
    pub lang: String,
    pub person: String,
    pub reason: String,
    /// The box that says the staff member knows what this does.
    pub confirm: String,
}

#[server(prefix = "/api/staff", endpoint = "take-down")]
pub async fn take_down(#[server(flatten)] form: TakeDownForm) -> Result<(), AppError> {
    use crate::domain::Permission;
    let user = crate::backoffice::session::on_server::require(Permission::TakeDownCases).await?;
    on_server::take_down(&user, form).await
}

#[server(prefix = "/api/staff", endpoint = "undo-take-down")]
pub async fn undo_take_down(lang: String, person: String) -> Result<(), AppError> {
    use crate::domain::Permission;
    let user = crate::backoffice::session::on_server::require(Permission::UndoTakeDowns).await?;
    on_server::undo(&user, &lang, &person).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{done, refuse};
    use crate::backoffice::forms::Problems;
    use crate::backoffice::StaffUser;
    use crate::campaigns::actions::on_server::ActionStore;
    use crate::cases::portraits::on_server::PortraitStore;
    use crate::domain::Role;
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};

    /// The person `slug`, if `user` may take their case down: an
    /// administrator any case, a council member the cases their
    /// municipality holds.
    async fn person_to_take_down(db: &Db, user: &StaffUser, slug: &str) -> Result<i64, AppError> {
        if user.role == Role::Admin {
            let id: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
                "SELECT id FROM persons WHERE slug = $1"
            )
            .bind(slug)
            .fetch_optional(pool)
            .await)?;
            return id.ok_or_else(|| AppError::not_found("person"));
        }
        let case = crate::records::owners::case_to_change(db, user.acting(), slug).await?;
        Ok(case.person_id)
    }

    /// The reason, checked: required, and a few sentences at most.
    pub fn parse_take_down(problems: &mut Problems, form: &TakeDownForm) -> Option<String> {
        let reason = form.reason.trim();
        if reason.is_empty() {
            problems.add("reason", "form.required");
        } else if reason.chars().count() > MAX_REASON_CHARS {
            problems.add("reason", "form.too_long");
        }
        if form.confirm.trim().is_empty() {
            problems.add("confirm", "form.take_down_unconfirmed");
        }
        problems.is_empty().then(|| reason.to_owned())
    }

    #[tracing::instrument(skip_all, fields(actor = user.id, person = %form.person.trim()))]
    pub async fn take_down(user: &StaffUser, form: TakeDownForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let slug = form.person.trim();
        let person_id = person_to_take_down(&db, user, slug).await?;
        let mut problems = Problems::default();
        let Some(reason) = parse_take_down(&mut problems, &form) else {
            return refuse(TAKE_DOWN_FORM, &form, problems).await;
        };
        let now = crate::server::clock::now();
        let taken = on_pool!(&db, |pool| {
            let mut tx = pool.begin_write().await?;
            let taken = tx
                .take_person_down(user.actor(), person_id, &reason, now)
                .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(taken)
        })?;
        let notice = if taken {
            "staff.taken_down"
        } else {
            "staff.already_taken_down"
        };
        let page = locale.path(&format!("/staff/persons/{slug}"), false);
        done(TAKE_DOWN_FORM, notice, &page).await
    }

    #[tracing::instrument(skip(user, lang), fields(actor = user.id))]
    pub async fn undo(user: &StaffUser, lang: &str, slug: &str) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let slug = slug.trim();
        let person_id = person_to_take_down(&db, user, slug).await?;
        let undone = on_pool!(&db, |pool| {
            let mut tx = pool.begin_write().await?;
            let undone = tx.undo_take_down(user.actor(), person_id).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(undone)
        })?;
        let notice = if undone {
            "staff.take_down_undone"
        } else {
            "staff.not_taken_down"
        };
        let page = locale.path(&format!("/staff/persons/{slug}"), false);
        done(TAKE_DOWN_FORM, notice, &page).await
    }

    /// The take-down on record for a person, if any.
    pub async fn take_down_of(
        db: &Db,
        person_id: i64,
    ) -> Result<Option<TakeDownView>, sqlx::Error> {
        let row: Option<(Option<i64>, Option<String>)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT taken_down_at, takedown_reason FROM persons WHERE id = $1"
        )
        .bind(person_id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.and_then(|(at, reason)| {
            let at = at?;
            Some(TakeDownView {
                taken_down_on: chrono::DateTime::from_timestamp(at, 0)
                    .unwrap_or_default()
                    .format("%Y-%m-%d")
                    .to_string(),
                reason: reason.unwrap_or_default(),
            })
        }))
    }

    /// Take-downs, on a connection inside the caller's transaction.
    pub trait TakeDownStore {
        /// Takes the person down (see the module); `false`: they already were.
        fn take_person_down(
            &mut self,
            actor: Actor,
            person_id: i64,
            reason: &str,
            now: i64,
        ) -> impl std::future::Future<Output = Result<bool, sqlx::Error>> + Send;

        /// Lifts a take-down; the person stays private. `false`: there was none.
        fn undo_take_down(
            &mut self,
            actor: Actor,
            person_id: i64,
        ) -> impl std::future::Future<Output = Result<bool, sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl TakeDownStore {
            async fn take_person_down(&mut self, actor: Actor, person_id: i64, reason: &str, now: i64) -> Result<bool, sqlx::Error> {
                let before: Option<bool> = sqlx::query_scalar(
                    "SELECT is_public FROM persons WHERE id = $1 AND taken_down_at IS NULL",
                )
                .bind(person_id)
                .fetch_optional(&mut *self)
                .await?;
                let Some(was_public) = before else {
                    return Ok(false);
                };
                let taken = sqlx::query(
                    "UPDATE persons SET is_public = FALSE, taken_down_at = $2, takedown_reason = $3
                      WHERE id = $1 AND taken_down_at IS NULL",
                )
                .bind(person_id)
                .bind(now)
                .bind(reason)
                .execute(&mut *self)
                .await?
                .rows_affected();
                if taken == 0 {
                    // Another take-down got there first.
                    return Ok(false);
                }
                self.delete_portrait(actor, person_id, Some("portrait.take_down"))
                    .await?;
                let dropped = sqlx::query("DELETE FROM outbox WHERE person_id = $1 AND sent_at IS NULL")
                    .bind(person_id)
                    .execute(&mut *self)
                    .await?
                    .rows_affected();
                // Who follows a person at risk is itself to hide, and no news
                // of them goes any more: the follows go, not kept for an undo.
                let follows_deleted = sqlx::query("DELETE FROM follows WHERE person_id = $1")
                    .bind(person_id)
                    .execute(&mut *self)
                    .await?
                    .rows_affected();
                let entry = AuditEntry::new(actor, "person.take_down", "person", person_id)
                    .before(&serde_json::json!({ "is_public": was_public }))
                    .after(&serde_json::json!({
                        "is_public": false,
                        "taken_down_at": now,
                        "reason": reason,
                        "mails_dropped": dropped,
                        "follows_deleted": follows_deleted,
                    }));
                self.record_audit(&entry).await?;
                // Every action of the person held first: a reopening under way
                // then either ends before (and its action is closed here) or
                // waits and sees the take-down.
                sqlx::query("UPDATE support_actions SET is_open = is_open WHERE person_id = $1")
                    .bind(person_id)
                    .execute(&mut *self)
                    .await?;
                let open: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM support_actions WHERE person_id = $1 AND is_open ORDER BY id",
                )
                .bind(person_id)
                .fetch_all(&mut *self)
                .await?;
                for action in open {
                    self.set_action_open(actor, action, false).await?;
                }
                Ok(true)
            }

            async fn undo_take_down(&mut self, actor: Actor, person_id: i64) -> Result<bool, sqlx::Error> {
                let before: Option<(i64, Option<String>)> = sqlx::query_as(
                    "SELECT taken_down_at, takedown_reason FROM persons
                      WHERE id = $1 AND taken_down_at IS NOT NULL",
                )
                .bind(person_id)
                .fetch_optional(&mut *self)
                .await?;
                let Some((at, reason)) = before else {
                    return Ok(false);
                };
                sqlx::query("UPDATE persons SET taken_down_at = NULL, takedown_reason = NULL WHERE id = $1")
                    .bind(person_id)
                    .execute(&mut *self)
                    .await?;
                let entry = AuditEntry::new(actor, "person.undo_take_down", "person", person_id)
                    .before(&serde_json::json!({ "taken_down_at": at, "reason": reason }))
                    .after(&serde_json::json!({ "taken_down_at": null, "is_public": false }));
                self.record_audit(&entry).await?;
                Ok(true)
            }
        }
    }
}
