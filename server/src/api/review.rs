//! Adjusters' routes: review actions, the queue, appeals, the audit trail, platform events,
//! the decision notice, and (audited) reads of a worker's personal data.

use super::JsonBody;
use crate::auth::{Principal, Role};
use crate::db::writer::AuditDraft;
use crate::error::{ApiError, FieldProblem};
use crate::workflow::{self, ReviewRequest, Workflow};
use crate::{AppState, now};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use oip_engine::types::{Date, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

/// Review a claim (adjuster of its region): approve, override, deny, request information, close.
#[utoipa::path(post, path = "/v1/claims/{id}/review", tag = "review", security(("bearer" = [])),
    responses((status = 200, description = "{ review_id, status, review }"), (status = 409, description = "not allowed in this status, or four eyes")))]
pub async fn review(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    who.require(&[Role::Adjuster])?;
    let claim = super::claims::visible_claim(&state, &who, &id).await?;
    let req: ReviewRequest = serde_json::from_value(body)
        .map_err(|e| ApiError::Invalid(vec![FieldProblem::new("", e.to_string())]))?;
    Ok(Json(workflow::review(&state, &who, &claim, req).await?))
}

/// An appeal body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    grounds: String,
}

/// Appeal an approval or a denial (platform, on the worker's behalf).
#[utoipa::path(post, path = "/v1/claims/{id}/appeal", tag = "review", security(("bearer" = [])),
    responses((status = 200, description = "appealed"), (status = 409, description = "not approved or denied")))]
pub async fn appeal(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    who.require(&[Role::Platform])?;
    let claim = super::claims::visible_claim(&state, &who, &id).await?;
    let req: AppealRequest = serde_json::from_value(body)
        .map_err(|e| ApiError::Invalid(vec![FieldProblem::new("grounds", e.to_string())]))?;
    Ok(Json(
        workflow::appeal(&state, &who, &claim, &req.grounds).await?,
    ))
}

/// A claim's review history.
#[utoipa::path(get, path = "/v1/claims/{id}/reviews", tag = "review", security(("bearer" = [])), responses((status = 200, description = "{ items }")))]
pub async fn reviews(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let claim = super::claims::visible_claim(&state, &who, &id).await?;
    Ok(Json(
        json!({ "items": state.db.reviews_of(&claim.id).await? }),
    ))
}

/// The due date of a claim in the queue, and why.
fn due_of(state_due: Option<&str>, w: &Workflow, created_at: &str) -> Option<Date> {
    if let Some(a) = &w.appeal {
        let filed = Timestamp::parse_rfc3339(&a.filed_at).ok()?.beijing_date();
        return Some(oip_sdk::calendar::add_working_days(filed, 30).date);
    }
    if let Some(d) = state_due.and_then(|d| Date::parse(d).ok()) {
        return Some(d);
    }
    let created = Timestamp::parse_rfc3339(created_at).ok()?.beijing_date();
    Some(oip_sdk::calendar::add_working_days(created, 30).date)
}

/// The adjuster's queue: its regions' claims waiting for a person, oldest due date first.
#[utoipa::path(get, path = "/v1/review/queue", tag = "review", security(("bearer" = [])), responses((status = 200, description = "{ items, today }")))]
pub async fn queue(State(state): State<AppState>, who: Principal) -> Result<Json<Value>, ApiError> {
    who.require(&[Role::Adjuster])?;
    let statuses = [
        "pending_review",
        workflow::AWAITING_SECOND,
        workflow::APPEALED,
        workflow::APPROVED,
    ];
    let rows = state
        .db
        .claims_in(Some(&who.regions), &statuses, 2000)
        .await?;
    let today = now().beijing_date();
    let mut items = Vec::new();
    for c in rows {
        let w = Workflow::of(&c);
        if c.status == workflow::APPROVED && !w.quality_review {
            continue;
        }
        let d = match &c.decision_id {
            Some(id) => state.db.decision(id).await?,
            None => None,
        };
        let body: Value = d
            .as_ref()
            .and_then(|d| serde_json::from_str(&d.body).ok())
            .unwrap_or(Value::Null);
        let due = due_of(body["due"]["determination"].as_str(), &w, &c.created_at);
        let queue = if c.status == workflow::APPROVED {
            "quality_review"
        } else {
            c.status.as_str()
        };
        items.push(json!({
            "id": c.id,
            "region": c.region,
            "status": c.status,
            "queue": queue,
            "outcome": body["outcome"],
            "fast_track": body["fast_track"],
            "due": due,
            "overdue": due.is_some_and(|d| d < today),
            "created_at": c.created_at,
            "proposal_by": w.proposal.as_ref().map(|p| p.by.clone()),
        }));
    }
    items.sort_by(|a, b| {
        a["due"]
            .as_str()
            .unwrap_or("9999")
            .cmp(b["due"].as_str().unwrap_or("9999"))
            .then(a["id"].as_str().cmp(&b["id"].as_str()))
    });
    Ok(Json(json!({ "items": items, "today": today })))
}

