//! A result version as plain rows: taken from the engine's frames, written
//! to and read from storage, hashed, exported. Both back-ends read and
//! write the same rows through the same portable SQL.

use analytics::Assessment;
use analytics::columns::*;
use analytics::polars::prelude::{AnyValue, DataFrame};
use chrono::NaiveDateTime;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::audit::to_hex;
use crate::db::{Db, Result, Tx};
use crate::{on_db, on_tx};

/// One unit's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitResult {
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    pub parent_code: Option<String>,
    pub total: f64,
    pub base: f64,
    pub bonus: f64,
    pub rank: Option<i64>,
    pub county_rank: Option<i64>,
    pub group_size: i64,
    pub grade: String,
    pub vetoed: bool,
    pub veto_reason: Option<String>,
    pub prev_total: Option<f64>,
    pub prev_rank: Option<i64>,
    pub total_change: Option<f64>,
    pub rank_change: Option<i64>,
}

/// One unit's result on one indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: String,
    pub source: String,
    pub unit_code: Option<String>,
    pub record_id: Option<String>,
    pub detail: String,
}

/// A version's identity and provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionInfo {
    pub id: i64,
    pub year: i64,
    pub version: i64,
    pub as_of: NaiveDateTime,
    pub rulebook_hash: String,
    pub inputs_fingerprint: String,
    pub content_hash: String,
    pub computed_at: NaiveDateTime,
    pub computed_by: String,
    pub published_at: Option<NaiveDateTime>,
    pub published_by: Option<String>,
    /// The audit chain's head when this version was stored (none for
    /// versions stored before heads were kept).
    pub audit_head: Option<String>,
    /// The content digest of its inputs ([`super::digest`]); none for
    /// versions stored before digests were kept.
    pub inputs_digest: Option<String>,
}

impl VersionInfo {
    /// What the content hash says of the inputs: their fingerprint, and
    /// their digest where the version has one.
    pub fn inputs_identity(&self) -> String {
        inputs_identity(&self.inputs_fingerprint, self.inputs_digest.as_deref())
    }
}

/// See [`VersionInfo::inputs_identity`].
pub fn inputs_identity(fingerprint: &str, digest: Option<&str>) -> String {
    match digest {
        Some(d) => format!("{fingerprint}+{d}"),
        None => fingerprint.to_string(),
    }
}

/// Every row of a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultRows {
    pub units: Vec<UnitResult>,
    pub indicators: Vec<IndicatorResult>,
    pub quality: Vec<Finding>,
}

fn cell<'a>(df: &'a DataFrame, name: &str, i: usize) -> AnyValue<'a> {
    df.column(name).and_then(|c| c.get(i)).unwrap_or(AnyValue::Null)
}

fn text(v: AnyValue<'_>) -> Option<String> {
    match v {
        AnyValue::Null => None,
        v => Some(v.str_value().to_string()),
    }
}

fn float(v: AnyValue<'_>) -> Option<f64> {
    match v {
        AnyValue::Null => None,
        v => v.extract::<f64>(),
    }
}

fn int(v: AnyValue<'_>) -> Option<i64> {
    match v {
        AnyValue::Null => None,
        v => v.extract::<i64>(),
    }
}

fn boolean(v: AnyValue<'_>) -> bool {
    matches!(v, AnyValue::Boolean(true))
}

impl ResultRows {
    /// Only one peer group's and/or one unit's rows, for a narrower export
    /// in the same format. Quality findings follow their unit; findings
    /// about no unit stay only in an export of more than one unit.
    pub fn only(mut self, group: Option<&str>, unit: Option<&str>) -> ResultRows {
        self.units.retain(|u| group.is_none_or(|g| u.group == g) && unit.is_none_or(|c| u.unit_code == c));
        let kept: std::collections::HashSet<&str> = self.units.iter().map(|u| u.unit_code.as_str()).collect();
        self.indicators.retain(|i| kept.contains(i.unit_code.as_str()));
        self.quality.retain(|q| match &q.unit_code {
            Some(code) => kept.contains(code.as_str()),
            None => unit.is_none() && group.is_none(),
        });
        self
    }

