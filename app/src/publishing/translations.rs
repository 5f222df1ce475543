//! The translation queue: every person summary, support action and status
//! update, draft or published, that a language its person's municipalities
//! require still lacks, or whose translation was written before its original
//! last changed, by language. What a record lacks is the rule the
//! publication gate applies (`Translatable::missing_translations`), read
//! here for every record at once. Translating from the queue opens a page
//! with each field's original beside the field in that language, for
//! communications staff (council members also have the fieldsets of their
//! editors).
use crate::backoffice::StaffUser;
use crate::error::AppError;
use crate::i18n::{LangText, Locale};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The kinds of record the queue lists, in the order it lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum QueueKind {
    Person,
    SupportAction,
    StatusUpdate,
}

impl QueueKind {
    /// As the translation page's address names it.
    pub fn slug(self) -> &'static str {
        match self {
            QueueKind::Person => "person",
            QueueKind::SupportAction => "action",
            QueueKind::StatusUpdate => "update",
        }
    }

    pub fn parse(slug: &str) -> Option<Self> {
        [
            QueueKind::Person,
            QueueKind::SupportAction,
            QueueKind::StatusUpdate,
        ]
        .into_iter()
        .find(|k| k.slug() == slug)
    }

    /// The interface-string key naming the kind.
    pub fn label_key(self) -> &'static str {
        match self {
            QueueKind::Person => "staff.translations_person",
            QueueKind::SupportAction => "staff.translations_action",
            QueueKind::StatusUpdate => "staff.translations_update",
        }
    }
}

/// One record waiting for one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub kind: QueueKind,
    /// Where to translate it, without the page language's prefix:
    /// `/staff/translate/update/12/nl`.
    pub translate: String,
    pub person_name: String,
    /// What names the record (a title, or the person's name), in its original language.
    pub title: LangText,
    pub language: Locale,
    /// Fields with no translation in `language` (`title`, `body_html`, …).
    pub missing: Vec<String>,
    /// Fields whose translation is older than the original.
    pub outdated: Vec<String>,
    /// Public (a person, an update) or taking signatures (an action).
    pub is_published: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranslationsWorkspace {
    pub user: StaffUser,
    /// The language asked for; `None`: this staff member's, else all.
    pub language: Option<Locale>,
    /// The languages this staff member translates into (none: not a translator).
    pub translates: Vec<Locale>,
    pub entries: Vec<QueueEntry>,
    pub flash: Option<crate::backoffice::forms::FormFlash>,
}

/// The queue in `language` (`en`, `fr`, `nl`), or in every language
/// (`all`); when none is asked for, in the languages this staff member
/// translates into, else in every language.
#[server(prefix = "/api/staff", endpoint = "translations")]
pub async fn translation_queue(language: String) -> Result<TranslationsWorkspace, AppError> {
    let user =
        crate::backoffice::session::on_server::require(crate::domain::Permission::WriteUpdates)
            .await?;
    let db = crate::server::context::db()?;
    let translates = crate::backoffice::accounts::translator_languages(&db, user.id).await?;
    let (language, languages) = match language.trim() {
        "" => (None, translates.clone()),
        "all" => (None, Vec::new()),
        code => {
            let one = Locale::from_code(code)
                .ok_or_else(|| AppError::Invalid(format!("language={code}")))?;
            (Some(one), vec![one])
        }
    };
    Ok(TranslationsWorkspace {
        user,
        language,
        translates,
        entries: on_server::queue(&db, &languages).await?,
        flash: crate::backoffice::forms::on_server::take_form_flash().await,
    })
}

pub const TRANSLATION_FORM: &str = "translation";

/// One field to translate, beside its original.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldToTranslate {
    /// The record's column: `title`, `body_html`, `summary`, …
    pub field: String,
    /// Rich text (sanitized HTML) rather than a line.
    pub rich: bool,
    pub original: LangText,
    /// The translation as it stands, if any.
    pub text: String,
    /// Written before the original last changed.
    pub outdated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranslationPage {
    pub user: StaffUser,
    pub kind: QueueKind,
    pub key: String,
    pub language: Locale,
    /// What names the record, in its original language.
    pub title: LangText,
    pub person_name: String,
    pub fields: Vec<FieldToTranslate>,
    pub flash: Option<crate::backoffice::forms::FormFlash>,
}

