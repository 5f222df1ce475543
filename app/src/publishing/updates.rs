//! Communications staff write status updates for a person: a dated fact,
//! optionally a change of status, saved as a draft, previewed, then published
//! (it enters the public timeline, and its status becomes the person's
//! current status, at once) or unpublished again. The first publication mails
//! the signers of the person's support actions who asked to be kept informed.
//! The writes and the publication are the timeline's (`records::timeline`),
//! shared with the feed inbox, trusted feeds and the demo data.
use crate::backoffice::forms::{FormFlash, TextKind};
use crate::backoffice::StaffUser;
use crate::domain::StatusEventRecord;
use crate::error::AppError;
use crate::i18n::Locale;
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
    /// The language the update is written in (`en`, `fr`, `nl`); its
    /// title is required, the other languages are its translations.
    pub original_language: String,
    pub title_en: String,
    pub title_fr: String,
    pub title_nl: String,
    pub body_html_en: String,
    pub body_html_fr: String,
    pub body_html_nl: String,
    pub source_title_en: String,
    pub source_title_fr: String,
    pub source_title_nl: String,
    pub source_url: String,
    /// Ticked: this language's translation, left as it is, still says what
    /// the changed original says (it stops being outdated).
    pub checked_en: String,
    pub checked_fr: String,
    pub checked_nl: String,
    /// Ticked: kept for staff, never published.
    pub internal: String,
}

#[cfg(feature = "ssr")]
impl StatusUpdateForm {
    /// The title typed in `language`.
    fn title(&self, language: Locale) -> &str {
        match language {
            Locale::En => &self.title_en,
            Locale::Fr => &self.title_fr,
            Locale::Nl => &self.title_nl,
        }
    }
}

/// The fields of a status update written per language (one fieldset each).
pub const UPDATE_FIELDS: [(&str, TextKind); 3] = [
    ("title", TextKind::Line),
    ("body_html", TextKind::Rich),
    ("source_title", TextKind::Line),
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdateWorkspace {
    pub user: StaffUser,
    pub update: StatusEventRecord,
    pub person_name: String,
    /// The languages the person's municipalities require before publishing.
    pub required_languages: Vec<Locale>,
    pub flash: Option<FormFlash>,
}

/// The page for writing a new update about a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUpdateWorkspace {
    pub user: StaffUser,
    pub person: String,
    pub person_name: String,
    pub required_languages: Vec<Locale>,
    pub flash: Option<FormFlash>,
}

