//! Our own feeds, for the network's other instances and any feed reader:
//! Atom 1.0 and JSON Feed 1.1 of published status events, for the whole site
//! (`/feed.atom`, `/feed.json`), one person (`/persons/{slug}/feed.…`) or one
//! municipality (the persons it adopted: `/municipalities/{slug}/feed.…`).
//! Each also exists per language (`/fr/feed.atom`, `/nl/persons/{slug}/feed.json`):
//! its entries in that language where translated, else in the original, each
//! entry saying its language (Atom `xml:lang`, JSON Feed `language`). The
//! unprefixed feeds give each entry in the language it was written in.
//!
//! Entry ids are tag URIs made from the site's host and the status event's
//! id, so they never change when an event is edited; `updated` is the last
//! change of the event's content or publication. Responses carry an ETag
//! (a hash of the body) and Last-Modified (the newest entry); a request
//! with a matching If-None-Match gets 304.
//!
//! A case taken down (issue 29) leaves every feed, and each Atom feed says
//! so with an RFC 6721 tombstone per entry it had carried about the person
//! (`<at:deleted-entry ref="…" when="…"/>`), which a following instance
//! reads to hide its copies; JSON Feed has no tombstones, so ours carry the
//! same list as an extension, `_deleted_entries` (README, "Feeds"). A
//! person's own feed then holds only their tombstones, under a title that
//! names nobody: a partner that followed just that feed learns of the
//! take-down too (a 410 would only stop it fetching).
use crate::i18n::Locale;
use crate::on_pool;
use crate::records::takedown::Tombstone;
use crate::records::translations::stored_language;
use crate::server::cacheable::cacheable;
use crate::server::db::Db;
use crate::server::AppState;
use crate::translated;
use crate::translation_join;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::{header, HeaderMap, HeaderValue, StatusCode};

/// Entries per feed: readers poll often, and the timeline keeps the rest.
pub const FEED_ENTRIES: i64 = 50;

/// RFC 6721's namespace, for `at:deleted-entry`.
pub const TOMBSTONES_NAMESPACE: &str = "http://purl.org/atompub/tombstones/1.0";
/// Our JSON Feed extension carrying the same tombstones.
pub const JSON_TOMBSTONES: &str = "_deleted_entries";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Atom,
    Json,
}

impl Format {
    fn from_file(name: &str) -> Option<Self> {
        match name {
            "feed.atom" => Some(Format::Atom),
            "feed.json" => Some(Format::Json),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Format::Atom => "feed.atom",
            Format::Json => "feed.json",
        }
    }
}

/// Whose events a feed holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Site,
    Person(String),
    Municipality(String),
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedEvent {
    pub id: i64,
    pub person_slug: String,
    pub person_name: String,
    pub status: Option<String>,
    pub occurred_year: i32,
    pub occurred_month: Option<i32>,
    pub occurred_day: Option<i32>,
    pub title: String,
    /// The language of the title; the body and source title are read in
    /// the same language when translated into it, else in the original.
    pub title_lang: String,
    pub body_html: Option<String>,
    pub body_html_lang: String,
    pub source_title: Option<String>,
    pub source_url: Option<String>,
    pub published_at: i64,
    pub updated_at: i64,
}

/// A feed ready to be written in either format.
#[derive(Debug, Clone)]
pub struct OutgoingFeed {
    pub title: String,
    /// The site's address, for links to case pages.
    pub site_url: String,
    /// The page the feed follows.
    pub page_url: String,
    /// The feed's own address (without the format's file name).
    pub base_url: String,
    pub host: String,
    pub author: String,
    /// The feed's language; `None`: each entry in its original language.
    pub language: Option<Locale>,
    pub events: Vec<FeedEvent>,
    /// The entries taken down: every person's in the site's and the
    /// municipalities' feeds, the person's own in theirs.
    pub tombstones: Vec<Tombstone>,
}

