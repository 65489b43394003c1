//! Source records by natural key: the one write path shared by file import
//! and demo seeding. New keys are inserted in bulk, changed records are
//! updated one by one with an audit entry naming each changed field, and
//! identical records are left alone, so importing a file twice changes
//! nothing.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::audit::AuditLog;
use super::batches::Counts;
use super::{Db, DbError, Result, Tx, Value, dialect};
use crate::sources::SourceSpec;

/// Ids looked up per `IN (…)` query.
const LOOKUP_CHUNK: usize = 500;

/// Columns whose values are personal references: stored sealed
/// ([`super::seal`]; every write of records comes through here, so none is
/// stored in the clear), opened only where a record is read for someone
/// who may see it ([`by_ids`]), and audited as "changed" without the
/// values themselves.
const PERSONAL: &[&str] = &["person_ref"];

/// What the table may already hold of the rows a run of upserts writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The table was empty when the run began and the run's rows have
    /// distinct keys (one checked file, one demo source): every row is new.
    Nothing,
    /// Rows may exist already: look every key up.
    Maybe,
}

/// What `spec`'s table holds now, for a run of upserts whose rows have
/// distinct keys. Deciding once per run spares the key lookups of every
/// later chunk of a first load (the table is no longer empty after the
/// first one).
pub async fn stored(tx: &mut Tx, spec: &SourceSpec) -> Result<Stored> {
    let sql = AssertSqlSafe(format!("SELECT 1 FROM {} LIMIT 1", spec.table));
    let empty = crate::on_tx!(tx, conn => sqlx::query(sql).fetch_optional(conn).await?.is_none());
    Ok(if empty { Stored::Nothing } else { Stored::Maybe })
}

/// The natural key of a row, as one string (parts joined by U+001F).
pub fn key_of(spec: &SourceSpec, row: &[Value]) -> String {
    match spec.key {
        [only] => row[*only].to_canonical(),
        key => key.iter().map(|&i| row[i].to_canonical()).collect::<Vec<_>>().join("\u{1f}"),
    }
}

/// `rows` sorted by what the table holds: new, changed (key, stored row,
/// new row) and how many are stored as they are.
struct Sorted {
    new_rows: Vec<Vec<Value>>,
    changed: Vec<(String, Vec<Value>, Vec<Value>)>,
    unchanged: u64,
}

