//! Personal data sealed at rest (等保2.0 三级 安全计算环境 8.1.4.8 数据保密性;
//! 个人信息保护法 §51): person references, the bytes of waiting uploads and
//! of repair evidence, and TOTP secrets are stored encrypted under a data
//! key kept outside the database ([`key`]), so a copy of the database
//! alone (a backup, a stolen disk, a replica) reveals no person.
//!
//! The cipher is AES-256-GCM, or SM4-GCM (GB/T 32907-2016 in GCM mode, the
//! national algorithm an assessor may ask for) when the key was created
//! with `--data-cipher sm4-gcm`. Both derive their keys from the file's
//! 256-bit secret with HMAC-SHA-256 under fixed labels: one to encrypt,
//! one to make nonces, one for the check the database keeps (a wrong key
//! is refused, not used to seal more data).
//!
//! Two kinds of sealing:
//!
//! - **Person references** are sealed *deterministically*: the nonce is
//!   the first 12 bytes of a keyed hash (HMAC-SHA-256 under the nonce key)
//!   of the field and the value, the synthetic-IV construction. The same
//!   reference always seals to the same text, so a person's file is
//!   looked up by that keyed hash (the sealed text carries it) through the
//!   index, and an import sees an unchanged record as unchanged. What this
//!   reveals is only which records share a reference, which the personnel
//!   office's look-ups need anyway; a GCM nonce repeats only for the very
//!   same value, which gives nothing away beyond that.
//! - **Everything else** (files, secrets) gets a random nonce.
//!
//! Sealed text reads `zxs1:` and the base64 (URL alphabet, no padding) of
//! nonce ‖ ciphertext ‖ tag; sealed bytes are `ZXS1`, nonce, ciphertext and
//! tag. The field's name is the associated data, so a value copied from
//! one column into another does not open. A value without the mark was
//! stored before sealing began; [`backfill`] seals those once, and readers
//! meanwhile take them as they are.

pub mod backfill;
pub mod key;

use aes_gcm::aead::array::Array;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The mark of sealed text.
pub const TEXT_MARK: &str = "zxs1:";
/// The mark of sealed bytes.
pub const BYTES_MARK: &[u8] = b"ZXS1";
const NONCE: usize = 12;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A sealed column or blob: its name is the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `dishonesty_records.person_ref`, and the audit entries of look-ups.
    PersonRef,
    /// `staged_import_files.bytes`.
    StagedFile,
    /// `repair_evidence.bytes`.
    Evidence,
    /// `totp_secrets.secret`.
    TotpSecret,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::PersonRef => b"person_ref",
            Field::StagedFile => b"staged_file",
            Field::Evidence => b"evidence",
            Field::TotpSecret => b"totp_secret",
        }
    }
}

/// The block cipher under GCM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    Aes256Gcm,
    Sm4Gcm,
}

impl Cipher {
    pub fn code(self) -> &'static str {
        match self {
            Cipher::Aes256Gcm => "aes-256-gcm",
            Cipher::Sm4Gcm => "sm4-gcm",
        }
    }

    pub fn parse(code: &str) -> Option<Cipher> {
        match code.trim() {
            "aes-256-gcm" | "aes" => Some(Cipher::Aes256Gcm),
            "sm4-gcm" | "sm4" => Some(Cipher::Sm4Gcm),
            _ => None,
        }
    }
}

/// A sealed value that does not open: altered, copied from another
/// column, or sealed under another key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a sealed {field:?} value does not open with this data key (altered, moved, or sealed under another key)")]
pub struct Unopened {
    pub field: Field,
}

enum Engine {
    Aes(Box<Aes256Gcm>),
    Sm4(Box<AesGcm<sm4::Sm4, U12>>),
}

/// Seals and opens with one data key.
pub struct Sealer {
    cipher: Cipher,
    engine: Engine,
    nonce_key: [u8; 32],
    check: String,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys: these end up in logs and test output.
        f.debug_struct("Sealer").field("cipher", &self.cipher).field("check", &self.check).finish()
    }
}

