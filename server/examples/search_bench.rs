//! Search (issue 31): the index of a large network, built and asked as an
//! instance does (`app::api::search::index`). The database gets `persons`
//! public persons (default 10,000), each with 10 published timeline events
//! whose titles and texts are written in English with French and Dutch
//! translations, and an open support action; names are made of syllables,
//! so nobody real. Then: the time to build the index (reading, indexing),
//! the memory it holds, and the time each of a mix of queries takes to
//! answer its first page (names and their starts, words in each language,
//! with and without a filter), hits read back from the database as for a
//! reader. Prints tab-separated figures.
use app::api::persons::PersonFilter;
use app::api::search::index::SearchIndex;
use app::api::search::SearchQuery;
use app::domain::Status;
use app::i18n::Locale;
use app::on_pool;
use std::time::{Duration, Instant};

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ra", "sen", "dor", "vel", "ny", "tho", "bri", "zu", "el", "an", "ko", "ri",
    "sa", "mé", "lu", "ïn", "to", "gar", "ne", "os", "dja",
];
const WORDS: [(&str, &str, &str); 16] = [
    ("arrested", "arrêtée", "gearresteerd"),
    ("detained", "détenue", "gedetineerd"),
    ("trial", "procès", "proces"),
    ("postponed", "reporté", "uitgesteld"),
    ("court", "tribunal", "rechtbank"),
    ("released", "libérée", "vrijgelaten"),
    ("sentenced", "condamnée", "veroordeeld"),
    ("prison", "prison", "gevangenis"),
    ("hearing", "audience", "hoorzitting"),
    ("lawyer", "avocate", "advocaat"),
    ("visit", "visite", "bezoek"),
    ("family", "famille", "familie"),
    ("appeal", "appel", "beroep"),
    ("charges", "accusations", "aanklachten"),
    ("transferred", "transférée", "overgebracht"),
    ("journalist", "journaliste", "journaliste"),
];

/// A small deterministic generator: the same network on every run.
struct Draw(u64);

