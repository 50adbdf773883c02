//! Signed checkpoints of the audit chain, kept outside the database.
//!
//! The chain and its head live in the same database, so whoever can rewrite that database can
//! cut the chain's tail and move the head back consistently. Now and then the server signs the
//! head (sequence, hash, time) with a key kept in a file, never in the database (ed25519, or SM2
//! under the `gm` profile), and
//! appends the checkpoint as one JSON line to an append-only file. `oip audit verify
//! --checkpoints FILE` then names the first checkpointed entry that is missing or altered.

use super::Verdict;
use crate::crypto::Profile;
use crate::db::Db;
use crate::signing::{PublicKey, SigningKey};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// One checkpoint: the chain's head at a moment, signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Checkpoint {
    /// The last entry's sequence number.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
    /// When it was signed (RFC 3339).
    pub at: String,
    /// The signing key's public half, hex.
    pub public_key: String,
    /// The signature (ed25519, or SM2 under `gm`) over
    /// `oip-audit-checkpoint-v1\n{seq}\n{hash}\n{at}`, base64.
    pub signature: String,
}

fn message(seq: i64, hash: &str, at: &str) -> Vec<u8> {
    format!("oip-audit-checkpoint-v1\n{seq}\n{hash}\n{at}").into_bytes()
}

/// Reads the checkpoint key of the profile (32 secret bytes: an ed25519 seed, an SM2 scalar),
/// creating it when absent (owner-only).
pub fn load_or_create_key(path: &Path, profile: Profile) -> std::io::Result<SigningKey> {
    let invalid = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {what}", path.display()),
        )
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            let secret: [u8; 32] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| invalid("a checkpoint key file holds 32 bytes"))?;
            SigningKey::from_bytes(profile, &secret)
                .ok_or_else(|| invalid("not a valid SM2 secret key"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKey::generate(profile);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            crate::crypto::write_private(path, &key.to_bytes())?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

/// Signs the head `(seq, hash)` at `at`.
pub fn sign(key: &SigningKey, seq: i64, hash: &str, at: &str) -> Checkpoint {
    Checkpoint {
        seq,
        hash: hash.to_string(),
        at: at.to_string(),
        public_key: key.public().to_hex(),
        signature: base64::engine::general_purpose::STANDARD
            .encode(key.sign(&message(seq, hash, at))),
    }
}

/// Appends a checkpoint as one line and flushes it to the disk.
pub fn append(path: &Path, c: &Checkpoint) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut line = serde_json::to_vec(c).map_err(std::io::Error::other)?;
    line.push(b'\n');
    f.write_all(&line)?;
    f.sync_data()
}

/// The checkpoints of a file, oldest first (none when it does not exist yet).
pub fn read(path: &Path) -> Result<Vec<Checkpoint>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{} line {}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// Whether a checkpoint was signed by `key`.
fn signed_by(c: &Checkpoint, key: &PublicKey) -> bool {
    if c.public_key != key.to_hex() {
        return false;
    }
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(&c.signature) else {
        return false;
    };
    key.verifies(&message(c.seq, &c.hash, &c.at), &sig)
}

/// Checks the database against the checkpoints `key` signed: each checkpointed entry must
/// still be there with the hash signed for it. The first that is not is named; a checkpoint
/// not signed by `key` is named too.
pub async fn verify(
    db: &Db,
    checkpoints: &[Checkpoint],
    key: &PublicKey,
) -> Result<Verdict, sea_orm::DbErr> {
    for c in checkpoints {
        if !signed_by(c, key) {
            return Ok(Verdict::Broken {
                seq: c.seq,
                problem: format!(
                    "the checkpoint of {} is not signed by the checkpoint key",
                    c.at
                ),
            });
        }
        let found = db
            .audit(None, c.seq - 1, 1)
            .await?
            .into_iter()
            .next()
            .filter(|e| e.seq == c.seq);
        match found {
            None => {
                return Ok(Verdict::Broken {
                    seq: c.seq,
                    problem: format!(
                        "the entry checkpointed at {} is missing (the chain was cut)",
                        c.at
                    ),
                });
            }
            Some(e) if e.hash != c.hash => {
                return Ok(Verdict::Broken {
                    seq: c.seq,
                    problem: format!(
                        "the entry's hash is not the one checkpointed at {} (rewritten)",
                        c.at
                    ),
                });
            }
            Some(_) => {}
        }
    }
    Ok(Verdict::Intact(checkpoints.len() as u64))
}

/// Writes a checkpoint whenever the chain's head moved past `last` (the sequence of the last
/// checkpoint written); the new `last`.
pub async fn tick(db: &Db, key: &SigningKey, path: &Path, last: i64) -> Result<i64, String> {
    let (seq, hash) = db.chain_head().await.map_err(|e| e.to_string())?;
    if seq <= last {
        return Ok(last);
    }
    let c = sign(key, seq, &hash, &crate::now().to_string());
    append(path, &c).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(seq)
}