/// The title and page of a scope, or `None` when it does not exist (or is not public).
async fn describe(db: &Db, scope: &Scope) -> Result<Option<(String, String)>, sqlx::Error> {
    Ok(match scope {
        Scope::Site => Some(("Lumières".to_owned(), "/".to_owned())),
        Scope::Person(slug) => {
            let name: Option<String> = on_pool!(db, |pool| sqlx::query_scalar(
                "SELECT full_name FROM persons WHERE slug = $1 AND is_public"
            )
            .bind(slug)
            .fetch_optional(pool)
            .await)?;
            name.map(|name| (format!("{name} · Lumières"), format!("/persons/{slug}")))
        }
        Scope::Municipality(slug) => {
            let name: Option<String> = on_pool!(db, |pool| sqlx::query_scalar(
                "SELECT name FROM municipalities WHERE slug = $1"
            )
            .bind(slug)
            .fetch_optional(pool)
            .await)?;
            name.map(|name| {
                (
                    format!("{name} · Lumières"),
                    format!("/municipalities/{slug}"),
                )
            })
        }
    })
}

/// The newest published events of public persons in a scope that this site
/// wrote itself (not those it took from partner feeds), newest change first,
/// in `language` where translated (`None`: the original).
pub async fn events(
    db: &Db,
    scope: &Scope,
    language: Option<Locale>,
) -> Result<Vec<FeedEvent>, sqlx::Error> {
    let (person, municipality) = match scope {
        Scope::Site => (None, None),
        Scope::Person(slug) => (Some(slug.as_str()), None),
        Scope::Municipality(slug) => (None, Some(slug.as_str())),
    };
    on_pool!(db, |pool| sqlx::query_as(concat!(
        "SELECT e.id, p.slug AS person_slug, p.full_name AS person_name, e.status,
                e.occurred_year, e.occurred_month, e.occurred_day, ",
        translated!("e"."title"),
        ", ",
        translated!("e"."body_html"),
        ", ",
        "COALESCE(t_e_source_title.text, e.source_title) AS source_title, e.source_url,
                COALESCE(e.published_at, 0) AS published_at,
                COALESCE(e.updated_at, e.published_at, 0) AS updated_at
           FROM status_events e JOIN persons p ON p.id = e.person_id",
        translation_join!("status_event_translations"."status_event_id", "e"."title", "$4"),
        translation_join!("status_event_translations"."status_event_id", "e"."body_html", "$4"),
        translation_join!("status_event_translations"."status_event_id", "e"."source_title", "$4"),
        " WHERE e.is_published AND p.is_public
            -- Only what we wrote: relaying partners' entries would echo them
            -- back to instances that follow each other.
            AND e.feed_entry_id IS NULL
            AND ($1 IS NULL OR p.slug = $1)
            AND ($2 IS NULL OR EXISTS (
                    SELECT 1 FROM adoptions a JOIN municipalities m ON m.id = a.municipality_id
                     WHERE a.person_id = p.id AND m.slug = $2 AND ",
        crate::adoption_lasts!("a"),
        "))
          ORDER BY COALESCE(e.updated_at, e.published_at, 0) DESC, e.id DESC
          LIMIT $3"
    ))
    .bind(person)
    .bind(municipality)
    .bind(FEED_ENTRIES)
    .bind(language.map(Locale::code))
    .fetch_all(pool)
    .await)
}

pub async fn load(
    db: &Db,
    public_url: &str,
    scope: &Scope,
    language: Option<Locale>,
) -> Result<Option<OutgoingFeed>, sqlx::Error> {
    let Some((title, page)) = describe(db, scope).await? else {
        return taken_down(db, public_url, scope, language).await;
    };
    let mut feed = frame(public_url, title, &page, language);
    feed.events = events(db, scope, language).await?;
    feed.tombstones = match scope {
        // Public: not taken down.
        Scope::Person(_) => Vec::new(),
        _ => crate::records::takedown::tombstones(db, None).await?,
    };
    Ok(Some(feed))
}

/// A feed's title and addresses, with nothing in it yet.
fn frame(public_url: &str, title: String, page: &str, language: Option<Locale>) -> OutgoingFeed {
    let base = public_url.trim_end_matches('/');
    let host = http::Uri::try_from(base)
        .ok()
        .and_then(|uri| uri.host().map(str::to_owned))
        .unwrap_or_else(|| "localhost".to_owned());
    // The pages and feeds of a language live under its prefix.
    let prefix = language
        .map(|l| format!("/{}", l.code()))
        .unwrap_or_default();
    let feed_path = match page {
        "/" => prefix.clone(),
        path => format!("{prefix}{path}"),
    };
    let page = match (page, &language) {
        (_, None) => page.to_owned(),
        ("/", Some(_)) => prefix,
        (path, Some(_)) => format!("{prefix}{path}"),
    };
    OutgoingFeed {
        title,
        site_url: base.to_owned(),
        page_url: format!("{base}{page}"),
        base_url: format!("{base}{feed_path}"),
        host,
        author: "Lumières".to_owned(),
        language,
        events: Vec::new(),
        tombstones: Vec::new(),
    }
}

/// The feed of a person taken down: their tombstones alone, titled and
/// linked as the site's feed, so that it names nobody. `None` for any
/// other scope that does not exist.
async fn taken_down(
    db: &Db,
    public_url: &str,
    scope: &Scope,
    language: Option<Locale>,
) -> Result<Option<OutgoingFeed>, sqlx::Error> {
    let Scope::Person(slug) = scope else {
        return Ok(None);
    };
    if !crate::records::takedown::person_gone(db, slug).await? {
        return Ok(None);
    }
    let Some((title, page)) = describe(db, &Scope::Site).await? else {
        return Ok(None);
    };
    let mut feed = frame(public_url, title, &page, language);
    feed.tombstones = crate::records::takedown::tombstones(db, Some(slug)).await?;
    Ok(Some(feed))
}

fn time(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

impl OutgoingFeed {
    /// The newest change in the feed, a take-down included: its `updated`
    /// and Last-Modified.
    pub fn updated(&self) -> i64 {
        let events = self.events.iter().map(|e| e.updated_at);
        let taken_down = self.tombstones.iter().map(|t| t.taken_down_at);
        events.chain(taken_down).max().unwrap_or(0)
    }

    /// Stable whatever is edited: the site's host and the event's id.
    pub fn entry_id(&self, event: &FeedEvent) -> String {
        self.status_event_entry_id(event.id)
    }

    fn status_event_entry_id(&self, status_event: i64) -> String {
        format!("tag:{},2026:status-event:{}", self.host, status_event)
    }

    fn feed_id(&self) -> String {
        let path = self.page_url.strip_prefix(&self.site_url).unwrap_or("/");
        format!(
            "tag:{},2026:feed:{}",
            self.host,
            if path.is_empty() { "/" } else { path }
        )
    }

    fn entry_url(&self, event: &FeedEvent) -> String {
        let path = format!("/persons/{}", event.person_slug);
        match self.language {
            Some(language) => format!("{}{}", self.site_url, language.path(&path, true)),
            None => format!("{}{path}", self.site_url),
        }
    }

    /// The language an entry is written in: its title's (a stored code).
    fn entry_language(event: &FeedEvent) -> Option<&'static str> {
        stored_language(&event.title_lang).ok().map(Locale::code)
    }

    fn entry_title(event: &FeedEvent) -> String {
        format!("{}: {}", event.person_name, event.title)
    }

    fn date_line(event: &FeedEvent) -> String {
        let small = |v: Option<i32>| v.and_then(|v| u8::try_from(v).ok());
        crate::domain::PartialDate::from_parts(
            event.occurred_year,
            small(event.occurred_month),
            small(event.occurred_day),
        )
        .map(|d| d.to_string())
        .unwrap_or_default()
    }

    /// The event's body with its date in front: a feed entry has no field for
    /// a partial date ("in May 2018"), and `published` is when we said it.
    fn content_html(event: &FeedEvent) -> String {
        let mut html = format!("<p><time>{}</time></p>", escape(&Self::date_line(event)));
        if let Some(body) = &event.body_html {
            html.push_str(body);
        }
        if let Some(url) = &event.source_url {
            let label = event.source_title.as_deref().unwrap_or(url);
            html.push_str(&format!(
                "<p><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></p>",
                escape(url),
                escape(label)
            ));
        }
        html
    }

    pub fn to_atom(&self) -> String {
        use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person};
        let link = |href: String, rel: &str, mime: Option<&str>| Link {
            href,
            rel: rel.to_owned(),
            mime_type: mime.map(str::to_owned),
            ..Link::default()
        };
        let entries = self
            .events
            .iter()
            .map(|event| Entry {
                id: self.entry_id(event),
                title: atom_syndication::Text {
                    lang: Self::entry_language(event).map(str::to_owned),
                    ..Self::entry_title(event).into()
                },
                updated: time(event.updated_at).fixed_offset(),
                published: Some(time(event.published_at).fixed_offset()),
                links: std::iter::once(link(self.entry_url(event), "alternate", Some("text/html")))
                    .chain(
                        event
                            .source_url
                            .clone()
                            .map(|url| link(url, "related", None)),
                    )
                    .collect(),
                categories: event
                    .status
                    .iter()
                    .map(|status| Category {
                        term: status.clone(),
                        scheme: None,
                        label: None,
                    })
                    .collect(),
                content: Some(Content {
                    value: Some(Self::content_html(event)),
                    content_type: Some("html".to_owned()),
                    lang: stored_language(&event.body_html_lang)
                        .ok()
                        .map(|l| l.code().to_owned()),
                    ..Content::default()
                }),
                ..Entry::default()
            })
            .collect();
        let mut feed = Feed {
            lang: self.language.map(|l| l.code().to_owned()),
            title: self.title.clone().into(),
            id: self.feed_id(),
            updated: time(self.updated()).fixed_offset(),
            authors: vec![Person {
                name: self.author.clone(),
                ..Person::default()
            }],
            links: vec![
                link(self.page_url.clone(), "alternate", Some("text/html")),
                link(
                    format!("{}/{}", self.base_url, Format::Atom.file()),
                    "self",
                    Some("application/atom+xml"),
                ),
            ],
            generator: Some(Generator {
                value: "Lumières".to_owned(),
                ..Generator::default()
            }),
            entries,
            ..Feed::default()
        };
        if !self.tombstones.is_empty() {
            let deleted = self
                .tombstones
                .iter()
                .map(|t| atom_syndication::extension::Extension {
                    name: "at:deleted-entry".to_owned(),
                    attrs: [
                        (
                            "ref".to_owned(),
                            self.status_event_entry_id(t.status_event_id),
                        ),
                        ("when".to_owned(), time(t.taken_down_at).to_rfc3339()),
                    ]
                    .into(),
                    ..Default::default()
                })
                .collect();
            feed.namespaces
                .insert("at".to_owned(), TOMBSTONES_NAMESPACE.to_owned());
            feed.extensions.insert(
                "at".to_owned(),
                [("deleted-entry".to_owned(), deleted)].into(),
            );
        }
        feed.to_string()
    }

    pub fn to_json(&self) -> String {
        let rfc3339 = |unix: i64| time(unix).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let items: Vec<serde_json::Value> = self
            .events
            .iter()
            .map(|event| {
                let mut item = serde_json::json!({
                    "id": self.entry_id(event),
                    "url": self.entry_url(event),
                    "title": Self::entry_title(event),
                    "content_html": Self::content_html(event),
                    "date_published": rfc3339(event.published_at),
                    "date_modified": rfc3339(event.updated_at),
                    "tags": event.status.iter().collect::<Vec<_>>(),
                });
                if let Some(url) = &event.source_url {
                    item["external_url"] = serde_json::Value::String(url.clone());
                }
                if let Some(language) = Self::entry_language(event) {
                    item["language"] = language.into();
                }
                item
            })
            .collect();
        let mut feed = serde_json::json!({
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.title,
            "home_page_url": self.page_url,
            "feed_url": format!("{}/{}", self.base_url, Format::Json.file()),
            "authors": [{ "name": self.author }],
            "items": items,
        });
        if let Some(language) = self.language {
            feed["language"] = language.code().into();
        }
        if !self.tombstones.is_empty() {
            let deleted: Vec<serde_json::Value> = self
                .tombstones
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "ref": self.status_event_entry_id(t.status_event_id),
                        "when": rfc3339(t.taken_down_at),
                    })
                })
                .collect();
            feed[JSON_TOMBSTONES] = serde_json::json!({
                "about": "https://www.rfc-editor.org/rfc/rfc6721",
                "entries": deleted,
            });
        }
        feed.to_string()
    }
}

