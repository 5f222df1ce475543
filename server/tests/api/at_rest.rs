//! No live secret at rest (issue 28, N2): a copy of the database holds no
//! link that acts for anyone — not while a mail waits (its text is sealed
//! with the data key, which is not in the database) and not once it went
//! (its text is gone). Through a real mail server, on both backends.
use crate::helpers::{post_as, staff_account, staff_member, Backend, SmtpSink, TestApp};
use crate::on_both_backends;
use app::domain::Role;
use app::on_pool;

const ACTION: &str = "solidarity-with-vahid-afkari";

/// The database as a copy of it holds it: SQLite's files (the database and
/// its write-ahead log), or what `pg_dump` writes.
fn dump(app: &TestApp) -> String {
    let url = app.store.url();
    match url.strip_prefix("sqlite://") {
        Some(file) => {
            let file = std::path::Path::new(file);
            let dir = file.parent().unwrap();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let mut all = Vec::new();
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                if entry.file_name().to_string_lossy().starts_with(&name) {
                    all.extend(std::fs::read(entry.path()).unwrap());
                }
            }
            assert!(!all.is_empty(), "the database files");
            String::from_utf8_lossy(&all).into_owned()
        }
        None => {
            let out = std::process::Command::new("pg_dump")
                .arg(&url)
                .output()
                .expect("pg_dump runs (Debian's postgresql-client)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        }
    }
}

/// Every `token=…` in a text.
fn tokens_in(text: &str) -> Vec<String> {
    text.split("token=")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                .collect()
        })
        .collect()
}

