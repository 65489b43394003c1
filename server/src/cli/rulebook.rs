//! `zhengxin rulebook check` and `show`: the method's parameters as files.

use std::path::Path;

use super::read_rulebook;

pub fn check(file: &Path) -> anyhow::Result<bool> {
    let rules = read_rulebook(file)?;
    println!("{}: rulebook for {} is valid: {} indicators", file.display(), rules.year, rules.indicators.len());
    for r in &rules.indicators {
        println!("  {:<22} {:>5}  {}", r.id, r.weight, analytics::explain::formula(r));
    }
    Ok(true)
}

pub fn show(year: i32) -> anyhow::Result<bool> {
    let text = seeds::rulebooks::text(year).ok_or(analytics::rulebook::RulebookError::Missing(year))?;
    print!("{text}");
    Ok(true)
}
