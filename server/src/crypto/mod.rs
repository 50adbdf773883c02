//! Personal data at rest: identity numbers (and the rest of the worker's personal data) are
//! encrypted with AES-256-GCM, looked up by an HMAC-SHA256 keyed hash, and shown masked.
//!
//! Two profiles ([`Profile`], the config's `crypto`): `standard` (AES-256-GCM, SHA-256,
//! HMAC-SHA256, ed25519) and `gm`, the national algorithms GB/T 39786-2021 expects (SM4-GCM,
//! SM3, HMAC-SM3, SM2). A database is made under one profile and stays under it: the key check
//! value names the profile, and an instance started under the other refuses to start.
//!
//! Key hierarchy. One **master key** (32 bytes, a file or `OIP_MASTER_KEY`, the same on every
//! instance) never touches the database; from it are derived the key that wraps the data keys,
//! the compiled-code cache's MAC key and a **key check value** stored in the database, so an
//! instance given another master key refuses to start instead of failing on every read. The
//! **data keys** (64 bytes: 32 for encryption, 32 for the keyed hash) live in the database,
//! wrapped, one row per generation; every instance opens the same ones. A sealed value names
//! its generation (`k<n>.<hex>`) and is bound to what it belongs to (associated data: the
//! claim id, the platform), so it cannot be moved to another record. A data-key rotation adds a
//! generation for encryption; the lookup key is carried over (changing it would orphan every
//! stored lookup hash), and the old generations stay (wrapped) so that anything sealed under
//! them still opens while the background re-encryption runs.

mod profile;

use profile::Cipher;
pub use profile::{Hasher, Keyed, Profile};
use rand::RngCore;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

/// The master key: 32 bytes held outside the database, and the profile it is used under.
#[derive(Clone)]
pub struct MasterKey([u8; 32], Profile);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A master key from 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<MasterKey, String> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| "a master key is 64 hex digits (32 bytes)".to_string())?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "a master key is 64 hex digits (32 bytes)".to_string())?;
        Ok(MasterKey(arr, Profile::Standard))
    }

    /// The same key used under `profile`.
    pub fn under(self, profile: Profile) -> MasterKey {
        MasterKey(self.0, profile)
    }

    /// The profile it is used under.
    pub fn profile(&self) -> Profile {
        self.1
    }

    /// A new random master key.
    pub fn generate() -> MasterKey {
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        MasterKey(b, Profile::Standard)
    }

    /// The key as 64 hex digits, as its file holds it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads the master key file; when it is absent and `create`, writes a new one (mode 0600).
    pub fn load_or_create(path: &Path, create: bool) -> std::io::Result<MasterKey> {
        let invalid = |e: String| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        };
        match std::fs::read_to_string(path) {
            Ok(text) => MasterKey::from_hex(&text).map_err(invalid),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key = MasterKey::generate();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                match write_private(path, key.to_hex().as_bytes()) {
                    Ok(()) => Ok(key),
                    // Another process made it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        MasterKey::from_hex(&std::fs::read_to_string(path)?).map_err(invalid)
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// A 32-byte key for one purpose, derived from the master key (the profile's HMAC).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = self.1.mac(&self.0);
        mac.update(b"oip.derive.v1\0");
        mac.update(purpose.as_bytes());
        mac.finalize()
    }

    /// The key of the compiled-code cache's entries, for the profile's HMAC.
    pub fn compiled_cache_key(&self) -> oip_engine::CacheKey {
        let key = self.derive("compiled-code-cache");
        match self.1 {
            Profile::Standard => oip_engine::CacheKey::hmac_sha256(key),
            Profile::Gm => oip_engine::CacheKey::hmac_sm3(key),
        }
    }

    /// The key check value stored in the database: shows which master key wrapped the data
    /// keys without revealing it.
    /// Under `gm` it starts with `gm:`, so that the profile a database was made under is known
    /// ([`check_value_profile`]).
    pub fn check_value(&self) -> String {
        let kcv = hex::encode(&self.derive("key-check-value")[..16]);
        match self.1 {
            Profile::Standard => kcv,
            Profile::Gm => format!("gm:{kcv}"),
        }
    }

    fn wrapper(&self) -> Cipher {
        self.1.cipher(&self.derive("data-key-wrap"))
    }

    /// Wraps a data key of a generation (the generation is the associated data).
    pub fn wrap(&self, generation: i64, key: &DataKey) -> String {
        seal_with(&self.wrapper(), &key.0, wrap_aad(generation).as_bytes())
    }

    /// Unwraps what [`MasterKey::wrap`] produced for that generation.
    pub fn unwrap_key(&self, generation: i64, wrapped: &str) -> Option<DataKey> {
        let bytes = open_with(&self.wrapper(), wrapped, wrap_aad(generation).as_bytes())?;
        Some(DataKey(bytes.try_into().ok()?))
    }
}

