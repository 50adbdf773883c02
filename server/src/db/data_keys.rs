//! The `data_keys` table (the data keys, one row per generation, wrapped by the master key,
//! with the progress of the re-encryption a rotation starts) and `key_check` (the master key's
//! check value).

use super::{Db, i, os, s};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

/// A stored data key.
#[derive(Clone, Debug)]
pub struct DataKeyRow {
    /// Its generation (1, 2, ...); the highest seals.
    pub generation: i64,
    /// The key wrapped by the master key.
    pub wrapped: String,
    /// The last claim id the re-encryption under this generation has passed.
    pub reseal_cursor: Option<String>,
    /// When everything stored was found sealed under this generation.
    pub resealed_at: Option<String>,
}

impl Db {
    /// The master key's check value, when the keys were made.
    pub async fn key_check_value(&self) -> Result<Option<String>, DbErr> {
        self.one(
            "SELECT check_value FROM key_check WHERE id = 1",
            vec![],
            |r| s(r, "check_value"),
        )
        .await
    }

    /// Every data key, oldest first.
    pub async fn data_keys(&self) -> Result<Vec<DataKeyRow>, DbErr> {
        self.all(
            "SELECT generation, wrapped, reseal_cursor, resealed_at FROM data_keys ORDER BY generation",
            vec![],
            |r| {
                Ok(DataKeyRow {
                    generation: i(r, "generation")?,
                    wrapped: s(r, "wrapped")?,
                    reseal_cursor: os(r, "reseal_cursor")?,
                    resealed_at: os(r, "resealed_at")?,
                })
            },
        )
        .await
    }

    /// Stores the first data key and the check value, unless another instance did first (the
    /// caller reads back what is stored).
    pub async fn init_data_keys(&self, check: &str, wrapped: &str, now: &str) -> Result<(), DbErr> {
        let tx = self.conn.begin().await?;
        tx.execute_raw(self.stmt(
            "INSERT INTO key_check (id, check_value) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
            vec![check.into()],
        ))
        .await?;
        tx.execute_raw(self.stmt(
            "INSERT INTO data_keys (generation, wrapped, created_at, resealed_at) VALUES (1, ?, ?, ?) \
             ON CONFLICT (generation) DO NOTHING",
            vec![wrapped.into(), now.into(), now.into()],
        ))
        .await?;
        tx.commit().await
    }

    /// Adds a generation; `false` when it exists already (another rotation won).
    pub async fn add_data_key(
        &self,
        generation: i64,
        wrapped: &str,
        now: &str,
    ) -> Result<bool, DbErr> {
        Ok(self
            .exec(
                "INSERT INTO data_keys (generation, wrapped, created_at) VALUES (?, ?, ?) \
                 ON CONFLICT (generation) DO NOTHING",
                vec![generation.into(), wrapped.into(), now.into()],
            )
            .await?
            == 1)
    }

    /// Replaces every wrapped key and the check value at once (a master-key rotation).
    pub async fn rewrap_data_keys(
        &self,
        check: &str,
        wrapped: &[(i64, String)],
    ) -> Result<(), DbErr> {
        let tx = self.conn.begin().await?;
        tx.execute_raw(self.stmt(
            "UPDATE key_check SET check_value = ? WHERE id = 1",
            vec![check.into()],
        ))
        .await?;
        for (g, w) in wrapped {
            tx.execute_raw(self.stmt(
                "UPDATE data_keys SET wrapped = ? WHERE generation = ?",
                vec![w.as_str().into(), (*g).into()],
            ))
            .await?;
        }
        tx.commit().await
    }

    /// A page of claims' sealed personal data after `cursor`, in id order.
    pub async fn sealed_claims_after(
        &self,
        cursor: &str,
        limit: u64,
    ) -> Result<Vec<(String, String)>, DbErr> {
        self.all(
            "SELECT id, worker_sealed FROM claims WHERE id > ? AND worker_sealed <> '' ORDER BY id LIMIT ?",
            vec![cursor.into(), (limit as i64).into()],
            |r| Ok((s(r, "id")?, s(r, "worker_sealed")?)),
        )
        .await
    }

    /// Replaces a claim's sealed personal data, if it is still `old`.
    pub async fn reseal_claim(&self, id: &str, old: &str, new: &str) -> Result<(), DbErr> {
        self.exec(
            "UPDATE claims SET worker_sealed = ? WHERE id = ? AND worker_sealed = ?",
            vec![new.into(), id.into(), old.into()],
        )
        .await
        .map(|_| ())
    }

    /// Every webhook's sealed secret.
    pub async fn webhook_secrets(&self) -> Result<Vec<(String, String)>, DbErr> {
        self.all(
            "SELECT platform, secret_sealed FROM webhooks",
            vec![],
            |r| Ok((s(r, "platform")?, s(r, "secret_sealed")?)),
        )
        .await
    }

    /// Replaces a webhook's sealed secret, if it is still `old`.
    pub async fn reseal_webhook(&self, platform: &str, old: &str, new: &str) -> Result<(), DbErr> {
        self.exec(
            "UPDATE webhooks SET secret_sealed = ? WHERE platform = ? AND secret_sealed = ?",
            vec![new.into(), platform.into(), old.into()],
        )
        .await
        .map(|_| ())
    }

    /// Every user's sealed TOTP secret, by user id.
    pub async fn totp_secrets(&self) -> Result<Vec<(String, String)>, DbErr> {
        self.all(
            "SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL",
            vec![],
            |r| Ok((s(r, "id")?, s(r, "totp_secret")?)),
        )
        .await
    }

    /// Replaces a user's sealed TOTP secret, if it is still `old`.
    pub async fn reseal_totp(&self, user_id: &str, old: &str, new: &str) -> Result<(), DbErr> {
        self.exec(
            "UPDATE users SET totp_secret = ? WHERE id = ? AND totp_secret = ?",
            vec![new.into(), user_id.into(), old.into()],
        )
        .await
        .map(|_| ())
    }

    /// Moves a generation's re-encryption cursor forward (never back: two instances may run
    /// the same pages).
    pub async fn reseal_progress(&self, generation: i64, cursor: &str) -> Result<(), DbErr> {
        self.exec(
            "UPDATE data_keys SET reseal_cursor = ? WHERE generation = ? \
             AND (reseal_cursor IS NULL OR reseal_cursor < ?)",
            vec![cursor.into(), generation.into(), cursor.into()],
        )
        .await
        .map(|_| ())
    }

    /// Records that everything stored is sealed under a generation.
    pub async fn resealed(&self, generation: i64, now: &str) -> Result<(), DbErr> {
        self.exec(
            "UPDATE data_keys SET resealed_at = ? WHERE generation = ? AND resealed_at IS NULL",
            vec![now.into(), generation.into()],
        )
        .await
        .map(|_| ())
    }
}
