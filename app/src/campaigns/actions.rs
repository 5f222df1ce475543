//! Support actions as council members run them: open one for a person their
//! municipality adopted (the action then belongs to that municipality), edit
//! it, close or reopen it, and download its confirmed signatures as CSV for
//! delivery. Only the owning municipality's council, or an administrator,
//! does the last three. The command line (`server action create|close|list`)
//! goes through the same audited writes, as the system actor `cli`.
use crate::backoffice::forms::TextKind;
use crate::domain::{Translatable, Translation};
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const ACTION_FORM: &str = "support-action";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SupportActionForm {
    pub lang: String,
    pub person: String,
    /// The slug of the action being edited; empty for a new one.
    pub action: String,
    pub slug: String,
    /// The language the title, text and addressee are written in; the other
    /// languages' are their translations.
    pub original_language: String,
    pub title_en: String,
    pub title_fr: String,
    pub title_nl: String,
    pub body_html_en: String,
    pub body_html_fr: String,
    pub body_html_nl: String,
    pub addressee_en: String,
    pub addressee_fr: String,
    pub addressee_nl: String,
    /// Ticked: this language's translation, left as it is, still says what
    /// the changed original says.
    pub checked_en: String,
    pub checked_fr: String,
    pub checked_nl: String,
    pub goal: String,
    /// Optional: the count at which the municipality's staff are told it is
    /// time to deliver.
    pub threshold: String,
    pub opens_on: String,
    pub closes_on: String,
    /// Set by the "open now, translations to follow" button.
    pub translations_to_follow: String,
}

/// The fields of a support action written per language.
pub const ACTION_FIELDS: [(&str, TextKind); 3] = [
    ("title", TextKind::Line),
    ("body_html", TextKind::Rich),
    ("addressee", TextKind::Line),
];

/// A support action as its edit form shows it and the audit log records it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportActionRecord {
    pub slug: String,
    pub person: String,
    pub title: String,
    pub body_html: String,
    pub addressee: String,
    pub goal: i64,
    pub threshold: Option<i64>,
    /// When the count reached the threshold (Unix seconds) and staff were told.
    pub threshold_reached_at: Option<i64>,
    pub opens_on: String,
    pub closes_on: Option<String>,
    pub is_open: bool,
    /// The language the title, text and addressee are written in.
    pub original_language: Locale,
    /// Their translations, where written.
    pub translations: Vec<Translation>,
}

impl Translatable for SupportActionRecord {
    fn fields(&self) -> &'static [&'static str] {
        &crate::domain::SUPPORT_ACTION_FIELDS
    }

    fn original_language(&self) -> Locale {
        self.original_language
    }

    fn original(&self, field: &str) -> Option<&str> {
        match field {
            "title" => Some(&self.title),
            "body_html" => Some(&self.body_html),
            "addressee" => Some(&self.addressee),
            _ => None,
        }
    }

    fn translations(&self) -> &[Translation] {
        &self.translations
    }
}

#[server(prefix = "/api/staff", endpoint = "save-support-action")]
pub async fn save_support_action(
    #[server(flatten)] form: SupportActionForm,
) -> Result<(), AppError> {
    let user = require(Permission::RunActions).await?;
    on_server::save_support_action(&user, form).await
}

/// Closes (`open` empty) or reopens (`open` = "true") a support action by hand.
#[server(prefix = "/api/staff", endpoint = "set-support-action-open")]
pub async fn set_support_action_open(
    lang: String,
    action: String,
    #[server(default)] open: String,
) -> Result<(), AppError> {
    let user = require(Permission::RunActions).await?;
    on_server::set_open(&user, &lang, &action, open == "true").await
}

