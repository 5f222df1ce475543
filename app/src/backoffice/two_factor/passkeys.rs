//! Passkeys (WebAuthn) as a second factor: a key pair kept by the staff
//! member's device or security key, unlocked there with a fingerprint, face
//! or PIN, and bound to this site's address, so that a look-alike site asking
//! for it gets nothing. The server keeps only public keys and signature
//! counters (`staff_passkeys`).
//!
//! Both ceremonies go through the browser's WebAuthn calls, so they need
//! JavaScript: the `PasskeyCeremony` island. An authenticator app's code and
//! the recovery codes keep working without it.
//!
//! A ceremony's state (its challenge) is kept with the session in the
//! database, so that any instance may finish what another started, and it is
//! taken once: an answer replayed finds nothing to finish.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A passkey of the account, as "Your account" lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The longest name a passkey may be given.
pub const MAX_NAME_CHARS: usize = 60;

/// Starts adding a passkey named `name`: the options the browser hands its
/// authenticator, as WebAuthn's JSON. The name is checked here, before the
/// authenticator makes a key the server would then refuse.
#[server(prefix = "/api/staff", endpoint = "passkey/start")]
pub async fn start_adding_passkey(name: String) -> Result<String, AppError> {
    let user = super::own_account().await?;
    on_server::start_adding_from_request(&user, &name).await
}

/// A passkey's name as kept: trimmed, one to `MAX_NAME_CHARS` characters.
pub fn passkey_name(typed: &str) -> Option<&str> {
    let name = typed.trim();
    (!name.is_empty() && name.chars().count() <= MAX_NAME_CHARS).then_some(name)
}

/// Finishes adding a passkey with the authenticator's answer (WebAuthn's
/// JSON); returns the page to show next (the account page, with the
/// recovery codes if this is the account's first second factor).
#[server(prefix = "/api/staff", endpoint = "passkey/add")]
pub async fn add_passkey(
    credential: String,
    name: String,
    lang: String,
) -> Result<String, AppError> {
    let user = super::own_account().await?;
    on_server::add_from_request(&user, &credential, &name, &lang).await
}

/// Removes one of one's passkeys, where the account keeps a second factor
/// it needs.
#[server(prefix = "/api/staff", endpoint = "passkey/remove")]
pub async fn remove_passkey(id: i64, lang: String) -> Result<(), AppError> {
    let user = super::own_account().await?;
    on_server::remove_from_form(&user, id, &lang).await
}

/// The second step of a login by passkey, begun: the options for the
/// browser, naming the passkeys of the account whose session waits.
#[server(prefix = "/api/login", endpoint = "passkey/start")]
pub async fn start_passkey_login() -> Result<String, AppError> {
    on_server::start_login_from_request().await
}

/// The second step of a login by passkey, finished: a full session, and
/// where to go.
#[server(prefix = "/api/login", endpoint = "passkey")]
pub async fn log_in_with_passkey(
    credential: String,
    next: String,
    lang: String,
) -> Result<String, AppError> {
    on_server::log_in_from_request(&credential, &next, &lang).await
}

/// Which ceremony a `PasskeyCeremony` island runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ceremony {
    /// "Your account": a new passkey, named from the form's `name` field.
    Add,
    /// The login's second step, then on to `next`.
    LogIn,
}

