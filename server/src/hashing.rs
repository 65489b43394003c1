//! SHA-256 as lower-case hex: content hashes of results, rulebooks and
//! inputs, the audit chain, stored secrets.

use sha2::{Digest, Sha256};

/// Bytes as lower-case hex.
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The SHA-256 of `text`, as hex.
pub fn sha256(text: &str) -> String {
    to_hex(&Sha256::digest(text.as_bytes()))
}

/// The SHA-256 of `bytes`, as hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hash_of_nothing_is_the_known_one() {
        assert_eq!(super::sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(super::to_hex(&[0, 15, 255]), "000fff");
    }
}
