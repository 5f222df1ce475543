//! The search index of one instance: tantivy, in memory, built from
//! `documents` and rebuilt whole when the content has moved (a rebuild reads
//! what is public now, so nothing taken out lingers in it).
//!
//! Each document is indexed once per reader language, with its texts as that
//! reader sees them (translated where a translation exists): `reader` says
//! which. Every text goes into the field of the language it is written in,
//! analysed with that language's stop words and stemmer, then folded to
//! ASCII, so that "detenue" and "détenue" meet; names go into `names`,
//! folded and lowercased but not stemmed; an event or an action also carries
//! its person's name (`person`), weighed less than the person's own. A query
//! is analysed once per field: each of its words must match somewhere (a
//! name, or a stemmed word in any of the three languages), except words that
//! are stop words in one of them ("la", "de"), which only rank.
use super::documents::{self, Document, Facets, Key};
use super::{Marked, SearchHit, SearchQuery, SearchResults, MOST_HITS};
use crate::i18n::Locale;
use crate::server::db::Db;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenizerManager,
};
use tantivy::{Index, IndexReader, Searcher, TantivyDocument, Term};

/// How long a search waits for a rebuild under way before it answers from
/// the index it has: a rebuild of the demo takes milliseconds, one of tens
/// of thousands of persons seconds (BENCHMARKS.md, "Search").
const WAIT_FOR_REBUILD: Duration = Duration::from_secs(1);
/// How long a search waits for the very first index of the instance.
const WAIT_FOR_FIRST_BUILD: Duration = Duration::from_secs(10);
/// After a rebuild failed, how long searches answer from the last index
/// before one tries again (a read that fails fails for a while).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);
/// The words of a query read, the first ones, each once.
const MOST_WORDS: usize = 12;
/// What the single indexing thread may hold before it writes a segment.
const INDEXING_BUDGET: usize = 50_000_000;
/// Longer words are no words (a pasted address, a hash).
const LONGEST_WORD: usize = 40;
/// How long an excerpt is, at most, in characters.
const EXCERPT_CHARS: usize = 180;
const NAMES: &str = "names";

/// The index of this instance, shared by its requests; cloning shares it.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    built: RwLock<Option<Arc<Built>>>,
    /// Held by the one rebuild under way.
    rebuilding: tokio::sync::Mutex<()>,
    /// Told when a rebuild ends, built or failed: the searches waiting for it.
    rebuilt: tokio::sync::Notify,
    last_failure: std::sync::Mutex<Option<std::time::Instant>>,
}

/// An index as built under one content version.
struct Built {
    version: i64,
    reader: IndexReader,
    fields: Fields,
}

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    reader: Field,
    names: Field,
    /// The name of the person an event or an action is about.
    person: Field,
    en: Field,
    fr: Field,
    nl: Field,
    status: Field,
    rights: Field,
    country: Field,
    municipality: Field,
}

impl Fields {
    fn text(&self, lang: Locale) -> Field {
        match lang {
            Locale::En => self.en,
            Locale::Fr => self.fr,
            Locale::Nl => self.nl,
        }
    }
}

fn stemmer_language(lang: Locale) -> Language {
    match lang {
        Locale::En => Language::English,
        Locale::Fr => Language::French,
        Locale::Nl => Language::Dutch,
    }
}

/// The analysers of the index, by name: `names`, `en`, `fr`, `nl`.
fn analysers() -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(
        NAMES,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(LONGEST_WORD))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    for lang in Locale::ALL {
        let language = stemmer_language(lang);
        let stop_words = StopWordFilter::new(language).unwrap_or_else(|| {
            // Every language we index has a list; none would be no filter.
            StopWordFilter::remove(Vec::<String>::new())
        });
        manager.register(
            lang.code(),
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(LONGEST_WORD))
                .filter(LowerCaser)
                .filter(stop_words)
                .filter(Stemmer::new(language))
                .filter(AsciiFoldingFilter)
                .build(),
        );
    }
    manager
}

