//! The result tables: `result_versions` (one row per version: its
//! provenance, rulebook, hashes and publication) and the rows of each
//! version, `unit_results`, `indicator_results` and `quality_findings`.
//! `scoring::results` builds and hashes them; `scoring::stored` reads a
//! version once for every reader.

use analytics::domain::{Grade, PeerGroup};
use chrono::NaiveDateTime;
use serde::Serialize;

use super::{Db, Result, Tx};
use crate::{on_db, on_tx};

/// One unit's result.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct UnitResult {
    pub unit_code: String,
    pub unit_name: String,
    #[sqlx(rename = "grp", try_from = "String")]
    pub group: PeerGroup,
    pub parent_code: Option<String>,
    pub total: f64,
    pub base: f64,
    pub bonus: f64,
    pub rank: Option<i64>,
    pub county_rank: Option<i64>,
    pub group_size: i64,
    #[sqlx(try_from = "String")]
    pub grade: Grade,
    pub vetoed: bool,
    pub veto_reason: Option<String>,
    pub prev_total: Option<f64>,
    pub prev_rank: Option<i64>,
    pub total_change: Option<f64>,
    pub rank_change: Option<i64>,
}

/// One unit's result on one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct IndicatorResult {
    pub unit_code: String,
    pub indicator: String,
    pub dimension: String,
    pub weight: f64,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub applicable: bool,
    pub points: Option<f64>,
}

/// One data-quality finding.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Finding {
    pub kind: String,
    pub source: String,
    pub unit_code: Option<String>,
    pub record_id: Option<String>,
    pub detail: String,
}

/// A version's identity and provenance.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct VersionInfo {
    pub id: i64,
    /// A 64-bit integer on both back-ends, read as the year it is; one
    /// out of `i32`'s range reads as [`super::DbError::Corrupt`].
    #[sqlx(try_from = "i64")]
    pub year: i32,
    pub version: i64,
    pub as_of: NaiveDateTime,
    pub rulebook_hash: String,
    pub inputs_fingerprint: String,
    pub content_hash: String,
    pub computed_at: NaiveDateTime,
    pub computed_by: String,
    pub published_at: Option<NaiveDateTime>,
    pub published_by: Option<String>,
    /// The audit chain's head when this version was stored, and once it
    /// is published the head at publication (what the results notice
    /// prints and the public page shows); none for versions stored before
    /// heads were kept.
    pub audit_head: Option<String>,
    /// The content digest of its inputs ([`crate::scoring::digest`]); none for
    /// versions stored before digests were kept.
    pub inputs_digest: Option<String>,
}

const INSERT_UNIT: &str = "INSERT INTO unit_results (version_id, unit_code, unit_name, grp, parent_code, total, base, bonus, rank, county_rank, group_size, grade, vetoed, veto_reason, prev_total, prev_rank, total_change, rank_change) ";
const INSERT_INDICATOR: &str = "INSERT INTO indicator_results (version_id, unit_code, indicator, position, dimension, weight, numerator, denominator, value, applicable, points) ";
const INSERT_FINDING: &str = "INSERT INTO quality_findings (version_id, position, kind, source, unit_code, record_id, detail) ";

/// Rows per INSERT statement: at most 18 parameters a row, 18,000 a
/// statement, under SQLite's 32,766 and PostgreSQL's 65,535.
const ROWS_PER_INSERT: usize = 1_000;

