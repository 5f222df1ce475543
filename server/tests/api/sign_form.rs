//! The signing form over real HTTP, as a browser without JavaScript posts it
//! and as the island's fetch does; the mail's links; the guards.
use crate::helpers::{Backend, Page, TestApp};
use crate::on_both_backends;
use app::on_pool;

pub const ACTION: &str = "solidarity-with-vahid-afkari";
const SIGN: &str = "/api/sign";

/// The signing form's fields as a signer fills them in.
pub fn form<'a>(email: &'a str, lang: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("support_action", ACTION),
        ("lang", lang),
        ("full_name", "Amélie Dupont"),
        ("email", email),
        ("place", "1000"),
        ("country", "BE"),
        ("consent", "on"),
        ("show_name", "on"),
        ("website", ""),
    ]
}

fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(n, _)| *n != name);
    fields.push((name, value));
    fields
}

async fn signatures(app: &TestApp) -> i64 {
    on_pool!(&app.store.db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM signatures"
    )
    .fetch_one(pool)
    .await)
    .unwrap()
}

/// Each signature's state and confirmation time, in order.
async fn states(app: &TestApp) -> Vec<(String, Option<i64>)> {
    on_pool!(&app.store.db, |pool| sqlx::query_as(
        "SELECT state, confirmed_at FROM signatures ORDER BY id"
    )
    .fetch_all(pool)
    .await)
    .unwrap()
}

async fn mails(app: &TestApp) -> Vec<String> {
    app.mails()
        .await
        .into_iter()
        .map(|mail| mail.body_text)
        .collect()
}

/// The path and query of the link after `label` in a mail, as the signer clicks it.
fn link(app: &TestApp, mail: &str, kind: &str) -> String {
    let url = mail
        .split_whitespace()
        .find(|word| word.contains(&format!("/signatures/{kind}?token=")))
        .expect("link in mail");
    url.strip_prefix(&app.address)
        .expect("link to this site")
        .to_owned()
}

async fn follow_with_cookie(app: &TestApp, answer: &Page) -> Page {
    let location = answer.location().expect("redirect");
    let cookie = answer.cookie("lumieres_sign").expect("flash cookie");
    let path = location.split('#').next().unwrap();
    app.get_with(path, &[("cookie", &cookie)]).await
}

async fn count_on_page(app: &TestApp) -> String {
    app.get(&format!("/actions/{ACTION}"))
        .await
        .texts(".signature-count")[0]
        .clone()
}

