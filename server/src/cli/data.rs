//! `zhengxin import` and `seed-demo`: source data into the database (or
//! the demo data as files), with progress on stderr for large files.

use std::path::PathBuf;
use std::sync::Arc;

use super::{PROGRESS_MIN_ROWS, SeedDemoArgs, actor};
use crate::db::Db;
use crate::jobs::Origin;
use crate::import;

pub async fn import(url: &str, paths: &[PathBuf], source: Option<crate::sources::Source>, json: bool, check: bool) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let (inputs, issues) = import::collect(paths, source);
    let started = std::time::Instant::now();
    let progress: import::ProgressFn = Arc::new(move |p| {
        let rate = |rows: usize| rows as f64 / started.elapsed().as_secs_f64().max(1e-3);
        // Small files finish too fast to need progress lines.
        match p {
            import::Progress::Read { file, rows } if rows >= PROGRESS_MIN_ROWS => eprintln!("read    {file}: {rows} rows ({:.0} rows/s)", rate(rows)),
            import::Progress::Written { file, rows } if rows >= PROGRESS_MIN_ROWS => eprintln!("written {file}: {rows} rows"),
            _ => {}
        }
    });
    let report = if check {
        import::check(&db, inputs, issues, progress).await?
    } else {
        import::import(&db, inputs, issues, &actor(), Origin::CommandLine, progress).await?
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.human());
    }
    eprintln!("took {:.2} s", started.elapsed().as_secs_f64());
    Ok(report.ok)
}

pub async fn seed_demo(url: &str, a: SeedDemoArgs) -> anyhow::Result<bool> {
    anyhow::ensure!(a.scale > 0.0 && a.scale.is_finite(), "--scale must be a positive number");
    let until = a.until.unwrap_or_else(crate::clock::now_cst);
    let plan = crate::demo::DemoPlan { generator: seeds::demo::Generator::new(a.seed, a.scale, until), years: a.years };
    let started = std::time::Instant::now();
    if let Some(dir) = a.csv {
        for (name, rows) in crate::demo::write_csv(&dir, &plan)? {
            println!("{}: {rows} rows", dir.join(name).display());
        }
    } else {
        let db = Db::connect(url).await?;
        let progress = |source: &str, rows: u64| {
            eprintln!("{source}: {rows} rows ({:.0} rows/s)", rows as f64 / started.elapsed().as_secs_f64().max(1e-3));
        };
        for (source, c) in crate::demo::seed(&db, &plan, &actor(), &progress).await? {
            println!("{}: {} rows: {} new, {} updated, {} unchanged", source.spec().file_stem, c.total, c.inserted, c.updated, c.unchanged);
        }
    }
    eprintln!("took {:.2} s", started.elapsed().as_secs_f64());
    Ok(true)
}
