//! A second factor for staff logins (issue 28): a six-digit code from an
//! authenticator app (TOTP, RFC 6238: HMAC-SHA-1, 30-second steps, one step
//! of clock skew either way), passkeys (`passkeys`), or both, and ten
//! one-time recovery codes, given with the first of them, for a lost phone
//! or key. Administrators and council members cannot work without one (they
//! export signers and decide adoptions); an administrator may require one of
//! a communications staff member, and resets a lost one (audited, mailed to
//! the owner).
//!
//! - The app's secret is the server's to read (to check a code), so it is
//!   stored sealed with the data key; recovery codes are stored as SHA-256
//!   only. A copy of the database opens neither.
//! - Each time step is accepted once (`last_step`): a code seen over a
//!   shoulder or in a log does not log in again.
//! - A password opens a session that waits for the code and opens nothing
//!   else (`session::on_server`); a mailed password link does the same.
use super::forms::FormFlash;
pub use super::SecondFactor;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod passkeys;

pub const SECOND_FACTOR_FORM: &str = "second-factor";

/// What a session waiting for the second factor may answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondStep {
    /// The account has a passkey (a code, from an app or a recovery code,
    /// is always asked for too).
    pub passkey: bool,
}

/// Whether this request's session waits for the second factor, and how it
/// may be given.
#[server]
pub async fn login_second_step() -> Result<Option<SecondStep>, AppError> {
    on_server::second_step().await
}

/// The second step of a login: the code from the authenticator app, or a
/// recovery code.
#[server(prefix = "/api", endpoint = "login/code")]
pub async fn log_in_with_code(code: String, next: String, lang: String) -> Result<(), AppError> {
    on_server::code_from_form(&code, &next, &lang).await
}

/// An authenticator app being set up: what the owner scans or types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    /// The secret in base32, for typing into an app.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub address: String,
    /// The QR code, as SVG drawn here (no script, no outside image).
    pub qr_svg: String,
}

/// The second-factor part of "Your account".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorView {
    pub state: SecondFactor,
    /// Whether the account may go without any second factor (neither the
    /// role nor an administrator asks for one).
    pub optional: bool,
    /// An authenticator app is set up (confirmed).
    pub app: bool,
    /// One being set up.
    pub setup: Option<Setup>,
    pub passkeys: Vec<passkeys::PasskeyRow>,
    pub recovery_codes_left: i64,
    /// New recovery codes, shown this once.
    pub new_recovery_codes: Vec<String>,
}

impl SecondFactorView {
    /// Whether the owner may remove the authenticator app: the account may
    /// go without, or keeps a passkey.
    pub fn may_remove_app(&self) -> bool {
        self.app && (self.optional || !self.passkeys.is_empty())
    }

    /// Whether the owner may remove a passkey: the account may go without,
    /// or keeps another factor.
    pub fn may_remove_passkey(&self) -> bool {
        !self.passkeys.is_empty() && (self.optional || self.app || self.passkeys.len() > 1)
    }
}

/// Starts (or starts again) setting up an authenticator app.
#[server(prefix = "/api/staff", endpoint = "second-factor/start")]
pub async fn start_second_factor(lang: String) -> Result<(), AppError> {
    let user = own_account().await?;
    on_server::start_from_form(&user, &lang).await
}

/// Confirms the app with a code it shows: from then on every login asks
/// for one. Gives the recovery codes, once.
#[server(prefix = "/api/staff", endpoint = "second-factor/confirm")]
pub async fn confirm_second_factor(code: String, lang: String) -> Result<(), AppError> {
    let user = own_account().await?;
    on_server::confirm_from_form(&user, &code, &lang).await
}

/// New recovery codes; the old ones stop working.
#[server(prefix = "/api/staff", endpoint = "second-factor/recovery-codes")]
pub async fn new_recovery_codes(lang: String) -> Result<(), AppError> {
    let user = own_account().await?;
    on_server::new_codes_from_form(&user, &lang).await
}

