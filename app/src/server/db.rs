//! The database: SQLite by default, PostgreSQL to scale. One concrete type
//! (server functions cannot be generic), one SQL text for both where the
//! dialects agree; `on_pool!` compiles a query once per backend.
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Oldest PostgreSQL we test against and whose SQL we rely on (identity columns, SKIP LOCKED).
const MIN_POSTGRES_VERSION: i32 = 130000;

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's native pool. The body is
/// compiled twice, once per backend, so every query is type-checked for both.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite($pool) => $body,
            $crate::server::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Claims due work for a worker: `$select` is an `UPDATE … WHERE id IN
/// (SELECT id … LIMIT …` that leases the rows it picks, `$rest` closes it
/// (`) RETURNING …`). On PostgreSQL the inner SELECT takes `FOR UPDATE SKIP
/// LOCKED`, so that instances claiming at once each get different rows; on
/// SQLite, with one writer at a time, the UPDATE … RETURNING is the claim by
/// itself. The outbox and the feed sync claim their work through this.
#[macro_export]
macro_rules! claim {
    ($db:expr, $select:literal, $rest:literal, |$query:ident| $bind:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite(pool) => {
                let $query = sqlx::query_as(concat!($select, $rest));
                $bind.fetch_all(pool).await
            }
            $crate::server::db::Db::Postgres(pool) => {
                let $query = sqlx::query_as(concat!($select, " FOR UPDATE SKIP LOCKED", $rest));
                $bind.fetch_all(pool).await
            }
        }
    };
}

/// Implements a trait of writes for a connection of either backend, from one
/// body: inside, `&mut *self` is the connection. Writes that must join the
/// caller's transaction (the audit entry, a mail, a status event) are written
/// this way, once.
#[macro_export]
macro_rules! impl_for_connections {
    (impl $trait:ident { $($item:tt)* }) => {
        impl $trait for sqlx::SqliteConnection { $($item)* }
        impl $trait for sqlx::PgConnection { $($item)* }
    };
}

/// A partial date read back from its three columns; a bad row is a decoding error.
pub fn stored_date(
    year: i32,
    month: Option<i32>,
    day: Option<i32>,
) -> Result<crate::domain::PartialDate, sqlx::Error> {
    let small = |v: Option<i32>| v.map(|v| u8::try_from(v).unwrap_or(0));
    crate::domain::PartialDate::from_parts(year, small(month), small(day))
        .map_err(|e| decode(format!("stored date {year}-{month:?}-{day:?}: {e}")))
}

/// A date that may be missing (all three columns NULL), read back as [`stored_date`].
pub fn stored_optional_date(
    year: Option<i32>,
    month: Option<i32>,
    day: Option<i32>,
) -> Result<Option<crate::domain::PartialDate>, sqlx::Error> {
    year.map(|year| stored_date(year, month, day)).transpose()
}

/// A slug read back from the database; a bad one is a decoding error.
pub fn stored_slug(s: &str) -> Result<crate::domain::Slug, sqlx::Error> {
    crate::domain::Slug::parse(s).map_err(|e| decode(format!("stored slug {s:?}: {e}")))
}

/// A status read back from the database; a bad one is a decoding error.
pub fn stored_status(s: Option<&str>) -> Result<Option<crate::domain::Status>, sqlx::Error> {
    s.map(|s| crate::domain::Status::parse(s).map_err(|e| decode(e.to_string())))
        .transpose()
}

/// A stored value that does not parse: the database holds what we never write.
pub fn decode(message: impl Into<String>) -> sqlx::Error {
    sqlx::Error::Decode(message.into().into())
}

