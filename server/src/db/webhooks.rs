//! The `webhooks` table: per platform, where its events go and how far delivery got.

use super::{Db, i, s};
use sea_orm::{DbErr, Statement};

/// A webhook due for a delivery attempt.
#[derive(Clone, Debug)]
pub struct WebhookRow {
    /// The platform.
    pub platform: String,
    /// Where to deliver.
    pub url: String,
    /// The signing secret, sealed.
    pub secret_sealed: String,
    /// The last event delivered.
    pub delivered_seq: i64,
    /// Failures in a row.
    pub failures: i64,
}

impl Db {
    /// Sets a platform's webhook (delivery restarts after the events already delivered).
    pub fn upsert_webhook_stmt(
        &self,
        platform: &str,
        url: &str,
        secret_sealed: &str,
        now: &str,
    ) -> Statement {
        self.stmt(
            "INSERT INTO webhooks (platform, url, secret_sealed, delivered_seq, failures, next_attempt_at, updated_at) \
             VALUES (?, ?, ?, 0, 0, 0, ?) ON CONFLICT (platform) DO UPDATE SET url = excluded.url, \
             secret_sealed = excluded.secret_sealed, failures = 0, next_attempt_at = 0, updated_at = excluded.updated_at \
             RETURNING platform",
            vec![platform.into(), url.into(), secret_sealed.into(), now.into()],
        )
    }

    /// Webhooks due for a delivery attempt.
    pub async fn webhooks_due(&self, now: i64) -> Result<Vec<WebhookRow>, DbErr> {
        self.all(
            "SELECT platform, url, secret_sealed, delivered_seq, failures FROM webhooks WHERE next_attempt_at <= ?",
            vec![now.into()],
            |r| {
                Ok(WebhookRow {
                    platform: s(r, "platform")?,
                    url: s(r, "url")?,
                    secret_sealed: s(r, "secret_sealed")?,
                    delivered_seq: i(r, "delivered_seq")?,
                    failures: i(r, "failures")?,
                })
            },
        )
        .await
    }

    /// Records a delivery attempt's outcome.
    pub async fn webhook_attempted(
        &self,
        platform: &str,
        delivered_seq: i64,
        failures: i64,
        next_attempt_at: i64,
        error: Option<&str>,
    ) -> Result<(), DbErr> {
        self.exec(
            "UPDATE webhooks SET delivered_seq = ?, failures = ?, next_attempt_at = ?, last_error = ? WHERE platform = ?",
            vec![
                delivered_seq.into(),
                (failures as i32).into(),
                next_attempt_at.into(),
                error.map(str::to_string).into(),
                platform.into(),
            ],
        )
        .await
        .map(|_| ())
    }
}
