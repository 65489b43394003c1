//! Demo data: the generator's records turned into source rows, written
//! through the same upsert path as an import (so seeding twice changes
//! nothing), or written out as canonical import files.

use std::path::Path;

use analytics::domain::{Mitigation, RepairStatus};
use analytics::records::*;
use chrono::NaiveDateTime;
use seeds::demo::{Generator, YEARS};

use crate::db::audit::AuditLog;
use crate::db::batches::{self, Counts};
use crate::db::{Db, DbError, Tx, Value, records};
use crate::sources::{self, Source, SourceSpec};

pub fn unit_row(u: &Unit) -> Vec<Value> {
    vec![
        Value::text(&u.code),
        Value::text(&u.name),
        Value::text(u.group.code()),
        Value::opt_text(u.parent_code.as_deref()),
    ]
}

pub fn commitment_row(c: &Commitment) -> Vec<Value> {
    vec![
        Value::text(&c.id),
        Value::text(&c.unit_code),
        Value::text(c.category.code()),
        Value::text(&c.title),
        Value::Date(c.made_on),
        Value::Date(c.due_on),
        Value::text(c.status.code()),
        Value::opt_date(c.fulfilled_on),
    ]
}

pub fn proposal_row(p: &Proposal) -> Vec<Value> {
    vec![
        Value::text(&p.id),
        Value::text(p.kind.code()),
        Value::text(&p.title),
        Value::text(&p.lead_unit_code),
        Value::Date(p.assigned_on),
        Value::opt_date(p.due_on),
        Value::opt_date(p.replied_on),
        Value::opt_text(p.satisfaction.map(|s| s.code())),
        Value::opt_text(p.resolution.map(|r| r.code())),
    ]
}

pub fn ticket_row(t: &HotlineTicket) -> Vec<Value> {
    vec![
        Value::text(&t.id),
        Value::text(&t.unit_code),
        Value::DateTime(t.received_at),
        Value::DateTime(t.due_at),
        Value::opt_datetime(t.closed_at),
        Value::text(t.category.code()),
        Value::Bool(t.integrity_related),
        Value::Bool(t.verified),
        Value::opt_text(t.satisfaction.map(|s| s.code())),
        Value::Bool(t.repeat),
    ]
}

pub fn debt_row(d: &DebtRow) -> Vec<Value> {
    vec![
        Value::text(&d.unit_code),
        Value::Int(d.year.into()),
        Value::Float(d.limit),
        Value::Float(d.balance),
        Value::Float(d.capacity),
        Value::Float(d.due_amount),
        Value::Float(d.overdue_amount),
        Value::Int(d.violations),
    ]
}

pub fn dishonesty_row(r: &DishonestyRecord) -> Vec<Value> {
    vec![
        Value::text(&r.id),
        Value::text(&r.unit_code),
        Value::text(r.subject.code()),
        Value::opt_text(r.person_ref.as_deref()),
        Value::text(r.kind.code()),
        Value::Date(r.occurred_on),
        Value::opt_date(r.rectify_deadline),
        Value::opt_date(r.rectified_on),
        Value::text(r.mitigation.code()),
    ]
}

pub fn rating_row(r: &Rating) -> Vec<Value> {
    vec![Value::text(&r.unit_code), Value::Int(r.year.into()), Value::Float(r.score)]
}

pub fn honour_row(h: &Honour) -> Vec<Value> {
    vec![
        Value::text(&h.id),
        Value::text(&h.unit_code),
        Value::Int(h.year.into()),
        Value::text(h.level.code()),
        Value::text(&h.title),
    ]
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    pub generator: Generator,
    pub years: Vec<i32>,
}

impl DemoPlan {
    /// The shipped demo: 2023–2026, cut off at `until`.
    pub fn standard(scale: f64, until: NaiveDateTime) -> DemoPlan {
        DemoPlan {
            generator: Generator::new(seeds::demo::DEFAULT_SEED, scale, until),
            years: YEARS.collect(),
        }
    }

