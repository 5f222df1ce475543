//! Two instances of the site follow each other over real HTTP on loopback,
//! each with its own database: B's communications staff subscribe to A's feed
//! for a person, A publishes an update, one sync pass later it waits in B's
//! inbox matched to the same person, and once B publishes it, B's public page
//! says it came from A. On both backends.
use crate::helpers::{count, post_as, staff_member, sync_now, Backend, TestApp};
use crate::on_both_backends;
use app::domain::Role;
use app::feeds::subscriptions::on_server as subscriptions;
use app::on_pool;
use app::server::audit::Actor;

/// Follows a feed from the staff page, as a browser posts the form.
async fn follow(app: &TestApp, cookie: &str, url: &str, partner: &str) -> crate::helpers::Page {
    post_as(
        app,
        cookie,
        "/api/staff/follow-feed",
        "/staff/feeds",
        &[
            ("lang", "en"),
            ("url", url),
            ("partner", partner),
            ("person", ""),
        ],
    )
    .await
}

/// The id of B's inbox entry whose title contains `title`.
async fn entry_id(app: &TestApp, title: &str) -> i64 {
    let rows: Vec<(i64, String)> = on_pool!(&app.store.db, |pool| sqlx::query_as(
        "SELECT id, title FROM feed_entries ORDER BY id"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    rows.iter()
        .find(|(_, t)| t.contains(title))
        .unwrap_or_else(|| panic!("no entry titled {title}: {rows:?}"))
        .0
}

on_both_backends! {
    async fn two_instances_follow_each_other(backend: &Backend) {
        let backend = *backend;
        let a = TestApp::spawn(backend).await;
        let b = TestApp::spawn(backend).await;
        let a_comms = staff_member(&a, "comms@a.example", Role::Comms, None).await;
        let b_comms = staff_member(&b, "comms@b.example", Role::Comms, None).await;
        let feed_url = format!("{}/persons/vahid-afkari/feed.atom", a.address);

        // B subscribes; a bad address is refused with a message and changes nothing.
        let refused = follow(&b, &b_comms, "ftp://a.example/feed", "City A").await;
        assert_eq!(refused.status, 302);
        let page = b.get_with("/staff/feeds", &[("cookie", &b_comms)]).await;
        assert_eq!(
            page.texts("#follow-feed-url-error"),
            ["Write a web address starting with https:// or http://."]
        );
        assert_eq!(
            page.attr("#follow-feed-partner", "value").as_deref(),
            Some("City A")
        );
        assert_eq!(count(&b, "SELECT COUNT(*) FROM feeds").await, 0);

        let followed = follow(&b, &b_comms, &feed_url, "City A").await;
        assert_eq!(followed.location().as_deref(), Some("/staff/feeds"));
        let page = b.get_with("/staff/feeds", &[("cookie", &b_comms)]).await;
        assert_eq!(page.texts(".feed h2"), ["City A"]);
        assert!(page.texts(".notice")[0].starts_with("The feed is followed"));
        let again = follow(&b, &b_comms, &feed_url, "City A again").await;
        assert_eq!(again.status, 302);
        let page = b.get_with("/staff/feeds", &[("cookie", &b_comms)]).await;
        assert_eq!(
            page.texts("#follow-feed-url-error"),
            ["This feed is followed already."]
        );

        // B follows A's feed for a second person too; what A had published
        // already arrives first, matched to the person each entry names.
        let loujain = subscriptions::NewFeed {
            url: format!("{}/persons/loujain-al-hathloul/feed.json", a.address),
            partner: "City A".into(),
            default_person: None,
            trusted: false,
            default_language: app::i18n::Locale::En,
        };
        subscriptions::add(&b.store.db, Actor::Cli, &loujain, 1)
            .await
            .unwrap();
        let first = sync_now(&b).await;
        assert_eq!(first.failed, 0, "{first:?}");
        let before = first.new_entries;
        assert_eq!(before, 4, "A's four dated facts on Loujain al-Hathloul");
        let matched: i64 = count(&b, "SELECT COUNT(*) FROM feed_entries e JOIN persons p ON p.id = e.matched_person_id WHERE p.slug = 'loujain-al-hathloul'").await;
        assert_eq!(matched, 4);

        // A's communications staff publish an update through A's own pages.
        let saved = post_as(
            &a,
            &a_comms,
            "/api/staff/save-status-update",
            "/staff/persons/vahid-afkari/updates/new",
            &[
                ("lang", "en"),
                ("update", ""),
                ("person", "vahid-afkari"),
                ("occurred_on", "2026-11-27"),
                ("status", ""),
                // Written in French: the feed says so, and B keeps it.
                ("original_language", "fr"),
                ("title_fr", "Federation test update from city A"),
                ("body_html_fr", "<p>Written on instance A.</p>"),
                ("source_url", ""),
            ],
        )
        .await;
        let location = saved.location().unwrap();
        let id = location.rsplit('/').next().unwrap().to_owned();
        post_as(
            &a,
            &a_comms,
            "/api/staff/publish-status-update",
            &location,
            &[("lang", "en"), ("update", &id), ("translations_to_follow", "1")],
        )
        .await;

        // One pass later it waits in B's inbox, matched to the same person.
        let second = sync_now(&b).await;
        assert_eq!(second.new_entries, 1, "only the new update: {second:?}");
        let entry = entry_id(&b, "Federation test update").await;
        let inbox = b.get_with("/staff/inbox", &[("cookie", &b_comms)]).await;
        assert_eq!(inbox.status, 200);
        let form = format!("#feed-entry-{entry}");
        assert_eq!(
            inbox
                .attr(&format!("{form}-person option[selected]"), "value")
                .as_deref(),
            Some("vahid-afkari"),
            "matched by name"
        );
        assert_eq!(
            inbox
                .attr(&format!("{form}-occurred_on"), "value")
                .as_deref(),
            Some(chrono::Utc::now().format("%Y-%m-%d").to_string().as_str()),
            "the date A published it, to be corrected by staff"
        );
        assert!(inbox.texts(&format!("{form} .entry-meta"))[0].contains("City A"));
        assert!(inbox.body.contains("<p>Written on instance A.</p>"));

        // A bad date is refused next to the field, and nothing is published.
        let events_before = count(&b, "SELECT COUNT(*) FROM status_events").await;
        let entry_text = entry.to_string();
        let publish = |date: &'static str| {
            let (b, cookie, entry) = (&b, &b_comms, entry_text.clone());
            async move {
                post_as(
                    b,
                    cookie,
                    "/api/staff/publish-feed-entry",
                    "/staff/inbox",
                    &[
                        ("lang", "en"),
                        ("entry", &entry),
                        ("person", "vahid-afkari"),
                        ("occurred_on", date),
                        ("status", ""),
                        ("title", "Update from city A"),
                    ],
                )
                .await
            }
        };
        assert_eq!(publish("27/11/2026").await.status, 302);
        let inbox = b.get_with("/staff/inbox", &[("cookie", &b_comms)]).await;
        assert_eq!(
            inbox.texts(&format!("{form}-occurred_on-error")).len(),
            1,
            "the problem shows on this entry's form"
        );
        assert_eq!(
            inbox
                .attr(&format!("{form}-occurred_on"), "value")
                .as_deref(),
            Some("27/11/2026"),
            "what was typed comes back"
        );
        assert_eq!(
            count(&b, "SELECT COUNT(*) FROM status_events").await,
            events_before
        );

        let published = publish("2026-11-27").await;
        let update_page = published.location().unwrap();
        assert!(update_page.starts_with("/staff/updates/"), "{update_page}");
        assert_eq!(
            count(&b, "SELECT COUNT(*) FROM status_events").await,
            events_before + 1
        );
        let public = b.get("/persons/vahid-afkari").await;
        let titles = public.texts(".timeline-event h3[lang=fr]");
        assert_eq!(
            titles,
            ["Update from city A"],
            "the entry's language, from A's feed, is the original's: marked on an English page"
        );
        let queue = b
            .get_with("/nl/staff/translations", &[("cookie", &b_comms)])
            .await;
        assert_eq!(
            queue.texts("tr[data-language=nl] td a"),
            ["Update from city A"],
            "Brussels requires Dutch: the entry waits for it"
        );
        assert_eq!(
            crate::helpers::count(
                &b,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'status_event.publish_before_translation'"
            )
            .await,
            1,
            "published in its one language, with the Dutch to follow, and the log says so"
        );
        let provenance = public.texts(".timeline-event .provenance");
        assert_eq!(provenance, ["From the feed of City A"], "shown publicly");
        assert!(
            public
                .body
                .contains(&format!(r#"href="{}/persons/vahid-afkari""#, a.address)),
            "the source links back to A"
        );
        // A follows B in turn: what B took from A does not echo back.
        let b_feed = subscriptions::NewFeed {
            url: format!("{}/persons/vahid-afkari/feed.atom", b.address),
            partner: "City B".into(),
            default_person: None,
            trusted: false,
            default_language: app::i18n::Locale::En,
        };
        subscriptions::add(&a.store.db, Actor::Cli, &b_feed, 1)
            .await
            .unwrap();
        let from_b = sync_now(&a).await;
        assert_eq!(
            (from_b.feeds, from_b.failed, from_b.new_entries),
            (1, 0, 0),
            "B wrote nothing of its own on Vahid Afkari: {from_b:?}"
        );
        let echoes: i64 = count(
            &a,
            "SELECT COUNT(*) FROM feed_entries WHERE title LIKE '%city A%'",
        )
        .await;
        assert_eq!(
            echoes, 0,
            "no echo between instances that follow each other"
        );

        // Published once: the same entry again is not a second event.
        assert_eq!(publish("2026-11-27").await.status, 302);
        assert_eq!(
            count(&b, "SELECT COUNT(*) FROM status_events").await,
            events_before + 1
        );

        // The older entries are dismissed one by one; the inbox empties.
        let waiting: Vec<i64> = on_pool!(&b.store.db, |pool| sqlx::query_scalar(
            "SELECT id FROM feed_entries WHERE state = 'new'"
        )
        .fetch_all(pool)
        .await)
        .unwrap();
        assert_eq!(waiting.len(), before);
        for id in &waiting {
            let answer = post_as(
                &b,
                &b_comms,
                "/api/staff/dismiss-feed-entry",
                "/staff/inbox",
                &[("lang", "en"), ("entry", &id.to_string())],
            )
            .await;
            assert_eq!(answer.location().as_deref(), Some("/staff/inbox"));
        }
        let inbox = b.get_with("/staff/inbox", &[("cookie", &b_comms)]).await;
        assert_eq!(
            inbox.texts(".inbox-count"),
            ["Entries waiting for review: 0"]
        );
        assert_eq!(
            count(&b, "SELECT COUNT(*) FROM status_events").await,
            events_before + 1,
            "dismissing publishes nothing"
        );

        // Every step is in B's audit log.
        for action in [
            "feed.create",
            "status_event.create",
            "feed_entry.publish",
            "status_event.publish",
            "feed_entry.dismiss",
        ] {
            let n: i64 = on_pool!(&b.store.db, |pool| sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE action = $1"
            )
            .bind(action)
            .fetch_one(pool)
            .await)
            .unwrap();
            assert!(n >= 1, "{action} audited");
        }

        // Unfollowing keeps what the feed brought, and its provenance.
        let feed: i64 = count(&b, "SELECT MIN(id) FROM feeds").await;
        post_as(
            &b,
            &b_comms,
            "/api/staff/unfollow-feed",
            "/staff/feeds",
            &[("lang", "en"), ("feed", &feed.to_string())],
        )
        .await;
        let page = b.get_with("/staff/feeds", &[("cookie", &b_comms)]).await;
        assert_eq!(
            page.texts(".feed h2"),
            ["City A"],
            "only the Loujain al-Hathloul feed is left"
        );
        let public = b.get("/persons/vahid-afkari").await;
        assert_eq!(
            public.texts(".timeline-event .provenance"),
            ["From the feed of City A"]
        );
        assert_eq!(
            sync_now(&b).await.feeds,
            1,
            "an unfollowed feed is not fetched"
        );

        a.teardown().await;
        b.teardown().await;
    }
}