fn schema() -> (Schema, Fields) {
    let mut schema = Schema::builder();
    let text = |analyser: &str, positions: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyser)
                .set_index_option(if positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                }),
        )
    };
    let fields = Fields {
        key: schema.add_text_field("key", STRING | STORED),
        reader: schema.add_text_field("reader", STRING),
        names: schema.add_text_field(NAMES, text(NAMES, false)),
        person: schema.add_text_field("person", text(NAMES, false)),
        en: schema.add_text_field("en", text("en", true)),
        fr: schema.add_text_field("fr", text("fr", true)),
        nl: schema.add_text_field("nl", text("nl", true)),
        status: schema.add_text_field("status", STRING),
        rights: schema.add_text_field("rights", STRING),
        country: schema.add_text_field("country", STRING),
        municipality: schema.add_text_field("municipality", STRING),
    };
    (schema.build(), fields)
}

/// What an index build read and made, for the benchmark.
#[derive(Clone, Copy, Debug)]
pub struct BuildReport {
    pub documents: usize,
    pub read: Duration,
    pub indexed: Duration,
}

/// Builds an index of `docs` (each with its reader language).
fn build(
    docs: &[(Locale, Document)],
    facets: &std::collections::HashMap<i64, Facets>,
) -> tantivy::Result<(IndexReader, Fields)> {
    let (schema, fields) = schema();
    let mut writer = Index::builder()
        .schema(schema)
        .tokenizers(analysers())
        .single_segment_index_writer(tantivy::directory::RamDirectory::create(), INDEXING_BUDGET)?;
    for (reader, doc) in docs {
        let mut out = TantivyDocument::default();
        out.add_text(fields.key, doc.key.encode());
        out.add_text(fields.reader, reader.code());
        for name in &doc.names {
            out.add_text(fields.names, name);
        }
        if doc.key.kind != super::HitKind::Person {
            out.add_text(fields.person, &doc.person_name);
        }
        for text in std::iter::once(&doc.title).chain(&doc.texts) {
            out.add_text(fields.text(text.lang), &text.text);
        }
        if let Some(facets) = facets.get(&doc.person_id) {
            if let Some(status) = &facets.status {
                out.add_text(fields.status, status);
            }
            if let Some(country) = &facets.country {
                out.add_text(fields.country, country);
            }
            for rights in &facets.rights {
                out.add_text(fields.rights, rights);
            }
            for municipality in &facets.municipalities {
                out.add_text(fields.municipality, municipality);
            }
        }
        writer.add_document(out)?;
    }
    let index = writer.finalize()?;
    Ok((index.reader()?, fields))
}

