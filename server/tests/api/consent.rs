//! Consent and risk on record, and the reviews that come due (issue 29):
//! a public page shows only what consent covers, and a consent recorded
//! anew that covers less hides the person at once.
use crate::helpers::{count, next_year, post_as, record_consent, staff_member, TestApp};
use crate::on_both_backends;
use app::domain::Role;

on_both_backends! {
    async fn a_person_is_public_only_with_what_consent_covers(app: &TestApp) {
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query("INSERT INTO municipalities (slug, name, country_code) VALUES ('liege', 'Liège', 'BE')").execute(pool).await.map(|_| ())).unwrap();
        }
        let liege = staff_member(app, "jo@liege.example", Role::Council, Some("liege")).await;
        let page = "/staff/persons/narges-example";
        post_as(app, &council, "/api/staff/adopt-person", "/staff/persons", &[
            ("lang", "en"), ("full_name", "Narges Example"), ("original_language", "en"), ("adopted_on", "2026-11"),
        ]).await;
        let list = app.get_with("/staff/persons", &[("cookie", &council)]).await;
        let row = list.texts("tr").into_iter().find(|r| r.starts_with("Narges Example")).unwrap();
        assert!(row.ends_with("None on record"), "{row}");
        let desk = app.get_with(page, &[("cookie", &council)]).await;
        assert!(desk.texts("p.task")[0].starts_with("No consent is on record"));

        // A bad form: a message per field, nothing stored.
        let refused = post_as(app, &council, "/api/staff/save-consent", page, &[
            ("lang", "en"), ("person", "narges-example"), ("given_by", "neighbour"), ("given_on", "2099-01-01"),
            ("covers[]", "name"), ("covers[]", "fingerprints"), ("risk", "high"), ("review_on", "2020-01-01"),
        ]).await;
        assert_eq!(refused.status, 302);
        let desk = app.get_with(page, &[("cookie", &council)]).await;
        assert_eq!(desk.texts("#consent-given_by-error"), ["Choose one of the options."]);
        assert_eq!(desk.texts("#consent-given_on-error"), ["This date is still to come: record consent once it was given."]);
        assert_eq!(desk.texts("#consent-review_on-error"), ["Choose a day to come: recording consent is the review itself."]);
        assert_eq!(desk.attr("#consent-given_on", "value").as_deref(), Some("2099-01-01"), "what was typed comes back");
        assert_eq!(desk.attr("#consent-covers-name", "checked").as_deref(), Some(""));
        assert_eq!(desk.attr("#consent-covers-story", "checked"), None);
        assert_eq!(desk.texts("#consent-covers-error"), ["Choose one of the options."]);
        assert_eq!(desk.attr("#consent-covers-story", "aria-describedby").as_deref(), Some("consent-covers-error"));
        assert_eq!(count(app, "SELECT COUNT(*) FROM person_consents").await, 5, "the demo's five only");
        // Only the council holding the case records it.
        assert_eq!(record_consent(app, &comms, "narges-example", &["name"]).await.status, 403);
        assert_eq!(record_consent(app, &liege, "narges-example", &["name"]).await.status, 403);
        assert_eq!(count(app, "SELECT COUNT(*) FROM person_consents").await, 5);

        // Consent to the name only: the name may be public, the story and the country not.
        record_consent(app, &council, "narges-example", &["name"]).await;
        let publish = |extra: &'static [(&'static str, &'static str)]| {
            let council = council.clone();
            async move {
                let mut fields = vec![
                    ("lang", "en"), ("person", "narges-example"), ("full_name", "Narges Example"),
                    ("original_language", "en"), ("is_public", "on"),
                ];
                fields.extend_from_slice(extra);
                post_as(app, &council, "/api/staff/update-person", page, &fields).await
            }
        };
        publish(&[("summary_en", "<p>Defender.</p>"), ("country", "IR")]).await;
        let public = "SELECT COUNT(*) FROM persons WHERE slug = 'narges-example' AND is_public";
        assert_eq!(count(app, public).await, 0);
        let desk = app.get_with(page, &[("cookie", &council)]).await;
        assert_eq!(desk.texts("#person-summary_en-error"), ["Consent to publish this person’s story is not on record: record it, or keep the summary internal (or empty) while the person is public."]);
        assert!(desk.texts("#person-country-error")[0].starts_with("Consent to publish this person’s location is not on record"));
        assert!(desk.texts("#person-is_public-error").is_empty(), "the name is covered");
        publish(&[]).await;
        assert_eq!(count(app, public).await, 1);
        assert_eq!(app.get("/persons/narges-example").await.status, 200);
        let desk = app.get_with(page, &[("cookie", &council)]).await;
        let shown: Vec<String> = desk.texts("dl.consent dd");
        assert_eq!(shown[..3], ["their family, 1 November 2026", "their name", "high"]);

        // The family withdraws consent to the name: the person goes private at once, and staff are told.
        let withdrawn = record_consent(app, &council, "narges-example", &[]).await;
        assert_eq!(withdrawn.location().as_deref(), Some(page));
        assert_eq!(count(app, public).await, 0);
        assert_eq!(app.get("/persons/narges-example").await.status, 404);
        let desk = app.get_with(page, &[("cookie", &council)]).await;
        assert_eq!(desk.texts(".notice"), ["Saved. The person no longer shows on the public site: consent does not cover everything their page showed."]);
        let audited: Vec<String> = {
            use app::on_pool;
            on_pool!(&app.store.db, |pool| sqlx::query_scalar(
                "SELECT action FROM audit_log WHERE record_type IN ('consent', 'person') AND user_id IS NOT NULL ORDER BY id"
            ).fetch_all(pool).await).unwrap()
        };
        assert_eq!(audited, ["person.create", "consent.create", "person.update", "consent.update", "person.update"]);
    }

    async fn a_review_that_falls_due_mails_the_council_holding_the_case_once(app: &TestApp) {
        use app::on_pool;
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        on_pool!(&app.store.db, |pool| sqlx::query("INSERT INTO municipalities (slug, name, country_code) VALUES ('liege', 'Liège', 'BE')").execute(pool).await.map(|_| ())).unwrap();
        staff_member(app, "jo@liege.example", Role::Council, Some("liege")).await;
        let today = chrono::Utc::now().date_naive();
        let remind = || app::cases::consent::on_server::remind_due_reviews(&app.store.db, "https://lumieres.example", today, app::server::clock::now());
        assert_eq!(remind().await.unwrap(), 0, "the demo's reviews are ahead");

        on_pool!(&app.store.db, |pool| sqlx::query(
            "UPDATE person_consents SET review_on = $1 WHERE person_id = (SELECT id FROM persons WHERE slug = 'vahid-afkari')"
        ).bind(today).execute(pool).await.map(|_| ())).unwrap();
        assert_eq!(remind().await.unwrap(), 1);
        assert_eq!(remind().await.unwrap(), 0, "once per review date");
        let mails = app.mails_to("camille@brussels.example").await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].subject, "A consent review is due");
        assert!(mails[0].body_text.contains("https://lumieres.example/staff/persons\n"), "{}", mails[0].body_text);
        let said = format!("{} {}", mails[0].subject, mails[0].body_text).to_lowercase();
        assert!(!said.contains("vahid") && !said.contains("afkari"), "a mail names nobody, not even in a link: {said}");
        assert!(app.mails_to("jo@liege.example").await.is_empty(), "Liège does not hold the case");
        let list = app.get_with("/staff/persons", &[("cookie", &council)]).await;
        let row = list.texts("tr").into_iter().find(|r| r.starts_with("Vahid Afkari")).unwrap();
        assert!(row.ends_with("Review due"), "{row}");

        // Reviewed: the next date is ahead, and when it comes it is announced again.
        let review_on = next_year();
        let reviewed = post_as(app, &council, "/api/staff/save-consent", "/staff/persons/vahid-afkari", &[
            ("lang", "en"), ("person", "vahid-afkari"), ("given_by", "public-sources"), ("given_on", "2026-12-01"),
            ("covers[]", "name"), ("covers[]", "story"), ("covers[]", "location"), ("risk", "medium"), ("review_on", &review_on),
        ]).await;
        assert_eq!(reviewed.status, 302);
        let list = app.get_with("/staff/persons", &[("cookie", &council)]).await;
        let row = list.texts("tr").into_iter().find(|r| r.starts_with("Vahid Afkari")).unwrap();
        assert!(row.ends_with("On record"), "{row}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM persons WHERE slug = 'vahid-afkari' AND is_public").await, 1, "still public: consent covers its page");
        on_pool!(&app.store.db, |pool| sqlx::query(
            "UPDATE person_consents SET review_on = $1 WHERE person_id = (SELECT id FROM persons WHERE slug = 'vahid-afkari')"
        ).bind(today).execute(pool).await.map(|_| ())).unwrap();
        assert_eq!(remind().await.unwrap(), 1);
        assert_eq!(app.mails_to("camille@brussels.example").await.len(), 2);

        // While Brussels holds the case, an administrator does not record its
        // consent; once no municipality holds it, the review mailed to the
        // administrators is theirs to record.
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let desk = app.get_with("/staff/persons/vahid-afkari", &[("cookie", &admin)]).await;
        assert_eq!(desk.texts("#consent-given_by").len(), 0, "no consent form for the administrator");
        let review = |cookie: String| async move {
            post_as(app, &cookie, "/api/staff/save-consent", "/staff/persons/vahid-afkari", &[
                ("lang", "en"), ("person", "vahid-afkari"), ("given_by", "amnesty-section"), ("given_on", "2026-12-01"),
                ("covers[]", "name"), ("risk", "high"), ("review_on", &next_year()),
            ]).await
        };
        assert_eq!(review(admin.clone()).await.status, 403);
        on_pool!(&app.store.db, |pool| sqlx::query(
            "UPDATE adoptions SET ended_year = 2026, ended_month = 12, ended_day = 1
              WHERE person_id = (SELECT id FROM persons WHERE slug = 'vahid-afkari')"
        ).execute(pool).await.map(|_| ())).unwrap();
        on_pool!(&app.store.db, |pool| sqlx::query(
            "UPDATE person_consents SET review_on = $1 WHERE person_id = (SELECT id FROM persons WHERE slug = 'vahid-afkari')"
        ).bind(today - chrono::Days::new(1)).execute(pool).await.map(|_| ())).unwrap();
        assert_eq!(remind().await.unwrap(), 1, "the review falls to the administrators");
        assert_eq!(app.mails_to("admin@brussels.example").await.len(), 1);
        let desk = app.get_with("/staff/persons/vahid-afkari", &[("cookie", &admin)]).await;
        assert_eq!(desk.texts("#consent-given_by").len(), 1, "the administrator's consent form");
        let reviewed = review(admin.clone()).await;
        assert_eq!(reviewed.location().as_deref(), Some("/staff/persons/vahid-afkari"));
        assert_eq!(count(app, "SELECT COUNT(*) FROM person_consents WHERE given_by = 'amnesty-section' AND risk = 'high'").await, 1);
        assert_eq!(count(app, "SELECT COUNT(*) FROM persons WHERE slug = 'vahid-afkari' AND is_public").await, 1, "the name alone is public: still covered");
        assert_eq!(review(council.clone()).await.status, 403, "Brussels no longer holds it");
    }
}
