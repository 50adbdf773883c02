//! The policy lifecycle: a provincial IT team uploads a signed module with its cases; it is
//! checked (signature, contract, imports, region, window, limits, its own cases through the
//! engine) and stored content-addressed; a shadow run shows what it would change
//! ([`crate::shadow`]); a second person approves; it is activated now or at a scheduled time,
//! superseding older versions for the dates it covers; one call rolls back.
//!
//! States: `uploaded → approved → (scheduled →) active → rolled_back`. Built-in and
//! configured modules are stored `active` directly. Every step is one conditional update run
//! through the writer with its audit entry, so two instances racing for the same step cannot
//! both take it.
//!
//! Every running instance follows the table: after a change this instance syncs its registry at
//! once and, on PostgreSQL, sends `NOTIFY oip_policies`; the others listen (and poll as a
//! fallback), load what changed, and swap their registry atomically.

use crate::auth::{Principal, Role};
use crate::db::lifecycle::KeyRow;
use crate::db::store::PolicyRow;
use crate::db::writer::AuditDraft;
use crate::error::{ApiError, FieldProblem};
use crate::{AppState, new_id, now};
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use oip_engine::types::{Date, Timestamp};
use oip_engine::{Error as EngineError, LoadedPolicy};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// The PostgreSQL notification channel for policy changes.
pub const CHANNEL: &str = "oip_policies";

/// The message a signature covers: the SHA-256 digest (32 bytes) of the module file as uploaded.
pub fn signed_digest(module: &[u8]) -> [u8; 32] {
    Sha256::digest(module).into()
}

fn refused(code: &'static str, zh: String, en: String, fields: Vec<FieldProblem>) -> ApiError {
    ApiError::PolicyRefused {
        code,
        message: (zh, en),
        fields,
    }
}

fn step(code: &'static str, zh: &str, en: &str) -> ApiError {
    ApiError::PolicyStep {
        code,
        message: (zh.into(), en.into()),
    }
}

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
pub async fn managed(
    state: &AppState,
    who: &Principal,
    sha256: &str,
) -> Result<PolicyRow, ApiError> {
    who.require(&[Role::PolicyAdmin, Role::Admin])?;
    match state.db.policy(sha256).await? {
        Some(p) if may_manage(who, &p.region) => Ok(p),
        _ => Err(ApiError::NotFound),
    }
}

/// An upload, as parsed from the request body.
#[derive(Debug)]
pub struct Upload {
    /// The module file (a component, or a core module with its WIT metadata).
    pub module: Vec<u8>,
    /// The ed25519 signature over [`signed_digest`] of the module.
    pub signature: Option<Vec<u8>>,
    /// The module's cases: name and case-file JSON.
    pub cases: Vec<(String, Value)>,
}

impl Upload {
    /// Parses `{ "module": base64, "signature": base64, "cases": [{ "name", "facts",
    /// "expected" | "expected_error" }] }`.
    pub fn parse(body: &Value) -> Result<Upload, ApiError> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut problems = Vec::new();
        let module = match body.get("module").and_then(Value::as_str) {
            Some(m) => b64.decode(m).unwrap_or_else(|_| {
                problems.push(FieldProblem::new("module", "not base64"));
                Vec::new()
            }),
            None => {
                problems.push(FieldProblem::new(
                    "module",
                    "required (base64 of the .wasm)",
                ));
                Vec::new()
            }
        };
        let signature = match body.get("signature") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match b64.decode(s) {
                Ok(sig) => Some(sig),
                Err(_) => {
                    problems.push(FieldProblem::new("signature", "not base64"));
                    None
                }
            },
            Some(_) => {
                problems.push(FieldProblem::new("signature", "must be a base64 string"));
                None
            }
        };
        let mut cases = Vec::new();
        match body.get("cases") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, c) in items.iter().enumerate() {
                    match c.get("name").and_then(Value::as_str) {
                        Some(n) if !n.is_empty() => cases.push((n.to_string(), c.clone())),
                        _ => {
                            problems.push(FieldProblem::new(format!("cases[{i}].name"), "required"))
                        }
                    }
                }
            }
            Some(_) => problems.push(FieldProblem::new("cases", "must be an array")),
        }
        if let Some(obj) = body.as_object() {
            for k in obj.keys() {
                if !["module", "signature", "cases"].contains(&k.as_str()) {
                    problems.push(FieldProblem::new(k.clone(), "unknown field"));
                }
            }
        }
        if problems.is_empty() {
            Ok(Upload {
                module,
                signature,
                cases,
            })
        } else {
            Err(ApiError::InvalidRequest(problems))
        }
    }
}

