//! The `users` table: the named people who hold tokens, and the tokens each holds.

use super::{Db, i, json, named, os, s};
use crate::domain::Role;
use sea_orm::{DbErr, QueryResult, Statement};

/// A person who holds tokens.
#[derive(Clone, Debug, PartialEq)]
pub struct UserRow {
    /// Id (`usr_...`).
    pub id: String,
    /// Full name, as the agency knows the person.
    pub name: String,
    /// The employer's staff number; one user per number.
    pub employee_id: String,
    /// What the person does.
    pub role: Role,
    /// The regions, for adjusters and policy admins.
    pub regions: Vec<String>,
    /// Whether the person may act (a disabled user's tokens are refused).
    pub active: bool,
    /// Added.
    pub created_at: String,
    /// By whom (a user id, or the bootstrap token's id).
    pub created_by: String,
    /// Disabled.
    pub disabled_at: Option<String>,
    /// By whom.
    pub disabled_by: Option<String>,
}

/// A token as an admin sees it: never the token itself.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenInfo {
    /// Id (`tok_...`).
    pub id: String,
    /// Role.
    pub role: Role,
    /// Platform, for platform tokens.
    pub platform: Option<String>,
    /// Regions.
    pub regions: Vec<String>,
    /// The user holding it (none for a platform's or the bootstrap token).
    pub user_id: Option<String>,
    /// What it is for ("laptop", "batch job").
    pub label: Option<String>,
    /// Issued.
    pub created_at: String,
    /// Refused from this instant (unix seconds); none for tokens issued before expiries.
    pub expires_at: Option<i64>,
    /// Revoked.
    pub revoked_at: Option<String>,
}

const USER_COLS: &str = "id, name, employee_id, role, regions, active, created_at, created_by, disabled_at, disabled_by";

fn user_row(r: &QueryResult) -> Result<UserRow, DbErr> {
    Ok(UserRow {
        id: s(r, "id")?,
        name: s(r, "name")?,
        employee_id: s(r, "employee_id")?,
        role: named(r, "role")?,
        regions: json(r, "regions")?,
        active: i(r, "active")? != 0,
        created_at: s(r, "created_at")?,
        created_by: s(r, "created_by")?,
        disabled_at: os(r, "disabled_at")?,
        disabled_by: os(r, "disabled_by")?,
    })
}

const TOKEN_COLS: &str =
    "id, role, platform, regions, user_id, label, created_at, expires_at, revoked_at";

fn token_info(r: &QueryResult) -> Result<TokenInfo, DbErr> {
    Ok(TokenInfo {
        id: s(r, "id")?,
        role: named(r, "role")?,
        platform: os(r, "platform")?,
        regions: json(r, "regions")?,
        user_id: os(r, "user_id")?,
        label: os(r, "label")?,
        created_at: s(r, "created_at")?,
        expires_at: r.try_get::<Option<i64>>("", "expires_at")?,
        revoked_at: os(r, "revoked_at")?,
    })
}

impl Db {
    /// Adds a user (returns its id when it inserted: the employee id was not taken).
    pub fn insert_user_stmt(&self, u: &UserRow) -> Statement {
        self.stmt(
            "INSERT INTO users (id, name, employee_id, role, regions, active, created_at, created_by) \
             VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            vec![
                u.id.clone().into(),
                u.name.clone().into(),
                u.employee_id.clone().into(),
                u.role.as_str().into(),
                super::to_json(&u.regions).into(),
                u.created_at.clone().into(),
                u.created_by.clone().into(),
            ],
        )
    }

    /// Disables an active user (returns its id when it did).
    pub fn disable_user_stmt(&self, id: &str, by: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE users SET active = 0, disabled_at = ?, disabled_by = ? \
             WHERE id = ? AND active = 1 RETURNING id",
            vec![at.into(), by.into(), id.into()],
        )
    }

    /// One user.
    pub async fn user(&self, id: &str) -> Result<Option<UserRow>, DbErr> {
        self.one(
            &format!("SELECT {USER_COLS} FROM users WHERE id = ?"),
            vec![id.into()],
            user_row,
        )
        .await
    }

    /// Every user, in the order they were added.
    pub async fn users(&self) -> Result<Vec<UserRow>, DbErr> {
        self.all(
            &format!("SELECT {USER_COLS} FROM users ORDER BY id"),
            vec![],
            user_row,
        )
        .await
    }

    /// The tokens issued, or a user's, newest first.
    pub async fn tokens(&self, user_id: Option<&str>) -> Result<Vec<TokenInfo>, DbErr> {
        match user_id {
            Some(u) => {
                self.all(
                    &format!("SELECT {TOKEN_COLS} FROM tokens WHERE user_id = ? ORDER BY id DESC"),
                    vec![u.into()],
                    token_info,
                )
                .await
            }
            None => {
                self.all(
                    &format!("SELECT {TOKEN_COLS} FROM tokens ORDER BY id DESC"),
                    vec![],
                    token_info,
                )
                .await
            }
        }
    }
}

