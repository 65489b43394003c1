//! What several page families share: the language query, the year
//! chooser (with the page cache's epoch), the assessment team's year form
//! and the version badge. Page modules import from here, not from each
//! other.

use dashboards::parts::VersionBadge;
use serde::Deserialize;

use super::AppError;
use super::session::check_csrf;
use crate::db::Db;
use crate::scoring::results::{self, VersionInfo};

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct YearForm {
    pub csrf: String,
    pub year: String,
    /// The version to publish: the one the page showed (default: latest).
    pub version: Option<String>,
    pub lang: Option<String>,
}

/// The year of an assessment-team form, after its CSRF token (the route
/// guard has checked the role).
pub fn assessor_year(session: &crate::auth::sessions::Session, f: &YearForm) -> Result<i32, AppError> {
    check_csrf(session, &f.csrf)?;
    f.year.trim().parse().map_err(|_| AppError::BadRequest("year is a number".into()))
}

/// The years with results, the year to show (asked, else the latest
/// with a published result, else the latest scored) and the results'
/// epoch for the page cache: one query.
pub async fn choose_year(db: &Db, asked: Option<i32>) -> Result<(Vec<i32>, i32, String), AppError> {
    let states = crate::scoring::years(db).await?;
    let years: Vec<i32> = states.iter().map(|s| s.year).collect();
    let published_latest = states.iter().rev().find(|s| s.published > 0).map(|s| s.year);
    let default_year = published_latest.or(years.last().copied()).unwrap_or_else(|| chrono::Datelike::year(&crate::clock::now_cst()));
    let epoch = states
        .iter()
        .map(|s| format!("{}:{}:{}:{}", s.year, s.versions, s.newest_id, s.published))
        .collect::<Vec<_>>()
        .join(",");
    Ok((years, asked.unwrap_or(default_year), epoch))
}

/// The year to show and its default version (None: no result yet).
pub async fn pick_year(db: &Db, asked: Option<i32>) -> Result<(Vec<i32>, i32, Option<VersionInfo>), AppError> {
    let (years, year, _) = choose_year(db, asked).await?;
    let versions = crate::scoring::versions(db, year).await?;
    Ok((years, year, results::default_version(&versions).cloned()))
}

/// How a page names the version it shows.
pub fn badge(v: &VersionInfo) -> VersionBadge {
    VersionBadge {
        version: v.version,
        as_of: v.as_of.to_string(),
        published: v.published_at.is_some(),
        content_hash: v.content_hash.clone(),
    }
}

/// A refused required text, worded "中文 / English" for a form: `what`
/// names the field in both languages.
pub fn text_refusal(r: crate::objections::TextRefusal, what_zh: &str, what_en: &str) -> String {
    match r {
        crate::objections::TextRefusal::Missing => format!("请填写{what_zh} / {what_en} is required"),
        crate::objections::TextRefusal::TooLong { max } => format!("{what_zh}不超过 {max} 字 / at most {max} characters"),
    }
}
