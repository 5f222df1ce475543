//! Consent and risk on record for each person (issue 29): who agreed to what
//! being published (the person, their family, Amnesty's section, or public
//! sources only), when, with a note; the risk as staff assess it; and the
//! day to look again. Staff only, audited. Written by a council member of a
//! municipality that holds the case.
//!
//! What a public person shows must be covered: their name (being public at
//! all), their story (the summary), where they are (the country). A person
//! edit that would publish more than consent covers is refused next to the
//! field; a consent recorded anew that covers less than the page shows
//! makes the person private at once, and says so (when in doubt, hide).
//! When a review falls due, the council members of the municipalities
//! holding the case are mailed once, and the staff lists show it.
use crate::domain::{ConsentGiver, Coverage, PartialDate, RiskLevel};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const CONSENT_FORM: &str = "consent";

/// The consent on record, as the person's staff page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentView {
    pub given_by: ConsentGiver,
    /// A full date.
    pub given_on: PartialDate,
    pub coverage: Coverage,
    pub note: Option<String>,
    pub risk: RiskLevel,
    /// A full date.
    pub review_on: PartialDate,
    /// The review date has come.
    pub review_due: bool,
}

/// Where a person's consent review stands, as the staff lists show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Review {
    /// No consent on record: nothing about the person should be public.
    Missing,
    Due,
    Ahead,
}

impl Review {
    /// Whether it asks for staff's attention.
    pub fn is_task(self) -> bool {
        self != Review::Ahead
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Review::Missing => "consent.missing",
            Review::Due => "consent.review_due",
            Review::Ahead => "consent.on_record",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsentForm {
    pub lang: String,
    pub person: String,
    pub given_by: String,
    pub given_on: String,
    /// The ticked boxes: `name`, `portrait`, `story`, `location`.
    pub covers: Vec<String>,
    pub note: String,
    pub risk: String,
    pub review_on: String,
}

#[server(prefix = "/api/staff", endpoint = "save-consent")]
pub async fn save_consent(#[server(flatten)] form: ConsentForm) -> Result<(), AppError> {
    use crate::domain::Permission;
    let user = crate::backoffice::session::on_server::require(Permission::RecordConsent).await?;
    on_server::save(&user, form).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{done, full_date, past_full_date, refuse};
    use crate::backoffice::forms::Problems;
    use crate::backoffice::StaffUser;
    use crate::cases::adoptions::on_server::MAX_NOTE_CHARS;
    use crate::domain::Covered;
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::records::owners::{case_to_change, AnsweringFor};
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};
    use crate::server::outbox::{Enqueue, NewMail};
    use chrono::NaiveDate;

    /// The next review is at most about five years ahead: a risk is looked
    /// at again within a council's term.
    pub const MAX_REVIEW_DAYS: u64 = 5 * 366;

    /// A consent as its form gives it, checked.
    #[derive(Debug)]
    pub struct ConsentInput {
        pub given_by: ConsentGiver,
        pub given_on: NaiveDate,
        pub coverage: Coverage,
        pub note: Option<String>,
        pub risk: RiskLevel,
        pub review_on: NaiveDate,
    }

    /// `None` when a field has a problem, which is then in `problems`.
    /// Consent was given (not after `today`); the next review is a day to
    /// come, so that recording one is the review itself.
    pub fn parse_consent(
        problems: &mut Problems,
        form: &ConsentForm,
        today: NaiveDate,
    ) -> Option<ConsentInput> {
        let choice = |problems: &mut Problems, field: &str, input: &str| {
            if input.trim().is_empty() {
                problems.add(field, "form.required");
                return None;
            }
            Some(input.trim().to_owned())
        };
        let given_by = choice(problems, "given_by", &form.given_by).and_then(|slug| {
            problems.check(
                "given_by",
                ConsentGiver::parse(&slug),
                "form.invalid_choice",
            )
        });
        let given_on = past_full_date(
            problems,
            "given_on",
            &form.given_on,
            today,
            "form.consent_in_future",
        );
        let coverage = problems.check(
            "covers",
            Coverage::from_slugs(&form.covers).ok_or(()),
            "form.invalid_choice",
        );
        let note = form.note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            problems.add("note", "form.too_long");
        }
        let risk = choice(problems, "risk", &form.risk).and_then(|slug| {
            problems.check("risk", RiskLevel::parse(&slug), "form.invalid_choice")
        });
        let review_on = if form.review_on.trim().is_empty() {
            problems.add("review_on", "form.required");
            None
        } else {
            full_date(problems, "review_on", &form.review_on)
        };
        let review_on = review_on.filter(|day| {
            if *day <= today {
                problems.add("review_on", "form.review_not_ahead");
                return false;
            }
            if *day > today + chrono::Days::new(MAX_REVIEW_DAYS) {
                problems.add("review_on", "form.review_too_far");
                return false;
            }
            true
        });
        let note = (!note.is_empty()).then(|| note.to_owned());
        let parsed = ConsentInput {
            given_by: given_by?,
            given_on: given_on?,
            coverage: coverage?,
            note,
            risk: risk?,
            review_on: review_on?,
        };
        problems.is_empty().then_some(parsed)
    }