/// Writes the rows of version `id` (inside the caller's transaction), a
/// thousand rows a statement: a version of Wenzhou's 232 units has about
/// 3,700 rows, and one statement a row cost a first scoring about 0.2 s of
/// round trips to the database's worker.
pub async fn insert_rows(tx: &mut Tx, id: i64, units: &[UnitResult], indicators: &[IndicatorResult], findings: &[Finding]) -> Result<()> {
    on_tx!(tx, conn => {
        for chunk in units.chunks(ROWS_PER_INSERT) {
            sqlx::QueryBuilder::new(INSERT_UNIT)
                .push_values(chunk, |mut b, u| {
                    b.push_bind(id).push_bind(&u.unit_code).push_bind(&u.unit_name).push_bind(u.group.code()).push_bind(&u.parent_code)
                        .push_bind(u.total).push_bind(u.base).push_bind(u.bonus).push_bind(u.rank).push_bind(u.county_rank).push_bind(u.group_size)
                        .push_bind(u.grade.code()).push_bind(u.vetoed).push_bind(&u.veto_reason).push_bind(u.prev_total).push_bind(u.prev_rank)
                        .push_bind(u.total_change).push_bind(u.rank_change);
                })
                .build()
                .execute(&mut *conn).await?;
        }
        let positioned: Vec<(i64, &IndicatorResult)> = indicators.iter().enumerate().map(|(p, r)| (p as i64, r)).collect();
        for chunk in positioned.chunks(ROWS_PER_INSERT) {
            sqlx::QueryBuilder::new(INSERT_INDICATOR)
                .push_values(chunk, |mut b, (position, r)| {
                    b.push_bind(id).push_bind(&r.unit_code).push_bind(&r.indicator).push_bind(*position).push_bind(&r.dimension)
                        .push_bind(r.weight).push_bind(r.numerator).push_bind(r.denominator).push_bind(r.value).push_bind(r.applicable).push_bind(r.points);
                })
                .build()
                .execute(&mut *conn).await?;
        }
        let positioned: Vec<(i64, &Finding)> = findings.iter().enumerate().map(|(p, q)| (p as i64, q)).collect();
        for chunk in positioned.chunks(ROWS_PER_INSERT) {
            sqlx::QueryBuilder::new(INSERT_FINDING)
                .push_values(chunk, |mut b, (position, q)| {
                    b.push_bind(id).push_bind(*position).push_bind(&q.kind).push_bind(&q.source).push_bind(&q.unit_code).push_bind(&q.record_id).push_bind(&q.detail);
                })
                .build()
                .execute(&mut *conn).await?;
        }
    });
    Ok(())
}

const SELECT_UNITS: &str = "SELECT unit_code, unit_name, grp, parent_code, total, base, bonus, rank, county_rank, group_size, grade, vetoed, veto_reason, prev_total, prev_rank, total_change, rank_change FROM unit_results WHERE version_id = $1";
const SELECT_INDICATORS: &str = "SELECT unit_code, indicator, dimension, weight, numerator, denominator, value, applicable, points FROM indicator_results WHERE version_id = $1 ORDER BY position";
const SELECT_UNIT_INDICATORS: &str = "SELECT unit_code, indicator, dimension, weight, numerator, denominator, value, applicable, points FROM indicator_results WHERE version_id = $1 AND unit_code = $2 ORDER BY position";
const SELECT_FINDINGS: &str = "SELECT kind, source, unit_code, record_id, detail FROM quality_findings WHERE version_id = $1 ORDER BY position";

/// The unit rows of version `id` in the engine's order: by group, then
/// rank (unranked last), then code. The table keeps no position for them
/// and the order is a group's, not a collation's, so it is restored here.
pub async fn units(db: &Db, id: i64) -> Result<Vec<UnitResult>> {
    let mut units = on_db!(db, pool => sqlx::query_as::<_, UnitResult>(SELECT_UNITS).bind(id).fetch_all(pool).await?);
    units.sort_by(|a, b| {
        a.group
            .cmp(&b.group)
            .then(a.rank.is_none().cmp(&b.rank.is_none()))
            .then(a.rank.cmp(&b.rank))
            .then(a.unit_code.cmp(&b.unit_code))
    });
    Ok(units)
}

/// The indicator rows of version `id` (of one unit when given), in the
/// engine's order.
pub async fn indicators(db: &Db, id: i64, unit_code: Option<&str>) -> Result<Vec<IndicatorResult>> {
    Ok(on_db!(db, pool => match unit_code {
        Some(code) => sqlx::query_as::<_, IndicatorResult>(SELECT_UNIT_INDICATORS).bind(id).bind(code).fetch_all(pool).await?,
        None => sqlx::query_as::<_, IndicatorResult>(SELECT_INDICATORS).bind(id).fetch_all(pool).await?,
    }))
}

