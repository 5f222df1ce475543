//! Builds the application: database, router, listener. Tests build it on
//! port 0 with a fresh database and drive it over real HTTP.
use crate::configuration::Settings;
use app::api::search::index::SearchIndex;
use app::server::{clock, db::Db, guard, outbox, AppState};
use app::signing::queue::SignQueue;
use app::{shell, App};
use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Router};
use http::{header, HeaderValue};
use leptos_axum::{generate_route_list, LeptosRoutes};
use secrecy::ExposeSecret;
use std::future::Future;
use std::num::NonZeroU32;
use tokio::net::TcpListener;
use tower_http::{
    compression::CompressionLayer, services::ServeDir, set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] app::server::db::DbError),
    #[error(transparent)]
    Config(#[from] crate::configuration::ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Makes the settings' data key (and the previous one, while it is
/// replaced) the process's, before anything is written; refuses keys that
/// are not those the database's sealed values were sealed with. Then the
/// email index, and what was written in clear before sealing began is
/// sealed, before the site serves.
async fn install_data_key(settings: &Settings, db: &Db) -> Result<(), StartupError> {
    use crate::configuration::ConfigError;
    let key = settings.data_key.clone().ok_or(ConfigError::Missing {
        name: "DATA_KEY or DATA_KEY_FILE",
        reason: "PostgreSQL needs the data key given, the same to every instance (make one with: head -c 32 /dev/urandom | base64)",
    })?;
    let invalid = |reason: String| {
        StartupError::Config(ConfigError::Invalid {
            name: "DATA_KEY",
            reason,
        })
    };
    let ring = app::server::data_key::KeyRing::new(key, settings.data_key_previous.clone());
    if let Some(other) = app::server::data_key::other_key_in(db, &ring)
        .await
        .map_err(app::server::db::DbError::from)?
    {
        return Err(invalid(format!(
            "the database holds values sealed with data key {other}, this one is {}: give the key they were sealed with (DATA_KEY, DATA_KEY_FILE, or the key file beside the database; while a new key replaces it, DATA_KEY_PREVIOUS)",
            ring.current().id()
        )));
    }
    app::server::data_key::install(ring).map_err(invalid)?;
    app::server::data_key::install_email_index(db)
        .await
        .map_err(invalid)?;
    let sealed = app::signing::at_rest::seal_in_clear(db)
        .await
        .map_err(app::server::db::DbError::from)?;
    if sealed > 0 {
        tracing::warn!(
            rows = sealed,
            "sealed signers' details and mail written in clear before sealing began"
        );
    }
    Ok(())
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    db: Db,
    mailer: outbox::Mailer,
    limits: Vec<guard::RateLimit>,
    feed_reach: app::feeds::sync::Reach,
    feed_worker: bool,
    retention_days: u32,
    /// Links in the mails the hourly pass sends (consent reviews due).
    public_url: String,
}

/// The per-address limits the guard applies: signing, staff logins, and
/// asking for a password link or a link to one's data (each mail of which
/// lands in someone's box).
fn rate_limits(settings: &Settings) -> Vec<guard::RateLimit> {
    let login = <app::backoffice::session::LogInStaff as leptos::server_fn::ServerFn>::PATH;
    let login_code =
        <app::backoffice::two_factor::LogInWithCode as leptos::server_fn::ServerFn>::PATH;
    let login_passkey =
        <app::backoffice::two_factor::passkeys::LogInWithPasskey as leptos::server_fn::ServerFn>::PATH;
    let password_link =
        <app::backoffice::passwords::RequestPasswordLink as leptos::server_fn::ServerFn>::PATH;
    let signing = ("guard.too_many_title", "guard.too_many_text");
    let logins = ("guard.too_many_logins_title", "guard.too_many_logins_text");
    let requests = (
        "guard.too_many_requests_title",
        "guard.too_many_requests_text",
    );
    let reports = (
        "guard.too_many_reports_title",
        "guard.too_many_reports_text",
    );
    [
        (
            app::signing::SIGN_PATH,
            settings.signing_rate_per_minute,
            signing,
        ),
        (login, settings.login_rate_per_minute, logins),
        (login_code, settings.login_rate_per_minute, logins),
        (login_passkey, settings.login_rate_per_minute, logins),
        (password_link, settings.login_rate_per_minute, logins),
        (
            app::privacy::ASK_PATH,
            settings.login_rate_per_minute,
            requests,
        ),
        (
            app::signing::follows::FOLLOW_PATH,
            settings.login_rate_per_minute,
            requests,
        ),
        (
            app::accessibility::FEEDBACK_PATH,
            settings.login_rate_per_minute,
            reports,
        ),
    ]
    .into_iter()
    .filter_map(|(path, per_minute, refusal)| {
        NonZeroU32::new(per_minute).map(|n| guard::RateLimit::with_refusal(path, n, refusal))
    })
    .chain(
        NonZeroU32::new(settings.accessibility_reports_per_hour).map(|n| {
            guard::RateLimit::site_wide_per_hour(
                app::accessibility::FEEDBACK_PATH,
                n,
                ("guard.reports_full_title", "guard.reports_full_text"),
            )
        }),
    )
    .collect()
}

/// Opens and migrates the database named in the settings.
pub async fn open_database(settings: &Settings) -> Result<Db, StartupError> {
    let started = tokio::time::Instant::now();
    let mut pause = FIRST_DATABASE_RETRY;
    let db = loop {
        match Db::connect(
            settings.database_url.expose_secret(),
            settings.database_max_connections,
        )
        .await
        {
            Ok(db) => break db,
            Err(error) if error.may_pass() => {
                let waited = started.elapsed();
                if settings
                    .database_wait
                    .is_some_and(|limit| waited + pause > limit)
                {
                    return Err(error.into());
                }
                // Said every time: the operator sees why the site is not up yet.
                tracing::warn!(%error, retry_in = ?pause, "the database does not answer yet");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(LAST_DATABASE_RETRY);
            }
            Err(error) => return Err(error.into()),
        }
    };
    db.migrate().await?;
    install_data_key(settings, &db).await?;
    Ok(db)
}

/// Waits between attempts to reach the database at start: doubling, so a
/// database that takes a while is not flooded, up to a pause short enough
/// that the site is up within seconds of it.
const FIRST_DATABASE_RETRY: std::time::Duration = std::time::Duration::from_millis(250);
const LAST_DATABASE_RETRY: std::time::Duration = std::time::Duration::from_secs(4);

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let db = open_database(settings).await?;
        Self::with_database(settings, db).await
    }

    pub async fn with_database(settings: &Settings, db: Db) -> Result<Self, StartupError> {
        install_data_key(settings, &db).await?;
        let leptos_options = settings.leptos_options();
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .map_err(|source| StartupError::Bind {
                addr: settings.site_addr,
                source,
            })?;
        // Known only now when the settings ask for port 0 (tests).
        let public_url = match &settings.public_url {
            Some(url) => url.clone(),
            None => format!(
                "http://{}",
                listener.local_addr().unwrap_or(settings.site_addr)
            ),
        };
        let sign_queue = SignQueue::start(db.clone(), public_url.clone());
        let search = SearchIndex::start(db.clone());
        let state = AppState {
            leptos_options: leptos_options.clone(),
            db: db.clone(),
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            client_address: settings.client_address.clone(),
            rate_limits: rate_limits(settings),
            retention_days: settings.retention_days,
            accessibility_contact: settings.accessibility_contact.clone(),
            open_data_licence: settings.open_data_licence.clone(),
            // Half a second at most, so that a count shown, answer's way
            // included, is under a second old (issue 27): 10,000 readers
            // polling a count make two database reads a second, not 10,000.
            action_counts: app::server::fresh::Fresh::new(
                std::time::Duration::from_millis(500),
                10_000,
            ),
            render_cache: app::server::render_cache::RenderCache::new(settings.render_cache_bytes),
        };
        let limits = state.rate_limits.clone();
        let public_url = state.public_url.clone();
        let router = router(state, sign_queue, search, &settings.site_root);
        let mailer = settings.mailer()?;
        Ok(Self {
            listener,
            router,
            db,
            mailer,
            limits,
            feed_reach: settings.feed_reach(),
            feed_worker: settings.feed_worker,
            retention_days: settings.retention_days,
            public_url,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves, with the outbox worker beside it, until `shutdown` resolves;
    /// then finishes the requests in flight and stops the worker between mails.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(outbox::run_worker_until_stopped(
            self.db.clone(),
            self.mailer,
            worker_stopped,
        ));
        let limits = self.limits;
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                limits.iter().for_each(guard::RateLimit::forget_idle);
            }
        });
        let retention = tokio::spawn(run_retention(
            self.db.clone(),
            self.retention_days,
            self.public_url.clone(),
        ));
        let feeds = self
            .feed_worker
            .then(|| tokio::spawn(run_feed_sync(self.db.clone(), self.feed_reach)));
        let served = crate::serve::serve(self.listener, self.router, shutdown).await;
        let _ = stop_worker.send(true);
        let _ = worker.await;
        sweeper.abort();
        retention.abort();
        if let Some(feeds) = feeds {
            feeds.abort();
        }
        self.db.close().await;
        served?;
        Ok(())
    }
}

