//! Following partner feeds against a real HTTP server on loopback that
//! serves good feeds and hostile ones, on both backends.
use crate::helpers::TestStore;
use crate::on_both_backends;
use app::feeds::subscriptions::on_server::{self as subscriptions, NewFeed};
use app::feeds::sync as feed_sync;
use app::on_pool;
use app::server::audit::Actor;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use std::time::Duration;

const RSS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Partner</title><link>https://partner.example/</link>
<item><guid>urn:partner:1</guid><title>Vahid Afkari moved to another prison</title>
<link>https://partner.example/1</link><pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;News about &lt;em&gt;Vahid&lt;/em&gt;.&lt;/p&gt;</description></item>
<item><title>A post about nobody we follow</title><link>https://partner.example/2</link></item>
<item><title>No guid, no link: LOUJAIN AL-HATHLOUL speaks</title><pubDate>Wed, 04 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"#;

/// Dates no timeline can show: far future and before 1900.
const ODD_DATES: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>D</title>
<item><guid>d1</guid><title>Raif Badawi: dated in the year 3000</title><pubDate>Mon, 01 Jan 3000 00:00:00 GMT</pubDate></item>
<item><guid>d2</guid><title>Raif Badawi: dated 1800</title><pubDate>Wed, 01 Jan 1800 00:00:00 GMT</pubDate></item>
</channel></rss>"#;

/// One entry twice (a partner's CMS that lists a post in two places).
const REPEATS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>R</title>
<item><guid>r1</guid><title>Vahid Afkari: hearing postponed</title><pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate></item>
<item><guid>r1</guid><title>Vahid Afkari: hearing postponed</title><pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate></item>
<item><guid>r2</guid><title>Raif Badawi: a letter arrived</title><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom partner</title><id>urn:a</id>
<updated>2026-11-01T00:00:00Z</updated>
<entry><id>urn:a:1</id><title>Hamid Babaeï: appeal rejected</title><updated>2026-11-01T00:00:00Z</updated>
<link href="https://atom.example/1"/><content type="html">&lt;p&gt;ok&lt;/p&gt;</content></entry></feed>"#;

const JSON: &str = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
{"id":"j1","title":"Raif Badawi update","content_html":"<p>j</p>","url":"https://json.example/1"}]}"#;

const XSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>X</title>
<item><guid>x1</guid><title>&lt;img src=x onerror=alert(1)&gt;Vahid Afkari</title>
<description>&lt;p onmouseover="alert(2)"&gt;Hi&lt;script&gt;alert(3)&lt;/script&gt;&lt;a href="javascript:alert(4)"&gt;l&lt;/a&gt;&lt;/p&gt;</description></item>
</channel></rss>"#;

const LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><title>&lol4;</title><item><guid>l1</guid><title>&lol4;</title></item></channel></rss>"#;

fn latin1_rss() -> Vec<u8> {
    let text = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>L</title>\
                <item><guid>l1</guid><title>Libération de Raif Badawi à Liège</title></item></channel></rss>";
    text.chars().map(|c| c as u32 as u8).collect()
}

fn gzip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1024 * 1024];
    for _ in 0..50 {
        encoder.write_all(&zeros).unwrap();
    }
    encoder.finish().unwrap()
}

fn typed(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body.into()).into_response()
}

/// A feed of `n` small dated items, one a day going back from 2026-11-01,
/// listed oldest first (feeds do not promise an order).
fn many_items(n: i64) -> String {
    let first = chrono::DateTime::from_timestamp(1_793_491_200, 0).unwrap();
    let items: String = (0..n)
        .rev()
        .map(|i| {
            let date = (first - chrono::Duration::days(i)).to_rfc2822();
            format!("<item><guid>urn:many:{i}</guid><title>Item {i}</title><pubDate>{date}</pubDate></item>")
        })
        .collect();
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Many</title>{items}</channel></rss>")
}

/// The port a request was addressed to, from its Host header.
fn port_of(headers: &HeaderMap) -> String {
    let host = headers[header::HOST].to_str().unwrap();
    host.rsplit(':').next().unwrap().to_owned()
}

