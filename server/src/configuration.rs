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
    /// Partner feeds may be fetched from loopback and private networks too.
    pub feeds_allow_private: bool,
    /// This instance fetches partner feeds once a minute. Off: another
    /// instance does, or `server sync-feeds` from a timer.
    pub feed_worker: bool,
    /// Behind a reverse proxy: the header it writes the client's address to.
    pub client_ip_header: Option<http::HeaderName>,
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
            .field("feeds_allow_private", &self.feeds_allow_private)
            .field("feed_worker", &self.feed_worker)
            .field("client_ip_header", &self.client_ip_header)
            .field(
                "smtp_url",
                &self
                    .smtp_url
                    .as_ref()
                    .map(|url| app::server::db::redact_url(url.expose_secret())),
            )
            .field("mail_from", &self.mail_from)
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

fn client_ip_header() -> Result<Option<http::HeaderName>, ConfigError> {
    var("CLIENT_IP_HEADER")
        .map(|name| {
            http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| ConfigError::Invalid {
                name: "CLIENT_IP_HEADER",
                reason: format!("{name:?} is not a header name"),
            })
        })
        .transpose()
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
        let feeds_allow_private = switch("FEEDS_ALLOW_PRIVATE", false)?;
        let feed_worker = switch("FEED_WORKER", true)?;
        let client_ip_header = client_ip_header()?;
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
        Ok(Self {
            accessibility_contact,
            render_cache_bytes,
            open_data_licence,
            retention_days,
            public_url: public_url.map(|url| url.trim_end_matches('/').to_owned()),
            signing_rate_per_minute,
            login_rate_per_minute,
            feeds_allow_private,
            feed_worker,
            client_ip_header,
            smtp_url: var("SMTP_URL").map(SecretString::from),
            mail_from: var("MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned()),
            database_url: SecretString::from(
                var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            ),
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
