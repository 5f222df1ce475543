//! A second factor for staff logins (issue 28), over real HTTP on both
//! backends: set up from "Your account" with JavaScript off, asked at every
//! login (a password, or a mailed password link, opens nothing by itself),
//! each code once, recovery codes once each, required of administrators and
//! council members, reset by an administrator.
use crate::helpers::{count, post_as, staff_account, staff_member, Page, TestApp, PASSWORD};
use crate::on_both_backends;
use app::backoffice::two_factor::on_server::code_at;
use app::domain::Role;

const ACCOUNT: &str = "/staff/account";

async fn password(app: &TestApp, email: &str) -> Page {
    app.post_form(
        "/api/login",
        "/staff/login",
        &[
            ("email", email),
            ("password", PASSWORD),
            ("next", "/staff"),
            ("lang", "en"),
        ],
    )
    .await
}

async fn code(app: &TestApp, cookie: &str, code: &str) -> Page {
    app.post_with(
        "/api/login/code",
        &[("code", code), ("next", "/staff"), ("lang", "en")],
        &[
            ("accept", "text/html"),
            ("referer", &format!("{}/staff/login/code", app.address)),
            ("origin", &app.address),
            ("cookie", cookie),
        ],
    )
    .await
}

/// "Mail me a link", then the password set through the mailed link: the
/// answer, with the session it opened.
async fn password_through_link(app: &TestApp, email: &str) -> Page {
    app.post_form(
        "/api/password/forgot",
        "/staff/password/forgot",
        &[("email", email), ("lang", "en")],
    )
    .await;
    let mail = app.mails_to(email).await.pop().unwrap().body_text;
    let link = mail
        .split_whitespace()
        .find(|w| w.contains("/staff/password?token="))
        .unwrap();
    let token = link.split_once("token=").unwrap().1;
    app.post_form(
        "/api/password/set",
        "/staff/password",
        &[
            ("token", token),
            ("new_password", PASSWORD),
            ("repeat_password", PASSWORD),
            ("lang", "en"),
        ],
    )
    .await
}

