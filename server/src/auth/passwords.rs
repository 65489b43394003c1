//! Password hashing with argon2 (its default parameters, a random salt per
//! hash, PHC string format).

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use super::AuthError;

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 8;

pub fn hash(password: &str) -> Result<String, AuthError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(AuthError::Refused(super::Refusal::ShortPassword { min: MIN_LENGTH }));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

pub fn verify(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// A valid hash of no one's password: checked when a user name is unknown,
/// so an attacker cannot tell unknown names from wrong passwords by time.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password that matches nothing").expect("hashing works"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("correct hors", &h));
        assert_ne!(hash("correct horse").unwrap(), h, "a fresh salt each time");
        assert!(matches!(hash("short"), Err(AuthError::Refused(super::super::Refusal::ShortPassword { min: MIN_LENGTH }))));
        assert!(!verify("x", "not a hash"));
    }
}
