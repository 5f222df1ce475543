//! Recording that a support action's signatures were delivered: when, to
//! whom, how, with an optional public note, a link to a proof and the day
//! an answer is expected by. Recording closes the action
//! (`Availability::Delivered`: it takes no more signatures and cannot be
//! reopened), takes the counts handed over and puts the delivery on the
//! person's timeline; a correction rewrites what was recorded but keeps the
//! counts. Both are audited. Recorded by the action's municipality's
//! council or an administrator (`RecordOutcomes`); a delivery of no
//! signatures asks for a tick first. Only an administrator undoes one
//! recorded by mistake, within `UNDO_DAYS` and before any response.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const DELIVERY_FORM: &str = "delivery";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliveryForm {
    pub lang: String,
    /// The action's slug.
    pub action: String,
    pub delivered_on: String,
    pub recipient: String,
    pub method: String,
    /// The language the recipient and the note are written in.
    pub language: String,
    pub note_html: String,
    pub proof_url: String,
    /// Optional: the day after which no answer is news.
    pub answer_by: String,
    /// Ticked when staff confirm a delivery of no signatures at all (asked
    /// only then: such a delivery is more often a slip than a fact).
    pub confirm_empty: String,
}

/// A delivery as the staff page shows it and the audit log records it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub delivered_on: String,
    pub recipient: String,
    /// A `DeliveryMethod` slug.
    pub method: String,
    /// A language code.
    pub language: String,
    pub note_html: Option<String>,
    pub proof_url: Option<String>,
    pub answer_by: Option<String>,
    /// Confirmed online signatures handed over.
    pub signatures: i64,
    /// Paper signatures handed over.
    pub paper_signatures: i64,
}

impl DeliveryRecord {
    /// The record as its form shows it for a correction.
    pub fn form_values(&self) -> DeliveryForm {
        DeliveryForm {
            delivered_on: self.delivered_on.clone(),
            recipient: self.recipient.clone(),
            method: self.method.clone(),
            language: self.language.clone(),
            note_html: self.note_html.clone().unwrap_or_default(),
            proof_url: self.proof_url.clone().unwrap_or_default(),
            answer_by: self.answer_by.clone().unwrap_or_default(),
            ..DeliveryForm::default()
        }
    }
}

/// How long after it was recorded an administrator may undo a delivery.
pub const UNDO_DAYS: i64 = 7;

/// An administrator undoes a delivery recorded by mistake.
#[server(prefix = "/api/staff", endpoint = "undo-delivery")]
pub async fn undo_delivery(lang: String, action: String) -> Result<(), AppError> {
    let user =
        crate::backoffice::session::on_server::require(crate::domain::Permission::UndoDeliveries)
            .await?;
    on_server::undo_from_form(&user, &lang, &action).await
}

