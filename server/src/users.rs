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
    // Disabled with its console sessions ended, in one transaction.
    let done = state
        .writer
        .submit_logged(
            Some(
                state
                    .db
                    .disable_user_stmt(id, who.person(), &now().to_string()),
            ),
            vec![state.db.end_user_sessions_stmt(id, now().0)],
            vec![audit],
            vec![],
        )
        .await?;
    if done {
        state.forget_tokens();
    }
    Ok(state.db.user(id).await?.ok_or(Code::NotFound)?)
}

/// A password to set (`PUT /v1/users/{id}/password`).
#[derive(Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// At least 12 characters, at most 256.
    #[schema(min_length = 12, max_length = 256, format = Password)]
    pub password: String,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// A TOTP enrolment: shown once, for the user's authenticator app.
#[derive(Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct TotpEnrolment {
    /// The secret, base32 (RFC 4648, no padding).
    pub secret: String,
    /// The `otpauth://` URI an authenticator app reads (SHA-1, 6 digits, 30 seconds).
    pub otpauth_uri: String,
}

/// The shortest password.
pub const MIN_PASSWORD: usize = 12;

/// Whether `who` may manage `id`'s sign-in secrets: an admin, or the user themself.
fn may_manage(who: &Principal, id: &str) -> Result<(), Error> {
    if who.role == Role::Admin || who.user_id.as_deref() == Some(id) {
        Ok(())
    } else {
        Err(Code::Forbidden.into())
    }
}

/// The argon2id hasher (the crate's defaults: m = 19 MiB, t = 2, p = 1, OWASP's minimum).
fn hasher() -> argon2::Argon2<'static> {
    argon2::Argon2::default()
}

/// Sets a user's console password (admin, or the user): stored as an argon2id PHC string.
pub async fn set_password(
    state: &AppState,
    who: &Principal,
    id: &str,
    req: NewPassword,
) -> Result<(), Error> {
    may_manage(who, id)?;
    let n = req.password.chars().count();
    if !(MIN_PASSWORD..=256).contains(&n) {
        return Err(Error::field(
            Code::InvalidRequest,
            "password",
            format!("{MIN_PASSWORD} to 256 characters"),
        ));
    }
    let phc = hash_password(req.password.into_bytes()).await?;
    change(
        state,
        who,
        "user.password_set",
        id,
        state.db.set_password_stmt(id, &phc),
    )
    .await
}

/// Hashes a password (argon2id, a fresh salt) off the async threads.
async fn hash_password(password: Vec<u8>) -> Result<String, Error> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        hasher()
            .hash_password(&password, &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| Error::internal("password hashing stopped"))?
    .map_err(|_| Error::internal("password hashing failed"))
}

/// Writes a change of user `id` with its audit entry (`action`, the user's id) in one
/// transaction; `not_found` when `stmt` changed no active user.
async fn change(
    state: &AppState,
    who: &Principal,
    action: &str,
    id: &str,
    stmt: sea_orm::Statement,
) -> Result<(), Error> {
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: action.into(),
        claim_id: None,
        before: None,
        after: Some(json!({ "user_id": id }).to_string()),
    };
    if state
        .writer
        .submit_logged(Some(stmt), vec![], vec![audit], vec![])
        .await?
    {
        Ok(())
    } else {
        Err(Code::NotFound.into())
    }
}

/// Enrols (or re-enrols) a user in TOTP (admin, or the user): from now on the console asks
/// for a code. The secret is shown once and stored sealed to the user.
pub async fn enroll_totp(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<TotpEnrolment, Error> {
    use rand::RngCore;
    may_manage(who, id)?;
    let user = state.db.user(id).await?.ok_or(Code::NotFound)?;
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let sealed = state
        .keys
        .seal(&secret, &crate::data_keys::totp_context(id));
    let b32 = match totp_rs::Secret::Raw(secret).to_encoded() {
        totp_rs::Secret::Encoded(s) => s,
        totp_rs::Secret::Raw(_) => return Err(Error::internal("base32 encoding failed")),
    };
    change(
        state,
        who,
        "user.totp_enrolled",
        id,
        state.db.set_totp_stmt(id, &sealed),
    )
    .await?;
    let label: String =
        form_urlencoded::byte_serialize(format!("oip:{}", user.employee_id).as_bytes()).collect();
    Ok(TotpEnrolment {
        otpauth_uri: format!(
            "otpauth://totp/{label}?secret={b32}&issuer=oip&algorithm=SHA1&digits=6&period=30"
        ),
        secret: b32,
    })
}

/// The hash of a random password nobody knows, made once: checked for an unknown user so that
/// the answer takes as long as for a known one.
async fn decoy() -> Result<String, Error> {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_try_init(|| async {
            use rand::RngCore;
            let mut pw = vec![0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut pw);
            hash_password(pw).await
        })
        .await
        .cloned()
}

/// Why a sign-in was refused (the console says only "not signed in" either way).
#[derive(Debug, PartialEq, Eq)]
pub enum SignInRefused {
    /// Unknown employee id, no password set, wrong password, or a disabled user.
    BadCredentials,
    /// The user is enrolled in TOTP and the code is missing or wrong.
    BadCode,
}

/// Checks a console sign-in: the password against its argon2id hash (also when the user is
/// unknown, against a fixed hash, so timing does not tell), then the TOTP code when enrolled.
pub async fn check_sign_in(
    state: &AppState,
    employee_id: &str,
    password: &str,
    code: Option<&str>,
) -> Result<Result<UserRow, SignInRefused>, Error> {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let creds = state.db.credentials(employee_id.trim()).await?;
    let phc = match creds.as_ref().and_then(|c| c.password_hash.clone()) {
        Some(p) => p,
        None => decoy().await?,
    };
    let password = password.to_string();
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .is_ok_and(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .map_err(|_| Error::internal("password check stopped"))?;
    let Some(c) = creds.filter(|c| matches && c.password_hash.is_some() && c.user.active) else {
        return Ok(Err(SignInRefused::BadCredentials));
    };
    if let Some(sealed) = &c.totp_secret {
        let secret = state
            .open_sealed(sealed, &crate::data_keys::totp_context(&c.user.id))
            .await?;
        let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret)
            .map_err(|_| Error::internal("stored TOTP secret unusable"))?;
        // The step whose code was given (the current one, or one either side for clock
        // drift), compared in constant time; then recorded, so that the code is good once.
        let given = code.map(|c| c.trim().replace(' ', "")).unwrap_or_default();
        let current = now().0.max(0) / 30;
        let step = (current - 1..=current + 1).filter(|s| *s >= 0).find(|s| {
            given.len() == 6 && crate::crypto::same(&totp.generate(*s as u64 * 30), &given)
        });
        let Some(step) = step else {
            return Ok(Err(SignInRefused::BadCode));
        };
        let fresh = state
            .writer
            .submit_logged(
                Some(state.db.use_totp_step_stmt(&c.user.id, step)),
                vec![],
                vec![],
                vec![],
            )
            .await?;
        if !fresh {
            tracing::warn!(user_id = %c.user.id, "a TOTP code used before was given again");
            return Ok(Err(SignInRefused::BadCode));
        }
    }
    Ok(Ok(c.user))
}
