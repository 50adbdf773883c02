//! The `signing_keys` table: the public keys that may sign a region's policy modules.

use super::{Db, os, s};
use sea_orm::{DbErr, QueryResult, Statement};

/// A registered public key of a region.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRow {
    /// Id (`key_...`).
    pub id: String,
    /// The region whose modules it may sign.
    pub region: String,
    /// The public key, hex (ed25519, or SM2 under `crypto = "gm"`).
    pub public_key: String,
    /// The admin token that added it.
    pub added_by: String,
    /// Added.
    pub created_at: String,
    /// Revoked.
    pub revoked_at: Option<String>,
    /// The second admin, who approved it (a key signs nothing before).
    pub approved_by: Option<String>,
    /// Approved.
    pub approved_at: Option<String>,
    /// The admin who asked for its revocation (another one carries it out).
    pub revoke_requested_by: Option<String>,
    /// Asked.
    pub revoke_requested_at: Option<String>,
}

impl KeyRow {
    /// Whether the key may sign: approved and not revoked.
    pub fn live(&self) -> bool {
        self.approved_by.is_some() && self.revoked_at.is_none()
    }
}

fn key_row(r: &QueryResult) -> Result<KeyRow, DbErr> {
    Ok(KeyRow {
        id: s(r, "id")?,
        region: s(r, "region")?,
        public_key: s(r, "public_key")?,
        added_by: s(r, "added_by")?,
        created_at: s(r, "created_at")?,
        revoked_at: os(r, "revoked_at")?,
        approved_by: os(r, "approved_by")?,
        approved_at: os(r, "approved_at")?,
        revoke_requested_by: os(r, "revoke_requested_by")?,
        revoke_requested_at: os(r, "revoke_requested_at")?,
    })
}

const KEY_COLS: &str = "id, region, public_key, added_by, created_at, revoked_at, approved_by, \
     approved_at, revoke_requested_by, revoke_requested_at";

impl Db {
    /// Registers a key (returns its id when it inserted).
    pub fn insert_key_stmt(&self, k: &KeyRow) -> Statement {
        self.stmt(
            "INSERT INTO signing_keys (id, region, public_key, added_by, created_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            vec![
                k.id.clone().into(),
                k.region.clone().into(),
                k.public_key.clone().into(),
                k.added_by.clone().into(),
                k.created_at.clone().into(),
            ],
        )
    }

    /// A second admin approves a proposed key (returns its id when it did: the key was
    /// proposed, not revoked, and by someone else).
    pub fn approve_key_stmt(&self, id: &str, by: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE signing_keys SET approved_by = ?, approved_at = ? \
             WHERE id = ? AND approved_by IS NULL AND revoked_at IS NULL AND added_by <> ? \
             RETURNING id",
            vec![by.into(), at.into(), id.into(), by.into()],
        )
    }

    /// Revokes a key (returns its id when it did): a proposed key at once (withdrawn), a live
    /// one when someone other than `by` asked for it.
    pub fn revoke_key_stmt(&self, id: &str, by: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE signing_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL \
             AND (approved_by IS NULL \
                  OR (revoke_requested_by IS NOT NULL AND revoke_requested_by <> ?)) \
             RETURNING id",
            vec![at.into(), id.into(), by.into()],
        )
    }

    /// Asks for a live key's revocation (returns its id when it was live and not yet asked).
    pub fn request_revoke_key_stmt(&self, id: &str, by: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE signing_keys SET revoke_requested_by = ?, revoke_requested_at = ? \
             WHERE id = ? AND revoked_at IS NULL AND approved_by IS NOT NULL \
             AND revoke_requested_by IS NULL RETURNING id",
            vec![by.into(), at.into(), id.into()],
        )
    }

    /// One key.
    pub async fn key(&self, id: &str) -> Result<Option<KeyRow>, DbErr> {
        Ok(self
            .all(
                &format!("SELECT {KEY_COLS} FROM signing_keys WHERE id = ?"),
                vec![id.into()],
                key_row,
            )
            .await?
            .pop())
    }

    /// Every key (revoked ones included), or a region's.
    pub async fn keys(&self, region: Option<&str>) -> Result<Vec<KeyRow>, DbErr> {
        match region {
            Some(r) => {
                self.all(
                    &format!("SELECT {KEY_COLS} FROM signing_keys WHERE region = ? ORDER BY id"),
                    vec![r.into()],
                    key_row,
                )
                .await
            }
            None => {
                self.all(
                    &format!("SELECT {KEY_COLS} FROM signing_keys ORDER BY region, id"),
                    vec![],
                    key_row,
                )
                .await
            }
        }
    }
}
