//! Tokens: issued and revoked by an admin.

use super::error::ErrorBody;
use super::extract::{Body, RequestBody};
use super::views::IssuedTokenView;
use crate::AppState;
use crate::auth::Principal;
use crate::error::Error;
use crate::tokens::{self, NewToken};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

impl RequestBody for NewToken {}

/// Issues a token (admin). The token is shown once; only its hash is stored.
#[utoipa::path(post, operation_id = "issue_token", path = "/v1/tokens", tag = "tokens", security(("bearer" = [])),
    request_body = NewToken,
    responses((status = 201, description = "Issued.", body = IssuedTokenView),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 422, description = "`invalid_request`.", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<NewToken>,
) -> Result<(StatusCode, Json<IssuedTokenView>), Error> {
    let t = tokens::issue(&state, &who, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedTokenView {
            id: t.id,
            token: t.token,
            role: t.request.role,
            platform: t.request.platform,
            regions: t.request.regions,
        }),
    ))
}

/// Revokes a token (admin).
#[utoipa::path(delete, operation_id = "revoke_token", path = "/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = String, Path, description = "The token's id.")),
    responses((status = 204, description = "Revoked."),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 404, description = "No such active token.", body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    tokens::revoke(&state, &who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
