//! Downloads of a stored result: the §9 table as CSV or XLSX, the same
//! bytes as `zhengxin export` (whole, one group, or one unit). The table
//! holds every unit's indicator points: leadership and the assessment team
//! take any of it, a unit's own user only its own row.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::session::PageSession;
use super::{AppError, AppState};
use crate::auth::Role;
use crate::scoring::{export, results};

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub version: Option<i64>,
    /// Only one peer group's rows.
    pub group: Option<String>,
    /// Only one unit's row: the one export a unit's own user may take.
    pub unit: Option<String>,
}

/// `Content-Disposition` for a download named `name` (RFC 6266: a plain
/// ASCII fallback and the UTF-8 name percent-encoded).
pub fn attachment(name: &str) -> String {
    let ascii: String = name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' }).collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", dashboards::layout::encode(name))
}

/// `GET /exports/{year}/rankings.{csv|xlsx}`
pub async fn rankings(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((year, file)): Path<(i32, String)>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let whole_table = matches!(session.user.role, Role::Leader | Role::Assessor);
    let own_row = q.unit.as_deref().is_some_and(|code| session.user.sees_unit_in_full(code));
    if !whole_table && !own_row {
        return Err(AppError::Forbidden);
    }
    if q.group.as_deref().is_some_and(|g| !["county", "department", "township"].contains(&g)) {
        return Err(AppError::NotFound);
    }
    let format = match file.as_str() {
        "rankings.csv" => "csv",
        "rankings.xlsx" => "xlsx",
        _ => return Err(AppError::NotFound),
    };
    let versions = results::versions(&state.db, year).await?;
    let v = results::find_version(&versions, year, q.version).map_err(|_| AppError::NotFound)?;
    let rows = results::read(&state.db, v.id).await?.only(q.group.as_deref(), q.unit.as_deref());
    if rows.units.is_empty() {
        return Err(AppError::NotFound);
    }
    let rules = analytics::rulebook::Rulebook::parse(&results::rulebook_text(&state.db, v.id).await?)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let (bytes, content_type) = match format {
        "csv" => (export::csv(&rows, &rules), "text/csv; charset=utf-8"),
        _ => (
            export::xlsx(&rows, &rules, &format!("{year}年度政务诚信考核结果 第{}版", v.version)),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    let bytes = bytes.map_err(AppError::Internal)?;
    let scope = match (q.group.as_deref(), q.unit.as_deref()) {
        (_, Some(unit)) => format!("-{}", unit.chars().filter(char::is_ascii_alphanumeric).collect::<String>()),
        (Some(group), None) => format!("-{group}"),
        (None, None) => String::new(),
    };
    let name = format!("zhengxin-{year}-v{}-rankings{scope}.{format}", v.version);
    let detail = serde_json::json!({ "format": format, "group": q.group, "unit": q.unit, "units": rows.units.len() });
    crate::db::audit::record_one(&state.db, &session.user.username, "export", "result_versions", &format!("{year}/{}", v.version), detail).await?;
    Ok(([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, attachment(&name))], bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::attachment;

    #[test]
    fn download_names_follow_rfc_6266() {
        assert_eq!(
            attachment("zhengxin-2025-rankings.csv"),
            "attachment; filename=\"zhengxin-2025-rankings.csv\"; filename*=UTF-8''zhengxin-2025-rankings.csv"
        );
        assert_eq!(attachment("考核 2025.xlsx"), "attachment; filename=\"___2025.xlsx\"; filename*=UTF-8''%E8%80%83%E6%A0%B8%202025.xlsx");
    }
}
