//! What search may find, read from the database: public persons (their
//! name, and their summary unless staff keep it internal; not their
//! aliases), the published
//! events of public persons (never an internal one), and the support actions
//! of public persons; each in a reader's language, translated where a
//! translation exists. The same readings build the index (`everything`) and
//! check a hit before it is shown (`current`): one definition of "public"
//! for both.
use super::HitKind;
use crate::domain::{PartialDate, Slug};
use crate::i18n::{LangText, Locale};
use crate::on_pool;
use crate::records::translations::stored_text;
use crate::server::db::{stored_date, stored_slug, Db};
use crate::text::plain_text;
use crate::translated;
use crate::translation_join;
use std::collections::HashMap;

/// Which document: a kind and the id of its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub kind: HitKind,
    pub id: i64,
}

impl Key {
    /// How the index stores it: "p12", "e40", "a3".
    pub fn encode(self) -> String {
        let prefix = match self.kind {
            HitKind::Person => 'p',
            HitKind::StatusEvent => 'e',
            HitKind::SupportAction => 'a',
        };
        format!("{prefix}{}", self.id)
    }

    pub fn decode(stored: &str) -> Option<Key> {
        let mut chars = stored.chars();
        let kind = match chars.next()? {
            'p' => HitKind::Person,
            'e' => HitKind::StatusEvent,
            'a' => HitKind::SupportAction,
            _ => return None,
        };
        Some(Key {
            kind,
            id: chars.as_str().parse().ok()?,
        })
    }
}

/// A public thing as a reader in one language sees it.
#[derive(Clone, Debug)]
pub struct Document {
    pub key: Key,
    pub person_id: i64,
    pub person_slug: Slug,
    pub person_name: String,
    pub action_slug: Option<Slug>,
    pub occurred_on: Option<PartialDate>,
    /// A person's name; an event's or an action's title.
    pub title: LangText,
    /// The rest of what it says, as plain text: a person's summary; an
    /// event's text and source; an action's text and addressee.
    pub texts: Vec<LangText>,
    /// What a person is found by besides their texts: their name.
    pub names: Vec<String>,
}

/// What the persons list filters by, of one person, as `/persons` reads it.
#[derive(Clone, Debug, Default)]
pub struct Facets {
    pub status: Option<String>,
    pub country: Option<String>,
    pub rights: Vec<String>,
    pub municipalities: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    slug: String,
    full_name: String,
    summary: Option<String>,
    summary_lang: String,
    summary_internal: bool,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    person_id: i64,
    person_slug: String,
    person_name: String,
    occurred_year: i32,
    occurred_month: Option<i32>,
    occurred_day: Option<i32>,
    title: String,
    title_lang: String,
    body_html: Option<String>,
    body_html_lang: String,
    source_title: Option<String>,
    source_title_lang: String,
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    id: i64,
    person_id: i64,
    slug: String,
    person_slug: String,
    person_name: String,
    title: String,
    title_lang: String,
    body_html: String,
    body_html_lang: String,
    addressee: String,
    addressee_lang: String,
}

/// Public persons, their summary in `$1`.
macro_rules! persons_sql {
    () => {
        concat!(
    "SELECT p.id, p.slug, p.full_name, ",
    translated!("p"."summary"),
    ", p.summary_internal FROM persons p",
    translation_join!("person_translations"."person_id", "p"."summary", "$1"),
    " WHERE p.is_public"
)
    };
}
const PERSONS: (&str, &str) = (persons_sql!(), "p.id");

/// Published, not internal, events of public persons.
macro_rules! events_sql {
    () => {
        concat!(
    "SELECT e.id, e.person_id, p.slug AS person_slug, p.full_name AS person_name,
            e.occurred_year, e.occurred_month, e.occurred_day, ",
    translated!("e"."title"),
    ", ",
    translated!("e"."body_html"),
    ", ",
    translated!("e"."source_title"),
    " FROM status_events e JOIN persons p ON p.id = e.person_id",
    translation_join!("status_event_translations"."status_event_id", "e"."title", "$1"),
    translation_join!("status_event_translations"."status_event_id", "e"."body_html", "$1"),
    translation_join!("status_event_translations"."status_event_id", "e"."source_title", "$1"),
    " WHERE e.is_published AND NOT e.is_internal AND p.is_public"
)
    };
}
const EVENTS: (&str, &str) = (events_sql!(), "e.id");

