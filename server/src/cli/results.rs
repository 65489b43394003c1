//! `zhengxin score`, `publish`, `results`, `export`, `explain` and
//! `quality`: result versions from the command line.

use std::path::Path;

use chrono::NaiveDateTime;

use super::{ExportArgs, ReportArgs, actor, read_rulebook, stored_version};
use crate::db::Db;
use crate::jobs::Origin;
use crate::scoring::{self, result_file};

pub async fn score(url: &str, year: i32, as_of: Option<NaiveDateTime>, rulebook: Option<&Path>, json: bool) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let rules = rulebook.map(read_rulebook).transpose()?;
    let started = std::time::Instant::now();
    let outcome = scoring::score_as_job(&db, year, as_of, rules, &actor(), Origin::CommandLine, &|_| {}).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        let v = &outcome.version;
        if outcome.created {
            println!("{year}: version {} as of {} ({} units, {} data-quality findings)", v.version, v.as_of, outcome.units, outcome.findings);
        } else {
            println!("{year}: identical to version {} (as of {}); nothing new stored", v.version, v.as_of);
        }
        let grades: Vec<String> = outcome.grades.iter().map(|(g, n)| format!("{g} {n}")).collect();
        println!("grades: {}", grades.join(", "));
        println!("content hash: {}", v.content_hash);
    }
    let from = match outcome.read_from {
        scoring::load::InputSource::Snapshot => "the snapshot",
        scoring::load::InputSource::Segments => "the database and the imports' ticket segments",
        scoring::load::InputSource::Database => "the database",
    };
    eprintln!(
        "took {:.2} s (loading {:.2} s from {from}, scoring {:.2} s)",
        started.elapsed().as_secs_f64(),
        outcome.seconds_loading,
        outcome.seconds_scoring
    );
    Ok(true)
}

pub async fn publish(url: &str, year: i32, version: Option<i64>) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let v = scoring::publish(&db, year, version, &actor()).await?;
    println!("{year}: version {} published; content hash {}", v.version, v.content_hash);
    Ok(true)
}

/// A year's versions with whether each matches its hash; with `verify`,
/// whether each published one reproduces from today's data.
pub async fn list(url: &str, year: i32, json: bool, verify: bool) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let versions = crate::scoring::versions(&db, year).await?;
    let mut intact = Vec::with_capacity(versions.len());
    for v in &versions {
        intact.push(scoring::verify(&db, v).await?);
    }
    if verify {
        return reproduce(&db, year, &versions, intact.iter().all(|ok| *ok), json).await;
    }
    if json {
        let list: Vec<serde_json::Value> = versions
            .iter()
            .zip(&intact)
            .map(|(v, ok)| {
                let mut value = serde_json::to_value(v).expect("serialisable");
                value["intact"] = (*ok).into();
                value
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "year": year, "versions": list }))?);
    } else if versions.is_empty() {
        println!("{year}: no results yet (run `zhengxin score --year {year}`)");
    } else {
        println!("version  as_of                computed_at          published_at         content_hash      intact");
        for (v, ok) in versions.iter().zip(&intact) {
            let published = v.published_at.map_or("-".to_string(), |t| t.to_string());
            println!("{:>7}  {}  {}  {:<19}  {}  {}", v.version, v.as_of, v.computed_at, published, &v.content_hash[..16], if *ok { "yes" } else { "NO" });
        }
    }
    Ok(intact.iter().all(|ok| *ok))
}

