//! Supervision of rectification (督办, integrity-records.md §3): records
//! with a rectification deadline that are not rectified, with the days
//! left or overdue, in the spec's bands, rolled up per county (its
//! townships included) and per department; and the supervision notice
//! (通报), stored whole when issued so it can be handed out again byte for
//! byte. A unit sees its own open deadlines on its first page.
//!
//! Readings of the spec, stated here and in the README:
//! - a record an accepted repair gave a rectified date is rectified; one
//!   voided by an accepted objection is never listed;
//! - the notice names government bodies only (records with subject
//!   `unit`): a person's record is never in a document that is handed
//!   around; it is seen on the supervision page, without the person;
//! - the notice describes the situation on its date: a record rectified
//!   after that date is still open there, one imported later but dated
//!   before it is included (the notice is kept as issued, so a later
//!   import never changes an issued one);
//! - a notice's date lies from 1 January of last year up to today (see
//!   [`NoticeDate`]).

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use analytics::domain::{DishonestyType, PeerGroup};
use serde::{Deserialize, Serialize};

use crate::auth::User;
use crate::db::audit::AuditLog;
use crate::db::notices::{self as stored, NoticeInfo, StoredNotice};
use crate::db::{Db, DbError};
use crate::typeset::TypesetError;

/// What supervision refuses or fails at.
#[derive(Debug, thiserror::Error)]
pub enum SupervisionError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// The user's role may not issue notices (`auth::access`).
    #[error("not allowed for this role")]
    Forbidden,
    #[error(transparent)]
    Typeset(#[from] TypesetError),
    /// Other notices took the next number each time this one was made.
    #[error("other notices were being issued at the same time; issue this one again")]
    Contended,
    /// A stored notice whose PDF no longer matches its stored hash: it is
    /// never handed out.
    #[error("notice {0} no longer matches its stored hash")]
    Tampered(i64),
    /// A notice's content that cannot be written or read back as JSON.
    #[error("notice content: {0}")]
    Content(#[from] serde_json::Error),
}

/// A supervision notice as the server keeps it: what it says, list by
/// list, exactly as issued. Stored as JSON beside its PDF (the format of
/// every notice issued so far), typeset by `typeset::supervision_notice`,
/// shown again by the notice page. It belongs to this use case, not to a
/// template: an issued notice must read the same whatever the page or the
/// PDF's view model becomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// The issuing office (configuration).
    pub office: String,
    pub title: String,
    /// "情况截至 2026年12月1日"
    pub status: String,
    pub intro: Vec<String>,
    pub sections: Vec<NoticeList>,
    /// "2026年12月1日"
    pub date: String,
    /// The running footer of every page: a draft says it is one; an issued
    /// notice gives its number and where its original is kept.
    pub footer: String,
    /// Who issued it and when; for a draft, that nothing was issued.
    pub provenance: String,
    /// A preview, not issued. Notices stored before this field existed
    /// were all issued.
    #[serde(default)]
    pub draft: bool,
    /// The number an issued notice carries (督办通报〔2026〕第 1 号).
    #[serde(default)]
    pub number: Option<String>,
}

/// One list of a notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeList {
    /// "一、列入失信被执行人名单的政府机构（3 条）"
    pub heading: String,
    /// A sentence before the table (or saying the list is empty).
    pub summary: String,
    pub head: Vec<String>,
    /// Cells as shown, one array per record.
    pub rows: Vec<Vec<String>>,
    /// "auto" or "1fr" per column.
    pub widths: Vec<String>,
    /// Columns of numbers (right-aligned).
    pub numeric: Vec<usize>,
}

/// The spec's bands of an open deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    /// More than 90 days past the deadline.
    LongOverdue,
    /// Past the deadline.
    Overdue,
    /// Due within 30 days (today included).
    DueSoon,
    /// Due later.
    Later,
}

impl Band {
    /// The band of a deadline `days_left` days away (negative: overdue).
    pub fn of(days_left: i64) -> Band {
        match days_left {
            d if d < -90 => Band::LongOverdue,
            d if d < 0 => Band::Overdue,
            d if d <= 30 => Band::DueSoon,
            _ => Band::Later,
        }
    }