/// Support actions of public persons.
macro_rules! actions_sql {
    () => {
        concat!(
    "SELECT a.id, a.person_id, a.slug, p.slug AS person_slug, p.full_name AS person_name, ",
    translated!("a"."title"),
    ", ",
    translated!("a"."body_html"),
    ", ",
    translated!("a"."addressee"),
    " FROM support_actions a JOIN persons p ON p.id = a.person_id",
    translation_join!("support_action_translations"."support_action_id", "a"."title", "$1"),
    translation_join!("support_action_translations"."support_action_id", "a"."body_html", "$1"),
    translation_join!("support_action_translations"."support_action_id", "a"."addressee", "$1"),
    " WHERE p.is_public"
)
    };
}
const ACTIONS: (&str, &str) = (actions_sql!(), "a.id");

/// The rows `all` reads in `lang` (`$1`), or only those whose `id` is in
/// `only`: one query for a page of hits, each named by a placeholder of its
/// own (`AND <id> IN ($2, $3, …)`, which both backends read by the key;
/// `$2 IS NULL OR <id> = $2` made SQLite scan every row, one query a hit
/// cost PostgreSQL a round trip each).
async fn rows_of<R>(
    db: &Db,
    (all, id): (&'static str, &'static str),
    lang: Locale,
    only: Option<&[i64]>,
) -> Result<Vec<R>, sqlx::Error>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let Some(ids) = only else {
        return on_pool!(db, |pool| sqlx::query_as(all)
            .bind(lang.code())
            .fetch_all(pool)
            .await);
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (2..ids.len() + 2).map(|n| format!("${n}")).collect();
    // Only placeholders are added to the statement, never a value.
    let sql = format!("{all} AND {id} IN ({})", placeholders.join(", "));
    on_pool!(db, |pool| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(lang.code());
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(pool).await
    })
}

async fn persons(
    db: &Db,
    lang: Locale,
    only: Option<&[i64]>,
) -> Result<Vec<Document>, sqlx::Error> {
    let rows: Vec<PersonRow> = rows_of(db, PERSONS, lang, only).await?;
    rows.into_iter()
        .map(|row| {
            let summary = match row.summary.filter(|_| !row.summary_internal) {
                Some(html) => vec![stored_text(plain_text(&html), &row.summary_lang)?],
                None => Vec::new(),
            };
            // Not the aliases: kept to recognise the person in partner
            // feeds, published nowhere, and no consent covers them (one may
            // be the name a pseudonym protects).
            let names = vec![row.full_name.clone()];
            Ok(Document {
                key: Key {
                    kind: HitKind::Person,
                    id: row.id,
                },
                person_id: row.id,
                person_slug: stored_slug(&row.slug)?,
                action_slug: None,
                occurred_on: None,
                // A name is in no language: shown as the page's.
                title: LangText {
                    text: row.full_name.clone(),
                    lang,
                },
                person_name: row.full_name,
                texts: summary,
                names,
            })
        })
        .collect()
}

async fn events(db: &Db, lang: Locale, only: Option<&[i64]>) -> Result<Vec<Document>, sqlx::Error> {
    let rows: Vec<EventRow> = rows_of(db, EVENTS, lang, only).await?;
    rows.into_iter()
        .map(|row| {
            let mut texts = Vec::new();
            if let Some(body) = row.body_html {
                texts.push(stored_text(plain_text(&body), &row.body_html_lang)?);
            }
            if let Some(source) = row.source_title {
                texts.push(stored_text(source, &row.source_title_lang)?);
            }
            Ok(Document {
                key: Key {
                    kind: HitKind::StatusEvent,
                    id: row.id,
                },
                person_id: row.person_id,
                person_slug: stored_slug(&row.person_slug)?,
                person_name: row.person_name,
                action_slug: None,
                occurred_on: Some(stored_date(
                    row.occurred_year,
                    row.occurred_month,
                    row.occurred_day,
                )?),
                title: stored_text(row.title, &row.title_lang)?,
                texts,
                names: Vec::new(),
            })
        })
        .collect()
}

