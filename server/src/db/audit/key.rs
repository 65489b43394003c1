//! The audit chain's secret: a small text file outside the database,
//! created on first use with mode 0600, read under the writer lock before
//! every write of audit entries and by every verification.
//!
//! Someone who can write the database but not read this file cannot
//! recompute a keyed entry's HMAC, so an edit cannot be hidden by
//! rehashing the entries after it.
//!
//! The file holds epochs, one a line, oldest first:
//!
//! ```text
//! zhengxin-audit-key v1 hmac-sha256 from=1 key=<64 hex digits>
//! zhengxin-audit-key v1 hmac-sha256 from=5210 key=<64 hex digits>
//! ```
//!
//! An entry whose id is at least an epoch's `from` is keyed with the
//! newest such epoch; entries before the first `from` were written before
//! the key existed and stay unkeyed. Rotation appends an epoch, so no
//! entry is ever rehashed. An epoch whose key was lost is kept as a line
//! `zhengxin-audit-key v1 lost from=<id>`: its entries' links are still
//! checked, their contents no longer can be.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::super::secret_file::{self, parse_hex_key, random_key};
use crate::hashing::to_hex;

/// The environment variable naming the key file (`--audit-key-file`).
pub const SETTING: &str = "ZHENGXIN_AUDIT_KEY_FILE";

/// Every line of the file starts with this.
const MAGIC: &str = "zhengxin-audit-key v1";

/// What opens a new file, for whoever finds it.
const HEADER: &str =
    "# Zhengxin audit chain key (zhengxin audit rotate-key appends epochs).\n# Keep it mode 0600 and back it up apart from the database: see RELIABILITY.md.\n";

/// One key's span of the chain.
#[derive(Clone, PartialEq, Eq)]
pub struct Epoch {
    /// The first entry id it keys.
    pub from: i64,
    /// The HMAC-SHA-256 key; `None` for an epoch whose key was lost.
    pub key: Option<[u8; 32]>,
}

impl std::fmt::Debug for Epoch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself: these end up in logs and test output.
        f.debug_struct("Epoch").field("from", &self.from).field("lost", &self.key.is_none()).finish()
    }
}

/// The parsed key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFile {
    /// At least one, in increasing `from` order.
    pub epochs: Vec<Epoch>,
}

impl KeyFile {
    /// Parses the file's text; the error names the line.
    pub fn parse(text: &str) -> Result<KeyFile, String> {
        let mut epochs: Vec<Epoch> = Vec::new();
        for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let epoch = parse_line(line).map_err(|e| format!("line {n}: {e}"))?;
            if let Some(last) = epochs.last()
                && epoch.from <= last.from
            {
                return Err(format!("line {n}: from={} does not follow from={} of the line before", epoch.from, last.from));
            }
            epochs.push(epoch);
        }
        if epochs.is_empty() {
            return Err("no key in it".into());
        }
        if epochs.last().is_some_and(|e| e.key.is_none()) {
            return Err("the newest epoch has no key (a lost epoch must be followed by a new key)".into());
        }
        Ok(KeyFile { epochs })
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut out = HEADER.to_string();
        for e in &self.epochs {
            match &e.key {
                Some(key) => out.push_str(&format!("{MAGIC} hmac-sha256 from={} key={}\n", e.from, to_hex(key))),
                None => out.push_str(&format!("{MAGIC} lost from={}\n", e.from)),
            }
        }
        out
    }

    /// The epoch keying entry `id`; `None` before the first (unkeyed).
    pub fn epoch_for(&self, id: i64) -> Option<&Epoch> {
        self.epochs.iter().rev().find(|e| e.from <= id)
    }

    /// The newest epoch: new entries are keyed with it.
    pub fn current(&self) -> &Epoch {
        self.epochs.last().expect("a parsed key file has an epoch")
    }

    /// A file with one fresh epoch from entry `from` on.
    pub fn fresh(from: i64) -> Result<KeyFile, String> {
        Ok(KeyFile {
            epochs: vec![Epoch {
                from,
                key: Some(random_key()?),
            }],
        })
    }

    /// This file with a fresh epoch from entry `from` on (rotation).
    pub fn rotated(&self, from: i64) -> Result<KeyFile, String> {
        let mut next = self.clone();
        next.epochs.push(Epoch {
            from,
            key: Some(random_key()?),
        });
        Ok(next)
    }
}