    /// The engine's frames as rows (a few thousand: units × indicators).
    pub fn from_assessment(a: &Assessment) -> ResultRows {
        let u = &a.units;
        let units = (0..u.height())
            .map(|i| UnitResult {
                unit_code: text(cell(u, UNIT_CODE, i)).unwrap_or_default(),
                unit_name: text(cell(u, UNIT_NAME, i)).unwrap_or_default(),
                group: text(cell(u, GROUP, i)).unwrap_or_default(),
                parent_code: text(cell(u, PARENT_CODE, i)),
                total: float(cell(u, TOTAL, i)).unwrap_or_default(),
                base: float(cell(u, BASE, i)).unwrap_or_default(),
                bonus: float(cell(u, BONUS, i)).unwrap_or_default(),
                rank: int(cell(u, RANK, i)),
                county_rank: int(cell(u, COUNTY_RANK, i)),
                group_size: int(cell(u, GROUP_SIZE, i)).unwrap_or_default(),
                grade: text(cell(u, GRADE, i)).unwrap_or_default(),
                vetoed: boolean(cell(u, VETOED, i)),
                veto_reason: text(cell(u, VETO_REASON, i)),
                prev_total: float(cell(u, PREV_TOTAL, i)),
                prev_rank: int(cell(u, PREV_RANK, i)),
                total_change: float(cell(u, TOTAL_CHANGE, i)),
                rank_change: int(cell(u, RANK_CHANGE, i)),
            })
            .collect();
        let d = &a.indicators;
        let indicators = (0..d.height())
            .map(|i| IndicatorResult {
                unit_code: text(cell(d, UNIT_CODE, i)).unwrap_or_default(),
                indicator: text(cell(d, INDICATOR, i)).unwrap_or_default(),
                dimension: text(cell(d, DIMENSION, i)).unwrap_or_default(),
                weight: float(cell(d, WEIGHT, i)).unwrap_or_default(),
                numerator: float(cell(d, NUMERATOR, i)),
                denominator: float(cell(d, DENOMINATOR, i)),
                value: float(cell(d, VALUE, i)),
                applicable: boolean(cell(d, APPLICABLE, i)),
                points: float(cell(d, POINTS, i)),
            })
            .collect();
        let q = &a.quality;
        let quality = (0..q.height())
            .map(|i| Finding {
                kind: text(cell(q, KIND, i)).unwrap_or_default(),
                source: text(cell(q, SOURCE, i)).unwrap_or_default(),
                unit_code: text(cell(q, UNIT_CODE, i)),
                record_id: text(cell(q, RECORD_ID, i)),
                detail: text(cell(q, DETAIL, i)).unwrap_or_default(),
            })
            .collect();
        ResultRows { units, indicators, quality }
    }

    /// SHA-256 over the provenance and every row, with floats by their exact
    /// bits: equal hashes mean a bit-for-bit equal result.
    pub fn content_hash(&self, year: i32, as_of: NaiveDateTime, rulebook_hash: &str, fingerprint: &str) -> String {
        let mut h = Sha256::new();
        let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:016x}", v.to_bits()));
        let i = |x: Option<i64>| x.map_or("-".to_string(), |v| v.to_string());
        let s = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
        h.update(format!("{year}\u{1f}{as_of}\u{1f}{rulebook_hash}\u{1f}{fingerprint}\n"));
        for u in &self.units {
            h.update(
                [
                    u.unit_code.clone(),
                    u.unit_name.clone(),
                    u.group.clone(),
                    s(&u.parent_code),
                    f(Some(u.total)),
                    f(Some(u.base)),
                    f(Some(u.bonus)),
                    i(u.rank),
                    i(u.county_rank),
                    u.group_size.to_string(),
                    u.grade.clone(),
                    u.vetoed.to_string(),
                    s(&u.veto_reason),
                    f(u.prev_total),
                    i(u.prev_rank),
                    f(u.total_change),
                    i(u.rank_change),
                ]
                .join("\u{1f}"),
            );
            h.update("\n");
        }
        for r in &self.indicators {
            h.update(
                [
                    r.unit_code.clone(),
                    r.indicator.clone(),
                    r.dimension.clone(),
                    f(Some(r.weight)),
                    f(r.numerator),
                    f(r.denominator),
                    f(r.value),
                    r.applicable.to_string(),
                    f(r.points),
                ]
                .join("\u{1f}"),
            );
            h.update("\n");
        }
        for q in &self.quality {
            h.update([q.kind.clone(), q.source.clone(), s(&q.unit_code), s(&q.record_id), q.detail.clone()].join("\u{1f}"));
            h.update("\n");
        }
        to_hex(&h.finalize())
    }
}

