//! The results notice and the units' reports of a stored version as PDF
//! (and every unit's in one ZIP): a version's cards mapped to the
//! templates' view models of `dashboards::documents`, then typeset.

use std::io::Write;

use analytics::domain::{Grade, PeerGroup};
use dashboards::documents::DocumentError;
use dashboards::documents::notice::{NoticeGroup, NoticeView};
use dashboards::documents::unit::UnitReportView;
use dashboards::layout::Lang;
use dashboards::parts::group_label;

use super::{TypesetError, chinese_date, typesetter, ymd};
use crate::scoring::cards::{Card, Cards};
use crate::scoring::reports::Kind;
use crate::scoring::results::{UnitResult, VersionInfo};

/// A report's file name, content type and bytes (CPU work: call off the
/// async threads).
pub fn report(cards: &Cards, kind: &Kind, office: &str, today: chrono::NaiveDate) -> Result<(String, &'static str, Vec<u8>), TypesetError> {
    let v = &cards.stored.info;
    let stem = format!("zhengxin-{}-v{}", v.year, v.version);
    match kind {
        Kind::Notice => Ok((format!("{stem}-notice.pdf"), "application/pdf", notice_pdf(cards, office, today)?)),
        Kind::Unit(code) => {
            let card = cards.card(code).ok_or_else(|| TypesetError::Missing(format!("no unit {code}")))?;
            Ok((format!("{stem}-{}.pdf", file_part(code)), "application/pdf", unit_pdf(cards, &card, office, today)?))
        }
        Kind::AllUnits => Ok((format!("{stem}-unit-reports.zip"), "application/zip", all_units_zip(cards, office, today, &stem)?)),
    }
}