/// Audit query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    claim: Option<String>,
    after: Option<i64>,
    limit: Option<u64>,
}

/// The audit trail (auditor, admin), optionally of one claim.
#[utoipa::path(get, path = "/v1/audit", tag = "review", security(("bearer" = [])),
    params(("claim" = Option<String>, Query), ("after" = Option<i64>, Query)), responses((status = 200, description = "{ items }")))]
pub async fn audit(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    who.require(&[Role::Auditor, Role::Admin])?;
    let rows = state
        .db
        .audit(
            q.claim.as_deref(),
            q.after.unwrap_or(0),
            q.limit.unwrap_or(500).clamp(1, 5000),
        )
        .await?;
    Ok(Json(json!({ "items": rows })))
}

/// Events query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    after: Option<i64>,
    limit: Option<u64>,
}

/// A platform's events after a cursor: status changes, supplement notices, decisions.
#[utoipa::path(get, path = "/v1/events", tag = "review", security(("bearer" = [])),
    params(("after" = Option<i64>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "{ items, next_cursor }")))]
pub async fn events(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<EventsQuery>,
) -> Result<Json<Value>, ApiError> {
    who.require(&[Role::Platform])?;
    let platform = who.platform.clone().ok_or(ApiError::Forbidden)?;
    let after = q.after.unwrap_or(0);
    let items = state
        .db
        .events(&platform, after, q.limit.unwrap_or(100).clamp(1, 1000))
        .await?;
    let next = items
        .last()
        .and_then(|e| e["seq"].as_i64())
        .unwrap_or(after);
    Ok(Json(json!({ "items": items, "next_cursor": next })))
}

/// Notice query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    lang: Option<String>,
}

/// The printable decision notice (zh-CN; `?lang=en` for English).
#[utoipa::path(get, path = "/v1/claims/{id}/notice", tag = "review", security(("bearer" = [])), responses((status = 200, description = "HTML")))]
pub async fn notice(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, ApiError> {
    let claim = super::claims::visible_claim(&state, &who, &id).await?;
    let d = match &claim.decision_id {
        Some(d) => state.db.decision(d).await?,
        None => None,
    };
    let en = q.lang.as_deref() == Some("en");
    Ok(Html(crate::notice::render(&claim, d.as_ref(), en)).into_response())
}

/// The worker's personal data, decrypted (adjuster of the region, auditor, admin). Every read
/// is written to the audit trail before the answer leaves.
#[utoipa::path(get, path = "/v1/claims/{id}/worker", tag = "review", security(("bearer" = [])), responses((status = 200, description = "the worker's personal data")))]
pub async fn worker(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    who.require(&[Role::Adjuster, Role::Auditor, Role::Admin])?;
    let claim = super::claims::visible_claim(&state, &who, &id).await?;
    let sealed = state
        .db
        .worker_sealed(&claim.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let plain = state
        .keys
        .open(&sealed)
        .ok_or_else(|| ApiError::Internal("personal data does not decrypt".into()))?;
    let worker: Value =
        serde_json::from_slice(&plain).map_err(|e| ApiError::Internal(e.to_string()))?;
    let audit = vec![AuditDraft {
        actor: who.token_id.clone(),
        action: "claim.personal_data_read".into(),
        claim_id: Some(claim.id.clone()),
        before: None,
        after: Some(json!({ "fields": ["id_number", "name", "birth_date", "phone"] })),
    }];
    state
        .writer
        .submit_logged(None, vec![], audit, vec![])
        .await?;
    Ok(Json(json!({ "claim_id": claim.id, "worker": worker })))
}
