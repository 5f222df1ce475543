//! The translation queue: every person summary, support action and status
//! update, draft or published, that a language its person's municipalities
//! require still lacks, or whose translation was written before its original
//! last changed, by language. What a record lacks is the rule the
//! publication gate applies (`Translatable::missing_translations`), read
//! here for every record at once. Translating from the queue opens the
//! record's editor at that language's fieldset, beside the original.
use super::StaffUser;
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
    /// The editor's page and the fieldset of the language on it, without
    /// the page language's prefix: `/staff/updates/12#status-update-nl`.
    pub editor: String,
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
    /// The language asked for; `None`: all.
    pub language: Option<Locale>,
    pub entries: Vec<QueueEntry>,
}

/// The queue, in every required language or in `language` (`en`, `fr`, `nl`).
#[server(prefix = "/api/staff", endpoint = "translations")]
pub async fn translation_queue(language: String) -> Result<TranslationsWorkspace, AppError> {
    let user = super::session::on_server::require(crate::domain::Permission::WriteUpdates).await?;
    let language = match language.trim() {
        "" => None,
        code => Some(
            Locale::from_code(code).ok_or_else(|| AppError::Invalid(format!("language={code}")))?,
        ),
    };
    let db = crate::server::context::db()?;
    Ok(TranslationsWorkspace {
        user,
        language,
        entries: on_server::queue(&db, language).await?,
    })
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::domain::{
        Translatable, Translation, PERSON_FIELDS, STATUS_EVENT_FIELDS, SUPPORT_ACTION_FIELDS,
    };
    use crate::on_pool;
    use crate::server::db::Db;
    use crate::server::translations::{stored_language, Kind, Translations};
    use crate::staff::{actions::ACTION_FORM, persons::PERSON_FORM, updates::UPDATE_FORM};
    use std::collections::HashMap;

    /// A record of any kind, as the queue weighs it.
    struct Pending {
        kind: QueueKind,
        person_id: i64,
        person_name: String,
        /// The editor's page, without the language prefix or fieldset.
        editor: String,
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
            "SELECT a.person_id FROM adoptions a
               JOIN municipality_languages ml ON ml.municipality_id = a.municipality_id WHERE ml.required"
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
        let (queue_kind, fields, editor, form): (_, &'static [&'static str], _, _) = match kind {
            Kind::Person => (
                QueueKind::Person,
                &PERSON_FIELDS,
                "/staff/persons/",
                PERSON_FORM,
            ),
            Kind::SupportAction => (
                QueueKind::SupportAction,
                &SUPPORT_ACTION_FIELDS,
                "/staff/actions/",
                ACTION_FORM,
            ),
            Kind::StatusEvent => (
                QueueKind::StatusUpdate,
                &STATUS_EVENT_FIELDS,
                "/staff/updates/",
                UPDATE_FORM,
            ),
        };
        rows.into_iter()
            .map(|row| {
                Ok(Pending {
                    kind: queue_kind,
                    person_id: row.person_id,
                    person_name: row.person_name,
                    editor: format!("{editor}{}#{form}", row.key),
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
            sqlx::query_as(
            "SELECT DISTINCT a.person_id, ml.language
               FROM adoptions a JOIN municipality_languages ml ON ml.municipality_id = a.municipality_id
              WHERE ml.required"
        )
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
    pub async fn queue(db: &Db, language: Option<Locale>) -> Result<Vec<QueueEntry>, sqlx::Error> {
        let required = required(db).await?;
        let mut entries = Vec::new();
        for kind in [Kind::Person, Kind::SupportAction, Kind::StatusEvent] {
            for record in pending(db, kind).await? {
                let languages = required.get(&record.person_id).cloned().unwrap_or_default();
                let languages: Vec<Locale> = Locale::ALL
                    .into_iter()
                    .filter(|l| languages.contains(l) && language.is_none_or(|wanted| wanted == *l))
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
                        editor: format!("{}-{}", record.editor, lacking.language.code()),
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
}
