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
    /// The ed25519 public key, hex.
    pub public_key: String,
    /// The admin token that added it.
    pub added_by: String,
    /// Added.
    pub created_at: String,
    /// Revoked.
    pub revoked_at: Option<String>,
}

fn key_row(r: &QueryResult) -> Result<KeyRow, DbErr> {
    Ok(KeyRow {
        id: s(r, "id")?,
        region: s(r, "region")?,
        public_key: s(r, "public_key")?,
        added_by: s(r, "added_by")?,
        created_at: s(r, "created_at")?,
        revoked_at: os(r, "revoked_at")?,
    })
}

const KEY_COLS: &str = "id, region, public_key, added_by, created_at, revoked_at";

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

    /// Revokes a key (returns its id when it was live).
    pub fn revoke_key_stmt(&self, id: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE signing_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
            vec![at.into(), id.into()],
        )
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
