//! The addressee's response to a delivered action: the day it came, a
//! summary and the full text (sanitized rich text) written per language as
//! other content is, and a link to its source. Recorded or corrected by those
//! who record the delivery (`RecordOutcomes`), audited. Its first recording mails the action's signers
//! who asked to be kept informed, each in their language with the link that
//! stops the news. Without a response, the delivery's `answer_by` says from
//! when silence is the answer.
use crate::backoffice::forms::TextKind;
use crate::domain::{Translatable, Translation};
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const RESPONSE_FORM: &str = "response";

/// The fields of a response written per language.
pub const RESPONSE_FIELDS: [(&str, TextKind); 2] =
    [("summary", TextKind::Line), ("body_html", TextKind::Rich)];

const FIELD_NAMES: [&str; 2] = ["summary", "body_html"];

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseForm {
    pub lang: String,
    /// The action's slug.
    pub action: String,
    pub responded_on: String,
    pub original_language: String,
    pub summary_en: String,
    pub summary_fr: String,
    pub summary_nl: String,
    pub body_html_en: String,
    pub body_html_fr: String,
    pub body_html_nl: String,
    pub checked_en: String,
    pub checked_fr: String,
    pub checked_nl: String,
    pub source_url: String,
}

/// A response as its form shows it and the audit log records it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub responded_on: String,
    pub original_language: Locale,
    pub summary: String,
    pub body_html: Option<String>,
    pub source_url: Option<String>,
    pub translations: Vec<Translation>,
}

impl Translatable for ResponseRecord {
    fn fields(&self) -> &'static [&'static str] {
        &FIELD_NAMES
    }

    fn original_language(&self) -> Locale {
        self.original_language
    }

    fn original(&self, field: &str) -> Option<&str> {
        match field {
            "summary" => Some(&self.summary),
            "body_html" => self.body_html.as_deref(),
            _ => None,
        }
    }

    fn translations(&self) -> &[Translation] {
        &self.translations
    }
}

