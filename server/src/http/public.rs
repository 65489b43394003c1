//! The public's pages and open data under `/public/` (the use case is
//! [`crate::disclosure`]): no session is read and no cookie is set, every
//! answer may be cached for a few minutes, and each client address may ask
//! [`PER_MINUTE`] times a minute (`--public-per-minute`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::Lang;
use dashboards::pages::public::{self, PublicRecord, PublicRecordsView, PublicResultsView, PublicRow};
use serde::Deserialize;

use super::client::Client;
use super::{AppError, AppState};
use crate::disclosure::{self, PublishedResults};
use crate::scoring::export::{Cell, csv_bytes};

impl From<disclosure::DisclosureError> for AppError {
    fn from(e: disclosure::DisclosureError) -> Self {
        AppError::internal(e)
    }
}

/// Requests per client address and minute, by default (a setting).
pub use crate::config::PUBLIC_PER_MINUTE as PER_MINUTE;
/// Addresses remembered at most; beyond, windows that ended are forgotten.
const MAX_ADDRESSES: usize = 65_536;
/// Rows per page.
const PER_PAGE: usize = 50;
/// How long browsers and proxies may keep an answer.
const CACHE: &str = "public, max-age=300";

/// Counts each address's requests in the current minute.
#[derive(Default)]
pub struct PublicLimiter {
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl PublicLimiter {
    /// Whether `address` may ask now, at most `per_minute` times a minute;
    /// counts the request.
    fn admit(&self, address: IpAddr, now: Instant, per_minute: u32) -> bool {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MAX_ADDRESSES {
            windows.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
            if windows.len() >= MAX_ADDRESSES {
                // Under a flood of addresses: forget them all rather than grow.
                windows.clear();
            }
        }
        let entry = windows.entry(address).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= per_minute
    }
}

/// The rate limit of every public route.
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let client = Client::of(&parts, &state.config);
    if !state.public.admit(client.address, Instant::now(), state.config.public_per_minute) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "60"), (header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "请求过于频繁，请稍后再试。 / Too many requests; try again in a minute.",
        )
            .into_response();
    }
    let mut response = next.run(Request::from_parts(parts, body)).await;
    // Only answers worth keeping: a failure is never cached.
    if response.status().is_success() {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    }
    response
}

/// A search as typed: trimmed, at most 50 characters.
fn search_text(q: Option<&str>) -> String {
    q.unwrap_or_default().trim().chars().take(50).collect()
}

/// Page `asked` (from 1, clamped to those there are) of `items`, with its
/// number and how many pages there are.
fn page_of<T>(items: &[T], asked: Option<usize>) -> (&[T], usize, usize) {
    let pages = items.len().div_ceil(PER_PAGE).max(1);
    let page = asked.unwrap_or(1).clamp(1, pages);
    let start = ((page - 1) * PER_PAGE).min(items.len());
    (&items[start..(start + PER_PAGE).min(items.len())], page, pages)
}

#[derive(Debug, Deserialize)]
pub struct ResultsQuery {
    pub lang: Option<String>,
    pub group: Option<String>,
    pub q: Option<String>,
    pub page: Option<usize>,
}

/// `GET /public`: the newest published year.
pub async fn index(State(state): State<AppState>, Query(q): Query<ResultsQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    match disclosure::published_years(&state.db).await?.first() {
        Some(year) => Ok(Redirect::to(&dashboards::layout::link(lang, &format!("/public/results/{year}"), "")).into_response()),
        None => Ok(public::nothing(lang).into_response()),
    }
}

/// `GET /public/results/{year}`: one group's published ranking. Pages
/// without a search are kept per result epoch (any scoring or publication
/// starts a new one), so a crowd of readers costs one rendering. Only
/// pages that exist are kept, under their canonical key (a published
/// year, a group it has, a page number within its pages), in a cache of
/// the public's own: arbitrary page numbers or years from anonymous
/// clients can neither grow it nor evict what signed-in users see.
pub async fn results(State(state): State<AppState>, Path(year): Path<i32>, Query(q): Query<ResultsQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let (_, _, epoch) = super::shared::choose_year(&state.db, None).await?;
    let published = state
        .published
        .get_or_try_init((epoch.clone(), year), || async { disclosure::results(&state.db, year).await?.ok_or(AppError::NotFound) })
        .await?;
    let query = search_text(q.q.as_deref());
    if !query.is_empty() {
        return Ok(maud::PreEscaped(render_results(&state, &published, year, lang, q).await?).into_response());
    }
    let (group, page) = canonical(&published, q.group.as_deref(), q.page);
    let key = format!("public|{epoch}|{year}|{group}|{page}|{}", lang.code());
    let q = ResultsQuery { group: Some(group), page: Some(page), ..q };
    let body = state
        .public_pages
        .get_or_try_init(key, || async { Ok::<_, AppError>(super::cache::CachedPage { title: String::new(), body: render_results(&state, &published, year, lang, q).await? }) })
        .await?;
    Ok(maud::PreEscaped(body.body.clone()).into_response())
}

