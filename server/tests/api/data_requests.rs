//! "What do you hold about me?" and "erase me" (issue 30): a signer asks on
//! a page, without an account; a link goes to their address; its page and
//! its JSON show every signature held for the address; the erase button
//! erases it all, the counts staying; the staff's log says when each
//! request came and when its answer is due, never whose. Over real HTTP, on
//! both backends.
use crate::helpers::{count, staff_member, Page, TestApp};
use crate::on_both_backends;
use app::domain::Role;
use app::on_pool;

const ASK: &str = "/api/my-data/ask";
const ERASE: &str = "/api/my-data/erase";
const AFKARI: &str = "solidarity-with-vahid-afkari";
const NGUESSAN: &str = "solidarity-with-dorgelesse-nguessan";

/// Asks on the page as a browser with JavaScript off does.
async fn ask(app: &TestApp, lang: &str, email: &str) -> Page {
    let page = if lang == "en" {
        "/my-data".to_owned()
    } else {
        format!("/{lang}/my-data")
    };
    app.post_form(
        ASK,
        &page,
        &[("lang", lang), ("email", email), ("website", "")],
    )
    .await
}

/// The link in the last mail to `address`.
async fn link_to(app: &TestApp, address: &str) -> String {
    let mails = app.mails_to(address).await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.body_text.contains("/my-data/view?token="))
        .expect("a link mailed");
    let start = mail.body_text.find("http").unwrap();
    let link = mail.body_text[start..].split_whitespace().next().unwrap();
    link.strip_prefix(&app.address)
        .expect("a link to this site")
        .to_owned()
}

/// Signs `action` as `email` and confirms from the mail.
async fn sign_confirmed(app: &TestApp, action: &str, email: &str, name: &str, keep_informed: bool) {
    let mut request = crate::helpers::signature_request(email);
    request.action = app::domain::Slug::parse(action).unwrap();
    request.name = app::domain::PersonName::parse(name).unwrap();
    request.keep_informed = keep_informed;
    let now = chrono::Utc::now().timestamp();
    app::signing::store::sign(&app.store.db, &request, &app.address, now)
        .await
        .unwrap();
    let mail = app.mails_to(email).await.pop().unwrap();
    let token = mail
        .body_text
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    app::signing::store::confirm(&app.store.db, &token, &app.address, now)
        .await
        .unwrap();
}

