//! What a region's signing key signs: a release statement, not only the file's digest. It
//! names the region, the policy, its version, its effective window, the WIT version, the
//! SHA-256 of the module file and a release number that rises with every release of the
//! region, so that an old module (validly signed once) cannot be uploaded again as new
//! (anti-rollback: going back is the rollback action, which re-activates a version stored).
//!
//! The statement travels with the upload, so the signature is verified (strictly) before the
//! module is compiled; once loaded, the module's manifest must say what the statement says.

use crate::crypto::Profile;
use crate::signing::{PublicKey, SigningKey};
use oip_engine::types::PolicyManifest;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// A release statement (`oip policy sign` makes it from the module's manifest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseStatement {
    /// The region, e.g. `CN-SC`.
    #[schema(max_length = 16)]
    pub region: String,
    /// The manifest's policy id.
    #[schema(max_length = 200)]
    pub policy_id: String,
    /// The manifest's version.
    #[schema(max_length = 200)]
    pub version: String,
    /// First day in force (`YYYY-MM-DD`).
    #[schema(max_length = 10)]
    pub effective_from: String,
    /// Last day in force, if bounded.
    #[schema(max_length = 10)]
    pub effective_to: Option<String>,
    /// The WIT contract version the module exports.
    #[schema(max_length = 32)]
    pub wit_version: String,
    /// SHA-256 of the module file as uploaded, hex.
    #[schema(min_length = 64, max_length = 64)]
    pub module_sha256: String,
    /// SM3 of the module file, hex: made and required under the `gm` profile, where the
    /// signature (SM2) covers the national digest; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 64, max_length = 64)]
    pub module_sm3: Option<String>,
    /// The release number: above every earlier release of the region.
    #[schema(minimum = 1, maximum = 9007199254740991_u64)]
    pub release: u64,
}

impl ReleaseStatement {
    /// The statement of a module's release, as a key of `profile` signs it.
    pub fn of(
        profile: Profile,
        manifest: &PolicyManifest,
        module: &[u8],
        release: u64,
    ) -> ReleaseStatement {
        ReleaseStatement {
            region: manifest.region.clone(),
            policy_id: manifest.policy_id.clone(),
            version: manifest.version.clone(),
            effective_from: manifest.effective_from.to_string(),
            effective_to: manifest.effective_to.map(|d| d.to_string()),
            wit_version: manifest.wit_version.clone(),
            module_sha256: hex::encode(Sha256::digest(module)),
            module_sm3: (profile == Profile::Gm).then(|| hex::encode(profile.digest(module))),
            release,
        }
    }

    /// The bytes signed: a label, then the statement as JSON in field order (unambiguous,
    /// whatever its strings hold).
    pub fn signed_bytes(&self) -> Vec<u8> {
        // Plain strings and numbers: serializing cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        crate::signing::statement_bytes("oip:policy-release:v1", &json)
    }

    /// Signs it (ed25519 or SM2, as the key is).
    pub fn sign(&self, key: &SigningKey) -> Vec<u8> {
        key.sign(&self.signed_bytes())
    }

    /// Whether `signature` is `key`'s over it, verified strictly (no malleable signatures, no
    /// small-order keys).
    pub fn verifies(&self, key: &PublicKey, signature: &[u8]) -> bool {
        key.verifies(&self.signed_bytes(), signature)
    }

    /// The first field where the loaded module's manifest says otherwise: `(field, problem)`.
    pub fn mismatch(&self, manifest: &PolicyManifest, module: &[u8]) -> Option<(String, String)> {
        let profile = if self.module_sm3.is_some() {
            Profile::Gm
        } else {
            Profile::Standard
        };
        let of = ReleaseStatement::of(profile, manifest, module, self.release);
        let pairs = [
            ("region", &self.region, &of.region),
            ("policy_id", &self.policy_id, &of.policy_id),
            ("version", &self.version, &of.version),
            ("effective_from", &self.effective_from, &of.effective_from),
            ("wit_version", &self.wit_version, &of.wit_version),
            ("module_sha256", &self.module_sha256, &of.module_sha256),
        ];
        for (field, signed, actual) in pairs {
            if signed != actual {
                return Some((
                    format!("release.{field}"),
                    format!("signed {signed:?}, the module says {actual:?}"),
                ));
            }
        }
        if self.module_sm3 != of.module_sm3 {
            return Some((
                "release.module_sm3".to_string(),
                format!(
                    "signed {:?}, the module's SM3 is {:?}",
                    self.module_sm3, of.module_sm3
                ),
            ));
        }
        (self.effective_to != of.effective_to).then(|| {
            (
                "release.effective_to".to_string(),
                format!(
                    "signed {:?}, the module says {:?}",
                    self.effective_to, of.effective_to
                ),
            )
        })
    }
}

