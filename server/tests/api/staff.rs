//! Staff login, sessions and logout over real HTTP, on both backends.
use crate::helpers::{staff_account, TestApp, PASSWORD};
use crate::on_both_backends;
use app::domain::Role;

async fn council_member(app: &TestApp) {
    let email = "camille@brussels.example";
    staff_account(app, email, "Camille Leroy", Role::Council, Some("brussels")).await;
}

/// An account a password alone logs in (no second factor asked of it).
async fn communications(app: &TestApp) {
    let email = "comms@brussels.example";
    staff_account(app, email, "Comms", Role::Comms, None).await;
}

async fn log_in(app: &TestApp, email: &str, password: &str, next: &str) -> crate::helpers::Page {
    app.post_form(
        "/api/login",
        "/staff/login",
        &[
            ("email", email),
            ("password", password),
            ("next", next),
            ("lang", "en"),
        ],
    )
    .await
}

on_both_backends! {
    async fn an_anonymous_visitor_is_sent_to_the_login_page_and_back(app: &TestApp) {
        council_member(app).await;
        let page = app.get("/staff").await;
        assert_eq!(page.status, 302);
        assert_eq!(page.location().as_deref(), Some("/staff/login?next=%2Fstaff"));
        let french = app.get("/fr/staff").await;
        assert_eq!(french.location().as_deref(), Some("/fr/staff/login?next=%2Ffr%2Fstaff"));

        let login = app.get("/staff/login?next=%2Fstaff").await;
        assert_eq!(login.status, 200);
        assert_eq!(login.attr("input[name=next]", "value").as_deref(), Some("/staff"));
        assert_eq!(login.headers.get("cache-control").unwrap(), "private, no-store");

        let answer = log_in(app, "Camille@Brussels.example", PASSWORD, "/staff").await;
        assert_eq!(answer.status, 302);
        // A council member has a second factor: the code page, then where she was going.
        assert_eq!(answer.location().as_deref(), Some("/staff/login/code?next=%2Fstaff"));
        let set = answer.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
        let session = set.iter().find(|c| c.starts_with("lumieres_session=")).expect("a session cookie");
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
        assert!(!session.contains("Secure"), "plain http here; https PUBLIC_URL adds Secure");
        let waiting = answer.cookie("lumieres_session").unwrap();
        assert_eq!(app.get_with("/staff", &[("cookie", &waiting)]).await.status, 302, "not in before the code");
        let cookie = crate::helpers::second_step(app, &waiting, "camille@brussels.example").await;

        let home = app.get_with("/staff", &[("cookie", &cookie)]).await;
        assert_eq!(home.status, 200);
        assert_eq!(home.texts(".logged-in"), ["Logged in as Camille Leroy (council member, City of Brussels)"]);

        let out = app.post_with("/api/logout", &[("lang", "en")], &[("accept", "text/html"), ("cookie", &cookie), ("origin", &app.address)]).await;
        assert_eq!(out.status, 302);
        assert_eq!(out.location().as_deref(), Some("/staff/login"));
        assert_eq!(out.cookie("lumieres_session").as_deref(), Some("lumieres_session="));
        let after = app.get_with("/staff", &[("cookie", &cookie)]).await;
        assert_eq!(after.status, 302, "the old cookie opens nothing after logout");
    }

    async fn a_wrong_email_and_a_wrong_password_get_the_same_answer(app: &TestApp) {
        council_member(app).await;
        let mut messages = Vec::new();
        for (email, password) in [("camille@brussels.example", "not the passphrase"), ("nobody@brussels.example", PASSWORD)] {
            let answer = log_in(app, email, password, "/staff").await;
            assert_eq!(answer.status, 302);
            assert_eq!(answer.location().as_deref(), Some("/staff/login?next=%2Fstaff"));
            assert!(answer.cookie("lumieres_session").is_none());
            let flash = answer.cookie("lumieres_login").expect("a flash");
            let page = app.get_with("/staff/login?next=%2Fstaff", &[("cookie", &flash)]).await;
            assert_eq!(page.attr("#email", "value").as_deref(), Some(email), "the typed email is kept");
            messages.push(page.texts("#login-problem"));
        }
        assert_eq!(messages[0], ["Wrong email address or password."]);
        assert_eq!(messages[0], messages[1]);
    }

    async fn an_account_is_locked_after_five_failures(app: &TestApp) {
        council_member(app).await;
        for _ in 0..5 {
            log_in(app, "camille@brussels.example", "wrong wrong wrong", "/staff").await;
        }
        let answer = log_in(app, "camille@brussels.example", PASSWORD, "/staff").await;
        assert!(answer.cookie("lumieres_session").is_none(), "even the right password waits");
        let flash = answer.cookie("lumieres_login").unwrap();
        let page = app.get_with("/staff/login", &[("cookie", &flash)]).await;
        assert!(page.texts("#login-problem")[0].starts_with("Too many failed logins"));
    }

    async fn only_local_addresses_are_followed_after_login(app: &TestApp) {
        communications(app).await;
        let answer = log_in(app, "comms@brussels.example", PASSWORD, "https://evil.example/").await;
        assert_eq!(answer.location().as_deref(), Some("/staff"));
        // Browsers drop a tab from an address: "/\t/evil.example" would lead off the site.
        for next in ["/\t/evil.example", "/\n/evil.example", "//evil.example"] {
            let answer = log_in(app, "comms@brussels.example", PASSWORD, next).await;
            assert_eq!(answer.location().as_deref(), Some("/staff"), "{next:?}");
        }
    }
}