/// A record's fields in `language` beside their originals; `None`: no such
/// record, or `language` is its original's.
#[server(prefix = "/api/staff", endpoint = "translation")]
pub async fn translation_workspace(
    kind: String,
    key: String,
    language: String,
) -> Result<Option<TranslationPage>, AppError> {
    let user =
        crate::backoffice::session::on_server::require(crate::domain::Permission::WriteUpdates)
            .await?;
    let (Some(kind), Some(language)) = (QueueKind::parse(&kind), Locale::from_code(&language))
    else {
        return Ok(None);
    };
    let db = crate::server::context::db()?;
    on_server::may_translate(&db, &user, kind, language).await?;
    let Some(page) = on_server::workspace(&db, user, kind, &key, language).await? else {
        return Ok(None);
    };
    Ok(Some(TranslationPage {
        flash: crate::backoffice::forms::on_server::take_form_flash().await,
        ..page
    }))
}

/// The translation form: one language, each field named by its column.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TranslationForm {
    pub lang: String,
    pub kind: String,
    pub key: String,
    pub language: String,
    pub summary: String,
    pub title: String,
    pub body_html: String,
    pub source_title: String,
    pub addressee: String,
    /// Ticked: the translation, left as it is, still says what the changed original says.
    pub checked: String,
}

