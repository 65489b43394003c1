//! The data key: one line in a small file outside the database, created
//! with the database (mode 0600), required ever after.
//!
//! ```text
//! zhengxin-data-key v1 aes-256-gcm key=<64 hex digits>
//! ```
//!
//! The database keeps only a check of the key ([`super::Sealer::check`],
//! the install setting `data_key_check`), so that a missing file, another
//! database's file or a file whose cipher was changed is refused before
//! anything is sealed with it: mixing keys would leave data that no single
//! key opens. Losing the file loses what it sealed; back it up apart from
//! the database (RELIABILITY.md).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::super::secret_file::{self, parse_hex_key, random_key};
use super::super::Db;
use super::{Cipher, Sealer};
use crate::hashing::to_hex;

/// The environment variable naming the key file (`--data-key-file`).
pub const SETTING: &str = "ZHENGXIN_DATA_KEY_FILE";
/// The install setting holding the key's check.
pub const CHECK: &str = "data_key_check";

const MAGIC: &str = "zhengxin-data-key v1";
const HEADER: &str = "# Zhengxin data key: it seals person references, waiting uploads, repair evidence and TOTP secrets.\n\
                      # Keep it mode 0600 and back it up apart from the database: without it they cannot be read (RELIABILITY.md).\n";
const DANGER: &str = "can read the person references of any copy of the database";

/// The key: its cipher and 256-bit secret.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey {
    pub cipher: Cipher,
    secret: [u8; 32],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey").field("cipher", &self.cipher).finish()
    }
}

impl DataKey {
    fn fresh(cipher: Cipher) -> Result<DataKey, String> {
        Ok(DataKey { cipher, secret: random_key()? })
    }

    /// Parses the file's text; the error names the line.
    pub fn parse(text: &str) -> Result<DataKey, String> {
        let mut found = None;
        for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if found.is_some() {
                return Err(format!("line {n}: a second key (a data key file holds one)"));
            }
            let rest = line.strip_prefix(MAGIC).ok_or_else(|| format!("line {n}: does not start with {MAGIC:?}"))?;
            let words: Vec<&str> = rest.split_whitespace().collect();
            let cipher = words.first().ok_or_else(|| format!("line {n}: no cipher"))?;
            let cipher = Cipher::parse(cipher).ok_or_else(|| format!("line {n}: unknown cipher {cipher:?} (aes-256-gcm or sm4-gcm)"))?;
            let hex = words.iter().find_map(|w| w.strip_prefix("key=")).ok_or_else(|| format!("line {n}: no key="))?;
            let secret = parse_hex_key(hex).ok_or_else(|| format!("line {n}: key= must be 64 hex digits"))?;
            found = Some(DataKey { cipher, secret });
        }
        found.ok_or_else(|| "no key in it".to_string())
    }

    fn render(&self) -> String {
        format!("{HEADER}{MAGIC} {} key={}\n", self.cipher.code(), to_hex(&self.secret))
    }

    pub fn sealer(&self) -> Sealer {
        Sealer::new(self.cipher, &self.secret)
    }
}

/// `--data-key-file` and `--data-cipher` of this process's command line.
static FLAGS: OnceLock<(Option<PathBuf>, Option<Cipher>)> = OnceLock::new();

/// Sets `--data-key-file` and `--data-cipher` for every database this
/// process opens; the command line calls it once, before connecting.
pub fn set_flags(path: Option<PathBuf>, cipher: Option<Cipher>) {
    let _ = FLAGS.set((path, cipher));
}

/// Where the key file of a database lives by default: `--data-key-file`,
/// the setting ([`SETTING`]), else beside the SQLite file (`zhengxin.db` →
/// `zhengxin.data-key`), else (PostgreSQL) in `data/` of the working
/// directory; none for an in-memory SQLite database (whose key lives as
/// long as it does, in memory).
pub fn default_path(sqlite_file: Option<&Path>, database: &str) -> Option<Arc<Path>> {
    if let Some((Some(path), _)) = FLAGS.get() {
        return Some(path.as_path().into());
    }
    secret_file::path_for(std::env::var(SETTING).ok().as_deref(), sqlite_file, database, "data-key")
}

/// The cipher asked for a new key (`--data-cipher`, or its variable
/// `ZHENGXIN_DATA_CIPHER`, which the command line reads), if any.
fn wanted_cipher() -> Option<Cipher> {
    FLAGS.get().and_then(|(_, cipher)| *cipher)
}

/// Reads the key file at `path`: `Ok(None)` if there is none.
pub fn read(path: &Path) -> Result<Option<DataKey>, String> {
    let Some(text) = secret_file::read(path, DANGER)? else { return Ok(None) };
    DataKey::parse(&text).map(Some).map_err(|e| format!("{} is not a Zhengxin data key file ({e}); restore it from its backup", path.display()))
}

fn create(path: &Path, key: &DataKey) -> Result<DataKey, String> {
    let text = secret_file::create_once(path, &key.render(), DANGER)?;
    DataKey::parse(&text).map_err(|e| format!("{} is not a Zhengxin data key file ({e})", path.display()))
}

