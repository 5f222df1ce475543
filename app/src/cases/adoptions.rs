//! A municipality's adoption of a person: the council's decision date and
//! reference, a note, and the date it ended, if it did. A council member
//! records, edits or ends only their own municipality's adoption (the
//! municipality comes from the session). A public person whose case nobody
//! holds is adopted at once; adopting a person another municipality holds,
//! or one that is not public, is a request an administrator approves (the
//! adoption is then written) or refuses. An ended adoption stays on record
//! ("adopted from … to …") and no longer holds the case; taking it up again
//! follows the rule of a new adoption.
use crate::backoffice::forms::FormFlash;
use crate::backoffice::StaffUser;
use crate::domain::PartialDate;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const ADOPTION_FORM: &str = "adoption";

/// Each request on the administrator's page has its own form.
pub fn request_form(id: i64) -> String {
    format!("adoption-request-{id}")
}

/// A request waiting for an administrator's decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptionRequestView {
    pub id: i64,
    pub person_slug: String,
    pub person_name: String,
    pub person_public: bool,
    pub municipality: String,
    /// The municipalities that adopted the person already.
    pub adopted_by: Vec<String>,
    pub requested_by: Option<String>,
    /// "YYYY-MM-DD".
    pub requested_on: String,
    pub adopted_on: PartialDate,
    pub decision_reference: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestsWorkspace {
    pub user: StaffUser,
    pub requests: Vec<AdoptionRequestView>,
    pub flash: Option<FormFlash>,
}

#[server(prefix = "/api/staff", endpoint = "adoption-requests")]
pub async fn adoption_requests() -> Result<RequestsWorkspace, AppError> {
    use crate::domain::Permission;
    let user = crate::backoffice::session::on_server::require(Permission::DecideAdoptions).await?;
    let db = crate::server::context::db()?;
    Ok(RequestsWorkspace {
        user,
        requests: on_server::pending_requests(&db).await?,
        flash: crate::backoffice::forms::on_server::take_form_flash().await,
    })
}

