//! Following a case without signing (issue 31, item 3): the form on a
//! person's page, the mail that confirms it (nothing goes before), the news
//! at once or in a weekly digest with its one-click stop (RFC 8058), the
//! staff's count (never who), a request for one's data, retention. Over
//! real HTTP, on both backends.
use crate::helpers::{count, publish_update, sql, staff_member, Page, TestApp};
use crate::on_both_backends;
use app::domain::Role;
use app::on_pool;

const FOLLOW: &str = "/api/follow";
const VAHID: &str = "vahid-afkari";

/// Asks to follow as a browser with JavaScript off does, from the person page.
async fn follow(app: &TestApp, lang: &str, person: &str, email: &str, cadence: &str) -> Page {
    let page = if lang == "en" {
        format!("/persons/{person}")
    } else {
        format!("/{lang}/persons/{person}")
    };
    app.post_form(
        FOLLOW,
        &page,
        &[
            ("lang", lang),
            ("person", person),
            ("email", email),
            ("cadence", cadence),
            ("website", ""),
        ],
    )
    .await
}

/// The confirmation link in the last mail to `address`, on this site.
async fn confirm_link(app: &TestApp, address: &str) -> String {
    let mails = app.mails_to(address).await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.body_text.contains("/follows/confirm?token="))
        .expect("a confirmation mailed");
    let link = mail
        .body_text
        .split_whitespace()
        .find(|w| w.contains("/follows/confirm?token="))
        .unwrap();
    link.strip_prefix(&app.address)
        .expect("a link to this site")
        .to_owned()
}

async fn news_to(app: &TestApp, address: &str, title: &str) -> Vec<crate::helpers::Mail> {
    app.mails_to(address)
        .await
        .into_iter()
        .filter(|m| m.subject.ends_with(title))
        .collect()
}

