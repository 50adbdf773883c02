//! The policy lifecycle: a provincial IT team uploads a signed module with its cases
//! ([`upload`]); it is checked (signature, contract, imports, region, window, limits, its own
//! cases through the engine) and stored content-addressed; a shadow run shows what it would
//! change (`crate::jobs`); a second person approves; it is activated now or at a scheduled
//! time, superseding older versions for the dates it covers; one call rolls back
//! ([`transitions`]). The regions' signing keys are in [`keys`].
//!
//! Which step is allowed from which status is `domain::PolicyStatus::allowed`; every step is
//! one conditional update run through the writer with its audit entry, so two instances racing
//! for the same step cannot both take it. Every running instance follows the table
//! ([`sync`]).

pub mod keys;
pub mod release;
pub mod sync;
pub mod transitions;
pub mod upload;

use crate::AppState;
use crate::auth::{Principal, Role};
use crate::db::policies::PolicyRow;
use crate::error::{Code, Error};
use oip_engine::LoadedPolicy;
use std::sync::Arc;

/// Whether the caller may manage the policies of `region`: a policy_admin of that region, or
/// an admin.
pub fn may_manage(who: &Principal, region: &str) -> bool {
    match who.role {
        Role::Admin => true,
        Role::PolicyAdmin => who.regions.iter().any(|r| r == region),
        _ => false,
    }
}

/// A version the caller may manage, or 404 (also when it exists in another region: no
/// existence leak) / 403 for roles that manage no policy at all.
pub async fn managed(state: &AppState, who: &Principal, sha256: &str) -> Result<PolicyRow, Error> {
    who.require(&[Role::PolicyAdmin, Role::Admin])?;
    match state.db.policy(sha256).await? {
        Some(p) if may_manage(who, &p.region) => Ok(p),
        _ => Err(Code::NotFound.into()),
    }
}

/// A version the caller may read: the region's policy_admins, admins, auditors.
pub async fn readable(state: &AppState, who: &Principal, sha256: &str) -> Result<PolicyRow, Error> {
    if who.role == Role::Auditor {
        return state
            .db
            .policy(sha256)
            .await?
            .ok_or_else(|| Code::NotFound.into());
    }
    managed(state, who, sha256).await
}

/// The versions in force today, one per region with a policy.
pub fn in_force_today(state: &AppState) -> Vec<Arc<LoadedPolicy>> {
    let today = crate::now().beijing_date();
    let registry = state.decider.registry();
    registry
        .regions()
        .iter()
        .filter_map(|r| registry.lookup(r, today))
        .collect()
}
