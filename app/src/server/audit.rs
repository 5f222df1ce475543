//! The audit log. Every staff change writes one entry on the same connection,
//! inside the same transaction, as the change itself: a change that commits
//! is always in the log, and a change that rolls back never is.
use super::db::Db;
use crate::api::admin::AuditEntryView;
use crate::on_pool;
use serde::Serialize;

/// One change: who, when, what, which record, and the record before and after.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// `None`: made on the command line.
    pub user_id: Option<i64>,
    /// Unix seconds.
    pub at: i64,
    /// `person.create`, `status_event.publish`, …
    pub action: &'static str,
    pub record_type: &'static str,
    pub record_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditEntry {
    pub fn new(
        user_id: Option<i64>,
        action: &'static str,
        record_type: &'static str,
        record_id: impl ToString,
    ) -> Self {
        Self {
            user_id,
            at: super::outbox::unix_now(),
            action,
            record_type,
            record_id: record_id.to_string(),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, record: &impl Serialize) -> Self {
        self.before = serde_json::to_string(record).ok();
        self
    }

    pub fn after(mut self, record: &impl Serialize) -> Self {
        self.after = serde_json::to_string(record).ok();
        self
    }
}

macro_rules! insert_entry {
    ($conn:expr, $entry:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (user_id, at, action, record_type, record_id, before_json, after_json)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($entry.user_id)
        .bind($entry.at)
        .bind($entry.action)
        .bind($entry.record_type)
        .bind(&$entry.record_id)
        .bind(&$entry.before)
        .bind(&$entry.after)
        .execute($conn)
        .await
        .map(|_| ())
    };
}

/// Writes an entry on a connection of either backend (inside the caller's transaction).
pub trait RecordAudit {
    fn record_audit(
        &mut self,
        entry: &AuditEntry,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl RecordAudit for sqlx::SqliteConnection {
    async fn record_audit(&mut self, entry: &AuditEntry) -> Result<(), sqlx::Error> {
        insert_entry!(&mut *self, entry)
    }
}

impl RecordAudit for sqlx::PgConnection {
    async fn record_audit(&mut self, entry: &AuditEntry) -> Result<(), sqlx::Error> {
        insert_entry!(&mut *self, entry)
    }
}

/// What the administrator filters the log by.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_id: Option<i64>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    /// Entries older than this id (the next page).
    pub before_id: Option<i64>,
}

pub const PAGE_SIZE: i64 = 100;

/// Newest first, one page.
pub async fn entries(db: &Db, filter: &AuditFilter) -> Result<Vec<AuditEntryView>, sqlx::Error> {
    on_pool!(db, |pool| sqlx::query_as(
        "SELECT l.id, l.user_id, u.name AS user_name, l.at, l.action, l.record_type, l.record_id,
                l.before_json, l.after_json
           FROM audit_log l LEFT JOIN users u ON u.id = l.user_id
          WHERE ($1 IS NULL OR l.user_id = $1)
            AND ($2 IS NULL OR l.record_type = $2)
            AND ($3 IS NULL OR l.record_id = $3)
            AND ($4 IS NULL OR l.id < $4)
          ORDER BY l.id DESC
          LIMIT $5"
    )
    .bind(filter.user_id)
    .bind(filter.record_type.as_deref())
    .bind(filter.record_id.as_deref())
    .bind(filter.before_id)
    .bind(PAGE_SIZE)
    .fetch_all(pool)
    .await)
}
