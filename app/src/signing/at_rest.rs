//! A signer's details as the database keeps them (issue 30): name, place,
//! client address and the address itself sealed with the data key, and the
//! address's keyed hash to find the signer again (one address, one
//! signature per action; the stop-the-news links). Every writer of a
//! signature seals through `SealedSigner`, every reader opens through
//! `data_key::opened`; a copy of the database without the key names nobody.
use crate::server::data_key::{self, purpose};
use crate::server::db::{BeginWrite, Db};

/// The hash a canonical address is stored and looked up by.
pub fn email_hash(canonical: &str) -> String {
    data_key::email_index().of(canonical)
}

/// What a signature request's row holds of the signer.
#[derive(Debug, Clone)]
pub struct SealedSigner {
    pub name: String,
    pub email_hash: String,
    pub email_sealed: String,
    pub place: Option<String>,
    pub client_ip: Option<String>,
}

impl SealedSigner {
    pub fn new(name: &str, canonical: &str, place: Option<&str>, client_ip: Option<&str>) -> Self {
        let ring = data_key::installed();
        Self {
            name: ring.seal(purpose::SIGNATURE_NAME, name),
            email_hash: email_hash(canonical),
            email_sealed: ring.seal(purpose::SIGNATURE_EMAIL, canonical),
            place: place.map(|p| ring.seal(purpose::SIGNATURE_PLACE, p)),
            client_ip: client_ip.map(|ip| ring.seal(purpose::SIGNATURE_CLIENT_IP, ip)),
        }
    }
}

/// How many rows one transaction changes: short, so signing goes on beside.
const BATCH: i64 = 500;

#[derive(sqlx::FromRow)]
struct ClearSignature {
    id: i64,
    name: String,
    email_hash: String,
    place: Option<String>,
    client_ip: Option<String>,
}

/// Seals what was written in clear before sealing began (migration 0030):
/// signatures, stop-the-news links and mail not sent yet. Run at start,
/// before the site serves, by every instance (each row is changed once:
/// the updates check it is still in clear). Gives how many rows it sealed.
pub async fn seal_in_clear(db: &Db) -> Result<u64, sqlx::Error> {
    let ring = data_key::installed();
    let mut sealed = 0;
    loop {
        let rows: Vec<ClearSignature> = crate::on_pool!(db, |pool| {
            sqlx::query_as(
                "SELECT id, name, email_hash, place, client_ip FROM signatures
                  WHERE email_sealed IS NULL AND NOT anonymised ORDER BY id LIMIT $1",
            )
            .bind(BATCH)
            .fetch_all(pool)
            .await
        })?;
        if rows.is_empty() {
            break;
        }
        crate::on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            for row in &rows {
                let signer = SealedSigner::new(
                    &row.name,
                    &row.email_hash,
                    row.place.as_deref(),
                    row.client_ip.as_deref(),
                );
                sqlx::query(
                    "UPDATE signatures SET name = $2, email_hash = $3, email_sealed = $4, place = $5, client_ip = $6
                      WHERE id = $1 AND email_sealed IS NULL",
                )
                .bind(row.id)
                .bind(&signer.name)
                .bind(&signer.email_hash)
                .bind(&signer.email_sealed)
                .bind(&signer.place)
                .bind(&signer.client_ip)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        })?;
        sealed += rows.len() as u64;
    }
    // A link's address in clear has an '@'; a hash never has.
    let links: Vec<(String, String)> = crate::on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT token_hash, email_hash FROM unsubscribe_links WHERE email_hash LIKE '%@%'",
        )
        .fetch_all(pool)
        .await
    })?;
    let mails: Vec<(i64, String, String, Option<String>)> = crate::on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, recipient, body_text, list_unsubscribe FROM outbox
              WHERE sent_at IS NULL AND recipient NOT LIKE 'sealed:%'",
        )
        .fetch_all(pool)
        .await
    })?;
    if !links.is_empty() || !mails.is_empty() {
        crate::on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            for (token_hash, address) in &links {
                sqlx::query("UPDATE unsubscribe_links SET email_hash = $2 WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(email_hash(address))
                    .execute(&mut *tx)
                    .await?;
            }
            let seal = |purpose, value: &str| {
                if data_key::DataKey::is_sealed(value) {
                    value.to_owned()
                } else {
                    ring.seal(purpose, value)
                }
            };
            for (id, recipient, body, unsubscribe) in &mails {
                sqlx::query(
                    "UPDATE outbox SET recipient = $2, body_text = $3, list_unsubscribe = $4
                      WHERE id = $1 AND sent_at IS NULL",
                )
                .bind(id)
                .bind(ring.seal(purpose::OUTBOX_RECIPIENT, recipient))
                .bind(seal(purpose::OUTBOX_BODY, body))
                .bind(
                    unsubscribe
                        .as_deref()
                        .map(|u| seal(purpose::OUTBOX_UNSUBSCRIBE, u)),
                )
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        })?;
    }
    // Mail sent before kept the unkeyed SHA-256 of its address (64 hex
    // digits; a keyed hash has 32): a guessed address could be tested
    // against it. It keeps nothing now.
    let unkeyed = crate::on_pool!(db, |pool| sqlx::query(
        "UPDATE outbox SET recipient = '' WHERE sent_at IS NOT NULL AND length(recipient) = 64"
    )
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    let sealed = sealed + links.len() as u64 + mails.len() as u64 + unkeyed;
    // The clear values just replaced stay in SQLite's free pages until the
    // file is rewritten (PostgreSQL's dead rows are never in a dump).
    if let (true, Db::Sqlite(pool)) = (sealed > 0, db) {
        sqlx::query("VACUUM").execute(pool).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
    }
    Ok(sealed)
}