on_both_backends! {
    async fn guesses_made_at_once_try_no_more_passwords_than_one_at_a_time(app: &TestApp) {
        use app::backoffice::session::on_server::{log_in, LoginError, MAX_FAILURES_PER_ACCOUNT};
        council_member(app).await;
        let now = app::server::clock::now();
        let guesses = (0..20).map(|i| {
            let db = app.store.db.clone();
            let ip: std::net::IpAddr = format!("198.51.100.{i}").parse().unwrap();
            async move { log_in(&db, "camille@brussels.example", &format!("guess number {i}"), Some(ip), now).await }
        });
        let outcomes = futures::future::join_all(guesses).await;
        let tried = outcomes.iter().filter(|o| matches!(o, Err(LoginError::Invalid))).count();
        let throttled = outcomes.iter().filter(|o| matches!(o, Err(LoginError::Throttled))).count();
        assert!(tried as i64 <= MAX_FAILURES_PER_ACCOUNT, "{tried} passwords were tried");
        assert_eq!(tried + throttled, 20);
        let right = log_in(&app.store.db, "camille@brussels.example", PASSWORD, None, now).await;
        assert!(matches!(right, Err(LoginError::Throttled)), "the account is locked for the window");
        let later = log_in(&app.store.db, "camille@brussels.example", PASSWORD, None, now + 16 * 60).await;
        assert!(later.is_ok(), "and opens again after it");
    }

    async fn one_ipv6_network_counts_as_one_address(app: &TestApp) {
        use app::backoffice::session::on_server::{log_in, LoginError, MAX_FAILURES_PER_ADDRESS};
        let now = app::server::clock::now();
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            let ip: std::net::IpAddr = format!("2001:db8:1:2::{:x}", i + 1).parse().unwrap();
            let email = format!("nobody{i}@brussels.example");
            assert!(matches!(log_in(&app.store.db, &email, "guess", Some(ip), now).await, Err(LoginError::Invalid)));
        }
        let neighbour: std::net::IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let next = log_in(&app.store.db, "someone@brussels.example", "guess", Some(neighbour), now).await;
        assert!(matches!(next, Err(LoginError::Throttled)), "the same /64");
        let elsewhere: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let other = log_in(&app.store.db, "someone@brussels.example", "guess", Some(elsewhere), now).await;
        assert!(matches!(other, Err(LoginError::Invalid)), "another network is not affected");
    }

    async fn expired_sessions_and_old_failures_are_deleted(app: &TestApp) {
        use app::backoffice::session::on_server::{forget_expired, log_in, user_for_token, SESSION_SECONDS, THROTTLE_WINDOW_SECONDS};
        // Communications staff: a password alone opens a full session.
        staff_account(app, "comms@brussels.example", "Comms", Role::Comms, None).await;
        let now = 2_000_000_000;
        let (_, opened) = log_in(&app.store.db, "comms@brussels.example", PASSWORD, None, now).await.unwrap();
        let token = opened.token;
        assert!(log_in(&app.store.db, "comms@brussels.example", "wrong wrong wrong", None, now).await.is_err());
        assert_eq!(forget_expired(&app.store.db, now + 60).await.unwrap(), 0, "nothing is old yet");
        assert!(user_for_token(&app.store.db, &token, now + 60).await.unwrap().is_some());
        let later = now + SESSION_SECONDS.max(THROTTLE_WINDOW_SECONDS);
        assert_eq!(forget_expired(&app.store.db, later).await.unwrap(), 2, "one session, one failure");
        assert!(user_for_token(&app.store.db, &token, now + 60).await.unwrap().is_none(), "the session is gone");
    }
}

#[tokio::test]
async fn behind_https_browsers_are_told_to_stay_on_https_and_the_session_cookie_is_host_only() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |settings| {
        settings.public_url = Some("https://lumieres.example".into());
    })
    .await;
    communications(&app).await;
    let home = app.get("/").await;
    assert_eq!(
        home.headers.get("strict-transport-security").unwrap(),
        "max-age=31536000"
    );
    let csp = home
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    let answer = log_in(&app, "comms@brussels.example", PASSWORD, "/staff").await;
    let set_cookie: Vec<&str> = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with("__Host-lumieres_session="))
        .expect("a __Host- cookie");
    assert!(
        session.contains("; Secure") && session.contains("Path=/") && !session.contains("Domain"),
        "{session}"
    );
    assert!(
        answer.cookie("lumieres_session").is_none(),
        "no cookie without the prefix"
    );
    let cookie = answer.cookie("__Host-lumieres_session").unwrap();
    let staff = app.get_with("/staff", &[("cookie", &cookie)]).await;
    assert_eq!(staff.status, 200, "the prefixed cookie opens the session");
    assert_eq!(
        staff.headers.get("cache-control").unwrap(),
        "private, no-store"
    );
    let plain = app
        .get_with("/staff", &[("cookie", &cookie.replace("__Host-", ""))])
        .await;
    assert_eq!(
        plain.status, 302,
        "a cookie without the prefix is not read behind https"
    );
    app.teardown().await;
}

#[tokio::test]
async fn plain_http_sites_send_no_hsts() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    assert!(app
        .get("/")
        .await
        .headers
        .get("strict-transport-security")
        .is_none());
    app.teardown().await;
}

#[tokio::test]
async fn logins_from_one_address_are_rate_limited() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |settings| {
        settings.login_rate_per_minute = 3;
    })
    .await;
    council_member(&app).await;
    for _ in 0..3 {
        let answer = log_in(
            &app,
            "camille@brussels.example",
            "not the passphrase",
            "/staff",
        )
        .await;
        assert_eq!(answer.status, 302);
    }
    let refused = log_in(&app, "camille@brussels.example", PASSWORD, "/staff").await;
    assert_eq!(refused.status, 429);
    assert!(refused.body.contains("Too many logins"), "{}", refused.body);
    assert!(refused.cookie("lumieres_session").is_none());
    app.teardown().await;
}
