//! Signatures: of the regions' policy releases and of the audit checkpoints. ed25519 under the
//! `standard` profile, SM2 (GB/T 32918.2-2016, with SM3, the signer's distinguishing identifier
//! being the default `1234567812345678` of GB/T 35276-2017) under `gm`.
//!
//! A region's key and the checkpoint key have the profile of the deployment; a key of the
//! other profile is refused where it is registered, and verification is strict for both
//! (ed25519 `verify_strict`; SM2 with r and s in [1, n-1]).

use crate::crypto::Profile;
use ed25519_dalek::{Signer as _, Verifier as _};
use rand::rngs::OsRng;

/// The bytes a signed statement's signature covers: a label naming what it is, a newline, then
/// the statement as JSON (unambiguous, whatever its strings hold).
pub fn statement_bytes(label: &str, json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(label.len() + 1 + json.len());
    out.extend_from_slice(label.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(json);
    out
}

/// The distinguishing identifier every SM2 signature here is made and checked with.
pub const SM2_DISTID: &str = "1234567812345678";

/// A secret signing key.
#[derive(Clone)]
pub enum SigningKey {
    /// ed25519 (`standard`).
    Ed25519(ed25519_dalek::SigningKey),
    /// SM2 (`gm`).
    Sm2(Box<sm2::dsa::SigningKey>),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, ..)", self.profile())
    }
}

impl SigningKey {
    /// A new random key of the profile.
    pub fn generate(profile: Profile) -> SigningKey {
        match profile {
            Profile::Standard => {
                SigningKey::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng))
            }
            Profile::Gm => loop {
                // A random scalar is out of range with probability about 2^-32; draw again.
                if let Ok(k) =
                    sm2::dsa::SigningKey::new(SM2_DISTID, &sm2::SecretKey::random(&mut OsRng))
                {
                    break SigningKey::Sm2(Box::new(k));
                }
            },
        }
    }

    /// The key of the profile from its 32 secret bytes (an ed25519 seed, an SM2 scalar);
    /// `None` for an SM2 scalar out of range.
    pub fn from_bytes(profile: Profile, bytes: &[u8; 32]) -> Option<SigningKey> {
        match profile {
            Profile::Standard => Some(SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                bytes,
            ))),
            Profile::Gm => {
                let secret = sm2::SecretKey::from_slice(bytes).ok()?;
                let key = sm2::dsa::SigningKey::new(SM2_DISTID, &secret).ok()?;
                Some(SigningKey::Sm2(Box::new(key)))
            }
        }
    }

    /// Its 32 secret bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        match self {
            SigningKey::Ed25519(k) => k.to_bytes(),
            SigningKey::Sm2(k) => k.to_bytes().into(),
        }
    }

    /// The profile it belongs to.
    pub fn profile(&self) -> Profile {
        match self {
            SigningKey::Ed25519(_) => Profile::Standard,
            SigningKey::Sm2(_) => Profile::Gm,
        }
    }

    /// As a key file holds it: 64 hex digits for ed25519 (as earlier versions wrote it),
    /// `sm2:` and 64 hex digits for SM2.
    pub fn to_text(&self) -> String {
        match self {
            SigningKey::Ed25519(_) => hex::encode(self.to_bytes()),
            SigningKey::Sm2(_) => format!("sm2:{}", hex::encode(self.to_bytes())),
        }
    }

    /// Reads what [`SigningKey::to_text`] wrote (surrounding whitespace ignored).
    pub fn from_text(text: &str) -> Result<SigningKey, String> {
        let text = text.trim();
        let (profile, digits) = match text.strip_prefix("sm2:") {
            Some(d) => (Profile::Gm, d),
            None => (Profile::Standard, text),
        };
        let bytes: [u8; 32] = hex::decode(digits)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("a key file holds 64 hex digits (an SM2 key: sm2: and 64 hex digits)")?;
        SigningKey::from_bytes(profile, &bytes).ok_or_else(|| "not a valid SM2 secret key".into())
    }

    /// Its public half.
    pub fn public(&self) -> PublicKey {
        match self {
            SigningKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            SigningKey::Sm2(k) => PublicKey::Sm2(Box::new(k.verifying_key().clone())),
        }
    }

    /// The signature over `message` (64 bytes: ed25519's R || S, SM2's r || s).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            SigningKey::Sm2(k) => {
                let sig: sm2::dsa::Signature = sm2::dsa::signature::Signer::sign(&**k, message);
                sig.to_bytes().to_vec()
            }
        }
    }
}

