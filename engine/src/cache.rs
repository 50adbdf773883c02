//! Compiled code cached on disk, so that a restart does not recompile.
//!
//! Files are named by the module's SHA-256 and the engine's compatibility hash (wasmtime
//! version and every setting that affects code), and start with an HMAC (HMAC-SHA256, or
//! HMAC-SM3 under the server's `gm` profile) over that name and the payload, keyed by a key the
//! server derives from its master key. Deserializing is
//! running native code outside the sandbox, so only files written by a holder of the key are
//! ever deserialized: a file whose MAC does not verify (truncated, corrupted, written by
//! someone who can write the folder but has no key, or another module's entry renamed) is
//! deleted, logged and the module recompiled.

use crate::Error;
use crate::host::compile;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use wasmtime::Engine;
use wasmtime::component::Component;

/// A `Hasher` that feeds SHA-256, to turn wasmtime's compatibility hash into a stable name.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// The key that authenticates cache entries (32 bytes; the server derives it from its master
/// key, so every server sharing a cache folder and a master key shares the entries), and the
/// MAC it is used with.
#[derive(Clone)]
pub struct CacheKey {
    key: [u8; 32],
    sm3: bool,
}

impl CacheKey {
    /// A key for HMAC-SHA256.
    pub fn hmac_sha256(key: [u8; 32]) -> CacheKey {
        CacheKey { key, sm3: false }
    }

    /// A key for HMAC-SM3 (GB/T 32905-2016).
    pub fn hmac_sm3(key: [u8; 32]) -> CacheKey {
        CacheKey { key, sm3: true }
    }
}

fn any() -> ! {
    unreachable!("HMAC accepts any key length")
}

/// An entry's MAC in progress.
enum EntryMac {
    Sha256(Hmac<Sha256>),
    Sm3(Hmac<sm3::Sm3>),
}

impl EntryMac {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            EntryMac::Sha256(m) => m.update(bytes),
            EntryMac::Sm3(m) => m.update(bytes),
        }
    }

    /// Whether the tag is this MAC's (constant-time).
    fn verifies(self, tag: &[u8]) -> bool {
        match self {
            EntryMac::Sha256(m) => m.verify_slice(tag).is_ok(),
            EntryMac::Sm3(m) => m.verify_slice(tag).is_ok(),
        }
    }

    fn hex(self) -> String {
        match self {
            EntryMac::Sha256(m) => hex::encode(m.finalize().into_bytes()),
            EntryMac::Sm3(m) => hex::encode(m.finalize().into_bytes()),
        }
    }
}

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CacheKey(..)")
    }
}

pub(crate) struct DiskCache {
    dir: PathBuf,
    compat: String,
    key: CacheKey,
}

impl DiskCache {
    pub(crate) fn open(dir: PathBuf, key: CacheKey, engine: &Engine) -> Result<DiskCache, Error> {
        std::fs::create_dir_all(&dir)?;
        let mut h = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        let compat = hex::encode(&h.0.finalize()[..8]);
        Ok(DiskCache { dir, compat, key })
    }

    /// The MAC of an entry: over the module digest and engine build it is filed under (so an
    /// entry moved to another name fails) and the payload.
    fn mac(&self, sha256: &str, payload: &[u8]) -> EntryMac {
        // HMAC takes keys of any length.
        let k = &self.key.key;
        let mut mac = if self.key.sm3 {
            EntryMac::Sm3(<Hmac<sm3::Sm3> as Mac>::new_from_slice(k).unwrap_or_else(|_| any()))
        } else {
            EntryMac::Sha256(<Hmac<Sha256> as Mac>::new_from_slice(k).unwrap_or_else(|_| any()))
        };
        mac.update(b"oip.compiled-code.v1\0");
        mac.update(sha256.as_bytes());
        mac.update(b"\0");
        mac.update(self.compat.as_bytes());
        mac.update(b"\0");
        mac.update(payload);
        mac
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}-{}.cwasm", self.compat))
    }

    /// The compiled component, from the cache when a valid entry exists.
    pub(crate) fn load_or_compile(
        &self,
        engine: &Engine,
        sha256: &str,
        bytes: &[u8],
    ) -> Result<(Component, bool), Error> {
        let path = self.path(sha256);
        if let Ok(file) = std::fs::read(&path) {
            if let Some(component) = self.deserialize_checked(engine, sha256, &file) {
                return Ok((component, true));
            }
            tracing::warn!(
                path = %path.display(),
                module = sha256,
                "a compiled-code cache entry failed its MAC (corrupted, or not written by a \
                 holder of the cache key): deleted, the module is compiled again"
            );
            let _ = std::fs::remove_file(&path);
        }
        let serialized = engine
            .precompile_component(bytes)
            .map_err(|e| Error::Invalid {
                reason: format!("{e:#}"),
            })?;
        let file = self.with_mac(sha256, &serialized);
        let component = self
            .deserialize_checked(engine, sha256, &file)
            .map_or_else(|| compile(engine, bytes), Ok)?;
        // A name no other writer uses, in this process or another, then an atomic rename.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = self
            .dir
            .join(format!(".{sha256}.{}.{n}.tmp", std::process::id()));
        std::fs::write(&tmp, &file)?;
        std::fs::rename(&tmp, &path)?;
        Ok((component, false))
    }

    fn deserialize_checked(&self, engine: &Engine, sha256: &str, file: &[u8]) -> Option<Component> {
        let (tag, payload) = file.split_at_checked(64)?;
        let tag = hex::decode(tag).ok()?;
        // Constant-time comparison.
        self.mac(sha256, payload).verifies(&tag).then_some(())?;
        // SAFETY: `payload` was produced by `Engine::precompile_component` of an engine with the
        // same compatibility hash (it is in the MAC'd name), and its MAC under the cache key
        // verifies, so these are bytes a holder of the key wrote for this module, unaltered.
        #[expect(
            unsafe_code,
            reason = "deserializing compiled code a key holder wrote and authenticated"
        )]
        let component = unsafe { Component::deserialize(engine, payload) };
        component.ok()
    }

    fn with_mac(&self, sha256: &str, payload: &[u8]) -> Vec<u8> {
        let tag = self.mac(sha256, payload).hex();
        let mut out = Vec::with_capacity(64 + payload.len());
        out.extend_from_slice(tag.as_bytes());
        out.extend_from_slice(payload);
        out
    }
}
