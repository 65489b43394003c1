//! The overview page of a year (default: the latest year with a published
//! result, else the latest scored).

use analytics::domain::{Grade, PeerGroup};
use axum::extract::{Query, State};
use dashboards::layout::Lang;
use dashboards::layout::signed_in;
use dashboards::pages::overview::{self, Board, OverviewView, RankRow, RedFlag};
use maud::PreEscaped;
use serde::Deserialize;

use super::session::{PageSession, nav};
use super::shared::{badge, choose_year};
use super::{AppError, AppState, cache};
use crate::auth::{Capability, Scope};
use crate::scoring::results::{self, UnitResult, VersionInfo};

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    pub year: Option<i32>,
    pub lang: Option<String>,
    /// The county whose townships the overview lists.
    pub county: Option<String>,
}

/// The units whose rank changed most against last year: the
/// [`MOVERS_PER_GROUP`] largest changes of each group, groups in the
/// method's order. Ranks are counted within a group, and a group of a
/// hundred townships moves by more places than one of twelve counties: a
/// single list over all groups would show townships only.
fn movers(units: &[UnitResult]) -> Vec<&UnitResult> {
    let mut out = Vec::new();
    for &group in PeerGroup::ALL {
        let mut moved: Vec<&UnitResult> = units.iter().filter(|u| u.group == group && u.rank_change.is_some_and(|c| c != 0)).collect();
        moved.sort_by_key(|u| (-u.rank_change.unwrap_or(0).abs(), u.unit_code.clone()));
        out.extend(moved.into_iter().take(MOVERS_PER_GROUP));
    }
    out
}

/// Units shown per group among the biggest movers.
const MOVERS_PER_GROUP: usize = 5;

pub fn rank_row(u: &UnitResult) -> RankRow {
    RankRow {
        unit_code: u.unit_code.clone(),
        unit_name: u.unit_name.clone(),
        total: u.total,
        rank: u.rank,
        grade: u.grade.to_string(),
        vetoed: u.vetoed,
        rank_change: u.rank_change,
        county_rank: u.county_rank,
    }
}

pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<YearQuery>) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    if !session.user.may(Capability::SeeRankings) {
        // The administrator and the personnel office see no results; each
        // has a home of its own (user management, person files).
        let lang = Lang::from_param(q.lang.as_deref());
        return Ok(axum::response::Redirect::to(&dashboards::layout::link(lang, super::menu::home(&session.user), "")).into_response());
    }
    let lang = Lang::from_param(q.lang.as_deref());
    let (mut years, year, epoch) = choose_year(&state.db, q.year).await?;
    if !years.contains(&year) {
        years.push(year);
        years.sort();
    }
    let can_manage = session.user.may(Capability::Score);
    let can_export = session.user.may(Capability::ExportRankings);
    // The scope is part of the key: a unit's overview leaves out what only
    // the units themselves and the city may see.
    // Only a county's code (six digits) is ever part of the key: anything
    // else shows no county, so the cache cannot be filled with variants.
    let county = q.county.filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()));
    let key = format!(
        "overview|{epoch}|{year}|{}|{can_manage}|{can_export}|{}|{}",
        lang.code(),
        session.user.scope().key(),
        county.as_deref().unwrap_or("")
    );
    let page = state
        .pages
        .get_or_try_init(key, || async {
            let versions = crate::scoring::versions(&state.db, year).await?;
            let view = build(&state, lang, &session, years, year, &versions, can_manage, can_export, county.as_deref()).await?;
            Ok::<_, AppError>(cache::CachedPage { title: overview::title(lang, year), body: overview::body(&view).into_string() })
        })
        .await?;
    let filled = page.body.replace(cache::CSRF_SLOT, &session.csrf);
    // A unit's own open deadlines come first, as of today (outside the
    // cached page, which is the same for every day).
    let deadlines = match session.user.own_unit() {
        Some(code) => unit_deadlines(&state, lang, code).await?,
        None => maud::html! {},
    };
    Ok(signed_in(lang, &page.title, "/", &nav(&session), maud::html! { (deadlines) (PreEscaped(filled)) }).into_response())
}

/// Unit `code`'s records awaiting rectification today, as the box atop its
/// overview.
async fn unit_deadlines(state: &AppState, lang: Lang, code: &str) -> Result<maud::Markup, AppError> {
    let today = crate::clock::now_cst().date();
    let rows: Vec<overview::DeadlineRow> = crate::supervision::open_deadlines(&state.db, Some(code), today)
        .await?
        .into_iter()
        .map(|d| overview::DeadlineRow {
            href: dashboards::layout::link(lang, &format!("/units/{code}/records/dishonesty/{}", dashboards::layout::encode(&d.record_id)), ""),
            kind: d.kind.map_or_else(|| "–".to_string(), |k| super::public::kind_label(lang, k)),
            deadline: d.deadline.to_string(),
            days_left: d.days_left,
            band: d.band.code().to_string(),
        })
        .collect();
    Ok(overview::deadlines(lang, &rows))
}

