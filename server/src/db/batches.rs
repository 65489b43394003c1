//! Import batches: which file brought which records, when and by whom.
//!
//! A batch is `pending` from [`start`] to [`finish`]: an import writes in
//! steps ([`super::steps`]) and marks its batches done in its last one.
//! Every read of source records keeps to [`VISIBLE`], so a pending import
//! is never seen in part; [`remove_pending`] takes away what a failed or
//! killed import left.

use serde::Serialize;

use super::{Result, Tx};
use crate::clock::now_cst;

/// What one import or seeding step did to one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.total += other.total;
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

/// The condition a source record must meet to be read: it belongs to no
/// pending batch. One statement sees one snapshot, so a record is read
/// exactly when its import's last step committed before the statement began.
pub const VISIBLE: &str = crate::visible_records!();

/// [`VISIBLE`] as a literal, for `concat!` into constant SQL.
#[macro_export]
macro_rules! visible_records {
    () => {
        "(batch_id IS NULL OR batch_id NOT IN (SELECT id FROM import_batches WHERE state <> 'done'))"
    };
}

/// The tables whose records carry a batch, those naming units before the
/// unit register (rows go in that order when removed).
const RECORD_TABLES: [&str; 8] = [
    "commitments",
    "proposals",
    "hotline_tickets",
    "debt",
    "dishonesty_records",
    "ratings",
    "honours",
    "units",
];

/// Rows removed per statement when a pending batch is taken away.
const REMOVE_CHUNK: i64 = 20_000;

/// Opens a pending batch row; [`finish`] fills in its counts and makes it done.
pub async fn start(tx: &mut Tx, source: &str, file_name: &str, content_hash: &str, actor: &str) -> Result<i64> {
    const SQL: &str = "INSERT INTO import_batches (source, file_name, content_hash, rows_total, rows_inserted, rows_updated, rows_unchanged, actor, imported_at, state) VALUES ($1, $2, $3, 0, 0, 0, 0, $4, $5, 'pending') RETURNING id";
    let id = crate::on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(source).bind(file_name).bind(content_hash).bind(actor).bind(now_cst())
            .fetch_one(conn).await?
    });
    Ok(id)
}

/// Fills in a pending batch's counts and makes it done. A batch that is no
/// longer pending was taken away as a failed import's (its claim lapsed
/// and another import cleared it): the import must fail, not report success.
pub async fn finish(tx: &mut Tx, id: i64, counts: &Counts) -> Result<()> {
    const SQL: &str = "UPDATE import_batches SET rows_total = $1, rows_inserted = $2, rows_updated = $3, rows_unchanged = $4, state = 'done' WHERE id = $5 AND state = 'pending'";
    let changed = crate::on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(counts.total as i64).bind(counts.inserted as i64).bind(counts.updated as i64).bind(counts.unchanged as i64).bind(id)
            .execute(conn).await?.rows_affected()
    });
    if changed != 1 {
        return Err(super::DbError::Corrupt(format!("import batch {id} is no longer pending: the import's claim lapsed and its rows were removed")));
    }
    Ok(())
}

/// Removes a batch that wrote no record (every row already stored as is).
pub async fn discard(tx: &mut Tx, id: i64) -> Result<()> {
    const SQL: &str = "DELETE FROM import_batches WHERE id = $1";
    crate::on_tx!(tx, conn => {
        sqlx::query(SQL).bind(id).execute(conn).await?;
    });
    Ok(())
}

/// The batches not done: an import writing now, one that failed or was
/// killed before its last step, or one whose removal was cut short.
pub async fn pending(db: &super::Db) -> Result<Vec<i64>> {
    const SQL: &str = "SELECT id FROM import_batches WHERE state <> 'done' ORDER BY id";
    Ok(crate::on_db!(db, pool => sqlx::query_scalar::<_, i64>(SQL).fetch_all(pool).await?))
}

/// Removes batches `ids` that are not done, and everything they wrote, in
/// steps. Their records were never visible, so removing them changes
/// nothing anyone has read. The caller holds the import's claim
/// ([`super::claims`]); should an import still be writing one of them
/// anyway (its claim lapsed while it ran), marking them `removing` first
/// makes that import fail at its last step rather than finish with rows
/// missing, and no done batch's rows are ever deleted.
pub async fn remove_pending(db: &super::Db, ids: &[i64]) -> Result<()> {
    const MARK: &str = "UPDATE import_batches SET state = 'removing' WHERE id = $1 AND state <> 'done'";
    const FORGET_UPDATES: &str = "DELETE FROM import_pending_updates WHERE batch_id = $1";
    const FORGET_BATCH: &str = "DELETE FROM import_batches WHERE id = $1 AND state = 'removing'";
    if ids.is_empty() {
        return Ok(());
    }
    let mut steps = super::steps::Steps::new(db);
    let tx = steps.tx().await?;
    for &id in ids {
        crate::on_tx!(&mut *tx, conn => {
            sqlx::query(MARK).bind(id).execute(conn).await?;
        });
    }
    steps.commit().await?;
    // Table by table, every batch: records naming units go before the
    // units they name, whichever batch brought them.
    for table in RECORD_TABLES {
        // A unit register goes in one step: a township and its county
        // removed in different steps would fail the parent check.
        let chunk = if table == "units" { i64::MAX } else { REMOVE_CHUNK };
        for &id in ids {
            loop {
                let removed = super::dialect::remove_batch_rows(steps.tx().await?, table, id, chunk).await?;
                if table != "units" {
                    steps.next().await?;
                }
                if removed < chunk as u64 {
                    break;
                }
            }
        }
        steps.next().await?;
    }
    let tx = steps.tx().await?;
    for &id in ids {
        crate::on_tx!(&mut *tx, conn => {
            sqlx::query(FORGET_UPDATES).bind(id).execute(&mut *conn).await?;
            sqlx::query(FORGET_BATCH).bind(id).execute(&mut *conn).await?;
        });
    }
    steps.commit().await
}

/// Where a record came from: one import batch as people read it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BatchInfo {
    pub id: i64,
    pub source: String,
    pub file_name: String,
    pub actor: String,
    pub imported_at: chrono::NaiveDateTime,
}

pub async fn info(db: &super::Db, id: i64) -> Result<Option<BatchInfo>> {
    const SQL: &str = "SELECT id, source, file_name, actor, imported_at FROM import_batches WHERE id = $1";
    Ok(crate::on_db!(db, pool => sqlx::query_as::<_, BatchInfo>(SQL).bind(id).fetch_optional(pool).await?))
}
