//! The public pages over real HTTP: what a visitor (or a crawler) receives.
use crate::helpers::TestApp;
use crate::on_both_backends;

const FIVE: [&str; 5] = [
    "Dorgelesse N'guessan",
    "Hamid Babaei",
    "Loujain al-Hathloul",
    "Raif Badawi",
    "Vahid Afkari",
];

on_both_backends! {
    async fn health_check_answers_when_the_database_does(app: &TestApp) {
        let page = app.get("/healthz").await;
        assert_eq!((page.status, page.body.as_str()), (200, "ok"));
    }

    async fn health_check_fails_when_the_database_does_not_answer(app: &TestApp) {
        app.store.db.close().await;
        let page = app.get("/healthz").await;
        assert_eq!(page.status, 503);
        assert!(!page.body.contains("sqlx") && !page.body.contains("lumieres.db"), "no internals: {}", page.body);
    }

    async fn home_lists_the_five_persons_with_their_status(app: &TestApp) {
        let page = app.get("/").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.attr("html", "lang").as_deref(), Some("en"));
        assert_eq!(page.texts(".person-card .person-name"), FIVE);
        let loujain = page.texts("[data-person='loujain-al-hathloul'] .status");
        assert_eq!(loujain, ["Released"]);
        assert_eq!(page.texts("[data-person='vahid-afkari'] .status"), ["No status recorded"]);
        // Latest updates, newest first.
        let latest = page.texts(".latest-events li time");
        assert_eq!(latest[0], "11 March 2022");
        assert_eq!(latest[1], "10 February 2021");
    }

    async fn person_page_shows_the_timeline_in_date_order(app: &TestApp) {
        let page = app.get("/persons/loujain-al-hathloul").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.texts("h1"), ["Loujain al-Hathloul"]);
        assert_eq!(page.texts(".current-status .status"), ["Released"]);
        assert_eq!(page.texts(".timeline time"), ["2014", "May 2018", "28 December 2020", "10 February 2021"]);
        assert_eq!(
            page.texts(".timeline h3"),
            ["First arrested", "Detained", "Sentenced to 5 years and 8 months in prison", "Released"]
        );
        assert_eq!(page.attr(".timeline time", "datetime").as_deref(), Some("2014"));
        assert!(page.texts(".timeline .source")[0].contains("City of Brussels"));
        assert_eq!(page.texts(".chips a"), ["Equality between women and men"]);
        assert_eq!(page.attr(".chips a", "href").as_deref(), Some("/rights/gender-equality"));
        assert_eq!(page.texts(".adoptions li a"), ["City of Brussels"]);
        assert!(page.texts(".adoptions li")[0].contains("January 2021"));
        assert_eq!(page.texts("title"), ["Loujain al-Hathloul · Lumières"]);
        assert_eq!(page.attr("meta[property='og:title']", "content").as_deref(), Some("Loujain al-Hathloul"));
        assert_eq!(
            page.attr("meta[name='description']", "content").as_deref(),
            Some("Saudi women's rights activist.")
        );
        assert_eq!(page.attr("meta[property='og:description']", "content").as_deref(), Some("Saudi women's rights activist."));
    }

    async fn a_person_the_seed_says_little_about_gets_an_honest_page(app: &TestApp) {
        let page = app.get("/persons/vahid-afkari").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.texts(".current-status .status"), ["No status recorded"]);
        assert!(page.texts(".timeline li").is_empty());
        assert!(page.texts(".country").is_empty());
        assert!(page.texts(".adoptions li")[0].contains("5 December 2022"));
        assert!(page.attr("meta[name='description']", "content").unwrap().starts_with("Vahid Afkari:"));
    }

    async fn french_and_dutch_pages_translate_interface_and_dates(app: &TestApp) {
        let fr = app.get("/fr/persons/loujain-al-hathloul").await;
        assert_eq!(fr.status, 200);
        assert_eq!(fr.attr("html", "lang").as_deref(), Some("fr"));
        assert_eq!(fr.texts(".timeline time"), ["2014", "mai 2018", "28 décembre 2020", "10 février 2021"]);
        assert_eq!(fr.texts(".current-status .status"), ["Libéré·e"]);
        assert_eq!(fr.texts("#timeline-heading"), ["Chronologie"]);
        assert_eq!(fr.texts(".chips a"), ["Égalité entre les femmes et les hommes"]);
        assert_eq!(fr.attr(".chips a", "href").as_deref(), Some("/fr/rights/gender-equality"));
        assert_eq!(fr.texts(".country"), ["Pays : Arabie saoudite"]);

        let nl = app.get("/nl/persons/loujain-al-hathloul").await;
        assert_eq!(nl.attr("html", "lang").as_deref(), Some("nl"));
        assert_eq!(nl.texts(".timeline time"), ["2014", "mei 2018", "28 december 2020", "10 februari 2021"]);
        assert_eq!(nl.texts(".current-status .status"), ["Vrijgelaten"]);
        assert_eq!(nl.texts("#timeline-heading"), ["Tijdlijn"]);

        let home = app.get("/nl").await;
        assert_eq!(home.status, 200);
        assert_eq!(home.texts("h1"), ["Bedreigde personen geadopteerd door onze steden"]);
        assert_eq!(home.texts(".person-card .person-name"), FIVE);
    }

    async fn the_switcher_links_to_the_same_page_in_each_language(app: &TestApp) {
        let page = app.get("/fr/persons?rights=gender-equality").await;
        let links: Vec<String> = ["en", "fr", "nl"]
            .iter()
            .map(|l| page.attr(&format!(".languages a[hreflang='{l}']"), "href").unwrap())
            .collect();
        assert_eq!(
            links,
            [
                "/en/persons?rights=gender-equality",
                "/fr/persons?rights=gender-equality",
                "/nl/persons?rights=gender-equality"
            ]
        );
        assert_eq!(page.attr(".languages a[aria-current='page']", "hreflang").as_deref(), Some("fr"));
        // An explicit choice is remembered for links shared without a prefix.
        let cookie = page.headers.get("set-cookie").unwrap().to_str().unwrap();
        assert!(cookie.starts_with("lang=fr;") && cookie.contains("SameSite=Lax"), "{cookie}");
    }

    async fn without_a_prefix_the_cookie_then_accept_language_decide(app: &TestApp) {
        let by_header = app.get_with("/persons", &[("accept-language", "fr-BE,fr;q=0.9,en;q=0.5")]).await;
        assert_eq!(by_header.attr("html", "lang").as_deref(), Some("fr"));
        let by_cookie = app.get_with("/persons", &[("accept-language", "fr-BE"), ("cookie", "lang=nl")]).await;
        assert_eq!(by_cookie.attr("html", "lang").as_deref(), Some("nl"));
        let prefix_wins = app.get_with("/en/persons", &[("cookie", "lang=nl")]).await;
        assert_eq!(prefix_wins.attr("html", "lang").as_deref(), Some("en"));
        let fallback = app.get_with("/persons", &[("accept-language", "de-DE")]).await;
        assert_eq!(fallback.attr("html", "lang").as_deref(), Some("en"));
        assert!(fallback.headers.get("vary").unwrap().to_str().unwrap().contains("Accept-Language"));
    }

    async fn filters_narrow_the_list_and_are_linkable(app: &TestApp) {
        let page = app.get("/persons?rights=gender-equality").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.texts(".person-card .person-name"), ["Loujain al-Hathloul"]);
        assert_eq!(page.texts(".result-count"), ["1 person"]);
        assert_eq!(page.attr("select[name='rights'] option[selected]", "value").as_deref(), Some("gender-equality"));

        // What a plain GET form sends without JavaScript: empty values mean "any".
        let page = app.get("/persons?rights=&status=released&country=&municipality=brussels").await;
        assert_eq!(page.texts(".person-card .person-name"), ["Hamid Babaei", "Loujain al-Hathloul", "Raif Badawi"]);

        let page = app.get("/persons?country=IR").await;
        assert_eq!(page.texts(".person-card .person-name"), ["Hamid Babaei"]);

        let page = app.get("/persons?status=detained").await;
        assert!(page.texts(".person-card .person-name").is_empty());
        assert_eq!(page.texts(".result-count"), ["0 persons"]);
    }

    async fn a_bad_filter_value_gets_a_clear_message_not_a_500(app: &TestApp) {
        let page = app.get("/persons?status=free").await;
        assert_eq!(page.status, 400);
        let message = page.texts(".error-page p")[0].clone();
        assert!(message.contains("Status") && message.contains("free"), "{message}");
        assert!(page.texts(".person-card").is_empty());
        // The form is still there to choose a valid value.
        assert!(!page.texts("select[name='status'] option").is_empty());

        let fr = app.get("/fr/persons?rights=%3Cscript%3E").await;
        assert_eq!(fr.status, 400);
        assert!(fr.texts(".error-page p")[0].contains("Droit en jeu"));
        assert!(!fr.body.contains("<script>alert") && !fr.body.contains("\u{201c}<script>"));
    }

    async fn unknown_addresses_get_a_real_404_page(app: &TestApp) {
        for path in [
            "/persons/nobody",
            "/persons/Not%20A%20Slug",
            "/municipalities/ghent",
            "/rights/freedom",
            "/xx/persons",
            "/de/persons/loujain-al-hathloul",
            "/no/such/page",
        ] {
            let page = app.get(path).await;
            assert_eq!(page.status, 404, "{path}");
            assert_eq!(page.texts(".error-page h1"), ["Page not found"], "{path}");
        }
        let fr = app.get("/fr/persons/nobody").await;
        assert_eq!(fr.texts(".error-page h1"), ["Page introuvable"]);
    }

    async fn municipality_and_rights_pages(app: &TestApp) {
        let page = app.get("/municipalities/brussels").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.texts("h1"), ["City of Brussels"]);
        assert_eq!(page.texts(".joined time"), ["2015"]);
        assert_eq!(
            page.texts(".adopted-persons li a"),
            ["Dorgelesse N'guessan", "Vahid Afkari", "Loujain al-Hathloul", "Raif Badawi", "Hamid Babaei"]
        );
        assert_eq!(page.texts(".adopted-persons li time")[0], "5 December 2022");

        let rights = app.get("/nl/rights/conscience-and-religion").await;
        assert_eq!(rights.status, 200);
        assert_eq!(rights.texts("h1"), ["Vrijheid van geweten en godsdienst"]);
        assert_eq!(rights.texts(".person-card .person-name"), ["Raif Badawi"]);

        let empty = app.get("/rights/water-and-food").await;
        assert_eq!(empty.status, 200);
        assert!(empty.texts(".person-card").is_empty());
    }

    async fn a_support_action_page_shows_its_progress_in_each_language(app: &TestApp) {
        let page = app.get("/actions/solidarity-with-vahid-afkari").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.texts("h1"), ["Solidarity with Vahid Afkari"]);
        assert_eq!(page.texts(".signature-count"), ["0 of 1,000 signatures"]);
        assert_eq!(page.attr("progress", "max").as_deref(), Some("1000"));
        assert_eq!(page.texts(".deadline"), ["No closing date"]);
        assert!(page.texts(".action-closed").is_empty());
        assert_eq!(page.attr(".for-person a", "href").as_deref(), Some("/persons/vahid-afkari"));
        assert!(page.texts(".action-text")[0].contains("5 December 2022"));

        let fr = app.get("/fr/actions/solidarity-with-vahid-afkari").await;
        // French groups digits with a narrow no-break space (`texts` folds it to a space).
        assert_eq!(fr.texts(".signature-count"), ["0 signatures sur 1 000"]);
        assert!(fr.body.contains("0 signatures sur 1\u{202f}000"));

        // The person page lists the action with its count.
        let person = app.get("/persons/vahid-afkari").await;
        assert_eq!(person.attr(".support-actions a", "href").as_deref(), Some("/actions/solidarity-with-vahid-afkari"));
        assert!(person.texts(".support-actions li")[0].contains("0 of 1,000 signatures"));

        app::campaigns::actions::on_server::close(&app.store.db, app::server::audit::Actor::Cli, &app::domain::Slug::parse("solidarity-with-vahid-afkari").unwrap())
            .await
            .unwrap();
        let closed = app.get("/actions/solidarity-with-vahid-afkari").await;
        assert_eq!(closed.status, 200);
        assert!(closed.texts(".action-closed")[0].starts_with("This action is closed"));

        assert_eq!(app.get("/actions/no-such-action").await.status, 404);
        assert_eq!(app.get("/nl/actions/no-such-action").await.texts("h1"), ["Pagina niet gevonden"]);
    }

    async fn pages_carry_security_headers_and_a_strict_script_policy(app: &TestApp) {
        // A public page is the same for every reader (the render cache): its
        // inline scripts are allowed by their hashes, and by nothing else.
        for path in ["/persons/raif-badawi", "/actions/solidarity-with-vahid-afkari"] {
            let page = app.get(path).await;
            let csp = page.policy();
            assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
            assert!(!csp.contains("'nonce-") && !page.body.contains(" nonce=\""), "{path}: no nonce to share");
            for hash in page.inline_script_hashes() {
                assert!(csp.contains(&hash), "{path}: {hash} allowed by {csp}");
            }
            assert_eq!(page.headers.get("x-content-type-options").unwrap(), "nosniff");
        }
        let island = app.get("/actions/solidarity-with-vahid-afkari").await;
        assert!(!island.inline_script_hashes().is_empty(), "the island's loader is an inline script");
        // A page rendered for one reader only (a cookie the cache does not
        // know) carries a nonce of its own.
        let alone = [("cookie", "lumieres_session=none")];
        let page = app.get_with("/actions/solidarity-with-vahid-afkari", &alone).await;
        let nonce = page.attr("script[nonce]", "nonce").expect("scripts carry the nonce");
        assert!(page.policy().contains(&format!("'nonce-{nonce}'")), "{}", page.policy());
        let again = app.get_with("/actions/solidarity-with-vahid-afkari", &alone).await;
        assert_ne!(again.attr("script[nonce]", "nonce").unwrap(), nonce, "a nonce is never reused");
    }
}