/// The tokens `analyser` makes of `text`.
fn tokens(manager: &TokenizerManager, analyser: &str, text: &str) -> Vec<String> {
    let Some(mut analyser) = manager.get(analyser) else {
        return Vec::new();
    };
    let mut stream = analyser.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The words of a query as typed, split where names and texts are split.
fn words(text: &str) -> Vec<String> {
    use tantivy::tokenizer::Tokenizer;
    let mut tokenizer = SimpleTokenizer::default();
    let mut stream = tokenizer.token_stream(text);
    let mut out = Vec::new();
    while tantivy::tokenizer::TokenStream::advance(&mut stream) {
        out.push(tantivy::tokenizer::TokenStream::token(&stream).text.clone());
    }
    out
}

/// The query for `q` as a reader in `reader` asks it; `None`: no word in it.
fn query_of(
    manager: &TokenizerManager,
    fields: &Fields,
    q: &SearchQuery,
    reader: Locale,
) -> Option<BooleanQuery> {
    let boosted = |query: Box<dyn Query>, boost: f32| -> Box<dyn Query> {
        Box::new(BoostQuery::new(query, boost))
    };
    let mut words_clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut any_required = false;
    let mut seen = std::collections::HashSet::new();
    let read = words(&q.text)
        .into_iter()
        .filter(|word| seen.insert(word.to_lowercase()))
        .take(MOST_WORDS);
    for word in read {
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for name in tokens(manager, NAMES, &word) {
            let term = Term::from_field_text(fields.names, &name);
            let length = name.chars().count();
            alternatives.push((
                Occur::Should,
                boosted(
                    Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                    4.0,
                ),
            ));
            // The start of a name: "hath" finds al-Hathloul.
            if length >= 2 {
                alternatives.push((
                    Occur::Should,
                    boosted(
                        Box::new(FuzzyTermQuery::new_prefix(term.clone(), 0, true)),
                        2.0,
                    ),
                ));
            }
            // A name mistyped by a letter: "Hatloul".
            if length >= 5 {
                alternatives.push((Occur::Should, Box::new(FuzzyTermQuery::new(term, 1, true))));
            }
            // What is about the person: "détenue hathloul" finds her
            // timeline's "Détenue", below the person herself.
            let about = Term::from_field_text(fields.person, &name);
            alternatives.push((
                Occur::Should,
                boosted(
                    Box::new(TermQuery::new(about.clone(), IndexRecordOption::WithFreqs)),
                    0.5,
                ),
            ));
            if length >= 2 {
                alternatives.push((
                    Occur::Should,
                    boosted(Box::new(FuzzyTermQuery::new_prefix(about, 0, true)), 0.25),
                ));
            }
        }
        let mut stop_word = false;
        for lang in Locale::ALL {
            let stems = tokens(manager, lang.code(), &word);
            stop_word |= stems.is_empty();
            for stem in stems {
                let term = Term::from_field_text(fields.text(lang), &stem);
                alternatives.push((
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                ));
            }
        }
        if alternatives.is_empty() {
            continue;
        }
        any_required |= !stop_word;
        let occur = if stop_word {
            Occur::Should
        } else {
            Occur::Must
        };
        words_clauses.push((occur, Box::new(BooleanQuery::new(alternatives))));
    }
    if words_clauses.is_empty() {
        return None;
    }
    if !any_required {
        // Only stop words: any of them, rather than everything.
        words_clauses = vec![(Occur::Must, Box::new(BooleanQuery::new(words_clauses)))];
    }
    let exactly = |field: Field, value: &str| -> (Occur, Box<dyn Query>) {
        (
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            )),
        )
    };
    let mut clauses = vec![
        (
            Occur::Must,
            Box::new(BooleanQuery::new(words_clauses)) as Box<dyn Query>,
        ),
        exactly(fields.reader, reader.code()),
    ];
    let filter = &q.filter;
    if let Some(status) = filter.status {
        clauses.push(exactly(fields.status, status.slug()));
    }
    if let Some(rights) = filter.rights {
        clauses.push(exactly(fields.rights, rights.slug()));
    }
    if let Some(country) = &filter.country {
        clauses.push(exactly(fields.country, country.as_str()));
    }
    if let Some(municipality) = &filter.municipality {
        clauses.push(exactly(fields.municipality, municipality.as_str()));
    }
    Some(BooleanQuery::new(clauses))
}

impl SearchIndex {
    /// An index for the instance on `db`, not built yet: the first search
    /// (or `rebuild`) builds it.
    pub fn new(db: Db) -> Self {
        SearchIndex {
            inner: Arc::new(Inner {
                db,
                built: RwLock::new(None),
                rebuilding: tokio::sync::Mutex::new(()),
                rebuilt: tokio::sync::Notify::new(),
                last_failure: std::sync::Mutex::new(None),
            }),
        }
    }

    /// An index for the instance on `db`, built in the background from now.
    pub fn start(db: Db) -> Self {
        let index = Self::new(db);
        index.start_rebuild();
        index
    }