on_both_backends! {
    async fn errors_come_back_next_to_their_fields_with_the_typed_values(app: &TestApp) {
        let page = format!("/fr/actions/{ACTION}");
        let fields = with(with(form("pas une adresse", "fr"), "full_name", " "), "consent", "");
        let answer = app.post_form(SIGN, &page, &fields).await;
        assert_eq!(answer.status, 302);
        assert_eq!(answer.location().as_deref(), Some(format!("{page}#sign").as_str()));

        let shown = follow_with_cookie(app, &answer).await;
        assert_eq!(
            shown.headers.get("cache-control").map(|v| v.to_str().unwrap()),
            Some("private, no-store"),
            "the page holds what the signer typed"
        );
        assert_eq!(shown.status, 200);
        assert_eq!(shown.texts("#full_name-error"), ["Indiquez votre nom."]);
        assert_eq!(shown.texts("#email-error"), ["Indiquez une adresse e-mail comme nom@example.org."]);
        assert!(shown.texts("#consent-error")[0].starts_with("Cochez cette case"));
        assert!(shown.texts("#place-error").is_empty(), "a valid field has no message");
        assert_eq!(shown.attr("#email", "value").as_deref(), Some("pas une adresse"), "typed values are kept");
        assert_eq!(shown.attr("#email", "aria-invalid").as_deref(), Some("true"));
        assert_eq!(shown.attr("#place", "value").as_deref(), Some("1000"));
        assert_eq!(shown.attr("#country option[selected]", "value").as_deref(), Some("BE"));
        assert_eq!(shown.texts(".form-problem"), ["Plusieurs champs demandent votre attention."]);
        assert!(shown.cookie("lumieres_sign").is_some_and(|c| c == "lumieres_sign="), "the flash is cleared once shown");

        // Shown once: the same page without the cookie is a fresh form.
        let again = app.get(&page).await;
        assert!(again.texts(".field-error").is_empty());
        assert_eq!(signatures(app).await, 0, "bad input changes nothing");
        assert!(mails(app).await.is_empty());
    }

    async fn a_citizen_signs_confirms_and_withdraws_without_javascript(app: &TestApp) {
        let page = format!("/nl/actions/{ACTION}");
        assert_eq!(count_on_page(app).await, "0 of 1,000 signatures");
        let answer = app.post_form(SIGN, &page, &form("Name+x@Example.org", "nl")).await;
        assert_eq!(answer.status, 302);
        let shown = follow_with_cookie(app, &answer).await;
        assert_eq!(shown.texts(".sign-accepted .accepted-title"), ["Kijk in uw mailbox"]);
        assert_eq!(shown.attr(".sign-accepted", "hidden"), None, "the answer is visible");
        assert_eq!(count_on_page(app).await, "0 of 1,000 signatures", "pending does not count");

        let mail = mails(app).await.pop().expect("a confirmation mail");
        let confirm = link(app, &mail, "confirm");
        assert!(confirm.starts_with("/nl/signatures/confirm?token="), "{confirm}");

        // Opening the link changes nothing: mail scanners open links too.
        let opened = app.get(&confirm).await;
        assert_eq!(opened.status, 200);
        assert_eq!(opened.headers.get("referrer-policy").unwrap(), "no-referrer");
        assert_eq!(opened.attr(".token-state", "data-state").as_deref(), Some("pending"));
        assert_eq!(count_on_page(app).await, "0 of 1,000 signatures");

        let token = confirm.split("token=").nth(1).unwrap();
        let done = app
            .post_form("/api/confirm-signature", &confirm, &[("token", token), ("lang", "nl")])
            .await;
        assert_eq!(done.status, 302);
        assert_eq!(done.location().as_deref(), Some(confirm.as_str()));
        let after = app.get(&confirm).await;
        assert_eq!(after.attr(".token-state", "data-state").as_deref(), Some("confirmed"));
        assert_eq!(after.texts(".token-state"), ["Dank u: uw handtekening is bevestigd en telt mee."]);
        assert_eq!(count_on_page(app).await, "1 of 1,000 signatures");
        let action_page = app.get(&format!("/actions/{ACTION}")).await;
        assert_eq!(action_page.texts(".recent-signers li"), ["Amélie, 1000"], "first name and place only");
        assert_eq!(action_page.html().select(&scraper::Selector::parse(".chart rect.bar").unwrap()).count(), 1);
        assert_eq!(action_page.texts(".per-day-table tbody td:last-child"), ["1"]);
        assert!(!action_page.body.contains("Dupont") && !action_page.body.contains("example.org"), "no surname, no address");

        // Confirming twice is harmless.
        app.post_form("/api/confirm-signature", &confirm, &[("token", token), ("lang", "nl")]).await;
        assert_eq!(count_on_page(app).await, "1 of 1,000 signatures");

        // The same person, other spelling: the same answer, and no second count.
        let twice = app.post_form(SIGN, &page, &form("name@example.org", "nl")).await;
        let shown = follow_with_cookie(app, &twice).await;
        assert_eq!(shown.texts(".sign-accepted .accepted-title"), ["Kijk in uw mailbox"]);
        assert_eq!(count_on_page(app).await, "1 of 1,000 signatures");

        let withdraw = link(app, &mail, "withdraw");
        let asked = app.get(&withdraw).await;
        assert_eq!(asked.attr(".token-state", "data-state").as_deref(), Some("confirmed"));
        app.post_form("/api/withdraw-signature", &withdraw, &[("token", token), ("lang", "nl")]).await;
        assert_eq!(app.get(&withdraw).await.attr(".token-state", "data-state").as_deref(), Some("withdrawn"));
        assert_eq!(count_on_page(app).await, "0 of 1,000 signatures");
        assert!(app.get(&format!("/actions/{ACTION}")).await.texts(".recent-signers li").is_empty());
    }

    async fn the_island_gets_the_outcome_as_data(app: &TestApp) {
        let fetch = [("accept", "application/json"), ("origin", app.address.as_str())];
        let answer = app.post_with(SIGN, &form("amelie@example.org", "en"), &fetch).await;
        assert_eq!((answer.status, answer.body.as_str()), (200, "\"Accepted\""));
        assert!(answer.location().is_none() && answer.cookie("lumieres_sign").is_none());
        assert_eq!(signatures(app).await, 1);

        let invalid = app.post_with(SIGN, &with(form("x", "en"), "country", "XX"), &fetch).await;
        assert_eq!(invalid.status, 200);
        let result: serde_json::Value = serde_json::from_str(&invalid.body).unwrap();
        assert_eq!(result["Invalid"][0]["field"], "Email");
        assert_eq!(result["Invalid"][0]["message"], "sign.error.email_invalid");

        // A country code of the right shape that does not exist: refused at the database.
        let unknown = app.post_with(SIGN, &with(form("b@example.org", "en"), "country", "XX"), &fetch).await;
        let result: serde_json::Value = serde_json::from_str(&unknown.body).unwrap();
        assert_eq!(result["Invalid"][0]["field"], "Country");
        assert_eq!(signatures(app).await, 1);
    }

    async fn a_burst_of_signers_is_stored_exactly_once_each(app: &TestApp) {
        // Concurrent requests share transactions on SQLite (group commit): the
        // same person twice in one batch must still count once.
        let fetch = [("accept", "application/json"), ("origin", app.address.as_str())];
        let mut requests = Vec::new();
        for n in 0..60 {
            let spelling = if n % 2 == 0 { format!("Signer{}+a@Example.org", n / 2) } else { format!("signer{}@example.org", n / 2) };
            requests.push(async move {
                let fields = form(&spelling, "en");
                app.post_with(SIGN, &fields, &fetch).await
            });
        }
        let answers = futures::future::join_all(requests).await;
        assert!(answers.iter().all(|a| a.status == 200 && a.body == "\"Accepted\""), "every request is acknowledged");
        assert_eq!(signatures(app).await, 30, "one signature per person");
        assert_eq!(mails(app).await.len(), 30, "one mail per person: the second spelling is throttled");
    }

    async fn the_honeypot_drops_silently(app: &TestApp) {
        let page = format!("/actions/{ACTION}");
        let bot = with(form("bot@example.org", "en"), "website", "http://spam.example");
        let answer = app.post_form(SIGN, &page, &bot).await;
        let shown = follow_with_cookie(app, &answer).await;
        assert_eq!(shown.texts(".sign-accepted .accepted-title"), ["Check your mail"], "a bot is told what a person is told");
        assert_eq!(shown.attr("#website", "value"), None, "the honeypot is never echoed");
        assert_eq!(signatures(app).await, 0);
        assert!(mails(app).await.is_empty());
    }

    async fn a_post_from_another_site_is_refused(app: &TestApp) {
        let page = format!("/actions/{ACTION}");
        let answer = app
            .post_with(
                SIGN,
                &form("amelie@example.org", "en"),
                &[("accept", "text/html"), ("origin", "https://evil.example"), ("referer", "https://evil.example/x")],
            )
            .await;
        assert_eq!(answer.status, 403);
        assert!(answer.body.contains("Request refused"), "{}", answer.body);
        let fetched = app
            .post_with(SIGN, &form("amelie@example.org", "en"), &[("sec-fetch-site", "cross-site")])
            .await;
        assert_eq!(fetched.status, 403);
        let confirm = app
            .post_with("/api/confirm-signature", &[("token", "x"), ("lang", "en")], &[("origin", "null")])
            .await;
        assert_eq!(confirm.status, 403);
        assert_eq!(signatures(app).await, 0);
        assert_eq!(app.get(&page).await.status, 200, "reading is never refused");
    }

    async fn a_closed_action_shows_why_and_takes_no_signature(app: &TestApp) {
        app::campaigns::actions::on_server::close(&app.store.db, app::server::audit::Actor::Cli, &app::domain::Slug::parse(ACTION).unwrap())
            .await
            .unwrap();
        let page = app.get(&format!("/actions/{ACTION}")).await;
        assert!(page.texts("form.sign-form").is_empty(), "no form on a closed action");
        assert_eq!(page.attr("article.support-action", "data-availability").as_deref(), Some("closed"));
        assert_eq!(
            page.texts(".action-closed"),
            ["This action is closed: its organisers have ended it. Confirmed signatures still count."],
            "the page says why"
        );
        let french = app.get(&format!("/fr/actions/{ACTION}")).await;
        assert_eq!(
            french.texts(".action-closed"),
            ["Cette action est clôturée : ses organisateurs y ont mis fin. Les signatures confirmées restent comptées."]
        );
        let answer = app.post_form(SIGN, &format!("/actions/{ACTION}"), &form("a@example.org", "en")).await;
        let shown = follow_with_cookie(app, &answer).await;
        assert!(shown.texts(".form-problem").is_empty(), "the closed page has no form to show it in");
        assert_eq!(shown.texts(".action-closed").len(), 1, "the reason is still shown after a post");
        assert_eq!(signatures(app).await, 0);
    }

    async fn an_unknown_token_says_so_and_changes_nothing(app: &TestApp) {
        // A real pending signature, which an unknown token must not touch.
        let signed = app.post_form(SIGN, &format!("/actions/{ACTION}"), &form("pending@example.org", "en")).await;
        assert_eq!(signed.status, 302);
        let before = states(app).await;
        assert_eq!(before, [("pending".to_owned(), None)]);
        let mails_before = mails(app).await.len();

        let page = app.get("/signatures/confirm?token=nope").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.attr(".token-state", "data-state").as_deref(), Some("unknown"));
        assert!(page.texts("form.token-form").is_empty());
        for endpoint in ["/api/confirm-signature", "/api/withdraw-signature"] {
            let posted = app
                .post_form(endpoint, "/signatures/confirm?token=nope", &[("token", "nope"), ("lang", "en")])
                .await;
            assert_eq!(posted.status, 302);
        }
        assert_eq!(states(app).await, before, "no signature changed");
        assert_eq!(mails(app).await.len(), mails_before, "nothing was mailed");
        assert_eq!(count_on_page(app).await, "0 of 1,000 signatures", "nothing counts");
    }
}