/// No mail in the outbox shows a link: sealed while it waits, gone once sent.
async fn outbox_shows_no_link(app: &TestApp) {
    let rows: Vec<(String, Option<String>)> = on_pool!(&app.store.db, |pool| sqlx::query_as(
        "SELECT body_text, list_unsubscribe FROM outbox"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert!(!rows.is_empty());
    for (body, unsubscribe) in rows {
        assert!(!body.contains("token="), "{body}");
        assert!(!unsubscribe.unwrap_or_default().contains("token="));
    }
}

on_both_backends! {
    async fn a_copy_of_the_database_opens_nothing(backend: &Backend) {
        let sink = SmtpSink::start().await;
        let url = sink.url();
        let app = TestApp::spawn_with(*backend, |settings| settings.smtp_url = Some(url.into())).await;
        // A signer who asks for news, and confirms from the mail.
        let signed = app.post_form("/api/sign", &format!("/actions/{ACTION}"), &[
            ("support_action", ACTION), ("lang", "en"), ("full_name", "Amélie Dupont"),
            ("email", "signer@example.org"), ("place", "1000"), ("country", "BE"), ("consent", "on"),
            ("show_name", ""), ("keep_informed", "on"), ("website", ""),
        ]).await;
        assert_eq!(signed.status, 302);
        outbox_shows_no_link(&app).await;
        let mail = sink.mail_to("signer@example.org").await;
        let confirm = tokens_in(&mail.body).into_iter().next().expect("a confirm link");
        app.post_form("/api/confirm-signature", "/signatures/confirm", &[("token", &confirm), ("lang", "en")]).await;
        // A password link, asked for by a staff member who forgot.
        staff_account(&app, "admin@brussels.example", "Admin", Role::Admin, None).await;
        app.post_form("/api/password/forgot", "/staff/password/forgot", &[("email", "admin@brussels.example"), ("lang", "en")]).await;
        outbox_shows_no_link(&app).await;
        // News of the case, mailed to the signer with the link that stops it.
        let comms = staff_member(&app, "comms@brussels.example", Role::Comms, None).await;
        let saved = post_as(&app, &comms, "/api/staff/save-status-update", "/staff/persons/vahid-afkari/updates/new", &[
            ("lang", "en"), ("update", ""), ("person", "vahid-afkari"), ("occurred_on", "2026-11-20"),
            ("status", ""), ("original_language", "en"), ("title_en", "Trial postponed"), ("source_url", ""),
        ]).await;
        let location = saved.location().unwrap();
        let id = location.rsplit('/').next().unwrap().to_owned();
        post_as(&app, &comms, "/api/staff/publish-status-update", &location, &[("lang", "en"), ("update", &id), ("translations_to_follow", "1")]).await;
        outbox_shows_no_link(&app).await;

        let password_mail = sink.mail_to("admin@brussels.example").await;
        let mut news = None;
        for _ in 0..100 {
            news = sink.received().into_iter().find(|m| m.subject.ends_with("Trial postponed"));
            if news.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let news = news.expect("the news reached the mail server");
        let mut tokens: Vec<String> = [&mail.body, &password_mail.body, &news.body]
            .iter()
            .flat_map(|body| tokens_in(body))
            .collect();
        tokens.sort();
        tokens.dedup();
        assert!(tokens.len() >= 3, "confirm, withdraw and a password link at least: {tokens:?}");
        // The worker writes "sent" just after the mail server took the mail.
        let unsent = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL";
        for _ in 0..100 {
            if crate::helpers::count(&app, unsent).await == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        outbox_shows_no_link(&app).await;

        let copy = dump(&app);
        assert!(copy.contains("Trial postponed"), "the dump is the database's");
        for token in &tokens {
            assert!(!copy.contains(token.as_str()), "a live link in the copy: {token}");
        }
        let outbox_dir: Vec<_> = std::fs::read_dir(app.outbox_dir()).map(|d| d.collect()).unwrap_or_default();
        assert!(outbox_dir.is_empty(), "with a mail server, no mail is kept in files");

        // And the links absent from the copy are live: the password link sets a password.
        let link = tokens_in(&password_mail.body).pop().unwrap();
        let set = app.post_form("/api/password/set", &format!("/staff/password?token={link}"), &[
            ("token", &link), ("new_password", "another long passphrase"), ("repeat_password", "another long passphrase"), ("lang", "en"),
        ]).await;
        assert_eq!(set.status, 302, "{}", set.body);
        app.teardown().await;
    }
}

/// What the stolen-copy test signs with: names with accents, an address
/// and a place each, all unlike anything else in the database.
fn signer(i: usize) -> app::signing::SignatureRequest {
    use app::domain::{CountryCode, Email, Line, PersonName, Slug};
    app::signing::SignatureRequest {
        action: Slug::parse(ACTION).unwrap(),
        name: PersonName::parse(&format!("Éloïse Quarterwick{i:04}")).unwrap(),
        email: Email::parse(&format!("quarter.{i:04}@stolen-copy.example")).unwrap(),
        place: Some(Line::parse(&format!("Zwanenburg-{i:04}")).unwrap()),
        country: Some(CountryCode::parse("BE").unwrap()),
        show_name: i.is_multiple_of(2),
        keep_informed: i.is_multiple_of(3),
        locale: app::i18n::Locale::Fr,
        client_ip: Some(format!("198.51.100.{}", i % 250).parse().unwrap()),
    }
}

/// Signs `range` as the group-commit queue does, a hundred at a time.
async fn sign_many(app: &TestApp, range: std::ops::Range<usize>, now: i64) {
    let requests: Vec<_> = range.map(signer).collect();
    for batch in requests.chunks(100) {
        let outcomes = app::signing::store::sign_batch(&app.store.db, batch, &app.address, now)
            .await
            .unwrap();
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, Ok(app::signing::SignOutcome::MailQueued))),
            "{outcomes:?}"
        );
    }
}

on_both_backends! {
    /// Issue 30: after 1,000 signatures (some confirmed, some asking for
    /// news), a copy of the database names none of the signers — no name,
    /// address, place or client address, not even the addresses' domain —
    /// while the staff's export, the report of floods and the mails still
    /// read them.
    async fn a_stolen_copy_names_no_signer(app: &TestApp) {
        let now = chrono::Utc::now().timestamp();
        sign_many(app, 0..1000, now).await;
        let mails = app.mails().await;
        let confirmations: Vec<String> = mails
            .iter()
            .filter(|m| m.recipient.ends_with("@stolen-copy.example"))
            .map(|m| tokens_in(&m.body_text).into_iter().next().expect("a confirm link"))
            .collect();
        assert_eq!(confirmations.len(), 1000, "one mail each, to the address typed");
        for token in confirmations.iter().step_by(4) {
            app::signing::store::confirm(&app.store.db, token, &app.address, now).await.unwrap();
        }
        // Asking again with the same address is found by its hash: no new row.
        let again = app::signing::store::sign_batch(&app.store.db, &[signer(4)], &app.address, now + 1).await.unwrap();
        assert!(matches!(again[0], Ok(app::signing::SignOutcome::AlreadyConfirmed)), "{again:?}");
        let stored = crate::helpers::count(app, "SELECT COUNT(*) FROM signatures").await;
        assert_eq!(stored, 1000);

        let copy = dump(app);
        assert!(copy.contains("Solidarity with Vahid Afkari") || copy.contains(ACTION), "the dump is the database's");
        assert!(!copy.contains("stolen-copy.example"), "an address, or its domain, in the copy");
        assert!(!copy.contains("Quarterwick") && !copy.contains("Zwanenburg-") && !copy.contains("198.51.100."));
        for i in 0..1000 {
            let request = signer(i);
            assert!(!copy.contains(request.name.as_str()));
            assert!(!copy.contains(&request.email.canonical()));
        }

        // The staff read them back: the export for delivery, the report of floods.
        let slug = app::domain::Slug::parse(ACTION).unwrap();
        let delivered = app::signing::export::confirmed_for_delivery(&app.store.db, app::server::audit::Actor::Cli, &slug)
            .await
            .unwrap();
        assert_eq!(delivered.len(), 250);
        assert_eq!(delivered[0].name, "Éloïse Quarterwick0000");
        assert_eq!(delivered[0].place.as_deref(), Some("Zwanenburg-0000"));
        let spikes = app::signing::spikes::spikes(&app.store.db, app::signing::spikes::SpikeRules {
            since: now - 60, bucket_seconds: 3600, min_per_address: 4, min_per_domain: 100, min_domain_share: 0.5,
        })
        .await
        .unwrap();
        assert!(spikes.iter().any(|s| s.key == "stolen-copy.example" && s.requests == 1000), "{spikes:?}");
        assert!(spikes.iter().any(|s| s.key == "198.51.100.4" && s.requests == 4), "{spikes:?}");
    }
}

on_both_backends! {
    /// A new data key, rolled out while citizens sign: the instances seal
    /// with it and still open what the previous key sealed; the rotation
    /// seals everything anew, a few hundred rows at a time, and afterwards
    /// nothing needs the previous key — and an address is found again as
    /// before (its hash's key was sealed anew, not changed).
    async fn a_new_data_key_reseals_everything_while_signing_goes_on(app: &TestApp) {
        use app::server::data_key::{self, KeyRing};
        let now = chrono::Utc::now().timestamp();
        // More rows than a batch of the rotation, and ids of different
        // lengths (once paged in text order on PostgreSQL, skipping some).
        sign_many(app, 0..600, now).await;
        let index_before = email_index_key(app, &crate::helpers::test_data_key()).await;
        // The site as it was before the new key: everything sealed with the previous one.
        let old = crate::helpers::previous_test_data_key();
        let back = data_key::reseal(&app.store.db, &KeyRing::new(old.clone(), Some(crate::helpers::test_data_key()))).await.unwrap();
        assert!(back.values >= 600 * 4, "{back:?}");
        assert_eq!(left_under(app, &crate::helpers::test_data_key()).await, "", "everything under the previous key");
        assert_eq!(email_index_key(app, &old).await, index_before);

        // The rotation, while another 300 sign (sealed with the new key).
        let ring = data_key::installed();
        let (rotated, ()) = tokio::join!(data_key::reseal(&app.store.db, ring), sign_many(app, 600..900, now + 1));
        let rotated = rotated.unwrap();
        assert_eq!(rotated.unopened, 0);
        assert!(rotated.values >= 600 * 4, "{rotated:?}");
        assert_eq!(left_under(app, &old).await, "", "nothing left under the previous key");
        assert_eq!(email_index_key(app, &crate::helpers::test_data_key()).await, index_before, "the hashes' key is the same");
        // Every signer reads back with the new key alone, and is found again by address.
        let emails: Vec<String> = crate::helpers::stored_signers(&app.store.db).await.into_iter().filter_map(|s| s.email).collect();
        let expected: Vec<String> = (0..900).map(|i| signer(i).email.canonical()).collect();
        assert_eq!(emails, expected);
        let again = app::signing::store::sign_batch(&app.store.db, &[signer(7)], &app.address, now + 2).await.unwrap();
        assert!(matches!(again[0], Ok(app::signing::SignOutcome::Throttled)), "{again:?}");
        assert_eq!(crate::helpers::count(app, "SELECT COUNT(*) FROM signatures").await, 900);
        let mails = app.mails().await;
        assert_eq!(mails.iter().filter(|m| m.recipient.ends_with("@stolen-copy.example")).count(), 900, "every waiting mail opens");
    }
}

/// The email index key as `key` opens it from the database.
async fn email_index_key(app: &TestApp, key: &app::server::data_key::DataKey) -> String {
    let sealed: String = on_pool!(&app.store.db, |pool| sqlx::query_scalar(
        "SELECT sealed FROM email_index_key"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    key.open("email_index_key.sealed", &sealed)
        .expect("sealed with this key")
}

/// The columns holding values sealed with `key`, and how many: "" when none.
async fn left_under(app: &TestApp, key: &app::server::data_key::DataKey) -> String {
    let mut left = Vec::new();
    for sealed in app::server::data_key::SEALED_COLUMNS {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE {} LIKE 'sealed:v1:{}:%'",
            sealed.table,
            sealed.column,
            key.id()
        );
        let n: i64 = on_pool!(&app.store.db, |pool| sqlx::query_scalar(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        if n > 0 {
            left.push(format!("{}.{}: {n}", sealed.table, sealed.column));
        }
    }
    left.join(", ")
}
