//! Settings, all from the environment (and the command line for a few).
//! The README lists every variable with its default; keep the two in step.
use leptos::config::{Env, LeptosOptions};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/lumieres.db";
pub const DEFAULT_SITE_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const DEFAULT_OUTBOX_DIR: &str = "data/outbox";
pub const DEFAULT_MAIL_FROM: &str = "Lumières <noreply@localhost>";
/// Enough for every public page of a network in three languages (~20 KB each).
pub const DEFAULT_RENDER_CACHE_MIB: &str = "16";
/// The bundle name cargo-leptos writes under `site-root/pkg` (see Cargo.toml).
pub const OUTPUT_NAME: &str = "lumieres";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("{name} must be set: {reason}")]
    Missing {
        name: &'static str,
        reason: &'static str,
    },
    #[error("{0}")]
    Mail(String),
}

pub struct Settings {
    /// May hold a password: kept secret, shown only redacted.
    pub database_url: SecretString,
    pub database_max_connections: u32,
    /// How long to wait at start for a database that does not answer yet
    /// (PostgreSQL starting, a network not up); `None`: as long as it takes.
    pub database_wait: Option<std::time::Duration>,
    pub site_addr: SocketAddr,
    pub site_root: String,
    /// With no mail server configured, mail is written here, one file each.
    pub outbox_dir: std::path::PathBuf,
    /// The address people reach the site at (links in mail); by default the
    /// listening address over http.
    pub public_url: Option<String>,
    /// Signature requests per client address and minute; 0 turns the limit off.
    pub signing_rate_per_minute: u32,
    /// Staff logins allowed per client address and minute; 0: no limit.
    pub login_rate_per_minute: u32,
    /// Accessibility reports taken an hour from everyone together (they
    /// all mail the same people); 0: no cap.
    pub accessibility_reports_per_hour: u32,
    /// Partner feeds may be fetched from loopback and private networks too.
    pub feeds_allow_private: bool,
    /// This instance fetches partner feeds once a minute. Off: another
    /// instance does, or `server sync-feeds` from a timer.
    pub feed_worker: bool,
    /// Behind reverse proxies: the header they write the client's address
    /// to, and the proxies it is believed from.
    pub client_address: app::server::guard::ClientAddress,
    /// Mail goes through this SMTP server when set; it may hold a password.
    pub smtp_url: Option<SecretString>,
    /// The sender of every mail.
    pub mail_from: String,
    /// Days after an action closes before its signatures are anonymised.
    pub retention_days: u32,
    /// The licence the open data (API, CSV files) is published under.
    pub open_data_licence: app::server::Licence,
    /// Bytes of rendered public pages kept in memory; 0 turns the cache off.
    pub render_cache_bytes: u64,
    /// Where reports from the accessibility statement's form go; `None`:
    /// to every administrator account.
    pub accessibility_contact: Option<String>,
    /// Seals what a copy of the database must not give away
    /// (`app::server::data_key`); `None`: not given, on PostgreSQL, where
    /// opening the database then stops with the reason.
    pub data_key: Option<app::server::data_key::DataKey>,
    /// The key `data_key` replaces, while what it sealed is sealed anew
    /// (`server rotate-data-key`): `DATA_KEY_PREVIOUS` or the file
    /// `DATA_KEY_PREVIOUS_FILE` names.
    pub data_key_previous: Option<app::server::data_key::DataKey>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field(
                "database_url",
                &app::server::db::redact_url(self.database_url.expose_secret()),
            )
            .field("database_max_connections", &self.database_max_connections)
            .field("database_wait", &self.database_wait)
            .field("site_addr", &self.site_addr)
            .field("site_root", &self.site_root)
            .field("outbox_dir", &self.outbox_dir)
            .field("public_url", &self.public_url)
            .field("signing_rate_per_minute", &self.signing_rate_per_minute)
            .field("login_rate_per_minute", &self.login_rate_per_minute)
            .field(
                "accessibility_reports_per_hour",
                &self.accessibility_reports_per_hour,
            )
            .field("feeds_allow_private", &self.feeds_allow_private)
            .field("feed_worker", &self.feed_worker)
            .field("client_address", &self.client_address)
            .field(
                "smtp_url",
                &self
                    .smtp_url
                    .as_ref()
                    .map(|url| app::server::db::redact_url(url.expose_secret())),
            )
            .field("mail_from", &self.mail_from)
            .field("data_key", &self.data_key)
            .field("data_key_previous", &self.data_key_previous)
            .field("retention_days", &self.retention_days)
            .field("render_cache_bytes", &self.render_cache_bytes)
            .field("accessibility_contact", &self.accessibility_contact)
            .field("open_data_licence", &self.open_data_licence)
            .finish()
    }
}

