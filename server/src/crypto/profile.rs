//! The algorithms of the two profiles: `standard` (AES-256-GCM, SHA-256, HMAC-SHA256) and `gm`
//! (SM4-GCM, SM3, HMAC-SM3), behind one digest, one MAC and one cipher type. (The signatures,
//! ed25519 and SM2, are in [`crate::signing`].)

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sm3::Sm3;

/// The algorithms a deployment uses (the config's `crypto`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// AES-256-GCM, SHA-256, HMAC-SHA256, ed25519.
    #[default]
    Standard,
    /// The national algorithms (GB/T 39786-2021): SM4-GCM, SM3, HMAC-SM3, SM2.
    Gm,
}

impl Profile {
    /// Its name in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Standard => "standard",
            Profile::Gm => "gm",
        }
    }

    /// The profile's digest of `bytes` (SHA-256 or SM3).
    pub fn digest(self, bytes: &[u8]) -> [u8; 32] {
        let mut h = self.hasher();
        h.update(bytes);
        h.finalize()
    }

    /// An incremental digest.
    pub fn hasher(self) -> Hasher {
        match self {
            Profile::Standard => Hasher::Sha256(Sha256::new()),
            Profile::Gm => Hasher::Sm3(Sm3::new()),
        }
    }

    /// The profile's HMAC under `key` (HMAC-SHA256 or HMAC-SM3).
    pub fn mac(self, key: &[u8]) -> Keyed {
        // HMAC takes keys of any length.
        match self {
            Profile::Standard => Keyed::Sha256(
                <Hmac<Sha256> as Mac>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!("HMAC accepts any key length")),
            ),
            Profile::Gm => Keyed::Sm3(
                <Hmac<Sm3> as Mac>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!("HMAC accepts any key length")),
            ),
        }
    }

    /// The authenticated cipher under a 32-byte key (SM4 takes its first 16 bytes).
    pub(super) fn cipher(self, key: &[u8; 32]) -> Cipher {
        match self {
            Profile::Standard => Cipher::Aes(Box::new(Aes256Gcm::new(key.into()))),
            Profile::Gm => Cipher::Sm4(Box::new(Sm4Gcm::new(key[..16].into()))),
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An incremental digest of a [`Profile`].
#[derive(Clone)]
pub enum Hasher {
    /// SHA-256.
    Sha256(Sha256),
    /// SM3 (GB/T 32905-2016).
    Sm3(Sm3),
}

impl Hasher {
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sm3(h) => h.update(bytes),
        }
    }

    /// The digest.
    pub fn finalize(self) -> [u8; 32] {
        match self {
            Hasher::Sha256(h) => h.finalize().into(),
            Hasher::Sm3(h) => h.finalize().into(),
        }
    }
}

/// An HMAC of a [`Profile`], keyed.
#[derive(Clone)]
pub enum Keyed {
    /// HMAC-SHA256.
    Sha256(Hmac<Sha256>),
    /// HMAC-SM3.
    Sm3(Hmac<Sm3>),
}

impl Keyed {
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Keyed::Sha256(m) => m.update(bytes),
            Keyed::Sm3(m) => m.update(bytes),
        }
    }

    /// The tag.
    pub fn finalize(self) -> [u8; 32] {
        match self {
            Keyed::Sha256(m) => m.finalize().into_bytes().into(),
            Keyed::Sm3(m) => m.finalize().into_bytes().into(),
        }
    }
}

/// SM4 in GCM mode with 96-bit nonces, as AES-256-GCM.
type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

/// The authenticated cipher of a [`Profile`].
#[derive(Clone)]
pub(super) enum Cipher {
    Aes(Box<Aes256Gcm>),
    Sm4(Box<Sm4Gcm>),
}

impl Cipher {
    pub(super) fn encrypt(&self, nonce: &[u8; 12], msg: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let (nonce, payload) = (Nonce::from_slice(nonce), Payload { msg, aad });
        match self {
            Cipher::Aes(c) => c.encrypt(nonce, payload).ok(),
            Cipher::Sm4(c) => c.encrypt(nonce, payload).ok(),
        }
    }

    pub(super) fn decrypt(&self, nonce: &[u8], msg: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let nonce: &[u8; 12] = nonce.try_into().ok()?;
        let (nonce, payload) = (Nonce::from_slice(nonce), Payload { msg, aad });
        match self {
            Cipher::Aes(c) => c.decrypt(nonce, payload).ok(),
            Cipher::Sm4(c) => c.decrypt(nonce, payload).ok(),
        }
    }
}
