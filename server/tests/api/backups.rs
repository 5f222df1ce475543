//! Backups and the restore drill (issue 30): `server backup` taken while
//! citizens sign, `server restore` into a new database, the app started on
//! it: every signature acknowledged before the backup began is there, with
//! the cases, a portrait and the audit log. On both backends.
use crate::helpers::{count, post_file_as, record_consent, staff_member, test_settings, TestApp};
use crate::on_both_backends;
use app::domain::Role;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const PERSON: &str = "vahid-afkari";
const ACTION: &str = "solidarity-with-vahid-afkari";
/// Citizens signing at once, each one signature after the other.
const SIGNERS: usize = 4;

/// The binary on the database at `url`, as an operator runs it: (succeeded, output).
async fn server(url: &str, args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("DATA_KEY", crate::helpers::tests_key_base64())
        .env("RUST_LOG", "off")
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The signing form as a citizen fills it.
fn signature(email: &str) -> [(&str, &str); 10] {
    [
        ("support_action", ACTION),
        ("lang", "en"),
        ("full_name", "Amélie Dupont"),
        ("email", email),
        ("place", "1000"),
        ("country", "BE"),
        ("consent", "on"),
        ("show_name", ""),
        ("keep_informed", ""),
        ("website", ""),
    ]
}

/// One citizen signing with a new address each time until `stop`; each
/// signature acknowledged is noted with when its answer came.
async fn sign_until(
    app_address: String,
    signer: usize,
    stop: Arc<AtomicBool>,
    acknowledged: Arc<Mutex<Vec<(String, Instant)>>>,
) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let email = format!("signer-{signer}-{n}@example.org");
        let body = signature(&email);
        let answer = client
            .post(format!("{app_address}/api/sign"))
            .header("accept", "text/html")
            .header("origin", &app_address)
            .header("referer", format!("{app_address}/actions/{ACTION}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(crate::helpers::form_body(&body))
            .send()
            .await
            .unwrap();
        if answer.status() == 302 {
            acknowledged.lock().unwrap().push((email, Instant::now()));
        }
    }
}

async fn emails_signed(db: &app::server::db::Db) -> std::collections::HashSet<String> {
    crate::helpers::stored_signers(db)
        .await
        .into_iter()
        .filter_map(|s| s.email)
        .collect()
}

on_both_backends! {
    async fn a_backup_taken_while_citizens_sign_restores_all_they_were_told_was_kept(app: &TestApp) {
        // A portrait, so that the copy holds what the database stores as bytes.
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        record_consent(app, &council, PERSON, &["name", "portrait", "story", "location"]).await;
        let staff_page = format!("/staff/persons/{PERSON}");
        let fields = [("lang", "en"), ("person", PERSON), ("alt_en", ""), ("alt_fr", "Portrait"), ("alt_nl", "Portret")];
        let saved = post_file_as(app, &council, "/api/staff/portrait", &staff_page, &fields, "portrait", crate::portraits::made("make")).await;
        assert_eq!(saved.location().as_deref(), Some(staff_page.as_str()));

        // Citizens sign while the backup is taken.
        let stop = Arc::new(AtomicBool::new(false));
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let signers: Vec<_> = (0..SIGNERS)
            .map(|signer| tokio::spawn(sign_until(app.address.clone(), signer, stop.clone(), acknowledged.clone())))
            .collect();
        while acknowledged.lock().unwrap().len() < 50 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let dir = std::env::temp_dir().join(format!("lumieres-backup-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("lumieres.backup");
        let file_arg = file.display().to_string();
        let audit_before = count(app, "SELECT COUNT(*) FROM audit_log").await;
        let began = Instant::now();
        let (made, said) = server(&app.store.url(), &["backup", "--output", &file_arg]).await;
        let ended = Instant::now();
        let signed_during = acknowledged.lock().unwrap().iter().filter(|(_, at)| *at > began && *at < ended).count();
        stop.store(true, Ordering::Relaxed);
        for signer in signers {
            signer.await.unwrap();
        }
        assert!(made, "{said}");
        assert!(said.contains("backup written") && said.contains("keep the data key apart from it"), "{said}");
        println!("{} signatures acknowledged while the backup ran", signed_during);
        let before: Vec<String> = acknowledged.lock().unwrap().iter().filter(|(_, at)| *at < began).map(|(e, _)| e.clone()).collect();
        assert!(before.len() >= 50);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "only its owner reads a copy of everything");
        }

        // A backup never overwrites, and a restore only fills an empty database.
        let (again, said) = server(&app.store.url(), &["backup", "--output", &file_arg]).await;
        assert!(!again && said.contains("exists already"), "{said}");
        let (into_full, said) = server(&app.store.url(), &["restore", &file_arg]).await;
        assert!(!into_full, "{said}");
        let not_a_backup = dir.join("notes.txt");
        std::fs::write(&not_a_backup, "not a backup").unwrap();

        // Restored into a new database, and the app started on it.
        let restored = app
            .store
            .restored(|url| async move {
                let (refused, said) = server(&url, &["restore", &not_a_backup.display().to_string()]).await;
                assert!(!refused && said.contains("is not a backup of a"), "{said}");
                let (done, said) = server(&url, &["restore", &file_arg]).await;
                assert!(done, "{said}");
            })
            .await;
        let settings = test_settings(&restored);
        let copy = TestApp::with_store(restored, settings).await;
        let kept = emails_signed(&copy.store.db).await;
        let lost: Vec<&String> = before.iter().filter(|e| !kept.contains(*e)).collect();
        assert!(lost.is_empty(), "acknowledged before the backup, not in it: {lost:?}");
        assert_eq!(
            count(&copy, "SELECT COUNT(*) FROM persons").await,
            count(app, "SELECT COUNT(*) FROM persons").await
        );
        assert!(count(&copy, "SELECT COUNT(*) FROM audit_log").await >= audit_before);
        let page = copy.get(&format!("/persons/{PERSON}")).await;
        assert_eq!(page.status, 200);
        let portrait = page.attr(".person-header img.portrait", "src").expect("the portrait");
        let image = copy.client.get(format!("{}{portrait}", copy.address)).send().await.unwrap();
        assert_eq!(image.status(), 200);
        assert_eq!(image.headers()["content-type"], "image/jpeg");
        // The copy works: a citizen signs on it.
        let signed = copy.post_form("/api/sign", &format!("/actions/{ACTION}"), &signature("after@example.org")).await;
        assert_eq!(signed.status, 302);
        copy.teardown().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
