//! A municipality's adoption of a person: the council's decision date and
//! reference, and a note. A council member records or edits only their own
//! municipality's adoption (the municipality comes from the session).
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const ADOPTION_FORM: &str = "adoption";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdoptionForm {
    pub lang: String,
    pub person: String,
    pub adopted_on: String,
    pub decision_reference: String,
    pub note: String,
}

#[server(prefix = "/api/staff", endpoint = "save-adoption")]
pub async fn save_adoption(#[server(flatten)] form: AdoptionForm) -> Result<(), AppError> {
    use crate::domain::Permission;
    let user = super::session::on_server::require(Permission::ManageCases).await?;
    on_server::save_adoption(&user, form).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::domain::{Line, PartialDate};
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::BeginWrite;
    use crate::staff::cases::on_server::case_of_person;
    use crate::staff::forms::on_server::{date, done, optional_line, refuse};
    use crate::staff::forms::Problems;
    use crate::staff::StaffUser;

    /// Notes longer than this are refused: a note, not a report.
    pub const MAX_NOTE_CHARS: usize = 2_000;

    /// A parsed adoption.
    #[derive(Debug)]
    pub struct Adoption {
        pub adopted_on: PartialDate,
        pub decision_reference: Option<Line>,
        /// Plain text.
        pub note: Option<String>,
    }

    pub fn parse_adoption(
        problems: &mut Problems,
        adopted_on: &str,
        reference: &str,
        note: &str,
    ) -> Option<Adoption> {
        let adopted_on = date(problems, "adopted_on", adopted_on);
        let decision_reference = optional_line(problems, "decision_reference", reference);
        let note = note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            problems.add("note", "form.too_long");
        }
        Some(Adoption {
            adopted_on: adopted_on?,
            decision_reference: decision_reference?,
            note: (!note.is_empty()).then(|| note.to_owned()),
        })
    }

    /// Records or edits this council member's municipality's adoption of a person.
    #[tracing::instrument(skip_all, fields(actor = user.id, person = %form.person.trim()))]
    pub async fn save_adoption(user: &StaffUser, form: AdoptionForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let case = case_of_person(&db, user, &form.person)
            .await?
            .ok_or_else(|| AppError::not_found("person"))?;
        let mut problems = Problems::default();
        let adoption = parse_adoption(
            &mut problems,
            &form.adopted_on,
            &form.decision_reference,
            &form.note,
        );
        let Some(adoption) = adoption.filter(|_| problems.is_empty()) else {
            return refuse(ADOPTION_FORM, &form, problems).await;
        };
        on_pool!(&db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.record_adoption(
                user.actor(),
                case.person_id,
                case.municipality_id,
                &adoption,
            )
            .await?;
            tx.commit().await
        })?;
        let page = locale.path(&format!("/staff/persons/{}", form.person), false);
        done(ADOPTION_FORM, "staff.saved", &page).await
    }

    /// An adoption as the audit log records it.
    #[derive(Debug, Serialize, sqlx::FromRow)]
    pub struct AdoptionRecord {
        person: String,
        municipality: String,
        adopted_year: i32,
        adopted_month: Option<i32>,
        adopted_day: Option<i32>,
        decision_reference: Option<String>,
        note: Option<String>,
    }

    /// Adoptions, on a connection inside the caller's transaction.
    pub trait AdoptionStore {
        /// Writes (or rewrites) a municipality's adoption of a person and audits it.
        fn record_adoption(
            &mut self,
            actor: Actor,
            person_id: i64,
            municipality_id: i64,
            adoption: &Adoption,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

        fn adoption_record(
            &mut self,
            person_id: i64,
            municipality_id: i64,
        ) -> impl std::future::Future<Output = Result<Option<AdoptionRecord>, sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl AdoptionStore {
            async fn record_adoption(
                &mut self,
                actor: Actor,
                person_id: i64,
                municipality_id: i64,
                adoption: &Adoption,
            ) -> Result<(), sqlx::Error> {
                let before = self.adoption_record(person_id, municipality_id).await?;
                sqlx::query(
                    "INSERT INTO adoptions (person_id, municipality_id, adopted_year, adopted_month, adopted_day,
                                            decision_reference, note)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (person_id, municipality_id) DO UPDATE SET
                         adopted_year = excluded.adopted_year, adopted_month = excluded.adopted_month,
                         adopted_day = excluded.adopted_day, decision_reference = excluded.decision_reference,
                         note = excluded.note",
                )
                .bind(person_id)
                .bind(municipality_id)
                .bind(adoption.adopted_on.year_part())
                .bind(adoption.adopted_on.month_part().map(i32::from))
                .bind(adoption.adopted_on.day_part().map(i32::from))
                .bind(adoption.decision_reference.as_ref().map(Line::as_str))
                .bind(adoption.note.as_deref())
                .execute(&mut *self)
                .await?;
                let after = self.adoption_record(person_id, municipality_id).await?;
                let action = if before.is_some() { "adoption.update" } else { "adoption.create" };
                let entry = AuditEntry::new(actor, action, "adoption", format!("{person_id}:{municipality_id}"))
                    .before_if(before.as_ref())
                    .after(&after);
                self.record_audit(&entry).await
            }

            async fn adoption_record(
                &mut self,
                person_id: i64,
                municipality_id: i64,
            ) -> Result<Option<AdoptionRecord>, sqlx::Error> {
                sqlx::query_as::<_, AdoptionRecord>(
                    "SELECT p.slug AS person, m.slug AS municipality, a.adopted_year, a.adopted_month,
                            a.adopted_day, a.decision_reference, a.note
                       FROM adoptions a JOIN persons p ON p.id = a.person_id
                       JOIN municipalities m ON m.id = a.municipality_id
                      WHERE a.person_id = $1 AND a.municipality_id = $2",
                )
                .bind(person_id)
                .bind(municipality_id)
                .fetch_optional(&mut *self)
                .await
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn an_adoption_needs_a_date_and_keeps_a_short_note() {
            let mut problems = Problems::default();
            let adoption =
                parse_adoption(&mut problems, "2022-12-05", " CC 2022/1 ", " Unanimous ").unwrap();
            assert_eq!(adoption.decision_reference.unwrap().as_str(), "CC 2022/1");
            assert_eq!(adoption.note.as_deref(), Some("Unanimous"));
            assert!(problems.is_empty());
            let long = "x".repeat(MAX_NOTE_CHARS + 1);
            assert!(parse_adoption(&mut problems, "", "", &long).is_none());
            assert_eq!(problems.0["adopted_on"], "form.required");
            assert_eq!(problems.0["note"], "form.too_long");
        }
    }
}
