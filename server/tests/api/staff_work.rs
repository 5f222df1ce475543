//! Staff at work over real HTTP, on both backends: authorisation of every
//! server function, adopting a case, support actions and their CSV, status
//! updates from draft to public timeline with mail to signers, accounts, and
//! the audit log written with every change.
use crate::helpers::{count, post_as, record_consent, sql, staff_member, TestApp, PASSWORD};
use crate::on_both_backends;
use app::domain::{Permission, Role};

/// Server functions anyone may call, by path prefix (functions without an
/// explicit endpoint get a hash after their name). A new one outside
/// `/api/staff/` fails the test below until it is listed here on purpose.
const PUBLIC: &[&str] = &[
    "/api/home_data",
    "/api/list_persons",
    "/api/list_actions",
    "/api/search",
    "/api/get_person",
    "/api/get_municipality",
    "/api/get_rights_category",
    "/api/get_support_action",
    "/api/country_choices",
    "/api/privacy_terms",
    "/api/open_data_terms",
    "/api/signature_by_token",
    "/api/current_staff_user",
    "/api/sign",
    "/api/confirm-signature",
    "/api/withdraw-signature",
    "/api/login",
    "/api/logout",
    "/api/password_link",
    "/api/password/set",
    "/api/password/forgot",
    "/api/news_subscription",
    "/api/accessibility/feedback",
    "/api/my-data/ask",
    "/api/my-data/held",
    "/api/my-data/erase",
    "/api/follow",
    "/api/follow_by_token",
    "/api/confirm-follow",
];

/// Every staff function: what it does in the policy's words (so the roles
/// allowed are the policy's, `Permission::roles`), and arguments that get
/// past argument parsing (so that the refusal seen is the authorisation's,
/// not a 400).
const STAFF: &[(&str, Permission, &str)] = &[
    ("/api/staff/accounts", Permission::ManageAccounts, ""),
    (
        "/api/staff/create-account",
        Permission::ManageAccounts,
        "lang=en&email=x%40example.org&name=X&role=comms",
    ),
    (
        "/api/staff/change-account",
        Permission::ManageAccounts,
        "lang=en&account=1&change=disable",
    ),
    (
        "/api/staff/set-translator-languages",
        Permission::ManageAccounts,
        "lang=en&account=1&languages[]=nl",
    ),
    ("/api/staff/audit", Permission::ReadAuditLog, ""),
    ("/api/staff/data-requests", Permission::ReadDataRequests, ""),
    (
        "/api/staff/municipalities",
        Permission::ManageMunicipalities,
        "",
    ),
    (
        "/api/staff/set-municipality-languages",
        Permission::ManageMunicipalities,
        "lang=en&municipality=brussels&fr=required&nl=required&en=optional",
    ),
    ("/api/staff/own-account", Permission::ChangeOwnPassword, ""),
    ("/api/staff/second-factor/start", Permission::ChangeOwnPassword, "lang=en"),
    (
        "/api/staff/second-factor/confirm",
        Permission::ChangeOwnPassword,
        "lang=en&code=000000",
    ),
    ("/api/staff/second-factor/recovery-codes", Permission::ChangeOwnPassword, "lang=en"),
    ("/api/staff/second-factor/remove", Permission::ChangeOwnPassword, "lang=en"),
    ("/api/staff/passkey/start", Permission::ChangeOwnPassword, "name=x"),
    (
        "/api/staff/passkey/add",
        Permission::ChangeOwnPassword,
        "lang=en&credential=x&name=x",
    ),
    ("/api/staff/passkey/remove", Permission::ChangeOwnPassword, "lang=en&id=0"),
    (
        "/api/staff/undo-delivery",
        Permission::UndoDeliveries,
        "lang=en&action=solidarity-with-vahid-afkari",
    ),
    (
        "/api/staff/change-password",
        Permission::ChangeOwnPassword,
        "lang=en&current_password=x&new_password=y&repeat_password=y",
    ),
    (
        "/api/staff/save-consent",
        Permission::RecordConsent,
        // No such person: an administrator records consent only for a case
        // no municipality holds, and every demo case is held.
        "lang=en&person=nobody-example&given_by=family&given_on=2026-01-01&risk=low&review_on=2027-06-01",
    ),
    (
        "/api/staff/take-down",
        Permission::TakeDownCases,
        "lang=en&person=vahid-afkari&reason=&confirm=",
    ),
    (
        "/api/staff/undo-take-down",
        Permission::UndoTakeDowns,
        "lang=en&person=vahid-afkari",
    ),
    ("/api/staff/adoption-requests", Permission::DecideAdoptions, ""),
    (
        "/api/staff/decide-adoption",
        Permission::DecideAdoptions,
        "lang=en&request=1&decision=refuse",
    ),
    ("/api/staff/persons", Permission::ReadCases, "lang=en"),
    (
        "/api/staff/person",
        Permission::ReadCases,
        "lang=en&slug=vahid-afkari",
    ),
    (
        "/api/staff/adopt-person",
        Permission::ManageCases,
        "lang=en&full_name=Test+Person&adopted_on=2024",
    ),
    (
        "/api/staff/update-person",
        Permission::ManageCases,
        "lang=en&person=vahid-afkari&full_name=Vahid+Afkari",
    ),
    (
        "/api/staff/save-adoption",
        Permission::ManageCases,
        "lang=en&person=vahid-afkari&adopted_on=2022-12-05",
    ),
    (
        "/api/staff/save-support-action",
        Permission::RunActions,
        "lang=en&person=vahid-afkari&action=solidarity-with-vahid-afkari&original_language=en&title_en=T&body_html_en=B&addressee_en=A&goal=10&opens_on=2026-01-01",
    ),
    (
        "/api/staff/support-action",
        Permission::ReadActions,
        "slug=solidarity-with-vahid-afkari",
    ),
    (
        "/api/staff/set-support-action-open",
        Permission::RunActions,
        "lang=en&action=solidarity-with-vahid-afkari",
    ),
    (
        "/api/staff/save-paper-batch",
        Permission::RunActions,
        "lang=en&action=solidarity-with-vahid-afkari&signatures=0",
    ),
    (
        "/api/staff/record-response",
        Permission::RecordOutcomes,
        "lang=en&action=solidarity-with-vahid-afkari",
    ),
    (
        "/api/staff/record-delivery",
        Permission::RecordOutcomes,
        "lang=en&action=solidarity-with-vahid-afkari",
    ),
    ("/api/staff/status-update", Permission::WriteUpdates, "id=1"),
    (
        "/api/staff/new-status-update",
        Permission::WriteUpdates,
        "person=vahid-afkari",
    ),
    (
        "/api/staff/save-status-update",
        Permission::WriteUpdates,
        "lang=en&person=vahid-afkari&occurred_on=2026&original_language=en&title_en=T",
    ),
    (
        "/api/staff/publish-status-update",
        Permission::WriteUpdates,
        "lang=en&update=1",
    ),
    (
        "/api/staff/unpublish-status-update",
        Permission::WriteUpdates,
        "lang=en&update=1",
    ),
    ("/api/staff/feeds", Permission::ReadFeeds, ""),
    ("/api/staff/translations", Permission::WriteUpdates, "language="),
    (
        "/api/staff/translation",
        Permission::WriteUpdates,
        "kind=update&key=1&language=nl",
    ),
    (
        "/api/staff/save-translation",
        Permission::WriteUpdates,
        "lang=en&kind=update&key=1&language=nl&title=Titel",
    ),
    (
        "/api/staff/trust-feed",
        Permission::TrustFeeds,
        "lang=en&feed=1&trusted=true",
    ),
    (
        "/api/staff/follow-feed",
        Permission::ReviewFeeds,
        "lang=en&url=https%3A%2F%2Fpartner.example%2Ffeed&partner=P",
    ),
    (
        "/api/staff/unfollow-feed",
        Permission::ReviewFeeds,
        "lang=en&feed=1",
    ),
    ("/api/staff/feed-inbox", Permission::ReviewFeeds, ""),
    (
        "/api/staff/publish-feed-entry",
        Permission::ReviewFeeds,
        "lang=en&entry=1&person=vahid-afkari&occurred_on=2026&title=T",
    ),
    (
        "/api/staff/dismiss-feed-entry",
        Permission::ReviewFeeds,
        "lang=en&entry=1",
    ),
    // Sent as multipart/form-data, as its form sends it (`call`).
    (
        "/api/staff/portrait",
        Permission::ManageCases,
        "lang=en&person=vahid-afkari&alt_en=A",
    ),
    (
        "/api/staff/remove-portrait",
        Permission::ManageCases,
        "lang=en&person=vahid-afkari",
    ),
];

