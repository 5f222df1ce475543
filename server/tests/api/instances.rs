//! Several instances on one PostgreSQL, and PostgreSQL going away: what a
//! deployment behind a load balancer relies on (README, "Several instances").
use crate::helpers::{
    count, form_body, staff_account, staff_member, test_settings, Backend, Haproxy, Instance, Page,
    PgDoor, SmtpSink, TestApp, TestStore, PASSWORD,
};
use app::domain::{Email, PersonName, Role, Slug};
use app::i18n::Locale;
use app::signing::SignatureRequest;
use server::startup::open_database;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An instance started before PostgreSQL answers waits for it, trying again,
/// and is up soon after it does.
#[tokio::test]
async fn an_instance_started_before_postgresql_waits_for_it() {
    let store = TestStore::empty(Backend::Postgres).await;
    let mut door = PgDoor::shut().await;
    let mut settings = test_settings(&store);
    settings.database_url = door.url(&store.url()).into();
    settings.database_wait = None;
    let starting = tokio::spawn(async move { open_database(&settings).await.map(|_| ()) });
    // Longer than one attempt (the pool's 5 s wait for a connection): only
    // trying again gets it through once the door opens.
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert!(
        !starting.is_finished(),
        "gave up (or got through a shut door) instead of waiting"
    );
    door.open().await;
    let started = tokio::time::timeout(Duration::from_secs(6), starting)
        .await
        .expect("up within the longest pause between two attempts once PostgreSQL answers")
        .unwrap();
    assert!(started.is_ok(), "{started:?}");
    store.teardown().await;
}

/// With `DATABASE_WAIT_SECONDS=0` it exits at once and says why; a database
/// that does not exist is not waited for, whatever the setting.
#[tokio::test]
async fn what_waiting_cannot_mend_ends_the_start_with_its_reason() {
    let store = TestStore::empty(Backend::Postgres).await;
    let door = PgDoor::shut().await;
    let mut settings = test_settings(&store);
    settings.database_url = door.url(&store.url()).into();
    settings.database_wait = Some(Duration::ZERO);
    let error = open_database(&settings).await.unwrap_err().to_string();
    assert!(
        error.contains("cannot open the database") && error.contains(&door.port.to_string()),
        "{error}"
    );

    let mut settings = test_settings(&store);
    settings.database_url = format!("{}_not_there", store.url()).into();
    settings.database_wait = None;
    let error = tokio::time::timeout(Duration::from_secs(10), open_database(&settings))
        .await
        .expect("a missing database is not waited for")
        .unwrap_err()
        .to_string();
    assert!(error.contains("does not exist"), "{error}");
    store.teardown().await;
}

/// 1,000 due mails and two instances, each with its outbox worker: every
/// mail reaches the mail server once.
#[tokio::test]
async fn two_instances_send_every_mail_exactly_once() {
    use app::server::outbox::{Enqueue, NewMail};
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(Backend::Postgres, |settings| {
        settings.smtp_url = Some(sink.url().into());
    })
    .await;
    let other = app.another_instance().await;
    let app::server::db::Db::Postgres(pool) = &app.store.db else {
        unreachable!()
    };
    let now = app::server::clock::now();
    let mut tx = pool.begin().await.unwrap();
    for i in 0..1000 {
        let recipient = format!("signer{i}@example.org");
        let mail = NewMail {
            recipient: &recipient,
            subject: "Please confirm your signature",
            body_text: "A mail among a thousand.",
            list_unsubscribe: None,
            about: None,
        };
        tx.enqueue(&mail, now).await.unwrap();
    }
    tx.commit().await.unwrap();

    let unsent = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL";
    for _ in 0..600 {
        if count(&app, unsent).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count(&app, unsent).await, 0, "not all sent within a minute");
    let received = sink.received();
    let recipients: HashSet<&str> = received.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(recipients.len(), 1000, "a mail is missing");
    assert_eq!(received.len(), 1000, "a mail was sent twice");
    other.stop().await;
    app.teardown().await;
}

