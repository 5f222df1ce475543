//! Confirmed signatures for delivery to an action's addressee, as CSV: from
//! the command line (`server export-signatures`) or from the action's staff
//! page (`campaigns::actions`, which checks who may). Either way the export is
//! written to the audit log (personal data left the site) in the same
//! transaction that reads the signatures.
use super::store::SignError;
use crate::domain::Slug;
use crate::on_pool;
use crate::server::audit::{Actor, AuditEntry, RecordAudit};
use crate::server::db::{BeginWrite, Db};
use crate::text::spreadsheet_cell;

/// A confirmed signature as it is delivered to the addressee: no email.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveredSignature {
    pub name: String,
    pub place: Option<String>,
    pub country_code: Option<String>,
    /// Unix seconds.
    pub confirmed_at: i64,
}

impl DeliveredSignature {
    /// As stored, the name and place are sealed (`at_rest`).
    fn opened(self) -> Result<Self, sqlx::Error> {
        use crate::server::data_key::purpose;
        Ok(Self {
            name: crate::server::data_key::opened(purpose::SIGNATURE_NAME, self.name)?,
            place: crate::server::data_key::opened_optional(purpose::SIGNATURE_PLACE, self.place)?,
            ..self
        })
    }
}

/// The confirmed signatures of an action, oldest first, read and audited in
/// one transaction.
#[tracing::instrument(skip(db), fields(%actor))]
pub async fn confirmed_for_delivery(
    db: &Db,
    actor: Actor,
    action: &Slug,
) -> Result<Vec<DeliveredSignature>, SignError> {
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM support_actions WHERE slug = $1")
            .bind(action.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let id = id.ok_or_else(|| SignError::UnknownAction(action.to_string()))?;
        let rows: Vec<DeliveredSignature> = sqlx::query_as(
            "SELECT s.name, s.place, s.country_code, s.confirmed_at
               FROM signatures s
              WHERE s.action_id = $1 AND s.state = 'confirmed' AND s.confirmed_at IS NOT NULL
              ORDER BY s.confirmed_at, s.id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let rows = rows
            .into_iter()
            .map(DeliveredSignature::opened)
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let entry = AuditEntry::new(actor, "support_action.export", "support_action", id)
            .after(&serde_json::json!({ "signatures": rows.len() }));
        tx.record_audit(&entry).await?;
        tx.commit().await?;
        Ok(rows)
    })
}

/// The delivery CSV; signers' names are typed by anyone, so every cell is
/// [`spreadsheet_cell`].
pub fn signatures_csv(rows: &[DeliveredSignature]) -> Result<Vec<u8>, csv::Error> {
    let cell = spreadsheet_cell;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "name",
        "municipality_or_postcode",
        "country",
        "confirmed_at",
    ])?;
    for row in rows {
        let confirmed = chrono::DateTime::from_timestamp(row.confirmed_at, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        out.write_record([
            cell(&row.name),
            cell(row.place.as_deref().unwrap_or("")),
            row.country_code.clone().unwrap_or_default(),
            confirmed,
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}
