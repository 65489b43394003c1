//! Why a unit got its points (§6), from the command line and, later, the
//! pages: per indicator the formula with its thresholds, the value with
//! its numerator and denominator, the points, and the ids of the records
//! that were counted and of those that cost points.
//!
//! Records are re-derived by the engine from the stored data with the
//! version's rulebook and as_of: from the same source scoring reads, the
//! year's snapshot when it matches the data (only the unit's records are
//! read from it, [`load::for_unit`]), else the database. When the data
//! changed since the version was computed (its input fingerprint
//! differs), the explanation says so.

use analytics::columns::{ID, IN_DENOMINATOR, VOIDED};
use analytics::explain::{self, COSTS_POINTS};
use analytics::indicators::{Ctx, label};
use analytics::polars::prelude::DataFrame;
use analytics::window::Window;
use serde::Serialize;

use super::results::VersionInfo;
use super::stored::Stored;
use super::{ScoringError, load};
use crate::db::Db;

/// One indicator of one unit, explained.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorExplanation {
    pub indicator: String,
    pub name_zh: String,
    pub name_en: String,
    pub formula: String,
    pub weight: f64,
    pub applicable: bool,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub points: Option<f64>,
    /// Records counted (denominator, or deduction items); none for
    /// indicators computed from a yearly row (debt, public rating).
    pub counted: Option<Vec<String>>,
    /// Of those, the records that cost points.
    pub cost_points: Option<Vec<String>>,
    /// Records voided by an accepted objection: shown, counted for nothing.
    pub voided: Option<Vec<String>>,
}

/// A unit's explanation for one version.
#[derive(Debug, Clone, Serialize)]
pub struct UnitExplanation {
    pub unit_code: String,
    pub version: VersionInfo,
    /// False when stored data changed after the version was computed: the
    /// record lists then reflect today's data.
    pub data_unchanged: bool,
    pub indicators: Vec<IndicatorExplanation>,
}

/// The ids of the records whose `flag` column is true, in the frame's
/// order. Column-wise: a county's hotline indicators list a hundred
/// thousand tickets at Wenzhou's scale.
fn ids(df: &DataFrame, flag: &str) -> Vec<String> {
    let id = df.column(ID).and_then(|c| c.str()).expect("explanation frames have text ids");
    let Ok(mask) = df.column(flag).and_then(|c| c.bool()) else {
        return Vec::new();
    };
    id.iter().zip(mask.iter()).filter(|(_, m)| *m == Some(true)).map(|(id, _)| id.unwrap_or_default().to_string()).collect()
}

/// Explains `unit_code`'s result in `stored`, for one indicator or all.
pub async fn unit(db: &Db, stored: &Stored, unit_code: &str, only: Option<&str>) -> Result<UnitExplanation, ScoringError> {
    let version = &stored.info;
    if stored.unit(unit_code).is_none() {
        return Err(ScoringError::NoResult(format!("no unit {unit_code} in {} version {}", version.year, version.version)));
    }
    let rules = stored.rules.clone();
    if let Some(id) = only
        && rules.indicator(id).is_none()
    {
        return Err(analytics::EngineError::UnknownIndicator(id.to_string()).into());
    }
    let year = version.year;
    let loaded = load::for_unit(db, year, unit_code).await?;
    let data_unchanged = loaded.fingerprint == version.inputs_fingerprint;
    let inputs = loaded.inputs;
    let window = Window::new(year, Some(version.as_of), version.as_of)?;
    let code = unit_code.to_string();
    let only = only.map(str::to_string);
    let rows: Vec<_> = stored.rows.indicators.iter().filter(|r| r.unit_code == unit_code).cloned().collect();
    let indicators = tokio::task::spawn_blocking(move || -> Result<Vec<IndicatorExplanation>, ScoringError> {
        let ctx = Ctx { window: &window, rules: &rules };
        let mut out = Vec::new();
        for rule in &rules.indicators {
            if only.as_ref().is_some_and(|o| o != &rule.id) {
                continue;
            }
            let row = rows.iter().find(|r| r.indicator == rule.id);
            let records = explain::records(&inputs, ctx, &code, &rule.id)?;
            let (name_zh, name_en) = label(&rule.id);
            out.push(IndicatorExplanation {
                indicator: rule.id.clone(),
                name_zh: name_zh.into(),
                name_en: name_en.into(),
                formula: explain::formula(rule),
                weight: rule.weight,
                applicable: row.is_some_and(|r| r.applicable),
                value: row.and_then(|r| r.value),
                numerator: row.and_then(|r| r.numerator),
                denominator: row.and_then(|r| r.denominator),
                points: row.and_then(|r| r.points),
                counted: records.as_ref().map(|df| ids(df, IN_DENOMINATOR)),
                cost_points: records.as_ref().map(|df| ids(df, COSTS_POINTS)),
                voided: records.as_ref().map(|df| ids(df, VOIDED)),
            });
        }
        Ok(out)
    })
    .await
    .map_err(|e| ScoringError::Interrupted(e.to_string()))??;
    Ok(UnitExplanation {
        unit_code: unit_code.to_string(),
        version: version.clone(),
        data_unchanged,
        indicators,
    })
}

/// The explanation for people: one block per indicator, at most `limit`
/// record ids per list.
pub fn human(e: &UnitExplanation, limit: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let v = &e.version;
    let _ = writeln!(out, "{} — {} version {} (as of {})", e.unit_code, v.year, v.version, v.as_of);
    if !e.data_unchanged {
        let _ = writeln!(out, "note: data changed after this version was computed; record lists reflect today's data");
    }
    let list = |ids: &[String]| {
        let shown: Vec<&str> = ids.iter().take(limit).map(String::as_str).collect();
        let more = ids.len().saturating_sub(limit);
        if more > 0 { format!("{} … and {more} more", shown.join(", ")) } else { shown.join(", ") }
    };
    let num = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v}"));
    for i in &e.indicators {
        let _ = writeln!(out, "\n{} {} ({})", i.indicator, i.name_zh, i.name_en);
        let _ = writeln!(out, "  {}", i.formula);
        match i.points {
            None => {
                let _ = writeln!(out, "  not applicable (n/a): no weight, no points");
            }
            Some(p) => {
                let _ = writeln!(
                    out,
                    "  value {} (numerator {}, denominator {}) → {:.4} of {} (lost {:.4})",
                    num(i.value),
                    num(i.numerator),
                    num(i.denominator),
                    p,
                    i.weight,
                    i.weight - p
                );
            }
        }
        if let (Some(counted), Some(cost)) = (&i.counted, &i.cost_points) {
            let _ = writeln!(out, "  records counted: {}", counted.len());
            if !cost.is_empty() {
                let _ = writeln!(out, "  cost points ({}): {}", cost.len(), list(cost));
            }
        }
        if let Some(voided) = i.voided.as_ref().filter(|v| !v.is_empty()) {
            let _ = writeln!(out, "  voided by accepted objections: {}", list(voided));
        }
    }
    out
}
