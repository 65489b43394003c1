//! The two migration folders say the same thing (one behaviour on both
//! back-ends): the same numbered files, and once applied the same tables,
//! the same columns in each, and the same named indexes. Types are each
//! back-end's own (`TEXT` dates on SQLite, `TIMESTAMP` on PostgreSQL) and
//! are not compared.

use std::path::Path;

use crate::e2e;
use crate::support::{Backend, TestApp};

fn files(backend: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Sorted here, not by SQL: the two back-ends collate differently.
async fn sorted(app: &TestApp, sql: &str) -> Vec<Vec<String>> {
    let mut rows = app.text_rows(sql).await;
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_back_ends_have_the_same_migrations_tables_columns_and_indexes() {
    assert_eq!(files("sqlite"), files("postgres"), "the same numbered files");
    assert!(files("sqlite").iter().all(|f| f.ends_with(".sql")));

    let sqlite = TestApp::new(Backend::Sqlite).await;
    let postgres = TestApp::new(Backend::Postgres).await;
    let columns_sqlite = sorted(
        &sqlite,
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .await;
    let columns_postgres = sorted(
        &postgres,
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
    )
    .await;
    assert!(columns_sqlite.len() > 50, "{columns_sqlite:?}");
    assert_eq!(columns_sqlite, columns_postgres, "the same tables and columns");

    // Indexes the migrations name (not those behind keys and constraints).
    let indexes_sqlite = sorted(&sqlite, "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").await;
    let indexes_postgres = sorted(
        &postgres,
        "SELECT tablename::text, indexname::text FROM pg_indexes i WHERE schemaname = current_schema() \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    )
    .await;
    assert!(!indexes_sqlite.is_empty());
    assert_eq!(indexes_sqlite, indexes_postgres, "the same named indexes");
    sqlite.cleanup().await;
    postgres.cleanup().await;
}

// An install at migration 7 (before the personnel role) with a user, its
// session and its token, brought up to date by the server's start: the
// rebuilt `users` table keeps every row and id, the sessions and tokens
// still point at them, and the new role is accepted.
/// A new database at the migrations before `first_missing` (a file name
/// prefix such as "0008"), with `inserts` run on it: an older install.
/// PostgreSQL's `disabled` is a boolean and its ids are generated (given
/// here to keep them known), so inserts into `users` and `api_tokens` are
/// adapted; quoted times are read as timestamps.
async fn install_before(app: &TestApp, first_missing: &str, inserts: &[&str]) -> String {
    use sqlx::Connection;
    let backend = if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    let old = app.dir.path().join(format!("migrations-before-{first_missing}"));
    std::fs::create_dir_all(&old).unwrap();
    for name in files(backend).into_iter().filter(|f| f.as_str() < first_missing) {
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend).join(&name), old.join(&name)).unwrap();
    }
    let url = app.empty_database_url().await;
    let migrator = sqlx::migrate::Migrator::new(old.as_path()).await.unwrap();
    if backend == "sqlite" {
        let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url).unwrap().create_if_missing(true).foreign_keys(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        migrator.run(&mut conn).await.unwrap();
        for sql in inserts {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        migrator.run(&mut conn).await.unwrap();
        for sql in inserts {
            let sql = if sql.starts_with("INSERT INTO users") || sql.starts_with("INSERT INTO api_tokens") {
                sql.replace(", 0, '", ", false, '").replacen(") VALUES (", ") OVERRIDING SYSTEM VALUE VALUES (", 1)
            } else {
                sql.to_string()
            };
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();
    }
    url
}

// An install at migration 7 (before the personnel role) with a user, its
// session and its token, brought up to date by the server's start: the
// rebuilt `users` table keeps every row and id, the sessions and tokens
// still point at them, and the new role is accepted.
e2e!(an_install_at_migration_7_upgrades_with_its_users_sessions_and_tokens_kept, |app| {
    let backend = if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    const USER: &str = "INSERT INTO users (id, username, password_hash, role, unit_code, disabled, created_at) VALUES (7, 'wang', 'x', 'assessor', NULL, 0, '2026-01-01 00:00:00')";
    const SESSION: &str = "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ('h', 7, 'c', '2026-01-01 00:00:00', '2099-01-01 00:00:00')";
    const TOKEN: &str = "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (3, 7, 'etl', 't', '2026-01-01 00:00:00')";
    let url = install_before(&app, "0008", &[USER, SESSION, TOKEN]).await;
    let db = server::db::Db::connect_keyed(&url, Some(app.key_file()), Some(app.data_key_file())).await.expect("migration 8 runs on the old install");
    let kept: Vec<(i64, String)> = server::on_db!(&db, pool => sqlx::query_as("SELECT id, username FROM users").fetch_all(pool).await.unwrap());
    assert_eq!(kept, [(7, "wang".to_string())]);
    let sessions: Vec<(i64,)> = server::on_db!(&db, pool => sqlx::query_as("SELECT user_id FROM sessions").fetch_all(pool).await.unwrap());
    let tokens: Vec<(i64,)> = server::on_db!(&db, pool => sqlx::query_as("SELECT user_id FROM api_tokens").fetch_all(pool).await.unwrap());
    assert_eq!((sessions, tokens), (vec![(7,)], vec![(7,)]));
    if backend == "sqlite" {
        let broken: Vec<(String,)> = server::on_db!(&db, pool => sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check").fetch_all(pool).await.unwrap());
        assert!(broken.is_empty(), "{broken:?}");
    }
    server::auth::users::add(&db, "zhang.hr", server::auth::Role::Personnel, None, "a-long-enough-password", "test").await.expect("the new role is accepted");
    // The constraints still hold after the rebuild: a session of no user is refused.
    let orphan: bool = server::on_db!(&db, pool => sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ('o', 999, 'c', '2026-01-01 00:00:00', '2099-01-01 00:00:00')").execute(pool).await.is_err());
    assert!(orphan, "foreign keys still checked");
});

// An install at migration 8 with its one administrator (`admin`, who
// managed accounts) and that administrator's session: after the upgrade
// the account is the system administrator (三员分立), its session still
// points at it, and the other two administrators' roles are accepted.
e2e!(the_administrator_of_an_older_install_becomes_the_system_administrator, |app| {
    const ADMIN: &str = "INSERT INTO users (id, username, password_hash, role, unit_code, disabled, created_at) VALUES (4, 'wang.admin', 'x', 'admin', NULL, 0, '2026-01-01 00:00:00')";
    const LEADER: &str = "INSERT INTO users (id, username, password_hash, role, unit_code, disabled, created_at) VALUES (5, 'li', 'x', 'leader', NULL, 0, '2026-01-01 00:00:00')";
    const SESSION: &str = "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ('h', 4, 'c', '2026-01-01 00:00:00', '2099-01-01 00:00:00')";
    let url = install_before(&app, "0009", &[ADMIN, LEADER, SESSION]).await;
    let db = server::db::Db::connect_keyed(&url, Some(app.key_file()), Some(app.data_key_file())).await.expect("migration 9 runs on the old install");
    let roles: Vec<(i64, String)> = server::on_db!(&db, pool => sqlx::query_as("SELECT id, role FROM users ORDER BY id").fetch_all(pool).await.unwrap());
    assert_eq!(roles, [(4, "system-admin".to_string()), (5, "leader".to_string())]);
    let sessions: Vec<(i64,)> = server::on_db!(&db, pool => sqlx::query_as("SELECT user_id FROM sessions").fetch_all(pool).await.unwrap());
    assert_eq!(sessions, [(4,)]);
    for (name, role) in [("li.sec", server::auth::Role::SecurityAdmin), ("zhao.audit", server::auth::Role::AuditAdmin)] {
        server::auth::users::add(&db, name, role, None, "a-long-enough-password", "test").await.expect("the new roles are accepted");
    }
    // The policy's clocks start at the upgrade: no account is disabled as
    // unused, or made to change its password, for time before it.
    let unset: i64 = server::on_db!(&db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id IN (4, 5) AND (last_sign_in_at IS NULL OR password_changed_at IS NULL)").fetch_one(pool).await.unwrap());
    assert_eq!(unset, 0);
    let old_code: bool = server::on_db!(&db, pool => sqlx::query("UPDATE users SET role = 'admin' WHERE id = 5").execute(pool).await.is_err());
    assert!(old_code, "the old code is no longer a role");
});
