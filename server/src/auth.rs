//! Tokens, roles and scopes. Default deny: every route names the roles it admits, and every
//! claim read or action checks the caller's scope (its platform, or its regions).
//!
//! Tokens are 32 random bytes (base64url, prefixed `oip_`); only their SHA-256 is stored —
//! with that much entropy a fast hash is the right one.

use crate::error::ApiError;
use base64::Engine as _;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A platform: submits and reads its own claims.
    Platform,
    /// A case handler: reviews the claims of its regions.
    Adjuster,
    /// Provincial IT: deploys policies for its region.
    PolicyAdmin,
    /// Reads everything, changes nothing.
    Auditor,
    /// Issues tokens.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Platform => "platform",
            Role::Adjuster => "adjuster",
            Role::PolicyAdmin => "policy_admin",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Role> {
        [
            Role::Platform,
            Role::Adjuster,
            Role::PolicyAdmin,
            Role::Auditor,
            Role::Admin,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's id (not the token).
    pub token_id: String,
    /// Its role.
    pub role: Role,
    /// The platform, for `platform` tokens.
    pub platform: Option<String>,
    /// The regions, for `adjuster` and `policy_admin` tokens.
    pub regions: Vec<String>,
}

impl Principal {
    /// Refuses unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Whether the caller may see a claim of `platform` in `region`.
    pub fn may_see_claim(&self, platform: &str, region: &str) -> bool {
        match self.role {
            Role::Platform => self.platform.as_deref() == Some(platform),
            Role::Adjuster | Role::PolicyAdmin => self.regions.iter().any(|r| r == region),
            Role::Auditor | Role::Admin => true,
        }
    }

    /// The platform a listing is limited to, and the regions (None = all).
    pub fn claim_scope(&self) -> (Option<String>, Option<Vec<String>>) {
        match self.role {
            Role::Platform => (Some(self.platform.clone().unwrap_or_default()), None),
            Role::Adjuster | Role::PolicyAdmin => (None, Some(self.regions.clone())),
            Role::Auditor | Role::Admin => (None, None),
        }
    }
}

/// A new random token.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!(
        "oip_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let h = header?;
    let t = h
        .strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))?;
    let t = t.trim();
    (!t.is_empty()).then_some(t)
}