/// Syncs due partner feeds once a minute. A pass claims its feeds in the
/// database, so instances never fetch the same feed at once; aborting it at
/// shutdown loses nothing (a claimed feed is simply due again later).
async fn run_feed_sync(db: Db, reach: app::feeds::sync::Reach) {
    let client = app::feeds::sync::client(reach);
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        match app::feeds::sync::run_pass(&db, &client, clock::now()).await {
            Ok(report) if report.feeds > 0 => tracing::info!(?report, "feeds synced"),
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "feed sync pass failed"),
        }
    }
}

/// Anonymises expired signatures, deletes expired sessions, announces the
/// consent reviews due and mails the weekly digests of followed cases, at
/// start and then hourly. Each pass is one
/// UPDATE, so stopping between passes loses nothing.
async fn run_retention(db: Db, retention_days: u32, public_url: String) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        match app::signing::retention::apply_retention(&db, retention_days, clock::now()).await {
            Ok(done) if done != Default::default() => {
                tracing::info!(
                    anonymised = done.anonymised,
                    unconfirmed_deleted = done.unconfirmed_deleted,
                    addresses_erased = done.addresses_erased,
                    mails_forgotten = done.mails_forgotten,
                    mails_given_up = done.mails_given_up,
                    follows_deleted = done.follows_deleted,
                    "retention pass"
                )
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "retention pass failed"),
        }
        if let Err(error) =
            app::backoffice::session::on_server::forget_expired(&db, clock::now()).await
        {
            tracing::error!(%error, "cannot delete expired sessions");
        }
        if let Err(error) =
            app::backoffice::passwords::on_server::forget_expired(&db, clock::now()).await
        {
            tracing::error!(%error, "cannot delete expired password links");
        }
        let reviews = app::cases::consent::on_server::remind_due_reviews(
            &db,
            &public_url,
            clock::today_date(),
            clock::now(),
        );
        match reviews.await {
            Ok(0) => {}
            Ok(due) => tracing::info!(due, "consent reviews announced"),
            Err(error) => tracing::error!(%error, "cannot announce the consent reviews due"),
        }
        // Logged by the pass itself.
        let _ = app::signing::follows::on_server::mail_digests(&db, &public_url, clock::now())
            .await
            .inspect_err(|error| tracing::error!(%error, "cannot mail the weekly digests"));
    }
}