on_both_backends! {
    async fn a_follow_is_confirmed_by_mail_brings_the_news_and_stops_in_one_click(app: &TestApp) {
        // The form, on the person page, with JavaScript off too.
        let page = app.get("/fr/persons/vahid-afkari").await;
        assert_eq!(page.attr("form.follow-form", "action").as_deref(), Some(FOLLOW));
        assert_eq!(page.texts("#follow-heading"), ["Suivre ce dossier"]);
        assert!(page.attr("#follow-at_once", "checked").is_some(), "news at once unless chosen otherwise");
        assert_eq!(page.texts(".follow-form legend"), ["À quel rythme"]);

        let asked = follow(app, "fr", VAHID, "Suivre+tag@Example.org", "at_once").await;
        assert_eq!(asked.status, 302);
        assert_eq!(asked.location().as_deref(), Some("/fr/persons/vahid-afkari?follow=sent#follow"));
        let sent = app.get("/fr/persons/vahid-afkari?follow=sent").await;
        assert!(sent.texts(".follow [role=status]")[0].starts_with("Presque fini"), "{:?}", sent.texts("[role=status]"));

        // One mail, in the page's language, to the address the follow is found by.
        let mails = app.mails_to("suivre@example.org").await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].subject, "Veuillez confirmer : nouvelles de Vahid Afkari");
        assert!(mails[0].body_text.contains("(Chaque nouvelle, dès sa publication)"), "{}", mails[0].body_text);
        assert_eq!(mails[0].list_unsubscribe, None, "a confirmation is not news");
        let link = confirm_link(app, "suivre@example.org").await;
        assert!(link.starts_with("/fr/follows/confirm?token="), "{link}");

        // Nothing goes before the address confirms.
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        publish_update(app, &comms, VAHID, "Trial postponed").await;
        assert!(news_to(app, "suivre@example.org", "Trial postponed").await.is_empty());

        // Opening the link changes nothing (mail scanners open links); its button confirms.
        let page = app.get(&link).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.headers["cache-control"], "no-store");
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
        assert_eq!(page.texts(".token-state"), ["Voulez-vous recevoir les nouvelles de Vahid Afkari à cette adresse ?"]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM follows WHERE state = 'confirmed'").await, 0);
        let action = page.attr("form.token-form", "action").unwrap();
        let token = link.split("token=").nth(1).unwrap();
        for _ in 0..2 {
            let done = app.post_form(&action, &link, &[("token", token), ("lang", "fr")]).await;
            assert_eq!(done.status, 302);
            assert_eq!(done.location().as_deref(), Some(link.as_str()));
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM follows WHERE state = 'confirmed'").await, 1);
        let page = app.get(&link).await;
        assert_eq!(page.texts(".token-state"), ["C’est fait : les nouvelles de Vahid Afkari arriveront à cette adresse. Chaque message contient un lien pour les arrêter."]);

        // Staff see how many follow, never who.
        let page = app.get_with("/staff/persons/vahid-afkari", &[("cookie", &comms)]).await;
        assert_eq!(page.texts(".followers"), ["Following this case: 1 confirmed, 0 waiting for confirmation. Who they are is never shown."]);
        assert!(!page.body.contains("suivre@"), "no address on the staff page");

        // The news, at once, with its link that stops it.
        publish_update(app, &comms, VAHID, "Hearing set").await;
        let news = news_to(app, "suivre@example.org", "Hearing set").await;
        assert_eq!(news.len(), 1);
        assert_eq!(news[0].subject, "Vahid Afkari : Hearing set");
        assert!(news[0].body_text.contains("Vous recevez ce message parce que vous avez demandé à suivre ce dossier."), "{}", news[0].body_text);
        assert!(news[0].body_text.contains("/fr/signatures/unsubscribe?token="));
        let one_click = news[0].list_unsubscribe.clone().expect("List-Unsubscribe");
        let one_click = one_click.strip_prefix(&app.address).unwrap().to_owned();

        // Asking again changes nothing and tells nothing.
        let again = follow(app, "fr", VAHID, "suivre@example.org", "weekly").await;
        assert_eq!(again.location().as_deref(), Some("/fr/persons/vahid-afkari?follow=sent#follow"));
        assert_eq!(app.mails_to("suivre@example.org").await.iter().filter(|m| m.body_text.contains("/follows/confirm")).count(), 1);

        // The mail client's one-click POST (RFC 8058) ends the follow.
        let answer = app.client.post(format!("{}{one_click}", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 200);
        assert_eq!(count(app, "SELECT COUNT(*) FROM follows").await, 0, "nothing kept of it");
        publish_update(app, &comms, VAHID, "Released on bail").await;
        assert!(news_to(app, "suivre@example.org", "Released on bail").await.is_empty());
        // Its link's page says the news stopped; the confirmation link names nothing now.
        assert_eq!(app.get(&link).await.texts(".token-state")[0], "Ce lien n’est pas valide. Un message plus récent l’a peut-être remplacé : utilisez le lien du dernier, ou redemandez sur la page du dossier.");
    }

    async fn asking_to_follow_checks_what_is_typed_and_tells_nobody_who_follows(app: &TestApp) {
        // Not an address: said next to the field, with what was typed; nothing written.
        let wrong = follow(app, "nl", VAHID, "not an address", "weekly").await;
        assert_eq!(wrong.location().as_deref(), Some("/nl/persons/vahid-afkari#follow"));
        let flash = wrong.cookie("lumieres_follow").expect("the problem comes back");
        let page = app.get_with("/nl/persons/vahid-afkari", &[("cookie", &flash)]).await;
        assert_eq!(page.texts("#follow-email-error"), ["Typ een e-mailadres, zoals naam@voorbeeld.be."]);
        assert_eq!(page.attr("#follow-email", "value").as_deref(), Some("not an address"));
        assert_eq!(page.attr("#follow-email", "aria-invalid").as_deref(), Some("true"));
        assert!(page.attr("#follow-weekly", "checked").is_some(), "the choice is kept");
        // An unknown cadence, the same way.
        let wrong = follow(app, "en", VAHID, "a@example.org", "hourly").await;
        let flash = wrong.cookie("lumieres_follow").unwrap();
        let page = app.get_with("/persons/vahid-afkari", &[("cookie", &flash)]).await;
        assert_eq!(page.texts("#follow-cadence-error"), ["Choose how often you want the news."]);
        // A person who is not public cannot be followed, nor can a bot.
        sql(app, "UPDATE persons SET is_public = FALSE WHERE slug = 'dorgelesse-nguessan'").await;
        assert_eq!(follow(app, "en", "dorgelesse-nguessan", "a@example.org", "at_once").await.status, 404);
        assert_eq!(follow(app, "en", "nobody-at-all", "a@example.org", "at_once").await.status, 404);
        let bot = app.post_form(FOLLOW, "/persons/vahid-afkari", &[
            ("lang", "en"), ("person", VAHID), ("email", "bot@example.org"), ("cadence", "at_once"), ("website", "http://spam.example"),
        ]).await;
        assert_eq!(bot.location().as_deref(), Some("/persons/vahid-afkari?follow=sent#follow"));
        assert_eq!(count(app, "SELECT COUNT(*) FROM follows").await, 0);
        for address in ["a@example.org", "bot@example.org"] {
            assert!(app.mails_to(address).await.is_empty(), "{address}");
        }

        // Asked twice within ten minutes: one mail.
        follow(app, "en", VAHID, "twice@example.org", "at_once").await;
        follow(app, "en", VAHID, "twice@example.org", "at_once").await;
        assert_eq!(app.mails_to("twice@example.org").await.len(), 1);
        // The address waits sealed, found by its keyed hash.
        let (hash, sealed): (String, String) = on_pool!(&app.store.db, |pool| sqlx::query_as(
            "SELECT email_hash, email_sealed FROM follows"
        ).fetch_one(pool).await).unwrap();
        assert_eq!(hash, crate::helpers::email_hash("twice@example.org"));
        assert!(sealed.starts_with("sealed:v1:") && !sealed.contains('@'));
        // What a refused post typed comes back to that browser only: the
        // page as cached for everyone shows none of it.
        for path in ["/persons/vahid-afkari", "/nl/persons/vahid-afkari"] {
            let plain = app.get(path).await;
            assert!(!plain.body.contains("not an address") && !plain.body.contains("a@example.org"), "{path}");
            assert_eq!(plain.attr("#follow-email", "value").as_deref(), Some(""));
            assert!(plain.texts("#follow-email-error").is_empty() && plain.texts("#follow-cadence-error").is_empty());
        }

        // A signer who also follows the case hears each piece of news once.
        let signed = app.post_form("/api/sign", "/actions/solidarity-with-vahid-afkari", &[
            ("support_action", "solidarity-with-vahid-afkari"), ("lang", "en"), ("full_name", "Twice Over"),
            ("email", "twice@example.org"), ("place", "1000"), ("country", "BE"), ("consent", "on"), ("show_name", ""),
            ("keep_informed", "on"), ("website", ""),
        ]).await;
        assert_eq!(signed.status, 302);
        sql(app, "UPDATE signatures SET state = 'confirmed', confirmed_at = 1").await;
        let link = confirm_link(app, "twice@example.org").await;
        let token = link.split("token=").nth(1).unwrap().to_owned();
        app.post_form("/api/confirm-follow", &link, &[("token", &token), ("lang", "en")]).await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        publish_update(app, &comms, VAHID, "Visit allowed").await;
        let news = news_to(app, "twice@example.org", "Visit allowed").await;
        assert_eq!(news.len(), 1);
        assert!(news[0].body_text.contains("when you signed"), "told as a signer");
    }

    async fn a_weekly_follower_gets_one_digest_when_the_week_brought_news(app: &TestApp) {
        use app::signing::follows::on_server::{confirm, mail_digests, DIGEST_EVERY_SECONDS};
        let now = chrono::Utc::now().timestamp();
        follow(app, "nl", VAHID, "week@example.org", "weekly").await;
        let link = confirm_link(app, "week@example.org").await;
        let token = link.split("token=").nth(1).unwrap().to_owned();
        confirm(&app.store.db, &token, now - 60).await.unwrap();
        // An update published as staff do: mailed at once to others, not to
        // a weekly follower.
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        publish_update(app, &comms, VAHID, "Trial opened").await;
        assert!(news_to(app, "week@example.org", "Trial opened").await.is_empty(), "not at once");
        // Others nobody was mailed about: one since made internal, a draft,
        // and one counted as announced without a mail (a trusted feed's).
        for (title, published, internal, announced) in [
            ("Lawyer's note", true, true, Some(now)),
            ("Draft", false, false, Some(now)),
            ("From a trusted feed", true, false, None),
        ] {
            on_pool!(&app.store.db, |pool| sqlx::query(
                "INSERT INTO status_events (person_id, status, occurred_year, occurred_month, occurred_day, title,
                                            is_published, is_internal, published_at, updated_at, notified_at, announced_at)
                 SELECT id, 'detained', 2026, 11, 30, $1, $2, $3, $4, $4, $4, $5 FROM persons WHERE slug = 'vahid-afkari'"
            ).bind(title).bind(published).bind(internal).bind(now).bind(announced).execute(pool).await.map(|_| ())).unwrap();
        }
        assert_eq!(mail_digests(&app.store.db, &app.address, now).await.unwrap(), 0, "the week is not over");
        let later = now - 60 + DIGEST_EVERY_SECONDS;
        assert_eq!(mail_digests(&app.store.db, &app.address, later).await.unwrap(), 1);
        let digest = app.mails_to("week@example.org").await.pop().unwrap();
        assert_eq!(digest.subject, "Vahid Afkari: het nieuws van de week");
        assert!(digest.body_text.contains("- 20 november 2026: Trial opened\n  (Nog niet vertaald"), "{}", digest.body_text);
        for hidden in ["Lawyer", "Draft", "trusted feed"] {
            assert!(!digest.body_text.contains(hidden), "{hidden}: only what was told to others");
        }
        assert!(digest.body_text.contains("/nl/signatures/unsubscribe?token="));
        assert!(digest.list_unsubscribe.is_some());
        // Once a week at most, and only with news.
        assert_eq!(mail_digests(&app.store.db, &app.address, later + 3600).await.unwrap(), 0);
        assert_eq!(mail_digests(&app.store.db, &app.address, later + 2 * DIGEST_EVERY_SECONDS).await.unwrap(), 0, "no news, no mail");
        // News with its status, in the reader's language.
        on_pool!(&app.store.db, |pool| sqlx::query(
            "INSERT INTO status_events (person_id, status, occurred_year, title, is_published, published_at, updated_at, notified_at, announced_at)
             SELECT id, 'detained', 2026, 'Moved', TRUE, $1, $1, $1, $1 FROM persons WHERE slug = 'vahid-afkari'"
        ).bind(later + 10).execute(pool).await.map(|_| ())).unwrap();
        assert_eq!(mail_digests(&app.store.db, &app.address, later + 3 * DIGEST_EVERY_SECONDS).await.unwrap(), 1);
        let digest = app.mails_to("week@example.org").await.pop().unwrap();
        assert!(digest.body_text.contains("- 2026: Moved\n"), "{}", digest.body_text);
        assert!(digest.body_text.contains(": Gedetineerd\n"), "the status, in the reader's language: {}", digest.body_text);
        assert!(!digest.body_text.contains("Trial opened"), "told once");
        // A case no longer public gets no digest, even with news.
        on_pool!(&app.store.db, |pool| sqlx::query(
            "UPDATE status_events SET announced_at = $1 WHERE title = 'Moved'"
        ).bind(later + 4 * DIGEST_EVERY_SECONDS).execute(pool).await.map(|_| ())).unwrap();
        sql(app, "UPDATE persons SET is_public = FALSE WHERE slug = 'vahid-afkari'").await;
        assert_eq!(mail_digests(&app.store.db, &app.address, later + 5 * DIGEST_EVERY_SECONDS).await.unwrap(), 0);
    }

    async fn ones_data_shows_and_erases_the_follows_and_retention_forgets_them(app: &TestApp) {
        follow(app, "en", VAHID, "mine@example.org", "weekly").await;
        follow(app, "en", "dorgelesse-nguessan", "mine@example.org", "at_once").await;
        let link = confirm_link(app, "mine@example.org").await;
        app.post_form("/api/confirm-follow", &link, &[("token", link.split("token=").nth(1).unwrap()), ("lang", "en")]).await;
        app.post_form("/api/my-data/ask", "/my-data", &[("lang", "en"), ("email", "mine@example.org"), ("website", "")]).await;
        let mail = app.mails_to("mine@example.org").await.into_iter().rev().find(|m| m.body_text.contains("/my-data/view?token=")).unwrap();
        let view = mail.body_text.split_whitespace().find(|w| w.contains("/my-data/view?token=")).unwrap().strip_prefix(&app.address).unwrap().to_owned();
        let page = app.get(&view).await;
        assert_eq!(page.texts(".held-follows h3"), ["Vahid Afkari", "Dorgelesse N'guessan"]);
        let values = page.texts(".held-follows dd");
        for shown in ["Waiting for confirmation", "Confirmed: news is sent", "One mail a week, when there is news", "Each update, as it is published"] {
            assert!(values.iter().any(|v| v == shown), "{shown} in {values:?}");
        }
        let token = view.split("token=").nth(1).unwrap().to_owned();
        let json: serde_json::Value = serde_json::from_str(&app.get(&format!("/my-data.json?token={token}")).await.body).unwrap();
        assert_eq!(json["follows"].as_array().unwrap().len(), 2);
        assert_eq!(json["follows"][0]["cadence"], "weekly");
        assert_eq!(json["follows"][1]["confirmed"], true);

        let erased = app.post_form("/api/my-data/erase", &view, &[("lang", "en"), ("token", &token), ("understood", "yes")]).await;
        assert_eq!(erased.location().as_deref(), Some("/my-data?erased=1"));
        assert_eq!(count(app, "SELECT COUNT(*) FROM follows").await, 0);
        let after: String = on_pool!(&app.store.db, |pool| sqlx::query_scalar(
            "SELECT after_json FROM audit_log WHERE action = 'data_request.erase'"
        ).fetch_one(pool).await).unwrap();
        assert!(after.contains("\"follows_deleted\":2"), "{after}");

        // Retention: a follow never confirmed goes after a week, a confirmed one after two years.
        let now = chrono::Utc::now().timestamp();
        follow(app, "en", VAHID, "old@example.org", "at_once").await;
        follow(app, "en", VAHID, "older@example.org", "at_once").await;
        follow(app, "en", VAHID, "new@example.org", "at_once").await;
        on_pool!(&app.store.db, |pool| sqlx::query(
            "UPDATE follows SET created_at = $1 WHERE email_hash = $2"
        ).bind(now - 8 * 86_400).bind(crate::helpers::email_hash("old@example.org")).execute(pool).await.map(|_| ())).unwrap();
        on_pool!(&app.store.db, |pool| sqlx::query(
            "UPDATE follows SET state = 'confirmed', confirmed_at = $1, digest_from = $1 WHERE email_hash = $2"
        ).bind(now - 731 * 86_400).bind(crate::helpers::email_hash("older@example.org")).execute(pool).await.map(|_| ())).unwrap();
        let done = app::signing::retention::apply_retention(&app.store.db, 180, now).await.unwrap();
        assert_eq!(done.follows_deleted, 2);
        let left: Vec<String> = on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT email_hash FROM follows").fetch_all(pool).await).unwrap();
        assert_eq!(left, [crate::helpers::email_hash("new@example.org")]);
    }
}