/// The groups a published version has, in the method's order.
fn groups_of(published: &PublishedResults) -> Vec<String> {
    analytics::domain::PeerGroup::ALL.iter().filter(|g| published.units.iter().any(|u| u.group == **g)).map(|g| g.code().to_string()).collect()
}

/// The group and page a request for `group` and `page` shows: a group the
/// version has (else its first), a page it has (clamped).
fn canonical(published: &PublishedResults, group: Option<&str>, page: Option<usize>) -> (String, usize) {
    let groups = groups_of(published);
    canonical_of(&groups, |g| published.units.iter().filter(|u| u.group == g).count(), group, page)
}

/// [`canonical`] over the version's groups and how many units each has.
fn canonical_of(groups: &[String], units_in: impl Fn(&str) -> usize, group: Option<&str>, page: Option<usize>) -> (String, usize) {
    let group = group.filter(|g| groups.iter().any(|x| x == g)).map(str::to_string).or_else(|| groups.first().cloned()).unwrap_or_default();
    let pages = units_in(&group).div_ceil(PER_PAGE).max(1);
    (group, page.unwrap_or(1).clamp(1, pages))
}

/// The page of [`results`], rendered.
async fn render_results(state: &AppState, published: &PublishedResults, year: i32, lang: Lang, q: ResultsQuery) -> Result<String, AppError> {
    let groups = groups_of(published);
    let (group, _) = canonical(published, q.group.as_deref(), q.page);
    let query = search_text(q.q.as_deref());
    let mut units: Vec<_> = published.units.iter().filter(|u| u.group == group.as_str() && u.unit_name.contains(query.as_str())).collect();
    units.sort_by_key(|u| (u.rank.is_none(), u.rank, u.unit_code.clone()));
    let matching = units.len();
    let (shown, page, pages) = page_of(&units, q.page);
    let detail = detail_columns(published);
    let rows = shown
        .iter()
        .map(|u| PublicRow {
            unit_name: u.unit_name.clone(),
            total: u.total,
            rank: u.rank,
            grade: u.grade.to_string(),
            vetoed: u.vetoed,
            points: detail.iter().map(|id| points(published, &u.unit_code, id)).collect(),
        })
        .collect();
    let view = PublicResultsView {
        lang,
        years: disclosure::published_years(&state.db).await?,
        year,
        version: published.version.version,
        published_at: published.version.published_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
        as_of: published.version.as_of.format("%Y-%m-%d %H:%M:%S").to_string(),
        group,
        groups,
        query,
        indicators: detail.iter().map(|id| { let (zh, en) = analytics::indicators::label(id); (zh.to_string(), en.to_string()) }).collect(),
        rows,
        matching,
        page,
        pages,
        audit_head: published.version.audit_head.clone(),
    };
    Ok(public::results(&view).into_string())
}

/// The indicator ids the public sees, in rulebook order (none unless the
/// rulebook discloses details).
fn detail_columns(p: &PublishedResults) -> Vec<String> {
    if p.rules.disclosure.results_detail { p.rules.indicators.iter().map(|r| r.id.clone()).collect() } else { Vec::new() }
}

fn points(p: &PublishedResults, code: &str, indicator: &str) -> Option<f64> {
    p.indicators.iter().find(|i| i.unit_code == code && i.indicator == indicator).and_then(|i| i.points)
}

/// The type of a record in the page's language.
pub(crate) fn kind_label(lang: Lang, kind: analytics::domain::DishonestyType) -> String {
    match lang {
        Lang::Zh => kind.label_zh().to_string(),
        Lang::En => kind.code().replace('_', " "),
    }
}

fn status_label(lang: Lang, status: disclosure::RecordStatus) -> &'static str {
    match lang {
        Lang::Zh => status.label_zh(),
        Lang::En => match status {
            disclosure::RecordStatus::Rectifying => "being rectified",
            disclosure::RecordStatus::Rectified => "rectified",
            disclosure::RecordStatus::Repaired => "credit repaired",
        },
    }
}

