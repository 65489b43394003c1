//! Civil servants' integrity files (公务人员诚信档案, integrity-records.md
//! §4): the personnel office reads one person's records across all units
//! and asks whether they restrict an appointment, each look-up with a
//! stated purpose and an audit entry (user, purpose, person_ref, time).
//!
//! Only the `personnel` role reads these; a person is known here only by
//! the opaque `person_ref` the records carry, never by name, and that is
//! stored sealed, in the records and in the audit entries alike
//! ([`crate::db::seal`]): a look-up seals the reference asked for and
//! finds the records carrying the same sealed text.

use chrono::NaiveDate;
use serde::Serialize;

use analytics::domain::{DishonestyType, Mitigation, ObjectionStatus, RepairStatus};
use analytics::personnel::PersonRecordFacts;

use crate::auth::User;
use crate::db::audit::AuditLog;
use crate::db::{Db, DbError};

/// The longest person reference looked up, in characters.
pub const MAX_REF: usize = 64;
/// The longest "other" purpose text, in characters.
pub const MAX_PURPOSE: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum PersonError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// What a look-up cannot be (the adapters word it).
    #[error("{0}")]
    Refused(Refusal),
    /// Not this user's to read.
    #[error("forbidden")]
    Forbidden,
}

/// Why a look-up is refused. `Display` is a plain English line (logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the purpose: at most {MAX_PURPOSE} characters")]
    PurposeTooLong,
    #[error("say what the other purpose is")]
    OtherUnsaid,
    #[error("state the purpose of this look-up")]
    NoPurpose,
    #[error("unknown purpose (appointment, promotion, award or other)")]
    UnknownPurpose,
    #[error("a person reference is 1–{MAX_REF} characters")]
    BadReference,
}

/// Why the personnel office looks a person up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", content = "text", rename_all = "snake_case")]
pub enum Purpose {
    /// 任用审查
    Appointment,
    /// 晋升
    Promotion,
    /// 评优评先
    Award,
    /// 其他, with what it is.
    Other(String),
}

impl Purpose {
    pub const CODES: [(&'static str, &'static str, &'static str); 4] =
        [("appointment", "任用审查", "Appointment review"), ("promotion", "晋升", "Promotion"), ("award", "评优评先", "Award"), ("other", "其他", "Other")];

    /// A purpose from its code and (for `other`) its text.
    pub fn parse(code: &str, text: Option<&str>) -> Result<Purpose, PersonError> {
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        match code {
            "appointment" => Ok(Purpose::Appointment),
            "promotion" => Ok(Purpose::Promotion),
            "award" => Ok(Purpose::Award),
            "other" => match text {
                Some(t) if t.chars().count() <= MAX_PURPOSE => Ok(Purpose::Other(t.to_string())),
                Some(_) => Err(PersonError::Refused(Refusal::PurposeTooLong)),
                None => Err(PersonError::Refused(Refusal::OtherUnsaid)),
            },
            "" => Err(PersonError::Refused(Refusal::NoPurpose)),
            _ => Err(PersonError::Refused(Refusal::UnknownPurpose)),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Purpose::Appointment => "appointment",
            Purpose::Promotion => "promotion",
            Purpose::Award => "award",
            Purpose::Other(_) => "other",
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Purpose::Other(t) => Some(t),
            _ => None,
        }
    }
}

fn check_ref(person_ref: &str) -> Result<&str, PersonError> {
    let r = person_ref.trim();
    if r.is_empty() || r.chars().count() > MAX_REF || r.chars().any(char::is_control) {
        return Err(PersonError::Refused(Refusal::BadReference));
    }
    Ok(r)
}

/// One record of a person's file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRecord {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: DishonestyType,
    pub unit_code: String,
    pub unit_name: String,
    pub occurred_on: NaiveDate,
    /// After any accepted repair.
    pub mitigation: Mitigation,
    /// The latest repair application's status, if any.
    pub repair: Option<RepairStatus>,
    /// The latest objection's status, if any.
    pub objection: Option<ObjectionStatus>,
    /// Voided by an accepted objection.
    pub voided: bool,
}

/// What the appointment check answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub person_ref: String,
    /// Whether any record carries this reference. A reference no record
    /// carries may be mistyped, or belong to someone with no records:
    /// this system cannot tell which, and says so rather than answering
    /// as for a clean file.
    pub found: bool,
    pub restricted: bool,
    /// The records that cause it.
    pub records: Vec<FileRecord>,
    pub lookback: String,
    pub since: NaiveDate,
    pub today: NaiveDate,
    pub advice: &'static str,
}

