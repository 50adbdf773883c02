//! Claims routes: intake, reads, search, supplements, decisions, replay, evaluate.

use super::error::ErrorBody;
use super::extract::{Body, IdempotencyKey, Query, RawBody, RequestBody};
use super::params;
use super::views::{ClaimView, DecisionView, EvaluationView, List, Page, ReplayView};
use crate::AppState;
use crate::auth::{Principal, Role};
use crate::claims;
use crate::db::claims::ClaimFilter;
use crate::domain::ClaimStatus;
use crate::error::{Code, Error};
use crate::validate::{self, ClaimReport, SupplementRequest};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use oip_engine::types::Facts;
use serde::Deserialize;
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

impl RequestBody for ClaimReport {
    const CODE: Code = Code::InvalidClaim;
}

impl RequestBody for SupplementRequest {
    const CODE: Code = Code::InvalidClaim;
}

/// Submit a claim (platform): validated, decided by the region's policy, stored durably.
/// A repeat with the same `Idempotency-Key` and body returns the stored claim (200).
#[utoipa::path(post, operation_id = "submit_claim", path = "/v1/claims", tag = "claims", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "The platform's key for this submission (1 to 200 printable ASCII characters); a repeat returns the same claim.",
        min_length = 1, max_length = 200, pattern = "^[!-~]([ -~]{0,198}[!-~])?$")),
    request_body = ClaimReport,
    responses(
        (status = 201, description = "Stored and decided.", body = ClaimView),
        (status = 200, description = "The same key and body again: the claim stored before.", body = ClaimView),
        (status = 400, description = "`missing_header`, or `malformed_request` (not JSON).", body = ErrorBody),
        (status = 403, description = "Not a platform token.", body = ErrorBody),
        (status = 409, description = "`idempotency_key_reused` (another body), or `duplicate_platform_claim_ref`.", body = ErrorBody),
        (status = 422, description = "`invalid_claim`, with every field at fault.", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    IdempotencyKey(key): IdempotencyKey,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<ClaimView>), Error> {
    who.require(&[Role::Platform])?;
    let report = validate::parse::<ClaimReport>(&body, Code::InvalidClaim);
    if let Err(e) = &report
        && e.code == Code::MalformedRequest
    {
        return Err(e.clone());
    }
    let (claim, created) = claims::submit(&state, &who, &key, report).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ClaimView::from(&claim).seen_by(&who))))
}

/// One claim, with its current decision (scoped to the caller).
#[utoipa::path(get, operation_id = "get_claim", path = "/v1/claims/{id}", tag = "claims", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id.")),
    responses((status = 200, description = "The claim.", body = ClaimView),
              (status = 404, description = "Not found, or not visible to the caller.", body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<ClaimView>, Error> {
    Ok(Json(
        ClaimView::from(&claims::read(&state, &who, &id).await?).seen_by(&who),
    ))
}

/// A search of claims.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only claims in this status.
    status: Option<ClaimStatus>,
    /// Only claims of this region.
    #[param(value_type = Option<crate::domain::RegionCode>)]
    region: Option<String>,
    /// Only claims of this platform (adjusters, auditors, admins).
    #[param(min_length = 1, max_length = 64)]
    platform: Option<String>,
    /// Only the claim with this platform reference.
    #[param(min_length = 1, max_length = 128)]
    platform_claim_ref: Option<String>,
    /// Only incidents on or after this date.
    #[param(value_type = Option<oip_engine::types::Date>)]
    incident_from: Option<String>,
    /// Only incidents on or before this date.
    #[param(value_type = Option<oip_engine::types::Date>)]
    incident_to: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 64)]
    cursor: Option<String>,
    /// Claims per page (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u64>,
}