/// `decision` is `approve` or `refuse`.
#[server(prefix = "/api/staff", endpoint = "decide-adoption")]
pub async fn decide_adoption(lang: String, request: i64, decision: String) -> Result<(), AppError> {
    use crate::domain::Permission;
    let user = crate::backoffice::session::on_server::require(Permission::DecideAdoptions).await?;
    on_server::decide(&user, &lang, request, &decision).await
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdoptionForm {
    pub lang: String,
    pub person: String,
    pub adopted_on: String,
    pub decision_reference: String,
    pub note: String,
    /// Empty while the adoption lasts.
    pub ended_on: String,
}

#[server(prefix = "/api/staff", endpoint = "save-adoption")]
pub async fn save_adoption(#[server(flatten)] form: AdoptionForm) -> Result<(), AppError> {
    use crate::domain::Permission;
    let user = crate::backoffice::session::on_server::require(Permission::ManageCases).await?;
    on_server::save_adoption(&user, form).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{date, done, optional_line, refuse};
    use crate::backoffice::forms::Problems;
    use crate::backoffice::StaffUser;
    use crate::domain::{Line, PartialDate};
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::records::owners::case_of_person;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::BeginWrite;

    /// Notes longer than this are refused: a note, not a report.
    pub const MAX_NOTE_CHARS: usize = 2_000;

    /// A parsed adoption.
    #[derive(Debug)]
    pub struct Adoption {
        pub adopted_on: PartialDate,
        pub decision_reference: Option<Line>,
        /// Plain text.
        pub note: Option<String>,
        /// `None` while it lasts.
        pub ended_on: Option<PartialDate>,
    }

    /// A lasting adoption as its form gives it.
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
            ended_on: None,
        })
    }

    /// The end date of an adoption, optional: it happened (not after
    /// `today`), and not before the adoption began.
    pub fn parse_end(
        problems: &mut Problems,
        ended_on: &str,
        adoption: Option<&Adoption>,
        today: PartialDate,
    ) -> Option<Option<PartialDate>> {
        if ended_on.trim().is_empty() {
            return Some(None);
        }
        let end = problems.check(
            "ended_on",
            PartialDate::parse(ended_on),
            "form.invalid_date",
        )?;
        if end.first_day() > today.first_day() {
            problems.add("ended_on", "form.ended_in_future");
            return None;
        }
        if adoption.is_some_and(|a| end.last_day() < a.adopted_on.first_day()) {
            problems.add("ended_on", "form.ended_before_adoption");
            return None;
        }
        Some(Some(end))
    }

    /// Records or edits this council member's municipality's adoption of a
    /// person, or asks for it when the case is another's or not public.
    #[tracing::instrument(skip_all, fields(actor = user.id, person = %form.person.trim()))]
    pub async fn save_adoption(user: &StaffUser, form: AdoptionForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let case = case_of_person(&db, user.acting(), &form.person)
            .await?
            .ok_or_else(|| AppError::not_found("person"))?;
        let mut problems = Problems::default();
        let adoption = parse_adoption(
            &mut problems,
            &form.adopted_on,
            &form.decision_reference,
            &form.note,
        );
        let today = crate::server::clock::today();
        let ended_on = parse_end(&mut problems, &form.ended_on, adoption.as_ref(), today);
        let (Some(mut adoption), Some(ended_on)) = (adoption, ended_on) else {
            return refuse(ADOPTION_FORM, &form, problems).await;
        };
        adoption.ended_on = ended_on;
        let page = locale.path(&format!("/staff/persons/{}", form.person), false);
        // Decided and written in one transaction, the person held: two cities
        // adopting one unadopted case at once would otherwise both see it
        // nobody's and both adopt it (issue 28, N6).
        let saved = on_pool!(&db, |pool| {
            async {
            let mut tx = pool.begin_write().await?;
            tx.hold_adoptions(case.person_id).await?;
            let (public, ours, ours_lasting, others_lasting): (bool, i64, i64, i64) = sqlx::query_as(concat!(
                "SELECT p.is_public,
                        (SELECT COUNT(*) FROM adoptions a WHERE a.person_id = p.id AND a.municipality_id = $2),
                        (SELECT COUNT(*) FROM adoptions a WHERE a.person_id = p.id AND a.municipality_id = $2
                            AND ", crate::adoption_lasts!("a"), "),
                        (SELECT COUNT(*) FROM adoptions a WHERE a.person_id = p.id AND a.municipality_id <> $2
                            AND ", crate::adoption_lasts!("a"), ")
                   FROM persons p WHERE p.id = $1",
            ))
            .bind(case.person_id)
            .bind(case.municipality_id)
            .fetch_one(&mut *tx)
            .await?;
            let outcome = Saving::decide(Held {
                public,
                ours: ours > 0,
                ours_lasting: ours_lasting > 0,
                others_lasting: others_lasting > 0,
            }, adoption.ended_on.is_some());
            if outcome == Saving::AtOnce {
                tx.record_adoption(
                    user.actor(),
                    case.person_id,
                    case.municipality_id,
                    &adoption,
                )
                .await?;
                // A request of this city's still waiting is overtaken: approved
                // later, it would rewrite what the council just decided.
                let overtaken: Vec<i64> = sqlx::query_scalar(
                    "UPDATE adoption_requests SET state = 'withdrawn', decided_by = $3, decided_at = $4
                      WHERE person_id = $1 AND municipality_id = $2 AND state = 'pending' RETURNING id",
                )
                .bind(case.person_id)
                .bind(case.municipality_id)
                .bind(user.id)
                .bind(crate::server::clock::now())
                .fetch_all(&mut *tx)
                .await?;
                for id in overtaken {
                    let entry = AuditEntry::new(user.actor(), "adoption_request.withdraw", "adoption_request", id)
                        .before(&serde_json::json!({ "state": "pending" }))
                        .after(&serde_json::json!({ "state": "withdrawn" }));
                    tx.record_audit(&entry).await?;
                }
                tx.commit().await?;
            }
            Ok::<_, sqlx::Error>(outcome)
        }
        .await
        })?;
        match saved {
            Saving::AtOnce => done(ADOPTION_FORM, "staff.saved", &page).await,
            Saving::Request => {
                request(&db, user, case.person_id, case.municipality_id, &adoption).await?;
                done(ADOPTION_FORM, "staff.adoption_requested", &page).await
            }
            Saving::NothingToEnd => {
                let mut problems = Problems::default();
                problems.add("ended_on", "form.end_without_adoption");
                refuse(ADOPTION_FORM, &form, problems).await
            }
        }
    }

    /// Who holds a person's case, as one council member's save finds it.
    #[derive(Debug, Clone, Copy)]
    pub struct Held {
        pub public: bool,
        /// Their municipality adopted the person, lasting or ended.
        pub ours: bool,
        pub ours_lasting: bool,
        /// Another municipality's adoption lasts.
        pub others_lasting: bool,
    }

    /// What saving a municipality's adoption does.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Saving {
        /// Written now.
        AtOnce,
        /// Asked of an administrator.
        Request,
        /// An end date for an adoption that was never made.
        NothingToEnd,
    }

    impl Saving {
        /// Ours to edit or end while it lasts, and to correct once ended;
        /// anything that makes us hold the case (a first adoption, or one
        /// taken up again) is at once only when the case is public and
        /// nobody else holds it.
        pub fn decide(held: Held, ends: bool) -> Saving {
            if held.ours_lasting || (held.ours && ends) {
                Saving::AtOnce
            } else if ends {
                Saving::NothingToEnd
            } else if held.public && !held.others_lasting {
                Saving::AtOnce
            } else {
                Saving::Request
            }
        }
    }

    /// Asks an administrator to approve this adoption; a request already
    /// pending for the person and municipality is left as it is.
    async fn request(
        db: &crate::server::db::Db,
        user: &StaffUser,
        person_id: i64,
        municipality_id: i64,
        adoption: &Adoption,
    ) -> Result<(), sqlx::Error> {
        let date = adoption.adopted_on;
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO adoption_requests (person_id, municipality_id, requested_by, requested_at, adopted_year,
                                                adopted_month, adopted_day, decision_reference, note)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (person_id, municipality_id) WHERE state = 'pending' DO NOTHING
                 RETURNING id",
            )
            .bind(person_id)
            .bind(municipality_id)
            .bind(user.id)
            .bind(crate::server::clock::now())
            .bind(date.year_part())
            .bind(date.month_part().map(i32::from))
            .bind(date.day_part().map(i32::from))
            .bind(adoption.decision_reference.as_ref().map(Line::as_str))
            .bind(adoption.note.as_deref())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = id {
                let after = serde_json::json!({
                    "person": person_id, "municipality": municipality_id, "adopted_on": date.to_string(),
                    "decision_reference": adoption.decision_reference.as_ref().map(Line::as_str),
                    "note": adoption.note, "state": "pending",
                });
                let entry = AuditEntry::new(
                    user.actor(),
                    "adoption_request.create",
                    "adoption_request",
                    id,
                )
                .after(&after);
                tx.record_audit(&entry).await?;
            }
            tx.commit().await
        })
    }

    #[derive(sqlx::FromRow)]
    struct RequestRow {
        id: i64,
        person_id: i64,
        person_slug: String,
        person_name: String,
        person_public: bool,
        municipality: String,
        requested_by: Option<String>,
        requested_at: i64,
        adopted_year: i32,
        adopted_month: Option<i32>,
        adopted_day: Option<i32>,
        decision_reference: Option<String>,
        note: Option<String>,
    }

    /// Requests waiting for a decision, oldest first.
    pub async fn pending_requests(
        db: &crate::server::db::Db,
    ) -> Result<Vec<AdoptionRequestView>, sqlx::Error> {
        let rows: Vec<RequestRow> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT r.id, p.id AS person_id, p.slug AS person_slug, p.full_name AS person_name,
                    p.is_public AS person_public, m.name AS municipality, u.name AS requested_by,
                    r.requested_at, r.adopted_year, r.adopted_month, r.adopted_day, r.decision_reference, r.note
               FROM adoption_requests r JOIN persons p ON p.id = r.person_id
               JOIN municipalities m ON m.id = r.municipality_id LEFT JOIN users u ON u.id = r.requested_by
              WHERE r.state = 'pending' ORDER BY r.id"
        )
        .fetch_all(pool)
        .await
        })?;
        // Who holds each requested case: one query for all of them.
        let holders: Vec<(i64, String)> = on_pool!(db, |pool| {
            sqlx::query_as(concat!(
            "SELECT a.person_id, m.name FROM adoptions a JOIN municipalities m ON m.id = a.municipality_id
              WHERE a.person_id IN (SELECT person_id FROM adoption_requests WHERE state = 'pending') AND ",
            crate::adoption_lasts!("a"),
            " ORDER BY m.name"
        ))
        .fetch_all(pool)
        .await
        })?;
        let mut requests = Vec::with_capacity(rows.len());
        for row in rows {
            let adopted_by = holders
                .iter()
                .filter(|(person, _)| *person == row.person_id)
                .map(|(_, name)| name.clone())
                .collect();
            requests.push(AdoptionRequestView {
                id: row.id,
                person_slug: row.person_slug,
                person_name: row.person_name,
                person_public: row.person_public,
                municipality: row.municipality,
                adopted_by,
                requested_by: row.requested_by,
                requested_on: chrono::DateTime::from_timestamp(row.requested_at, 0)
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                adopted_on: crate::server::db::stored_date(
                    row.adopted_year,
                    row.adopted_month,
                    row.adopted_day,
                )?,
                decision_reference: row.decision_reference,
                note: row.note,
            });
        }
        Ok(requests)
    }

    /// A request as deciding it needs.
    #[derive(sqlx::FromRow)]
    struct Requested {
        person_id: i64,
        municipality_id: i64,
        adopted_year: i32,
        adopted_month: Option<i32>,
        adopted_day: Option<i32>,
        decision_reference: Option<String>,
        note: Option<String>,
        state: String,
    }

    /// Approves (the adoption is written, audited) or refuses a request.
    #[tracing::instrument(skip(admin, lang), fields(actor = admin.id))]
    pub async fn decide(
        admin: &StaffUser,
        lang: &str,
        id: i64,
        decision: &str,
    ) -> Result<(), AppError> {
        let approve = match decision {
            "approve" => true,
            "refuse" => false,
            _ => return Err(AppError::Invalid("decision=form.invalid_choice".into())),
        };
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let decided = record_decision(&db, admin, id, approve).await?;
        let notice = match decided {
            None => return Err(AppError::not_found("adoption request")),
            Some(false) => "staff.already_decided",
            Some(true) if approve => "staff.request_approved",
            Some(true) => "staff.request_refused",
        };
        done(
            &request_form(id),
            notice,
            &locale.path("/staff/requests", false),
        )
        .await
    }

    /// Writes a decision and its audit entry; the adoption too when approved.
    /// `None`: no such request; `Some(false)`: decided already.
    async fn record_decision(
        db: &crate::server::db::Db,
        admin: &StaffUser,
        id: i64,
        approve: bool,
    ) -> Result<Option<bool>, sqlx::Error> {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let row: Option<Requested> = sqlx::query_as(
                "SELECT person_id, municipality_id, adopted_year, adopted_month, adopted_day, decision_reference,
                        note, state
                   FROM adoption_requests WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(request) = row else {
                return Ok(None);
            };
            if request.state != "pending" {
                return Ok(Some(false));
            }
            let state = if approve { "approved" } else { "refused" };
            sqlx::query("UPDATE adoption_requests SET state = $2, decided_by = $3, decided_at = $4 WHERE id = $1")
                .bind(id)
                .bind(state)
                .bind(admin.id)
                .bind(crate::server::clock::now())
                .execute(&mut *tx)
                .await?;
            if approve {
                let adoption = Adoption {
                    adopted_on: crate::server::db::stored_date(
                        request.adopted_year,
                        request.adopted_month,
                        request.adopted_day,
                    )?,
                    decision_reference: request
                        .decision_reference
                        .as_deref()
                        .and_then(|r| Line::parse(r).ok()),
                    note: request.note,
                    ended_on: None,
                };
                tx.record_adoption(
                    admin.actor(),
                    request.person_id,
                    request.municipality_id,
                    &adoption,
                )
                .await?;
            }
            let action = if approve {
                "adoption_request.approve"
            } else {
                "adoption_request.refuse"
            };
            let entry = AuditEntry::new(admin.actor(), action, "adoption_request", id)
                .before(&serde_json::json!({ "state": "pending" }))
                .after(&serde_json::json!({ "state": state }));
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok(Some(true))
        })
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
        ended_year: Option<i32>,
        ended_month: Option<i32>,
        ended_day: Option<i32>,
    }

    impl AdoptionRecord {
        /// What a change from `before` to `after` is, as the audit log names it.
        fn change(before: Option<&AdoptionRecord>, after: Option<&AdoptionRecord>) -> &'static str {
            let ended = |r: Option<&AdoptionRecord>| r.is_some_and(|r| r.ended_year.is_some());
            match before {
                None => "adoption.create",
                Some(_) if !ended(before) && ended(after) => "adoption.end",
                Some(_) if ended(before) && !ended(after) => "adoption.resume",
                Some(_) => "adoption.update",
            }
        }
    }

    /// Holds a person's adoptions until the transaction ends: who adopted
    /// them is read and written under it. On SQLite a write transaction
    /// holds the one write lock already.
    pub trait HoldAdoptions {
        fn hold_adoptions(
            &mut self,
            person_id: i64,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    }

    impl HoldAdoptions for sqlx::SqliteConnection {
        async fn hold_adoptions(&mut self, _person_id: i64) -> Result<(), sqlx::Error> {
            Ok(())
        }
    }

    /// Advisory locks of this kind are told apart from any other by this key.
    const ADOPTIONS_LOCK: i32 = 0x4c55_0002;

    impl HoldAdoptions for sqlx::PgConnection {
        async fn hold_adoptions(&mut self, person_id: i64) -> Result<(), sqlx::Error> {
            sqlx::query("SELECT pg_advisory_xact_lock($1, CAST($2 AS INTEGER))")
                .bind(ADOPTIONS_LOCK)
                .bind(i32::try_from(person_id).unwrap_or(i32::MAX))
                .execute(&mut *self)
                .await
                .map(|_| ())
        }
    }

    /// Adoptions, on a connection inside the caller's transaction.
    pub trait AdoptionStore {
        /// Writes (or rewrites, ends, takes up again) a municipality's
        /// adoption of a person and audits it.
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
                                            decision_reference, note, ended_year, ended_month, ended_day)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (person_id, municipality_id) DO UPDATE SET
                         adopted_year = excluded.adopted_year, adopted_month = excluded.adopted_month,
                         adopted_day = excluded.adopted_day, decision_reference = excluded.decision_reference,
                         note = excluded.note, ended_year = excluded.ended_year,
                         ended_month = excluded.ended_month, ended_day = excluded.ended_day",
                )
                .bind(person_id)
                .bind(municipality_id)
                .bind(adoption.adopted_on.year_part())
                .bind(adoption.adopted_on.month_part().map(i32::from))
                .bind(adoption.adopted_on.day_part().map(i32::from))
                .bind(adoption.decision_reference.as_ref().map(Line::as_str))
                .bind(adoption.note.as_deref())
                .bind(adoption.ended_on.map(|d| d.year_part()))
                .bind(adoption.ended_on.and_then(|d| d.month_part()).map(i32::from))
                .bind(adoption.ended_on.and_then(|d| d.day_part()).map(i32::from))
                .execute(&mut *self)
                .await?;
                let after = self.adoption_record(person_id, municipality_id).await?;
                let action = AdoptionRecord::change(before.as_ref(), after.as_ref());
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
                            a.adopted_day, a.decision_reference, a.note, a.ended_year, a.ended_month, a.ended_day
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

        #[test]
        fn an_adoption_ends_on_a_past_day_after_it_began() {
            let today = PartialDate::ymd(2026, 12, 7).unwrap();
            let mut problems = Problems::default();
            let adoption = parse_adoption(&mut problems, "2022-12-05", "", "").unwrap();
            let end = |input: &str, problems: &mut Problems| {
                parse_end(problems, input, Some(&adoption), today)
            };
            assert_eq!(end(" ", &mut problems), Some(None));
            assert_eq!(
                end("2026-12", &mut problems),
                Some(Some(PartialDate::year_month(2026, 12).unwrap()))
            );
            // A year that includes the adoption's day is not before it.
            assert_eq!(
                end("2022", &mut problems),
                Some(Some(PartialDate::year(2022).unwrap()))
            );
            assert!(problems.is_empty());
            for (input, problem) in [
                ("2026-12-08", "form.ended_in_future"),
                ("2022-11", "form.ended_before_adoption"),
                ("December", "form.invalid_date"),
            ] {
                let mut problems = Problems::default();
                assert_eq!(end(input, &mut problems), None);
                assert_eq!(problems.0["ended_on"], problem);
            }
        }

        #[test]
        fn only_a_lasting_or_ended_adoption_of_ours_is_written_without_asking() {
            let held = |public, ours, ours_lasting, others_lasting| Held {
                public,
                ours,
                ours_lasting,
                others_lasting,
            };
            // Ours while it lasts: edited or ended, whoever else holds the case.
            assert_eq!(
                Saving::decide(held(false, true, true, true), true),
                Saving::AtOnce
            );
            assert_eq!(
                Saving::decide(held(false, true, true, true), false),
                Saving::AtOnce
            );
            // Ended: corrected at once; taken up again as a new adoption would be.
            assert_eq!(
                Saving::decide(held(false, true, false, true), true),
                Saving::AtOnce
            );
            assert_eq!(
                Saving::decide(held(true, true, false, true), false),
                Saving::Request
            );
            assert_eq!(
                Saving::decide(held(true, true, false, false), false),
                Saving::AtOnce
            );
            assert_eq!(
                Saving::decide(held(false, true, false, false), false),
                Saving::Request
            );
            // Never ours: nothing to end.
            assert_eq!(
                Saving::decide(held(true, false, false, false), true),
                Saving::NothingToEnd
            );
            assert_eq!(
                Saving::decide(held(true, false, false, false), false),
                Saving::AtOnce
            );
            assert_eq!(
                Saving::decide(held(true, false, false, true), false),
                Saving::Request
            );
        }
    }
}
