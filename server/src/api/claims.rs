//! Claims routes: intake, reads, supplements, decisions, replay, evaluate.

use super::JsonBody;
use crate::auth::{Principal, Role};
use crate::claims::{self as svc, claim_json, decision_json_value, status};
use crate::db::store::ClaimRow;
use crate::error::{ApiError, FieldProblem};
use crate::{AppState, now, validate};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use oip_engine::types::{Document, Facts, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) async fn visible_claim(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<ClaimRow, ApiError> {
    let claim = state.db.claim(id).await?.ok_or(ApiError::NotFound)?;
    // A claim outside the caller's scope does not exist for it.
    if !who.may_see_claim(&claim.platform, &claim.region) {
        return Err(ApiError::NotFound);
    }
    Ok(claim)
}

/// Submit a claim (platform). Requires `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/claims", tag = "claims", security(("bearer" = [])),
    responses((status = 201, description = "stored and decided"), (status = 200, description = "the same key again: the same claim"),
              (status = 409, description = "key reused with another body, or platform_claim_ref taken"),
              (status = 422, description = "invalid claim, with the fields at fault")))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    who.require(&[Role::Platform])?;
    let platform = who.platform.clone().ok_or(ApiError::Forbidden)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or(ApiError::MissingHeader("Idempotency-Key"))?;
    let (claim, created) = svc::submit(&state, &who.token_id, &platform, key, &body).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(claim),
    ))
}

/// One claim (scoped to the caller).
#[utoipa::path(get, path = "/v1/claims/{id}", tag = "claims", security(("bearer" = [])),
    responses((status = 200, description = "the claim and its current decision"), (status = 404, description = "not found or not visible")))]
pub async fn get_one(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let claim = visible_claim(&state, &who, &id).await?;
    let decision = match &claim.decision_id {
        Some(d) => state.db.decision(d).await?,
        None => None,
    };
    Ok(Json(claim_json(&claim, decision.as_ref())))
}

/// Filters of the claim list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    region: Option<String>,
    cursor: Option<String>,
    limit: Option<u64>,
}

/// Claims visible to the caller, newest first, paginated by cursor.
#[utoipa::path(get, path = "/v1/claims", tag = "claims", security(("bearer" = [])),
    params(("status" = Option<String>, Query), ("region" = Option<String>, Query), ("cursor" = Option<String>, Query), ("limit" = Option<u64>, Query)),
    responses((status = 200, description = "{ items, next_cursor }")))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let (platform, regions) = who.claim_scope();
    let rows = state
        .db
        .claims(
            platform.as_deref(),
            regions.as_deref(),
            q.status.as_deref(),
            q.region.as_deref(),
            q.cursor.as_deref(),
            limit,
        )
        .await?;
    let next = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.id.clone()))
        .flatten();
    let items: Vec<Value> = rows.iter().map(|r| claim_json(r, None)).collect();
    Ok(Json(json!({ "items": items, "next_cursor": next })))
}

/// A claim's decisions, oldest first (append-only).
#[utoipa::path(get, path = "/v1/claims/{id}/decisions", tag = "claims", security(("bearer" = [])),
    responses((status = 200, description = "{ items }")))]
pub async fn decisions(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let claim = visible_claim(&state, &who, &id).await?;
    let rows = state.db.decisions_of(&claim.id).await?;
    Ok(Json(
        json!({ "items": rows.iter().map(decision_json_value).collect::<Vec<_>>() }),
    ))
}

/// Documents or facts added after a supplement notice; the claim is decided again.
#[utoipa::path(post, path = "/v1/claims/{id}/supplements", tag = "claims", security(("bearer" = [])),
    responses((status = 200, description = "decided again"), (status = 409, description = "the claim is not waiting for information")))]
