//! The tokens service: an admin issues tokens (shown once, stored as hashes) and revokes them.
//! A person's token names its user (role and regions are the user's); only a platform's token
//! names no person. Every token expires (90 days for a person's, 365 for a platform's, unless
//! asked otherwise, at most 400 days ahead) and carries a label.

use crate::auth::{Principal, Role, new_token, token_hash};
use crate::db::tokens::NewTokenRow;
use crate::db::writer::AuditDraft;
use crate::domain::REGIONS;
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, new_id, now};
use oip_engine::types::Timestamp;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A token to issue (`POST /v1/tokens`).
#[derive(Clone, Debug, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// The role: `platform` for a platform's token; for a user's token the user's role (may be
    /// left out).
    #[serde(default)]
    pub role: Option<Role>,
    /// The platform, for `platform` tokens (only those).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub platform: Option<String>,
    /// The regions: one or more for `adjuster`, exactly one for `policy_admin`.
    #[serde(default)]
    #[schema(max_items = 34)]
    pub regions: Vec<String>,
    /// The user who holds it (`POST /v1/users`): required for every role but `platform`.
    #[serde(default)]
    pub user_id: Option<String>,
    /// What it is for ("laptop", "nightly import").
    #[serde(default)]
    #[schema(max_length = 100)]
    pub label: Option<String>,
    /// When it stops working; default 90 days from now for a person's token, 365 for a
    /// platform's; at most 400 days ahead.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
}

/// The longest a token lives, in days.
const MAX_DAYS: i64 = 400;

/// Checks that `regions` are regions and suit `role` (adjuster: one or more; policy_admin:
/// exactly one; any other role: none).
pub fn check_regions(role: Role, regions: &[String], problems: &mut Vec<FieldProblem>) {
    for (i, r) in regions.iter().enumerate() {
        if !REGIONS.contains(&r.as_str()) {
            problems.push(FieldProblem::new(
                format!("regions[{i}]"),
                "must be an ISO 3166-2:CN code",
            ));
        }
    }
    match role {
        Role::Adjuster if regions.is_empty() => problems.push(FieldProblem::new(
            "regions",
            "an adjuster needs at least one region",
        )),
        Role::PaymentsOfficer if regions.is_empty() => problems.push(FieldProblem::new(
            "regions",
            "a payments officer needs at least one region",
        )),
        Role::PolicyAdmin if regions.len() != 1 => problems.push(FieldProblem::new(
            "regions",
            "a policy_admin has exactly one region",
        )),
        Role::Platform | Role::Auditor | Role::Admin if !regions.is_empty() => {
            problems.push(FieldProblem::new(
                "regions",
                "only adjusters, payments officers and policy admins have regions",
            ))
        }
        _ => {}
    }
}

/// A token issued: its id and the token itself (shown once).
#[derive(Clone, Debug)]
pub struct Issued {
    /// The token's id.
    pub id: String,
    /// The token.
    pub token: String,
    /// Its role.
    pub role: Role,
    /// Its platform.
    pub platform: Option<String>,
    /// Its regions.
    pub regions: Vec<String>,
    /// Its holder.
    pub user_id: Option<String>,
    /// Its label.
    pub label: Option<String>,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// Issues a token (admin): to a user (its role and regions are the user's), or to a platform.
pub async fn issue(state: &AppState, who: &Principal, req: NewToken) -> Result<Issued, Error> {
    who.require(&[Role::Admin])?;
    let mut problems = Vec::new();
    let user = match &req.user_id {
        Some(id) => match state.db.user(id).await? {
            Some(u) if u.active => Some(u),
            Some(_) => {
                problems.push(FieldProblem::new("user_id", "the user is disabled"));
                None
            }
            None => {
                problems.push(FieldProblem::new("user_id", "no such user"));
                None
            }
        },
        None => None,
    };
    let (role, regions) = if let Some(u) = &user {
        if req.role.is_some_and(|r| r != u.role) {
            problems.push(FieldProblem::new(
                "role",
                "must be the user's role (or left out)",
            ));
        }
        if !req.regions.is_empty() && req.regions != u.regions {
            problems.push(FieldProblem::new(
                "regions",
                "must be the user's regions (or left out)",
            ));
        }
        (u.role, u.regions.clone())
    } else {
        (req.role.unwrap_or(Role::Platform), req.regions.clone())
    };
    let for_person = req.user_id.is_some();
    if !for_person {
        match req.role {
            None => problems.push(FieldProblem::new("role", "`platform`, or give `user_id`")),
            Some(Role::Platform) => {}
            Some(_) => problems.push(FieldProblem::new(
                "user_id",
                "a token for a person names its user (POST /v1/users); only a platform's token names none",
            )),
        }
        check_regions(role, &regions, &mut problems);
        if role == Role::Platform && req.platform.as_deref().is_none_or(|p| p.trim().is_empty()) {
            problems.push(FieldProblem::new(
                "platform",
                "required for a platform token",
            ));
        }
    }
    if (role != Role::Platform || for_person) && req.platform.is_some() {
        problems.push(FieldProblem::new(
            "platform",
            "only platform tokens name a platform",
        ));
    }
    if req.label.as_ref().is_some_and(|l| l.chars().count() > 100) {
        problems.push(FieldProblem::new("label", "at most 100 characters"));
    }
    let now_ts = now();
    let days = if role == Role::Platform { 365 } else { 90 };
    let expires_at = req
        .expires_at
        .unwrap_or(Timestamp(now_ts.0 + days * 86_400));
    if expires_at.0 <= now_ts.0 {
        problems.push(FieldProblem::new("expires_at", "must be in the future"));
    } else if expires_at.0 > now_ts.0 + MAX_DAYS * 86_400 {
        problems.push(FieldProblem::new(
            "expires_at",
            format!("at most {MAX_DAYS} days ahead"),
        ));
    }
    if !problems.is_empty() {
        return Err(Error::invalid_request(problems));
    }
    let token = new_token();
    let id = new_id("tok");
    let issued = Issued {
        id,
        token,
        role,
        platform: req.platform.clone(),
        regions,
        user_id: user.map(|u| u.id),
        label: req.label.clone(),
        expires_at,
    };
    let insert = state.db.insert_token_stmt(&NewTokenRow {
        id: &issued.id,
        hash: &token_hash(state.config.crypto, &issued.token),
        role,
        platform: issued.platform.as_deref(),
        regions: &issued.regions,
        user_id: issued.user_id.as_deref(),
        label: issued.label.as_deref(),
        expires_at: Some(expires_at.0),
        now: &now_ts.to_string(),
    });
    let audit = vec![AuditDraft {
        actor: who.person().to_string(),
        action: "token.issued".into(),
        claim_id: None,
        before: None,
        after: Some(
            json!({
                "token_id": issued.id, "role": role, "platform": issued.platform,
                "regions": issued.regions, "user_id": issued.user_id, "label": issued.label,
                "expires_at": expires_at,
            })
            .to_string(),
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
    tracing::info!(token_id = %issued.id, role = %role, "token issued");
    Ok(issued)
}

/// Revokes a token (admin).
pub async fn revoke(state: &AppState, who: &Principal, id: &str) -> Result<(), Error> {
    who.require(&[Role::Admin])?;
    let revoke = state.db.revoke_token_stmt(id, &now().to_string());
    let audit = vec![AuditDraft {
        actor: who.person().to_string(),
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