/// The profile a stored key check value was made under.
pub fn check_value_profile(check_value: &str) -> Profile {
    if check_value.starts_with("gm:") {
        Profile::Gm
    } else {
        Profile::Standard
    }
}

fn wrap_aad(generation: i64) -> String {
    format!("oip.data-key.v1\0{generation}")
}

/// A data key: 32 bytes for encryption, 32 for the keyed hash.
#[derive(Clone)]
pub struct DataKey(pub [u8; 64]);

impl DataKey {
    /// A new data key: a fresh encryption key; the lookup key of `carry` when given (a
    /// rotation), otherwise fresh too.
    pub fn generate(carry: Option<&DataKey>) -> DataKey {
        let mut b = [0u8; 64];
        rand::rngs::OsRng.fill_bytes(&mut b);
        if let Some(old) = carry {
            b[32..].copy_from_slice(&old.0[32..]);
        }
        DataKey(b)
    }
}

/// Why a sealed value did not open.
#[derive(Debug, PartialEq, Eq)]
pub enum OpenError {
    /// Sealed under a generation this instance has not loaded (yet).
    UnknownGeneration(i64),
    /// Altered, truncated, or bound to another record.
    Invalid,
}

/// The data keys an instance holds, every generation, the newest sealing.
#[derive(Clone)]
pub struct Keys {
    ring: Arc<RwLock<Ring>>,
    /// The profile's HMAC under the lookup key, keyed once; cloned for each hash.
    mac: Keyed,
    profile: Profile,
}

struct Ring {
    current: i64,
    ciphers: BTreeMap<i64, Cipher>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    /// Keys from the generations (at least one); the lowest generation's lookup key is the
    /// lookup key.
    pub fn new(profile: Profile, generations: &[(i64, DataKey)]) -> Option<Keys> {
        let (_, first) = generations.iter().min_by_key(|(g, _)| *g)?;
        let keys = Keys {
            ring: Arc::new(RwLock::new(Ring {
                current: 0,
                ciphers: BTreeMap::new(),
            })),
            mac: profile.mac(&first.0[32..]),
            profile,
        };
        for (g, k) in generations {
            keys.add(*g, k);
        }
        Some(keys)
    }

    /// Keys of one generation from 64 bytes (tests, and the key file of earlier versions).
    pub fn from_bytes(profile: Profile, bytes: &[u8]) -> Option<Keys> {
        Keys::new(profile, &[(1, DataKey(bytes.try_into().ok()?))])
    }

    /// Adds a generation (a rotation seen in the database); the newest seals.
    pub fn add(&self, generation: i64, key: &DataKey) {
        let mut encryption = [0u8; 32];
        encryption.copy_from_slice(&key.0[..32]);
        let cipher = self.profile.cipher(&encryption);
        let mut ring = self.ring.write().unwrap_or_else(|e| e.into_inner());
        ring.ciphers.insert(generation, cipher);
        ring.current = ring.current.max(generation);
    }

    /// The generation new values are sealed under.
    pub fn current_generation(&self) -> i64 {
        self.ring.read().unwrap_or_else(|e| e.into_inner()).current
    }

    /// Whether a generation is loaded.
    pub fn has_generation(&self, generation: i64) -> bool {
        let ring = self.ring.read().unwrap_or_else(|e| e.into_inner());
        ring.ciphers.contains_key(&generation)
    }

    /// Encrypts under the current generation, bound to `context` (what the value belongs to,
    /// e.g. `claim:<id>`): `k<generation>.` then the hex of a 12-byte random nonce and the
    /// ciphertext.
    pub fn seal(&self, plain: &[u8], context: &str) -> String {
        let ring = self.ring.read().unwrap_or_else(|e| e.into_inner());
        let g = ring.current;
        let cipher = &ring.ciphers[&g];
        format!(
            "k{g}.{}",
            seal_with(cipher, plain, seal_aad(context).as_bytes())
        )
    }

    /// The generation a sealed value was sealed under (values of earlier versions, bare hex,
    /// are generation 1).
    pub fn generation_of(sealed: &str) -> Option<i64> {
        match sealed.strip_prefix('k') {
            Some(rest) => rest.split_once('.')?.0.parse().ok(),
            None => Some(1),
        }
    }