pub async fn supplement(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    who.require(&[Role::Platform])?;
    let claim = visible_claim(&state, &who, &id).await?;
    if claim.status != status::NEEDS_INFORMATION {
        return Err(ApiError::Conflict(format!(
            "claim is {}, not needs_information",
            claim.status
        )));
    }
    let facts = amend(&claim.facts, &body, now())?;
    let (updated, decision) = svc::decide_again(&state, &claim, &facts, "supplement").await?;
    let decision = match decision {
        Some(d) => Some(d),
        None => match &updated.decision_id {
            Some(d) => state.db.decision(d).await?,
            None => None,
        },
    };
    Ok(Json(claim_json(&updated, decision.as_ref())))
}

/// Applies a supplement `{ "documents": [...], "facts": {...} }` to stored canonical facts.
/// `facts` is merged into the stored facts; the region, the order and the incident time
/// cannot change.
pub fn amend(stored: &str, body: &Value, at: Timestamp) -> Result<Facts, ApiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::Invalid(vec![FieldProblem::new("", "must be an object")]))?;
    let mut problems = Vec::new();
    for k in obj.keys() {
        if k != "documents" && k != "facts" {
            problems.push(FieldProblem::new(k.clone(), "unknown field"));
        }
    }
    let added: Vec<Document> =
        validate::documents(obj.get("documents"), "documents", &mut problems);
    let mut facts: Value =
        serde_json::from_str(stored).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(patch) = obj.get("facts") {
        for frozen in ["region", "order"] {
            if patch.get(frozen).is_some() {
                problems.push(FieldProblem::new(
                    format!("facts.{frozen}"),
                    "cannot change after intake",
                ));
            }
        }
        if patch
            .get("incident")
            .and_then(|i| i.get("occurred_at"))
            .is_some()
        {
            problems.push(FieldProblem::new(
                "facts.incident.occurred_at",
                "cannot change after intake",
            ));
        }
        merge(&mut facts, patch);
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let mut facts: Facts = serde_json::from_value(facts)
        .map_err(|e| ApiError::Invalid(vec![FieldProblem::new("facts", e.to_string())]))?;
    facts.documents.extend(added);
    facts.application.complete_at = Some(at);
    Ok(facts)
}

fn merge(into: &mut Value, patch: &Value) {
    match (into, patch) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// Re-runs a stored decision on the same module bytes and canonical facts.
#[utoipa::path(post, path = "/v1/decisions/{id}/replay", tag = "claims", security(("bearer" = [])),
    responses((status = 200, description = "{ identical, decision }")))]
pub async fn replay(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let d = state.db.decision(&id).await?.ok_or(ApiError::NotFound)?;
    visible_claim(&state, &who, &d.claim_id).await?;
    Ok(Json(svc::replay(&state, &d).await?))
}

/// Decides without storing anything: a claim report, or `{ "facts": ... }`.
#[utoipa::path(post, path = "/v1/evaluate", tag = "claims", security(("bearer" = [])),
    responses((status = 200, description = "the decision"), (status = 422, description = "invalid, or no policy in force")))]
pub async fn evaluate(
    State(state): State<AppState>,
    _who: Principal,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let facts: Facts = match body.get("facts") {
        Some(f) => serde_json::from_value(f.clone())
            .map_err(|e| ApiError::Invalid(vec![FieldProblem::new("facts", e.to_string())]))?,
        None => {
            validate::claim(&body, now())
                .map_err(ApiError::Invalid)?
                .facts
        }
    };
    match state.decider.try_decide(facts).await {
        Ok(e) => Ok(Json(
            json!({ "decision": e.decision, "policy": e.provenance }),
        )),
        Err(oip_engine::Error::NoPolicyInForce { region, date }) => {
            Err(ApiError::NoPolicyInForce { region, date })
        }
        Err(oip_engine::Error::Busy { .. }) => Err(ApiError::Busy),
        Err(oip_engine::Error::Guest { error, .. }) => Err(ApiError::PolicyError {
            code: error.code,
            message: (error.message.zh, error.message.en),
            field: error.field,
        }),
        Err(e) => Err(ApiError::Engine(e.to_string())),
    }
}
