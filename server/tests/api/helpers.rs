//! Spawns the real application on 127.0.0.1:0 with its own fresh database,
//! SQLite (a temporary file) or PostgreSQL (a new database on the local server).
use app::ssr::{db::Db, demo};
use secrecy::SecretString;
use server::{configuration::Settings, startup::Application};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the suite creates its databases on. `make test`
/// makes sure it runs; a missing server fails the PostgreSQL tests loudly.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub enum TestDb {
    Sqlite { dir: PathBuf },
    Postgres { name: String },
}

impl TestDb {
    pub async fn create(backend: Backend) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("lumieres-test-{id}"));
                std::fs::create_dir_all(&dir).unwrap();
                TestDb::Sqlite { dir }
            }
            Backend::Postgres => {
                let name = format!("lumieres_test_{id}");
                let admin = admin_pool().await;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin)
                    .await
                    .expect("create the test database");
                admin.close().await;
                TestDb::Postgres { name }
            }
        }
    }

    /// Where the app under test writes its mail.
    pub fn outbox_dir(&self) -> PathBuf {
        match self {
            TestDb::Sqlite { dir } => dir.join("outbox"),
            TestDb::Postgres { name } => std::env::temp_dir().join(format!("{name}-outbox")),
        }
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { dir } => format!("sqlite://{}", dir.join("lumieres.db").display()),
            TestDb::Postgres { name } => {
                let admin = postgres_admin_url();
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                format!("{base}/{name}")
            }
        }
    }

    pub async fn drop_database(self) {
        match self {
            TestDb::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres { name } => {
                let _ =
                    std::fs::remove_dir_all(std::env::temp_dir().join(format!("{name}-outbox")));
                let admin = admin_pool().await;
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&admin)
                .await;
                admin.close().await;
            }
        }
    }
}

async fn admin_pool() -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&postgres_admin_url())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {} is needed by this test: {e}",
                postgres_admin_url()
            )
        })
}

/// A migrated database with the demo data, without a web server.
pub struct TestStore {
    pub db: Db,
    test_db: TestDb,
}

impl TestStore {
    pub async fn empty(backend: Backend) -> Self {
        let test_db = TestDb::create(backend).await;
        let db = Db::connect(&test_db.url(), 5).await.expect("connect");
        db.migrate().await.expect("migrate");
        Self { db, test_db }
    }

    pub async fn with_demo(backend: Backend) -> Self {
        let store = Self::empty(backend).await;
        demo::load(&store.db, false).await.expect("load demo data");
        store
    }

    pub async fn teardown(self) {
        self.db.close().await;
        self.test_db.drop_database().await;
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: TestStore,
    server: tokio::task::JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let store = TestStore::with_demo(backend).await;
        let settings = Settings {
            database_url: SecretString::from(store.test_db.url()),
            database_max_connections: 5,
            site_addr: "127.0.0.1:0".parse().unwrap(),
            site_root: std::env::temp_dir()
                .join("lumieres-test-site")
                .display()
                .to_string(),
            outbox_dir: store.test_db.outbox_dir(),
        };
        let app = Application::with_database(&settings, store.db.clone())
            .await
            .expect("build the app");
        let address = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until_stopped(async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            address,
            client,
            store,
            server,
            stop: Some(stop),
        }
    }

    /// GETs a page as a browser with this Accept-Language would.
    pub async fn get(&self, path: &str) -> Page {
        self.get_with(path, &[("accept-language", "en-GB,en;q=0.9")])
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self
            .client
            .get(format!("{}{path}", self.address))
            .header("accept", "text/html");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        Page {
            status,
            headers,
            body,
        }
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.store.test_db.outbox_dir()
    }

    pub async fn teardown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.server.await;
        self.store.teardown().await;
    }
}

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }

    /// The trimmed text of every element matching `selector`, in document order.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = scraper::Selector::parse(selector).expect("selector");
        self.html()
            .select(&selector)
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    pub fn attr(&self, selector: &str, name: &str) -> Option<String> {
        let selector = scraper::Selector::parse(selector).expect("selector");
        self.html()
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr(name))
            .map(str::to_owned)
    }
}

/// Declares each test once and runs it on both backends:
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($(#[$meta:meta])* async fn $name:ident($arg:ident: &$ty:ty) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($arg: &$ty) $body

            #[tokio::test]
            async fn sqlite() {
                let subject = <$ty>::spawn_for_test($crate::helpers::Backend::Sqlite).await;
                run(&subject).await;
                subject.teardown().await;
            }

            #[tokio::test]
            async fn postgres() {
                let subject = <$ty>::spawn_for_test($crate::helpers::Backend::Postgres).await;
                run(&subject).await;
                subject.teardown().await;
            }
        }
    )*};
}

impl TestApp {
    pub async fn spawn_for_test(backend: Backend) -> Self {
        Self::spawn(backend).await
    }
}

impl TestStore {
    pub async fn spawn_for_test(backend: Backend) -> Self {
        Self::with_demo(backend).await
    }
}
