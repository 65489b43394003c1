//! The audit administrator's review of the audit log (安全审计, GB/T
//! 22239-2019 level 3): entries searched by time, actor, action and
//! object, exported as CSV, and the chain verified.
//!
//! Reading the log a page at a time is not itself audited (it would add
//! an entry for each look at the entries); what leaves the system or
//! states the log's integrity is: an export (`audit_export`, with its
//! filter and how many entries it held) and a verification
//! (`audit_verify`, with its outcome).
//!
//! Entries are kept at least [`KEPT_DAYS`] days, and never changed: the
//! database refuses otherwise (migration 0010), whoever asks.

use chrono::NaiveDateTime;
use futures_util::Stream;

use crate::db::audit::review;
use crate::db::{Db, DbError};
use crate::scoring::export::Cell;

pub use crate::db::audit::Verification;
pub use crate::db::audit::review::{Filter, ReviewEntry};

/// How long an entry is kept at the least: the Cybersecurity Law's six
/// months (网络安全法 第二十一条), as the triggers of migration 0010 say.
pub const KEPT_DAYS: i64 = 180;
/// Entries on one page of the review.
pub const PER_PAGE: i64 = 50;
/// Entries read from the database at once while an export is written.
const EXPORT_CHUNK: i64 = 2_000;

/// What one page of the review shows.
#[derive(Debug, Clone)]
pub struct Listing {
    pub entries: Vec<ReviewEntry>,
    /// Entries matching the filter, over all pages.
    pub matching: i64,
    pub page: i64,
    pub pages: i64,
    /// Every action the log holds (the filter's choices).
    pub actions: Vec<String>,
    /// The oldest entry's time: how far back the log reaches.
    pub oldest: Option<NaiveDateTime>,
}

/// Page `page` (from 1; past the last, the last) of the entries matching
/// `filter`, newest first.
pub async fn list(db: &Db, filter: &Filter, page: i64) -> Result<Listing, DbError> {
    let matching = review::count(db, filter).await?;
    let pages = ((matching + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    Ok(Listing {
        entries: review::page(db, filter, page, PER_PAGE).await?,
        matching,
        page,
        pages,
        actions: review::actions(db).await?,
        oldest: review::oldest(db).await?,
    })
}

/// A listing of no entries (a filter that could not be read), with the
/// filter's choices.
pub async fn none(db: &Db) -> Result<Listing, DbError> {
    Ok(Listing { entries: Vec::new(), matching: 0, page: 1, pages: 1, actions: review::actions(db).await?, oldest: review::oldest(db).await? })
}

/// Walks the whole chain and records who verified it and what was found.
pub async fn verify(db: &Db, actor: &str) -> Result<Verification, DbError> {
    let found = crate::db::audit::verify(db).await?;
    let metrics = crate::metrics::get();
    metrics.audit_verified_at.set(crate::clock::unix_seconds(crate::clock::now_cst()));
    metrics.audit_intact.set(i64::from(found.problem.is_none()));
    let detail = serde_json::json!({
        "entries": found.entries,
        "head": found.head,
        "intact": found.problem.is_none(),
        "problem": found.problem.as_ref().map(|p| p.kind),
    });
    crate::db::audit::record_one(db, actor, "audit_verify", "audit_log", "chain", detail).await?;
    Ok(found)
}

/// Why a review cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Csv(#[from] crate::scoring::export::ExportError),
}

/// The CSV's columns.
pub const COLUMNS: [&str; 8] = ["id", "at", "actor", "action", "entity", "entity_key", "detail", "hash"];

/// The entries matching `filter` as CSV (UTF-8 with BOM, newest first),
/// written as they are read, [`EXPORT_CHUNK`] at a time, so a log of any
/// length costs the same memory. The export is audited before its first
/// byte, with the filter and the entries it holds.
pub async fn export(db: &Db, filter: Filter, actor: &str) -> Result<impl Stream<Item = Result<Vec<u8>, ReviewError>> + use<>, ReviewError> {
    let matching = review::count(db, &filter).await?;
    // The newest matching entry bounds the file: entries written after
    // the count (the export's own among them) do not join it.
    let below = review::before(db, &filter, None, 1).await?.first().map(|e| e.id + 1);
    let detail = serde_json::json!({
        "from": filter.from.map(|t| t.to_string()),
        "until": filter.until.map(|t| t.to_string()),
        "actor": filter.actor,
        "action": filter.action,
        "object": filter.object,
        "entries": matching,
    });
    crate::db::audit::record_one(db, actor, "audit_export", "audit_log", "export", detail).await?;
    let state = Chunks { db: db.clone(), filter, below, header: true, finished: false };
    Ok(futures_util::stream::unfold(state, |mut s| async move {
        let chunk = next_chunk(&mut s).await;
        if chunk.is_err() {
            s.finished = true;
        }
        match chunk {
            Ok(bytes) if bytes.is_empty() => None,
            chunk => Some((chunk, s)),
        }
    }))
}

/// Where an export has got to.
struct Chunks {
    db: Db,
    filter: Filter,
    /// Entries below this id are still to be written; `None`: none are.
    below: Option<i64>,
    header: bool,
    finished: bool,
}

/// The export's next bytes: the header first, then the next entries;
/// empty once everything is written.
async fn next_chunk(s: &mut Chunks) -> Result<Vec<u8>, ReviewError> {
    let mut out = Vec::new();
    if s.finished {
        return Ok(out);
    }
    if std::mem::take(&mut s.header) {
        out.extend_from_slice(b"\xEF\xBB\xBF");
        crate::scoring::export::csv_records(&mut out, [COLUMNS.iter().map(|c| Cell::Text(c.to_string())).collect()])?;
    }
    let Some(below) = s.below else {
        s.finished = true;
        return Ok(out);
    };
    let rows = review::before(&s.db, &s.filter, Some(below), EXPORT_CHUNK).await?;
    s.below = if (rows.len() as i64) < EXPORT_CHUNK { None } else { rows.last().map(|e| e.id) };
    let cells = rows.into_iter().map(|e| {
        vec![
            Cell::Text(e.id.to_string()),
            Cell::Text(e.at.format("%Y-%m-%d %H:%M:%S").to_string()),
            Cell::Text(e.actor),
            Cell::Text(e.action),
            Cell::Text(e.entity),
            Cell::Text(e.entity_key),
            Cell::Text(e.detail),
            Cell::Text(e.hash),
        ]
    });
    crate::scoring::export::csv_records(&mut out, cells)?;
    Ok(out)
}
