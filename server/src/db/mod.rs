//! Storage: one [`Db`] over either SQLite (the default, a file) or
//! PostgreSQL, chosen from the database URL. Every query is portable SQL
//! written once and run on both through [`on_db!`]/[`on_tx!`]; the few
//! statements that must differ live side by side in [`dialect`].
//!
//! Every write goes through [`Db::begin_write`], which serialises writers
//! (SQLite `BEGIN IMMEDIATE`, PostgreSQL a transaction-scoped advisory lock)
//! so that the audit chain and natural-key upserts never race.

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod batches;
pub mod claims;
pub mod dialect;
pub mod inputs;
pub mod notices;
pub mod objections;
pub mod records;
pub mod repairs;
pub mod results;
pub mod seal;
pub mod second_factor;
pub mod secret_file;
pub mod settings;
pub mod steps;
pub mod units;
pub mod uploads;
pub mod value;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Postgres, Sqlite, Transaction};

pub use value::Value;

/// Runs the same body against whichever pool `db` holds. The body is
/// compiled once per back-end, so it stays fully typed on both.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match &$db.pool {
            $crate::db::Pool::Sqlite($pool) => $body,
            $crate::db::Pool::Postgres($pool) => $body,
        }
    };
}

/// Like [`on_db!`] for an open transaction; `$conn` is the connection.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut ($tx).conn {
            $crate::db::TxConn::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::TxConn::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// Storage errors, as the layers above need to tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("conflicting write: {0}")]
    Conflict(String),
    #[error("unsupported database URL (use sqlite://… or postgres://…): {0}")]
    BadUrl(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// The audit chain's key file is missing, unreadable, malformed or
    /// open to others ([`audit::key`]).
    #[error("audit key: {0}")]
    AuditKey(String),
    /// The data key that seals personal data is missing, unreadable,
    /// malformed, open to others or not this database's ([`seal::key`]).
    #[error("data key: {0}")]
    DataKey(String),
    /// A sealed value that does not open with the data key.
    #[error(transparent)]
    Unopened(#[from] seal::Unopened),
    #[error("database error: {0}")]
    Other(sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => DbError::Conflict(d.message().to_string()),
            // A stored value that does not read back as its type (an
            // unknown code, say): the data was altered outside Zhengxin.
            // (sqlx 0.9 prints the errors of its `try_from` conversions as
            // "unprintable error": say what they mean.)
            sqlx::Error::ColumnDecode { index, source } if source.to_string().starts_with("unprintable error") => {
                DbError::Corrupt(format!("stored column {index} holds a value that is not a known code"))
            }
            sqlx::Error::ColumnDecode { index, source } => DbError::Corrupt(format!("stored column {index}: {source}")),
            _ => DbError::Other(e),
        }
    }
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// A connection pool to one of the two supported back-ends, the folder
/// of its columnar snapshots ([`crate::snapshot`]), if it has one, the
/// file holding its audit chain's key ([`audit::key`]), what seals its
/// personal data ([`seal`]; or why it cannot) and which connection it is
/// ([`Db::instance`]).
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: Pool,
    snapshots: Option<std::sync::Arc<std::path::Path>>,
    audit_key: Option<std::sync::Arc<std::path::Path>>,
    data_key: Option<std::sync::Arc<std::path::Path>>,
    sealer: Sealing,
    instance: u64,
}

/// The sealer of a database, or what stops it (a missing key file, say):
/// the database still opens, for backups and audit checks that need no
/// personal data, but nothing is sealed or opened, and `serve` refuses to
/// start ([`Db::sealer`]).
type Sealing = std::sync::Arc<std::result::Result<seal::Sealer, String>>;

/// The instance the next [`Db::connect`] gets.
static NEXT_INSTANCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The pool of one of the two supported back-ends.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open write transaction, with the audit key file of its database
/// (its audit entries are keyed with it).
pub struct Tx {
    pub conn: TxConn,
    audit_key: Option<std::sync::Arc<std::path::Path>>,
    sealer: Sealing,
}

