//! Tokens, roles and scopes. Default deny: every route names the roles it admits, and every
//! claim read or action checks the caller's scope (its platform, or its regions).
//!
//! Tokens are 32 random bytes (base64url, prefixed `oip_`); only their SHA-256 is stored —
//! with that much entropy a fast hash is the right one.

use crate::domain::Actor;
pub use crate::domain::Role;
use crate::error::{Code, Error};
use base64::Engine as _;
use rand::RngCore;

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
    /// The user holding the token (none for a platform's token, the bootstrap token and
    /// tokens issued before users).
    pub user_id: Option<String>,
    /// The user's name, for the console's header.
    pub user_name: Option<String>,
}

impl From<crate::db::tokens::TokenRow> for Principal {
    /// The bearer of a token (check [`admits`](crate::db::tokens::TokenRow::admits) first).
    fn from(t: crate::db::tokens::TokenRow) -> Principal {
        Principal {
            token_id: t.id,
            role: t.role,
            platform: t.platform,
            regions: t.regions,
            user_id: t.user_id,
            user_name: t.user_name,
        }
    }
}

impl Principal {
    /// A user acting without a token (a console session signed in with a password):
    /// `token_id` names the session, or is empty before the session exists.
    pub fn of_user(u: crate::db::users::UserRow, token_id: String) -> Principal {
        Principal {
            token_id,
            role: u.role,
            platform: None,
            regions: u.regions,
            user_id: Some(u.id),
            user_name: Some(u.name),
        }
    }

    /// Refuses unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), Error> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Error::new(Code::Forbidden))
        }
    }

    /// Who acts: the user, or the token where it names none. Four eyes, "not the uploader",
    /// "another admin" and the audit trail compare and name this, so one person's two tokens
    /// are one person.
    pub fn person(&self) -> &str {
        self.user_id.as_deref().unwrap_or(&self.token_id)
    }

    /// The caller as the state machines see it.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            id: self.person(),
            role: self.role,
        }
    }

    /// The platform of a platform token (every platform token names one).
    pub fn own_platform(&self) -> Result<&str, Error> {
        self.platform
            .as_deref()
            .filter(|_| self.role == Role::Platform)
            .ok_or_else(|| Error::new(Code::Forbidden))
    }

    /// Whether the caller may see a claim of `platform` in `region`.
    pub fn may_see_claim(&self, platform: &str, region: &str) -> bool {
        match self.role {
            Role::Platform => self.platform.as_deref() == Some(platform),
            Role::Adjuster | Role::PolicyAdmin | Role::PaymentsOfficer => {
                self.regions.iter().any(|r| r == region)
            }
            Role::Auditor | Role::Admin => true,
        }
    }

    /// The claims a listing is limited to.
    pub fn claim_scope(&self) -> crate::db::claims::Scope {
        use crate::db::claims::Scope;
        match self.role {
            Role::Platform => Scope {
                platform: Some(self.platform.clone().unwrap_or_default()),
                regions: None,
            },
            Role::Adjuster | Role::PolicyAdmin | Role::PaymentsOfficer => Scope {
                platform: None,
                regions: Some(self.regions.clone()),
            },
            Role::Auditor | Role::Admin => Scope::default(),
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

/// The stored form of a token: its digest under the profile (SHA-256, or SM3 under `gm`).
pub fn token_hash(profile: crate::crypto::Profile, token: &str) -> String {
    hex::encode(profile.digest(token.as_bytes()))
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