/// The folder the browser bundle is served from: `pkg/`, then a version made
/// of the bundle's contents when it is there (`pkg/3f9a0c1b2d4e`). A new
/// bundle is a new address, so a browser may keep each for a year and never
/// mix an old script with a new page; instances with the same bundle agree.
pub fn bundle_dir(site_root: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    let mut found = false;
    for extension in ["js", "wasm", "css"] {
        let file = format!("{site_root}/pkg/{OUTPUT_NAME}.{extension}");
        if let Ok(bytes) = std::fs::read(file) {
            hash.update(&bytes);
            found = true;
        }
    }
    if !found {
        return "pkg".to_owned();
    }
    let version = app::server::tokens::hex(&hash.finalize());
    format!("pkg/{}", &version[..12])
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A whole number from the environment, `default` when unset.
fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match var(name) {
        None => Ok(default),
        Some(typed) => typed.parse().map_err(|_| typed),
    }
}

/// A whole number from the environment; `problem` says what it should be.
fn number_or<T: std::str::FromStr>(
    name: &'static str,
    default: T,
    problem: &str,
) -> Result<T, ConfigError> {
    number(name, default).map_err(|typed| ConfigError::Invalid {
        name,
        reason: format!("{typed:?} {problem}"),
    })
}

/// `1` or `0`; `default` when unset.
fn switch(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match var(name).as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(other) => Err(ConfigError::Invalid {
            name,
            reason: format!("{other:?} is neither 1 nor 0"),
        }),
    }
}

fn client_address() -> Result<app::server::guard::ClientAddress, ConfigError> {
    use app::server::guard::{parse_trusted_proxies, ClientAddress};
    let header = var("CLIENT_IP_HEADER")
        .map(|name| {
            http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| ConfigError::Invalid {
                name: "CLIENT_IP_HEADER",
                reason: format!("{name:?} is not a header name"),
            })
        })
        .transpose()?;
    let trusted =
        parse_trusted_proxies(&var("TRUSTED_PROXIES").unwrap_or_default()).map_err(|reason| {
            ConfigError::Invalid {
                name: "TRUSTED_PROXIES",
                reason,
            }
        })?;
    ClientAddress::behind(header, trusted).map_err(|reason| ConfigError::Invalid {
        name: "TRUSTED_PROXIES",
        reason: reason.to_owned(),
    })
}

/// The data key: `DATA_KEY` (32 bytes in base64), else the file
/// `DATA_KEY_FILE` names, else, on SQLite, the key file beside the database
/// (`data/lumieres.key` for `data/lumieres.db`), made on first start so that
/// `make run` needs nothing. On PostgreSQL one must be given (`None` here):
/// instances that made their own would not open each other's sealed mail.
fn data_key(database_url: &str) -> Result<Option<app::server::data_key::DataKey>, ConfigError> {
    data_key_given_or_beside(database_url)
        .map(|key| key.map(Some))
        .unwrap_or(Ok(None))
}

/// The previous data key, while a new one replaces it.
fn data_key_previous() -> Result<Option<app::server::data_key::DataKey>, ConfigError> {
    use app::server::data_key::DataKey;
    if let Some(text) = var("DATA_KEY_PREVIOUS") {
        return DataKey::parse(&text)
            .map(Some)
            .map_err(|reason| ConfigError::Invalid {
                name: "DATA_KEY_PREVIOUS",
                reason,
            });
    }
    let Some(path) = var("DATA_KEY_PREVIOUS_FILE") else {
        return Ok(None);
    };
    let invalid = |reason: String| ConfigError::Invalid {
        name: "DATA_KEY_PREVIOUS_FILE",
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| invalid(format!("{path}: {e}")))?;
    DataKey::parse(&text)
        .map(Some)
        .map_err(|reason| invalid(format!("{path} {reason}")))
}

