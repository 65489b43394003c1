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
pub async fn insert_new_rows(tx: &mut Tx, spec: &SourceSpec, rows: Vec<Vec<Value>>, batch_id: i64) -> Result<()> {
    let columns: Vec<&str> = spec.columns.iter().map(|c| c.db).chain(["batch_id"]).collect();
    match tx {
        Tx::Sqlite(tx) => {
            let sizes = sqlite_chunk_sizes(rows.len(), columns.len());
            let mut rows = rows.into_iter();
            for size in sizes {
                let sql = multi_row_insert(spec.table, &columns, size);
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for row in rows.by_ref().take(size) {
                    for (c, v) in spec.columns.iter().zip(row) {
                        // Owned text moves into the statement; sqlx copies borrowed text.
                        q = match (sqlite_text(&v), v) {
                            (Some(text), _) => q.bind(text),
                            (None, Value::Text(s)) => q.bind(s),
                            (None, v) => crate::bind_value!(q, c.kind, &v),
                        };
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

/// How many rows each `INSERT` of `rows` rows takes: the sizes of
/// [`SQLITE_ROWS_PER_INSERT`], largest first.
fn sqlite_chunk_sizes(rows: usize, columns: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut rest = rows;
    for size in SQLITE_ROWS_PER_INSERT {
        let size = size.min(SQLITE_MAX_PARAMS / columns).max(1);
        while rest >= size {
            out.push(size);
            rest -= size;
        }
    }
    out
}

/// `INSERT … VALUES (?,?),(?,?)…` for SQLite. Anonymous `?` rather than
/// the portable `$N`: sqlx binds each numbered parameter after looking its
/// name up in a list SQLite scans from the start, which makes binding a
/// statement of thousands of `$N` quadratic (two thirds of a large
/// import's time went there); `?` parameters have no names to look up.
fn multi_row_insert(table: &str, columns: &[&str], rows: usize) -> String {
    let row = format!("({})", vec!["?"; columns.len()].join(","));
    format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), vec![row; rows].join(","))
}

/// A date or whole-second date-time as the text sqlx's SQLite driver stores
/// for it (`%F` and `%F %T%.f`), written directly: sqlx formats through
/// chrono's format-string interpreter, a tenth of a large import's time.
fn sqlite_text(v: &Value) -> Option<String> {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let date = match v {
        Value::Date(d) => *d,
        Value::DateTime(dt) if dt.nanosecond() == 0 => dt.date(),
        _ => return None,
    };
    if !(0..=9999).contains(&date.year()) {
        return None;
    }
    let mut s = String::with_capacity(19);
    let _ = write!(s, "{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
    if let Value::DateTime(dt) = v {
        let _ = write!(s, " {:02}:{:02}:{:02}", dt.hour(), dt.minute(), dt.second());
    }
    Some(s)
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

/// The columns of the hotline tickets that scoring reads, in order.
const TICKET_COLUMNS: &str = "id, unit_code, received_at, due_at, closed_at, integrity_related, verified, satisfaction, is_repeat";

/// SQLite: the tickets received in a year. SQLite would walk the
/// `received_at` index and look every row up (3.6× slower than one pass
/// over the table, measured on 6 M tickets); the unary `+` makes it scan.
pub fn hotline_year_sqlite() -> String {
    format!("SELECT {TICKET_COLUMNS} FROM hotline_tickets WHERE +received_at >= ?1 AND +received_at < ?2")
}

/// PostgreSQL: the same tickets as `COPY … TO STDOUT` text, which streams
/// rows far faster than row-by-row fetching. COPY takes no parameters;
/// the bounds are formatted from typed date-times, never from user text.
pub fn hotline_year_copy(start: chrono::NaiveDateTime, next: chrono::NaiveDateTime) -> String {
    let f = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S");
    format!(
        "COPY (SELECT {TICKET_COLUMNS} FROM hotline_tickets WHERE received_at >= TIMESTAMP '{}' AND received_at < TIMESTAMP '{}') TO STDOUT",
        f(start),
        f(next)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_insert_has_one_parameter_per_value() {
        assert_eq!(multi_row_insert("t", &["a", "b"], 2), "INSERT INTO t (a, b) VALUES (?,?),(?,?)");
    }

    #[test]
    fn sqlite_batches_use_few_statement_sizes() {
        let rows = 256 * 2 + 16 * 3 + 5;
        let sizes = sqlite_chunk_sizes(rows, 11);
        assert_eq!(sizes, [256, 256, 16, 16, 16, 1, 1, 1, 1, 1]);
        assert_eq!(sizes.iter().sum::<usize>(), rows);
        assert_eq!(sqlite_chunk_sizes(3, 20_000), [1, 1, 1]);
    }

    #[test]
    fn sqlite_dates_are_stored_as_sqlx_would_store_them() {
        let d = chrono::NaiveDate::from_ymd_opt(2025, 3, 7).unwrap();
        let whole = d.and_hms_opt(9, 5, 0).unwrap();
        assert_eq!(sqlite_text(&Value::Date(d)).unwrap(), d.format("%F").to_string());
        assert_eq!(sqlite_text(&Value::DateTime(whole)).unwrap(), whole.format("%F %T%.f").to_string());
        assert_eq!(sqlite_text(&Value::DateTime(whole)).unwrap(), "2025-03-07 09:05:00");
        // Fractions of a second and text are left to sqlx.
        assert_eq!(sqlite_text(&Value::DateTime(d.and_hms_milli_opt(9, 5, 0, 250).unwrap())), None);
        assert_eq!(sqlite_text(&Value::text("2025-03-07")), None);
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
