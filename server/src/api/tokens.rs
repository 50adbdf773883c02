//! Tokens: issued and revoked by an admin.

use super::error::ErrorBody;
use super::extract::{Body, RequestBody};
use super::views::{IssuedTokenView, List, TokenView};
use crate::AppState;
use crate::auth::Principal;
use crate::error::Error;
use crate::tokens::{self, NewToken};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

impl RequestBody for NewToken {}

/// Issues a token (admin) to a user (`user_id`: the token takes the user's role and regions) or
/// to a platform (`role: platform`, `platform`), with a label and an expiry (default 90 days for
/// a person's token, 365 for a platform's). The token is shown once; only its hash is stored.
#[utoipa::path(post, operation_id = "issue_token", path = "/v1/tokens", tag = "tokens", security(("bearer" = [])),
    request_body = NewToken,
    responses((status = 201, description = "Issued.", body = IssuedTokenView),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: a person's role without `user_id`, a disabled or unknown user, an expiry past or more than 400 days ahead.", body = ErrorBody)))]
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
            role: t.role,
            platform: t.platform,
            regions: t.regions,
            user_id: t.user_id,
            label: t.label,
            expires_at: t.expires_at,
        }),
    ))
}

/// Every token issued, newest first, revoked and expired ones included (admin, auditor); never
/// the tokens themselves.
#[utoipa::path(get, operation_id = "list_tokens", path = "/v1/tokens", tag = "tokens", security(("bearer" = [])),
    responses((status = 200, description = "The tokens.", body = List<TokenView>),
              (status = 403, description = "Not an admin or auditor.", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<List<TokenView>>, Error> {
    who.require(&[crate::auth::Role::Admin, crate::auth::Role::Auditor])?;
    Ok(Json(List::of(
        state.db.tokens(None).await?.iter().map(TokenView::from),
    )))
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
