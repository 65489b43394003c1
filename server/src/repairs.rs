//! 信用修复 (integrity-records.md §2): a unit that has corrected one of its
//! records asks for the lighter treatment the plan allows (从轻或免于惩戒);
//! the assessment team accepts with a mitigation or rejects with a reason
//! within five working days.
//!
//! An objection says a record is wrong and voids it; a repair says it is
//! right but corrected. Accepted, the repair's mitigation (and
//! rectified_on, where the decision sets one) apply to every scoring made
//! after the decision, exactly as a void does (`db::inputs` reads them with
//! the records, and they are part of the inputs' state, so snapshots and
//! fingerprints change); published versions never change. The record's
//! imported values stay as imported; the audit log keeps both values, who
//! decided and why.
//!
//! Readings of the spec, stated here and in the README:
//! - at least one evidence file is required ("a statement and evidence
//!   files");
//! - a record whose mitigation is already `exempt` cannot be lightened and
//!   is refused;
//! - a rectified date belongs to a court listing (required unless the
//!   record already has one) or to a record with a rectification deadline
//!   (optional: given, it closes the deadline in supervision); it lies
//!   between the record's occurred_on and today;
//! - a decision is re-checked against the record as it stands then (an
//!   objection accepted meanwhile voids it; an exempt record is not
//!   lightened again), and an accepted repair without a date keeps an
//!   earlier repair's;
//! - a later import that changes the record does not undo an accepted
//!   repair: the decision stands until another one replaces it;
//! - working days are Monday to Friday: public holidays and the weekend
//!   days the State Council makes working days are not modelled.

use chrono::{Datelike, NaiveDate, Weekday};

use analytics::domain::{DishonestyType, Mitigation, RepairStatus};

use crate::auth::{Capability, Scope};
use crate::auth::User;
use crate::clock::now_cst;
use crate::db::audit::AuditLog;
use crate::db::repairs::{self as stored, EvidenceInfo, NewRepair};
use crate::db::{Db, DbError};
use crate::objections::{TextRefusal, required_text};

pub use crate::db::repairs::RepairRow;

/// The longest statement accepted, in characters.
pub const MAX_STATEMENT: usize = 2000;
/// The longest decision reason accepted, in characters.
pub const MAX_REASON: usize = 1000;
/// The most evidence files an application may carry.
pub const MAX_FILES: usize = 5;
/// The largest evidence file accepted.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Working days the assessment team has to decide.
pub const WORKING_DAYS: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// What the application or decision cannot be, named here and worded
    /// by the adapter for its readers.
    #[error("{0}")]
    Refused(Refusal),
    /// Unknown, or not the user's to see or touch.
    #[error("not found")]
    NotFound,
}

/// Why an application or a decision is refused. `Display` is a plain
/// English line (the command line, logs); the pages word it themselves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("attach at least one evidence file (PDF, JPEG or PNG)")]
    NoEvidence,
    #[error("at most {MAX_FILES} evidence files; {sent} were sent")]
    TooManyFiles { sent: usize },
    #[error("{name}: larger than 10 MB")]
    FileTooLarge { name: String },
    #[error("{name}: not a PDF, JPEG or PNG file (judged by its content, not its name)")]
    NotEvidence { name: String },
    #[error("the statement: {0}")]
    Statement(TextRefusal),
    #[error("the reason: {0}")]
    Reason(TextRefusal),
    #[error("this record is already exempt")]
    AlreadyExempt,
    #[error("record {record} is not a court listing and has no rectification deadline, so it takes no rectified date")]
    TakesNoDate { record: String },
    /// A court listing applied for without the day it left the list.
    #[error("a court listing needs the date it was rectified")]
    ListingNeedsDate,
    /// A court listing accepted without any rectified date.
    #[error("a court listing needs its rectified date")]
    AcceptedListingNeedsDate,
    #[error("this record already has an open repair application")]
    AlreadyOpen,
    #[error("this record was voided by an accepted objection; there is nothing to repair")]
    Voided,
    #[error("the date rectified, {day}, is before the record was decided ({occurred_on})")]
    RectifiedBeforeRecord { day: NaiveDate, occurred_on: NaiveDate, today: NaiveDate },
    #[error("the date rectified, {day}, is after today ({today})")]
    RectifiedAfterToday { day: NaiveDate, today: NaiveDate },
    #[error("an accepted repair is either reduced or exempt")]
    MitigationNeeded,
}

