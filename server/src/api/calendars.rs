//! `/v1/calendars`: the working-day calendar as signed data (see [`crate::calendars`]).

use super::error::ErrorBody;
use super::extract::{Body, RequestBody};
use super::views::List;
use crate::AppState;
use crate::auth::Principal;
use crate::calendars::{self, CalendarUpload, CalendarView};
use crate::error::Error;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

impl RequestBody for CalendarUpload {}

/// Uploads a calendar dataset signed by a key of `CN` (admin); another admin puts it in force.
#[utoipa::path(post, operation_id = "upload_calendar", path = "/v1/calendars", tag = "policies", security(("bearer" = [])),
    request_body = CalendarUpload,
    responses((status = 201, description = "Stored, not yet in force: another admin approves it at `POST /v1/calendars/{id}/approve`.", body = CalendarView),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 409, description = "`calendar_version_exists`.", body = ErrorBody),
              (status = 422, description = "`invalid_request` (a field named), `signature_invalid`.", body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<CalendarUpload>,
) -> Result<(StatusCode, Json<CalendarView>), Error> {
    let c = calendars::upload(&state, &who, &req).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Puts an uploaded calendar dataset in force (an admin other than the uploader): every
/// instance decides on it within a poll interval.
#[utoipa::path(post, operation_id = "approve_calendar", path = "/v1/calendars/{id}/approve", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The dataset's id.")),
    responses((status = 200, description = "In force.", body = CalendarView),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 404, description = "No such dataset.", body = ErrorBody),
              (status = 409, description = "`calendar_second_admin_required` (the uploader), `calendar_not_pending`.", body = ErrorBody),
              (status = 422, description = "`signature_invalid`: its key was revoked.", body = ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<CalendarView>, Error> {
    Ok(Json(calendars::approve(&state, &who, &id).await?))
}

/// The calendar datasets, newest first, the one in force marked.
#[utoipa::path(get, operation_id = "list_calendars", path = "/v1/calendars", tag = "policies", security(("bearer" = [])),
    responses((status = 200, description = "The datasets.", body = List<CalendarView>),
              (status = 403, description = "Not an admin, auditor or policy_admin.", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<List<CalendarView>>, Error> {
    Ok(Json(List {
        items: calendars::list(&state, &who).await?,
    }))
}