    fn built(&self) -> Option<Arc<Built>> {
        self.inner
            .built
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Builds the index again unless one as new as the content is there (or
    /// comes from a rebuild that was under way).
    pub async fn rebuild(&self) -> Result<Option<BuildReport>, sqlx::Error> {
        let _one_at_a_time = self.inner.rebuilding.lock().await;
        let built = self.build_now().await;
        if let Err(error) = &built {
            tracing::warn!(%error, "search index: a rebuild failed; searches answer from the last index");
            *self
                .inner
                .last_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(std::time::Instant::now());
        }
        self.inner.rebuilt.notify_waiters();
        built
    }

    /// A rebuild in the background unless one is under way or one failed
    /// a moment ago.
    fn start_rebuild(&self) {
        let failed_lately = self
            .inner
            .last_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| at.elapsed() < RETRY_AFTER_FAILURE);
        if failed_lately || self.inner.rebuilding.try_lock().is_err() {
            return;
        }
        let index = self.clone();
        tokio::spawn(async move { index.rebuild().await });
    }

    async fn build_now(&self) -> Result<Option<BuildReport>, sqlx::Error> {
        // Read before the documents: the index is never labelled newer
        // than what it holds.
        let version = crate::server::render_cache::content_version(&self.inner.db).await?;
        if self.built().is_some_and(|b| b.version == version) {
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let (docs, facets) = documents::everything(&self.inner.db).await?;
        let read = started.elapsed();
        let count = docs.len();
        let built = tokio::task::spawn_blocking(move || build(&docs, &facets))
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("search index build stopped: {e}")))?
            .map_err(|e| sqlx::Error::Protocol(format!("search index build failed: {e}")))?;
        let report = BuildReport {
            documents: count,
            read,
            indexed: started.elapsed() - read,
        };
        tracing::info!(
            version,
            documents = count,
            read_ms = report.read.as_millis() as u64,
            indexed_ms = report.indexed.as_millis() as u64,
            "search index built"
        );
        let (reader, fields) = built;
        *self.inner.built.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(Built {
            version,
            reader,
            fields,
        }));
        *self
            .inner
            .last_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        Ok(Some(report))
    }

    /// The index to answer from, and whether it is older than the content:
    /// the current one, else the one the rebuild under way makes within
    /// `WAIT_FOR_REBUILD`, else the last one.
    async fn current(&self) -> Result<(Arc<Built>, bool), sqlx::Error> {
        let version = crate::server::render_cache::content_version(&self.inner.db).await?;
        if let Some(built) = self.built().filter(|b| b.version >= version) {
            return Ok((built, false));
        }
        let rebuilt = self.inner.rebuilt.notified();
        self.start_rebuild();
        let wait = if self.built().is_some() {
            WAIT_FOR_REBUILD
        } else {
            WAIT_FOR_FIRST_BUILD
        };
        // A rebuild still under way goes on; a later search finds it done.
        let _ = tokio::time::timeout(wait, rebuilt).await;
        let built = self
            .built()
            .ok_or_else(|| sqlx::Error::Protocol("the search index is not built yet".into()))?;
        let stale = built.version < version;
        Ok((built, stale))
    }

    /// The hits from `offset` on, at most `limit`, best first; each read
    /// again from the database, so only what is public now is given.
    pub async fn search(
        &self,
        q: &SearchQuery,
        reader: Locale,
        offset: usize,
        limit: usize,
    ) -> Result<SearchResults, sqlx::Error> {
        let none = SearchResults {
            hits: Vec::new(),
            more: false,
        };
        if offset >= MOST_HITS {
            return Ok(none);
        }
        let (built, stale) = self.current().await?;
        let searcher = built.reader.searcher();
        let manager = searcher.index().tokenizers().clone();
        let Some(query) = query_of(&manager, &built.fields, q, reader) else {
            return Ok(none);
        };
        let take = limit.min(MOST_HITS - offset);
        let found = searcher
            .search(
                &query,
                &TopDocs::with_limit(take + 1)
                    .and_offset(offset)
                    .order_by_score(),
            )
            .map_err(search_failed)?;
        let mut keys = Vec::with_capacity(found.len());
        for (_, address) in found {
            let doc: TantivyDocument = searcher.doc(address).map_err(search_failed)?;
            if let Some(key) = doc
                .get_first(built.fields.key)
                .and_then(|v| v.as_str())
                .and_then(Key::decode)
            {
                keys.push(key);
            }
        }
        // Read again: gone since the index was built, not shown.
        let mut docs = documents::current(&self.inner.db, &keys, reader).await?;
        if stale {
            docs = still_found(&self.inner.db, docs, q, reader).await?;
        }
        let more = docs.len() > take && offset + take < MOST_HITS;
        let marker = Marker::new(&searcher, &manager, &query, &built.fields, &q.text)?;
        let hits = docs
            .into_iter()
            .take(take)
            .map(|doc| marker.hit(doc, reader))
            .collect();
        Ok(SearchResults { hits, more })
    }
}