/// Finds the region's key that signed `digest`; the refusal names what is wrong.
async fn check_signature(
    state: &AppState,
    region: &str,
    digest: &[u8; 32],
    signature: Option<&[u8]>,
) -> Result<KeyRow, ApiError> {
    let Some(sig) = signature else {
        return Err(refused(
            "signature_required",
            "政策模块须由本地区登记的密钥签名。".into(),
            "the module must be signed by a key registered for its region".into(),
            vec![FieldProblem::new("signature", "required")],
        ));
    };
    let bad = || {
        refused(
            "signature_invalid",
            "签名无效：模块已被改动，或签名不是本地区的密钥所作。".into(),
            "the signature does not verify: the module was altered, or no registered key made it"
                .into(),
            vec![FieldProblem::new("signature", "does not verify")],
        )
    };
    let sig = Signature::from_slice(sig).map_err(|_| bad())?;
    let verifies = |k: &KeyRow| {
        let Ok(bytes) = hex::decode(&k.public_key) else {
            return false;
        };
        let Ok(arr) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            return false;
        };
        VerifyingKey::from_bytes(&arr).is_ok_and(|vk| vk.verify(digest, &sig).is_ok())
    };
    let keys = state.db.keys(None).await?;
    let live = keys.iter().filter(|k| k.revoked_at.is_none());
    let mut other_region = None;
    for k in live {
        if verifies(k) {
            if k.region == region {
                return Ok(k.clone());
            }
            other_region = Some(k.region.clone());
        }
    }
    match other_region {
        Some(r) => Err(refused(
            "signing_key_wrong_region",
            format!("签名密钥属于 {r}，不能为 {region} 签署政策模块。"),
            format!("the signing key is registered for {r}, not {region}"),
            vec![FieldProblem::new("signature", format!("key of {r}"))],
        )),
        None => Err(bad()),
    }
}

fn engine_refusal(e: EngineError) -> ApiError {
    let en = e.to_string();
    match e {
        EngineError::Incompatible { .. } => refused(
            "policy_incompatible",
            format!("政策模块的接口版本不受支持：{en}"),
            format!("the module's contract version is not supported: {en}"),
            vec![FieldProblem::new("module", en.clone())],
        ),
        EngineError::Timeout { .. }
        | EngineError::OutOfFuel { .. }
        | EngineError::MemoryLimit { .. }
        | EngineError::StackOverflow { .. }
        | EngineError::OutputTooLarge { .. }
        | EngineError::Trap { .. } => refused(
            "policy_limits",
            format!("政策模块无法在限制内加载：{en}"),
            format!("the module does not load within the limits: {en}"),
            vec![FieldProblem::new("module", en.clone())],
        ),
        _ => refused(
            "policy_invalid",
            format!("政策模块无效：{en}"),
            format!("the module is refused: {en}"),
            vec![FieldProblem::new("module", en.clone())],
        ),
    }
}

/// Runs the upload's cases through the engine on the module; the failures, by case.
fn run_cases(
    state: &AppState,
    policy: &LoadedPolicy,
    cases: &[(String, Value)],
) -> Vec<FieldProblem> {
    let mut failures = Vec::new();
    for (i, (name, v)) in cases.iter().enumerate() {
        let field = format!("cases[{i}]");
        let case = match oip_sdk::cases::from_value(Path::new(name), v.clone()) {
            Ok(c) => c,
            Err(e) => {
                failures.push(FieldProblem::new(field, e));
                continue;
            }
        };
        let result = match state.decider.host().decide(policy, &case.facts) {
            Ok(e) => Ok(e.decision),
            Err(EngineError::Guest { error, .. }) => Err(error),
            Err(other) => {
                failures.push(FieldProblem::new(
                    field,
                    format!("{name}: engine error {other}"),
                ));
                continue;
            }
        };
        if let Err(e) = oip_sdk::cases::check(&case, &result) {
            failures.push(FieldProblem::new(field, e));
        }
    }
    failures
}

