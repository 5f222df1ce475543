//! The feed benchmark's parts, run from `end2end/bench/feeds.sh`: a partner
//! server in its own process, and the measured passes of the real sync code
//! (`app::feeds::sync::run_pass`) in another, whose peak resident memory
//! is read from the kernel.
//!
//! `feed_bench partner PORT`: serves `/corpus/N.xml` (N = 0..19, 500 RSS
//! items each, the most a fetch keeps: 10,000 entries, a third naming a demo person, every one with
//! markup to sanitize) and `/feeds/N.xml` (a small feed with an ETag that
//! answers 304 to a matching If-None-Match, except every twentieth, which
//! changes at each request).
//!
//! `feed_bench ingest DATABASE_URL BASE`: follows the twenty corpus feeds and
//! runs one pass (fetch, parse, sanitize, match, store).
//!
//! `feed_bench refresh DATABASE_URL BASE COUNT`: follows COUNT small feeds,
//! runs a first pass (every feed new), makes them due again, and times the
//! second pass (mostly 304).
use app::feeds::subscriptions::on_server::{self as subscriptions, NewFeed};
use app::feeds::sync as feed_sync;
use app::server::audit::Actor;
use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

// A feed's newest `MAX_ENTRIES_PER_FETCH` (500) are kept per fetch.
const CORPUS_FEEDS: usize = 20;
const ITEMS_PER_FEED: usize = app::feeds::sync::parser::MAX_ENTRIES_PER_FETCH;
const NAMES: [&str; 5] = [
    "Loujain al-Hathloul",
    "Raif Badawi",
    "Hamid Babaei",
    "Vahid Afkari",
    "Dorgelesse Nguessan",
];

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["partner", port] => partner(port.parse().expect("PORT")).await,
        ["ingest", url, base] => ingest(url, base).await,
        ["refresh", url, base, count] => refresh(url, base, count.parse().expect("COUNT")).await,
        _ => {
            eprintln!("usage: feed_bench partner PORT | ingest DATABASE_URL BASE | refresh DATABASE_URL BASE COUNT");
            std::process::exit(2);
        }
    }
}