fn data_key_given_or_beside(
    database_url: &str,
) -> Option<Result<app::server::data_key::DataKey, ConfigError>> {
    use app::server::data_key::DataKey;
    if let Some(text) = var("DATA_KEY") {
        return Some(
            DataKey::parse(&text).map_err(|reason| ConfigError::Invalid {
                name: "DATA_KEY",
                reason,
            }),
        );
    }
    let invalid = |reason: String| ConfigError::Invalid {
        name: "DATA_KEY_FILE",
        reason,
    };
    if let Some(path) = var("DATA_KEY_FILE") {
        return Some(
            std::fs::read_to_string(&path)
                .map_err(|e| invalid(format!("{path}: {e}")))
                .and_then(|text| {
                    DataKey::parse(&text).map_err(|reason| invalid(format!("{path} {reason}")))
                }),
        );
    }
    let file = sqlite_file(database_url)?;
    if file.is_empty() || file.contains(":memory:") {
        tracing::warn!("an in-memory database: its data key lives as long as the process");
        return Some(Ok(DataKey::generate().0));
    }
    Some(key_file_beside(file))
}

/// The file of a SQLite database URL.
fn sqlite_file(database_url: &str) -> Option<&str> {
    database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
}

/// The key file that reading the settings would make now: on SQLite, with
/// no key given and none beside the database. A restore must not start so:
/// what the backup holds sealed opens only with the key of its own site.
pub fn data_key_would_be_made() -> Option<std::path::PathBuf> {
    if var("DATA_KEY").is_some() || var("DATA_KEY_FILE").is_some() {
        return None;
    }
    let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let file = sqlite_file(&database_url).filter(|f| !f.is_empty() && !f.contains(":memory:"))?;
    let path = std::path::Path::new(file).with_extension("key");
    (!path.exists()).then_some(path)
}

/// The key file beside the SQLite database `file`, made if missing.
fn key_file_beside(file: &str) -> Result<app::server::data_key::DataKey, ConfigError> {
    use app::server::data_key::DataKey;
    let invalid = |reason: String| ConfigError::Invalid {
        name: "DATA_KEY_FILE",
        reason,
    };
    let path = std::path::Path::new(file).with_extension("key");
    let shown = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => DataKey::parse(&text).map_err(|reason| invalid(format!("{shown} {reason}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (key, text) = DataKey::generate();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| invalid(format!("{shown}: {e}")))?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(mut file) => {
                    use std::io::Write;
                    writeln!(file, "{text}").map_err(|e| invalid(format!("{shown}: {e}")))?;
                    tracing::warn!(path = %shown, "made a new data key: mail waiting to be sent is sealed with it; back it up apart from the database");
                    Ok(key)
                }
                // Another process made it meanwhile: theirs is the key.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| invalid(format!("{shown}: {e}")))?;
                    DataKey::parse(&text).map_err(|reason| invalid(format!("{shown} {reason}")))
                }
                Err(e) => Err(invalid(format!("{shown}: {e}"))),
            }
        }
        Err(e) => Err(invalid(format!("{shown}: {e}"))),
    }
}

fn render_cache_bytes() -> Result<u64, ConfigError> {
    let mib = var("RENDER_CACHE_MIB").unwrap_or_else(|| DEFAULT_RENDER_CACHE_MIB.to_owned());
    mib.parse::<u64>()
        .ok()
        .and_then(|mib| mib.checked_mul(1024 * 1024))
        .ok_or_else(|| ConfigError::Invalid {
            name: "RENDER_CACHE_MIB",
            reason: format!("{mib:?} is not a whole number of mebibytes (0 turns the cache off)"),
        })
}

fn open_data_licence() -> Result<app::server::Licence, ConfigError> {
    match (var("OPEN_DATA_LICENCE"), var("OPEN_DATA_LICENCE_URL")) {
        (None, None) => Ok(app::server::Licence::default()),
        // It goes into a `Link: <…>` header: ASCII, no spaces nor angle brackets.
        (Some(name), Some(url))
            if (url.starts_with("https://") || url.starts_with("http://"))
                && url.chars().all(|c| c.is_ascii_graphic() && c != '<' && c != '>') =>
        {
            Ok(app::server::Licence { name, url })
        }
        (Some(_), Some(url)) => Err(ConfigError::Invalid {
            name: "OPEN_DATA_LICENCE_URL",
            reason: format!(
                "{url:?} is not an http:// or https:// address in ASCII without spaces (write an international name in its xn-- form)"
            ),
        }),
        (name, _) => Err(ConfigError::Invalid {
            name: if name.is_some() { "OPEN_DATA_LICENCE_URL" } else { "OPEN_DATA_LICENCE" },
            reason: "OPEN_DATA_LICENCE and OPEN_DATA_LICENCE_URL are set together (a licence's name and where to read it)".into(),
        }),
    }
}

