//! `zhengxin robustness` (how sure each rank is, robustness.md §1) and
//! `zhengxin whatif` (another rulebook, §2).

use std::io::Write;

use analytics::robustness::{Factors, Settings};

use super::args::RobustnessArgs;
use super::stored_version;
use crate::db::Db;
use crate::scoring::robustness;

/// The spec's caveat, printed with every answer.
const CAVEAT: &str = "这是对评分方法的模拟，不是数据误差 (a simulation of the method, not a data error)";

pub async fn robustness(url: &str, a: RobustnessArgs) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let v = stored_version(&db, a.year, a.version).await?;
    let settings = Settings { factors: Factors { weights: a.weights, thresholds: a.thresholds }, draws: a.draws, seed: a.seed };
    let answer = robustness::robustness(&db, &v, settings).await?;
    if let Some(dir) = &a.dump {
        dump(&db, &v, &settings, dir).await?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(true);
    }
    let r = &answer.report;
    println!("{} version {}: {} draws, seed {}, weights ±{}, thresholds ±{}", answer.year, answer.version, r.draws, r.seed, r.weights, r.thresholds);
    println!("排名稳健区间 (90%): {CAVEAT}");
    let rank = |r: Option<u32>| r.map_or_else(|| "-".to_string(), |r| r.to_string());
    for g in &r.groups {
        println!();
        println!("{} ({} graded, {} within 3 places)", g.group.label_zh(), g.units, g.narrow);
        println!("{:<12} {:<20} {:>7} {:>6} {:>9}  {:>5} {:>5} {:>5} {:>5}", "unit", "name", "nominal", "median", "P5–P95", "优秀", "良好", "合格", "不合格");
        for u in r.units.iter().filter(|u| u.group == g.group) {
            let p = |x: f64| format!("{:.2}", x);
            let interval = format!("{}–{}", rank(u.rank_p5), rank(u.rank_p95));
            println!(
                "{:<12} {:<20} {:>7} {:>6} {:>9}  {:>5} {:>5} {:>5} {:>5}",
                u.unit_code,
                u.unit_name,
                rank(u.nominal_rank),
                rank(u.median_rank),
                interval,
                p(u.grades.excellent),
                p(u.grades.good),
                p(u.grades.pass),
                p(u.grades.fail)
            );
        }
        println!("excellent for certain: {}; contested: {}", list(&g.excellent_certain), list(&g.excellent_contested));
    }
    Ok(true)
}

fn list(codes: &[String]) -> String {
    if codes.is_empty() { "none".to_string() } else { codes.join(", ") }
}

/// Writes `model.json` (the version as the simulation sees it, with the
/// uniforms' layout) and `uniforms.f64` (every draw's uniforms, draw after
/// draw, little-endian) for an independent implementation to check.
async fn dump(db: &Db, v: &crate::scoring::results::VersionInfo, settings: &Settings, dir: &std::path::Path) -> anyhow::Result<()> {
    let model = robustness::checked_model(&crate::scoring::stored::Stored::read(db, v).await?)?;
    std::fs::create_dir_all(dir)?;
    let (per_draw, offsets) = model.uniform_layout();
    let doc = serde_json::json!({ "model": model, "per_draw": per_draw, "offsets": offsets, "draws": settings.draws, "seed": settings.seed,
        "weights": settings.factors.weights, "thresholds": settings.factors.thresholds });
    std::fs::write(dir.join("model.json"), serde_json::to_vec_pretty(&doc)?)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("uniforms.f64"))?);
    for u in model.uniforms(settings) {
        out.write_all(&u.to_le_bytes())?;
    }
    out.flush()?;
    Ok(())
}

pub async fn whatif(url: &str, year: i32, rulebook: &std::path::Path, version: Option<i64>, json: bool) -> anyhow::Result<bool> {
    let rules = super::read_rulebook(rulebook)?;
    let db = Db::connect(url).await?;
    let v = stored_version(&db, year, version).await?;
    let stored = crate::scoring::stored::load(&db, &v).await?;
    let answer = crate::scoring::whatif::whatif(&db, &stored, rules).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(true);
    }
    println!("{year}: version {} beside the rulebook \"{}\" ({}), as of the version's as_of", answer.version, answer.rulebook_title, answer.rulebook_year);
    if answer.data_changed {
        println!("note: the data changed since version {} was computed; the differences include those changes", answer.version);
    }
    let rank = |r: Option<i64>| r.map_or_else(|| "-".to_string(), |r| r.to_string());
    let moved: Vec<_> = answer.units.iter().filter(|u| u.rank_change.is_some_and(|c| c != 0) || u.grade != u.stored_grade).collect();
    println!("{} of {} units change rank or grade", moved.len(), answer.units.len());
    println!("{:<12} {:<20} {:<10} {:>8} {:>5} {:<9} {:>8} {:>5} {:<9} {:>6}", "unit", "name", "group", "total", "rank", "grade", "→ total", "rank", "grade", "change");
    for u in moved {
        println!(
            "{:<12} {:<20} {:<10} {:>8.2} {:>5} {:<9} {:>8.2} {:>5} {:<9} {:>6}",
            u.unit_code,
            u.unit_name,
            u.group.code(),
            u.stored_total,
            rank(u.stored_rank),
            u.stored_grade.code(),
            u.total,
            rank(u.rank),
            u.grade.code(),
            u.rank_change.map_or_else(String::new, |c| format!("{c:+}"))
        );
    }
    Ok(true)
}