#[tokio::test]
async fn a_form_whose_values_cannot_be_an_address_is_refused_not_a_crash() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let form = with(
        form("a@example.org", "en"),
        "support_action",
        "x\r\nSet-Cookie: evil=1",
    );
    let answer = app
        .post_form(SIGN, &format!("/actions/{ACTION}"), &form)
        .await;
    assert_eq!(answer.status, 400);
    assert!(answer.cookie("evil").is_none());
    assert_eq!(signatures(&app).await, 0);
    assert_eq!(
        app.get("/healthz").await.status,
        200,
        "the server is still up"
    );
    app.teardown().await;
}

#[tokio::test]
async fn floods_from_one_address_get_429_in_the_visitors_language() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.signing_rate_per_minute = 3;
    })
    .await;
    let page = format!("/fr/actions/{ACTION}");
    let emails = ["a@example.org", "b@example.org", "c@example.org"];
    for email in emails {
        let answer = app.post_form(SIGN, &page, &form(email, "fr")).await;
        assert_eq!(answer.status, 302, "{email} is within the limit");
    }
    let refused = app
        .post_form(SIGN, &page, &form("d@example.org", "fr"))
        .await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.headers.get("retry-after").unwrap(), "60");
    assert!(
        refused.body.contains("Trop de signatures"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(&format!("href=\"{page}\"")),
        "a way back: {}",
        refused.body
    );
    let fetched = app
        .post_with(
            SIGN,
            &form("e@example.org", "fr"),
            &[
                ("accept", "application/json"),
                ("accept-language", "fr-BE,fr;q=0.9"),
            ],
        )
        .await;
    assert_eq!(fetched.status, 429);
    assert!(
        fetched.body.starts_with("ServerError|Trop de signatures"),
        "{}",
        fetched.body
    );
    assert_eq!(signatures(&app).await, 3, "refused requests store nothing");
    app.teardown().await;
}

