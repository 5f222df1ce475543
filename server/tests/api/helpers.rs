//! Spawns the real application on 127.0.0.1:0 with its own fresh database,
//! SQLite (a temporary file) or PostgreSQL (a new database on the local server).
use app::backoffice::accounts::{create_user, NewUser};
use app::domain::{Email, PersonName, Role, Slug};
use app::server::db::Db;
use secrecy::SecretString;
use server::demo;
use server::{configuration::Settings, startup::Application};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// The data key of every test database and app (one per process, as in
/// a server): a fixed one, so that a test may open what it sealed.
pub fn test_data_key() -> app::server::data_key::DataKey {
    app::server::data_key::DataKey::from_bytes(*TESTS_KEY)
}

/// The data key the tests seal with, also given to the binary they run on
/// the same databases.
pub const TESTS_KEY: &[u8; 32] = b"the tests' data key, 32 bytes.!!";

/// The key the tests' key replaced: every test process opens what it
/// sealed, as an instance does while a new key is rolled out (`at_rest`).
pub const PREVIOUS_TESTS_KEY: &[u8; 32] = b"the key the tests' key replaced!";

pub fn previous_test_data_key() -> app::server::data_key::DataKey {
    app::server::data_key::DataKey::from_bytes(*PREVIOUS_TESTS_KEY)
}

/// The ring of every test process: the tests' key, and the previous one.
pub fn test_key_ring() -> app::server::data_key::KeyRing {
    app::server::data_key::KeyRing::new(test_data_key(), Some(previous_test_data_key()))
}

/// The hash an address is stored by (`signing::at_rest`), for tests that
/// look a signer up in the database.
pub fn email_hash(address: &str) -> String {
    app::signing::at_rest::email_hash(address)
}

/// A signature request for the demo's open action, from `email`.
pub fn signature_request(email: &str) -> app::signing::SignatureRequest {
    use app::domain::{CountryCode, Email, Line, PersonName, Slug};
    app::signing::SignatureRequest {
        action: Slug::parse("solidarity-with-vahid-afkari").unwrap(),
        name: PersonName::parse("Amélie Dupont").unwrap(),
        email: Email::parse(email).unwrap(),
        place: Some(Line::parse("1000").unwrap()),
        country: Some(CountryCode::parse("BE").unwrap()),
        show_name: true,
        keep_informed: false,
        locale: app::i18n::Locale::Fr,
        client_ip: Some("192.0.2.1".parse().unwrap()),
    }
}

/// A signature's details as the signer gave them, opened with the tests'
/// key (the database holds them sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSigner {
    pub email: Option<String>,
    pub name: String,
    pub place: Option<String>,
    pub client_ip: Option<String>,
    pub state: String,
}