#[cfg(feature = "ssr")]
use {crate::backoffice::session::on_server::require, crate::domain::Permission};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{
        done, full_date, parse_languages, refuse, refuse_untranslated, LanguageInput, Publication,
    };
    use crate::backoffice::forms::Problems;
    use crate::backoffice::StaffUser;
    use crate::domain::{Line, PartialDate, Slug};
    use crate::on_pool;
    use crate::records::owners::{action_to_run, case_to_change};
    use crate::records::translations::{
        publication_gate, stored_language, write_translations, Kind, Translations,
    };
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};
    use crate::signing::threshold::{CheckThreshold, LockAction};
    use chrono::NaiveDate;

    /// What a support action says and when it takes signatures, checked.
    #[derive(Debug, Clone)]
    pub struct ActionTerms {
        pub title: Line,
        /// Sanitized.
        pub body_html: String,
        pub addressee: Line,
        pub goal: u32,
        pub threshold: Option<u32>,
        pub opens_on: NaiveDate,
        pub closes_on: Option<NaiveDate>,
        /// The language the title, text and addressee are written in.
        pub language: Locale,
    }

    /// Parses the support action form; a new action also needs its slug.
    pub fn parse_action_form(
        problems: &mut Problems,
        form: &SupportActionForm,
        new: bool,
    ) -> Option<(Option<Slug>, ActionTerms, LanguageInput)> {
        let slug = match new {
            true => problems
                .check("slug", Slug::parse(form.slug.trim()), "form.invalid_slug")
                .map(Some),
            false => Some(None),
        };
        let texts = parse_languages(
            problems,
            form,
            &ACTION_FIELDS,
            &["title", "body_html", "addressee"],
        );
        // Checked by `parse_languages`: the original's three are there.
        let original = |field| {
            texts
                .as_ref()
                .and_then(|t: &LanguageInput| t.original(field))
                .map(str::to_owned)
        };
        let title = original("title").and_then(|t| Line::parse(&t).ok());
        let addressee = original("addressee").and_then(|t| Line::parse(&t).ok());
        let body = original("body_html");
        let goal = form.goal.trim().parse::<u32>().ok().filter(|g| *g > 0);
        let goal = problems.check("goal", goal.ok_or(()), "form.invalid_goal");
        let threshold = match form.threshold.trim() {
            "" => Some(None),
            typed => {
                let threshold = typed.parse::<u32>().ok().filter(|t| *t > 0);
                problems
                    .check("threshold", threshold.ok_or(()), "form.invalid_goal")
                    .map(Some)
            }
        };
        let opens_on = full_date(problems, "opens_on", &form.opens_on);
        let closes_on = match form.closes_on.trim() {
            "" => Some(None),
            typed => full_date(problems, "closes_on", typed).map(Some),
        };
        if let (Some(opens), Some(Some(closes))) = (opens_on, closes_on) {
            if closes < opens {
                problems.add("closes_on", "form.closes_before_opens");
            }
        }
        let terms = ActionTerms {
            title: title?,
            body_html: body?,
            addressee: addressee?,
            goal: goal?,
            threshold: threshold?,
            opens_on: opens_on?,
            closes_on: closes_on?,
            language: texts.as_ref()?.original_language,
        };
        problems.is_empty().then_some((slug?, terms, texts?))
    }

    /// Which action a save writes.
    enum Saving {
        /// Opened for the person by the council member's municipality.
        New {
            person_id: i64,
            owner: i64,
        },
        Existing {
            id: i64,
        },
    }

    /// What saving an action did.
    enum Saved {
        /// The action's slug.
        Done(String),
        SlugTaken,
        /// Refused: a new action without the languages its person's
        /// municipalities require (what each lacks); nothing changed.
        WaitsForTranslations(Vec<crate::domain::MissingTranslation>),
    }

    /// What one save of an action writes.
    struct ActionWrite<'a> {
        user: &'a StaffUser,
        saving: Saving,
        /// A new action's slug.
        slug: Option<&'a Slug>,
        terms: &'a ActionTerms,
        texts: &'a LanguageInput,
        publication: Publication,
        base_url: &'a str,
        now: i64,
    }

    /// Writes the action, its translations and their audit entries, checks
    /// its threshold, and (new) its languages; committed by the caller only
    /// when `Done`.
    async fn write_action<C>(conn: &mut C, w: ActionWrite<'_>) -> Result<Saved, sqlx::Error>
    where
        C: ActionStore + Translations + RecordAudit + CheckThreshold + Send,
    {
        let (id, before) = match (w.saving, w.slug) {
            (Saving::Existing { id }, _) => {
                let before = conn.action_record(id).await?;
                conn.update_action(w.user.actor(), id, w.terms).await?;
                (Some(id), before)
            }
            (Saving::New { person_id, owner }, Some(slug)) => (
                conn.insert_action(w.user.actor(), person_id, Some(owner), slug, w.terms)
                    .await?,
                None,
            ),
            (Saving::New { .. }, None) => (None, None),
        };
        let Some(id) = id else {
            return Ok(Saved::SlugTaken);
        };
        write_translations(
            &mut *conn,
            Kind::SupportAction,
            id,
            before.as_ref(),
            &w.texts.typed(),
            w.user.id,
            w.now,
        )
        .await?;
        let Some(record) = conn.action_record(id).await? else {
            return Ok(Saved::SlugTaken);
        };
        // The action's own audit entry was written before its translations.
        let translations_before = before
            .as_ref()
            .map(|b| b.translations.clone())
            .unwrap_or_default();
        // What was written, not whether it went out of date with the original.
        let written = |ts: &[crate::domain::Translation]| {
            ts.iter()
                .map(|t| (t.language, t.field.clone(), t.text.clone()))
                .collect::<Vec<_>>()
        };
        if written(&record.translations) != written(&translations_before) {
            let entry = AuditEntry::new(w.user.actor(), "translation.save", "support_action", id)
                .before(&translations_before)
                .after(&record.translations);
            conn.record_audit(&entry).await?;
        }
        // A threshold set at or under the count is reached at once.
        conn.check_threshold(id, w.base_url, w.now).await?;
        // A new action takes signatures at once: the languages the
        // person's municipalities require first.
        if before.is_none() {
            let gate = publication_gate(
                &mut *conn,
                w.user.actor(),
                Kind::SupportAction,
                id,
                &record.person,
                &record,
                w.publication,
            );
            if let Err(missing) = gate.await? {
                return Ok(Saved::WaitsForTranslations(missing));
            }
        }
        Ok(Saved::Done(record.slug))
    }

    /// Opens a new support action for a person this municipality adopted, or edits one.
    #[tracing::instrument(skip_all, fields(actor = user.id, action = %form.action.trim(), person = %form.person.trim()))]
    pub async fn save_support_action(
        user: &StaffUser,
        form: SupportActionForm,
    ) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let new = form.action.trim().is_empty();
        let saving = if new {
            let case = case_to_change(&db, user.acting(), &form.person).await?;
            if crate::records::takedown::person_gone(&db, form.person.trim()).await? {
                return Err(AppError::Invalid(
                    "the person's case was taken down: no action is opened for them".into(),
                ));
            }
            Saving::New {
                person_id: case.person_id,
                owner: case.municipality_id,
            }
        } else {
            let action = action_to_run(&db, user.acting(), &form.action).await?;
            Saving::Existing {
                id: action.action_id,
            }
        };
        let mut problems = Problems::default();
        let Some((slug, terms, texts)) = parse_action_form(&mut problems, &form, new) else {
            return refuse(ACTION_FORM, &form, problems).await;
        };
        let publication = if form.translations_to_follow.trim().is_empty() {
            Publication::Translated
        } else {
            Publication::TranslationsToFollow
        };
        let base_url = crate::server::context::state()?.public_url;
        let writing = ActionWrite {
            user,
            saving,
            slug: slug.as_ref(),
            terms: &terms,
            texts: &texts,
            publication,
            base_url: &base_url,
            now: crate::server::clock::now(),
        };
        let saved = on_pool!(&db, |pool| async {
            let mut tx = pool.begin_write().await?;
            let saved = write_action(&mut *tx, writing).await?;
            if matches!(saved, Saved::Done(_)) {
                tx.commit().await?;
            }
            Ok::<_, sqlx::Error>(saved)
        }
        .await)?;
        let slug = match saved {
            Saved::Done(slug) => slug,
            Saved::SlugTaken => {
                return refuse(ACTION_FORM, &form, Problems::one("slug", "form.slug_taken")).await
            }
            Saved::WaitsForTranslations(missing) => {
                return refuse_untranslated(ACTION_FORM, &form, "publish", missing).await
            }
        };
        let notice = if new {
            "staff.action_opened"
        } else {
            "staff.saved"
        };
        done_on_action(ACTION_FORM, notice, locale, &slug).await
    }

    /// After a change made on an action's staff page: say what was done
    /// there, and go back to it.
    pub async fn done_on_action(
        form: &str,
        notice: &str,
        locale: Locale,
        slug: &str,
    ) -> Result<(), AppError> {
        let page = locale.path(&format!("/staff/actions/{}", slug.trim()), false);
        done(form, notice, &page).await
    }

    /// Closes or reopens an action from its staff page.
    #[tracing::instrument(skip(user, lang), fields(actor = user.id))]
    pub async fn set_open(
        user: &StaffUser,
        lang: &str,
        action: &str,
        open: bool,
    ) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let found = action_to_run(&db, user.acting(), action).await?;
        if open && crate::records::takedown::action_gone(&db, action).await? {
            return Err(AppError::Invalid(
                "its person's case was taken down: the action stays closed".into(),
            ));
        }
        if !set_open_state(&db, user.actor(), found.action_id, open).await? {
            return Err(AppError::Invalid(
                "its signatures were delivered: a delivered action is not reopened".into(),
            ));
        }
        let notice = if open {
            "staff.action_reopened"
        } else {
            "staff.action_closed"
        };
        done_on_action(ACTION_FORM, notice, locale, action).await
    }

    /// Closes or reopens action `id` from the staff page or the command
    /// line; `false`: refused, a delivered action, or one whose person's
    /// case was taken down, is not reopened.
    pub async fn set_open_state(
        db: &Db,
        actor: Actor,
        id: i64,
        open: bool,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            if open {
                // Not delivered meanwhile: a delivery and a reopening wait for each other.
                if !tx.hold_undelivered(id).await? {
                    return Ok(false);
                }
                // Read with the action held: a take-down closing it meanwhile
                // either waited for this or is seen here.
                let taken_down: bool = sqlx::query_scalar(concat!(
                    "SELECT ",
                    crate::taken_down!("p"),
                    " FROM support_actions a JOIN persons p ON p.id = a.person_id WHERE a.id = $1"
                ))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                if taken_down {
                    return Ok(false);
                }
            }
            tx.set_action_open(actor, id, open).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Support actions, on a connection inside the caller's transaction. Each write is audited.
    pub trait ActionStore {
        fn action_record(
            &mut self,
            id: i64,
        ) -> impl std::future::Future<Output = Result<Option<SupportActionRecord>, sqlx::Error>> + Send;

        /// Opens a new action, run by `owner`; `None`: the slug is taken.
        fn insert_action(
            &mut self,
            actor: Actor,
            person_id: i64,
            owner: Option<i64>,
            slug: &Slug,
            terms: &ActionTerms,
        ) -> impl std::future::Future<Output = Result<Option<i64>, sqlx::Error>> + Send;

        fn update_action(
            &mut self,
            actor: Actor,
            id: i64,
            terms: &ActionTerms,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

        /// Holds action `id` until the transaction ends, so that a delivery
        /// waits for the caller's change (and the caller for one under way);
        /// `false`: its signatures were delivered, the action changes no more.
        fn hold_undelivered(
            &mut self,
            id: i64,
        ) -> impl std::future::Future<Output = Result<bool, sqlx::Error>> + Send;

        /// Closes or reopens action `id`, audited: the one way an action
        /// closes (by hand, from the command line, by a delivery). Reopening
        /// clears the closing time that starts the retention clock of new
        /// signatures; the first closing stays, and still counts for the
        /// signatures made before it.
        fn set_action_open(
            &mut self,
            actor: Actor,
            id: i64,
            open: bool,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    }

    #[derive(sqlx::FromRow)]
    struct RecordRow {
        slug: String,
        person: String,
        title: String,
        body_html: String,
        addressee: String,
        goal: i64,
        threshold: Option<i64>,
        threshold_reached_at: Option<i64>,
        opens_on: NaiveDate,
        closes_on: Option<NaiveDate>,
        is_open: bool,
        original_language: String,
    }

    impl RecordRow {
        fn into_record(
            self,
            translations: Vec<Translation>,
        ) -> Result<SupportActionRecord, sqlx::Error> {
            let row = self;
            Ok(SupportActionRecord {
                slug: row.slug,
                person: row.person,
                title: row.title,
                body_html: row.body_html,
                addressee: row.addressee,
                goal: row.goal,
                threshold: row.threshold,
                threshold_reached_at: row.threshold_reached_at,
                opens_on: row.opens_on.to_string(),
                closes_on: row.closes_on.map(|d| d.to_string()),
                is_open: row.is_open,
                original_language: stored_language(&row.original_language)?,
                translations,
            })
        }
    }

    crate::impl_for_connections! {
        impl ActionStore {
            async fn action_record(&mut self, id: i64) -> Result<Option<SupportActionRecord>, sqlx::Error> {
                let row: Option<RecordRow> = sqlx::query_as(
                    "SELECT a.slug, p.slug AS person, a.title, a.body_html, a.addressee, CAST(a.goal AS BIGINT) AS goal,
                            a.threshold, (SELECT n.reached_at FROM threshold_notices n WHERE n.action_id = a.id)
                            AS threshold_reached_at, a.opens_on, a.closes_on, a.is_open, a.original_language
                       FROM support_actions a JOIN persons p ON p.id = a.person_id WHERE a.id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let translations = self
                    .translations_of(Kind::SupportAction, Some(id))
                    .await?
                    .into_iter()
                    .map(|(_, t)| t)
                    .collect();
                row.into_record(translations).map(Some)
            }

            async fn insert_action(
                &mut self,
                actor: Actor,
                person_id: i64,
                owner: Option<i64>,
                slug: &Slug,
                terms: &ActionTerms,
            ) -> Result<Option<i64>, sqlx::Error> {
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO support_actions (person_id, slug, title, body_html, addressee, goal, opens_on,
                                                  closes_on, is_open, municipality_id, original_language, threshold)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $10, $11)
                     ON CONFLICT (slug) DO NOTHING RETURNING id",
                )
                .bind(person_id)
                .bind(slug.as_str())
                .bind(terms.title.as_str())
                .bind(&terms.body_html)
                .bind(terms.addressee.as_str())
                .bind(i64::from(terms.goal))
                .bind(terms.opens_on)
                .bind(terms.closes_on)
                .bind(owner)
                .bind(terms.language.code())
                .bind(terms.threshold.map(i64::from))
                .fetch_optional(&mut *self)
                .await?;
                let Some(id) = id else { return Ok(None) };
                let after = self.action_record(id).await?;
                let entry = AuditEntry::new(actor, "support_action.create", "support_action", id).after(&after);
                self.record_audit(&entry).await?;
                Ok(Some(id))
            }

            async fn update_action(&mut self, actor: Actor, id: i64, terms: &ActionTerms) -> Result<(), sqlx::Error> {
                let before = self.action_record(id).await?;
                // Another threshold is told once again.
                let threshold = terms.threshold.map(i64::from);
                let kept = before.as_ref().is_some_and(|b| b.threshold == threshold);
                sqlx::query(
                    "UPDATE support_actions SET title = $2, body_html = $3, addressee = $4, goal = $5,
                            opens_on = $6, closes_on = $7, original_language = $8, threshold = $9
                      WHERE id = $1",
                )
                .bind(id)
                .bind(terms.title.as_str())
                .bind(&terms.body_html)
                .bind(terms.addressee.as_str())
                .bind(i64::from(terms.goal))
                .bind(terms.opens_on)
                .bind(terms.closes_on)
                .bind(terms.language.code())
                .bind(threshold)
                .execute(&mut *self)
                .await?;
                if !kept {
                    // After any threshold check in flight: one that read the
                    // old threshold must not leave its notice on the new one.
                    self.lock_threshold(id).await?;
                    sqlx::query("DELETE FROM threshold_notices WHERE action_id = $1")
                        .bind(id)
                        .execute(&mut *self)
                        .await?;
                }
                let after = self.action_record(id).await?;
                let entry = AuditEntry::new(actor, "support_action.update", "support_action", id)
                    .before(&before)
                    .after(&after);
                self.record_audit(&entry).await
            }

            async fn hold_undelivered(&mut self, id: i64) -> Result<bool, sqlx::Error> {
                self.hold_action(id).await?;
                let delivered: bool = sqlx::query_scalar(concat!(
                    "SELECT ", crate::delivered!(), " FROM support_actions a WHERE a.id = $1"
                ))
                .bind(id)
                .fetch_one(&mut *self)
                .await?;
                Ok(!delivered)
            }

            async fn set_action_open(&mut self, actor: Actor, id: i64, open: bool) -> Result<(), sqlx::Error> {
                let before = self.action_record(id).await?;
                sqlx::query(
                    "UPDATE support_actions SET is_open = $2,
                            closed_at = CASE WHEN $2 THEN NULL ELSE COALESCE(closed_at, $3) END,
                            first_closed_at = CASE WHEN $2 THEN first_closed_at
                                                   ELSE COALESCE(first_closed_at, $3) END
                      WHERE id = $1",
                )
                .bind(id)
                .bind(open)
                .bind(crate::server::clock::now())
                .execute(&mut *self)
                .await?;
                let after = self.action_record(id).await?;
                let name = if open {
                    "support_action.reopen"
                } else {
                    "support_action.close"
                };
                let entry = AuditEntry::new(actor, name, "support_action", id)
                    .before(&before)
                    .after(&after);
                self.record_audit(&entry).await
            }
        }
    }

    /// `POST /staff/actions/{slug}/signatures.csv`: a council member of a
    /// municipality that adopted the person downloads the confirmed
    /// signatures for delivery (audited by the export itself). A POST, so
    /// that the request guard checks it came from our own page.
    pub async fn download_signatures(
        axum::extract::State(state): axum::extract::State<crate::server::AppState>,
        axum::extract::Path(slug): axum::extract::Path<String>,
        headers: http::HeaderMap,
    ) -> axum::response::Response {
        use crate::signing::export::{confirmed_for_delivery, signatures_csv};
        use axum::response::IntoResponse;
        use http::{header, StatusCode};
        let user = match crate::backoffice::session::on_server::user_from_headers(&state, &headers)
            .await
        {
            Ok(Some(user)) => user,
            Ok(None) => {
                let next = format!("/staff/actions/{slug}");
                let login = format!(
                    "/staff/login?next={}",
                    crate::server::context::encode_query(&next)
                );
                return (StatusCode::FOUND, [(header::LOCATION, login)]).into_response();
            }
            Err(error) => return AppError::from(error).status().into_response(),
        };
        if let Err(refused) =
            crate::backoffice::session::on_server::may(&user, Permission::ExportSignatures)
        {
            return (StatusCode::FORBIDDEN, refused.to_string()).into_response();
        }
        let csv = async {
            action_to_run(&state.db, user.acting(), &slug).await?;
            let action = Slug::parse(&slug).map_err(|_| AppError::not_found("support action"))?;
            let rows = confirmed_for_delivery(&state.db, user.actor(), &action).await?;
            signatures_csv(&rows).map_err(crate::error::internal)
        };
        match csv.await {
            Ok(csv) => csv_response(&slug, csv),
            Err(error) => error.status().into_response(),
        }
    }

    /// A CSV download that no cache keeps: it holds personal data.
    fn csv_response(slug: &str, csv: Vec<u8>) -> axum::response::Response {
        use axum::response::IntoResponse;
        use http::{header, HeaderValue};
        let mut response = csv.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        let disposition = format!("attachment; filename=\"{slug}-signatures.csv\"");
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    }

    /// What the command line gives to open a support action.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct NewSupportAction {
        pub person: Slug,
        pub slug: Slug,
        pub title: Line,
        pub body_html: String,
        pub addressee: Line,
        pub goal: u32,
        pub opens_on: PartialDate,
        pub closes_on: Option<PartialDate>,
    }

    /// What the command line is told when an action cannot be opened or closed.
    #[derive(Debug, thiserror::Error)]
    pub enum ActionError {
        #[error("no public person has the slug {0:?}")]
        UnknownPerson(String),
        #[error("a support action with the slug {0:?} already exists")]
        SlugTaken(String),
        #[error("no support action has the slug {0:?}")]
        UnknownAction(String),
        #[error("an action opens and closes on full dates (YYYY-MM-DD), not {0}")]
        NotAFullDate(PartialDate),
        #[error("the closing date comes before the opening date")]
        ClosesBeforeOpening,
        #[error("the goal must be at least one signature")]
        NoGoal,
        #[error(transparent)]
        Database(#[from] sqlx::Error),
    }

    fn naive(date: PartialDate) -> Result<NaiveDate, ActionError> {
        match (date.month_part(), date.day_part()) {
            (Some(m), Some(d)) => NaiveDate::from_ymd_opt(date.year_part(), m.into(), d.into())
                .ok_or(ActionError::NotAFullDate(date)),
            _ => Err(ActionError::NotAFullDate(date)),
        }
    }

    /// Opens a support action for a public person, through the same audited
    /// write as the staff page; the text is sanitized on the way in.
    #[tracing::instrument(skip(db, action), fields(%actor, action = %action.slug))]
    pub async fn create(
        db: &Db,
        actor: Actor,
        action: &NewSupportAction,
    ) -> Result<(), ActionError> {
        let terms = ActionTerms {
            title: action.title.clone(),
            body_html: crate::server::sanitize::rich_text(&action.body_html),
            addressee: action.addressee.clone(),
            goal: action.goal,
            threshold: None,
            opens_on: naive(action.opens_on)?,
            closes_on: action.closes_on.map(naive).transpose()?,
            // The command line writes in English.
            language: Locale::En,
        };
        if terms
            .closes_on
            .is_some_and(|closes| closes < terms.opens_on)
        {
            return Err(ActionError::ClosesBeforeOpening);
        }
        if terms.goal == 0 {
            return Err(ActionError::NoGoal);
        }
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let person_id: Option<i64> =
                sqlx::query_scalar("SELECT id FROM persons WHERE slug = $1 AND is_public")
                    .bind(action.person.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
            let person_id =
                person_id.ok_or_else(|| ActionError::UnknownPerson(action.person.to_string()))?;
            // Opened from the command line: it belongs to the earliest of the
            // municipalities holding the case.
            let owner: Option<i64> = sqlx::query_scalar(concat!(
                "SELECT a.municipality_id FROM adoptions a WHERE a.person_id = $1 AND ",
                crate::adoption_lasts!("a"),
                " ORDER BY ",
                "a.adopted_year, COALESCE(a.adopted_month, 0), COALESCE(a.adopted_day, 0), a.municipality_id LIMIT 1"
            ))
            .bind(person_id)
            .fetch_optional(&mut *tx)
            .await?;
            let id = tx
                .insert_action(actor, person_id, owner, &action.slug, &terms)
                .await?
                .ok_or_else(|| ActionError::SlugTaken(action.slug.to_string()))?;
            // The command line writes one language: an operator's action
            // goes out with the translations to follow, audited and queued.
            if let Some(record) = tx.action_record(id).await? {
                let gate = publication_gate(
                    &mut *tx,
                    actor,
                    Kind::SupportAction,
                    id,
                    action.person.as_str(),
                    &record,
                    Publication::TranslationsToFollow,
                );
                let _ = gate.await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Closes an action by hand, audited. Closing a closed action changes nothing.
    #[tracing::instrument(skip(db), fields(%actor))]
    pub async fn close(db: &Db, actor: Actor, slug: &Slug) -> Result<(), ActionError> {
        let id: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT id FROM support_actions WHERE slug = $1"
        )
        .bind(slug.as_str())
        .fetch_optional(pool)
        .await)?;
        let id = id.ok_or_else(|| ActionError::UnknownAction(slug.to_string()))?;
        set_open_state(db, actor, id, false).await?;
        Ok(())
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct ListedAction {
        pub slug: String,
        pub person_slug: String,
        pub title: String,
        pub goal: i64,
        pub opens_on: NaiveDate,
        pub closes_on: Option<NaiveDate>,
        pub is_open: bool,
        pub confirmed: i64,
    }

    /// Every action with its confirmed count, newest first.
    pub async fn list(db: &Db) -> Result<Vec<ListedAction>, sqlx::Error> {
        on_pool!(db, |pool| {
            sqlx::query_as(concat!(
            "SELECT a.slug, p.slug AS person_slug, a.title, CAST(a.goal AS BIGINT) AS goal, a.opens_on,
                    a.closes_on, a.is_open, ",
            crate::confirmed_count!(),
            " AS confirmed
               FROM support_actions a JOIN persons p ON p.id = a.person_id
              ORDER BY a.opens_on DESC, a.slug"
        ))
        .fetch_all(pool)
        .await
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn form() -> SupportActionForm {
            SupportActionForm {
                slug: "free-vahid-now".into(),
                original_language: "en".into(),
                title_en: "Free Vahid now".into(),
                body_html_en: "<p>Write to the authorities.</p>".into(),
                addressee_en: "The Head of the Judiciary".into(),
                goal: "500".into(),
                opens_on: "2026-01-01".into(),
                ..SupportActionForm::default()
            }
        }

        #[test]
        fn a_new_action_is_parsed_with_its_slug() {
            let mut problems = Problems::default();
            let (slug, terms, _) = parse_action_form(&mut problems, &form(), true).unwrap();
            assert_eq!(slug.unwrap().as_str(), "free-vahid-now");
            assert_eq!(terms.goal, 500);
            assert_eq!(terms.closes_on, None);
            let (slug, _, _) = parse_action_form(&mut problems, &form(), false).unwrap();
            assert_eq!(slug, None, "an edit keeps its address");
        }

        #[test]
        fn a_threshold_is_optional_and_a_whole_number() {
            let with = |threshold: &str| SupportActionForm {
                threshold: threshold.into(),
                ..form()
            };
            let mut problems = Problems::default();
            let (_, terms, _) = parse_action_form(&mut problems, &with(""), false).unwrap();
            assert_eq!(terms.threshold, None);
            let (_, terms, _) = parse_action_form(&mut problems, &with(" 1000 "), false).unwrap();
            assert_eq!(terms.threshold, Some(1000));
            for bad in ["0", "-5", "ten", "1.5"] {
                let mut problems = Problems::default();
                assert!(parse_action_form(&mut problems, &with(bad), false).is_none());
                assert_eq!(problems.0["threshold"], "form.invalid_goal", "{bad}");
            }
        }

        #[test]
        fn goals_dates_and_text_are_checked_together() {
            let bad = SupportActionForm {
                goal: "0".into(),
                opens_on: "2026-02-01".into(),
                closes_on: "2026-01-01".into(),
                body_html_en: "<script>only</script>".into(),
                ..form()
            };
            let mut problems = Problems::default();
            assert!(parse_action_form(&mut problems, &bad, false).is_none());
            assert_eq!(problems.0["goal"], "form.invalid_goal");
            assert_eq!(problems.0["closes_on"], "form.closes_before_opens");
            assert_eq!(
                problems.0["body_html_en"], "form.nothing_left",
                "nothing left once sanitized"
            );
        }
    }
}