async fn sort_rows(tx: &mut Tx, spec: &SourceSpec, rows: Vec<Vec<Value>>, stored: Stored) -> Result<Sorted> {
    let existing = match stored {
        Stored::Nothing => HashMap::new(),
        Stored::Maybe => fetch_existing(tx, spec, &rows).await?,
    };
    if existing.is_empty() {
        return Ok(Sorted {
            new_rows: rows,
            changed: Vec::new(),
            unchanged: 0,
        });
    }
    let mut existing = existing;
    let mut sorted = Sorted {
        new_rows: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    for row in rows {
        let key = key_of(spec, &row);
        match existing.remove(&key) {
            None => sorted.new_rows.push(row),
            Some(old) if old == row => sorted.unchanged += 1,
            Some(old) => sorted.changed.push((key, old, row)),
        }
    }
    Ok(sorted)
}

impl Sorted {
    /// Shows `written` every row that will be written: new, then changed.
    fn show(&self, written: &mut (dyn FnMut(&[Value], bool) + Send)) {
        for row in &self.new_rows {
            written(row, false);
        }
        for (_, _, new) in &self.changed {
            written(new, true);
        }
    }

    fn counts(&self, total: usize) -> Counts {
        Counts {
            total: total as u64,
            inserted: self.new_rows.len() as u64,
            updated: self.changed.len() as u64,
            unchanged: self.unchanged,
        }
    }
}

/// Writes `rows` (in the spec's column order) under `batch_id`, all at
/// once in `tx`: new rows inserted, changed ones updated in place with an
/// audit entry each. `stored` comes from [`stored`] at the start of the
/// run. Takes the rows so new ones move into the insert without a copy.
/// `written` sees each row written, as in [`upsert_deferred`].
#[allow(clippy::too_many_arguments)]
pub async fn upsert(
    tx: &mut Tx,
    audit: &mut AuditLog,
    spec: &SourceSpec,
    rows: Vec<Vec<Value>>,
    batch_id: i64,
    actor: &str,
    stored: Stored,
    written: &mut (dyn FnMut(&[Value], bool) + Send),
) -> Result<Counts> {
    let total = rows.len();
    let rows = sealed(tx, spec, rows)?;
    let sorted = sort_rows(tx, spec, rows, stored).await?;
    let counts = sorted.counts(total);
    sorted.show(written);
    dialect::insert_new_rows(tx, spec, sorted.new_rows, batch_id).await?;
    for (key, old, new) in sorted.changed {
        update_row(tx, spec, &new, batch_id).await?;
        audit.record(actor, "update", spec.table, &key, diff(spec, &old, &new, batch_id));
    }
    Ok(counts)
}

/// Like [`upsert`], for a write in steps under a pending batch: new rows
/// go in at once (unseen while the batch is pending), changed rows wait in
/// `import_pending_updates` (an update in place would be seen) until
/// [`apply_deferred`] applies them in the last step. `seq` numbers the
/// waiting rows of the batch.
///
/// `written` sees every row the batch writes, new (`false`) or changed
/// (`true`), before it goes in: what the import keeps as the batch's
/// columnar segment (`crate::segments`). Unchanged rows are not written
/// and not shown.
pub async fn upsert_deferred(
    tx: &mut Tx,
    spec: &SourceSpec,
    rows: Vec<Vec<Value>>,
    batch_id: i64,
    stored: Stored,
    seq: &mut i64,
    written: &mut (dyn FnMut(&[Value], bool) + Send),
) -> Result<Counts> {
    const SQL: &str = "INSERT INTO import_pending_updates (batch_id, seq, row_json) VALUES ($1, $2, $3)";
    let total = rows.len();
    let rows = sealed(tx, spec, rows)?;
    let sorted = sort_rows(tx, spec, rows, stored).await?;
    let counts = sorted.counts(total);
    sorted.show(written);
    dialect::insert_new_rows(tx, spec, sorted.new_rows, batch_id).await?;
    for (_, _, new) in sorted.changed {
        let json = serde_json::Value::Array(new.iter().map(Value::to_tagged).collect()).to_string();
        *seq += 1;
        crate::on_tx!(tx, conn => {
            sqlx::query(SQL).bind(batch_id).bind(*seq).bind(json).execute(conn).await?;
        });
    }
    Ok(counts)
}

/// Applies the changed rows [`upsert_deferred`] kept for `batch_id`, each
/// with its audit entry naming the changed fields, and forgets them.
pub async fn apply_deferred(tx: &mut Tx, audit: &mut AuditLog, spec: &SourceSpec, batch_id: i64, actor: &str) -> Result<()> {
    const PAGE: &str = "SELECT seq, row_json FROM import_pending_updates WHERE batch_id = $1 AND seq > $2 ORDER BY seq LIMIT 2000";
    const FORGET: &str = "DELETE FROM import_pending_updates WHERE batch_id = $1";
    let mut after = 0i64;
    loop {
        let page: Vec<(i64, String)> = crate::on_tx!(tx, conn => sqlx::query_as(PAGE).bind(batch_id).bind(after).fetch_all(conn).await?);
        let Some(&(last, _)) = page.last() else { break };
        after = last;
        let mut rows = Vec::with_capacity(page.len());
        for (seq, json) in page {
            let corrupt = || DbError::Corrupt(format!("waiting update {seq} of batch {batch_id} is unreadable"));
            let cells: Vec<serde_json::Value> = serde_json::from_str(&json).map_err(|_| corrupt())?;
            let row = cells.iter().map(Value::from_tagged).collect::<Option<Vec<_>>>().ok_or_else(corrupt)?;
            if row.len() != spec.columns.len() {
                return Err(corrupt());
            }
            rows.push(row);
        }
        let mut stored = fetch_existing(tx, spec, &rows).await?;
        for new in rows {
            let key = key_of(spec, &new);
            let old = stored
                .remove(&key)
                .ok_or_else(|| DbError::Corrupt(format!("{} {key}: the record a waiting update changes is gone", spec.table)))?;
            update_row(tx, spec, &new, batch_id).await?;
            audit.record(actor, "update", spec.table, &key, diff(spec, &old, &new, batch_id));
        }
    }
    crate::on_tx!(tx, conn => {
        sqlx::query(FORGET).bind(batch_id).execute(conn).await?;
    });
    Ok(())
}

/// `rows` with their personal values sealed, as they are stored: sealing
/// is deterministic, so a sealed row equals its stored self and an
/// unchanged record is still seen as unchanged.
fn sealed(tx: &Tx, spec: &SourceSpec, mut rows: Vec<Vec<Value>>) -> Result<Vec<Vec<Value>>> {
    let personal: Vec<usize> = spec.columns.iter().enumerate().filter(|(_, c)| PERSONAL.contains(&c.name)).map(|(i, _)| i).collect();
    if personal.is_empty() {
        return Ok(rows);
    }
    let sealer = tx.sealer()?;
    for row in &mut rows {
        for &i in &personal {
            if let Value::Text(v) = &row[i] {
                row[i] = Value::text(sealer.seal_ref(v));
            }
        }
    }
    Ok(rows)
}

/// `row` (as stored) with its personal values opened.
fn opened(sealer: &super::seal::Sealer, spec: &SourceSpec, mut row: Vec<Value>) -> Result<Vec<Value>> {
    for (c, v) in spec.columns.iter().zip(row.iter_mut()) {
        if PERSONAL.contains(&c.name)
            && let Value::Text(t) = v
        {
            *v = Value::text(sealer.open_text(super::seal::Field::PersonRef, t)?);
        }
    }
    Ok(row)
}

/// The stored rows whose keys appear in `rows`, by key.
async fn fetch_existing(tx: &mut Tx, spec: &SourceSpec, rows: &[Vec<Value>]) -> Result<HashMap<String, Vec<Value>>> {
    let select = spec.columns.iter().map(|c| c.db).collect::<Vec<_>>().join(", ");
    let mut found = HashMap::new();
    if spec.key.len() > 1 {
        // Composite keys belong to the small per-year tables (debt,
        // ratings): reading them whole is cheaper than matching tuples.
        let sql = format!("SELECT {select} FROM {}", spec.table);
        for row in fetch_rows(tx, spec, sql, &[]).await? {
            found.insert(key_of(spec, &row), row);
        }
        return Ok(found);
    }
    if rows.is_empty() {
        return Ok(found);
    }
    let key_col = &spec.columns[spec.key[0]];
    let keys: Vec<Value> = rows.iter().map(|r| r[spec.key[0]].clone()).collect();
    let params = (1..=LOOKUP_CHUNK).map(|i| format!("${i}")).collect::<Vec<_>>().join(",");
    let sql = format!("SELECT {select} FROM {} WHERE {} IN ({params})", spec.table, key_col.db);
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        // Always LOOKUP_CHUNK parameters (the last chunk padded with a key
        // it already has), so one prepared statement serves every lookup.
        let mut padded = chunk.to_vec();
        padded.resize(LOOKUP_CHUNK, chunk[0].clone());
        for row in fetch_rows(tx, spec, sql.clone(), &padded).await? {
            found.insert(key_of(spec, &row), row);
        }
    }
    Ok(found)
}