    /// Decrypts what [`Keys::seal`] produced for the same `context` (or an earlier version's
    /// bare-hex value, sealed under generation 1 without context).
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, OpenError> {
        let ring = self.ring.read().unwrap_or_else(|e| e.into_inner());
        let (g, body, aad) = match sealed.strip_prefix('k') {
            Some(rest) => {
                let (g, body) = rest.split_once('.').ok_or(OpenError::Invalid)?;
                let g: i64 = g.parse().map_err(|_| OpenError::Invalid)?;
                (g, body, seal_aad(context))
            }
            None => (1, sealed, String::new()),
        };
        let cipher = ring
            .ciphers
            .get(&g)
            .ok_or(OpenError::UnknownGeneration(g))?;
        open_with(cipher, body, aad.as_bytes()).ok_or(OpenError::Invalid)
    }

    /// Keyed hash of a request body, for idempotency (it holds the identity number, so an
    /// unkeyed digest would let anyone holding the database confirm a guessed number). Kept
    /// apart from [`Keys::keyed_hash`] by its prefix, and marked `h1:` so that a digest stored
    /// before it (64 bare hex characters) is still recognised.
    pub fn request_hash(&self, body: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"oip.request.v1\0");
        mac.update(body);
        format!("h1:{}", hex::encode(mac.finalize()))
    }

    /// Keyed hash of an identity number, for lookups and duplicate detection.
    pub fn keyed_hash(&self, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(value.as_bytes());
        hex::encode(mac.finalize())
    }
}

fn seal_aad(context: &str) -> String {
    format!("oip.seal.v2\0{context}")
}

/// Hex of a 12-byte random nonce and the ciphertext (AES-256-GCM or SM4-GCM).
fn seal_with(cipher: &Cipher, plain: &[u8], aad: &[u8]) -> String {
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    // Encryption with a valid key and nonce cannot fail for inputs of this size.
    let ct = cipher.encrypt(&nonce, plain, aad).unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    hex::encode(out)
}

fn open_with(cipher: &Cipher, sealed: &str, aad: &[u8]) -> Option<Vec<u8>> {
    let bytes = hex::decode(sealed).ok()?;
    let (nonce, ct) = bytes.split_at_checked(12)?;
    cipher.decrypt(nonce, ct, aad)
}

