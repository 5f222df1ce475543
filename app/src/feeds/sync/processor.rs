//! Which person each entry is about: a name or alias of theirs in the
//! entry, matched without case or accents, else the feed's default person.
use super::client::FetchOutcome;
use super::parser::{ParsedEntry, ParsedFeed};
use crate::on_pool;
use crate::server::db::Db;
use crate::text::plain_text;

/// Words folded for matching: accents and case gone, punctuation a space.
pub fn fold(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    let words: Vec<&str> = ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    format!(" {} ", words.join(" "))
}

/// A person's names, folded, for matching.
#[derive(Debug, Clone)]
pub struct PersonNames {
    pub id: i64,
    pub names: Vec<String>,
}

pub async fn person_names(db: &Db) -> Result<Vec<PersonNames>, sqlx::Error> {
    let rows: Vec<(i64, String)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT id, full_name FROM persons
         UNION ALL SELECT person_id, alias FROM person_aliases"
    )
    .fetch_all(pool)
    .await)?;
    let mut persons: Vec<PersonNames> = Vec::new();
    for (id, name) in rows {
        let folded = fold(&name);
        if folded.trim().is_empty() {
            continue;
        }
        match persons.iter_mut().find(|p| p.id == id) {
            Some(person) => person.names.push(folded),
            None => persons.push(PersonNames {
                id,
                names: vec![folded],
            }),
        }
    }
    Ok(persons)
}

/// The person an entry is about: a name or alias standing as whole words in
/// its title or text (the longest name wins), else the feed's default person.
pub fn match_person(
    persons: &[PersonNames],
    entry: &ParsedEntry,
    default: Option<i64>,
) -> Option<i64> {
    let text = fold(&format!(
        "{} {}",
        entry.title,
        entry
            .summary_html
            .as_deref()
            .map(plain_text)
            .unwrap_or_default()
    ));
    persons
        .iter()
        .flat_map(|p| p.names.iter().map(move |n| (p.id, n)))
        .filter(|(_, name)| text.contains(name.as_str()))
        .max_by_key(|(_, name)| name.len())
        .map(|(id, _)| id)
        .or(default)
}

/// An entry with the person it is about, if any.
pub type MatchedEntry = (ParsedEntry, Option<i64>);

/// A parsed fetch with each entry matched to a person.
pub fn matched(
    outcome: FetchOutcome<Result<ParsedFeed, String>>,
    persons: &[PersonNames],
    default: Option<i64>,
) -> FetchOutcome<Result<ParsedFeed<MatchedEntry>, String>> {
    outcome.map_body(|body| {
        body.map(|feed| ParsedFeed {
            entries: feed
                .entries
                .into_iter()
                .map(|entry| {
                    let person = match_person(persons, &entry, default);
                    (entry, person)
                })
                .collect(),
            withdrawn: feed.withdrawn,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_as_whole_words_without_case_or_accents() {
        let persons = vec![
            PersonNames {
                id: 1,
                names: vec![fold("Loujain al-Hathloul"), fold("Loujain Alhathloul")],
            },
            PersonNames {
                id: 2,
                names: vec![fold("Hamid Babaei")],
            },
        ];
        let entry = |title: &str| ParsedEntry {
            stable_key: "k".into(),
            url: None,
            title: title.into(),
            summary_html: None,
            published_at: None,
            language: None,
        };
        assert_eq!(
            match_person(&persons, &entry("LOUJAIN AL HATHLOUL freed"), None),
            Some(1)
        );
        assert_eq!(
            match_person(&persons, &entry("News on Hamid Babaeï"), None),
            Some(2)
        );
        assert_eq!(
            match_person(&persons, &entry("Hamid Babaeian speaks"), None),
            None,
            "whole words"
        );
        assert_eq!(
            match_person(&persons, &entry("Nothing here"), Some(2)),
            Some(2),
            "default person"
        );
    }
}