    pub const ALL: [Band; 4] = [Band::LongOverdue, Band::Overdue, Band::DueSoon, Band::Later];

    pub fn code(self) -> &'static str {
        match self {
            Band::LongOverdue => "overdue_90",
            Band::Overdue => "overdue",
            Band::DueSoon => "due_30",
            Band::Later => "later",
        }
    }

    pub fn parse(code: &str) -> Option<Band> {
        Band::ALL.into_iter().find(|b| b.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Band::LongOverdue => "逾期超过90天",
            Band::Overdue => "已逾期",
            Band::DueSoon => "30天内到期",
            Band::Later => "30天以后到期",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Band::LongOverdue => "Overdue > 90 days",
            Band::Overdue => "Overdue",
            Band::DueSoon => "Due within 30 days",
            Band::Later => "Due later",
        }
    }
}

/// One record awaiting rectification.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDeadline {
    pub record_id: String,
    pub unit_code: String,
    /// A person's record (shown without the person).
    pub of_person: bool,
    pub kind: Option<DishonestyType>,
    pub occurred_on: NaiveDate,
    pub deadline: NaiveDate,
    /// Days from `today` to the deadline; negative when overdue.
    pub days_left: i64,
    pub band: Band,
}

/// The records of `unit` (or of every unit) awaiting rectification on
/// `today`, most urgent first; records voided by an accepted objection are
/// left out.
pub async fn open_deadlines(db: &Db, unit: Option<&str>, today: NaiveDate) -> Result<Vec<OpenDeadline>, DbError> {
    let voided = crate::db::objections::voided(db, "dishonesty").await?;
    // An accepted repair that gave a rectified date closes the deadline.
    let repairs = crate::repairs::effective(db).await?;
    let mut open: Vec<OpenDeadline> = crate::db::records::open_rectifications(db, unit)
        .await?
        .into_iter()
        .filter(|r| !voided.contains(&r.id) && repairs.get(&r.id).is_none_or(|a| a.rectified_on.is_none()))
        .map(|r| {
            let days_left = (r.rectify_deadline - today).num_days();
            OpenDeadline {
                kind: DishonestyType::parse(&r.record_type),
                band: Band::of(days_left),
                of_person: r.subject == "person",
                record_id: r.id,
                unit_code: r.unit_code,
                occurred_on: r.occurred_on,
                deadline: r.rectify_deadline,
                days_left,
            }
        })
        .collect();
    open.sort_by_key(|d| (d.band, d.days_left, d.record_id.clone()));
    Ok(open)
}

/// An open deadline with where it is rolled up.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub deadline: OpenDeadline,
    pub unit_name: String,
    /// The county (a township's parent, or the county itself) or the
    /// department the record is counted under.
    pub area_code: String,
    pub area_name: String,
}

/// One county's or department's counts, per band in [`Band::ALL`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub code: String,
    pub name: String,
    pub counts: [usize; 4],
}

/// What the supervision page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    /// The records the filter keeps, most urgent first.
    pub rows: Vec<Placed>,
    /// Per county, its townships included, and per department: over the
    /// records of the type filter (every area and band, so the rollups
    /// always show the whole picture).
    pub counties: Vec<Rollup>,
    pub departments: Vec<Rollup>,
}

/// The supervision page's filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub band: Option<Band>,
    /// A county's or a department's code.
    pub area: Option<String>,
    pub kind: Option<DishonestyType>,
}