#[server(prefix = "/api/staff", endpoint = "status-update")]
pub async fn staff_status_update(id: i64) -> Result<Option<StatusUpdateWorkspace>, AppError> {
    let user = require(Permission::WriteUpdates).await?;
    let db = crate::server::context::db()?;
    let Some((update, person_name)) = on_server::record(&db, id).await? else {
        return Ok(None);
    };
    let required_languages =
        crate::records::translations::required_languages(&db, &update.person).await?;
    Ok(Some(StatusUpdateWorkspace {
        user,
        update,
        person_name,
        required_languages,
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
    let required_languages = crate::records::translations::required_languages(&db, &person).await?;
    Ok(Some(NewUpdateWorkspace {
        user,
        person,
        person_name,
        required_languages,
        flash: take_form_flash().await,
    }))
}

/// Saves a new draft, or the edits to an update (published or not).
#[server(prefix = "/api/staff", endpoint = "save-status-update")]
pub async fn save_status_update(#[server(flatten)] form: StatusUpdateForm) -> Result<(), AppError> {
    let user = require(Permission::WriteUpdates).await?;
    on_server::save(&user, form).await
}

/// Publishes an update once every language its municipalities require is
/// written; `translations_to_follow` (urgent news) publishes it before, and
/// the audit log says so.
#[server(prefix = "/api/staff", endpoint = "publish-status-update")]
pub async fn publish_status_update(
    lang: String,
    update: i64,
    translations_to_follow: Option<String>,
) -> Result<(), AppError> {
    let user = require(Permission::WriteUpdates).await?;
    let publication = if translations_to_follow.is_some() {
        on_server::Publication::TranslationsToFollow
    } else {
        on_server::Publication::Translated
    };
    on_server::set_published(&user, &lang, update, Some(publication)).await
}

#[server(prefix = "/api/staff", endpoint = "unpublish-status-update")]
pub async fn unpublish_status_update(lang: String, update: i64) -> Result<(), AppError> {
    let user = require(Permission::WriteUpdates).await?;
    on_server::set_published(&user, &lang, update, None).await
}

#[cfg(feature = "ssr")]
use {
    crate::backoffice::{forms::on_server::take_form_flash, session::on_server::require},
    crate::domain::Permission,
};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::language_field;
    pub use crate::backoffice::forms::on_server::Publication;
    use crate::backoffice::forms::on_server::{
        dated_fact, done, optional_web_address, parse_languages, refuse, refuse_untranslated,
        DatedFact, LanguageInput,
    };
    use crate::backoffice::forms::Problems;
    use crate::domain::Status;
    use crate::on_pool;
    use crate::records::timeline::{NewStatusEvent, Provenance, Timeline};
    use crate::records::translations::{publication_gate, write_translations, Kind};
    use crate::server::audit::{AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};

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
        /// Its title is in the original language.
        pub fact: DatedFact,
        /// The title, body (sanitized) and source title in every language.
        pub texts: LanguageInput,
        pub source_url: Option<String>,
        /// Kept for staff, never published.
        pub internal: bool,
    }

    /// Parses the status update form; every problem is noted next to its field.
    pub fn parse_update_form(
        problems: &mut Problems,
        form: &StatusUpdateForm,
    ) -> Option<UpdateInput> {
        let texts = parse_languages(problems, form, &UPDATE_FIELDS, &["title"]);
        // The original language as `parse_languages` settled it (one rule).
        let language = texts
            .as_ref()
            .map(|t| t.original_language)
            .or_else(|| Locale::from_code(form.original_language.trim()))
            .unwrap_or_default();
        let fact = dated_fact(
            problems,
            &form.occurred_on,
            &form.status,
            &language_field("title", language),
            form.title(language),
        );
        // A source link is rendered as a link: only a web address will do.
        let source_url = optional_web_address(problems, "source_url", &form.source_url);
        Some(UpdateInput {
            fact: fact?,
            texts: texts?,
            source_url: source_url?,
            internal: !form.internal.trim().is_empty(),
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
        let public_url = crate::server::context::state()?.public_url;
        let id = write(&db, user, person_id, existing, &input, &public_url)
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
        public_url: &str,
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
                                updated_at = $10, original_language = $11
                          WHERE id = $1",
                    )
                    .bind(id)
                    .bind(fact.status.map(Status::slug))
                    .bind(fact.occurred_on.year_part())
                    .bind(fact.occurred_on.month_part().map(i32::from))
                    .bind(fact.occurred_on.day_part().map(i32::from))
                    .bind(fact.title.as_str())
                    .bind(input.texts.original("body_html"))
                    .bind(input.texts.original("source_title"))
                    .bind(input.source_url.as_deref())
                    .bind(now)
                    .bind(input.texts.original_language.code())
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
                        body_html: input.texts.original("body_html"),
                        source_title: input.texts.original("source_title"),
                        source_url: input.source_url.as_deref(),
                        provenance: Provenance::Manual,
                        author: Some(user.id),
                        published: false,
                        original_language: input.texts.original_language,
                    };
                    (tx.insert_status_event(&event, now).await?, None)
                }
            };
            sqlx::query("UPDATE status_events SET is_internal = $2 WHERE id = $1")
                .bind(id)
                .bind(input.internal)
                .execute(&mut *tx)
                .await?;
            // Made internal once published: it leaves the public timeline
            // now, the timeline's own way (current status, audit).
            if input.internal && before.as_ref().is_some_and(|b| b.is_published) {
                tx.set_published(user.actor(), id, false, now, public_url)
                    .await?;
            }
            write_translations(
                &mut *tx,
                Kind::StatusEvent,
                id,
                before.as_ref(),
                &input.texts.typed(),
                user.id,
                now,
            )
            .await?;
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

    /// What a publication did.
    enum Published {
        Done,
        NoSuchUpdate,
        /// Refused: staff keep it internal.
        Internal,
        /// Refused: what each required language lacks; nothing changed.
        WaitsForTranslations(Vec<crate::domain::MissingTranslation>),
    }

    /// Publishes (`Some`) or unpublishes (the timeline's publication, with
    /// its mail and audit entry), then shows the update. A publication
    /// waits for the languages the person's municipalities require, unless
    /// staff chose to publish with the translations to follow.
    #[tracing::instrument(skip(user, lang), fields(actor = user.id))]
    pub async fn set_published(
        user: &StaffUser,
        lang: &str,
        id: i64,
        publication: Option<Publication>,
    ) -> Result<(), AppError> {
        let state = crate::server::context::state()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let now = crate::server::clock::now();
        let publish = publication.is_some();
        let outcome = on_pool!(&state.db, |pool| async {
            let mut tx = pool.begin_write().await?;
            let Some(record) = tx.status_event_record(id).await? else {
                return Ok::<_, sqlx::Error>(Published::NoSuchUpdate);
            };
            if publish && record.is_internal {
                return Ok(Published::Internal);
            }
            if let Some(publication) = publication {
                let gate = publication_gate(
                    &mut *tx,
                    user.actor(),
                    Kind::StatusEvent,
                    id,
                    &record.person,
                    &record,
                    publication,
                );
                if let Err(missing) = gate.await? {
                    return Ok(Published::WaitsForTranslations(missing));
                }
            }
            tx.set_published(user.actor(), id, publish, now, &state.public_url)
                .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Published::Done)
        }
        .await)?;
        match outcome {
            Published::NoSuchUpdate => return Err(AppError::not_found("status update")),
            Published::WaitsForTranslations(missing) => {
                return refuse_untranslated(UPDATE_FORM, &(), "publish", missing).await;
            }
            Published::Internal => {
                let problems = Problems::one("publish", "form.internal_not_published");
                return refuse(UPDATE_FORM, &(), problems).await;
            }
            Published::Done => {}
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

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::domain::{MissingTranslation, Translatable};

        fn form() -> StatusUpdateForm {
            StatusUpdateForm {
                occurred_on: "2026-11-20".into(),
                status: "released".into(),
                original_language: "en".into(),
                title_en: "Released".into(),
                body_html_en: "<p>Released <em>on bail</em><img src=x onerror=alert(1)></p>".into(),
                title_nl: " Vrijgelaten ".into(),
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
                input.texts.original("body_html"),
                Some("<p>Released <em>on bail</em></p>")
            );
            assert_eq!(
                input.source_url.as_deref(),
                Some("https://www.amnesty.org/en/")
            );
            assert_eq!(input.texts.original("source_title"), None);
            assert_eq!(input.texts.original_language, Locale::En);
            let translated: Vec<_> = input
                .texts
                .translations
                .iter()
                .filter(|(_, _, text)| text.is_some())
                .collect();
            assert_eq!(
                translated,
                [&(Locale::Nl, "title", Some("Vrijgelaten".to_owned()))],
                "only what was typed, trimmed"
            );
            let empty = StatusUpdateForm {
                body_html_en: "  ".into(),
                ..form()
            };
            assert_eq!(
                parse_update_form(&mut problems, &empty)
                    .unwrap()
                    .texts
                    .original("body_html"),
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

        #[test]
        fn the_title_is_required_in_the_original_language_only() {
            let mut problems = Problems::default();
            let french = StatusUpdateForm {
                original_language: "fr".into(),
                title_en: String::new(),
                body_html_en: String::new(),
                title_nl: String::new(),
                ..form()
            };
            assert!(parse_update_form(&mut problems, &french).is_none());
            assert_eq!(problems.0.keys().collect::<Vec<_>>(), ["title_fr"]);
            // Switching the original to French without its text would drop the English body.
            let mut problems = Problems::default();
            let switched = StatusUpdateForm {
                original_language: "fr".into(),
                title_fr: "Libéré".into(),
                ..form()
            };
            assert!(parse_update_form(&mut problems, &switched).is_none());
            assert_eq!(
                problems.0.get("body_html_en").map(String::as_str),
                Some("staff.translation_without_original")
            );
            let mut problems = Problems::default();
            let unknown = StatusUpdateForm {
                original_language: "de".into(),
                ..form()
            };
            assert!(parse_update_form(&mut problems, &unknown).is_none());
            assert_eq!(problems.0["original_language"], "form.invalid_choice");
        }

        fn record(
            original_language: Locale,
            translations: &[(Locale, &str, bool)],
        ) -> StatusEventRecord {
            StatusEventRecord {
                id: 1,
                person: "hamid-babaei".into(),
                status: None,
                occurred_on: crate::domain::PartialDate::parse("2026").unwrap(),
                original_language,
                title: "Titre".into(),
                body_html: Some("<p>Texte</p>".into()),
                source_title: None,
                source_url: None,
                provenance: "manual".into(),
                is_published: false,
                is_internal: false,
                translations: translations
                    .iter()
                    .map(|(language, field, outdated)| crate::domain::Translation {
                        language: *language,
                        field: (*field).into(),
                        text: "…".into(),
                        outdated: *outdated,
                    })
                    .collect(),
            }
        }

        #[test]
        fn publication_waits_for_every_field_of_every_required_language() {
            let required = [Locale::Fr, Locale::Nl];
            let nothing = record(Locale::Fr, &[]);
            assert_eq!(
                nothing.missing_translations(&required),
                [MissingTranslation {
                    language: Locale::Nl,
                    fields: vec!["title".into(), "body_html".into()]
                }],
                "the original's own language and an empty source need nothing"
            );
            let outdated = record(
                Locale::Fr,
                &[
                    (Locale::Nl, "title", false),
                    (Locale::Nl, "body_html", true),
                ],
            );
            assert_eq!(
                outdated.missing_translations(&required)[0].fields,
                ["body_html"]
            );
            let done = record(
                Locale::Fr,
                &[
                    (Locale::Nl, "title", false),
                    (Locale::Nl, "body_html", false),
                ],
            );
            assert_eq!(done.missing_translations(&required), []);
            assert_eq!(
                nothing.missing_translations(&[]),
                [],
                "no municipality requires anything"
            );
        }
    }
}