/// Runs a `SELECT` of the spec's columns (in order) with text parameters.
async fn fetch_rows(tx: &mut Tx, spec: &SourceSpec, sql: String, params: &[Value]) -> Result<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    crate::on_tx!(tx, conn => {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for p in params {
            q = crate::bind_value!(q, crate::sources::Kind::Text, p);
        }
        for row in q.fetch_all(conn).await? {
            let mut values = Vec::with_capacity(spec.columns.len());
            for (i, c) in spec.columns.iter().enumerate() {
                values.push(crate::decode_value!(row, i, c.kind));
            }
            out.push(values);
        }
    });
    Ok(out)
}

async fn update_row(tx: &mut Tx, spec: &SourceSpec, row: &[Value], batch_id: i64) -> Result<()> {
    let n = spec.columns.len();
    let set = spec
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} = ${}", c.db, i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let filter = spec
        .key
        .iter()
        .enumerate()
        .map(|(j, &k)| format!("{} = ${}", spec.columns[k].db, n + 2 + j))
        .collect::<Vec<_>>()
        .join(" AND ");
    let sql = format!("UPDATE {} SET {set}, batch_id = ${} WHERE {filter}", spec.table, n + 1);
    crate::on_tx!(tx, conn => {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (c, v) in spec.columns.iter().zip(row) {
            q = crate::bind_value!(q, c.kind, v);
        }
        q = q.bind(batch_id);
        for &k in spec.key {
            q = crate::bind_value!(q, spec.columns[k].kind, &row[k]);
        }
        q.execute(conn).await?;
    });
    Ok(())
}

