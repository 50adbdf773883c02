//! `/v1/payments/...` and `/v1/claims/{id}/schedule`: the payment ledger and the monthly runs
//! (see [`crate::payments`]).

use super::error::ErrorBody;
use super::extract::{Body, Query, RequestBody};
use super::views::List;
use crate::AppState;
use crate::auth::Principal;
use crate::error::Error;
use crate::payments::{
    self, EntryView, Outlay, ReturnsRequest, RunLines, RunRequest, RunView, Schedule,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

impl RequestBody for RunRequest {}
impl RequestBody for ReturnsRequest {}

/// Starts the payment run of a region and month (a payments officer of the region). It builds
/// in the background; a run for the same region and month is the same run.
#[utoipa::path(post, operation_id = "start_payment_run", path = "/v1/payments/runs", tag = "payments", security(("bearer" = [])),
    request_body = RunRequest,
    responses((status = 202, description = "Started: it builds in the background (`status` `building`, then `built`).", body = RunView),
              (status = 200, description = "The run of this region and month, started before.", body = RunView),
              (status = 403, description = "Not a payments officer, or not of the region.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: `region` unknown, `month` in the future.", body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<RunRequest>,
) -> Result<(StatusCode, Json<RunView>), Error> {
    let (run, started) = payments::start(&state, &who, &req).await?;
    let status = if started {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(run)))
}

/// The payment runs (officers: of their regions; auditors and admins: all), newest month first.
#[utoipa::path(get, operation_id = "list_payment_runs", path = "/v1/payments/runs", tag = "payments", security(("bearer" = [])),
    responses((status = 200, description = "The runs.", body = List<RunView>),
              (status = 403, description = "Not a payments officer, auditor or admin.", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<List<RunView>>, Error> {
    Ok(Json(List {
        items: payments::list(&state, &who).await?,
    }))
}

/// A payment run with its totals by payer, item and kind.
#[utoipa::path(get, operation_id = "get_payment_run", path = "/v1/payments/runs/{id}", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The run's id.")),
    responses((status = 200, description = "The run.", body = RunView),
              (status = 403, description = "Not a payments officer, auditor or admin.", body = ErrorBody),
              (status = 404, description = "Not found, or not of the officer's regions.", body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<RunView>, Error> {
    Ok(Json(payments::get(&state, &who, &id).await?))
}

/// A page of lines.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LinesQuery {
    /// The `next` of the page before.
    #[param(min_length = 1, max_length = 200)]
    after: Option<String>,
    /// Lines per page (default 1000).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<u64>,
}

/// A run's lines, each with its decision, module version and rule.
#[utoipa::path(get, operation_id = "payment_run_lines", path = "/v1/payments/runs/{id}/lines", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The run's id."), LinesQuery),
    responses((status = 200, description = "A page of lines, in id order.", body = RunLines),
              (status = 403, description = "Not a payments officer, auditor or admin.", body = ErrorBody),
              (status = 404, description = "Not found, or not of the officer's regions.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: `limit` out of range.", body = ErrorBody)))]
pub async fn lines(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<LinesQuery>,
) -> Result<Json<RunLines>, Error> {
    let limit = super::params::limit(q.limit, 1000, 10_000)?;
    let after = super::params::text("after", q.after, 200)?;
    Ok(Json(
        payments::lines(&state, &who, &id, after.as_deref(), limit).await?,
    ))
}

/// Releases a built run (a payments officer of the region, not the one who started it): the
/// run is frozen and its lines are paid.
#[utoipa::path(post, operation_id = "release_payment_run", path = "/v1/payments/runs/{id}/release", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The run's id.")),
    responses((status = 200, description = "Released.", body = RunView),
              (status = 403, description = "Not a payments officer.", body = ErrorBody),
              (status = 404, description = "Not found, or not of the officer's regions.", body = ErrorBody),
              (status = 409, description = "`payment_run_second_officer_required` (the officer who started it), `payment_run_not_built`, `payment_run_released`.", body = ErrorBody)))]
