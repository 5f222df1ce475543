//! Content in every language of the network. A record keeps its text in the
//! language it was written in (`original_language`, on the record); each
//! translation into another language is a row of the record's translation
//! table, one per field and language (migration 0015 says why this shape).
//!
//! Reads ask for the page's language and get, per field, the translation
//! when there is one made from the original as it stands, else the
//! original: always with the language the text is in ([`LangText`]), so that
//! a page marks an original it falls back to. A translation of an older
//! original (outdated) is never shown as if it said what the original says
//! now: it waits in the translation queue until a translator revises it or
//! confirms it still holds.
use crate::domain::{MissingTranslation, Translatable, Translation};
use crate::i18n::{LangText, Locale};
use crate::impl_for_connections;
use crate::server::audit::{Actor, AuditEntry, RecordAudit};

/// Selects the column `$column` of the record aliased `$alias` in the
/// language of the join below, else in its original language, as `$column`,
/// and the language it is in as `$column_lang`.
#[macro_export]
macro_rules! translated {
    ($alias:literal . $column:literal) => {
        concat!(
            "COALESCE(t_",
            $alias,
            "_",
            $column,
            ".text, ",
            $alias,
            ".",
            $column,
            ") AS ",
            $column,
            ", COALESCE(t_",
            $alias,
            "_",
            $column,
            ".language, ",
            $alias,
            ".original_language) AS ",
            $column,
            "_lang"
        )
    };
}

/// Joins the translation of `$alias.$column` into the language bound at the
/// placeholder `$lang`, from the translation table `$table` whose record key
/// is `$key`, if it was made from the original as it stands (an emptied
/// original has none). Goes with [`translated!`].
#[macro_export]
macro_rules! translation_join {
    ($table:literal . $key:literal, $alias:literal . $column:literal, $lang:literal) => {
        concat!(
            " LEFT JOIN ",
            $table,
            " t_",
            $alias,
            "_",
            $column,
            " ON t_",
            $alias,
            "_",
            $column,
            ".",
            $key,
            " = ",
            $alias,
            ".id",
            " AND t_",
            $alias,
            "_",
            $column,
            ".field = '",
            $column,
            "'",
            " AND t_",
            $alias,
            "_",
            $column,
            ".language = ",
            $lang,
            " AND t_",
            $alias,
            "_",
            $column,
            ".source_text = ",
            $alias,
            ".",
            $column
        )
    };
}

/// Whether the translation row `$t` of the record `$r` is outdated: its
/// original, the record's column named by `$t.field` (one of `$column`s),
/// changed (or was emptied) since.
#[macro_export]
macro_rules! translation_outdated {
    ($t:literal, $r:literal, [$($column:literal),+]) => {
        concat!(
            "(CASE ", $t, ".field",
            $(" WHEN '", $column, "' THEN ", $t, ".source_text IS DISTINCT FROM ", $r, ".", $column,)+
            " ELSE FALSE END)"
        )
    };
}

/// Each person and each language the municipalities holding their case
/// require (`person_id`, `language`): the one definition, read for one
/// person by the publication gate and for all at once by the queue.
#[macro_export]
macro_rules! required_languages_by_person {
    () => {
        concat!(
            "SELECT DISTINCT a.person_id, ml.language
               FROM adoptions a JOIN municipality_languages ml ON ml.municipality_id = a.municipality_id
              WHERE ml.required AND ",
            $crate::adoption_lasts!("a")
        )
    };
}

/// A language read back from the database; a bad one is a decoding error.
pub fn stored_language(code: &str) -> Result<Locale, sqlx::Error> {
    Locale::from_code(code)
        .ok_or_else(|| crate::server::db::decode(format!("stored language {code:?}")))
}

/// A text read with [`translated!`]: the text and the language it is in.
pub fn stored_text(text: String, lang: &str) -> Result<LangText, sqlx::Error> {
    Ok(LangText {
        text,
        lang: stored_language(lang)?,
    })
}

/// Every field that is written per language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    PersonSummary,
    StatusEventTitle,
    StatusEventBody,
    StatusEventSourceTitle,
    SupportActionTitle,
    SupportActionBody,
    SupportActionAddressee,
    MunicipalityName,
}

/// The kinds of record whose text is written per language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Person,
    StatusEvent,
    SupportAction,
}

/// Every translation of the records of one kind (`$1` a record, or NULL for
/// all), with whether its original changed since it was written.
macro_rules! translations_sql {
    ($table:literal . $key:literal, $record:literal, [$($column:literal),+]) => {
        concat!(
            "SELECT t.", $key, " AS record_id, t.language, t.field, t.text, ",
            crate::translation_outdated!("t", "r", [$($column),+]),
            " AS outdated FROM ", $table, " t JOIN ", $record, " r ON r.id = t.", $key,
            " WHERE ($1 IS NULL OR t.", $key, " = $1) ORDER BY t.", $key, ", t.language, t.field"
        )
    };
}

