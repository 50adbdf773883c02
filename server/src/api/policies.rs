//! Regions, their policy versions, and the lifecycle: upload, shadow run, approval,
//! activation, rollback, re-decision, signing keys.

use super::error::ErrorBody;
use super::extract::{Body, OptionalBody, RequestBody};
use super::views::{
    InForceView, JobView, KeyView, List, PolicyDetailView, PolicyVersionView, RegionView,
    RegionsView, RollbackView,
};
use crate::AppState;
use crate::auth::Principal;
use crate::domain::JobKind;
use crate::error::{Code, Error};
use crate::jobs::{self, JobReport, ShadowRequest};
use crate::now;
use crate::policies::keys::NewKey;
use crate::policies::upload::{UploadMultipart, UploadRequest};
use crate::policies::{self, in_force_today, keys as signing, transitions};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use oip_engine::types::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

impl RequestBody for UploadRequest {}
impl RequestBody for ShadowRequest {}
impl RequestBody for NewKey {}
impl RequestBody for ActivateRequest {}

/// Regions with a deployed policy, and the version in force today.
#[utoipa::path(get, operation_id = "list_regions", path = "/v1/regions", tag = "policies", security(("bearer" = [])),
    responses((status = 200, description = "The regions.", body = RegionsView)))]
pub async fn regions(
    State(state): State<AppState>,
    _who: Principal,
) -> Result<Json<RegionsView>, Error> {
    let today = now().beijing_date();
    let rows = state.db.policies(None).await?;
    let registry = state.decider.registry();
    let items = registry
        .regions()
        .into_iter()
        .map(|region| {
            let in_force = registry.lookup(&region, today);
            RegionView {
                versions: rows.iter().filter(|r| r.region == region).count(),
                name: in_force.as_ref().map(|p| p.manifest().name.clone()),
                in_force_today: in_force.map(|p| InForceView {
                    policy_id: p.manifest().policy_id.clone(),
                    version: p.manifest().version.clone(),
                    sha256: p.sha256().to_string(),
                    effective_from: p.manifest().effective_from,
                }),
                region,
            }
        })
        .collect();
    Ok(Json(RegionsView { items, today }))
}

/// A region's policy versions, in activation order.
#[utoipa::path(get, operation_id = "list_region_policies", path = "/v1/regions/{region}/policies", tag = "policies", security(("bearer" = [])),
    params(("region" = String, Path, description = "ISO 3166-2:CN code.")),
    responses((status = 200, description = "The versions.", body = List<PolicyVersionView>)))]
pub async fn region_policies(
    State(state): State<AppState>,
    _who: Principal,
    Path(region): Path<String>,
) -> Result<Json<List<PolicyVersionView>>, Error> {
    let rows = state.db.policies(Some(&region)).await?;
    let in_force = in_force_today(&state);
    Ok(Json(List {
        items: rows
            .iter()
            .map(|r| PolicyVersionView::of(r, &in_force))
            .collect(),
    }))
}

/// Uploads a version (policy_admin of the region): checked, stored `uploaded`. 201 when
/// stored, 200 when the same module was stored before.
#[utoipa::path(post, operation_id = "upload_policy", path = "/v1/regions/{region}/policies", tag = "policies", security(("bearer" = [])),
    params(("region" = String, Path, description = "ISO 3166-2:CN code.")),
    request_body(description = "The module with its signature and cases: as JSON (the module in base64), or as `multipart/form-data` with the module file's raw bytes.",
        content((UploadRequest = "application/json"), (UploadMultipart = "multipart/form-data"))),
    responses((status = 201, description = "Stored, status `uploaded`.", body = PolicyVersionView),
              (status = 200, description = "The same module, stored before.", body = PolicyVersionView),
              (status = 403, description = "Not a policy_admin of the region.", body = ErrorBody),
              (status = 409, description = "`policy_release_not_newer`: the release number is not above the region's newest (an older version comes back through rollback).", body = ErrorBody),
              (status = 422, description = "Refused: `signature_required`, `signature_invalid`, `signing_key_wrong_region`, `policy_release_mismatch`, `policy_invalid`, `policy_incompatible`, `policy_limits`, `policy_region_mismatch`, `policy_window_invalid`, `policy_cases_required`, `policy_cases_failed`, `invalid_request`.", body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    who: Principal,
    Path(region): Path<String>,
    body: axum::extract::Request,
) -> Result<(StatusCode, Json<PolicyVersionView>), Error> {
    // Who may upload is settled before a byte of the body is read.
    policies::upload::may_upload(&who, &region)?;
    let multipart = body
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    let up = if multipart {
        let m = <axum::extract::Multipart as axum::extract::FromRequest<AppState>>::from_request(
            body, &state,
        )
        .await
        .map_err(|e| Error::new(crate::Code::MalformedRequest).detail(e.body_text()))?;
        policies::upload::UploadForm::read(m).await?.into_upload()?
    } else {
        let Body(req) =
            <Body<UploadRequest> as axum::extract::FromRequest<AppState>>::from_request(
                body, &state,
            )
            .await?;
        req.try_into()?
    };
    let (created, row) = policies::upload::upload(&state, &who, &region, up).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(PolicyVersionView::of(&row, &in_force_today(&state))),
    ))
}