/// RFC 4648 base32, as the account page shows the secret for typing.
fn base32(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        bits = (bits << 5) | ALPHABET.find(c.to_ascii_uppercase()).expect("base32") as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

on_both_backends! {
    async fn a_second_factor_is_set_up_and_asked_at_every_login(app: &TestApp) {
        let email = "comms@brussels.example";
        let cookie = staff_member(app, email, Role::Comms, None).await;
        let page = app.get_with(ACCOUNT, &[("cookie", &cookie)]).await;
        assert_eq!(page.texts(".second-factor-state"), ["Off: a login asks for your password only."]);

        // Set up with JavaScript off: the page shows the secret and its QR code.
        post_as(app, &cookie, "/api/staff/second-factor/start", ACCOUNT, &[("lang", "en")]).await;
        let page = app.get_with(ACCOUNT, &[("cookie", &cookie)]).await;
        let secret = page.texts(".totp-secret").pop().expect("the secret to type");
        assert!(page.body.contains("<svg") && page.html().select(&scraper::Selector::parse(".totp-qr svg path").unwrap()).next().is_some(), "a QR code");
        let secret = base32(&secret);
        assert_eq!(secret.len(), 20);
        let sealed: String = app::on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT secret_sealed FROM staff_totp").fetch_one(pool).await).unwrap();
        assert!(sealed.starts_with("sealed:v1:"), "the secret is sealed at rest");

        // A wrong code confirms nothing; the app's confirms it and shows ten recovery codes once.
        let wrong = post_as(app, &cookie, "/api/staff/second-factor/confirm", ACCOUNT, &[("code", "000000"), ("lang", "en")]).await;
        assert_eq!(wrong.status, 302);
        let page = app.get_with(ACCOUNT, &[("cookie", &cookie)]).await;
        assert_eq!(page.texts("#second-factor-code-error"), ["This code is not right, or was used already. Type the code your app shows now."]);
        let now = app::server::clock::now();
        let confirm_code = code_at(&secret, now);
        post_as(app, &cookie, "/api/staff/second-factor/confirm", ACCOUNT, &[("code", &confirm_code), ("lang", "en")]).await;
        let page = app.get_with(ACCOUNT, &[("cookie", &cookie)]).await;
        let codes = page.texts(".recovery-codes li");
        assert_eq!(codes.len(), 10, "{}", page.body);
        assert_eq!(page.texts(".second-factor-state"), ["On: every login asks for a code from your authenticator app, or for your passkey."]);
        let again = app.get_with(ACCOUNT, &[("cookie", &cookie)]).await;
        assert!(again.texts(".recovery-codes li").is_empty(), "shown once");
        assert_eq!(again.texts(".recovery-codes-left"), ["Recovery codes left: 10."]);
        let hashes: i64 = count(app, "SELECT COUNT(*) FROM staff_recovery_codes").await;
        assert_eq!(hashes, 10);
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.second_factor_set'").await, 1);

        // The password alone opens a session that waits for the code, and nothing else.
        let answer = password(app, email).await;
        assert_eq!(answer.location().as_deref(), Some("/staff/login/code?next=%2Fstaff"));
        let waiting = answer.cookie("lumieres_session").unwrap();
        assert_eq!(app.get_with("/staff", &[("cookie", &waiting)]).await.status, 302, "not logged in yet");
        assert_eq!(app.get_with("/staff/translations", &[("cookie", &waiting)]).await.status, 302);
        let code_page = app.get_with("/staff/login/code?next=%2Fstaff", &[("cookie", &waiting)]).await;
        assert_eq!(code_page.status, 200);
        assert_eq!(code_page.attr("#code", "autocomplete").as_deref(), Some("one-time-code"));
        assert_eq!(app.get("/staff/login/code").await.status, 302, "no session waits: to the login page");

        // The code used to confirm the app is spent; a wrong one is refused with the reason.
        let replayed = code(app, &waiting, &confirm_code).await;
        assert_eq!(replayed.location().as_deref(), Some("/staff/login/code?next=%2Fstaff"));
        let flash = replayed.cookie("lumieres_login").expect("the reason");
        let shown = app.get_with("/staff/login/code?next=%2Fstaff", &[("cookie", &format!("{waiting}; {flash}"))]).await;
        assert_eq!(shown.texts("#login-problem"), ["This code is not right, or was used already. Type the code your app shows now."]);

        // A recovery code (typed in capitals, without its dash) opens a new session; the waiting one is gone.
        let recovery = codes[0].to_uppercase().replace('-', "");
        let answer = code(app, &waiting, &recovery).await;
        assert_eq!(answer.location().as_deref(), Some("/staff"));
        let full = answer.cookie("lumieres_session").unwrap();
        assert_ne!(full, waiting, "a new token");
        assert_eq!(app.get_with("/staff", &[("cookie", &full)]).await.status, 200);
        assert_eq!(app.get_with(ACCOUNT, &[("cookie", &full)]).await.texts(".recovery-codes-left"), ["Recovery codes left: 9."]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.recovery_code_used'").await, 1);
        let waiting = password(app, email).await.cookie("lumieres_session").unwrap();
        assert_eq!(code(app, &waiting, &codes[0]).await.location().as_deref(), Some("/staff/login/code?next=%2Fstaff"), "once");
        // The app's code of the next step opens it.
        let next = code_at(&secret, now + 30);
        assert_eq!(code(app, &waiting, &next).await.location().as_deref(), Some("/staff"));

        // Wrong codes up to the account's limit (two were refused above)...
        let guessing = password(app, email).await.cookie("lumieres_session").unwrap();
        for _ in 0..3 {
            code(app, &guessing, "000000").await;
        }
        // A mailed password link sets the password but the code is still asked.
        let set = password_through_link(app, email).await;
        assert_eq!(set.location().as_deref(), Some("/staff/login/code?next=%2Fstaff"), "the link proves the mailbox, not the phone");
        let from_link = set.cookie("lumieres_session").unwrap();
        assert_eq!(app.get_with("/staff", &[("cookie", &from_link)]).await.status, 302);
        // ...and the link does not forget them: no fresh guesses at the code per mailed link.
        let refused = code(app, &from_link, &codes[1]).await;
        assert_eq!(refused.location().as_deref(), Some("/staff/login/code?next=%2Fstaff"), "throttled");
        assert_eq!(count(app, "SELECT COUNT(*) FROM staff_recovery_codes WHERE used_at IS NULL").await, 9, "nothing spent");
    }

    async fn administrators_and_council_members_set_one_up_before_anything_else(app: &TestApp) {
        // An administrator made by the command line, without a second factor yet.
        let user = app::backoffice::accounts::NewUser {
            email: app::domain::Email::parse("first@brussels.example").unwrap(),
            name: app::domain::PersonName::parse("First Admin").unwrap(),
            role: Role::Admin,
            municipality: None,
        };
        app::backoffice::accounts::create_user(&app.store.db, app::server::audit::Actor::Cli, &user, PASSWORD, 1).await.unwrap();
        let answer = password(app, "first@brussels.example").await;
        assert_eq!(answer.location().as_deref(), Some("/staff"));
        let cookie = answer.cookie("lumieres_session").unwrap();
        let home = app.get_with("/staff", &[("cookie", &cookie)]).await;
        assert_eq!(home.texts(".form-problem"), ["Your role needs a second factor: set up an authenticator app or a passkey on your account page first. Your account"]);
        let accounts = app.get_with("/staff/accounts", &[("cookie", &cookie)]).await;
        assert_eq!(accounts.location().as_deref(), Some("/staff/account#second-factor"), "only the account page opens");
        let call = app.post_with("/api/staff/accounts", &[], &[("cookie", &cookie), ("origin", &app.address)]).await;
        assert_eq!(call.status, 403, "nor any server function");
        let action = "/staff/actions/solidarity-with-vahid-afkari";
        let csv = post_as(app, &cookie, &format!("{action}/signatures.csv"), action, &[]).await;
        assert_eq!(csv.status, 403, "nor the signers' list, a plain route");
        let page = app.get_with(ACCOUNT, &[("cookie", &cookie)]).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.texts(".second-factor-state"), ["Your role needs a second factor, and you have none yet: set one up before anything else."]);
        assert!(page.html().select(&scraper::Selector::parse("form[action='/api/staff/second-factor/remove']").unwrap()).next().is_none());
    }

    async fn an_administrator_resets_a_lost_one_and_requires_one_of_communications_staff(app: &TestApp) {
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        staff_account(app, "camille@brussels.example", "Camille", Role::Council, Some("brussels")).await;
        staff_account(app, "comms@brussels.example", "Comms", Role::Comms, None).await;
        let ids: Vec<i64> = app::on_pool!(&app.store.db, |pool| sqlx::query_scalar(
            "SELECT id FROM users WHERE email IN ('camille@brussels.example', 'comms@brussels.example') ORDER BY email"
        ).fetch_all(pool).await).unwrap();
        let (council, comms) = (ids[0].to_string(), ids[1].to_string());
        let accounts = app.get_with("/staff/accounts", &[("cookie", &admin)]).await;
        assert_eq!(accounts.texts(&format!("#account-{council} .second-factor-state")), ["Second factor: on"]);
        assert_eq!(accounts.texts(&format!("#account-{comms} .second-factor-state")), ["Second factor: off"]);

        // Camille lost her phone: reset, audited, and she is told by mail.
        let reset = post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &council), ("change", "second-factor-reset")]).await;
        assert_eq!(reset.location().as_deref(), Some("/staff/accounts"));
        assert_eq!(count(app, "SELECT COUNT(*) FROM staff_totp").await, 1, "the administrator's own stays");
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.second_factor_reset'").await, 1);
        let mail = app.mails_to("camille@brussels.example").await.pop().expect("a mail to the owner");
        assert_eq!(mail.subject, "Lumières: your second factor was reset");
        assert!(mail.body_text.contains("admin, an administrator, reset"), "{}", mail.body_text);
        let answer = password(app, "camille@brussels.example").await;
        assert_eq!(answer.location().as_deref(), Some("/staff"), "her password, then the set-up");
        let camille = answer.cookie("lumieres_session").unwrap();
        assert_eq!(app.get_with("/staff/persons", &[("cookie", &camille)]).await.location().as_deref(), Some("/staff/account#second-factor"));

        // Required of communications staff by an administrator's word.
        post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &comms), ("change", "second-factor-require")]).await;
        let accounts = app.get_with("/staff/accounts", &[("cookie", &admin)]).await;
        assert_eq!(accounts.texts(&format!("#account-{comms} .second-factor-state")), ["Second factor: needed, not set up"]);
        let answer = password(app, "comms@brussels.example").await;
        let comms_cookie = answer.cookie("lumieres_session").unwrap();
        assert_eq!(app.get_with("/staff/translations", &[("cookie", &comms_cookie)]).await.location().as_deref(), Some("/staff/account#second-factor"));
        // Nobody but an administrator resets or requires.
        let refused = post_as(app, &comms_cookie, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &comms), ("change", "second-factor-optional")]).await;
        assert_eq!(refused.status, 403);
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.second_factor_required'").await, 1);
    }
}

on_both_backends! {
    async fn a_password_link_lets_the_owner_out_of_a_strangers_lockout(app: &TestApp) {
        let email = "admin@brussels.example";
        staff_account(app, email, "Admin", Role::Admin, None).await;
        // A stranger's wrong passwords lock the account...
        for _ in 0..6 {
            app.post_form("/api/login", "/staff/login", &[("email", email), ("password", "wrong guess"), ("next", "/staff"), ("lang", "en")]).await;
        }
        let locked = password(app, email).await;
        assert_ne!(locked.location().as_deref(), Some("/staff/login/code?next=%2Fstaff"), "throttled");
        // ...until the owner's mailed link: then the password and the second step work.
        let set = password_through_link(app, email).await;
        let waiting = set.cookie("lumieres_session").unwrap();
        let full = crate::helpers::second_step(app, &waiting, email).await;
        assert_eq!(app.get_with("/staff", &[("cookie", &full)]).await.status, 200);
    }
}