const INSERT_UNIT: &str = "INSERT INTO unit_results (version_id, unit_code, unit_name, grp, parent_code, total, base, bonus, rank, county_rank, group_size, grade, vetoed, veto_reason, prev_total, prev_rank, total_change, rank_change) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
const INSERT_INDICATOR: &str = "INSERT INTO indicator_results (version_id, unit_code, indicator, position, dimension, weight, numerator, denominator, value, applicable, points) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const INSERT_FINDING: &str = "INSERT INTO quality_findings (version_id, position, kind, source, unit_code, record_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Writes the rows of version `id` (inside the caller's transaction).
pub async fn insert(tx: &mut Tx, id: i64, rows: &ResultRows) -> Result<()> {
    on_tx!(tx, conn => {
        for u in &rows.units {
            sqlx::query(INSERT_UNIT)
                .bind(id).bind(&u.unit_code).bind(&u.unit_name).bind(&u.group).bind(&u.parent_code)
                .bind(u.total).bind(u.base).bind(u.bonus).bind(u.rank).bind(u.county_rank).bind(u.group_size)
                .bind(&u.grade).bind(u.vetoed).bind(&u.veto_reason).bind(u.prev_total).bind(u.prev_rank)
                .bind(u.total_change).bind(u.rank_change)
                .execute(&mut *conn).await?;
        }
        for (position, r) in rows.indicators.iter().enumerate() {
            sqlx::query(INSERT_INDICATOR)
                .bind(id).bind(&r.unit_code).bind(&r.indicator).bind(position as i64).bind(&r.dimension)
                .bind(r.weight).bind(r.numerator).bind(r.denominator).bind(r.value).bind(r.applicable).bind(r.points)
                .execute(&mut *conn).await?;
        }
        for (position, q) in rows.quality.iter().enumerate() {
            sqlx::query(INSERT_FINDING)
                .bind(id).bind(position as i64).bind(&q.kind).bind(&q.source).bind(&q.unit_code).bind(&q.record_id).bind(&q.detail)
                .execute(&mut *conn).await?;
        }
    });
    Ok(())
}

const SELECT_UNITS: &str = "SELECT unit_code, unit_name, grp, parent_code, total, base, bonus, rank, county_rank, group_size, grade, vetoed, veto_reason, prev_total, prev_rank, total_change, rank_change FROM unit_results WHERE version_id = $1";
const SELECT_INDICATORS: &str = "SELECT unit_code, indicator, dimension, weight, numerator, denominator, value, applicable, points FROM indicator_results WHERE version_id = $1 ORDER BY position";
const SELECT_UNIT_INDICATORS: &str = "SELECT unit_code, indicator, dimension, weight, numerator, denominator, value, applicable, points FROM indicator_results WHERE version_id = $1 AND unit_code = $2 ORDER BY position";
const SELECT_FINDINGS: &str = "SELECT kind, source, unit_code, record_id, detail FROM quality_findings WHERE version_id = $1 ORDER BY position";

/// Reads the rows of version `id`; units in the engine's order (group,
/// rank, code).
pub async fn read(db: &Db, id: i64) -> Result<ResultRows> {
    Ok(ResultRows {
        units: read_units(db, id).await?,
        indicators: read_indicators(db, id, None).await?,
        quality: read_quality(db, id).await?,
    })
}

/// The unit rows of version `id`, by group, then rank, then code.
pub async fn read_units(db: &Db, id: i64) -> Result<Vec<UnitResult>> {
    let mut units = Vec::new();
    on_db!(db, pool => {
        for r in sqlx::query(SELECT_UNITS).bind(id).fetch_all(pool).await? {
            units.push(UnitResult {
                unit_code: r.try_get(0)?, unit_name: r.try_get(1)?, group: r.try_get(2)?, parent_code: r.try_get(3)?,
                total: r.try_get(4)?, base: r.try_get(5)?, bonus: r.try_get(6)?, rank: r.try_get(7)?,
                county_rank: r.try_get(8)?, group_size: r.try_get(9)?, grade: r.try_get(10)?, vetoed: r.try_get(11)?,
                veto_reason: r.try_get(12)?, prev_total: r.try_get(13)?, prev_rank: r.try_get(14)?,
                total_change: r.try_get(15)?, rank_change: r.try_get(16)?,
            });
        }
    });
    units.sort_by(|a, b| {
        group_order(&a.group)
            .cmp(&group_order(&b.group))
            .then(a.rank.is_none().cmp(&b.rank.is_none()))
            .then(a.rank.cmp(&b.rank))
            .then(a.unit_code.cmp(&b.unit_code))
    });
    Ok(units)
}

/// The indicator rows of version `id` (of one unit when given), in the
/// engine's order.
pub async fn read_indicators(db: &Db, id: i64, unit_code: Option<&str>) -> Result<Vec<IndicatorResult>> {
    let mut out = Vec::new();
    let sql = match unit_code {
        Some(_) => SELECT_UNIT_INDICATORS,
        None => SELECT_INDICATORS,
    };
    on_db!(db, pool => {
        let mut q = sqlx::query(sql).bind(id);
        if let Some(code) = unit_code {
            q = q.bind(code);
        }
        for r in q.fetch_all(pool).await? {
            out.push(IndicatorResult {
                unit_code: r.try_get(0)?, indicator: r.try_get(1)?, dimension: r.try_get(2)?, weight: r.try_get(3)?,
                numerator: r.try_get(4)?, denominator: r.try_get(5)?, value: r.try_get(6)?, applicable: r.try_get(7)?,
                points: r.try_get(8)?,
            });
        }
    });
    Ok(out)
}

/// The data-quality findings of version `id`.
pub async fn read_quality(db: &Db, id: i64) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    on_db!(db, pool => {
        for r in sqlx::query(SELECT_FINDINGS).bind(id).fetch_all(pool).await? {
            out.push(Finding { kind: r.try_get(0)?, source: r.try_get(1)?, unit_code: r.try_get(2)?, record_id: r.try_get(3)?, detail: r.try_get(4)? });
        }
    });
    Ok(out)
}

/// A year's results at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearState {
    pub year: i32,
    pub versions: i64,
    pub newest_id: i64,
    pub published: i64,
}

