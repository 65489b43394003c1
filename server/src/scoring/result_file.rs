//! The result table of a stored version as a file for someone: the one use
//! case behind `zhengxin export` and the web's downloads, so both hand
//! over the same bytes, name and audit entry.

use analytics::domain::PeerGroup;

use super::ScoringError;
use super::export;
use super::results::VersionInfo;
use super::stored;
use crate::db::Db;

/// The two formats of the table (§9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Which rows a file holds: everything, one peer group's, or one unit's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub group: Option<PeerGroup>,
    pub unit: Option<String>,
}

impl Scope {
    fn is_whole(&self) -> bool {
        self.group.is_none() && self.unit.is_none()
    }

    /// The file name's suffix: `-county`, `-330302`, or nothing.
    fn suffix(&self) -> String {
        match (&self.group, &self.unit) {
            (_, Some(unit)) => format!("-{}", unit.chars().filter(char::is_ascii_alphanumeric).collect::<String>()),
            (Some(group), None) => format!("-{}", group.code()),
            (None, None) => String::new(),
        }
    }
}

/// A file ready to hand over.
#[derive(Debug, Clone)]
pub struct ResultFile {
    pub version: VersionInfo,
    /// Units in the file.
    pub units: usize,
    pub format: Format,
    /// `zhengxin-2025-v1-rankings[-scope].csv`
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The table of `year`'s version `version` (default: the one readers see:
/// latest published, else latest) narrowed to `scope`, as `format`. The
/// export is audited for `actor`, with `destination` (a path) when known.
/// A scope that matches no unit is [`ScoringError::NoRows`].
pub async fn result_file(
    db: &Db,
    year: i32,
    version: Option<i64>,
    scope: &Scope,
    format: Format,
    actor: &str,
    destination: Option<&str>,
) -> Result<ResultFile, ScoringError> {
    let v = super::stored_version(db, year, version).await?;
    let stored = stored::load(db, &v).await?;
    let rows = stored.rows.clone().only(scope.group, scope.unit.as_deref());
    if rows.units.is_empty() && !scope.is_whole() {
        let what = match (&scope.unit, scope.group) {
            (Some(code), _) => format!("no unit {code}"),
            (None, Some(group)) => format!("no {group} unit"),
            (None, None) => unreachable!("a whole table is never refused"),
        };
        return Err(ScoringError::NoRows(format!("{what} in {year} version {}", v.version)));
    }
    let rules = &stored.rules;
    let bytes = match format {
        Format::Csv => export::csv(&rows, rules),
        Format::Xlsx => {
            let scope_unit = scope.unit.clone();
            let scope = match (&scope.unit, scope.group) {
                (Some(_), _) => rows.units.iter().map(|u| format!("单位 {} {}", u.unit_code, u.unit_name)).collect::<Vec<_>>().join("；"),
                (None, Some(group)) => format!("{}（{} 个单位）", group.label_zh(), rows.units.len()),
                (None, None) => format!("全部单位（{} 个）", rows.units.len()),
            };
            let about = export::About {
                title: format!("{year}年度政务诚信考核结果 第{}版", v.version),
                version: &v,
                scope,
                statistics: scope_unit.is_none(),
            };
            export::xlsx(&rows, rules, &about)
        }
    }
?;
    let mut detail = serde_json::json!({
        "format": format.extension(),
        "group": scope.group.map(PeerGroup::code),
        "unit": scope.unit,
        "units": rows.units.len(),
    });
    if let Some(path) = destination {
        detail["output"] = path.into();
    }
    crate::db::audit::record_one(db, actor, "export", "result_versions", &format!("{year}/{}", v.version), detail).await?;
    Ok(ResultFile {
        file_name: format!("zhengxin-{year}-v{}-rankings{}.{}", v.version, scope.suffix(), format.extension()),
        version: v,
        units: rows.units.len(),
        format,
        bytes,
    })
}