/// Removes one's own authenticator app, where the account does not need
/// it.
#[server(prefix = "/api/staff", endpoint = "second-factor/remove")]
pub async fn remove_second_factor(lang: String) -> Result<(), AppError> {
    let user = own_account().await?;
    on_server::remove_own_from_form(&user, &lang).await
}

/// Whoever may open their own account page: every staff member, a second
/// factor or not (it is where one is set up).
#[cfg(feature = "ssr")]
async fn own_account() -> Result<super::StaffUser, AppError> {
    crate::backoffice::session::on_server::require(crate::domain::Permission::ChangeOwnPassword)
        .await
}

/// What a refused or finished second-factor form brings back.
pub fn notice_of(flash: &Option<FormFlash>) -> Option<String> {
    flash
        .as_ref()
        .filter(|f| f.form == SECOND_FACTOR_FORM)
        .and_then(|f| f.notice.clone())
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{done, refuse, store_flash_shown_once};
    use crate::backoffice::forms::Problems;
    use crate::backoffice::session::on_server::{
        after_password, count_attempt, session_cookie, session_token, waiting_user, LoginError,
        SessionWrites, Step, LOGIN_FLASH_COOKIE,
    };
    use crate::backoffice::session::{safe_next, LoginFlash};
    use crate::backoffice::StaffUser;
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::context::{encode_query, request_parts, state};
    use crate::server::cookies;
    use crate::server::data_key;
    use crate::server::db::{BeginWrite, Db};
    use crate::server::tokens::token_hash;

    const ISSUER: &str = "Lumières";
    /// 160 bits, as RFC 4226 recommends.
    const SECRET_BYTES: usize = 20;
    use crate::server::data_key::purpose::STAFF_TOTP_SECRET as SEALED_SECRET;
    pub const RECOVERY_CODES: usize = 10;
    /// No 0/o, 1/l/i: codes are copied from paper.
    const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

    fn totp(secret: &[u8], account: &str) -> totp_rs::Totp {
        totp_rs::Builder::new()
            .with_secret(secret.to_vec())
            .with_account_name(account.replace(':', ""))
            .with_issuer(Some(ISSUER))
            .build()
            .expect("20 random bytes, 6 digits and 30 s make a valid TOTP")
    }

    /// The code an app shows at `time` (Unix seconds) for `secret`.
    pub fn code_at(secret: &[u8], time: i64) -> String {
        totp(secret, "")
            .generate(u64::try_from(time).unwrap_or_default())
            .to_string()
    }

    /// The step `code` was made in, if it is one of `time`'s (a step of skew
    /// either way) and later than `last_step`.
    pub fn step_of(secret: &[u8], code: &str, time: i64, last_step: i64) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        totp(secret, "")
            .check(&code, u64::try_from(time).ok()?)
            .and_then(|step| i64::try_from(step).ok())
            .filter(|step| *step > last_step)
    }

    /// Ten codes of ten letters and digits, `xxxxx-xxxxx`.
    pub fn fresh_recovery_codes() -> Vec<String> {
        (0..RECOVERY_CODES)
            .map(|_| {
                let letters: String = (0..10)
                    .map(|_| {
                        let at = rand::random_range(0..RECOVERY_ALPHABET.len());
                        char::from(RECOVERY_ALPHABET[at])
                    })
                    .collect();
                format!("{}-{}", &letters[..5], &letters[5..])
            })
            .collect()
    }

    /// A recovery code as stored: its SHA-256, whatever case and dashes it
    /// was typed with.
    fn recovery_hash(code: &str) -> String {
        let plain: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        token_hash(&plain)
    }

    /// Whether `code` looks like a recovery code rather than an app's.
    fn is_recovery_code(code: &str) -> bool {
        code.chars().any(|c| c.is_ascii_alphabetic())
    }

    /// An account's app (`None`: none, not even being set up): its secret,
    /// whether it is confirmed, the last step used.
    async fn app_of(db: &Db, user_id: i64) -> Result<Option<(Vec<u8>, bool, i64)>, sqlx::Error> {
        let row: Option<(String, Option<i64>, i64)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT secret_sealed, confirmed_at, last_step FROM staff_totp WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.and_then(|(sealed, confirmed, last_step)| {
            let secret = data_key::installed().open(SEALED_SECRET, &sealed).ok()?;
            let secret = base64_decode(&secret)?;
            Some((secret, confirmed.is_some(), last_step))
        }))
    }

    fn base64_decode(text: &str) -> Option<Vec<u8>> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(text).ok()
    }

    fn base64_encode(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// The account page's view of `user`'s second factor.
    pub async fn view(db: &Db, user: &StaffUser) -> Result<SecondFactorView, sqlx::Error> {
        let app = app_of(db, user.id).await?;
        let setup = match &app {
            Some((secret, false, _)) => Some(setup_of(secret, &user.email)),
            _ => None,
        };
        let (left, required_of_account): (i64, bool) = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM staff_recovery_codes WHERE user_id = $1 AND used_at IS NULL),
                    second_factor_required
               FROM users WHERE id = $1"
        )
        .bind(user.id)
        .fetch_one(pool)
        .await
        })?;
        Ok(SecondFactorView {
            state: user.second_factor,
            optional: !SecondFactor::required(user.role, required_of_account),
            app: matches!(app, Some((_, true, _))),
            setup,
            passkeys: super::passkeys::on_server::rows_of(db, user.id).await?,
            recovery_codes_left: left,
            new_recovery_codes: Vec::new(),
        })
    }

    fn setup_of(secret: &[u8], account: &str) -> Setup {
        let app = totp(secret, account);
        let address = app
            .to_url()
            .expect("an account name without ':' makes an otpauth address");
        Setup {
            secret: app.secret().to_base32(),
            qr_svg: qr_svg(&address),
            address,
        }
    }

    /// A QR code as an SVG image, one square per dark module.
    fn qr_svg(text: &str) -> String {
        use qrcodegen::{QrCode, QrCodeEcc};
        let Ok(qr) = QrCode::encode_text(text, QrCodeEcc::Medium) else {
            return String::new();
        };
        let border = 4;
        let size = qr.size() + 2 * border;
        let mut path = String::new();
        for y in 0..qr.size() {
            for x in 0..qr.size() {
                if qr.get_module(x, y) {
                    path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"200\" height=\"200\" role=\"img\" aria-hidden=\"true\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
        )
    }

    /// A new secret for `user`'s app, not yet confirmed (replacing one being
    /// set up; an app already confirmed is removed first, on purpose).
    /// `false`: one is confirmed already.
    pub async fn start(db: &Db, user_id: i64, now: i64) -> Result<bool, sqlx::Error> {
        let secret: [u8; SECRET_BYTES] = rand::random();
        let sealed = data_key::installed().seal(SEALED_SECRET, &base64_encode(&secret));
        let written = on_pool!(db, |pool| sqlx::query(
            "INSERT INTO staff_totp (user_id, secret_sealed, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed,
                    created_at = excluded.created_at, last_step = 0
              WHERE staff_totp.confirmed_at IS NULL"
        )
        .bind(user_id)
        .bind(sealed)
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(written == 1)
    }

    /// Confirms the app being set up with a code it shows; gives the
    /// recovery codes if it is the account's first second factor (else
    /// none). `None`: the code is not the app's (nothing changes).
    pub async fn confirm(
        db: &Db,
        user_id: i64,
        code: &str,
        now: i64,
    ) -> Result<Option<Vec<String>>, sqlx::Error> {
        let Some((secret, false, last_step)) = app_of(db, user_id).await? else {
            return Ok(None);
        };
        let Some(step) = step_of(&secret, code, now, last_step) else {
            return Ok(None);
        };
        on_pool!(db, |pool| async {
            let mut tx = pool.begin_write().await?;
            let confirmed = sqlx::query(
                "UPDATE staff_totp SET confirmed_at = $2, last_step = $3
                  WHERE user_id = $1 AND confirmed_at IS NULL",
            )
            .bind(user_id)
            .bind(now)
            .bind(step)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if confirmed != 1 {
                return Ok(None);
            }
            let codes = tx.codes_for_first_factor(user_id).await?;
            let mut entry = AuditEntry::new(
                Actor::Staff(user_id),
                "user.second_factor_set",
                "user",
                user_id,
            );
            entry.at = now;
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some(codes))
        }
        .await)
    }

    /// An account's second factors and recovery codes, on a connection
    /// inside the caller's transaction.
    pub trait SecondFactorWrites {
        /// Recovery codes for an account's first second factor: made and
        /// given if it has none (else none, and its own stay).
        fn codes_for_first_factor(
            &mut self,
            user_id: i64,
        ) -> impl std::future::Future<Output = Result<Vec<String>, sqlx::Error>> + Send;
        /// Takes the account's row for the rest of the transaction: changes
        /// to its factors made at once wait for each other, and each sees
        /// what the other left (two removals of its last two passkeys).
        fn lock_account(
            &mut self,
            user_id: i64,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
        /// Whether the account is left without a second factor it needs
        /// (`SecondFactor::Missing`): the caller then gives up.
        fn lacks_required_factor(
            &mut self,
            user_id: i64,
        ) -> impl std::future::Future<Output = Result<bool, sqlx::Error>> + Send;
        /// Removes the recovery codes of an account left without a second
        /// factor: they would open nothing, and would be given back with
        /// the next one.
        fn forget_codes_without_factor(
            &mut self,
            user_id: i64,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
        /// Removes every second factor of the account (its app, its
        /// passkeys) and its recovery codes; how many factors there were.
        fn remove_second_factors(
            &mut self,
            user_id: i64,
        ) -> impl std::future::Future<Output = Result<u64, sqlx::Error>> + Send;
        /// Replaces them with `codes` (stored as hashes).
        fn replace_recovery_codes(
            &mut self,
            user_id: i64,
            codes: &[String],
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl SecondFactorWrites {
            async fn lock_account(&mut self, user_id: i64) -> Result<(), sqlx::Error> {
                // A write takes the row's lock on PostgreSQL; SQLite's
                // writers are one at a time already.
                sqlx::query("UPDATE users SET second_factor_required = second_factor_required WHERE id = $1")
                    .bind(user_id)
                    .execute(&mut *self)
                    .await
                    .map(|_| ())
            }

            async fn lacks_required_factor(&mut self, user_id: i64) -> Result<bool, sqlx::Error> {
                let (role, required, set): (String, bool, bool) = sqlx::query_as(concat!(
                    "SELECT role, second_factor_required, ",
                    crate::backoffice::second_factor_set!("$1"),
                    " FROM users WHERE id = $1"
                ))
                .bind(user_id)
                .fetch_one(&mut *self)
                .await?;
                let role = crate::domain::Role::parse(&role).map_err(|_| sqlx::Error::RowNotFound)?;
                Ok(SecondFactor::of(role, required, set) == SecondFactor::Missing)
            }

            async fn codes_for_first_factor(&mut self, user_id: i64) -> Result<Vec<String>, sqlx::Error> {
                self.lock_account(user_id).await?;
                let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_recovery_codes WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_one(&mut *self)
                    .await?;
                if held > 0 {
                    return Ok(Vec::new());
                }
                let codes = fresh_recovery_codes();
                self.replace_recovery_codes(user_id, &codes).await?;
                Ok(codes)
            }

            async fn forget_codes_without_factor(&mut self, user_id: i64) -> Result<(), sqlx::Error> {
                sqlx::query(concat!(
                    "DELETE FROM staff_recovery_codes WHERE user_id = $1 AND NOT ",
                    crate::backoffice::second_factor_set!("$1")
                ))
                .bind(user_id)
                .execute(&mut *self)
                .await
                .map(|_| ())
            }

            async fn remove_second_factors(&mut self, user_id: i64) -> Result<u64, sqlx::Error> {
                let mut removed = sqlx::query("DELETE FROM staff_totp WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *self)
                    .await?
                    .rows_affected();
                removed += sqlx::query("DELETE FROM staff_passkeys WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *self)
                    .await?
                    .rows_affected();
                sqlx::query("DELETE FROM staff_recovery_codes WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *self)
                    .await?;
                Ok(removed)
            }

            async fn replace_recovery_codes(&mut self, user_id: i64, codes: &[String]) -> Result<(), sqlx::Error> {
                sqlx::query("DELETE FROM staff_recovery_codes WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *self)
                    .await?;
                for code in codes {
                    sqlx::query("INSERT INTO staff_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                        .bind(user_id)
                        .bind(recovery_hash(code))
                        .execute(&mut *self)
                        .await?;
                }
                Ok(())
            }
        }
    }

    /// New recovery codes for an account with a second factor; `None`: it
    /// has none.
    pub async fn renew_codes(
        db: &Db,
        user: &StaffUser,
        now: i64,
    ) -> Result<Option<Vec<String>>, sqlx::Error> {
        let has_factor: bool = on_pool!(db, |pool| sqlx::query_scalar(concat!(
            "SELECT ",
            crate::backoffice::second_factor_set!("$1")
        ))
        .bind(user.id)
        .fetch_one(pool)
        .await)?;
        if !has_factor {
            return Ok(None);
        }
        let codes = fresh_recovery_codes();
        on_pool!(db, |pool| async {
            let mut tx = pool.begin_write().await?;
            tx.replace_recovery_codes(user.id, &codes).await?;
            let mut entry =
                AuditEntry::new(user.actor(), "user.recovery_codes_renewed", "user", user.id);
            entry.at = now;
            tx.record_audit(&entry).await?;
            tx.commit().await
        }
        .await)?;
        Ok(Some(codes))
    }

    /// Removes `user`'s authenticator app, unless it is the last factor the
    /// account needs (checked in the transaction, the rule the page's
    /// `SecondFactorView::may_remove_app` shows); the recovery codes go with
    /// the last second factor. `false`: it had none, or must keep it.
    pub async fn remove_app(db: &Db, user: &StaffUser, now: i64) -> Result<bool, sqlx::Error> {
        on_pool!(db, |pool| async {
            let mut tx = pool.begin_write().await?;
            tx.lock_account(user.id).await?;
            let removed = sqlx::query("DELETE FROM staff_totp WHERE user_id = $1")
                .bind(user.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if removed == 0 || tx.lacks_required_factor(user.id).await? {
                return Ok(false);
            }
            tx.forget_codes_without_factor(user.id).await?;
            let mut entry =
                AuditEntry::new(user.actor(), "user.second_factor_removed", "user", user.id);
            entry.at = now;
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(true)
        }
        .await)
    }

    /// An administrator resets an account's lost second factor: removed
    /// with its recovery codes, audited, and its owner told by mail (a
    /// reset they did not ask for is news to them). `false`: it had none,
    /// or no such account.
    pub async fn reset(
        db: &Db,
        admin: &StaffUser,
        account: i64,
        base_url: &str,
        locale: Locale,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        use crate::server::outbox::{Enqueue, NewMail};
        on_pool!(db, |pool| async {
            let mut tx = pool.begin_write().await?;
            let owner: Option<(String, String)> =
                sqlx::query_as("SELECT email, name FROM users WHERE id = $1")
                    .bind(account)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((email, name)) = owner else {
                return Ok(false);
            };
            if tx.remove_second_factors(account).await? == 0 {
                return Ok(false);
            }
            let mut entry =
                AuditEntry::new(admin.actor(), "user.second_factor_reset", "user", account);
            entry.at = now;
            tx.record_audit(&entry).await?;
            let subject = locale.t("mail.second_factor_reset_subject");
            let body = locale
                .t("mail.second_factor_reset_body")
                .replace("%{name}", &name)
                .replace("%{admin}", &admin.name)
                .replace(
                    "%{url}",
                    &format!(
                        "{}{}",
                        base_url.trim_end_matches('/'),
                        locale.path("/staff/account", false)
                    ),
                );
            let mail = NewMail {
                recipient: &email,
                subject: &subject,
                body_text: &body,
                list_unsubscribe: None,
                about: None,
            };
            tx.enqueue(&mail, now).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(true)
        }
        .await)
    }

    /// An administrator requires (or no longer requires) a second factor of
    /// a communications staff member, audited. `false`: not such an account.
    pub async fn require_of(
        db: &Db,
        admin: &StaffUser,
        account: i64,
        require: bool,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(db, |pool| async {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query(
                "UPDATE users SET second_factor_required = $2 WHERE id = $1 AND role = 'comms'",
            )
            .bind(account)
            .bind(require)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Ok(false);
            }
            let mut entry = AuditEntry::new(
                admin.actor(),
                "user.second_factor_required",
                "user",
                account,
            )
            .after(&serde_json::json!({ "required": require }));
            entry.at = now;
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(true)
        }
        .await)
    }

    /// Checks the second step of a login: a code from the account's app (its
    /// step then used up) or one of its recovery codes (then spent, audited).
    pub async fn check_login_code(
        db: &Db,
        user_id: i64,
        code: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let code = code.trim();
        if code.is_empty() || code.len() > 64 {
            return Ok(false);
        }
        if is_recovery_code(code) {
            let hash = recovery_hash(code);
            return on_pool!(db, |pool| async {
                let mut tx = pool.begin_write().await?;
                let spent = sqlx::query(
                    "UPDATE staff_recovery_codes SET used_at = $3
                      WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                )
                .bind(user_id)
                .bind(&hash)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if spent != 1 {
                    return Ok(false);
                }
                let mut entry = AuditEntry::new(
                    Actor::Staff(user_id),
                    "user.recovery_code_used",
                    "user",
                    user_id,
                );
                entry.at = now;
                tx.record_audit(&entry).await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(true)
            }
            .await);
        }
        let Some((secret, true, last_step)) = app_of(db, user_id).await? else {
            return Ok(false);
        };
        let Some(step) = step_of(&secret, code, now, last_step) else {
            return Ok(false);
        };
        // Two logins with one code at once: one of them moves the step.
        let used = on_pool!(db, |pool| sqlx::query(
            "UPDATE staff_totp SET last_step = $2 WHERE user_id = $1 AND last_step < $2"
        )
        .bind(user_id)
        .bind(step)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(used == 1)
    }

    /// The second step: the code of the account whose session `token` waits
    /// for it. Counted like a password (per account and address) before it
    /// is checked. A good one ends the waiting session and opens a full one.
    #[tracing::instrument(skip_all)]
    pub async fn log_in_with_code(
        db: &Db,
        token: &str,
        code: &str,
        client_ip: Option<std::net::IpAddr>,
        now: i64,
    ) -> Result<(StaffUser, String), LoginError> {
        let (user, attempt) = second_step_attempt(db, token, client_ip, now).await?;
        if !check_login_code(db, user.id, code, now).await? {
            return Err(LoginError::Invalid);
        }
        let full = finish_login(db, token, user.id, attempt, now).await?;
        tracing::info!(user = user.id, "logged in with a second factor");
        Ok((user, full))
    }

    /// The start of a login's second step, whatever gives it (a code, a
    /// passkey): the account whose session `token` waits for it, and the
    /// attempt, counted like a password's before anything is checked.
    pub async fn second_step_attempt(
        db: &Db,
        token: &str,
        client_ip: Option<std::net::IpAddr>,
        now: i64,
    ) -> Result<(StaffUser, i64), LoginError> {
        let user = waiting_user(db, token, now)
            .await?
            .ok_or(LoginError::Invalid)?;
        let attempt = count_attempt(db, &user.email, Step::SecondFactor, client_ip, now).await?;
        Ok((user, attempt))
    }

    /// The second step given (a code, a passkey): the attempt was no
    /// failure, the waiting session ends and a full one opens; its token.
    pub async fn finish_login(
        db: &Db,
        waiting: &str,
        user_id: i64,
        attempt: i64,
        now: i64,
    ) -> Result<String, LoginError> {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.take_back_attempt(attempt).await?;
            let ended =
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1 AND second_factor_pending")
                    .bind(token_hash(waiting))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            // Ended meanwhile (logged out, or every session ended by a
            // password link): nothing to finish.
            if ended != 1 {
                return Err(LoginError::Invalid);
            }
            let opened = tx.open_session(user_id, now, true).await?;
            tx.commit().await?;
            Ok(opened.token)
        })
    }

    /// The code page's form: a full session and on to where the user was
    /// going, or back to the code page with the reason (to the login page
    /// when no session waits for a code).
    #[tracing::instrument(skip_all)]
    pub async fn code_from_form(code: &str, next: &str, lang: &str) -> Result<(), AppError> {
        let state = state()?;
        let parts = request_parts()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let ip = crate::server::guard::client_ip(&parts, &state.client_address);
        let next = safe_next(next, locale);
        let Some(token) = session_token() else {
            let login = locale.path("/staff/login", false);
            return crate::server::context::redirect(&format!(
                "{login}?next={}",
                encode_query(&next)
            ));
        };
        let now = crate::server::clock::now();
        match log_in_with_code(&state.db, &token, code, ip, now).await {
            Ok((_, full)) => {
                cookies::set(&session_cookie(Some(&full), state.secure_cookies));
                crate::server::context::redirect(&next)
            }
            Err(LoginError::Database(error)) => Err(error.into()),
            Err(refusal) => {
                let message = match refusal {
                    LoginError::Throttled => "staff.login_throttled",
                    _ => "staff.code_invalid",
                };
                cookies::set_flash(
                    LOGIN_FLASH_COOKIE,
                    &LoginFlash {
                        email: String::new(),
                        message: message.to_owned(),
                    },
                );
                crate::server::context::redirect(&after_password(locale, &next, true))
            }
        }
    }

    /// How the session of this request may give its second factor; `None`:
    /// it waits for none.
    pub async fn second_step() -> Result<Option<SecondStep>, AppError> {
        let db = crate::server::context::db()?;
        let Some(token) = session_token() else {
            return Ok(None);
        };
        let Some(user) = waiting_user(&db, &token, crate::server::clock::now()).await? else {
            return Ok(None);
        };
        let passkey: bool = on_pool!(&db, |pool| sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM staff_passkeys WHERE user_id = $1)"
        )
        .bind(user.id)
        .fetch_one(pool)
        .await)?;
        Ok(Some(SecondStep { passkey }))
    }

    /// "Your account", at its second factor.
    pub fn account_page(lang: &str) -> String {
        Locale::from_code(lang)
            .unwrap_or_default()
            .path("/staff/account#second-factor", false)
    }

    pub async fn start_from_form(user: &StaffUser, lang: &str) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let notice = if start(&db, user.id, crate::server::clock::now()).await? {
            "staff.second_factor_scan"
        } else {
            "staff.second_factor_already_set"
        };
        done(SECOND_FACTOR_FORM, notice, &account_page(lang)).await
    }

    pub async fn confirm_from_form(
        user: &StaffUser,
        code: &str,
        lang: &str,
    ) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let now = crate::server::clock::now();
        match confirm(&db, user.id, code, now).await? {
            Some(codes) => {
                tracing::info!(user = user.id, "second factor set up");
                store_flash_shown_once(SECOND_FACTOR_FORM, "staff.second_factor_set", codes)
                    .await?;
                crate::server::context::redirect(&account_page(lang))
            }
            None => {
                refuse(
                    SECOND_FACTOR_FORM,
                    &(),
                    Problems::one("code", "staff.code_invalid"),
                )
                .await
            }
        }
    }

    pub async fn new_codes_from_form(user: &StaffUser, lang: &str) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        match renew_codes(&db, user, crate::server::clock::now()).await? {
            Some(codes) => {
                store_flash_shown_once(SECOND_FACTOR_FORM, "staff.recovery_codes_new", codes)
                    .await?;
                crate::server::context::redirect(&account_page(lang))
            }
            // The account's state, not the caller's right: the form's mistake.
            None => Err(AppError::Invalid(
                "set up an authenticator app first".into(),
            )),
        }
    }

    pub async fn remove_own_from_form(user: &StaffUser, lang: &str) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        if !remove_app(&db, user, crate::server::clock::now()).await? {
            return Err(AppError::Invalid(
                "no authenticator app to remove, or it is the last second factor your account needs: add a passkey first, or ask an administrator to reset a lost one"
                    .into(),
            ));
        }
        done(
            SECOND_FACTOR_FORM,
            "staff.second_factor_removed",
            &account_page(lang),
        )
        .await
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// RFC 6238, appendix B: the SHA-1 secret and times, 8-digit codes
        /// (ours are their last six digits: the same truncation, mod 10^6).
        #[test]
        fn codes_are_those_of_rfc_6238() {
            let secret = b"12345678901234567890";
            for (time, eight) in [
                (59, "94287082"),
                (1_111_111_109, "07081804"),
                (1_111_111_111, "14050471"),
                (1_234_567_890, "89005924"),
                (2_000_000_000, "69279037"),
                (20_000_000_000, "65353130"),
            ] {
                assert_eq!(code_at(secret, time), eight[2..], "at {time}");
            }
        }

        #[test]
        fn a_code_counts_in_its_step_and_the_next_once() {
            let secret = b"12345678901234567890";
            let code = code_at(secret, 1_000_000_000);
            let step = 1_000_000_000 / 30;
            assert_eq!(step_of(secret, &code, 1_000_000_000, 0), Some(step));
            assert_eq!(step_of(secret, &code, 1_000_000_029, 0), Some(step), "skew");
            assert_eq!(step_of(secret, &code, 1_000_000_100, 0), None, "too late");
            assert_eq!(
                step_of(secret, &code, 1_000_000_000, step),
                None,
                "used already"
            );
            assert_eq!(
                step_of(secret, &format!(" {} ", &code), 1_000_000_000, 0),
                Some(step)
            );
            assert_eq!(step_of(secret, "12345", 1_000_000_000, 0), None);
            assert_eq!(step_of(secret, "abcdef", 1_000_000_000, 0), None);
        }

        #[test]
        fn recovery_codes_are_ten_readable_and_read_however_typed() {
            let codes = fresh_recovery_codes();
            assert_eq!(codes.len(), RECOVERY_CODES);
            assert!(codes
                .iter()
                .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
            assert!(codes.iter().all(|c| !c.contains(['0', 'o', '1', 'l', 'i'])));
            assert!(codes.iter().all(|c| is_recovery_code(c)));
            let code = &codes[0];
            assert_eq!(
                recovery_hash(code),
                recovery_hash(&code.to_uppercase().replace('-', " "))
            );
            assert!(!is_recovery_code("123 456"));
        }

        #[test]
        fn admins_and_council_members_need_one() {
            use crate::domain::Role;
            assert_eq!(
                SecondFactor::of(Role::Admin, false, false),
                SecondFactor::Missing
            );
            assert_eq!(
                SecondFactor::of(Role::Council, false, false),
                SecondFactor::Missing
            );
            assert_eq!(
                SecondFactor::of(Role::Comms, false, false),
                SecondFactor::Optional
            );
            assert_eq!(
                SecondFactor::of(Role::Comms, true, false),
                SecondFactor::Missing
            );
            assert_eq!(
                SecondFactor::of(Role::Comms, false, true),
                SecondFactor::Set
            );
        }
    }
}
