//! Regions and their policy versions (reads; the upload lifecycle comes with its own issue).

use crate::auth::Principal;
use crate::error::ApiError;
use crate::{AppState, now};
use axum::Json;
use axum::extract::{Path, State};
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
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "sha256": r.sha256,
                "region": r.region,
                "policy_id": r.policy_id,
                "version": r.version,
                "effective_from": r.effective_from,
                "effective_to": r.effective_to,
                "status": r.status,
                "sequence": r.sequence,
                "source": r.source,
                "created_at": r.created_at,
                "manifest": serde_json::from_str::<Value>(&r.manifest).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}