fn corpus(feed: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Corpus</title>"#,
    );
    for item in 0..ITEMS_PER_FEED {
        let n = feed * ITEMS_PER_FEED + item;
        let about = if n.is_multiple_of(3) {
            NAMES[n % NAMES.len()]
        } else {
            "a partner city"
        };
        xml.push_str(&format!(
            "<item><guid>urn:bench:{n}</guid><title>Entry {n} about {about}</title>\
             <link>https://partner.example/entries/{n}</link>\
             <pubDate>Fri, 27 Nov 2026 10:00:00 GMT</pubDate>\
             <description>&lt;p onclick=\"x()\"&gt;Report {n} on &lt;em&gt;{about}&lt;/em&gt;, \
             with a &lt;a href=\"https://partner.example/{n}\"&gt;link&lt;/a&gt; and \
             &lt;script&gt;alert({n})&lt;/script&gt; to remove.&lt;/p&gt;</description></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    xml
}

async fn partner(port: u16) {
    let corpus: Arc<Vec<String>> = Arc::new((0..CORPUS_FEEDS).map(corpus).collect());
    let changes = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new()
        .route(
            "/corpus/{file}",
            axum::routing::get(move |Path(file): Path<String>| {
                let corpus = corpus.clone();
                async move {
                    let n: usize = file.trim_end_matches(".xml").parse().unwrap_or(usize::MAX);
                    match corpus.get(n) {
                        Some(xml) => ([(header::CONTENT_TYPE, "application/rss+xml")], xml.clone())
                            .into_response(),
                        None => StatusCode::NOT_FOUND.into_response(),
                    }
                }
            }),
        )
        .route(
            "/feeds/{file}",
            axum::routing::get(move |Path(file): Path<String>, headers: HeaderMap| {
                let changes = changes.clone();
                async move {
                    let n: u64 = file.trim_end_matches(".xml").parse().unwrap_or(0);
                    let version = if n.is_multiple_of(20) {
                        changes.fetch_add(1, Ordering::Relaxed)
                    } else {
                        0
                    };
                    let etag = format!("\"{n}-{version}\"");
                    if headers
                        .get(header::IF_NONE_MATCH)
                        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
                    {
                        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
                    }
                    let xml = format!(
                        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>
                        <item><guid>urn:feed:{n}:{version}</guid><title>News {n}.{version}</title></item>
                        </channel></rss>"#
                    );
                    (
                        [
                            (header::CONTENT_TYPE, "application/rss+xml".to_owned()),
                            (header::ETAG, etag),
                        ],
                        xml,
                    )
                        .into_response()
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    axum::serve(
        listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        }),
        app,
    )
    .await
    .unwrap();
}

use axum::serve::ListenerExt;

/// Peak resident memory of this process, in MiB (VmHWM).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Starts a new peak: the kernel resets VmHWM when "5" is written here.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn follow(db: &app::server::db::Db, urls: impl Iterator<Item = String>) {
    for url in urls {
        let feed = NewFeed {
            url,
            partner: "Bench partner".into(),
            default_person: None,
            trusted: false,
            default_language: app::i18n::Locale::En,
        };
        subscriptions::add(db, Actor::Cli, &feed, 0)
            .await
            .expect("follow");
    }
}

async fn make_due(db: &app::server::db::Db) {
    app::on_pool!(db, |pool| sqlx::query("UPDATE feeds SET next_fetch_at = 0")
        .execute(pool)
        .await
        .map(|_| ()))
    .expect("make due");
}

async fn ingest(url: &str, base: &str) {
    let db = app::server::db::Db::connect(url, 5).await.expect("connect");
    follow(
        &db,
        (0..CORPUS_FEEDS).map(|n| format!("{base}/corpus/{n}.xml")),
    )
    .await;
    let client = feed_sync::client(feed_sync::Reach::PrivateToo);
    reset_peak_rss();
    let started = Instant::now();
    let report = feed_sync::run_pass(&db, &client, app::server::clock::now())
        .await
        .expect("pass");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        report.new_entries,
        CORPUS_FEEDS * ITEMS_PER_FEED,
        "{report:?}"
    );
    let matched: i64 = app::on_pool!(&db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM feed_entries WHERE matched_person_id IS NOT NULL"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    println!(
        "ingest\t{} entries\t{seconds:.2} s\t{:.0} entries/s\t{matched} matched\tpeak RSS {:.1} MiB",
        report.new_entries,
        report.new_entries as f64 / seconds,
        peak_rss_mib()
    );
    db.close().await;
}

async fn refresh(url: &str, base: &str, count: usize) {
    let db = app::server::db::Db::connect(url, 5).await.expect("connect");
    follow(&db, (0..count).map(|n| format!("{base}/feeds/{n}.xml"))).await;
    let client = feed_sync::client(feed_sync::Reach::PrivateToo);
    let started = Instant::now();
    let first = feed_sync::run_pass(&db, &client, app::server::clock::now())
        .await
        .expect("first pass");
    let first_seconds = started.elapsed().as_secs_f64();
    make_due(&db).await;
    reset_peak_rss();
    let started = Instant::now();
    let second = feed_sync::run_pass(&db, &client, app::server::clock::now())
        .await
        .expect("second pass");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(second.feeds, count, "{second:?}");
    assert_eq!(second.failed, 0, "{second:?}");
    println!(
        "refresh\t{count} feeds\tfirst pass {first_seconds:.2} s ({} new)\tsecond pass {seconds:.2} s: {} not modified, {} new entries\tpeak RSS {:.1} MiB",
        first.new_entries,
        second.not_modified,
        second.new_entries,
        peak_rss_mib()
    );
    db.close().await;
}