/// Every open deadline on `today`, placed and rolled up.
pub async fn board(db: &Db, today: NaiveDate, filter: &Filter) -> Result<Board, DbError> {
    let units = crate::db::units::all(db).await?;
    let by_code: std::collections::HashMap<&str, &crate::db::units::UnitRef> = units.iter().map(|u| (u.code.as_str(), u)).collect();
    let name = |code: &str| by_code.get(code).map_or_else(|| code.to_string(), |u| u.name.clone());
    let mut counties: Vec<Rollup> = Vec::new();
    let mut departments: Vec<Rollup> = Vec::new();
    for u in &units {
        let rollup = Rollup { code: u.code.clone(), name: u.name.clone(), counts: [0; 4] };
        match PeerGroup::parse(&u.group) {
            Some(PeerGroup::County) => counties.push(rollup),
            Some(PeerGroup::Department) => departments.push(rollup),
            _ => {}
        }
    }
    let mut rows = Vec::new();
    for d in open_deadlines(db, None, today).await? {
        if filter.kind.is_some_and(|k| d.kind != Some(k)) {
            continue;
        }
        let unit = by_code.get(d.unit_code.as_str());
        let area_code = match unit {
            Some(u) if PeerGroup::parse(&u.group) == Some(PeerGroup::Township) => u.parent_code.clone().unwrap_or_else(|| u.code.clone()),
            _ => d.unit_code.clone(),
        };
        let band_index = Band::ALL.iter().position(|b| *b == d.band).unwrap_or(3);
        if let Some(r) = counties.iter_mut().chain(departments.iter_mut()).find(|r| r.code == area_code) {
            r.counts[band_index] += 1;
        }
        if filter.band.is_some_and(|b| b != d.band) || filter.area.as_ref().is_some_and(|a| *a != area_code) {
            continue;
        }
        rows.push(Placed { unit_name: name(&d.unit_code), area_name: name(&area_code), area_code, deadline: d });
    }
    Ok(Board { rows, counties, departments })
}

/// The board's records as a download: (English name, Chinese title) of
/// each column and one row of cells per record. A person's record shows
/// its unit only.
pub fn table(rows: &[Placed]) -> (Vec<(String, String)>, Vec<Vec<crate::scoring::export::Cell>>) {
    use crate::scoring::export::Cell;
    const COLUMNS: [(&str, &str); 11] = [
        ("unit_code", "单位编码"),
        ("unit_name", "单位名称"),
        ("area_code", "所属编码"),
        ("area_name", "所属"),
        ("record_id", "记录编号"),
        ("type", "记录类型"),
        ("subject", "主体"),
        ("occurred_on", "发生日期"),
        ("rectify_deadline", "整改期限"),
        ("days_left", "剩余天数（负数为逾期）"),
        ("band", "督办等级"),
    ];
    let body = rows
        .iter()
        .map(|p| {
            let d = &p.deadline;
            vec![
                Cell::Text(d.unit_code.clone()),
                Cell::Text(p.unit_name.clone()),
                Cell::Text(p.area_code.clone()),
                Cell::Text(p.area_name.clone()),
                Cell::Text(d.record_id.clone()),
                Cell::Text(d.kind.map_or("", |k| k.label_zh()).to_string()),
                Cell::Text(if d.of_person { "个人" } else { "单位" }.to_string()),
                Cell::Text(d.occurred_on.to_string()),
                Cell::Text(d.deadline.to_string()),
                Cell::Number(d.days_left as f64, Some(0)),
                Cell::Text(d.band.label_zh().to_string()),
            ]
        })
        .collect();
    (COLUMNS.iter().map(|(en, zh)| (en.to_string(), zh.to_string())).collect(), body)
}

/// The date of a notice, within the range an assessor would accept.
///
/// Read, as a careful assessment team would: a notice reports on the
/// rectifications of the year being supervised, which is this year or,
/// early in a year, the last one (the notice of 31 December issued in
/// January); so its date lies from 1 January of last year up to today,
/// both included. A later date would describe a situation nobody knows
/// yet; an earlier one (0001-01-01, 2002 for 2025) is a typing mistake,
/// and an issued notice is kept for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeDate(NaiveDate);

/// A date outside [`NoticeDate`]'s range, with the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a notice's date must lie from {first} to today ({today}), not {day}")]
pub struct NoticeDateError {
    pub day: NaiveDate,
    pub first: NaiveDate,
    pub today: NaiveDate,
}

impl NoticeDate {
    /// `day` as a notice's date on `today`.
    pub fn new(day: NaiveDate, today: NaiveDate) -> Result<NoticeDate, NoticeDateError> {
        let first = NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(NaiveDate::MIN);
        if (first..=today).contains(&day) { Ok(NoticeDate(day)) } else { Err(NoticeDateError { day, first, today }) }
    }

