//! The lifecycle's steps after upload: approve, activate (now or scheduled), roll back, and the
//! scheduled activations coming due. Each is allowed by `PolicyStatus::allowed`, run as one
//! conditional update with its audit entry, and followed by every instance (`super::sync`).

use super::{managed, may_manage};
use crate::auth::{Principal, Role};
use crate::db::policies::PolicyRow;
use crate::db::writer::AuditDraft;
use crate::domain::{JobKind, JobStatus, PolicyStatus, PolicyStep};
use crate::error::{Code, Error};
use crate::{AppState, now};
use oip_engine::types::Timestamp;
use serde_json::json;

/// What the audit trail records of a version.
pub(crate) fn summary(row: &PolicyRow) -> String {
    json!({
        "sha256": row.sha256,
        "region": row.region,
        "policy_id": row.policy_id,
        "version": row.version,
        "status": row.status,
        "effective_from": row.effective_from,
        "effective_to": row.effective_to,
    })
    .to_string()
}

/// Refuses a step the version's status does not allow.
fn allowed(p: &PolicyRow, step: PolicyStep) -> Result<PolicyStatus, Error> {
    p.status.allowed(step).ok_or_else(|| {
        Error::new(Code::InvalidPolicyTransition).message(
            format!("该版本的状态为 {}，不允许 {step}。", p.status),
            format!("{step} is not allowed when the version is {}", p.status),
        )
    })
}

/// Refuses to approve or activate a version whose signing key was revoked.
fn key_live(p: &PolicyRow) -> Result<(), Error> {
    match &p.signing_key_revoked_at {
        None => Ok(()),
        Some(at) => Err(Error::new(Code::SigningKeyRevoked).message(
            format!("签署该版本的密钥 {} 已于 {at} 吊销，该版本不能审批或启用。", p.signed_by.as_deref().unwrap_or("—")),
            format!(
                "the key {} that signed this version was revoked at {at}; it cannot be approved or activated",
                p.signed_by.as_deref().unwrap_or("—")
            ),
        )),
    }
}

/// Runs one transition with its audit entry; `invalid_policy_transition` when the guard finds
/// the version in another state (someone else moved it first).
async fn transition(
    state: &AppState,
    who: &str,
    action: &str,
    guard: sea_orm::Statement,
    before: &PolicyRow,
    after: String,
) -> Result<PolicyRow, Error> {
    let audit = AuditDraft {
        actor: who.to_string(),
        action: action.into(),
        claim_id: None,
        before: Some(summary(before)),
        after: Some(after),
    };
    let applied = state
        .writer
        .submit_logged(Some(guard), vec![], vec![audit], vec![])
        .await?;
    if !applied {
        return Err(Error::new(Code::InvalidPolicyTransition).message(
            "该政策版本的状态已改变，请刷新后重试。",
            "the version is no longer in a state that allows this; reload it",
        ));
    }
    super::sync::changed(state).await;
    state
        .db
        .policy(&before.sha256)
        .await?
        .ok_or_else(|| Code::NotFound.into())
}

/// `uploaded → approved`: by a policy_admin of the region other than the uploader, after a
/// finished shadow run. An admin may not approve: otherwise one admin could register a region's
/// key, issue a policy_admin token, upload and approve alone.
pub async fn approve(state: &AppState, who: &Principal, sha256: &str) -> Result<PolicyRow, Error> {
    let p = managed(state, who, sha256).await?;
    if who.role != crate::auth::Role::PolicyAdmin {
        return Err(Code::ApproverMustBePolicyAdmin.into());
    }
    allowed(&p, PolicyStep::Approve)?;
    key_live(&p)?;
    if p.uploaded_by.as_deref() == Some(who.person()) {
        return Err(Code::DifferentApproverRequired.into());
    }
    let shadow_done = state
        .db
        .latest_job(sha256, JobKind::Shadow)
        .await?
        .is_some_and(|j| j.status == JobStatus::Done);
    if !shadow_done {
        return Err(Code::ShadowRequired.into());
    }
    let at = now().to_string();
    transition(
        state,
        who.person(),
        "policy.approved",
        state.db.approve_stmt(sha256, who.person(), &at),
        &p,
        json!({ "status": PolicyStatus::Approved, "approved_by": who.person() }).to_string(),
    )
    .await
}

/// `approved | scheduled → active` now, or `→ scheduled` when `at` is in the future.
pub async fn activate(
    state: &AppState,
    who: &Principal,
    sha256: &str,
    at: Option<Timestamp>,
) -> Result<PolicyRow, Error> {
    let p = managed(state, who, sha256).await?;
    key_live(&p)?;
    match at {
        Some(t) if t.0 > now().0 => {
            allowed(&p, PolicyStep::Schedule)?;
            transition(
                state,
                who.person(),
                "policy.scheduled",
                state.db.schedule_stmt(sha256, t.0),
                &p,
                json!({ "status": PolicyStatus::Scheduled, "activate_at": t.to_string() })
                    .to_string(),
            )
            .await
        }
        _ => {
            allowed(&p, PolicyStep::Activate)?;
            transition(
                state,
                who.person(),
                "policy.activated",
                state.db.activate_stmt(sha256, &now().to_string()),
                &p,
                json!({ "status": PolicyStatus::Active }).to_string(),
            )
            .await
        }
    }
}

/// Puts the previous version back: the region's latest activated version becomes
/// `rolled_back`, and the one activated before it is in force again for its dates.
pub async fn rollback(
    state: &AppState,
    who: &Principal,
    region: &str,
) -> Result<(PolicyRow, Option<PolicyRow>), Error> {
    who.require(&[Role::PolicyAdmin, Role::Admin])?;
    if !may_manage(who, region) {
        return Err(Code::Forbidden.into());
    }
    let mut active: Vec<PolicyRow> = state
        .db
        .policies(Some(region))
        .await?
        .into_iter()
        .filter(|p| p.status.allowed(PolicyStep::Rollback).is_some())
        .collect();
    active.sort_by_key(|p| std::cmp::Reverse(p.sequence));
    if active.len() < 2 {
        return Err(Code::NothingToRollBack.into());
    }
    let latest = active.remove(0);
    let previous = active.into_iter().next();
    let rolled = transition(
        state,
        who.person(),
        "policy.rolled_back",
        state.db.rollback_stmt(&latest.sha256),
        &latest,
        json!({
            "status": PolicyStatus::RolledBack,
            "in_force_again": previous.as_ref().map(|p| p.sha256.clone()),
        })
        .to_string(),
    )
    .await?;
    Ok((rolled, previous))
}

/// Activates the scheduled versions whose time has come (any instance may; the conditional
/// update lets one win).
pub async fn activate_due(state: &AppState) -> Result<usize, Error> {
    let due = state.db.scheduled_due(now().0).await?;
    let mut n = 0;
    for p in due.into_iter().filter(|p| key_live(p).is_ok()) {
        let r = transition(
            state,
            "system",
            "policy.activated",
            state.db.activate_stmt(&p.sha256, &now().to_string()),
            &p,
            json!({ "status": PolicyStatus::Active, "scheduled": true }).to_string(),
        )
        .await;
        if r.is_ok() {
            n += 1;
        }
    }
    Ok(n)
}
