//! PDF reports of a stored version: the year's results notice (通报), one
//! unit's report, and a ZIP of every unit's report. Like exports, they read
//! a stored version and never recompute; every report handed out is
//! audited. The documents themselves are made by `crate::typeset`.

use super::ScoringError;
use super::cards::Cards;
use super::results::VersionInfo;
use super::stored;
use crate::db::Db;

/// The issuing office when none is configured (`ZHENGXIN_REPORT_OFFICE`).
pub const DEFAULT_OFFICE: &str = "温州市政务诚信考核工作办公室";

/// A report ready to hand over.
#[derive(Debug, Clone)]
pub struct Report {
    pub version: VersionInfo,
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Which report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Notice,
    Unit(String),
    /// Every unit's report in one ZIP.
    AllUnits,
}

/// The report `kind` of `year`'s version `version` (default: the one
/// readers see), issued by `office`, audited for `actor`.
pub async fn report(db: &Db, year: i32, version: Option<i64>, kind: &Kind, office: &str, actor: &str) -> Result<Report, ScoringError> {
    let v = super::stored_version(db, year, version).await?;
    let years: Vec<i32> = crate::db::results::year_states(db).await?.into_iter().map(|s| s.year).collect();
    let cards = Cards::load(db, &years, stored::load(db, &v).await?).await?;
    if let Kind::Unit(code) = kind
        && cards.card(code).is_none()
    {
        return Err(ScoringError::NoRows(format!("no unit {code} in {year} version {}", v.version)));
    }
    let office = office.to_string();
    let kind_owned = kind.clone();
    let today = crate::clock::now_cst().date();
    let (file_name, content_type, bytes) = tokio::task::spawn_blocking(move || crate::typeset::reports::report(&cards, &kind_owned, &office, today))
        .await
        .map_err(|e| ScoringError::Interrupted(e.to_string()))??;
    let detail = match kind {
        Kind::Notice => serde_json::json!({ "report": "notice" }),
        Kind::Unit(code) => serde_json::json!({ "report": "unit", "unit": code }),
        Kind::AllUnits => serde_json::json!({ "report": "all_units" }),
    };
    crate::db::audit::record_one(db, actor, "report", "result_versions", &format!("{year}/{}", v.version), detail).await?;
    Ok(Report { version: v, file_name, content_type, bytes })
}

