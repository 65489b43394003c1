//! `zhengxin backup`, `restore` and `audit verify`: the IT team's copies
//! of the database and the checks that a copy (or the live one) is whole.

use std::path::Path;

use super::actor;
use crate::db::{Db, redact};
use crate::upkeep;

pub async fn backup(url: &str, file: &Path) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let started = std::time::Instant::now();
    let kind = upkeep::backup(&db, url, file, &actor()).await?;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!("backup written: {} ({kind:?}, {:.1} MiB, {:.1} s)", file.display(), size as f64 / 1048576.0, started.elapsed().as_secs_f64());
    Ok(true)
}

/// Restores into an empty database, then checks the audit chain, every
/// result version's hash and that the data key opens the sealed data.
pub async fn restore(url: &str, file: &Path) -> anyhow::Result<bool> {
    let upkeep::Restored { kind, chain, versions, mismatched, unreadable, .. } = upkeep::restore(url, file).await?;
    for (year, version) in &mismatched {
        println!("result {year} version {version} does not match its content hash");
    }
    if let Some(why) = &unreadable {
        println!("restored, but its SEALED PERSONAL DATA CANNOT BE READ: {why}");
    }
    let intact = chain.problem.is_none() && mismatched.is_empty() && unreadable.is_none();
    match &chain.problem {
        None => println!(
            "restored {} ({kind:?}) into {}: audit log intact ({} entries, head {}); {versions} result version(s) match their hashes",
            file.display(),
            redact(url),
            chain.entries,
            chain.head
        ),
        Some(p) => println!("restored, but the AUDIT LOG IS BROKEN at entry {}: {}", p.id, p.message),
    }
    Ok(intact)
}

/// `audit verify [--anchor HEAD]…`: the chain with its key, and the heads
/// printed outside the database.
pub async fn verify_audit(url: &str, json: bool, anchors: &[String]) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let found = upkeep::verify_anchored(&db, anchors).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&found)?);
        return Ok(found.problem.is_none());
    }
    match &found.problem {
        None => println!("audit log intact: {} entries; head {}", found.entries, found.head),
        Some(p) => println!("AUDIT LOG BROKEN at entry {} ({}): {}", p.id, p.kind, p.message),
    }
    let key_file = found.key_file.as_deref().unwrap_or("(none)");
    match found.keyed_from {
        Some(from) => println!("keyed from entry {from} on with {key_file}"),
        None => println!("NOT KEYED: no key file at {key_file} yet (zhengxin creates it on its next write); until then an edit can be rehashed unnoticed"),
    }
    if found.unverifiable > 0 {
        println!("{} entries were keyed under a lost key: their links hold, their contents cannot be checked", found.unverifiable);
    }
    for a in &found.anchors {
        match a.entry {
            Some(id) => println!("printed head {}: entry {id}, and the chain up to it is intact", a.head),
            None => println!("printed head {}: NOT IN THE CHAIN", a.head),
        }
    }
    Ok(found.problem.is_none())
}

/// `audit rotate-key [--key-lost]`.
pub async fn rotate_key(url: &str, key_lost: bool) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    let done = upkeep::rotate_key(&db, key_lost, &actor()).await?;
    if let Some(lost) = done.lost_from {
        println!("entries from {lost} to {} were keyed under the lost key: their contents can no longer be checked, only their links and the heads printed from them", done.from - 1);
    }
    println!("audit key epoch {} keys the entries from {} on: {}", done.epoch, done.from, done.key_file);
    println!("back the key file up now, apart from the database backups");
    Ok(true)
}
