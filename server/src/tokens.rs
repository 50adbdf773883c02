//! The tokens service: an admin issues tokens (shown once, stored as hashes) and revokes them.

use crate::auth::{Principal, Role, new_token, token_hash};
use crate::db::writer::AuditDraft;
use crate::domain::REGIONS;
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, new_id, now};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A token to issue (`POST /v1/tokens`).
#[derive(Clone, Debug, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// The role.
    pub role: Role,
    /// The platform, for `platform` tokens (only those).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub platform: Option<String>,
    /// The regions: one or more for `adjuster`, exactly one for `policy_admin`.
    #[serde(default)]
    #[schema(max_items = 34)]
    pub regions: Vec<String>,
}

/// A token issued: its id and the token itself (shown once).
#[derive(Clone, Debug)]
pub struct Issued {
    /// The token's id.
    pub id: String,
    /// The token.
    pub token: String,
    /// What was asked.
    pub request: NewToken,
}

/// Issues a token (admin).
pub async fn issue(state: &AppState, who: &Principal, req: NewToken) -> Result<Issued, Error> {
    who.require(&[Role::Admin])?;
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
        return Err(Error::invalid_request(problems));
    }
    let token = new_token();
    let id = new_id("tok");
    let insert = state.db.insert_token_stmt(
        &id,
        &token_hash(&token),
        req.role,
        req.platform.as_deref(),
        &req.regions,
        &now().to_string(),
    );
    let audit = vec![AuditDraft {
        actor: who.token_id.clone(),
        action: "token.issued".into(),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "token_id": id, "role": req.role, "platform": req.platform, "regions": req.regions }).to_string(),
        ),
    }];
    // The token and its audit entry in one transaction: no token without its record.
    if !state
        .writer
        .submit_logged(Some(insert), vec![], audit, vec![])
        .await?
    {
        return Err(Error::internal("the token was not stored"));
    }
    tracing::info!(token_id = %id, role = %req.role, "token issued");
    Ok(Issued {
        id,
        token,
        request: req,
    })
}

/// Revokes a token (admin).
pub async fn revoke(state: &AppState, who: &Principal, id: &str) -> Result<(), Error> {
    who.require(&[Role::Admin])?;
    let revoke = state.db.revoke_token_stmt(id, &now().to_string());
    let audit = vec![AuditDraft {
        actor: who.token_id.clone(),
        action: "token.revoked".into(),
        claim_id: None,
        before: None,
        after: Some(json!({ "token_id": id }).to_string()),
    }];
    // Revoked with its audit entry, or neither (an unknown or revoked id).
    if !state
        .writer
        .submit_logged(Some(revoke), vec![], audit, vec![])
        .await?
    {
        return Err(Code::NotFound.into());
    }
    state.forget_tokens();
    Ok(())
}