/// A public key that verifies signatures.
#[derive(Clone, Debug)]
pub enum PublicKey {
    /// ed25519.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// SM2.
    Sm2(Box<sm2::dsa::VerifyingKey>),
}

impl PublicKey {
    /// What a key of the profile looks like, for error messages.
    pub fn expected(profile: Profile) -> &'static str {
        match profile {
            Profile::Standard => "an ed25519 public key, 64 hex digits",
            Profile::Gm => {
                "an SM2 public key, SEC1-encoded: 66 hex digits (compressed) or 130 (uncompressed)"
            }
        }
    }

    /// A public key of the profile from hex: 32 bytes for ed25519; a SEC1 point, compressed or
    /// not, for SM2.
    pub fn parse(profile: Profile, text: &str) -> Option<PublicKey> {
        let bytes = hex::decode(text).ok()?;
        match profile {
            Profile::Standard => {
                let arr: [u8; 32] = bytes.try_into().ok()?;
                ed25519_dalek::VerifyingKey::from_bytes(&arr)
                    .ok()
                    .map(PublicKey::Ed25519)
            }
            Profile::Gm => sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DISTID, &bytes)
                .ok()
                .map(|k| PublicKey::Sm2(Box::new(k))),
        }
    }

    /// As hex, the way it is stored and compared: ed25519's 32 bytes; SM2's compressed point.
    pub fn to_hex(&self) -> String {
        use sm2::elliptic_curve::sec1::ToEncodedPoint;
        match self {
            PublicKey::Ed25519(k) => hex::encode(k.as_bytes()),
            PublicKey::Sm2(k) => hex::encode(k.as_affine().to_encoded_point(true).as_bytes()),
        }
    }

    /// Whether `signature` (64 bytes) is this key's over `message`, verified strictly.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::Ed25519(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|s| k.verify_strict(message, &s).is_ok()),
            PublicKey::Sm2(k) => sm2::dsa::Signature::try_from(signature)
                .is_ok_and(|s| k.verify(message, &s).is_ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15, the `gm` profile: a release or checkpoint signed with SM2 verifies with its
    /// public key only, over its own message only; an ed25519 key is not an SM2 key.
    #[test]
    fn both_profiles_sign_and_verify_and_refuse_what_is_not_theirs() {
        for p in [Profile::Standard, Profile::Gm] {
            let key = SigningKey::generate(p);
            let again = SigningKey::from_text(&key.to_text()).unwrap();
            assert_eq!(again.to_bytes(), key.to_bytes());
            assert_eq!(again.profile(), p);
            let public = PublicKey::parse(p, &key.public().to_hex()).unwrap();
            let sig = key.sign(b"release 7");
            assert_eq!(sig.len(), 64);
            assert!(public.verifies(b"release 7", &sig), "{p}");
            assert!(!public.verifies(b"release 8", &sig), "{p}");
            let mut bent = sig.clone();
            bent[10] ^= 1;
            assert!(!public.verifies(b"release 7", &bent), "{p}");
            let other = SigningKey::generate(p).public();
            assert!(!other.verifies(b"release 7", &sig), "{p}");
        }
        let ed = SigningKey::generate(Profile::Standard).public().to_hex();
        assert!(PublicKey::parse(Profile::Gm, &ed).is_none());
        let sm2 = SigningKey::generate(Profile::Gm).public().to_hex();
        assert_eq!(sm2.len(), 66);
        assert!(PublicKey::parse(Profile::Standard, &sm2).is_none());
    }
}
