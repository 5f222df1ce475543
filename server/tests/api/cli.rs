//! The binary itself: help, and one clear line when the database is wrong.
use std::process::Command;

fn server() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.env("RUST_LOG", "off");
    // The key the tests seal with in this process, for databases they share
    // with the binary.
    cmd.env("DATA_KEY", crate::helpers::tests_key_base64());
    cmd
}

#[test]
fn help_lists_the_subcommands() {
    let out = server().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in ["serve", "migrate", "seed-demo", "DATABASE_URL"] {
        assert!(text.contains(sub), "{sub} missing from --help:\n{text}");
    }
}

/// A SQLite URL in a new temporary folder, and the folder to remove afterwards.
fn temp_sqlite(file: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("lumieres-cli-{}", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}/{file}", dir.display());
    (dir, url)
}

/// Runs the binary on a database: (succeeded, stdout, stderr).
fn run_on(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = server()
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn one_line_error(database_url: &str) -> String {
    let out = server()
        .arg("migrate")
        .env("DATABASE_URL", database_url)
        .output()
        .unwrap();
    assert!(!out.status.success(), "exit status must be non-zero");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line, got:\n{stderr}");
    lines[0].to_owned()
}

#[test]
fn a_bad_database_url_is_one_clear_line() {
    let line = one_line_error("mysql://localhost/lumieres");
    assert!(
        line.starts_with("error: DATABASE_URL must start with sqlite: or postgres://"),
        "{line}"
    );
}

#[test]
fn an_unreachable_database_is_one_clear_line_without_the_password() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let line = one_line_error("postgres://lumieres:hunter2@127.0.0.1:1/lumieres");
    assert!(
        line.starts_with(
            "error: cannot open the database at postgres://lumieres:***@127.0.0.1:1/lumieres"
        ),
        "{line}"
    );
    assert!(!line.contains("hunter2"));
}

