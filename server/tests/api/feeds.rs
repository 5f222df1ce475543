//! Our outgoing feeds, read by real consumers: feed-rs, and Python's
//! feedparser (from PyPI) for a second opinion on well-formedness.
use crate::helpers::TestApp;
use crate::on_both_backends;
use app::on_pool;

async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn parse(app: &TestApp, path: &str) -> feed_rs::model::Feed {
    let response = fetch(app, path, &[]).await;
    assert_eq!(response.status(), 200, "{path}");
    let body = response.bytes().await.unwrap();
    feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// feedparser flags any problem it meets in `bozo`; the script exits non-zero
/// then. It fetches the feed itself (the Content-Type tells it JSON Feed from
/// XML); the child is awaited, not waited for, so this runtime keeps serving.
async fn feedparser_accepts(app: &TestApp, path: &str) -> (bool, String) {
    let out = tokio::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../end2end/feeds/check_feed.py"
        ))
        .arg(format!("{}{path}", app.address))
        .output()
        .await
        .expect("python3 runs (make test installs feedparser)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn published_public_events(app: &TestApp) -> i64 {
    on_pool!(&app.store.db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM status_events e JOIN persons p ON p.id = e.person_id
          WHERE e.is_published AND p.is_public"
    )
    .fetch_one(pool)
    .await)
    .unwrap()
}

on_both_backends! {
    async fn the_site_person_and_municipality_feeds_parse_in_both_formats(app: &TestApp) {
        let expected = published_public_events(app).await;
        assert!(expected > 0);
        for path in ["/feed.atom", "/feed.json"] {
            let feed = parse(app, path).await;
            assert_eq!(feed.entries.len() as i64, expected.min(50), "{path}");
            assert_eq!(feed.title.as_ref().unwrap().content, "Lumières");
            let again = parse(app, path).await;
            let ids = |f: &feed_rs::model::Feed| f.entries.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&feed), ids(&again), "stable entry ids");
            assert!(feed.entries.iter().all(|e| e.id.starts_with("tag:127.0.0.1,2026:status-event:")), "{:?}", ids(&feed));
            let (ok, report) = feedparser_accepts(app, path).await;
            assert!(ok, "feedparser on {path}: {report}");
        }
        let loujain = parse(app, "/persons/loujain-al-hathloul/feed.atom").await;
        let titles: Vec<String> = loujain.entries.iter().map(|e| e.title.as_ref().unwrap().content.clone()).collect();
        assert_eq!(titles.len(), 4, "{titles:?}");
        assert!(titles.iter().all(|t| t.starts_with("Loujain al-Hathloul: ")), "{titles:?}");
        assert!(titles.contains(&"Loujain al-Hathloul: Released".to_owned()));
        let released = loujain.entries.iter().find(|e| e.title.as_ref().unwrap().content.ends_with("Released")).unwrap();
        assert_eq!(released.categories.iter().map(|c| c.term.as_str()).collect::<Vec<_>>(), ["released"]);
        assert!(released.content.as_ref().unwrap().body.as_deref().unwrap().contains("<time>2021-02-10</time>"));
        assert_eq!(released.links[0].href, format!("{}/persons/loujain-al-hathloul", app.address));

        let brussels = parse(app, "/municipalities/brussels/feed.json").await;
        assert_eq!(brussels.entries.len() as i64, expected.min(50), "Brussels adopted every demo person");
        for path in ["/persons/nobody/feed.atom", "/municipalities/atlantis/feed.json", "/persons/loujain-al-hathloul/feed.xml"] {
            assert_eq!(fetch(app, path, &[]).await.status(), 404, "{path}");
        }
        let page = app.get("/persons/loujain-al-hathloul").await;
        assert_eq!(
            page.attr(r#"head link[rel="alternate"][type="application/atom+xml"][href="/en/persons/loujain-al-hathloul/feed.atom"]"#, "title").as_deref(),
            Some("Loujain al-Hathloul (Atom)"),
            "feed link in the page head"
        );
        assert!(page.attr(r#"head link[rel="alternate"][type="application/feed+json"][href="/en/persons/loujain-al-hathloul/feed.json"]"#, "title").is_some());
    }

    async fn feeds_answer_conditional_requests_and_follow_publication(app: &TestApp) {
        let first = fetch(app, "/feed.atom", &[]).await;
        assert_eq!(first.headers()["content-type"], "application/atom+xml; charset=utf-8");
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let modified = first.headers()["last-modified"].to_str().unwrap().to_owned();
        let body = first.text().await.unwrap();
        let same = fetch(app, "/feed.atom", &[("if-none-match", &etag)]).await;
        assert_eq!(same.status(), 304);
        assert!(same.text().await.unwrap().is_empty());
        // If-Modified-Since alone is not trusted: the newest entry's time does
        // not move when an older event leaves the feed.
        let since = fetch(app, "/feed.atom", &[("if-modified-since", &modified)]).await;
        assert_eq!(since.status(), 200);
        on_pool!(&app.store.db, |pool| sqlx::query(
            "UPDATE status_events SET is_published = FALSE WHERE id = (SELECT MIN(id) FROM status_events WHERE is_published)"
        ).execute(pool).await.map(|_| ())).unwrap();
        let after_unpublish = fetch(app, "/feed.atom", &[("if-modified-since", &modified)]).await;
        assert_eq!(after_unpublish.status(), 200, "an event left the feed: the reader must see it");
        assert_ne!(after_unpublish.headers()["etag"].to_str().unwrap(), etag);
        on_pool!(&app.store.db, |pool| sqlx::query(
            "UPDATE status_events SET is_published = TRUE WHERE id = (SELECT MIN(id) FROM status_events)"
        ).execute(pool).await.map(|_| ())).unwrap();

        // A draft changes nothing; publishing it puts it first, with a new ETag.
        let person: i64 = on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM persons WHERE slug = 'vahid-afkari'").fetch_one(pool).await).unwrap();
        let later = app::server::clock::now() + 60;
        let id: i64 = on_pool!(&app.store.db, |pool| sqlx::query_scalar(
            "INSERT INTO status_events (person_id, status, occurred_year, title, body_html, is_published, updated_at)
             VALUES ($1, 'released', 2026, 'Free at last <script>', '<p>Out</p>', FALSE, $2) RETURNING id"
        ).bind(person).bind(later).fetch_one(pool).await).unwrap();
        assert_eq!(fetch(app, "/feed.atom", &[("if-none-match", &etag)]).await.status(), 304, "a draft is not in the feed");
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE status_events SET is_published = TRUE, published_at = $2 WHERE id = $1")
            .bind(id).bind(later).execute(pool).await.map(|_| ())).unwrap();
        let changed = fetch(app, "/feed.atom", &[("if-none-match", &etag)]).await;
        assert_eq!(changed.status(), 200);
        assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
        let text = changed.text().await.unwrap();
        assert_ne!(text, body);
        let feed = feed_rs::parser::parse(text.as_bytes()).unwrap();
        assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "Vahid Afkari: Free at last <script>");
        assert!(text.contains("Free at last &lt;script&gt;"), "titles are escaped");
        let json = parse(app, "/persons/vahid-afkari/feed.json").await;
        assert_eq!(json.entries[0].id, format!("tag:127.0.0.1,2026:status-event:{id}"));
        assert_eq!(json.entries[0].updated.unwrap().timestamp(), later);
    }
}
