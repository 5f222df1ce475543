//! Migrations keep data (issue 30): a database made by the oldest
//! migrations, filled as the site of that time would have filled it, then
//! brought up, one migration after the other, to the newest, with data put
//! in each table as the migration that made it appears: at the end every
//! table holds its rows, with what they said (and what a migration changes
//! on purpose, changed). On both backends.
//!
//! A migration that adds a table adds its row here (`FIXTURES`): the test
//! fails while any table of the newest schema is empty.
use crate::helpers::{Backend, TestDb};
use app::server::db::{Db, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

/// After migration N (the key), the rows the site of that time would have
/// written. The same SQL on both backends; rows name each other by their
/// natural keys (PostgreSQL makes the ids).
const FIXTURES: &[(i64, &str)] = &[
    // The first schema, once the countries and rights categories are in.
    (
        3,
        "INSERT INTO municipalities (slug, name, country_code, joined_year) VALUES ('kept-city', 'Kept City', 'BE', 2020);
         INSERT INTO persons (slug, full_name, country_code, summary, is_public)
              VALUES ('kept-person', 'Kept Person', 'IR', '<p>A story kept.</p>', TRUE);
         INSERT INTO person_aliases (person_id, alias)
              SELECT id, 'Kept P.' FROM persons WHERE slug = 'kept-person';
         INSERT INTO person_rights (person_id, rights_category_id)
              SELECT p.id, r.id FROM persons p, rights_categories r WHERE p.slug = 'kept-person' AND r.slug = 'security';
         INSERT INTO adoptions (person_id, municipality_id, adopted_year, adopted_month, decision_reference)
              SELECT p.id, m.id, 2022, 12, 'CC-2022-1' FROM persons p, municipalities m
               WHERE p.slug = 'kept-person' AND m.slug = 'kept-city';
         INSERT INTO status_events (person_id, status, occurred_year, occurred_month, title, body_html, is_published)
              SELECT id, 'detained', 2021, 5, 'Kept event', '<p>What happened.</p>', TRUE FROM persons WHERE slug = 'kept-person';
         INSERT INTO support_actions (person_id, slug, title, body_html, addressee, goal, opens_on, is_open)
              SELECT id, 'kept-action', 'Kept action', '<p>Sign.</p>', 'The authorities', 1000, '2024-01-01', TRUE
                FROM persons WHERE slug = 'kept-person';",
    ),
    (
        4,
        "INSERT INTO signatures (action_id, name, canonical_email, place, country_code, show_name, keep_informed,
                                 token_hash, state, created_at, last_mailed_at, confirmed_at)
              SELECT id, 'Kept Signer', 'kept@example.org', '1000', 'BE', TRUE, TRUE, 'token-kept', 'confirmed',
                     1700000000, 1700000000, 1700000100 FROM support_actions WHERE slug = 'kept-action';
         INSERT INTO outbox (recipient, subject, body_text, created_at, next_attempt_at, sent_at)
              VALUES ('kept@example.org', 'Kept mail', 'Sent long ago', 1700000000, 1700000000, 1700000050);",
    ),
    (
        6,
        "INSERT INTO users (email, name, password_hash, role, municipality_id, created_at)
              SELECT 'council@kept.example', 'Kept Council', 'argon2-hash', 'council', id, 1700000000
                FROM municipalities WHERE slug = 'kept-city';",
    ),
    (
        7,
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
              SELECT 'session-kept', id, 1700000000, 4102444800 FROM users WHERE email = 'council@kept.example';
         INSERT INTO login_failures (email, client_ip, attempted_at) VALUES ('council@kept.example', '192.0.2.1', 1700000000);",
    ),
    (
        8,
        "INSERT INTO audit_log (user_id, at, action, record_type, record_id, before_json, after_json)
              SELECT id, 1700000000, 'person.update', 'person', 'kept-person', '{\"is_public\":false}', '{\"is_public\":true}'
                FROM users WHERE email = 'council@kept.example';",
    ),
    (
        9,
        "INSERT INTO feeds (url, partner, created_at) VALUES ('https://partner.example/feed.atom', 'Kept Partner', 1700000000);
         INSERT INTO feed_entries (feed_id, stable_key, title, fetched_at, state)
              SELECT id, 'entry-kept', 'Kept entry', 1700000000, 'dismissed' FROM feeds WHERE partner = 'Kept Partner';",
    ),
    (
        12,
        "INSERT INTO municipalities (slug, name, country_code) VALUES ('other-city', 'Other City', 'BE');
         INSERT INTO adoption_requests (person_id, municipality_id, requested_at, adopted_year, state)
              SELECT p.id, m.id, 1700000000, 2023, 'refused' FROM persons p, municipalities m
               WHERE p.slug = 'kept-person' AND m.slug = 'other-city';",
    ),
    (
        13,
        "INSERT INTO password_links (token_hash, user_id, purpose, created_at, expires_at)
              SELECT 'link-kept', id, 'welcome', 1700000000, 4102444800 FROM users WHERE email = 'council@kept.example';",
    ),
    (
        14,
        "INSERT INTO unsubscribe_links (token_hash, person_id, canonical_email, created_at)
              SELECT 'unsubscribe-kept', id, 'kept@example.org', 1700000000 FROM persons WHERE slug = 'kept-person';
         INSERT INTO outbox (recipient, subject, body_text, created_at, next_attempt_at, list_unsubscribe)
              VALUES ('waiting@example.org', 'Kept news', 'News to send', 1700000000, 1700000000, 'https://kept.example/stop');",
    ),
    (
        15,
        "INSERT INTO person_translations (person_id, field, language, text, source_text, updated_at)
              SELECT id, 'summary', 'fr', '<p>Une histoire gardée.</p>', summary, 1700000000 FROM persons WHERE slug = 'kept-person';
         INSERT INTO status_event_translations (status_event_id, field, language, text, source_text, updated_at)
              SELECT id, 'title', 'nl', 'Bewaarde gebeurtenis', title, 1700000000 FROM status_events WHERE title = 'Kept event';
         INSERT INTO support_action_translations (support_action_id, field, language, text, source_text, updated_at)
              SELECT id, 'title', 'fr', 'Action gardée', title, 1700000000 FROM support_actions WHERE slug = 'kept-action';
         INSERT INTO municipality_translations (municipality_id, field, language, text, source_text, updated_at)
              SELECT id, 'name', 'nl', 'Bewaarde Stad', name, 1700000000 FROM municipalities WHERE slug = 'kept-city';
         INSERT INTO municipality_languages (municipality_id, language, required)
              SELECT id, 'fr', TRUE FROM municipalities WHERE slug = 'kept-city';",
    ),
    (
        16,
        "INSERT INTO translator_languages (user_id, language)
              SELECT id, 'nl' FROM users WHERE email = 'council@kept.example';",
    ),
    (
        18,
        "INSERT INTO paper_batches (action_id, signatures, collected_on, place, kept_at, recorded_at)
              SELECT id, 42, '2024-05-01', 'Market stall', 'Town hall, office 3', 1700000000 FROM support_actions WHERE slug = 'kept-action';
         INSERT INTO threshold_notices (action_id, reached_at)
              SELECT id, 1700000000 FROM support_actions WHERE slug = 'kept-action';
         INSERT INTO deliveries (action_id, delivered_on, recipient, method, language, signatures, paper_signatures, recorded_at)
              SELECT id, '2024-06-01', 'The embassy', 'letter', 'en', 1, 42, 1700000000 FROM support_actions WHERE slug = 'kept-action';",
    ),
    (
        19,
        "INSERT INTO responses (action_id, responded_on, original_language, recorded_at)
              SELECT id, '2024-07-01', 'en', 1700000000 FROM support_actions WHERE slug = 'kept-action';
         INSERT INTO response_texts (action_id, language, summary)
              SELECT id, 'en', 'A kept answer' FROM support_actions WHERE slug = 'kept-action';",
    ),
    (
        20,
        "INSERT INTO staff_totp (user_id, secret_sealed, created_at, confirmed_at)
              SELECT id, 'sealed-secret', 1700000000, 1700000001 FROM users WHERE email = 'council@kept.example';
         INSERT INTO staff_recovery_codes (user_id, code_hash)
              SELECT id, 'code-hash-kept' FROM users WHERE email = 'council@kept.example';",
    ),
    (
        21,
        "INSERT INTO staff_passkeys (user_id, credential_id, name, passkey, created_at)
              SELECT id, 'credential-kept', 'Kept key', '{}', 1700000000 FROM users WHERE email = 'council@kept.example';",
    ),
    (
        25,
        "INSERT INTO person_consents (person_id, given_by, given_on, covers_name, covers_portrait, covers_story,
                                      covers_location, risk, review_on, recorded_at)
              SELECT id, 'family', '2024-01-01', TRUE, TRUE, TRUE, TRUE, 'high', '2030-01-01', 1700000000
                FROM persons WHERE slug = 'kept-person';",
    ),
    (
        29,
        "INSERT INTO portraits (person_id, uploaded_at) SELECT id, 1700000000 FROM persons WHERE slug = 'kept-person';
         INSERT INTO portrait_alt_texts (person_id, language, alt_text)
              SELECT id, 'fr', 'Portrait gardé' FROM persons WHERE slug = 'kept-person';",
    ),
    (
        31,
        "INSERT INTO data_requests (language, requested_at, expires_at, erased_at)
              VALUES ('fr', 1700000000, 1700086400, 1700001000);",
    ),
    (
        32,
        "INSERT INTO follows (person_id, email_hash, email_sealed, locale, cadence, state, created_at,
                              last_mailed_at, confirmed_at, digest_from)
              SELECT id, 'hash-follow', 'sealed-follow', 'nl', 'weekly', 'confirmed', 1700000000,
                     1700000000, 1700000100, 1700000100
                FROM persons WHERE slug = 'kept-person';",
    ),
];