/// What `oip policy sign` writes beside a module (`<module>.sig`), and `oip policy push` and
/// the console's upload form read: the statement and the signature, as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    /// The release statement signed.
    pub release: ReleaseStatement,
    /// The signature, base64.
    pub signature: String,
}

impl SignatureFile {
    /// Reads a signature file's text.
    pub fn parse(text: &str) -> Result<SignatureFile, String> {
        serde_json::from_str(text.trim()).map_err(|_| {
            "not a release signature file ({\"release\": {...}, \"signature\": \"...\"}): sign \
             the module again with oip policy sign --release N"
                .to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oip_engine::types::{Date, Text};

    fn manifest(version: &str) -> PolicyManifest {
        PolicyManifest {
            policy_id: "oip-policy-cn-sc".into(),
            region: "CN-SC".into(),
            version: version.into(),
            wit_version: "1.0.0".into(),
            name: Text::new("四川", "Sichuan"),
            effective_from: Date::new(2026, 1, 1).expect("date"),
            effective_to: None,
            parameters: Vec::new(),
            citations: Vec::new(),
        }
    }

    /// Issue 15, item 6: the signature covered only the file's digest, so nothing it said
    /// bound the release number or the manifest it was made for; and `verify` let malleable
    /// signatures through where `verify_strict` does not.
    #[test]
    fn a_release_signature_binds_the_release_number_the_manifest_and_the_file() {
        for profile in [Profile::Standard, Profile::Gm] {
            signature_binds(profile);
        }
    }

    fn signature_binds(profile: Profile) {
        let key = SigningKey::from_bytes(profile, &[9u8; 32]).expect("a key");
        let vk = key.public();
        let m = manifest("2026.2");
        let st = ReleaseStatement::of(profile, &m, b"module", 7);
        assert_eq!(st.module_sm3.is_some(), profile == Profile::Gm);
        let sig = st.sign(&key);
        assert!(st.verifies(&vk, &sig));
        assert_eq!(st.mismatch(&m, b"module"), None);
        let renumbered = ReleaseStatement {
            release: 8,
            ..st.clone()
        };
        assert!(!renumbered.verifies(&vk, &sig), "another release");
        assert_eq!(
            st.mismatch(&m, b"module!").map(|(f, _)| f).as_deref(),
            Some("release.module_sha256")
        );
        assert_eq!(
            st.mismatch(&manifest("2026.3"), b"module")
                .map(|(f, _)| f)
                .as_deref(),
            Some("release.version")
        );
        let mut bounded = m.clone();
        bounded.effective_to = Some(Date::new(2026, 12, 31).expect("date"));
        assert_eq!(
            st.mismatch(&bounded, b"module").map(|(f, _)| f).as_deref(),
            Some("release.effective_to")
        );
        // A signature over the bare digest, as before, does not pass.
        let old = key.sign(&<[u8; 32]>::from(Sha256::digest(b"module")));
        if profile == Profile::Gm {
            // Under gm the SM3 of the file is signed too, and checked.
            let sm3 = ReleaseStatement {
                module_sm3: Some("00".repeat(32)),
                ..st.clone()
            };
            assert_eq!(
                sm3.mismatch(&m, b"module").map(|(f, _)| f).as_deref(),
                Some("release.module_sm3")
            );
        }
        assert!(!st.verifies(&vk, &old));
        // The file round-trips.
        let f = SignatureFile {
            release: st.clone(),
            signature: "c2ln".into(),
        };
        assert_eq!(
            SignatureFile::parse(&serde_json::to_string(&f).unwrap()),
            Ok(f)
        );
        assert!(
            SignatureFile::parse("c2lnbmF0dXJl").is_err(),
            "a bare signature"
        );
    }
}
