//! The render cache over real HTTP: a public page is rendered once and
//! answered from memory until something it shows changes; a change made
//! through any instance shows at once; nothing personal is kept or served
//! from it; every reader gets the same bytes, compressed as the browser
//! accepts, with scripts allowed by their hashes; and every table is either
//! watched by the change counter or listed with the reason it is not.
use crate::helpers::{post_as, staff_member, Backend, TestApp};
use crate::on_both_backends;
use app::domain::Role;
use app::on_pool;

const PERSON: &str = "/persons/vahid-afkari";
const ACTION: &str = "/actions/solidarity-with-vahid-afkari";

/// Renames the person behind the app's back: the trigger that would tell
/// the cache is dropped first. Only a page rendered again shows the name,
/// so a page without it was answered without its queries being run.
async fn rename_unnoticed(app: &TestApp, name: &str) {
    let drop = match app.store.db {
        app::server::db::Db::Sqlite(_) => "DROP TRIGGER IF EXISTS persons_update_changes_content",
        app::server::db::Db::Postgres(_) => {
            "DROP TRIGGER IF EXISTS persons_changes_content ON persons"
        }
    };
    on_pool!(&app.store.db, |pool| sqlx::query(drop)
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
    on_pool!(&app.store.db, |pool| sqlx::query(
        "UPDATE persons SET full_name = $1 WHERE slug = 'vahid-afkari'"
    )
    .bind(name)
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
}

/// `count` answers for `path`: the first rendered, then the person renamed
/// unnoticed, then the others, all within the second an entry lives. Each of
/// the others must show the name of the first render: no query was run for
/// it. Tried again, under a new name, when this machine was too slow to ask
/// within the second.
async fn answers_of_one_render(
    app: &TestApp,
    path: &str,
    count: usize,
) -> Vec<crate::helpers::Page> {
    for attempt in 0..5 {
        let began = std::time::Instant::now();
        let first = app.get(path).await;
        let name = format!("Probe {attempt}");
        rename_unnoticed(app, &name).await;
        let mut answers = vec![first];
        for _ in 1..count {
            answers.push(app.get(path).await);
        }
        if began.elapsed() < std::time::Duration::from_millis(900) {
            assert!(
                answers
                    .iter()
                    .all(|answer| answer.status == 200 && !answer.body.contains(&name)),
                "answered from the cache, without reading the person"
            );
            return answers;
        }
    }
    panic!("five tries, each slower than the second an entry lives");
}

/// Publishes a status update of Vahid Afkari in three languages, as staff do.
async fn publish_update(app: &TestApp, comms: &str, title: &str) {
    let saved = post_as(
        app,
        comms,
        "/api/staff/save-status-update",
        "/staff/persons/vahid-afkari/updates/new",
        &[
            ("lang", "en"),
            ("update", ""),
            ("person", "vahid-afkari"),
            ("occurred_on", "2026-11-20"),
            ("status", ""),
            ("original_language", "en"),
            ("title_en", title),
            ("body_html_en", "<p>News</p>"),
            ("title_fr", title),
            ("body_html_fr", "<p>Nouvelles</p>"),
            ("title_nl", title),
            ("body_html_nl", "<p>Nieuws</p>"),
            ("source_title_en", ""),
            ("source_url", ""),
        ],
    )
    .await;
    let location = saved.location().expect("saved");
    let id = location.rsplit('/').next().unwrap().to_owned();
    let published = post_as(
        app,
        comms,
        "/api/staff/publish-status-update",
        &location,
        &[("lang", "en"), ("update", &id)],
    )
    .await;
    assert_eq!(published.status, 302, "published");
}

on_both_backends! {
    async fn a_public_page_is_rendered_once_then_again_after_a_change(app: &TestApp) {
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        answers_of_one_render(app, PERSON, 2).await;
        let french = app.get_with(PERSON, &[("cookie", "lang=fr")]).await;
        assert!(french.body.contains("Probe"), "another language is another page");

        publish_update(app, &comms, "A published headline").await;
        let after = app.get(PERSON).await;
        assert!(after.body.contains("A published headline"), "a publish shows at once");
        assert!(after.body.contains("Probe"), "the whole page was rendered again");
    }

    async fn answers_from_the_cache_allow_their_scripts_by_hash_not_by_a_shared_nonce(app: &TestApp) {
        let pages = answers_of_one_render(app, ACTION, 3).await;
        for page in &pages {
            assert!(page.body.contains("<leptos-island"), "the page of the signing island");
            assert!(!page.body.contains(" nonce=\"") && !page.policy().contains("'nonce-"), "no nonce shared by readers");
            let hashes = page.inline_script_hashes();
            assert!(!hashes.is_empty(), "the island's loader");
            for hash in hashes {
                assert!(page.policy().contains(&hash), "{hash} allowed by {}", page.policy());
            }
        }
        assert!(pages.iter().all(|p| p.body == pages[0].body && p.policy() == pages[0].policy()), "the same bytes for every reader");
    }

    async fn a_browser_gets_pages_compressed_and_the_same_page_after(app: &TestApp) {
        let browser = [("accept-encoding", "gzip, deflate, br, zstd")];
        let compressed = app.raw_get(PERSON, &browser).await;
        assert_eq!(compressed.headers()["content-encoding"], "br");
        assert!(compressed.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Accept-Encoding")));
        let bytes = compressed.bytes().await.unwrap();
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut brotli::Decompressor::new(&bytes[..], 4096), &mut text).unwrap();
        let plain = app.get(PERSON).await;
        assert_eq!(String::from_utf8(text).unwrap(), plain.body, "the same page, compressed");
    }

    async fn a_flash_or_a_staff_session_is_never_kept_nor_served_from_the_cache(app: &TestApp) {
        let warm = app.get(ACTION).await;
        assert!(warm.texts(".field-error").is_empty());
        let answer = app.post_form("/api/sign", ACTION, &[
            ("support_action", "solidarity-with-vahid-afkari"), ("lang", "en"), ("full_name", "Amélie Dupont"),
            ("email", "not an address"), ("place", "1000"), ("country", "BE"), ("consent", "on"), ("website", ""),
        ]).await;
        let flash = answer.cookie("lumieres_sign").expect("a flash");
        let shown = app.get_with(ACTION, &[("cookie", &flash)]).await;
        assert_eq!(shown.attr("#email", "value").as_deref(), Some("not an address"), "the flash, not the cached page");
        let anyone = app.get(ACTION).await;
        assert!(anyone.texts(".field-error").is_empty() && !anyone.body.contains("not an address"), "nor kept for others");

        let council = staff_member(app, "council@brussels.example", Role::Council, Some("brussels")).await;
        let staff = app.get_with("/staff/persons", &[("cookie", &council)]).await;
        assert_eq!(staff.status, 200);
        let anonymous = app.get("/staff/persons").await;
        assert_ne!(anonymous.status, 200, "a staff page is never answered to someone else");
        let seen_as_staff = app.get_with(PERSON, &[("cookie", &council)]).await;
        rename_unnoticed(app, "Probe Name").await;
        let seen_as_staff_again = app.get_with(PERSON, &[("cookie", &council)]).await;
        assert!(seen_as_staff.body.contains("Vahid Afkari"));
        assert!(seen_as_staff_again.body.contains("Probe Name"), "with a session, pages are always rendered");
        assert!(app.get(PERSON).await.body.contains("Probe Name"), "and never kept for others");
    }

    async fn a_count_changed_elsewhere_shows_within_a_second(app: &TestApp) {
        let count = |page: crate::helpers::Page| page.texts(".signature-count")[0].clone();
        let before = count(app.get(ACTION).await);
        on_pool!(&app.store.db, |pool| sqlx::query(
            "INSERT INTO signatures (action_id, name, email_hash, token_hash, state, created_at, last_mailed_at, confirmed_at)
             SELECT id, 'A', 'a@example.org', 'h', 'confirmed', 1, 1, 1 FROM support_actions
              WHERE slug = 'solidarity-with-vahid-afkari'"
        ).execute(pool).await.map(|_| ())).unwrap();
        // Another instance's confirmation: no trigger tells, the entry's
        // second runs out.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let after = count(app.get(ACTION).await);
        assert_ne!(before, after, "{before} then {after}");
    }
}

#[tokio::test]
async fn two_instances_on_one_postgresql_see_each_others_changes_at_once() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let other = app.another_instance().await;
    let comms = staff_member(&app, "comms@brussels.example", Role::Comms, None).await;
    let on_other = |path: &'static str| {
        let request = app
            .client
            .get(format!("{}{path}", other.address))
            .header("accept", "text/html");
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    assert!(!on_other(PERSON)
        .await
        .contains("Published through the first"));
    assert!(!on_other("/api/v1/persons/vahid-afkari")
        .await
        .contains("Published through the first"));
    publish_update(&app, &comms, "Published through the first").await;
    assert!(
        on_other(PERSON)
            .await
            .contains("Published through the first"),
        "the other instance's page"
    );
    assert!(
        on_other("/api/v1/persons/vahid-afkari")
            .await
            .contains("Published through the first"),
        "and its API"
    );
    other.stop().await;
    app.teardown().await;
}

/// Tables whose every change bumps the render cache's change counter: what
/// public pages, feeds and the open data show.
const WATCHED: &[&str] = &[
    "countries",
    "rights_categories",
    "municipalities",
    "municipality_translations",
    "municipality_languages",
    "persons",
    "person_aliases",
    "person_translations",
    "person_rights",
    "adoptions",
    "status_events",
    "status_event_translations",
    "support_actions",
    "support_action_translations",
    "deliveries",
    "paper_batches",
    "responses",
    "response_texts",
    "portraits",
    "portrait_files",
    "portrait_alt_texts",
];

/// Tables of which only some changes are shown, and so watched.
const PARTLY_WATCHED: &[(&str, &str)] = &[
    (
        "feeds",
        "a partner's name is shown with the events its feed brought; its fetch state is not",
    ),
    (
        "signatures",
        "anonymising takes a name and a place off a public page; signing and confirming are \
         counts at most a second old instead (a row every signer updates would serialise signing)",
    ),
];

/// Tables no public answer shows, and why.
const UNWATCHED: &[(&str, &str)] = &[
    ("content_version", "the counter itself"),
    ("adoption_requests", "staff pages only"),
    ("person_consents", "staff pages only: consent reaches a public page only by making the person private, a change to persons (watched)"),
    ("audit_log", "staff pages only"),
    ("data_requests", "a signer's own requests for their data, and the staff's log of them"),
    ("follows", "addresses that follow a case: no public page shows them, staff see a count on an uncached page"),
    ("email_index_key", "the key of the addresses' hashes, never shown"),
    ("feed_entries", "the inbox; a published entry is a status event"),
    ("login_failures", "staff logins"),
    ("outbox", "mail"),
    ("password_links", "staff accounts"),
    ("sessions", "staff accounts"),
    ("staff_passkeys", "staff accounts"),
    ("staff_recovery_codes", "staff accounts"),
    ("staff_totp", "staff accounts"),
    (
        "threshold_notices",
        "staff pages only; taking the counter's lock with them would queue threshold checks behind every writer",
    ),
    ("translator_languages", "staff accounts"),
    ("unsubscribe_links", "a signer's own links"),
    ("users", "staff accounts"),
];

/// How each table's changes reach the counter, as the migrated schema has it:
/// `Some(true)` every insert, update and delete; `Some(false)` some; `None` none.
async fn watching(db: &app::server::db::Db) -> std::collections::BTreeMap<String, Option<bool>> {
    use app::server::db::Db;
    let (tables, triggers): (Vec<String>, Vec<(String, bool)>) = match db {
        Db::Sqlite(pool) => {
            let tables = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                    AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            let triggers: Vec<(String, String)> = sqlx::query_as(
                "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'
                    AND sql LIKE '%UPDATE content_version%'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            // One trigger per event; a table is wholly watched with all three,
            // none limited to some columns or rows.
            let mut events: std::collections::BTreeMap<String, (usize, bool)> = Default::default();
            for (table, sql) in triggers {
                let whole = !sql.contains(" UPDATE OF ") && !sql.contains("\nWHEN ");
                let entry = events.entry(table).or_insert((0, true));
                entry.0 += 1;
                entry.1 &= whole;
            }
            let triggers = events
                .into_iter()
                .map(|(table, (count, whole))| (table, count == 3 && whole))
                .collect();
            (tables, triggers)
        }
        Db::Postgres(pool) => {
            let tables = sqlx::query_scalar(
                "SELECT table_name::TEXT FROM information_schema.tables
                  WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            // tgtype bits: INSERT 4, DELETE 8, UPDATE 16; tgattr lists the
            // columns of an `UPDATE OF`, tgqual a `WHEN`.
            let triggers = sqlx::query_as(
                "SELECT c.relname::TEXT,
                        (t.tgtype & 28) = 28 AND cardinality(t.tgattr::INT2[]) = 0 AND t.tgqual IS NULL
                   FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                  WHERE NOT t.tgisinternal AND t.tgfoid = 'note_content_change'::regproc",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            (tables, triggers)
        }
    };
    let mut watching: std::collections::BTreeMap<String, Option<bool>> =
        tables.into_iter().map(|t| (t, None)).collect();
    for (table, whole) in triggers {
        let seen = watching.entry(table).or_insert(None);
        *seen = Some(whole || seen.unwrap_or(false));
    }
    watching
}

on_both_backends! {
    /// A change the cache is not told of would leave a public page stale: a
    /// table a migration adds must be put in one of the lists above, with
    /// its triggers or the reason it has none.
    async fn every_table_is_watched_or_said_why_not(store: &crate::helpers::TestStore) {
        let named = |table: &str| {
            if WATCHED.contains(&table) {
                Some(Some(true))
            } else if PARTLY_WATCHED.iter().any(|(t, _)| *t == table) {
                Some(Some(false))
            } else if UNWATCHED.iter().any(|(t, _)| *t == table) {
                Some(None)
            } else {
                None
            }
        };
        let schema = watching(&store.db).await;
        for (table, watched) in &schema {
            let Some(listed) = named(table) else {
                panic!(
                    "table {table} is in no list of render_cache.rs: add it to WATCHED (with \
                     triggers that bump content_version) or to UNWATCHED with the reason"
                );
            };
            assert_eq!(*watched, listed, "{table}: the triggers do not match its list");
        }
        let listed = WATCHED
            .iter()
            .chain(PARTLY_WATCHED.iter().map(|(t, _)| t))
            .chain(UNWATCHED.iter().map(|(t, _)| t));
        for table in listed {
            assert!(schema.contains_key(*table), "{table} is listed but no such table exists");
        }
    }
}
