//! The two migration folders describe one schema. Both backends are
//! migrated and read back: the same tables, columns, nullability, primary
//! keys, unique constraints, and named indexes (with their columns and
//! uniqueness), and which tables the render cache's triggers watch. Types are not compared (INTEGER and BIGINT mean the same
//! here), nor the conditions of partial indexes.
use crate::helpers::{Backend, TestStore};
use app::server::db::Db;
use std::collections::BTreeSet;

/// One fact about the schema, comparable across backends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Fact {
    Table(String),
    /// Table, column, nullable.
    Column(String, String, bool),
    /// Table, columns in order.
    PrimaryKey(String, String),
    /// Table, columns in order.
    Unique(String, String),
    /// Table, index name, columns in order, unique.
    Index(String, String, String, bool),
    /// A table whose changes bump the render cache's change counter.
    Watched(String),
}

async fn sqlite_facts(db: &Db) -> BTreeSet<Fact> {
    let Db::Sqlite(pool) = db else { unreachable!() };
    let mut facts = BTreeSet::new();
    let watched: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'
            AND sql LIKE '%UPDATE content_version%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    facts.extend(watched.into_iter().map(Fact::Watched));
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
            AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for table in tables {
        facts.insert(Fact::Table(table.clone()));
        let columns: Vec<(String, bool, i64)> = sqlx::query_as(
            "SELECT name, \"notnull\", pk FROM pragma_table_info($1) ORDER BY pk, cid",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        // A primary key column is never NULL, whatever SQLite's pragma says.
        let mut key = Vec::new();
        for (name, not_null, pk) in &columns {
            facts.insert(Fact::Column(
                table.clone(),
                name.clone(),
                !(*not_null || *pk > 0),
            ));
            if *pk > 0 {
                key.push(name.clone());
            }
        }
        if !key.is_empty() {
            facts.insert(Fact::PrimaryKey(table.clone(), key.join(",")));
        }
        let indexes: Vec<(String, bool, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                .bind(&table)
                .fetch_all(pool)
                .await
                .unwrap();
        for (name, unique, origin) in indexes {
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let columns = columns.join(",");
            match origin.as_str() {
                "c" => facts.insert(Fact::Index(table.clone(), name, columns, unique)),
                "u" => facts.insert(Fact::Unique(table.clone(), columns)),
                _ => true,
            };
        }
    }
    facts
}

/// The columns of a key or an index, in order, by name.
macro_rules! column_names {
    ($keys:literal) => {
        concat!(
            "array_to_string(ARRAY(SELECT a.attname FROM unnest(",
            $keys,
            ") WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',')"
        )
    };
}

async fn postgres_facts(db: &Db) -> BTreeSet<Fact> {
    let Db::Postgres(pool) = db else {
        unreachable!()
    };
    let mut facts = BTreeSet::new();
    let watched: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT event_object_table::text FROM information_schema.triggers
            WHERE action_statement LIKE '%note_content_change%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    facts.extend(watched.into_iter().map(Fact::Watched));
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    facts.extend(tables.into_iter().map(Fact::Table));
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, column, nullable) in columns {
        facts.insert(Fact::Column(table, column, nullable == "YES"));
    }
    let constraints: Vec<(String, String, String)> = sqlx::query_as(concat!(
        "SELECT t.relname::text, c.contype::text, ",
        column_names!("c.conkey"),
        " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = 'public' AND c.contype IN ('p', 'u') AND t.relname <> '_sqlx_migrations'"
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, kind, columns) in constraints {
        facts.insert(match kind.as_str() {
            "p" => Fact::PrimaryKey(table, columns),
            _ => Fact::Unique(table, columns),
        });
    }
    let indexes: Vec<(String, String, String, bool)> = sqlx::query_as(concat!(
        "SELECT t.relname::text, i.relname::text, ",
        column_names!("ix.indkey::int2[]"),
        ", ix.indisunique
           FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
           JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = 'public'
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)"
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, name, columns, unique) in indexes {
        facts.insert(Fact::Index(table, name, columns, unique));
    }
    facts
}

#[tokio::test]
async fn both_backends_migrate_to_the_same_schema() {
    let sqlite = TestStore::empty(Backend::Sqlite).await;
    let postgres = TestStore::empty(Backend::Postgres).await;
    let (on_sqlite, on_postgres) = (
        sqlite_facts(&sqlite.db).await,
        postgres_facts(&postgres.db).await,
    );
    sqlite.teardown().await;
    postgres.teardown().await;

    assert!(
        on_sqlite.contains(&Fact::Table("status_events".into())),
        "the schema was read"
    );
    assert!(
        on_sqlite.contains(&Fact::Unique(
            "signatures".into(),
            "action_id,email_hash".into()
        )),
        "unique constraints were read"
    );
    assert!(
        on_postgres.contains(&Fact::Index(
            "audit_log".into(),
            "audit_log_record".into(),
            "record_type,record_id,id".into(),
            false
        )),
        "indexes were read with their columns"
    );
    assert!(
        on_postgres.contains(&Fact::Watched("status_events".into())),
        "the render cache's triggers were read"
    );
    let only_sqlite: Vec<&Fact> = on_sqlite.difference(&on_postgres).collect();
    let only_postgres: Vec<&Fact> = on_postgres.difference(&on_sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migration folders drifted apart:\n  only on SQLite: {only_sqlite:#?}\n  only on PostgreSQL: {only_postgres:#?}"
    );
}