/// The sealer of `db`: its key file read (created with a new database),
/// and checked against the check the database keeps. The error says what
/// the operator must do; nothing is sealed without the right key.
pub async fn load(db: &Db, path: Option<&Path>) -> Result<Sealer, String> {
    let wanted = wanted_cipher();
    let recorded = crate::db::settings::read(db, CHECK).await.map_err(|e| e.to_string())?;
    let key = match path {
        // An in-memory database: a key for as long as it lives.
        None => DataKey::fresh(wanted.unwrap_or(Cipher::Aes256Gcm))?,
        Some(path) => match (read(path)?, &recorded) {
            (Some(key), _) => key,
            (None, Some(check)) => {
                return Err(format!(
                    "this database holds data sealed with a data key ({check}) but there is no key file at {}: point --data-key-file (or {SETTING}) at it, \
                     or restore it from its backup; without it the sealed person references cannot be read",
                    path.display()
                ));
            }
            (None, None) => create(path, &DataKey::fresh(wanted.unwrap_or(Cipher::Aes256Gcm))?)?,
        },
    };
    let shown = path.map_or_else(|| "(in memory)".to_string(), |p| p.display().to_string());
    if let Some(wanted) = wanted.filter(|w| *w != key.cipher) {
        return Err(format!(
            "the data key at {shown} uses {}: --data-cipher {} applies only when a new database's key is created",
            key.cipher.code(),
            wanted.code()
        ));
    }
    let sealer = key.sealer();
    // Recorded now for a new database (of two processes racing, the
    // first one's key is the database's).
    let check = match recorded {
        Some(check) => check,
        None => crate::db::settings::stored_or(db, CHECK, &sealer.check()).await.map_err(|e| e.to_string())?,
    };
    if check != sealer.check() {
        return Err(format!(
            "the data key at {shown} ({}) is not the one this database was sealed with ({check}): restore that key file from its backup; \
             sealing more with this one would leave data no single key opens",
            sealer.check()
        ));
    }
    Ok(sealer)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn a_key_file_renders_and_parses_and_malformed_ones_name_the_line() {
        let key = DataKey::fresh(Cipher::Sm4Gcm).unwrap();
        assert_eq!(DataKey::parse(&key.render()).unwrap(), key);
        assert!(!format!("{key:?}").contains(&to_hex(&key.secret)[..8]));
        let cases = [
            ("", "no key in it"),
            ("# only a comment\n", "no key in it"),
            ("hello\n", "line 1: does not start with"),
            (&format!("{MAGIC}\n"), "line 1: no cipher"),
            (&format!("{MAGIC} des key={KEY_A}\n"), "unknown cipher \"des\""),
            (&format!("{MAGIC} aes-256-gcm\n"), "line 1: no key="),
            (&format!("{MAGIC} aes-256-gcm key=abc\n"), "64 hex digits"),
            (&format!("{MAGIC} aes-256-gcm key={KEY_A}\n{MAGIC} aes-256-gcm key={KEY_A}\n"), "line 2: a second key"),
        ];
        for (text, expected) in cases {
            let e = DataKey::parse(text).unwrap_err();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_default_sits_beside_the_sqlite_file() {
        let path = secret_file::path_for(None, Some(Path::new("data/zhengxin.db")), "x", "data-key");
        assert_eq!(path.as_deref(), Some(Path::new("data/zhengxin.data-key")));
    }

    async fn database(dir: &Path) -> Db {
        Db::connect(&format!("sqlite://{}/zx.db", dir.display())).await.unwrap()
    }

    #[tokio::test]
    async fn a_database_keeps_its_key_and_refuses_a_missing_or_foreign_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path()).await;
        let path = dir.path().join("zx.data-key");
        let key = read(&path).unwrap().expect("created with the database");
        assert_eq!(db.sealer().unwrap().check(), key.sealer().check());
        assert_eq!(crate::db::settings::read(&db, CHECK).await.unwrap(), Some(key.sealer().check()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // The same key again: loaded.
        assert_eq!(load(&db, Some(&path)).await.unwrap().check(), key.sealer().check());
        // Another database's key: refused, naming both checks.
        let other = dir.path().join("other.data-key");
        create(&other, &DataKey::fresh(Cipher::Aes256Gcm).unwrap()).unwrap();
        let e = load(&db, Some(&other)).await.unwrap_err();
        assert!(e.contains("is not the one this database was sealed with") && e.contains(&key.sealer().check()), "{e}");
        // No key file: refused, saying where it was looked for.
        let e = load(&db, Some(&dir.path().join("gone.data-key"))).await.unwrap_err();
        assert!(e.contains("no key file at") && e.contains("gone.data-key") && e.contains("--data-key-file"), "{e}");
        db.close().await;
        // A reconnect reads the same key and seals the same way.
        std::fs::rename(&other, dir.path().join("spare")).unwrap();
        let again = database(dir.path()).await;
        assert_eq!(again.sealer().unwrap().seal_ref("P-1"), key.sealer().seal_ref("P-1"));
    }
}