fn parse_line(line: &str) -> Result<Epoch, String> {
    let rest = line.strip_prefix(MAGIC).ok_or_else(|| format!("does not start with {MAGIC:?}"))?;
    let words: Vec<&str> = rest.split_whitespace().collect();
    let field = |name: &str| words.iter().find_map(|w| w.strip_prefix(name).and_then(|v| v.strip_prefix('=')));
    let from: i64 = field("from").ok_or("no from=")?.parse().map_err(|_| "from= is not a number")?;
    if from < 1 {
        return Err("from= must be an entry id (1 or more)".into());
    }
    match words.first().copied() {
        Some("hmac-sha256") => {
            let hex = field("key").ok_or("no key=")?;
            let key = parse_hex_key(hex).ok_or("key= must be 64 hex digits")?;
            Ok(Epoch { from, key: Some(key) })
        }
        Some("lost") => Ok(Epoch { from, key: None }),
        Some(other) => Err(format!("unknown algorithm {other:?} (hmac-sha256 or lost)")),
        None => Err("no algorithm".into()),
    }
}


/// `--audit-key-file` of this process's command line (flag, then
/// [`SETTING`], as clap resolved them).
static FLAG: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Sets `--audit-key-file` for every database this process opens; the
/// command line calls it once, before connecting.
pub fn set_flag(path: PathBuf) {
    let _ = FLAG.set(path);
}

/// Where the key file of a database lives by default: `--audit-key-file`,
/// the setting ([`SETTING`]), else beside the SQLite file (`zhengxin.db` →
/// `zhengxin.audit-key`), else (PostgreSQL) in `data/` of the working
/// directory, named for the database as its snapshots are; none for an
/// in-memory SQLite database.
pub fn default_path(sqlite_file: Option<&Path>, database: &str) -> Option<Arc<Path>> {
    if let Some(path) = FLAG.get() {
        return Some(path.as_path().into());
    }
    path_for(std::env::var(SETTING).ok().as_deref(), sqlite_file, database)
}

/// [`default_path`] with the setting's value given.
fn path_for(setting: Option<&str>, sqlite_file: Option<&Path>, database: &str) -> Option<Arc<Path>> {
    secret_file::path_for(setting, sqlite_file, database, "audit-key")
}

/// What someone who reads the key file could do.
const DANGER: &str = "can rewrite the audit chain undetected";

/// Reads the key file at `path`: `Ok(None)` if there is none. Refuses a
/// file others may read or write, or one that does not parse.
pub fn read(path: &Path) -> Result<Option<KeyFile>, String> {
    let Some(text) = secret_file::read(path, DANGER)? else { return Ok(None) };
    KeyFile::parse(&text)
        .map(Some)
        .map_err(|e| format!("{} is not a Zhengxin audit key file ({e}); restore it from its backup", path.display()))
}

/// Creates the key file at `path` with `file` in it, only if none exists:
/// the text goes to a private temporary file first, which is then linked
/// into place, so the file appears whole or not at all and of two
/// processes racing, the loser reads the winner's file. Returns the file
/// now at `path`.
pub fn create(path: &Path, file: &KeyFile) -> Result<KeyFile, String> {
    let text = secret_file::create_once(path, &file.render(), DANGER)?;
    KeyFile::parse(&text).map_err(|e| format!("{} is not a Zhengxin audit key file ({e}); restore it from its backup", path.display()))
}

