//! Regions, their policy versions, and the lifecycle: upload, shadow run, approval,
//! activation, rollback, re-decision, signing keys.

use super::{JsonBody, OptionalJsonBody};
use crate::auth::{Principal, Role};
use crate::db::store::PolicyRow;
use crate::error::{ApiError, FieldProblem};
use crate::{AppState, lifecycle, now, shadow};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use oip_engine::types::Timestamp;
use serde_json::{Value, json};

/// Regions with a deployed policy, and the version in force today.
#[utoipa::path(get, path = "/v1/regions", tag = "policies", security(("bearer" = [])), responses((status = 200, description = "{ items }")))]
pub async fn regions(
    State(state): State<AppState>,
    _who: Principal,
) -> Result<Json<Value>, ApiError> {
    let today = now().beijing_date();
    let rows = state.db.policies(None).await?;
    let mut items = Vec::new();
    for region in state.decider.registry().regions() {
        let in_force = state.decider.registry().lookup(&region, today);
        let versions = rows.iter().filter(|r| r.region == region).count();
        let name = in_force.as_ref().map(|p| p.manifest().name.clone());
        items.push(json!({
            "region": region,
            "name": name,
            "versions": versions,
            "in_force_today": in_force.map(|p| json!({
                "policy_id": p.manifest().policy_id,
                "version": p.manifest().version,
                "sha256": p.sha256(),
                "effective_from": p.manifest().effective_from,
            })),
        }));
    }
    Ok(Json(json!({ "items": items, "today": today })))
}

/// A region's policy versions.
#[utoipa::path(get, path = "/v1/regions/{region}/policies", tag = "policies", security(("bearer" = [])), responses((status = 200, description = "{ items }")))]
pub async fn region_policies(
    State(state): State<AppState>,
    _who: Principal,
    Path(region): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let rows = state.db.policies(Some(&region)).await?;
    let in_force = in_force_today(&state);
    let items: Vec<Value> = rows
        .iter()
        .map(|r| lifecycle::policy_json(r, &in_force))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// Reads of a version, its jobs and reports: the region's policy_admins, admins, auditors.
async fn readable(state: &AppState, who: &Principal, sha256: &str) -> Result<PolicyRow, ApiError> {
    if who.role == Role::Auditor {
        return state.db.policy(sha256).await?.ok_or(ApiError::NotFound);
    }
    lifecycle::managed(state, who, sha256).await
}

fn in_force_today(state: &AppState) -> Vec<std::sync::Arc<oip_engine::LoadedPolicy>> {
    let today = now().beijing_date();
    let registry = state.decider.registry();
    registry
        .regions()
        .iter()
        .filter_map(|r| registry.lookup(r, today))
        .collect()
}

/// Uploads a version: `{ "module": base64, "signature": base64, "cases": [...] }`. 201 with
/// the version when stored, 200 when the same module was stored before.
#[utoipa::path(post, path = "/v1/regions/{region}/policies", tag = "policies", security(("bearer" = [])),
    responses((status = 201, description = "stored, status uploaded"), (status = 200, description = "the same module, stored before"),
              (status = 422, description = "refused: signature_required, signature_invalid, signing_key_wrong_region, policy_invalid, policy_incompatible, policy_limits, policy_region_mismatch, policy_window_invalid, policy_cases_required, policy_cases_failed")))]
pub async fn upload(
    State(state): State<AppState>,
    who: Principal,
    Path(region): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let up = lifecycle::Upload::parse(&body)?;
    let (created, row) = lifecycle::upload(&state, &who, &region, up).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(lifecycle::policy_json(&row, &in_force_today(&state))),
    ))
}

/// A version, with its latest shadow run and re-decision.
#[utoipa::path(get, path = "/v1/policies/{id}", tag = "policies", security(("bearer" = [])), responses((status = 200, description = "the version")))]
pub async fn get_one(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = readable(&state, &who, &id).await?;
    let mut v = lifecycle::policy_json(&row, &in_force_today(&state));
    for kind in ["shadow", "redecide"] {
        v[kind] = match state.db.latest_job(&id, kind).await? {
            Some(mut j) => {
                j.report = None;
                shadow::job_json(&j)
            }
            None => Value::Null,
        };
    }
    Ok(Json(v))
}

/// Starts a shadow run over the region's stored claims (`{ "from", "to" }` incident dates,
/// optional). 202 with the job.
#[utoipa::path(post, path = "/v1/policies/{id}/shadow", tag = "policies", security(("bearer" = [])), responses((status = 202, description = "the job")))]
pub async fn start_shadow(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let row = lifecycle::managed(&state, &who, &id).await?;
    let job = shadow::start_shadow(&state, &who, &row, &body).await?;
    Ok((StatusCode::ACCEPTED, Json(shadow::job_json(&job))))
}

/// The latest shadow run: progress and ETA while it runs, the report once done.
#[utoipa::path(get, path = "/v1/policies/{id}/shadow", tag = "policies", security(("bearer" = [])), responses((status = 200, description = "the job")))]
pub async fn get_shadow(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    readable(&state, &who, &id).await?;
    let job = state
        .db
        .latest_job(&id, "shadow")
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(shadow::job_json(&job)))
}