/// Of `docs` (read now, in the order found by an index older than the
/// content), those the same query finds in what they are now, with the
/// persons' filters as they are now: an index of them alone decides, with
/// the same analysers and query. So a name changed, a summary or a country
/// made internal, a status no longer current finds nothing any more.
async fn still_found(
    db: &Db,
    docs: Vec<Document>,
    q: &SearchQuery,
    reader: Locale,
) -> Result<Vec<Document>, sqlx::Error> {
    if docs.is_empty() {
        return Ok(docs);
    }
    let facets = documents::facets(db).await?;
    let readings: Vec<(Locale, Document)> = docs.iter().map(|d| (reader, d.clone())).collect();
    let (index, fields) = build(&readings, &facets).map_err(search_failed)?;
    let searcher = index.searcher();
    let manager = searcher.index().tokenizers().clone();
    let Some(query) = query_of(&manager, &fields, q, reader) else {
        return Ok(Vec::new());
    };
    let mut kept = std::collections::HashSet::new();
    for (_, address) in searcher
        .search(&query, &TopDocs::with_limit(docs.len()).order_by_score())
        .map_err(search_failed)?
    {
        let doc: TantivyDocument = searcher.doc(address).map_err(search_failed)?;
        if let Some(key) = doc
            .get_first(fields.key)
            .and_then(|v| v.as_str())
            .and_then(Key::decode)
        {
            kept.insert(key);
        }
    }
    Ok(docs.into_iter().filter(|d| kept.contains(&d.key)).collect())
}

fn search_failed(error: tantivy::TantivyError) -> sqlx::Error {
    sqlx::Error::Protocol(format!("search failed: {error}"))
}

/// Marks the words a query matched in the texts read for a hit.
struct Marker {
    by_language: Vec<(Locale, SnippetGenerator)>,
    /// The query's words as the names field has them.
    name_words: Vec<String>,
    manager: TokenizerManager,
}

impl Marker {
    fn new(
        searcher: &Searcher,
        manager: &TokenizerManager,
        query: &dyn Query,
        fields: &Fields,
        text: &str,
    ) -> Result<Self, sqlx::Error> {
        let mut by_language = Vec::new();
        for lang in Locale::ALL {
            let mut generator = SnippetGenerator::create(searcher, query, fields.text(lang))
                .map_err(search_failed)?;
            generator.set_max_num_chars(EXCERPT_CHARS);
            by_language.push((lang, generator));
        }
        Ok(Marker {
            by_language,
            name_words: tokens(manager, NAMES, text),
            manager: manager.clone(),
        })
    }

