//! The only SQL that differs between SQLite and PostgreSQL, both versions
//! side by side: how a write transaction starts, and how many new rows are
//! loaded at once (batched multi-row `INSERT` on SQLite, `COPY` on
//! PostgreSQL).

use sqlx::AssertSqlSafe;

use super::{Db, Result, Tx, Value};
use crate::sources::SourceSpec;

/// An arbitrary but fixed key for PostgreSQL's advisory lock that
/// serialises Zhengxin's writers.
const WRITER_LOCK: i64 = 0x7a68_656e_6778;

/// SQLite: `BEGIN IMMEDIATE` takes the write lock up front, so a
/// transaction that reads before it writes can never fail to upgrade.
/// PostgreSQL: a transaction-scoped advisory lock gives the same one-writer
/// order (the audit chain depends on it) while readers go on unhindered.
pub async fn begin_write(db: &Db) -> Result<Tx> {
    match db {
        Db::Sqlite(pool) => Ok(Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)),
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITER_LOCK).execute(&mut *tx).await?;
            Ok(Tx::Postgres(tx))
        }
    }
}

/// Rows per multi-row `INSERT` on SQLite, largest first. Only these sizes
/// are ever prepared, so the statement cache serves every batch.
const SQLITE_ROWS_PER_INSERT: [usize; 3] = [256, 16, 1];
/// SQLite allows 32,766 bound parameters per statement.
const SQLITE_MAX_PARAMS: usize = 32_766;
/// Rows per `COPY` message to PostgreSQL.
const COPY_CHUNK: usize = 20_000;

/// Inserts rows that are known to be new (the caller has checked their
/// keys) with their batch id appended as the last column.
pub async fn insert_new_rows(tx: &mut Tx, spec: &SourceSpec, rows: &[Vec<Value>], batch_id: i64) -> Result<()> {
    let columns: Vec<&str> = spec.columns.iter().map(|c| c.db).chain(["batch_id"]).collect();
    match tx {
        Tx::Sqlite(tx) => {
            for rows in sqlite_chunks(rows, columns.len()) {
                let sql = multi_row_insert(spec.table, &columns, rows.len());
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for row in rows {
                    for (c, v) in spec.columns.iter().zip(row) {
                        q = crate::bind_value!(q, c.kind, v);
                    }
                    q = q.bind(batch_id);
                }
                q.execute(&mut **tx).await?;
            }
        }
        Tx::Postgres(tx) => {
            let statement = format!("COPY {} ({}) FROM STDIN", spec.table, columns.join(", "));
            let mut copy = tx.copy_in_raw(&statement).await?;
            let mut buf = String::new();
            for rows in rows.chunks(COPY_CHUNK) {
                buf.clear();
                for row in rows {
                    for v in row {
                        copy_text_cell(&mut buf, v);
                        buf.push('\t');
                    }
                    buf.push_str(&batch_id.to_string());
                    buf.push('\n');
                }
                if let Err(e) = copy.send(buf.as_bytes()).await {
                    let _ = copy.abort("send failed").await;
                    return Err(e.into());
                }
            }
            copy.finish().await?;
        }
    }
    Ok(())
}

/// Splits `rows` into slices of the sizes in [`SQLITE_ROWS_PER_INSERT`].
fn sqlite_chunks(rows: &[Vec<Value>], columns: usize) -> Vec<&[Vec<Value>]> {
    let mut out = Vec::new();
    let mut rest = rows;
    for size in SQLITE_ROWS_PER_INSERT {
        let size = size.min(SQLITE_MAX_PARAMS / columns).max(1);
        while rest.len() >= size {
            let (head, tail) = rest.split_at(size);
            out.push(head);
            rest = tail;
        }
    }
    out
}

fn multi_row_insert(table: &str, columns: &[&str], rows: usize) -> String {
    let n = columns.len();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut p = 1;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..n {
            if c > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&p.to_string());
            p += 1;
        }
        sql.push(')');
    }
    sql
}

/// One value in PostgreSQL's COPY text format: `\N` for null, backslash
/// escapes for the characters that frame rows and columns.
fn copy_text_cell(buf: &mut String, v: &Value) {
    match v {
        Value::Null => buf.push_str("\\N"),
        Value::Bool(b) => buf.push(if *b { 't' } else { 'f' }),
        Value::Text(s) => {
            for ch in s.chars() {
                match ch {
                    '\\' => buf.push_str("\\\\"),
                    '\t' => buf.push_str("\\t"),
                    '\n' => buf.push_str("\\n"),
                    '\r' => buf.push_str("\\r"),
                    c => buf.push(c),
                }
            }
        }
        other => buf.push_str(&other.to_canonical()),
    }
}

/// The hotline tickets received in a year, for scoring: the columns the
/// engine reads, in `columns.rs` order. SQLite would walk the
/// `received_at` index and look every row up (3.6× slower than one pass
/// over the table, measured on 6 M tickets); the unary `+` makes it scan.
/// PostgreSQL's planner chooses for itself.
pub fn hotline_year_query(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => {
            "SELECT id, unit_code, received_at, due_at, closed_at, integrity_related, verified, satisfaction, is_repeat FROM hotline_tickets WHERE +received_at >= $1 AND +received_at < $2"
        }
        Db::Postgres(_) => {
            "SELECT id, unit_code, received_at, due_at, closed_at, integrity_related, verified, satisfaction, is_repeat FROM hotline_tickets WHERE received_at >= $1 AND received_at < $2"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_insert_numbers_every_parameter() {
        assert_eq!(multi_row_insert("t", &["a", "b"], 2), "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)");
    }

    #[test]
    fn sqlite_batches_use_few_statement_sizes() {
        let rows = vec![vec![Value::Null; 11]; 256 * 2 + 16 * 3 + 5];
        let sizes: Vec<usize> = sqlite_chunks(&rows, 11).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [256, 256, 16, 16, 16, 1, 1, 1, 1, 1]);
        assert_eq!(sizes.iter().sum::<usize>(), rows.len());
    }

    #[test]
    fn copy_cells_escape_framing_characters() {
        let mut buf = String::new();
        copy_text_cell(&mut buf, &Value::text("a\tb\\c\nd"));
        assert_eq!(buf, "a\\tb\\\\c\\nd");
        buf.clear();
        copy_text_cell(&mut buf, &Value::Null);
        copy_text_cell(&mut buf, &Value::Bool(true));
        assert_eq!(buf, "\\Nt");
    }
}