/// Validates and stores an upload; `(created, row)`: `created` is false when the same module
/// was stored before (the same version).
pub async fn upload(
    state: &AppState,
    who: &Principal,
    region: &str,
    up: Upload,
) -> Result<(bool, PolicyRow), ApiError> {
    who.require(&[Role::PolicyAdmin])?;
    if !may_manage(who, region) {
        return Err(ApiError::Forbidden);
    }
    let digest = signed_digest(&up.module);
    let key = check_signature(state, region, &digest, up.signature.as_deref()).await?;
    let s = state.clone();
    let module = up.module;
    let cases = up.cases;
    let region_owned = region.to_string();
    let checked = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let policy = s.decider.host().load(&module).map_err(engine_refusal)?;
        let m = policy.manifest();
        if m.region != region_owned {
            return Err(refused(
                "policy_region_mismatch",
                format!("模块声明的地区是 {}，不是 {region_owned}。", m.region),
                format!("the module is for {}, not {region_owned}", m.region),
                vec![FieldProblem::new("manifest.region", m.region.clone())],
            ));
        }
        check_window(m.effective_from, m.effective_to)?;
        if cases.is_empty() {
            return Err(refused(
                "policy_cases_required",
                "上传须附带模块自己的案例。".into(),
                "an upload must carry the module's own cases".into(),
                vec![FieldProblem::new("cases", "required, at least one")],
            ));
        }
        let failures = run_cases(&s, &policy, &cases);
        if !failures.is_empty() {
            return Err(refused(
                "policy_cases_failed",
                format!("{} 个案例未通过。", failures.len()),
                format!(
                    "{} of {} cases fail on the module",
                    failures.len(),
                    cases.len()
                ),
                failures,
            ));
        }
        Ok((policy, cases.len()))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let (policy, n_cases) = checked;
    if let Some(existing) = state.db.policy(policy.sha256()).await? {
        return Ok((false, existing));
    }
    let m = policy.manifest();
    let row = PolicyRow {
        sha256: policy.sha256().to_string(),
        region: m.region.clone(),
        policy_id: m.policy_id.clone(),
        version: m.version.clone(),
        effective_from: m.effective_from.to_string(),
        effective_to: m.effective_to.map(|d| d.to_string()),
        manifest: serde_json::to_string(m).map_err(|e| ApiError::Internal(e.to_string()))?,
        status: "uploaded".into(),
        sequence: 0,
        source: "upload".into(),
        created_at: now().to_string(),
        uploaded_by: Some(who.token_id.clone()),
        signed_by: Some(key.id.clone()),
        validation: Some(
            json!({
                "cases": n_cases,
                "passed": n_cases,
                "file_sha256": hex::encode(digest),
                "file_bytes": policy.component_bytes().len(),
                "signed_by": key.id,
            })
            .to_string(),
        ),
        ..PolicyRow::default()
    };
    let audit = AuditDraft {
        actor: who.token_id.clone(),
        action: "policy.uploaded".into(),
        claim_id: None,
        before: None,
        after: Some(summary(&row)),
    };
    let stored = state
        .writer
        .submit_logged(
            Some(state.db.insert_policy_stmt(&row, policy.component_bytes())),
            vec![],
            vec![audit],
            vec![],
        )
        .await?;
    // Kept compiled; an uploaded version changes nothing in force, so no instance need sync.
    state.decider.remember(policy.clone());
    match stored {
        true => Ok((true, row)),
        // Stored meanwhile by a concurrent upload of the same bytes.
        false => Ok((false, state.db.policy(&row.sha256).await?.unwrap_or(row))),
    }
}

fn check_window(from: Date, to: Option<Date>) -> Result<(), ApiError> {
    let earliest = Date::parse("2020-01-01").unwrap_or(from);
    let latest = Date::parse("2100-12-31").unwrap_or(from);
    let problem = if from < earliest || from > latest {
        Some((
            "manifest.effective_from",
            format!("{from} is outside 2020-01-01..2100-12-31"),
        ))
    } else {
        match to {
            Some(t) if t < from => Some((
                "manifest.effective_to",
                format!("{t} is before effective_from {from}"),
            )),
            Some(t) if t > latest => {
                Some(("manifest.effective_to", format!("{t} is after 2100-12-31")))
            }
            _ => None,
        }
    };
    match problem {
        None => Ok(()),
        Some((field, p)) => Err(refused(
            "policy_window_invalid",
            format!("生效期间不合理：{p}"),
            format!("the effective window is not sane: {p}"),
            vec![FieldProblem::new(field, p)],
        )),
    }
}

/// What the audit trail records of a version.
fn summary(row: &PolicyRow) -> Value {
    json!({
        "sha256": row.sha256,
        "region": row.region,
        "policy_id": row.policy_id,
        "version": row.version,
        "status": row.status,
        "effective_from": row.effective_from,
        "effective_to": row.effective_to,
    })
}