/// The newest migration's portrait bytes, bound (a byte literal is written
/// differently on each backend).
const PORTRAIT_FILE: &str = "INSERT INTO portrait_files (person_id, width, height, hash, bytes)
     SELECT id, 128, 160, 'hash-kept', $1 FROM persons WHERE slug = 'kept-person'";

/// What must still be there at the end: a query and what it answers.
const KEPT: &[(&str, &str)] = &[
    (
        "SELECT full_name || '|' || summary FROM persons",
        "Kept Person|<p>A story kept.</p>",
    ),
    (
        "SELECT state || '|' || CAST(show_name AS TEXT) FROM signatures",
        "confirmed|true",
    ),
    (
        "SELECT text FROM person_translations",
        "<p>Une histoire gardée.</p>",
    ),
    (
        "SELECT text FROM status_event_translations",
        "Bewaarde gebeurtenis",
    ),
    (
        "SELECT text FROM municipality_translations",
        "Bewaarde Stad",
    ),
    (
        "SELECT recipient || '|' || CAST(paper_signatures AS TEXT) FROM deliveries",
        "The embassy|42",
    ),
    ("SELECT summary FROM response_texts", "A kept answer"),
    (
        "SELECT action || '|' || record_id || '|' || actor FROM audit_log",
        "person.update|kept-person|staff",
    ),
    (
        "SELECT title || '|' || CAST(published_at IS NOT NULL AS TEXT) FROM status_events",
        "Kept event|true",
    ),
    (
        "SELECT m.slug FROM support_actions a JOIN municipalities m ON m.id = a.municipality_id",
        "kept-city",
    ),
    ("SELECT title FROM feed_entries", "Kept entry"),
    ("SELECT alias FROM person_aliases", "Kept P."),
    (
        "SELECT place || '|' || kept_at FROM paper_batches",
        "Market stall|Town hall, office 3",
    ),
    (
        "SELECT given_by || '|' || risk FROM person_consents",
        "family|high",
    ),
];