async fn latest(state: &AppState, sha256: &str, kind: JobKind) -> Result<Option<JobView>, Error> {
    Ok(state.db.latest_job(sha256, kind).await?.map(|mut j| {
        j.report = None;
        JobView::from(&j)
    }))
}

/// A version, with its latest shadow run and re-decision.
#[utoipa::path(get, operation_id = "get_policy", path = "/v1/policies/{id}", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The version's id (its SHA-256).")),
    responses((status = 200, description = "The version.", body = PolicyDetailView),
              (status = 403, description = "A role that manages no policy.", body = ErrorBody),
              (status = 404, description = "Not found, or of another region.", body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<PolicyDetailView>, Error> {
    let row = policies::readable(&state, &who, &id).await?;
    Ok(Json(PolicyDetailView {
        version: PolicyVersionView::of(&row, &in_force_today(&state)),
        shadow: latest(&state, &id, JobKind::Shadow).await?,
        redecide: latest(&state, &id, JobKind::Redecide).await?,
    }))
}

/// Starts a shadow run over the region's stored claims (incident dates `from`, `to`, optional).
#[utoipa::path(post, operation_id = "start_shadow", path = "/v1/policies/{id}/shadow", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The version's id.")),
    request_body(content = Option<ShadowRequest>, description = "Optional: the incident dates to go through."),
    responses((status = 202, description = "Started.", body = JobView),
              (status = 403, description = "A role that manages no policy.", body = ErrorBody),
              (status = 404, description = "Not found, or of another region.", body = ErrorBody),
              (status = 409, description = "`job_running`.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: a date is not readable.", body = ErrorBody)))]
pub async fn start_shadow(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    OptionalBody(req): OptionalBody<ShadowRequest>,
) -> Result<(StatusCode, Json<JobView>), Error> {
    let row = policies::managed(&state, &who, &id).await?;
    let job = jobs::start_shadow(&state, &who, &row, &req).await?;
    Ok((StatusCode::ACCEPTED, Json(JobView::from(&job))))
}

/// The latest shadow run: progress and ETA while it runs, the report once done.
#[utoipa::path(get, operation_id = "get_shadow", path = "/v1/policies/{id}/shadow", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The version's id.")),
    responses((status = 200, description = "The job.", body = JobView),
              (status = 403, description = "A role that manages no policy.", body = ErrorBody),
              (status = 404, description = "Not found, or no shadow run yet.", body = ErrorBody)))]
pub async fn get_shadow(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<JobView>, Error> {
    policies::readable(&state, &who, &id).await?;
    let job = state
        .db
        .latest_job(&id, JobKind::Shadow)
        .await?
        .ok_or(Code::NotFound)?;
    Ok(Json(JobView::from(&job)))
}

/// The latest finished shadow run's distribution of payout changes, as SVG.
#[utoipa::path(get, operation_id = "shadow_chart", path = "/v1/policies/{id}/shadow/chart.svg", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The version's id.")),
    responses((status = 200, description = "The chart.", content_type = "image/svg+xml", body = String),
              (status = 403, description = "A role that manages no policy.", body = ErrorBody),
              (status = 404, description = "Not found, or no finished shadow run.", body = ErrorBody)))]
