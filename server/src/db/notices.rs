//! The `notices` table: supervision notices (通报) as issued, kept whole so
//! that each can be handed out again byte for byte.

use chrono::{NaiveDate, NaiveDateTime};

use super::{Db, Result, Tx};
use crate::{on_db, on_tx};

/// A notice's description, without its content and PDF.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NoticeInfo {
    pub id: i64,
    pub as_of: NaiveDate,
    pub issued_by: String,
    pub issued_at: NaiveDateTime,
    pub content_hash: String,
}

/// A notice as issued.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredNotice {
    #[sqlx(flatten)]
    pub info: NoticeInfo,
    /// The document's data (JSON), from which the printable page is made.
    pub content: String,
    pub pdf: Vec<u8>,
}

/// Stores an issued notice; its id.
pub async fn insert(tx: &mut Tx, as_of: NaiveDate, issued_by: &str, issued_at: NaiveDateTime, content: &str, content_hash: &str, pdf: &[u8]) -> Result<i64> {
    const SQL: &str = "INSERT INTO notices (as_of, issued_by, issued_at, content, content_hash, pdf) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    Ok(on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(as_of).bind(issued_by).bind(issued_at).bind(content).bind(content_hash).bind(pdf).fetch_one(conn).await?
    }))
}

const IN_YEAR: &str = "SELECT COUNT(*) FROM notices WHERE issued_at >= $1 AND issued_at < $2";

fn year_bounds(year: i32) -> (NaiveDateTime, NaiveDateTime) {
    let start = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(NaiveDate::MAX).and_hms_opt(0, 0, 0).unwrap_or_default();
    (start(year), start(year + 1))
}

/// Notices issued in `year` (their numbers run from 1 each year).
pub async fn issued_in_year(db: &Db, year: i32) -> Result<i64> {
    let (from, to) = year_bounds(year);
    Ok(on_db!(db, pool => sqlx::query_scalar::<_, i64>(IN_YEAR).bind(from).bind(to).fetch_one(pool).await?))
}

/// [`issued_in_year`], inside the transaction that issues the next.
pub async fn issued_in_year_tx(tx: &mut Tx, year: i32) -> Result<i64> {
    let (from, to) = year_bounds(year);
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(IN_YEAR).bind(from).bind(to).fetch_one(conn).await?))
}

/// Every issued notice, the newest first.
pub async fn list(db: &Db) -> Result<Vec<NoticeInfo>> {
    const SQL: &str = "SELECT id, as_of, issued_by, issued_at, content_hash FROM notices ORDER BY id DESC";
    Ok(on_db!(db, pool => sqlx::query_as::<_, NoticeInfo>(SQL).fetch_all(pool).await?))
}

/// One issued notice, whole.
pub async fn get(db: &Db, id: i64) -> Result<Option<StoredNotice>> {
    const SQL: &str = "SELECT id, as_of, issued_by, issued_at, content_hash, content, pdf FROM notices WHERE id = $1";
    Ok(on_db!(db, pool => sqlx::query_as::<_, StoredNotice>(SQL).bind(id).fetch_optional(pool).await?))
}