/// What every answer says of itself.
pub const ADVICE: &str = "本结果仅供组织人事部门参考，不构成任用决定 / advice to the personnel office, not a decision";

/// Where a look-up comes from, as the audit log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The person file page (file and check together).
    Page,
    /// `GET /api/v1/persons/{ref}/check`.
    Api,
}

/// A person's file (every record of `person_ref` across all units) and
/// its appointment check on `today`. The look-up and its purpose are
/// audited before anything is read.
pub async fn look_up(db: &Db, user: &User, person_ref: &str, purpose: &Purpose, today: NaiveDate, via: Via) -> Result<(Vec<FileRecord>, Check), PersonError> {
    let person_ref = check_ref(person_ref)?;
    let action = match via {
        Via::Page => "person_file",
        Via::Api => "person_check",
    };
    audit_lookup(db, user, action, person_ref, purpose).await?;
    let file = read_file(db, person_ref).await?;
    let rules = crate::scoring::rulebook_in_force(today).map(|r| r.personnel).unwrap_or_default();
    let records: Vec<FileRecord> = file
        .iter()
        .filter(|r| {
            let facts = PersonRecordFacts { kind: r.kind, occurred_on: r.occurred_on, mitigation: r.mitigation, voided: r.voided };
            rules.restricts(&facts, today)
        })
        .cloned()
        .collect();
    let check = Check {
        person_ref: person_ref.to_string(),
        found: !file.is_empty(),
        restricted: !records.is_empty(),
        records,
        lookback: String::from(rules.lookback),
        since: rules.since(today),
        today,
        advice: ADVICE,
    };
    Ok((file, check))
}

async fn audit_lookup(db: &Db, user: &User, action: &str, person_ref: &str, purpose: &Purpose) -> Result<(), PersonError> {
    if !user.may(crate::auth::Capability::PersonFiles) {
        return Err(PersonError::Forbidden);
    }
    // The entry names the person sealed, as the records do: the audit
    // administrator's review opens it, a copy of the database does not.
    let sealed = db.sealer()?.seal_ref(person_ref);
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    audit.record(&user.username, action, "persons", &sealed, serde_json::json!({ "purpose": purpose.code(), "text": purpose.text() }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn read_file(db: &Db, person_ref: &str) -> Result<Vec<FileRecord>, PersonError> {
    let names = crate::db::units::names(db).await?;
    let repaired = crate::repairs::effective(db).await?;
    let mut out = Vec::new();
    for r in crate::db::records::of_person(db, person_ref).await? {
        let objections = crate::db::objections::of_record(db, "dishonesty", &r.id).await?;
        let repairs = crate::db::repairs::of_record(db, &r.id).await?;
        out.push(FileRecord {
            kind: r.record_type,
            unit_name: names.of(&r.unit_code),
            mitigation: repaired.get(&r.id).map_or(r.mitigation, |a| a.mitigation),
            repair: repairs.first().map(|x| x.status),
            objection: objections.first().map(|o| o.status),
            voided: objections.iter().any(|o| o.status == ObjectionStatus::Accepted),
            id: r.id,
            unit_code: r.unit_code,
            occurred_on: r.occurred_on,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_look_up_states_a_purpose() {
        assert_eq!(Purpose::parse("appointment", None).unwrap(), Purpose::Appointment);
        assert_eq!(Purpose::parse("other", Some(" 表彰公示 ")).unwrap(), Purpose::Other("表彰公示".into()));
        assert!(matches!(Purpose::parse("other", Some("  ")), Err(PersonError::Refused(Refusal::OtherUnsaid))));
        assert!(matches!(Purpose::parse("", None), Err(PersonError::Refused(Refusal::NoPurpose))));
        assert!(matches!(Purpose::parse("curiosity", None), Err(PersonError::Refused(Refusal::UnknownPurpose))));
        assert!(matches!(Purpose::parse("other", Some(&"字".repeat(201))), Err(PersonError::Refused(Refusal::PurposeTooLong))));
        assert!(check_ref("P-0001").is_ok());
        assert!(check_ref("").is_err());
        assert!(check_ref("a\nb").is_err());
    }
}