/// Vetoes and missing debt data, from what the viewer may see (another
/// unit's veto comes without its record ids: `Stored::seen_by`).
fn red_flags(units: &[UnitResult], quality: &[results::Finding]) -> Vec<RedFlag> {
    let mut flags = Vec::new();
    for u in units.iter().filter(|u| u.vetoed) {
        let (zh, en) = match u.veto_reason.clone() {
            Some(ids) => (format!("一票否决：失信被执行人逾期未整改（{ids}）"), format!("Veto: court listing not rectified by its deadline ({ids})")),
            None => ("一票否决：失信被执行人逾期未整改".to_string(), "Veto: court listing not rectified by its deadline".to_string()),
        };
        flags.push(RedFlag { unit_code: u.unit_code.clone(), unit_name: u.unit_name.clone(), zh, en });
    }
    let name_of = |code: &str| units.iter().find(|u| u.unit_code == code).map_or(code.to_string(), |u| u.unit_name.clone());
    for f in quality.iter().filter(|f| f.kind == "missing_debt") {
        let code = f.unit_code.clone().unwrap_or_default();
        flags.push(RedFlag {
            unit_name: name_of(&code),
            unit_code: code,
            zh: "缺少本年度政府债务数据，债务指标不计分".into(),
            en: "No debt data for the year: debt indicators are not applicable".into(),
        });
    }
    flags
}

/// How many units have each grade, in grade order.
fn grade_counts(units: &[UnitResult]) -> Vec<(String, usize)> {
    Grade::ALL.iter().map(|g| (g.code().to_string(), units.iter().filter(|u| u.grade == *g).count())).collect()
}

/// Each year's grade counts, oldest first, from the version each year's
/// overview shows (`year` itself from `shown`, already read).
async fn grade_history(state: &AppState, years: &[i32], year: i32, shown: &VersionInfo, units: &[UnitResult]) -> Result<Vec<(i32, Vec<(String, usize)>)>, AppError> {
    let mut history = Vec::new();
    for &y in years {
        if y == year {
            history.push((y, grade_counts(units)));
            continue;
        }
        let versions = crate::scoring::versions(&state.db, y).await?;
        if let Some(v) = results::default_version(&versions).filter(|v| v.id != shown.id) {
            history.push((y, grade_counts(&crate::scoring::stored::load(&state.db, v).await?.rows.units)));
        }
    }
    Ok(history)
}

/// The townships' boards: the city's ten first and ten last (of those
/// ranked), and `county`'s townships in county-rank order.
fn townships(units: &[UnitResult], county: Option<&str>) -> Option<overview::Townships> {
    let mut ranked: Vec<&UnitResult> = units.iter().filter(|u| u.group == PeerGroup::Township && u.rank.is_some()).collect();
    let count = units.iter().filter(|u| u.group == PeerGroup::Township).count();
    if count == 0 {
        return None;
    }
    ranked.sort_by_key(|u| (u.rank, u.unit_code.clone()));
    let counties: Vec<(String, String)> = units.iter().filter(|u| u.group == PeerGroup::County).map(|u| (u.unit_code.clone(), u.unit_name.clone())).collect();
    let chosen = county.filter(|c| counties.iter().any(|(code, _)| code == c)).map(|c| {
        let mut rows: Vec<&UnitResult> = units.iter().filter(|u| u.group == PeerGroup::Township && u.parent_code.as_deref() == Some(c)).collect();
        rows.sort_by_key(|u| (u.county_rank.is_none(), u.county_rank, u.unit_code.clone()));
        (c.to_string(), rows.into_iter().map(rank_row).collect())
    });
    let mut counties = counties;
    counties.sort();
    Some(overview::Townships {
        counties,
        chosen,
        top: ranked.iter().take(10).map(|u| rank_row(u)).collect(),
        bottom: ranked.iter().skip(ranked.len().saturating_sub(10)).map(|u| rank_row(u)).collect(),
        count,
    })
}

