//! The test harness: [`TestApp`] over a fresh database of either back-end,
//! with one helper per thing the tests do.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use server::db::Db;
use server::import::{self, report::ImportReport};
use sqlx::{Connection, Row};

/// Generates `name::sqlite` and `name::postgres` from one body.
#[macro_export]
macro_rules! e2e {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::support::TestApp::new($crate::support::Backend::Sqlite).await;
                $body
                $app.cleanup().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $app = $crate::support::TestApp::new($crate::support::Backend::Postgres).await;
                $body
                $app.cleanup().await;
            }
        }
    };
}

/// What the clock reads when the tests start, in this process and in every
/// `zhengxin` they run: results never depend on the day the tests run.
pub const TEST_NOW: &str = "2026-11-25 10:00:00";

/// Pins this process's clock to [`TEST_NOW`] at its first call; returns
/// that real instant in Unix seconds, for the processes the tests start.
pub fn pin_clock() -> i64 {
    static AT: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *AT.get_or_init(|| {
        let at = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap();
        let now = chrono::NaiveDateTime::parse_from_str(TEST_NOW, "%Y-%m-%d %H:%M:%S").unwrap();
        server::clock::pin(now, at).expect("nothing read the clock before the tests pinned it");
        at.timestamp()
    })
}

/// The `zhengxin` binary, on the tests' clock.
pub fn binary() -> std::process::Command {
    let at = pin_clock();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_zhengxin"));
    command.env(server::clock::NOW_VAR, TEST_NOW).env(server::clock::NOW_AT_VAR, at.to_string());
    // Never the machine's /etc/zhengxin/zhengxin.conf: an empty one.
    command.env(server::config::CONFIG_SETTING, "/dev/null");
    command
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the postgres variants use: a URL to an
/// administrative database on it. `scripts/test` starts one and sets it.
pub const PG_ENV: &str = "ZHENGXIN_TEST_PG_URL";

pub struct TestApp {
    pub backend: Backend,
    pub db: Db,
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_database: Option<String>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

fn pg_admin_url() -> String {
    std::env::var(PG_ENV).unwrap_or_else(|_| {
        panic!("{PG_ENV} is not set: the postgres variant of every end-to-end test needs a PostgreSQL server. Run scripts/test, which starts a throwaway one, or set {PG_ENV}=postgres://USER@HOST:PORT/postgres")
    })
}

/// `postgres://…/admin?x` with the database name replaced.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let cut = base.rfind('/').filter(|&i| i > "postgres://".len()).unwrap_or(base.len());
    let mut out = format!("{}/{database}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Drops databases left by earlier, interrupted runs (other processes).
async fn sweep(admin: &mut sqlx::PgConnection) {
    let mine = format!("zx_test_{}_", std::process::id());
    let rows = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'zx_test_%'")
        .fetch_all(&mut *admin)
        .await
        .expect("list databases");
    for row in rows {
        let name: String = row.get(0);
        if !name.starts_with(&mine) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
                .execute(&mut *admin)
                .await;
        }
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        pin_clock();
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg_database) = match backend {
            Backend::Sqlite => (format!("sqlite://{}", dir.path().join("zhengxin.db").display()), None),
            Backend::Postgres => {
                let admin_url = pg_admin_url();
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {PG_ENV}: {e}"));
                SWEPT.get_or_init(|| sweep(&mut admin)).await;
                let name = format!("zx_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut admin)
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                (with_database(&admin_url, &name), Some(name))
            }
        };
        // Both back-ends keep snapshots in the test's folder, so every
        // test scores from the database first and from a snapshot after;
        // and the audit key (for SQLite where it is by default).
        let db = Db::connect_keyed(&url, Some(dir.path().join("zhengxin.audit-key")), Some(dir.path().join("zhengxin.data-key")))
            .await
            .expect("connect and migrate")
            .with_snapshots(Some(dir.path().join("snapshots")));
        TestApp {
            backend,
            db,
            url,
            dir,
            pg_database,
        }
    }

    /// The data key file of this test's database.
    pub fn data_key_file(&self) -> PathBuf {
        self.dir.path().join("zhengxin.data-key")
    }

    /// The audit chain's key file of this test's database.
    pub fn key_file(&self) -> PathBuf {
        self.db.audit_key().expect("a key file").to_path_buf()
    }

    pub async fn cleanup(self) {
        self.db.close().await;
        if let Some(name) = self.pg_database {
            let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await.expect("admin connection");
            for db in [name.clone(), format!("{name}_r")] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")))
                    .execute(&mut admin)
                    .await
                    .expect("drop test database");
            }
        }
    }

    /// The URL of a second, empty database on the same back-end (created,
    /// not migrated), for restoring into; dropped by [`Self::cleanup`].
    pub async fn empty_database_url(&self) -> String {
        match &self.pg_database {
            None => format!("sqlite://{}", self.dir.path().join("restored.db").display()),
            Some(name) => {
                let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await.expect("admin connection");
                let restored = format!("{name}_r");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{restored}\"")))
                    .execute(&mut admin)
                    .await
                    .expect("create a second test database");
                with_database(&pg_admin_url(), &restored)
            }
        }
    }

    /// Writes `files` (name, bytes) into a fresh folder and returns their paths.
    pub fn write_files(&self, files: &[(&str, &[u8])]) -> Vec<PathBuf> {
        let folder = self.dir.path().join(format!("in{}", COUNTER.fetch_add(1, Ordering::SeqCst)));
        std::fs::create_dir_all(&folder).unwrap();
        files
            .iter()
            .map(|(name, bytes)| {
                let p = folder.join(name);
                std::fs::write(&p, bytes).unwrap();
                p
            })
            .collect()
    }

    /// Imports paths exactly as `zhengxin import` does.
    pub async fn import_paths(&self, paths: &[PathBuf]) -> ImportReport {
        let (inputs, issues) = import::collect(paths, None);
        import::import(&self.db, inputs, issues, "test", server::db::claims::Origin::CommandLine, Arc::new(|_| {}))
            .await
            .expect("import ran")
    }

    pub async fn import_files(&self, files: &[(&str, &[u8])]) -> ImportReport {
        let paths = self.write_files(files);
        self.import_paths(&paths).await
    }

    /// The canonical example files of every format.
    pub async fn import_examples(&self) -> ImportReport {
        let report = self.import_paths(&[examples_dir()]).await;
        assert!(report.ok, "{}", report.human());
        report
    }

    /// Every stored row of every table (as text, in key order): equal
    /// fingerprints mean an unchanged database.
    pub async fn fingerprint(&self) -> Vec<String> {
        let mut out = Vec::new();
        for spec in server::sources::ALL {
            let cols: Vec<String> = spec.columns.iter().map(|c| format!("CAST({} AS TEXT)", c.db)).collect();
            let order: Vec<&str> = spec.key.iter().map(|&k| spec.columns[k].db).collect();
            let sql = format!(
                "SELECT {}, CAST(batch_id AS TEXT) FROM {} ORDER BY {}",
                cols.join(", "),
                spec.table,
                order.join(", ")
            );
            out.extend(self.text_rows(&sql).await.into_iter().map(|r| format!("{}: {}", spec.table, r.join("|"))));
        }
        let audit = "SELECT CAST(id AS TEXT), action, entity, entity_key, detail, prev_hash, hash FROM audit_log ORDER BY id";
        out.extend(self.text_rows(audit).await.into_iter().map(|r| format!("audit: {}", r.join("|"))));
        let batches = "SELECT CAST(id AS TEXT), source, file_name FROM import_batches ORDER BY id";
        out.extend(self.text_rows(batches).await.into_iter().map(|r| format!("batch: {}", r.join("|"))));
        out
    }

    /// Runs a query whose every column is text (or null).
    pub async fn text_rows(&self, sql: &str) -> Vec<Vec<String>> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        server::on_db!(&self.db, pool => {
            sqlx::query(sql).fetch_all(pool).await.expect("query").iter().map(|row| {
                (0..row.len()).map(|i| row.get::<Option<String>, _>(i).unwrap_or_else(|| "∅".into())).collect()
            }).collect()
        })
    }

    pub async fn scalar(&self, sql: &str) -> String {
        self.text_rows(sql).await.remove(0).remove(0)
    }

    /// Starts the real server on a random port; returns its base URL and a
    /// handle that stops it.
    pub async fn serve(&self, demo_scale: Option<f64>) -> Server {
        self.serve_with(demo_scale, |_| {}).await
    }

    /// [`TestApp::serve`] with settings changed by `change`.
    pub async fn serve_with(&self, demo_scale: Option<f64>, change: impl FnOnce(&mut server::config::Config)) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = server::config::Config {
            demo_scale,
            snapshots: self.db.snapshots().map(|f| f.to_path_buf()),
            audit_key_file: Some(self.key_file()),
            data_key_file: Some(self.data_key_file()),
            ..server::config::Config::new(self.url.clone(), addr)
        };
        change(&mut config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(config, listener, async move {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }
}

pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds/examples")
}

