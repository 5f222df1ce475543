//! Signatures collected on paper, recorded by the batch: how many, the day
//! they were collected, where, and where the sheets are kept. No name is
//! ever stored: the sheets hold them. Batches count with the confirmed
//! online signatures (`paper_count!`). A batch is recorded, corrected or
//! removed by the action's owners (its municipality's council, or an
//! administrator), each change audited with what it was before; once the
//! signatures are delivered, the batches stay as they were handed over.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAPER_FORM: &str = "paper";

/// More than any batch of sheets: a typing slip, not a count.
pub const MAX_BATCH: i64 = 1_000_000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaperBatchForm {
    pub lang: String,
    /// The action's slug.
    pub action: String,
    /// The batch's id when corrected or removed; empty for a new one.
    pub batch: String,
    pub signatures: String,
    pub collected_on: String,
    pub place: String,
    pub kept_at: String,
    /// Set by the "remove" button.
    pub remove: String,
}

/// A batch as the staff page lists it and the audit log records it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperBatchRecord {
    pub id: i64,
    pub signatures: i64,
    pub collected_on: String,
    pub place: String,
    pub kept_at: String,
}

/// Records a new batch, corrects one, or removes it.
#[server(prefix = "/api/staff", endpoint = "save-paper-batch")]
pub async fn save_paper_batch(#[server(flatten)] form: PaperBatchForm) -> Result<(), AppError> {
    let user =
        crate::backoffice::session::on_server::require(crate::domain::Permission::RunActions)
            .await?;
    on_server::save(&user, form).await
}

