//! The data key: what must not be readable in a copy of the database — the
//! links in mail not sent yet (issue 28), and next the signers' names and
//! addresses (issue 30) — is stored sealed with it (XChaCha20-Poly1305, a
//! random nonce per value). The key itself is never in the database: it
//! comes from the environment or a key file (`configuration::data_key`).
//!
//! One key for the process, installed at start: sealing happens deep inside
//! transactions (every mail is queued in the transaction of what it
//! announces), where passing it down would touch every writer of mail.
use base64::Engine;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use std::sync::OnceLock;

const PREFIX: &str = "sealed:v1:";

/// A 256-bit key and its name (the first bytes of its SHA-256, which say
/// which key sealed a value without saying anything of the key).
#[derive(Clone)]
pub struct DataKey {
    cipher: XChaCha20Poly1305,
    id: String,
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
        Self {
            cipher: XChaCha20Poly1305::new(&chacha20poly1305::Key::from(bytes)),
            id,
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

/// The name of another key that sealed what `db` holds (a staff app's
/// secret, a mail waiting to be sent), if one did: the database was sealed
/// with a key this process was not given (a key file lost in a restore, a
/// different `DATA_KEY`). Starting anyway would lock out every staff member
/// with a second factor and never send the waiting mail.
pub async fn other_key_in(
    db: &super::db::Db,
    key: &DataKey,
) -> Result<Option<String>, sqlx::Error> {
    let sealed: Vec<String> = crate::on_pool!(db, |pool| {
        sqlx::query_scalar(
        "SELECT * FROM (SELECT secret_sealed FROM staff_totp LIMIT 1) t
         UNION ALL
         SELECT * FROM (SELECT body_text FROM outbox WHERE sent_at IS NULL AND body_text LIKE 'sealed:%' LIMIT 1) o"
    )
    .fetch_all(pool)
    .await
    })?;
    Ok(sealed.into_iter().find_map(|value| {
        let id = value.strip_prefix(PREFIX)?.split(':').next()?;
        (id != key.id).then(|| id.to_owned())
    }))
}

static INSTALLED: OnceLock<DataKey> = OnceLock::new();

/// Makes `key` the process's key. Once: a second, different key is refused
/// (values sealed with the first would no longer open).
pub fn install(key: DataKey) -> Result<(), String> {
    let installed = INSTALLED.get_or_init(|| key.clone());
    if installed.id == key.id {
        Ok(())
    } else {
        Err(format!(
            "a data key ({}) is in use already; {} would not open what it sealed",
            installed.id, key.id
        ))
    }
}

/// The process's key. Every way in (`server serve`, each command, the
/// tests' set-up) installs one before anything is written.
pub fn installed() -> &'static DataKey {
    INSTALLED
        .get()
        .expect("the data key is installed at start (data_key::install)")
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