/// Records of `spec` (a source with a one-column key) by id, in the order
/// of `ids`, each with the import batch that last wrote it, personal
/// values opened (the caller masks them for whoever may not see them);
/// ids not stored are left out. Read in chunks so any number of ids works.
pub async fn by_ids(db: &Db, spec: &SourceSpec, ids: &[String]) -> Result<Vec<(Vec<Value>, Option<i64>)>> {
    const CHUNK: usize = 500;
    let [key] = spec.key else {
        return Err(DbError::Corrupt(format!("{} has no single-column key", spec.table)));
    };
    let key_col = spec.columns[*key].db;
    let select = spec.columns.iter().map(|c| c.db).collect::<Vec<_>>().join(", ");
    let personal = spec.columns.iter().any(|c| PERSONAL.contains(&c.name));
    let sealer = if personal { Some(db.sealer()?) } else { None };
    let mut found: HashMap<String, (Vec<Value>, Option<i64>)> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let params = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(",");
        let sql = format!(
            "SELECT {select}, batch_id FROM {} WHERE {key_col} IN ({params}) AND {}",
            spec.table,
            super::batches::VISIBLE
        );
        crate::on_db!(db, pool => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for row in q.fetch_all(pool).await? {
                let mut values = Vec::with_capacity(spec.columns.len());
                for (i, c) in spec.columns.iter().enumerate() {
                    values.push(crate::decode_value!(row, i, c.kind));
                }
                let batch: Option<i64> = sqlx::Row::try_get(&row, spec.columns.len())?;
                let values = match sealer {
                    Some(sealer) => opened(sealer, spec, values)?,
                    None => values,
                };
                found.insert(values[*key].to_canonical(), (values, batch));
            }
        });
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// A government body's dishonesty record as the public pages need it:
/// subject `unit` only (a person's record never leaves this query), no
/// person reference.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BodyRecord {
    pub id: String,
    pub unit_code: String,
    #[sqlx(try_from = "String")]
    pub record_type: analytics::domain::DishonestyType,
    pub occurred_on: chrono::NaiveDate,
    pub rectify_deadline: Option<chrono::NaiveDate>,
    pub rectified_on: Option<chrono::NaiveDate>,
    #[sqlx(try_from = "String")]
    pub mitigation: analytics::domain::Mitigation,
}

/// Every dishonesty record of a government body, newest first.
pub async fn of_bodies(db: &Db) -> Result<Vec<BodyRecord>> {
    const SQL: &str = concat!(
        "SELECT id, unit_code, record_type, occurred_on, rectify_deadline, rectified_on, mitigation FROM dishonesty_records ",
        "WHERE subject = 'unit' AND ",
        crate::visible_records!(),
        " ORDER BY occurred_on DESC, id"
    );
    Ok(crate::on_db!(db, pool => sqlx::query_as::<_, BodyRecord>(SQL).fetch_all(pool).await?))
}

/// A person's dishonesty record, for the personnel office's file.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PersonRecord {
    pub id: String,
    pub unit_code: String,
    #[sqlx(try_from = "String")]
    pub record_type: analytics::domain::DishonestyType,
    pub occurred_on: chrono::NaiveDate,
    pub rectified_on: Option<chrono::NaiveDate>,
    #[sqlx(try_from = "String")]
    pub mitigation: analytics::domain::Mitigation,
}