impl Kind {
    fn translations_sql(self) -> &'static str {
        match self {
            Kind::Person => {
                translations_sql!("person_translations"."person_id", "persons", ["summary"])
            }
            Kind::StatusEvent => translations_sql!(
                "status_event_translations"."status_event_id",
                "status_events",
                ["title", "body_html", "source_title"]
            ),
            Kind::SupportAction => translations_sql!(
                "support_action_translations"."support_action_id",
                "support_actions",
                ["title", "body_html", "addressee"]
            ),
        }
    }
}

impl Field {
    /// The field `name` (a column) of a record of `kind`; `None`: not written per language.
    pub fn of(kind: Kind, name: &str) -> Option<Field> {
        Some(match (kind, name) {
            (Kind::Person, "summary") => Field::PersonSummary,
            (Kind::StatusEvent, "title") => Field::StatusEventTitle,
            (Kind::StatusEvent, "body_html") => Field::StatusEventBody,
            (Kind::StatusEvent, "source_title") => Field::StatusEventSourceTitle,
            (Kind::SupportAction, "title") => Field::SupportActionTitle,
            (Kind::SupportAction, "body_html") => Field::SupportActionBody,
            (Kind::SupportAction, "addressee") => Field::SupportActionAddressee,
            _ => return None,
        })
    }
}

impl Kind {
    /// As the audit log names the record.
    pub fn record_type(self) -> &'static str {
        match self {
            Kind::Person => "person",
            Kind::StatusEvent => "status_event",
            Kind::SupportAction => "support_action",
        }
    }

    fn published_before_translation(self) -> &'static str {
        match self {
            Kind::Person => "person.publish_before_translation",
            Kind::StatusEvent => "status_event.publish_before_translation",
            Kind::SupportAction => "support_action.publish_before_translation",
        }
    }
}

/// How staff publish: with every language the person's municipalities
/// require written, or now, with the translations to follow (urgent news;
/// audited as such, and the missing translations wait in the queue).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publication {
    Translated,
    TranslationsToFollow,
}

/// The publication gate, one for every kind of record (a status update
/// published, a person made public, a support action opened): what the
/// languages `person`'s municipalities require still lack in `record`.
/// `Err`: refused, with what each language lacks (the caller changes
/// nothing); with the translations to follow it goes out, and the audit
/// log says what was missing.
pub async fn publication_gate<C: Translations + RecordAudit + Send>(
    conn: &mut C,
    actor: Actor,
    kind: Kind,
    id: i64,
    person: &str,
    record: &(impl Translatable + ?Sized),
    publication: Publication,
) -> Result<Result<(), Vec<MissingTranslation>>, sqlx::Error> {
    let required = conn.required_languages(person).await?;
    let missing = record.missing_translations(&required);
    if missing.is_empty() {
        return Ok(Ok(()));
    }
    if publication == Publication::Translated {
        return Ok(Err(missing));
    }
    let entry = AuditEntry::new(
        actor,
        kind.published_before_translation(),
        kind.record_type(),
        id,
    )
    .after(&missing);
    conn.record_audit(&entry).await?;
    Ok(Ok(()))
}

/// The languages the municipalities that adopted `person` (by slug) require
/// before anything about the person is published.
pub async fn required_languages(
    db: &crate::server::db::Db,
    person: &str,
) -> Result<Vec<Locale>, sqlx::Error> {
    crate::on_pool!(db, |pool| pool
        .acquire()
        .await?
        .required_languages(person)
        .await)
}

/// The languages `municipality` (by slug) requires before publishing.
pub async fn languages_required_by(
    db: &crate::server::db::Db,
    municipality: &str,
) -> Result<Vec<Locale>, sqlx::Error> {
    crate::on_pool!(db, |pool| pool
        .acquire()
        .await?
        .languages_required_by(municipality)
        .await)
}

/// What an editor typed in the languages other than a record's original.
pub struct TypedTranslations<'a> {
    pub original_language: Locale,
    /// Each other language's text of each field; `None` when emptied.
    pub translations: &'a [(Locale, &'static str, Option<String>)],
    /// Languages whose translation, as it is, was confirmed to still hold.
    pub checked: &'a [Locale],
}

/// Stored language codes, in the order the network lists its languages.
pub fn in_network_order(codes: &[String]) -> Result<Vec<Locale>, sqlx::Error> {
    let mut languages = codes
        .iter()
        .map(|code| stored_language(code))
        .collect::<Result<Vec<_>, _>>()?;
    languages.sort_by_key(|l| Locale::ALL.iter().position(|a| a == l));
    Ok(languages)
}