    /// The rows of every source but the hotline, each year generated once.
    fn tables(&self, units: &[Unit]) -> std::collections::HashMap<Source, Vec<Vec<Value>>> {
        let mut t: std::collections::HashMap<Source, Vec<Vec<Value>>> = std::collections::HashMap::new();
        t.insert(Source::Units, units.iter().map(unit_row).collect());
        for &year in &self.years {
            let y = self.generator.year(units, year);
            t.entry(Source::Commitments).or_default().extend(y.commitments.iter().map(commitment_row));
            t.entry(Source::Proposals).or_default().extend(y.proposals.iter().map(proposal_row));
            t.entry(Source::Debt).or_default().extend(y.debt.iter().map(debt_row));
            t.entry(Source::Dishonesty).or_default().extend(y.dishonesty.iter().map(dishonesty_row));
            t.entry(Source::Ratings).or_default().extend(y.ratings.iter().map(rating_row));
            t.entry(Source::Honours).or_default().extend(y.honours.iter().map(honour_row));
        }
        t.entry(Source::Dishonesty).or_default().extend(self.generator.showcase().iter().map(dishonesty_row));
        t
    }

    fn label(&self) -> String {
        format!(
            "demo seed={} scale={} until={}",
            self.generator.seed, self.generator.scale, self.generator.until
        )
    }
}

/// Progress of seeding: (source, rows written so far).
pub type SeedProgress<'a> = &'a (dyn Fn(&str, u64) + Sync);

/// Writes the demo data in one transaction; returns counts per source.
/// Whether the database holds the demo data (every page then says so).
pub async fn is_loaded(db: &Db) -> Result<bool, crate::db::DbError> {
    crate::db::settings::is_demo(db).await
}

pub async fn seed(db: &Db, plan: &DemoPlan, actor: &str, progress: SeedProgress<'_>) -> Result<Vec<(Source, Counts)>, DbError> {
    let units = seeds::units::reference_units();
    let mut tables = plan.tables(&units);
    let mut tx = db.begin_write().await?;
    crate::db::settings::mark_demo(&mut tx).await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    let mut out = Vec::new();
    let mut finished = Vec::new();
    for spec in sources::ALL {
        let batch_id = batches::start(&mut tx, spec.file_stem, &plan.label(), "", actor).await?;
        // The generator's keys are distinct within a source.
        let run = Run {
            spec,
            batch_id,
            actor,
            stored: records::stored(&mut tx, spec).await?,
        };
        let mut counts = Counts::default();
        if spec.source == Source::Hotline {
            // The tickets' columnar segment, as an import keeps one.
            let mut segment = crate::segments::Holder::start(db.snapshots(), batch_id);
            for &year in &plan.years {
                for unit in &units {
                    let rows: Vec<Vec<Value>> = plan.generator.hotline(unit, year).iter().map(ticket_row).collect();
                    write(&mut tx, &mut audit, &run, rows, &mut counts, &mut |row, changed| segment.hold(row, changed)).await?;
                    segment.write_full_parts().await;
                }
                progress(spec.file_stem, counts.total);
            }
            finished.extend(segment.finish().await);
        } else {
            let rows = tables.remove(&spec.source).unwrap_or_default();
            write(&mut tx, &mut audit, &run, rows, &mut counts, &mut |_, _| {}).await?;
            progress(spec.file_stem, counts.total);
        }
        batches::finish(&mut tx, batch_id, &counts).await?;
        audit.record(
            actor,
            "seed-demo",
            spec.table,
            &batch_id.to_string(),
            serde_json::json!({ "plan": plan.label(), "counts": counts }),
        );
        out.push((spec.source, counts));
    }
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    crate::segments::seal_all(db, finished).await;
    Ok(out)
}

/// One source's writes within the seeding transaction.
struct Run<'a> {
    spec: &'static SourceSpec,
    batch_id: i64,
    actor: &'a str,
    stored: records::Stored,
}

async fn write(
    tx: &mut Tx,
    audit: &mut AuditLog,
    run: &Run<'_>,
    rows: Vec<Vec<Value>>,
    counts: &mut Counts,
    written: &mut (dyn FnMut(&[Value], bool) + Send),
) -> Result<(), DbError> {
    let mut rows = rows.into_iter();
    loop {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(50_000).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        counts.add(&records::upsert(tx, audit, run.spec, chunk, run.batch_id, run.actor, run.stored, written).await?);
    }
}

/// The demo accounts, one per role: (user name, role, unit). Their password
/// is [`DEMO_PASSWORD`]; the README lists them.
pub const DEMO_ACCOUNTS: [(&str, crate::auth::Role, Option<&str>); 7] = [
    ("leader", crate::auth::Role::Leader, None),
    ("assessor", crate::auth::Role::Assessor, None),
    ("lucheng", crate::auth::Role::Unit, Some("330302")),
    ("personnel", crate::auth::Role::Personnel, None),
    ("admin", crate::auth::Role::SystemAdmin, None),
    ("security", crate::auth::Role::SecurityAdmin, None),
    ("auditor", crate::auth::Role::AuditAdmin, None),
];