fn derive(secret: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Sealer {
    /// The sealer of the data key `secret` under `cipher`.
    pub fn new(cipher: Cipher, secret: &[u8; 32]) -> Sealer {
        let enc = derive(secret, "zhengxin seal v1 encryption");
        let engine = match cipher {
            Cipher::Aes256Gcm => Engine::Aes(Box::new(Aes256Gcm::new(&enc.into()))),
            Cipher::Sm4Gcm => Engine::Sm4(Box::new(AesGcm::new_from_slice(&enc[..16]).expect("SM4 takes a 128-bit key"))),
        };
        let check = crate::hashing::to_hex(&derive(secret, "zhengxin seal v1 check")[..16]);
        Sealer { cipher, engine, nonce_key: derive(secret, "zhengxin seal v1 nonce"), check }
    }

    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// What the database keeps to recognise this key: `<cipher> <32 hex
    /// digits of a keyed hash of a fixed label>`. It reveals nothing of
    /// the key.
    pub fn check(&self) -> String {
        format!("{} {}", self.cipher.code(), self.check)
    }

    fn encrypt(&self, nonce: &[u8; NONCE], field: Field, msg: &[u8]) -> Vec<u8> {
        let nonce = Array::<u8, U12>::from(*nonce);
        let payload = Payload { msg, aad: field.label() };
        let sealed = match &self.engine {
            Engine::Aes(c) => c.encrypt(&nonce, payload),
            Engine::Sm4(c) => c.encrypt(&nonce, payload),
        };
        // GCM refuses only messages over 64 GiB.
        sealed.expect("GCM seals any value this program stores")
    }

    fn decrypt(&self, nonce: &[u8], field: Field, sealed: &[u8]) -> Result<Vec<u8>, Unopened> {
        let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| Unopened { field })?;
        let nonce = Array::<u8, U12>::from(nonce);
        let payload = Payload { msg: sealed, aad: field.label() };
        match &self.engine {
            Engine::Aes(c) => c.decrypt(&nonce, payload),
            Engine::Sm4(c) => c.decrypt(&nonce, payload),
        }
        .map_err(|_| Unopened { field })
    }

    /// The keyed hash of `value` in `field`, the first 12 bytes of which
    /// are its deterministic nonce.
    fn keyed_hash(&self, field: Field, value: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.nonce_key).expect("HMAC takes any key length");
        mac.update(field.label());
        mac.update(&[0]);
        mac.update(value);
        mac.finalize().into_bytes().into()
    }

    /// `value` sealed so that the same value always seals the same way
    /// (person references: looked up and compared sealed).
    pub fn seal_ref(&self, value: &str) -> String {
        let hash = self.keyed_hash(Field::PersonRef, value.as_bytes());
        let nonce: [u8; NONCE] = hash[..NONCE].try_into().expect("12 of 32 bytes");
        text(&nonce, &self.encrypt(&nonce, Field::PersonRef, value.as_bytes()))
    }

    /// `value` sealed with a random nonce (a secret that is never looked
    /// up by value).
    pub fn seal_text(&self, field: Field, value: &str) -> Result<String, String> {
        let nonce = random_nonce()?;
        Ok(text(&nonce, &self.encrypt(&nonce, field, value.as_bytes())))
    }

    /// Stored text opened: sealed text is decrypted, text without the mark
    /// (stored before sealing began) is returned as it is.
    pub fn open_text(&self, field: Field, stored: &str) -> Result<String, Unopened> {
        let Some(body) = stored.strip_prefix(TEXT_MARK) else {
            return Ok(stored.to_string());
        };
        let raw = B64.decode(body).map_err(|_| Unopened { field })?;
        let (nonce, sealed) = raw.split_at_checked(NONCE).ok_or(Unopened { field })?;
        let plain = self.decrypt(nonce, field, sealed)?;
        String::from_utf8(plain).map_err(|_| Unopened { field })
    }

    /// `bytes` sealed with a random nonce.
    pub fn seal_bytes(&self, field: Field, bytes: &[u8]) -> Result<Vec<u8>, String> {
        let nonce = random_nonce()?;
        let sealed = self.encrypt(&nonce, field, bytes);
        let mut out = Vec::with_capacity(BYTES_MARK.len() + NONCE + sealed.len());
        out.extend_from_slice(BYTES_MARK);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Stored bytes opened; bytes without the mark (stored before sealing
    /// began) are returned as they are.
    pub fn open_bytes(&self, field: Field, stored: Vec<u8>) -> Result<Vec<u8>, Unopened> {
        if !is_sealed_bytes(&stored) {
            return Ok(stored);
        }
        let (nonce, sealed) = stored[BYTES_MARK.len()..].split_at_checked(NONCE).ok_or(Unopened { field })?;
        self.decrypt(nonce, field, sealed)
    }
}

/// Whether stored text is sealed.
pub fn is_sealed_text(stored: &str) -> bool {
    stored.starts_with(TEXT_MARK)
}

/// Whether stored bytes are sealed.
pub fn is_sealed_bytes(stored: &[u8]) -> bool {
    stored.starts_with(BYTES_MARK)
}

fn text(nonce: &[u8; NONCE], sealed: &[u8]) -> String {
    let mut raw = Vec::with_capacity(NONCE + sealed.len());
    raw.extend_from_slice(nonce);
    raw.extend_from_slice(sealed);
    format!("{TEXT_MARK}{}", B64.encode(raw))
}

fn random_nonce() -> Result<[u8; NONCE], String> {
    let mut nonce = [0u8; NONCE];
    getrandom::fill(&mut nonce).map_err(|e| format!("no random nonce: {e}"))?;
    Ok(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(cipher: Cipher, byte: u8) -> Sealer {
        Sealer::new(cipher, &[byte; 32])
    }

    #[test]
    fn a_reference_seals_the_same_way_every_time_and_opens_to_itself() {
        for cipher in [Cipher::Aes256Gcm, Cipher::Sm4Gcm] {
            let s = sealer(cipher, 7);
            let a = s.seal_ref("P-0001");
            assert!(a.starts_with(TEXT_MARK) && !a.contains("P-0001"), "{a}");
            assert_eq!(s.seal_ref("P-0001"), a, "deterministic: looked up and compared sealed");
            assert_ne!(s.seal_ref("P-0002"), a);
            assert_eq!(s.open_text(Field::PersonRef, &a).unwrap(), "P-0001");
            assert_eq!(s.open_text(Field::PersonRef, "人员-甲").unwrap(), "人员-甲", "unsealed text is read as it is");
            assert_ne!(sealer(cipher, 8).seal_ref("P-0001"), a, "another key seals otherwise");
            assert_eq!(sealer(cipher, 8).open_text(Field::PersonRef, &a), Err(Unopened { field: Field::PersonRef }), "and cannot open it");
        }
        assert_ne!(sealer(Cipher::Aes256Gcm, 7).seal_ref("P-1"), sealer(Cipher::Sm4Gcm, 7).seal_ref("P-1"), "the cipher matters");
        assert!(is_sealed_text(&sealer(Cipher::Aes256Gcm, 7).seal_ref("P-1")) && !is_sealed_text("P-1"));
    }

    /// The nonce of a deterministic seal is the value's keyed hash: one
    /// nonce per value (GCM with one nonce for two values would give away
    /// their difference), and another key hashes otherwise.
    #[test]
    fn each_reference_has_its_own_nonce_a_hash_keyed_with_the_data_key() {
        let nonce = |s: &Sealer, v: &str| B64.decode(&s.seal_ref(v)[TEXT_MARK.len()..]).unwrap()[..NONCE].to_vec();
        let (a, b) = (sealer(Cipher::Aes256Gcm, 5), sealer(Cipher::Aes256Gcm, 6));
        assert_eq!(nonce(&a, "P-0001"), nonce(&a, "P-0001"));
        assert_ne!(nonce(&a, "P-0001"), nonce(&a, "P-0002"));
        assert_ne!(nonce(&a, "P-0001"), nonce(&b, "P-0001"));
        assert_eq!(nonce(&a, "P-0001"), a.keyed_hash(Field::PersonRef, b"P-0001")[..NONCE]);
    }

    #[test]
    fn a_sealed_value_does_not_open_when_altered_or_moved_to_another_field() {
        let s = sealer(Cipher::Aes256Gcm, 1);
        let sealed = s.seal_ref("P-0001");
        let mut raw = B64.decode(&sealed[TEXT_MARK.len()..]).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let altered = format!("{TEXT_MARK}{}", B64.encode(&raw));
        assert!(s.open_text(Field::PersonRef, &altered).is_err());
        assert!(s.open_text(Field::TotpSecret, &sealed).is_err(), "the field is authenticated");
        assert!(s.open_text(Field::PersonRef, "zxs1:!!").is_err());
        assert!(s.open_text(Field::PersonRef, "zxs1:AAAA").is_err(), "too short for a nonce");
    }

    #[test]
    fn secrets_and_files_get_a_fresh_nonce_each_time() {
        for cipher in [Cipher::Aes256Gcm, Cipher::Sm4Gcm] {
            let s = sealer(cipher, 3);
            let a = s.seal_text(Field::TotpSecret, "JBSWY3DPEHPK3PXP").unwrap();
            assert_ne!(s.seal_text(Field::TotpSecret, "JBSWY3DPEHPK3PXP").unwrap(), a);
            assert_eq!(s.open_text(Field::TotpSecret, &a).unwrap(), "JBSWY3DPEHPK3PXP");
            let file = b"id,unit_code,subject,person_ref\nX1,330302,person,P-0001\n".to_vec();
            let sealed = s.seal_bytes(Field::StagedFile, &file).unwrap();
            assert!(is_sealed_bytes(&sealed) && !sealed.windows(6).any(|w| w == b"P-0001"));
            assert_eq!(sealed.len(), BYTES_MARK.len() + NONCE + file.len() + 16);
            assert_eq!(s.open_bytes(Field::StagedFile, sealed.clone()).unwrap(), file);
            assert!(s.open_bytes(Field::Evidence, sealed).is_err());
            assert_eq!(s.open_bytes(Field::StagedFile, file.clone()).unwrap(), file, "unsealed bytes are read as they are");
            assert!(s.open_bytes(Field::StagedFile, b"ZXS1short".to_vec()).is_err());
        }
    }

    #[test]
    fn the_check_names_the_cipher_and_tells_keys_apart_without_revealing_them() {
        let a = sealer(Cipher::Aes256Gcm, 1).check();
        assert!(a.starts_with("aes-256-gcm ") && a.len() == "aes-256-gcm ".len() + 32, "{a}");
        assert_eq!(sealer(Cipher::Aes256Gcm, 1).check(), a);
        assert_ne!(sealer(Cipher::Aes256Gcm, 2).check(), a);
        assert!(sealer(Cipher::Sm4Gcm, 1).check().starts_with("sm4-gcm "));
        assert!(!format!("{:?}", sealer(Cipher::Aes256Gcm, 0xab)).contains("abab"));
        assert_eq!(Cipher::parse("sm4"), Some(Cipher::Sm4Gcm));
        assert_eq!(Cipher::parse(" aes-256-gcm "), Some(Cipher::Aes256Gcm));
        assert_eq!(Cipher::parse("des"), None);
    }
}