use crate::text::escape_markup as escape;

/// `GET /feed.atom`.
pub async fn site_atom(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(&state, Scope::Site, Format::Atom.file(), None, &headers).await
}

/// `GET /feed.json`.
pub async fn site_json(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(&state, Scope::Site, Format::Json.file(), None, &headers).await
}

/// `GET /{lang}/feed.atom`: the site's feed in one language.
pub async fn site_atom_in(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond_in(&state, &lang, Scope::Site, Format::Atom.file(), &headers).await
}

/// `GET /{lang}/feed.json`.
pub async fn site_json_in(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond_in(&state, &lang, Scope::Site, Format::Json.file(), &headers).await
}

/// `GET /persons/{slug}/{file}`.
pub async fn person_feed(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    respond(&state, Scope::Person(slug), &file, None, &headers).await
}

/// `GET /{lang}/persons/{slug}/{file}`.
pub async fn person_feed_in(
    State(state): State<AppState>,
    Path((lang, slug, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    respond_in(&state, &lang, Scope::Person(slug), &file, &headers).await
}

/// `GET /municipalities/{slug}/{file}`.
pub async fn municipality_feed(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    respond(&state, Scope::Municipality(slug), &file, None, &headers).await
}

/// `GET /{lang}/municipalities/{slug}/{file}`.
pub async fn municipality_feed_in(
    State(state): State<AppState>,
    Path((lang, slug, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    respond_in(&state, &lang, Scope::Municipality(slug), &file, &headers).await
}

/// A feed in the language of its path's prefix; an unknown prefix is no feed.
async fn respond_in(
    state: &AppState,
    lang: &str,
    scope: Scope,
    file: &str,
    headers: &HeaderMap,
) -> Response {
    match Locale::from_code(lang) {
        Some(language) => respond(state, scope, file, Some(language), headers).await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn respond(
    state: &AppState,
    scope: Scope,
    file: &str,
    language: Option<Locale>,
    headers: &HeaderMap,
) -> Response {
    let Some(format) = Format::from_file(file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let feed = match load(&state.db, &state.public_url, &scope, language).await {
        Ok(Some(feed)) => feed,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(error) if crate::server::db::unreachable(&error) => {
            tracing::warn!(%error, "a feed cannot reach the database");
            let retry = crate::error::RETRY_AFTER_SECONDS;
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, retry)],
            )
                .into_response();
        }
        Err(error) => {
            tracing::error!(%error, "cannot read a feed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let body = match format {
        Format::Atom => feed.to_atom(),
        Format::Json => feed.to_json(),
    };
    let last_modified = time(feed.updated())
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    // Only the ETag says "unchanged": the newest entry's time does not move
    // when an event is unpublished or a person made private, so a reader
    // asking If-Modified-Since alone gets the feed again.
    let mut response = cacheable(headers, body, format.content_type(), "public, max-age=300");
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&last_modified) {
        out.insert(header::LAST_MODIFIED, value);
    }
    response
}