/// Every year with a result, oldest first, in one query. Any scoring or
/// publication changes it, so pages use it as their cache's epoch.
pub async fn year_states(db: &Db) -> Result<Vec<YearState>> {
    const SQL: &str = "SELECT year, COUNT(*), MAX(id), COUNT(published_at) FROM result_versions GROUP BY year ORDER BY year";
    Ok(on_db!(db, pool => {
        sqlx::query(SQL)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok::<_, sqlx::Error>(YearState {
                    year: r.try_get::<i64, _>(0)? as i32,
                    versions: r.try_get(1)?,
                    newest_id: r.try_get(2)?,
                    published: r.try_get(3)?,
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()?
    }))
}

/// Groups in the order pages and exports show them.
pub fn group_order(group: &str) -> usize {
    ["county", "department", "township"].iter().position(|g| *g == group).unwrap_or(3)
}

const VERSION_COLUMNS: &str = "id, year, version, as_of, rulebook_hash, inputs_fingerprint, content_hash, computed_at, computed_by, published_at, published_by, audit_head, inputs_digest";

/// Every version of `year`, oldest first.
pub async fn versions(db: &Db, year: i32) -> Result<Vec<VersionInfo>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {VERSION_COLUMNS} FROM result_versions WHERE year = $1 ORDER BY version"));
    Ok(on_db!(db, pool => {
        sqlx::query(sql).bind(i64::from(year)).fetch_all(pool).await?.iter().map(|r| version_of(r)).collect::<std::result::Result<Vec<_>, _>>()?
    }))
}

/// [`versions`], read inside a write transaction (under the writer lock).
pub async fn versions_in(tx: &mut crate::db::Tx, year: i32) -> Result<Vec<VersionInfo>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {VERSION_COLUMNS} FROM result_versions WHERE year = $1 ORDER BY version"));
    Ok(crate::on_tx!(tx, conn => {
        sqlx::query(sql).bind(i64::from(year)).fetch_all(conn).await?.iter().map(|r| version_of(r)).collect::<std::result::Result<Vec<_>, _>>()?
    }))
}