/// The partner server: one path per behaviour.
async fn partner_server() -> String {
    let bomb = gzip_bomb();
    let app = axum::Router::new()
        .route("/rss", get(|| async { typed("application/rss+xml", RSS) }))
        .route(
            "/many",
            get(|| async { typed("application/rss+xml", many_items(1_200)) }),
        )
        .route(
            "/dates",
            get(|| async { typed("application/rss+xml", ODD_DATES) }),
        )
        .route(
            "/atom",
            get(|| async { typed("application/atom+xml", ATOM) }),
        )
        .route(
            "/json",
            get(|| async { typed("application/feed+json", JSON) }),
        )
        .route("/xss", get(|| async { typed("application/rss+xml", XSS) }))
        .route(
            "/repeats",
            get(|| async { typed("application/rss+xml", REPEATS) }),
        )
        .route(
            "/latin1",
            get(|| async { typed("application/rss+xml", latin1_rss()) }),
        )
        .route(
            "/laughs",
            get(|| async { typed("application/rss+xml", LAUGHS) }),
        )
        .route(
            "/malformed",
            get(|| async { typed("application/rss+xml", "<rss><channel><item><title>x</ti") }),
        )
        .route(
            "/etag",
            get(|headers: HeaderMap| async move {
                if headers
                    .get(header::IF_NONE_MATCH)
                    .is_some_and(|v| v == "\"v1\"")
                {
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                (
                    [(header::ETAG, "\"v1\"")],
                    typed("application/rss+xml", RSS),
                )
                    .into_response()
            }),
        )
        .route("/500", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route("/404", get(|| async { StatusCode::NOT_FOUND }))
        .route("/410", get(|| async { StatusCode::GONE }))
        .route(
            "/429",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "7200")],
                )
            }),
        )
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        // From a public-looking host to this server's loopback address.
        .route(
            "/to-loopback",
            get(|headers: HeaderMap| async move {
                Redirect::temporary(&format!("http://127.0.0.1:{}/rss", port_of(&headers)))
            }),
        )
        .route(
            "/to-localhost",
            get(|headers: HeaderMap| async move {
                Redirect::temporary(&format!("http://localhost:{}/rss", port_of(&headers)))
            }),
        )
        .route(
            "/big",
            get(|| async {
                let chunk = axum::body::Bytes::from(vec![b'a'; 1024 * 1024]);
                let stream = futures::stream::iter(
                    (0..50).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                );
                typed("application/rss+xml", axum::body::Body::from_stream(stream))
            }),
        )
        .route(
            "/bomb",
            get(move || {
                let bomb = bomb.clone();
                async move {
                    (
                        [
                            (header::CONTENT_ENCODING, "gzip"),
                            (header::CONTENT_TYPE, "application/rss+xml"),
                        ],
                        bomb,
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/drip",
            get(|| async {
                let stream = futures::stream::unfold(0, |n| async move {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    (n < 100).then(|| {
                        (
                            Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b" ")),
                            n + 1,
                        )
                    })
                });
                typed("application/rss+xml", axum::body::Body::from_stream(stream))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

#[derive(Debug, sqlx::FromRow)]
struct FeedState {
    path: String,
    enabled: bool,
    flagged: bool,
    error_count: i32,
    next_in: i64,
    last_error: Option<String>,
    entries: i64,
}

/// Each feed's state; `next_in` counts from when the pass fetched it (a
/// long pass moves its clock on between batches), else from `now`.
async fn states(store: &TestStore, now: i64, base: &str) -> Vec<FeedState> {
    let rows: Vec<FeedState> = on_pool!(&store.db, |pool| sqlx::query_as(
        "SELECT f.url AS path, f.enabled, f.flagged, f.error_count,
                f.next_fetch_at - COALESCE(f.last_fetched_at, $1) AS next_in, f.last_error,
                (SELECT COUNT(*) FROM feed_entries e WHERE e.feed_id = f.id) AS entries
           FROM feeds f ORDER BY f.id"
    )
    .bind(now)
    .fetch_all(pool)
    .await)
    .unwrap();
    rows.into_iter()
        .map(|r| FeedState {
            path: r.path.replace(base, ""),
            ..r
        })
        .collect()
}

on_both_backends! {
    async fn hostile_feeds_are_survived(store: &TestStore) {
        let base = partner_server().await;
        let paths = [
            "/rss",
            "/atom",
            "/json",
            "/xss",
            "/latin1",
            "/laughs",
            "/malformed",
            "/etag",
            "/500",
            "/404",
            "/410",
            "/429",
            "/loop",
            "/big",
            "/bomb",
            "/drip",
        ];
        for path in paths {
            let feed = NewFeed {
                url: format!("{base}{path}"),
                partner: format!("Partner {path}"),
                default_person: None,
                trusted: false,
                default_language: app::i18n::Locale::En,
            };
            subscriptions::add(&store.db, Actor::Cli, &feed, 1)
                .await
                .unwrap();
        }
        let again = NewFeed {
            url: format!("{base}/rss"),
            partner: "Again".into(),
            default_person: None,
            trusted: false,
            default_language: app::i18n::Locale::En,
        };
        assert!(
            subscriptions::add(&store.db, Actor::Cli, &again, 1)
                .await
                .is_err(),
            "a feed is followed once"
        );

        let client = feed_sync::FeedClient::from_builder(
            feed_sync::client_builder(feed_sync::Reach::PrivateToo).timeout(Duration::from_secs(3)),
            feed_sync::Reach::PrivateToo,
        );
        let now = app::server::clock::now();
        let report = feed_sync::run_pass(&store.db, &client, now).await.unwrap();
        assert_eq!(report.feeds, paths.len());
        let by_path = |states: &[FeedState], path: &str| -> (bool, bool, i32, i64, String, i64) {
            let s = states.iter().find(|s| s.path == path).unwrap();
            (
                s.enabled,
                s.flagged,
                s.error_count,
                s.next_in,
                s.last_error.clone().unwrap_or_default(),
                s.entries,
            )
        };
        let first = states(store, now, &base).await;
        for (path, entries) in [
            ("/rss", 3),
            ("/atom", 1),
            ("/json", 1),
            ("/xss", 1),
            ("/latin1", 1),
            ("/etag", 3),
        ] {
            let (enabled, _, errors, next_in, error, stored) = by_path(&first, path);
            assert!(
                enabled && errors == 0 && error.is_empty(),
                "{path}: {error}"
            );
            assert_eq!(next_in, feed_sync::storage::REFRESH_SECONDS, "{path}");
            assert_eq!(stored, entries, "{path}");
        }
        // Staff are told the class of a problem, never the raw error text.
        for (path, reason) in [
            ("/500", "server-error:500"),
            ("/404", "refused:404"),
            ("/loop", "too-many-redirects"),
            ("/big", "too-large"),
            ("/bomb", "too-large"),
            ("/drip", "timed-out"),
            ("/malformed", "not-a-feed"),
            ("/laughs", ""),
        ] {
            let (enabled, _, errors, next_in, error, _) = by_path(&first, path);
            if path == "/laughs" {
                // Entities are not expanded into a billion laughs: either refused or kept small.
                let title: Option<String> = on_pool!(&store.db, |pool| sqlx::query_scalar(
                    "SELECT e.title FROM feed_entries e JOIN feeds f ON f.id = e.feed_id WHERE f.url LIKE '%/laughs'"
                ).fetch_optional(pool).await).unwrap();
                assert!(title.is_none_or(|t| t.len() <= 500), "bounded");
                continue;
            }
            assert!(enabled, "{path}");
            assert_eq!(errors, 1, "{path}");
            assert_eq!(error, reason, "{path}");
            assert!(
                (48..=72).contains(&next_in),
                "{path}: back-off of a minute ± jitter, got {next_in}"
            );
        }
        let (enabled, _, _, _, error, _) = by_path(&first, "/410");
        assert!(!enabled && error == "gone", "{error}");
        let (_, _, errors, next_in, _, _) = by_path(&first, "/429");
        assert_eq!((errors, next_in), (1, 7200), "Retry-After honoured");

        // Matching, sanitizing, keys.
        let entries: Vec<(String, String, Option<String>, Option<String>)> =
            on_pool!(&store.db, |pool| sqlx::query_as(
                "SELECT e.stable_key, e.title, e.summary_html, p.slug FROM feed_entries e
               LEFT JOIN persons p ON p.id = e.matched_person_id JOIN feeds f ON f.id = e.feed_id
              WHERE f.url NOT LIKE '%/etag' ORDER BY e.id"
            )
            .fetch_all(pool)
            .await)
            .unwrap();
        let find = |title: &str| {
            entries
                .iter()
                .find(|e| e.1.contains(title))
                .unwrap_or_else(|| panic!("{title}: {entries:?}"))
        };
        assert_eq!(find("moved to another").3.as_deref(), Some("vahid-afkari"));
        assert_eq!(find("moved to another").0, "id:urn:partner:1");
        assert_eq!(find("nobody we follow").3, None);
        assert_eq!(find("nobody we follow").0, "link:https://partner.example/2");
        assert!(find("LOUJAIN").0.starts_with("hash:"));
        assert_eq!(
            find("LOUJAIN").3.as_deref(),
            Some("loujain-al-hathloul"),
            "case-insensitive"
        );
        assert_eq!(
            find("appeal rejected").3.as_deref(),
            Some("hamid-babaei"),
            "accent-insensitive"
        );
        assert_eq!(find("Raif Badawi update").3.as_deref(), Some("raif-badawi"));
        assert_eq!(
            find("Libération de Raif").1,
            "Libération de Raif Badawi à Liège",
            "ISO-8859-1 decoded"
        );
        let xss = find("Vahid Afkari");
        let xss = if xss.0 == "id:x1" {
            xss
        } else {
            entries.iter().find(|e| e.0 == "id:x1").unwrap()
        };
        assert!(!xss.1.contains('<'), "titles are plain text: {}", xss.1);
        let html = xss.2.as_deref().unwrap();
        assert!(
            !html.contains("script") && !html.contains("onmouseover") && !html.contains("javascript:"),
            "{html}"
        );

        // A second pass: nothing due; made due again, nothing stored twice; 304 answered.
        assert_eq!(
            feed_sync::run_pass(&store.db, &client, now)
                .await
                .unwrap()
                .feeds,
            0,
            "nothing is due yet"
        );
        on_pool!(&store.db, |pool| sqlx::query(
            "UPDATE feeds SET next_fetch_at = 0 WHERE enabled"
        )
        .execute(pool)
        .await
        .map(|_| ()))
        .unwrap();
        let report = feed_sync::run_pass(&store.db, &client, now + 10)
            .await
            .unwrap();
        assert_eq!(report.new_entries, 0, "re-sync: no duplicates");
        assert_eq!(report.not_modified, 1, "the ETag feed answers 304");
        let second = states(store, now + 10, &base).await;
        let (_, flagged, errors, next_in, _, _) = by_path(&second, "/500");
        assert_eq!(errors, 2);
        assert!((96..=144).contains(&next_in), "back-off doubles: {next_in}");
        assert!(!flagged);
        on_pool!(&store.db, |pool| sqlx::query(
            "UPDATE feeds SET next_fetch_at = 0 WHERE enabled"
        )
        .execute(pool)
        .await
        .map(|_| ()))
        .unwrap();
        feed_sync::run_pass(&store.db, &client, now + 20)
            .await
            .unwrap();
        let third = states(store, now + 20, &base).await;
        assert!(
            by_path(&third, "/malformed").1,
            "three parse failures flag the feed"
        );
        assert!(!by_path(&third, "/500").1, "HTTP errors do not flag it");
    }
}

on_both_backends! {
    async fn a_trusted_feed_publishes_matched_entries_with_provenance(store: &TestStore) {
        let base = partner_server().await;
        let feed = NewFeed {
            url: format!("{base}/rss"),
            partner: "Amnesty Liège".into(),
            default_person: None,
            trusted: true,
            default_language: app::i18n::Locale::En,
        };
        subscriptions::add(&store.db, Actor::Cli, &feed, 1)
            .await
            .unwrap();
        let report = feed_sync::run_pass(&store.db, &feed_sync::client(feed_sync::Reach::PrivateToo), app::server::clock::now())
            .await
            .unwrap();
        assert_eq!(
            (report.new_entries, report.published),
            (3, 2),
            "the unmatched entry waits for review"
        );
        let events: Vec<(String, String, Option<String>, bool)> = on_pool!(&store.db, |pool| sqlx::query_as(
            "SELECT p.slug, e.provenance, e.source_title, e.is_published FROM status_events e JOIN persons p ON p.id = e.person_id
              WHERE e.feed_entry_id IS NOT NULL ORDER BY p.slug"
        ).fetch_all(pool).await).unwrap();
        assert_eq!(
            events,
            [
                (
                    "loujain-al-hathloul".to_owned(),
                    "feed".to_owned(),
                    Some("Amnesty Liège".to_owned()),
                    true
                ),
                (
                    "vahid-afkari".to_owned(),
                    "feed".to_owned(),
                    Some("Amnesty Liège".to_owned()),
                    true
                ),
            ]
        );
        let waiting: i64 = on_pool!(&store.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM feed_entries WHERE state = 'new'"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        assert_eq!(waiting, 1);

        // Published by a feed, not by staff: the log names the feed.
        let feed_id: i64 = on_pool!(&store.db, |pool| sqlx::query_scalar("SELECT id FROM feeds WHERE url LIKE '%/rss'")
            .fetch_one(pool).await).unwrap();
        let audit: Vec<(String, String, Option<i64>)> = on_pool!(&store.db, |pool| sqlx::query_as(
            "SELECT action, actor, user_id FROM audit_log WHERE record_type IN ('status_event', 'feed_entry') ORDER BY id"
        ).fetch_all(pool).await).unwrap();
        let by_feed = format!("feed:{feed_id}");
        assert_eq!(
            audit.iter().filter(|(action, actor, user)| action == "status_event.create" && *actor == by_feed && user.is_none()).count(),
            2,
            "{audit:?}"
        );
        assert_eq!(audit.iter().filter(|(action, actor, _)| action == "feed_entry.publish" && *actor == by_feed).count(), 2);

        // Dates no timeline can show become the day the entry was fetched, and
        // the person's page still reads.
        let odd = NewFeed {
            url: format!("{base}/dates"),
            partner: "Odd dates".into(),
            default_person: None,
            trusted: true,
            default_language: app::i18n::Locale::En,
        };
        subscriptions::add(&store.db, Actor::Cli, &odd, 1)
            .await
            .unwrap();
        let now = app::server::clock::now();
        let report = feed_sync::run_pass(&store.db, &feed_sync::client(feed_sync::Reach::PrivateToo), now)
            .await
            .unwrap();
        assert_eq!(report.published, 2);
        let years: Vec<i32> = on_pool!(&store.db, |pool| {
            sqlx::query_scalar(
            "SELECT e.occurred_year FROM status_events e JOIN feed_entries f ON f.id = e.feed_entry_id
              WHERE f.stable_key IN ('id:d1', 'id:d2')"
        )
        .fetch_all(pool)
        .await
        })
        .unwrap();
        let this_year = chrono::DateTime::from_timestamp(now, 0)
            .unwrap()
            .format("%Y")
            .to_string();
        assert_eq!(years, [this_year.parse::<i32>().unwrap(); 2]);
        let slug = app::domain::Slug::parse("raif-badawi").unwrap();
        let person = app::api::persons::on_server::detail(&store.db, &slug, app::i18n::Locale::En)
            .await
            .expect("the timeline still reads");
        assert!(person.is_some());
        app::api::persons::on_server::latest_events(&store.db, app::i18n::Locale::En)
            .await
            .expect("the home page's latest events still read");
    }
}

on_both_backends! {
    async fn an_entry_a_feed_repeats_is_stored_and_published_once(store: &TestStore) {
        let base = partner_server().await;
        let feed = NewFeed {
            url: format!("{base}/repeats"),
            partner: "Repeating partner".into(),
            default_person: None,
            trusted: true,
            default_language: app::i18n::Locale::En,
        };
        subscriptions::add(&store.db, Actor::Cli, &feed, 1).await.unwrap();
        let report = feed_sync::run_pass(&store.db, &feed_sync::client(feed_sync::Reach::PrivateToo), app::server::clock::now())
            .await
            .unwrap();
        assert_eq!((report.new_entries, report.published), (2, 2), "{report:?}");
        let events: Vec<(String, String)> = on_pool!(&store.db, |pool| sqlx::query_as(
            "SELECT f.stable_key, p.slug FROM status_events e
               JOIN feed_entries f ON f.id = e.feed_entry_id JOIN persons p ON p.id = e.person_id
              ORDER BY f.stable_key"
        ).fetch_all(pool).await).unwrap();
        assert_eq!(
            events,
            [
                ("id:r1".to_owned(), "vahid-afkari".to_owned()),
                ("id:r2".to_owned(), "raif-badawi".to_owned()),
            ]
        );
    }
}

on_both_backends! {
    async fn a_large_feed_keeps_only_its_newest_entries(store: &TestStore) {
        let base = partner_server().await;
        let feed = NewFeed {
            url: format!("{base}/many"),
            partner: "Prolific".into(),
            default_person: None,
            trusted: false,
            default_language: app::i18n::Locale::En,
        };
        subscriptions::add(&store.db, Actor::Cli, &feed, 1).await.unwrap();
        let report = feed_sync::run_pass(&store.db, &feed_sync::client(feed_sync::Reach::PrivateToo), app::server::clock::now())
            .await
            .unwrap();
        assert_eq!(report.new_entries, feed_sync::parser::MAX_ENTRIES_PER_FETCH);
        let (stored, oldest): (i64, String) = on_pool!(&store.db, |pool| sqlx::query_as(
            "SELECT COUNT(*), MIN(stable_key) FROM feed_entries WHERE stable_key LIKE 'id:urn:many:%'"
        ).fetch_one(pool).await).unwrap();
        assert_eq!(stored, 500);
        let newest_kept: Vec<String> = on_pool!(&store.db, |pool| sqlx::query_scalar(
            "SELECT title FROM feed_entries ORDER BY published_at DESC LIMIT 1"
        ).fetch_all(pool).await).unwrap();
        assert_eq!(newest_kept, ["Item 0"], "the newest item is kept");
        let oldest_kept: i64 = on_pool!(&store.db, |pool| sqlx::query_scalar(
            "SELECT MIN(published_at) FROM feed_entries"
        ).fetch_one(pool).await).unwrap();
        assert_eq!(oldest_kept, 1_793_491_200 - 499 * 86_400, "item 499 is the oldest kept: {oldest}");
        // A second pass brings nothing new and stores nothing twice.
        on_pool!(&store.db, |pool| sqlx::query("UPDATE feeds SET next_fetch_at = 0").execute(pool).await.map(|_| ())).unwrap();
        let again = feed_sync::run_pass(&store.db, &feed_sync::client(feed_sync::Reach::PrivateToo), app::server::clock::now()).await.unwrap();
        assert_eq!(again.new_entries, 0);
    }
}

on_both_backends! {
    async fn feeds_cannot_reach_inside_the_network(store: &TestStore) {
        use feed_sync::{client_builder, FeedClient, Reach};
        let base = partner_server().await;
        let port = base.rsplit(':').next().unwrap().to_owned();
        // Stands in for DNS answering with a public address for the partner.
        let public = "feeds.partner.example";
        let client = FeedClient::from_builder(
            client_builder(Reach::PublicOnly).resolve(public, "127.0.0.1:0".parse().unwrap()),
            Reach::PublicOnly,
        );
        let refused = [
            format!("http://localhost:{port}/rss"),
            format!("http://127.0.0.1:{port}/atom"),
            format!("http://[::ffff:127.0.0.1]:{port}/json"),
            // 127.0.0.1 in the forms URL parsers (and reqwest) also read.
            format!("http://2130706433:{port}/atom"),
            format!("http://127.1:{port}/json"),
            format!("http://0x7f.0.0.1:{port}/atom"),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            format!("http://{public}:{port}/to-loopback"),
            format!("http://{public}:{port}/to-localhost"),
        ];
        for url in refused.iter().chain([&format!("http://{public}:{port}/rss")]) {
            let feed = NewFeed { url: url.clone(), partner: "P".into(), default_person: None, trusted: false, default_language: app::i18n::Locale::En };
            subscriptions::add(&store.db, Actor::Cli, &feed, 1).await.unwrap();
        }
        let report = feed_sync::run_pass(&store.db, &client, app::server::clock::now()).await.unwrap();
        assert_eq!((report.feeds, report.failed, report.new_entries), (10, 9, 3));
        let states: Vec<(String, Option<String>, i64)> = on_pool!(&store.db, |pool| sqlx::query_as(
            "SELECT f.url, f.last_error, (SELECT COUNT(*) FROM feed_entries e WHERE e.feed_id = f.id) FROM feeds f ORDER BY f.id"
        ).fetch_all(pool).await).unwrap();
        for (url, error, entries) in &states[..9] {
            assert_eq!(error.as_deref(), Some("private-address"), "{url}");
            assert_eq!(*entries, 0, "{url}");
        }
        assert_eq!((states[9].1.as_deref(), states[9].2), (None, 3), "a public partner is read as before");
    }
}

#[test]
fn only_public_addresses_are_public() {
    use feed_sync::is_public;
    for private in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "::1",
        "::",
        "fc00::1",
        "fd12::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "2001:db8::1",
        "64:ff9b::a00:1",
    ] {
        assert!(!is_public(private.parse().unwrap()), "{private}");
    }
    for public in [
        "93.184.216.34",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "::ffff:93.184.216.34",
    ] {
        assert!(is_public(public.parse().unwrap()), "{public}");
    }
}