/// The transaction of one of the two back-ends.
pub enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Db {
    /// Connects to `url` and brings its schema up to date. A SQLite file
    /// (and its folder) is created on first use and runs in WAL mode with a
    /// busy timeout, so readers never block the writer.
    pub async fn connect(url: &str) -> Result<Db> {
        Db::connect_keyed(url, None, None).await
    }

    /// [`Db::connect`] with the audit key file at `audit_key` and the data
    /// key file at `data_key` instead of the defaults
    /// ([`audit::key::default_path`], [`seal::key::default_path`]): the
    /// data key is loaded (created with a new database) as the database
    /// opens, and what it seals then is audited under that audit key.
    pub async fn connect_keyed(url: &str, audit_key: Option<std::path::PathBuf>, data_key: Option<std::path::PathBuf>) -> Result<Db> {
        let audit_key = audit_key.map(std::sync::Arc::<std::path::Path>::from);
        let data_key = data_key.map(std::sync::Arc::<std::path::Path>::from);
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|_| DbError::BadUrl(redact(url)))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                // Replaced right after connecting (`retry_when_busy`); set
                // too so the connection waits even before that.
                .busy_timeout(dialect::BUSY_TIMEOUT)
                .foreign_keys(true)
                // A large import touches far more pages than the 2 MiB
                // default cache holds; spilling them mid-transaction and
                // journaling each multi-row INSERT to a temp file tripled
                // its write time. The cache grows only as it is used.
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory");
            if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| DbError::Other(sqlx::Error::Io(e)))?;
            }
            let file = options.get_filename().to_path_buf();
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .after_connect(|conn, _| Box::pin(dialect::retry_when_busy(conn)))
                .connect_with(options)
                .await?;
            sqlx::migrate!("migrations/sqlite").run(&pool).await?;
            let snapshots = crate::snapshot::default_folder(Some(&file), &file.to_string_lossy());
            let audit_key = audit_key.or_else(|| audit::key::default_path(Some(&file), &file.to_string_lossy()));
            let data_key = data_key.or_else(|| seal::key::default_path(Some(&file), &file.to_string_lossy()));
            Db::opened(Pool::Sqlite(pool), snapshots, audit_key, data_key).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
            let snapshots = crate::snapshot::default_folder(None, &redact(url));
            let audit_key = audit_key.or_else(|| audit::key::default_path(None, &redact(url)));
            let data_key = data_key.or_else(|| seal::key::default_path(None, &redact(url)));
            Db::opened(Pool::Postgres(pool), snapshots, audit_key, data_key).await
        } else {
            Err(DbError::BadUrl(redact(url)))
        }
    }

    /// A migrated pool with its data key loaded (created with a new
    /// database) and what was stored before sealing began sealed.
    async fn opened(
        pool: Pool,
        snapshots: Option<std::sync::Arc<std::path::Path>>,
        audit_key: Option<std::sync::Arc<std::path::Path>>,
        data_key: Option<std::sync::Arc<std::path::Path>>,
    ) -> Result<Db> {
        let sealer = std::sync::Arc::new(Err("not loaded yet".into()));
        let mut db = Db { pool, snapshots, audit_key, data_key, sealer, instance: next_instance() };
        db.sealer = std::sync::Arc::new(seal::key::load(&db, db.data_key.as_deref()).await);
        if db.sealer.is_ok() {
            let sealed = seal::backfill::run(&db).await?;
            if sealed != seal::backfill::Sealed::default() {
                tracing::info!(?sealed, "values stored before sealing began are sealed now");
            }
        }
        Ok(db)
    }

    /// The file holding the key that seals this database's personal data
    /// (none for an in-memory SQLite database, whose key is in memory).
    pub fn data_key(&self) -> Option<&std::path::Path> {
        self.data_key.as_deref()
    }

    /// What seals this database's personal data; the error says why
    /// nothing can be sealed or opened (the data key is missing, say).
    pub fn sealer(&self) -> Result<&seal::Sealer> {
        self.sealer.as_ref().as_ref().map_err(|e| DbError::DataKey(e.clone()))
    }

    /// Which [`Db::connect`] this handle (and every clone of it) came
    /// from. What the process keeps of a database's contents is keyed by
    /// it: the tests open dozens of databases in one process, each with a
    /// result version 1, and two must never share what is kept of it.
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// `sqlite` or `postgres`, for logs and pages.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// The folder this database's columnar snapshots live in, if any.
    pub fn snapshots(&self) -> Option<&std::path::Path> {
        self.snapshots.as_deref()
    }

    /// The same database with its snapshots in `folder` (none: scoring
    /// always reads the database).
    pub fn with_snapshots(mut self, folder: Option<std::path::PathBuf>) -> Db {
        self.snapshots = folder.map(std::sync::Arc::from);
        self
    }

    /// The file this database's audit chain is keyed with (none for an
    /// in-memory SQLite database unless set).
    pub fn audit_key(&self) -> Option<&std::path::Path> {
        self.audit_key.as_deref()
    }

    /// Starts the one kind of transaction every write uses.
    pub async fn begin_write(&self) -> Result<Tx> {
        let conn = dialect::begin_write(self).await?;
        Ok(Tx { conn, audit_key: self.audit_key.clone(), sealer: self.sealer.clone() })
    }

    /// Connections the pool holds open, and how many of them are idle.
    pub fn pool_use(&self) -> (u32, usize) {
        on_db!(self, pool => (pool.size(), pool.num_idle()))
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    /// Number of rows in `table`, which must be one of the known tables.
    pub async fn count(&self, table: &'static str) -> Result<i64> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await?))
    }

    /// Whether nothing was ever set up here: no units and no users (the
    /// server then loads the demo data, if configured to).
    pub async fn is_fresh(&self) -> Result<bool> {
        Ok(self.count("units").await? == 0 && self.count("users").await? == 0)
    }

    /// Number of records in `table` (a source table) that readers see:
    /// none of a pending import ([`batches::VISIBLE`]).
    pub async fn count_records(&self, table: &'static str) -> Result<i64> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table} WHERE {}", batches::VISIBLE));
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await?))
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self.conn {
            TxConn::Sqlite(tx) => tx.commit().await?,
            TxConn::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// The audit key file of the database this transaction writes.
    pub fn audit_key(&self) -> Option<&std::path::Path> {
        self.audit_key.as_deref()
    }

    /// What seals the personal data this transaction writes ([`Db::sealer`]).
    pub fn sealer(&self) -> Result<&seal::Sealer> {
        self.sealer.as_ref().as_ref().map_err(|e| DbError::DataKey(e.clone()))
    }
}

fn next_instance() -> u64 {
    NEXT_INSTANCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A database URL with any password replaced, safe for logs and `Debug`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// How often a session's or API token's time of use is written (at most).
pub const USE_RECORDED_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// Writes a time of use off the request's path, best effort: `sql` sets
/// `$1` (the time) where the key is `$2`. A request never waits for the
/// writer lock for this, and a write that fails is only logged.
pub fn record_use_later(db: &Db, sql: &'static str, at: chrono::NaiveDateTime, key: String) {
    let db = db.clone();
    tokio::spawn(async move {
        let written = async {
            let mut tx = db.begin_write().await?;
            on_tx!(&mut tx, conn => {
                sqlx::query(sql).bind(at).bind(&key).execute(conn).await?;
            });
            tx.commit().await
        };
        if let Err(e) = written.await {
            tracing::debug!(error = %e, "a time of use was not written");
        }
    });
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_leave_the_url() {
        assert_eq!(redact("postgres://zx:s3cret@db:5432/zx"), "postgres://zx:***@db:5432/zx");
        assert_eq!(redact("postgres://zx@db/zx"), "postgres://zx@db/zx");
        assert_eq!(redact("sqlite://data/zhengxin.db"), "sqlite://data/zhengxin.db");
    }
}