/// Every signature not anonymised, oldest first.
pub async fn stored_signers(db: &Db) -> Vec<StoredSigner> {
    type Row = (
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = app::on_pool!(db, |pool| sqlx::query_as(
        "SELECT email_sealed, name, place, client_ip, state FROM signatures WHERE NOT anonymised ORDER BY id"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    let key = test_data_key();
    let open = |purpose: &str, value: String| {
        key.open(purpose, &value)
            .unwrap_or_else(|e| panic!("{purpose} sealed with the tests' key: {e}"))
    };
    rows.into_iter()
        .map(|(email, name, place, client_ip, state)| StoredSigner {
            email: email.map(|e| open("signatures.email", e)),
            name: open("signatures.name", name),
            place: place.map(|p| open("signatures.place", p)),
            client_ip: client_ip.map(|ip| open("signatures.client_ip", ip)),
            state,
        })
        .collect()
}

/// `TESTS_KEY` as `DATA_KEY` writes it.
pub fn tests_key_base64() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(TESTS_KEY)
}

/// A migrated database with the demo data, without a web server.
pub struct TestStore {
    pub db: Db,
    test_db: TestDb,
}

impl TestStore {
    pub async fn empty(backend: Backend) -> Self {
        app::server::data_key::install(test_key_ring()).expect("one data key for every test");
        let test_db = TestDb::create(backend).await;
        let db = Db::connect(&test_db.url(), 5).await.expect("connect");
        db.migrate().await.expect("migrate");
        app::server::data_key::install_email_index(&db)
            .await
            .expect("the email index of the tests' key");
        Self { db, test_db }
    }

    pub async fn with_demo(backend: Backend) -> Self {
        let store = Self::empty(backend).await;
        demo::load(&store.db, false).await.expect("load demo data");
        store
    }

    /// Its database's address.
    pub fn url(&self) -> String {
        self.test_db.url()
    }

    /// A new, empty database of the same backend, into which `restore`
    /// puts what it restores; then migrated and connected.
    pub async fn restored<F, Fut>(&self, restore: F) -> Self
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let backend = match self.test_db {
            TestDb::Sqlite { .. } => Backend::Sqlite,
            TestDb::Postgres { .. } => Backend::Postgres,
        };
        let test_db = TestDb::create(backend).await;
        restore(test_db.url()).await;
        let db = Db::connect(&test_db.url(), 5).await.expect("connect");
        db.migrate().await.expect("migrate");
        app::server::data_key::install_email_index(&db)
            .await
            .expect("the restored copy's email index is the tests'");
        Self { db, test_db }
    }

    pub async fn teardown(self) {
        self.db.close().await;
        self.test_db.drop_database().await;
    }
}

/// The settings of an app under test on `store`'s database. Signing is not
/// rate-limited unless a test sets a limit: many tests sign from 127.0.0.1.
pub fn test_settings(store: &TestStore) -> Settings {
    Settings {
        database_url: SecretString::from(store.test_db.url()),
        database_max_connections: 5,
        database_wait: Some(std::time::Duration::ZERO),
        site_addr: "127.0.0.1:0".parse().unwrap(),
        site_root: std::env::temp_dir()
            .join("lumieres-test-site")
            .display()
            .to_string(),
        outbox_dir: store.test_db.outbox_dir(),
        public_url: None,
        signing_rate_per_minute: 0,
        data_key: Some(test_data_key()),
        data_key_previous: Some(previous_test_data_key()),
        login_rate_per_minute: 0,
        accessibility_reports_per_hour: 0,
        // Partner servers in tests listen on loopback.
        feeds_allow_private: true,
        // Tests fetch feeds when they choose (`run_pass`), never a worker
        // in the background between two of their steps.
        feed_worker: false,
        client_address: app::server::guard::ClientAddress::peer(),
        smtp_url: None,
        mail_from: server::configuration::DEFAULT_MAIL_FROM.to_owned(),
        retention_days: 180,
        open_data_licence: app::server::Licence::default(),
        // On, as in production: every test of a public page reads
        // through the cache.
        render_cache_bytes: 16 << 20,
        accessibility_contact: None,
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: TestStore,
    settings: Settings,
    server: tokio::task::JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Starts the app on `db` on a port of its own: its address, its task and
/// what stops it.
async fn serve(
    settings: &Settings,
    db: Db,
) -> (
    String,
    tokio::task::JoinHandle<()>,
    tokio::sync::oneshot::Sender<()>,
) {
    // reqwest is built with `rustls-no-provider` (the feed reader's choice);
    // making the feed client once installs the ring provider for the
    // tests' clients too.
    let _ = app::feeds::sync::client(app::feeds::sync::Reach::PrivateToo);
    let app = Application::with_database(settings, db)
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
    (address, server, stop)
}

/// Another instance of the app under test (see `TestApp::another_instance`).
pub struct Instance {
    pub address: String,
    db: Db,
    server: tokio::task::JoinHandle<()>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Instance {
    /// An app serving `db` with `settings` (whose database address is not read).
    pub async fn start(settings: &Settings, db: Db) -> Self {
        let (address, server, stop) = serve(settings, db.clone()).await;
        Self {
            address,
            db,
            server,
            stop,
        }
    }

    /// Stops it (before the test's app, which drops the database).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
        self.db.close().await;
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with the settings of `test_settings` changed by `configure`.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Self {
        let store = TestStore::with_demo(backend).await;
        let mut settings = test_settings(&store);
        configure(&mut settings);
        Self::with_store(store, settings).await
    }

    /// Starts the app on a store the test prepared, with these settings.
    pub async fn with_store(store: TestStore, settings: Settings) -> Self {
        let (address, server, stop) = serve(&settings, store.db.clone()).await;
        // A response that never ends fails its test within a minute instead
        // of holding the whole run.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            // Idle connections are given up before the server closes them
            // (`serve::IDLE_LIMIT`), as a browser's would be: a request sent
            // on one the server is closing that very moment is reset. A test
            // that blocks its runtime (Python making a photo on a slow
            // machine) reached exactly that moment.
            .pool_idle_timeout(server::serve::IDLE_LIMIT / 2)
            .build()
            .unwrap();
        Self {
            address,
            client,
            store,
            settings,
            server,
            stop: Some(stop),
        }
    }

    /// A second instance on this one's database, as behind a load balancer:
    /// its own pool, caches and signing queue; the same data.
    pub async fn another_instance(&self) -> Instance {
        let db = Db::connect(&self.store.test_db.url(), 5)
            .await
            .expect("connect");
        Instance::start(&self.settings, db).await
    }

    /// GETs a page as a browser with this Accept-Language would.
    pub async fn get(&self, path: &str) -> Page {
        self.get_with(path, &[("accept-language", "en-GB,en;q=0.9")])
            .await
    }

    /// The response as it came, body unread and undecoded.
    pub async fn raw_get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let client = reqwest::Client::builder()
            .no_gzip()
            .no_brotli()
            .no_deflate()
            .build()
            .expect("a client");
        let mut request = client
            .get(format!("{}{path}", self.address))
            .header("accept", "text/html");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request")
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

    /// POSTs a form as a browser with JavaScript off does: it asks for HTML,
    /// and says which page and site the form was on.
    pub async fn post_form(&self, path: &str, from_page: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(
            path,
            fields,
            &[
                ("accept", "text/html,application/xhtml+xml"),
                ("referer", &format!("{}{from_page}", self.address)),
                ("origin", &self.address),
            ],
        )
        .await
    }

    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self
            .client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(fields));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
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
    /// The `'sha256-…'` source of each inline script of the page (those
    /// without `src`), as a Content-Security-Policy names it.
    pub fn inline_script_hashes(&self) -> Vec<String> {
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let mut hashes = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(at) = rest.find("<script") {
            let end = at + rest[at..].find('>').expect("a script tag ends");
            let close = end + rest[end..].find("</script>").expect("a script ends");
            let tag = &rest[at..end];
            if !tag.contains(" src=") && !tag.contains("application/ld+json") {
                let digest = Sha256::digest(&rest.as_bytes()[end + 1..close]);
                let hash = base64::engine::general_purpose::STANDARD.encode(digest);
                hashes.push(format!("'sha256-{hash}'"));
            }
            rest = &rest[close..];
        }
        hashes
    }

    pub fn policy(&self) -> String {
        self.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned()
    }
}

/// Percent-encodes a form value (application/x-www-form-urlencoded).
/// Fields as a browser posts a form (`application/x-www-form-urlencoded`).
pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Page {
    /// The `name=value` of a cookie this response sets, if it sets it.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|pair| pair.split_once('=').is_some_and(|(n, _)| n == name))
            .map(str::to_owned)
    }

    pub fn location(&self) -> Option<String> {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
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

/// A real SMTP server on loopback: aiosmtpd from PyPI (`make test` installs
/// it), storing what it receives in a maildir. Stopped when dropped.
pub struct SmtpSink {
    pub port: u16,
    maildir: tempfile_dir::Dir,
    _child: tokio::process::Child,
}

/// A directory removed on drop, without another dependency.
mod tempfile_dir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ReceivedMail {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub body: String,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let maildir =
            std::env::temp_dir().join(format!("lumieres-maildir-{}", uuid::Uuid::new_v4()));
        let child = tokio::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs (make test installs aiosmtpd from PyPI)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    port,
                    maildir: tempfile_dir::Dir(maildir),
                    _child: child,
                };
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the SMTP sink did not start: is aiosmtpd installed? (pip install aiosmtpd; make test does)");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every mail received so far, decoded by Python's MIME parser.
    pub fn received(&self) -> Vec<ReceivedMail> {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../end2end/mail/read_maildir.py"
        );
        let out = std::process::Command::new("python3")
            .arg(script)
            .arg(&self.maildir.0)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON from read_maildir.py")
    }

    /// Waits (up to ten seconds) for a mail to `recipient`.
    pub async fn mail_to(&self, recipient: &str) -> ReceivedMail {
        for _ in 0..100 {
            if let Some(mail) = self.received().into_iter().find(|m| m.to == recipient) {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no mail to {recipient} arrived at the SMTP sink");
    }
}

/// The password of every staff account the tests make.
pub const PASSWORD: &str = "a long enough passphrase";

/// Creates a staff account (as the command line does) with the tests' password.
pub async fn staff_account(
    app: &TestApp,
    email: &str,
    name: &str,
    role: Role,
    municipality: Option<&str>,
) {
    let user = NewUser {
        email: Email::parse(email).unwrap(),
        name: PersonName::parse(name).unwrap(),
        role,
        municipality: municipality.map(|m| Slug::parse(m).unwrap()),
    };
    let id = create_user(
        &app.store.db,
        app::server::audit::Actor::Cli,
        &user,
        PASSWORD,
        1,
    )
    .await
    .unwrap();
    if app::backoffice::SecondFactor::required(role, false) {
        set_up_second_factor(app, id, email).await;
    }
}

/// An authenticator app of staff member `id`, set up as its owner does on
/// their account page (the secret read, a code it shows confirmed); the
/// recovery codes kept for `staff_member`'s logins. Returns the secret.
pub async fn set_up_second_factor(app: &TestApp, id: i64, email: &str) -> Vec<u8> {
    use app::backoffice::two_factor::on_server::{code_at, confirm, start};
    use base64::Engine;
    let db = &app.store.db;
    let now = app::server::clock::now();
    assert!(start(db, id, now).await.unwrap());
    let sealed: String = app::on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT secret_sealed FROM staff_totp WHERE user_id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)
    .unwrap();
    let secret = test_data_key().open("staff_totp.secret", &sealed).unwrap();
    let secret = base64::engine::general_purpose::STANDARD
        .decode(secret)
        .unwrap();
    let codes = confirm(db, id, &code_at(&secret, now), now)
        .await
        .unwrap()
        .expect("the app's code confirms it");
    recovery_codes()
        .lock()
        .unwrap()
        .insert(codes_key(app, email), codes);
    secret
}

/// Whose recovery codes: tests on both backends make the same accounts at once.
fn codes_key(app: &TestApp, email: &str) -> String {
    format!("{} {}", app.store.url(), email.to_lowercase())
}

/// The recovery codes of the accounts the tests set up, by email: each
/// login through `staff_member` spends one, as an owner without their phone
/// would (a code from the app works once per 30 seconds, too few for tests).
fn recovery_codes() -> &'static std::sync::Mutex<std::collections::HashMap<String, Vec<String>>> {
    static CODES: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>,
    > = std::sync::OnceLock::new();
    CODES.get_or_init(Default::default)
}

/// The second step of a login whose session (`cookie`) waits for a code;
/// returns the full session's cookie.
pub async fn second_step(app: &TestApp, cookie: &str, email: &str) -> String {
    let code = recovery_codes()
        .lock()
        .unwrap()
        .get_mut(&codes_key(app, email))
        .and_then(Vec::pop)
        .expect("a recovery code left for this account");
    let answer = app
        .post_with(
            "/api/login/code",
            &[("code", code.as_str()), ("next", "/staff"), ("lang", "en")],
            &[
                ("accept", "text/html"),
                ("referer", &format!("{}/staff/login/code", app.address)),
                ("origin", &app.address),
                ("cookie", cookie),
            ],
        )
        .await;
    assert_eq!(
        answer.location().as_deref(),
        Some("/staff"),
        "{email} gives the code"
    );
    answer.cookie("lumieres_session").expect("a full session")
}

/// Creates a staff account and logs it in; returns its session cookie.
pub async fn staff_member(
    app: &TestApp,
    email: &str,
    role: Role,
    municipality: Option<&str>,
) -> String {
    let name = email.split('@').next().unwrap();
    staff_account(app, email, name, role, municipality).await;
    log_in(app, email).await
}

/// Logs an account in with the tests' password, and its second factor if
/// it has one; returns the session cookie.
pub async fn log_in(app: &TestApp, email: &str) -> String {
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
    let cookie = answer.cookie("lumieres_session").expect("a session");
    match answer.location().as_deref() {
        Some("/staff") => cookie,
        Some("/staff/login/code?next=%2Fstaff") => second_step(app, &cookie, email).await,
        other => panic!("{email} logs in: {other:?}"),
    }
}

/// A staff form posted as a browser does, logged in with `cookie`.
pub async fn post_as(
    app: &TestApp,
    cookie: &str,
    path: &str,
    from_page: &str,
    fields: &[(&str, &str)],
) -> Page {
    app.post_with(
        path,
        fields,
        &[
            ("accept", "text/html,application/xhtml+xml"),
            ("referer", &format!("{}{from_page}", app.address)),
            ("origin", &app.address),
            ("cookie", cookie),
        ],
    )
    .await
}

/// A staff form with a file, as a browser posts it (`multipart/form-data`):
/// `fields`, then the file as `file_field`.
pub async fn post_file_as(
    app: &TestApp,
    cookie: &str,
    path: &str,
    from_page: &str,
    fields: &[(&str, &str)],
    file_field: &str,
    file: Vec<u8>,
) -> Page {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    let part = reqwest::multipart::Part::bytes(file).file_name("photo.jpg");
    form = form.part(file_field.to_owned(), part);
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .multipart(form)
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", format!("{}{from_page}", app.address))
        .header("origin", &app.address)
        .header("cookie", cookie)
        .send()
        .await
        .expect("request");
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}

/// A status update on `person`'s timeline, in English only, written and
/// published as communications staff do (the first publication mails those
/// who asked for news).
pub async fn publish_update(app: &TestApp, comms: &str, person: &str, title: &str) {
    let saved = post_as(
        app,
        comms,
        "/api/staff/save-status-update",
        &format!("/staff/persons/{person}/updates/new"),
        &[
            ("lang", "en"),
            ("update", ""),
            ("person", person),
            ("occurred_on", "2026-11-20"),
            ("status", ""),
            ("original_language", "en"),
            ("title_en", title),
            ("source_url", ""),
        ],
    )
    .await;
    let location = saved.location().expect("the update saved");
    let id = location.rsplit('/').next().unwrap().to_owned();
    let published = post_as(
        app,
        comms,
        "/api/staff/publish-status-update",
        &location,
        &[
            ("lang", "en"),
            ("update", &id),
            ("translations_to_follow", "1"),
        ],
    )
    .await;
    assert_eq!(published.location().as_deref(), Some(location.as_str()));
}

/// Consent for `person` recorded by their council (`cookie`), as its form
/// does: given by the family, the review a year ahead, covering `covers`.
pub async fn record_consent(app: &TestApp, cookie: &str, person: &str, covers: &[&str]) -> Page {
    let page = format!("/staff/persons/{person}");
    let review_on = next_year();
    let mut fields = vec![
        ("lang", "en"),
        ("person", person),
        ("given_by", "family"),
        ("given_on", "2026-11-01"),
        ("risk", "high"),
        ("review_on", &review_on),
    ];
    fields.extend(covers.iter().map(|fact| ("covers[]", *fact)));
    post_as(app, cookie, "/api/staff/save-consent", &page, &fields).await
}

/// A day a year from now, as a form writes it: a review date to come.
pub fn next_year() -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(365)).to_string()
}

