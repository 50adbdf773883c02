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

/// The figures a decision cannot do without: the wage base (each year listed) and the minimum
/// wage. A module whose manifest gives one of them as zero, without a value or with confidence
/// `Missing` (what `oip policy new` leaves until the figures are filled in) is incomplete; the
/// result names each such figure. (A figure a region may legitimately lack, such as a meal rate
/// it never published, is not one of these: its line is left to the adjuster.)
pub fn incomplete_figures(manifest: &oip_engine::types::PolicyManifest) -> Vec<String> {
    use oip_engine::types::Confidence;
    let essential =
        |name: &str| name.starts_with("avg_monthly_wage.") || name.starts_with("min_wage_monthly.");
    let mut out: Vec<String> = manifest
        .parameters
        .iter()
        .filter(|p| essential(&p.name))
        .filter(|p| p.value.is_none_or(|v| v <= 0) || p.confidence == Confidence::Missing)
        .map(|p| p.name.clone())
        .collect();
    if !manifest
        .parameters
        .iter()
        .any(|p| p.name.starts_with("avg_monthly_wage."))
    {
        out.push("avg_monthly_wage (no year listed)".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::incomplete_figures;
    use oip_engine::types::Confidence;

    fn manifest_of(region: &str) -> oip_engine::types::PolicyManifest {
        let host = oip_engine::PolicyHost::new(Default::default()).expect("host");
        let b = oip_engine::builtin::POLICIES
            .iter()
            .find(|b| b.region == region)
            .expect("built in");
        host.load(b.wasm).expect("loads").manifest().clone()
    }

    /// Issue 17, item 5: a region crate made by `oip policy new` (wage 0, confidence Missing)
    /// was deployed as a built-in policy. Its figures are now checked first.
    #[test]
    fn a_builtin_with_a_zero_or_missing_wage_base_is_incomplete() {
        let complete = manifest_of("CN-SC");
        assert_eq!(incomplete_figures(&complete), Vec::<String>::new());
        let mut zero = complete.clone();
        let w = zero
            .parameters
            .iter_mut()
            .find(|p| p.name == "avg_monthly_wage.CN-SC.2024")
            .expect("W(2024)");
        w.value = Some(0);
        assert_eq!(incomplete_figures(&zero), ["avg_monthly_wage.CN-SC.2024"]);
        let mut missing = complete.clone();
        for p in &mut missing.parameters {
            if p.name.starts_with("min_wage_monthly.") {
                p.confidence = Confidence::Missing;
            }
        }
        assert_eq!(incomplete_figures(&missing), ["min_wage_monthly.CN-SC"]);
        let mut none = complete;
        none.parameters
            .retain(|p| !p.name.starts_with("avg_monthly_wage."));
        assert_eq!(
            incomplete_figures(&none),
            ["avg_monthly_wage (no year listed)"]
        );
    }
}
