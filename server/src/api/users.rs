//! Users: the named people who hold tokens (admin; auditors read).

use super::error::ErrorBody;
use super::extract::{Body, RequestBody};
use super::views::{List, TokenView, UserView};
use crate::AppState;
use crate::auth::Principal;
use crate::error::Error;
use crate::users::{self, NewUser};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

impl RequestBody for NewUser {}

/// Adds a user (admin): a named person with a role and regions, who then holds tokens
/// (`POST /v1/tokens` with `user_id`).
#[utoipa::path(post, operation_id = "add_user", path = "/v1/users", tag = "tokens", security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, description = "Added.", body = UserView),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 409, description = "`user_already_exists` (the employee id).", body = ErrorBody),
              (status = 422, description = "`invalid_request`.", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<NewUser>,
) -> Result<(StatusCode, Json<UserView>), Error> {
    let u = users::add(&state, &who, req).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&u))))
}

/// Every user (admin, auditor).
#[utoipa::path(get, operation_id = "list_users", path = "/v1/users", tag = "tokens", security(("bearer" = [])),
    responses((status = 200, description = "The users.", body = List<UserView>),
              (status = 403, description = "Not an admin or auditor.", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<List<UserView>>, Error> {
    Ok(Json(List::of(
        users::list(&state, &who).await?.iter().map(UserView::from),
    )))
}

/// One user (admin, auditor).
#[utoipa::path(get, operation_id = "get_user", path = "/v1/users/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id.")),
    responses((status = 200, description = "The user.", body = UserView),
              (status = 403, description = "Not an admin or auditor.", body = ErrorBody),
              (status = 404, description = "No such user.", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<UserView>, Error> {
    Ok(Json(UserView::from(&users::get(&state, &who, &id).await?)))
}

/// Disables a user (admin): every token the user holds is refused from now on.
#[utoipa::path(post, operation_id = "disable_user", path = "/v1/users/{id}/disable", tag = "tokens", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id.")),
    responses((status = 200, description = "Disabled (again: unchanged).", body = UserView),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 404, description = "No such user.", body = ErrorBody),
              (status = 409, description = "`cannot_disable_yourself`.", body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<UserView>, Error> {
    Ok(Json(UserView::from(
        &users::disable(&state, &who, &id).await?,
    )))
}

/// The tokens a user holds, newest first, revoked and expired ones included (admin, auditor).
#[utoipa::path(get, operation_id = "user_tokens", path = "/v1/users/{id}/tokens", tag = "tokens", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id.")),
    responses((status = 200, description = "The tokens (never the tokens themselves).", body = List<TokenView>),
              (status = 403, description = "Not an admin or auditor.", body = ErrorBody),
              (status = 404, description = "No such user.", body = ErrorBody)))]
pub async fn tokens(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<List<TokenView>>, Error> {
    let user = users::get(&state, &who, &id).await?;
    Ok(Json(List::of(
        state
            .db
            .tokens(Some(&user.id))
            .await?
            .iter()
            .map(TokenView::from),
    )))
}

impl RequestBody for users::NewPassword {}

/// Sets a user's console password (admin, or the user themself); stored as argon2id.
#[utoipa::path(put, operation_id = "set_user_password", path = "/v1/users/{id}/password", tag = "tokens", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id.")),
    request_body = users::NewPassword,
    responses((status = 204, description = "Set."),
              (status = 403, description = "Neither an admin nor the user.", body = ErrorBody),
              (status = 404, description = "No such active user.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: shorter than 12 characters.", body = ErrorBody)))]
pub async fn set_password(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Body(req): Body<users::NewPassword>,
) -> Result<StatusCode, Error> {
    users::set_password(&state, &who, &id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enrols a user in TOTP (admin, or the user themself): the console asks for a code from now
/// on. The secret is shown once.
#[utoipa::path(post, operation_id = "enroll_user_totp", path = "/v1/users/{id}/totp", tag = "tokens", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id.")),
    responses((status = 200, description = "Enrolled: the secret and its otpauth URI, shown once.", body = users::TotpEnrolment),
              (status = 403, description = "Neither an admin nor the user.", body = ErrorBody),
              (status = 404, description = "No such active user.", body = ErrorBody)))]
pub async fn enroll_totp(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<users::TotpEnrolment>, Error> {
    Ok(Json(users::enroll_totp(&state, &who, &id).await?))
}