/// The app's route list, generated once per process. Generating it renders
/// the app with resource loading suppressed through a process-wide flag
/// (leptos_server's `SuppressResourceLoad`): a page of another `Application`
/// in the same process that started loading at that moment would never finish
/// (leptos-rs/leptos#4773). The integration tests run many applications in
/// one process; the list is the same for all.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The open data: the versioned API, the CSV files, the embed and badge.
fn open_data_routes() -> Router<AppState> {
    use app::api::v1 as api_v1;
    Router::new()
        .route("/api/v1/openapi.json", get(api_v1::openapi))
        .route("/api/v1/persons", get(api_v1::persons::persons))
        .route("/api/v1/persons/{slug}", get(api_v1::persons::person))
        .route(
            "/api/v1/municipalities",
            get(api_v1::places::municipalities),
        )
        .route(
            "/api/v1/municipalities/{slug}",
            get(api_v1::places::municipality),
        )
        .route(
            "/api/v1/rights-categories",
            get(api_v1::places::rights_categories),
        )
        .route("/api/v1/statuses", get(api_v1::places::statuses))
        .route("/api/v1/search", get(api_v1::search::search))
        .route("/api/v1/actions/{slug}", get(api_v1::actions::action))
        .route(
            "/api/v1/actions/{slug}/count",
            get(api_v1::actions::action_count),
        )
        .route(
            "/api/v1/actions/{slug}/history",
            get(api_v1::actions::history),
        )
        .route(
            "/api/v1/actions/{slug}/places",
            get(api_v1::actions::places),
        )
        .route("/data/persons.csv", get(app::api::data::persons_csv))
        .route("/data/timeline.csv", get(app::api::data::timeline_csv))
        .route("/data/actions.csv", get(app::api::data::actions_csv))
        .route(
            "/data/signature-history.csv",
            get(app::api::data::signature_history_csv),
        )
        .route("/actions/{slug}/embed", get(app::api::embed::embed))
        .route(
            "/{lang}/actions/{slug}/embed",
            get(app::api::embed::embed_in),
        )
        .route("/actions/{slug}/badge.svg", get(app::api::embed::badge))
        .route(
            "/portraits/{file}",
            get(app::api::portraits::on_server::serve),
        )
}