/// A form whose button runs a WebAuthn ceremony in the browser. Its fields
/// and button are rendered on the server (its children); until the island
/// runs, and in a browser without passkeys, the button stays disabled and
/// `unsupported` says why.
#[island]
pub fn PasskeyCeremony(
    ceremony: Ceremony,
    lang: String,
    next: String,
    /// Shown where the browser cannot use passkeys.
    unsupported: String,
    /// Shown when the authenticator or the server refuses.
    failed: String,
    children: Children,
) -> impl IntoView {
    let supported = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    Effect::new(move |_| supported.set(crate::components::webauthn::supports_passkeys()));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let name = crate::components::submitted_form(&ev)
                .and_then(|form| form.get_with_name("name"))
                .and_then(|field| field.dyn_into::<web_sys::HtmlInputElement>().ok())
                .map(|field| field.value())
                .unwrap_or_default();
            let (lang, next, failed) = (lang.clone(), next.clone(), failed.clone());
            pending.set(true);
            problem.set(None);
            leptos::task::spawn_local(async move {
                match browser::run(ceremony, name, lang, next).await {
                    Ok(to) => {
                        let location = window().location();
                        let here = format!(
                            "{}{}",
                            location.pathname().unwrap_or_default(),
                            location.search().unwrap_or_default()
                        );
                        // Only the hash differs: the browser would scroll, not
                        // load the page that shows the passkey added.
                        if to.split('#').next() == Some(here.as_str()) {
                            let _ = location.set_hash(to.split_once('#').map_or("", |(_, h)| h));
                            let _ = location.reload();
                        } else {
                            let _ = location.set_href(&to);
                        }
                    }
                    Err(why) => {
                        problem.set(Some(format!("{failed} ({why})")));
                        pending.set(false);
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&lang, &next, &failed, ceremony);
    };
    view! {
        <form class="passkey-ceremony" method="post" action="" on:submit=on_submit>
            <fieldset class="passkey-go" disabled=move || !supported.get() || pending.get()>
                {children()}
            </fieldset>
            <p class="hint passkey-unsupported" hidden=move || supported.get()>
                {unsupported}
            </p>
            <p class="form-problem" role="alert" hidden=move || problem.get().is_none()>
                {move || problem.get()}
            </p>
        </form>
    }
}

/// The island's side: each ceremony is the server's options, the
/// browser's WebAuthn call (`components::webauthn`), the server's answer.
#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use crate::components::webauthn::ask_authenticator;

    /// Runs `ceremony` to its end; the address to go to next.
    pub async fn run(
        ceremony: Ceremony,
        name: String,
        lang: String,
        next: String,
    ) -> Result<String, String> {
        let text = |e: AppError| e.to_string();
        match ceremony {
            Ceremony::Add => {
                let options = start_adding_passkey(name.clone()).await.map_err(text)?;
                let credential = ask_authenticator(&options, true).await?;
                add_passkey(credential, name, lang).await.map_err(text)
            }
            Ceremony::LogIn => {
                let options = start_passkey_login().await.map_err(text)?;
                let credential = ask_authenticator(&options, false).await?;
                log_in_with_passkey(credential, next, lang)
                    .await
                    .map_err(text)
            }
        }
    }
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::session::on_server::{
        session_cookie, session_token, waiting_user, LoginError,
    };
    use crate::backoffice::session::safe_next;
    use crate::backoffice::two_factor::on_server::{
        account_page, finish_login, second_step_attempt, SecondFactorWrites,
    };
    use crate::backoffice::two_factor::SECOND_FACTOR_FORM;
    use crate::backoffice::StaffUser;
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::server::audit::{AuditEntry, RecordAudit};
    use crate::server::context::{request_parts, state};
    use crate::server::cookies;
    use crate::server::db::{BeginWrite, Db};
    use crate::server::tokens::token_hash;
    use webauthn_rs::prelude::{
        Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
        RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
    };

    /// How long a ceremony may take: WebAuthn's own timeout (5 minutes).
    const CEREMONY_SECONDS: i64 = 300;

    /// A ceremony under way in a session (`sessions.webauthn_state`).
    #[derive(Serialize, Deserialize)]
    enum Underway {
        Adding {
            state: PasskeyRegistration,
            started_at: i64,
        },
        LoggingIn {
            state: PasskeyAuthentication,
            started_at: i64,
        },
    }

    impl Underway {
        fn started_at(&self) -> i64 {
            match self {
                Underway::Adding { started_at, .. } | Underway::LoggingIn { started_at, .. } => {
                    *started_at
                }
            }
        }
    }

    /// The relying party: this site, as its public address names it. A
    /// passkey made for one address is refused by the browser on another.
    /// Browsers refuse WebAuthn on an IP address: a site on loopback
    /// (development, tests) is the relying party as `localhost`, same port;
    /// any other address without a domain name has no passkeys.
    pub fn relying_party(public_url: &str) -> Result<Webauthn, AppError> {
        use url::Host;
        let mut origin = Url::parse(public_url).map_err(|_| AppError::Internal)?;
        let loopback = match origin.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        };
        if loopback {
            origin
                .set_host(Some("localhost"))
                .map_err(|_| AppError::Internal)?;
        }
        let Some(domain) = origin.domain().map(str::to_owned) else {
            return Err(AppError::Invalid(
                "passkeys need the site's public address (PUBLIC_URL) to be a domain name".into(),
            ));
        };
        WebauthnBuilder::new(&domain, &origin)
            .and_then(|b| b.rp_name("Lumières").build())
            .map_err(|error| {
                tracing::error!(%error, public_url, "PUBLIC_URL cannot name a WebAuthn relying party");
                AppError::Internal
            })
    }

    /// A credential's id as stored: base64url, as browsers write it.
    fn credential_key(passkey: &Passkey) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(passkey.cred_id())
    }

    /// The account's passkeys, parsed (rows that no longer parse are left
    /// out, and said so in the log).
    async fn passkeys_of(db: &Db, user_id: i64) -> Result<Vec<(i64, Passkey)>, sqlx::Error> {
        let rows: Vec<(i64, String)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT id, passkey FROM staff_passkeys WHERE user_id = $1 ORDER BY id"
        )
        .bind(user_id)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, json)| match serde_json::from_str(&json) {
                Ok(passkey) => Some((id, passkey)),
                Err(error) => {
                    tracing::error!(%error, passkey = id, "a stored passkey does not parse");
                    None
                }
            })
            .collect())
    }

    /// The account's passkeys, for its page.
    pub async fn rows_of(db: &Db, user_id: i64) -> Result<Vec<PasskeyRow>, sqlx::Error> {
        on_pool!(db, |pool| sqlx::query_as::<
            _,
            (i64, String, i64, Option<i64>),
        >(
            "SELECT id, name, created_at, last_used_at FROM staff_passkeys
              WHERE user_id = $1 ORDER BY id"
        )
        .bind(user_id)
        .fetch_all(pool)
        .await)
        .map(|rows| {
            rows.into_iter()
                .map(|(id, name, created_at, last_used_at)| PasskeyRow {
                    id,
                    name,
                    created_at,
                    last_used_at,
                })
                .collect()
        })
    }

    /// The account's WebAuthn user handle, made the first time.
    async fn handle_of(db: &Db, user_id: i64) -> Result<Uuid, sqlx::Error> {
        let fresh = Uuid::new_v4().to_string();
        let handle: String = on_pool!(db, |pool| sqlx::query_scalar(
            "UPDATE users SET webauthn_handle = COALESCE(webauthn_handle, $2) WHERE id = $1
             RETURNING webauthn_handle"
        )
        .bind(user_id)
        .bind(&fresh)
        .fetch_one(pool)
        .await)?;
        Ok(Uuid::parse_str(&handle).unwrap_or_default())
    }

    async fn keep(db: &Db, token: &str, underway: &Underway) -> Result<(), sqlx::Error> {
        let json = serde_json::to_string(underway).expect("webauthn-rs states serialise");
        on_pool!(db, |pool| sqlx::query(
            "UPDATE sessions SET webauthn_state = $2 WHERE token_hash = $1"
        )
        .bind(token_hash(token))
        .bind(&json)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// Takes the session's ceremony, once: of two answers at once (or one
    /// replayed), one finds it. `None`: none, or too old.
    async fn take(db: &Db, token: &str, now: i64) -> Result<Option<Underway>, sqlx::Error> {
        let hash = token_hash(token);
        let stored: Option<Option<String>> = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT webauthn_state FROM sessions WHERE token_hash = $1"
        )
        .bind(&hash)
        .fetch_optional(pool)
        .await)?;
        let Some(json) = stored.flatten() else {
            return Ok(None);
        };
        let taken = on_pool!(db, |pool| {
            sqlx::query(
            "UPDATE sessions SET webauthn_state = NULL WHERE token_hash = $1 AND webauthn_state = $2"
        )
        .bind(&hash)
        .bind(&json)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        })?;
        Ok(serde_json::from_str::<Underway>(&json)
            .ok()
            .filter(|u| taken == 1 && now - u.started_at() <= CEREMONY_SECONDS))
    }

    /// Starts adding a passkey to `user`'s account (its session `token`).
    pub async fn start_adding(
        db: &Db,
        webauthn: &Webauthn,
        user: &StaffUser,
        token: &str,
        now: i64,
    ) -> Result<String, AppError> {
        let existing = passkeys_of(db, user.id).await?;
        let exclude = existing.iter().map(|(_, p)| p.cred_id().clone()).collect();
        let handle = handle_of(db, user.id).await?;
        let (options, state) = webauthn
            .start_passkey_registration(handle, &user.email, &user.name, Some(exclude))
            .map_err(|error| {
                tracing::error!(%error, "a passkey registration did not start");
                AppError::Internal
            })?;
        keep(
            db,
            token,
            &Underway::Adding {
                state,
                started_at: now,
            },
        )
        .await?;
        Ok(serde_json::to_string(&options).expect("WebAuthn options serialise"))
    }

    /// Why a passkey was not added.
    #[derive(Debug, thiserror::Error)]
    pub enum AddError {
        #[error("no passkey is being added in this session, or it took too long: start again")]
        NotStarted,
        #[error("the authenticator's answer is not valid")]
        Refused,
        #[error("this passkey is registered already")]
        Known,
        #[error("give the passkey a name of at most {MAX_NAME_CHARS} characters")]
        Name,
        #[error(transparent)]
        Database(#[from] sqlx::Error),
    }

    /// Finishes adding a passkey; the recovery codes to show once when it
    /// is the account's first second factor (else none).
    pub async fn add(
        db: &Db,
        webauthn: &Webauthn,
        user: &StaffUser,
        token: &str,
        credential: &str,
        name: &str,
        now: i64,
    ) -> Result<Vec<String>, AddError> {
        let name = passkey_name(name).ok_or(AddError::Name)?;
        let Some(Underway::Adding { state, .. }) = take(db, token, now).await? else {
            return Err(AddError::NotStarted);
        };
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| AddError::Refused)?;
        let passkey = webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|error| {
                tracing::info!(%error, user = user.id, "a passkey was refused");
                AddError::Refused
            })?;
        let json = serde_json::to_string(&passkey).expect("a passkey serialises");
        let key = credential_key(&passkey);
        on_pool!(db, |pool| async {
            let mut tx = pool.begin_write().await?;
            let inserted = sqlx::query(
                "INSERT INTO staff_passkeys (user_id, credential_id, name, passkey, created_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (credential_id) DO NOTHING",
            )
            .bind(user.id)
            .bind(&key)
            .bind(name)
            .bind(&json)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted != 1 {
                return Err(AddError::Known);
            }
            let codes = tx.codes_for_first_factor(user.id).await?;
            let mut entry = AuditEntry::new(user.actor(), "user.passkey_added", "user", user.id)
                .after(&serde_json::json!({ "name": name }));
            entry.at = now;
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok(codes)
        }
        .await)
    }

    /// Starts the login's passkey step for the session `token` waits on.
    /// `None`: no session waits, or its account has no passkey.
    pub async fn start_login(
        db: &Db,
        webauthn: &Webauthn,
        token: &str,
        now: i64,
    ) -> Result<Option<String>, AppError> {
        let Some(user) = waiting_user(db, token, now).await? else {
            return Ok(None);
        };
        let passkeys: Vec<Passkey> = passkeys_of(db, user.id)
            .await?
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        if passkeys.is_empty() {
            return Ok(None);
        }
        let (options, state) =
            webauthn
                .start_passkey_authentication(&passkeys)
                .map_err(|error| {
                    tracing::error!(%error, "a passkey login did not start");
                    AppError::Internal
                })?;
        keep(
            db,
            token,
            &Underway::LoggingIn {
                state,
                started_at: now,
            },
        )
        .await?;
        Ok(Some(
            serde_json::to_string(&options).expect("WebAuthn options serialise"),
        ))
    }

    /// The login's passkey step: counted like a password (per account and
    /// address) before it is checked; a good answer ends the waiting
    /// session and opens a full one, and the passkey's counter moves on.
    #[tracing::instrument(skip_all)]
    pub async fn log_in(
        db: &Db,
        webauthn: &Webauthn,
        token: &str,
        credential: &str,
        client_ip: Option<std::net::IpAddr>,
        now: i64,
    ) -> Result<(StaffUser, String), LoginError> {
        let (user, attempt) = second_step_attempt(db, token, client_ip, now).await?;
        let Some(Underway::LoggingIn { state, .. }) = take(db, token, now).await? else {
            return Err(LoginError::Invalid);
        };
        let answer: PublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| LoginError::Invalid)?;
        let result = webauthn
            .finish_passkey_authentication(&answer, &state)
            .map_err(|error| {
                tracing::info!(%error, user = user.id, "a passkey login was refused");
                LoginError::Invalid
            })?;
        let mut passkeys = passkeys_of(db, user.id).await?;
        let Some((id, passkey)) = passkeys
            .iter_mut()
            .find(|(_, p)| p.cred_id() == result.cred_id())
        else {
            return Err(LoginError::Invalid);
        };
        passkey.update_credential(&result);
        let json = serde_json::to_string(&*passkey).expect("a passkey serialises");
        on_pool!(db, |pool| sqlx::query(
            "UPDATE staff_passkeys SET passkey = $2, last_used_at = $3 WHERE id = $1"
        )
        .bind(*id)
        .bind(&json)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))?;
        let full = finish_login(db, token, user.id, attempt, now).await?;
        tracing::info!(user = user.id, "logged in with a passkey");
        Ok((user, full))
    }

    /// Removes one of `user`'s passkeys where the account keeps what it
    /// needs; the recovery codes go with the last second factor. `false`:
    /// not theirs, or the last one their role needs.
    pub async fn remove(db: &Db, user: &StaffUser, id: i64, now: i64) -> Result<bool, AppError> {
        Ok(on_pool!(db, |pool| async {
            let mut tx = pool.begin_write().await?;
            tx.lock_account(user.id).await?;
            let name: Option<String> = sqlx::query_scalar(
                "DELETE FROM staff_passkeys WHERE id = $1 AND user_id = $2 RETURNING name",
            )
            .bind(id)
            .bind(user.id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(name) = name else {
                return Ok(false);
            };
            // Checked again here: two removals at once each saw another
            // factor left.
            if tx.lacks_required_factor(user.id).await? {
                return Ok(false);
            }
            tx.forget_codes_without_factor(user.id).await?;
            let mut entry = AuditEntry::new(user.actor(), "user.passkey_removed", "user", user.id)
                .after(&serde_json::json!({ "name": name }));
            entry.at = now;
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(true)
        }
        .await)?)
    }

    fn webauthn() -> Result<Webauthn, AppError> {
        relying_party(&state()?.public_url)
    }

    fn token() -> Result<String, AppError> {
        session_token().ok_or(AppError::Unauthorized)
    }

    pub async fn start_adding_from_request(
        user: &StaffUser,
        name: &str,
    ) -> Result<String, AppError> {
        if passkey_name(name).is_none() {
            return Err(AppError::Invalid(AddError::Name.to_string()));
        }
        let db = crate::server::context::db()?;
        let now = crate::server::clock::now();
        start_adding(&db, &webauthn()?, user, &token()?, now).await
    }

    pub async fn add_from_request(
        user: &StaffUser,
        credential: &str,
        name: &str,
        lang: &str,
    ) -> Result<String, AppError> {
        let db = crate::server::context::db()?;
        let now = crate::server::clock::now();
        match add(&db, &webauthn()?, user, &token()?, credential, name, now).await {
            Ok(codes) => {
                tracing::info!(user = user.id, "passkey added");
                crate::backoffice::forms::on_server::store_flash_shown_once(
                    SECOND_FACTOR_FORM,
                    "staff.passkey_added",
                    codes,
                )
                .await?;
                Ok(account_page(lang))
            }
            Err(AddError::Database(error)) => Err(error.into()),
            Err(refusal) => Err(AppError::Invalid(refusal.to_string())),
        }
    }

    pub async fn remove_from_form(user: &StaffUser, id: i64, lang: &str) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        if !remove(&db, user, id, crate::server::clock::now()).await? {
            return Err(AppError::Invalid(
                "not a passkey of yours, or the last second factor your account needs".into(),
            ));
        }
        crate::backoffice::forms::on_server::done(
            SECOND_FACTOR_FORM,
            "staff.passkey_removed",
            &account_page(lang),
        )
        .await
    }

    pub async fn start_login_from_request() -> Result<String, AppError> {
        let db = crate::server::context::db()?;
        let now = crate::server::clock::now();
        start_login(&db, &webauthn()?, &token()?, now)
            .await?
            .ok_or(AppError::Unauthorized)
    }

    pub async fn log_in_from_request(
        credential: &str,
        next: &str,
        lang: &str,
    ) -> Result<String, AppError> {
        let state = state()?;
        let parts = request_parts()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let ip = crate::server::guard::client_ip(&parts, &state.client_address);
        let now = crate::server::clock::now();
        let webauthn = relying_party(&state.public_url)?;
        match log_in(&state.db, &webauthn, &token()?, credential, ip, now).await {
            Ok((_, full)) => {
                cookies::set(&session_cookie(Some(&full), state.secure_cookies));
                Ok(safe_next(next, locale))
            }
            Err(LoginError::Database(error)) => Err(error.into()),
            Err(LoginError::Throttled) => {
                Err(AppError::Forbidden(locale.t("staff.login_throttled")))
            }
            Err(LoginError::Invalid) => Err(AppError::Invalid(locale.t("staff.passkey_invalid"))),
        }
    }
}
