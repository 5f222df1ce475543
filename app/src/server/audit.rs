//! The audit writer. Every staff change writes one entry on the same
//! connection, inside the same transaction, as the change itself: a change
//! that commits is always in the log, and a change that rolls back never is.
//! (Staff read the log on the administrator's pages: `backoffice::admin`.)
use serde::Serialize;

/// Who made a change: a staff member, or the operator on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Staff(i64),
    /// `server action close …`, `server feed add …`: a system actor, `cli`.
    Cli,
    /// A trusted partner feed publishing on its own, named by its id.
    Feed(i64),
    /// A signer, through the link mailed to their address (`privacy`):
    /// never named.
    Signer,
}

impl Actor {
    pub fn user_id(self) -> Option<i64> {
        match self {
            Actor::Staff(id) => Some(id),
            Actor::Cli | Actor::Feed(_) | Actor::Signer => None,
        }
    }

    /// How the log names it (`audit_log.actor`): `staff`, `cli`, `feed:12`.
    pub fn name(self) -> String {
        match self {
            Actor::Staff(_) => "staff".to_owned(),
            Actor::Cli => "cli".to_owned(),
            Actor::Feed(id) => format!("feed:{id}"),
            Actor::Signer => "signer".to_owned(),
        }
    }
}

/// For spans and logs: `staff:12` or `cli`. Never a name or an email.
impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Staff(id) => write!(f, "staff:{id}"),
            Actor::Cli | Actor::Feed(_) | Actor::Signer => f.write_str(&self.name()),
        }
    }
}

/// One change: who, when, what, which record, and the record before and after.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor: Actor,
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
        actor: Actor,
        action: &'static str,
        record_type: &'static str,
        record_id: impl ToString,
    ) -> Self {
        Self {
            actor,
            at: super::clock::now(),
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

    /// `before` only when there was a record before (an update, not a creation).
    pub fn before_if(self, record: Option<&impl Serialize>) -> Self {
        match record {
            Some(record) => self.before(record),
            None => self,
        }
    }
}

/// Writes an entry on a connection of either backend (inside the caller's transaction).
pub trait RecordAudit {
    fn record_audit(
        &mut self,
        entry: &AuditEntry,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

crate::impl_for_connections! {
    impl RecordAudit {
        async fn record_audit(&mut self, entry: &AuditEntry) -> Result<(), sqlx::Error> {
            sqlx::query(
                "INSERT INTO audit_log (user_id, actor, at, action, record_type, record_id, before_json, after_json)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(entry.actor.user_id())
            .bind(entry.actor.name())
            .bind(entry.at)
            .bind(entry.action)
            .bind(entry.record_type)
            .bind(&entry.record_id)
            .bind(&entry.before)
            .bind(&entry.after)
            .execute(&mut *self)
            .await
            .map(|_| ())
        }
    }
}