/// The demo accounts' password (documented; change it on a real install).
pub const DEMO_PASSWORD: &str = "zhengxin-demo";

/// The demo accounts that can still sign in with the published password:
/// while there is one, the install must not face a network.
pub async fn open_demo_accounts(db: &Db) -> Result<Vec<String>, crate::auth::AuthError> {
    let mut open = Vec::new();
    for (name, _, _) in DEMO_ACCOUNTS {
        if crate::auth::users::authenticate(db, name, DEMO_PASSWORD).await?.is_some() {
            open.push(name.to_string());
        }
    }
    Ok(open)
}

/// What a fresh demo install needs beyond the records: every year scored
/// (oldest first, so each has its year-over-year change), the finished
/// years published, and one account per role.
pub async fn prepare(db: &Db, years: &[i32], until: NaiveDateTime, actor: &str) -> anyhow::Result<()> {
    use chrono::Datelike;
    repair_applications(db, until, actor).await?;
    for &year in years {
        crate::scoring::score(db, year, None, None, actor).await?;
        if year < until.year() {
            crate::scoring::publish(db, year, None, actor).await?;
        }
    }
    for (name, role, unit) in DEMO_ACCOUNTS {
        crate::auth::users::add(db, name, role, unit, DEMO_PASSWORD, actor).await?;
    }
    // A demo is opened again months later, by anyone: its accounts are
    // not disabled for having been unused, and need no second factor
    // (their password is public anyway; serve keeps them off the network).
    let defaults = crate::auth::policy::Policy::default_for(crate::config::DEFAULT_IDLE_MINUTES);
    let demo = crate::auth::policy::Policy { inactive_days: 0, two_factor_roles: Vec::new(), ..defaults.clone() };
    crate::auth::policy::set(db, &defaults, &demo, actor, std::net::Ipv4Addr::LOCALHOST.into()).await?;
    Ok(())
}

/// Credit repair applications about the showcase records
/// ([`seeds::demo::Generator::showcase`]), dated from the cut-off: one open
/// and overdue and one open and fresh (鹿城区's, for the demo unit
/// account), one accepted and one rejected, each with an evidence PDF and
/// its audit entries. Written before the years are scored, so the scored
/// versions already see the accepted one.
async fn repair_applications(db: &Db, until: NaiveDateTime, actor: &str) -> Result<(), DbError> {
    use crate::db::repairs::{self, Decision, EvidenceInfo, NewRepair};
    let at = |days: i64, hour: u32| (until.date() - chrono::Duration::days(days)).and_hms_opt(hour, 0, 0).expect("a time of day");
    // (record, unit, filed by, days before the cut-off, claimed rectified
    // date, statement, decision: (status, days, mitigation, reason)).
    type Decided = (RepairStatus, i64, Option<Mitigation>, &'static str);
    let applications: [(&str, &str, &str, i64, Option<i64>, &str, Option<Decided>); 4] = [
        ("XS-002", "330302", "lucheng", 10, None, "已按处罚决定缴清罚款，并完成整改、建立长效机制。", None),
        ("XS-001", "330302", "lucheng", 1, Some(3), "已履行生效判决确定的全部义务，法院已将本单位移出失信被执行人名单。", None),
        ("XS-003", "330303", "system:demo", 20, None, "已全额履行判决，相关责任人已作检讨。", Some((RepairStatus::Accepted, 14, Some(Mitigation::Reduced), "履行凭证齐全，同意从轻"))),
        ("XS-004", "D010", "system:demo", 12, None, "已着手整改。", Some((RepairStatus::Rejected, 8, None, "证明材料不足，未见履行凭证"))),
    ];
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    for (record, unit, by, days, claimed, statement, decision) in applications {
        let claimed_rectified_on = claimed.map(|d| until.date() - chrono::Duration::days(d));
        let new = NewRepair { record_id: record, unit_code: unit, statement, claimed_rectified_on, filed_by: by, filed_at: at(days, 10) };
        let id = repairs::insert(&mut tx, &new).await?;
        let pdf = evidence_pdf(&format!("Demo evidence for {record}"));
        let info = EvidenceInfo {
            position: 1,
            file_name: format!("{record}-证明材料.pdf"),
            media_type: "application/pdf".into(),
            size: pdf.len() as i64,
            sha256: crate::hashing::sha256_bytes(&pdf),
        };
        repairs::insert_evidence(&mut tx, id, &info, &pdf).await?;
        audit.record(actor, "repair_apply", "repairs", &id.to_string(), serde_json::json!({ "record": record, "demo": true }));
        if let Some((status, days, mitigation, reason)) = decision {
            let d = Decision { status, decided_by: "assessor", decided_at: at(days, 16), reason, mitigation, rectified_on: None };
            repairs::decide(&mut tx, id, &d).await?;
            audit.record(actor, &format!("repair_{status}"), "repairs", &id.to_string(), serde_json::json!({ "record": record, "mitigation": mitigation, "reason": reason, "demo": true }));
        }
    }
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// A one-page PDF saying `text` (ASCII), as a demo evidence file: the five
/// objects a viewer needs, with their cross-reference table.
fn evidence_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes());
    out
}

