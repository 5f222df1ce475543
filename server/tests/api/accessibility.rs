//! The accessibility statement (issue 16): in every language, linked from
//! every page's footer, and its form reaching the administrators by mail,
//! over real HTTP on both backends.
use crate::helpers::{count, staff_account, TestApp};
use crate::on_both_backends;
use app::domain::Role;

const FEEDBACK: &str = "/api/accessibility/feedback";

/// The reports mailed: (recipient, subject, body), by recipient.
async fn reports(app: &TestApp) -> Vec<(String, String, String)> {
    let mut reports: Vec<(String, String, String)> = app
        .mails()
        .await
        .into_iter()
        .filter(|mail| mail.subject.starts_with("Accessibility report"))
        .map(|mail| (mail.recipient, mail.subject, mail.body_text))
        .collect();
    reports.sort_by(|a, b| a.0.cmp(&b.0));
    reports
}

on_both_backends! {
    async fn the_statement_is_in_each_language_and_every_footer_links_it(app: &TestApp) {
        for (path, title, link, prepared) in [
            ("/accessibility", "Accessibility statement", "/accessibility", "prepared on 4 December 2026,"),
            ("/fr/accessibility", "Déclaration d’accessibilité", "/fr/accessibility", "établie le 4 décembre 2026,"),
            ("/nl/accessibility", "Toegankelijkheidsverklaring", "/nl/accessibility", "opgesteld op 4 december 2026,"),
        ] {
            let page = app.get(path).await;
            assert_eq!(page.status, 200, "{path}");
            assert_eq!(page.texts("h1"), [title], "{path}");
            assert!(page.body.contains("WCAG 2.1"), "{path} states the standard");
            assert!(page.body.contains(prepared), "{path} gives the date it was prepared");
            assert_eq!(page.attr("form.feedback-form", "action").as_deref(), Some(FEEDBACK));
            assert_eq!(page.attr(".site-footer a[href$='accessibility']", "href").as_deref(), Some(link));
        }
        for path in ["/", "/persons", "/persons/raif-badawi", "/privacy", "/fr/persons", "/staff/login", "/no-such-page"] {
            let page = app.get(path).await;
            assert!(
                page.attr(".site-footer a[href$='/accessibility']", "href").is_some(),
                "{path} links the statement from its footer"
            );
        }
        assert_eq!(app.get("/xx/accessibility").await.status, 404);
    }

    async fn a_report_reaches_every_administrator_by_mail_and_nobody_else(app: &TestApp) {
        staff_account(app, "admin.one@example.org", "Admin One", Role::Admin, None).await;
        staff_account(app, "admin.two@example.org", "Admin Two", Role::Admin, None).await;
        staff_account(app, "comms@example.org", "Comms", Role::Comms, None).await;
        let answer = app
            .post_form(
                FEEDBACK,
                "/fr/accessibility",
                &[
                    ("lang", "fr"),
                    ("message", "Le formulaire de signature ne s’annonce pas au lecteur d’écran."),
                    ("page", "/fr/actions/solidarity-with-raif-badawi"),
                    ("reply_to", "lectrice@example.org"),
                    ("website", ""),
                ],
            )
            .await;
        assert_eq!(answer.status, 302);
        assert_eq!(answer.location().as_deref(), Some("/fr/accessibility?sent=1#feedback"));
        let sent = app.get("/fr/accessibility?sent=1").await;
        assert_eq!(
            sent.texts("[role=status]"),
            ["Merci : votre message a été envoyé aux responsables du site."]
        );
        let mails = reports(app).await;
        let recipients: Vec<&str> = mails.iter().map(|(to, _, _)| to.as_str()).collect();
        assert_eq!(recipients, ["admin.one@example.org", "admin.two@example.org"]);
        let (_, subject, body) = &mails[0];
        assert_eq!(subject, "Accessibility report: /fr/actions/solidarity-with-raif-badawi");
        assert!(body.contains("Le formulaire de signature ne s’annonce pas au lecteur d’écran."), "{body}");
        assert!(body.contains("Answer to: lectrice@example.org"), "{body}");
        assert!(body.contains("Language: fr"), "{body}");
    }

    async fn a_report_with_problems_sends_nothing_and_says_what_to_mend(app: &TestApp) {
        staff_account(app, "admin@example.org", "Admin", Role::Admin, None).await;
        let answer = app
            .post_form(
                FEEDBACK,
                "/nl/accessibility",
                &[("lang", "nl"), ("message", "   "), ("page", ""), ("reply_to", "not an address"), ("website", "")],
            )
            .await;
        assert_eq!(answer.status, 302);
        assert_eq!(answer.location().as_deref(), Some("/nl/accessibility#feedback"));
        let flash = answer.cookie("lumieres_accessibility").expect("the problems come back");
        let page = app
            .get_with("/nl/accessibility", &[("cookie", &flash)])
            .await;
        assert_eq!(page.texts("[role=alert]"), ["Uw bericht is niet verstuurd: verbeter wat hieronder aangeduid is."]);
        assert_eq!(page.texts("#message-error"), ["Schrijf wat u in de weg stond."]);
        assert_eq!(page.texts("#reply_to-error"), ["Dit is geen e-mailadres. Laat het leeg om anoniem te blijven."]);
        assert_eq!(page.attr("#reply_to", "value").as_deref(), Some("not an address"), "what was typed stays");
        assert_eq!(page.attr("#message", "aria-invalid").as_deref(), Some("true"));
        assert!(
            page.headers.get("cache-control").is_some_and(|v| v.to_str().unwrap().contains("no-store")),
            "a page holding what someone typed is kept by no cache"
        );
        // A script (no HTML asked for) gets the problems as an error.
        let scripted = app
            .post_with(FEEDBACK, &[("lang", "en"), ("message", ""), ("page", ""), ("reply_to", ""), ("website", "")], &[("origin", &app.address)])
            .await;
        assert_eq!(scripted.status, 400, "{}", scripted.body);
        assert!(scripted.body.contains("message=accessibility.error.message_empty"), "{}", scripted.body);
        // Each of these is refused with its reason next to the message.
        let long = "x".repeat(app::accessibility::MAX_MESSAGE_CHARS + 1);
        let long_valid = "y".repeat(3_000);
        for (message, reply_to, said, kept) in [
            (long.as_str(), "", "Your message is too long (at most 5,000 characters), so it was not kept: please shorten it and paste it again.", ""),
            // PostgreSQL would refuse the NUL; the page gives the text back (an
            // HTML parser, a browser's too, reads a NUL as U+FFFD).
            ("The map\u{0}is silent", "", "Your message holds characters that cannot be sent (control characters): please remove them.", "The map\u{fffd}is silent"),
            // Valid, but too long to travel back in a cookie: the reader is told.
            (long_valid.as_str(), "jan@gmailcom", "Your message was too long to be kept while you correct the form: please paste it again.", ""),
        ] {
            let answer = app
                .post_form(FEEDBACK, "/accessibility", &[("lang", "en"), ("message", message), ("page", ""), ("reply_to", reply_to), ("website", "")])
                .await;
            assert_eq!(answer.location().as_deref(), Some("/accessibility#feedback"));
            let flash = answer.cookie("lumieres_accessibility").expect("the problems come back");
            let page = app.get_with("/accessibility", &[("cookie", &flash)]).await;
            assert_eq!(page.texts("#message-error"), [said]);
            assert_eq!(page.texts("#message"), [kept]);
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM outbox").await, 0, "nothing was sent");
        // The typed values were for that one page: the next visit is blank.
        let again = app.get("/accessibility").await;
        assert!(again.texts(".field-error").is_empty());
        assert_eq!(again.attr("#reply_to", "value").as_deref(), Some(""));
    }

    async fn a_bot_that_fills_the_honeypot_is_thanked_and_sends_nothing(app: &TestApp) {
        staff_account(app, "admin@example.org", "Admin", Role::Admin, None).await;
        let answer = app
            .post_form(
                FEEDBACK,
                "/accessibility",
                &[("lang", "en"), ("message", "Buy now"), ("page", ""), ("reply_to", ""), ("website", "https://spam.example")],
            )
            .await;
        assert_eq!(answer.location().as_deref(), Some("/accessibility?sent=1#feedback"));
        assert_eq!(count(app, "SELECT COUNT(*) FROM outbox").await, 0);
    }
}

#[tokio::test]
async fn reports_go_to_the_configured_contact_and_are_rate_limited() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |settings| {
        settings.accessibility_contact = Some("access@city.example".to_owned());
        settings.login_rate_per_minute = 2;
    })
    .await;
    staff_account(&app, "admin@example.org", "Admin", Role::Admin, None).await;
    let report = |n: usize| format!("Report {n}:\r\nthe map has no text alternative.");
    let mut statuses = Vec::new();
    for n in 0..3 {
        let message = report(n);
        let answer = app
            .post_form(
                FEEDBACK,
                "/accessibility",
                &[
                    ("lang", "en"),
                    ("message", &message),
                    ("page", ""),
                    ("reply_to", ""),
                    ("website", ""),
                ],
            )
            .await;
        statuses.push(answer.status);
    }
    assert_eq!(
        statuses,
        [302, 302, 429],
        "the third report of the minute is refused"
    );
    let mails = reports(&app).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(
        mails.iter().all(|(to, _, _)| to == "access@city.example"),
        "only the configured contact: {mails:?}"
    );
    assert!(mails
        .iter()
        .all(|(_, _, body)| body.contains("Answer to: (no address given)")));
    let statement = app.get("/accessibility").await;
    assert_eq!(
        statement
            .attr("a[href='mailto:access@city.example']", "href")
            .as_deref(),
        Some("mailto:access@city.example"),
        "the statement gives the contact address beside the form"
    );
    // Without a page named, the message's first words are the subject, on one line.
    assert_eq!(
        mails[0].1,
        "Accessibility report: Report 0: the map has no text alternative."
    );
    app.teardown().await;
}

