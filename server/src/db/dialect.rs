//! The only SQL that differs between SQLite and PostgreSQL, both versions
//! side by side: how a write transaction starts, and how new rows are
//! loaded in bulk (a prepared `INSERT` stepped on the transaction's own
//! SQLite connection, `COPY` on PostgreSQL).

use super::batches::VISIBLE;
use super::{Db, DbError, Pool, Result, Tx, TxConn, Value};
use crate::sources::SourceSpec;

/// An arbitrary but fixed key for PostgreSQL's advisory lock that
/// serialises Zhengxin's writers.
const WRITER_LOCK: i64 = 0x7a68_656e_6778;

/// SQLite: `BEGIN IMMEDIATE` takes the write lock up front, so a
/// transaction that reads before it writes can never fail to upgrade.
/// PostgreSQL: a transaction-scoped advisory lock gives the same one-writer
/// order (the audit chain depends on it) while readers go on unhindered.
pub async fn begin_write(db: &Db) -> Result<TxConn> {
    match &db.pool {
        Pool::Sqlite(pool) => Ok(TxConn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)),
        Pool::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITER_LOCK).execute(&mut *tx).await?;
            Ok(TxConn::Postgres(tx))
        }
    }
}

/// Only rows of a batch being removed are ever deleted (checked in the
/// same statement, so never a batch that was finished meanwhile).
const REMOVING: &str = "EXISTS (SELECT 1 FROM import_batches WHERE id = $1 AND state = 'removing')";

/// Deletes at most `limit` rows of `table` (a source table) written by
/// batch `batch_id`; returns how many went. SQLite finds them by rowid,
/// PostgreSQL by ctid: neither has `DELETE … LIMIT` in the other's form.
pub async fn remove_batch_rows(tx: &mut Tx, table: &'static str, batch_id: i64, limit: i64) -> Result<u64> {
    let row = match tx.conn {
        TxConn::Sqlite(_) => "rowid",
        TxConn::Postgres(_) => "ctid",
    };
    let sql = format!("DELETE FROM {table} WHERE {row} IN (SELECT {row} FROM {table} WHERE batch_id = $1 AND {REMOVING} LIMIT $2)");
    let removed = crate::on_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(batch_id).bind(limit).execute(conn).await?.rows_affected()
    });
    Ok(removed)
}

/// How often a SQLite writer that finds the database locked tries again.
pub const BUSY_RETRY: std::time::Duration = std::time::Duration::from_millis(2);

/// How long it keeps trying before the write fails as busy.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// SQLite: replaces the connection's busy handler with one that retries
/// every [`BUSY_RETRY`] for [`BUSY_TIMEOUT`]. SQLite's own (what
/// `busy_timeout` installs) backs off to one try per 100 ms, so a writer
/// could only be sure to get in during a pause of over 100 ms in another
/// writer's work; with this one a long job in steps needs to pause a few
/// milliseconds ([`super::steps::PAUSE`]).
pub async fn retry_when_busy(conn: &mut sqlx::SqliteConnection) -> std::result::Result<(), sqlx::Error> {
    unsafe extern "C" fn retry(_: *mut std::ffi::c_void, tries: std::ffi::c_int) -> std::ffi::c_int {
        if BUSY_RETRY * u32::try_from(tries).unwrap_or(u32::MAX) >= BUSY_TIMEOUT {
            return 0;
        }
        // On sqlx's worker thread for this connection, like SQLite's own
        // handler's sleep.
        std::thread::sleep(BUSY_RETRY);
        1
    }
    let mut locked = conn.lock_handle().await?;
    let handle = locked.as_raw_handle();
    // SAFETY: the handle is locked for this call; the callback keeps no state.
    let rc = unsafe { rusqlite::ffi::sqlite3_busy_handler(handle.as_ptr(), Some(retry), std::ptr::null_mut()) };
    if rc != rusqlite::ffi::SQLITE_OK {
        return Err(sqlx::Error::Protocol(format!("cannot set the busy handler (SQLite error {rc})")));
    }
    Ok(())
}

/// Rows per `COPY` message to PostgreSQL.
const COPY_CHUNK: usize = 20_000;