#[tokio::test]
async fn the_privacy_notice_states_the_days_this_site_keeps_data() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |settings| {
        settings.retention_days = 90
    })
    .await;
    let page = app.get("/privacy").await;
    assert_eq!(page.status, 200);
    let text = page.texts(".privacy p").join(" ");
    assert!(text.contains("closed for 90 days"), "{text}");
    assert!(!text.contains("180"), "{text}");
    assert!(
        text.contains("after 7 days")
            && text.contains("after 30 days")
            && text.contains("730 days"),
        "{text}"
    );
    let french = app.get("/fr/privacy").await.texts(".privacy p").join(" ");
    assert!(french.contains("close depuis 90 jours"), "{french}");
    app.teardown().await;
}

on_both_backends! {
    async fn a_page_without_an_island_loads_no_javascript_nor_wasm(app: &TestApp) {
        for path in ["/persons/loujain-al-hathloul", "/fr/persons/raif-badawi", "/municipalities/brussels", "/privacy", "/api", "/persons/nobody"] {
            let page = app.get(path).await;
            assert!(!page.body.contains("<leptos-island"), "{path} has no island");
            for asset in ["/pkg/lumieres.js", "/pkg/lumieres.wasm", "<script type=\"module\""] {
                assert!(!page.body.contains(asset), "{path} loads {asset}");
            }
            assert!(page.body.contains("/pkg/lumieres.css"), "{path} keeps its styles");
            assert!(page.body.ends_with("</html>"), "{path} is whole");
        }
        // Pages with an island keep what hydrates it.
        for path in ["/actions/solidarity-with-vahid-afkari", "/persons", "/nl/persons"] {
            let page = app.get(path).await;
            assert!(page.body.contains("<leptos-island"), "{path} has an island");
            assert!(page.body.contains("/pkg/lumieres.wasm") && page.body.contains("<script type=\"module\""), "{path}");
        }
    }
}