/// Records (or corrects) the response to a delivered action.
#[server(prefix = "/api/staff", endpoint = "record-response")]
pub async fn record_response(#[server(flatten)] form: ResponseForm) -> Result<(), AppError> {
    let user =
        crate::backoffice::session::on_server::require(crate::domain::Permission::RecordOutcomes)
            .await?;
    on_server::record(&user, form).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{
        optional_web_address, parse_languages, past_full_date, refuse, LanguageInput,
    };
    use crate::backoffice::forms::Problems;
    use crate::backoffice::StaffUser;
    use crate::campaigns::actions::on_server::done_on_action;
    use crate::campaigns::actions::on_server::ActionStore;
    use crate::on_pool;
    use crate::records::owners::action_to_run;
    use crate::records::timeline::MailKeptInformed;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};
    use chrono::NaiveDate;

    /// A response as typed, checked.
    #[derive(Debug)]
    pub struct ResponseInput {
        pub responded_on: NaiveDate,
        pub texts: LanguageInput,
        pub source_url: Option<String>,
    }

    impl ResponseInput {
        /// Each language's (summary, text) to store: the original's, and each
        /// translation with a summary.
        fn rows(&self) -> Vec<(Locale, String, Option<String>)> {
            let mut rows = vec![(
                self.texts.original_language,
                self.texts
                    .original("summary")
                    .unwrap_or_default()
                    .to_owned(),
                self.texts.original("body_html").map(str::to_owned),
            )];
            for language in Locale::ALL {
                let typed = |field: &str| {
                    self.texts
                        .translations
                        .iter()
                        .find(|(l, f, _)| *l == language && *f == field)
                        .and_then(|(_, _, text)| text.clone())
                };
                if language != self.texts.original_language {
                    if let Some(summary) = typed("summary") {
                        rows.push((language, summary, typed("body_html")));
                    }
                }
            }
            rows
        }
    }

    /// Parses the form: a day that has come and is not before the delivery,
    /// a summary in the original language (a translation's text needs its
    /// summary too), an optional source link.
    pub fn parse_response(
        problems: &mut Problems,
        form: &ResponseForm,
        delivered_on: NaiveDate,
        today: NaiveDate,
    ) -> Option<ResponseInput> {
        let responded_on = past_full_date(
            problems,
            "responded_on",
            &form.responded_on,
            today,
            "form.responded_in_future",
        )
        .filter(|day| {
            let after = *day >= delivered_on;
            if !after {
                problems.add("responded_on", "form.responded_before_delivery");
            }
            after
        });
        let texts = parse_languages(problems, form, &RESPONSE_FIELDS, &["summary"]);
        if let Some(texts) = &texts {
            for language in Locale::ALL {
                let typed = |field: &str| {
                    texts
                        .translations
                        .iter()
                        .any(|(l, f, t)| *l == language && *f == field && t.is_some())
                };
                if typed("body_html") && !typed("summary") {
                    problems.add(&format!("summary_{}", language.code()), "form.required");
                }
            }
        }
        let source_url = optional_web_address(problems, "source_url", &form.source_url);
        let input = ResponseInput {
            responded_on: responded_on?,
            texts: texts?,
            source_url: source_url?,
        };
        problems.is_empty().then_some(input)
    }

    #[tracing::instrument(skip_all, fields(actor = user.id, action = %form.action.trim()))]
    pub async fn record(user: &StaffUser, form: ResponseForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let found = action_to_run(&db, user.acting(), form.action.trim()).await?;
        let delivered_on: Option<NaiveDate> = on_pool!(&db, |pool| sqlx::query_scalar(
            "SELECT delivered_on FROM deliveries WHERE action_id = $1"
        )
        .bind(found.action_id)
        .fetch_optional(pool)
        .await)?;
        let Some(delivered_on) = delivered_on else {
            return Err(AppError::Invalid(
                "a response follows a delivery: record the delivery first".into(),
            ));
        };
        let today = crate::server::clock::today_date();
        let mut problems = Problems::default();
        let Some(input) = parse_response(&mut problems, &form, delivered_on, today) else {
            return refuse(RESPONSE_FORM, &form, problems).await;
        };
        let base_url = crate::server::context::state()?.public_url;
        let now = crate::server::clock::now();
        let corrected = write(&db, user.actor(), found.action_id, &input, &base_url, now).await?;
        let notice = if corrected {
            "staff.response_corrected"
        } else {
            "staff.response_recorded"
        };
        done_on_action(RESPONSE_FORM, notice, locale, &form.action).await
    }

    /// Writes the response to action `id` in one transaction, audited; the
    /// first one also queues the mail to the signers kept informed. Gives
    /// whether it was a correction.
    pub async fn write(
        db: &Db,
        actor: Actor,
        id: i64,
        input: &ResponseInput,
        base_url: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let before = tx.response_record(id).await?;
            tx.write_response(id, input, now).await?;
            let after = tx.response_record(id).await?;
            let name = match before {
                None => "response.record",
                Some(_) => "response.correct",
            };
            let entry = AuditEntry::new(actor, name, "support_action", id)
                .before(&before)
                .after(&after);
            tx.record_audit(&entry).await?;
            if let Some(response) = &after {
                tx.announce_response(id, response, base_url, now).await?;
            }
            tx.commit().await?;
            Ok(before.is_some())
        })
    }

    /// The mail that brings the response to a signer, in their language:
    /// the action's title and the summary there where translated, else the
    /// original, said to be one.
    fn response_mail(
        locale: Locale,
        person_name: &str,
        action: &crate::campaigns::actions::SupportActionRecord,
        response: &ResponseRecord,
        base_url: &str,
        unsubscribe_url: &str,
    ) -> (String, String) {
        let in_language = |record: &dyn Translatable, field: &str, original: &str| match record
            .current_text_in(field, locale)
        {
            Some(text) => text.to_owned(),
            None => format!(
                "{original} ({})",
                locale.untranslated_note(record.original_language())
            ),
        };
        let title = action
            .current_text_in("title", locale)
            .unwrap_or(&action.title)
            .to_owned();
        let summary = in_language(response, "summary", &response.summary);
        let url = format!(
            "{}{}",
            base_url.trim_end_matches('/'),
            locale.path(&format!("/actions/{}", action.slug), false)
        );
        let date = NaiveDate::parse_from_str(&response.responded_on, "%Y-%m-%d")
            .map(|day| crate::server::clock::date(day).format(locale))
            .unwrap_or_else(|_| response.responded_on.clone());
        let subject = locale
            .t("mail.response_subject")
            .replace("%{title}", &title);
        let body = locale
            .t("mail.response_body")
            .replace("%{title}", &title)
            .replace("%{person}", person_name)
            .replace("%{date}", &date)
            .replace("%{summary}", &summary)
            .replace("%{url}", &url)
            .replace("%{unsubscribe_url}", unsubscribe_url);
        (subject, body)
    }

    /// The response to action `id` as recorded, if any.
    pub async fn response_record(db: &Db, id: i64) -> Result<Option<ResponseRecord>, sqlx::Error> {
        on_pool!(db, |pool| pool.acquire().await?.response_record(id).await)
    }

    pub trait ResponseStore {
        fn response_record(
            &mut self,
            id: i64,
        ) -> impl std::future::Future<Output = Result<Option<ResponseRecord>, sqlx::Error>> + Send;

        /// Writes the response to action `id` over any before, with its texts.
        fn write_response(
            &mut self,
            id: i64,
            input: &ResponseInput,
            now: i64,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

        /// The first time only: queues the mail of `response` to the action's
        /// signers kept informed.
        fn announce_response(
            &mut self,
            id: i64,
            response: &ResponseRecord,
            base_url: &str,
            now: i64,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl ResponseStore {
            async fn write_response(&mut self, id: i64, input: &ResponseInput, now: i64) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "INSERT INTO responses (action_id, responded_on, original_language, source_url, recorded_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (action_id) DO UPDATE SET responded_on = excluded.responded_on,
                            original_language = excluded.original_language, source_url = excluded.source_url",
                )
                .bind(id)
                .bind(input.responded_on)
                .bind(input.texts.original_language.code())
                .bind(input.source_url.as_deref())
                .bind(now)
                .execute(&mut *self)
                .await?;
                sqlx::query("DELETE FROM response_texts WHERE action_id = $1")
                    .bind(id)
                    .execute(&mut *self)
                    .await?;
                for (language, summary, body_html) in input.rows() {
                    sqlx::query(
                        "INSERT INTO response_texts (action_id, language, summary, body_html) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(language.code())
                    .bind(summary)
                    .bind(body_html)
                    .execute(&mut *self)
                    .await?;
                }
                Ok(())
            }

            async fn announce_response(&mut self, id: i64, response: &ResponseRecord, base_url: &str, now: i64) -> Result<(), sqlx::Error> {
                // Claim the announcement: only the first recording mails.
                let announce = sqlx::query(
                    "UPDATE responses SET notified_at = $2 WHERE action_id = $1 AND notified_at IS NULL",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *self)
                .await?
                .rows_affected()
                    == 1;
                if let (true, Some(action)) = (announce, self.action_record(id).await?) {
                    let (person_id, person_name): (i64, String) = sqlx::query_as(
                        "SELECT p.id, p.full_name FROM persons p JOIN support_actions a ON a.person_id = p.id
                          WHERE a.id = $1",
                    )
                    .bind(id)
                    .fetch_one(&mut *self)
                    .await?;
                    // Only the action's signers hear of its response.
                    let compose = |locale: Locale, unsubscribe: &str, _| {
                        response_mail(
                            locale,
                            &person_name,
                            &action,
                            response,
                            base_url,
                            unsubscribe,
                        )
                    };
                    self.mail_kept_informed(person_id, Some(id), base_url, now, &compose)
                        .await?;
                }
                Ok(())
            }

            async fn response_record(&mut self, id: i64) -> Result<Option<ResponseRecord>, sqlx::Error> {
                let head: Option<(NaiveDate, String, Option<String>)> = sqlx::query_as(
                    "SELECT responded_on, original_language, source_url FROM responses WHERE action_id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
                let Some((responded_on, original, source_url)) = head else { return Ok(None) };
                let original = crate::records::translations::stored_language(&original)?;
                let texts: Vec<(String, String, Option<String>)> = sqlx::query_as(
                    "SELECT language, summary, body_html FROM response_texts WHERE action_id = $1 ORDER BY language",
                )
                .bind(id)
                .fetch_all(&mut *self)
                .await?;
                let mut record = ResponseRecord {
                    responded_on: responded_on.to_string(),
                    original_language: original,
                    source_url,
                    ..ResponseRecord::default()
                };
                for (language, summary, body_html) in texts {
                    let language = crate::records::translations::stored_language(&language)?;
                    if language == original {
                        record.summary = summary;
                        record.body_html = body_html;
                        continue;
                    }
                    let translation = |field: &str, text: String| Translation {
                        language,
                        field: field.to_owned(),
                        text,
                        outdated: false,
                    };
                    record.translations.push(translation("summary", summary));
                    if let Some(body) = body_html {
                        record.translations.push(translation("body_html", body));
                    }
                }
                Ok(Some(record))
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn day(s: &str) -> NaiveDate {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
        }

        fn form() -> ResponseForm {
            ResponseForm {
                action: "free-vahid".into(),
                responded_on: "2026-12-01".into(),
                original_language: "fr".into(),
                summary_fr: "L’ambassade accuse réception.".into(),
                body_html_fr: "<p>Nous avons bien reçu vos signatures.</p>".into(),
                summary_nl: "De ambassade bevestigt de ontvangst.".into(),
                ..ResponseForm::default()
            }
        }

        #[test]
        fn a_response_keeps_each_language_it_was_written_in() {
            let mut problems = Problems::default();
            let input =
                parse_response(&mut problems, &form(), day("2026-11-20"), day("2026-12-04"))
                    .unwrap();
            let rows = input.rows();
            assert_eq!(rows.len(), 2, "French, and Dutch with its summary only");
            assert_eq!(rows[0].0, Locale::Fr);
            assert_eq!(
                rows[1],
                (
                    Locale::Nl,
                    "De ambassade bevestigt de ontvangst.".into(),
                    None
                )
            );
        }

        #[test]
        fn a_response_comes_after_the_delivery_with_a_summary() {
            let bad = ResponseForm {
                responded_on: "2026-11-19".into(),
                summary_fr: "".into(),
                body_html_en: "<p>Text without a summary</p>".into(),
                source_url: "ftp://example.org".into(),
                ..form()
            };
            let mut problems = Problems::default();
            assert!(
                parse_response(&mut problems, &bad, day("2026-11-20"), day("2026-12-04")).is_none()
            );
            assert_eq!(problems.0["responded_on"], "form.responded_before_delivery");
            assert_eq!(problems.0["summary_fr"], "form.required");
            assert_eq!(problems.0["source_url"], "form.invalid_url");
            // A translation's text needs its summary, which the list shows.
            let untitled = ResponseForm {
                body_html_en: "<p>Text without a summary</p>".into(),
                ..form()
            };
            let mut problems = Problems::default();
            assert!(parse_response(
                &mut problems,
                &untitled,
                day("2026-11-20"),
                day("2026-12-04")
            )
            .is_none());
            assert_eq!(problems.0["summary_en"], "form.required");
        }
    }
}
