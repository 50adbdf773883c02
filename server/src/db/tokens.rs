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
}

impl Db {
    /// Stores a token's hash.
    pub async fn insert_token(
        &self,
        id: &str,
        hash: &str,
        role: Role,
        platform: Option<&str>,
        regions: &[String],
        now: &str,
    ) -> Result<(), DbErr> {
        let stmt = self.insert_token_stmt(id, hash, role, platform, regions, now);
        sea_orm::ConnectionTrait::execute_raw(&self.conn, stmt)
            .await
            .map(|_| ())
    }

    /// The statement storing a token, to run with its audit entry in one transaction.
    pub fn insert_token_stmt(
        &self,
        id: &str,
        hash: &str,
        role: Role,
        platform: Option<&str>,
        regions: &[String],
        now: &str,
    ) -> Statement {
        self.stmt(
            "INSERT INTO tokens (id, token_hash, role, platform, regions, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            vec![
                id.into(),
                hash.into(),
                role.as_str().into(),
                platform.map(str::to_string).into(),
                super::to_json(&regions).into(),
                now.into(),
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
        self.one(
            "SELECT id, role, platform, regions, revoked_at FROM tokens WHERE token_hash = ?",
            vec![hash.into()],
            |r| {
                Ok(TokenRow {
                    id: s(r, "id")?,
                    role: named(r, "role")?,
                    platform: os(r, "platform")?,
                    regions: json(r, "regions")?,
                    revoked_at: os(r, "revoked_at")?,
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