/// The data-quality findings of version `id`, in the engine's order.
pub async fn findings(db: &Db, id: i64) -> Result<Vec<Finding>> {
    Ok(on_db!(db, pool => sqlx::query_as::<_, Finding>(SELECT_FINDINGS).bind(id).fetch_all(pool).await?))
}

/// A year's results at a glance.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct YearState {
    #[sqlx(try_from = "i64")]
    pub year: i32,
    pub versions: i64,
    pub newest_id: i64,
    pub published: i64,
}

/// Every year with a result, oldest first, in one query. Any scoring or
/// publication changes it, so pages use it as their cache's epoch.
pub async fn year_states(db: &Db) -> Result<Vec<YearState>> {
    const SQL: &str = "SELECT year, COUNT(*) AS versions, MAX(id) AS newest_id, COUNT(published_at) AS published FROM result_versions GROUP BY year ORDER BY year";
    Ok(on_db!(db, pool => sqlx::query_as::<_, YearState>(SQL).fetch_all(pool).await?))
}

const SELECT_VERSIONS: &str = "SELECT id, year, version, as_of, rulebook_hash, inputs_fingerprint, content_hash, computed_at, computed_by, published_at, published_by, audit_head, inputs_digest FROM result_versions WHERE year = $1 ORDER BY version";

/// Every version of `year`, oldest first.
pub async fn versions(db: &Db, year: i32) -> Result<Vec<VersionInfo>> {
    Ok(on_db!(db, pool => sqlx::query_as::<_, VersionInfo>(SELECT_VERSIONS).bind(i64::from(year)).fetch_all(pool).await?))
}

/// [`versions`], read inside a write transaction (under the writer lock).
pub async fn versions_in(tx: &mut Tx, year: i32) -> Result<Vec<VersionInfo>> {
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, VersionInfo>(SELECT_VERSIONS).bind(i64::from(year)).fetch_all(conn).await?))
}

/// The rulebook text stored with version `id`.
pub async fn rulebook_text(db: &Db, id: i64) -> Result<String> {
    Ok(on_db!(db, pool => sqlx::query_scalar::<_, String>("SELECT rulebook FROM result_versions WHERE id = $1").bind(id).fetch_one(pool).await?))
}

/// What a new version is stored with.
pub struct NewVersion<'a> {
    pub year: i32,
    pub as_of: NaiveDateTime,
    pub rulebook: &'a str,
    pub rulebook_hash: &'a str,
    pub inputs_fingerprint: &'a str,
    pub content_hash: &'a str,
    pub computed_at: NaiveDateTime,
    pub computed_by: &'a str,
    pub inputs_digest: &'a str,
}

/// Stores a new version of its year, numbered one above the latest; its
/// (id, number).
pub async fn insert_version(tx: &mut Tx, v: &NewVersion<'_>) -> Result<(i64, i64)> {
    const SQL: &str = "INSERT INTO result_versions (year, version, as_of, rulebook, rulebook_hash, inputs_fingerprint, content_hash, computed_at, computed_by, inputs_digest) \
                       VALUES ($1, (SELECT COALESCE(MAX(version), 0) + 1 FROM result_versions WHERE year = $1), $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, version";
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, (i64, i64)>(SQL)
            .bind(i64::from(v.year)).bind(v.as_of).bind(v.rulebook).bind(v.rulebook_hash)
            .bind(v.inputs_fingerprint).bind(v.content_hash).bind(v.computed_at).bind(v.computed_by).bind(v.inputs_digest)
            .fetch_one(conn).await?
    }))
}

/// Keeps the audit chain's head with version `id`.
pub async fn set_audit_head(tx: &mut Tx, id: i64, head: &str) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE result_versions SET audit_head = $1 WHERE id = $2").bind(head).bind(id).execute(conn).await?;
    });
    Ok(())
}

/// Publishes version `id` unless it is published; whether it was not.
pub async fn publish(tx: &mut Tx, id: i64, at: NaiveDateTime, by: &str) -> Result<bool> {
    const SQL: &str = "UPDATE result_versions SET published_at = $1, published_by = $2 WHERE id = $3 AND published_at IS NULL";
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(at).bind(by).bind(id).execute(conn).await?.rows_affected()) > 0)
}
