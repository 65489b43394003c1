//! 规则模拟 page (leadership and the assessment team): the chosen
//! version's rulebook as a form (each indicator's weight and thresholds,
//! the grade lines), or another year's rulebook, or an uploaded one, tried
//! on that version's data. A value or rulebook that cannot be used is
//! refused in place (422), named in words. The comparison is in
//! [`crate::scoring::whatif`]; nothing is stored.

use analytics::edits::{self, GradeLine, Key, Param, ValueError};
use analytics::rulebook::{Rulebook, RulebookError};
use axum::extract::{Form, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dashboards::layout::Lang;
use dashboards::pages::whatif::{self, Input, RuleRow, RulebookInUse, RulesForm, VersionChoice, WhatIfResult, WhatIfRow, WhatIfView};
use serde::Deserialize;

use super::session::{PageSession, check_csrf, nav};
use super::shared::choose_year;
use super::{AppError, AppState};
use crate::auth::sessions::Session;
use crate::scoring::results::{self, VersionInfo};
use crate::scoring::whatif::WhatIf;

/// The largest rulebook upload (the shipped ones are about 5 KiB).
pub const MAX_RULEBOOK_BYTES: usize = 256 * 1024;

/// The largest form of values: a rulebook's forty-odd numbers take about
/// 2 KiB.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
pub struct WhatIfQuery {
    pub year: Option<i32>,
    /// The version to compare with (default: the latest published, else
    /// the latest).
    pub version: Option<i64>,
    pub rulebook_year: Option<i32>,
    pub lang: Option<String>,
}

/// The version compared with and the rulebook stored with it.
struct Chosen {
    version: VersionInfo,
    rules: Rulebook,
}

/// The page for `year` and the version asked for (or the default one,
/// saying so when the one asked for does not exist), its rulebook's form
/// prefilled.
async fn view(state: &AppState, session: &Session, lang: Lang, year: Option<i32>, asked: Option<i64>) -> Result<(WhatIfView, Option<Chosen>), AppError> {
    let (years, year, _) = choose_year(&state.db, year).await?;
    let versions = crate::scoring::versions(&state.db, year).await?;
    let found = asked.and_then(|n| versions.iter().find(|v| v.version == n));
    let version = found.or_else(|| results::default_version(&versions)).cloned();
    let chosen = match version {
        Some(version) => Some(Chosen { rules: crate::scoring::stored::load(&state.db, &version).await?.rules.clone(), version }),
        None => None,
    };
    let mut v = WhatIfView {
        lang,
        nav: nav(session),
        years,
        year,
        versions: versions.iter().map(|v| VersionChoice { version: v.version, published: v.published_at.is_some(), as_of: v.as_of.to_string() }).collect(),
        version: chosen.as_ref().map(|c| c.version.version),
        rulebook: chosen.as_ref().map(|c| RulebookInUse { title: c.rules.title.clone(), year: c.rules.year }),
        form: chosen.as_ref().map(|c| rules_form(lang, &c.rules, &[], &[])),
        rulebook_years: seeds::rulebooks::YEARS.to_vec(),
        rulebook_year: None,
        max_kib: MAX_RULEBOOK_BYTES / 1024,
        error: None,
        result: None,
    };
    if let (Some(n), None, Some(c)) = (asked, found, &chosen) {
        v.error = Some(format!(
            "{year} 年度没有第 {n} 版结果，下面对照的是第 {} 版 / {year} has no version {n}; the page compares with version {}",
            c.version.version, c.version.version
        ));
    }
    Ok((v, chosen))
}

/// The rulebook's numbers as the form shows them: each as submitted (the
/// rulebook's where nothing was), marked where it differs from the
/// rulebook's, with its error.
fn rules_form(lang: Lang, rules: &Rulebook, submitted: &[(String, String)], errors: &[ValueError]) -> RulesForm {
    let input = |key: &Key, label: String| {
        let original = key.get(rules).map_or_else(String::new, |v| v.to_string());
        let name = key.name();
        let value = submitted.iter().rev().find(|(n, _)| *n == name).map_or_else(|| original.clone(), |(_, v)| v.trim().to_string());
        let changed = edits::number(&value).is_none_or(|v| key.get(rules) != Some(v));
        let error = errors.iter().find(|e| e.key == *key).map(|e| lang.pick(&e.zh, &e.en).to_string());
        Input { name, label, value, original, changed, error }
    };
    let words = |key: &Key| {
        let (zh, en) = key.words();
        lang.pick(&zh, &capitalized(&en)).to_string()
    };
    let rows = rules
        .indicators
        .iter()
        .map(|rule| {
            let keys = edits::indicator_keys(rule);
            let param = |p: Param| keys.iter().find(|k| matches!(k, Key::Indicator { param, .. } if *param == p)).map(|k| input(k, words(k)));
            let dimension = rules.dimensions.get(&rule.dimension).map_or(rule.dimension.as_str(), String::as_str);
            let (zh, en) = analytics::indicators::label(&rule.id);
            RuleRow {
                dimension: lang.pick(dimension, analytics::indicators::dimension_in_english(dimension)).to_string(),
                indicator: lang.pick(zh, en).to_string(),
                kind: rule.function.kind().code().to_string(),
                weight: param(Param::Weight).expect("every indicator has a weight"),
                good: param(Param::Good),
                bad: param(Param::Bad),
                per_item: param(Param::PerItem),
            }
        })
        .collect::<Vec<_>>();
    let grades = GradeLine::ALL
        .map(|line| {
            let (zh, en) = line.words();
            input(&Key::Grade(line), lang.pick(zh, &capitalized(en)).to_string())
        })
        .to_vec();
    let weight_sum = rows.iter().map(|r| edits::number(&r.weight.value)).sum::<Option<f64>>();
    RulesForm { rows, grades, weight_sum, original_weight_sum: rules.indicators.iter().map(|r| r.weight).sum() }
}

/// An English sentence's words with a capital first letter.
fn capitalized(words: &str) -> String {
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A refused rulebook in the page's two languages ("中文 / English"), the
/// value named in words where the rule is about one.
fn rulebook_message(e: &RulebookError) -> String {
    match e {
        RulebookError::Value(v) => format!("{} / {}", v.zh_message_with_key(), v.en_message()),
        other => other.to_string(),
    }
}

/// What the comparison is against, as its heading names it.
enum Alternative {
    /// A whole rulebook: another year's, or an upload.
    Rulebook,
    /// The chosen version's rulebook with the form's changes.
    Edited(Vec<String>),
}

/// Runs the comparison into the view, or puts the reason a rulebook
/// cannot be used in its place.
async fn compare(state: &AppState, v: &mut WhatIfView, version: &VersionInfo, rules: Result<Rulebook, String>, alternative: Alternative) -> Result<StatusCode, AppError> {
    let rules = match rules {
        Ok(r) => r,
        Err(message) => {
            v.error = Some(message);
            return Ok(StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let stored = crate::scoring::stored::load(&state.db, version).await?;
    match crate::scoring::whatif::whatif(&state.db, &stored, rules).await {
        Ok(answer) => {
            v.result = Some(result(v.lang, &answer, version, alternative));
            Ok(StatusCode::OK)
        }
        Err(crate::scoring::ScoringError::Rulebook(e)) => {
            v.error = Some(rulebook_message(&e));
            Ok(StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

fn result(lang: Lang, a: &WhatIf, version: &VersionInfo, alternative: Alternative) -> WhatIfResult {
    let (rulebook, changes) = match alternative {
        Alternative::Rulebook => (lang.pick(&format!("「{}」（{} 年度）", a.rulebook_title, a.rulebook_year), &format!("“{}” ({})", a.rulebook_title, a.rulebook_year)).to_string(), Vec::new()),
        Alternative::Edited(changes) => {
            let n = changes.len();
            let label = match (lang, n) {
                (Lang::Zh, 0) => "未作改动的规则".to_string(),
                (Lang::Zh, n) => format!("修改后的规则（改动 {n} 处）"),
                (Lang::En, 0) => "its rulebook unchanged".to_string(),
                (Lang::En, 1) => "the edited rulebook (1 change)".to_string(),
                (Lang::En, n) => format!("the edited rulebook ({n} changes)"),
            };
            (label, changes)
        }
    };
    WhatIfResult {
        version: a.version,
        published: version.published_at.is_some(),
        rulebook,
        changes,
        data_changed: a.data_changed,
        changed: a.units.iter().filter(|u| u.rank_change.is_some_and(|c| c != 0) || u.grade != u.stored_grade).count(),
        rows: a
            .units
            .iter()
            .map(|u| WhatIfRow {
                unit_name: u.unit_name.clone(),
                group: u.group.code().to_string(),
                stored_total: u.stored_total,
                stored_rank: u.stored_rank,
                stored_grade: u.stored_grade.code().to_string(),
                total: u.total,
                rank: u.rank,
                grade: u.grade.code().to_string(),
                rank_change: u.rank_change,
            })
            .collect(),
    }
}

/// `GET /whatif`: the form for the chosen version; with `rulebook_year`,
/// that year's shipped rulebook tried on the version's data.
pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<WhatIfQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let (mut v, chosen) = view(&state, &session, lang, q.year, q.version).await?;
    let (Some(rulebook_year), Some(chosen)) = (q.rulebook_year, chosen) else {
        return Ok(whatif::render(&v).into_response());
    };
    v.rulebook_year = Some(rulebook_year);
    let rules = seeds::rulebooks::for_year(rulebook_year).map_err(|e| rulebook_message(&e));
    let status = compare(&state, &mut v, &chosen.version, rules, Alternative::Rulebook).await?;
    Ok((status, whatif::render(&v)).into_response())
}

/// `POST /whatif/rules`: the form's values put in the chosen version's
/// rulebook and tried on its data; the form keeps them, to adjust and try
/// again.
pub async fn edited(State(state): State<AppState>, PageSession(session): PageSession, Form(fields): Form<Vec<(String, String)>>) -> Result<Response, AppError> {
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim());
    check_csrf(&session, field("csrf").unwrap_or_default())?;
    let lang = Lang::from_param(field("lang"));
    let asked = field("version").and_then(|n| n.parse().ok());
    let (mut v, chosen) = view(&state, &session, lang, field("year").and_then(|y| y.parse().ok()), asked).await?;
    // Values read against another version's rulebook than they were
    // typed for would be a comparison nobody asked for.
    let Some(chosen) = chosen.filter(|c| asked.is_none_or(|n| n == c.version.version)) else {
        if let Some(n) = asked.filter(|_| v.version.is_some()) {
            v.error = Some(format!("{} 年度没有第 {n} 版结果，未模拟；请重新选择版本 / {} has no version {n}; nothing was scored: choose a version again", v.year, v.year));
        }
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, whatif::render(&v)).into_response());
    };
    let edited = match edits::apply(&chosen.rules, &fields) {
        Ok(edited) => edited,
        Err(errors) => {
            v.form = Some(rules_form(lang, &chosen.rules, &fields, &errors));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, whatif::render(&v)).into_response());
        }
    };
    v.form = Some(rules_form(lang, &chosen.rules, &fields, &[]));
    let changes = edits::changed(&chosen.rules, &edited)
        .iter()
        .map(|k| {
            let (zh, en) = k.words();
            let (was, now) = (k.get(&chosen.rules).unwrap_or_default(), k.get(&edited).unwrap_or_default());
            lang.pick(&format!("{zh}：{was} → {now}"), &format!("{}: {was} → {now}", capitalized(&en))).to_string()
        })
        .collect();
    let status = compare(&state, &mut v, &chosen.version, Ok(edited), Alternative::Edited(changes)).await?;
    Ok((status, whatif::render(&v)).into_response())
}

/// `POST /whatif`: an uploaded rulebook tried on the chosen version's data.
pub async fn upload(State(state): State<AppState>, PageSession(session): PageSession, mut form: Multipart) -> Result<Response, AppError> {
    let text_of = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(e.body_text());
    let (mut csrf, mut lang, mut year, mut version, mut file, mut too_large) = (String::new(), Lang::Zh, None, None, None, false);
    while let Some(mut field) = form.next_field().await.map_err(text_of)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(text_of)?,
            "lang" => lang = Lang::from_param(Some(field.text().await.map_err(text_of)?.as_str())),
            "year" => year = field.text().await.map_err(text_of)?.trim().parse().ok(),
            "version" => version = field.text().await.map_err(text_of)?.trim().parse().ok(),
            "rulebook" => match super::read_capped(&mut field, MAX_RULEBOOK_BYTES).await? {
                Some(bytes) => file = Some(bytes),
                None => {
                    too_large = true;
                    break;
                }
            },
            _ => {}
        }
    }
    if !too_large || !csrf.is_empty() {
        check_csrf(&session, &csrf)?;
    }
    let (mut v, chosen) = view(&state, &session, lang, year, version).await?;
    let Some(chosen) = chosen else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, whatif::render(&v)).into_response());
    };
    let rules = if too_large {
        Err(format!("规则文件超过 {0} KiB / the rulebook is larger than {0} KiB", MAX_RULEBOOK_BYTES / 1024))
    } else {
        match file.map(String::from_utf8) {
            None => Err("请选择规则文件 / choose a rulebook file".to_string()),
            Some(Err(_)) => Err("规则文件应为 UTF-8 文本 / a rulebook is UTF-8 text".to_string()),
            Some(Ok(text)) => Rulebook::parse(&text).map_err(|e| rulebook_message(&e)),
        }
    };
    let status = compare(&state, &mut v, &chosen.version, rules, Alternative::Rulebook).await?;
    Ok((status, whatif::render(&v)).into_response())
}