impl Draw {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below
    }

    fn name(&mut self) -> String {
        let mut word = || {
            let w: String = (0..2 + self.next(2))
                .map(|_| SYLLABLES[self.next(SYLLABLES.len())])
                .collect();
            let mut letters = w.chars();
            letters
                .next()
                .map(|first| first.to_uppercase().chain(letters).collect::<String>())
                .unwrap_or_default()
        };
        format!("{} {}", word(), word())
    }

    /// Words of one sentence in the three languages, the same meaning each.
    fn sentence(&mut self, length: usize) -> [String; 3] {
        let picks: Vec<usize> = (0..length).map(|_| self.next(WORDS.len())).collect();
        let join = |pick: fn(&(&'static str, &'static str, &'static str)) -> &'static str| {
            picks
                .iter()
                .map(|i| pick(&WORDS[*i]))
                .collect::<Vec<_>>()
                .join(" ")
        };
        [join(|w| w.0), join(|w| w.1), join(|w| w.2)]
    }
}

/// Fills the database, one transaction (SQLite) or a few hundred rows a
/// statement (PostgreSQL); gives the surnames written, for the queries.
async fn seed(db: &app::server::db::Db, persons: usize) -> Vec<String> {
    let mut draw = Draw(31);
    let mut surnames = Vec::new();
    let statuses = [
        Status::Arrested,
        Status::Detained,
        Status::Released,
        Status::Sentenced,
    ];
    on_pool!(db, |pool| {
        let mut tx = pool.begin().await.unwrap();
        for p in 0..persons {
            // A transaction per hundred persons: each statement bumps the
            // render cache's counter, and PostgreSQL updating one row
            // half a million times in one transaction walks an ever longer
            // chain of its versions (the seed ran past twenty minutes).
            if p > 0 && p % 100 == 0 {
                tx.commit().await.unwrap();
                tx = pool.begin().await.unwrap();
            }
            let name = draw.name();
            surnames.push(name.split(' ').nth(1).unwrap().to_owned());
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO persons (slug, full_name, summary, is_public) VALUES ($1, $2, $3, TRUE) RETURNING id",
            )
            .bind(format!("bench-person-{p}"))
            .bind(&name)
            .bind(format!("<p>{}</p>", draw.sentence(12)[0]))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            for e in 0..10 {
                let [title_en, title_fr, title_nl] = draw.sentence(3);
                let [body_en, body_fr, body_nl] = draw.sentence(20);
                let status = (e == 9).then(|| statuses[draw.next(statuses.len())].slug());
                let event: i64 = sqlx::query_scalar(
                    "INSERT INTO status_events (person_id, status, occurred_year, title, body_html, is_published, original_language)
                     VALUES ($1, $2, $3, $4, $5, TRUE, 'en') RETURNING id",
                )
                .bind(id)
                .bind(status)
                .bind(2010 + e)
                .bind(&title_en)
                .bind(format!("<p>{body_en}</p>"))
                .fetch_one(&mut *tx)
                .await
                .unwrap();
                for (language, field, text, source) in [
                    ("fr", "title", title_fr, &title_en),
                    ("nl", "title", title_nl, &title_en),
                    ("fr", "body_html", format!("<p>{body_fr}</p>"), &body_en),
                    ("nl", "body_html", format!("<p>{body_nl}</p>"), &body_en),
                ] {
                    sqlx::query(
                        "INSERT INTO status_event_translations (status_event_id, field, language, text, source_text, updated_at)
                         VALUES ($1, $2, $3, $4, $5, 0)",
                    )
                    .bind(event)
                    .bind(field)
                    .bind(language)
                    .bind(text)
                    .bind(source)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
            }
            sqlx::query(
                "INSERT INTO support_actions (person_id, slug, title, body_html, addressee, goal, opens_on)
                 VALUES ($1, $2, $3, '<p>Write to the authorities.</p>', 'The authorities', 1000, '2026-01-01')",
            )
            .bind(id)
            .bind(format!("bench-action-{p}"))
            .bind(format!("Solidarity with {name}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    });
    surnames
}

fn rss_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .expect("usage: search_bench DATABASE_URL [PERSONS] [QUERIES]");
    let persons: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let queries: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(2_000);
    let db = app::server::db::Db::connect(url, 5).await.expect("connect");
    let started = Instant::now();
    // A database this bench seeded before is asked again as it is: seeding
    // PostgreSQL statement by statement takes a quarter of an hour here.
    let seeded: Vec<String> = on_pool!(&db, |pool| sqlx::query_scalar(
        "SELECT full_name FROM persons WHERE slug LIKE 'bench-person-%' ORDER BY id"
    )
    .fetch_all(pool)
    .await)
    .expect("read");
    let surnames = if seeded.len() == persons {
        println!("seed\t{persons} persons, seeded by an earlier run");
        seeded
            .iter()
            .map(|name| name.split(' ').nth(1).unwrap_or(name).to_owned())
            .collect()
    } else {
        let surnames = seed(&db, persons).await;
        println!(
            "seed\t{persons} persons, {} events, 3 languages\t{:.1} s",
            persons * 10,
            started.elapsed().as_secs_f64()
        );
        surnames
    };

    let before = rss_mib("VmRSS:");
    let index = SearchIndex::new(db.clone());
    let report = index.rebuild().await.expect("build").expect("a new index");
    let after = rss_mib("VmRSS:");
    println!(
        "build\t{} documents\tread {:.2} s\tindexed {:.2} s\tindex in memory ~{:.0} MiB (resident before {before:.0}, after {after:.0}, peak {:.0})",
        report.documents,
        report.read.as_secs_f64(),
        report.indexed.as_secs_f64(),
        after - before,
        rss_mib("VmHWM:"),
    );

    let mut draw = Draw(7);
    let mut asked = Vec::new();
    for n in 0..queries {
        let lang = Locale::ALL[n % 3];
        let word = WORDS[draw.next(WORDS.len())];
        let surname = &surnames[draw.next(surnames.len())];
        let (text, filter) = match n % 5 {
            0 => (surname.to_lowercase(), PersonFilter::default()),
            1 => (
                surname.chars().take(4).collect::<String>(),
                PersonFilter::default(),
            ),
            2 => (
                match lang {
                    Locale::En => word.0,
                    Locale::Fr => word.1,
                    Locale::Nl => word.2,
                }
                .to_owned(),
                PersonFilter::default(),
            ),
            3 => (
                format!("{} {}", word.0, WORDS[draw.next(WORDS.len())].0),
                PersonFilter::default(),
            ),
            _ => (
                word.1.to_owned(),
                PersonFilter {
                    status: Some(Status::Released),
                    ..PersonFilter::default()
                },
            ),
        };
        asked.push((SearchQuery::new(&text, filter), lang, n % 5));
    }
    let mut times = Vec::with_capacity(asked.len());
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); 5];
    let mut found = 0;
    for (query, lang, kind) in &asked {
        let at = Instant::now();
        let results = index.search(query, *lang, 0, 20).await.expect("search");
        times.push(at.elapsed());
        by_kind[*kind].push(at.elapsed());
        found += results.hits.len();
    }
    for (kind, mut kind_times) in [
        "surname",
        "start of a surname",
        "a word",
        "two English words",
        "a French word, status filter",
    ]
    .into_iter()
    .zip(by_kind)
    {
        kind_times.sort();
        if !kind_times.is_empty() {
            println!(
                "query\t{kind}\tp50 {:.2} ms\tp99 {:.2} ms",
                percentile(&kind_times, 0.5),
                percentile(&kind_times, 0.99)
            );
        }
    }
    times.sort();
    println!(
        "query\t{} queries, first page of 20\tp50 {:.2} ms\tp99 {:.2} ms\tmax {:.2} ms\t{:.1} hits a query",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().unwrap().as_secs_f64() * 1000.0,
        found as f64 / times.len() as f64
    );
}
