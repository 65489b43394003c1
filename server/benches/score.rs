//! Benchmark of the scoring engine alone, on in-memory data: the demo
//! dataset of one year at `--scale` (10 ≈ Wenzhou scale: 232 units, about
//! 3,000,000 hotline tickets), and the same data repeated `--times` over
//! (10× Wenzhou). Prints wall times and peak memory; with `--parquet DIR`
//! it also writes the inputs for `scripts/bench-score`'s DuckDB reference.
//!
//! `cargo bench --bench score -- --scale 10 --times 10 --parquet /tmp/zx`
//! (under `cargo test` it runs at scale 0.01 as a smoke test).

use std::time::Instant;

/// The allocator of the `zhengxin` binary, so the engine is measured as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use analytics::inputs::{Inputs, RecordSet, SOURCES, Voided};
use analytics::polars::prelude::*;
use analytics::window::Window;
use chrono::NaiveDate;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn generate(scale: f64, year: i32) -> RecordSet {
    let until = NaiveDate::from_ymd_opt(year, 12, 31).unwrap().and_hms_opt(23, 59, 59).unwrap();
    let generator = seeds::demo::Generator::new(seeds::demo::DEFAULT_SEED, scale, until);
    let units = seeds::units::reference_units();
    let data = generator.year(&units, year);
    let hotline = units.iter().flat_map(|u| generator.hotline(u, year)).collect();
    RecordSet {
        units,
        commitments: data.commitments,
        proposals: data.proposals,
        hotline,
        debt: data.debt,
        dishonesty: data.dishonesty,
        ratings: data.ratings,
        honours: data.honours,
    }
}

/// Every record source repeated `times` over (units and yearly rows once).
fn repeated(inputs: &Inputs, times: usize) -> Inputs {
    let rep = |df: &DataFrame| {
        let frames: Vec<LazyFrame> = (0..times).map(|_| df.clone().lazy()).collect();
        concat(frames, UnionArgs::default()).unwrap().collect().unwrap()
    };
    Inputs {
        units: inputs.units.clone(),
        commitments: rep(&inputs.commitments),
        proposals: rep(&inputs.proposals),
        hotline: rep(&inputs.hotline.frame().unwrap()).into(),
        debt: inputs.debt.clone(),
        dishonesty: rep(&inputs.dishonesty),
        ratings: inputs.ratings.clone(),
        honours: inputs.honours.clone(),
    }
}

fn time_engine(label: &str, inputs: &Inputs, rules: &analytics::rulebook::Rulebook, window: &Window, reps: usize) {
    let mut times = Vec::new();
    let mut units = 0;
    for _ in 0..reps {
        let started = Instant::now();
        let a = analytics::score::assess(inputs, rules, window, None).unwrap();
        times.push(started.elapsed().as_secs_f64());
        units = a.units.height();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label}: {} tickets, {units} units: engine min {:.3} s, median {:.3} s over {reps} runs; peak memory {:.0} MiB",
        inputs.hotline.height(),
        times[0],
        times[times.len() / 2],
        peak_mib()
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this
    // binary too, and then it runs small so the suite stays quick.
    let full = std::env::args().any(|a| a == "--bench");
    let (scale, times, reps) = if full { ("10", "10", "5") } else { ("0.01", "2", "1") };
    let scale: f64 = arg("--scale", scale).parse().expect("--scale N");
    let times: usize = arg("--times", times).parse().expect("--times N");
    let reps: usize = arg("--reps", reps).parse().expect("--reps N");
    let parquet = arg("--parquet", "");
    let year = 2025;
    let started = Instant::now();
    let set = generate(scale, year);
    let inputs = Inputs::from_records(&set, &Voided::default()).unwrap();
    drop(set);
    eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    let rules = seeds::rulebooks::for_year(year).unwrap();
    let window = Window::new(year, None, NaiveDate::from_ymd_opt(2030, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()).unwrap();
    time_engine(&format!("scale {scale}"), &inputs, &rules, &window, reps);
    if !parquet.is_empty() {
        std::fs::create_dir_all(&parquet).unwrap();
        for source in SOURCES {
            let mut df = inputs.frame(source).unwrap().into_owned();
            let file = std::fs::File::create(format!("{parquet}/{source}.parquet")).unwrap();
            ParquetWriter::new(file).finish(&mut df).unwrap();
        }
        eprintln!("inputs written to {parquet}/*.parquet");
    }
    if times > 1 {
        let big = repeated(&inputs, times);
        drop(inputs);
        time_engine(&format!("scale {scale} × {times}"), &big, &rules, &window, reps.min(3));
    }
}