    fn generator(&self, lang: Locale) -> Option<&SnippetGenerator> {
        self.by_language
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, g)| g)
    }

    /// `text` whole, its words that match the query marked (those of its
    /// best passage, when it is long); `None` when none does.
    fn whole(&self, text: &crate::i18n::LangText) -> Option<Marked> {
        let snippet = self.generator(text.lang)?.snippet(&text.text);
        let start = snippet.fragment_range().start;
        let marks: Vec<_> = snippet
            .highlighted()
            .iter()
            .map(|r| r.start + start..r.end + start)
            .collect();
        (!marks.is_empty()).then(|| marked(&text.text, &marks, text.lang))
    }

    /// A name, the words that start as a word of the query does marked.
    fn name(&self, name: &str, lang: Locale) -> Marked {
        use tantivy::tokenizer::TokenStream;
        let mut ranges = Vec::new();
        if let Some(mut analyser) = self.manager.get(NAMES) {
            let mut stream = analyser.token_stream(name);
            while stream.advance() {
                let token = stream.token();
                if self
                    .name_words
                    .iter()
                    .any(|w| !w.is_empty() && token.text.starts_with(w.as_str()))
                {
                    ranges.push(token.offset_from..token.offset_to);
                }
            }
        }
        marked(name, &ranges, lang)
    }

    fn hit(&self, doc: Document, reader: Locale) -> SearchHit {
        let title = match doc.key.kind {
            super::HitKind::Person => self.name(&doc.title.text, reader),
            _ => self
                .whole(&doc.title)
                .unwrap_or_else(|| Marked::plain(doc.title.text.clone(), doc.title.lang)),
        };
        // The text with the most matches, cut around them.
        let excerpt = doc
            .texts
            .iter()
            .filter_map(|text| {
                let snippet = self.generator(text.lang)?.snippet(&text.text);
                let count = snippet.highlighted().len();
                (count > 0).then(|| {
                    (
                        count,
                        marked(snippet.fragment(), snippet.highlighted(), text.lang),
                    )
                })
            })
            .max_by_key(|(count, _)| *count)
            .map(|(_, marked)| marked);
        SearchHit {
            kind: doc.key.kind,
            title,
            person_slug: doc.person_slug,
            person_name: doc.person_name,
            action_slug: doc.action_slug,
            occurred_on: doc.occurred_on,
            excerpt,
        }
    }
}

/// `text` in parts, the byte ranges `marks` (in order, on char boundaries) marked.
fn marked(text: &str, marks: &[std::ops::Range<usize>], lang: Locale) -> Marked {
    let mut parts = Vec::new();
    let mut at = 0;
    for range in marks {
        if range.start < at || range.end > text.len() || range.start >= range.end {
            continue;
        }
        let (Some(before), Some(mark)) = (text.get(at..range.start), text.get(range.clone()))
        else {
            continue;
        };
        if !before.is_empty() {
            parts.push((before.to_owned(), false));
        }
        parts.push((mark.to_owned(), true));
        at = range.end;
    }
    if let Some(rest) = text.get(at..) {
        if !rest.is_empty() {
            parts.push((rest.to_owned(), false));
        }
    }
    Marked { parts, lang }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysed(analyser: &str, text: &str) -> Vec<String> {
        tokens(&analysers(), analyser, text)
    }

    #[test]
    fn names_are_found_whatever_their_case_accents_and_punctuation() {
        assert_eq!(
            analysed(NAMES, "Loujain al-Hathloul"),
            ["loujain", "al", "hathloul"]
        );
        assert_eq!(
            analysed(NAMES, "Dorgelesse N'guessan"),
            ["dorgelesse", "n", "guessan"]
        );
        assert_eq!(analysed(NAMES, "LOUJAÏN"), ["loujain"]);
    }

    #[test]
    fn each_language_meets_its_own_inflections() {
        assert_eq!(analysed("fr", "détenue"), analysed("fr", "détenues"));
        assert_eq!(analysed("fr", "detenue"), analysed("fr", "détenues"));
        assert_eq!(analysed("en", "arrested"), analysed("en", "arrest"));
        assert_eq!(
            analysed("nl", "gearresteerd"),
            analysed("nl", "gearresteerde")
        );
        assert!(analysed("fr", "la").is_empty(), "a French stop word");
    }

    #[test]
    fn marking_keeps_every_character_and_marks_only_the_ranges() {
        let text = "Détenue à Riyad, détenues";
        let second = text.rfind("détenues").unwrap();
        let m = marked(text, &[0.."Détenue".len(), second..text.len()], Locale::Fr);
        assert_eq!(m.text(), text);
        assert_eq!(m.matches(), ["Détenue", "détenues"]);
        // A range off the text or overlapping is left out, never a panic.
        let m = marked("abc", &[1..2, 0..1, 2..9], Locale::En);
        assert_eq!(m.text(), "abc");
        assert_eq!(m.matches(), ["b"]);
    }
}