pub async fn shadow_chart(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    policies::readable(&state, &who, &id).await?;
    let job = state
        .db
        .latest_job(&id, JobKind::Shadow)
        .await?
        .ok_or(Code::NotFound)?;
    let Some(JobReport::Shadow(report)) = JobReport::of(&job) else {
        return Err(Code::NotFound.into());
    };
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        jobs::chart::chart_svg(&report),
    )
        .into_response())
}

/// Approves an uploaded version (a policy_admin of the region other than the uploader, after a
/// finished shadow run).
#[utoipa::path(post, operation_id = "approve_policy", path = "/v1/policies/{id}/approve", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The version's id.")),
    responses((status = 200, description = "Approved.", body = PolicyVersionView),
              (status = 403, description = "A role that manages no policy, or `approver_must_be_policy_admin` (an admin).", body = ErrorBody),
              (status = 404, description = "Not found, or of another region.", body = ErrorBody),
              (status = 409, description = "`shadow_required`, `different_approver_required`, `invalid_policy_transition`.", body = ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<PolicyVersionView>, Error> {
    let row = transitions::approve(&state, &who, &id).await?;
    Ok(Json(PolicyVersionView::of(&row, &in_force_today(&state))))
}

/// When to activate a version.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    /// An instant with its offset; now when absent or past.
    #[serde(default)]
    #[schema(value_type = Option<oip_engine::types::Timestamp>, example = "2027-01-01T00:00:00+08:00")]
    pub at: Option<String>,
}

/// Activates an approved version now, or schedules it at `at`.
#[utoipa::path(post, operation_id = "activate_policy", path = "/v1/policies/{id}/activate", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The version's id.")),
    request_body(content = Option<ActivateRequest>, description = "Optional: when."),
    responses((status = 200, description = "Active, or scheduled.", body = PolicyVersionView),
              (status = 403, description = "A role that manages no policy.", body = ErrorBody),
              (status = 404, description = "Not found, or of another region.", body = ErrorBody),
              (status = 409, description = "`invalid_policy_transition`.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: `at` is not readable.", body = ErrorBody)))]
pub async fn activate(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    OptionalBody(req): OptionalBody<ActivateRequest>,
) -> Result<Json<PolicyVersionView>, Error> {
    let at = req
        .at
        .as_deref()
        .map(|s| {
            Timestamp::parse_rfc3339(s).map_err(|_| {
                Error::field(
                    Code::InvalidRequest,
                    "at",
                    "an instant with its offset, e.g. 2026-12-01T00:00:00+08:00",
                )
            })
        })
        .transpose()?;
    let row = transitions::activate(&state, &who, &id, at).await?;
    Ok(Json(PolicyVersionView::of(&row, &in_force_today(&state))))
}

/// Rolls the region back: its latest activated version is withdrawn and the previous one is in
/// force again.
#[utoipa::path(post, operation_id = "rollback_region", path = "/v1/regions/{region}/rollback", tag = "policies", security(("bearer" = [])),
    params(("region" = String, Path, description = "ISO 3166-2:CN code.")),
    responses((status = 200, description = "Rolled back.", body = RollbackView),
              (status = 403, description = "Not a policy_admin of the region.", body = ErrorBody),
              (status = 409, description = "`nothing_to_roll_back`, `invalid_policy_transition`.", body = ErrorBody)))]
pub async fn rollback(
    State(state): State<AppState>,
    who: Principal,
    Path(region): Path<String>,
) -> Result<Json<RollbackView>, Error> {
    let (rolled, previous) = transitions::rollback(&state, &who, &region).await?;
    let in_force = in_force_today(&state);
    Ok(Json(RollbackView {
        rolled_back: PolicyVersionView::of(&rolled, &in_force),
        in_force: previous.map(|p| PolicyVersionView::of(&p, &in_force)),
    }))
}