pub async fn release(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<RunView>, Error> {
    Ok(Json(payments::release(&state, &who, &id).await?))
}

/// Records payments of a released run that the bank returned: each is owed again, in the
/// region's next run.
#[utoipa::path(post, operation_id = "payment_returns", path = "/v1/payments/runs/{id}/returns", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The run's id.")),
    request_body = ReturnsRequest,
    responses((status = 200, description = "The entries that owe them again.", body = List<EntryView>),
              (status = 403, description = "Not a payments officer.", body = ErrorBody),
              (status = 404, description = "Not found, or not of the officer's regions.", body = ErrorBody),
              (status = 409, description = "`payment_run_not_released`.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: an entry not of the run, or not paid.", body = ErrorBody)))]
pub async fn returns(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Body(req): Body<ReturnsRequest>,
) -> Result<Json<List<EntryView>>, Error> {
    Ok(Json(List {
        items: payments::returns(&state, &who, &id, &req).await?,
    }))
}

/// The bank file of a released run as CSV: one line per payee (claim, payee, payer), amounts
/// in yuan with two decimals, and a last line `#checksum,count,total,algorithm:digest`.
#[utoipa::path(get, operation_id = "payment_run_csv", path = "/v1/payments/runs/{id}/bank-file.csv", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The run's id.")),
    responses((status = 200, description = "The file.", content_type = "text/csv", body = String),
              (status = 403, description = "Not a payments officer, auditor or admin.", body = ErrorBody),
              (status = 404, description = "Not found, or not of the officer's regions.", body = ErrorBody),
              (status = 409, description = "`payment_run_not_released`.", body = ErrorBody)))]
pub async fn bank_csv(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let csv = payments::export_csv(&state, &who, &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}

/// The bank file of a released run as JSON.
#[utoipa::path(get, operation_id = "payment_run_json", path = "/v1/payments/runs/{id}/bank-file.json", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The run's id.")),
    responses((status = 200, description = "The payees and totals.", body = Object),
              (status = 403, description = "Not a payments officer, auditor or admin.", body = ErrorBody),
              (status = 404, description = "Not found, or not of the officer's regions.", body = ErrorBody),
              (status = 409, description = "`payment_run_not_released`.", body = ErrorBody)))]
pub async fn bank_json(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, Error> {
    Ok(Json(payments::export_json(&state, &who, &id).await?))
}

/// A region's monthly outlay: the sum of each month's run.
#[utoipa::path(get, operation_id = "region_outlay", path = "/v1/payments/regions/{region}/outlay", tag = "payments", security(("bearer" = [])),
    params(("region" = crate::domain::RegionCode, Path, description = "The region.")),
    responses((status = 200, description = "The months, oldest first.", body = List<Outlay>),
              (status = 403, description = "Not a payments officer of the region, an auditor or an admin.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: not a region code.", body = ErrorBody)))]
pub async fn outlay(
    State(state): State<AppState>,
    who: Principal,
    Path(region): Path<String>,
) -> Result<Json<List<Outlay>>, Error> {
    let region = super::params::region("region", Some(region))?.unwrap_or_default();
    Ok(Json(List {
        items: payments::outlay(&state, &who, &region).await?,
    }))
}

/// A claim's payments: its entitlements (each with its rule), the ledger's entries (past and
/// in a run), and the next twelve months to come.
#[utoipa::path(get, operation_id = "claim_schedule", path = "/v1/claims/{id}/schedule", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id.")),
    responses((status = 200, description = "The schedule.", body = Schedule),
              (status = 403, description = "Not an adjuster, payments officer, auditor or admin.", body = ErrorBody),
              (status = 404, description = "Not found, or not of the caller's regions.", body = ErrorBody)))]
pub async fn schedule(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Schedule>, Error> {
    Ok(Json(payments::schedule(&state, &who, &id).await?))
}
