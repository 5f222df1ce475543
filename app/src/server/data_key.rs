//! The data key: what must not be readable in a copy of the database — the
//! links in mail not sent yet (issue 28), the signers' names, addresses and
//! places (issue 30) — is stored sealed with it (XChaCha20-Poly1305, a
//! random nonce per value). The key itself is never in the database: it
//! comes from the environment or a key file (`configuration::data_key`).
//!
//! One key ring for the process, installed at start: sealing happens deep
//! inside transactions (every mail is queued in the transaction of what it
//! announces), where passing it down would touch every writer of mail. The
//! ring seals with its current key and opens with the key a value names:
//! while a key is replaced (`server rotate-data-key`), the previous one still
//! opens what it sealed.
//!
//! An address is compared, never read, to find a signer again (one address,
//! one signature): by its keyed hash under the email index key. That key
//! is kept in the database, sealed, so that a new data key re-seals it and
//! the hashes stay what they were while the site serves.
use base64::Engine;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use std::sync::OnceLock;

const PREFIX: &str = "sealed:v1:";

/// What each sealed value is sealed for: a value sealed for one column does
/// not open as another's.
pub mod purpose {
    pub const OUTBOX_BODY: &str = "outbox.body_text";
    pub const OUTBOX_UNSUBSCRIBE: &str = "outbox.list_unsubscribe";
    pub const OUTBOX_RECIPIENT: &str = "outbox.recipient";
    pub const STAFF_TOTP_SECRET: &str = "staff_totp.secret";
    pub const SESSION_FLASH: &str = "sessions.flash";
    pub const SIGNATURE_NAME: &str = "signatures.name";
    pub const SIGNATURE_EMAIL: &str = "signatures.email";
    pub const SIGNATURE_PLACE: &str = "signatures.place";
    pub const SIGNATURE_CLIENT_IP: &str = "signatures.client_ip";
    pub const EMAIL_INDEX_KEY: &str = "email_index_key.sealed";
    pub const DATA_REQUEST_EMAIL: &str = "data_requests.email";
    pub const FOLLOW_EMAIL: &str = "follows.email";
}

/// A column that holds sealed values, and the column naming its rows.
#[derive(Debug, Clone, Copy)]
pub struct SealedColumn {
    pub table: &'static str,
    pub row: &'static str,
    /// The SQL type of `row`: rows are named in text, and cast back.
    pub row_type: &'static str,
    pub column: &'static str,
    pub purpose: &'static str,
}

/// Every column the data key seals: what a new key re-seals, and what the
/// start looks at for a key it was not given.
pub const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        table: "email_index_key",
        row: "id",
        row_type: "BIGINT",
        column: "sealed",
        purpose: purpose::EMAIL_INDEX_KEY,
    },
    SealedColumn {
        table: "staff_totp",
        row: "user_id",
        row_type: "BIGINT",
        column: "secret_sealed",
        purpose: purpose::STAFF_TOTP_SECRET,
    },
    SealedColumn {
        table: "sessions",
        row: "token_hash",
        row_type: "TEXT",
        column: "flash",
        purpose: purpose::SESSION_FLASH,
    },
    SealedColumn {
        table: "outbox",
        row: "id",
        row_type: "BIGINT",
        column: "body_text",
        purpose: purpose::OUTBOX_BODY,
    },
    SealedColumn {
        table: "outbox",
        row: "id",
        row_type: "BIGINT",
        column: "list_unsubscribe",
        purpose: purpose::OUTBOX_UNSUBSCRIBE,
    },
    SealedColumn {
        table: "outbox",
        row: "id",
        row_type: "BIGINT",
        column: "recipient",
        purpose: purpose::OUTBOX_RECIPIENT,
    },
    SealedColumn {
        table: "signatures",
        row: "id",
        row_type: "BIGINT",
        column: "name",
        purpose: purpose::SIGNATURE_NAME,
    },
    SealedColumn {
        table: "signatures",
        row: "id",
        row_type: "BIGINT",
        column: "email_sealed",
        purpose: purpose::SIGNATURE_EMAIL,
    },
    SealedColumn {
        table: "signatures",
        row: "id",
        row_type: "BIGINT",
        column: "place",
        purpose: purpose::SIGNATURE_PLACE,
    },
    SealedColumn {
        table: "signatures",
        row: "id",
        row_type: "BIGINT",
        column: "client_ip",
        purpose: purpose::SIGNATURE_CLIENT_IP,
    },
    SealedColumn {
        table: "data_requests",
        row: "id",
        row_type: "BIGINT",
        column: "email_sealed",
        purpose: purpose::DATA_REQUEST_EMAIL,
    },
    SealedColumn {
        table: "follows",
        row: "id",
        row_type: "BIGINT",
        column: "email_sealed",
        purpose: purpose::FOLLOW_EMAIL,
    },
];