#[derive(sqlx::FromRow)]
struct TranslationRow {
    record_id: i64,
    language: String,
    field: String,
    text: String,
    outdated: bool,
}

/// Writes the translations an editor typed for record `id` of `kind`, as it
/// was `before` the edit (`None`: new). A translation left as it was keeps
/// the original it was made from, so it stays outdated if that changed,
/// unless the editor confirmed it still holds; an emptied one is removed;
/// the original's own language holds none.
pub async fn write_translations<C: Translations + Send>(
    conn: &mut C,
    kind: Kind,
    id: i64,
    before: Option<&(impl Translatable + ?Sized)>,
    typed: &TypedTranslations<'_>,
    by: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    for (language, name, text) in typed.translations {
        let Some(field) = Field::of(kind, name) else {
            continue;
        };
        let unchanged = before.is_some_and(|b| {
            b.original_language() != *language && b.text_in(name, *language) == text.as_deref()
        });
        if unchanged && !typed.checked.contains(language) {
            continue;
        }
        match text {
            Some(text) => {
                let translation = NewTranslation {
                    field,
                    record_id: id,
                    language: *language,
                    text,
                    by: Some(by),
                };
                conn.save_translation(&translation, now).await?;
            }
            None => conn.delete_translation(field, id, *language).await?,
        }
    }
    for (_, name, _) in typed.translations {
        if let Some(field) = Field::of(kind, name) {
            conn.delete_translation(field, id, typed.original_language)
                .await?;
        }
    }
    Ok(())
}

/// Writes (or rewrites) one translation, remembering the original it was
/// made from. `table`: the translation table and its record key; `record`:
/// the record's table and translated column.
macro_rules! save_sql {
    ($table:literal . $key:literal, $record:literal . $column:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " (",
            $key,
            ", field, language, text, source_text, translated_by, updated_at)
             SELECT r.id, '",
            $column,
            "', $2, $3, r.",
            $column,
            ", $4, $5 FROM ",
            $record,
            " r
              WHERE r.id = $1 AND r.original_language <> $2 AND r.",
            $column,
            " IS NOT NULL
             ON CONFLICT (",
            $key,
            ", field, language) DO UPDATE
                SET text = excluded.text, source_text = excluded.source_text,
                    translated_by = excluded.translated_by, updated_at = excluded.updated_at"
        )
    };
}

/// Removes one translation: `$1` the record, `$2` the language.
macro_rules! delete_sql {
    ($table:literal . $key:literal, $column:literal) => {
        concat!(
            "DELETE FROM ",
            $table,
            " WHERE ",
            $key,
            " = $1 AND field = '",
            $column,
            "' AND language = $2"
        )
    };
}

impl Field {
    /// Rich text (sanitized HTML) rather than a line.
    fn is_rich(self) -> bool {
        matches!(
            self,
            Field::PersonSummary | Field::StatusEventBody | Field::SupportActionBody
        )
    }

    fn delete_sql(self) -> &'static str {
        match self {
            Field::PersonSummary => delete_sql!("person_translations"."person_id", "summary"),
            Field::StatusEventTitle => {
                delete_sql!("status_event_translations"."status_event_id", "title")
            }
            Field::StatusEventBody => {
                delete_sql!("status_event_translations"."status_event_id", "body_html")
            }
            Field::StatusEventSourceTitle => {
                delete_sql!("status_event_translations"."status_event_id", "source_title")
            }
            Field::SupportActionTitle => {
                delete_sql!("support_action_translations"."support_action_id", "title")
            }
            Field::SupportActionBody => {
                delete_sql!("support_action_translations"."support_action_id", "body_html")
            }
            Field::SupportActionAddressee => {
                delete_sql!("support_action_translations"."support_action_id", "addressee")
            }
            Field::MunicipalityName => {
                delete_sql!("municipality_translations"."municipality_id", "name")
            }
        }
    }

    fn save_sql(self) -> &'static str {
        match self {
            Field::PersonSummary => {
                save_sql!("person_translations"."person_id", "persons"."summary")
            }
            Field::StatusEventTitle => {
                save_sql!("status_event_translations"."status_event_id", "status_events"."title")
            }
            Field::StatusEventBody => {
                save_sql!("status_event_translations"."status_event_id", "status_events"."body_html")
            }
            Field::StatusEventSourceTitle => save_sql!(
                "status_event_translations"."status_event_id",
                "status_events"."source_title"
            ),
            Field::SupportActionTitle => {
                save_sql!("support_action_translations"."support_action_id", "support_actions"."title")
            }
            Field::SupportActionBody => save_sql!(
                "support_action_translations"."support_action_id",
                "support_actions"."body_html"
            ),
            Field::SupportActionAddressee => save_sql!(
                "support_action_translations"."support_action_id",
                "support_actions"."addressee"
            ),
            Field::MunicipalityName => {
                save_sql!("municipality_translations"."municipality_id", "municipalities"."name")
            }
        }
    }
}