/// A lighter treatment decided with the record (not a credit repair), as
/// it follows the status.
fn decided_label(lang: Lang, m: analytics::domain::Mitigation) -> &'static str {
    match (lang, m) {
        (Lang::Zh, analytics::domain::Mitigation::Exempt) => "（认定时免于惩戒）",
        (Lang::Zh, _) => "（认定时从轻处理）",
        (Lang::En, analytics::domain::Mitigation::Exempt) => " (exempted when decided)",
        (Lang::En, _) => " (reduced when decided)",
    }
}

/// `GET /public/records`: government bodies' dishonesty records within
/// their publicity period today.
pub async fn records(State(state): State<AppState>, Query(q): Query<ResultsQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let day = crate::clock::now_cst().date();
    let query = search_text(q.q.as_deref());
    let all: Vec<_> = disclosure::records(&state.db, day).await?.into_iter().filter(|r| r.unit_name.contains(query.as_str())).collect();
    let matching = all.len();
    let (shown, page, pages) = page_of(&all, q.page);
    let rows = shown
        .iter()
        .map(|r| PublicRecord {
            unit_name: r.unit_name.clone(),
            kind: kind_label(lang, r.kind),
            occurred_on: r.occurred_on.to_string(),
            status: match r.decided_mitigation {
                Some(m) => format!("{}{}", status_label(lang, r.status), decided_label(lang, m)),
                None => status_label(lang, r.status).to_string(),
            },
            rectify_deadline: r.rectify_deadline.map(|d| d.to_string()),
        })
        .collect();
    let view = PublicRecordsView { lang, day: day.to_string(), query, rows, matching, page, pages };
    Ok(public::records(&view).into_response())
}

/// `records.csv|json`: the records the page lists, as open data.
async fn records_data(state: &AppState, format: &str) -> Result<Response, AppError> {
    let day = crate::clock::now_cst().date();
    let records = disclosure::records(&state.db, day).await?;
    match format {
        "csv" => {
            let header: Vec<String> = ["unit_code", "unit_name", "type", "occurred_on", "status", "rectify_deadline"].map(str::to_string).to_vec();
            let body = records.iter().map(|r| {
                vec![
                    Cell::Text(r.unit_code.clone()),
                    Cell::Text(r.unit_name.clone()),
                    Cell::Text(r.kind.code().to_string()),
                    Cell::Text(r.occurred_on.to_string()),
                    Cell::Text(r.status.code().to_string()),
                    r.rectify_deadline.map_or(Cell::Empty, |d| Cell::Text(d.to_string())),
                ]
            });
            let bytes = csv_bytes(&header, body).map_err(AppError::internal)?;
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response())
        }
        "json" => {
            let list: Vec<serde_json::Value> = records
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "unit_code": r.unit_code,
                        "unit_name": r.unit_name,
                        "type": r.kind.code(),
                        "occurred_on": r.occurred_on.to_string(),
                        "status": r.status.code(),
                        "rectify_deadline": r.rectify_deadline.map(|d| d.to_string()),
                    })
                })
                .collect();
            Ok(axum::Json(serde_json::json!({ "as_of": day.to_string(), "records": list })).into_response())
        }
        _ => Err(AppError::NotFound),
    }
}