/// The overview's view model, read from the stored result (the forms'
/// CSRF token left as the cache's placeholder).
#[allow(clippy::too_many_arguments)]
async fn build(
    state: &AppState,
    lang: Lang,
    session: &crate::auth::sessions::Session,
    years: Vec<i32>,
    year: i32,
    versions: &[VersionInfo],
    can_manage: bool,
    can_export: bool,
    county: Option<&str>,
) -> Result<OverviewView, AppError> {
    let version = results::default_version(versions);
    let mut slot = nav(session);
    slot.csrf = cache::CSRF_SLOT.to_string();
    let mut view = OverviewView {
        robustness: None,
        lang,
        nav: slot,
        years,
        year,
        version: version.map(badge),
        boards: Vec::new(),
        townships: None,
        grades: Vec::new(),
        grade_history: Vec::new(),
        red_flags: Vec::new(),
        movers: Vec::new(),
        quality: Vec::new(),
        can_manage,
        pending_version: None,
        can_export,
    };
    if let Some(v) = version {
        let latest = versions.last();
        view.pending_version = latest.filter(|l| l.id != v.id && l.published_at.is_none()).map(|l| l.version);
        let stored = crate::scoring::stored::load(&state.db, v).await?;
        let seen = stored.seen_by(&session.user);
        let (units, quality) = (&seen.units, &seen.findings);
        for group in [PeerGroup::County, PeerGroup::Department] {
            let rows: Vec<RankRow> = units.iter().filter(|u| u.group == group).map(rank_row).collect();
            if !rows.is_empty() {
                view.boards.push(Board { group: group.code().into(), rows });
            }
        }
        view.townships = townships(&units, county);
        view.grades = grade_counts(&units);
        view.grade_history = grade_history(state, &view.years, year, v, &units).await?;
        view.red_flags = red_flags(units, quality);
        view.movers = movers(&units).into_iter().map(|u| (u.group.to_string(), rank_row(u))).collect();
        let mut kinds: Vec<(String, usize)> = Vec::new();
        for f in quality {
            match kinds.iter_mut().find(|(k, _)| *k == f.kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((f.kind.clone(), 1)),
            }
        }
        view.quality = kinds;
        if session.user.scope() == Scope::Every {
            view.robustness = Some(robustness_view(state, lang, v, &units, county).await?);
        }
    }
    Ok(view)
}

/// The rank intervals of `v` under the default settings (cached per
/// version): per group its summary, and its graded units in nominal order
/// (townships: the chosen county's only, as the township board). A version
/// that cannot be simulated says why instead.
async fn robustness_view(state: &AppState, lang: Lang, v: &VersionInfo, units: &[UnitResult], county: Option<&str>) -> Result<overview::RobustnessView, AppError> {
    let settings = analytics::robustness::Settings::default();
    let mut view = overview::RobustnessView { draws: settings.draws, weights: settings.factors.weights, thresholds: settings.factors.thresholds, groups: Vec::new(), problem: None };
    let answer = match cache::robustness(state, v, settings).await {
        Ok(a) => a,
        Err(crate::scoring::ScoringError::Robustness(e)) => {
            view.problem = Some(format!("{}{e}", lang.pick("无法模拟：", "Cannot simulate: ")));
            return Ok(view);
        }
        Err(e) => return Err(e.into()),
    };
    let name = |code: &str| units.iter().find(|u| u.unit_code == code).map_or_else(|| code.to_string(), |u| u.unit_name.clone());
    let parent = |code: &str| units.iter().find(|u| u.unit_code == code).and_then(|u| u.parent_code.clone());
    for g in &answer.report.groups {
        let mut rows: Vec<(u32, overview::IntervalRow)> = answer
            .report
            .units
            .iter()
            .filter(|u| u.group == g.group)
            .filter(|u| g.group != PeerGroup::Township || county.is_some_and(|c| parent(&u.unit_code).as_deref() == Some(c)))
            .filter_map(|u| {
                let (nominal, median, p5, p95) = (u.nominal_rank?, u.median_rank?, u.rank_p5?, u.rank_p95?);
                let grades = [u.grades.excellent, u.grades.good, u.grades.pass, u.grades.fail];
                Some((nominal, overview::IntervalRow { unit_name: u.unit_name.clone(), nominal, median, p5, p95, grades }))
            })
            .collect();
        rows.sort_by_key(|(nominal, r)| (*nominal, r.unit_name.clone()));
        view.groups.push(overview::IntervalGroup {
            group: g.group.code().to_string(),
            graded: g.units,
            narrow: g.narrow,
            certain: g.excellent_certain.iter().map(|c| name(c)).collect(),
            contested: g.excellent_contested.iter().map(|c| name(c)).collect(),
            rows: rows.into_iter().map(|(_, r)| r).collect(),
            places: g.units as u32,
        });
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, group: PeerGroup, rank_change: Option<i64>) -> UnitResult {
        UnitResult { rank_change, ..crate::scoring::results::tests::unit(code, group.code()) }
    }

    #[test]
    fn the_biggest_movers_are_found_in_every_group() {
        // Twenty townships that moved far, two counties and a department
        // that moved a little: each group keeps its own largest changes.
        let mut units: Vec<UnitResult> = (0..20).map(|i| unit(&format!("T{i:02}"), PeerGroup::Township, Some(30 + i))).collect();
        units.push(unit("C1", PeerGroup::County, Some(-2)));
        units.push(unit("C2", PeerGroup::County, Some(1)));
        units.push(unit("C3", PeerGroup::County, Some(0)));
        units.push(unit("C4", PeerGroup::County, None));
        units.push(unit("D1", PeerGroup::Department, Some(3)));
        let codes: Vec<&str> = movers(&units).iter().map(|u| u.unit_code.as_str()).collect();
        assert_eq!(codes, ["C1", "C2", "D1", "T19", "T18", "T17", "T16", "T15"]);
    }
}
