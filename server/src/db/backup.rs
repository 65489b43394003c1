//! Backups and restores, with each back-end's own consistent copy:
//!
//! - SQLite: `VACUUM INTO` writes a compact copy of the database as one
//!   read transaction sees it, so the server may go on serving and
//!   writing; the copy is checked with `PRAGMA integrity_check`.
//! - PostgreSQL: `pg_dump --format=custom`, which also reads one snapshot
//!   (a repeatable-read transaction) while others write; restored with
//!   `pg_restore --single-transaction`. Both programs come with PostgreSQL's
//!   client package and must match the server's major version or be newer.
//!
//! A restore goes only into an empty database (a SQLite file that does not
//! exist yet or holds no tables, a PostgreSQL database without tables), so
//! it can never mix two installs; afterwards the schema is brought up to
//! date and the audit chain verified.

use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::Connection;

use super::{Db, DbError, redact};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Refused(String),
    #[error("{program} failed: {message}")]
    Tool { program: &'static str, message: String },
    #[error("cannot use {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        BackupError::Db(e.into())
    }
}

/// What a backup file holds, told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    Sqlite,
    PgDump,
}

impl BackupKind {
    fn of(path: &Path) -> Result<BackupKind, BackupError> {
        use std::io::Read;
        let mut head = [0u8; 16];
        let mut file = std::fs::File::open(path).map_err(|source| BackupError::Io { path: path.into(), source })?;
        let n = file.read(&mut head).map_err(|source| BackupError::Io { path: path.into(), source })?;
        match &head[..n] {
            h if h.starts_with(b"SQLite format 3\0") => Ok(BackupKind::Sqlite),
            h if h.starts_with(b"PGDMP") => Ok(BackupKind::PgDump),
            _ => Err(BackupError::Refused(format!("{} is not a Zhengxin backup (neither a SQLite database nor a pg_dump archive)", path.display()))),
        }
    }
}

/// Writes a backup of `db` (reached at `url`) to `path`, which must not exist.
pub async fn backup(db: &Db, url: &str, path: &Path) -> Result<BackupKind, BackupError> {
    if path.exists() {
        return Err(BackupError::Refused(format!("{} exists; a backup never overwrites a file", path.display())));
    }
    // Written beside the target and renamed when whole and checked: a
    // backup that is stopped half-way never lies under the backup's name.
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let _ = std::fs::remove_file(&partial);
    let file = partial.to_str().ok_or_else(|| BackupError::Refused(format!("{} is not a UTF-8 path", path.display())))?;
    let kind = match &db.pool {
        super::Pool::Sqlite(pool) => {
            sqlx::query("VACUUM INTO $1").bind(file).execute(pool).await?;
            check_sqlite_file(&partial).await?;
            BackupKind::Sqlite
        }
        super::Pool::Postgres(_) => {
            let (url, password) = without_password(url);
            run_tool("pg_dump", &["--format=custom", "--no-owner", "--no-privileges", "--file", file, "--dbname", &url], password.as_deref()).await?;
            BackupKind::PgDump
        }
    };
    std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(|source| BackupError::Io { path: partial.clone(), source })?;
    std::fs::rename(&partial, path).map_err(|source| BackupError::Io { path: path.into(), source })?;
    Ok(kind)
}

/// Restores the backup at `path` into the empty database at `url`, then
/// brings the schema up to date, opening it with the audit and data key
/// files given (else its defaults).
pub async fn restore(url: &str, path: &Path, audit_key: Option<PathBuf>, data_key: Option<PathBuf>) -> Result<(BackupKind, Db), BackupError> {
    let kind = BackupKind::of(path)?;
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    match (kind, postgres) {
        (BackupKind::Sqlite, false) => {
            let options: sqlx::sqlite::SqliteConnectOptions = url.parse().map_err(|_| DbError::BadUrl(redact(url)))?;
            let target = options.get_filename().to_path_buf();
            if target.exists() && sqlite_tables(&target).await? > 0 {
                return Err(BackupError::Refused(format!("{} already holds tables; restore into a new file", target.display())));
            }
            check_sqlite_file(path).await?;
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| BackupError::Io { path: dir.into(), source })?;
            }
            // Copied beside the target, then renamed: a restore that stops
            // half-way leaves no half database under the target's name.
            let partial = target.with_extension("restoring");
            std::fs::copy(path, &partial).map_err(|source| BackupError::Io { path: partial.clone(), source })?;
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
            }
            std::fs::rename(&partial, &target).map_err(|source| BackupError::Io { path: target.clone(), source })?;
        }
        (BackupKind::PgDump, true) => {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()").fetch_one(&mut conn).await?;
            conn.close().await.ok();
            if tables > 0 {
                return Err(BackupError::Refused(format!("the database at {} already holds {tables} tables; restore into a new, empty database (createdb)", redact(url))));
            }
            let (url, password) = without_password(url);
            let file = path.to_str().ok_or_else(|| BackupError::Refused(format!("{} is not a UTF-8 path", path.display())))?;
            run_tool("pg_restore", &["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--dbname", &url, file], password.as_deref()).await?;
        }
        (BackupKind::Sqlite, true) => return Err(BackupError::Refused("this is a SQLite backup; restore it into a sqlite:// database".into())),
        (BackupKind::PgDump, false) => return Err(BackupError::Refused("this is a PostgreSQL backup; restore it into a postgres:// database".into())),
    }
    Ok((kind, Db::connect_keyed(url, audit_key, data_key).await?))
}

