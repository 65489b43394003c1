//! A result version as plain rows: taken from the engine's frames, hashed,
//! exported. They are written when a version is scored and read by
//! [`super::stored`], both through `db::results`.

use analytics::Assessment;
use analytics::domain::{Grade, PeerGroup};
use analytics::columns::*;
use analytics::polars::prelude::{AnyValue, DataFrame};
use chrono::NaiveDateTime;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::hashing::to_hex;

pub use crate::db::results::{Finding, IndicatorResult, UnitResult, VersionInfo, YearState};

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
    pub fn only(mut self, group: Option<PeerGroup>, unit: Option<&str>) -> ResultRows {
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
    /// A group or grade the engine never writes is refused, not guessed.
    pub fn from_assessment(a: &Assessment) -> std::result::Result<ResultRows, analytics::EngineError> {
        let u = &a.units;
        let code = |column: &str, i: usize| text(cell(u, column, i)).unwrap_or_default();
        let unknown = |e: analytics::domain::UnknownCode| analytics::EngineError::Schema(format!("the engine wrote a result that {e}"));
        let units = (0..u.height())
            .map(|i| -> std::result::Result<UnitResult, analytics::EngineError> {
                Ok(UnitResult {
                unit_code: text(cell(u, UNIT_CODE, i)).unwrap_or_default(),
                unit_name: text(cell(u, UNIT_NAME, i)).unwrap_or_default(),
                group: PeerGroup::try_from(code(GROUP, i)).map_err(unknown)?,
                parent_code: text(cell(u, PARENT_CODE, i)),
                total: float(cell(u, TOTAL, i)).unwrap_or_default(),
                base: float(cell(u, BASE, i)).unwrap_or_default(),
                bonus: float(cell(u, BONUS, i)).unwrap_or_default(),
                rank: int(cell(u, RANK, i)),
                county_rank: int(cell(u, COUNTY_RANK, i)),
                group_size: int(cell(u, GROUP_SIZE, i)).unwrap_or_default(),
                grade: Grade::try_from(code(GRADE, i)).map_err(unknown)?,
                vetoed: boolean(cell(u, VETOED, i)),
                veto_reason: text(cell(u, VETO_REASON, i)),
                prev_total: float(cell(u, PREV_TOTAL, i)),
                prev_rank: int(cell(u, PREV_RANK, i)),
                total_change: float(cell(u, TOTAL_CHANGE, i)),
                rank_change: int(cell(u, RANK_CHANGE, i)),
                })
            })
            .collect::<std::result::Result<_, _>>()?;
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
        Ok(ResultRows { units, indicators, quality })
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
                    u.group.code().to_string(),
                    s(&u.parent_code),
                    f(Some(u.total)),
                    f(Some(u.base)),
                    f(Some(u.bonus)),
                    i(u.rank),
                    i(u.county_rank),
                    u.group_size.to_string(),
                    u.grade.code().to_string(),
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

/// Groups in the order pages and exports show them.
pub fn group_order(group: &str) -> usize {
    PeerGroup::ALL.iter().position(|g| g.code() == group).unwrap_or(PeerGroup::ALL.len())
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
pub(crate) mod tests {
    use super::*;

    /// A unit's result for tests: rank 1, total 80, good.
    pub(crate) fn unit(code: &str, group: &str) -> UnitResult {
        UnitResult {
            unit_code: code.into(),
            unit_name: code.into(),
            group: PeerGroup::parse(group).unwrap(),
            parent_code: None,
            total: 80.0,
            base: 80.0,
            bonus: 0.0,
            rank: Some(1),
            county_rank: None,
            group_size: 1,
            grade: Grade::Good,
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
        let group = rows.clone().only(Some(PeerGroup::Department), None);
        assert_eq!(group.units[0].unit_code, "D002");
        assert_eq!(group.quality, vec![finding(Some("D002"))]);
        assert_eq!(rows.clone().only(None, None), rows);
        assert!(rows.only(Some(PeerGroup::Township), Some("330302")).units.is_empty());
    }
}