/// A 256-bit key and its name (the first bytes of its SHA-256, which say
/// which key sealed a value without saying anything of the key).
#[derive(Clone)]
pub struct DataKey {
    cipher: XChaCha20Poly1305,
    id: String,
    /// The email index key a database first sealed with this key gets
    /// (`install_email_index`): derived, so that every database a process
    /// opens with one key agrees (the tests' many).
    first_index: [u8; 32],
}

/// A sealed value that this key cannot open: sealed with another key, or
/// changed since.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("sealed with another data key, or damaged")]
pub struct CannotOpen;

impl DataKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        use sha2::Digest;
        let id = super::tokens::hex(&sha2::Sha256::digest(bytes)[..4]);
        let first_index = EmailIndex::derive(&bytes, b"lumieres email index v1").0;
        Self {
            cipher: XChaCha20Poly1305::new(&chacha20poly1305::Key::from(bytes)),
            id,
            first_index,
        }
    }

    /// A new random key, and its text for a key file or `DATA_KEY`.
    pub fn generate() -> (Self, String) {
        let bytes: [u8; 32] = rand::random();
        let text = base64::engine::general_purpose::STANDARD.encode(bytes);
        (Self::from_bytes(bytes), text)
    }

    /// A key as `DATA_KEY` or a key file gives it: 32 bytes in base64.
    pub fn parse(text: &str) -> Result<Self, String> {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
        let text = text.trim();
        let bytes = [STANDARD, URL_SAFE]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .or_else(|| URL_SAFE_NO_PAD.decode(text).ok())
            .or_else(|| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(text)
                    .ok()
            })
            .ok_or("is not base64 (make one with: head -c 32 /dev/urandom | base64)")?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("is {} bytes long, not 32", b.len()))?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key's name, as sealed values carry it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `plain`, sealed for `purpose` (a value sealed for one column does
    /// not open as another's).
    pub fn seal(&self, purpose: &str, plain: &str) -> String {
        let nonce: [u8; 24] = rand::random();
        let nonce = chacha20poly1305::XNonce::from(nonce);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: purpose.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any length a mail has");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}:{}",
            self.id,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// Whether `value` was sealed (by any key), rather than written in clear
    /// before sealing began.
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }

    /// The name of the key that sealed `value`, if it is sealed.
    pub fn sealed_by(value: &str) -> Option<&str> {
        value.strip_prefix(PREFIX)?.split(':').next()
    }

    /// What `seal` sealed for `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String, CannotOpen> {
        let rest = sealed.strip_prefix(PREFIX).ok_or(CannotOpen)?;
        let (_id, data) = rest.split_once(':').ok_or(CannotOpen)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(data)
            .map_err(|_| CannotOpen)?;
        if bytes.len() < 24 {
            return Err(CannotOpen);
        }
        let (nonce, sealed) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| CannotOpen)?;
        let plain = self
            .cipher
            .decrypt(
                &chacha20poly1305::XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| CannotOpen)?;
        String::from_utf8(plain).map_err(|_| CannotOpen)
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey").field("id", &self.id).finish()
    }
}

/// Seals with its current key; opens with whichever of its keys a value
/// names. A previous key is there while values it sealed are re-sealed
/// (`server rotate-data-key`).
#[derive(Clone, Debug)]
pub struct KeyRing {
    current: DataKey,
    previous: Option<DataKey>,
}

