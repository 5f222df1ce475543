//! The open-data API (`/api/v1/`) over real HTTP on both backends: what the
//! public pages show, as JSON anyone may cache and read from any origin,
//! and its OpenAPI document judged by an independent validator.
use crate::helpers::{Page, TestApp};
use crate::on_both_backends;
use app::on_pool;
use serde_json::Value;

fn json(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|e| panic!("{e}: {}", page.body))
}

fn header<'a>(page: &'a Page, name: &str) -> Option<&'a str> {
    page.headers.get(name).and_then(|v| v.to_str().ok())
}

fn slugs(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends! {
    async fn the_persons_are_open_data_page_by_page(app: &TestApp) {
        let all = app.get("/api/v1/persons").await;
        assert_eq!(all.status, 200);
        assert_eq!(header(&all, "content-type"), Some("application/json"));
        assert_eq!(header(&all, "access-control-allow-origin"), Some("*"), "any website may read it");
        assert_eq!(header(&all, "cache-control"), Some("public, max-age=60"));
        let everyone = slugs(&json(&all));
        assert_eq!(everyone.len(), 5, "the five demo persons: {everyone:?}");
        assert_eq!(json(&all)["next_cursor"], Value::Null, "one page holds them");

        // Two at a time, following the cursor, gives the same persons in the same order.
        let mut walked = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = json(&app.get(&format!("/api/v1/persons?limit=2&cursor={cursor}")).await);
            let items = slugs(&page);
            assert!(items.len() <= 2);
            walked.extend(items);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(walked, everyone);

        // The filters of /persons, and the language of the texts.
        let released = json(&app.get("/api/v1/persons?status=released").await);
        assert!(released["items"].as_array().unwrap().iter().all(|p| p["current_status"] == "released"));
        assert!(slugs(&released).contains(&"loujain-al-hathloul".to_owned()));
        let brussels = json(&app.get("/api/v1/persons?municipality=brussels&lang=nl").await);
        let loujain = brussels["items"].as_array().unwrap().iter().find(|p| p["slug"] == "loujain-al-hathloul").unwrap();
        assert_eq!(loujain["municipalities"][0]["slug"], "brussels");
        assert_eq!(loujain["municipalities"][0]["name"]["lang"], "nl");
        assert_eq!(loujain["summary_html"]["lang"], "nl", "the demo is translated");
        let french = app.get_with("/api/v1/persons", &[("accept-language", "fr-BE,fr;q=0.9")]).await;
        let french = json(&french);
        let loujain = french["items"].as_array().unwrap().iter().find(|p| p["slug"] == "loujain-al-hathloul").unwrap();
        assert_eq!(loujain["summary_html"]["lang"], "fr", "Accept-Language, when no lang is given");

        // Unchanged: 304 and no body, for the ETag it was given.
        let etag = header(&all, "etag").unwrap().to_owned();
        let again = app.get_with("/api/v1/persons", &[("if-none-match", &etag), ("accept-language", "en-GB,en;q=0.9")]).await;
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());

        // Bad input: a clear message, in JSON.
        for (query, said) in [
            ("status=freed", "status=\"freed\" names nothing known"),
            ("limit=0", "limit is from 1 to 100"),
            ("limit=101", "limit is from 1 to 100"),
            ("cursor=nobody", "cursor \"nobody\" names no person in this list"),
            ("lang=de", "no language \"de\": en, fr or nl"),
        ] {
            let refused = app.get(&format!("/api/v1/persons?{query}")).await;
            assert_eq!(refused.status, 400, "{query}");
            assert_eq!(json(&refused)["error"], said, "{query}");
        }
    }

    async fn a_person_reads_with_partial_dates_adoptions_and_actions_and_no_draft(app: &TestApp) {
        on_pool!(&app.store.db, |pool| sqlx::query(
            "INSERT INTO status_events (person_id, occurred_year, title, is_published)
             SELECT id, 2026, 'A draft nobody may see', FALSE FROM persons WHERE slug = 'loujain-al-hathloul'"
        )
        .execute(pool)
        .await
        .map(|_| ()))
        .unwrap();
        let page = app.get("/api/v1/persons/loujain-al-hathloul?lang=fr").await;
        assert_eq!(page.status, 200);
        let person = json(&page);
        assert_eq!(person["person"]["name"], "Loujain al-Hathloul");
        assert_eq!(person["person"]["current_status"], "released");
        let timeline = person["timeline"].as_array().unwrap();
        assert!(!timeline.is_empty());
        for event in timeline {
            let date = event["date"].as_str().unwrap();
            assert!(
                [4, 7, 10].contains(&date.len()) && date.chars().all(|c| c.is_ascii_digit() || c == '-'),
                "ISO 8601 with the precision known: {date}"
            );
            assert_eq!(event["title"]["lang"], "fr");
        }
        assert!(!page.body.contains("A draft nobody may see"), "a draft is not open data");
        assert_eq!(person["adoptions"][0]["municipality"]["slug"], "brussels");
        let vahid = json(&app.get("/api/v1/persons/vahid-afkari").await);
        let action = &vahid["support_actions"][0];
        assert_eq!(action["slug"], "solidarity-with-vahid-afkari");
        assert_eq!(action["state"], "open");
        assert!(action["goal"].as_i64().unwrap() > 0);

        let count = app.get("/api/v1/actions/solidarity-with-vahid-afkari/count").await;
        assert_eq!(count.status, 200);
        let count = json(&count);
        assert_eq!(count["action"], "solidarity-with-vahid-afkari");
        assert_eq!(count["goal"], action["goal"]);
        assert_eq!(count["confirmed"], action["confirmed"]);

        // A person not (or no longer) public is no open data.
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE persons SET is_public = FALSE WHERE slug IN ('loujain-al-hathloul', 'vahid-afkari')")
            .execute(pool)
            .await
            .map(|_| ()))
        .unwrap();
        let gone = app.get("/api/v1/persons/loujain-al-hathloul").await;
        assert_eq!(gone.status, 404);
        assert_eq!(json(&gone)["error"], "no published person \"loujain-al-hathloul\"");
        assert_eq!(app.get("/api/v1/actions/solidarity-with-vahid-afkari/count").await.status, 404);
        assert!(!slugs(&json(&app.get("/api/v1/persons").await)).contains(&"loujain-al-hathloul".to_owned()));
    }

    async fn the_filters_values_are_open_data_in_each_language(app: &TestApp) {
        let statuses = json(&app.get("/api/v1/statuses?lang=nl").await);
        let released = statuses.as_array().unwrap().iter().find(|s| s["slug"] == "released").unwrap();
        assert_eq!(released["name"]["lang"], "nl");
        assert_ne!(released["name"]["text"], "", "a name, in Dutch");
        // Every status slug is one the persons filter takes.
        for status in statuses.as_array().unwrap() {
            let slug = status["slug"].as_str().unwrap();
            assert_eq!(app.get(&format!("/api/v1/persons?status={slug}")).await.status, 200, "{slug}");
        }
        let rights = json(&app.get("/api/v1/rights-categories?lang=fr").await);
        let rights = rights.as_array().unwrap();
        assert!(!rights.is_empty());
        for right in rights {
            assert_eq!(right["name"]["lang"], "fr");
            let slug = right["slug"].as_str().unwrap();
            assert_eq!(app.get(&format!("/api/v1/persons?rights={slug}")).await.status, 200, "{slug}");
        }
        assert_eq!(app.get("/api/v1/statuses?lang=xx").await.status, 400);
    }

    async fn the_openapi_document_describes_every_route_and_passes_an_independent_validator(app: &TestApp) {
        let page = app.get("/api/v1/openapi.json").await;
        assert_eq!(page.status, 200);
        let document = json(&page);
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/api/v1/persons",
            "/api/v1/persons/{slug}",
            "/api/v1/actions/{slug}/count",
            "/api/v1/rights-categories",
            "/api/v1/statuses",
        ] {
            assert!(document["paths"][path]["get"].is_object(), "{path}");
        }
        // One file per test app: both backends run this at once.
        let port = app.address.rsplit(':').next().unwrap_or_default();
        let file = std::env::temp_dir().join(format!("lumieres-openapi-{}-{port}.json", std::process::id()));
        std::fs::write(&file, &page.body).unwrap();
        let out = tokio::process::Command::new("python3")
            .args(["-m", "openapi_spec_validator", "--schema", "3.1"])
            .arg(&file)
            .output()
            .await
            .expect("python3 runs (make test installs openapi-spec-validator)");
        let _ = std::fs::remove_file(&file);
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