/// Records (or corrects) the delivery of an action's signatures.
#[server(prefix = "/api/staff", endpoint = "record-delivery")]
pub async fn record_delivery(#[server(flatten)] form: DeliveryForm) -> Result<(), AppError> {
    let user =
        crate::backoffice::session::on_server::require(crate::domain::Permission::RecordOutcomes)
            .await?;
    on_server::record(&user, form).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{
        full_date, optional_web_address, past_full_date, refuse, required_line, rich_or_none,
    };
    use crate::backoffice::forms::Problems;
    use crate::backoffice::StaffUser;
    use crate::campaigns::actions::on_server::done_on_action;
    use crate::campaigns::actions::on_server::ActionStore;
    use crate::domain::{DeliveryMethod, Line};
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::records::owners::action_to_run;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::BeginWrite;
    use crate::signing::threshold::LockAction;
    use chrono::NaiveDate;

    /// A delivery as typed, checked.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct DeliveryInput {
        pub delivered_on: NaiveDate,
        pub recipient: Line,
        pub method: DeliveryMethod,
        pub language: Locale,
        /// Sanitized.
        pub note_html: Option<String>,
        pub proof_url: Option<String>,
        pub answer_by: Option<NaiveDate>,
    }

    /// Parses the form. A delivery happened: not after `today`, and not
    /// before the action opened (`opens_on`).
    pub fn parse_delivery(
        problems: &mut Problems,
        form: &DeliveryForm,
        opens_on: NaiveDate,
        today: NaiveDate,
    ) -> Option<DeliveryInput> {
        let delivered_on = past_full_date(
            problems,
            "delivered_on",
            &form.delivered_on,
            today,
            "form.delivered_in_future",
        );
        let delivered_on = delivered_on.filter(|day| {
            let after_opening = *day >= opens_on;
            if !after_opening {
                problems.add("delivered_on", "form.delivered_before_opening");
            }
            after_opening
        });
        let recipient = required_line(problems, "recipient", &form.recipient);
        let method = problems.check(
            "method",
            DeliveryMethod::parse(&form.method),
            "form.invalid_choice",
        );
        let language = problems.check(
            "language",
            Locale::from_code(form.language.trim()).ok_or(()),
            "form.invalid_choice",
        );
        let note_html = rich_or_none(problems, "note_html", &form.note_html);
        // Rendered as a link: only a web address will do.
        let proof_url = optional_web_address(problems, "proof_url", &form.proof_url);
        let answer_by = match form.answer_by.trim() {
            "" => Some(None),
            typed => full_date(problems, "answer_by", typed).map(Some),
        };
        if let (Some(delivered), Some(Some(by))) = (delivered_on, answer_by) {
            if by < delivered {
                problems.add("answer_by", "form.answer_by_before_delivery");
            }
        }
        if !problems.is_empty() {
            return None;
        }
        Some(DeliveryInput {
            answer_by: answer_by?,
            delivered_on: delivered_on?,
            recipient: recipient?,
            method: method?,
            language: language?,
            note_html: note_html?,
            proof_url: proof_url?,
        })
    }

    /// Records the delivery from the staff page.
    #[tracing::instrument(skip_all, fields(actor = user.id, action = %form.action.trim()))]
    pub async fn record(user: &StaffUser, form: DeliveryForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let found = action_to_run(&db, user.acting(), form.action.trim()).await?;
        let opens_on: NaiveDate = on_pool!(&db, |pool| sqlx::query_scalar(
            "SELECT opens_on FROM support_actions WHERE id = $1"
        )
        .bind(found.action_id)
        .fetch_one(pool)
        .await)?;
        let today = crate::server::clock::today_date();
        let mut problems = Problems::default();
        let input = parse_delivery(&mut problems, &form, opens_on, today);
        if form.confirm_empty.is_empty()
            && delivery_record(&db, found.action_id).await?.is_none()
            && signatures_to_deliver(&db, found.action_id).await? == 0
        {
            problems.add("confirm_empty", "form.delivery_empty");
        }
        let Some(input) = input.filter(|_| problems.is_empty()) else {
            return refuse(DELIVERY_FORM, &form, problems).await;
        };
        let base_url = crate::server::context::state()?.public_url;
        let corrected = write(&db, user.actor(), found.action_id, &input, &base_url).await?;
        let notice = if corrected {
            "staff.delivery_corrected"
        } else {
            "staff.delivery_recorded"
        };
        done_on_action(DELIVERY_FORM, notice, locale, &form.action).await
    }

    /// Writes the delivery of action `id` in one transaction, audited: a
    /// first recording takes the counts (online and paper), closes the
    /// action and puts it on the person's timeline; a correction keeps the
    /// counts and moves the timeline's date with its own. Gives whether it
    /// was a correction.
    pub async fn write(
        db: &crate::server::db::Db,
        actor: Actor,
        id: i64,
        input: &DeliveryInput,
        base_url: &str,
    ) -> Result<bool, sqlx::Error> {
        let now = crate::server::clock::now();
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            // The counts below include every confirmation that got in, and
            // none gets in after: they wait for this to commit, then find
            // the action delivered.
            tx.hold_action(id).await?;
            let before = tx.delivery_record(id).await?;
            sqlx::query(concat!(
                "INSERT INTO deliveries (action_id, delivered_on, recipient, method, note_html, language,
                                         proof_url, answer_by, signatures, paper_signatures, recorded_at)
                 SELECT a.id, $2, $3, $4, $5, $6, $7, $9, ",
                crate::confirmed_count!(),
                ", ",
                crate::paper_count!(),
                ", $8 FROM support_actions a WHERE a.id = $1
                 ON CONFLICT (action_id) DO UPDATE SET delivered_on = excluded.delivered_on,
                        recipient = excluded.recipient, method = excluded.method,
                        note_html = excluded.note_html, language = excluded.language,
                        proof_url = excluded.proof_url, answer_by = excluded.answer_by"
            ))
            .bind(id)
            .bind(input.delivered_on)
            .bind(input.recipient.as_str())
            .bind(input.method.slug())
            .bind(input.note_html.as_deref())
            .bind(input.language.code())
            .bind(input.proof_url.as_deref())
            .bind(now)
            .bind(input.answer_by)
            .execute(&mut *tx)
            .await?;
            let after = tx.delivery_record(id).await?;
            let name = match before {
                None => "delivery.record",
                Some(_) => "delivery.correct",
            };
            let entry = AuditEntry::new(actor, name, "support_action", id)
                .before(&before)
                .after(&after);
            tx.record_audit(&entry).await?;
            // Delivered is closed (an administrator's undo aside); its
            // retention clock starts now.
            if before.is_none() {
                tx.set_action_open(actor, id, false).await?;
                tx.announce_delivery(actor, id, input.delivered_on, base_url, now)
                    .await?;
            } else if before.as_ref().map(|b| b.delivered_on.as_str())
                != Some(input.delivered_on.to_string().as_str())
            {
                tx.redate_announcement(actor, id, input.delivered_on, now)
                    .await?;
            }
            tx.commit().await?;
            Ok(before.is_some())
        })
    }

    /// Puts a delivery on the person's timeline.
    pub trait AnnounceDelivery {
        /// Writes the delivery of action `id` as a status event, published:
        /// a dated fact of the case like any other, so that the case page,
        /// the feeds, the API and the signers kept informed (mailed by the
        /// publication) hear of it. Written in every language from the
        /// interface's strings; the details (recipient, method) stay on the
        /// action's page, which the event links as its source, so that
        /// correcting them leaves nothing stale on the timeline.
        fn announce_delivery(
            &mut self,
            actor: Actor,
            id: i64,
            delivered_on: NaiveDate,
            base_url: &str,
            now: i64,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

        /// A corrected delivery day moves its event on the timeline, audited.
        fn redate_announcement(
            &mut self,
            actor: Actor,
            id: i64,
            delivered_on: NaiveDate,
            now: i64,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl AnnounceDelivery {
            async fn redate_announcement(
                &mut self,
                actor: Actor,
                id: i64,
                delivered_on: NaiveDate,
                now: i64,
            ) -> Result<(), sqlx::Error> {
                use crate::records::timeline::Timeline;
                let event: Option<Option<i64>> =
                    sqlx::query_scalar("SELECT status_event_id FROM deliveries WHERE action_id = $1")
                        .bind(id)
                        .fetch_optional(&mut *self)
                        .await?;
                let Some(event) = event.flatten() else { return Ok(()) };
                let before = self.status_event_record(event).await?;
                let day = crate::server::clock::date(delivered_on);
                sqlx::query(
                    "UPDATE status_events SET occurred_year = $2, occurred_month = $3, occurred_day = $4, updated_at = $5
                      WHERE id = $1",
                )
                .bind(event)
                .bind(day.year_part())
                .bind(day.month_part().map(i32::from))
                .bind(day.day_part().map(i32::from))
                .bind(now)
                .execute(&mut *self)
                .await?;
                let after = self.status_event_record(event).await?;
                let entry = AuditEntry::new(actor, "status_event.update", "status_event", event)
                    .before(&before)
                    .after(&after);
                self.record_audit(&entry).await
            }

            async fn announce_delivery(
                &mut self,
                actor: Actor,
                id: i64,
                delivered_on: NaiveDate,
                base_url: &str,
                now: i64,
            ) -> Result<(), sqlx::Error> {
                use crate::domain::Translatable;
                use crate::records::timeline::{NewStatusEvent, Provenance, Timeline};
                use crate::records::translations::{Field, NewTranslation, Translations};
                let Some(action) = self.action_record(id).await? else { return Ok(()) };
                let (person_id, counted): (i64, i64) = sqlx::query_as(
                    "SELECT person_id, signatures + paper_signatures FROM deliveries d
                       JOIN support_actions a ON a.id = d.action_id WHERE d.action_id = $1",
                )
                .bind(id)
                .fetch_one(&mut *self)
                .await?;
                let texts = |locale: Locale| {
                    let title = action.current_text_in("title", locale).unwrap_or(&action.title);
                    (
                        event_title(&locale.t("delivery.event_title"), title),
                        crate::server::sanitize::rich_text(&format!(
                            "<p>{}</p>",
                            crate::text::escape_markup(
                                &locale.t("delivery.event_body").replace("%{count}", &locale.number(counted))
                            )
                        )),
                        locale.t("delivery.event_source"),
                    )
                };
                let (title, body, source_title) = texts(Locale::En);
                let source_url = format!("{}/actions/{}", base_url.trim_end_matches('/'), action.slug);
                let event = NewStatusEvent {
                    person_id,
                    status: None,
                    occurred_on: crate::server::clock::date(delivered_on),
                    title: &title,
                    body_html: Some(&body),
                    source_title: Some(&source_title),
                    source_url: Some(&source_url),
                    provenance: Provenance::Manual,
                    author: actor.user_id(),
                    published: false,
                    original_language: Locale::En,
                };
                let event_id = self.insert_status_event(&event, now).await?;
                // Recorded again after an administrator undid it: the signers
                // were told of the first, and are not mailed again.
                let undone: Option<i64> = sqlx::query_scalar(
                    "UPDATE support_actions SET undone_delivery_event_id = NULL
                      WHERE id = $1 AND undone_delivery_event_id IS NOT NULL
                      RETURNING id",
                )
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
                if undone.is_some() {
                    sqlx::query("UPDATE status_events SET notified_at = $2 WHERE id = $1")
                        .bind(event_id)
                        .bind(now)
                        .execute(&mut *self)
                        .await?;
                }
                for locale in [Locale::Fr, Locale::Nl] {
                    let (title, body, source_title) = texts(locale);
                    for (field, text) in [
                        (Field::StatusEventTitle, &title),
                        (Field::StatusEventBody, &body),
                        (Field::StatusEventSourceTitle, &source_title),
                    ] {
                        let translation = NewTranslation {
                            field,
                            record_id: event_id,
                            language: locale,
                            text,
                            by: actor.user_id(),
                        };
                        self.save_translation(&translation, now).await?;
                    }
                }
                let after = self.status_event_record(event_id).await?;
                let entry = AuditEntry::new(actor, "status_event.create", "status_event", event_id).after(&after);
                self.record_audit(&entry).await?;
                self.set_published(actor, event_id, true, now, base_url).await?;
                sqlx::query("UPDATE deliveries SET status_event_id = $2 WHERE action_id = $1")
                    .bind(id)
                    .bind(event_id)
                    .execute(&mut *self)
                    .await?;
                Ok(())
            }
        }
    }

    /// The event's title from its template and the action's title, cut to
    /// fit one line (`Line`), as the editors of status events require.
    fn event_title(template: &str, title: &str) -> String {
        let full = template.replace("%{title}", title);
        if full.chars().count() <= crate::domain::Line::MAX_CHARS {
            return full;
        }
        let room = crate::domain::Line::MAX_CHARS
            .saturating_sub(template.replace("%{title}", "").chars().count() + 1);
        let cut: String = title.chars().take(room).collect();
        template.replace("%{title}", &format!("{}…", cut.trim_end()))
    }

    /// Why a delivery cannot be undone.
    #[derive(Debug, thiserror::Error)]
    pub enum UndoError {
        #[error("no delivery is recorded for this action")]
        NotDelivered,
        #[error("a delivery can be undone only within {UNDO_DAYS} days of its recording")]
        TooLate,
        #[error("the addressee's response is recorded: a delivery with a response stays")]
        Answered,
        #[error(transparent)]
        Database(#[from] sqlx::Error),
    }

    /// Whether an administrator may undo action `id`'s delivery at `now`.
    pub async fn undoable(
        db: &crate::server::db::Db,
        id: i64,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(db, |pool| {
            sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM deliveries d WHERE d.action_id = $1 AND d.recorded_at > $2
                              AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.action_id = d.action_id))"
        )
        .bind(id)
        .bind(now - UNDO_DAYS * 86_400)
        .fetch_one(pool)
        .await
        })
    }

    /// Undoes the delivery of action `id`, recorded by mistake: the record
    /// goes, its timeline event is withdrawn (unpublished, and remembered so
    /// that a delivery recorded again does not mail the signers twice), and
    /// the action stays closed, for its council to reopen if it should take
    /// signatures again. Audited with what was undone.
    pub async fn undo(
        db: &crate::server::db::Db,
        actor: Actor,
        id: i64,
        base_url: &str,
        now: i64,
    ) -> Result<(), UndoError> {
        use crate::records::timeline::Timeline;
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.hold_action(id).await?;
            let Some(before) = tx.delivery_record(id).await? else {
                return Err(UndoError::NotDelivered);
            };
            let (recorded_at, event, answered): (i64, Option<i64>, bool) = sqlx::query_as(
                "SELECT recorded_at, status_event_id,
                        EXISTS (SELECT 1 FROM responses r WHERE r.action_id = d.action_id)
                   FROM deliveries d WHERE d.action_id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if answered {
                return Err(UndoError::Answered);
            }
            if recorded_at <= now - UNDO_DAYS * 86_400 {
                return Err(UndoError::TooLate);
            }
            sqlx::query("DELETE FROM deliveries WHERE action_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if let Some(event) = event {
                tx.set_published(actor, event, false, now, base_url).await?;
                sqlx::query(
                    "UPDATE support_actions SET undone_delivery_event_id = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(event)
                .execute(&mut *tx)
                .await?;
            }
            let entry =
                AuditEntry::new(actor, "delivery.undo", "support_action", id).before(&before);
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn undo_from_form(user: &StaffUser, lang: &str, slug: &str) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let found = action_to_run(&db, user.acting(), slug.trim()).await?;
        let base_url = crate::server::context::state()?.public_url;
        match undo(
            &db,
            user.actor(),
            found.action_id,
            &base_url,
            crate::server::clock::now(),
        )
        .await
        {
            Ok(()) => {
                tracing::info!(actor = user.id, action = found.action_id, "delivery undone");
                done_on_action(DELIVERY_FORM, "staff.delivery_undone", locale, slug).await
            }
            Err(UndoError::Database(error)) => Err(error.into()),
            Err(refusal) => Err(AppError::Invalid(refusal.to_string())),
        }
    }

    /// The signatures a delivery of action `id` would hand over now,
    /// confirmed online and on paper.
    pub async fn signatures_to_deliver(
        db: &crate::server::db::Db,
        id: i64,
    ) -> Result<i64, sqlx::Error> {
        on_pool!(db, |pool| sqlx::query_scalar(concat!(
            "SELECT ",
            crate::confirmed_count!(),
            " + ",
            crate::paper_count!(),
            " FROM support_actions a WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_one(pool)
        .await)
    }

    /// The delivery of action `id` as recorded, if any.
    pub async fn delivery_record(
        db: &crate::server::db::Db,
        id: i64,
    ) -> Result<Option<DeliveryRecord>, sqlx::Error> {
        on_pool!(db, |pool| pool.acquire().await?.delivery_record(id).await)
    }

    pub trait DeliveryStore {
        fn delivery_record(
            &mut self,
            id: i64,
        ) -> impl std::future::Future<Output = Result<Option<DeliveryRecord>, sqlx::Error>> + Send;
    }

    #[derive(sqlx::FromRow)]
    struct RecordRow {
        delivered_on: NaiveDate,
        recipient: String,
        method: String,
        language: String,
        note_html: Option<String>,
        proof_url: Option<String>,
        answer_by: Option<NaiveDate>,
        signatures: i64,
        paper_signatures: i64,
    }

    crate::impl_for_connections! {
        impl DeliveryStore {
            async fn delivery_record(&mut self, id: i64) -> Result<Option<DeliveryRecord>, sqlx::Error> {
                let row: Option<RecordRow> = sqlx::query_as(
                    "SELECT delivered_on, recipient, method, language, note_html, proof_url, answer_by,
                            signatures, paper_signatures
                       FROM deliveries WHERE action_id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
                Ok(row.map(|row| DeliveryRecord {
                    delivered_on: row.delivered_on.to_string(),
                    recipient: row.recipient,
                    method: row.method,
                    language: row.language,
                    note_html: row.note_html,
                    proof_url: row.proof_url,
                    answer_by: row.answer_by.map(|d| d.to_string()),
                    signatures: row.signatures,
                    paper_signatures: row.paper_signatures,
                }))
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn day(s: &str) -> NaiveDate {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
        }

        fn form() -> DeliveryForm {
            DeliveryForm {
                action: "free-vahid".into(),
                delivered_on: "2026-11-20".into(),
                recipient: "Embassy of the Islamic Republic of Iran".into(),
                method: "embassy".into(),
                language: "en".into(),
                ..DeliveryForm::default()
            }
        }

        #[test]
        fn a_delivery_is_dated_addressed_and_says_how() {
            let mut problems = Problems::default();
            let input =
                parse_delivery(&mut problems, &form(), day("2026-01-01"), day("2026-12-04"))
                    .unwrap();
            assert_eq!(input.method, DeliveryMethod::Embassy);
            assert_eq!(input.note_html, None);
            assert_eq!(input.proof_url, None);
        }

        #[test]
        fn the_timeline_title_fits_one_line() {
            let short = event_title("Signatures delivered: %{title}", "Free Vahid");
            assert_eq!(short, "Signatures delivered: Free Vahid");
            let long = event_title("Handtekeningen overhandigd: %{title}", &"é".repeat(200));
            assert!(crate::domain::Line::parse(&long).is_ok(), "{long}");
            assert!(long.ends_with('…') && long.starts_with("Handtekeningen overhandigd: éé"));
        }

        #[test]
        fn every_problem_is_told_at_once() {
            let bad = DeliveryForm {
                delivered_on: "2026-12-05".into(),
                recipient: " ".into(),
                method: "pigeon".into(),
                language: "de".into(),
                note_html: "<script>x</script>".into(),
                proof_url: "javascript:alert(1)".into(),
                ..form()
            };
            let mut problems = Problems::default();
            assert!(
                parse_delivery(&mut problems, &bad, day("2026-01-01"), day("2026-12-04")).is_none()
            );
            assert_eq!(problems.0["delivered_on"], "form.delivered_in_future");
            assert_eq!(problems.0["recipient"], "form.required");
            assert_eq!(problems.0["method"], "form.invalid_choice");
            assert_eq!(problems.0["language"], "form.invalid_choice");
            assert_eq!(problems.0["note_html"], "form.nothing_left");
            assert_eq!(problems.0["proof_url"], "form.invalid_url");
            let mut problems = Problems::default();
            let early =
                parse_delivery(&mut problems, &form(), day("2026-11-21"), day("2026-12-04"));
            assert!(early.is_none());
            assert_eq!(problems.0["delivered_on"], "form.delivered_before_opening");
        }
    }
}