/// Saves the translation of a record into one language, audited, then
/// goes back to the queue.
#[server(prefix = "/api/staff", endpoint = "save-translation")]
pub async fn save_translation(#[server(flatten)] form: TranslationForm) -> Result<(), AppError> {
    let user =
        crate::backoffice::session::on_server::require(crate::domain::Permission::WriteUpdates)
            .await?;
    on_server::save(&user, form).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::Problems;
    use crate::domain::{
        Translatable, Translation, PERSON_FIELDS, RICH_FIELDS, STATUS_EVENT_FIELDS,
        SUPPORT_ACTION_FIELDS,
    };
    use crate::on_pool;
    use crate::records::translations::{stored_language, Kind, Translations};
    use crate::server::audit::RecordAudit;
    use crate::server::db::Db;
    use std::collections::HashMap;

    /// A record of any kind, as the queue weighs it.
    struct Pending {
        kind: QueueKind,
        person_id: i64,
        person_name: String,
        /// Its slug, or its id for a status update.
        key: String,
        title: String,
        original_language: Locale,
        is_published: bool,
        fields: &'static [&'static str],
        originals: Vec<Option<String>>,
        /// A status event taken from a partner's feed (its source is the partner's name).
        from_feed: bool,
        translations: Vec<Translation>,
    }

    impl Translatable for Pending {
        fn fields(&self) -> &'static [&'static str] {
            self.fields
        }

        fn original_language(&self) -> Locale {
            self.original_language
        }

        fn original(&self, field: &str) -> Option<&str> {
            let at = self.fields.iter().position(|f| *f == field)?;
            self.originals[at].as_deref()
        }

        fn translations(&self) -> &[Translation] {
            &self.translations
        }

        fn is_translated(&self, field: &str) -> bool {
            !(self.from_feed && field == "source_title")
        }
    }

    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        key: String,
        person_id: i64,
        person_name: String,
        title: String,
        original_language: String,
        is_published: bool,
        from_feed: bool,
        a: Option<String>,
        b: Option<String>,
        c: Option<String>,
    }

    /// The persons some municipality requires a language for.
    macro_rules! with_required_languages {
        () => {
            concat!(
                "SELECT r.person_id FROM (",
                crate::required_languages_by_person!(),
                ") r"
            )
        };
    }

    async fn rows(db: &Db, kind: Kind) -> Result<Vec<Row>, sqlx::Error> {
        let sql = match kind {
            Kind::Person => concat!(
                "SELECT p.id, p.slug AS key, p.id AS person_id, p.full_name AS person_name, p.full_name AS title,
                        p.original_language, p.is_public AS is_published, FALSE AS from_feed,
                        p.summary AS a, NULL AS b, NULL AS c
                   FROM persons p WHERE p.id IN (",
                with_required_languages!(),
                ") ORDER BY p.id"
            ),
            Kind::SupportAction => concat!(
                "SELECT r.id, r.slug AS key, r.person_id, p.full_name AS person_name, r.title, r.original_language,
                        r.is_open AS is_published, FALSE AS from_feed, r.title AS a, r.body_html AS b, r.addressee AS c
                   FROM support_actions r JOIN persons p ON p.id = r.person_id WHERE r.person_id IN (",
                with_required_languages!(),
                ") ORDER BY r.id"
            ),
            Kind::StatusEvent => concat!(
                "SELECT r.id, CAST(r.id AS TEXT) AS key, r.person_id, p.full_name AS person_name, r.title,
                        r.original_language, r.is_published, r.provenance = 'feed' AS from_feed,
                        r.title AS a, r.body_html AS b, r.source_title AS c
                   FROM status_events r JOIN persons p ON p.id = r.person_id WHERE r.person_id IN (",
                with_required_languages!(),
                ") ORDER BY r.id"
            ),
        };
        on_pool!(db, |pool| sqlx::query_as(sql).fetch_all(pool).await)
    }

    async fn pending(db: &Db, kind: Kind) -> Result<Vec<Pending>, sqlx::Error> {
        let rows = rows(db, kind).await?;
        let mut translations: HashMap<i64, Vec<Translation>> = HashMap::new();
        let all = on_pool!(db, |pool| pool
            .acquire()
            .await?
            .translations_of(kind, None)
            .await)?;
        for (id, translation) in all {
            translations.entry(id).or_default().push(translation);
        }
        let (queue_kind, fields): (_, &'static [&'static str]) = match kind {
            Kind::Person => (QueueKind::Person, &PERSON_FIELDS),
            Kind::SupportAction => (QueueKind::SupportAction, &SUPPORT_ACTION_FIELDS),
            Kind::StatusEvent => (QueueKind::StatusUpdate, &STATUS_EVENT_FIELDS),
        };
        rows.into_iter()
            .map(|row| {
                Ok(Pending {
                    kind: queue_kind,
                    person_id: row.person_id,
                    person_name: row.person_name,
                    key: row.key,
                    title: row.title,
                    original_language: stored_language(&row.original_language)?,
                    is_published: row.is_published,
                    fields,
                    originals: [row.a, row.b, row.c]
                        .into_iter()
                        .take(fields.len())
                        .collect(),
                    from_feed: row.from_feed,
                    translations: translations.remove(&row.id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The languages each person's municipalities require.
    async fn required(db: &Db) -> Result<HashMap<i64, Vec<Locale>>, sqlx::Error> {
        let rows: Vec<(i64, String)> = on_pool!(db, |pool| {
            sqlx::query_as(crate::required_languages_by_person!())
                .fetch_all(pool)
                .await
        })?;
        let mut required: HashMap<i64, Vec<Locale>> = HashMap::new();
        for (person, code) in rows {
            required
                .entry(person)
                .or_default()
                .push(stored_language(&code)?);
        }
        Ok(required)
    }

    /// What waits for translation: persons, then actions, then updates,
    /// each oldest first, a row per language.
    /// `wanted`: the languages to list; none: every language.
    pub async fn queue(db: &Db, wanted: &[Locale]) -> Result<Vec<QueueEntry>, sqlx::Error> {
        let required = required(db).await?;
        let mut entries = Vec::new();
        for kind in [Kind::Person, Kind::SupportAction, Kind::StatusEvent] {
            for record in pending(db, kind).await? {
                let languages = required.get(&record.person_id).cloned().unwrap_or_default();
                let languages: Vec<Locale> = Locale::ALL
                    .into_iter()
                    .filter(|l| languages.contains(l) && (wanted.is_empty() || wanted.contains(l)))
                    .collect();
                for lacking in record.missing_translations(&languages) {
                    let (outdated, missing): (Vec<String>, Vec<String>) =
                        lacking.fields.into_iter().partition(|field| {
                            record
                                .translations
                                .iter()
                                .any(|t| t.language == lacking.language && t.field == *field)
                        });
                    entries.push(QueueEntry {
                        kind: record.kind,
                        translate: format!(
                            "/staff/translate/{}/{}/{}",
                            record.kind.slug(),
                            record.key,
                            lacking.language.code()
                        ),
                        person_name: record.person_name.clone(),
                        title: LangText {
                            text: record.title.clone(),
                            lang: record.original_language,
                        },
                        language: lacking.language,
                        missing,
                        outdated,
                        is_published: record.is_published,
                    });
                }
            }
        }
        Ok(entries)
    }

    /// A record of one of the kinds the queue lists, as stored.
    enum Loaded {
        Person(crate::cases::persons::PersonRecord),
        Action(crate::campaigns::actions::SupportActionRecord),
        Update(crate::domain::StatusEventRecord),
    }

    impl Loaded {
        fn record(&self) -> &(dyn Translatable + Sync) {
            match self {
                Loaded::Person(r) => r,
                Loaded::Action(r) => r,
                Loaded::Update(r) => r,
            }
        }

        /// What names it: a person's name, an action's or update's title.
        fn title(&self) -> &str {
            match self {
                Loaded::Person(r) => &r.full_name,
                Loaded::Action(r) => &r.title,
                Loaded::Update(r) => &r.title,
            }
        }

        fn kind(kind: QueueKind) -> Kind {
            match kind {
                QueueKind::Person => Kind::Person,
                QueueKind::SupportAction => Kind::SupportAction,
                QueueKind::StatusUpdate => Kind::StatusEvent,
            }
        }
    }

    /// Loads record `key` of `kind` on a connection: its id, the record and its person's name.
    macro_rules! load {
        ($conn:expr, $kind:expr, $key:expr) => {
            async {
                use crate::campaigns::actions::on_server::ActionStore;
                use crate::cases::persons::on_server::PersonStore;
                use crate::records::timeline::Timeline;
                let id: Option<i64> = match $kind {
                    QueueKind::Person => {
                        sqlx::query_scalar("SELECT id FROM persons WHERE slug = $1")
                            .bind($key)
                            .fetch_optional(&mut *$conn)
                            .await?
                    }
                    QueueKind::SupportAction => {
                        sqlx::query_scalar("SELECT id FROM support_actions WHERE slug = $1")
                            .bind($key)
                            .fetch_optional(&mut *$conn)
                            .await?
                    }
                    QueueKind::StatusUpdate => $key.parse::<i64>().ok(),
                };
                let Some(id) = id else {
                    return Ok::<_, sqlx::Error>(None);
                };
                let loaded = match $kind {
                    QueueKind::Person => $conn.person_record(id).await?.map(Loaded::Person),
                    QueueKind::SupportAction => $conn.action_record(id).await?.map(Loaded::Action),
                    QueueKind::StatusUpdate => {
                        $conn.status_event_record(id).await?.map(Loaded::Update)
                    }
                };
                let Some(loaded) = loaded else {
                    return Ok(None);
                };
                let person = match &loaded {
                    Loaded::Person(r) => r.slug.clone(),
                    Loaded::Action(r) => r.person.clone(),
                    Loaded::Update(r) => r.person.clone(),
                };
                let name: String =
                    sqlx::query_scalar("SELECT full_name FROM persons WHERE slug = $1")
                        .bind(person)
                        .fetch_one(&mut *$conn)
                        .await?;
                Ok(Some((id, loaded, name)))
            }
        };
    }

    /// Status updates are communications staff's own writing; a person's
    /// case and a support action are their council's, and communications
    /// staff put them into the languages an administrator assigned them only
    /// (issue 28, N4).
    pub async fn may_translate(
        db: &Db,
        user: &StaffUser,
        kind: QueueKind,
        language: Locale,
    ) -> Result<(), AppError> {
        if kind == QueueKind::StatusUpdate {
            return Ok(());
        }
        let languages = crate::backoffice::accounts::translator_languages(db, user.id).await?;
        if languages.contains(&language) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "a case or an action is translated only into the languages an administrator assigned you",
            ))
        }
    }

    /// The translation page of a record, without the flash.
    pub async fn workspace(
        db: &Db,
        user: StaffUser,
        kind: QueueKind,
        key: &str,
        language: Locale,
    ) -> Result<Option<TranslationPage>, sqlx::Error> {
        let loaded = on_pool!(db, |pool| {
            let mut conn = pool.acquire().await?;
            load!(conn, kind, key).await
        })?;
        let Some((_, loaded, person_name)) = loaded else {
            return Ok(None);
        };
        let record = loaded.record();
        if record.original_language() == language {
            return Ok(None);
        }
        let fields = record
            .fields()
            .iter()
            .filter(|field| record.is_translated(field))
            .filter_map(|field| {
                let original = record.original(field)?;
                let translation = record
                    .translations()
                    .iter()
                    .find(|t| t.language == language && t.field == *field);
                Some(FieldToTranslate {
                    field: (*field).to_owned(),
                    rich: RICH_FIELDS.contains(field),
                    original: LangText {
                        text: original.to_owned(),
                        lang: record.original_language(),
                    },
                    text: translation.map(|t| t.text.clone()).unwrap_or_default(),
                    outdated: translation.is_some_and(|t| t.outdated),
                })
            })
            .collect();
        let original_language = record.original_language();
        let title = loaded.title().to_owned();
        Ok(Some(TranslationPage {
            user,
            kind,
            key: key.to_owned(),
            language,
            title: LangText {
                text: title,
                lang: original_language,
            },
            person_name,
            fields,
            flash: None,
        }))
    }

    impl TranslationForm {
        fn text(&self, field: &str) -> &str {
            match field {
                "summary" => &self.summary,
                "title" => &self.title,
                "body_html" => &self.body_html,
                "source_title" => &self.source_title,
                _ => &self.addressee,
            }
        }
    }

    /// Saves one language of a record, audited (`translation.save`, the
    /// record's translations in that language before and after).
    #[tracing::instrument(skip_all, fields(actor = user.id, kind = %form.kind, key = %form.key, language = %form.language))]
    pub async fn save(user: &StaffUser, form: TranslationForm) -> Result<(), AppError> {
        use crate::backoffice::forms::on_server::{done, refuse};
        use crate::server::db::BeginWrite;
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let (Some(kind), Some(language)) = (
            QueueKind::parse(&form.kind),
            Locale::from_code(&form.language),
        ) else {
            return Err(AppError::not_found("translation"));
        };
        may_translate(&db, user, kind, language).await?;
        let mut problems = Problems::default();
        let now = crate::server::clock::now();
        let key = form.key.trim().to_owned();
        let saved = on_pool!(&db, |pool| async {
            let mut tx = pool.begin_write().await?;
            let Some((id, loaded, _)) = load!(tx, kind, key.as_str()).await? else {
                return Ok::<_, sqlx::Error>(None);
            };
            let record = loaded.record();
            if record.original_language() == language {
                return Ok(None);
            }
            let translations = typed_fields(record, &form, language, &mut problems);
            if !problems.is_empty() {
                return Ok(Some(false));
            }
            let checked = !form.checked.trim().is_empty();
            let written = Written {
                actor: user,
                kind: Loaded::kind(kind),
                id,
                record,
                language,
                translations: &translations,
                checked,
                now,
            };
            write_language(&mut *tx, written).await?;
            tx.commit().await?;
            Ok(Some(true))
        }
        .await)?;
        match saved {
            None => Err(AppError::not_found("translation")),
            Some(false) => refuse(TRANSLATION_FORM, &form, problems).await,
            Some(true) => {
                done(
                    TRANSLATION_FORM,
                    "staff.translation_saved",
                    &locale.path("/staff/translations", false),
                )
                .await
            }
        }
    }

    /// What the form holds for the fields of `record` that have an original
    /// and are translated, checked; each problem noted against its field.
    fn typed_fields(
        record: &(dyn Translatable + Sync),
        form: &TranslationForm,
        language: Locale,
        problems: &mut Problems,
    ) -> Vec<(Locale, &'static str, Option<String>)> {
        use crate::backoffice::forms::on_server::{optional_line, rich_or_none};
        let mut translations = Vec::new();
        for field in record.fields() {
            if record.original(field).is_none() || !record.is_translated(field) {
                continue;
            }
            let typed = form.text(field);
            let text = if RICH_FIELDS.contains(field) {
                rich_or_none(problems, field, typed)
            } else {
                optional_line(problems, field, typed).map(|l| l.map(String::from))
            };
            if let Some(text) = text {
                translations.push((language, *field, text));
            }
        }
        translations
    }

    /// One language of one record, as typed on the translation page.
    struct Written<'a> {
        actor: &'a StaffUser,
        kind: Kind,
        id: i64,
        record: &'a (dyn Translatable + Sync),
        language: Locale,
        translations: &'a [(Locale, &'static str, Option<String>)],
        /// The translation, left as it is, still says what the changed original says.
        checked: bool,
        now: i64,
    }

    /// Writes one language of a record, audited (`translation.save`, the
    /// record's translations in that language before and after) when it changed.
    async fn write_language<C: Translations + RecordAudit + Send>(
        conn: &mut C,
        w: Written<'_>,
    ) -> Result<(), sqlx::Error> {
        use crate::records::translations::{write_translations, TypedTranslations};
        use crate::server::audit::AuditEntry;
        let in_language = |ts: Vec<Translation>| {
            ts.into_iter()
                .filter(|t| t.language == w.language)
                .collect::<Vec<_>>()
        };
        let before = in_language(w.record.translations().to_vec());
        let checked = if w.checked {
            vec![w.language]
        } else {
            Vec::new()
        };
        let typed = TypedTranslations {
            original_language: w.record.original_language(),
            translations: w.translations,
            checked: &checked,
        };
        write_translations(
            &mut *conn,
            w.kind,
            w.id,
            Some(w.record),
            &typed,
            w.actor.id,
            w.now,
        )
        .await?;
        let after = conn.translations_of(w.kind, Some(w.id)).await?;
        let after = in_language(after.into_iter().map(|(_, t)| t).collect());
        if after != before {
            let entry = AuditEntry::new(
                w.actor.actor(),
                "translation.save",
                w.kind.record_type(),
                w.id,
            )
            .before(&before)
            .after(&after);
            conn.record_audit(&entry).await?;
        }
        Ok(())
    }
}