fn refused(r: Refusal) -> RepairError {
    RepairError::Refused(r)
}

/// An uploaded evidence file, as received.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The media type of a file by its first bytes: PDF, JPEG or PNG, the
/// three kinds the spec accepts. The signatures are the formats' own
/// (ISO 32000 `%PDF-`, JPEG's SOI marker, PNG's eight-byte signature); a
/// file's name and the browser's declared type are never trusted.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if carries_markup(bytes) {
        return None;
    }
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// Whether a file's first kilobyte holds an HTML page's markup: a file
/// that begins with a PDF's or an image's signature and then carries a
/// page (a polyglot) is no evidence, whatever it is served as.
fn carries_markup(bytes: &[u8]) -> bool {
    let head = bytes[..bytes.len().min(1024)].to_ascii_lowercase();
    [&b"<html"[..], b"<script", b"<!doctype", b"<body", b"<iframe", b"<svg", b"<object", b"<embed"].iter().any(|tag| memchr::memmem::find(&head, tag).is_some())
}

/// The day a decision is due: `WORKING_DAYS` working days (Monday to
/// Friday) after the day of filing.
pub fn due_on(filed: NaiveDate) -> NaiveDate {
    let mut day = filed;
    let mut left = WORKING_DAYS;
    while left > 0 {
        day = day.succ_opt().expect("a date within chrono's range");
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

/// Checks the evidence files, returning each one's description.
fn check_files(files: &[Upload]) -> Result<Vec<EvidenceInfo>, RepairError> {
    if files.is_empty() {
        return Err(refused(Refusal::NoEvidence));
    }
    if files.len() > MAX_FILES {
        return Err(refused(Refusal::TooManyFiles { sent: files.len() }));
    }
    let mut infos = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let name = f.file_name.clone();
        if f.bytes.len() > MAX_FILE_BYTES {
            return Err(refused(Refusal::FileTooLarge { name }));
        }
        let Some(media_type) = sniff(&f.bytes) else {
            return Err(refused(Refusal::NotEvidence { name }));
        };
        infos.push(EvidenceInfo {
            position: i as i32 + 1,
            file_name: name,
            media_type: media_type.to_string(),
            size: f.bytes.len() as i64,
            sha256: crate::hashing::sha256_bytes(&f.bytes),
        });
    }
    Ok(infos)
}



/// What a unit applies with.
pub struct Application {
    pub record_id: String,
    pub statement: String,
    pub rectified_on: Option<NaiveDate>,
    pub files: Vec<Upload>,
}

/// A unit user applies to repair one of its unit's records; the new
/// application's id. Everything is checked before anything is written,
/// and the application and its files are written in one transaction.
pub async fn apply(db: &Db, user: &User, a: Application) -> Result<i64, RepairError> {
    let unit = match user.own_unit() {
        Some(code) if user.may(Capability::ApplyForRepair) => code.to_string(),
        _ => return Err(RepairError::NotFound),
    };
    let statement = required_text(&a.statement, MAX_STATEMENT).map_err(|r| refused(Refusal::Statement(r)))?;
    let infos = check_files(&a.files)?;
    let mut tx = db.begin_write().await?;
    // The time of filing is read once the write lock is held, so that it
    // orders with every other write.
    let now = now_cst();
    let record = stored::record(&mut tx, &a.record_id).await?.filter(|r| r.unit_code == unit).ok_or(RepairError::NotFound)?;
    let (mitigation, rectified_on) = current_state(&mut tx, &record.id, record.mitigation, record.rectified_on).await?;
    if mitigation == Mitigation::Exempt {
        return Err(refused(Refusal::AlreadyExempt));
    }
    let listing = record.record_type == DishonestyType::CourtListing;
    match (takes_date(record.record_type, record.rectify_deadline), a.rectified_on, rectified_on) {
        (false, Some(_), _) => return Err(refused(Refusal::TakesNoDate { record: record.id.clone() })),
        (true, None, None) if listing => return Err(refused(Refusal::ListingNeedsDate)),
        (true, Some(day), _) => check_rectified(day, record.occurred_on, now.date())?,
        _ => {}
    }
    if stored::has_open(&mut tx, &record.id).await? {
        return Err(refused(Refusal::AlreadyOpen));
    }
    let new = NewRepair { record_id: &record.id, unit_code: &unit, statement: &statement, claimed_rectified_on: a.rectified_on, filed_by: &user.username, filed_at: now };
    let id = stored::insert(&mut tx, &new).await?;
    for (info, file) in infos.iter().zip(&a.files) {
        stored::insert_evidence(&mut tx, id, info, &file.bytes).await?;
    }
    let mut audit = AuditLog::open(&mut tx).await?;
    let files: Vec<_> = infos.iter().map(|i| serde_json::json!({ "name": i.file_name, "type": i.media_type, "size": i.size, "sha256": i.sha256 })).collect();
    audit.record(
        &user.username,
        "repair_apply",
        "repairs",
        &id.to_string(),
        serde_json::json!({ "record": record.id, "statement": statement, "rectified_on": a.rectified_on, "evidence": files }),
    );
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// Whether a repair may carry a rectified date: a court listing (the date
/// it left the list) or any record with a rectification deadline (the
/// date the deadline was met, which closes it in supervision).
pub fn takes_date(record_type: DishonestyType, deadline: Option<NaiveDate>) -> bool {
    record_type == DishonestyType::CourtListing || deadline.is_some()
}

/// A record's mitigation and rectified date as they stand: its latest
/// accepted repair over its imported values. Refuses a record voided by an
/// accepted objection. Read inside the write.
async fn current_state(tx: &mut crate::db::Tx, record_id: &str, mitigation: Mitigation, rectified_on: Option<NaiveDate>) -> Result<(Mitigation, Option<NaiveDate>), RepairError> {
    if stored::is_voided(tx, record_id).await? {
        return Err(refused(Refusal::Voided));
    }
    Ok(match stored::latest_accepted(tx, record_id).await? {
        Some(r) => (r.mitigation, r.rectified_on.or(rectified_on)),
        None => (mitigation, rectified_on),
    })
}

fn check_rectified(day: NaiveDate, occurred_on: NaiveDate, today: NaiveDate) -> Result<(), RepairError> {
    if day < occurred_on {
        return Err(refused(Refusal::RectifiedBeforeRecord { day, occurred_on, today }));
    }
    if day > today {
        return Err(refused(Refusal::RectifiedAfterToday { day, today }));
    }
    Ok(())
}

/// The assessment team's decision.
pub enum Decision {
    Accept { mitigation: Mitigation, rectified_on: Option<NaiveDate> },
    Reject,
}

/// The assessment team decides an open application, with a reason. An
/// acceptance records the record's values before and after in the audit
/// entry.
pub async fn decide(db: &Db, assessor: &User, id: i64, decision: Decision, reason: &str) -> Result<(), RepairError> {
    if !assessor.may(Capability::DecideRepairs) {
        return Err(RepairError::NotFound);
    }
    let reason = required_text(reason, MAX_REASON).map_err(|r| refused(Refusal::Reason(r)))?;
    let mut tx = db.begin_write().await?;
    // Decided at a time read under the write lock: a scoring that did not
    // see the decision was computed before it (reproduction relies on it).
    let now = now_cst();
    let open = stored::open_one(&mut tx, id).await?.ok_or(RepairError::NotFound)?;
    let previous_repair = stored::latest_accepted(&mut tx, &open.record_id).await?.and_then(|r| r.rectified_on);
    let (before_mitigation, before_rectified) = current_state(&mut tx, &open.record_id, open.record_mitigation, open.record_rectified_on).await?;
    let listing = open.record_type == DishonestyType::CourtListing;
    let dated = takes_date(open.record_type, open.rectify_deadline);
    let (status, mitigation, rectified_on) = match decision {
        Decision::Reject => (RepairStatus::Rejected, None, None),
        Decision::Accept { mitigation: Mitigation::None, .. } => {
            return Err(refused(Refusal::MitigationNeeded));
        }
        Decision::Accept { .. } if before_mitigation == Mitigation::Exempt => {
            return Err(refused(Refusal::AlreadyExempt));
        }
        Decision::Accept { mitigation, rectified_on } => {
            let given = if dated { rectified_on.or(open.claimed_rectified_on) } else { None };
            if let Some(day) = given {
                check_rectified(day, open.occurred_on, now.date())?;
            }
            if listing && given.is_none() && before_rectified.is_none() {
                return Err(refused(Refusal::AcceptedListingNeedsDate));
            }
            // A repair that gives no date keeps an earlier repair's: the
            // latest accepted repair is the one every reading applies.
            (RepairStatus::Accepted, Some(mitigation), given.or(previous_repair))
        }
    };
    let d = stored::Decision { status, decided_by: &assessor.username, decided_at: now, reason: &reason, mitigation, rectified_on };
    if !stored::decide(&mut tx, id, &d).await? {
        return Err(RepairError::NotFound);
    }
    let mut audit = AuditLog::open(&mut tx).await?;
    let mut detail = serde_json::json!({ "record": open.record_id, "status": status, "reason": reason });
    if status == RepairStatus::Accepted {
        detail["mitigation"] = serde_json::json!([before_mitigation, mitigation]);
        detail["rectified_on"] = serde_json::json!([before_rectified, rectified_on.or(before_rectified)]);
    }
    audit.record(&assessor.username, &format!("repair_{status}"), "repairs", &id.to_string(), detail);
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Every record's latest accepted repair, by record id: what disclosure
/// and supervision apply to the imported values.
pub async fn effective(db: &Db) -> Result<std::collections::HashMap<String, stored::AcceptedRepair>, DbError> {
    Ok(stored::accepted(db, None).await?.into_iter().map(|r| (r.record_id.clone(), r)).collect())
}

/// The records of `unit` it may apply to repair: visible, not voided,
/// not already exempt, without an open application; the newest first.
pub async fn repairable(db: &Db, user: &User) -> Result<Vec<stored::RepairableRecord>, RepairError> {
    let unit = match user.own_unit() {
        Some(code) if user.may(Capability::ApplyForRepair) => code,
        _ => return Ok(Vec::new()),
    };
    let voided = crate::db::objections::voided(db, "dishonesty").await?;
    let repaired = effective(db).await?;
    let open: std::collections::HashSet<String> = stored::list(db, Some(unit)).await?.into_iter().filter(|r| r.status == RepairStatus::Open).map(|r| r.record_id).collect();
    Ok(stored::of_unit(db, unit)
        .await?
        .into_iter()
        .filter(|r| !voided.contains(&r.id) && !open.contains(&r.id))
        .filter(|r| repaired.get(&r.id).map_or(r.mitigation, |a| a.mitigation) != Mitigation::Exempt)
        .collect())
}

/// An application as its list shows it.
pub struct Listed {
    pub row: RepairRow,
    pub due_on: NaiveDate,
    /// Open and past its due day.
    pub overdue: bool,
}

impl Listed {
    /// An application as of `today`: its due day, and whether it is open
    /// past it.
    pub fn of(row: RepairRow, today: NaiveDate) -> Listed {
        let due_on = due_on(row.filed_at.date());
        let overdue = row.status == RepairStatus::Open && today > due_on;
        Listed { row, due_on, overdue }
    }

    /// Whether the assessment team may still decide it.
    pub fn open(&self) -> bool {
        self.row.status == RepairStatus::Open
    }

    /// Whether an acceptance may carry a rectified date ([`takes_date`]).
    pub fn takes_date(&self) -> bool {
        takes_date(self.row.record_type, self.row.rectify_deadline)
    }
}

/// The applications `user` may see: a unit's own, or (assessment team)
/// all. Open ones first, the overdue before the rest, each by due day;
/// then the decided ones, the newest first.
pub async fn list(db: &Db, user: &User, today: NaiveDate) -> Result<Vec<Listed>, RepairError> {
    if !user.may(Capability::SeeRepairs) {
        return Err(RepairError::NotFound);
    }
    let rows = match user.scope() {
        Scope::Every => stored::list(db, None).await?,
        Scope::Unit(code) => stored::list(db, Some(code)).await?,
        Scope::None => return Err(RepairError::NotFound),
    };
    let mut listed: Vec<Listed> = rows
        .into_iter()
        .map(|row| Listed::of(row, today))
        .collect();
    listed.sort_by(|a, b| {
        let decided = |l: &Listed| l.row.status != RepairStatus::Open;
        decided(a).cmp(&decided(b)).then_with(|| if a.row.status == RepairStatus::Open { a.due_on.cmp(&b.due_on).then(a.row.id.cmp(&b.row.id)) } else { b.row.id.cmp(&a.row.id) })
    });
    Ok(listed)
}

/// One application with its evidence descriptions, for the assessment
/// team or the applying unit only.
pub async fn one(db: &Db, user: &User, id: i64) -> Result<(RepairRow, Vec<EvidenceInfo>), RepairError> {
    let row = stored::get(db, id).await?.ok_or(RepairError::NotFound)?;
    if !may_see(user, &row) {
        return Err(RepairError::NotFound);
    }
    Ok((row, stored::evidence_list(db, id).await?))
}

/// One evidence file, for the assessment team or the applying unit only.
pub async fn evidence(db: &Db, user: &User, id: i64, position: i32) -> Result<(EvidenceInfo, Vec<u8>), RepairError> {
    let row = stored::get(db, id).await?.ok_or(RepairError::NotFound)?;
    if !may_see(user, &row) {
        return Err(RepairError::NotFound);
    }
    stored::evidence(db, id, position).await?.ok_or(RepairError::NotFound)
}

/// Evidence and statements are shown only to the assessment team and the
/// applying unit.
fn may_see(user: &User, row: &RepairRow) -> bool {
    user.may(Capability::SeeRepairs) && user.sees_unit_in_full(&row.unit_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn decisions_are_due_five_working_days_after_filing() {
        // 2026-11-30 is a Monday: due the next Monday.
        assert_eq!(due_on(d("2026-11-30")), d("2026-12-07"));
        // A Thursday: the weekend is skipped.
        assert_eq!(due_on(d("2026-12-03")), d("2026-12-10"));
        // Filed on a Saturday: counted from Monday.
        assert_eq!(due_on(d("2026-12-05")), d("2026-12-11"));
    }

    #[test]
    fn a_rectified_date_lies_between_the_records_day_and_today_and_says_so() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(check_rectified(d("2025-06-01"), d("2025-06-01"), d("2026-11-25")).is_ok());
        assert!(check_rectified(d("2026-11-25"), d("2025-06-01"), d("2026-11-25")).is_ok());
        let early = check_rectified(d("2025-05-31"), d("2025-06-01"), d("2026-11-25")).unwrap_err();
        assert!(matches!(early, RepairError::Refused(Refusal::RectifiedBeforeRecord { day, occurred_on, today }) if (day, occurred_on, today) == (d("2025-05-31"), d("2025-06-01"), d("2026-11-25"))));
        let late = check_rectified(d("2026-11-26"), d("2025-06-01"), d("2026-11-25")).unwrap_err();
        assert!(matches!(late, RepairError::Refused(Refusal::RectifiedAfterToday { day, today }) if (day, today) == (d("2026-11-26"), d("2026-11-25"))));
    }

    #[test]
    fn files_are_told_apart_by_their_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        // A spreadsheet named .pdf, an HTML page, a truncated PNG.
        assert_eq!(sniff(b"PK\x03\x04rest"), None);
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"\x89PNG"), None);
        // A PDF's signature in front of a page is not a PDF.
        assert_eq!(sniff(b"%PDF-1.4\n<!DOCTYPE html><p>scan</p>"), None);
        assert_eq!(sniff(b"%PDF-1.4\n<HTML><SCRIPT>alert(1)</SCRIPT>"), None);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n<svg onload=alert(1)>"), None);
    }

    #[test]
    fn evidence_is_checked_for_count_size_and_kind() {
        let pdf = |name: &str| Upload { file_name: name.into(), bytes: b"%PDF-1.4 x".to_vec() };
        assert!(matches!(check_files(&[]), Err(RepairError::Refused(Refusal::NoEvidence))));
        let six: Vec<_> = (0..6).map(|i| pdf(&format!("{i}.pdf"))).collect();
        assert!(matches!(check_files(&six), Err(RepairError::Refused(Refusal::TooManyFiles { sent: 6 }))));
        let big = Upload { file_name: "big.pdf".into(), bytes: [b"%PDF-".as_slice(), &vec![0; MAX_FILE_BYTES]].concat() };
        assert!(matches!(check_files(&[big]), Err(RepairError::Refused(Refusal::FileTooLarge { name })) if name == "big.pdf"));
        let fake = Upload { file_name: "证明.pdf".into(), bytes: b"MZ\x90\0".to_vec() };
        assert!(matches!(check_files(&[fake]), Err(RepairError::Refused(Refusal::NotEvidence { name })) if name == "证明.pdf"));
        let ok = check_files(&[pdf("整改报告.pdf")]).unwrap();
        assert_eq!(ok[0].file_name, "整改报告.pdf");
        assert_eq!(ok[0].media_type, "application/pdf");
        assert_eq!(ok[0].position, 1);
    }
}