/// Claims visible to the caller, newest first, a page at a time: a platform sees its own, an
/// adjuster its regions'. Filtered by status, region, platform, platform reference and incident
/// dates.
#[utoipa::path(get, operation_id = "list_claims", path = "/v1/claims", tag = "claims", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of claims (without their decisions).", body = Page<ClaimView>),
              (status = 422, description = "`invalid_request`: a parameter is not readable.", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<ClaimView>>, Error> {
    let limit = params::limit(q.limit, 50, 500)?;
    let from = params::date("incident_from", q.incident_from.as_deref())?;
    let to = params::date("incident_to", q.incident_to.as_deref())?;
    let cursor = params::text("cursor", q.cursor, 64)?;
    let filter = ClaimFilter {
        status: q.status,
        region: params::region("region", q.region)?,
        platform: params::text("platform", q.platform, 64)?,
        platform_claim_ref: params::text("platform_claim_ref", q.platform_claim_ref, 128)?,
        incident_from: from.map(|d| d.start_beijing().0),
        incident_to: to.map(|d| d.start_beijing().0 + 86_399),
    };
    let (rows, next_cursor) =
        claims::search(&state, &who, &filter, cursor.as_deref(), limit).await?;
    Ok(Json(Page {
        items: rows
            .iter()
            .map(|r| ClaimView::from(r).seen_by(&who))
            .collect(),
        next_cursor,
    }))
}

/// A claim's decisions, oldest first (append-only).
#[utoipa::path(get, operation_id = "list_decisions", path = "/v1/claims/{id}/decisions", tag = "claims", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id.")),
    responses((status = 200, description = "Every decision of the claim.", body = List<DecisionView>),
              (status = 404, description = "Not found, or not visible.", body = ErrorBody)))]
pub async fn decisions(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<List<DecisionView>>, Error> {
    let claim = claims::visible(&state, &who, &id).await?;
    let rows = state.db.decisions_of(&claim.id).await?;
    Ok(Json(List {
        items: rows.iter().map(DecisionView::from).collect(),
    }))
}

/// Documents or facts added after a supplement notice (platform); the claim is decided again.
/// The region, the order and the incident's time cannot change.
#[utoipa::path(post, operation_id = "supplement_claim", path = "/v1/claims/{id}/supplements", tag = "claims", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id.")),
    request_body = SupplementRequest,
    responses((status = 200, description = "Decided again.", body = ClaimView),
              (status = 403, description = "Not a platform token.", body = ErrorBody),
              (status = 404, description = "Not found, or not visible.", body = ErrorBody),
              (status = 409, description = "`invalid_transition`: the claim is not waiting for information; `conflict`.", body = ErrorBody),
              (status = 422, description = "`invalid_claim`: the amended facts fail a check.", body = ErrorBody)))]
pub async fn supplement(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Body(req): Body<SupplementRequest>,
) -> Result<Json<ClaimView>, Error> {
    who.require(&[Role::Platform])?;
    Ok(Json(
        ClaimView::from(&claims::supplement(&state, &who, &id, &req).await?).seen_by(&who),
    ))
}

impl RequestBody for claims::appraisal::AppraisalRequest {}

/// A labour-ability appraisal conclusion (the claim's platform, or an adjuster of its region),
/// on a claim whose injury is determined covered: it becomes the claim's assessment and the
/// claim is decided again, reviewed like any decision. A re-appraisal arrives the same way.
#[utoipa::path(post, operation_id = "submit_appraisal", path = "/v1/claims/{id}/appraisals", tag = "claims", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id.")),
    request_body = claims::appraisal::AppraisalRequest,
    responses((status = 200, description = "Decided again on the appraisal.", body = ClaimView),
              (status = 403, description = "Not a platform or an adjuster.", body = ErrorBody),
              (status = 404, description = "Not found, or not visible.", body = ErrorBody),
              (status = 409, description = "`claim_not_covered` (field `id`): the injury is not determined covered; `invalid_transition`: not pending review or approved; `conflict`.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: `concluded_on` before the incident or after today, `disability_grade` out of range, `appraisal_body` empty.", body = ErrorBody)))]
pub async fn appraisal(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Body(req): Body<claims::appraisal::AppraisalRequest>,
) -> Result<Json<ClaimView>, Error> {
    let stored = claims::appraisal::submit(&state, &who, &id, &req).await?;
    Ok(Json(ClaimView::from(&stored).seen_by(&who)))
}

impl RequestBody for claims::bills::BillRequest {}

/// A medical bill (the claim's platform, or an adjuster of its region), each once by its
/// number, on a claim whose injury is determined covered: its costs are added to the claim's
/// medical facts and the claim is decided again, reviewed like any decision.
#[utoipa::path(post, operation_id = "submit_bill", path = "/v1/claims/{id}/bills", tag = "claims", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id.")),
    request_body = claims::bills::BillRequest,
    responses((status = 200, description = "Decided again with the bill's costs.", body = ClaimView),
              (status = 403, description = "Not a platform or an adjuster.", body = ErrorBody),
              (status = 404, description = "Not found, or not visible.", body = ErrorBody),
              (status = 409, description = "`bill_already_submitted` (field `number`); `claim_not_covered` (field `id`); `invalid_transition`; `conflict`.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: `issued_on` before the incident or after today, `inpatient_days` on an outpatient bill, an amount out of range.", body = ErrorBody)))]