/// A user's sign-in secrets.
#[derive(Clone)]
pub struct Credentials {
    /// The user.
    pub user: UserRow,
    /// The argon2id PHC string, once a password is set.
    pub password_hash: Option<String>,
    /// The TOTP secret, sealed to the user's id, once enrolled.
    pub totp_secret: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user.id)
            .finish_non_exhaustive()
    }
}

/// A console session: a user's (signed in with a password) or a token's.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRow {
    /// The keyed hash of the session id (the id itself is only in the browser's cookie).
    pub id_hash: String,
    /// The user, for a password sign-in.
    pub user_id: Option<String>,
    /// The token, for a token sign-in.
    pub token_id: Option<String>,
    /// Began (unix seconds).
    pub created_at: i64,
    /// Last request (unix seconds, to the minute).
    pub last_seen: i64,
    /// Ends at the latest (unix seconds).
    pub expires_at: i64,
    /// Ended by logout or when its user was disabled.
    pub ended_at: Option<i64>,
}

fn session_row(r: &QueryResult) -> Result<SessionRow, DbErr> {
    Ok(SessionRow {
        id_hash: s(r, "id_hash")?,
        user_id: os(r, "user_id")?,
        token_id: os(r, "token_id")?,
        created_at: i(r, "created_at")?,
        last_seen: i(r, "last_seen")?,
        expires_at: i(r, "expires_at")?,
        ended_at: r.try_get::<Option<i64>>("", "ended_at")?,
    })
}

impl Db {
    /// Sets a user's password hash.
    pub fn set_password_stmt(&self, id: &str, hash: &str) -> Statement {
        self.stmt(
            "UPDATE users SET password_hash = ? WHERE id = ? AND active = 1 RETURNING id",
            vec![hash.into(), id.into()],
        )
    }

    /// Sets (or replaces) a user's sealed TOTP secret.
    pub fn set_totp_stmt(&self, id: &str, sealed: &str) -> Statement {
        self.stmt(
            "UPDATE users SET totp_secret = ?, totp_last_step = NULL WHERE id = ? AND active = 1 \
             RETURNING id",
            vec![sealed.into(), id.into()],
        )
    }

    /// Records the TOTP step a sign-in used; returns the id only when the step is later than
    /// every one used before (a code is good once).
    pub fn use_totp_step_stmt(&self, id: &str, step: i64) -> Statement {
        self.stmt(
            "UPDATE users SET totp_last_step = ? WHERE id = ? \
             AND (totp_last_step IS NULL OR totp_last_step < ?) RETURNING id",
            vec![step.into(), id.into(), step.into()],
        )
    }

    /// The sign-in secrets of the user with this employee id.
    pub async fn credentials(&self, employee_id: &str) -> Result<Option<Credentials>, DbErr> {
        self.one(
            &format!(
                "SELECT {USER_COLS}, password_hash, totp_secret FROM users WHERE employee_id = ?"
            ),
            vec![employee_id.into()],
            |r| {
                Ok(Credentials {
                    user: user_row(r)?,
                    password_hash: os(r, "password_hash")?,
                    totp_secret: os(r, "totp_secret")?,
                })
            },
        )
        .await
    }

    /// Begins a console session.
    pub fn insert_session_stmt(&self, row: &SessionRow) -> Statement {
        self.stmt(
            "INSERT INTO console_sessions (id_hash, user_id, token_id, created_at, last_seen, \
             expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id_hash",
            vec![
                row.id_hash.clone().into(),
                row.user_id.clone().into(),
                row.token_id.clone().into(),
                row.created_at.into(),
                row.last_seen.into(),
                row.expires_at.into(),
            ],
        )
    }

    /// A console session by the keyed hash of its id.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, DbErr> {
        self.one(
            "SELECT id_hash, user_id, token_id, created_at, last_seen, expires_at, ended_at \
             FROM console_sessions WHERE id_hash = ?",
            vec![id_hash.into()],
            session_row,
        )
        .await
    }

    /// Records a session's latest request.
    pub fn touch_session_stmt(&self, id_hash: &str, now: i64) -> Statement {
        self.stmt(
            "UPDATE console_sessions SET last_seen = ? WHERE id_hash = ? AND ended_at IS NULL \
             RETURNING id_hash",
            vec![now.into(), id_hash.into()],
        )
    }

    /// Ends a session (logout).
    pub fn end_session_stmt(&self, id_hash: &str, now: i64) -> Statement {
        self.stmt(
            "UPDATE console_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL \
             RETURNING id_hash",
            vec![now.into(), id_hash.into()],
        )
    }

    /// Ends every open session of a user (when disabled).
    pub fn end_user_sessions_stmt(&self, user_id: &str, now: i64) -> Statement {
        self.stmt(
            "UPDATE console_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
            vec![now.into(), user_id.into()],
        )
    }

    /// A token by its id (for a console session signed in with it).
    pub async fn token_by_id(&self, id: &str) -> Result<Option<super::tokens::TokenRow>, DbErr> {
        self.token_where("t.id = ?", id).await
    }
}
