//! Content in every language of the network, over real HTTP on both
//! backends: each page shows a record's text in the page's language, or the
//! original marked with its `lang` and a visible note.
use crate::helpers::{count, post_as, record_consent, staff_member, TestApp};
use crate::on_both_backends;
use app::domain::Role;
use app::i18n::Locale;
use app::on_pool;
use app::records::translations::{Field, NewTranslation, Translations};

/// Every element of a page's content (not the language switcher, which names
/// each language in itself) that says it is in another language: the
/// fallbacks, as (lang, text).
fn marked_originals(page: &crate::helpers::Page) -> Vec<(String, String)> {
    let selector = scraper::Selector::parse("main [lang]").unwrap();
    page.html()
        .select(&selector)
        .map(|e| {
            let text = e
                .text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            (e.value().attr("lang").unwrap().to_owned(), text)
        })
        .collect()
}

/// Writes a published status event of Loujain al-Hathloul written in French.
async fn french_event(app: &TestApp) -> i64 {
    on_pool!(&app.store.db, |pool| sqlx::query_scalar(
        "INSERT INTO status_events (person_id, status, occurred_year, occurred_month, occurred_day, title, body_html,
                                    is_published, original_language)
         SELECT id, NULL, 2026, 11, 30, 'Audience reportée', '<p>Le tribunal a reporté l’audience.</p>', TRUE, 'fr'
           FROM persons WHERE slug = 'loujain-al-hathloul'
         RETURNING id"
    )
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn translate(
    app: &TestApp,
    field: Field,
    record_id: i64,
    language: Locale,
    text: &str,
) -> bool {
    let translation = NewTranslation {
        field,
        record_id,
        language,
        text,
        by: None,
    };
    on_pool!(&app.store.db, |pool| {
        let mut conn = pool.acquire().await.unwrap();
        conn.save_translation(&translation, 0).await
    })
    .unwrap()
}

on_both_backends! {
    async fn the_demo_cases_read_in_french_dutch_and_english(app: &TestApp) {
        let path = "/persons/loujain-al-hathloul";
        let fr = app.get(&format!("/fr{path}")).await;
        assert_eq!(fr.texts(".timeline-event h3"), ["Première arrestation", "Détenue", "Condamnée à 5 ans et 8 mois de prison", "Libérée"]);
        assert_eq!(fr.texts(".summary"), ["Militante saoudienne des droits des femmes."]);
        assert_eq!(fr.texts(".timeline-event .source").first().map(String::as_str), Some("Source : Ville de Bruxelles, « Solidarité internationale »"));
        let nl = app.get(&format!("/nl{path}")).await;
        assert_eq!(nl.texts(".timeline-event h3"), ["Voor het eerst gearresteerd", "Gedetineerd", "Veroordeeld tot 5 jaar en 8 maanden cel", "Vrijgelaten"]);
        let en = app.get(path).await;
        assert_eq!(en.texts(".timeline-event h3"), ["First arrested", "Detained", "Sentenced to 5 years and 8 months in prison", "Released"]);
        for page in [&fr, &nl, &en] {
            assert_eq!(marked_originals(page), [], "everything is in the page's language");
            assert_eq!(page.texts(".untranslated"), Vec::<String>::new());
        }

        assert_eq!(nl.texts(".adoptions a"), ["Stad Brussel"], "the municipality's name too");
        assert_eq!(fr.texts(".adoptions a"), ["Ville de Bruxelles"]);
        let brussels = app.get("/nl/municipalities/brussels").await;
        assert_eq!(brussels.texts("h1"), ["Stad Brussel"]);
        assert_eq!(brussels.attr("h1", "lang"), None);
        assert_eq!(app.get("/fr/persons").await.texts("select[name=municipality] option[value=brussels]"), ["Ville de Bruxelles"]);

        let action = app.get("/nl/actions/solidarity-with-vahid-afkari").await;
        assert_eq!(action.texts("h1"), ["Solidariteit met Vahid Afkari"]);
        assert!(action.texts(".action-text")[0].starts_with("De Stad Brussel heeft Vahid Afkari op 5 december 2022 geadopteerd"));
        let home = app.get("/fr").await;
        assert_eq!(home.texts(".latest-events li span[lang]"), Vec::<String>::new());
        assert!(home.texts(".latest-events li")[0].contains("Raif Badawi: Libéré"), "{:?}", home.texts(".latest-events li"));

        // Every field of the demo has its French and Dutch; Brussels requires both.
        for sql in [
            "SELECT COUNT(*) FROM status_events e WHERE NOT EXISTS (SELECT 1 FROM status_event_translations t WHERE t.status_event_id = e.id AND t.field = 'title' AND t.language = 'nl')",
            "SELECT COUNT(*) FROM status_events e WHERE e.body_html IS NOT NULL AND NOT EXISTS (SELECT 1 FROM status_event_translations t WHERE t.status_event_id = e.id AND t.field = 'body_html' AND t.language = 'fr')",
            "SELECT COUNT(*) FROM persons p WHERE p.summary IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person_translations t WHERE t.person_id = p.id AND t.language = 'nl')",
            "SELECT COUNT(*) FROM support_actions a WHERE (SELECT COUNT(*) FROM support_action_translations t WHERE t.support_action_id = a.id) <> 6",
        ] {
            assert_eq!(count(app, sql).await, 0, "{sql}");
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM municipality_languages l JOIN municipalities m ON m.id = l.municipality_id WHERE m.slug = 'brussels' AND l.required AND l.language IN ('fr', 'nl')").await, 2);
    }

    async fn a_missing_translation_shows_the_original_marked_with_its_language(app: &TestApp) {
        let event = french_event(app).await;
        assert!(translate(app, Field::StatusEventTitle, event, Locale::En, "Hearing postponed").await);
        assert!(!translate(app, Field::StatusEventTitle, event, Locale::Fr, "Autre titre").await, "the original is no translation");
        let path = "/persons/loujain-al-hathloul";

        // French: the original, unmarked.
        let fr = app.get(&format!("/fr{path}")).await;
        assert_eq!(fr.texts(".timeline-event h3").last().unwrap(), "Audience reportée");
        assert_eq!(marked_originals(&fr), []);

        // Dutch: neither the title nor the body is translated.
        let nl = app.get(&format!("/nl{path}")).await;
        assert_eq!(nl.texts(".timeline-event h3").last().unwrap(), "Audience reportée");
        assert_eq!(marked_originals(&nl), [
            ("fr".to_owned(), "Audience reportée".to_owned()),
            ("fr".to_owned(), "Le tribunal a reporté l’audience.".to_owned()),
        ]);
        assert_eq!(nl.texts(".timeline-event .untranslated"), ["Nog niet vertaald: origineel in het Frans."]);
        assert_eq!(nl.attr("html", "lang").as_deref(), Some("nl"));

        // English: the title is translated, the body is the marked original.
        let en = app.get(path).await;
        assert_eq!(en.texts(".timeline-event h3").last().unwrap(), "Hearing postponed");
        assert_eq!(marked_originals(&en), [("fr".to_owned(), "Le tribunal a reporté l’audience.".to_owned())]);
        assert_eq!(en.texts(".timeline-event .untranslated"), ["Not yet translated: original in French."]);

        // A second translation replaces the first.
        assert!(translate(app, Field::StatusEventTitle, event, Locale::En, "Hearing adjourned").await);
        assert_eq!(app.get(path).await.texts(".timeline-event h3").last().unwrap(), "Hearing adjourned");
        assert!(!translate(app, Field::StatusEventTitle, event + 1000, Locale::En, "Nothing").await, "no such record");

        // The original changes: its old translation no longer stands for it.
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE status_events SET title = 'Audience annulée', body_html = NULL WHERE id = $1").bind(event).execute(pool).await.map(|_| ())).unwrap();
        let en = app.get(path).await;
        assert_eq!(en.texts(".timeline-event h3").last().unwrap(), "Audience annulée");
        assert_eq!(marked_originals(&en), [("fr".to_owned(), "Audience annulée".to_owned())], "the French, marked, and no body at all");
    }

    async fn each_page_names_its_other_languages_for_search_engines(app: &TestApp) {
        let page = app.get("/nl/persons/raif-badawi?x=1").await;
        let alternates = |lang: &str| page.attr(&format!("head link[rel=alternate][hreflang={lang}]"), "href");
        // Full addresses: search engines take no other.
        let full = |path: &str| Some(format!("{}{path}", app.address));
        assert_eq!(alternates("fr"), full("/fr/persons/raif-badawi?x=1"));
        assert_eq!(alternates("en"), full("/en/persons/raif-badawi?x=1"));
        assert_eq!(alternates("nl"), full("/nl/persons/raif-badawi?x=1"));
        assert_eq!(alternates("x-default"), full("/persons/raif-badawi?x=1"));
    }

    async fn publishing_waits_for_the_languages_the_city_requires(app: &TestApp) {
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let new = "/staff/persons/hamid-babaei/updates/new";
        let queue = |query: &'static str| {
            let comms = comms.clone();
            async move { app.get_with(&format!("/staff/translations{query}"), &[("cookie", &comms)]).await }
        };
        assert_eq!(queue("").await.texts(".empty"), ["Nothing waits for translation."], "the demo is translated");
        let french = [
            ("lang", "en"), ("update", ""), ("person", "hamid-babaei"), ("occurred_on", "2026-11-30"), ("status", ""),
            ("original_language", "fr"), ("title_fr", "Audience reportée"), ("body_html_fr", "<p>Le tribunal a reporté l’audience.</p>"),
            ("source_url", ""),
        ];
        let saved = post_as(app, &comms, "/api/staff/save-status-update", new, &french).await;
        let location = saved.location().unwrap();
        let id = location.rsplit('/').next().unwrap().to_owned();
        let page = app.get_with(&location, &[("cookie", &comms)]).await;
        assert_eq!(page.texts(".missing-translations li"), ["Dutch: Title, Text"]);
        assert_eq!(page.attr("fieldset#status-update-nl", "lang").as_deref(), Some("nl"));
        assert_eq!(page.texts("fieldset#status-update-nl legend"), ["Nederlands *"], "Brussels requires Dutch");
        assert_eq!(page.texts("fieldset#status-update-en legend"), ["English"]);
        let waiting = queue("").await;
        let row = format!("tr[data-translate='/staff/translate/update/{id}/nl']");
        assert_eq!(waiting.texts(&format!("{row} td")), ["Status update: Audience reportée · Hamid Babaei", "Dutch", "missing: Title, Text", "Draft: not public"]);
        assert_eq!(waiting.attr(&format!("{row} a"), "href"), Some(format!("/staff/translate/update/{id}/nl")));
        assert_eq!(waiting.texts("tr[data-language=fr]"), Vec::<String>::new(), "French is the original");
        assert_eq!(queue("?language=fr").await.texts(".empty"), ["Nothing waits for translation."]);

        // Refused, and nothing changes, until Dutch is written.
        let refused = post_as(app, &comms, "/api/staff/publish-status-update", &location, &[("lang", "en"), ("update", &id)]).await;
        assert_eq!(refused.status, 302);
        let page = app.get_with(&location, &[("cookie", &comms)]).await;
        assert_eq!(page.texts("#publish-refused"), ["Not published: write the missing translations first, or publish now with the translations to follow (urgent news only)."]);
        assert_eq!(page.texts(".update-state"), ["Draft: not public"]);
        assert!(!app.get("/fr/persons/hamid-babaei").await.body.contains("Audience reportée"));

        // A translation of an empty original is refused, and so is nothing else.
        let mut orphan = french.to_vec();
        orphan.extend([("update", id.as_str()), ("source_title_nl", "Een bron")]);
        orphan.retain(|(k, v)| *k != "update" || !v.is_empty());
        let refused = post_as(app, &comms, "/api/staff/save-status-update", &location, &orphan).await;
        assert_eq!(refused.location(), Some(format!("{}{location}?", app.address)), "back to the form");
        let page = app.get_with(&location, &[("cookie", &comms)]).await;
        assert_eq!(page.texts("#status-update-source_title_nl-error"), ["Write this field in the original language first: a translation needs an original."]);

        let mut both = french.to_vec();
        both.extend([
            ("update", id.as_str()),
            ("title_nl", "Zitting uitgesteld"),
            ("body_html_nl", "<p>De rechtbank heeft de zitting uitgesteld.<img src=x onerror=alert(1)></p>"),
        ]);
        both.retain(|(k, v)| *k != "update" || !v.is_empty());
        let saved = post_as(app, &comms, "/api/staff/save-status-update", &location, &both).await;
        assert_eq!(saved.location().as_deref(), Some(location.as_str()));
        let published = post_as(app, &comms, "/api/staff/publish-status-update", &location, &[("lang", "en"), ("update", &id)]).await;
        assert_eq!(published.location().as_deref(), Some(location.as_str()));
        let nl = app.get("/nl/persons/hamid-babaei").await;
        assert_eq!(nl.texts(".timeline-event h3").last().unwrap(), "Zitting uitgesteld");
        assert!(nl.body.contains("<p>De rechtbank heeft de zitting uitgesteld.</p>") && !nl.body.contains("onerror"), "a translation is sanitized like its original");
        let en = app.get("/persons/hamid-babaei").await;
        assert_eq!(en.texts(".timeline-event h3").last().unwrap(), "Audience reportée");
        assert_eq!(en.attr(".timeline-event:last-child h3", "lang").as_deref(), Some("fr"));

        // The French changes: the Dutch is outdated, and says so to staff.
        let mut edited = both.clone();
        for field in edited.iter_mut() {
            if field.0 == "title_fr" {
                field.1 = "Audience reportée au 15 janvier";
            }
        }
        let saved = post_as(app, &comms, "/api/staff/save-status-update", &location, &edited).await;
        assert_eq!(saved.location().as_deref(), Some(location.as_str()));
        let page = app.get_with(&location, &[("cookie", &comms)]).await;
        assert_eq!(page.texts("fieldset#status-update-nl .outdated"), ["The original changed since this translation was written: check it."]);
        assert_eq!(page.texts("fieldset#status-update-fr .outdated"), Vec::<String>::new());
        assert_eq!(queue("?language=nl").await.texts(&format!("{row} td"))[2], "out of date: Title");
        let nl = app.get("/nl/persons/hamid-babaei").await;
        assert_eq!(nl.texts(".timeline-event h3").last().unwrap(), "Audience reportée au 15 janvier", "an outdated translation is not shown");

        // An outdated translation holds up publication until revised or confirmed.
        post_as(app, &comms, "/api/staff/unpublish-status-update", &location, &[("lang", "en"), ("update", &id)]).await;
        post_as(app, &comms, "/api/staff/publish-status-update", &location, &[("lang", "en"), ("update", &id)]).await;
        let page = app.get_with(&location, &[("cookie", &comms)]).await;
        assert_eq!(page.texts(".update-state"), ["Draft: not public"]);
        assert_eq!(page.texts(".missing-translations li"), ["Dutch: Title"]);
        let mut confirmed = edited.clone();
        confirmed.push(("checked_nl", "on"));
        post_as(app, &comms, "/api/staff/save-status-update", &location, &confirmed).await;
        assert_eq!(queue("?language=nl").await.texts(&row), Vec::<String>::new());
        post_as(app, &comms, "/api/staff/publish-status-update", &location, &[("lang", "en"), ("update", &id)]).await;
        let nl = app.get("/nl/persons/hamid-babaei").await;
        assert_eq!(nl.texts(".timeline-event h3").last().unwrap(), "Zitting uitgesteld", "confirmed to still hold");

        // Urgent news: published now, with the translations to follow, audited.
        let saved = post_as(app, &comms, "/api/staff/save-status-update", new, &[
            ("lang", "en"), ("update", ""), ("person", "hamid-babaei"), ("occurred_on", "2026-12-01"), ("status", "arrested"),
            ("original_language", "fr"), ("title_fr", "Arrêté à nouveau"), ("source_url", ""),
        ]).await;
        let location = saved.location().unwrap();
        let urgent = location.rsplit('/').next().unwrap().to_owned();
        post_as(app, &comms, "/api/staff/publish-status-update", &location, &[("lang", "en"), ("update", &urgent), ("translations_to_follow", "1")]).await;
        let nl = app.get("/nl/persons/hamid-babaei").await;
        assert_eq!(nl.texts(".timeline-event h3").last().unwrap(), "Arrêté à nouveau");
        assert_eq!(nl.texts(".timeline-event .untranslated").last().unwrap(), "Nog niet vertaald: origineel in het Frans.");
        let audited: Vec<(String, Option<String>)> = on_pool!(&app.store.db, |pool| sqlx::query_as(
            "SELECT action, after_json FROM audit_log WHERE record_type = 'status_event' AND record_id = $1 ORDER BY id"
        )
        .bind(&urgent)
        .fetch_all(pool)
        .await)
        .unwrap();
        let actions: Vec<&str> = audited.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(actions, ["status_event.create", "status_event.publish_before_translation", "status_event.publish"]);
        assert!(audited[1].1.as_deref().unwrap().contains("\"nl\""), "{:?}", audited[1].1);
    }

    async fn a_person_and_an_action_wait_for_the_languages_their_city_requires(app: &TestApp) {
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let refusal = "Not published: write the missing translations first, or publish now with the translations to follow (urgent news only).";
        let queue = || async { app.get_with("/staff/translations", &[("cookie", &comms)]).await };

        // A draft with consent on record, then made public in French only:
        // refused, what was typed kept, nothing stored.
        let person = [
            ("lang", "en"), ("full_name", "Narges Example"), ("country", "IR"), ("original_language", "fr"),
            ("summary_fr", "<p>Défenseuse des droits des femmes.</p>"), ("is_public", "on"), ("person", "narges-example"),
        ];
        let draft = [
            ("lang", "en"), ("full_name", "Narges Example"), ("country", "IR"), ("original_language", "fr"),
            ("summary_fr", "<p>Défenseuse des droits des femmes.</p>"), ("adopted_on", "2026-11"),
        ];
        post_as(app, &council, "/api/staff/adopt-person", "/staff/persons", &draft).await;
        record_consent(app, &council, "narges-example", &["name", "story", "location"]).await;
        let public = "SELECT COUNT(*) FROM persons WHERE slug = 'narges-example' AND is_public";
        post_as(app, &council, "/api/staff/update-person", "/staff/persons/narges-example", &person).await;
        assert_eq!(count(app, public).await, 0);
        let page = app.get_with("/staff/persons/narges-example", &[("cookie", &council)]).await;
        assert_eq!(page.texts("#publish-refused"), [refusal]);
        assert_eq!(page.texts("#person-summary_fr"), ["<p>Défenseuse des droits des femmes.</p>"]);
        assert_eq!(page.texts(".missing-translations li"), ["Dutch: Summary"], "names what is missing");
        assert_eq!(page.texts("fieldset#person-nl legend"), ["Nederlands *"], "Brussels requires Dutch");
        assert_eq!(page.attr("fieldset#person-nl", "lang").as_deref(), Some("nl"));

        // Urgent: public now, the translations to follow, audited and queued.
        let mut urgent = person.to_vec();
        urgent.push(("translations_to_follow", "1"));
        let adopted = post_as(app, &council, "/api/staff/update-person", "/staff/persons/narges-example", &urgent).await;
        assert_eq!(adopted.location().as_deref(), Some("/staff/persons/narges-example"));
        assert_eq!(count(app, public).await, 1);
        let nl = app.get("/nl/persons/narges-example").await;
        assert!(marked_originals(&nl).contains(&("fr".to_owned(), "Défenseuse des droits des femmes.".to_owned())));
        let audited = count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'person.publish_before_translation'").await;
        assert_eq!(audited, 1);
        let row = "tr[data-translate='/staff/translate/person/narges-example/nl']";
        assert_eq!(queue().await.texts(&format!("{row} td")), ["Person summary: Narges Example", "Dutch", "missing: Summary", "Published"]);

        // The Dutch written: off the queue, and shown.
        let mut edit = person.to_vec();
        edit.push(("summary_nl", "<p>Verdedigster van vrouwenrechten.</p>"));
        post_as(app, &council, "/api/staff/update-person", "/staff/persons/narges-example", &edit).await;
        assert!(queue().await.texts(row).is_empty());
        assert!(app.get("/nl/persons/narges-example").await.body.contains("Verdedigster van vrouwenrechten."));
        let staff_page = app.get_with("/staff/persons/narges-example", &[("cookie", &council)]).await;
        assert_eq!(staff_page.texts("article.preview[lang=nl] .preview-text"), ["Verdedigster van vrouwenrechten."], "the preview shows each language");
        assert_eq!(staff_page.texts("article.preview[lang=fr] .preview-text"), ["Défenseuse des droits des femmes."]);

        // A new action takes signatures at once: refused until both languages are there.
        let actions = count(app, "SELECT COUNT(*) FROM support_actions").await;
        let action = [
            ("lang", "en"), ("person", "narges-example"), ("action", ""), ("slug", "liberez-narges"), ("original_language", "fr"),
            ("title_fr", "Libérez Narges"), ("body_html_fr", "<p>Écrivez aux autorités.</p>"), ("addressee_fr", "Le chef du pouvoir judiciaire"),
            ("goal", "100"), ("opens_on", "2026-12-01"),
        ];
        post_as(app, &council, "/api/staff/save-support-action", "/staff/persons/narges-example", &action).await;
        assert_eq!(count(app, "SELECT COUNT(*) FROM support_actions").await, actions);
        let page = app.get_with("/staff/persons/narges-example", &[("cookie", &council)]).await;
        assert_eq!(page.texts("#publish-refused"), [refusal]);
        assert_eq!(page.attr("#support-action-title_fr", "value").as_deref(), Some("Libérez Narges"));
        assert_eq!(page.texts(".missing-translations li"), ["Dutch: Title, Text, Addressed to"]);
        let api = app.post_with("/api/staff/save-support-action", &action, &[("cookie", &council), ("origin", &app.address)]).await;
        assert_eq!(api.status, 400);
        assert!(api.body.contains("nl: title body_html addressee"), "a client other than our pages is told what is missing too: {}", api.body);
        let mut translated = action.to_vec();
        translated.extend([
            ("title_nl", "Laat Narges vrij"), ("body_html_nl", "<p>Schrijf de autoriteiten.</p>"), ("addressee_nl", "Het hoofd van de rechterlijke macht"),
        ]);
        let opened = post_as(app, &council, "/api/staff/save-support-action", "/staff/persons/narges-example", &translated).await;
        assert_eq!(opened.location().as_deref(), Some("/staff/actions/liberez-narges"));
        assert_eq!(app.get("/nl/actions/liberez-narges").await.texts("h1"), ["Laat Narges vrij"]);
        assert!(queue().await.texts("tr[data-translate^='/staff/translate/action/liberez-narges/']").is_empty());

        // The French title changes: the Dutch one is out of date, on the queue, and not shown.
        let mut edited = translated.clone();
        for field in edited.iter_mut() {
            match field.0 {
                "action" => field.1 = "liberez-narges",
                "title_fr" => field.1 = "Libérez Narges maintenant",
                _ => {}
            }
        }
        post_as(app, &council, "/api/staff/save-support-action", "/staff/actions/liberez-narges", &edited).await;
        let row = "tr[data-translate='/staff/translate/action/liberez-narges/nl']";
        assert_eq!(queue().await.texts(&format!("{row} td")), ["Support action: Libérez Narges maintenant · Narges Example", "Dutch", "out of date: Title", "Published"]);
        assert_eq!(app.get("/nl/actions/liberez-narges").await.texts("h1"), ["Libérez Narges maintenant"]);

        // A council's action is translated by communications staff only into
        // the languages an administrator assigned them (issue 28, N4).
        let path = "/staff/translate/action/liberez-narges/nl";
        let dutch = |language: &'static str| {
            [
                ("lang", "en"), ("kind", "action"), ("key", "liberez-narges"), ("language", language),
                ("title", "Laat Narges nu vrij"), ("body_html", "<p>Schrijf de autoriteiten.</p>"), ("addressee", "Het hoofd"),
            ]
        };
        assert_eq!(app.get_with(path, &[("cookie", &comms)]).await.status, 403, "not a translator");
        let refused = post_as(app, &comms, "/api/staff/save-translation", path, &dutch("nl")).await;
        assert_eq!(refused.status, 403);
        let titles = "SELECT COUNT(*) FROM support_action_translations WHERE text = 'Laat Narges nu vrij'";
        assert_eq!(count(app, titles).await, 0, "nothing written");
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let account: i64 = on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM users WHERE email = 'comms@brussels.example'")
            .fetch_one(pool)
            .await)
        .unwrap();
        post_as(app, &admin, "/api/staff/set-translator-languages", "/staff/accounts", &[
            ("lang", "en"), ("account", &account.to_string()), ("languages[]", "nl"),
        ]).await;
        let saved = post_as(app, &comms, "/api/staff/save-translation", path, &dutch("nl")).await;
        assert_eq!(saved.location().as_deref(), Some("/staff/translations"));
        assert_eq!(count(app, titles).await, 1);
        let english = post_as(app, &comms, "/api/staff/save-translation", "/staff/translate/action/liberez-narges/en", &dutch("en")).await;
        assert_eq!(english.status, 403, "not one of their languages");
        assert_eq!(count(app, titles).await, 1);
    }

    async fn an_administrator_sets_the_languages_a_city_requires(app: &TestApp) {
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let page = app.get_with("/staff/municipalities", &[("cookie", &admin)]).await;
        let brussels = "#municipality-languages-brussels";
        assert_eq!(page.attr(&format!("{brussels}-nl option[selected]"), "value").as_deref(), Some("required"));
        assert_eq!(page.attr(&format!("{brussels}-en option[selected]"), "value").as_deref(), Some("optional"));
        assert_eq!(app.get_with("/staff/municipalities", &[("cookie", &comms)]).await.status, 403);

        // A French update waits for Dutch; once Brussels requires French only, it waits for nothing.
        let id = french_event(app).await;
        let queued = format!("tr[data-translate='/staff/translate/update/{id}/nl']");
        let queue = || async { app.get_with("/staff/translations", &[("cookie", &comms)]).await };
        assert_eq!(queue().await.texts(&queued).len(), 1);
        let bad = post_as(app, &admin, "/api/staff/set-municipality-languages", "/staff/municipalities", &[
            ("lang", "en"), ("municipality", "brussels"), ("fr", "required"), ("nl", "sometimes"),
        ]).await;
        assert_eq!(bad.status, 302);
        let page = app.get_with("/staff/municipalities", &[("cookie", &admin)]).await;
        assert_eq!(page.texts(&format!("{brussels}-nl-error")), ["Choose one of the options."]);
        assert_eq!(queue().await.texts(&queued).len(), 1, "a refused change changes nothing");
        let saved = post_as(app, &admin, "/api/staff/set-municipality-languages", "/staff/municipalities", &[
            ("lang", "en"), ("municipality", "brussels"), ("fr", "required"), ("nl", "optional"), ("en", ""),
        ]).await;
        assert_eq!(saved.location().as_deref(), Some("/staff/municipalities"));
        assert!(queue().await.texts(&queued).is_empty());
        let page = app.get_with("/staff/municipalities", &[("cookie", &admin)]).await;
        assert_eq!(page.attr(&format!("{brussels}-en option[selected]"), "value").as_deref(), Some(""));
        let audited = count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'municipality.languages'").await;
        assert_eq!(audited, 1);
    }

    async fn a_translator_writes_a_language_beside_the_original(app: &TestApp) {
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let id = french_event(app).await;
        let path = format!("/staff/translate/update/{id}/nl");
        let page = app.get_with(&path, &[("cookie", &comms)]).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.texts(".translation-pair .original"), ["Audience reportée", "Le tribunal a reporté l’audience."]);
        assert_eq!(page.attr(".translation-pair .original", "lang").as_deref(), Some("fr"));
        assert_eq!(page.attr(".translation-pair > div[lang=nl] #translation-title", "name").as_deref(), Some("title"));
        assert_eq!(app.get_with(&format!("/staff/translate/update/{id}/fr"), &[("cookie", &comms)]).await.status, 404, "French is the original");
        assert_eq!(app.get(&path).await.status, 302, "staff only: to the login page");

        // A line too long is refused and nothing is written.
        let id_text = id.to_string();
        let form = |title: &'static str| {
            [
                ("lang", "en"), ("kind", "update"), ("key", id_text.as_str()), ("language", "nl"), ("title", title),
                ("body_html", "<p>De rechtbank heeft de zitting uitgesteld.<script>x</script></p>"),
            ]
        };
        let long: &'static str = "x".repeat(300).leak();
        let refused = post_as(app, &comms, "/api/staff/save-translation", &path, &form(long)).await;
        assert_eq!(refused.status, 302);
        assert_eq!(count(app, "SELECT COUNT(*) FROM status_event_translations WHERE text = '<p>De rechtbank heeft de zitting uitgesteld.</p>'").await, 0);
        let page = app.get_with(&path, &[("cookie", &comms)]).await;
        assert_eq!(page.texts("#translation-title-error").len(), 1);

        let saved = post_as(app, &comms, "/api/staff/save-translation", &path, &form("Zitting uitgesteld")).await;
        assert_eq!(saved.location().as_deref(), Some("/staff/translations"));
        let queue = app.get_with("/staff/translations", &[("cookie", &comms)]).await;
        assert_eq!(queue.texts(".notice"), ["Translation saved."]);
        assert!(queue.texts(&format!("tr[data-translate='{path}']")).is_empty());
        let nl = app.get("/nl/persons/loujain-al-hathloul").await;
        assert!(nl.body.contains("<p>De rechtbank heeft de zitting uitgesteld.</p>"), "sanitized, shown");
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'translation.save' AND record_type = 'status_event'").await, 1);

        // A body that sanitizing empties is refused: the Dutch body stays, nothing is said saved.
        let emptied = [
            ("lang", "en"), ("kind", "update"), ("key", id_text.as_str()), ("language", "nl"),
            ("title", "Zitting uitgesteld"), ("body_html", "<script>alert(1)</script>"),
        ];
        post_as(app, &comms, "/api/staff/save-translation", &path, &emptied).await;
        let page = app.get_with(&path, &[("cookie", &comms)]).await;
        assert_eq!(page.texts("#translation-body_html-error"), ["Nothing is left of this text once unsafe markup is removed: write it again."]);
        assert!(app.get("/nl/persons/loujain-al-hathloul").await.body.contains("<p>De rechtbank heeft de zitting uitgesteld.</p>"));
        // Saving the same again changes nothing, and the log says nothing.
        post_as(app, &comms, "/api/staff/save-translation", &path, &form("Zitting uitgesteld")).await;
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'translation.save' AND record_type = 'status_event'").await, 1);
    }

    async fn a_translator_finds_their_languages_first(app: &TestApp) {
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let id: i64 = on_pool!(&app.store.db, |pool| sqlx::query_scalar(
            "INSERT INTO status_events (person_id, occurred_year, title, is_published, original_language)
             SELECT id, 2026, 'Hearing postponed', FALSE, 'en' FROM persons WHERE slug = 'loujain-al-hathloul' RETURNING id"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        let account: i64 = on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM users WHERE email = 'comms@brussels.example'")
            .fetch_one(pool)
            .await)
        .unwrap();
        let rows = |page: &crate::helpers::Page| {
            let mut languages: Vec<String> = page.html()
                .select(&scraper::Selector::parse(&format!("tr[data-translate^='/staff/translate/update/{id}/']")).unwrap())
                .map(|e| e.value().attr("data-language").unwrap().to_owned())
                .collect();
            languages.sort();
            languages
        };
        let queue = |query: &'static str| {
            let comms = comms.clone();
            async move { app.get_with(&format!("/staff/translations{query}"), &[("cookie", &comms)]).await }
        };
        assert_eq!(rows(&queue("").await), ["fr", "nl"], "not a translator: every language");

        let marked = post_as(app, &admin, "/api/staff/set-translator-languages", "/staff/accounts", &[
            ("lang", "en"), ("account", &account.to_string()), ("languages[]", "nl"),
        ]).await;
        assert_eq!(marked.location().as_deref(), Some("/staff/accounts"));
        let accounts = app.get_with("/staff/accounts", &[("cookie", &admin)]).await;
        assert_eq!(accounts.texts(&format!("#account-{account} .translator-languages summary")), ["Translates into: Dutch"]);
        let mine = queue("").await;
        assert_eq!(rows(&mine), ["nl"], "a translator's queue opens on their languages");
        assert_eq!(mine.texts(".translator-languages"), ["Your languages: Dutch. Every language"]);
        assert_eq!(rows(&queue("?language=all").await), ["fr", "nl"]);

        // Only communications staff translate; nothing changes otherwise.
        let council_id = count(app, "SELECT id FROM users WHERE email = 'camille@brussels.example'").await;
        post_as(app, &admin, "/api/staff/set-translator-languages", "/staff/accounts", &[
            ("lang", "en"), ("account", &council_id.to_string()), ("languages[]", "fr"),
        ]).await;
        let accounts = app.get_with("/staff/accounts", &[("cookie", &admin)]).await;
        assert_eq!(accounts.texts(&format!("#account-{council_id} .field-error")), ["Only communications staff are marked as translators."]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM translator_languages").await, 1);
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.translator_languages'").await, 1);
    }

    async fn feeds_are_written_in_each_language_and_say_which(app: &TestApp) {
        let get = |path: &'static str| async move {
            let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.text().await.unwrap()
        };
        let json: serde_json::Value = serde_json::from_str(&get("/nl/persons/loujain-al-hathloul/feed.json").await).unwrap();
        assert_eq!(json["language"], "nl");
        assert_eq!(json["home_page_url"], format!("{}/nl/persons/loujain-al-hathloul", app.address));
        let titles: Vec<&str> = json["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
        assert!(titles.contains(&"Loujain al-Hathloul: Voor het eerst gearresteerd"), "{titles:?}");
        assert!(json["items"].as_array().unwrap().iter().all(|i| i["language"] == "nl"));

        // A French original with no Dutch: the Dutch feed gives the French, saying so.
        let event = french_event(app).await;
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE status_events SET updated_at = 9999999999 WHERE id = $1").bind(event).execute(pool).await.map(|_| ())).unwrap();
        let json: serde_json::Value = serde_json::from_str(&get("/nl/feed.json").await).unwrap();
        assert_eq!((json["items"][0]["title"].as_str(), json["items"][0]["language"].as_str()), (Some("Loujain al-Hathloul: Audience reportée"), Some("fr")));

        // Atom: the feed's xml:lang, and each entry's where it differs.
        let atom = get("/nl/feed.atom").await;
        assert!(atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"nl\""), "{atom}");
        assert!(atom.contains("xml:lang=\"fr\""), "the French entry says it is French, in a Dutch feed: {atom}");
        let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
        assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "Loujain al-Hathloul: Audience reportée");
        assert_eq!(feed.entries[0].links[0].href, format!("{}/nl/persons/loujain-al-hathloul", app.address));

        // Unprefixed: every entry in its original language.
        let json: serde_json::Value = serde_json::from_str(&get("/feed.json").await).unwrap();
        assert_eq!(json.get("language"), None);
        let languages: Vec<&str> = json["items"].as_array().unwrap().iter().map(|i| i["language"].as_str().unwrap()).collect();
        assert_eq!(languages[0], "fr");
        assert!(languages[1..].iter().all(|l| *l == "en"), "{languages:?}");
        let missing = app.client.get(format!("{}/de/feed.atom", app.address)).send().await.unwrap();
        assert_eq!(missing.status(), 404);
    }
}
