//! An honest API contract (issue 31): what the OpenAPI document allows, the
//! server takes. Schemathesis (from PyPI) generates requests from the
//! document — every operation, boundary values first, then at random with a
//! fixed seed — against a running instance with the demo's data, and checks
//! each answer against the document: never a refusal (400) of a request it
//! allows, never a 5xx, and status, content type, headers and body as
//! documented.
use crate::helpers::TestApp;
use crate::on_both_backends;
use serde_json::Value;

/// Real slugs for the paths that take one, so that the generated queries
/// reach what answers them rather than a 404.
const CONFIG: &str = r#"
[[operations]]
include-path-regex = "^/api/v1/actions/"
parameters = { slug = "solidarity-with-vahid-afkari" }

[[operations]]
include-path = "/api/v1/persons/{slug}"
parameters = { slug = "loujain-al-hathloul" }

[[operations]]
include-path = "/api/v1/municipalities/{slug}"
parameters = { slug = "brussels" }
"#;

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,response_headers_conformance,positive_data_acceptance";

on_both_backends! {
    async fn a_request_the_document_allows_is_answered_as_it_documents(app: &TestApp) {
        // A directory of its own: schemathesis keeps a cache where it runs,
        // and both backends run at once.
        let port = app.address.rsplit(':').next().unwrap_or_default();
        let dir = std::env::temp_dir()
            .join(format!("lumieres-schemathesis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("schemathesis.toml"), CONFIG).unwrap();
        let output = tokio::process::Command::new("python3")
            .current_dir(&dir)
            .args(["-m", "schemathesis.cli", "--config-file", "schemathesis.toml"])
            .args(["run", &format!("{}/api/v1/openapi.json", app.address)])
            .args(["--mode", "positive", "--phases", "examples,coverage,fuzzing"])
            .args(["--checks", CHECKS, "--seed", "1", "--no-color"])
            .output()
            .await
            .expect("python3 runs (make test installs schemathesis)");
        std::fs::remove_dir_all(&dir).ok();
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "schemathesis found the document and the server at odds:\n{report}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(report.contains("11 passed"), "every operation was tested:\n{report}");
        assert!(!report.contains("Missing test data"), "{report}");
    }

    async fn the_document_states_what_the_server_checks(app: &TestApp) {
        let document: Value = serde_json::from_str(&app.get("/api/v1/openapi.json").await.body).unwrap();
        let parameter = |path: &str, name: &str| -> Value {
            document["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{path} takes {name}"))["schema"]
                .clone()
        };
        // The three requests a generated client once sent and was refused.
        let limit = parameter("/api/v1/persons", "limit");
        assert_eq!((limit["minimum"].as_i64(), limit["maximum"].as_i64()), (Some(1), Some(100)));
        assert_eq!(parameter("/api/v1/persons/{slug}", "lang")["enum"], serde_json::json!(["en", "fr", "nl"]));
        assert_eq!(parameter("/api/v1/actions/{slug}/history", "interval")["enum"], serde_json::json!(["hour", "day"]));
        assert_eq!(parameter("/api/v1/actions/{slug}/history", "limit")["maximum"], 1000);
        assert_eq!(parameter("/api/v1/persons/{slug}", "slug")["pattern"], app::domain::Slug::PATTERN);
        assert_eq!(parameter("/api/v1/persons", "country")["pattern"], app::domain::CountryCode::PATTERN);
        assert_eq!(parameter("/api/v1/persons", "status")["enum"].as_array().unwrap().len(), app::domain::Status::ALL.len());

        // A cursor is a place in the list's order: one no item has still
        // says where the page starts (here: past the end).
        for list in ["/api/v1/statuses", "/api/v1/rights-categories", "/api/v1/municipalities"] {
            let page = app.get(&format!("{list}?cursor=zzz")).await;
            assert_eq!(page.status, 200, "{list}: {}", page.body);
            let page: Value = serde_json::from_str(&page.body).unwrap();
            assert_eq!(page["items"], serde_json::json!([]), "{list}");
        }
        let first: Value = serde_json::from_str(&app.get("/api/v1/statuses?limit=3").await.body).unwrap();
        let next = first["next_cursor"].as_str().unwrap();
        let rest: Value = serde_json::from_str(&app.get(&format!("/api/v1/statuses?cursor={next}")).await.body).unwrap();
        assert_eq!(rest["items"][0]["slug"], app::domain::Status::ALL[3].slug());
    }
    async fn the_municipalities_come_in_the_order_their_cursors_follow(app: &TestApp) {
        // A collation that ignores hyphens (PostgreSQL's en_US) sorts
        // "la-hulpe" after "laarne"; the cursors compare bytes.
        for (slug, name) in [("laarne", "Laarne"), ("la-hulpe", "La Hulpe")] {
            app::on_pool!(&app.store.db, |pool| sqlx::query(
                "INSERT INTO municipalities (slug, name, country_code, joined_year) VALUES ($1, $2, 'BE', 2020)"
            )
            .bind(slug)
            .bind(name)
            .execute(pool)
            .await
            .map(|_| ()))
            .unwrap();
        }
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let page: Value = serde_json::from_str(
                &app.get(&format!("/api/v1/municipalities?limit=1&cursor={cursor}")).await.body,
            )
            .unwrap();
            seen.extend(page["items"].as_array().unwrap().iter().map(|m| m["slug"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(seen, ["brussels", "la-hulpe", "laarne"], "each once, in byte order");
    }
}
