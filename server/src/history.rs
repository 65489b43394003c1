//! A source record's history, oldest first: the changes later imports made
//! to it (from the audit log) and the objections filed against it with
//! their decisions. Pages word the entries; this module only gathers them.

use chrono::NaiveDateTime;

use analytics::domain::ObjectionStatus;

use crate::db::{Db, DbError, audit};
use crate::sources::SourceSpec;

/// One field an import changed: its name, the value before and after
/// (`–` for none).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// What happened to the record.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An import changed fields (batch id where the audit entry names it).
    Updated { batch: Option<i64>, changes: Vec<Change> },
    ObjectionFiled { id: i64, reason: String },
    ObjectionDecided { id: i64, accepted: bool, reason: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: NaiveDateTime,
    pub actor: String,
    pub event: Event,
}

/// The history of record `id` of `spec`, which belongs to unit `unit`.
pub async fn of_record(db: &Db, spec: &SourceSpec, unit: &str, id: &str) -> Result<Vec<Entry>, DbError> {
    let mut entries: Vec<Entry> = audit::history(db, spec.table, id).await?.into_iter().map(|e| update(e.at, e.actor, &e.detail)).collect();
    for o in crate::db::objections::list(db, Some(unit)).await?.into_iter().filter(|o| o.source == spec.file_stem && o.record_id == id) {
        entries.push(Entry { at: o.filed_at, actor: o.filed_by.clone(), event: Event::ObjectionFiled { id: o.id, reason: o.reason.clone() } });
        if let (Some(at), Some(by)) = (o.decided_at, o.decided_by) {
            let accepted = o.status == ObjectionStatus::Accepted;
            entries.push(Entry { at, actor: by, event: Event::ObjectionDecided { id: o.id, accepted, reason: o.decision_reason.unwrap_or_default() } });
        }
    }
    entries.sort_by_key(|e| e.at);
    Ok(entries)
}

/// An import's audit entry: `{"batch": N, "changes": {"field": [before, after]}}`.
fn update(at: NaiveDateTime, actor: String, detail: &str) -> Entry {
    let detail: serde_json::Value = serde_json::from_str(detail).unwrap_or_default();
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "–".to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let changes = detail["changes"]
        .as_object()
        .map(|m| m.iter().map(|(field, pair)| Change { field: field.clone(), before: text(&pair[0]), after: text(&pair[1]) }).collect())
        .unwrap_or_default();
    Entry { at, actor, event: Event::Updated { batch: detail["batch"].as_i64(), changes } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_entry_lists_its_changes_with_none_as_a_dash() {
        let at = NaiveDateTime::parse_from_str("2026-02-01 10:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let e = update(at, "cli:etl".into(), r#"{"batch": 4, "changes": {"rectified_on": [null, "2025-07-15"], "score": [80, 82.5]}}"#);
        let Event::Updated { batch, changes } = e.event else { panic!("an update") };
        assert_eq!(batch, Some(4));
        assert_eq!(changes[0], Change { field: "rectified_on".into(), before: "–".into(), after: "2025-07-15".into() });
        assert_eq!((changes[1].before.as_str(), changes[1].after.as_str()), ("80", "82.5"));
    }
}