/// Every record of `person_ref`, across all units, the newest first:
/// found by its sealed form, which is the same for every record of it.
pub async fn of_person(db: &Db, person_ref: &str) -> Result<Vec<PersonRecord>> {
    const SQL: &str = concat!(
        "SELECT id, unit_code, record_type, occurred_on, rectified_on, mitigation FROM dishonesty_records ",
        "WHERE subject = 'person' AND person_ref = $1 AND ",
        crate::visible_records!(),
        " ORDER BY occurred_on DESC, id"
    );
    let sealed = db.sealer()?.seal_ref(person_ref);
    Ok(crate::on_db!(db, pool => sqlx::query_as::<_, PersonRecord>(SQL).bind(sealed).fetch_all(pool).await?))
}

/// A dishonesty record with a rectification deadline that is not yet
/// rectified (no person reference).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OpenRectification {
    pub id: String,
    pub unit_code: String,
    /// `unit` or `person` (the person's reference is not read).
    pub subject: String,
    pub record_type: String,
    pub occurred_on: chrono::NaiveDate,
    pub rectify_deadline: chrono::NaiveDate,
}

/// Every record awaiting rectification, of `unit` or of all units, the
/// earliest deadline first.
pub async fn open_rectifications(db: &Db, unit: Option<&str>) -> Result<Vec<OpenRectification>> {
    const SQL: &str = concat!(
        "SELECT id, unit_code, subject, record_type, occurred_on, rectify_deadline FROM dishonesty_records ",
        "WHERE rectify_deadline IS NOT NULL AND rectified_on IS NULL AND ($1 IS NULL OR unit_code = $1) AND ",
        crate::visible_records!(),
        " ORDER BY rectify_deadline, id"
    );
    Ok(crate::on_db!(db, pool => sqlx::query_as::<_, OpenRectification>(SQL).bind(unit).fetch_all(pool).await?))
}

/// Whether a column holds a reference to a person, shown only to the
/// assessment team and never exported to units.
pub fn is_personal(column: &str) -> bool {
    PERSONAL.contains(&column)
}

/// `{"batch": N, "changes": {"column": [old, new], …}}`, personal
/// references masked.
fn diff(spec: &SourceSpec, old: &[Value], new: &[Value], batch_id: i64) -> serde_json::Value {
    let mut changes = serde_json::Map::new();
    for ((c, o), n) in spec.columns.iter().zip(old).zip(new) {
        if o != n {
            let pair = if PERSONAL.contains(&c.name) {
                serde_json::json!(["(masked)", "(masked)"])
            } else {
                serde_json::json!([o.to_json(), n.to_json()])
            };
            changes.insert(c.name.to_string(), pair);
        }
    }
    serde_json::json!({ "batch": batch_id, "changes": changes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{DEBT, DISHONESTY};

    #[test]
    fn composite_keys_join_their_parts() {
        let row = vec![
            Value::text("330302"),
            Value::Int(2025),
            Value::Float(1.0),
            Value::Float(1.0),
            Value::Float(1.0),
            Value::Float(0.0),
            Value::Float(0.0),
            Value::Int(0),
        ];
        assert_eq!(key_of(&DEBT, &row), "330302\u{1f}2025");
    }

    #[test]
    fn diffs_name_changed_fields_and_mask_personal_ones() {
        let d = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let old = vec![
            Value::text("R1"),
            Value::text("330302"),
            Value::text("person"),
            Value::text("P-1"),
            Value::text("penalty"),
            Value::Date(d),
            Value::Null,
            Value::Null,
            Value::text("none"),
        ];
        let mut new = old.clone();
        new[3] = Value::text("P-2");
        new[8] = Value::text("reduced");
        let detail = diff(&DISHONESTY, &old, &new, 7);
        assert_eq!(detail["batch"], 7);
        assert_eq!(detail["changes"]["mitigation"], serde_json::json!(["none", "reduced"]));
        assert_eq!(detail["changes"]["person_ref"], serde_json::json!(["(masked)", "(masked)"]));
        assert!(detail["changes"].get("id").is_none());
    }
}
