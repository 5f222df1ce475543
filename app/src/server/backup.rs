//! Backups and restores (issue 30): `server backup --output FILE` takes a
//! consistent copy of the whole database while the site serves, and
//! `server restore FILE` puts one into an empty database.
//!
//! SQLite: `VACUUM INTO`, which copies one read transaction's view of the
//! database into a new file, whatever is written meanwhile; the backup is
//! itself a SQLite database. PostgreSQL: `pg_dump --format=custom`, which
//! reads from one snapshot; restored by `pg_restore` in one transaction.
//! Either way the file is written beside its name and renamed when whole,
//! readable by its owner only: it holds everything, signers' names and
//! addresses included. What the data key seals (mail waiting to be sent,
//! second-factor secrets) stays sealed in it: the key is kept apart from
//! the database, and must be kept (apart) with the backups.
use super::db::{redact_url, Db};
use std::path::{Path, PathBuf};

/// How each kind of backup file begins.
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";
const PG_DUMP_HEADER: &[u8] = b"PGDMP";

/// What a backup wrote.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Copies the database behind `db` (at `url`) into `output`, which must not
/// exist yet.
pub async fn backup(db: &Db, url: &str, output: &Path) -> Result<Written, String> {
    if output.exists() {
        return Err(format!(
            "{} exists already: a backup never overwrites a file",
            output.display()
        ));
    }
    let partial = partial_path(output);
    let _ = std::fs::remove_file(&partial);
    let made = match db {
        Db::Sqlite(pool) => sqlx::query("VACUUM INTO $1")
            .bind(partial.display().to_string())
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(|e| format!("the copy failed: {e}")),
        Db::Postgres(_) => pg_dump(url, &partial).await,
    };
    if let Err(error) = made {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    let written = owner_only(&partial).and_then(|()| {
        let file = std::fs::File::open(&partial)?;
        file.sync_all()?;
        std::fs::rename(&partial, output)?;
        Ok(file.metadata()?.len())
    });
    match written {
        Ok(bytes) => Ok(Written {
            path: output.to_owned(),
            bytes,
        }),
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            Err(format!("cannot write {}: {error}", output.display()))
        }
    }
}

/// Puts the backup `input` into the empty database at `url`. The caller
/// then migrates it (a backup of an older version is brought up to date as
/// any database is at start).
pub async fn restore(url: &str, input: &Path) -> Result<(), String> {
    let mut head = [0u8; 16];
    let read = std::io::Read::read(
        &mut std::fs::File::open(input)
            .map_err(|e| format!("cannot read {}: {e}", input.display()))?,
        &mut head,
    )
    .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let head = &head[..read];
    if let Some(file) = sqlite_file(url) {
        if !head.starts_with(SQLITE_HEADER) {
            return Err(not_a_backup_of("SQLite", input));
        }
        return restore_sqlite(&file, input);
    }
    if !head.starts_with(PG_DUMP_HEADER) {
        return Err(not_a_backup_of("PostgreSQL", input));
    }
    restore_postgres(url, input).await
}

fn not_a_backup_of(backend: &str, input: &Path) -> String {
    format!(
        "{} is not a backup of a {backend} database (made by `server backup` on {backend})",
        input.display()
    )
}

/// The database file of a SQLite URL; `None` for another backend.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(PathBuf::from(rest.split('?').next().unwrap_or_default()))
}

fn restore_sqlite(file: &Path, input: &Path) -> Result<(), String> {
    let wal = PathBuf::from(format!("{}-wal", file.display()));
    if file.exists() || wal.exists() {
        return Err(format!(
            "{} exists already: restore into a new database, then point DATABASE_URL at it",
            file.display()
        ));
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let partial = partial_path(file);
    let copied = std::fs::copy(input, &partial)
        .and_then(|_| owner_only(&partial))
        .and_then(|()| std::fs::File::open(&partial)?.sync_all())
        .and_then(|()| std::fs::rename(&partial, file));
    copied.map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        format!("cannot write {}: {e}", file.display())
    })
}

async fn restore_postgres(url: &str, input: &Path) -> Result<(), String> {
    let db = Db::connect(url, 1)
        .await
        .map_err(|e| format!("cannot reach the database: {e}"))?;
    let tables: Result<i64, sqlx::Error> = match &db {
        Db::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_one(pool)
            .await
        }
        Db::Sqlite(_) => Ok(0),
    };
    db.close().await;
    match tables {
        Ok(0) => {}
        Ok(_) => {
            return Err(format!(
                "{} is not empty: restore into a new database (createdb), then point DATABASE_URL at it",
                redact_url(url)
            ))
        }
        Err(error) => return Err(format!("cannot read the database: {error}")),
    }
    let (address, password) = without_password(url)?;
    let mut command = tokio::process::Command::new("pg_restore");
    command
        .args([
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
        ])
        .arg(format!("--dbname={address}"))
        .arg(input);
    run(command, password, "pg_restore").await
}

async fn pg_dump(url: &str, partial: &Path) -> Result<(), String> {
    let (address, password) = without_password(url)?;
    let mut command = tokio::process::Command::new("pg_dump");
    command
        .args(["--format=custom", "--no-owner", "--no-privileges"])
        .arg(format!("--file={}", partial.display()))
        .arg(format!("--dbname={address}"));
    run(command, password, "pg_dump").await
}

/// Runs a PostgreSQL client with the password in its environment, never on
/// its command line (which every local user may read).
async fn run(
    mut command: tokio::process::Command,
    password: Option<String>,
    name: &str,
) -> Result<(), String> {
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let out = command
        .output()
        .await
        .map_err(|e| format!("cannot run {name} (Debian's postgresql-client provides it): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The URL without its password, and the password.
fn without_password(url: &str) -> Result<(String, Option<String>), String> {
    let mut parsed = url::Url::parse(url).map_err(|e| format!("DATABASE_URL: {e}"))?;
    let mut password = parsed.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let _ = parsed.set_password(None);
    let mut kept = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (key, value) in parsed.query_pairs() {
        if key.eq_ignore_ascii_case("password") {
            password = Some(value.into_owned());
        } else {
            kept.append_pair(&key, &value);
            any = true;
        }
    }
    let query = kept.finish();
    parsed.set_query(any.then_some(query.as_str()));
    Ok((parsed.to_string(), password))
}

/// `FILE.partial`: what is written before it is whole.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

#[cfg(unix)]
fn owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn owner_only(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_goes_to_the_environment_not_the_command_line() {
        let (address, password) = without_password(
            "postgres://lumieres:s%40cret@db.example:5432/lumieres?sslmode=require&password=other",
        )
        .unwrap();
        assert_eq!(
            address,
            "postgres://lumieres@db.example:5432/lumieres?sslmode=require"
        );
        assert_eq!(password.as_deref(), Some("other"));
        let (address, password) = without_password("postgres://l:s%40cret@db.example/x").unwrap();
        assert_eq!(
            (address.as_str(), password.as_deref()),
            ("postgres://l@db.example/x", Some("s@cret"))
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1/test").unwrap(),
            ("postgres://postgres@127.0.0.1/test".to_owned(), None)
        );
    }

    #[test]
    fn a_sqlite_url_names_its_file() {
        assert_eq!(
            sqlite_file("sqlite://data/lumieres.db?mode=rwc"),
            Some(PathBuf::from("data/lumieres.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:/tmp/x.db"),
            Some(PathBuf::from("/tmp/x.db"))
        );
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }
}