/// Runs one transition with its audit entry; a conflict when the guard finds the version in
/// another state (someone else moved it first).
async fn transition(
    state: &AppState,
    who: &str,
    action: &str,
    guard: sea_orm::Statement,
    before: &PolicyRow,
    after: Value,
) -> Result<PolicyRow, ApiError> {
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
        return Err(step(
            "invalid_policy_transition",
            "该政策版本的状态已改变，请刷新后重试。",
            "the version is no longer in a state that allows this; reload it",
        ));
    }
    changed(state).await;
    state
        .db
        .policy(&before.sha256)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `uploaded → approved`: by someone other than the uploader, after a finished shadow run.
pub async fn approve(
    state: &AppState,
    who: &Principal,
    sha256: &str,
) -> Result<PolicyRow, ApiError> {
    let p = managed(state, who, sha256).await?;
    if p.status != "uploaded" {
        return Err(step(
            "invalid_policy_transition",
            "只有待审批（已上传）的版本可以审批。",
            "only an uploaded version can be approved",
        ));
    }
    if p.uploaded_by.as_deref() == Some(who.token_id.as_str()) {
        return Err(step(
            "different_approver_required",
            "须由上传者以外的另一人审批（四眼原则）。",
            "someone other than the uploader must approve (four eyes)",
        ));
    }
    let shadow_done = state
        .db
        .latest_job(sha256, "shadow")
        .await?
        .is_some_and(|j| j.status == "done");
    if !shadow_done {
        return Err(step(
            "shadow_required",
            "审批前须完成一次影子运行。",
            "a finished shadow run is required before approval",
        ));
    }
    let at = now().to_string();
    transition(
        state,
        &who.token_id,
        "policy.approved",
        state.db.approve_stmt(sha256, &who.token_id, &at),
        &p,
        json!({ "status": "approved", "approved_by": who.token_id }),
    )
    .await
}

/// `approved | scheduled → active` now, or `→ scheduled` when `at` is in the future.
pub async fn activate(
    state: &AppState,
    who: &Principal,
    sha256: &str,
    at: Option<Timestamp>,
) -> Result<PolicyRow, ApiError> {
    let p = managed(state, who, sha256).await?;
    if p.status != "approved" && p.status != "scheduled" {
        return Err(step(
            "invalid_policy_transition",
            "只有已审批的版本可以启用。",
            "only an approved version can be activated",
        ));
    }
    match at {
        Some(t) if t.0 > now().0 => {
            transition(
                state,
                &who.token_id,
                "policy.scheduled",
                state.db.schedule_stmt(sha256, t.0),
                &p,
                json!({ "status": "scheduled", "activate_at": t.to_string() }),
            )
            .await
        }
        _ => {
            transition(
                state,
                &who.token_id,
                "policy.activated",
                state.db.activate_stmt(sha256, &now().to_string()),
                &p,
                json!({ "status": "active" }),
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
) -> Result<(PolicyRow, Option<PolicyRow>), ApiError> {
    who.require(&[Role::PolicyAdmin, Role::Admin])?;
    if !may_manage(who, region) {
        return Err(ApiError::Forbidden);
    }
    let mut active: Vec<PolicyRow> = state
        .db
        .policies(Some(region))
        .await?
        .into_iter()
        .filter(|p| p.status == "active")
        .collect();
    active.sort_by_key(|p| std::cmp::Reverse(p.sequence));
    if active.len() < 2 {
        return Err(step(
            "nothing_to_roll_back",
            "该地区没有可回退到的上一版本。",
            "the region has no previous version to roll back to",
        ));
    }
    let latest = active.remove(0);
    let previous = active.into_iter().next();
    let rolled = transition(
        state,
        &who.token_id,
        "policy.rolled_back",
        state.db.rollback_stmt(&latest.sha256),
        &latest,
        json!({
            "status": "rolled_back",
            "in_force_again": previous.as_ref().map(|p| p.sha256.clone()),
        }),
    )
    .await?;
    Ok((rolled, previous))
}

/// Activates the scheduled versions whose time has come (any instance may; the conditional
/// update lets one win).
pub async fn activate_due(state: &AppState) -> Result<usize, ApiError> {
    let due = state.db.scheduled_due(now().0).await?;
    let mut n = 0;
    for p in due {
        let r = transition(
            state,
            "system",
            "policy.activated",
            state.db.activate_stmt(&p.sha256, &now().to_string()),
            &p,
            json!({ "status": "active", "scheduled": true }),
        )
        .await;
        if r.is_ok() {
            n += 1;
        }
    }
    Ok(n)
}

/// After a change to the policy table: this instance syncs at once, and the others are told.
pub async fn changed(state: &AppState) {
    state.sync_policies().await;
    if state.db.is_postgres() {
        let stmt = state.db.stmt(
            "SELECT pg_notify(?, ?)",
            vec![CHANNEL.into(), now().0.to_string().into()],
        );
        if let Err(e) = sea_orm::ConnectionTrait::execute_raw(&state.db.conn, stmt).await {
            tracing::warn!(error = %e, "policy change notification failed");
        }
    }
}

/// Listens for other instances' policy changes (PostgreSQL) and syncs on each; reconnects
/// after a second when the connection is lost (the poll covers the gap).
pub async fn listen(state: AppState) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let pool = state.db.conn.get_postgres_connection_pool().clone();
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "policy listener: cannot connect; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "policy listener: LISTEN failed; retrying");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(_) => state.sync_policies().await,
                Err(e) => {
                    tracing::warn!(error = %e, "policy listener lost its connection");
                    break;
                }
            }
        }
    }
}