    pub fn day(self) -> NaiveDate {
        self.0
    }
}

/// The notice's tables on `as_of`: the government bodies on the courts'
/// list, and those with overdue rectifications.
pub async fn notice(db: &Db, as_of: NaiveDate, office: &str, made: &Made<'_>) -> Result<Notice, DbError> {
    use crate::typeset::chinese_date;
    let names = crate::db::units::names(db).await?;
    let voided = crate::db::objections::voided(db, "dishonesty").await?;
    let repairs = crate::repairs::effective(db).await?;
    let mut listings = Vec::new();
    let mut overdue = Vec::new();
    for r in crate::db::records::of_bodies(db).await? {
        if voided.contains(&r.id) || r.occurred_on > as_of {
            continue;
        }
        let rectified_on = repairs.get(&r.id).and_then(|a| a.rectified_on).or(r.rectified_on);
        if rectified_on.is_some_and(|d| d <= as_of) {
            continue;
        }
        let kind = r.record_type;
        let late = r.rectify_deadline.map(|d| (as_of - d).num_days()).filter(|days| *days > 0);
        let deadline = r.rectify_deadline.map_or_else(|| "—".to_string(), |d| d.to_string());
        if kind == DishonestyType::CourtListing {
            let state = late.map_or_else(|| "整改期限内".to_string(), |days| format!("逾期 {days} 天"));
            listings.push((r.occurred_on, vec![names.of(&r.unit_code), r.occurred_on.to_string(), deadline.clone(), state]));
        }
        if let Some(days) = late {
            overdue.push((-days, vec![names.of(&r.unit_code), kind.label_zh().to_string(), r.occurred_on.to_string(), deadline, days.to_string(), Band::of(-days).label_zh().to_string()]));
        }
    }
    listings.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    overdue.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let day = chinese_date(as_of);
    let listing_rows = numbered(listings);
    let overdue_rows = numbered(overdue);
    let sections = vec![
        NoticeList {
            heading: format!("一、列入失信被执行人名单的政府机构（{} 条）", listing_rows.len()),
            summary: if listing_rows.is_empty() { format!("截至{day}，没有政府机构在失信被执行人名单中。") } else { format!("截至{day}，以下政府机构仍在失信被执行人名单中，请于整改期限内履行义务、移出名单。") },
            head: ["序号", "单位", "列入日期", "整改期限", "状态"].map(String::from).to_vec(),
            rows: listing_rows,
            widths: ["auto", "1fr", "auto", "auto", "auto"].map(String::from).to_vec(),
            numeric: vec![0],
        },
        NoticeList {
            heading: format!("二、逾期未整改的失信记录（{} 条）", overdue_rows.len()),
            summary: if overdue_rows.is_empty() { format!("截至{day}，没有逾期未整改的失信记录。") } else { format!("截至{day}，以下失信记录已超过整改期限仍未整改，请相关单位立即整改并报送整改情况；逾期超过90天的，将严格追究责任。") },
            head: ["序号", "单位", "类型", "发生日期", "整改期限", "逾期天数", "督办等级"].map(String::from).to_vec(),
            rows: overdue_rows,
            widths: ["auto", "1fr", "auto", "auto", "auto", "auto", "auto"].map(String::from).to_vec(),
            numeric: vec![0, 5],
        },
    ];
    Ok(Notice {
        office: office.to_string(),
        title: "政务失信整改督办通报".into(),
        status: format!("情况截至 {day}"),
        intro: vec![format!(
            "根据《温州市人民政府办公室关于加强政务诚信建设的实施意见》关于定期通报、逾期未整改严格追究的要求，现将截至{day}政府机构失信被执行人名单和失信记录逾期未整改情况通报如下。"
        )],
        sections,
        date: day,
        footer: made.footer(),
        provenance: made.provenance(),
        draft: matches!(made, Made::Draft { .. }),
        number: match made {
            Made::Draft { .. } => None,
            Made::Issued { number, .. } => Some(number.clone()),
        },
    })
}