/// The name of the form that records a new batch (`None`) or corrects
/// batch `id`: each form on the page keeps its own values and problems.
pub fn form_name(batch: Option<i64>) -> String {
    match batch {
        Some(id) => format!("{PAPER_FORM}-{id}"),
        None => PAPER_FORM.to_owned(),
    }
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{past_full_date, refuse, required_line};
    use crate::backoffice::forms::Problems;
    use crate::backoffice::StaffUser;
    use crate::campaigns::actions::on_server::done_on_action;
    use crate::campaigns::actions::on_server::ActionStore;
    use crate::domain::Line;
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::records::owners::action_to_run;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};
    use crate::signing::threshold::CheckThreshold;
    use chrono::NaiveDate;

    /// A batch as typed, checked.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct PaperBatch {
        pub signatures: i64,
        pub collected_on: NaiveDate,
        pub place: Line,
        pub kept_at: Line,
    }

    /// Parses the form: a whole number of signatures, collected on a day
    /// that has come (`today` at the latest), a place and where the sheets are.
    pub fn parse_batch(
        problems: &mut Problems,
        form: &PaperBatchForm,
        today: NaiveDate,
    ) -> Option<PaperBatch> {
        let signatures = form
            .signatures
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_BATCH).contains(n));
        let signatures = problems.check(
            "signatures",
            signatures.ok_or(()),
            "form.invalid_paper_count",
        );
        let collected_on = past_full_date(
            problems,
            "collected_on",
            &form.collected_on,
            today,
            "form.collected_in_future",
        );
        let place = required_line(problems, "place", &form.place);
        let kept_at = required_line(problems, "kept_at", &form.kept_at);
        Some(PaperBatch {
            signatures: signatures?,
            collected_on: collected_on?,
            place: place?,
            kept_at: kept_at?,
        })
    }

    /// What a save asks for.
    enum Change {
        Record(PaperBatch),
        Correct(i64, PaperBatch),
        Remove(i64),
    }

    #[tracing::instrument(skip_all, fields(actor = user.id, action = %form.action.trim(), batch = %form.batch.trim()))]
    pub async fn save(user: &StaffUser, form: PaperBatchForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let found = action_to_run(&db, user.acting(), form.action.trim()).await?;
        let batch = match form.batch.trim() {
            "" => None,
            typed => Some(
                typed
                    .parse::<i64>()
                    .map_err(|_| AppError::not_found("paper batch"))?,
            ),
        };
        let change = match (batch, form.remove.trim().is_empty()) {
            (Some(id), false) => Change::Remove(id),
            (None, false) => return Err(AppError::not_found("paper batch")),
            (batch, true) => {
                let today = crate::server::clock::today_date();
                let mut problems = Problems::default();
                let Some(parsed) = parse_batch(&mut problems, &form, today) else {
                    return refuse(&form_name(batch), &form, problems).await;
                };
                match batch {
                    Some(id) => Change::Correct(id, parsed),
                    None => Change::Record(parsed),
                }
            }
        };
        let notice = match &change {
            Change::Record(_) => "staff.paper_recorded",
            Change::Correct(..) => "staff.paper_corrected",
            Change::Remove(_) => "staff.paper_removed",
        };
        let base_url = crate::server::context::state()?.public_url;
        match write(&db, user.actor(), found.action_id, change, &base_url).await? {
            Written::Done => {}
            Written::NoSuchBatch => return Err(AppError::not_found("paper batch")),
            Written::Delivered => {
                return Err(AppError::Invalid(
                    "its signatures were delivered: the paper batches stay as they were".into(),
                ))
            }
        }
        done_on_action(PAPER_FORM, notice, locale, &form.action).await
    }

    /// What a change to the batches came to.
    enum Written {
        Done,
        /// The batch is not one of this action's.
        NoSuchBatch,
        /// The signatures were handed over: the counts stay as delivered.
        Delivered,
    }

    /// Writes one change to the batches of action `action_id`, audited, in
    /// one transaction. The count may reach the action's threshold (its mail
    /// links under `base_url`).
    async fn write(
        db: &Db,
        actor: Actor,
        action_id: i64,
        change: Change,
        base_url: &str,
    ) -> Result<Written, sqlx::Error> {
        let now = crate::server::clock::now();
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            // Not delivered meanwhile: a delivery and a batch wait for each other.
            if !tx.hold_undelivered(action_id).await? {
                return Ok(Written::Delivered);
            }
            let (name, id) = match &change {
                Change::Record(batch) => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO paper_batches (action_id, signatures, collected_on, place, kept_at, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(action_id)
                    .bind(batch.signatures)
                    .bind(batch.collected_on)
                    .bind(batch.place.as_str())
                    .bind(batch.kept_at.as_str())
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    ("paper_batch.record", id)
                }
                Change::Correct(id, _) => ("paper_batch.correct", *id),
                Change::Remove(id) => ("paper_batch.remove", *id),
            };
            let before = match &change {
                Change::Record(_) => None,
                _ => {
                    let Some(before) = tx.paper_batch(action_id, id).await? else {
                        return Ok(Written::NoSuchBatch);
                    };
                    Some(before)
                }
            };
            match &change {
                Change::Correct(id, batch) => {
                    sqlx::query(
                        "UPDATE paper_batches SET signatures = $2, collected_on = $3, place = $4, kept_at = $5
                          WHERE id = $1",
                    )
                    .bind(id)
                    .bind(batch.signatures)
                    .bind(batch.collected_on)
                    .bind(batch.place.as_str())
                    .bind(batch.kept_at.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                Change::Remove(id) => {
                    sqlx::query("DELETE FROM paper_batches WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                Change::Record(_) => {}
            }
            let after = tx.paper_batch(action_id, id).await?;
            let entry = AuditEntry::new(actor, name, "support_action", action_id)
                .before(&before)
                .after(&after);
            tx.record_audit(&entry).await?;
            tx.check_threshold(action_id, base_url, now).await?;
            tx.commit().await?;
            Ok(Written::Done)
        })
    }

    #[derive(sqlx::FromRow)]
    struct BatchRow {
        id: i64,
        signatures: i64,
        collected_on: NaiveDate,
        place: String,
        kept_at: String,
    }

    impl From<BatchRow> for PaperBatchRecord {
        fn from(row: BatchRow) -> Self {
            PaperBatchRecord {
                id: row.id,
                signatures: row.signatures,
                collected_on: row.collected_on.to_string(),
                place: row.place,
                kept_at: row.kept_at,
            }
        }
    }

    pub trait PaperStore {
        /// Batch `id` of action `action_id`, if it is one of its.
        fn paper_batch(
            &mut self,
            action_id: i64,
            id: i64,
        ) -> impl std::future::Future<Output = Result<Option<PaperBatchRecord>, sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl PaperStore {
            async fn paper_batch(&mut self, action_id: i64, id: i64) -> Result<Option<PaperBatchRecord>, sqlx::Error> {
                let row: Option<BatchRow> = sqlx::query_as(
                    "SELECT id, signatures, collected_on, place, kept_at FROM paper_batches
                      WHERE id = $1 AND action_id = $2",
                )
                .bind(id)
                .bind(action_id)
                .fetch_optional(&mut *self)
                .await?;
                Ok(row.map(Into::into))
            }
        }
    }

    /// The batches of action `action_id`, latest collected first.
    pub async fn batches(db: &Db, action_id: i64) -> Result<Vec<PaperBatchRecord>, sqlx::Error> {
        let rows: Vec<BatchRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT id, signatures, collected_on, place, kept_at FROM paper_batches
              WHERE action_id = $1 ORDER BY collected_on DESC, id DESC"
        )
        .bind(action_id)
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn today() -> NaiveDate {
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
        }

        fn form() -> PaperBatchForm {
            PaperBatchForm {
                action: "free-vahid".into(),
                signatures: "120".into(),
                collected_on: "2026-11-28".into(),
                place: "Marché de Noël, Grand-Place".into(),
                kept_at: "Hôtel de Ville, bureau 2.14, classeur A".into(),
                ..PaperBatchForm::default()
            }
        }

        #[test]
        fn a_batch_is_a_count_a_day_a_place_and_where_the_sheets_are() {
            let mut problems = Problems::default();
            let batch = parse_batch(&mut problems, &form(), today()).unwrap();
            assert_eq!(batch.signatures, 120);
            assert_eq!(batch.place.as_str(), "Marché de Noël, Grand-Place");
        }

        #[test]
        fn every_problem_is_told_at_once() {
            for count in ["0", "-3", "12.5", "many", "1000001", ""] {
                let bad = PaperBatchForm {
                    signatures: count.into(),
                    collected_on: "2026-12-05".into(),
                    place: "".into(),
                    kept_at: "x".repeat(201),
                    ..form()
                };
                let mut problems = Problems::default();
                assert!(parse_batch(&mut problems, &bad, today()).is_none());
                assert_eq!(
                    problems.0["signatures"], "form.invalid_paper_count",
                    "{count}"
                );
                assert_eq!(problems.0["collected_on"], "form.collected_in_future");
                assert_eq!(problems.0["place"], "form.required");
                assert_eq!(problems.0["kept_at"], "form.invalid_line");
            }
        }
    }
}
