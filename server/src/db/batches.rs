//! Import batches: which file brought which records, when and by whom.

use serde::Serialize;
use sqlx::Row;

use super::{Result, Tx, now_cst};

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

/// Opens a batch row; its counts are filled in by [`finish`].
pub async fn start(tx: &mut Tx, source: &str, file_name: &str, content_hash: &str, actor: &str) -> Result<i64> {
    const SQL: &str = "INSERT INTO import_batches (source, file_name, content_hash, rows_total, rows_inserted, rows_updated, rows_unchanged, actor, imported_at) VALUES ($1, $2, $3, 0, 0, 0, 0, $4, $5) RETURNING id";
    let id = crate::on_tx!(tx, conn => {
        sqlx::query(SQL).bind(source).bind(file_name).bind(content_hash).bind(actor).bind(now_cst())
            .fetch_one(conn).await?.try_get::<i64, _>(0)?
    });
    Ok(id)
}

pub async fn finish(tx: &mut Tx, id: i64, counts: &Counts) -> Result<()> {
    const SQL: &str = "UPDATE import_batches SET rows_total = $1, rows_inserted = $2, rows_updated = $3, rows_unchanged = $4 WHERE id = $5";
    crate::on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(counts.total as i64).bind(counts.inserted as i64).bind(counts.updated as i64).bind(counts.unchanged as i64).bind(id)
            .execute(conn).await?;
    });
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

/// Where a record came from: one import batch as people read it.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchInfo {
    pub id: i64,
    pub source: String,
    pub file_name: String,
    pub actor: String,
    pub imported_at: chrono::NaiveDateTime,
}

pub async fn info(db: &super::Db, id: i64) -> Result<Option<BatchInfo>> {
    const SQL: &str = "SELECT id, source, file_name, actor, imported_at FROM import_batches WHERE id = $1";
    let found = crate::on_db!(db, pool => {
        match sqlx::query(SQL).bind(id).fetch_optional(pool).await? {
            Some(r) => Some(BatchInfo {
                id: r.try_get(0)?,
                source: r.try_get(1)?,
                file_name: r.try_get(2)?,
                actor: r.try_get(3)?,
                imported_at: r.try_get(4)?,
            }),
            None => None,
        }
    });
    Ok(found)
}
