//! Passkeys as a second factor (issue 28), over real HTTP on both backends,
//! with a software authenticator here (P-256 keys by `ring`, WebAuthn's
//! "none" attestation) answering what the server asks, as a browser's would.
//! The browser's own side, a virtual authenticator in Chromium, is
//! `end2end/tests/staff.spec.ts`.
use crate::helpers::{
    count, log_in, post_as, staff_account, staff_member, Page, TestApp, PASSWORD,
};
use crate::on_both_backends;
use app::domain::Role;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};

const ACCOUNT: &str = "/staff/account";

/// A security key holding one credential.
struct Authenticator {
    key: EcdsaKeyPair,
    id: Vec<u8>,
    counter: u32,
}

/// CBOR (RFC 8949), the little of it an attestation needs.
fn cbor_head(major: u8, n: u64, out: &mut Vec<u8>) {
    let major = major << 5;
    match n {
        0..=23 => out.push(major | n as u8),
        24..=0xff => out.extend([major | 24, n as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend((n as u16).to_be_bytes());
        }
        _ => {
            out.push(major | 26);
            out.extend((n as u32).to_be_bytes());
        }
    }
}

fn cbor_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        cbor_head(0, n as u64, out);
    } else {
        cbor_head(1, (-1 - n) as u64, out);
    }
}

fn cbor_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    cbor_head(2, bytes.len() as u64, out);
    out.extend(bytes);
}

