//! The users service: the named people who act in oip. An admin adds a person (name, employee
//! id, role, regions) and issues tokens to them; four eyes, "not the uploader", "another admin"
//! and the audit trail compare and name users, not tokens, so one person holding two tokens is
//! still one person. A disabled user's tokens are refused at once.

use crate::auth::{Principal, Role};
use crate::db::users::UserRow;
use crate::db::writer::AuditDraft;
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, new_id, now};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A person to add (`POST /v1/users`).
#[derive(Clone, Debug, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Full name, as the agency knows the person.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S", example = "王丽")]
    pub name: String,
    /// The employer's staff number: one user per number.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "\\S",
        example = "SC-HR-00417"
    )]
    pub employee_id: String,
    /// What the person does: any role but `platform` (a platform is an organisation; its
    /// tokens name no person).
    pub role: Role,
    /// The regions: one or more for an `adjuster`, exactly one for a `policy_admin`, none
    /// otherwise.
    #[serde(default)]
    #[schema(max_items = 34)]
    pub regions: Vec<String>,
}

/// Adds a user (admin).
pub async fn add(state: &AppState, who: &Principal, req: NewUser) -> Result<UserRow, Error> {
    who.require(&[Role::Admin])?;
    let mut problems = Vec::new();
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push(FieldProblem::new("name", "1 to 100 characters"));
    }
    let employee_id = req.employee_id.trim();
    if employee_id.is_empty() || employee_id.chars().count() > 64 {
        problems.push(FieldProblem::new("employee_id", "1 to 64 characters"));
    }
    if req.role == Role::Platform {
        problems.push(FieldProblem::new(
            "role",
            "a platform is not a person: issue it a platform token",
        ));
    }
    crate::tokens::check_regions(req.role, &req.regions, &mut problems);
    if !problems.is_empty() {
        return Err(Error::invalid_request(problems));
    }
    let row = UserRow {
        id: new_id("usr"),
        name: name.to_string(),
        employee_id: employee_id.to_string(),
        role: req.role,
        regions: req.regions,
        active: true,
        created_at: now().to_string(),
        created_by: who.person().to_string(),
        disabled_at: None,
        disabled_by: None,
    };
    // The name is personal data: the audit entry names the user by id and employee id only.
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: "user.added".into(),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "user_id": row.id, "employee_id": row.employee_id, "role": row.role, "regions": row.regions })
                .to_string(),
        ),
    };
    if !state
        .writer
        .submit_logged(
            Some(state.db.insert_user_stmt(&row)),
            vec![],
            vec![audit],
            vec![],
        )
        .await?
    {
        return Err(Error::field(
            Code::UserAlreadyExists,
            "employee_id",
            "a user with this employee id exists",
        ));
    }
    tracing::info!(user_id = %row.id, role = %row.role, "user added");
    Ok(row)
}

/// Every user (admin, auditor).
pub async fn list(state: &AppState, who: &Principal) -> Result<Vec<UserRow>, Error> {
    who.require(&[Role::Admin, Role::Auditor])?;
    Ok(state.db.users().await?)
}

/// One user (admin, auditor).
pub async fn get(state: &AppState, who: &Principal, id: &str) -> Result<UserRow, Error> {
    who.require(&[Role::Admin, Role::Auditor])?;
    Ok(state.db.user(id).await?.ok_or(Code::NotFound)?)
}

/// Disables a user (admin): every token the user holds is refused from now on, on every
/// instance within the token cache's two seconds, on this one at once. Not undone: a person
/// who comes back gets a new user.
pub async fn disable(state: &AppState, who: &Principal, id: &str) -> Result<UserRow, Error> {
    who.require(&[Role::Admin])?;
    if who.user_id.as_deref() == Some(id) {
        return Err(Code::CannotDisableYourself.into());
    }
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: "user.disabled".into(),
        claim_id: None,
        before: None,
        after: Some(json!({ "user_id": id }).to_string()),
    };
    let done = state
        .writer
        .submit_logged(
            Some(
                state
                    .db
                    .disable_user_stmt(id, who.person(), &now().to_string()),
            ),
            vec![],
            vec![audit],
            vec![],
        )
        .await?;
    if done {
        state.forget_tokens();
    }
    Ok(state.db.user(id).await?.ok_or(Code::NotFound)?)
}
