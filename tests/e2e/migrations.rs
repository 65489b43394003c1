//! The two migration folders say the same thing (one behaviour on both
//! back-ends): the same numbered files, and once applied the same tables,
//! the same columns in each, and the same named indexes. Types are each
//! back-end's own (`TEXT` dates on SQLite, `TIMESTAMP` on PostgreSQL) and
//! are not compared.

use std::path::Path;

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