/// Writes the demo data as canonical import files (UTF-8 with BOM, English
/// headers) into `dir`: one file per source, the hotline one per year.
pub fn write_csv(dir: &Path, plan: &DemoPlan) -> std::io::Result<Vec<(String, u64)>> {
    std::fs::create_dir_all(dir)?;
    let units = seeds::units::reference_units();
    let mut tables = plan.tables(&units);
    let mut written = Vec::new();
    for spec in sources::ALL {
        if spec.source == Source::Hotline {
            for &year in &plan.years {
                let rows = units.iter().flat_map(|u| plan.generator.hotline(u, year)).map(|t| ticket_row(&t));
                let name = format!("hotline-{year}.csv");
                written.push((name.clone(), write_file(&dir.join(&name), spec, rows)?));
            }
        } else {
            let name = format!("{}.csv", spec.file_stem);
            written.push((
                name.clone(),
                write_file(&dir.join(&name), spec, tables.remove(&spec.source).unwrap_or_default().into_iter())?,
            ));
        }
    }
    Ok(written)
}

fn write_file(path: &Path, spec: &SourceSpec, rows: impl Iterator<Item = Vec<Value>>) -> std::io::Result<u64> {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    file.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::Writer::from_writer(file);
    w.write_record(spec.columns.iter().map(|c| c.name))?;
    let mut n = 0;
    for row in rows {
        w.write_record(row.iter().map(Value::to_canonical))?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_evidence_is_a_pdf_whose_cross_references_point_at_its_objects() {
        let pdf = evidence_pdf("Demo evidence for XS-002");
        assert_eq!(crate::repairs::sniff(&pdf), Some("application/pdf"));
        let text = String::from_utf8(pdf).unwrap();
        let start: usize = text.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        assert!(text[start..].starts_with("xref\n0 6\n"));
        for (i, line) in text[start..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(text[offset..].starts_with(&format!("{} 0 obj", i + 1)), "object {}", i + 1);
        }
    }

    #[test]
    fn rows_have_one_value_per_column() {
        let until = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap().and_hms_opt(23, 59, 59).unwrap();
        let plan = DemoPlan {
            generator: Generator::new(1, 1.0, until),
            years: vec![2025],
        };
        let units = seeds::units::reference_units();
        let mut tables = plan.tables(&units);
        for spec in sources::ALL {
            let rows = if spec.source == Source::Hotline {
                plan.generator.hotline(&units[0], 2025).iter().map(ticket_row).collect()
            } else {
                tables.remove(&spec.source).unwrap()
            };
            assert!(!rows.is_empty(), "{}", spec.table);
            assert!(rows.iter().all(|r| r.len() == spec.columns.len()), "{}", spec.table);
        }
    }
}

/// A year (2025) of the demo generator's records for Wenzhou's units at
/// `scale`, as engine inputs: for the unit tests of what hashes, writes
/// and reads inputs.
#[cfg(test)]
pub(crate) fn sample_inputs(scale: f64) -> analytics::inputs::Inputs {
    let until = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let generator = seeds::demo::Generator::new(7, scale, until);
    let units = seeds::units::reference_units();
    let year = generator.year(&units, 2025);
    let set = analytics::inputs::RecordSet {
        hotline: units.iter().flat_map(|u| generator.hotline(u, 2025)).collect(),
        units,
        commitments: year.commitments,
        proposals: year.proposals,
        debt: year.debt,
        dishonesty: year.dishonesty,
        ratings: year.ratings,
        honours: year.honours,
    };
    analytics::inputs::Inputs::from_records(&set, &Default::default()).unwrap()
}
