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