/// What a notice is made as: a draft to read before issuing (no number,
/// no signer, 草稿 on every page), or the notice being issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Made<'a> {
    Draft { at: NaiveDateTime },
    Issued { by: &'a str, at: NaiveDateTime, number: String },
}

impl Made<'_> {
    /// Every page's footer (before 第 X 页 共 Y 页).
    fn footer(&self) -> String {
        match self {
            Made::Draft { .. } => "政务失信整改督办通报（草稿，未签发）".into(),
            Made::Issued { number, .. } => format!("{number} · 原件存档：政信系统 › 整改督办 › 督办通报"),
        }
    }

    /// The small print at the end.
    fn provenance(&self) -> String {
        match self {
            Made::Draft { at } => format!("草稿：生成于 {}，尚未签发，不作为正式通报使用；正式通报以签发后的编号件为准。", at.format("%Y-%m-%d %H:%M")),
            Made::Issued { by, at, number } => format!(
                "{number}，由 {by} 于 {} 签发。本通报签发时原样存档：在政信系统“整改督办 › 督办通报”中按编号可调阅原件及其 PDF，与本件逐字节相同。",
                at.format("%Y-%m-%d %H:%M")
            ),
        }
    }
}

/// The number of the `seq`-th notice issued in `year`.
fn notice_number(year: i32, seq: i64) -> String {
    format!("督办通报〔{year}〕第 {seq} 号")
}

/// Rows with a serial number first, in their order.
fn numbered<K>(rows: Vec<(K, Vec<String>)>) -> Vec<Vec<String>> {
    rows.into_iter()
        .enumerate()
        .map(|(i, (_, mut cells))| {
            cells.insert(0, (i + 1).to_string());
            cells
        })
        .collect()
}

/// The notice of `as_of` as it would be issued now, not stored (a draft
/// to read before issuing).
pub async fn preview(db: &Db, as_of: NoticeDate, office: &str) -> Result<Vec<u8>, SupervisionError> {
    let as_of = as_of.day();
    let draft = notice(db, as_of, office, &Made::Draft { at: crate::clock::now_cst() }).await?;
    Ok(crate::typeset::supervision_notice(&draft, as_of, format!("zhengxin-supervision-draft-{as_of}")).await?)
}

/// Issues the notice of `as_of` (the assessment team): typesets it, then
/// stores its content, PDF and the PDF's SHA-256 with who issued it, in
/// one transaction with the audit entry; its id.
pub async fn issue(db: &Db, user: &User, as_of: NoticeDate, office: &str) -> Result<i64, SupervisionError> {
    let as_of = as_of.day();
    if !user.may(crate::auth::Capability::IssueNotices) {
        return Err(SupervisionError::Forbidden);
    }
    // The number is the year's next; it is typeset into the PDF before
    // the write transaction (typesetting must not hold the writer), and
    // checked again inside it: if another notice took it meanwhile, the
    // notice is made again with the next one.
    for _ in 0..3 {
        let now = crate::clock::now_cst();
        let seq = stored::issued_in_year(db, now.year()).await? + 1;
        let number = notice_number(now.year(), seq);
        let made = notice(db, as_of, office, &Made::Issued { by: &user.username, at: now, number: number.clone() }).await?;
        let content = serde_json::to_string(&made)?;
        let pdf = crate::typeset::supervision_notice(&made, as_of, format!("zhengxin-supervision-{as_of}-{}", now.format("%Y%m%d%H%M%S"))).await?;
        let hash = crate::hashing::sha256_bytes(&pdf);
        let mut tx = db.begin_write().await?;
        if stored::issued_in_year_tx(&mut tx, now.year()).await? + 1 != seq {
            continue;
        }
        let id = stored::insert(&mut tx, as_of, &user.username, now, &content, &hash, &pdf).await?;
        let mut audit = AuditLog::open(&mut tx).await?;
        audit.record(&user.username, "notice_issue", "notices", &id.to_string(), serde_json::json!({ "as_of": as_of, "number": number, "sha256": hash, "bytes": pdf.len() }));
        audit.flush(&mut tx).await?;
        tx.commit().await?;
        return Ok(id);
    }
    Err(SupervisionError::Contended)
}

