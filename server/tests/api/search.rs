//! Search across the three languages (issue 31): the box on every public
//! page, `/search` with the persons list's filters, and `/api/v1/search`.
//! Names are found whatever their case, accents or punctuation, or from
//! their start; texts in each language through its stemmer; and nothing
//! that is not public is ever found. On both backends.
use crate::helpers::{sql, TestApp};
use crate::on_both_backends;

/// The titles of the hits of a search page, in order.
async fn titles(app: &TestApp, path: &str) -> Vec<String> {
    let page = app.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    page.texts(".search-hit h2")
}

/// The slugs of the persons whose page a hit of the API leads to, in order.
async fn api_paths(app: &TestApp, path: &str) -> Vec<String> {
    let page = app.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    let body: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["path"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends! {
    async fn a_person_is_found_by_any_spelling_of_a_part_of_their_name(app: &TestApp) {
        // The box is on every public page: a GET form, no JavaScript needed.
        for path in ["/", "/fr/persons", "/nl/actions/solidarity-with-vahid-afkari"] {
            let page = app.get(path).await;
            let prefix = path.split('/').nth(1).filter(|p| p.len() == 2).map(|p| format!("/{p}")).unwrap_or_default();
            assert_eq!(page.attr("form.site-search", "action"), Some(format!("{prefix}/search")), "{path}");
            assert_eq!(page.attr("form.site-search", "method").as_deref(), Some("get"));
            assert_eq!(page.attr("form.site-search input[type=search]", "name").as_deref(), Some("q"));
        }
        for (path, person) in [
            ("/search?q=hathloul", "Loujain al-Hathloul"),
            ("/search?q=Al+Hathloul", "Loujain al-Hathloul"),
            ("/fr/search?q=HATHLOUL", "Loujain al-Hathloul"),
            ("/search?q=Loujaïn", "Loujain al-Hathloul"),
            ("/search?q=hath", "Loujain al-Hathloul"),
            // A letter off.
            ("/search?q=hatloul", "Loujain al-Hathloul"),
            // Decomposed: "i" and a combining diaeresis.
            ("/nl/search?q=Louja%CC%88in", "Loujain al-Hathloul"),
            ("/search?q=n%27guessan", "Dorgelesse N'guessan"),
            ("/search?q=nguessan", "Dorgelesse N'guessan"),
            ("/fr/search?q=Raif", "Raif Badawi"),
        ] {
            let found = titles(app, path).await;
            assert_eq!(found.first().map(String::as_str), Some(person), "{path}: {found:?}");
        }
        // The words that matched are marked, as written in the name.
        let page = app.get("/search?q=hath").await;
        assert_eq!(page.texts(".search-hit h2 mark").first().map(String::as_str), Some("Hathloul"));
        assert_eq!(page.attr(".search-hit h2 a", "href").as_deref(), Some("/persons/loujain-al-hathloul"));
        assert_eq!(page.attr("main form.search-form input[name=q]", "value").as_deref(), Some("hath"));
        assert_eq!(page.texts("title"), ["“hath”: search · Lumières"]);
        // Nothing at all, said so.
        let none = app.get("/fr/search?q=zzyzx").await;
        assert_eq!(none.status, 200);
        assert!(none.texts(".search-hit").is_empty());
        assert_eq!(none.texts(".result-count"), ["Rien de public ne correspond à « zzyzx »."]);
        // The API gives the same, in the language asked for.
        assert_eq!(
            api_paths(app, "/api/v1/search?q=hathloul&lang=fr").await.first().map(String::as_str),
            Some("/fr/persons/loujain-al-hathloul")
        );
    }

    async fn words_are_found_in_each_language_through_its_stemmer(app: &TestApp) {
        // French: "détenues" and "detenue" meet "Détenue", her timeline's event.
        for path in ["/fr/search?q=d%C3%A9tenues", "/fr/search?q=detenue"] {
            let page = app.get(path).await;
            assert_eq!(page.status, 200);
            let hits = page.texts(".search-hit h2");
            assert!(hits.iter().any(|t| t == "Détenue"), "{path}: {hits:?}");
            assert!(page.texts(".search-hit h2 mark").iter().any(|m| m == "Détenue"), "{path}");
            assert_eq!(page.texts(".search-hit .hit-kind").first().map(String::as_str), Some("Chronologie"));
        }
        // A word of the text and a word of the name: what is about her.
        let about = titles(app, "/fr/search?q=d%C3%A9tenue+hathl").await;
        assert!(about.iter().any(|t| t == "Détenue"), "{about:?}");
        assert!(!about.iter().any(|t| t == "Raif Badawi"), "{about:?}");
        // English: "arrest" meets "First arrested"; Dutch: "gearresteerde"
        // meets "Voor het eerst gearresteerd".
        let en = titles(app, "/search?q=arrest").await;
        assert!(en.iter().any(|t| t == "First arrested"), "{en:?}");
        let nl = titles(app, "/nl/search?q=gearresteerde").await;
        assert!(nl.iter().any(|t| t == "Voor het eerst gearresteerd"), "{nl:?}");
        // A reader finds the texts as they read them: the French title on
        // the French page, the English one on the English page.
        assert!(!titles(app, "/search?q=detenue").await.contains(&"Détenue".to_owned()));
        // Stop words alone find nothing rather than everything.
        assert!(titles(app, "/fr/search?q=la+de").await.is_empty());
        // The persons list's filters narrow what is found.
        let released = titles(app, "/search?q=arrest&status=released").await;
        let detained = titles(app, "/search?q=arrest&status=detained").await;
        assert!(released.len() + detained.len() <= en.len());
        assert_ne!(released, detained);
        let unknown = app.get("/search?q=arrest&status=lost").await;
        assert_eq!(unknown.status, 400);
        assert!(unknown.body.contains("has no value “lost”"), "{}", unknown.body);
        let no_page = app.get("/search?q=arrest&page=0").await;
        assert_eq!(no_page.status, 400);
    }

    async fn only_what_is_public_is_ever_found(app: &TestApp) {
        sql(app, "INSERT INTO persons (slug, full_name, summary, is_public)
                  VALUES ('zorah-example', 'Zorah Example', '<p>A quiet case</p>', FALSE)").await;
        sql(app, "INSERT INTO person_aliases (person_id, alias)
                  SELECT id, 'Zorah Sample' FROM persons WHERE slug = 'zorah-example'").await;
        // A private person: not by name or summary.
        for q in ["zorah", "quiet"] {
            assert!(titles(app, &format!("/search?q={q}")).await.is_empty(), "{q}");
            assert!(api_paths(app, &format!("/api/v1/search?q={q}")).await.is_empty(), "{q}");
        }
        // Published, she is found; a draft and an internal fact of hers are not.
        sql(app, "UPDATE persons SET is_public = TRUE WHERE slug = 'zorah-example'").await;
        sql(app, "INSERT INTO status_events (person_id, occurred_year, title, body_html, is_published, is_internal, original_language)
                  SELECT id, 2026, 'Moved to a named ward', '<p>Draft wording</p>', FALSE, FALSE, 'en' FROM persons WHERE slug = 'zorah-example'").await;
        sql(app, "INSERT INTO status_events (person_id, occurred_year, title, is_published, is_internal, original_language)
                  SELECT id, 2026, 'Her family lives at a secret address', FALSE, TRUE, 'en' FROM persons WHERE slug = 'zorah-example'").await;
        sql(app, "INSERT INTO status_events (person_id, occurred_year, title, body_html, is_published, original_language)
                  SELECT id, 2026, 'Hearing <script>alert(1)</script> postponed', '<p>The hearing was postponed again.</p>', TRUE, 'en' FROM persons WHERE slug = 'zorah-example'").await;
        // Her first, then what is public about her.
        assert_eq!(titles(app, "/search?q=zorah").await, ["Zorah Example", "Hearing <script>alert(1)</script> postponed"]);
        // Never by an alias: kept to recognise her in partner feeds, it may
        // be the name a pseudonym protects.
        assert!(titles(app, "/search?q=sample").await.is_empty());
        for q in ["ward", "draft", "secret", "family"] {
            assert!(titles(app, &format!("/search?q={q}")).await.is_empty(), "{q}");
        }
        // What staff wrote is shown as text, its matching words marked.
        let page = app.get("/search?q=postponed").await;
        assert_eq!(page.texts(".search-hit h2"), ["Hearing <script>alert(1)</script> postponed"]);
        assert!(!page.body.contains("<script>alert(1)"), "escaped");
        assert_eq!(page.texts(".search-hit .hit-excerpt mark"), ["postponed"]);
        assert_eq!(page.texts(".search-hit .hit-about"), ["Zorah Example · 2026"]);
        // Taken down: gone from search at once, whatever the index held.
        sql(app, "UPDATE persons SET is_public = FALSE, taken_down_at = 1, takedown_reason = 'risk' WHERE slug = 'zorah-example'").await;
        for q in ["zorah", "sample", "postponed", "quiet"] {
            assert!(titles(app, &format!("/search?q={q}")).await.is_empty(), "{q}");
            assert!(api_paths(app, &format!("/api/v1/search?q={q}")).await.is_empty(), "{q}");
        }
    }

    async fn the_api_pages_the_hits_and_states_its_limits(app: &TestApp) {
        let first = app.get("/api/v1/search?q=solidarity&limit=1").await;
        assert_eq!(first.status, 200);
        let page: serde_json::Value = serde_json::from_str(&first.body).unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["items"][0]["title"]["parts"].as_array().map(|p| !p.is_empty()), Some(true));
        let hits = api_paths(app, "/api/v1/search?q=solidarity").await;
        assert!(hits.len() >= 2, "{hits:?}");
        let mut paged = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = app.get(&format!("/api/v1/search?q=solidarity&limit=1&cursor={cursor}")).await;
            let body: serde_json::Value = serde_json::from_str(&page.body).unwrap();
            paged.extend(body["items"].as_array().unwrap().iter().map(|h| h["path"].as_str().unwrap().to_owned()));
            match body["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(paged, hits, "a page at a time, the same hits in the same order");
        for bad in ["limit=0", "limit=51", "lang=de", "cursor=x", "rights=nothing"] {
            let page = app.get(&format!("/api/v1/search?q=a&{bad}")).await;
            assert_eq!(page.status, 400, "{bad}");
            assert_eq!(page.headers["content-type"], "application/problem+json");
        }
        // Kept in step: a new event is found at once, never from a kept answer.
        assert!(api_paths(app, "/api/v1/search?q=quarantined").await.is_empty());
        sql(app, "INSERT INTO status_events (person_id, occurred_year, title, is_published, original_language)
                  SELECT id, 2026, 'Quarantined in prison', TRUE, 'en' FROM persons WHERE slug = 'raif-badawi'").await;
        assert_eq!(
            api_paths(app, "/api/v1/search?q=quarantined").await,
            ["/persons/raif-badawi#timeline-heading"]
        );
    }
}