on_both_backends! {
    /// The whole story through a real mail server: sign, receive the mail in the
    /// signer's language, follow its link, confirm, count.
    async fn mail_reaches_a_real_smtp_server(backend: &Backend) {
        let backend = *backend;
        let sink = crate::helpers::SmtpSink::start().await;
        let url = sink.url();
        let app = TestApp::spawn_with(backend, |settings| {
            settings.smtp_url = Some(url.into());
            settings.mail_from = "Lumières Bruxelles <lumieres@example.org>".into();
        })
        .await;
        let page = format!("/fr/actions/{ACTION}");
        let answer = app
            .post_form(SIGN, &page, &form("Amelie+test@Example.org", "fr"))
            .await;
        assert_eq!(answer.status, 302);

        let mail = sink.mail_to("Amelie+test@Example.org").await;
        assert_eq!(mail.from, "Lumières Bruxelles <lumieres@example.org>");
        assert!(
            mail.subject
                .starts_with("Veuillez confirmer votre signature"),
            "{}",
            mail.subject
        );
        assert!(mail.body.contains("Merci d’avoir signé"), "{}", mail.body);
        let confirm = link(&app, &mail.body, "confirm");
        let token = confirm.split("token=").nth(1).unwrap();
        app.post_form(
            "/api/confirm-signature",
            &confirm,
            &[("token", token), ("lang", "fr")],
        )
        .await;
        assert_eq!(count_on_page(&app).await, "1 of 1,000 signatures");
        // The worker records the delivery just after the server accepted the
        // mail: wait for it (a few seconds at most) rather than race it.
        let mut sent = 0;
        for _ in 0..50 {
            sent = on_pool!(&app.store.db, |pool| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL"
            )
            .fetch_one(pool)
            .await)
            .unwrap();
            if sent == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(sent, 1, "the outbox knows the mail went out");
        app.teardown().await;
    }
}