/// A unit code as a file name part: its letters and digits only.
fn file_part(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// The date a report carries: the day the version was published, else
/// today (a provisional result says so on its first line).
fn issued_on(v: &VersionInfo, today: chrono::NaiveDate) -> chrono::NaiveDate {
    v.published_at.map_or(today, |t| t.date())
}

fn status(v: &VersionInfo) -> String {
    let as_of = v.as_of.format("%Y-%m-%d %H:%M:%S");
    match v.published_at {
        Some(at) => format!("第 {} 版 · {} 发布 · 数据截至 {as_of}", v.version, at.format("%Y-%m-%d")),
        None => format!("暂定结果（未发布，发布前可能变动） · 第 {} 版 · 数据截至 {as_of}", v.version),
    }
}

/// Where a document comes from, and how its reader checks it: a reader
/// compares it with the public results page; the stored result can be
/// checked by the assessment office by its fingerprint (not a command a
/// reader runs).
fn provenance(v: &VersionInfo) -> String {
    let made = format!("依据 {} 年度第 {} 版考核结果生成（数据截至 {}）。", v.year, v.version, v.as_of.format("%Y-%m-%d %H:%M:%S"));
    let fingerprint = &v.content_hash;
    match v.published_at {
        Some(_) => format!(
            "{made}核对：在政信公示页（/public/results/{}）可查看同一版本的发布时间、总分和排名；考核办可凭结果指纹（SHA-256）{fingerprint} 核验存档结果。",
            v.year
        ),
        None => format!("{made}本版尚未发布，不作为正式结果；考核办可凭结果指纹（SHA-256）{fingerprint} 核验。"),
    }
}

/// A total as exports write it: two decimals, rounded half away from zero.
fn cents(v: f64) -> String {
    crate::scoring::export::Cell::Number(v, Some(2)).csv_text()
}

fn grade_text(u: &UnitResult) -> String {
    if u.vetoed { format!("{}（一票否决）", u.grade.label_zh()) } else { u.grade.label_zh().to_string() }
}

const NUMERALS: [&str; 3] = ["一", "二", "三"];

fn notice_pdf(cards: &Cards, office: &str, today: chrono::NaiveDate) -> Result<Vec<u8>, DocumentError> {
    let v = &cards.stored.info;
    let units = &cards.stored.rows.units;
    let title = format!("{}年度政务诚信考核结果通报", v.year);
    let count = |g: PeerGroup| units.iter().filter(|u| u.group == g).count();
    let names: std::collections::HashMap<&str, &str> = units.iter().map(|u| (u.unit_code.as_str(), u.unit_name.as_str())).collect();
    let mut intro = vec![format!(
        "根据政务诚信考核办法，{office}对全市 {} 个单位（县（市、区）{} 个、市直单位 {} 个、乡镇（街道）{} 个）{} 年度的践诺履约、建议提案办理、12345 热线、政府债务、失信记录和社会评价情况进行了考核。现将考核结果通报如下。",
        units.len(),
        count(PeerGroup::County),
        count(PeerGroup::Department),
        count(PeerGroup::Township),
        v.year
    )];
    let vetoed: Vec<&UnitResult> = units.iter().filter(|u| u.vetoed).collect();
    if !vetoed.is_empty() {
        intro.push(format!("{} 个单位存在失信被执行人逾期未整改情形，按考核办法一票否决，等次为不合格。", vetoed.len()));
    }
    let vetoes = vetoed
        .iter()
        .map(|u| format!("{}（{}）：失信被执行人逾期未整改（{}）", u.unit_name, u.unit_code, u.veto_reason.as_deref().unwrap_or("–")))
        .collect();
    let mut groups = Vec::new();
    for (i, group) in PeerGroup::ALL.iter().enumerate() {
        let mut rows: Vec<&UnitResult> = units.iter().filter(|u| u.group == *group).collect();
        if rows.is_empty() {
            continue;
        }
        rows.sort_by_key(|u| (u.rank.is_none(), u.rank, u.unit_code.clone()));
        let grades: Vec<(String, String)> =
            Grade::ALL.iter().map(|g| (g.label_zh().to_string(), rows.iter().filter(|u| u.grade == *g).count().to_string())).collect();
        let summary = grades.iter().filter(|(_, n)| n != "0").map(|(g, n)| format!("{g} {n} 个")).collect::<Vec<_>>().join("、");
        let township = *group == PeerGroup::Township;
        let mut head = vec!["排名".to_string(), "单位".to_string()];
        if township {
            head.extend(["所属县（市、区）".to_string(), "县内排名".to_string()]);
        }
        head.extend(["总分".to_string(), "等次".to_string(), "较上年".to_string()]);
        let table_rows = rows
            .iter()
            .map(|u| {
                let mut cells = vec![u.rank.map_or("–".into(), |r| r.to_string()), u.unit_name.clone()];
                if township {
                    let county = u.parent_code.as_deref().and_then(|c| names.get(c)).copied().unwrap_or("–");
                    cells.extend([county.to_string(), u.county_rank.map_or("–".into(), |r| r.to_string())]);
                }
                cells.extend([cents(u.total), grade_text(u), dashboards::parts::rank_change(u.rank_change)]);
                cells
            })
            .collect();
        let (widths, numeric) = if township {
            (vec!["auto", "1fr", "auto", "auto", "auto", "auto", "auto"], vec![0, 3, 4, 6])
        } else {
            (vec!["auto", "1fr", "auto", "auto", "auto"], vec![0, 2, 4])
        };
        groups.push(NoticeGroup {
            heading: format!("{}、{}（{} 个）", NUMERALS[i.min(2)], group_heading(*group), rows.len()),
            summary: format!("等次分布：{summary}。"),
            grades,
            head,
            rows: table_rows,
            widths: widths.into_iter().map(str::to_string).collect(),
            numeric,
        });
    }
    let view = NoticeView {
        office: office.to_string(),
        title: title.clone(),
        status: status(v),
        intro,
        vetoes,
        groups,
        date: chinese_date(issued_on(v, today)),
        footer: title,
        provenance: provenance(v),
        audit_head: v.audit_head.clone().unwrap_or_default(),
    };
    dashboards::documents::notice::pdf(typesetter(), &view, ymd(issued_on(v, today)), &format!("zhengxin-{}-v{}-notice", v.year, v.version))
}

fn group_heading(group: PeerGroup) -> &'static str {
    group_label(Lang::Zh, group.code())
}

