//! Canonical encodings: what is hashed, stored and compared on replay.
//!
//! Canonical facts are the facts with their documents sorted and deduplicated, serialized as
//! compact JSON in the field order of the WIT records, instants in Beijing time. Two requests
//! that mean the same claim give the same bytes, hence the same hash.

use oip_types::{Decision, Facts};
use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The canonical facts and their bytes.
pub fn canonical_facts(facts: &Facts) -> (Facts, Vec<u8>) {
    let mut f = facts.clone();
    f.canonicalize();
    // Serializing plain structs of strings and integers cannot fail.
    let bytes = serde_json::to_vec(&f).unwrap_or_default();
    (f, bytes)
}

/// The bytes of a decision, compared byte for byte on replay.
pub fn decision_json(decision: &Decision) -> Vec<u8> {
    serde_json::to_vec(decision).unwrap_or_default()
}