/// A second visit downloads only the page: the bundle is served under a
/// name made of its contents, and browsers keep it for a year.
#[tokio::test]
async fn the_bundle_is_served_under_its_version_and_kept_for_a_year() {
    let site = |css: &str| {
        let root = std::env::temp_dir().join(format!("lumieres-site-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        for (file, text) in [
            ("lumieres.js", "export default 1;"),
            ("lumieres.wasm", "\0asm"),
            ("lumieres.css", css),
        ] {
            std::fs::write(root.join("pkg").join(file), text).unwrap();
        }
        root.display().to_string()
    };
    let stylesheet = |page: &crate::helpers::Page| {
        let at = page.body.find("href=\"/pkg/").expect("a stylesheet") + "href=\"".len();
        page.body[at..at + page.body[at..].find('"').unwrap()].to_owned()
    };
    let first = site("body { color: black }");
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| {
        s.site_root = first.clone()
    })
    .await;
    let href = stylesheet(&app.get("/persons/raif-badawi").await);
    let version = href
        .trim_start_matches("/pkg/")
        .trim_end_matches("/lumieres.css");
    assert!(
        version.len() == 12 && version.chars().all(|c| c.is_ascii_hexdigit()),
        "{href}"
    );
    let css = app.raw_get(&href, &[]).await;
    assert_eq!(css.status(), 200);
    assert_eq!(
        css.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(css.text().await.unwrap(), "body { color: black }");
    let missing = app
        .raw_get(&format!("/pkg/{version}/nothing.js"), &[])
        .await;
    assert_eq!(missing.status(), 404);
    assert!(
        missing.headers().get("cache-control").is_none(),
        "a missing file is not kept for a year"
    );
    app.teardown().await;

    let second = site("body { color: navy }");
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| {
        s.site_root = second.clone()
    })
    .await;
    assert_ne!(
        stylesheet(&app.get("/persons/raif-badawi").await),
        href,
        "a new bundle, a new address"
    );
    app.teardown().await;
    for root in [first, second] {
        let _ = std::fs::remove_dir_all(root);
    }
}