/// Replaces the key file at `path` by `file` at once (rename), keeping it
/// private.
pub fn replace(path: &Path, file: &KeyFile) -> Result<(), String> {
    secret_file::replace(path, &file.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn entries_take_the_newest_epoch_that_has_begun() {
        let text = format!(
            "# comment\n\n{MAGIC} hmac-sha256 from=5 key={KEY_A}\n{MAGIC} lost from=9\n{MAGIC} hmac-sha256 from=12 key={}\n",
            "ab".repeat(32)
        );
        let file = KeyFile::parse(&text).unwrap();
        assert_eq!(file.epochs.len(), 3);
        assert_eq!(file.epoch_for(4), None, "before the key existed");
        assert_eq!(file.epoch_for(5).unwrap().key.unwrap()[1], 0x11);
        assert_eq!(file.epoch_for(11).unwrap().key, None, "the lost epoch");
        assert_eq!(file.epoch_for(12).unwrap().key.unwrap()[0], 0xab);
        assert_eq!(file.current().from, 12);
        assert_eq!(KeyFile::parse(&file.render()).unwrap(), file, "render and parse agree");
    }

    #[test]
    fn malformed_key_files_are_refused_with_the_line() {
        let cases = [
            ("", "no key in it"),
            ("hello\n", "line 1: does not start with"),
            (&format!("{MAGIC} hmac-sha256 key={KEY_A}\n"), "line 1: no from="),
            (&format!("{MAGIC} hmac-sha256 from=0 key={KEY_A}\n"), "from= must be an entry id"),
            (&format!("{MAGIC} hmac-sha256 from=1 key=abc\n"), "key= must be 64 hex digits"),
            (&format!("{MAGIC} hmac-sha256 from=1 key={}\n", "zz".repeat(32)), "key= must be 64 hex digits"),
            (&format!("{MAGIC} sm3 from=1 key={KEY_A}\n"), "unknown algorithm \"sm3\""),
            (
                &format!("{MAGIC} hmac-sha256 from=7 key={KEY_A}\n{MAGIC} hmac-sha256 from=7 key={KEY_A}\n"),
                "line 2: from=7 does not follow from=7",
            ),
            (
                &format!("{MAGIC} hmac-sha256 from=1 key={KEY_A}\n{MAGIC} lost from=3\n"),
                "the newest epoch has no key",
            ),
        ];
        for (text, expected) in cases {
            let e = KeyFile::parse(text).unwrap_err();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_default_sits_beside_the_sqlite_file_or_in_data() {
        assert_eq!(
            path_for(None, Some(Path::new("data/zhengxin.db")), "x").as_deref(),
            Some(Path::new("data/zhengxin.audit-key"))
        );
        assert_eq!(
            path_for(Some("/etc/zx/key"), Some(Path::new("data/zhengxin.db")), "x").as_deref(),
            Some(Path::new("/etc/zx/key"))
        );
        assert_eq!(path_for(None, Some(Path::new(":memory:")), "x"), None);
        let pg = path_for(None, None, "postgres://zx@db/zx").unwrap();
        assert!(pg.starts_with("data") && pg.to_string_lossy().ends_with(".audit-key"), "{}", pg.display());
        assert_ne!(pg, path_for(None, None, "postgres://zx@db/other").unwrap(), "one key per database");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_is_created_once_private_and_refused_when_open_to_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/zx.audit-key");
        assert_eq!(read(&path).unwrap(), None);
        let first = create(&path, &KeyFile::fresh(1).unwrap()).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        // A second creator loses the race and reads the first one's key.
        let second = create(&path, &KeyFile::fresh(1).unwrap()).unwrap();
        assert_eq!(second, first);
        assert_eq!(read(&path).unwrap(), Some(first.clone()));
        let rotated = first.rotated(40).unwrap();
        replace(&path, &rotated).unwrap();
        assert_eq!(read(&path).unwrap(), Some(rotated));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temporary file left");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read(&path).unwrap_err();
        assert!(e.contains("open to other users (mode 644)") && e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "garbage\n").unwrap();
        let e = read(&path).unwrap_err();
        assert!(e.contains("is not a Zhengxin audit key file (line 1"), "{e}");
    }

    #[test]
    fn a_key_never_shows_in_debug_output() {
        let file = KeyFile::parse(&format!("{MAGIC} hmac-sha256 from=1 key={KEY_A}\n")).unwrap();
        assert!(!format!("{file:?}").contains("aabbcc"), "{file:?}");
    }
}