/// Every report mails the same people: whatever addresses they come from,
/// the form takes a set number an hour (issue 28, N8).
#[tokio::test]
async fn reports_from_many_addresses_meet_an_hourly_cap() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |settings| {
        settings.accessibility_contact = Some("access@city.example".to_owned());
        settings.accessibility_reports_per_hour = 3;
    })
    .await;
    let mut statuses = Vec::new();
    for (n, from) in ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]
        .into_iter()
        .enumerate()
    {
        let client = reqwest::Client::builder()
            .local_address(from.parse::<std::net::IpAddr>().unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let message = format!("Report {n}: the map has no text alternative.");
        let answer = client
            .post(format!("{}{FEEDBACK}", app.address))
            .header("accept", "text/html")
            .header("origin", &app.address)
            .header("referer", format!("{}/accessibility", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(crate::helpers::form_body(&[
                ("lang", "en"),
                ("message", message.as_str()),
                ("page", ""),
                ("reply_to", ""),
                ("website", ""),
            ]))
            .send()
            .await
            .unwrap();
        statuses.push((answer.status().as_u16(), answer.text().await.unwrap()));
    }
    assert_eq!(
        statuses.iter().map(|s| s.0).collect::<Vec<_>>(),
        [302, 302, 302, 429]
    );
    assert!(
        statuses[3].1.contains("The form is full for now"),
        "{}",
        statuses[3].1
    );
    assert_eq!(
        reports(&app).await.len(),
        3,
        "nothing mailed for the refused one"
    );
    app.teardown().await;
}