/// One feed sync pass now, every followed feed due, as the worker runs it.
pub async fn sync_now(app: &TestApp) -> app::feeds::sync::PassReport {
    app::on_pool!(&app.store.db, |pool| sqlx::query(
        "UPDATE feeds SET next_fetch_at = 0 WHERE enabled"
    )
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
    app::feeds::sync::run_pass(
        &app.store.db,
        &app::feeds::sync::client(app::feeds::sync::Reach::PrivateToo),
        app::server::clock::now(),
    )
    .await
    .unwrap()
}

/// Runs a statement a test needs as setup, on either backend.
pub async fn sql(app: &TestApp, statement: &'static str) {
    app::on_pool!(&app.store.db, |pool| sqlx::query(statement)
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
}

/// A number the database answers, for checking what a request changed.
pub async fn count(app: &TestApp, sql: &'static str) -> i64 {
    app::on_pool!(&app.store.db, |pool| sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await)
    .unwrap()
}

/// For tests that set up their own instances (two sites, a mail server): the
/// backend alone, so that `on_both_backends!` runs them too.
impl Backend {
    pub async fn spawn_for_test(backend: Backend) -> Self {
        backend
    }

    pub async fn teardown(self) {}
}

/// A door between an app and the PostgreSQL server, opened and shut by the
/// test: shut, connections are refused and those open are cut, as when
/// PostgreSQL is down or restarting; open, they reach the real server.
pub struct PgDoor {
    pub port: u16,
    /// Shut: the port bound but not listening (connections are refused),
    /// so that no other test takes it meanwhile.
    reserved: Option<tokio::net::TcpSocket>,
    open: Option<tokio::task::JoinHandle<()>>,
}

impl PgDoor {
    /// A shut door on a port of its own.
    pub async fn shut() -> Self {
        let socket = Self::bound(0);
        let port = socket.local_addr().unwrap().port();
        Self {
            port,
            reserved: Some(socket),
            open: None,
        }
    }

    fn bound(port: u16) -> tokio::net::TcpSocket {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket
            .bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
            .unwrap();
        socket
    }

    /// `url` (a database on the test server) reached through this door.
    pub fn url(&self, url: &str) -> String {
        let mut url = reqwest::Url::parse(url).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(self.port)).unwrap();
        url.to_string()
    }

    pub async fn open(&mut self) {
        let server = reqwest::Url::parse(&postgres_admin_url()).unwrap();
        let server = format!(
            "{}:{}",
            server.host_str().unwrap(),
            server.port().unwrap_or(5432)
        );
        let socket = self
            .reserved
            .take()
            .unwrap_or_else(|| Self::bound(self.port));
        let listener = socket.listen(128).unwrap();
        self.open = Some(tokio::spawn(async move {
            let mut passing = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let server = server.clone();
                passing.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(server).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        }));
    }

    /// Refuses new connections and cuts those open (dropping the accepting
    /// task drops the connections' tasks with it).
    pub async fn close(&mut self) {
        if let Some(open) = self.open.take() {
            open.abort();
            let _ = open.await;
            self.reserved = Some(Self::bound(self.port));
        }
    }
}

/// HAProxy (Debian's, `make test` installs it) in front of instances of the
/// app, configured as `end2end/cluster/cluster.sh` configures it for a
/// deployment. Stopped when dropped.
pub struct Haproxy {
    pub address: String,
    _config: tempfile_dir::Dir,
    _child: tokio::process::Child,
}

impl Haproxy {
    /// In front of the instances at these addresses (`http://127.0.0.1:port`).
    pub async fn start(instances: &[&str]) -> Self {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/cluster/cluster.sh");
        let config = std::process::Command::new(script)
            .arg("config")
            .arg(port.to_string())
            .args(instances.iter().map(|a| a.rsplit(':').next().unwrap()))
            .output()
            .expect("cluster.sh runs");
        assert!(config.status.success(), "{config:?}");
        let dir = std::env::temp_dir().join(format!("lumieres-haproxy-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("haproxy.cfg");
        std::fs::write(&file, config.stdout).unwrap();
        let child = tokio::process::Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .kill_on_drop(true)
            .spawn()
            .expect("haproxy runs (make test installs Debian's package)");
        let address = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client
                .get(format!("{address}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Self {
                    address,
                    _config: tempfile_dir::Dir(dir),
                    _child: child,
                };
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("HAProxy did not start in front of {instances:?}");
    }
}

/// A mail as its recipient reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub list_unsubscribe: Option<String>,
}

/// Every mail queued on `db`, oldest first, as its recipient reads it:
/// while it waits, opened with the tests' data key (the outbox keeps it
/// sealed); once sent, from the file the file mailer wrote in `outbox_dir`
/// (the outbox then keeps neither text nor address). One read of the
/// table: a mail the worker sends meanwhile is read in one state or the other.
pub async fn mails_in(db: &Db, outbox_dir: &std::path::Path) -> Vec<Mail> {
    type Row = (i64, String, String, String, Option<String>, Option<i64>);
    let rows: Vec<Row> = app::on_pool!(db, |pool| sqlx::query_as(
        "SELECT id, recipient, subject, body_text, list_unsubscribe, sent_at FROM outbox ORDER BY id"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    let key = test_data_key();
    // A test may queue a mail in clear, as before sealing began.
    let open = |purpose: &str, value: String| {
        if app::server::data_key::DataKey::is_sealed(&value) {
            key.open(purpose, &value)
                .expect("sealed with the tests' key")
        } else {
            value
        }
    };
    rows.into_iter()
        .map(
            |(id, recipient, subject, body_text, list_unsubscribe, sent_at)| {
                if sent_at.is_none() {
                    return Mail {
                        recipient: open("outbox.recipient", recipient),
                        subject,
                        body_text: open("outbox.body_text", body_text),
                        list_unsubscribe: list_unsubscribe
                            .map(|url| open("outbox.list_unsubscribe", url)),
                    };
                }
                let path = outbox_dir.join(format!("{id:08}.eml"));
                let file = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                    panic!("mail {id} was sent, so {} exists: {e}", path.display())
                });
                let (head, body) = file.split_once("\r\n\r\n").expect("a head and a body");
                let header = |name: &str| {
                    head.split("\r\n")
                        .find_map(|line| line.strip_prefix(&format!("{name}: ")).map(str::to_owned))
                };
                Mail {
                    recipient: header("To").expect("To"),
                    subject: header("Subject").expect("Subject"),
                    body_text: body.strip_suffix("\r\n").unwrap_or(body).to_owned(),
                    list_unsubscribe: header("List-Unsubscribe")
                        .map(|url| url.trim_start_matches('<').trim_end_matches('>').to_owned()),
                }
            },
        )
        .collect()
}

impl TestApp {
    /// Every mail this app queued, as its recipients read them.
    pub async fn mails(&self) -> Vec<Mail> {
        mails_in(&self.store.db, &self.outbox_dir()).await
    }

    /// The mails to `recipient`, oldest first.
    pub async fn mails_to(&self, recipient: &str) -> Vec<Mail> {
        let mut mails = self.mails().await;
        mails.retain(|mail| mail.recipient == recipient);
        mails
    }
}

impl TestStore {
    /// Every mail queued on this database, as its recipients read them.
    pub async fn mails(&self) -> Vec<Mail> {
        mails_in(&self.db, &self.test_db.outbox_dir()).await
    }
}
