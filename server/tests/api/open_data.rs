//! The open-data API (`/api/v1/`) over real HTTP on both backends: what the
//! public pages show, as JSON anyone may cache and read from any origin,
//! and its OpenAPI document judged by independent validators: the document
//! by openapi-spec-validator, every response the tests see by jsonschema
//! against the document (`end2end/api/check_responses.py`).
use crate::helpers::{count, Page, TestApp};
use crate::on_both_backends;
use crate::signing::sign_as;
use app::domain::{CountryCode, Email, Line, PersonName, Slug};
use app::i18n::Locale;
use app::on_pool;
use app::signing::{retention, SignatureRequest};
use serde_json::{json, Value};
use std::sync::Mutex;

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

/// A file of its own for one test app: both backends run at once.
fn temp_file(app: &TestApp, name: &str) -> std::path::PathBuf {
    let port = app.address.rsplit(':').next().unwrap_or_default();
    std::env::temp_dir().join(format!("lumieres-{name}-{}-{port}", std::process::id()))
}

async fn python(args: &[&std::ffi::OsStr]) -> std::process::Output {
    tokio::process::Command::new("python3")
        .args(args)
        .output()
        .await
        .expect("python3 runs (make test installs the API checkers)")
}

/// An API client that keeps every response it reads, for `check` to judge
/// against the OpenAPI document at the end of the test.
struct Api<'a> {
    app: &'a TestApp,
    seen: Mutex<Vec<Value>>,
    checked: bool,
}

impl<'a> Api<'a> {
    fn new(app: &'a TestApp) -> Self {
        Api {
            app,
            seen: Mutex::new(Vec::new()),
            checked: false,
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.get_with(path, &[("accept-language", "en-GB,en;q=0.9")])
            .await
    }

    async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let page = self.app.get_with(path, headers).await;
        self.seen.lock().unwrap().push(json!({
            "path": path,
            "status": page.status,
            "content_type": header(&page, "content-type"),
            "body": page.body,
        }));
        page
    }

    /// Every response read so far matches the document.
    async fn check(mut self) {
        self.checked = true;
        let document = self.app.get("/api/v1/openapi.json").await;
        let document_file = temp_file(self.app, "openapi.json");
        let responses_file = temp_file(self.app, "responses.jsonl");
        std::fs::write(&document_file, &document.body).unwrap();
        let lines: Vec<String> = self
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect();
        std::fs::write(&responses_file, lines.join("\n")).unwrap();
        let out = python(&[
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../end2end/api/check_responses.py"
            )
            .as_ref(),
            document_file.as_os_str(),
            responses_file.as_os_str(),
        ])
        .await;
        let _ = std::fs::remove_file(&document_file);
        let _ = std::fs::remove_file(&responses_file);
        assert!(
            out.status.success(),
            "responses that do not match the OpenAPI document:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Api<'_> {
    fn drop(&mut self) {
        if !self.checked && !std::thread::panicking() {
            panic!("the test read the API without checking its responses against the document");
        }
    }
}

/// The `i`th test signer: known name and address, a place that groups them.
fn signer(action: &str, i: usize, country: &str) -> SignatureRequest {
    SignatureRequest {
        action: Slug::parse(action).unwrap(),
        name: PersonName::parse(&format!("Signer{i} Surname{i}x")).unwrap(),
        email: Email::parse(&format!("signer{i}@example.org")).unwrap(),
        place: Some(Line::parse("Ixelles").unwrap()),
        country: Some(CountryCode::parse(country).unwrap()),
        show_name: false,
        keep_informed: false,
        locale: Locale::Fr,
        client_ip: None,
    }
}

/// A refusal is a problem document saying what was wrong.
fn assert_problem(page: &Page, status: u16, detail: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    assert_eq!(
        header(page, "content-type"),
        Some("application/problem+json")
    );
    assert_eq!(header(page, "access-control-allow-origin"), Some("*"));
    let problem = json(page);
    assert_eq!(problem["status"], status);
    assert_eq!(problem["detail"], detail);
}

on_both_backends! {
    async fn the_persons_are_open_data_page_by_page(app: &TestApp) {
        let api = Api::new(app);
        let all = api.get("/api/v1/persons").await;
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
            let page = json(&api.get(&format!("/api/v1/persons?limit=2&cursor={cursor}")).await);
            let items = slugs(&page);
            assert!(items.len() <= 2);
            walked.extend(items);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(walked, everyone);

        // A person unpublished between two pages: the next page goes on after them.
        let first = json(&api.get("/api/v1/persons?limit=2").await);
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        let second_of_first = slugs(&first)[1].clone();
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE persons SET is_public = FALSE WHERE slug = $1")
            .bind(&second_of_first)
            .execute(pool)
            .await
            .map(|_| ()))
        .unwrap();
        let next = json(&api.get(&format!("/api/v1/persons?limit=2&cursor={cursor}")).await);
        assert_eq!(slugs(&next), everyone[2..4].to_vec(), "{second_of_first} gone, the walk goes on");
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE persons SET is_public = TRUE WHERE slug = $1")
            .bind(&second_of_first)
            .execute(pool)
            .await
            .map(|_| ()))
        .unwrap();

