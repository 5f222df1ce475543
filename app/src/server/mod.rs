//! Infrastructure: what every feature uses, and nothing that knows of cases.
//! The state each request sees, the database, what server functions share
//! (state, request, plain-form detection), the clock, tokens, cookies, the
//! request guard (Origin check, rate limit), sanitizing, the outbox, the
//! audit writer, the render cache, the islands' scripts, backups. The rules of
//! case records (the timeline, translations, counts, owners) are `records`'.
//!
//! Compiled only with `ssr`. May import `domain`, `error`, `i18n` and `text`;
//! never a feature (`signing`, the back office, `feeds`), nor `records`,
//! `api`, `pages` or `components`: they build on this, not the other way
//! round.
pub mod audit;
pub mod backup;
pub mod body;
pub mod cacheable;
pub mod clock;
pub mod context;
pub mod cookies;
pub mod data_key;
pub mod db;
pub mod encoded;
pub mod even;
pub mod fresh;
pub mod guard;
pub mod islands;
pub mod outbox;
pub mod render_cache;
pub mod sanitize;
pub mod tokens;

use leptos::config::LeptosOptions;

/// Where the site's stylesheet is: under the bundle's folder, whose name
/// carries the bundle's version when there is one (`pkg/3f9a…`), so that
/// browsers keep it for a year and never use an old one.
pub fn stylesheet(options: &LeptosOptions) -> String {
    format!("/{}/{}.css", options.site_pkg_dir, options.output_name)
}

/// A licence: its name and where to read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Licence {
    pub name: String,
    pub url: String,
}

/// Creative Commons Attribution 4.0: reuse, also commercial, with credit.
impl Default for Licence {
    fn default() -> Self {
        Licence {
            name: "CC BY 4.0".into(),
            url: "https://creativecommons.org/licenses/by/4.0/".into(),
        }
    }
}

/// Everything a request handler or server function may need; given to the
/// router once and to server functions through context. A feature's own
/// moving parts (the signing queue) are given as context of their own.
#[derive(Clone, Debug, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: db::Db,
    /// The address people reach the site at, for links in mail.
    pub public_url: String,
    /// Cookies get `Secure` when the public address is https.
    pub secure_cookies: bool,
    /// Where the client's address is read (behind trusted proxies: a header).
    pub client_address: guard::ClientAddress,
    /// Days after an action closes before its signatures are anonymised.
    pub retention_days: u32,
    /// Where accessibility reports go; `None`: to every administrator.
    pub accessibility_contact: Option<String>,
    /// What the open data is published under.
    pub open_data_licence: Licence,
    /// (goal, confirmed online, on paper) of each support action readers poll; `None`: no
    /// public action has that slug.
    pub action_counts: fresh::Fresh<Option<(i64, i64, i64)>>,
    /// Per-address limits on some POST paths (signing, staff login); empty
    /// when turned off (benchmarks, tests).
    pub rate_limits: Vec<guard::RateLimit>,
    /// Rendered public responses (turned off with a capacity of 0).
    pub render_cache: render_cache::RenderCache,
}