fn cbor_text(text: &str, out: &mut Vec<u8>) {
    cbor_head(3, text.len() as u64, out);
    out.extend(text.as_bytes());
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

impl Authenticator {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let id = sha256(pkcs8.as_ref())[..16].to_vec();
        Self {
            key,
            id,
            counter: 0,
        }
    }

    /// The authenticator data: the relying party's hash, flags (user present
    /// and verified, and the credential when one is made), the counter.
    fn authenticator_data(&self, rp_id: &str, credential: bool) -> Vec<u8> {
        let mut data = sha256(rp_id.as_bytes());
        data.push(if credential { 0x45 } else { 0x05 });
        data.extend(self.counter.to_be_bytes());
        if credential {
            data.extend([0u8; 16]);
            data.extend((self.id.len() as u16).to_be_bytes());
            data.extend(&self.id);
            // The public key as COSE: EC2, ES256, P-256, x, y.
            let point = self.key.public_key().as_ref();
            let mut key = Vec::new();
            cbor_head(5, 5, &mut key);
            cbor_int(1, &mut key);
            cbor_int(2, &mut key);
            cbor_int(3, &mut key);
            cbor_int(-7, &mut key);
            cbor_int(-1, &mut key);
            cbor_int(1, &mut key);
            cbor_int(-2, &mut key);
            cbor_bytes(&point[1..33], &mut key);
            cbor_int(-3, &mut key);
            cbor_bytes(&point[33..65], &mut key);
            data.extend(key);
        }
        data
    }

    fn client_data(kind: &str, options: &Value, origin: &str) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": options["publicKey"]["challenge"],
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// `navigator.credentials.create()`'s answer, as `toJSON()` gives it.
    fn create(&self, options: &Value, origin: &str) -> String {
        let rp_id = options["publicKey"]["rp"]["id"].as_str().unwrap();
        let client_data = Self::client_data("webauthn.create", options, origin);
        let mut attestation = Vec::new();
        cbor_head(5, 3, &mut attestation);
        cbor_text("fmt", &mut attestation);
        cbor_text("none", &mut attestation);
        cbor_text("attStmt", &mut attestation);
        cbor_head(5, 0, &mut attestation);
        cbor_text("authData", &mut attestation);
        cbor_bytes(&self.authenticator_data(rp_id, true), &mut attestation);
        json!({
            "id": B64.encode(&self.id),
            "rawId": B64.encode(&self.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "attestationObject": B64.encode(&attestation),
                "transports": ["usb"],
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }

    /// `navigator.credentials.get()`'s answer: the counter moves on, and
    /// the authenticator data and client data's hash are signed.
    fn get(&mut self, options: &Value, origin: &str) -> String {
        self.counter += 1;
        let rp_id = options["publicKey"]["rpId"].as_str().unwrap();
        let client_data = Self::client_data("webauthn.get", options, origin);
        let data = self.authenticator_data(rp_id, false);
        let mut signed = data.clone();
        signed.extend(sha256(&client_data));
        let signature = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": B64.encode(&self.id),
            "rawId": B64.encode(&self.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "authenticatorData": B64.encode(&data),
                "signature": B64.encode(signature.as_ref()),
                "userHandle": null,
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }
}

/// The origin a browser on this test app has for WebAuthn: `localhost`, the
/// same port (browsers refuse WebAuthn on an IP address).
fn origin(app: &TestApp) -> String {
    app.address.replace("127.0.0.1", "localhost")
}

/// A server function as the island calls it: fields posted by fetch, a
/// JSON answer.
async fn call(app: &TestApp, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    app.post_with(
        path,
        fields,
        &[
            ("accept", "application/json"),
            ("origin", &origin(app)),
            ("sec-fetch-site", "same-origin"),
            ("cookie", cookie),
        ],
    )
    .await
}

fn answer(page: &Page) -> String {
    assert_eq!(page.status, 200, "{}", page.body);
    serde_json::from_str(&page.body).expect("a JSON string")
}

/// Adds a passkey held by `key` to the account of `cookie`; the server's
/// answer.
async fn add(app: &TestApp, cookie: &str, key: &Authenticator, name: &str) -> Page {
    let options: Value = serde_json::from_str(&answer(
        &call(app, cookie, "/api/staff/passkey/start", &[("name", name)]).await,
    ))
    .unwrap();
    let credential = key.create(&options, &origin(app));
    call(
        app,
        cookie,
        "/api/staff/passkey/add",
        &[("credential", &credential), ("name", name), ("lang", "en")],
    )
    .await
}

/// A password login: the session waiting for the second factor.
async fn password(app: &TestApp, email: &str) -> String {
    let answer = app
        .post_form(
            "/api/login",
            "/staff/login",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("next", "/staff"),
                ("lang", "en"),
            ],
        )
        .await;
    assert_eq!(
        answer.location().as_deref(),
        Some("/staff/login/code?next=%2Fstaff")
    );
    answer.cookie("lumieres_session").unwrap()
}

/// The login's passkey step: the options it gets.
async fn login_options(app: &TestApp, waiting: &str) -> Value {
    serde_json::from_str(&answer(
        &call(app, waiting, "/api/login/passkey/start", &[]).await,
    ))
    .unwrap()
}

async fn finish_login(app: &TestApp, waiting: &str, credential: &str) -> Page {
    call(
        app,
        waiting,
        "/api/login/passkey",
        &[
            ("credential", credential),
            ("next", "/staff"),
            ("lang", "en"),
        ],
    )
    .await
}

on_both_backends! {
    async fn a_passkey_is_added_and_opens_the_second_step(app: &TestApp) {
        let email = "comms@brussels.example";
        let cookie = staff_member(app, email, Role::Comms, None).await;
        let mut key = Authenticator::new();

        // Added from "Your account": the first second factor, so ten recovery codes, shown once.
        let added = add(app, &cookie, &key, "Blue key").await;
        assert_eq!(answer(&added), "/staff/account#second-factor");
        let page = app.get_with(ACCOUNT, &[("cookie", &cookie)]).await;
        assert_eq!(page.texts(".recovery-codes li").len(), 10, "{}", page.body);
        assert_eq!(page.texts(".second-factor-state"), ["On: every login asks for a code from your authenticator app, or for your passkey."]);
        assert!(page.texts(".passkeys li strong").contains(&"Blue key".to_owned()));
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.passkey_added'").await, 1);
        // A blank name is refused before the authenticator makes any key.
        let blank = call(app, &cookie, "/api/staff/passkey/start", &[("name", "  ")]).await;
        assert_eq!(blank.status, 400, "{}", blank.body);
        // The same key again is refused: one credential, one account.
        let again = add(app, &cookie, &key, "Blue key again").await;
        assert_ne!(again.status, 200);
        assert_eq!(count(app, "SELECT COUNT(*) FROM staff_passkeys").await, 1);

        // The password alone now waits; the code page offers the passkey.
        let waiting = password(app, email).await;
        assert_eq!(app.get_with("/staff", &[("cookie", &waiting)]).await.status, 302);
        let code_page = app.get_with("/staff/login/code?next=%2Fstaff", &[("cookie", &waiting)]).await;
        assert_eq!(code_page.texts(".passkey-ceremony button"), ["Log in with your passkey"]);

        // An answer to no challenge of this session, and one signed by another key, open nothing.
        let options = login_options(app, &waiting).await;
        let stranger = Authenticator::new().get(&options, &origin(app));
        assert_ne!(finish_login(app, &waiting, &stranger).await.status, 200);
        assert_eq!(app.get_with("/staff", &[("cookie", &waiting)]).await.status, 302);
        // That challenge is spent: even the right key's answer to it is refused now.
        let late = key.get(&options, &origin(app));
        assert_ne!(finish_login(app, &waiting, &late).await.status, 200);

        // The right key, for a fresh challenge, from the right origin: a full session.
        let options = login_options(app, &waiting).await;
        let forged = key.get(&options, "http://evil.example");
        assert_ne!(finish_login(app, &waiting, &forged).await.status, 200, "another site's origin");
        let options = login_options(app, &waiting).await;
        let signed = key.get(&options, &origin(app));
        let done = finish_login(app, &waiting, &signed).await;
        assert_eq!(answer(&done), "/staff");
        let full = done.cookie("lumieres_session").expect("a full session");
        assert_ne!(full, waiting);
        assert_eq!(app.get_with("/staff", &[("cookie", &full)]).await.status, 200);
        assert_eq!(app.get_with("/staff", &[("cookie", &waiting)]).await.status, 302, "the waiting session is gone");
        let page = app.get_with(ACCOUNT, &[("cookie", &full)]).await;
        assert!(page.texts(".passkeys li").iter().any(|l| l.contains("last used")), "{}", page.body);

        // The same answer replayed in a new login finds nothing to finish.
        let waiting = password(app, email).await;
        login_options(app, &waiting).await;
        assert_ne!(finish_login(app, &waiting, &signed).await.status, 200);

        // Nothing in the database opens anything: only the public key is kept.
        let stored: String = app::on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT passkey FROM staff_passkeys").fetch_one(pool).await).unwrap();
        assert!(!stored.contains("PRIVATE") && stored.contains("cred_id"), "{stored}");
    }

    async fn the_last_passkey_an_account_needs_stays_and_a_reset_removes_it(app: &TestApp) {
        // An optional second factor: its owner removes the passkey, and the recovery codes go with it.
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        add(app, &comms, &Authenticator::new(), "Laptop").await;
        let id: i64 = app::on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM staff_passkeys").fetch_one(pool).await).unwrap();
        let removed = post_as(app, &comms, "/api/staff/passkey/remove", ACCOUNT, &[("id", &id.to_string()), ("lang", "en")]).await;
        assert_eq!(removed.status, 302, "{}", removed.body);
        assert_eq!(count(app, "SELECT COUNT(*) FROM staff_passkeys").await, 0);
        assert_eq!(count(app, "SELECT COUNT(*) FROM staff_recovery_codes").await, 0, "codes go with the last factor");
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.passkey_removed'").await, 1);

        // An administrator's account needs one: with a passkey beside the app, the app may go; the last passkey may not.
        let email = "admin2@brussels.example";
        staff_account(app, email, "Second Admin", Role::Admin, None).await;
        let admin = log_in(app, email).await;
        add(app, &admin, &Authenticator::new(), "Phone").await;
        let codes_before = count(app, "SELECT COUNT(*) FROM staff_recovery_codes WHERE used_at IS NULL").await;
        assert!(codes_before > 0);
        let page = app.get_with(ACCOUNT, &[("cookie", &admin)]).await;
        assert!(page.texts(".recovery-codes li").is_empty(), "not the first factor: no new codes");
        let gone = post_as(app, &admin, "/api/staff/second-factor/remove", ACCOUNT, &[("lang", "en")]).await;
        assert_eq!(gone.status, 302, "{}", gone.body);
        assert_eq!(count(app, "SELECT COUNT(*) FROM staff_totp").await, 0);
        let id: i64 = app::on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM staff_passkeys").fetch_one(pool).await).unwrap();
        post_as(app, &admin, "/api/staff/passkey/remove", ACCOUNT, &[("id", &id.to_string()), ("lang", "en")]).await;
        assert_eq!(count(app, "SELECT COUNT(*) FROM staff_passkeys").await, 1, "the last factor an administrator needs stays");
        assert_eq!(app.get_with(ACCOUNT, &[("cookie", &admin)]).await.texts(".passkeys form button"), Vec::<String>::new(), "no button to remove it");

        // Another administrator resets it: the passkey goes with the rest, and its owner is mailed.
        let other = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let account: i64 = app::on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(pool).await).unwrap();
        let reset = post_as(app, &other, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &account.to_string()), ("change", "second-factor-reset")]).await;
        assert_eq!(reset.location().as_deref(), Some("/staff/accounts"), "{}", reset.body);
        assert_eq!(count(app, "SELECT COUNT(*) FROM staff_passkeys").await, 0);
    }
}