/// One translation to write. Rich text (bodies, summaries) is sanitized by
/// the caller, as the original is: what is stored is what is rendered.
#[derive(Clone, Copy, Debug)]
pub struct NewTranslation<'a> {
    pub field: Field,
    pub record_id: i64,
    pub language: Locale,
    pub text: &'a str,
    /// The staff member who translated it; `None` from the command line or the demo data.
    pub by: Option<i64>,
}

/// Translation writes, on a connection of either backend (inside the
/// caller's transaction, beside the audit entry).
pub trait Translations {
    /// Writes a translation. `false`: nothing to translate (no such record,
    /// an empty original, or `language` is the original's own).
    fn save_translation(
        &mut self,
        translation: &NewTranslation<'_>,
        now: i64,
    ) -> impl std::future::Future<Output = Result<bool, sqlx::Error>> + Send;

    /// Removes a translation, if there is one.
    fn delete_translation(
        &mut self,
        field: Field,
        record_id: i64,
        language: Locale,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

    /// The translations of record `id` of `kind`, or of every record of
    /// that kind (`None`), with the record each belongs to.
    fn translations_of(
        &mut self,
        kind: Kind,
        id: Option<i64>,
    ) -> impl std::future::Future<Output = Result<Vec<(i64, Translation)>, sqlx::Error>> + Send;

    /// The languages a municipality (by slug) requires before publishing.
    fn languages_required_by(
        &mut self,
        municipality: &str,
    ) -> impl std::future::Future<Output = Result<Vec<Locale>, sqlx::Error>> + Send;

    /// The languages the municipalities that adopted a person (by slug)
    /// require before anything about the person is published.
    fn required_languages(
        &mut self,
        person: &str,
    ) -> impl std::future::Future<Output = Result<Vec<Locale>, sqlx::Error>> + Send;
}

impl_for_connections! {
    impl Translations {
        async fn save_translation(
            &mut self,
            translation: &NewTranslation<'_>,
            now: i64,
        ) -> Result<bool, sqlx::Error> {
            // Sanitized here too, whoever calls: what is stored is rendered as is.
            let text = if translation.field.is_rich() {
                crate::server::sanitize::rich_text(translation.text)
            } else {
                translation.text.to_owned()
            };
            let saved = sqlx::query(translation.field.save_sql())
                .bind(translation.record_id)
                .bind(translation.language.code())
                .bind(text)
                .bind(translation.by)
                .bind(now)
                .execute(&mut *self)
                .await?
                .rows_affected();
            Ok(saved == 1)
        }

        async fn delete_translation(
            &mut self,
            field: Field,
            record_id: i64,
            language: Locale,
        ) -> Result<(), sqlx::Error> {
            sqlx::query(field.delete_sql())
                .bind(record_id)
                .bind(language.code())
                .execute(&mut *self)
                .await?;
            Ok(())
        }

        async fn translations_of(
            &mut self,
            kind: Kind,
            id: Option<i64>,
        ) -> Result<Vec<(i64, Translation)>, sqlx::Error> {
            let rows: Vec<TranslationRow> = sqlx::query_as(kind.translations_sql())
                .bind(id)
                .fetch_all(&mut *self)
                .await?;
            rows.into_iter()
                .map(|row| {
                    Ok((
                        row.record_id,
                        Translation {
                            language: stored_language(&row.language)?,
                            field: row.field,
                            text: row.text,
                            outdated: row.outdated,
                        },
                    ))
                })
                .collect()
        }

        async fn languages_required_by(&mut self, municipality: &str) -> Result<Vec<Locale>, sqlx::Error> {
            let codes: Vec<String> = sqlx::query_scalar(
                "SELECT l.language FROM municipality_languages l
                   JOIN municipalities m ON m.id = l.municipality_id
                  WHERE m.slug = $1 AND l.required",
            )
            .bind(municipality)
            .fetch_all(&mut *self)
            .await?;
            in_network_order(&codes)
        }

        async fn required_languages(&mut self, person: &str) -> Result<Vec<Locale>, sqlx::Error> {
            let codes: Vec<String> = sqlx::query_scalar(concat!(
                "SELECT r.language FROM (",
                crate::required_languages_by_person!(),
                ") r JOIN persons p ON p.id = r.person_id WHERE p.slug = $1"
            ))
            .bind(person)
            .fetch_all(&mut *self)
            .await?;
            in_network_order(&codes)
        }
    }
}