/// The latest finished shadow run's distribution of payout changes, as SVG.
#[utoipa::path(get, path = "/v1/policies/{id}/shadow/chart.svg", tag = "policies", security(("bearer" = [])), responses((status = 200, description = "image/svg+xml")))]
pub async fn shadow_chart(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    readable(&state, &who, &id).await?;
    let report = state
        .db
        .latest_job(&id, "shadow")
        .await?
        .and_then(|j| j.report)
        .and_then(|r| serde_json::from_str::<Value>(&r).ok())
        .ok_or(ApiError::NotFound)?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        shadow::chart_svg(&report),
    )
        .into_response())
}

/// Approves an uploaded version (someone other than the uploader, after a shadow run).
#[utoipa::path(post, path = "/v1/policies/{id}/approve", tag = "policies", security(("bearer" = [])), responses((status = 200, description = "approved"), (status = 409, description = "shadow_required, different_approver_required, invalid_policy_transition")))]
pub async fn approve(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = lifecycle::approve(&state, &who, &id).await?;
    Ok(Json(lifecycle::policy_json(&row, &in_force_today(&state))))
}

/// Activates an approved version now, or at `{ "at": RFC 3339 }`.
#[utoipa::path(post, path = "/v1/policies/{id}/activate", tag = "policies", security(("bearer" = [])), responses((status = 200, description = "active or scheduled")))]
pub async fn activate(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Json<Value>, ApiError> {
    let at = match body.get("at") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(Timestamp::parse_rfc3339(s).map_err(|_| {
            ApiError::InvalidRequest(vec![FieldProblem::new(
                "at",
                "an instant with its offset, e.g. 2026-12-01T00:00:00+08:00",
            )])
        })?),
        Some(_) => {
            return Err(ApiError::InvalidRequest(vec![FieldProblem::new(
                "at",
                "an RFC 3339 string",
            )]));
        }
    };
    let row = lifecycle::activate(&state, &who, &id, at).await?;
    Ok(Json(lifecycle::policy_json(&row, &in_force_today(&state))))
}

/// Rolls the region back: its latest activated version is withdrawn and the previous one is in
/// force again.
#[utoipa::path(post, path = "/v1/regions/{region}/rollback", tag = "policies", security(("bearer" = [])), responses((status = 200, description = "{ rolled_back, in_force }"), (status = 409, description = "nothing_to_roll_back")))]
pub async fn rollback(
    State(state): State<AppState>,
    who: Principal,
    Path(region): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (rolled, previous) = lifecycle::rollback(&state, &who, &region).await?;
    let in_force = in_force_today(&state);
    Ok(Json(json!({
        "rolled_back": lifecycle::policy_json(&rolled, &in_force),
        "in_force": previous.map(|p| lifecycle::policy_json(&p, &in_force)),
    })))
}

/// Decides again, with an active version, the region's open claims on provisional lines and
/// its claims without a policy that the version now covers. 202 with the job.
#[utoipa::path(post, path = "/v1/policies/{id}/redecide", tag = "policies", security(("bearer" = [])), responses((status = 202, description = "the job")))]
pub async fn redecide(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let row = lifecycle::managed(&state, &who, &id).await?;
    let job = shadow::start_redecide(&state, &who, &row).await?;
    Ok((StatusCode::ACCEPTED, Json(shadow::job_json(&job))))
}

/// A job (shadow run or re-decision) by id.
#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "policies", security(("bearer" = [])), responses((status = 200, description = "the job")))]
pub async fn job(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let job = state.db.job(&id).await?.ok_or(ApiError::NotFound)?;
    readable(&state, &who, &job.policy_sha256).await?;
    Ok(Json(shadow::job_json(&job)))
}

/// Registers a region's signing key (admin): `{ "region", "public_key": hex }`.
#[utoipa::path(post, path = "/v1/keys", tag = "policies", security(("bearer" = [])), responses((status = 201, description = "the key")))]
pub async fn add_key(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let region = body["region"].as_str().unwrap_or_default();
    let public_key = body["public_key"].as_str().unwrap_or_default();
    let k = lifecycle::add_key(&state, &who, region, public_key).await?;
    Ok((StatusCode::CREATED, Json(lifecycle::key_json(&k))))
}

/// The signing keys: all for admins and auditors, its region's for a policy_admin.
#[utoipa::path(get, path = "/v1/keys", tag = "policies", security(("bearer" = [])), responses((status = 200, description = "{ items }")))]
pub async fn keys(State(state): State<AppState>, who: Principal) -> Result<Json<Value>, ApiError> {
    who.require(&[Role::Admin, Role::Auditor, Role::PolicyAdmin])?;
    let keys = state.db.keys(None).await?;
    let items: Vec<Value> = keys
        .iter()
        .filter(|k| who.role != Role::PolicyAdmin || who.regions.contains(&k.region))
        .map(lifecycle::key_json)
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// Revokes a signing key (admin).
#[utoipa::path(delete, path = "/v1/keys/{id}", tag = "policies", security(("bearer" = [])), responses((status = 204, description = "revoked")))]
pub async fn revoke_key(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    lifecycle::revoke_key(&state, &who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