/// Every issued notice, the newest first.
pub async fn notices(db: &Db) -> Result<Vec<(NoticeInfo, String)>, DbError> {
    Ok(numbered_notices(stored::list(db).await?))
}

/// Each notice with the number it was issued under: the year of its issue
/// and its place among that year's notices, oldest first (as [`issue`]
/// counts them). `list` is newest first, as is the answer.
fn numbered_notices(list: Vec<NoticeInfo>) -> Vec<(NoticeInfo, String)> {
    let mut seen: std::collections::HashMap<i32, i64> = std::collections::HashMap::new();
    let mut out: Vec<(NoticeInfo, String)> = list
        .into_iter()
        .rev()
        .map(|n| {
            let year = n.issued_at.year();
            let seq = seen.entry(year).or_default();
            *seq += 1;
            let number = notice_number(year, *seq);
            (n, number)
        })
        .collect();
    out.reverse();
    out
}

/// An issued notice as stored, checked against its hash (a stored notice
/// that no longer matches is an error, never handed out), the hand-out
/// audited for `actor`.
pub async fn issued(db: &Db, id: i64, actor: &str) -> Result<Option<(StoredNotice, Notice)>, SupervisionError> {
    let Some(stored) = stored::get(db, id).await? else { return Ok(None) };
    if crate::hashing::sha256_bytes(&stored.pdf) != stored.info.content_hash {
        return Err(SupervisionError::Tampered(id));
    }
    let notice: Notice = serde_json::from_str(&stored.content)?;
    crate::db::audit::record_one(db, actor, "notice_read", "notices", &id.to_string(), serde_json::json!({ "sha256": stored.info.content_hash })).await?;
    Ok(Some((stored, notice)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_spec() {
        assert_eq!(Band::of(31), Band::Later);
        assert_eq!(Band::of(30), Band::DueSoon);
        assert_eq!(Band::of(0), Band::DueSoon, "due today is not yet overdue");
        assert_eq!(Band::of(-1), Band::Overdue);
        assert_eq!(Band::of(-90), Band::Overdue);
        assert_eq!(Band::of(-91), Band::LongOverdue);
        assert!(Band::LongOverdue < Band::Overdue && Band::Overdue < Band::DueSoon, "most urgent first");
    }

    #[test]
    fn a_notice_is_dated_from_last_new_year_to_today() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let today = d("2026-03-10");
        for ok in ["2025-01-01", "2025-12-31", "2026-03-10"] {
            assert_eq!(NoticeDate::new(d(ok), today).map(NoticeDate::day), Ok(d(ok)));
        }
        for bad in ["0001-01-01", "2024-12-31", "2026-03-11", "9999-12-31"] {
            let e = NoticeDate::new(d(bad), today).unwrap_err();
            assert_eq!(e, NoticeDateError { day: d(bad), first: d("2025-01-01"), today });
        }
        assert!(NoticeDate::new(NaiveDate::MIN, NaiveDate::MIN).is_ok(), "no overflow at the calendar's start");
    }

    #[test]
    fn notices_are_numbered_from_1_in_each_year_of_issue() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let at = |id: i64, day: &str| NoticeInfo {
            id,
            as_of: d(day),
            issued_by: "assessor".into(),
            issued_at: d(day).and_hms_opt(9, 0, 0).unwrap(),
            content_hash: String::new(),
        };
        let newest_first = vec![at(4, "2027-01-02"), at(3, "2026-12-01"), at(2, "2026-06-01"), at(1, "2025-12-31")];
        let numbers: Vec<(i64, String)> = numbered_notices(newest_first).into_iter().map(|(n, number)| (n.id, number)).collect();
        assert_eq!(
            numbers,
            [(4, "督办通报〔2027〕第 1 号".into()), (3, "督办通报〔2026〕第 2 号".into()), (2, "督办通报〔2026〕第 1 号".into()), (1, "督办通报〔2025〕第 1 号".into())]
        );
    }
}