/// Inserts rows that are known to be new (the caller has checked their
/// keys) with their batch id appended as the last column.
pub async fn insert_new_rows(tx: &mut Tx, spec: &SourceSpec, rows: Vec<Vec<Value>>, batch_id: i64) -> Result<()> {
    let columns: Vec<&str> = spec.columns.iter().map(|c| c.db).chain(["batch_id"]).collect();
    match &mut tx.conn {
        TxConn::Sqlite(tx) => {
            if rows.is_empty() {
                return Ok(());
            }
            // The rows go in through the transaction's own connection,
            // locked out of sqlx's worker thread for the duration: one
            // prepared single-row INSERT stepped per row, values bound in
            // place. Through sqlx every value was copied into an argument
            // buffer first, which cost as much as SQLite's own B-tree work.
            //
            // It runs right here, holding the lock, and blocks this runtime
            // thread for as long as one call's rows take (callers pass at
            // most 50,000: about a tenth of a second). Not in
            // `block_in_place`: with sqlx's handle lock taken and released
            // in quick succession that hung the seeding of the demo data
            // (a test shows it); not on a blocking thread either, where a
            // dropped future would release the lock while SQLite still
            // works on the handle.
            let sql = format!("INSERT INTO {} ({}) VALUES ({})", spec.table, columns.join(", "), vec!["?"; columns.len()].join(","));
            let mut locked = (&mut **tx).lock_handle().await?;
            let handle = locked.as_raw_handle();
            sqlite_insert(handle.as_ptr(), &sql, spec, rows, batch_id)?;
            drop(locked);
        }
        TxConn::Postgres(tx) => {
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

/// Steps `sql` (a single-row `INSERT` of `spec`'s columns and the batch
/// id) once per row on the locked connection `handle`. Values are stored
/// exactly as sqlx stores them (dates as its text, booleans as 0/1), so
/// either path reads them back alike.
fn sqlite_insert(handle: *mut rusqlite::ffi::sqlite3, sql: &str, spec: &SourceSpec, rows: Vec<Vec<Value>>, batch_id: i64) -> Result<()> {
    use rusqlite::types::Null;
    let fail = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => DbError::Conflict(e.to_string()),
        _ => DbError::Corrupt(format!("inserting into {}: {e}", spec.table)),
    };
    // SAFETY: sqlx's lock on the connection is held by the caller for the
    // whole call, so nothing else uses the handle; `from_handle` does not
    // close it when dropped.
    let conn = unsafe { rusqlite::Connection::from_handle(handle) }.map_err(fail)?;
    {
        let mut insert = conn.prepare(sql).map_err(fail)?;
        let batch = spec.columns.len() + 1;
        let mut date_text = [0u8; 19];
        for row in rows {
            for (i, v) in row.iter().enumerate() {
                let index = i + 1;
                let bound = match v {
                    Value::Null => insert.raw_bind_parameter(index, Null),
                    Value::Text(s) => insert.raw_bind_parameter(index, s.as_str()),
                    Value::Int(n) => insert.raw_bind_parameter(index, n),
                    Value::Float(f) => insert.raw_bind_parameter(index, f),
                    Value::Bool(b) => insert.raw_bind_parameter(index, i64::from(*b)),
                    other => match sqlite_text(other, &mut date_text) {
                        Some(text) => insert.raw_bind_parameter(index, text),
                        None => insert.raw_bind_parameter(index, other.to_canonical()),
                    },
                };
                bound.map_err(fail)?;
            }
            insert.raw_bind_parameter(batch, batch_id).map_err(fail)?;
            insert.raw_execute().map_err(fail)?;
        }
    }
    conn.close().map_err(|(_, e)| fail(e))
}

/// A date or whole-second date-time as the text sqlx's SQLite driver stores
/// for it (`%F` and `%F %T%.f`), written digit by digit: sqlx formats
/// through chrono's format-string interpreter, a tenth of a large import's
/// time, and `write!` still cost a twentieth.
fn sqlite_text<'b>(v: &Value, text: &'b mut [u8; 19]) -> Option<&'b str> {
    use chrono::{Datelike, Timelike};
    let date = match v {
        Value::Date(d) => *d,
        Value::DateTime(dt) if dt.nanosecond() == 0 => dt.date(),
        _ => return None,
    };
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    *text = *b"0000-00-00 00:00:00";
    let mut put = |at: usize, n: u32| {
        text[at] = b'0' + (n / 10) as u8;
        text[at + 1] = b'0' + (n % 10) as u8;
    };
    put(0, year / 100);
    put(2, year % 100);
    put(5, date.month());
    put(8, date.day());
    let len = match v {
        Value::DateTime(dt) => {
            put(11, dt.hour());
            put(14, dt.minute());
            put(17, dt.second());
            19
        }
        _ => 10,
    };
    std::str::from_utf8(&text[..len]).ok()
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

/// SQLite: the tickets received in a year, in one pass over the table:
/// there is no index on `received_at` (migration 0007; walking one and
/// looking every row up was 3.6× slower than the pass, at 6 M tickets).
pub fn hotline_year_sqlite() -> String {
    format!("SELECT {TICKET_COLUMNS} FROM hotline_tickets WHERE received_at >= ?1 AND received_at < ?2 AND {VISIBLE}")
}

/// PostgreSQL: the same tickets as `COPY … TO STDOUT` text, which streams
/// rows far faster than row-by-row fetching. COPY takes no parameters;
/// the bounds are formatted from typed date-times, never from user text.
pub fn hotline_year_copy(start: chrono::NaiveDateTime, next: chrono::NaiveDateTime) -> String {
    let f = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S");
    format!(
        "COPY (SELECT {TICKET_COLUMNS} FROM hotline_tickets WHERE received_at >= TIMESTAMP '{}' AND received_at < TIMESTAMP '{}' AND {VISIBLE}) TO STDOUT",
        f(start),
        f(next)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of every kind of value, inserted in bulk on SQLite, read back
    /// through sqlx exactly as they went in; a duplicate key is reported as
    /// a conflict (on which the importer rolls its transaction back).
    async fn bulk_insert_round_trips() {
        use crate::sources::{DEBT, HOTLINE};
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/t.db", dir.path().display())).await.unwrap();
        let at = |d: u32, h: u32| Value::DateTime(chrono::NaiveDate::from_ymd_opt(2025, 3, d).unwrap().and_hms_opt(h, 5, 0).unwrap());
        let tickets = vec![
            vec![Value::text("H1"), Value::text("330302"), at(7, 9), at(10, 9), at(8, 16), Value::text("complaint"), Value::Bool(true), Value::Bool(false), Value::text("satisfied"), Value::Bool(false)],
            vec![Value::text("H2"), Value::text("330302"), at(7, 10), at(12, 10), Value::Null, Value::text("consult"), Value::Bool(false), Value::Bool(true), Value::Null, Value::Bool(true)],
        ];
        let debt = vec![vec![Value::text("330302"), Value::Int(2025), Value::Float(100.5), Value::Float(80.25), Value::Float(120.0), Value::Float(9.0), Value::Float(0.0), Value::Int(1)]];
        let mut tx = db.begin_write().await.unwrap();
        crate::on_tx!(&mut tx, conn => {
            sqlx::query("INSERT INTO units (code, name, grp) VALUES ('330302', '鹿城区', 'county')").execute(conn).await.unwrap();
        });
        let batch = super::super::batches::start(&mut tx, "hotline", "t.csv", "hash", "test").await.unwrap();
        insert_new_rows(&mut tx, &HOTLINE, tickets.clone(), batch).await.unwrap();
        insert_new_rows(&mut tx, &DEBT, debt.clone(), batch).await.unwrap();
        let again = insert_new_rows(&mut tx, &HOTLINE, vec![tickets[0].clone()], batch).await;
        assert!(matches!(again, Err(DbError::Conflict(_))), "{again:?}");
        super::super::batches::finish(&mut tx, batch, &Default::default()).await.unwrap();
        tx.commit().await.unwrap();
        let ids = vec!["H2".to_string(), "H1".to_string()];
        let read = super::super::records::by_ids(&db, &HOTLINE, &ids).await.unwrap();
        assert_eq!(read, vec![(tickets[1].clone(), Some(batch)), (tickets[0].clone(), Some(batch))]);
        let select = DEBT.columns.iter().map(|c| c.db).collect::<Vec<_>>().join(", ");
        let Pool::Sqlite(pool) = &db.pool else { unreachable!("a SQLite test") };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {select} FROM debt"))).fetch_one(pool).await.unwrap();
        let decode = || -> std::result::Result<Vec<Value>, sqlx::Error> {
            let mut values = Vec::new();
            for (i, c) in DEBT.columns.iter().enumerate() {
                values.push(crate::decode_value!(row, i, c.kind));
            }
            Ok(values)
        };
        let values = decode().unwrap();
        assert_eq!(values, debt[0]);
        db.close().await;
    }

    #[tokio::test]
    async fn bulk_insert_round_trips_on_one_thread() {
        bulk_insert_round_trips().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bulk_insert_round_trips_beside_other_threads() {
        bulk_insert_round_trips().await;
    }

    #[test]
    fn sqlite_dates_are_stored_as_sqlx_would_store_them() {
        let d = chrono::NaiveDate::from_ymd_opt(2025, 3, 7).unwrap();
        let whole = d.and_hms_opt(9, 5, 0).unwrap();
        let text = |v: Value| sqlite_text(&v, &mut [0; 19]).map(str::to_string);
        assert_eq!(text(Value::Date(d)).unwrap(), d.format("%F").to_string());
        assert_eq!(text(Value::DateTime(whole)).unwrap(), whole.format("%F %T%.f").to_string());
        assert_eq!(text(Value::DateTime(whole)).unwrap(), "2025-03-07 09:05:00");
        let late = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap().and_hms_opt(23, 59, 59).unwrap();
        assert_eq!(text(Value::DateTime(late)).unwrap(), late.format("%F %T%.f").to_string());
        let early = chrono::NaiveDate::from_ymd_opt(7, 1, 2).unwrap();
        assert_eq!(text(Value::Date(early)).unwrap(), early.format("%F").to_string());
        // Fractions of a second, years beyond four digits and text are left to sqlx.
        assert_eq!(text(Value::DateTime(d.and_hms_milli_opt(9, 5, 0, 250).unwrap())), None);
        assert_eq!(text(Value::Date(chrono::NaiveDate::from_ymd_opt(-1, 1, 1).unwrap())), None);
        assert_eq!(text(Value::text("2025-03-07")), None);
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