impl KeyRing {
    pub fn new(current: DataKey, previous: Option<DataKey>) -> Self {
        let previous = previous.filter(|p| p.id != current.id);
        Self { current, previous }
    }

    pub fn current(&self) -> &DataKey {
        &self.current
    }

    pub fn previous(&self) -> Option<&DataKey> {
        self.previous.as_ref()
    }

    /// Whether this ring has the key named `id`.
    pub fn has(&self, id: &str) -> bool {
        self.current.id == id || self.previous.as_ref().is_some_and(|p| p.id == id)
    }

    pub fn seal(&self, purpose: &str, plain: &str) -> String {
        self.current.seal(purpose, plain)
    }

    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String, CannotOpen> {
        let key = match DataKey::sealed_by(sealed) {
            Some(id) if id == self.current.id => &self.current,
            Some(id) => self
                .previous
                .as_ref()
                .filter(|p| p.id == id)
                .ok_or(CannotOpen)?,
            None => return Err(CannotOpen),
        };
        key.open(purpose, sealed)
    }

    /// A value that may be in clear (written before sealing began, or by a
    /// test), opened if sealed.
    pub fn open_or_clear(&self, purpose: &str, value: String) -> Result<String, CannotOpen> {
        if DataKey::is_sealed(&value) {
            self.open(purpose, &value)
        } else {
            Ok(value)
        }
    }
}

impl From<DataKey> for KeyRing {
    fn from(key: DataKey) -> Self {
        Self::new(key, None)
    }
}

/// A stored value, opened with the process's ring: one the ring cannot
/// open is a decoding error (the start refuses a database sealed with a key
/// it was not given, so this means damage). A value in clear (an anonymised
/// signature's empty name) is read as it is.
pub fn opened(purpose: &str, value: String) -> Result<String, sqlx::Error> {
    installed()
        .open_or_clear(purpose, value)
        .map_err(|e| super::db::decode(format!("{purpose}: {e}")))
}

pub fn opened_optional(
    purpose: &str,
    value: Option<String>,
) -> Result<Option<String>, sqlx::Error> {
    value.map(|v| opened(purpose, v)).transpose()
}

/// The name of another key that sealed what `db` holds (a staff app's
/// secret, a mail waiting to be sent, a signer's name), if one did: the
/// database was sealed with a key this process was not given (a key file
/// lost in a restore, a different `DATA_KEY`). Starting anyway would lock
/// out every staff member with a second factor, never send the waiting
/// mail, and lose every signer's details.
pub async fn other_key_in(
    db: &super::db::Db,
    ring: &KeyRing,
) -> Result<Option<String>, sqlx::Error> {
    let ours: Vec<String> = [Some(&ring.current), ring.previous.as_ref()]
        .into_iter()
        .flatten()
        .map(|key| format!("{PREFIX}{}:%", key.id))
        .collect();
    for sealed in SEALED_COLUMNS {
        // One row per column is enough: a key is given for a whole site.
        let sql = format!(
            "SELECT {column} FROM {table} WHERE {column} LIKE '{PREFIX}%' AND {column} NOT LIKE $1 AND {column} NOT LIKE $2 LIMIT 1",
            column = sealed.column,
            table = sealed.table,
        );
        let other: Option<String> = crate::on_pool!(db, |pool| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&ours[0])
                .bind(ours.get(1).unwrap_or(&ours[0]))
                .fetch_optional(pool)
                .await
        })?;
        if let Some(id) = other.as_deref().and_then(DataKey::sealed_by) {
            return Ok(Some(id.to_owned()));
        }
    }
    Ok(None)
}

static INSTALLED: OnceLock<KeyRing> = OnceLock::new();

/// Makes `ring` the process's. Once: a second ring with another current
/// key is refused (values sealed with the first would no longer open).
pub fn install(ring: impl Into<KeyRing>) -> Result<(), String> {
    let ring = ring.into();
    let installed = INSTALLED.get_or_init(|| ring.clone());
    if installed.current.id == ring.current.id {
        Ok(())
    } else {
        Err(format!(
            "a data key ({}) is in use already; {} would not open what it sealed",
            installed.current.id, ring.current.id
        ))
    }
}