    /// The person `slug`, if `user` records their consent: a council member
    /// the cases their municipality holds, an administrator those no
    /// municipality holds (a review falling due is mailed to them then).
    pub async fn person_to_review(db: &Db, user: &StaffUser, slug: &str) -> Result<i64, AppError> {
        if user.role != crate::domain::Role::Admin {
            return Ok(case_to_change(db, user.acting(), slug).await?.person_id);
        }
        let row: Option<(i64, i64)> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT p.id, (SELECT COUNT(*) FROM adoptions a WHERE a.person_id = p.id AND ",
            crate::adoption_lasts!("a"),
            ") FROM persons p WHERE p.slug = $1"
        ))
        .bind(slug)
        .fetch_optional(pool)
        .await)?;
        match row {
            None => Err(AppError::not_found("person")),
            Some((id, 0)) => Ok(id),
            Some(_) => Err(AppError::forbidden(
                "the council of the municipality holding the case records its consent",
            )),
        }
    }

    /// Records this council's (or administrator's) consent for the person,
    /// or refuses the form.
    #[tracing::instrument(skip_all, fields(actor = user.id, person = %form.person.trim()))]
    pub async fn save(user: &StaffUser, form: ConsentForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let person_id = person_to_review(&db, user, form.person.trim()).await?;
        let mut problems = Problems::default();
        let today = crate::server::clock::today_date();
        let Some(input) = parse_consent(&mut problems, &form, today) else {
            return refuse(CONSENT_FORM, &form, problems).await;
        };
        let now = crate::server::clock::now();
        let hidden = on_pool!(&db, |pool| {
            let mut tx = pool.begin_write().await?;
            let hidden = tx
                .record_consent(user.actor(), person_id, &input, now)
                .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(hidden)
        })?;
        let notice = if hidden {
            "staff.consent_hid_person"
        } else {
            "staff.saved"
        };
        let page = locale.path(&format!("/staff/persons/{}", form.person.trim()), false);
        done(CONSENT_FORM, notice, &page).await
    }

    /// A consent as the audit log records it.
    #[derive(Debug, Serialize, sqlx::FromRow)]
    pub struct ConsentRecord {
        given_by: String,
        given_on: NaiveDate,
        covers_name: bool,
        covers_portrait: bool,
        covers_story: bool,
        covers_location: bool,
        note: Option<String>,
        risk: String,
        review_on: NaiveDate,
    }

    impl ConsentRecord {
        pub fn coverage(&self) -> Coverage {
            Coverage {
                name: self.covers_name,
                portrait: self.covers_portrait,
                story: self.covers_story,
                location: self.covers_location,
            }
        }

        fn view(&self, today: NaiveDate) -> Result<ConsentView, sqlx::Error> {
            let choice = |e: String| crate::server::db::decode(format!("stored consent: {e}"));
            Ok(ConsentView {
                given_by: ConsentGiver::parse(&self.given_by).map_err(|e| choice(e.to_string()))?,
                given_on: crate::server::clock::date(self.given_on),
                coverage: self.coverage(),
                note: self.note.clone(),
                risk: RiskLevel::parse(&self.risk).map_err(|e| choice(e.to_string()))?,
                review_on: crate::server::clock::date(self.review_on),
                review_due: self.review_on <= today,
            })
        }
    }

    /// The consent on record for a person, as the staff page shows it.
    pub async fn consent_of(db: &Db, person_id: i64) -> Result<Option<ConsentView>, sqlx::Error> {
        let record = on_pool!(db, |pool| pool
            .acquire()
            .await?
            .consent_record(person_id)
            .await)?;
        let today = crate::server::clock::today_date();
        record.map(|r| r.view(today)).transpose()
    }

    /// Where each person's review stands, by person id.
    pub async fn reviews(db: &Db) -> Result<Vec<(i64, Review)>, sqlx::Error> {
        let rows: Vec<(i64, Option<NaiveDate>)> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT p.id, c.review_on FROM persons p LEFT JOIN person_consents c ON c.person_id = p.id"
        )
        .fetch_all(pool)
        .await
        })?;
        let today = crate::server::clock::today_date();
        Ok(rows
            .into_iter()
            .map(|(id, review_on)| {
                let review = match review_on {
                    None => Review::Missing,
                    Some(day) if day <= today => Review::Due,
                    Some(_) => Review::Ahead,
                };
                (id, review)
            })
            .collect())
    }

    /// Consents, on a connection inside the caller's transaction.
    pub trait ConsentStore {
        fn consent_record(
            &mut self,
            person_id: i64,
        ) -> impl std::future::Future<Output = Result<Option<ConsentRecord>, sqlx::Error>> + Send;

        /// Writes the person's consent and audits it; when the person is
        /// public and shows more than it covers, makes them private (audited
        /// too). Returns whether it did.
        fn record_consent(
            &mut self,
            actor: Actor,
            person_id: i64,
            consent: &ConsentInput,
            now: i64,
        ) -> impl std::future::Future<Output = Result<bool, sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl ConsentStore {
            async fn consent_record(&mut self, person_id: i64) -> Result<Option<ConsentRecord>, sqlx::Error> {
                sqlx::query_as::<_, ConsentRecord>(
                    "SELECT given_by, given_on, covers_name, covers_portrait, covers_story, covers_location, note,
                            risk, review_on
                       FROM person_consents WHERE person_id = $1",
                )
                .bind(person_id)
                .fetch_optional(&mut *self)
                .await
            }

            async fn record_consent(
                &mut self,
                actor: Actor,
                person_id: i64,
                consent: &ConsentInput,
                now: i64,
            ) -> Result<bool, sqlx::Error> {
                // The person's row first: a person save at the same moment
                // then either sees this consent or is seen by it.
                sqlx::query("UPDATE persons SET is_public = is_public WHERE id = $1")
                    .bind(person_id)
                    .execute(&mut *self)
                    .await?;
                let before = self.consent_record(person_id).await?;
                sqlx::query(
                    "INSERT INTO person_consents (person_id, given_by, given_on, covers_name, covers_portrait,
                                                  covers_story, covers_location, note, risk, review_on,
                                                  reminded_for, recorded_by, recorded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12)
                     ON CONFLICT (person_id) DO UPDATE SET
                         given_by = excluded.given_by, given_on = excluded.given_on,
                         covers_name = excluded.covers_name, covers_portrait = excluded.covers_portrait,
                         covers_story = excluded.covers_story, covers_location = excluded.covers_location,
                         note = excluded.note, risk = excluded.risk, review_on = excluded.review_on,
                         reminded_for = NULL, recorded_by = excluded.recorded_by,
                         recorded_at = excluded.recorded_at",
                )
                .bind(person_id)
                .bind(consent.given_by.slug())
                .bind(consent.given_on)
                .bind(consent.coverage.name)
                .bind(consent.coverage.portrait)
                .bind(consent.coverage.story)
                .bind(consent.coverage.location)
                .bind(consent.note.as_deref())
                .bind(consent.risk.slug())
                .bind(consent.review_on)
                .bind(actor.user_id())
                .bind(now)
                .execute(&mut *self)
                .await?;
                let after = self.consent_record(person_id).await?;
                let action = if before.is_some() { "consent.update" } else { "consent.create" };
                let entry = AuditEntry::new(actor, action, "consent", person_id)
                    .before_if(before.as_ref())
                    .after(&after);
                self.record_audit(&entry).await?;
                let shown: Option<(bool, bool, bool, bool)> = sqlx::query_as(
                    "SELECT is_public, summary IS NOT NULL AND NOT summary_internal,
                            country_code IS NOT NULL AND NOT country_internal,
                            EXISTS (SELECT 1 FROM portraits WHERE person_id = persons.id)
                       FROM persons WHERE id = $1",
                )
                .bind(person_id)
                .fetch_optional(&mut *self)
                .await?;
                let Some((is_public, story, location, portrait)) = shown else {
                    return Ok(false);
                };
                let shown = Covered::shown(
                    is_public,
                    &[
                        (Covered::Story, story),
                        (Covered::Location, location),
                        (Covered::Portrait, portrait),
                    ],
                );
                if Coverage::lacking(Some(&consent.coverage), &shown).is_empty() {
                    return Ok(false);
                }
                sqlx::query("UPDATE persons SET is_public = FALSE WHERE id = $1")
                    .bind(person_id)
                    .execute(&mut *self)
                    .await?;
                let entry = AuditEntry::new(actor, "person.update", "person", person_id)
                    .before(&serde_json::json!({ "is_public": true }))
                    .after(&serde_json::json!({ "is_public": false, "why": "consent.update" }));
                self.record_audit(&entry).await?;
                Ok(true)
            }
        }
    }

    /// Mails the council members of the municipalities holding each case
    /// whose review has come (the administrators, when none holds it), once
    /// per review date; an instance that finds one claimed by another skips
    /// it. The mail names nobody, not even in a link (a person's address is
    /// their name): it leads to the staff list, behind the login, where the
    /// review shows as due. Returns how many reviews were announced.
    pub async fn remind_due_reviews(
        db: &Db,
        base_url: &str,
        today: NaiveDate,
        now: i64,
    ) -> Result<usize, sqlx::Error> {
        let due: Vec<i64> = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT person_id FROM person_consents
              WHERE review_on <= $1 AND (reminded_for IS NULL OR reminded_for <> review_on)
              ORDER BY review_on, person_id"
        )
        .bind(today)
        .fetch_all(pool)
        .await)?;
        let mut announced = 0;
        for person_id in due {
            let sent = on_pool!(db, |pool| {
                let mut tx = pool.begin_write().await?;
                let sent = tx.remind_review(person_id, base_url, today, now).await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(sent)
            });
            // One review that cannot be announced does not hold up the others.
            match sent {
                Ok(sent) => announced += usize::from(sent),
                Err(error) => {
                    tracing::error!(%error, person_id, "cannot announce a consent review")
                }
            }
        }
        Ok(announced)
    }

    trait RemindReview {
        fn remind_review(
            &mut self,
            person_id: i64,
            base_url: &str,
            today: NaiveDate,
            now: i64,
        ) -> impl std::future::Future<Output = Result<bool, sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl RemindReview {
            async fn remind_review(
                &mut self,
                person_id: i64,
                base_url: &str,
                today: NaiveDate,
                now: i64,
            ) -> Result<bool, sqlx::Error> {
                let claimed = sqlx::query(
                    "UPDATE person_consents SET reminded_for = review_on
                      WHERE person_id = $1 AND review_on <= $2
                        AND (reminded_for IS NULL OR reminded_for <> review_on)",
                )
                .bind(person_id)
                .bind(today)
                .execute(&mut *self)
                .await?;
                if claimed.rows_affected() == 0 {
                    return Ok(false);
                }
                let language: String =
                    sqlx::query_scalar("SELECT original_language FROM persons WHERE id = $1")
                        .bind(person_id)
                        .fetch_one(&mut *self)
                        .await?;
                let holders: Vec<i64> = sqlx::query_scalar(concat!(
                    "SELECT a.municipality_id FROM adoptions a WHERE a.person_id = $1 AND ",
                    crate::adoption_lasts!("a"),
                    " ORDER BY a.municipality_id"
                ))
                .bind(person_id)
                .fetch_all(&mut *self)
                .await?;
                let mut recipients = Vec::new();
                if holders.is_empty() {
                    recipients = self.answering_for(None).await?;
                }
                for municipality in holders {
                    for address in self.answering_for(Some(municipality)).await? {
                        if !recipients.contains(&address) {
                            recipients.push(address);
                        }
                    }
                }
                let locale = Locale::from_code(&language).unwrap_or_default();
                let url = format!(
                    "{}{}",
                    base_url.trim_end_matches('/'),
                    locale.path("/staff/persons", false)
                );
                let subject = locale.t("mail.review_subject");
                let body = locale.t("mail.review_body").replace("%{url}", &url);
                self.enqueue_all(&NewMail::to_each(&recipients, &subject, &body), now)
                    .await?;
                Ok(true)
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn form() -> ConsentForm {
            ConsentForm {
                given_by: "family".into(),
                given_on: "2026-11-30".into(),
                covers: vec!["name".into(), "story".into()],
                risk: "high".into(),
                review_on: "2027-03-01".into(),
                ..Default::default()
            }
        }

        #[test]
        fn consent_was_given_and_its_review_is_ahead() {
            let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
            let mut problems = Problems::default();
            let consent = parse_consent(&mut problems, &form(), today).unwrap();
            assert_eq!(consent.given_by, ConsentGiver::Family);
            assert!(consent.coverage.name && consent.coverage.story && !consent.coverage.portrait);
            for (change, field, problem) in [
                (
                    ("given_on", "2026-12-08"),
                    "given_on",
                    "form.consent_in_future",
                ),
                (
                    ("review_on", "2026-12-07"),
                    "review_on",
                    "form.review_not_ahead",
                ),
                (("review_on", ""), "review_on", "form.required"),
                (
                    ("review_on", "2036-12-07"),
                    "review_on",
                    "form.review_too_far",
                ),
                (("given_by", "neighbour"), "given_by", "form.invalid_choice"),
                (("risk", ""), "risk", "form.required"),
                (("covers", "address"), "covers", "form.invalid_choice"),
            ] {
                let mut form = form();
                match change.0 {
                    "given_on" => form.given_on = change.1.into(),
                    "review_on" => form.review_on = change.1.into(),
                    "given_by" => form.given_by = change.1.into(),
                    "risk" => form.risk = change.1.into(),
                    _ => form.covers.push(change.1.into()),
                }
                let mut problems = Problems::default();
                assert!(
                    parse_consent(&mut problems, &form, today).is_none(),
                    "{change:?}"
                );
                assert_eq!(problems.0[field], problem, "{change:?}");
            }
        }
    }
}