fn unit_pdf(cards: &Cards, card: &Card<'_>, office: &str, today: chrono::NaiveDate) -> Result<Vec<u8>, DocumentError> {
    let v = &cards.stored.info;
    let u = card.unit;
    let title = format!("{} {}年度政务诚信考核报告", u.unit_name, v.year);
    let headline = headline(u);
    let mut totals: Vec<f64> = card.peers.iter().map(|p| p.total).collect();
    totals.sort_by(f64::total_cmp);
    let median = if totals.is_empty() {
        0.0
    } else if totals.len() % 2 == 1 {
        totals[totals.len() / 2]
    } else {
        (totals[totals.len() / 2 - 1] + totals[totals.len() / 2]) / 2.0
    };
    let mut peers = vec![match u.rank {
        Some(r) => format!("在{}的 {} 个单位中排第 {r} 名（同分同名次）。", group_heading(u.group), card.peers.len()),
        None => format!("未评定等次，不参加{}的排名。", group_heading(u.group)),
    }];
    peers.push(format!(
        "本组最高 {}，中位数 {}，最低 {}；本单位 {}。",
        cents(totals.last().copied().unwrap_or(0.0)),
        cents(median),
        cents(totals.first().copied().unwrap_or(0.0)),
        cents(u.total)
    ));
    let mut indicators: Vec<Vec<String>> = Vec::new();
    for (r, previous) in &card.indicators {
        let name = analytics::indicators::label(&r.indicator).0.to_string();
        let (points, lost, change) = match r.points {
            Some(p) => (
                format!("{p:.4} / {}", r.weight),
                format!("{:.4}", r.weight - p),
                previous.map_or("–".into(), |q| format!("{:+.4}", p - q)),
            ),
            None => ("不适用".into(), "–".into(), "–".into()),
        };
        indicators.push(vec![name, r.value.map_or("–".into(), |x| format!("{x:.4}")), points, lost, change]);
    }
    let lost_total: f64 = card.indicators.iter().filter_map(|(r, _)| r.points.map(|p| r.weight - p)).sum();
    peers.push(format!("各项指标合计失分 {lost_total:.4}，明细见下表（失分为分值减得分）。"));
    // A year whose version is not published says 暂定 beside its year.
    let trend: Vec<Vec<String>> = card
        .trend
        .iter()
        .map(|t| {
            let year = if t.provisional { format!("{}（暂定）", t.year) } else { t.year.to_string() };
            vec![year, cents(t.unit.total), t.unit.rank.map_or("–".into(), |r| r.to_string()), grade_text(t.unit)]
        })
        .collect();
    let chart = (card.trend.len() > 1).then(|| {
        let years: Vec<dashboards::charts::trend::Year> = card
            .trend
            .iter()
            .map(|t| dashboards::charts::trend::Year { year: t.year, total: t.unit.total, rank: t.unit.rank, grade: t.unit.grade.to_string(), provisional: t.provisional })
            .collect();
        let labels = dashboards::charts::trend::Labels { total: "总分", rank: "组内排名（第 1 名在上）", provisional: "暂定" };
        dashboards::charts::trend::render("历年总分与排名", "", &years, u.group_size, labels)
    });
    let view = UnitReportView {
        office: office.to_string(),
        title: title.clone(),
        status: status(v),
        headline,
        peers,
        indicator_head: ["指标", "指标值", "得分 / 分值", "失分", "较上年"].map(str::to_string).to_vec(),
        indicators,
        trend_head: ["年度", "总分", "组内排名", "等次"].map(str::to_string).to_vec(),
        trend,
        trend_chart: chart.is_some(),
        date: chinese_date(issued_on(v, today)),
        footer: title,
        provenance: provenance(v),
    };
    let ident = format!("zhengxin-{}-v{}-{}", v.year, v.version, file_part(&u.unit_code));
    dashboards::documents::unit::pdf(typesetter(), &view, chart, ymd(issued_on(v, today)), &ident)
}

/// The unit's result, line by line: unit, total, base, bonus, ranks, grade.
fn headline(u: &UnitResult) -> Vec<(String, String)> {
    let mut headline = vec![
        ("单位".to_string(), format!("{}（{}） · {}", u.unit_name, u.unit_code, group_heading(u.group))),
        ("总分".to_string(), cents(u.total)),
        ("基础得分".to_string(), format!("{:.4}", u.base)),
        ("加分".to_string(), format!("{}", u.bonus)),
        ("组内排名".to_string(), u.rank.map_or("不排名".into(), |r| format!("{r} / {}", u.group_size))),
    ];
    if u.group == PeerGroup::Township {
        headline.push(("县内排名".to_string(), u.county_rank.map_or("–".into(), |r| r.to_string())));
    }
    headline.push(("等次".to_string(), grade_text(u)));
    if let Some(reason) = u.veto_reason.as_deref().filter(|_| u.vetoed) {
        headline.push(("否决依据".to_string(), reason.to_string()));
    }
    headline
}

/// Every unit's report in one ZIP, typeset on as many threads as the
/// machine has cores.
fn all_units_zip(cards: &Cards, office: &str, today: chrono::NaiveDate, stem: &str) -> Result<Vec<u8>, TypesetError> {
    let codes: Vec<&str> = cards.stored.rows.units.iter().map(|u| u.unit_code.as_str()).collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let chunk = codes.len().div_ceil(workers).max(1);
    let pdfs: Vec<Result<Vec<(String, Vec<u8>)>, DocumentError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = codes
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|code| {
                            let card = cards.card(code).expect("every unit of the version has a card");
                            Ok((format!("{stem}-{}.pdf", file_part(code)), unit_pdf(cards, &card, office, today)?))
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(DocumentError::Typeset("a typesetting thread failed".into())))).collect()
    });
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // PDFs are compressed already: stored as they are, with a fixed time so
    // the same version gives the same archive.
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    for part in pdfs {
        for (name, bytes) in part? {
            zip.start_file(name, options).map_err(|e| TypesetError::Zip(e.to_string()))?;
            zip.write_all(&bytes).map_err(|e| TypesetError::Zip(e.to_string()))?;
        }
    }
    let cursor = zip.finish().map_err(|e| TypesetError::Zip(e.to_string()))?;
    Ok(cursor.into_inner())
}
