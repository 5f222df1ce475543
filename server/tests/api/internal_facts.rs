//! A status event, or a person's country or summary, staff keep internal
//! (issue 29): kept and shown to staff, never published: no public page,
//! API, CSV, feed, mail or structured data carries it, and an update made
//! internal once published leaves them all.
use crate::helpers::{count, post_as, record_consent, staff_member, TestApp};
use crate::on_both_backends;
use app::domain::Role;

/// Every public place a person's timeline reaches, read as its readers do.
async fn public_copies(app: &TestApp) -> Vec<(String, String)> {
    let mut copies = Vec::new();
    for path in [
        "/persons/narges-example",
        "/fr/persons/narges-example",
        "/persons",
        "/actions",
        "/",
        "/api/v1/persons/narges-example",
        "/data/timeline.csv",
        "/feed.atom",
        "/feed.json",
        "/persons/narges-example/feed.atom",
        "/persons/narges-example/feed.json",
        "/municipalities/brussels/feed.atom",
        // Found by her name, each title whole (no word of it marked).
        "/search?q=narges",
        "/api/v1/search?q=narges",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        copies.push((path.to_owned(), page.body));
    }
    copies
}

/// Narges Example, a person of no seed, adopted by Brussels this year.
async fn adopted_by_brussels(app: &TestApp, is_public: bool) {
    use app::on_pool;
    on_pool!(&app.store.db, |pool| sqlx::query(
        "INSERT INTO persons (slug, full_name, is_public) VALUES ('narges-example', 'Narges Example', $1)"
    )
    .bind(is_public)
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
    on_pool!(&app.store.db, |pool| sqlx::query(
        "INSERT INTO adoptions (person_id, municipality_id, adopted_year)
         SELECT p.id, m.id, 2026 FROM persons p, municipalities m
          WHERE p.slug = 'narges-example' AND m.slug = 'brussels'"
    )
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
}

on_both_backends! {
    async fn an_internal_update_is_kept_for_staff_and_never_published(app: &TestApp) {
        adopted_by_brussels(app, true).await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let new_page = "/staff/persons/narges-example/updates/new";
        let update = |title: &'static str, internal: &'static str| {
            let comms = comms.clone();
            async move {
                post_as(app, &comms, "/api/staff/save-status-update", new_page, &[
                    ("lang", "en"), ("update", ""), ("person", "narges-example"), ("occurred_on", "2026-11-20"),
                    ("status", ""), ("original_language", "en"), ("title_en", title),
                    ("title_fr", "Titre"), ("title_nl", "Titel"), ("internal", internal),
                ]).await.location().unwrap()
            }
        };
        let mails = count(app, "SELECT COUNT(*) FROM outbox").await;
        let internal = update("Moved to ward seven of a named prison", "on").await;
        let id = internal.rsplit('/').next().unwrap().to_owned();
        let staff_view = app.get_with(&internal, &[("cookie", &comms)]).await;
        assert_eq!(staff_view.texts(".update-state"), ["Internal: never published"]);
        assert!(staff_view.texts("button").iter().all(|b| b != "Publish"), "no publish button: {:?}", staff_view.texts("button"));
        // Publishing it anyway is refused, and changes nothing.
        post_as(app, &comms, "/api/staff/publish-status-update", &internal, &[("lang", "en"), ("update", &id)]).await;
        let staff_view = app.get_with(&internal, &[("cookie", &comms)]).await;
        assert!(staff_view.texts("#publish-refused")[0].starts_with("This update is internal"));
        assert_eq!(count(app, "SELECT COUNT(*) FROM status_events WHERE is_published AND is_internal").await, 0);
        let desk = app.get_with("/staff/persons/narges-example", &[("cookie", &comms)]).await;
        assert!(desk.texts("ul.staff-updates li").iter().any(|li| li.contains("ward seven") && li.contains("Internal")), "{:?}", desk.texts("ul.staff-updates li"));

        // A published update made internal afterwards leaves every public copy.
        let published = update("Visited by a lawyer", "").await;
        let published_id = published.rsplit('/').next().unwrap().to_owned();
        post_as(app, &comms, "/api/staff/publish-status-update", &published, &[("lang", "en"), ("update", &published_id)]).await;
        for (path, body) in public_copies(app).await {
            assert!(!body.contains("ward seven"), "{path} shows the internal update");
            if path.contains("narges") && !path.starts_with("/fr") {
                assert!(body.contains("Visited by a lawyer"), "{path} shows the published one");
            }
        }
        post_as(app, &comms, "/api/staff/save-status-update", &published, &[
            ("lang", "en"), ("update", &published_id), ("person", "narges-example"), ("occurred_on", "2026-11-20"),
            ("status", ""), ("original_language", "en"), ("title_en", "Visited by a lawyer"),
            ("title_fr", "Titre"), ("title_nl", "Titel"), ("internal", "on"),
        ]).await;
        for (path, body) in public_copies(app).await {
            assert!(!body.contains("ward seven") && !body.contains("Visited by a lawyer"), "{path} still shows an internal update");
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM status_events WHERE is_published AND is_internal").await, 0);
        assert_eq!(count(app, "SELECT COUNT(*) FROM outbox").await, mails, "nobody is mailed about them");
        let audited = count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'status_event.unpublish'").await;
        assert_eq!(audited, 1, "leaving the timeline is audited");
    }
}

on_both_backends! {
    async fn an_internal_country_and_summary_are_kept_for_staff(app: &TestApp) {
        adopted_by_brussels(app, false).await;
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let desk = "/staff/persons/narges-example";
        // The family agreed to her name alone being published.
        record_consent(app, &council, "narges-example", &["name"]).await;
        let save = |internal: &'static str| {
            let council = council.clone();
            async move {
                post_as(app, &council, "/api/staff/update-person", desk, &[
                    ("lang", "en"), ("person", "narges-example"), ("full_name", "Narges Example"),
                    ("country", "IR"), ("country_internal", internal), ("original_language", "en"),
                    ("summary_en", "<p>Held in ward seven of Evin prison.</p>"), ("summary_internal", internal),
                    ("is_public", "on"),
                ]).await
            }
        };
        // Published, the country and story would need consent: refused.
        save("").await;
        let page = app.get_with(desk, &[("cookie", &council)]).await;
        assert_eq!(page.texts("#person-country-error").len(), 1, "{:?}", page.texts(".field-error"));
        assert_eq!(page.texts("#person-summary_en-error").len(), 1);
        assert_eq!(count(app, "SELECT COUNT(*) FROM persons WHERE slug = 'narges-example' AND is_public").await, 0);

        // Kept internal, they need no consent, and the summary no
        // translation (Brussels requires French and Dutch before a person
        // is public): the person is public without them.
        let saved = save("on").await;
        assert_eq!(saved.location().as_deref(), Some(desk));
        let page = app.get_with(desk, &[("cookie", &council)]).await;
        assert_eq!(page.texts(".notice"), ["Saved."]);
        assert!(page.body.contains("ward seven"), "staff see the summary");
        assert_eq!(page.texts("section.staff-page .update-state"), ["Internal: the summary is kept for staff, never published."]);
        assert_eq!(page.attr("#person-country_internal", "checked").as_deref(), Some(""));
        assert_eq!(page.attr("#person-country option[selected]", "value").as_deref(), Some("IR"));

        for (path, body) in public_copies(app).await {
            assert!(!body.contains("ward seven"), "{path} shows the internal summary");
        }
        let api: serde_json::Value = serde_json::from_str(&app.get("/api/v1/persons/narges-example").await.body).unwrap();
        assert_eq!(api["person"]["name"], "Narges Example");
        assert!(api["person"]["country"].is_null() && api["person"]["summary_html"].is_null(), "{api}");
        let page = app.get("/persons/narges-example").await;
        assert!(!page.body.contains("Iran"), "the page names no country");
        let csv = app.get("/data/persons.csv").await.body;
        let row = csv.lines().find(|l| l.contains("narges-example")).unwrap();
        assert!(!row.contains("IR") && !row.contains("ward"), "{row}");
        let in_iran = app.get("/api/v1/persons?country=IR").await.body;
        assert!(!in_iran.contains("narges-example"), "a filter by country does not find her");
    }
}
