//! Platforms' webhooks (admin).

use super::error::ErrorBody;
use super::extract::{Body, RequestBody};
use super::views::WebhookView;
use crate::AppState;
use crate::auth::Principal;
use crate::error::Error;
use crate::webhooks::{self, WebhookRequest};
use axum::Json;
use axum::extract::{Path, State};

impl RequestBody for WebhookRequest {}

/// Registers (or replaces) a platform's webhook (admin). Events already delivered are not
/// sent again; the secret is stored sealed.
#[utoipa::path(put, operation_id = "set_webhook", path = "/v1/platforms/{platform}/webhook", tag = "review", security(("bearer" = [])),
    params(("platform" = String, Path, description = "The platform.")),
    request_body = WebhookRequest,
    responses((status = 200, description = "Registered.", body = WebhookView),
              (status = 403, description = "Not an admin.", body = ErrorBody),
              (status = 422, description = "`invalid_request`.", body = ErrorBody)))]
pub async fn set_webhook(
    State(state): State<AppState>,
    who: Principal,
    Path(platform): Path<String>,
    Body(req): Body<WebhookRequest>,
) -> Result<Json<WebhookView>, Error> {
    webhooks::register(&state, &who, &platform, &req).await?;
    Ok(Json(WebhookView {
        platform,
        url: req.url,
    }))
}
