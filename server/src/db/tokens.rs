//! The `tokens` table: API tokens, stored as hashes only.

use super::{Db, json, named, os, s};
use crate::domain::Role;
use sea_orm::{DbErr, Statement};

/// A stored token (its hash only).
#[derive(Clone, Debug)]
pub struct TokenRow {
    /// Id.
    pub id: String,
    /// Role.
    pub role: Role,
    /// Platform.
    pub platform: Option<String>,
    /// Regions.
    pub regions: Vec<String>,
    /// Revoked when.
    pub revoked_at: Option<String>,
    /// The user who holds it.
    pub user_id: Option<String>,
    /// The user's name.
    pub user_name: Option<String>,
    /// Whether the user is active (true for a token with no user).
    pub user_active: bool,
    /// Refused from this instant (unix seconds).
    pub expires_at: Option<i64>,
}

impl TokenRow {
    /// Whether the token admits its bearer at `now` (unix seconds): not revoked, not expired,
    /// and its user (if any) active.
    pub fn admits(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.user_active && self.expires_at.is_none_or(|e| now < e)
    }
}

/// A token to store.
#[derive(Clone, Debug)]
pub struct NewTokenRow<'a> {
    /// Id.
    pub id: &'a str,
    /// The token's hash.
    pub hash: &'a str,
    /// Role.
    pub role: Role,
    /// Platform.
    pub platform: Option<&'a str>,
    /// Regions.
    pub regions: &'a [String],
    /// Holder.
    pub user_id: Option<&'a str>,
    /// Label.
    pub label: Option<&'a str>,
    /// Expiry (unix seconds).
    pub expires_at: Option<i64>,
    /// Issued.
    pub now: &'a str,
}

impl Db {
    /// Stores a token's hash.
    pub async fn insert_token(&self, row: &NewTokenRow<'_>) -> Result<(), DbErr> {
        let stmt = self.insert_token_stmt(row);
        sea_orm::ConnectionTrait::execute_raw(&self.conn, stmt)
            .await
            .map(|_| ())
    }

    /// The statement storing a token, to run with its audit entry in one transaction.
    pub fn insert_token_stmt(&self, row: &NewTokenRow<'_>) -> Statement {
        self.stmt(
            "INSERT INTO tokens (id, token_hash, role, platform, regions, created_at, user_id, \
             label, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            vec![
                row.id.into(),
                row.hash.into(),
                row.role.as_str().into(),
                row.platform.map(str::to_string).into(),
                super::to_json(&row.regions).into(),
                row.now.into(),
                row.user_id.map(str::to_string).into(),
                row.label.map(str::to_string).into(),
                row.expires_at.into(),
            ],
        )
    }

    /// The statement revoking a token; returns its id when it was live.
    pub fn revoke_token_stmt(&self, id: &str, now: &str) -> Statement {
        self.stmt(
            "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
            vec![now.into(), id.into()],
        )
    }

    /// A token by its hash.
    pub async fn token(&self, hash: &str) -> Result<Option<TokenRow>, DbErr> {
        self.token_where("t.token_hash = ?", hash).await
    }

    /// A token with its user's name and state, by one condition on `tokens t`.
    pub(crate) async fn token_where(
        &self,
        condition: &str,
        value: &str,
    ) -> Result<Option<TokenRow>, DbErr> {
        self.one(
            &format!(
                "SELECT t.id, t.role, t.platform, t.regions, t.revoked_at, t.user_id, \
                 t.expires_at, u.name AS user_name, u.active AS user_active \
                 FROM tokens t LEFT JOIN users u ON u.id = t.user_id WHERE {condition}"
            ),
            vec![value.into()],
            |r| {
                let user_id = os(r, "user_id")?;
                let active = r.try_get::<Option<i64>>("", "user_active")?;
                Ok(TokenRow {
                    id: s(r, "id")?,
                    role: named(r, "role")?,
                    platform: os(r, "platform")?,
                    regions: json(r, "regions")?,
                    revoked_at: os(r, "revoked_at")?,
                    // A token whose user row is missing admits nobody.
                    user_active: user_id.is_none() || active.is_some_and(|a| a != 0),
                    user_id,
                    user_name: os(r, "user_name")?,
                    expires_at: r.try_get::<Option<i64>>("", "expires_at")?,
                })
            },
        )
        .await
    }

    /// Whether an admin token exists.
    pub async fn has_admin(&self) -> Result<bool, DbErr> {
        Ok(self
            .one(
                "SELECT id FROM tokens WHERE role = 'admin' LIMIT 1",
                vec![],
                |r| s(r, "id"),
            )
            .await?
            .is_some())
    }
}