/// A database to restore a backup into to check it, removed after: for
/// SQLite a file in a new hidden folder of `dir`; for PostgreSQL the live
/// database's name with `_verify` on the same server (made afresh, so one
/// left by a crash does not stand in the way; the role needs CREATEDB).
pub struct Scratch {
    url: String,
    place: Place,
}

enum Place {
    Folder(PathBuf),
    Database { live_url: String, name: String },
}

impl Scratch {
    pub async fn create(live_url: &str, dir: &Path) -> Result<Scratch, BackupError> {
        if !live_url.starts_with("postgres") {
            let mut tag = [0u8; 6];
            getrandom::fill(&mut tag).map_err(|e| BackupError::Refused(e.to_string()))?;
            let folder = dir.join(format!(".verify-{}", crate::hashing::to_hex(&tag)));
            std::fs::create_dir_all(&folder).map_err(|source| BackupError::Io { path: folder.clone(), source })?;
            let url = format!("sqlite://{}", folder.join("zhengxin.db").display());
            return Ok(Scratch { url, place: Place::Folder(folder) });
        }
        let (base, live) = split_database(live_url).ok_or_else(|| BackupError::Refused(format!("{} names no database", redact(live_url))))?;
        let name = format!("{live}_verify");
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.len() > 63 {
            return Err(BackupError::Refused(format!("no scratch database can be named after {live:?}")));
        }
        let mut conn = sqlx::PgConnection::connect(live_url).await?;
        let made = async {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))).execute(&mut conn).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut conn).await
        }
        .await;
        conn.close().await.ok();
        made?;
        Ok(Scratch { url: base.replacen("{database}", &name, 1), place: Place::Database { live_url: live_url.to_string(), name } })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Removes the scratch database, best effort (logged when it fails).
    pub async fn remove(self) {
        let removed = match self.place {
            Place::Folder(folder) => std::fs::remove_dir_all(&folder).map_err(|e| e.to_string()),
            Place::Database { live_url, name } => async {
                let mut conn = sqlx::PgConnection::connect(&live_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))).execute(&mut conn).await?;
                conn.close().await
            }
            .await
            .map_err(|e: sqlx::Error| e.to_string()),
        };
        if let Err(e) = removed {
            tracing::warn!(error = %e, "a scratch database of a backup's check was not removed");
        }
    }
}

/// `postgres://user@host/db?x` as `postgres://user@host/{database}?x` and
/// `db`.
fn split_database(url: &str) -> Option<(String, String)> {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://")? + 3;
    let slash = after_scheme + base[after_scheme..].find('/')?;
    let name = &base[slash + 1..];
    if name.is_empty() {
        return None;
    }
    let mut templated = format!("{}/{{database}}", &base[..slash]);
    if let Some(q) = query {
        templated.push('?');
        templated.push_str(q);
    }
    Some((templated, name.to_string()))
}

/// Opens a SQLite file read-only and runs SQLite's own integrity check.
async fn check_sqlite_file(path: &Path) -> Result<(), BackupError> {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await?;
    conn.close().await.ok();
    if verdict != "ok" {
        return Err(BackupError::Refused(format!("{} fails SQLite's integrity check: {verdict}", path.display())));
    }
    Ok(())
}

async fn sqlite_tables(path: &Path) -> Result<i64, BackupError> {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetch_one(&mut conn).await?;
    conn.close().await.ok();
    Ok(n)
}

/// The URL without its password, and the password: handed to pg_dump in
/// its environment, so it never shows in a process list.
fn without_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return (url.to_string(), None);
    };
    match userinfo.split_once(':') {
        Some((user, password)) => (format!("{scheme}://{user}@{host}"), Some(percent_decode(password))),
        None => (url.to_string(), None),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn run_tool(program: &'static str, args: &[&str], password: Option<&str>) -> Result<(), BackupError> {
    let mut command = Command::new(program);
    command.args(args);
    if let Some(p) = password {
        command.env("PGPASSWORD", p);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| BackupError::Tool { program, message: e.to_string() })?
        .map_err(|e| BackupError::Tool {
            program,
            message: format!("{e} (install PostgreSQL's client programs, e.g. apt-get install postgresql-client)"),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(BackupError::Tool { program, message: stderr.trim().to_string() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scratch_database_is_named_after_the_live_one() {
        assert_eq!(split_database("postgres://zx:pw@db:5432/zx?sslmode=disable"), Some(("postgres://zx:pw@db:5432/{database}?sslmode=disable".into(), "zx".into())));
        assert_eq!(split_database("postgresql://zx@db/zx_live"), Some(("postgresql://zx@db/{database}".into(), "zx_live".into())));
        assert_eq!(split_database("postgres://zx@db"), None);
        assert_eq!(split_database("postgres://zx@db/"), None);
    }

    #[test]
    fn passwords_leave_the_url_for_the_environment() {
        assert_eq!(without_password("postgres://zx:p%40ss@db:5432/zx"), ("postgres://zx@db:5432/zx".to_string(), Some("p@ss".to_string())));
        assert_eq!(without_password("postgres://zx@db/zx"), ("postgres://zx@db/zx".to_string(), None));
        assert_eq!(without_password("postgres://db/zx"), ("postgres://db/zx".to_string(), None));
    }
}