        // The filters of /persons, and the language of the texts.
        let released = json(&api.get("/api/v1/persons?status=released").await);
        assert!(released["items"].as_array().unwrap().iter().all(|p| p["current_status"] == "released"));
        assert!(slugs(&released).contains(&"loujain-al-hathloul".to_owned()));
        let brussels = json(&api.get("/api/v1/persons?municipality=brussels&lang=nl").await);
        let loujain = brussels["items"].as_array().unwrap().iter().find(|p| p["slug"] == "loujain-al-hathloul").unwrap();
        assert_eq!(loujain["municipalities"][0]["slug"], "brussels");
        assert_eq!(loujain["municipalities"][0]["name"]["lang"], "nl");
        assert_eq!(loujain["summary_html"]["lang"], "nl", "the demo is translated");
        let french = api.get_with("/api/v1/persons", &[("accept-language", "fr-BE,fr;q=0.9")]).await;
        let french = json(&french);
        let loujain = french["items"].as_array().unwrap().iter().find(|p| p["slug"] == "loujain-al-hathloul").unwrap();
        assert_eq!(loujain["summary_html"]["lang"], "fr", "Accept-Language, when no lang is given");

        // Unchanged: 304 and no body, for the ETag it was given.
        let etag = header(&all, "etag").unwrap().to_owned();
        let again = api.get_with("/api/v1/persons", &[("if-none-match", &etag), ("accept-language", "en-GB,en;q=0.9")]).await;
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());

        // Bad input: a clear message, as a problem document.
        for (query, said) in [
            ("status=freed", "status=\"freed\" names nothing known"),
            ("limit=0", "limit is from 1 to 100"),
            ("limit=101", "limit is from 1 to 100"),
            ("cursor=nobody", "cursor \"nobody\" is not one this list gave"),
            ("lang=de", "no language \"de\": en, fr or nl"),
        ] {
            assert_problem(&api.get(&format!("/api/v1/persons?{query}")).await, 400, said);
        }
        let not_a_number = api.get("/api/v1/persons?limit=many").await;
        assert_eq!(not_a_number.status, 400);
        assert_eq!(header(&not_a_number, "content-type"), Some("application/problem+json"));
        assert!(json(&not_a_number)["detail"].as_str().unwrap().contains("limit"), "{}", not_a_number.body);
        api.check().await;
    }

    async fn a_person_reads_with_partial_dates_adoptions_and_actions_and_no_draft(app: &TestApp) {
        let api = Api::new(app);
        on_pool!(&app.store.db, |pool| sqlx::query(
            "INSERT INTO status_events (person_id, occurred_year, title, is_published)
             SELECT id, 2026, 'A draft nobody may see', FALSE FROM persons WHERE slug = 'loujain-al-hathloul'"
        )
        .execute(pool)
        .await
        .map(|_| ()))
        .unwrap();
        let page = api.get("/api/v1/persons/loujain-al-hathloul?lang=fr").await;
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
        let vahid = json(&api.get("/api/v1/persons/vahid-afkari").await);
        let action = &vahid["support_actions"][0];
        assert_eq!(action["slug"], "solidarity-with-vahid-afkari");
        assert_eq!(action["state"], "open");
        assert!(action["goal"].as_i64().unwrap() > 0);

        let count = api.get("/api/v1/actions/solidarity-with-vahid-afkari/count").await;
        assert_eq!(count.status, 200);
        let count = json(&count);
        assert_eq!(count["action"], "solidarity-with-vahid-afkari");
        assert_eq!(count["goal"], action["goal"]);
        assert_eq!(count["confirmed"], action["confirmed"]);

        let details = json(&api.get("/api/v1/actions/solidarity-with-vahid-afkari?lang=nl").await);
        assert_eq!(details["person"]["slug"], "vahid-afkari");
        assert_eq!(details["goal"], action["goal"]);
        assert_eq!(details["state"], "open");
        assert_eq!(details["title"]["lang"], "nl");
        assert_eq!(details["opens_on"].as_str().unwrap().len(), 10, "a whole date");

        // A person not (or no longer) public is no open data, nor their actions.
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE persons SET is_public = FALSE WHERE slug IN ('loujain-al-hathloul', 'vahid-afkari')")
            .execute(pool)
            .await
            .map(|_| ()))
        .unwrap();
        assert_problem(&api.get("/api/v1/persons/loujain-al-hathloul").await, 404, "no published person \"loujain-al-hathloul\"");
        // Counts may be held for a second (readers poll them): then they go too.
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        for route in ["", "/count", "/history", "/places"] {
            let gone = api.get(&format!("/api/v1/actions/solidarity-with-vahid-afkari{route}")).await;
            assert_problem(&gone, 404, "no public support action \"solidarity-with-vahid-afkari\"");
        }
        assert!(!slugs(&json(&api.get("/api/v1/persons").await)).contains(&"loujain-al-hathloul".to_owned()));
        let brussels = json(&api.get("/api/v1/municipalities/brussels").await);
        assert!(!brussels.to_string().contains("loujain"), "{brussels}");
        api.check().await;
    }

    async fn the_filters_values_are_open_data_in_each_language(app: &TestApp) {
        let api = Api::new(app);
        let statuses = json(&api.get("/api/v1/statuses?lang=nl").await);
        let statuses = statuses["items"].as_array().unwrap();
        let released = statuses.iter().find(|s| s["slug"] == "released").unwrap();
        assert_eq!(released["name"]["lang"], "nl");
        assert_ne!(released["name"]["text"], "", "a name, in Dutch");
        // Every status slug is one the persons filter takes.
        for status in statuses {
            let slug = status["slug"].as_str().unwrap();
            assert_eq!(api.get(&format!("/api/v1/persons?status={slug}")).await.status, 200, "{slug}");
        }
        let rights = json(&api.get("/api/v1/rights-categories?lang=fr").await);
        let rights = rights["items"].as_array().unwrap();
        assert!(!rights.is_empty());
        for right in rights {
            assert_eq!(right["name"]["lang"], "fr");
            let slug = right["slug"].as_str().unwrap();
            assert_eq!(api.get(&format!("/api/v1/persons?rights={slug}")).await.status, 200, "{slug}");
        }
        // A page at a time, like every list.
        let first = json(&api.get("/api/v1/statuses?limit=1").await);
        assert_eq!(slugs(&first).len(), 1);
        let next = first["next_cursor"].as_str().unwrap();
        let second = json(&api.get(&format!("/api/v1/statuses?limit=1&cursor={next}")).await);
        assert_eq!(slugs(&second), vec![statuses[1]["slug"].as_str().unwrap().to_owned()]);
        assert_problem(&api.get("/api/v1/statuses?lang=xx").await, 400, "no language \"xx\": en, fr or nl");
        api.check().await;
    }

    async fn the_municipalities_are_open_data_with_their_adoptions(app: &TestApp) {
        let api = Api::new(app);
        let list = json(&api.get("/api/v1/municipalities?lang=nl").await);
        let brussels = list["items"].as_array().unwrap().iter().find(|m| m["slug"] == "brussels").unwrap().clone();
        assert_eq!(brussels["country"], "BE");
        assert_eq!(brussels["name"]["lang"], "nl");
        assert_eq!(brussels["name"]["text"], "Stad Brussel");
        let adopted = brussels["adopted_persons"].as_i64().unwrap();
        assert_eq!(adopted, 5, "Brussels adopted the five demo persons");

        let detail = json(&api.get("/api/v1/municipalities/brussels?lang=fr").await);
        assert_eq!(detail["name"]["text"], "Ville de Bruxelles");
        let adoptions = detail["adoptions"].as_array().unwrap();
        assert_eq!(adoptions.len() as i64, adopted);
        assert!(adoptions.iter().any(|a| a["person"] == "loujain-al-hathloul"));
        for adoption in adoptions {
            assert!(!adoption["decided_on"].as_str().unwrap().is_empty());
        }
        assert_problem(&api.get("/api/v1/municipalities/atlantis").await, 404, "no municipality \"atlantis\"");
        assert_problem(&api.get("/api/v1/municipalities?limit=0").await, 400, "limit is from 1 to 100");
        api.check().await;
    }

    async fn an_actions_history_and_places_stay_whole_after_anonymisation_and_name_nobody(app: &TestApp) {
        let api = Api::new(app);
        let action = "solidarity-with-vahid-afkari";
        let before = json(&api.get(&format!("/api/v1/actions/{action}/count")).await)["confirmed"].as_i64().unwrap();
        assert_eq!(before, 0, "the demo has no signatures");
        // 2027-01-15 09:10 UTC, and later that day, and two days on.
        let day_one = 1_800_004_200 - 1_800_004_200 % 86_400 + 9 * 3_600 + 600;
        let times = [day_one, day_one + 60, day_one + 2 * 3_600, day_one + 2 * 86_400];
        let places = ["Bruxelles", "bruxelles ", "BRUSSEL", "Stad Brussel", "Brussels", "1000", "Gent"];
        let mut signed = 0;
        for (i, place) in places.iter().enumerate() {
            let at = times[i % times.len()];
            let mut request = signer(action, i, if i < 6 { "BE" } else { "NL" });
            request.place = Some(Line::parse(place).unwrap());
            sign_as(&app.store, request, at - 60, true).await;
            signed += 1;
        }
        let hourly = json(&api.get(&format!("/api/v1/actions/{action}/history?interval=hour")).await);
        let points: Vec<(String, i64, i64)> = hourly["items"].as_array().unwrap().iter()
            .map(|p| (p["start"].as_str().unwrap().to_owned(), p["confirmed"].as_i64().unwrap(), p["cumulative"].as_i64().unwrap()))
            .collect();
        let hour = |t: i64| chrono::DateTime::from_timestamp(t - t % 3_600, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(points, vec![
            (hour(day_one), 4, 4),
            (hour(day_one + 2 * 3_600), 2, 6),
            (hour(day_one + 2 * 86_400), 1, 7),
        ], "signatures 0, 1, 4, 5 in the first hour; 2 and 6 two hours on; 3 two days on");
        let daily = json(&api.get(&format!("/api/v1/actions/{action}/history")).await);
        assert_eq!(daily["interval"], "day");
        let days: Vec<i64> = daily["items"].as_array().unwrap().iter().map(|p| p["confirmed"].as_i64().unwrap()).collect();
        assert_eq!(days, vec![6, 1]);
        // Page by page, the same history.
        let first = json(&api.get(&format!("/api/v1/actions/{action}/history?interval=hour&limit=2")).await);
        assert_eq!(first["items"].as_array().unwrap().len(), 2);
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        let rest = json(&api.get(&format!("/api/v1/actions/{action}/history?interval=hour&limit=2&cursor={cursor}")).await);
        assert_eq!(rest["items"][0]["cumulative"], 7, "the running total carries over pages");
        assert_eq!(rest["next_cursor"], Value::Null);
        // A cursor whose hour has emptied since (a signature withdrawn) still says where to go on.
        let early = json(&api.get(&format!("/api/v1/actions/{action}/history?interval=hour&cursor=2000-01-01T00:00:00Z")).await);
        assert_eq!(early["items"], hourly["items"]);
        assert_problem(&api.get(&format!("/api/v1/actions/{action}/history?interval=week")).await, 400, "no interval \"week\": hour or day");

        let by_place = json(&api.get(&format!("/api/v1/actions/{action}/places")).await);
        assert_eq!(by_place["confirmed"], signed);
        // Brussels, as typed in three languages: the municipality of the network.
        let brussels = &by_place["places"][0];
        assert_eq!(by_place["places"].as_array().unwrap().len(), 1, "{by_place}");
        assert!(["City of Brussels", "Ville de Bruxelles", "Stad Brussel"].contains(&brussels["name"].as_str().unwrap()), "{brussels}");
        assert_eq!(brussels["confirmed"], 5);
        assert_eq!(by_place["places_other"], 2, "the postcode area 10xx and Gent: one signer each, not shown");
        assert_eq!(by_place["countries"], json!([{"name": "BE", "confirmed": 6}]));
        assert_eq!(by_place["countries_other"], 1, "one signer from the Netherlands, not shown");
        let public = by_place.to_string() + &hourly.to_string() + &daily.to_string();
        for private in ["Surname", "Signer", "example.org", "Gent"] {
            assert!(!public.contains(private), "{private} in {public}");
        }

        // Long after, the signers' details are gone; the history is not.
        retention::apply_retention(&app.store.db, 180, day_one + 3 * 365 * 86_400).await.unwrap();
        let anonymised = count(app, "SELECT COUNT(*) FROM signatures WHERE anonymised").await;
        assert_eq!(anonymised, signed);
        let after = json(&api.get(&format!("/api/v1/actions/{action}/history?interval=hour")).await);
        assert_eq!(after["items"], hourly["items"], "the history is kept after anonymisation");
        let by_place = json(&api.get(&format!("/api/v1/actions/{action}/places")).await);
        assert_eq!(by_place["confirmed"], signed, "the count too");
        assert_eq!(by_place["places_not_known"], signed, "places go with the other details");
        assert_eq!(by_place["countries"], json!([{"name": "BE", "confirmed": 6}]), "countries stay");
        api.check().await;
    }

    async fn the_open_data_comes_in_bulk_as_csv_under_its_licence(app: &TestApp) {
        let action = "solidarity-with-vahid-afkari";
        let day_one = 1_800_000_000 - 1_800_000_000 % 86_400 + 3_600;
        for (i, at) in [day_one, day_one + 600, day_one + 86_400].into_iter().enumerate() {
            sign_as(&app.store, signer(action, i, "BE"), at - 60, true).await;
        }
        for (file, first_columns) in [
            ("persons", "slug,name,country,current_status,rights,municipalities,summary,summary_lang,url"),
            ("timeline", "person,date,status,title,title_lang,source_title,source_url,from_partner"),
            ("actions", "slug,person,title,title_lang,addressee,addressee_lang,goal,opens_on,deadline,state,confirmed,paper"),
            ("signature-history", "action,date,confirmed,cumulative,paper"),
        ] {
            let page = app.get(&format!("/data/{file}.csv?lang=fr")).await;
            assert_eq!(page.status, 200, "{file}");
            assert_eq!(header(&page, "content-type"), Some("text/csv; charset=utf-8; header=present"));
            assert_eq!(header(&page, "access-control-allow-origin"), Some("*"));
            assert_eq!(header(&page, "link"), Some("<https://creativecommons.org/licenses/by/4.0/>; rel=\"license\""));
            assert!(header(&page, "etag").is_some());
            assert_eq!(page.body.lines().next(), Some(first_columns), "{file}: a header row");
        }
        let rows = |body: &str| -> Vec<Vec<String>> {
            csv::Reader::from_reader(body.as_bytes()).records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
        };
        let persons = rows(&app.get("/data/persons.csv?lang=nl").await.body);
        assert_eq!(persons.len(), 5, "the five demo persons");
        let loujain = persons.iter().find(|p| p[0] == "loujain-al-hathloul").unwrap();
        assert_eq!((loujain[2].as_str(), loujain[3].as_str(), loujain[5].as_str()), ("SA", "released", "brussels"));
        assert_eq!(loujain[7], "nl");
        assert!(loujain[8].ends_with("/nl/persons/loujain-al-hathloul"), "{}", loujain[8]);
        assert!(!loujain[6].contains('<'), "the summary as plain text: {}", loujain[6]);
        let timeline = rows(&app.get("/data/timeline.csv?lang=fr").await.body);
        assert!(timeline.iter().any(|e| e[0] == "loujain-al-hathloul" && e[4] == "fr"));
        let actions = rows(&app.get("/data/actions.csv").await.body);
        let vahid = actions.iter().find(|a| a[0] == action).unwrap();
        assert_eq!((vahid[1].as_str(), vahid[9].as_str(), vahid[10].as_str()), ("vahid-afkari", "open", "3"));
        let history = rows(&app.get("/data/signature-history.csv").await.body);
        let day = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap().date_naive().to_string();
        assert_eq!(history, vec![
            vec![action.to_owned(), day(day_one), "2".into(), "2".into(), "0".into()],
            vec![action.to_owned(), day(day_one + 86_400), "1".into(), "3".into(), "0".into()],
        ]);
        let refused = app.get("/data/persons.csv?lang=de").await;
        assert_eq!(refused.status, 400);
        assert_eq!(header(&refused, "content-type"), Some("application/problem+json"));
    }

    async fn nothing_personal_nor_unpublished_is_open_data(app: &TestApp) {
        // A case not made public, with an action; a draft on a public case.
        on_pool!(&app.store.db, |pool| async {
            sqlx::query("INSERT INTO persons (slug, full_name, summary, is_public) VALUES ('kept-private', 'Zebulon Privatus', 'Secret summary', FALSE)")
                .execute(pool).await?;
            sqlx::query(
                "INSERT INTO support_actions (person_id, slug, title, body_html, addressee, goal, opens_on)
                 SELECT id, 'private-action', 'Hidden action title', '<p>Hidden</p>', 'Nobody', 10, '2020-01-01' FROM persons WHERE slug = 'kept-private'"
            ).execute(pool).await?;
            sqlx::query(
                "INSERT INTO status_events (person_id, occurred_year, title, is_published)
                 SELECT id, 2026, 'Draft nobody may read', FALSE FROM persons WHERE slug = 'vahid-afkari'"
            ).execute(pool).await?;
            sqlx::query("INSERT INTO adoptions (person_id, municipality_id, adopted_year)
                 SELECT p.id, m.id, 2025 FROM persons p, municipalities m WHERE p.slug = 'kept-private' AND m.slug = 'brussels'")
                .execute(pool).await?;
            Ok::<_, sqlx::Error>(())
        }.await)
        .unwrap();
        // Six signers with known names, addresses and network addresses;
        // three of them asked for their first name to be shown.
        let action = "solidarity-with-vahid-afkari";
        for i in 0..6 {
            let mut request = signer(action, i, "BE");
            request.show_name = i % 2 == 0;
            request.client_ip = Some(format!("198.51.100.{}", 70 + i).parse().unwrap());
            sign_as(&app.store, request, 1_800_000_000 + i as i64 * 600, true).await;
        }

        let api = Api::new(app);
        let persons = json(&api.get("/api/v1/persons").await);
        let mut paths: Vec<String> = vec![
            "/".into(), "/persons".into(), "/fr/persons".into(), "/municipalities/brussels".into(),
            "/feed.atom".into(), "/feed.json".into(), "/api/v1/openapi.json".into(),
            "/api/v1/persons?limit=100".into(), "/api/v1/municipalities".into(), "/api/v1/municipalities/brussels".into(),
            "/api/v1/rights-categories".into(), "/api/v1/statuses".into(),
            "/data/persons.csv".into(), "/data/timeline.csv".into(), "/data/actions.csv".into(), "/data/signature-history.csv".into(),
        ];
        for person in slugs(&persons) {
            let detail = json(&api.get(&format!("/api/v1/persons/{person}")).await);
            paths.push(format!("/persons/{person}"));
            paths.push(format!("/api/v1/persons/{person}?lang=nl"));
            for action in detail["support_actions"].as_array().unwrap() {
                let slug = action["slug"].as_str().unwrap();
                paths.push(format!("/actions/{slug}"));
                paths.push(format!("/actions/{slug}/embed"));
                paths.push(format!("/nl/actions/{slug}/embed"));
                paths.push(format!("/actions/{slug}/badge.svg"));
                for route in ["", "/count", "/history?interval=hour", "/history", "/places"] {
                    paths.push(format!("/api/v1/actions/{slug}{route}"));
                }
            }
        }
        assert!(paths.contains(&format!("/api/v1/actions/{action}/places")));
        let mut everything = String::new();
        for path in &paths {
            let described = path.starts_with("/api/") && !path.ends_with("openapi.json");
            let page = if described { api.get(path).await } else { app.get(path).await };
            assert_eq!(page.status, 200, "{path}");
            everything.push_str(&page.body);
        }
        for i in 0..6 {
            for personal in [format!("Surname{i}x"), format!("signer{i}@example.org"), format!("198.51.100.{}", 70 + i)] {
                assert!(!everything.contains(&personal), "{personal} is public");
            }
        }
        for unpublished in ["Zebulon", "kept-private", "private-action", "Hidden action title", "Draft nobody may read"] {
            assert!(!everything.contains(unpublished), "{unpublished} is public");
        }
        assert!(everything.contains("Signer0"), "a first name shown by the signer's choice, so the walk reached the action page");
        for path in ["/api/v1/persons/kept-private", "/api/v1/actions/private-action", "/api/v1/actions/private-action/count",
                     "/api/v1/actions/private-action/history", "/api/v1/actions/private-action/places"] {
            assert_eq!(api.get(path).await.status, 404, "{path}");
        }
        for path in ["/actions/private-action/embed", "/actions/private-action/badge.svg", "/persons/kept-private"] {
            assert_eq!(app.get(path).await.status, 404, "{path}");
        }
        api.check().await;
    }

    async fn person_and_action_pages_carry_structured_data_a_json_ld_processor_reads(app: &TestApp) {
        let action = "solidarity-with-vahid-afkari";
        sign_as(&app.store, signer(action, 0, "BE"), 1_800_000_000, true).await;
        let read = |path: &'static str| async move {
            let page = app.get(path).await;
            assert_eq!(page.status, 200, "{path}");
            let file = temp_file(app, "page.html");
            std::fs::write(&file, &page.body).unwrap();
            let out = python(&[concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/api/read_json_ld.py").as_ref(), file.as_os_str()]).await;
            let _ = std::fs::remove_file(&file);
            assert!(out.status.success(), "{path}: {}", String::from_utf8_lossy(&out.stderr));
            let blocks: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(blocks.as_array().unwrap().len(), 1, "{path}: one block");
            blocks[0][0].clone()
        };
        let schema = |name: &str| format!("https://schema.org/{name}");
        let types = |node: &Value| node["@type"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect::<Vec<_>>();

        let person = read("/fr/persons/loujain-al-hathloul").await;
        assert_eq!(types(&person), vec![schema("Person")]);
        assert_eq!(person[schema("name")][0]["@value"], "Loujain al-Hathloul");
        let events = person[schema("subjectOf")].as_array().unwrap();
        assert!(!events.is_empty(), "the timeline as events");
        for event in events {
            assert_eq!(types(event), vec![schema("Event")]);
            let date = event[schema("startDate")][0]["@value"].as_str().unwrap();
            assert!(date.starts_with("20"), "{date}");
        }
        let sponsors = person[schema("sponsor")].as_array().unwrap();
        assert_eq!(types(&sponsors[0]), vec![schema("GovernmentOrganization")]);
        assert_eq!(sponsors[0][schema("name")][0]["@value"], "Ville de Bruxelles", "in the page's language");

        let page = read("/actions/solidarity-with-vahid-afkari").await;
        assert_eq!(types(&page), vec![schema("CreativeWork")]);
        assert_eq!(types(&page[schema("about")][0]), vec![schema("Person")]);
        let counter = &page[schema("interactionStatistic")][0];
        assert_eq!(types(counter), vec![schema("InteractionCounter")]);
        assert_eq!(counter[schema("userInteractionCount")][0]["@value"], 1, "the confirmed count");
    }

    async fn a_city_shows_the_live_count_with_the_embed_and_the_badge(app: &TestApp) {
        let action = "solidarity-with-vahid-afkari";
        for i in 0..2 {
            sign_as(&app.store, signer(action, i, "BE"), 1_800_000_000, true).await;
        }
        let goal = json(&app.get(&format!("/api/v1/actions/{action}/count")).await)["goal"].as_i64().unwrap();
        let embed = app.get(&format!("/fr/actions/{action}/embed")).await;
        assert_eq!(embed.status, 200);
        assert_eq!(header(&embed, "content-type"), Some("text/html; charset=utf-8"));
        let policy = header(&embed, "content-security-policy").unwrap();
        assert!(policy.contains("frame-ancestors *"), "any site may frame the embed: {policy}");
        assert!(policy.contains("default-src 'none'"), "{policy}");
        assert!(!embed.body.contains("<script"), "no JavaScript: {}", embed.body);
        let count = embed.texts(".signature-count");
        let said = Locale::Fr.signature_count(2, goal).split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(count, vec![said]);
        assert_eq!(embed.attr("html", "lang").as_deref(), Some("fr"));
        let link = embed.attr("a.embed-link", "href").unwrap();
        assert!(link.starts_with("http") && link.ends_with(&format!("/fr/actions/{action}")), "{link}");
        assert_eq!(embed.attr("a.embed-link", "target").as_deref(), Some("_blank"));
        // Every other page may be framed by nobody.
        let page = app.get(&format!("/actions/{action}")).await;
        assert!(header(&page, "content-security-policy").unwrap().contains("frame-ancestors 'none'"));

        let badge = app.get(&format!("/actions/{action}/badge.svg")).await;
        assert_eq!(badge.status, 200);
        assert_eq!(header(&badge, "content-type"), Some("image/svg+xml"));
        assert_eq!(header(&badge, "cache-control"), Some("public, max-age=60"));
        assert!(badge.body.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(badge.body.contains(&format!(">2 / {}<", Locale::En.number(goal))), "{}", badge.body);
        let etag = header(&badge, "etag").unwrap().to_owned();
        assert_eq!(app.get_with(&format!("/actions/{action}/badge.svg"), &[("if-none-match", &etag)]).await.status, 304);
        let dutch = app.get(&format!("/actions/{action}/badge.svg?lang=nl")).await;
        assert!(dutch.body.contains(">handtekeningen<"), "{}", dutch.body);

        // A new signature shows within the second the count may be held.
        sign_as(&app.store, signer(action, 2, "BE"), 1_800_000_000, true).await;
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let badge = app.get(&format!("/actions/{action}/badge.svg")).await;
        assert!(badge.body.contains(&format!(">3 / {}<", Locale::En.number(goal))), "{}", badge.body);
        assert_eq!(json(&app.get(&format!("/api/v1/actions/{action}/count")).await)["confirmed"], 3);

        // What staff typed is text in the embed, never markup.
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE support_actions SET title = '<script>alert(1)</script>' WHERE slug = $1")
            .bind(action)
            .execute(pool)
            .await
            .map(|_| ()))
        .unwrap();
        let embed = app.get(&format!("/actions/{action}/embed")).await;
        assert!(!embed.body.contains("<script"), "{}", embed.body);
        assert!(embed.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        for missing in ["/actions/nothing/embed".to_owned(), format!("/de/actions/{action}/embed"), "/actions/nothing/badge.svg".to_owned()] {
            assert_eq!(app.get(&missing).await.status, 404, "{missing}");
        }
    }

    async fn the_action_page_draws_the_count_over_time_and_the_person_page_totals_it(app: &TestApp) {
        let action = "solidarity-with-vahid-afkari";
        let day_one = 1_800_000_000 - 1_800_000_000 % 86_400 + 3_600;
        for (i, at) in [day_one, day_one + 60, day_one + 2 * 86_400].into_iter().enumerate() {
            sign_as(&app.store, signer(action, i, "BE"), at - 60, true).await;
        }
        let page = app.get(&format!("/actions/{action}")).await;
        // The line rises from 2 to 3 over three days (one quiet), its figures in a table.
        let points = page.attr("svg.cumulative polyline", "points").unwrap();
        let heights: Vec<f64> = points.split(' ').map(|p| p.split(',').nth(1).unwrap().parse().unwrap()).collect();
        assert_eq!(heights.len(), 3, "{points}");
        assert!(heights[0] > heights[2] && heights[0] == heights[1], "{points}");
        assert_eq!(heights[2], 0.0, "the top is today's total");
        assert_eq!(page.texts("table.cumulative-table td:nth-child(2)"), vec!["3", "2"], "newest first, days the count moved");
        let described = page.texts("svg.cumulative desc");
        assert!(described[0].contains("3"), "{described:?}");
        let person = app.get("/persons/vahid-afkari").await;
        assert_eq!(person.texts(".total-support"), vec!["In all, 3 confirmed signatures support this person."]);
        let french = app.get("/fr/persons/vahid-afkari").await;
        assert_eq!(french.texts(".total-support"), vec!["Au total, 3 signatures confirmées soutiennent cette personne."]);
    }

    async fn the_openapi_document_describes_every_route_and_passes_an_independent_validator(app: &TestApp) {
        let page = app.get("/api/v1/openapi.json").await;
        assert_eq!(page.status, 200);
        let document = json(&page);
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/api/v1/persons",
            "/api/v1/persons/{slug}",
            "/api/v1/municipalities",
            "/api/v1/municipalities/{slug}",
            "/api/v1/rights-categories",
            "/api/v1/statuses",
            "/api/v1/actions/{slug}",
            "/api/v1/actions/{slug}/count",
            "/api/v1/actions/{slug}/history",
            "/api/v1/actions/{slug}/places",
        ] {
            assert!(document["paths"][path]["get"].is_object(), "{path}");
        }
        let file = temp_file(app, "openapi-document.json");
        std::fs::write(&file, &page.body).unwrap();
        let out = python(&["-m".as_ref(), "openapi_spec_validator".as_ref(), "--schema".as_ref(), "3.1".as_ref(), file.as_os_str()]).await;
        let _ = std::fs::remove_file(&file);
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