/// HMAC-SHA256 of `data` under `key`, in hex (webhooks: the Standard Webhooks signature is
/// HMAC-SHA256 under every profile, as the platforms' receivers check it).
pub fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> Option<String> {
    let mut mac = Profile::Standard.mac(key);
    mac.update(data);
    Some(hex::encode(mac.finalize()))
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

    const BOTH: [Profile; 2] = [Profile::Standard, Profile::Gm];

    #[test]
    fn seals_and_opens_and_hashes_stably() {
        for p in BOTH {
            let k = Keys::from_bytes(p, &[7u8; 64]).unwrap();
            let s1 = k.seal(b"510104199003071237", "claim:a");
            let s2 = k.seal(b"510104199003071237", "claim:a");
            assert_ne!(s1, s2, "random nonces");
            assert!(!s1.contains("5101041990"));
            assert!(s1.starts_with("k1."));
            assert_eq!(k.open(&s1, "claim:a").unwrap(), b"510104199003071237");
            assert_eq!(k.keyed_hash("x"), k.keyed_hash("x"));
            assert_ne!(
                k.keyed_hash("x"),
                Keys::from_bytes(p, &[8u8; 64]).unwrap().keyed_hash("x")
            );
            let mut tampered = s1.clone();
            tampered.replace_range(30..32, if &s1[30..32] == "00" { "01" } else { "00" });
            assert_eq!(k.open(&tampered, "claim:a"), Err(OpenError::Invalid), "{p}");
        }
    }

    /// Issue 15, the `gm` profile: under it, personal data is sealed with SM4-GCM and hashed
    /// with HMAC-SM3, so a value sealed under one profile does not open under the other and
    /// the lookup hashes differ. The algorithms are checked against the standards' own
    /// examples: SM3 of "abc" (GB/T 32905-2016, A.1) and SM4 (GB/T 32907-2016, A.1).
    #[test]
    fn the_gm_profile_seals_with_sm4_and_hashes_with_sm3() {
        assert_eq!(
            hex::encode(Profile::Gm.digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex::encode(Profile::Standard.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // SM4 of the standard's example, key = plaintext = 0123456789abcdeffedcba9876543210.
        use aes_gcm::KeyInit;
        use aes_gcm::aead::generic_array::GenericArray;
        use sm4::cipher::BlockEncrypt;
        let k = hex::decode("0123456789abcdeffedcba9876543210").unwrap();
        let sm4 = sm4::Sm4::new(GenericArray::from_slice(&k));
        let mut block = GenericArray::clone_from_slice(&k);
        sm4.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");

        let standard = Keys::from_bytes(Profile::Standard, &[7u8; 64]).unwrap();
        let gm = Keys::from_bytes(Profile::Gm, &[7u8; 64]).unwrap();
        let sealed = gm.seal(b"510104199003071237", "claim:a");
        assert_eq!(gm.open(&sealed, "claim:a").unwrap(), b"510104199003071237");
        assert_eq!(standard.open(&sealed, "claim:a"), Err(OpenError::Invalid));
        assert_ne!(gm.keyed_hash("x"), standard.keyed_hash("x"));
        assert_ne!(gm.request_hash(b"x"), standard.request_hash(b"x"));
        // HMAC-SM3 by hand (RFC 2104 over SM3, 64-byte blocks) against the profile's MAC.
        let key = b"key";
        let mut padded = [0u8; 64];
        padded[..3].copy_from_slice(key);
        let (mut inner, mut outer) = (Profile::Gm.hasher(), Profile::Gm.hasher());
        inner.update(&padded.map(|b| b ^ 0x36));
        inner.update(b"message");
        outer.update(&padded.map(|b| b ^ 0x5c));
        outer.update(&inner.finalize());
        let mut mac = Profile::Gm.mac(key);
        mac.update(b"message");
        assert_eq!(mac.finalize(), outer.finalize());
    }

    /// Issue 15, item 4: sealed without associated data, one claim's sealed worker copied into
    /// another claim's row opened there as that claim's worker.
    #[test]
    fn a_sealed_record_moved_to_another_claim_does_not_open() {
        for p in BOTH {
            let k = Keys::from_bytes(p, &[7u8; 64]).unwrap();
            let sealed = k.seal(b"{\"id_number\":\"510104199003071237\"}", "claim:clm_a");
            assert_eq!(k.open(&sealed, "claim:clm_b"), Err(OpenError::Invalid));
            assert!(k.open(&sealed, "claim:clm_a").is_ok());
        }
    }

    #[test]
    fn values_of_earlier_versions_still_open_and_a_rotation_seals_under_the_new_generation() {
        for p in BOTH {
            let first = DataKey([7u8; 64]);
            // What the previous version wrote: bare hex, no associated data.
            let legacy = seal_with(&p.cipher(&[7u8; 32]), b"old", b"");
            let k = Keys::new(p, &[(1, first.clone())]).unwrap();
            assert_eq!(k.open(&legacy, "claim:any").unwrap(), b"old");
            let before = k.keyed_hash("510104199003071237");
            let next = DataKey::generate(Some(&first));
            k.add(2, &next);
            let sealed = k.seal(b"new", "claim:x");
            assert_eq!(Keys::generation_of(&sealed), Some(2));
            assert_eq!(Keys::generation_of(&legacy), Some(1));
            assert_eq!(k.open(&sealed, "claim:x").unwrap(), b"new");
            assert_eq!(
                k.keyed_hash("510104199003071237"),
                before,
                "lookups survive"
            );
            // An instance that has not loaded generation 2 says so (and reloads).
            let stale = Keys::new(p, &[(1, first)]).unwrap();
            assert_eq!(
                stale.open(&sealed, "claim:x"),
                Err(OpenError::UnknownGeneration(2))
            );
        }
    }

    #[test]
    fn data_keys_are_wrapped_per_generation_and_the_check_value_names_the_master_key() {
        for p in BOTH {
            let m = MasterKey([1; 32], p);
            let d = DataKey::generate(None);
            let w = m.wrap(3, &d);
            assert_eq!(m.unwrap_key(3, &w).unwrap().0, d.0);
            assert!(m.unwrap_key(4, &w).is_none(), "bound to its generation");
            assert!(MasterKey([2; 32], p).unwrap_key(3, &w).is_none());
            assert_ne!(m.check_value(), MasterKey([2; 32], p).check_value());
            assert_eq!(
                MasterKey::from_hex(&m.to_hex())
                    .unwrap()
                    .under(p)
                    .check_value(),
                m.check_value()
            );
            assert_eq!(check_value_profile(&m.check_value()), p);
        }
        let (standard, gm) = (
            MasterKey([1; 32], Profile::Standard),
            MasterKey([1; 32], Profile::Gm),
        );
        assert!(
            gm.unwrap_key(3, &standard.wrap(3, &DataKey([5; 64])))
                .is_none()
        );
        assert!(MasterKey::from_hex("abcd").is_err());
    }
}

/// Compares two secrets (tokens, codes) without stopping at the first difference.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