fn version_of<R: Row>(r: &R) -> std::result::Result<VersionInfo, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> NaiveDateTime: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(VersionInfo {
        id: r.try_get(0)?,
        year: r.try_get(1)?,
        version: r.try_get(2)?,
        as_of: r.try_get(3)?,
        rulebook_hash: r.try_get(4)?,
        inputs_fingerprint: r.try_get(5)?,
        content_hash: r.try_get(6)?,
        computed_at: r.try_get(7)?,
        computed_by: r.try_get(8)?,
        published_at: r.try_get(9)?,
        published_by: r.try_get(10)?,
        audit_head: r.try_get(11)?,
        inputs_digest: r.try_get(12)?,
    })
}

/// The rulebook text stored with version `id`.
pub async fn rulebook_text(db: &Db, id: i64) -> Result<String> {
    Ok(on_db!(db, pool => sqlx::query("SELECT rulebook FROM result_versions WHERE id = $1").bind(id).fetch_one(pool).await?.try_get(0)?))
}

/// The version a reader sees by default: the latest published, else the
/// latest computed.
pub fn default_version(versions: &[VersionInfo]) -> Option<&VersionInfo> {
    versions.iter().rev().find(|v| v.published_at.is_some()).or_else(|| versions.last())
}

/// Looks a version number up (default: [`default_version`]), or says
/// which exist.
pub fn find_version(versions: &[VersionInfo], year: i32, number: Option<i64>) -> std::result::Result<&VersionInfo, String> {
    let found = match number {
        Some(n) => versions.iter().find(|v| v.version == n),
        None => default_version(versions),
    };
    found.ok_or_else(|| {
        let known: Vec<String> = versions.iter().map(|v| v.version.to_string()).collect();
        if known.is_empty() {
            format!("no result for {year} yet: run `zhengxin score --year {year}` first")
        } else {
            format!("{year} has no version {} (versions: {})", number.unwrap_or_default(), known.join(", "))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, group: &str) -> UnitResult {
        UnitResult {
            unit_code: code.into(),
            unit_name: code.into(),
            group: group.into(),
            parent_code: None,
            total: 80.0,
            base: 80.0,
            bonus: 0.0,
            rank: Some(1),
            county_rank: None,
            group_size: 1,
            grade: "good".into(),
            vetoed: false,
            veto_reason: None,
            prev_total: None,
            prev_rank: None,
            total_change: None,
            rank_change: None,
        }
    }

    fn points(code: &str) -> IndicatorResult {
        IndicatorResult {
            unit_code: code.into(),
            indicator: "dishonesty".into(),
            dimension: "D5".into(),
            weight: 15.0,
            numerator: None,
            denominator: None,
            value: None,
            applicable: true,
            points: Some(15.0),
        }
    }

    fn finding(code: Option<&str>) -> Finding {
        Finding { kind: "k".into(), source: "s".into(), unit_code: code.map(Into::into), record_id: None, detail: String::new() }
    }

    #[test]
    fn a_narrower_export_keeps_only_its_units_rows_and_findings() {
        let rows = ResultRows {
            units: vec![unit("330302", "county"), unit("D002", "department")],
            indicators: vec![points("330302"), points("D002")],
            quality: vec![finding(Some("330302")), finding(Some("D002")), finding(None)],
        };
        let one = rows.clone().only(None, Some("330302"));
        assert_eq!(one.units.len(), 1);
        assert!(one.indicators.iter().all(|i| i.unit_code == "330302") && one.indicators.len() == 1);
        assert_eq!(one.quality, vec![finding(Some("330302"))]);
        let group = rows.clone().only(Some("department"), None);
        assert_eq!(group.units[0].unit_code, "D002");
        assert_eq!(group.quality, vec![finding(Some("D002"))]);
        assert_eq!(rows.clone().only(None, None), rows);
        assert!(rows.only(Some("township"), Some("330302")).units.is_empty());
    }
}
