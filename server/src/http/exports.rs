//! Downloads of a stored result: the §9 table as CSV or XLSX, the same
//! bytes as `zhengxin export` (whole, one group, or one unit). The table
//! holds every unit's indicator points: leadership and the assessment team
//! take any of it, a unit's own user only its own row.

use analytics::domain::PeerGroup;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::session::PageSession;
use super::{AppError, AppState};
use crate::auth::Capability;
use crate::scoring::result_file::{Format, Scope, result_file};

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
    let whole_table = session.user.may(Capability::ExportRankings);
    let own_row = q.unit.as_deref().is_some_and(|code| session.user.sees_unit_in_full(code));
    if !whole_table && !own_row {
        return Err(AppError::Forbidden);
    }
    let group = match q.group.as_deref() {
        None => None,
        Some(text) => Some(PeerGroup::ALL.iter().copied().find(|g| g.code() == text).ok_or(AppError::NotFound)?),
    };
    let format = match file.as_str() {
        "rankings.csv" => Format::Csv,
        "rankings.xlsx" => Format::Xlsx,
        _ => return Err(AppError::NotFound),
    };
    let scope = Scope { group, unit: q.unit };
    let file = result_file(&state.db, year, q.version, &scope, format, &session.user.username, None).await?;
    if file.units == 0 {
        return Err(AppError::NotFound);
    }
    let headers = [(header::CONTENT_TYPE, format.content_type().to_string()), (header::CONTENT_DISPOSITION, attachment(&file.file_name))];
    Ok((headers, file.bytes).into_response())
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