fn accessibility_contact() -> Result<Option<String>, ConfigError> {
    var("ACCESSIBILITY_CONTACT")
        .map(|address| {
            app::domain::Email::parse(&address)
                .map(|email| email.as_str().to_owned())
                .map_err(|e| ConfigError::Invalid {
                    name: "ACCESSIBILITY_CONTACT",
                    reason: format!("{address:?}: {e}"),
                })
        })
        .transpose()
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let site_addr = var("LEPTOS_SITE_ADDR").unwrap_or_else(|| DEFAULT_SITE_ADDR.to_owned());
        let site_addr = site_addr.parse().map_err(|e| ConfigError::Invalid {
            name: "LEPTOS_SITE_ADDR",
            reason: format!("{site_addr:?}: {e}"),
        })?;
        let database_max_connections = match number::<u32>("DATABASE_MAX_CONNECTIONS", 10) {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "DATABASE_MAX_CONNECTIONS",
                    reason: format!(
                        "{:?} is not a positive whole number",
                        var("DATABASE_MAX_CONNECTIONS").unwrap_or_default()
                    ),
                })
            }
        };
        let public_url = var("PUBLIC_URL");
        if let Some(url) = &public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid {
                    name: "PUBLIC_URL",
                    reason: format!("{url:?} does not start with http:// or https://"),
                });
            }
        }
        // Read in this order, so that the first of several mistakes is the one told.
        let limit = "is not a whole number (0 turns the limit off)";
        let signing_rate_per_minute = number_or("SIGNING_RATE_LIMIT_PER_MINUTE", 10, limit)?;
        let login_rate_per_minute = number_or("LOGIN_RATE_LIMIT_PER_MINUTE", 10, limit)?;
        let accessibility_reports_per_hour =
            number_or("ACCESSIBILITY_REPORTS_PER_HOUR", 30, limit)?;
        let feeds_allow_private = switch("FEEDS_ALLOW_PRIVATE", false)?;
        let feed_worker = switch("FEED_WORKER", true)?;
        let client_address = client_address()?;
        let retention_days = number_or("RETENTION_DAYS", 180, "is not a whole number of days")?;
        let database_wait = match var("DATABASE_WAIT_SECONDS") {
            None => None,
            Some(_) => Some(std::time::Duration::from_secs(number_or(
                "DATABASE_WAIT_SECONDS",
                0,
                "is not a whole number of seconds (0: do not wait)",
            )?)),
        };
        let render_cache_bytes = render_cache_bytes()?;
        let open_data_licence = open_data_licence()?;
        let accessibility_contact = accessibility_contact()?;
        let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let data_key = data_key(&database_url)?;
        let data_key_previous = data_key_previous()?;
        Ok(Self {
            data_key,
            data_key_previous,
            accessibility_contact,
            render_cache_bytes,
            open_data_licence,
            retention_days,
            public_url: public_url.map(|url| url.trim_end_matches('/').to_owned()),
            signing_rate_per_minute,
            login_rate_per_minute,
            accessibility_reports_per_hour,
            feeds_allow_private,
            feed_worker,
            client_address,
            smtp_url: var("SMTP_URL").map(SecretString::from),
            mail_from: var("MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned()),
            database_url: SecretString::from(database_url),
            database_max_connections,
            database_wait,
            site_addr,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| DEFAULT_SITE_ROOT.to_owned()),
            outbox_dir: var("OUTBOX_DIR")
                .unwrap_or_else(|| DEFAULT_OUTBOX_DIR.to_owned())
                .into(),
        })
    }

    /// SMTP when `SMTP_URL` is set, else one file per mail under `OUTBOX_DIR`.
    /// Which addresses partner feeds may be fetched from.
    pub fn feed_reach(&self) -> app::feeds::sync::Reach {
        if self.feeds_allow_private {
            app::feeds::sync::Reach::PrivateToo
        } else {
            app::feeds::sync::Reach::PublicOnly
        }
    }

    pub fn mailer(&self) -> Result<app::server::outbox::Mailer, ConfigError> {
        match &self.smtp_url {
            Some(url) => app::server::outbox::Mailer::smtp(url.expose_secret(), &self.mail_from)
                .map_err(ConfigError::Mail),
            None => Ok(app::server::outbox::Mailer::Files {
                dir: self.outbox_dir.clone(),
            }),
        }
    }

    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(self.site_root.as_str())
            .site_pkg_dir(bundle_dir(&self.site_root))
            .site_addr(self.site_addr)
            .env(Env::PROD)
            .build()
    }
}