on_both_backends! {
    async fn asking_answers_the_same_whether_or_not_the_address_signed(app: &TestApp) {
        sign_confirmed(app, AFKARI, "known@example.org", "Known Signer", false).await;
        let known = ask(app, "fr", "Known+tag@Example.org").await;
        let unknown = ask(app, "fr", "nobody@example.org").await;
        for answer in [&known, &unknown] {
            assert_eq!(answer.status, 302);
            assert_eq!(answer.location().as_deref(), Some("/fr/my-data?sent=1"));
        }
        let sent = app.get("/fr/my-data?sent=1").await;
        assert!(sent.texts("[role=status]")[0].starts_with("Un lien part vers cette adresse"), "{:?}", sent.texts("[role=status]"));
        // Each address gets its link, in the page's language; the same mail.
        // It goes to the address the data is found by (the +tag is not
        // the same mailbox on every domain).
        assert!(app.mails_to("Known+tag@Example.org").await.is_empty());
        for address in ["known@example.org", "nobody@example.org"] {
            let mails: Vec<_> = app.mails_to(address).await.into_iter().filter(|m| m.body_text.contains("/my-data/view?token=")).collect();
            assert_eq!(mails.len(), 1, "{address}");
            assert_eq!(mails[0].subject, "Lumières : ce que nous gardons sur votre adresse");
            assert!(link_to(app, address).await.starts_with("/fr/my-data/view?token="));
        }
        // Again within ten minutes: the same answer, no second mail.
        let again = ask(app, "fr", "known@example.org").await;
        assert_eq!(again.location().as_deref(), Some("/fr/my-data?sent=1"));
        let links = app.mails().await.into_iter().filter(|m| m.body_text.contains("/my-data/view?token=")).count();
        assert_eq!(links, 2, "the canonical address had one already");
        assert_eq!(count(app, "SELECT COUNT(*) FROM data_requests").await, 2);

        // Not an address: said next to the field, with what was typed; nothing written.
        let wrong = ask(app, "nl", "not an address").await;
        assert_eq!(wrong.location().as_deref(), Some("/nl/my-data#ask"));
        let flash = wrong.cookie("lumieres_my_data").expect("the problem comes back");
        let page = app.get_with("/nl/my-data", &[("cookie", &flash)]).await;
        assert_eq!(page.texts("#email-error"), ["Typ een e-mailadres, zoals naam@voorbeeld.be."]);
        assert_eq!(page.attr("#email", "value").as_deref(), Some("not an address"));
        assert_eq!(page.attr("#email", "aria-invalid").as_deref(), Some("true"));
        assert_eq!(count(app, "SELECT COUNT(*) FROM data_requests").await, 2);

        // The address waits sealed, found by its hash.
        let rows: Vec<(String, String)> = on_pool!(&app.store.db, |pool| sqlx::query_as(
            "SELECT email_hash, email_sealed FROM data_requests ORDER BY id"
        ).fetch_all(pool).await).unwrap();
        assert_eq!(rows[0].0, crate::helpers::email_hash("known@example.org"));
        assert!(rows.iter().all(|(_, sealed)| sealed.starts_with("sealed:v1:") && !sealed.contains('@')));

        // The staff's log: when, the day the answer is due, never whose.
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let log = app.get_with("/staff/data-requests", &[("cookie", &admin)]).await;
        assert_eq!(log.status, 200);
        let due = app::privacy::due_on(chrono::Utc::now().timestamp()).to_string();
        assert_eq!(log.texts(".data-requests tbody tr td:nth-child(2)"), [due.clone(), due]);
        assert_eq!(log.texts(".data-requests tbody tr td:nth-child(3)"), ["fr", "fr"]);
        assert!(!log.body.contains("example.org"), "no address in the log");
        assert!(log.attr("nav a[href='/staff/data-requests']", "href").is_some(), "in the administrator's menu");
        let council = staff_member(app, "council@brussels.example", Role::Council, Some("brussels")).await;
        assert_eq!(app.get_with("/staff/data-requests", &[("cookie", &council)]).await.status, 403, "administrators only");
    }

    async fn the_link_shows_everything_held_and_erases_it_all(app: &TestApp) {
        sign_confirmed(app, AFKARI, "amelie@example.org", "Amélie Dupont", true).await;
        sign_confirmed(app, NGUESSAN, "amelie@example.org", "Amélie D.", false).await;
        sign_confirmed(app, AFKARI, "other@example.org", "Other Signer", true).await;
        // A confirmed signature for a case no longer shown names nobody.
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE persons SET is_public = FALSE WHERE slug = 'dorgelesse-nguessan'").execute(pool).await.map(|_| ())).unwrap();
        // News of the case: the address gets a stop-the-news link.
        on_pool!(&app.store.db, |pool| sqlx::query(
            "INSERT INTO unsubscribe_links (token_hash, person_id, email_hash, created_at)
             SELECT 'stop-amelie', id, $1, $2 FROM persons WHERE slug = 'vahid-afkari'"
        ).bind(crate::helpers::email_hash("amelie@example.org")).bind(chrono::Utc::now().timestamp()).execute(pool).await.map(|_| ())).unwrap();
        let confirmed_before = count(app, "SELECT COUNT(*) FROM signatures WHERE state = 'confirmed'").await;

        ask(app, "en", "amelie@example.org").await;
        let link = link_to(app, "amelie@example.org").await;
        let token = link.split("token=").nth(1).unwrap().to_owned();
        let page = app.get(&link).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.headers["cache-control"], "no-store");
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
        assert!(page.texts("p")[0].starts_with("For the address amelie@example.org. This link works until"), "{:?}", page.texts("p"));
        let titles = page.texts(".held h3");
        assert_eq!(titles.len(), 2, "{titles:?}");
        assert!(titles[0].contains("Vahid Afkari"), "{titles:?}");
        assert_eq!(titles[1], "A case no longer shown");
        assert!(!page.body.contains("Dorgelesse"), "the hidden case is not named");
        let values = page.texts(".held dd");
        for shown in ["Amélie Dupont", "Amélie D.", "1000", "BE", "192.0.2.1", "Confirmed: it counts", "yes", "no"] {
            assert!(values.iter().any(|v| v == shown), "{shown} in {values:?}");
        }
        assert!(!page.body.contains("Other Signer"));

        // The same as a file.
        let json = app.get(&format!("/my-data.json?token={token}&lang=en")).await;
        assert_eq!(json.status, 200);
        assert_eq!(json.headers["content-type"], "application/json");
        assert!(json.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
        assert_eq!(json.headers["cache-control"], "no-store");
        let data: serde_json::Value = serde_json::from_str(&json.body).unwrap();
        assert_eq!(data["address"], "amelie@example.org");
        assert_eq!(data["signatures"].as_array().unwrap().len(), 2);
        assert_eq!(data["signatures"][0]["name"], "Amélie Dupont");
        assert_eq!(data["signatures"][0]["kept_informed"], true);
        assert_eq!(data["signatures"][1]["action"], serde_json::Value::Null);

        // Without the box ticked: said next to it, nothing erased.
        let unticked = app.post_form(ERASE, &link, &[("lang", "en"), ("token", &token), ("understood", "")]).await;
        assert_eq!(unticked.location(), Some(format!("/my-data/view?token={token}&confirm=missing#erase")));
        let again = app.get(&unticked.location().unwrap()).await;
        assert_eq!(again.texts("#understood-error"), ["Tick the box to say you understand, then erase."]);
        assert_eq!(crate::helpers::stored_signers(&app.store.db).await.len(), 3);

        let erased = app.post_form(ERASE, &link, &[("lang", "en"), ("token", &token), ("understood", "yes")]).await;
        assert_eq!(erased.location().as_deref(), Some("/my-data?erased=1"));
        let done = app.get("/my-data?erased=1").await;
        assert!(done.texts("[role=status]")[0].starts_with("Everything we held about your address is erased."));
        // The counts stay; only the other signer is left with a name.
        assert_eq!(count(app, "SELECT COUNT(*) FROM signatures WHERE state = 'confirmed'").await, confirmed_before);
        let left: Vec<String> = crate::helpers::stored_signers(&app.store.db).await.into_iter().map(|s| s.name).collect();
        assert_eq!(left, ["Other Signer"]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM unsubscribe_links").await, 0, "no more news");
        // The link is spent: its page and file say so.
        let spent = app.get(&link).await;
        assert_eq!(spent.texts(".token-state"), ["This link does not work any more: it was used to erase, a newer link replaced it, or its day has passed."]);
        assert_eq!(app.get(&format!("/my-data.json?token={token}")).await.status, 404);
        let twice = app.post_form(ERASE, &link, &[("lang", "en"), ("token", &token), ("understood", "yes")]).await;
        assert_eq!(twice.location(), Some(format!("/my-data/view?token={token}")), "nothing to erase twice");

        // Audited with its counts, never the address; logged for staff.
        let (actor, after): (String, String) = on_pool!(&app.store.db, |pool| sqlx::query_as(
            "SELECT actor, after_json FROM audit_log WHERE action = 'data_request.erase'"
        ).fetch_one(pool).await).unwrap();
        assert_eq!(actor, "signer");
        let after: serde_json::Value = serde_json::from_str(&after).unwrap();
        assert_eq!(after["signatures_anonymised"], 2);
        assert_eq!(after["news_links_deleted"], 1);
        assert!(!after.to_string().contains("amelie"), "{after}");
        let sealed: Option<String> = on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT email_sealed FROM data_requests").fetch_one(pool).await).unwrap();
        assert_eq!(sealed, None, "the request keeps no address once done");
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let log = app.get_with("/staff/data-requests", &[("cookie", &admin)]).await;
        assert!(log.texts(".data-requests tbody td:nth-child(4)")[0].starts_with("Erased by the signer on"));
    }

    async fn a_link_ends_after_a_day_and_takes_the_address_with_it(app: &TestApp) {
        let now = chrono::Utc::now().timestamp();
        let email = app::domain::Email::parse("late@example.org").unwrap();
        assert!(app::privacy::on_server::ask(&app.store.db, &email, app::i18n::Locale::Nl, &app.address, now).await.unwrap());
        let link = link_to(app, "late@example.org").await;
        assert_eq!(app.get(&link).await.texts("h2")[0], "Uw handtekeningen");
        // A day later, the retention pass: the link is dead, the address gone, the log stays.
        let day_after = now + app::privacy::LINK_SECONDS + 1;
        app::signing::retention::apply_retention(&app.store.db, 180, day_after).await.unwrap();
        let (hash, sealed, token): (Option<String>, Option<String>, Option<String>) = on_pool!(&app.store.db, |pool| sqlx::query_as(
            "SELECT email_hash, email_sealed, token_hash FROM data_requests"
        ).fetch_one(pool).await).unwrap();
        assert_eq!((hash, sealed, token), (None, None, None));
        assert_eq!(app.get(&link).await.texts(".token-state").len(), 1, "the link does not work");
        let log = app::privacy::on_server::log(&app.store.db, day_after).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].outcome, app::privacy::RequestOutcome::LinkEnded);
    }
}