/// Decides again, with an active version, the region's open claims on provisional lines and
/// its claims without a policy that the version now covers.
#[utoipa::path(post, operation_id = "redecide", path = "/v1/policies/{id}/redecide", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The version's id.")),
    responses((status = 202, description = "Started.", body = JobView),
              (status = 403, description = "A role that manages no policy.", body = ErrorBody),
              (status = 404, description = "Not found, or of another region.", body = ErrorBody),
              (status = 409, description = "`invalid_policy_transition` (not active), `job_running`.", body = ErrorBody)))]
pub async fn redecide(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<JobView>), Error> {
    let row = policies::managed(&state, &who, &id).await?;
    let job = jobs::start_redecide(&state, &who, &row).await?;
    Ok((StatusCode::ACCEPTED, Json(JobView::from(&job))))
}

/// A job (shadow run or re-decision) by id.
#[utoipa::path(get, operation_id = "get_job", path = "/v1/jobs/{id}", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id.")),
    responses((status = 200, description = "The job.", body = JobView),
              (status = 403, description = "A role that manages no policy.", body = ErrorBody),
              (status = 404, description = "Not found, or of another region.", body = ErrorBody)))]
pub async fn job(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<JobView>, Error> {
    let job = state.db.job(&id).await?.ok_or(Code::NotFound)?;
    policies::readable(&state, &who, &job.policy_sha256).await?;
    Ok(Json(JobView::from(&job)))
}

/// Proposes a region's signing key (admin): it signs nothing until another admin approves it.
#[utoipa::path(post, operation_id = "add_key", path = "/v1/keys", tag = "policies", security(("bearer" = [])),
    request_body = NewKey,
    responses((status = 201, description = "Proposed (`status: proposed`): another admin approves it at `POST /v1/keys/{id}/approve`.", body = KeyView),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 409, description = "`key_already_registered`.", body = ErrorBody),
              (status = 422, description = "`invalid_request`.", body = ErrorBody)))]
pub async fn add_key(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<NewKey>,
) -> Result<(StatusCode, Json<KeyView>), Error> {
    let k = signing::add_key(&state, &who, &req).await?;
    Ok((StatusCode::CREATED, Json(KeyView::from(&k))))
}

/// Approves a proposed signing key (an admin other than the one who proposed it).
#[utoipa::path(post, operation_id = "approve_key", path = "/v1/keys/{id}/approve", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The key's id.")),
    responses((status = 200, description = "Approved (`status: live`): it signs its region's modules.", body = KeyView),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 404, description = "No such key.", body = ErrorBody),
              (status = 409, description = "`second_admin_required` (the proposer), `key_not_proposed`.", body = ErrorBody)))]
pub async fn approve_key(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<KeyView>, Error> {
    Ok(Json(KeyView::from(
        &signing::approve_key(&state, &who, &id).await?,
    )))
}

/// The signing keys: all for admins and auditors, its region's for a policy_admin.
#[utoipa::path(get, operation_id = "list_keys", path = "/v1/keys", tag = "policies", security(("bearer" = [])),
    responses((status = 200, description = "The keys.", body = List<KeyView>),
              (status = 403, description = "Not an admin, auditor or policy_admin.", body = ErrorBody)))]
pub async fn keys(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<List<KeyView>>, Error> {
    Ok(Json(List::of(signing::list(&state, &who).await?)))
}

/// Revokes a signing key (admin): a proposed key at once; a live key takes two admins, the
/// first asks (202, `status: revocation_requested`, the key still signs), another carries it
/// out (204).
#[utoipa::path(delete, operation_id = "revoke_key", path = "/v1/keys/{id}", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The key's id.")),
    responses((status = 204, description = "Revoked."),
              (status = 202, description = "Revocation asked for; another admin carries it out.", body = KeyView),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 404, description = "No such key that is not revoked.", body = ErrorBody),
              (status = 409, description = "`second_admin_required`: this admin asked already.", body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<axum::response::Response, Error> {
    use axum::response::IntoResponse;
    Ok(match signing::revoke_key(&state, &who, &id).await? {
        signing::Revocation::Revoked => StatusCode::NO_CONTENT.into_response(),
        signing::Revocation::Requested(k) => {
            (StatusCode::ACCEPTED, Json(KeyView::from(&k))).into_response()
        }
    })
}
