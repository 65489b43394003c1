//! Small secret files kept outside the database: the audit chain's key
//! ([`super::audit::key`]) and the data key that seals personal data
//! ([`super::seal`]). Each is text, created once with mode 0600 (written
//! to a private temporary file and linked into place, so it appears whole
//! or not at all), refused when others may read it, and found beside the
//! SQLite file unless a setting names it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::hashing::{sha256, to_hex};

/// A fresh random 256-bit key.
pub fn random_key() -> Result<[u8; 32], String> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| format!("no random key: {e}"))?;
    Ok(key)
}

/// 64 hex digits as a 256-bit key.
pub fn parse_hex_key(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

/// Where a database's secret file ending in `extension` lives by default:
/// the setting's value, else beside the SQLite file (`zhengxin.db` →
/// `zhengxin.<extension>`), else (PostgreSQL) in `data/` of the working
/// directory, named for the database; none for an in-memory SQLite
/// database.
pub fn path_for(setting: Option<&str>, sqlite_file: Option<&Path>, database: &str, extension: &str) -> Option<Arc<Path>> {
    match (setting.map(str::trim).filter(|s| !s.is_empty()), sqlite_file) {
        (Some(path), _) => Some(Path::new(path).into()),
        (None, Some(file)) if file.as_os_str() != ":memory:" && !file.as_os_str().is_empty() => Some(file.with_extension(extension).into()),
        (None, Some(_)) => None,
        (None, None) => Some(PathBuf::from(format!("data/zhengxin-{}.{extension}", &sha256(database)[..16])).into()),
    }
}

/// The text of the secret file at `path`: `Ok(None)` if there is none.
/// Refuses a file others may read or write; `danger` says what someone
/// who read it could do.
pub fn read(path: &Path, danger: &str) -> Result<Option<String>, String> {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "{shown} cannot be read ({e}): the user running zhengxin must own it (chmod 600 {shown})"
            ));
        }
    };
    check_private(path, danger)?;
    Ok(Some(text))
}

#[cfg(unix)]
fn check_private(path: &Path, danger: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} is open to other users (mode {:o}): anyone who reads it {danger}; run chmod 600 {} (and ask who read it)",
            path.display(),
            mode & 0o777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _danger: &str) -> Result<(), String> {
    Ok(())
}

/// Creates the file at `path` with `text` in it, only if none exists: of
/// two processes racing, the loser gets the winner's text. Returns the
/// text now at `path`.
pub fn create_once(path: &Path, text: &str, danger: &str) -> Result<String, String> {
    let temp = write_private_temp(path, text)?;
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(text.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read(path, danger)?.ok_or_else(|| format!("{} vanished while it was created", path.display()))
        }
        Err(e) => Err(format!("cannot create {} ({e})", path.display())),
    }
}

/// Replaces the file at `path` by `text` at once (rename), keeping it
/// private.
pub fn replace(path: &Path, text: &str) -> Result<(), String> {
    let temp = write_private_temp(path, text)?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot replace {} ({e})", path.display())
    })
}

/// Writes `text` to a new file beside `path`, mode 0600, synced.
fn write_private_temp(path: &Path, text: &str) -> Result<PathBuf, String> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(|e| format!("cannot create the folder {} ({e})", folder.display()))?;
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
    let name = format!(
        ".{}.{}.tmp",
        path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
        to_hex(&nonce)
    );
    let temp = folder.join(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write {} ({e})", temp.display())
    })?;
    Ok(temp)
}