#[test]
fn migrate_and_seed_demo_work_on_a_new_sqlite_file() {
    let (dir, url) = temp_sqlite("nested/lumieres.db");
    let run = |args: &[&str]| {
        let out = server()
            .args(args)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(&["migrate"]).contains("up to date"));
    assert!(
        run(&["seed-demo", "--if-empty"]).contains("5 persons, 9 status events, 2 support actions")
    );
    assert!(run(&["seed-demo"]).contains("already present"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A SQLite site restored without its data key would start with a new one,
/// and what the backup holds sealed would never open: refused first, with
/// nothing made.
#[test]
fn a_restore_without_the_data_key_of_the_site_backed_up_is_refused_first() {
    let (dir, url) = temp_sqlite("restored/lumieres.db");
    let backup = dir.join("nightly.backup");
    let restore = || {
        server()
            .env_remove("DATA_KEY")
            .env("DATABASE_URL", &url)
            .arg("restore")
            .arg(&backup)
            .output()
            .unwrap()
    };
    let out = restore();
    assert!(!out.status.success());
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(
        said.contains("needs the data key of the site backed up"),
        "{said}"
    );
    assert!(said.contains("restored/lumieres.key"), "{said}");
    assert!(!dir.join("restored").exists(), "nothing made");
    // With the key file in place, the restore goes on (here, to the
    // missing backup file).
    std::fs::create_dir_all(dir.join("restored")).unwrap();
    std::fs::write(
        dir.join("restored/lumieres.key"),
        crate::helpers::tests_key_base64(),
    )
    .unwrap();
    let out = restore();
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(
        !out.status.success() && said.contains("cannot read"),
        "{said}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// SIGTERM lets requests in flight finish, then the server exits cleanly.
#[test]
fn serve_prints_its_url_and_stops_gracefully_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let (dir, url) = temp_sqlite("lumieres.db");
    let mut child = server()
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("Lumières is running at ")
        .expect(&line)
        .to_owned();
    let port: u16 = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn support_actions_are_managed_from_the_command_line() {
    let (dir, url) = temp_sqlite("lumieres.db");
    let run = |args: &[&str]| run_on(&url, args);
    assert!(run(&["seed-demo"]).0);
    let create = |slug: &str, goal: &str, closes: &str| {
        run(&[
            "action",
            "create",
            "--person",
            "hamid-babaei",
            "--slug",
            slug,
            "--title",
            "Write to Hamid Babaei",
            "--text",
            "<p>Greetings</p>",
            "--addressee",
            "Hamid Babaei",
            "--goal",
            goal,
            "--opens",
            "2026-01-01",
            "--closes",
            closes,
        ])
    };
    let (ok, out, _) = create("write-to-hamid", "250", "2099-12-31");
    assert!(ok && out.contains("/actions/write-to-hamid"), "{out}");

    // Bad input: one clear line, non-zero exit, nothing created.
    let (ok, _, err) = create("Write To Hamid", "250", "2099-12-31");
    assert!(!ok && err.starts_with("error: --slug:"), "{err}");
    let (ok, _, err) = create("another", "250", "2099-13-01");
    assert!(
        !ok && err.starts_with("error: --closes: the month must be between 1 and 12"),
        "{err}"
    );
    let (ok, _, err) = create("write-to-hamid", "250", "2099-12-31");
    assert!(!ok && err.contains("already exists"), "{err}");

    let (_, list, _) = run(&["action", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(
        list.contains(
            "write-to-hamid\thamid-babaei\topen\t0/250 confirmed\t2026-01-01 to 2099-12-31"
        ),
        "{list}"
    );

    assert!(run(&["action", "close", "write-to-hamid"]).0);
    let (_, list, _) = run(&["action", "list"]);
    assert!(
        list.contains("write-to-hamid\thamid-babaei\tclosed"),
        "{list}"
    );
    let (ok, _, err) = run(&["action", "close", "no-such-action"]);
    assert!(
        !ok && err.contains("no support action has the slug"),
        "{err}"
    );

    // The same audited writes as the staff pages, by the system actor `cli`.
    let audit: Vec<(String, String, Option<i64>, Option<String>)> =
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let db = app::server::db::Db::connect(&url, 1).await.unwrap();
            let rows = app::on_pool!(&db, |pool| sqlx::query_as(
                "SELECT action, actor, user_id, after_json FROM audit_log
                  WHERE record_type = 'support_action' ORDER BY id"
            )
            .fetch_all(pool)
            .await)
            .unwrap();
            db.close().await;
            rows
        });
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|(action, actor, _, _)| (action.as_str(), actor.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("support_action.create", "cli"),
            // Written in English for a Brussels case: out with the French
            // and Dutch to follow, and the log says so.
            ("support_action.publish_before_translation", "cli"),
            ("support_action.close", "cli")
        ],
        "refused commands leave no trace"
    );
    assert!(audit.iter().all(|(_, _, user, _)| user.is_none()));
    assert!(
        audit[0].3.as_deref().unwrap().contains("\"goal\":250"),
        "{:?}",
        audit[0].3
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn export_signatures_writes_confirmed_ones_as_safe_csv() {
    use app::domain::{CountryCode, Email, Line, PersonName, Slug};
    use app::signing::{store as signatures, SignatureRequest};
    let (dir, url) = temp_sqlite("lumieres.db");
    let run = |args: &[&str]| run_on(&url, args);
    assert!(run(&["seed-demo"]).0);
    let db = app::server::db::Db::connect(&url, 1).await.unwrap();
    app::server::data_key::install(crate::helpers::test_data_key()).unwrap();
    let action = "solidarity-with-vahid-afkari";
    let mut tokens = Vec::new();
    for (name, email) in [
        ("Amélie Dupont", "amelie@example.org"),
        ("=HYPERLINK(\"http://evil.example\")", "bot@example.org"),
        ("Jan Peeters", "jan@example.org"),
    ] {
        let request = SignatureRequest {
            action: Slug::parse(action).unwrap(),
            name: PersonName::parse(name).unwrap(),
            email: Email::parse(email).unwrap(),
            place: Some(Line::parse("1000 Bruxelles").unwrap()),
            country: Some(CountryCode::parse("BE").unwrap()),
            show_name: false,
            keep_informed: false,
            locale: app::i18n::Locale::Fr,
            client_ip: None,
        };
        signatures::sign(&db, &request, "http://h", 1_800_000_000)
            .await
            .unwrap();
        let mails = crate::helpers::mails_in(&db, &dir.join("outbox")).await;
        let body = &mails.last().unwrap().body_text;
        let start = body.find("token=").unwrap() + 6;
        tokens.push(body[start..].split_whitespace().next().unwrap().to_owned());
    }
    // Two of three confirm; the pending one is not delivered.
    signatures::confirm(&db, &tokens[0], "http://h", 1_800_000_100)
        .await
        .unwrap();
    signatures::confirm(&db, &tokens[1], "http://h", 1_800_000_200)
        .await
        .unwrap();
    db.close().await;

    let (ok, csv, err) = run(&["export-signatures", action]);
    assert!(ok, "{err}");
    assert_eq!(
        csv,
        "name,municipality_or_postcode,country,confirmed_at\n\
         Amélie Dupont,1000 Bruxelles,BE,2027-01-15T08:01:40Z\n\
         \"'=HYPERLINK(\"\"http://evil.example\"\")\",1000 Bruxelles,BE,2027-01-15T08:03:20Z\n"
    );
    assert!(!csv.contains('@'), "no email address is exported");

    let (ok, _, err) = run(&["export-signatures", "no-such-action"]);
    assert!(
        !ok && err.starts_with("error: no support action has the slug"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Runs the binary with `input` on its standard input (not a terminal).
fn run_with_stdin(database_url: &str, args: &[&str], input: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = server()
        .args(args)
        .env("DATABASE_URL", database_url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_first_admin_is_created_from_the_command_line() {
    let (dir, url) = temp_sqlite("lumieres.db");
    assert!(run_on(&url, &["seed-demo"]).0);
    let create = |args: &[&str], password: &str| {
        let mut all = vec!["create-user"];
        all.extend_from_slice(args);
        run_with_stdin(&url, &all, password)
    };
    let (ok, out, err) = create(
        &["--email", "admin@brussels.example", "--role", "admin"],
        "a long enough passphrase\n",
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "admin account admin@brussels.example created");
    assert!(
        !out.contains("passphrase") && !err.contains("passphrase"),
        "the password is never echoed"
    );

    let (ok, out, _) = create(
        &[
            "--email",
            "camille@brussels.example",
            "--role",
            "council",
            "--municipality",
            "brussels",
            "--name",
            "Camille Leroy",
        ],
        "another long passphrase\n",
    );
    assert!(
        ok && out.contains("council account camille@brussels.example created for brussels"),
        "{out}"
    );

    // Bad input: one clear line, non-zero exit, nothing created.
    for (args, password, expected) in [
        (
            vec!["--email", "x@brussels.example", "--role", "admin"],
            "short\n",
            "error: the password must have at least 12 characters",
        ),
        (
            vec!["--email", "x@brussels.example", "--role", "mayor"],
            "a long enough passphrase\n",
            "error: --role: unknown role \"mayor\"",
        ),
        (
            vec!["--email", "x@brussels.example", "--role", "council"],
            "a long enough passphrase\n",
            "error: a council member acts for one municipality",
        ),
        (
            vec!["--email", "ADMIN@brussels.example", "--role", "comms"],
            "a long enough passphrase\n",
            "error: an account with this email address already exists",
        ),
        (
            vec!["--email", "not-an-address", "--role", "comms"],
            "a long enough passphrase\n",
            "error: --email:",
        ),
    ] {
        let (ok, _, err) = create(&args, password);
        assert!(!ok, "{args:?} must fail");
        assert!(err.starts_with(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_fresh_install_adds_its_municipality_then_its_council_members() {
    let (dir, url) = temp_sqlite("lumieres.db");
    assert!(run_on(&url, &["migrate"]).0);
    let council = |password: &str| {
        run_with_stdin(
            &url,
            &[
                "create-user",
                "--email",
                "jo@liege.example",
                "--role",
                "council",
                "--municipality",
                "liege",
            ],
            password,
        )
    };
    let (ok, _, err) = council("a long enough passphrase\n");
    assert!(
        !ok && err.contains("no municipality has the slug \"liege\""),
        "{err}"
    );

    let (ok, out, err) = run_on(
        &url,
        &[
            "add-municipality",
            "--slug",
            "liege",
            "--name",
            "Ville de Liège",
            "--country",
            "be",
            "--joined",
            "2024-03",
            "--languages",
            "fr",
            "--optional-languages",
            "en,nl",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "municipality liege (Ville de Liège) added");
    for (args, expected) in [
        (
            vec!["--slug", "liege", "--name", "Again", "--country", "BE"],
            "error: a municipality with the slug \"liege\" exists already",
        ),
        (
            vec!["--slug", "Liège", "--name", "X", "--country", "BE"],
            "error: --slug:",
        ),
        (
            vec!["--slug", "x", "--name", "X", "--country", "XX"],
            "error: no country has the code \"XX\"",
        ),
        (
            vec![
                "--slug",
                "x",
                "--name",
                "X",
                "--country",
                "BE",
                "--joined",
                "March",
            ],
            "error: --joined:",
        ),
        (
            vec![
                "--slug",
                "x",
                "--name",
                "X",
                "--country",
                "BE",
                "--languages",
                "fr,de",
            ],
            "error: --languages: \"de\" is not a language of the network (en, fr, nl)",
        ),
        (
            vec![
                "--slug",
                "x",
                "--name",
                "X",
                "--country",
                "BE",
                "--languages",
                "nl",
                "--optional-languages",
                "nl",
            ],
            "error: nl is given both as required and as optional",
        ),
    ] {
        let mut all = vec!["add-municipality"];
        all.extend_from_slice(&args);
        let (ok, _, err) = run_on(&url, &all);
        assert!(!ok && err.starts_with(expected), "{args:?}: {err}");
    }

    let (ok, out, err) = council("a long enough passphrase\n");
    assert!(ok, "{err}");
    assert!(
        out.contains("council account jo@liege.example created for liege"),
        "{out}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_feed_reader_never_goes_through_a_proxy_from_the_environment() {
    // A proxy is handed the feed's address to fetch: the check of every
    // address a name resolves to would never run (issue 28, N1).
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let (dir, url) = temp_sqlite("lumieres.db");
    assert!(run_on(&url, &["migrate"]).0);
    let feed = "http://feeds.partner.example/rss";
    let (ok, _, err) = run_on(&url, &["feed", "add", "--url", feed, "--partner", "P"]);
    assert!(ok, "{err}");
    let out = server()
        .arg("sync-feeds")
        .env("DATABASE_URL", &url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env("HTTPS_PROXY", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        matches!(proxy.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the feed was asked of the proxy"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_database_sealed_with_another_key_is_refused_not_locked_out() {
    use app::server::outbox::{Enqueue, NewMail};
    let (dir, url) = temp_sqlite("lumieres.db");
    let without_key = |args: &[&str]| {
        server()
            .args(args)
            .env("DATABASE_URL", &url)
            .env_remove("DATA_KEY")
            .output()
            .unwrap()
    };
    // A site that was given the tests' key, with a mail waiting to be sent.
    let (ok, _, err) = run_on(&url, &["migrate"]);
    assert!(ok, "{err}");
    let db = app::server::db::Db::connect(&url, 1).await.unwrap();
    app::server::data_key::install(crate::helpers::test_key_ring()).unwrap();
    let app::server::db::Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let mut conn = pool.acquire().await.unwrap();
    let mail = NewMail {
        recipient: "a@example.org",
        subject: "S",
        body_text: "confirm?token=x",
        list_unsubscribe: None,
        about: None,
    };
    conn.enqueue(&mail, 1).await.unwrap();
    drop(conn);
    db.close().await;
    // Started without it, a key file is made beside the database, and it is
    // not the key that sealed the mail: refused, with the reason.
    let refused = without_key(&["migrate"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("sealed with data key"), "{err}");
    // The right key given: it starts.
    let (ok, _, err) = run_on(&url, &["migrate"]);
    assert!(ok, "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// `server rotate-data-key`: with the previous key given, everything sealed
/// with it is sealed anew with the new one; without, the new key alone
/// refuses to start on what the previous one sealed, saying which it needs.
#[tokio::test]
async fn rotating_the_data_key_leaves_nothing_under_the_previous_one() {
    use app::server::data_key::{self, KeyRing};
    let store = crate::helpers::TestStore::with_demo(crate::helpers::Backend::Sqlite).await;
    let url = store.url();
    let previous = crate::helpers::previous_test_data_key();
    // A site whose signers and mail were sealed with the previous key.
    let mut request = crate::helpers::signature_request("rotated@example.org");
    request.name = app::domain::PersonName::parse("Rotated Signer").unwrap();
    app::signing::store::sign(&store.db, &request, "http://localhost", 1)
        .await
        .unwrap();
    data_key::reseal(
        &store.db,
        &KeyRing::new(previous.clone(), Some(crate::helpers::test_data_key())),
    )
    .await
    .unwrap();

    let (ok, _, err) = run_on(&url, &["rotate-data-key"]);
    assert!(!ok);
    assert!(
        err.contains(&format!("sealed with data key {}", previous.id())),
        "{err}"
    );
    let previous_key = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(crate::helpers::PREVIOUS_TESTS_KEY)
    };
    let out = server()
        .args(["rotate-data-key"])
        .env("DATABASE_URL", &url)
        .env("DATA_KEY_PREVIOUS", &previous_key)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!(
            "nothing is sealed with {} any more",
            previous.id()
        )),
        "{said}"
    );
    assert_eq!(
        data_key::sealed_with_other_keys(
            &store.db,
            &KeyRing::from(crate::helpers::test_data_key())
        )
        .await
        .unwrap(),
        0
    );
    let signers = crate::helpers::stored_signers(&store.db).await;
    assert_eq!(signers[0].name, "Rotated Signer");
    // The new key alone now opens everything; the export reads the signers.
    let (ok, csv, err) = run_on(&url, &["export-signatures", "solidarity-with-vahid-afkari"]);
    assert!(ok, "{err}");
    assert!(csv.starts_with("name,"), "{csv}");
    store.teardown().await;
}
