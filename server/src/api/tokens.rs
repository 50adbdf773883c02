//! Tokens: issued and revoked by an admin.

use super::JsonBody;
use crate::auth::{Principal, Role, new_token, token_hash};
use crate::error::{ApiError, FieldProblem};
use crate::validate::REGIONS;
use crate::{AppState, new_id, now};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

/// A token request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// The role.
    pub role: Role,
    /// The platform, for `platform` tokens.
    pub platform: Option<String>,
    /// The regions: one or more for `adjuster`, exactly one for `policy_admin`.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// Issues a token (admin). The token is shown once; only its hash is stored.
#[utoipa::path(post, path = "/v1/tokens", tag = "tokens", security(("bearer" = [])), request_body = NewToken,
    responses((status = 201, description = "{ id, token }")))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    who.require(&[Role::Admin])?;
    let req: NewToken = serde_json::from_value(body)
        .map_err(|e| ApiError::Invalid(vec![FieldProblem::new("", e.to_string())]))?;
    let mut problems = Vec::new();
    for (i, r) in req.regions.iter().enumerate() {
        if !REGIONS.contains(&r.as_str()) {
            problems.push(FieldProblem::new(
                format!("regions[{i}]"),
                "must be an ISO 3166-2:CN code",
            ));
        }
    }
    match req.role {
        Role::Platform if req.platform.as_deref().is_none_or(|p| p.trim().is_empty()) => {
            problems.push(FieldProblem::new(
                "platform",
                "required for a platform token",
            ));
        }
        Role::Adjuster if req.regions.is_empty() => problems.push(FieldProblem::new(
            "regions",
            "an adjuster needs at least one region",
        )),
        Role::PolicyAdmin if req.regions.len() != 1 => problems.push(FieldProblem::new(
            "regions",
            "a policy_admin has exactly one region",
        )),
        _ => {}
    }
    if req.role != Role::Platform && req.platform.is_some() {
        problems.push(FieldProblem::new(
            "platform",
            "only platform tokens name a platform",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let token = new_token();
    let id = new_id("tok");
    let regions = serde_json::to_string(&req.regions).unwrap_or_else(|_| "[]".into());
    state
        .db
        .insert_token(
            &id,
            &token_hash(&token),
            req.role.as_str(),
            req.platform.as_deref(),
            &regions,
            &now().to_string(),
        )
        .await?;
    let audit = vec![crate::db::writer::AuditDraft {
        actor: who.token_id.clone(),
        action: "token.issued".into(),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "token_id": id, "role": req.role, "platform": req.platform, "regions": req.regions }),
        ),
    }];
    state
        .writer
        .submit_logged(None, vec![], audit, vec![])
        .await?;
    tracing::info!(token_id = %id, role = req.role.as_str(), "token issued");
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "id": id, "token": token, "role": req.role, "platform": req.platform, "regions": req.regions }),
        ),
    ))
}

/// Revokes a token (admin).
#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    responses((status = 204, description = "revoked"), (status = 404, description = "no such active token")))]
pub async fn revoke(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    who.require(&[Role::Admin])?;
    if !state.db.revoke_token(&id, &now().to_string()).await? {
        return Err(ApiError::NotFound);
    }
    let audit = vec![crate::db::writer::AuditDraft {
        actor: who.token_id.clone(),
        action: "token.revoked".into(),
        claim_id: None,
        before: None,
        after: Some(json!({ "token_id": id })),
    }];
    state
        .writer
        .submit_logged(None, vec![], audit, vec![])
        .await?;
    state.forget_tokens();
    Ok(StatusCode::NO_CONTENT)
}