fn migrations(db: &Db) -> &'static sqlx::migrate::Migrator {
    match db {
        Db::Sqlite(_) => &SQLITE_MIGRATIONS,
        Db::Postgres(_) => &POSTGRES_MIGRATIONS,
    }
}

async fn every_migration_keeps_the_data_before_it(backend: Backend) {
    let test_db = TestDb::create(backend).await;
    let db = Db::connect(&test_db.url(), 2).await.expect("connect");
    let newest = migrations(&db).iter().map(|m| m.version).max().unwrap();
    for version in 1..=newest {
        app::on_pool!(&db, |pool| migrations(&db).run_to(version, pool).await)
            .unwrap_or_else(|e| panic!("migration {version}: {e}"));
        for (after, sql) in FIXTURES.iter().filter(|(v, _)| *v == version) {
            app::on_pool!(&db, |pool| sqlx::raw_sql(*sql)
                .execute(pool)
                .await
                .map(|_| ()))
            .unwrap_or_else(|e| panic!("the rows written after migration {after}: {e}"));
        }
        if version == newest {
            app::on_pool!(&db, |pool| sqlx::query(PORTRAIT_FILE)
                .bind(vec![0xFF_u8, 0xD8, 0xFF])
                .execute(pool)
                .await
                .map(|_| ()))
            .unwrap();
            // The first start after migration 30 seals what was in clear.
            app::server::data_key::install(crate::helpers::test_data_key()).unwrap();
            app::server::data_key::install_email_index(&db)
                .await
                .unwrap();
            let sealed = app::signing::at_rest::seal_in_clear(&db).await.unwrap();
            assert_eq!(sealed, 3, "the signature, the link, the mail waiting");
            assert_eq!(
                app::signing::at_rest::seal_in_clear(&db).await.unwrap(),
                0,
                "once"
            );
        }
    }

    // Every table of the newest schema holds its rows.
    let tables: Vec<String> = app::on_pool!(&db, |pool| sqlx::query_scalar(match backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
        Backend::Postgres => "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    })
    .fetch_all(pool)
    .await)
    .unwrap();
    assert!(tables.len() > 30, "{tables:?}");
    let mut empty = Vec::new();
    for table in &tables {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let rows: i64 = app::on_pool!(&db, |pool| sqlx::query_scalar(sqlx::AssertSqlSafe(
            sql.clone()
        ))
        .fetch_one(pool)
        .await)
        .unwrap();
        if rows == 0 {
            empty.push(table.clone());
        }
    }
    assert!(
        empty.is_empty(),
        "no row in {empty:?}: a new table needs its row in FIXTURES"
    );

    // What each row said, it still says.
    for (query, expected) in KEPT {
        let found: Vec<String> =
            app::on_pool!(&db, |pool| sqlx::query_scalar(*query).fetch_all(pool).await)
                .unwrap_or_else(|e| panic!("{query}: {e}"));
        let expected = expected.replace(
            "|true",
            if backend == Backend::Sqlite {
                "|1"
            } else {
                "|true"
            },
        );
        assert_eq!(found, [expected], "{query}");
    }
    // Changed on purpose: the signer's details and the waiting mail are
    // sealed, and read back as they were; the address is found by its hash.
    let key = crate::helpers::test_data_key();
    let (name, hash, email, place): (String, String, String, String) =
        app::on_pool!(&db, |pool| sqlx::query_as(
            "SELECT name, email_hash, email_sealed, place FROM signatures"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(key.open("signatures.name", &name).unwrap(), "Kept Signer");
    assert_eq!(
        key.open("signatures.email", &email).unwrap(),
        "kept@example.org"
    );
    assert_eq!(key.open("signatures.place", &place).unwrap(), "1000");
    assert_eq!(hash, crate::helpers::email_hash("kept@example.org"));
    let link: String = app::on_pool!(&db, |pool| sqlx::query_scalar(
        "SELECT email_hash FROM unsubscribe_links"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(link, hash, "the link still finds the signer's signatures");
    let (recipient, body): (String, String) = app::on_pool!(&db, |pool| sqlx::query_as(
        "SELECT recipient, body_text FROM outbox WHERE sent_at IS NULL"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(
        key.open("outbox.recipient", &recipient).unwrap(),
        "waiting@example.org"
    );
    assert_eq!(key.open("outbox.body_text", &body).unwrap(), "News to send");

    // Changed on purpose: nobody stays public without consent on record
    // (migration 25), and the rows a migration moved are not lost.
    let public: bool = app::on_pool!(&db, |pool| sqlx::query_scalar(
        "SELECT is_public FROM persons"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert!(
        !public,
        "migration 25 made every person private until consent is recorded"
    );

    db.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn every_migration_keeps_the_data_before_it_on_sqlite() {
    every_migration_keeps_the_data_before_it(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_migration_keeps_the_data_before_it_on_postgres() {
    every_migration_keeps_the_data_before_it(Backend::Postgres).await;
}
