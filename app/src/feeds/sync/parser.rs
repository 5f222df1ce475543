//! A fetched body as entries: RSS, Atom or JSON Feed read with feed-rs,
//! each entry keyed stably, sanitized, and in the language it says; and
//! the entries its source took down (RFC 6721 tombstones in Atom, our
//! `_deleted_entries` in JSON Feed), which feed-rs does not read.
use super::client::FetchOutcome;
use crate::i18n::Locale;
use crate::text::plain_text;
use sha2::{Digest, Sha256};

/// At most this many entries of one fetch are kept, the newest: a 5 MB feed
/// of tiny items would otherwise be a hundred thousand rows at once.
pub const MAX_ENTRIES_PER_FETCH: usize = 500;
/// At most this many tombstones of one fetch are read, for the same reason.
pub const MAX_TOMBSTONES_PER_FETCH: usize = 5_000;

/// What one fetch brought: its entries (as parsed, or matched to persons),
/// and the keys of the entries its source took down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFeed<E = ParsedEntry> {
    pub entries: Vec<E>,
    /// Stable keys, as an entry of the same id would have.
    pub withdrawn: Vec<String>,
}
/// An entry as we keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEntry {
    pub stable_key: String,
    pub url: Option<String>,
    pub title: String,
    pub summary_html: Option<String>,
    pub published_at: Option<i64>,
    /// The language the entry (else its feed) says it is in, if one of ours.
    pub language: Option<Locale>,
}

/// A language tag (`fr`, `nl-BE`, `en_US`) as one of the network's languages.
pub fn network_language(tag: &str) -> Option<Locale> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
    Locale::from_code(&primary.to_ascii_lowercase())
}

/// The `language` JSON Feed 1.1 gives each item, by item id: feed-rs reads
/// only the feed's own.
fn json_item_languages(body: &[u8]) -> std::collections::HashMap<String, Locale> {
    let is_json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    let Some(items) = is_json
        .then(|| serde_json::from_slice::<serde_json::Value>(body).ok())
        .flatten()
        .and_then(|feed| feed.get("items").and_then(|i| i.as_array()).cloned())
    else {
        return Default::default();
    };
    items
        .iter()
        .filter_map(|item| {
            let id = item.get("id")?.as_str()?.trim().to_owned();
            let language = network_language(item.get("language")?.as_str()?)?;
            Some((id, language))
        })
        .collect()
}

/// Parses RSS, Atom or JSON Feed. Each entry gets a stable key: its GUID or
/// id, else its canonical link, else a hash of its title and date; never a
/// random one, so a re-sync recognises it.
pub fn parse(body: &[u8]) -> Result<Vec<ParsedEntry>, String> {
    let parser = feed_rs::parser::Builder::new()
        // Leave missing ids empty: the key is chosen below, the same way every time.
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser.parse(body).map_err(|e| e.to_string())?;
    let feed_language = feed.language.as_deref().and_then(network_language);
    let item_languages = json_item_languages(body);
    Ok(feed
        .entries
        .into_iter()
        .filter_map(|entry| {
            let title = entry
                .title
                .as_ref()
                .map(|t| plain_text(&ammonia::Builder::empty().clean(&t.content).to_string()))
                .unwrap_or_default();
            let url = entry
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(entry.links.first())
                .map(|l| l.href.trim().to_owned())
                .and_then(|href| crate::server::sanitize::web_address(&href));
            let published = entry.published.or(entry.updated).map(|t| t.timestamp());
            let language = entry
                .language
                .as_deref()
                .and_then(network_language)
                .or_else(|| item_languages.get(entry.id.trim()).copied())
                .or(feed_language);
            let html = entry
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .or_else(|| entry.summary.as_ref().map(|s| s.content.clone()));
            let summary_html = html
                .map(|h| crate::server::sanitize::rich_text(&h))
                .filter(|h| !h.trim().is_empty());
            let stable_key = if !entry.id.trim().is_empty() {
                format!("id:{}", entry.id.trim())
            } else if let Some(url) = &url {
                format!("link:{url}")
            } else {
                let digest =
                    Sha256::digest(format!("{title}\n{}", published.unwrap_or(0)).as_bytes());
                format!(
                    "hash:{}",
                    digest
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                )
            };
            let title: String = if title.is_empty() {
                summary_html
                    .as_deref()
                    .map(plain_text)
                    .map(|t| t.chars().take(120).collect())
                    .unwrap_or_default()
            } else {
                title.chars().take(500).collect()
            };
            (!title.is_empty()).then_some(ParsedEntry {
                stable_key: stable_key.chars().take(1_000).collect(),
                url,
                title,
                summary_html,
                published_at: published,
                language,
            })
        })
        .collect())
}