/// The JSON of a version, as the API shows it.
pub fn policy_json(row: &PolicyRow, in_force: &[Arc<LoadedPolicy>]) -> Value {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|v| serde_json::from_str::<Value>(v).ok())
            .unwrap_or(Value::Null)
    };
    json!({
        "id": row.sha256,
        "sha256": row.sha256,
        "region": row.region,
        "policy_id": row.policy_id,
        "version": row.version,
        "effective_from": row.effective_from,
        "effective_to": row.effective_to,
        "status": row.status,
        "sequence": row.sequence,
        "source": row.source,
        "created_at": row.created_at,
        "uploaded_by": row.uploaded_by,
        "signed_by": row.signed_by,
        "approved_by": row.approved_by,
        "approved_at": row.approved_at,
        "activate_at": row.activate_at.map(|t| Timestamp(t).to_string()),
        "activated_at": row.activated_at,
        "in_force_today": in_force.iter().any(|p| p.sha256() == row.sha256),
        "validation": parse(&row.validation),
        "manifest": serde_json::from_str::<Value>(&row.manifest).unwrap_or(Value::Null),
    })
}

/// Registers a signing key for a region (admin).
pub async fn add_key(
    state: &AppState,
    who: &Principal,
    region: &str,
    public_key_hex: &str,
) -> Result<KeyRow, ApiError> {
    who.require(&[Role::Admin])?;
    let mut problems = Vec::new();
    if !crate::validate::REGIONS.contains(&region) {
        problems.push(FieldProblem::new("region", "not an ISO 3166-2:CN code"));
    }
    let key_ok = hex::decode(public_key_hex.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .is_some_and(|a| VerifyingKey::from_bytes(&a).is_ok());
    if !key_ok {
        problems.push(FieldProblem::new(
            "public_key",
            "an ed25519 public key, 64 hex digits",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::InvalidRequest(problems));
    }
    let row = KeyRow {
        id: new_id("key"),
        region: region.to_string(),
        public_key: public_key_hex.trim().to_lowercase(),
        added_by: who.token_id.clone(),
        created_at: now().to_string(),
        revoked_at: None,
    };
    let audit = AuditDraft {
        actor: who.token_id.clone(),
        action: "key.added".into(),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "key_id": row.id, "region": row.region, "public_key": row.public_key }),
        ),
    };
    let stored = state
        .writer
        .submit_logged(
            Some(state.db.insert_key_stmt(&row)),
            vec![],
            vec![audit],
            vec![],
        )
        .await?;
    if !stored {
        return Err(ApiError::Conflict(
            "this public key is already registered".into(),
        ));
    }
    Ok(row)
}

/// Revokes a signing key (admin).
pub async fn revoke_key(state: &AppState, who: &Principal, id: &str) -> Result<(), ApiError> {
    who.require(&[Role::Admin])?;
    let audit = AuditDraft {
        actor: who.token_id.clone(),
        action: "key.revoked".into(),
        claim_id: None,
        before: None,
        after: Some(json!({ "key_id": id })),
    };
    let done = state
        .writer
        .submit_logged(
            Some(state.db.revoke_key_stmt(id, &now().to_string())),
            vec![],
            vec![audit],
            vec![],
        )
        .await?;
    if done {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// The JSON of a key.
pub fn key_json(k: &KeyRow) -> Value {
    json!({
        "id": k.id,
        "region": k.region,
        "public_key": k.public_key,
        "added_by": k.added_by,
        "created_at": k.created_at,
        "revoked_at": k.revoked_at,
    })
}