/// `results --verify`: recomputes each published version and says whether
/// it reproduces, and if not, whether recorded changes explain it.
async fn reproduce(db: &Db, year: i32, versions: &[scoring::results::VersionInfo], intact: bool, json: bool) -> anyhow::Result<bool> {
    // What explains a change is the audit log: a rewritten log could
    // explain anything, so it is verified first.
    let chain = crate::upkeep::verify_chain(db).await?;
    let mut all_explained = intact && chain.problem.is_none();
    if let Some(p) = chain.problem.as_ref().filter(|_| !json) {
        println!("AUDIT LOG BROKEN at entry {} ({}): {}; the imports and decisions it records explain nothing", p.id, p.kind, p.message);
    }
    let mut checks = Vec::new();
    for v in versions.iter().filter(|v| v.published_at.is_some()) {
        let r = scoring::reproduce(db, v).await?;
        all_explained &= !r.unexplained();
        checks.push(r);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "year": year, "published": checks, "audit": chain }))?);
        return Ok(all_explained);
    }
    if checks.is_empty() {
        println!("{year}: no published version to verify");
    }
    for r in &checks {
        let differ = r.differing_units.join(", ");
        let said = match (r.reproduces, r.inputs_unchanged, r.changes_recorded) {
            (true, true, _) => "reproduces exactly from today's data".to_string(),
            (true, false, true) => "reproduces, although imports or decisions changed its inputs since".to_string(),
            (false, _, true) => format!("does not reproduce: imports or decisions changed its inputs since; units that differ: {differ}"),
            (true, false, false) => "ITS INPUTS CHANGED although no import or decision explains it (data altered outside Zhengxin?); the results still reproduce".to_string(),
            (false, _, false) => format!("DOES NOT REPRODUCE although no import or decision explains it (data altered outside Zhengxin?); units that differ: {differ}"),
        };
        println!("{year} version {}: {said}", r.version);
    }
    Ok(all_explained)
}

pub async fn export(url: &str, a: ExportArgs) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let scope = result_file::Scope { group: a.group.map(Into::into), unit: a.unit };
    let destination = a.output.display().to_string();
    let file = result_file::result_file(&db, a.year, a.version, &scope, a.format.into(), &actor(), Some(&destination)).await?;
    if a.output.as_os_str() == "-" {
        use std::io::Write;
        std::io::stdout().write_all(&file.bytes)?;
    } else {
        std::fs::write(&a.output, &file.bytes).map_err(|e| anyhow::anyhow!("cannot write {destination}: {e}"))?;
        eprintln!("{destination}: {} version {}, {} units", a.year, file.version.version, file.units);
    }
    Ok(true)
}

pub async fn report(url: &str, a: ReportArgs) -> anyhow::Result<bool> {
    use scoring::reports::{DEFAULT_OFFICE, Kind};
    let db = Db::connect(url).await?;
    let kind = match (&a.unit, a.all_units) {
        (Some(code), _) => Kind::Unit(code.clone()),
        (None, true) => Kind::AllUnits,
        (None, false) => Kind::Notice,
    };
    let office = a.office.as_deref().filter(|o| !o.trim().is_empty()).unwrap_or(DEFAULT_OFFICE);
    let report = scoring::reports::report(&db, a.year, a.version, &kind, office, &actor()).await?;
    if a.output.as_os_str() == "-" {
        use std::io::Write;
        std::io::stdout().write_all(&report.bytes)?;
        return Ok(true);
    }
    let path = if a.output.is_dir() { a.output.join(&report.file_name) } else { a.output.clone() };
    std::fs::write(&path, &report.bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    eprintln!("{}: {} version {}, {} bytes", path.display(), a.year, report.version.version, report.bytes.len());
    Ok(true)
}

pub async fn explain(url: &str, year: i32, unit: &str, indicator: Option<&str>, version: Option<i64>, limit: usize, json: bool) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let v = &stored_version(&db, year, version).await?;
    let stored = scoring::stored::load(&db, v).await?;
    let explanation = scoring::explain::unit(&db, &stored, unit, indicator).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
    } else {
        print!("{}", scoring::explain::human(&explanation, limit));
    }
    Ok(true)
}

pub async fn quality(url: &str, year: i32, version: Option<i64>, json: bool) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let v = &stored_version(&db, year, version).await?;
    let stored = scoring::stored::load(&db, v).await?;
    let findings = &stored.rows.quality;
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "year": year, "version": v.version, "findings": findings }))?);
    } else {
        println!("{year} version {}: {} finding(s)", v.version, findings.len());
        for f in findings {
            let unit = f.unit_code.as_deref().unwrap_or("-");
            let record = f.record_id.as_deref().map(|r| format!(" record {r}")).unwrap_or_default();
            println!("{:<16} {:<12} {unit}{record}: {}", f.kind, f.source, f.detail);
        }
    }
    Ok(true)
}