/// The upload takes its form as a browser sends a form with a file.
const MULTIPART: [&str; 1] = ["/api/staff/portrait"];

/// `body`'s fields as `multipart/form-data`.
fn multipart(body: &str) -> reqwest::multipart::Form {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .fold(reqwest::multipart::Form::new(), |form, (name, value)| {
            form.text(name.to_owned(), value.to_owned())
        })
}

/// A call as a script would make it (no HTML accepted): status codes, not redirects.
async fn call(app: &TestApp, cookie: Option<&str>, path: &str, body: &str) -> u16 {
    let request = app.client.post(format!("{}{path}", app.address));
    let mut request = if MULTIPART.contains(&path) {
        request.multipart(multipart(body))
    } else {
        request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
    };
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap().status().as_u16()
}

on_both_backends! {
    async fn every_staff_server_function_refuses_anonymous_and_wrong_role_calls(app: &TestApp) {
        let registered: Vec<&str> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
        for path in &registered {
            if path.starts_with("/api/staff/") {
                assert!(STAFF.iter().any(|(p, _, _)| p == path), "{path} is a staff function missing from the table");
            } else {
                assert!(PUBLIC.iter().any(|p| path.starts_with(p)), "{path} is neither a staff function nor listed as public");
            }
        }
        for (path, _, _) in STAFF {
            assert!(registered.contains(path), "{path} is in the table but not registered");
        }

        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let council = staff_member(app, "council@brussels.example", Role::Council, Some("brussels")).await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let sessions = [(Role::Admin, &admin), (Role::Council, &council), (Role::Comms, &comms)];
        let audit_before = count(app, "SELECT COUNT(*) FROM audit_log").await;
        for (path, permission, body) in STAFF {
            assert_eq!(call(app, None, path, body).await, 401, "anonymous call to {path}");
            for (role, cookie) in &sessions {
                if !permission.allows(*role) {
                    assert_eq!(call(app, Some(cookie), path, body).await, 403, "{role:?} calling {path}");
                }
            }
            // A browser's form post without a session goes to the login page.
            let request = app.client.post(format!("{}{path}", app.address));
            let request = if MULTIPART.contains(path) {
                request.multipart(multipart(body))
            } else {
                request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.to_string())
            };
            let page = request
                .header("accept", "text/html")
                .header("referer", format!("{}/staff/persons", app.address))
                .send()
                .await
                .unwrap();
            assert_eq!(page.status().as_u16(), 302, "{path}");
            let location = page.headers().get("location").unwrap().to_str().unwrap();
            assert_eq!(location, "/staff/login?next=%2Fstaff%2Fpersons", "{path}");
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log").await, audit_before, "refused calls change nothing");

        for (path, permission, body) in STAFF {
            for (role, cookie) in &sessions {
                if permission.allows(*role) {
                    let status = call(app, Some(cookie), path, body).await;
                    assert!(status != 401 && status != 403, "{role:?} may call {path}, got {status}");
                }
            }
        }
        // Arguments the function cannot even read are the caller's mistake: 400, not 500.
        assert_eq!(call(app, Some(&comms), "/api/staff/unfollow-feed", "lang=en&feed=abc").await, 400);
        assert_eq!(call(app, Some(&comms), "/api/staff/dismiss-feed-entry", "lang=en").await, 400);
    }

    async fn a_council_member_adopts_a_person_who_appears_on_the_public_list(app: &TestApp) {
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let page = app.get_with("/staff/persons", &[("cookie", &council)]).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Vahid Afkari"));

        // A bad form comes back with the values and a message per field; nothing is stored.
        let persons_before = count(app, "SELECT COUNT(*) FROM persons").await;
        let refused = post_as(app, &council, "/api/staff/adopt-person", "/staff/persons", &[
            ("lang", "en"), ("full_name", "Narges Example"), ("adopted_on", "5 December"),
            ("original_language", "en"), ("summary_en", "<p>Kept</p>"), ("country", "ZZ"), ("is_public", "on"),
        ]).await;
        let back = refused.location().unwrap();
        assert_eq!(back.trim_end_matches('?'), format!("{}/staff/persons", app.address), "back to the form");
        assert_eq!(count(app, "SELECT COUNT(*) FROM persons").await, persons_before);
        let again = app.get_with("/staff/persons", &[("cookie", &council)]).await;
        assert_eq!(again.attr("#person-full_name", "value").as_deref(), Some("Narges Example"));
        assert_eq!(again.texts("#person-adopted_on-error"), ["Write a date as 2022, 2022-12 or 2022-12-05."]);
        assert_eq!(again.texts("#person-country-error"), ["Choose one of the options."]);
        assert_eq!(again.attr("#person-adopted_on", "aria-invalid").as_deref(), Some("true"));
        let shown_once = app.get_with("/staff/persons", &[("cookie", &council)]).await;
        assert!(shown_once.texts("#person-adopted_on-error").is_empty(), "the flash is shown once");

        let person = [
            ("lang", "en"), ("full_name", "Narges Example"), ("aliases", "N. Example\nNarges Ex."),
            ("country", "IR"), ("original_language", "en"), ("summary_fr", "<p>Défenseuse</p>"), ("summary_nl", "<p>Verdedigster</p>"),
            ("summary_en", "<p onclick=\"x()\">Defender <script>alert(1)</script><a href=\"javascript:x\">bad</a> <a href=\"https://www.amnesty.org\">link</a></p>"),
            ("rights[]", "assembly-and-association"), ("rights[]", "gender-equality"), ("is_public", "on"),
        ];
        let adoption = [("adopted_on", "2026-11"), ("decision_reference", "CC 2026/123"), ("note", "Unanimous")];
        // Public before consent is on record: refused, next to the box (issue 29).
        let mut adopting = [&person[..], &adoption[..]].concat();
        post_as(app, &council, "/api/staff/adopt-person", "/staff/persons", &adopting).await;
        assert_eq!(count(app, "SELECT COUNT(*) FROM persons").await, persons_before);
        let again = app.get_with("/staff/persons", &[("cookie", &council)]).await;
        assert!(again.texts("#person-is_public-error")[0].starts_with("Consent to publish this person’s name is not on record"));
        assert_eq!(again.attr("#person-is_public", "aria-invalid").as_deref(), Some("true"));
        // A draft, consent recorded, then public.
        adopting.retain(|(name, _)| *name != "is_public");
        let adopted = post_as(app, &council, "/api/staff/adopt-person", "/staff/persons", &adopting).await;
        assert_eq!(adopted.status, 302);
        assert_eq!(adopted.location().as_deref(), Some("/staff/persons/narges-example"));
        assert!(!app.get("/persons").await.body.contains("Narges Example"), "a draft");
        let staff_page = app.get_with("/staff/persons/narges-example", &[("cookie", &council)]).await;
        assert_eq!(staff_page.texts(".notice"), ["Adopted. The person is on the public site if you ticked “Show on the public site”."]);
        record_consent(app, &council, "narges-example", &["name", "story", "location"]).await;
        let mut publishing = person.to_vec();
        publishing.push(("person", "narges-example"));
        let published = post_as(app, &council, "/api/staff/update-person", "/staff/persons/narges-example", &publishing).await;
        assert_eq!(published.location().as_deref(), Some("/staff/persons/narges-example"));
        let public = app.get("/persons").await;
        assert!(public.body.contains("Narges Example"), "the person is on the public list");
        let person = app.get("/persons/narges-example").await;
        assert_eq!(person.status, 200);
        assert!(person.body.contains("/rights/assembly-and-association") && person.body.contains("/rights/gender-equality"));
        assert!(!person.body.contains("<script>alert") && !person.body.contains("onclick") && !person.body.contains("javascript:"));
        assert!(person.body.contains(r#"<a href="https://www.amnesty.org" rel="noopener noreferrer">link</a>"#), "{}", person.body);
        let staff_page = app.get_with("/staff/persons/narges-example", &[("cookie", &council)]).await;
        assert_eq!(staff_page.attr("#adoption-decision_reference", "value").as_deref(), Some("CC 2026/123"));
        assert!(staff_page.body.contains("N. Example\nNarges Ex."), "aliases shown for editing");

        // The same slug twice: a message, not a second person.
        let twice = post_as(app, &council, "/api/staff/adopt-person", "/staff/persons", &[
            ("lang", "en"), ("full_name", "Narges Example"), ("adopted_on", "2026"),
        ]).await;
        assert_eq!(twice.status, 302);
        let page = app.get_with("/staff/persons", &[("cookie", &council)]).await;
        assert_eq!(page.texts("#person-slug-error"), ["This web address is taken already: choose another."]);

        let audit: Vec<(String, String, Option<String>)> = {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query_as(
                "SELECT action, record_type, after_json FROM audit_log WHERE user_id IS NOT NULL AND record_type <> 'user' ORDER BY id"
            ).fetch_all(pool).await).unwrap()
        };
        let actions: Vec<&str> = audit.iter().map(|(a, _, _)| a.as_str()).collect();
        assert_eq!(actions, ["person.create", "adoption.create", "consent.create", "person.update"]);
        assert!(audit[0].2.as_deref().unwrap().contains("\"aliases\":[\"N. Example\",\"Narges Ex.\"]"), "{:?}", audit[0].2);
        assert!(audit[1].2.as_deref().unwrap().contains("CC 2026/123"));
    }

    /// Two cities adopting one public case nobody adopted, at the same
    /// moment: one adopts it, the other's becomes a request (issue 28, N6).
    async fn two_cities_adopting_one_case_at_once_do_not_both_adopt_it(app: &TestApp) {
        use app::on_pool;
        on_pool!(&app.store.db, |pool| sqlx::query("INSERT INTO municipalities (slug, name, country_code) VALUES ('liege', 'Liège', 'BE')").execute(pool).await.map(|_| ())).unwrap();
        let brussels = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let liege = staff_member(app, "jo@liege.example", Role::Council, Some("liege")).await;
        let rounds: i64 = 8;
        for round in 0..rounds {
            let slug = format!("open-person-{round}");
            on_pool!(&app.store.db, |pool| sqlx::query("INSERT INTO persons (slug, full_name, is_public) VALUES ($1, 'Open Person', TRUE)")
                .bind(&slug).execute(pool).await.map(|_| ())).unwrap();
            let page = format!("/staff/persons/{slug}");
            let adopt = |cookie: &str| {
                let (cookie, slug, page) = (cookie.to_owned(), slug.clone(), page.clone());
                async move {
                    post_as(app, &cookie, "/api/staff/save-adoption", &page, &[
                        ("lang", "en"), ("person", &slug), ("adopted_on", "2026-03"),
                    ]).await.status
                }
            };
            let (a, b) = tokio::join!(adopt(&brussels), adopt(&liege));
            assert_eq!((a, b), (302, 302));
        }
        let adopted_twice = "SELECT COUNT(*) FROM (SELECT person_id FROM adoptions GROUP BY person_id HAVING COUNT(*) > 1) twice";
        assert_eq!(count(app, adopted_twice).await, 0, "no case adopted by both");
        let open = "SELECT COUNT(*) FROM adoptions a JOIN persons p ON p.id = a.person_id WHERE p.slug LIKE 'open-person-%'";
        assert_eq!(count(app, open).await, rounds);
        assert_eq!(count(app, "SELECT COUNT(*) FROM adoption_requests WHERE state = 'pending'").await, rounds, "the other city asked");
    }

    /// A city that stops campaigning ends its adoption: the case says
    /// "adopted from … to …", the city no longer edits it, and another city
    /// may then adopt it without asking; taking it up again asks, as a new
    /// adoption would (issue 28, N6).
    async fn a_council_ends_its_adoption_and_the_case_tells_from_when_to_when(app: &TestApp) {
        use app::on_pool;
        on_pool!(&app.store.db, |pool| sqlx::query("INSERT INTO municipalities (slug, name, country_code) VALUES ('liege', 'Liège', 'BE')").execute(pool).await.map(|_| ())).unwrap();
        let brussels = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let liege = staff_member(app, "jo@liege.example", Role::Council, Some("liege")).await;
        let page = "/staff/persons/vahid-afkari";
        let save = |cookie: &str, ended_on: &str| {
            let (cookie, ended_on) = (cookie.to_owned(), ended_on.to_owned());
            async move {
                post_as(app, &cookie, "/api/staff/save-adoption", page, &[
                    ("lang", "en"), ("person", "vahid-afkari"), ("adopted_on", "2022-12-05"), ("ended_on", &ended_on),
                ]).await
            }
        };
        let brussels_lasting = "SELECT COUNT(*) FROM adoptions a JOIN persons p ON p.id = a.person_id
            JOIN municipalities m ON m.id = a.municipality_id
            WHERE p.slug = 'vahid-afkari' AND m.slug = 'brussels' AND a.ended_year IS NULL";
        // A date to come, or before the adoption, is refused next to the field.
        for (ended_on, problem) in [
            ("2099-01", "This date is still to come: end the adoption once the council decided it."),
            ("2022-11", "This is before the adoption began."),
        ] {
            assert_eq!(save(&brussels, ended_on).await.status, 302);
            let form = app.get_with(page, &[("cookie", &brussels)]).await;
            assert_eq!(form.texts("#adoption-ended_on-error"), [problem]);
            assert_eq!(count(app, brussels_lasting).await, 1, "{ended_on} changes nothing");
        }
        // A city cannot end what it never adopted, nor ask to.
        assert_eq!(save(&liege, "2026-11").await.status, 302);
        let form = app.get_with(page, &[("cookie", &liege)]).await;
        assert_eq!(form.texts("#adoption-ended_on-error"), ["Your municipality has not adopted this person: there is no adoption to end."]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM adoption_requests").await, 0);
        // While Brussels holds the case, Liège can only ask.
        assert_eq!(save(&liege, "").await.status, 302);
        assert_eq!(count(app, "SELECT COUNT(*) FROM adoption_requests WHERE state = 'pending'").await, 1);

        assert_eq!(save(&brussels, "2026-11").await.location().as_deref(), Some(page));
        assert_eq!(count(app, brussels_lasting).await, 0);
        let ended: Vec<String> = on_pool!(&app.store.db, |pool| sqlx::query_scalar(
            "SELECT action FROM audit_log WHERE record_type = 'adoption' ORDER BY id"
        ).fetch_all(pool).await).unwrap();
        assert_eq!(ended, ["adoption.end"]);

        // The public page tells the history; the lists name only those who hold the case.
        let public = app.get("/persons/vahid-afkari").await;
        let adoption = public.texts("ul.adoptions li").join(" | ");
        assert!(adoption.contains("City of Brussels · adopted from 5 December 2022 to November 2026"), "{adoption}");
        assert!(public.body.contains(r#"<time datetime="2026-11">"#));
        assert!(public.body.contains(r#""sponsor":[]"#), "no sponsor any more in the structured data");
        let french = app.get("/fr/persons/vahid-afkari").await;
        assert!(french.texts("ul.adoptions li").join(" ").contains("adoption 5 décembre 2022 – novembre 2026"), "{:?}", french.texts("ul.adoptions li"));
        let place = app.get("/municipalities/brussels").await;
        assert!(place.texts("ul.adopted-persons li").iter().any(|t| t == "Vahid Afkari · adopted from 5 December 2022 to November 2026"), "{:?}", place.texts("ul.adopted-persons li"));
        let adopted_by_brussels = app.get("/persons?municipality=brussels").await;
        assert_eq!(adopted_by_brussels.status, 200);
        let held: Vec<String> = adopted_by_brussels.html()
            .select(&scraper::Selector::parse("li.person-card").unwrap())
            .filter_map(|card| card.value().attr("data-person").map(str::to_owned))
            .collect();
        assert_eq!(held.len(), 4, "the filter picks the cases Brussels holds: {held:?}");
        assert!(!held.contains(&"vahid-afkari".to_owned()));
        let api: serde_json::Value = serde_json::from_str(&app.get("/api/v1/persons/vahid-afkari").await.body).unwrap();
        assert_eq!(api["adoptions"][0]["ended_on"], "2026-11");
        assert_eq!(api["adoptions"][0]["decided_on"], "2022-12-05");
        let detail: serde_json::Value = serde_json::from_str(&app.get("/api/v1/municipalities/brussels").await.body).unwrap();
        let vahid = detail["adoptions"].as_array().unwrap().iter().find(|a| a["person"] == "vahid-afkari").unwrap().clone();
        assert_eq!(vahid["ended_on"], "2026-11");
        let listing: serde_json::Value = serde_json::from_str(&app.get("/api/v1/municipalities").await.body).unwrap();
        let brussels_listing = listing["items"].as_array().unwrap().iter().find(|m| m["slug"] == "brussels").unwrap().clone();
        assert_eq!(brussels_listing["adopted_persons"], 4);

        // Brussels no longer edits the case, and its staff page says why.
        let edit = call(app, Some(&brussels), "/api/staff/update-person", "lang=en&person=vahid-afkari&full_name=Changed").await;
        assert_eq!(edit, 403);
        let desk = app.get_with(page, &[("cookie", &brussels)]).await;
        assert!(desk.texts("p.hint").iter().any(|t| t.starts_with("Your municipality’s adoption of this person ended")), "{:?}", desk.texts("p.hint"));
        assert_eq!(desk.attr("#adoption-ended_on", "value").as_deref(), Some("2026-11"));

        // Nobody holds the public case now: Liège adopts it at once.
        let liege_adopts = post_as(app, &liege, "/api/staff/save-adoption", page, &[
            ("lang", "en"), ("person", "vahid-afkari"), ("adopted_on", "2026-12"),
        ]).await;
        assert_eq!(liege_adopts.status, 302);
        // Its earlier request is overtaken: approved later, it would rewrite this adoption.
        assert_eq!(count(app, "SELECT COUNT(*) FROM adoption_requests WHERE state = 'pending'").await, 0);
        assert_eq!(count(app, "SELECT COUNT(*) FROM adoption_requests WHERE state = 'withdrawn'").await, 1);
        let liege_lasting = "SELECT COUNT(*) FROM adoptions a JOIN municipalities m ON m.id = a.municipality_id
            WHERE m.slug = 'liege' AND a.ended_year IS NULL";
        assert_eq!(count(app, liege_lasting).await, 1);
        // Brussels taking it up again is now a request, its adoption still ended.
        assert_eq!(save(&brussels, "").await.status, 302);
        assert_eq!(count(app, brussels_lasting).await, 0);
        assert_eq!(count(app, "SELECT COUNT(*) FROM adoption_requests WHERE state = 'pending'").await, 1);
        let desk = app.get_with(page, &[("cookie", &brussels)]).await;
        assert!(desk.texts(".notice")[0].starts_with("Your municipality’s adoption is now a request"), "{:?}", desk.texts(".notice"));
        // Approved, it lasts again beside Liège's.
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let request: i64 = on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM adoption_requests WHERE state = 'pending'").fetch_one(pool).await).unwrap();
        let decided = post_as(app, &admin, "/api/staff/decide-adoption", "/staff/requests", &[
            ("lang", "en"), ("request", &request.to_string()), ("decision", "approve"),
        ]).await;
        assert_eq!(decided.status, 302);
        assert_eq!(count(app, brussels_lasting).await, 1);
        let audited: Vec<String> = on_pool!(&app.store.db, |pool| sqlx::query_scalar(
            "SELECT action FROM audit_log WHERE record_type = 'adoption' ORDER BY id"
        ).fetch_all(pool).await).unwrap();
        assert_eq!(audited, ["adoption.end", "adoption.create", "adoption.resume"]);
    }

    async fn a_council_member_cannot_take_over_another_municipalitys_case(app: &TestApp) {
        let brussels = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query("INSERT INTO municipalities (slug, name, country_code) VALUES ('liege', 'Liège', 'BE')").execute(pool).await.map(|_| ())).unwrap();
        }
        let liege = staff_member(app, "jo@liege.example", Role::Council, Some("liege")).await;
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let action = "solidarity-with-vahid-afkari";
        let action_page = format!("/staff/actions/{action}");
        let csv_path = format!("{action_page}/signatures.csv");
        let liege_adoptions = "SELECT COUNT(*) FROM adoptions a JOIN municipalities m ON m.id = a.municipality_id WHERE m.slug = 'liege'";
        // Editing the person, or running Brussels' actions, needs Brussels.
        let edit = call(app, Some(&liege), "/api/staff/update-person", "lang=en&person=vahid-afkari&full_name=Changed").await;
        assert_eq!(edit, 403);
        assert_eq!(call(app, Some(&liege), "/api/staff/set-support-action-open", &format!("lang=en&action={action}")).await, 403);
        assert_eq!(post_as(app, &liege, &csv_path, &action_page, &[]).await.status, 403);

        // Adopting a person Brussels adopted is a request, not an adoption.
        let asked = post_as(app, &liege, "/api/staff/save-adoption", "/staff/persons/vahid-afkari", &[
            ("lang", "en"), ("person", "vahid-afkari"), ("adopted_on", "2026-01-15"), ("decision_reference", "Liège 1"),
        ]).await;
        assert_eq!(asked.location().as_deref(), Some("/staff/persons/vahid-afkari"));
        assert_eq!(count(app, liege_adoptions).await, 0);
        let page = app.get_with("/staff/persons/vahid-afkari", &[("cookie", &liege)]).await;
        assert!(page.texts(".notice")[0].starts_with("Your municipality’s adoption is now a request"), "{:?}", page.texts(".notice"));
        assert!(!app.get("/persons/vahid-afkari").await.body.contains("Liège"), "not adopted yet");
        // So is adopting a case that is not public, even one nobody adopted.
        {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query("INSERT INTO persons (slug, full_name, is_public) VALUES ('hidden-person', 'Hidden Person', FALSE)").execute(pool).await.map(|_| ())).unwrap();
            on_pool!(&app.store.db, |pool| sqlx::query("INSERT INTO persons (slug, full_name, is_public) VALUES ('open-person', 'Open Person', TRUE)").execute(pool).await.map(|_| ())).unwrap();
        }
        post_as(app, &liege, "/api/staff/save-adoption", "/staff/persons/hidden-person", &[
            ("lang", "en"), ("person", "hidden-person"), ("adopted_on", "2026-02"),
        ]).await;
        assert_eq!(count(app, liege_adoptions).await, 0);
        assert_eq!(count(app, "SELECT COUNT(*) FROM adoption_requests WHERE state = 'pending'").await, 2);
        // A public person nobody adopted is adopted at once.
        post_as(app, &liege, "/api/staff/save-adoption", "/staff/persons/open-person", &[
            ("lang", "en"), ("person", "open-person"), ("adopted_on", "2026-03"),
        ]).await;
        assert_eq!(count(app, liege_adoptions).await, 1);

        // The administrator decides: Vahid Afkari approved, the hidden case refused.
        let requests = app.get_with("/staff/requests", &[("cookie", &admin)]).await;
        assert_eq!(requests.status, 200);
        assert_eq!(requests.texts(".adoption-request h2"), ["Liège · Vahid Afkari", "Liège · Hidden Person"]);
        assert_eq!(app.get_with("/staff/requests", &[("cookie", &liege)]).await.status, 403);
        let ids: Vec<i64> = {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM adoption_requests ORDER BY id").fetch_all(pool).await).unwrap()
        };
        let decide = |id: i64, decision: &'static str| {
            let id = id.to_string();
            let admin = admin.clone();
            async move {
                post_as(app, &admin, "/api/staff/decide-adoption", "/staff/requests", &[("lang", "en"), ("request", &id), ("decision", decision)]).await
            }
        };
        assert_eq!(decide(ids[0], "approve").await.location().as_deref(), Some("/staff/requests"));
        decide(ids[1], "refuse").await;
        assert_eq!(count(app, liege_adoptions).await, 2, "the approved one is recorded, the refused one not");
        assert!(app.get("/persons/vahid-afkari").await.body.contains("Liège"), "now adopted by two municipalities");
        let audit: Vec<String> = {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT action FROM audit_log WHERE record_type = 'adoption_request' ORDER BY id").fetch_all(pool).await).unwrap()
        };
        assert_eq!(audit, ["adoption_request.create", "adoption_request.create", "adoption_request.approve", "adoption_request.refuse"]);

        // Adopted, Liège may edit the person; Brussels' action stays Brussels'.
        let edit = call(app, Some(&liege), "/api/staff/update-person", "lang=en&person=vahid-afkari&full_name=Vahid+Afkari").await;
        assert!(edit != 401 && edit != 403, "{edit}");
        assert_eq!(call(app, Some(&liege), "/api/staff/set-support-action-open", &format!("lang=en&action={action}")).await, 403);
        let form = format!("lang=en&person=vahid-afkari&action={action}&original_language=en&title_en=Taken&body_html_en=B&addressee_en=A&goal=10&opens_on=2026-01-01");
        assert_eq!(call(app, Some(&liege), "/api/staff/save-support-action", &form).await, 403);
        assert_eq!(post_as(app, &liege, &csv_path, &action_page, &[]).await.status, 403);
        assert_eq!(app.get_with(&action_page, &[("cookie", &liege)]).await.texts("form.staff-form").len(), 0, "no edit form for Liège");
        // Brussels, and an administrator, still run it.
        assert_eq!(post_as(app, &brussels, &csv_path, &action_page, &[]).await.status, 200);
        assert_eq!(post_as(app, &admin, &csv_path, &action_page, &[]).await.status, 200);
    }

    async fn a_council_member_runs_a_support_action_and_exports_its_signatures(app: &TestApp) {
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let opened = post_as(app, &council, "/api/staff/save-support-action", "/staff/persons/vahid-afkari", &[
            ("lang", "en"), ("person", "vahid-afkari"), ("action", ""), ("slug", "free-vahid-now"),
            ("original_language", "en"), ("title_en", "Free Vahid now"), ("body_html_en", "<p>Write to the authorities.</p>"),
            ("addressee_en", "The Head of the Judiciary"), ("goal", "500"), ("opens_on", "2026-01-01"), ("closes_on", ""),
            ("translations_to_follow", "1"),
        ]).await;
        assert_eq!(opened.location().as_deref(), Some("/staff/actions/free-vahid-now"));
        let public = app.get("/actions/free-vahid-now").await;
        assert_eq!(public.status, 200);
        assert!(public.body.contains("Free Vahid now"));

        let bad = post_as(app, &council, "/api/staff/save-support-action", "/staff/actions/free-vahid-now", &[
            ("lang", "en"), ("person", "vahid-afkari"), ("action", "free-vahid-now"),
            ("original_language", "en"), ("title_en", "Free Vahid now"), ("body_html_en", "<p>x</p>"), ("addressee_en", "A"),
            ("goal", "0"), ("opens_on", "2026-02-01"), ("closes_on", "2026-01-01"),
        ]).await;
        assert_eq!(bad.status, 302);
        let page = app.get_with("/staff/actions/free-vahid-now", &[("cookie", &council)]).await;
        assert_eq!(page.texts("#support-action-goal-error"), ["Write a whole number of at least 1."]);
        assert_eq!(page.texts("#support-action-closes_on-error"), ["The closing date comes before the opening date."]);

        // Signatures of the demo action, confirmed, then exported.
        let csv_path = "/staff/actions/solidarity-with-vahid-afkari/signatures.csv";
        let page = "/staff/actions/solidarity-with-vahid-afkari";
        let csv = post_as(app, &council, csv_path, page, &[]).await;
        assert_eq!(csv.status, 200);
        assert_eq!(csv.headers.get("content-type").unwrap(), "text/csv; charset=utf-8");
        assert!(csv.body.starts_with("name,municipality_or_postcode,country,confirmed_at"));
        // Personal data leaves only on a POST from our own pages: a link or an
        // image on another site cannot make a logged-in browser download it.
        assert_eq!(app.get_with(csv_path, &[("cookie", &council)]).await.status, 405);
        let exports_before = count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'support_action.export'").await;
        let forged = app.post_with(csv_path, &[], &[("cookie", &council), ("origin", "https://evil.example"), ("accept", "text/html")]).await;
        assert_eq!(forged.status, 403);
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'support_action.export'").await, exports_before);
        let anonymous = app.post_form(csv_path, page, &[]).await;
        assert_eq!(anonymous.status, 302);
        assert_eq!(anonymous.location().as_deref(), Some("/staff/login?next=%2Fstaff%2Factions%2Fsolidarity-with-vahid-afkari"));

        let closed = post_as(app, &council, "/api/staff/set-support-action-open", "/staff/actions/free-vahid-now", &[
            ("lang", "en"), ("action", "free-vahid-now"), ("open", ""),
        ]).await;
        assert_eq!(closed.location().as_deref(), Some("/staff/actions/free-vahid-now"));
        let page = app.get_with("/staff/actions/free-vahid-now", &[("cookie", &council)]).await;
        assert_eq!(page.texts(".notice"), ["The support action is closed: it takes no more signatures."]);
        let actions: Vec<String> = {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT action FROM audit_log WHERE record_type = 'support_action' ORDER BY id").fetch_all(pool).await).unwrap()
        };
        assert_eq!(actions, ["support_action.create", "support_action.publish_before_translation", "support_action.export", "support_action.close"], "opened in English only, with the translations to follow");
    }

    async fn a_comms_member_publishes_an_update_that_changes_the_status_and_mails_signers(app: &TestApp) {
        // A signer who asked to be kept informed, and one who did not.
        for (email, keep) in [("keep@example.org", "on"), ("quiet@example.org", "")] {
            let signed = app.post_form("/api/sign", "/actions/solidarity-with-vahid-afkari", &[
                ("support_action", "solidarity-with-vahid-afkari"), ("lang", "fr"), ("full_name", "Amélie Dupont"),
                ("email", email), ("place", "1000"), ("country", "BE"), ("consent", "on"), ("show_name", ""),
                ("keep_informed", keep), ("website", ""),
            ]).await;
            assert_eq!(signed.status, 302);
        }
        {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query("UPDATE signatures SET state = 'confirmed', confirmed_at = 1").execute(pool).await.map(|_| ())).unwrap();
        }
        let mail_before = count(app, "SELECT COUNT(*) FROM outbox").await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let saved = post_as(app, &comms, "/api/staff/save-status-update", "/staff/persons/vahid-afkari/updates/new", &[
            ("lang", "en"), ("update", ""), ("person", "vahid-afkari"), ("occurred_on", "2026-11-20"),
            ("status", "released"), ("original_language", "en"), ("title_en", "Released"),
            ("body_html_en", "<p>Released <em>on bail</em><img src=x onerror=alert(1)></p>"),
            ("title_fr", "Libéré"), ("body_html_fr", "<p>Libéré <em>sous caution</em></p>"),
            ("title_nl", "Vrijgelaten"), ("body_html_nl", "<p>Vrijgelaten <em>op borgtocht</em></p>"),
            ("source_title_en", ""), ("source_url", "https://www.amnesty.org/en/"),
        ]).await;
        let location = saved.location().unwrap();
        assert!(location.starts_with("/staff/updates/"), "{location}");
        let public = app.get("/persons/vahid-afkari").await;
        assert!(!public.body.contains("Released"), "a draft is not public");

        let preview = app.get_with(&location, &[("cookie", &comms)]).await;
        assert_eq!(preview.texts(".update-state"), ["Draft: not public"]);
        assert!(preview.body.contains("<p>Released <em>on bail</em></p>"), "sanitized preview");
        assert!(!preview.body.contains("onerror"));

        let id = location.rsplit('/').next().unwrap().to_owned();
        let published = post_as(app, &comms, "/api/staff/publish-status-update", &location, &[("lang", "en"), ("update", &id)]).await;
        assert_eq!(published.location().as_deref(), Some(location.as_str()));
        let public = app.get("/persons/vahid-afkari").await;
        assert!(public.body.contains("Released"), "on the timeline");
        assert!(public.body.contains("on bail"));
        let status: Option<String> = {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query_scalar(
                "SELECT e.status FROM status_events e JOIN persons p ON p.id = e.person_id
                  WHERE p.slug = 'vahid-afkari' AND e.is_published AND e.status IS NOT NULL
                  ORDER BY e.occurred_year DESC, e.occurred_month DESC, e.occurred_day DESC, e.id DESC LIMIT 1"
            ).fetch_one(pool).await).unwrap()
        };
        assert_eq!(status.as_deref(), Some("released"));
        let mails: Vec<(String, String, String)> = app.mails().await.into_iter()
            .map(|m| (m.recipient, m.subject, m.body_text))
            .collect();
        assert_eq!(mails.len() as i64, mail_before + 1, "one mail, to the signer who asked");
        let (to, subject, body) = mails.last().unwrap();
        assert_eq!(to, "keep@example.org");
        assert_eq!(subject, "Vahid Afkari : Libéré", "the news in the signer's language");
        assert!(body.contains("20 novembre 2026 : Libéré\n") && body.contains("/fr/persons/vahid-afkari"), "{body}");

        // Unpublish, publish again: the timeline follows, and nobody is mailed twice.
        post_as(app, &comms, "/api/staff/unpublish-status-update", &location, &[("lang", "en"), ("update", &id)]).await;
        assert!(!app.get("/persons/vahid-afkari").await.body.contains("on bail"));
        post_as(app, &comms, "/api/staff/publish-status-update", &location, &[("lang", "en"), ("update", &id)]).await;
        assert!(app.get("/persons/vahid-afkari").await.body.contains("on bail"));
        assert_eq!(count(app, "SELECT COUNT(*) FROM outbox").await, mail_before + 1);

        let actions: Vec<String> = {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT action FROM audit_log WHERE record_type = 'status_event' ORDER BY id").fetch_all(pool).await).unwrap()
        };
        assert_eq!(actions, ["status_event.create", "status_event.publish", "status_event.unpublish", "status_event.publish"]);

        let bad = post_as(app, &comms, "/api/staff/save-status-update", "/staff/persons/vahid-afkari/updates/new", &[
            ("lang", "fr"), ("update", ""), ("person", "vahid-afkari"), ("occurred_on", ""),
            ("status", "freed"), ("original_language", "fr"), ("title_fr", ""), ("source_url", "javascript:alert(1)"),
        ]).await;
        assert_eq!(bad.status, 302);
        let page = app.get_with("/fr/staff/persons/vahid-afkari/updates/new", &[("cookie", &comms)]).await;
        assert_eq!(page.texts("#status-update-occurred_on-error"), ["Remplissez ce champ."]);
        assert_eq!(page.texts("#status-update-status-error"), ["Choisissez une des options."]);
        assert_eq!(page.texts("#status-update-source_url-error"), ["Écrivez une adresse web commençant par https:// ou http://."]);
    }

    async fn an_administrator_manages_accounts_and_reads_the_audit_log(app: &TestApp) {
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let created = post_as(app, &admin, "/api/staff/create-account", "/staff/accounts", &[
            ("lang", "en"), ("email", "New.Member@Brussels.example"), ("name", "New Member"), ("role", "council"),
            ("municipality", "brussels"),
        ]).await;
        assert_eq!(created.location().as_deref(), Some("/staff/accounts"));
        let page = app.get_with("/staff/accounts", &[("cookie", &admin)]).await;
        assert_eq!(page.texts(".notice"), ["Account created. A one-time link to choose a password was mailed to the new staff member."]);
        assert!(page.body.contains("new.member@brussels.example"));
        // The new member chooses a password through the mailed link (tests/api/passwords.rs).
        let mail: String = app.mails_to("new.member@brussels.example").await.pop().expect("a mail to the new member").body_text;
        let link = mail.split_whitespace().find(|w| w.contains("/staff/password?token=")).unwrap();
        let token = link.split_once("token=").unwrap().1;
        let member = app.post_form("/api/password/set", "/staff/password", &[
            ("token", token), ("new_password", PASSWORD), ("repeat_password", PASSWORD), ("lang", "en"),
        ]).await.cookie("lumieres_session").unwrap();
        // A council member: her account page first, to set up a second factor.
        let persons = app.get_with("/staff/persons", &[("cookie", &member)]).await;
        assert_eq!(persons.location().as_deref(), Some("/staff/account#second-factor"));
        assert_eq!(app.get_with("/staff/account", &[("cookie", &member)]).await.status, 200);

        // Bad input: a message per field, nothing created.
        let users_before = count(app, "SELECT COUNT(*) FROM users").await;
        post_as(app, &admin, "/api/staff/create-account", "/staff/accounts", &[
            ("lang", "en"), ("email", "new.member@brussels.example"), ("name", "Again"), ("role", "comms"),
            ("municipality", "brussels"),
        ]).await;
        let page = app.get_with("/staff/accounts", &[("cookie", &admin)]).await;
        assert_eq!(page.texts("#user-municipality-error"), ["Only council members belong to a municipality."]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM users").await, users_before);

        let id: i64 = {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM users WHERE email = 'new.member@brussels.example'").fetch_one(pool).await).unwrap()
        };
        let id = id.to_string();
        post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &id), ("change", "role"), ("role", "comms"), ("municipality", "")]).await;
        post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &id), ("change", "disable")]).await;
        assert_eq!(app.get_with("/staff/persons", &[("cookie", &member)]).await.status, 302, "a disabled account's session ends");
        let admin_id: i64 = count(app, "SELECT MIN(id) FROM users WHERE role = 'admin'").await;
        let own = call(app, Some(&admin), "/api/staff/change-account", &format!("lang=en&account={admin_id}&change=disable")).await;
        assert_eq!(own, 400, "an administrator cannot lock themselves out");

        let log = app.get_with(&format!("/staff/audit?record_type=user&record_id={id}"), &[("cookie", &admin)]).await;
        assert_eq!(log.status, 200);
        assert_eq!(log.texts("table.audit td code"), ["user.disable", "user.role", "user.password_set", "user.create"]);
        assert!(!log.body.contains("argon2"), "no password hash in the log");
        let by_cli = app.get_with(&format!("/staff/audit?user={admin_id}"), &[("cookie", &admin)]).await;
        // And the administrator's own: setting up a second factor, logging in with a recovery code.
        assert_eq!(by_cli.texts("table.audit td code"), ["user.disable", "user.role", "user.create", "user.recovery_code_used", "user.second_factor_set"]);
        let comms_view = app.get_with("/staff/audit", &[("cookie", &member)]).await;
        assert_eq!(comms_view.status, 302, "disabled: back to the login page");
    }

    async fn only_an_administrator_lets_a_feed_publish_without_review(app: &TestApp) {
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        // The tick box the follow form once had is ignored: a new feed waits for review.
        post_as(app, &comms, "/api/staff/follow-feed", "/staff/feeds", &[
            ("lang", "en"), ("url", "https://partner.example/feed"), ("partner", "Partner"), ("person", ""), ("trusted", "on"),
        ]).await;
        let trusted = || async { count(app, "SELECT COUNT(*) FROM feeds WHERE trusted").await };
        assert_eq!(trusted().await, 0);
        let id = count(app, "SELECT MAX(id) FROM feeds").await.to_string();
        let comms_page = app.get_with("/staff/feeds", &[("cookie", &comms)]).await;
        assert_eq!(comms_page.texts("form[action='/api/staff/trust-feed'] button"), Vec::<String>::new());
        assert_eq!(comms_page.texts(".hint"), [
            "When an entry does not say its language, it is taken to be written in this one.",
            "A new feed's entries wait in the inbox for review. Only an administrator can let a feed publish without review.",
        ]);
        assert_eq!(call(app, Some(&comms), "/api/staff/trust-feed", &format!("lang=en&feed={id}&trusted=true")).await, 403);
        assert_eq!(trusted().await, 0);

        // The administrator sees the feeds (not the follow form) and trusts one; audited.
        let admin_page = app.get_with("/staff/feeds", &[("cookie", &admin)]).await;
        assert_eq!(admin_page.status, 200);
        assert!(admin_page.attr("#follow-feed-url", "name").is_none(), "following is communications' work");
        assert_eq!(admin_page.texts("form[action='/api/staff/trust-feed'] button"), ["Trust: publish its matched entries without review"]);
        post_as(app, &admin, "/api/staff/trust-feed", "/staff/feeds", &[("lang", "en"), ("feed", &id), ("trusted", "true")]).await;
        assert_eq!(trusted().await, 1);
        let page = app.get_with("/staff/feeds", &[("cookie", &admin)]).await;
        assert_eq!(page.texts(".notice"), ["The feed is trusted: what it brings for a person is published without review."]);
        post_as(app, &admin, "/api/staff/trust-feed", "/staff/feeds", &[("lang", "en"), ("feed", &id), ("trusted", "false")]).await;
        assert_eq!(trusted().await, 0);
        let log = app.get_with(&format!("/staff/audit?record_type=feed&record_id={id}"), &[("cookie", &admin)]).await;
        assert_eq!(log.texts("table.audit td code"), ["feed.distrust", "feed.trust", "feed.create"]);
        assert_eq!(call(app, Some(&admin), "/api/staff/trust-feed", "lang=en&feed=999&trusted=true").await, 404);
    }

    async fn staff_and_public_pages_agree_on_a_persons_current_status_and_timeline(app: &TestApp) {
        // A fact dated only "2021" and one dated 10 February 2021. A year sorts
        // before the days in it; PostgreSQL, unlike SQLite, puts a missing month
        // first in a descending order, so a query sorting the raw columns
        // disagreed with the public pages there.
        for (title, status, month, day) in [("Released", "released", Some(2), Some(10)), ("Arrested", "arrested", None, None)] {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query(
                "INSERT INTO status_events (person_id, status, occurred_year, occurred_month, occurred_day, title,
                                            is_published, published_at, updated_at, notified_at)
                 SELECT id, $1, 2021, $2, $3, $4, TRUE, 1, 1, 1 FROM persons WHERE slug = 'vahid-afkari'"
            )
            .bind(status)
            .bind(month)
            .bind(day)
            .bind(title)
            .execute(pool)
            .await
            .map(|_| ()))
            .unwrap();
        }
        let public = app.get("/persons/vahid-afkari").await;
        assert_eq!(public.texts(".person-header .status"), ["Released"]);
        let mut timeline = public.texts(".timeline-event h3");
        assert_eq!(timeline, ["Arrested", "Released"], "oldest first");

        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let list = app.get_with("/staff/persons", &[("cookie", &comms)]).await;
        let row = list.texts("table.staff-table tbody tr").into_iter().find(|r| r.starts_with("Vahid Afkari")).unwrap();
        assert!(row.contains("Released") && !row.contains("Arrested"), "{row}");
        let page = app.get_with("/staff/persons/vahid-afkari", &[("cookie", &comms)]).await;
        let updates: Vec<String> = page
            .texts("ul.staff-updates li")
            .into_iter()
            .map(|item| item.split(": ").nth(1).unwrap().split(" · ").next().unwrap().to_owned())
            .collect();
        timeline.reverse();
        assert_eq!(updates, timeline, "newest first, the public order reversed");
    }

    async fn nobody_is_mailed_about_a_person_who_is_not_public(app: &TestApp) {
        let signed = app.post_form("/api/sign", "/actions/solidarity-with-vahid-afkari", &[
            ("support_action", "solidarity-with-vahid-afkari"), ("lang", "en"), ("full_name", "Amélie Dupont"),
            ("email", "keep@example.org"), ("place", "1000"), ("country", "BE"), ("consent", "on"), ("show_name", ""),
            ("keep_informed", "on"), ("website", ""),
        ]).await;
        assert_eq!(signed.status, 302);
        {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query("UPDATE signatures SET state = 'confirmed', confirmed_at = 1").execute(pool).await.map(|_| ())).unwrap();
            on_pool!(&app.store.db, |pool| sqlx::query("UPDATE persons SET is_public = FALSE WHERE slug = 'vahid-afkari'").execute(pool).await.map(|_| ())).unwrap();
        }
        let mail_before = count(app, "SELECT COUNT(*) FROM outbox").await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let saved = post_as(app, &comms, "/api/staff/save-status-update", "/staff/persons/vahid-afkari/updates/new", &[
            ("lang", "en"), ("update", ""), ("person", "vahid-afkari"), ("occurred_on", "2026-11-20"),
            ("status", "released"), ("original_language", "en"), ("title_en", "Released"), ("source_url", ""),
        ]).await;
        let location = saved.location().unwrap();
        let id = location.rsplit('/').next().unwrap().to_owned();
        let published = post_as(app, &comms, "/api/staff/publish-status-update", &location, &[("lang", "en"), ("update", &id), ("translations_to_follow", "1")]).await;
        assert_eq!(published.location().as_deref(), Some(location.as_str()));
        assert_eq!(count(app, "SELECT COUNT(*) FROM outbox").await, mail_before, "a case that is not public is not announced");
    }

    async fn news_a_signer_asked_for_stops_with_one_click(app: &TestApp) {
        // One address signed two actions for Vahid Afkari, asking for news; another asked too.
        sql(app, "INSERT INTO support_actions (person_id, slug, title, body_html, addressee, goal, opens_on, is_open, municipality_id)
            SELECT person_id, 'second-for-vahid', 'Second', '<p>B</p>', 'A', 10, opens_on, TRUE, municipality_id
              FROM support_actions WHERE slug = 'solidarity-with-vahid-afkari'").await;
        for (action, email) in [("solidarity-with-vahid-afkari", "keep@example.org"), ("second-for-vahid", "Keep@Example.org"), ("second-for-vahid", "other@example.org")] {
            let signed = app.post_form("/api/sign", &format!("/nl/actions/{action}"), &[
                ("support_action", action), ("lang", "nl"), ("full_name", "Amélie Dupont"),
                ("email", email), ("place", "1000"), ("country", "BE"), ("consent", "on"), ("show_name", ""),
                ("keep_informed", "on"), ("website", ""),
            ]).await;
            assert_eq!(signed.status, 302);
        }
        sql(app, "UPDATE signatures SET state = 'confirmed', confirmed_at = 1").await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let publish = |title: &'static str| {
            let comms = comms.clone();
            async move {
                let saved = post_as(app, &comms, "/api/staff/save-status-update", "/staff/persons/vahid-afkari/updates/new", &[
                    ("lang", "en"), ("update", ""), ("person", "vahid-afkari"), ("occurred_on", "2026-11-20"),
                    ("status", ""), ("original_language", "en"), ("title_en", title), ("source_url", ""),
                ]).await;
                let location = saved.location().unwrap();
                let id = location.rsplit('/').next().unwrap().to_owned();
                post_as(app, &comms, "/api/staff/publish-status-update", &location, &[("lang", "en"), ("update", &id), ("translations_to_follow", "1")]).await;
            }
        };
        publish("Trial postponed").await;
        let mails: Vec<(String, String, Option<String>)> = app.mails().await.into_iter()
            .filter(|m| m.subject.ends_with("Trial postponed"))
            .map(|m| (m.recipient, m.body_text, m.list_unsubscribe))
            .collect();
        let recipients: Vec<&str> = mails.iter().map(|(to, _, _)| to.as_str()).collect();
        assert_eq!(recipients, ["keep@example.org", "other@example.org"], "one mail per address");
        let (_, body, one_click) = &mails[0];
        let page_link = body.split_whitespace().find(|w| w.contains("/nl/signatures/unsubscribe?token=")).expect("a link that stops the news, in the signer's language");
        let page_link = page_link.strip_prefix(&app.address).unwrap().to_owned();
        let one_click = one_click.clone().expect("a one-click address for the List-Unsubscribe header");
        let one_click = one_click.strip_prefix(&app.address).unwrap().to_owned();
        assert!(one_click.starts_with("/api/unsubscribe?token="), "{one_click}");

        // Opening the page changes nothing (mail scanners open links).
        let page = app.get(&page_link).await;
        assert_eq!(page.texts(".token-state"), ["Wilt u geen nieuws meer ontvangen over Vahid Afkari? Uw handtekeningen blijven tellen."]);
        assert_eq!(page.headers.get("referrer-policy").unwrap(), "no-referrer");
        assert_eq!(count(app, "SELECT COUNT(*) FROM signatures WHERE keep_informed").await, 3);

        // Another site cannot stop someone's news by making their browser post.
        let forged = app.post_with(&one_click, &[], &[("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")]).await;
        assert_eq!(forged.status, 403);
        assert_eq!(count(app, "SELECT COUNT(*) FROM signatures WHERE keep_informed").await, 3);

        // The address's older signature is anonymised (its action closed long
        // ago): the link, and the retention pass, still serve the other one.
        sql(app, "UPDATE signatures SET name = '', email_hash = 'anonymised:' || id, email_sealed = NULL, keep_informed = FALSE, anonymised = TRUE
                            WHERE id = (SELECT MIN(id) FROM signatures)").await;
        let links = count(app, "SELECT COUNT(*) FROM unsubscribe_links").await;
        app::signing::retention::apply_retention(&app.store.db, 180, app::server::clock::now()).await.unwrap();
        assert_eq!(count(app, "SELECT COUNT(*) FROM unsubscribe_links").await, links, "the address still signs for the person");

        // The mail client's one-click POST (RFC 8058): no Origin, a fixed body.
        let answer = app.client.post(format!("{}{one_click}", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 200);
        assert_eq!(count(app, "SELECT COUNT(*) FROM signatures WHERE keep_informed").await, 1, "the address's signature stops; the other signer's news goes on");
        assert_eq!(count(app, "SELECT COUNT(*) FROM signatures WHERE state = 'confirmed'").await, 3, "the signatures keep counting");
        let page = app.get(&page_link).await;
        assert_eq!(page.texts(".token-state"), ["Gedaan: u ontvangt geen nieuws meer over Vahid Afkari. Uw handtekeningen blijven tellen."]);

        publish("Hearing set").await;
        let second: Vec<String> = app.mails().await.into_iter()
            .filter(|m| m.subject.ends_with("Hearing set"))
            .map(|m| m.recipient)
            .collect();
        assert_eq!(second, ["other@example.org"], "no more news to the address that stopped it");

        // The page's own button, from the other signer's mail; twice answers the same.
        let other: String = app.mails_to("other@example.org").await.pop().expect("a mail to the other signer").body_text;
        let link = other.split_whitespace().find(|w| w.contains("/signatures/unsubscribe?token=")).unwrap().strip_prefix(&app.address).unwrap().to_owned();
        let page = app.get(&link).await;
        let action = page.attr("form.token-form", "action").unwrap();
        assert!(action.starts_with("/api/unsubscribe?token=") && action.ends_with("&lang=nl"), "{action}");
        for _ in 0..2 {
            let done = app.post_form(&action, &link, &[]).await;
            assert_eq!(done.status, 303);
            assert_eq!(done.location().as_deref(), Some(link.as_str()));
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM signatures WHERE keep_informed").await, 0);
        let unknown = app.get("/signatures/unsubscribe?token=nothing").await;
        assert_eq!(unknown.texts(".token-state"), ["This link is not valid, or the data it named has been deleted: no news will be sent with it."]);
        assert_eq!(app.client.post(format!("{}/api/unsubscribe?token=nothing", app.address)).send().await.unwrap().status().as_u16(), 404);

        // Once no signature of an address keeps its personal data, its links go.
        sql(app, "UPDATE signatures SET name = '', email_hash = 'anonymised:' || id, email_sealed = NULL, keep_informed = FALSE, anonymised = TRUE").await;
        app::signing::retention::apply_retention(&app.store.db, 180, app::server::clock::now()).await.unwrap();
        assert_eq!(count(app, "SELECT COUNT(*) FROM unsubscribe_links").await, 0);
    }

    async fn every_staff_page_sends_an_anonymous_visitor_to_the_login_page(app: &TestApp) {
        for path in [
            "/staff", "/staff/accounts", "/staff/audit", "/staff/persons", "/staff/persons/vahid-afkari",
            "/staff/persons/vahid-afkari/updates/new", "/staff/updates/1", "/staff/actions/solidarity-with-vahid-afkari",
            "/staff/feeds", "/staff/inbox", "/fr/staff/persons", "/nl/staff/accounts", "/nl/staff/inbox",
            "/staff/account", "/staff/requests",
        ] {
            let page = app.get(path).await;
            assert_eq!(page.status, 302, "{path}");
            let location = page.location().unwrap();
            let (login, next) = location.split_once("?next=").unwrap();
            assert!(login.ends_with("/staff/login"), "{path} → {location}");
            assert_eq!(next.replace("%2F", "/"), path, "{path}");
        }
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let forbidden = app.get_with("/staff/accounts", &[("cookie", &comms)]).await;
        assert_eq!(forbidden.status, 403);
        assert_eq!(forbidden.texts(".form-problem"), ["Your role does not allow this page."]);
    }
}