async fn actions(
    db: &Db,
    lang: Locale,
    only: Option<&[i64]>,
) -> Result<Vec<Document>, sqlx::Error> {
    let rows: Vec<ActionRow> = rows_of(db, ACTIONS, lang, only).await?;
    rows.into_iter()
        .map(|row| {
            Ok(Document {
                key: Key {
                    kind: HitKind::SupportAction,
                    id: row.id,
                },
                person_id: row.person_id,
                person_slug: stored_slug(&row.person_slug)?,
                person_name: row.person_name,
                action_slug: Some(stored_slug(&row.slug)?),
                occurred_on: None,
                title: stored_text(row.title, &row.title_lang)?,
                texts: vec![
                    stored_text(plain_text(&row.body_html), &row.body_html_lang)?,
                    stored_text(row.addressee, &row.addressee_lang)?,
                ],
                names: Vec::new(),
            })
        })
        .collect()
}

/// Every public thing in every reader language, and the facets of each
/// public person.
pub async fn everything(
    db: &Db,
) -> Result<(Vec<(Locale, Document)>, HashMap<i64, Facets>), sqlx::Error> {
    let mut out = Vec::new();
    for lang in Locale::ALL {
        for doc in persons(db, lang, None).await? {
            out.push((lang, doc));
        }
        for doc in events(db, lang, None).await? {
            out.push((lang, doc));
        }
        for doc in actions(db, lang, None).await? {
            out.push((lang, doc));
        }
    }
    Ok((out, facets(db).await?))
}

/// The things `keys` name as a reader in `lang` sees them now, in the
/// order of `keys`; those no longer public are left out. One query per kind.
pub async fn current(db: &Db, keys: &[Key], lang: Locale) -> Result<Vec<Document>, sqlx::Error> {
    let ids = |kind: HitKind| -> Vec<i64> {
        keys.iter()
            .filter(|k| k.kind == kind)
            .map(|k| k.id)
            .collect()
    };
    let mut found: HashMap<Key, Document> = HashMap::with_capacity(keys.len());
    for doc in persons(db, lang, Some(&ids(HitKind::Person)))
        .await?
        .into_iter()
        .chain(events(db, lang, Some(&ids(HitKind::StatusEvent))).await?)
        .chain(actions(db, lang, Some(&ids(HitKind::SupportAction))).await?)
    {
        found.insert(doc.key, doc);
    }
    Ok(keys.iter().filter_map(|key| found.remove(key)).collect())
}

/// The filters' values of every public person, read as the persons list
/// reads them: the current status, the country unless internal, the rights
/// at stake, the municipalities whose adoption lasts.
pub async fn facets(db: &Db) -> Result<HashMap<i64, Facets>, sqlx::Error> {
    let people: Vec<(i64, Option<String>, Option<String>)> = on_pool!(db, |pool| {
        sqlx::query_as(concat!(
            "SELECT p.id, ",
            crate::current_status!("p"),
            ", CASE WHEN p.country_internal THEN NULL ELSE p.country_code END
               FROM persons p WHERE p.is_public"
        ))
        .fetch_all(pool)
        .await
    })?;
    let rights: Vec<(i64, String)> = on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT pr.person_id, rc.slug FROM person_rights pr
               JOIN rights_categories rc ON rc.id = pr.rights_category_id",
        )
        .fetch_all(pool)
        .await
    })?;
    let municipalities: Vec<(i64, String)> = on_pool!(db, |pool| {
        sqlx::query_as(concat!(
            "SELECT a.person_id, m.slug FROM adoptions a
               JOIN municipalities m ON m.id = a.municipality_id WHERE ",
            crate::adoption_lasts!("a")
        ))
        .fetch_all(pool)
        .await
    })?;
    let mut out: HashMap<i64, Facets> = people
        .into_iter()
        .map(|(id, status, country)| {
            (
                id,
                Facets {
                    status,
                    country,
                    ..Facets::default()
                },
            )
        })
        .collect();
    for (person, slug) in rights {
        if let Some(facets) = out.get_mut(&person) {
            facets.rights.push(slug);
        }
    }
    for (person, slug) in municipalities {
        if let Some(facets) = out.get_mut(&person) {
            facets.municipalities.push(slug);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_as_it_was_stored() {
        for kind in [
            HitKind::Person,
            HitKind::StatusEvent,
            HitKind::SupportAction,
        ] {
            let key = Key { kind, id: 4021 };
            assert_eq!(Key::decode(&key.encode()), Some(key));
        }
        assert_eq!(Key::decode("x1"), None);
        assert_eq!(Key::decode("p"), None);
    }
}