/// The process's key ring. Every way in (`server serve`, each command, the
/// tests' set-up) installs one before anything is written.
pub fn installed() -> &'static KeyRing {
    INSTALLED
        .get()
        .expect("the data key is installed at start (data_key::install)")
}

/// What re-sealing with the current key did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Values sealed anew with the current key.
    pub values: u64,
    /// Values that no key of the ring opens (damaged, or sealed with a key
    /// neither current nor previous): left as they are.
    pub unopened: u64,
}

/// Re-seals with the ring's current key every value sealed with another
/// (`server rotate-data-key`), a few hundred rows a transaction, while the
/// site serves: each row is written only if it still holds what was read,
/// so a value an instance changed meanwhile is kept (and read again).
pub async fn reseal(db: &super::db::Db, ring: &KeyRing) -> Result<Resealed, sqlx::Error> {
    use super::db::BeginWrite;
    const BATCH: i64 = 500;
    let current = format!("{PREFIX}{}:%", ring.current.id);
    let mut done = Resealed::default();
    for sealed in SEALED_COLUMNS {
        // Ordered by the row's own column, named with its table: PostgreSQL
        // would otherwise order by the output column of the same name, the
        // text (and "6" comes after "599", so paging skipped rows).
        let select = format!(
            "SELECT CAST({table}.{row} AS TEXT) AS row_key, {column} FROM {table}
              WHERE {column} LIKE '{PREFIX}%' AND {column} NOT LIKE $1 AND {table}.{row} > CAST($2 AS {row_type})
              ORDER BY {table}.{row} LIMIT $3",
            row = sealed.row,
            column = sealed.column,
            table = sealed.table,
            row_type = sealed.row_type,
        );
        let update = format!(
            "UPDATE {table} SET {column} = $3 WHERE {row} = CAST($1 AS {row_type}) AND {column} = $2",
            row = sealed.row,
            column = sealed.column,
            table = sealed.table,
            row_type = sealed.row_type,
        );
        let mut after = if sealed.row_type == "TEXT" {
            String::new()
        } else {
            i64::MIN.to_string()
        };
        loop {
            let rows: Vec<(String, String)> = crate::on_pool!(db, |pool| {
                sqlx::query_as(sqlx::AssertSqlSafe(select.clone()))
                    .bind(&current)
                    .bind(&after)
                    .bind(BATCH)
                    .fetch_all(pool)
                    .await
            })?;
            let Some((last, _)) = rows.last() else { break };
            after = last.clone();
            let mut anew = Vec::with_capacity(rows.len());
            for (row, value) in rows {
                match ring.open(sealed.purpose, &value) {
                    Ok(plain) => {
                        let again = ring.seal(sealed.purpose, &plain);
                        anew.push((row, value, again));
                    }
                    Err(CannotOpen) => done.unopened += 1,
                }
            }
            let written = crate::on_pool!(db, |pool| {
                let mut tx = pool.begin_write().await?;
                let mut written = 0;
                for (row, value, again) in &anew {
                    written += sqlx::query(sqlx::AssertSqlSafe(update.clone()))
                        .bind(row)
                        .bind(value)
                        .bind(again)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(written)
            })?;
            done.values += written;
        }
    }
    Ok(done)
}

/// How many values are sealed with a key other than `ring`'s current one:
/// what a rotation has still to do (instances still sealing with the old
/// key add to it).
pub async fn sealed_with_other_keys(
    db: &super::db::Db,
    ring: &KeyRing,
) -> Result<u64, sqlx::Error> {
    let current = format!("{PREFIX}{}:%", ring.current.id);
    let mut count = 0;
    for sealed in SEALED_COLUMNS {
        let sql = format!(
            "SELECT COUNT(*) FROM {table} WHERE {column} LIKE '{PREFIX}%' AND {column} NOT LIKE $1",
            column = sealed.column,
            table = sealed.table,
        );
        let n: i64 = crate::on_pool!(db, |pool| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&current)
                .fetch_one(pool)
                .await
        })?;
        count += n as u64;
    }
    Ok(count)
}