/// 100 due partner feeds and two instances, each with its feed worker: every
/// feed is fetched once. The partner answers slowly, so that the two passes
/// run at the same time (more fetches at once than one pass makes).
#[tokio::test]
async fn two_instances_fetch_every_due_feed_exactly_once() {
    let partner = SlowPartner::start().await;
    let store = TestStore::with_demo(Backend::Postgres).await;
    let app::server::db::Db::Postgres(pool) = &store.db else {
        unreachable!()
    };
    for i in 0..100 {
        sqlx::query("INSERT INTO feeds (url, partner, created_at) VALUES ($1, 'Partner', 0)")
            .bind(format!("{}/feed/{i}", partner.address))
            .execute(pool)
            .await
            .unwrap();
    }
    let mut settings = test_settings(&store);
    settings.feed_worker = true;
    let first = TestApp::with_store(store, settings).await;
    let second = first.another_instance().await;

    let fetched = "SELECT COUNT(*) FROM feeds WHERE last_fetched_at IS NOT NULL";
    for _ in 0..300 {
        if count(&first, fetched).await == 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(&first, fetched).await,
        100,
        "not all fetched within 30 s"
    );
    let fetches = partner.fetches.lock().unwrap().clone();
    assert_eq!(fetches.len(), 100, "a feed was not fetched: {fetches:?}");
    assert!(
        fetches.values().all(|&n| n == 1),
        "a feed was fetched twice: {fetches:?}"
    );
    let most = partner.most_at_once.load(Ordering::SeqCst);
    assert!(
        most > app::feeds::sync::CLAIM_BATCH as usize,
        "the two passes did not overlap ({most} fetches at once at most): the test proves nothing"
    );
    second.stop().await;
    first.teardown().await;
}

/// A partner that counts the fetches of each of its feeds and answers each
/// after a pause.
struct SlowPartner {
    address: String,
    fetches: Arc<Mutex<HashMap<u32, u32>>>,
    most_at_once: Arc<AtomicUsize>,
}

