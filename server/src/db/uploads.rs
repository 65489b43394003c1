//! The tables of uploads waiting for a decision: `staged_imports` (one row
//! per upload, its status and report as JSON text) and
//! `staged_import_files` (its files, their bytes until it is decided).

use chrono::NaiveDateTime;

use super::seal::Field;
use super::{Db, Result, Tx};
use crate::{on_db, on_tx};

/// Where an upload stands: waiting for a decision, or decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadStatus {
    Staged,
    Committed,
    Discarded,
}

impl UploadStatus {
    pub fn code(self) -> &'static str {
        match self {
            UploadStatus::Staged => "staged",
            UploadStatus::Committed => "committed",
            UploadStatus::Discarded => "discarded",
        }
    }
}

impl std::fmt::Display for UploadStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A stored status read back; anything else means the database was altered.
impl TryFrom<String> for UploadStatus {
    type Error = super::DbError;

    fn try_from(text: String) -> std::result::Result<Self, Self::Error> {
        [UploadStatus::Staged, UploadStatus::Committed, UploadStatus::Discarded]
            .into_iter()
            .find(|s| s.code() == text)
            .ok_or_else(|| super::DbError::Corrupt(format!("upload status {text}")))
    }
}

/// How a waiting upload ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Committed,
    Discarded,
}

impl Ending {
    pub fn status(self) -> UploadStatus {
        match self {
            Ending::Committed => UploadStatus::Committed,
            Ending::Discarded => UploadStatus::Discarded,
        }
    }
}

/// An upload as stored; `report` is the JSON text `import::staging` reads.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadRow {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub status: UploadStatus,
    pub report: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
}

/// One of its files, without the bytes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadFileRow {
    pub file_name: String,
    pub source: Option<String>,
    pub size: i64,
}

/// One of its files with the bytes, while it waits.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WaitingFile {
    pub file_name: String,
    pub source: Option<String>,
    pub bytes: Vec<u8>,
}

/// A file to store with a new upload.
pub struct NewFile<'a> {
    pub file_name: &'a str,
    pub source: Option<&'a str>,
    pub size: i64,
    pub bytes: &'a [u8],
}

/// Stores a new upload, `staged`, with its files; its id.
pub async fn insert(tx: &mut Tx, created_by: &str, at: NaiveDateTime, files: &[NewFile<'_>]) -> Result<i64> {
    const UPLOAD: &str = "INSERT INTO staged_imports (status, created_by, created_at) VALUES ('staged', $1, $2) RETURNING id";
    const FILE: &str = "INSERT INTO staged_import_files (staged_id, position, file_name, source, size, bytes) VALUES ($1, $2, $3, $4, $5, $6)";
    let sealer = tx.sealer()?;
    let sealed = files.iter().map(|f| sealer.seal_bytes(Field::StagedFile, f.bytes)).collect::<std::result::Result<Vec<_>, _>>().map_err(super::DbError::DataKey)?;
    Ok(on_tx!(tx, conn => {
        let id: i64 = sqlx::query_scalar(UPLOAD).bind(created_by).bind(at).fetch_one(&mut *conn).await?;
        for (position, (f, bytes)) in files.iter().zip(sealed).enumerate() {
            sqlx::query(FILE).bind(id).bind(position as i32).bind(f.file_name).bind(f.source).bind(f.size).bind(bytes).execute(&mut *conn).await?;
        }
        id
    }))
}

/// The files of a waiting upload with their bytes, in order (none once
/// decided).
pub async fn waiting_files(db: &Db, id: i64) -> Result<Vec<WaitingFile>> {
    const SQL: &str = "SELECT file_name, source, bytes FROM staged_import_files WHERE staged_id = $1 AND bytes IS NOT NULL ORDER BY position";
    let mut files = on_db!(db, pool => sqlx::query_as::<_, WaitingFile>(SQL).bind(id).fetch_all(pool).await?);
    let sealer = db.sealer()?;
    for f in &mut files {
        f.bytes = sealer.open_bytes(Field::StagedFile, std::mem::take(&mut f.bytes))?;
    }
    Ok(files)
}

/// Sets a waiting upload's report.
pub async fn set_report(tx: &mut Tx, id: i64, report: &str) -> Result<()> {
    const SQL: &str = "UPDATE staged_imports SET report = $1 WHERE id = $2 AND status = 'staged'";
    on_tx!(tx, conn => {
        sqlx::query(SQL).bind(report).bind(id).execute(conn).await?;
    });
    Ok(())
}

/// Ends a waiting upload with `status` (and `report`, if given) and drops
/// its bytes; whether it was waiting.
pub async fn finish(tx: &mut Tx, id: i64, ending: Ending, report: Option<&str>, decided_by: &str, at: NaiveDateTime) -> Result<bool> {
    const END: &str = "UPDATE staged_imports SET status = $1, report = COALESCE($2, report), decided_by = $3, decided_at = $4 WHERE id = $5 AND status = 'staged'";
    const DROP_BYTES: &str = "UPDATE staged_import_files SET bytes = NULL WHERE staged_id = $1";
    Ok(on_tx!(tx, conn => {
        let changed = sqlx::query(END).bind(ending.status().code()).bind(report).bind(decided_by).bind(at).bind(id).execute(&mut *conn).await?.rows_affected();
        sqlx::query(DROP_BYTES).bind(id).execute(&mut *conn).await?;
        changed
    }) > 0)
}

/// The uploads waiting since before `cutoff`, oldest first.
pub async fn waiting_since(db: &Db, cutoff: NaiveDateTime) -> Result<Vec<i64>> {
    const SQL: &str = "SELECT id FROM staged_imports WHERE status = 'staged' AND created_at < $1 ORDER BY id";
    Ok(on_db!(db, pool => sqlx::query_scalar::<_, i64>(SQL).bind(cutoff).fetch_all(pool).await?))
}

const SELECT: &str = "SELECT id, status, report, created_by, created_at, decided_by, decided_at FROM staged_imports";

/// One upload.
pub async fn one(db: &Db, id: i64) -> Result<Option<UploadRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1"));
    Ok(on_db!(db, pool => sqlx::query_as::<_, UploadRow>(sql).bind(id).fetch_optional(pool).await?))
}

/// The `limit` most recent uploads, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<UploadRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY id DESC LIMIT $1"));
    Ok(on_db!(db, pool => sqlx::query_as::<_, UploadRow>(sql).bind(limit).fetch_all(pool).await?))
}

/// An upload's files, in order.
pub async fn files(db: &Db, id: i64) -> Result<Vec<UploadFileRow>> {
    const SQL: &str = "SELECT file_name, source, size FROM staged_import_files WHERE staged_id = $1 ORDER BY position";
    Ok(on_db!(db, pool => sqlx::query_as::<_, UploadFileRow>(SQL).bind(id).fetch_all(pool).await?))
}
