//! Platforms' webhooks (admin).

use super::JsonBody;
use crate::auth::{Principal, Role};
use crate::error::{ApiError, FieldProblem};
use crate::{AppState, now};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

/// A webhook registration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    url: String,
    secret: String,
}

/// Registers (or replaces) a platform's webhook (admin). Events already delivered are not
/// sent again; the secret is stored sealed.
#[utoipa::path(put, path = "/v1/platforms/{platform}/webhook", tag = "review", security(("bearer" = [])), responses((status = 200, description = "registered")))]
pub async fn set_webhook(
    State(state): State<AppState>,
    who: Principal,
    Path(platform): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    who.require(&[Role::Admin])?;
    let w: Webhook = serde_json::from_value(body)
        .map_err(|e| ApiError::Invalid(vec![FieldProblem::new("", e.to_string())]))?;
    let mut problems = Vec::new();
    if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
        problems.push(FieldProblem::new("url", "must be an http(s) URL"));
    }
    if w.secret.len() < 16 {
        problems.push(FieldProblem::new("secret", "at least 16 characters"));
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    state
        .db
        .upsert_webhook(
            &platform,
            &w.url,
            &state.keys.seal(w.secret.as_bytes()),
            &now().to_string(),
        )
        .await?;
    Ok(Json(json!({ "platform": platform, "url": w.url })))
}
