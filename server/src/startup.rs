//! Builds the application: database, router, listener. Tests build it on
//! port 0 with a fresh database and drive it over real HTTP.
use crate::configuration::Settings;
use app::ssr::{db::Db, outbox, AppState};
use app::{shell, App};
use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Router};
use http::{header, HeaderValue};
use leptos_axum::{generate_route_list, LeptosRoutes};
use secrecy::ExposeSecret;
use std::future::Future;
use tokio::net::TcpListener;
use tower_http::{
    compression::CompressionLayer, services::ServeDir, set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] app::ssr::db::DbError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    db: Db,
    mailer: outbox::Mailer,
}

/// Opens and migrates the database named in the settings.
pub async fn open_database(settings: &Settings) -> Result<Db, StartupError> {
    let db = Db::connect(
        settings.database_url.expose_secret(),
        settings.database_max_connections,
    )
    .await?;
    db.migrate().await?;
    Ok(db)
}

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let db = open_database(settings).await?;
        Self::with_database(settings, db).await
    }

    pub async fn with_database(settings: &Settings, db: Db) -> Result<Self, StartupError> {
        let leptos_options = settings.leptos_options();
        let state = AppState {
            leptos_options: leptos_options.clone(),
            db: db.clone(),
        };
        let router = router(state, &settings.site_root);
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .map_err(|source| StartupError::Bind {
                addr: settings.site_addr,
                source,
            })?;
        let mailer = outbox::Mailer::Files {
            dir: settings.outbox_dir.clone(),
        };
        Ok(Self {
            listener,
            router,
            db,
            mailer,
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
        // Without TCP_NODELAY small responses wait for delayed ACKs (~40 ms each).
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(outbox::run_worker_until_stopped(
            self.db.clone(),
            self.mailer,
            worker_stopped,
        ));
        let served = axum::serve(listener, self.router.into_make_service())
            .with_graceful_shutdown(shutdown)
            .await;
        let _ = stop_worker.send(true);
        let _ = worker.await;
        self.db.close().await;
        served?;
        Ok(())
    }
}

fn router(state: AppState, site_root: &str) -> Router {
    let routes = generate_route_list(App);
    let pkg = ServeDir::new(format!("{site_root}/pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .route("/healthz", get(healthz))
        .nest_service("/pkg", pkg)
        .leptos_routes_with_context(&state, routes, provide_request_context, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide_request_context, shell))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Context for every rendered page and server function: a fresh CSP nonce.
fn provide_request_context() {
    leptos::nonce::provide_nonce();
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::error!(%error, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
