//! The translation queue: every status update, draft or published, that a
//! language its person's municipalities require still lacks, or whose
//! translation was written before its original last changed, oldest first,
//! by language. Translating from the queue opens the update's editor at that
//! language's fieldset, beside the original.
use super::StaffUser;
use crate::error::AppError;
use crate::i18n::{LangText, Locale};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One update waiting for one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub update: i64,
    pub person_name: String,
    /// In the original language.
    pub title: LangText,
    pub language: Locale,
    /// Fields with no translation in `language` (`title`, `body_html`, `source_title`).
    pub missing: Vec<String>,
    /// Fields whose translation is older than the original.
    pub outdated: Vec<String>,
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
    use crate::on_pool;
    use crate::server::db::Db;
    use crate::server::translations::stored_language;

    /// `missing`, `outdated` or NULL (nothing to do, or no original) for the
    /// field `$column` of the update `e` in the language `l.language`.
    macro_rules! field_state {
        ($column:literal) => {
            concat!(
                "CASE WHEN e.",
                $column,
                " IS NULL THEN NULL
                      WHEN NOT EXISTS (SELECT 1 FROM status_event_translations t
                                        WHERE t.status_event_id = e.id AND t.field = '",
                $column,
                "'
                                          AND t.language = l.language) THEN 'missing'
                      WHEN EXISTS (SELECT 1 FROM status_event_translations t
                                    WHERE t.status_event_id = e.id AND t.field = '",
                $column,
                "'
                                      AND t.language = l.language AND t.source_text <> e.",
                $column,
                ") THEN 'outdated'
                 END"
            )
        };
    }

    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        person_name: String,
        title: String,
        original_language: String,
        is_published: bool,
        provenance: String,
        language: String,
        title_state: Option<String>,
        body_html_state: Option<String>,
        source_title_state: Option<String>,
    }

    /// What waits for translation, oldest update first.
    pub async fn queue(db: &Db, language: Option<Locale>) -> Result<Vec<QueueEntry>, sqlx::Error> {
        let rows: Vec<Row> = on_pool!(db, |pool| {
            sqlx::query_as(concat!(
            "SELECT e.id, p.full_name AS person_name, e.title, e.original_language, e.is_published, e.provenance,
                    l.language, ",
            field_state!("title"), " AS title_state, ",
            field_state!("body_html"), " AS body_html_state, ",
            field_state!("source_title"), " AS source_title_state
               FROM status_events e JOIN persons p ON p.id = e.person_id
               JOIN (SELECT DISTINCT a.person_id, ml.language
                       FROM adoptions a JOIN municipality_languages ml ON ml.municipality_id = a.municipality_id
                      WHERE ml.required) l ON l.person_id = e.person_id
              WHERE l.language <> e.original_language AND ($1 IS NULL OR l.language = $1)
              ORDER BY e.id, l.language"
        ))
        .bind(language.map(Locale::code))
        .fetch_all(pool)
        .await
        })?;
        let mut entries = Vec::new();
        for row in rows {
            let states = [
                ("title", row.title_state),
                ("body_html", row.body_html_state),
                // A partner's name, for what came from its feed: no translation.
                (
                    "source_title",
                    row.source_title_state.filter(|_| row.provenance != "feed"),
                ),
            ];
            let with = |state: &str| {
                states
                    .iter()
                    .filter(|(_, s)| s.as_deref() == Some(state))
                    .map(|(field, _)| (*field).to_owned())
                    .collect::<Vec<_>>()
            };
            let (missing, outdated) = (with("missing"), with("outdated"));
            if missing.is_empty() && outdated.is_empty() {
                continue;
            }
            entries.push(QueueEntry {
                update: row.id,
                person_name: row.person_name,
                title: LangText {
                    text: row.title,
                    lang: stored_language(&row.original_language)?,
                },
                language: stored_language(&row.language)?,
                missing,
                outdated,
                is_published: row.is_published,
            });
        }
        Ok(entries)
    }
}