/// The keys of the entries a feed says its source took down: Atom's
/// `<at:deleted-entry ref="…">` (RFC 6721) at the feed's top level, or a
/// JSON Feed's `_deleted_entries.entries[].ref`. Unreadable tombstones are
/// none: the entries are then kept, as before.
pub fn withdrawn(body: &[u8]) -> Vec<String> {
    use crate::feeds::outgoing::{JSON_TOMBSTONES, TOMBSTONES_NAMESPACE};
    let key = |reference: &str| format!("id:{}", reference.trim());
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let mut keys: Vec<String> = if first == Some(&b'{') {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|feed| {
                let entries = feed
                    .get(JSON_TOMBSTONES)?
                    .get("entries")?
                    .as_array()?
                    .clone();
                Some(
                    entries
                        .iter()
                        .filter_map(|t| t.get("ref")?.as_str().map(key))
                        .collect(),
                )
            })
            .unwrap_or_default()
    } else if body
        .windows(TOMBSTONES_NAMESPACE.len())
        .any(|w| w == TOMBSTONES_NAMESPACE.as_bytes())
    {
        match atom_syndication::Feed::read_from(body) {
            Ok(feed) => feed
                .namespaces()
                .iter()
                .filter(|(_, namespace)| namespace.as_str() == TOMBSTONES_NAMESPACE)
                .filter_map(|(prefix, _)| feed.extensions().get(prefix)?.get("deleted-entry"))
                .flatten()
                .filter_map(|tombstone| tombstone.attrs().get("ref").map(|r| key(r)))
                .collect(),
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    keys.retain(|k| k.len() > "id:".len() && k.len() <= 1_000);
    keys.truncate(MAX_TOMBSTONES_PER_FETCH);
    keys
}

/// A fetch with its body parsed (or why it could not be), on a blocking
/// thread: a large feed takes CPU the web server's workers should not wait
/// behind. Keeps the newest `MAX_ENTRIES_PER_FETCH`.
pub async fn parsed(
    outcome: FetchOutcome,
    parsing: &tokio::sync::Semaphore,
) -> FetchOutcome<Result<ParsedFeed, String>> {
    match outcome {
        FetchOutcome::Fresh {
            body,
            etag,
            last_modified,
        } => {
            // Never closed: the permit is always there to wait for.
            let _permit = parsing.acquire().await.ok();
            let body = tokio::task::spawn_blocking(move || {
                parse(&body).map(|entries| ParsedFeed {
                    entries: newest(entries),
                    withdrawn: withdrawn(&body),
                })
            })
            .await
            .map_err(|e| format!("the parser stopped: {e}"))
            .and_then(|parsed| parsed);
            FetchOutcome::Fresh {
                body,
                etag,
                last_modified,
            }
        }
        FetchOutcome::NotModified => FetchOutcome::NotModified,
        FetchOutcome::Gone => FetchOutcome::Gone,
        FetchOutcome::SlowDown(wait) => FetchOutcome::SlowDown(wait),
        FetchOutcome::Failed(problem) => FetchOutcome::Failed(problem),
    }
}

/// The newest entries of a fetch, at most `MAX_ENTRIES_PER_FETCH`; entries
/// without a date keep their place after the dated ones.
pub fn newest(mut entries: Vec<ParsedEntry>) -> Vec<ParsedEntry> {
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.published_at));
    entries.truncate(MAX_ENTRIES_PER_FETCH);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_in_the_language_it_or_its_feed_gives() {
        assert_eq!(network_language("nl-BE"), Some(Locale::Nl));
        assert_eq!(network_language(" FR_be "), Some(Locale::Fr));
        assert_eq!(network_language("de"), None);
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="nl"><title>t</title><id>f</id>
            <entry><id>1</id><title>Vrijgelaten</title><content type="html">v</content></entry>
            <entry><id>2</id><title>Libéré</title><content type="html" xml:lang="fr-BE">l</content></entry></feed>"#;
        let languages: Vec<_> = parse(atom.as_bytes())
            .unwrap()
            .iter()
            .map(|e| e.language)
            .collect();
        assert_eq!(languages, [Some(Locale::Nl), Some(Locale::Fr)]);
        let rss = r#"<rss version="2.0"><channel><title>t</title><language>de-DE</language>
            <item><guid>1</guid><title>Freigelassen</title></item></channel></rss>"#;
        assert_eq!(
            parse(rss.as_bytes()).unwrap()[0].language,
            None,
            "not a language of the network: the feed's default decides"
        );
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","language":"en",
            "items":[{"id":"1","title":"Libéré","language":"fr","content_html":"l"},
                     {"id":"2","title":"Released","content_html":"r"}]}"#;
        let languages: Vec<_> = parse(json.as_bytes())
            .unwrap()
            .iter()
            .map(|e| e.language)
            .collect();
        assert_eq!(languages, [Some(Locale::Fr), Some(Locale::En)]);
    }

    #[test]
    fn tombstones_are_read_from_atom_and_from_our_json_feed() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:t="http://purl.org/atompub/tombstones/1.0">
            <title>t</title><id>f</id><updated>2026-12-07T00:00:00Z</updated>
            <t:deleted-entry ref="tag:a.example,2026:status-event:7" when="2026-12-07T00:00:00Z"/>
            <entry><id>tag:a.example,2026:status-event:8</id><title>Kept</title><updated>2026-12-07T00:00:00Z</updated></entry>
            </feed>"#;
        assert_eq!(
            withdrawn(atom.as_bytes()),
            ["id:tag:a.example,2026:status-event:7"],
            "any prefix bound to RFC 6721's namespace"
        );
        let other = atom.replace("http://purl.org/atompub/tombstones/1.0", "urn:other");
        assert!(
            withdrawn(other.as_bytes()).is_empty(),
            "another namespace's element is nothing"
        );
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[],
            "_deleted_entries":{"about":"https://www.rfc-editor.org/rfc/rfc6721",
            "entries":[{"ref":"tag:a.example,2026:status-event:7","when":"2026-12-07T00:00:00Z"},{"ref":""}]}}"#;
        assert_eq!(
            withdrawn(json.as_bytes()),
            ["id:tag:a.example,2026:status-event:7"]
        );
        assert!(withdrawn(b"<rss version=\"2.0\"><channel/></rss>").is_empty());
    }

    #[test]
    fn entries_without_guids_get_keys_that_do_not_change() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>P</title>
            <item><title>With link</title><link>https://partner.example/a</link></item>
            <item><title>Bare &lt;b&gt;title&lt;/b&gt;</title><pubDate>Tue, 10 Feb 2021 10:00:00 GMT</pubDate></item>
            <item><guid>urn:x:1</guid><title>Guid</title><description>&lt;p onclick="x()"&gt;Hi&lt;script&gt;1&lt;/script&gt;&lt;/p&gt;</description></item>
            </channel></rss>"#;
        let first = parse(rss).unwrap();
        assert_eq!(first, parse(rss).unwrap(), "the same keys every time");
        assert_eq!(first[0].stable_key, "link:https://partner.example/a");
        assert!(first[1].stable_key.starts_with("hash:"));
        assert_eq!(first[1].title, "Bare title");
        assert_eq!(first[2].stable_key, "id:urn:x:1");
        assert_eq!(first[2].summary_html.as_deref(), Some("<p>Hi</p>"));
    }
}
