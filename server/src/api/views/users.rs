//! The views of users and of tokens (never a token itself, except once when issued).

use crate::auth::Role;
use crate::db::users::{TokenInfo, UserRow};
use oip_engine::types::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A person who holds tokens.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    /// Id (`usr_...`): what the audit trail, approvals and four eyes name.
    pub id: String,
    /// Full name.
    pub name: String,
    /// The employer's staff number.
    pub employee_id: String,
    /// Role.
    pub role: Role,
    /// Regions (adjusters, policy admins).
    pub regions: Vec<String>,
    /// Whether the person may act; a disabled user's tokens are refused.
    pub active: bool,
    /// Added.
    pub created_at: String,
    /// By whom.
    pub created_by: String,
    /// Disabled.
    pub disabled_at: Option<String>,
    /// By whom.
    pub disabled_by: Option<String>,
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> UserView {
        UserView {
            id: u.id.clone(),
            name: u.name.clone(),
            employee_id: u.employee_id.clone(),
            role: u.role,
            regions: u.regions.clone(),
            active: u.active,
            created_at: u.created_at.clone(),
            created_by: u.created_by.clone(),
            disabled_at: u.disabled_at.clone(),
            disabled_by: u.disabled_by.clone(),
        }
    }
}

/// A token as an admin sees it: its id, holder, label and expiry, never the token.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenView {
    /// Id (`tok_...`), to revoke it.
    pub id: String,
    /// Role.
    pub role: Role,
    /// Platform, for platform tokens.
    pub platform: Option<String>,
    /// Regions.
    pub regions: Vec<String>,
    /// The user holding it (none for a platform's token and the bootstrap token).
    pub user_id: Option<String>,
    /// What it is for.
    pub label: Option<String>,
    /// Issued.
    pub created_at: String,
    /// Refused from then on (none: issued before tokens expired).
    pub expires_at: Option<Timestamp>,
    /// Revoked.
    pub revoked_at: Option<String>,
}

impl From<&TokenInfo> for TokenView {
    fn from(t: &TokenInfo) -> TokenView {
        TokenView {
            id: t.id.clone(),
            role: t.role,
            platform: t.platform.clone(),
            regions: t.regions.clone(),
            user_id: t.user_id.clone(),
            label: t.label.clone(),
            created_at: t.created_at.clone(),
            expires_at: t.expires_at.map(Timestamp),
            revoked_at: t.revoked_at.clone(),
        }
    }
}
