//! Compiled code cached on disk, so that a restart does not recompile.
//!
//! Files are named by the module's SHA-256 and the engine's compatibility hash (wasmtime
//! version and every setting that affects code), and start with the SHA-256 of their own
//! payload. Only files this engine wrote are ever deserialized: a file whose payload does not
//! match its hash (truncated, corrupted, or not ours) is deleted and the module recompiled.

use crate::Error;
use crate::canonical::sha256_hex;
use crate::host::compile;
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

pub(crate) struct DiskCache {
    dir: PathBuf,
    compat: String,
}

impl DiskCache {
    pub(crate) fn open(dir: PathBuf, engine: &Engine) -> Result<DiskCache, Error> {
        std::fs::create_dir_all(&dir)?;
        let mut h = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        let compat = hex::encode(&h.0.finalize()[..8]);
        Ok(DiskCache { dir, compat })
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
            if let Some(component) = self.deserialize_checked(engine, &file) {
                return Ok((component, true));
            }
            tracing::warn!(path = %path.display(), "discarding an invalid compiled-code cache entry");
            let _ = std::fs::remove_file(&path);
        }
        let serialized = engine
            .precompile_component(bytes)
            .map_err(|e| Error::Invalid {
                reason: format!("{e:#}"),
            })?;
        let file = with_checksum(&serialized);
        let component = self
            .deserialize_checked(engine, &file)
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

    fn deserialize_checked(&self, engine: &Engine, file: &[u8]) -> Option<Component> {
        let (sum, payload) = file.split_at_checked(64)?;
        if sum != sha256_hex(payload).as_bytes() {
            return None;
        }
        // SAFETY: `payload` was produced by `Engine::precompile_component` of an engine with the
        // same compatibility hash (it is in the file name), and its SHA-256 matches the one we
        // wrote beside it, so these are bytes this engine produced itself, unaltered.
        #[expect(
            unsafe_code,
            reason = "deserializing compiled code this engine wrote and checksummed"
        )]
        let component = unsafe { Component::deserialize(engine, payload) };
        component.ok()
    }
}

fn with_checksum(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + payload.len());
    out.extend_from_slice(sha256_hex(payload).as_bytes());
    out.extend_from_slice(payload);
    out
}