/// Our Atom and JSON feeds: the site's, each person's, each municipality's.
fn feed_routes() -> Router<AppState> {
    use app::feeds::outgoing as feeds_out;
    Router::new()
        .route("/feed.atom", get(feeds_out::site_atom))
        .route("/feed.json", get(feeds_out::site_json))
        .route("/persons/{slug}/{file}", get(feeds_out::person_feed))
        .route(
            "/municipalities/{slug}/{file}",
            get(feeds_out::municipality_feed),
        )
        .route("/{lang}/feed.atom", get(feeds_out::site_atom_in))
        .route("/{lang}/feed.json", get(feeds_out::site_json_in))
        .route(
            "/{lang}/persons/{slug}/{file}",
            get(feeds_out::person_feed_in),
        )
        .route(
            "/{lang}/municipalities/{slug}/{file}",
            get(feeds_out::municipality_feed_in),
        )
}

fn router(state: AppState, sign_queue: SignQueue, search: SearchIndex, site_root: &str) -> Router {
    let routes = route_list();
    let hsts = state
        .secure_cookies
        .then(|| HeaderValue::from_static("max-age=31536000"));
    // Given to every page and server function: a fresh CSP nonce, the
    // signing queue and the search index (features' own moving parts,
    // outside `AppState`), and the public address pages name themselves by.
    let public_url = app::components::PublicUrl(state.public_url.clone());
    let options = state.leptos_options.clone();
    let search_for_pages = search.clone();
    let context = move || {
        leptos::nonce::provide_nonce();
        leptos::prelude::provide_context(sign_queue.clone());
        leptos::prelude::provide_context(search_for_pages.clone());
        leptos::prelude::provide_context(public_url.clone());
        leptos::prelude::provide_context(options.clone());
    };
    // The bundle's folder carries its version (`configuration::bundle_dir`):
    // what is found there never changes, and browsers keep it for a year.
    let pkg_dir = format!("/{}", state.leptos_options.site_pkg_dir);
    let immutable = pkg_dir != "/pkg";
    let pkg = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            move |response: &axum::response::Response<_>| {
                (immutable && response.status().is_success())
                    .then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
            },
        ))
        .service(
            ServeDir::new(format!("{site_root}/pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    Router::new()
        .route("/healthz", get(healthz))
        .merge(open_data_routes())
        .merge(feed_routes())
        .route(
            "/staff/actions/{slug}/signatures.csv",
            axum::routing::post(app::campaigns::actions::on_server::download_signatures),
        )
        .route(
            "/staff/portraits/{file}",
            get(app::cases::portraits::on_server::serve_to_staff),
        )
        .route(
            app::privacy::JSON_DOWNLOAD,
            get(app::privacy::on_server::download),
        )
        .route(
            app::records::timeline::ONE_CLICK_UNSUBSCRIBE,
            axum::routing::post(app::signing::unsubscribe::on_server::one_click),
        )
        .nest_service(&pkg_dir, pkg)
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard_requests,
        ))
        // Before compression: it reads the page as rendered.
        .layer(axum::middleware::from_fn(app::server::islands::mend_pages))
        // Keeps pages as the islands middleware left them, and compresses
        // each once itself (the compression layer passes its answers on).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            app::server::render_cache::serve_public,
        ))
        // What the render cache did not compress already: not small bodies
        // (a live count, a badge), whose compression costs more than it saves.
        .layer(CompressionLayer::new().compress_when(compress_when()))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        // Behind https, browsers are told to come back over https only.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &axum::response::Response| hsts.clone(),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            crate::serve::BODY_IDLE_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn(crate::serve::limit_body_size))
        .layer(axum::middleware::map_request(crate::serve::limit_body_time))
        .layer(axum::Extension(search))
        .with_state(state)
}

/// Which answers are compressed as they go out: the same as tower-http's
/// default, but only from `encoded::MIN_BYTES` on, as the render cache does.
fn compress_when() -> impl tower_http::compression::Predicate {
    use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
    let smallest = u16::try_from(app::server::encoded::MIN_BYTES).unwrap_or(u16::MAX);
    SizeAbove::new(smallest)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
}

/// "ok" while the database answers. A load balancer asks every second: the
/// answer comes within `HEALTH_CHECK_WAIT`, before the pool's own wait for
/// a connection runs out, so a checker never gives up first.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(HEALTH_CHECK_WAIT, state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok"),
        Ok(Err(error)) => {
            tracing::error!(%error, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => {
            tracing::error!("health check: database does not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

const HEALTH_CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