/// The keyed hash of canonical addresses (HMAC-SHA-256, 128 bits in hex):
/// equal for equal addresses, and telling nothing of an address to one
/// without the key.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailIndex([u8; 32]);

impl EmailIndex {
    fn derive(key: &[u8], message: &[u8]) -> Self {
        use hmac::Mac;
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
            .expect("HMAC takes a key of any length");
        mac.update(message);
        Self(mac.finalize().into_bytes().into())
    }

    /// The hash `canonical` (an address as `Email::canonical` gives it) is
    /// stored and looked up by.
    pub fn of(&self, canonical: &str) -> String {
        super::tokens::hex(&Self::derive(&self.0, canonical.as_bytes()).0[..16])
    }
}

impl std::fmt::Debug for EmailIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailIndex(..)")
    }
}

static EMAIL_INDEX: OnceLock<EmailIndex> = OnceLock::new();

/// Reads the database's email index key (made on first start from the
/// current data key, and kept sealed), and makes it the process's. After the
/// key ring: the index key is sealed with it.
pub async fn install_email_index(db: &super::db::Db) -> Result<(), String> {
    let ring = installed();
    let first = ring.seal(
        purpose::EMAIL_INDEX_KEY,
        &base64::engine::general_purpose::STANDARD.encode(ring.current.first_index),
    );
    let sealed: String = crate::on_pool!(db, |pool| async {
        sqlx::query(
            "INSERT INTO email_index_key (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&first)
        .execute(pool)
        .await?;
        sqlx::query_scalar("SELECT sealed FROM email_index_key WHERE id = 1")
            .fetch_one(pool)
            .await
    }
    .await)
    .map_err(|e| format!("cannot read the email index key: {e}"))?;
    let bytes = ring
        .open(purpose::EMAIL_INDEX_KEY, &sealed)
        .ok()
        .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or("the email index key does not open with the data key")?;
    let index = EmailIndex(bytes);
    if *EMAIL_INDEX.get_or_init(|| index.clone()) == index {
        Ok(())
    } else {
        Err("another database's email index key is in use in this process".into())
    }
}

/// The process's email index (`install_email_index`).
pub fn email_index() -> &'static EmailIndex {
    EMAIL_INDEX
        .get()
        .expect("the email index is installed at start (data_key::install_email_index)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_its_key_and_purpose_only() {
        let (key, text) = DataKey::generate();
        let sealed = key.seal("outbox.body", "confirm?token=abc");
        assert!(!sealed.contains("token"), "{sealed}");
        assert!(sealed.starts_with(&format!("sealed:v1:{}:", key.id())));
        assert_eq!(
            key.open("outbox.body", &sealed).unwrap(),
            "confirm?token=abc"
        );
        assert_ne!(
            key.seal("outbox.body", "x"),
            key.seal("outbox.body", "x"),
            "a nonce each"
        );
        assert_eq!(
            key.open("outbox.list_unsubscribe", &sealed),
            Err(CannotOpen)
        );
        let (other, _) = DataKey::generate();
        assert_eq!(other.open("outbox.body", &sealed), Err(CannotOpen));
        let again = DataKey::parse(&text).unwrap();
        assert_eq!(
            again.open("outbox.body", &sealed).unwrap(),
            "confirm?token=abc"
        );
        let mut damaged = sealed.clone();
        damaged.pop();
        assert_eq!(key.open("outbox.body", &damaged), Err(CannotOpen));
        assert_eq!(key.open("outbox.body", "plain text"), Err(CannotOpen));
    }

    #[test]
    fn a_key_is_32_bytes_of_base64() {
        assert!(DataKey::parse("c2hvcnQ=").unwrap_err().contains("not 32"));
        assert!(DataKey::parse("not base64!")
            .unwrap_err()
            .contains("base64"));
        let text = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(
            DataKey::parse(&format!("{text}\n")).unwrap().id(),
            DataKey::from_bytes([7; 32]).id()
        );
    }
}