/// `GET /public/data/results-{year}.csv|json`: the published ranking as
/// open data; `records.csv|json`: the disclosed records.
pub async fn data(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, AppError> {
    if let Some(format) = file.strip_prefix("records.") {
        return records_data(&state, format).await;
    }
    let (year, format) = file
        .strip_prefix("results-")
        .and_then(|rest| rest.split_once('.'))
        .and_then(|(year, ext)| Some((year.parse::<i32>().ok()?, ext.to_string())))
        .ok_or(AppError::NotFound)?;
    let published = disclosure::results(&state.db, year).await?.ok_or(AppError::NotFound)?;
    let detail = detail_columns(&published);
    let mut units: Vec<_> = published.units.iter().collect();
    units.sort_by_key(|u| (u.group, u.rank.is_none(), u.rank, u.unit_code.clone()));
    let v = &published.version;
    let published_at = v.published_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default();
    match format.as_str() {
        "csv" => {
            let mut header: Vec<String> = ["year", "version", "published_at", "group", "unit_code", "unit_name", "total", "rank", "grade", "vetoed"].map(str::to_string).to_vec();
            header.extend(detail.iter().cloned());
            let body = units.iter().map(|u| {
                let mut row = vec![
                    Cell::Number(f64::from(year), Some(0)),
                    Cell::Number(v.version as f64, Some(0)),
                    Cell::Text(published_at.clone()),
                    Cell::Text(u.group.code().to_string()),
                    Cell::Text(u.unit_code.clone()),
                    Cell::Text(u.unit_name.clone()),
                    Cell::Number(u.total, Some(2)),
                    u.rank.map_or(Cell::Empty, |r| Cell::Number(r as f64, Some(0))),
                    Cell::Text(u.grade.code().to_string()),
                    Cell::Number(if u.vetoed { 1.0 } else { 0.0 }, Some(0)),
                ];
                row.extend(detail.iter().map(|id| points(&published, &u.unit_code, id).map_or(Cell::Empty, |p| Cell::Number(p, Some(4)))));
                row
            });
            let bytes = csv_bytes(&header, body).map_err(AppError::internal)?;
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response())
        }
        "json" => {
            let units: Vec<serde_json::Value> = units
                .iter()
                .map(|u| {
                    let mut unit = serde_json::json!({
                        "group": u.group.code(),
                        "unit_code": u.unit_code,
                        "unit_name": u.unit_name,
                        "total": analytics::score::round_half_away(u.total, 2),
                        "rank": u.rank,
                        "grade": u.grade.code(),
                        "vetoed": u.vetoed,
                    });
                    if !detail.is_empty() {
                        unit["points"] = detail.iter().map(|id| (id.clone(), serde_json::json!(points(&published, &u.unit_code, id)))).collect::<serde_json::Map<_, _>>().into();
                    }
                    unit
                })
                .collect();
            let document = serde_json::json!({ "year": year, "version": v.version, "published_at": published_at, "as_of": v.as_of.format("%Y-%m-%d %H:%M:%S").to_string(), "units": units });
            Ok(axum::Json(document).into_response())
        }
        _ => Err(AppError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_hold_fifty_rows_and_any_page_number_lands_on_one() {
        let rows: Vec<usize> = (0..120).collect();
        assert_eq!(page_of(&rows, None), (&rows[..50], 1, 3));
        assert_eq!(page_of(&rows, Some(3)), (&rows[100..], 3, 3));
        assert_eq!(page_of(&rows, Some(99)), (&rows[100..], 3, 3));
        assert_eq!(page_of(&rows, Some(0)), (&rows[..50], 1, 3));
        assert_eq!(page_of::<usize>(&[], Some(2)), (&[][..], 1, 1));
        assert_eq!(search_text(Some("  瑞安  ")), "瑞安");
        assert_eq!(search_text(Some(&"长".repeat(80))).chars().count(), 50);
    }

    #[test]
    fn each_address_gets_its_own_minute() {
        let limiter = PublicLimiter::default();
        let start = Instant::now();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.admit(a, start, 3));
        }
        assert!(!limiter.admit(a, start + Duration::from_secs(59), 3), "the fourth within the minute");
        assert!(limiter.admit(b, start + Duration::from_secs(59), 3), "another address is counted apart");
        assert!(limiter.admit(a, start + Duration::from_secs(60), 3), "a new minute");
    }

    #[test]
    fn a_flood_of_addresses_does_not_grow_the_table_without_bound() {
        let limiter = PublicLimiter::default();
        let now = Instant::now();
        for n in 0..(MAX_ADDRESSES as u32 + 10) {
            let address = IpAddr::from(std::net::Ipv6Addr::from(u128::from(n)));
            assert!(limiter.admit(address, now, 1));
        }
        assert!(limiter.windows.lock().unwrap().len() <= MAX_ADDRESSES);
    }
}

#[cfg(test)]
mod cache_key_tests {
    use super::*;

    #[test]
    fn only_pages_that_exist_make_cache_keys() {
        let groups = ["county".to_string(), "township".to_string()];
        let units = |g: &str| if g == "county" { 12 } else { 185 };
        let keys: std::collections::HashSet<(String, usize)> = [None, Some("county"), Some("township"), Some("nonsense"), Some("")]
            .into_iter()
            .flat_map(|g| [None, Some(0), Some(1), Some(2), Some(4), Some(9999), Some(usize::MAX)].into_iter().map(move |p| (g, p)))
            .map(|(g, p)| canonical_of(&groups, units, g, p))
            .collect();
        // County: 1 page of 50; townships: 4 pages. Nothing else, whatever
        // was asked.
        let mut keys: Vec<_> = keys.into_iter().collect();
        keys.sort();
        assert_eq!(keys, [("county".into(), 1), ("township".into(), 1), ("township".into(), 2), ("township".into(), 4)]);
        assert_eq!(canonical_of(&groups, units, Some("township"), Some(3)), ("township".into(), 3));
    }
}