/// Write transactions. On SQLite they take the write lock at BEGIN
/// (IMMEDIATE): a deferred transaction that reads first and writes later fails
/// at once with "database is locked" when another writer got in between,
/// whatever the busy timeout. PostgreSQL needs nothing special.
pub trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>,
    > + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>,
    > + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>,
    > + Send {
        self.begin()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite: or postgres:// (got {scheme:?})")]
    UnsupportedUrl { scheme: String },
    #[error("cannot open the database at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("PostgreSQL {found} is too old; Lumières needs 13 or newer")]
    PostgresTooOld { found: String },
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Query(#[from] sqlx::Error),
}

impl DbError {
    /// PostgreSQL could not be reached but may be soon: a refused or cut
    /// connection, a timeout, the server starting up or shutting down (a
    /// wrong host or port looks the same, and is waited for too). A wrong
    /// password or database name will not mend by waiting, nor will a
    /// SQLite file that cannot be opened.
    pub fn may_pass(&self) -> bool {
        let source = match self {
            DbError::Connect { url, source } if url.starts_with("postgres") => source,
            DbError::Query(source) => source,
            _ => return false,
        };
        unreachable(source)
    }
}

/// What went wrong in the database: logged with its cause, internal to the
/// caller; "unavailable" when the database cannot be reached at all.
impl From<sqlx::Error> for crate::error::AppError {
    fn from(error: sqlx::Error) -> Self {
        if unreachable(&error) {
            tracing::warn!(%error, "the database cannot be reached");
            return crate::error::AppError::Unavailable;
        }
        crate::error::internal(error)
    }
}

/// The database cannot be reached, for now: a refused or cut connection, no
/// connection free or made in time (not a closed pool: that is this
/// process stopping, or a part of it gone), PostgreSQL starting up or shutting down
/// (class 57P: 01 admin shutdown, 02 crash shutdown, 03 cannot connect now)
/// or a connection exception (class 08). Not a fault of the query.
pub fn unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl Db {
    /// Opens the database named by `url`, creating a SQLite file (and its folder) if needed.
    /// `url` is shown in errors with any password removed.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        let shown = redact_url(url);
        let connect_err = |source| DbError::Connect {
            url: shown.clone(),
            source,
        };
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(connect_err)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: an acknowledged write survives a power cut, not only a crash.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            if let Some(dir) = options.get_filename().parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| connect_err(sqlx::Error::Io(e)))?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(connect_err)?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(connect_err)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(connect_err)?;
            let version: i32 =
                sqlx::query_scalar("SELECT current_setting('server_version_num')::int")
                    .fetch_one(&pool)
                    .await?;
            if version < MIN_POSTGRES_VERSION {
                return Err(DbError::PostgresTooOld {
                    found: version.to_string(),
                });
            }
            Ok(Db::Postgres(pool))
        } else {
            let scheme = url.split(':').next().unwrap_or_default().to_owned();
            Err(DbError::UnsupportedUrl { scheme })
        }
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Answers when the database does: the health check.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| ()))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}

/// The URL with its password replaced, safe for logs and error messages:
/// in the user part (`user:***@`) and in the query (`password=***`).
pub fn redact_url(url: &str) -> String {
    let url = redact_user_password(url);
    match url.split_once('?') {
        Some((base, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{base}?{}", query.join("&"))
        }
        None => url,
    }
}

fn redact_user_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    // Only the authority holds user:password; an `@` further on is not one.
    let rest = &url[scheme_end + 3..];
    let authority_end = rest
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + 3 + i);
    match (Some(scheme_end), url[..authority_end].rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact_url("postgres://lumieres:s3cret@db.example:5432/lumieres"),
            "postgres://lumieres:***@db.example:5432/lumieres"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(
            redact_url("sqlite://data/lumieres.db"),
            "sqlite://data/lumieres.db"
        );
        assert_eq!(
            redact_url("postgres://db.example/lumieres?user=l&password=s3cret&sslmode=require"),
            "postgres://db.example/lumieres?user=l&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://l:a@b@db.example/x?PASSWORD=c"),
            "postgres://l:***@db.example/x?PASSWORD=***"
        );
    }
}