pub fn example(name: &str) -> String {
    std::fs::read_to_string(examples_dir().join(name)).unwrap()
}

pub struct Server {
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A response: status, headers (lower-case names), body.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl Server {
    /// A plain HTTP/1.1 GET; enough for pages that need no session yet.
    pub async fn get(&self, path: &str) -> Response {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr);
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8(raw).expect("utf-8 response");
        let (head, body) = text.split_once("\r\n\r\n").expect("header end");
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
            .collect();
        Response {
            status,
            headers,
            body: body.to_string(),
        }
    }

    /// Waits until the server answers `/healthz` (it seeds demo data before
    /// it serves a new database). A connection alone proves nothing: the
    /// listener is bound, and takes connections into its backlog, before
    /// the server starts. A server that stopped meanwhile fails the test.
    pub async fn ready(&self) {
        let url = format!("http://{}/healthz", self.addr);
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(2)).build().unwrap();
        for _ in 0..600 {
            if client.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(!self.task.as_ref().is_some_and(|t| t.is_finished()), "the server stopped before it answered");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("server did not answer /healthz within 60 s");
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran cleanly");
        }
    }
}

/// The first error of a failed report, with the database unchanged checked
/// by the caller.
pub fn only_error(report: &ImportReport) -> &server::import::report::Issue {
    assert!(!report.ok, "expected the import to fail");
    report.errors.first().expect("an error")
}