impl SlowPartner {
    async fn start() -> Self {
        let fetches = Arc::new(Mutex::new(HashMap::new()));
        let most_at_once = Arc::new(AtomicUsize::new(0));
        let at_once = Arc::new(AtomicUsize::new(0));
        let counted = (fetches.clone(), most_at_once.clone());
        let app = axum::Router::new().route(
            "/feed/{n}",
            axum::routing::get(move |axum::extract::Path(n): axum::extract::Path<u32>| {
                let (fetches, most_at_once) = counted.clone();
                let at_once = at_once.clone();
                async move {
                    *fetches.lock().unwrap().entry(n).or_insert(0) += 1;
                    let now = at_once.fetch_add(1, Ordering::SeqCst) + 1;
                    most_at_once.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    at_once.fetch_sub(1, Ordering::SeqCst);
                    (
                        [(http::header::CONTENT_TYPE, "application/rss+xml")],
                        format!(
                            "<rss version=\"2.0\"><channel><title>Partner {n}</title>\
                             <link>https://partner.example/</link><description>d</description>\
                             </channel></rss>"
                        ),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            address,
            fetches,
            most_at_once,
        }
    }
}

/// A staff member logged in through one instance is logged in on the other:
/// sessions live in the database.
#[tokio::test]
async fn a_session_made_on_one_instance_works_on_the_other() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let other = app.another_instance().await;
    let cookie = staff_member(&app, "comms@example.org", Role::Comms, None).await;
    let page = get_at(&app, &other.address, "/staff", Some(&cookie)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("comms"), "the staff home of that member");
    let anonymous = get_at(&app, &other.address, "/staff", None).await;
    assert!(
        anonymous
            .location()
            .is_some_and(|l| l.contains("/staff/login")),
        "without the cookie: the login page"
    );
    other.stop().await;
    app.teardown().await;
}

/// Failed logins spread over two instances lock the account as on one: the
/// count is in the database.
#[tokio::test]
async fn failed_logins_count_across_instances() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let other = app.another_instance().await;
    staff_account(
        &app,
        "council@example.org",
        "council",
        Role::Council,
        Some("brussels"),
    )
    .await;
    for attempt in 0..5 {
        let base = if attempt % 2 == 0 {
            &app.address
        } else {
            &other.address
        };
        let page = log_in_at(&app, base, "council@example.org", "not the passphrase").await;
        assert!(page.cookie("lumieres_session").is_none());
    }
    for base in [&app.address, &other.address] {
        let page = log_in_at(&app, base, "council@example.org", PASSWORD).await;
        assert!(
            page.cookie("lumieres_session").is_none(),
            "the sixth attempt, right or wrong, on either instance is refused"
        );
        let flash = page
            .cookie("lumieres_login")
            .expect("the reason, for the login page");
        let login = get_at(&app, base, "/staff/login", Some(&flash)).await;
        assert!(
            login.body.contains("Too many failed logins"),
            "{}",
            login.body
        );
    }
    other.stop().await;
    app.teardown().await;
}

async fn get_at(app: &TestApp, base: &str, path: &str, cookie: Option<&str>) -> Page {
    let mut request = app
        .client
        .get(format!("{base}{path}"))
        .header("accept", "text/html");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    page(request).await
}

async fn log_in_at(app: &TestApp, base: &str, email: &str, password: &str) -> Page {
    let fields = [
        ("email", email),
        ("password", password),
        ("next", "/staff"),
        ("lang", "en"),
    ];
    let request = form_post(&app.client, base, "/api/login", &fields)
        .header("accept", "text/html")
        .header("referer", format!("{base}/staff/login"));
    page(request).await
}

/// A form posted to `base` from one of its pages.
fn form_post(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    client
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", base)
        .body(form_body(fields))
}

/// A signature, posted as the signing island does.
fn signature(client: &reqwest::Client, base: &str, email: &str) -> reqwest::RequestBuilder {
    let fields = [
        ("support_action", "solidarity-with-vahid-afkari"),
        ("lang", "en"),
        ("full_name", "Amélie Dupont"),
        ("email", email),
        ("consent", "on"),
        ("website", ""),
    ];
    form_post(client, base, "/api/sign", &fields).header("accept", "application/json")
}

async fn page(request: reqwest::RequestBuilder) -> Page {
    let response = request.send().await.expect("request");
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}

/// Through HAProxy, one address's signatures all reach one instance (`balance
/// source`), so each instance's limit in memory is the limit: the fourth
/// signature of a minute from one address is refused whichever instance
/// would have taken it. Another address has its own.
#[tokio::test]
async fn the_signing_limit_holds_for_an_address_behind_haproxy() {
    let app = TestApp::spawn_with(Backend::Postgres, |settings| {
        settings.signing_rate_per_minute = 3;
        settings.client_address = app::server::guard::ClientAddress::behind(
            Some(http::HeaderName::from_static("x-forwarded-for")),
            app::server::guard::parse_trusted_proxies("127.0.0.1").unwrap(),
        )
        .unwrap();
    })
    .await;
    let other = app.another_instance().await;
    let haproxy = Haproxy::start(&[&app.address, &other.address]).await;
    let sign = |from: &'static str, email: &'static str| {
        let client = reqwest::Client::builder()
            .local_address(from.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap();
        let request = signature(&client, &haproxy.address, email);
        async move { page(request).await.status }
    };
    for email in ["a@example.org", "b@example.org", "c@example.org"] {
        assert_eq!(
            sign("127.0.0.1", email).await,
            200,
            "{email} is within the limit"
        );
    }
    assert_eq!(sign("127.0.0.1", "d@example.org").await, 429);
    assert_eq!(
        sign("127.0.0.2", "e@example.org").await,
        200,
        "another address"
    );
    // Whoever reaches an instance's port directly is counted by its own
    // address, whatever X-Forwarded-For it writes (issue 28, N5).
    let direct = reqwest::Client::builder()
        .local_address("127.0.0.3".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let mut statuses = Vec::new();
    for i in 0..4 {
        let request = signature(&direct, &app.address, &format!("forged{i}@example.org"))
            .header("x-forwarded-for", format!("198.51.100.{i}"));
        statuses.push(page(request).await.status);
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 429],
        "a forged header does not reset the limit"
    );
    let stored = "SELECT COUNT(*) FROM signatures";
    assert_eq!(
        count(&app, stored).await,
        7,
        "refused requests store nothing"
    );
    drop(haproxy);
    other.stop().await;
    app.teardown().await;
}

/// Both instances run the retention pass and the session clean-up; run at
/// once, they neither fail nor do a row's work twice.
#[tokio::test]
async fn retention_and_session_clean_up_run_at_once_on_two_instances() {
    use app::backoffice::session::on_server::{forget_expired, log_in, SESSION_SECONDS};
    use app::signing::retention::apply_retention;
    let app = TestApp::spawn(Backend::Postgres).await;
    let other = app::server::db::Db::connect(&app.store.url(), 5)
        .await
        .unwrap();
    let now = 2_000_000_000;
    for i in 0..300 {
        let request = SignatureRequest {
            action: Slug::parse("solidarity-with-vahid-afkari").unwrap(),
            name: PersonName::parse("Amélie Dupont").unwrap(),
            email: Email::parse(&format!("signer{i}@example.org")).unwrap(),
            place: None,
            country: None,
            show_name: false,
            keep_informed: false,
            locale: Locale::Fr,
            client_ip: None,
        };
        app::signing::store::sign(&app.store.db, &request, "http://h", now)
            .await
            .unwrap();
    }
    staff_account(
        &app,
        "council@example.org",
        "council",
        Role::Council,
        Some("brussels"),
    )
    .await;
    for _ in 0..30 {
        log_in(&app.store.db, "council@example.org", PASSWORD, None, now)
            .await
            .unwrap();
    }
    let pending = "SELECT COUNT(*) FROM signatures WHERE state = 'pending'";
    let sessions = "SELECT COUNT(*) FROM sessions";
    let (pending_before, sessions_before) =
        (count(&app, pending).await, count(&app, sessions).await);
    assert!(pending_before >= 300 && sessions_before >= 30);

    let later = now + SESSION_SECONDS.max(8 * 86_400);
    let (one, two) = tokio::join!(
        apply_retention(&app.store.db, 180, later),
        apply_retention(&other, 180, later)
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(
        one.unconfirmed_deleted + two.unconfirmed_deleted,
        pending_before as u64,
        "each unconfirmed signature deleted once"
    );
    assert_eq!(count(&app, pending).await, 0);
    let (one, two) = tokio::join!(
        forget_expired(&app.store.db, later),
        forget_expired(&other, later)
    );
    assert_eq!(one.unwrap() + two.unwrap(), sessions_before as u64);
    assert_eq!(count(&app, sessions).await, 0);
    other.close().await;
    app.teardown().await;
}

/// While PostgreSQL cannot be reached, an instance answers 503 (pages, the
/// API, signing, its health check), neither hanging nor stopping, and serves
/// again by itself within seconds of PostgreSQL coming back.
#[tokio::test]
async fn while_postgresql_is_away_an_instance_answers_503_and_then_recovers() {
    let store = TestStore::with_demo(Backend::Postgres).await;
    let mut door = PgDoor::shut().await;
    door.open().await;
    let settings = test_settings(&store);
    let db = app::server::db::Db::connect(&door.url(&store.url()), 5)
        .await
        .unwrap();
    let instance = Instance::start(&settings, db).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let status = |path: &'static str| {
        let request = client
            .get(format!("{}{path}", instance.address))
            .header("accept", "text/html");
        async move { page(request).await.status }
    };
    let sign = |email: &'static str| {
        let request = signature(&client, &instance.address, email);
        async move { page(request).await.status }
    };
    let pages = [
        "/persons/vahid-afkari",
        "/persons",
        "/api/v1/persons",
        "/actions/solidarity-with-vahid-afkari/embed",
        "/healthz",
    ];
    for path in pages {
        assert_eq!(status(path).await, 200, "{path} before");
    }
    assert_eq!(sign("before@door.example.org").await, 200);

    door.close().await;
    for path in pages {
        assert_eq!(status(path).await, 503, "{path} while PostgreSQL is away");
    }
    let away = page(
        client
            .get(format!("{}/fr/persons/vahid-afkari", instance.address))
            .header("accept", "text/html"),
    )
    .await;
    assert_eq!(
        away.headers.get("retry-after").map(|v| v.to_str().unwrap()),
        Some("5")
    );
    let embed = page(client.get(format!(
        "{}/actions/solidarity-with-vahid-afkari/embed",
        instance.address
    )))
    .await;
    assert_eq!(
        (
            embed.status,
            embed
                .headers
                .get("retry-after")
                .map(|v| v.to_str().unwrap())
        ),
        (503, Some("5")),
        "the embed on a city's site says when to try again"
    );
    assert!(
        away.body.contains("De retour dans un instant"),
        "said in the page's language: {}",
        away.body
    );
    assert_eq!(sign("away@door.example.org").await, 503);

    door.open().await;
    let back = tokio::time::Instant::now();
    while status("/healthz").await != 200 {
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "not back within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for path in pages {
        assert_eq!(status(path).await, 200, "{path} after");
    }
    assert_eq!(sign("after@door.example.org").await, 200);
    let stored: Vec<String> = crate::helpers::stored_signers(&store.db)
        .await
        .into_iter()
        .filter_map(|s| s.email.filter(|e| e.ends_with("@door.example.org")))
        .collect();
    assert_eq!(
        stored,
        ["before@door.example.org", "after@door.example.org"]
    );
    instance.stop().await;
    store.teardown().await;
}
