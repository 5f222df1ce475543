//! Settings, all from the environment (and the command line for a few).
//! The README lists every variable with its default; keep the two in step.
use leptos::config::{Env, LeptosOptions};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/lumieres.db";
pub const DEFAULT_SITE_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const DEFAULT_OUTBOX_DIR: &str = "data/outbox";
/// The bundle name cargo-leptos writes under `site-root/pkg` (see Cargo.toml).
pub const OUTPUT_NAME: &str = "lumieres";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

pub struct Settings {
    /// May hold a password: kept secret, shown only redacted.
    pub database_url: SecretString,
    pub database_max_connections: u32,
    pub site_addr: SocketAddr,
    pub site_root: String,
    /// With no mail server configured, mail is written here, one file each.
    pub outbox_dir: std::path::PathBuf,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field(
                "database_url",
                &app::ssr::db::redact_url(self.database_url.expose_secret()),
            )
            .field("database_max_connections", &self.database_max_connections)
            .field("site_addr", &self.site_addr)
            .field("site_root", &self.site_root)
            .field("outbox_dir", &self.outbox_dir)
            .finish()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let site_addr = var("LEPTOS_SITE_ADDR").unwrap_or_else(|| DEFAULT_SITE_ADDR.to_owned());
        let site_addr = site_addr.parse().map_err(|e| ConfigError::Invalid {
            name: "LEPTOS_SITE_ADDR",
            reason: format!("{site_addr:?}: {e}"),
        })?;
        let max = var("DATABASE_MAX_CONNECTIONS").unwrap_or_else(|| "10".to_owned());
        let database_max_connections = match max.parse::<u32>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "DATABASE_MAX_CONNECTIONS",
                    reason: format!("{max:?} is not a positive whole number"),
                })
            }
        };
        Ok(Self {
            database_url: SecretString::from(
                var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            ),
            database_max_connections,
            site_addr,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| DEFAULT_SITE_ROOT.to_owned()),
            outbox_dir: var("OUTBOX_DIR")
                .unwrap_or_else(|| DEFAULT_OUTBOX_DIR.to_owned())
                .into(),
        })
    }

    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(self.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(self.site_addr)
            .env(Env::PROD)
            .build()
    }
}