pub async fn bill(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Body(req): Body<claims::bills::BillRequest>,
) -> Result<Json<ClaimView>, Error> {
    let stored = claims::bills::submit(&state, &who, &id, &req).await?;
    Ok(Json(ClaimView::from(&stored).seen_by(&who)))
}

/// Re-runs a stored decision on the same module bytes and canonical facts.
#[utoipa::path(post, operation_id = "replay_decision", path = "/v1/decisions/{id}/replay", tag = "claims", security(("bearer" = [])),
    params(("id" = String, Path, description = "The decision's id.")),
    responses((status = 200, description = "Whether the replay is byte-identical, and what it gave.", body = ReplayView),
              (status = 404, description = "Not found, or not visible.", body = ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<ReplayView>, Error> {
    let d = state.db.decision(&id).await?.ok_or(Code::NotFound)?;
    claims::visible(&state, &who, &d.claim_id).await?;
    Ok(Json(ReplayView::from(&claims::replay(&state, &d).await?)))
}

/// What `POST /v1/evaluate` decides: a claim report (validated as intake validates it), or
/// facts as a policy reads them.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum EvaluateRequest {
    /// The facts as a policy reads them.
    Facts {
        /// The facts.
        facts: Facts,
    },
    /// A claim report.
    Report(Box<ClaimReport>),
}

/// Which version `POST /v1/evaluate` decides with.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EvaluateQuery {
    /// A dry run with this uploaded version (its id, the module's SHA-256) instead of the one
    /// in force: any version the caller may read (a policy_admin, their region's), in any
    /// status. Its region must be the facts' region.
    #[param(pattern = "^[0-9a-f]{64}$")]
    policy: Option<String>,
}

/// Decides without storing anything, with the version in force or, for a dry run, a given one.
#[utoipa::path(post, operation_id = "evaluate", path = "/v1/evaluate", tag = "claims", security(("bearer" = [])),
    params(EvaluateQuery),
    request_body = EvaluateRequest,
    responses((status = 200, description = "The decision.", body = EvaluationView),
              (status = 403, description = "An auditor's or an admin's token, a region the adjuster or policy_admin does not work for, or `policy` given by a role that manages no policy.", body = ErrorBody),
              (status = 404, description = "`policy` names no version the caller may read.", body = ErrorBody),
              (status = 422, description = "`invalid_claim` (every field at fault, facts or report), `no_policy_in_force`, `policy_region_mismatch` (`policy` is of another region than the facts), or `policy_error` (the module cannot decide these facts).", body = ErrorBody),
              (status = 502, description = "`engine_error`: the module failed.", body = ErrorBody)))]
pub async fn evaluate(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<EvaluateQuery>,
    RawBody(body): RawBody,
) -> Result<Json<EvaluationView>, Error> {
    who.require(&[Role::Platform, Role::Adjuster, Role::PolicyAdmin])?;
    // On the calendar in force, as a claim would be (whatever calendar the body gave).
    let facts =
        crate::calendars::with_calendar(&state, validate::facts_of_body(&body, crate::now())?);
    // An adjuster or a policy_admin tries the regions they work for; a platform any region
    // (its workers are injured anywhere).
    if who.role != Role::Platform && !who.regions.iter().any(|r| *r == facts.region) {
        return Err(Code::Forbidden.into());
    }
    let e = match q.policy {
        None => state.decider.try_decide(facts).await?,
        Some(id) => {
            let row = crate::policies::readable(&state, &who, &id).await?;
            if row.region != facts.region {
                return Err(Error::field(
                    Code::PolicyRegionMismatch,
                    "policy",
                    format!("version of {}, facts of {}", row.region, facts.region),
                ));
            }
            let module = state
                .decider
                .module(&state.db, &row.sha256)
                .await
                .map_err(Error::internal)?
                .ok_or(Code::NotFound)?;
            state.decider.try_decide_with(module, facts).await?
        }
    };
    let decision = RawValue::from_string(String::from_utf8_lossy(&e.decision_json).into_owned())
        .map_err(|e| Error::internal(e.to_string()))?;
    Ok(Json(EvaluationView {
        decision,
        policy: e.provenance,
    }))
}
