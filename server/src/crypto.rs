//! Personal data at rest: identity numbers (and the rest of the worker's personal data) are
//! encrypted with AES-256-GCM, looked up by an HMAC-SHA256 keyed hash, and shown masked.
//!
//! The key file (64 random bytes: 32 for encryption, 32 for the keyed hash) is created in the
//! data directory on first start with mode 0600, or given by configuration.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::Path;

/// The keys for personal data.
#[derive(Clone)]
pub struct Keys {
    cipher: Aes256Gcm,
    /// HMAC-SHA256, keyed once; cloned for each hash.
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    /// Reads the key file, creating it when absent.
    pub fn load_or_create(path: &Path) -> std::io::Result<Keys> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut b = vec![0u8; 64];
                rand::rngs::OsRng.fill_bytes(&mut b);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_private(path, &b)?;
                b
            }
            Err(e) => return Err(e),
        };
        Keys::from_bytes(&bytes).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: a key file holds 64 bytes", path.display()),
            )
        })
    }

    /// Keys from 64 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Keys> {
        if bytes.len() != 64 {
            return None;
        }
        let cipher = Aes256Gcm::new_from_slice(&bytes[..32]).ok()?;
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(&bytes[32..]).ok()?;
        Some(Keys { cipher, mac })
    }

    /// Encrypts: 12-byte random nonce followed by the ciphertext, hex-encoded.
    pub fn seal(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        // Encryption with a valid key and nonce cannot fail for inputs of this size.
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        hex::encode(out)
    }

    /// Decrypts what [`seal`](Self::seal) produced.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let bytes = hex::decode(sealed).ok()?;
        let (nonce, ct) = bytes.split_at_checked(12)?;
        self.cipher.decrypt(Nonce::from_slice(nonce), ct).ok()
    }

    /// Keyed hash of a request body, for idempotency (it holds the identity number, so an
    /// unkeyed digest would let anyone holding the database confirm a guessed number). Kept
    /// apart from [`Keys::keyed_hash`] by its prefix, and marked `h1:` so that a digest stored
    /// before it (64 bare hex characters) is still recognised.
    pub fn request_hash(&self, body: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"oip.request.v1\0");
        mac.update(body);
        format!("h1:{}", hex::encode(mac.finalize().into_bytes()))
    }

    /// Keyed hash of an identity number, for lookups and duplicate detection.
    pub fn keyed_hash(&self, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// HMAC-SHA256 of `data` under `key`, in hex (`None` only if the key were refused, which
/// HMAC never does).
pub fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> Option<String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    mac.update(data);
    Some(hex::encode(mac.finalize().into_bytes()))
}

#[cfg(unix)]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_hashes_stably() {
        let k = Keys::from_bytes(&[7u8; 64]).unwrap();
        let s1 = k.seal(b"510104199003071237");
        let s2 = k.seal(b"510104199003071237");
        assert_ne!(s1, s2, "random nonces");
        assert!(!s1.contains("5101041990"));
        assert_eq!(k.open(&s1).unwrap(), b"510104199003071237");
        assert_eq!(k.keyed_hash("x"), k.keyed_hash("x"));
        assert_ne!(
            k.keyed_hash("x"),
            Keys::from_bytes(&[8u8; 64]).unwrap().keyed_hash("x")
        );
        let mut tampered = s1.clone();
        tampered.replace_range(30..32, if &s1[30..32] == "00" { "01" } else { "00" });
        assert!(k.open(&tampered).is_none());
    }
}
