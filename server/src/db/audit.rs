//! The `audit` table and its chain head: the hash-chained trail of every action.

use super::{Db, i, os, s};
use sea_orm::DbErr;

/// An audit entry.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRow {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which claim.
    pub claim_id: Option<String>,
    /// State before (JSON).
    pub before: Option<String>,
    /// State after (JSON).
    pub after: Option<String>,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
    /// The request that wrote it, if a request did.
    pub request_id: Option<String>,
}

impl Db {
    /// Audit entries (of a claim, or all), in chain order, after a sequence number.
    pub async fn audit(
        &self,
        claim: Option<&str>,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AuditRow>, DbErr> {
        let (cond, mut values): (&str, Vec<sea_orm::Value>) = match claim {
            Some(c) => (" AND claim_id = ?", vec![c.into()]),
            None => ("", vec![]),
        };
        values.insert(0, after.into());
        self.all(
            &format!(
                "SELECT seq, at, actor, action, claim_id, before, after, prev_hash, hash, request_id FROM audit \
                 WHERE seq > ?{cond} ORDER BY seq LIMIT {limit}"
            ),
            values,
            |r| {
                Ok(AuditRow {
                    seq: i(r, "seq")?,
                    at: s(r, "at")?,
                    actor: s(r, "actor")?,
                    action: s(r, "action")?,
                    claim_id: os(r, "claim_id")?,
                    before: os(r, "before")?,
                    after: os(r, "after")?,
                    prev_hash: s(r, "prev_hash")?,
                    hash: s(r, "hash")?,
                    request_id: os(r, "request_id")?,
                })
            },
        )
        .await
    }

    /// The last audit entry the chain head records: its sequence number and hash.
    pub async fn chain_head(&self) -> Result<(i64, String), DbErr> {
        Ok(self
            .one(
                "SELECT audit_seq, audit_hash FROM chain_head WHERE id = 1",
                vec![],
                |r| Ok((i(r, "audit_seq")?, s(r, "audit_hash")?)),
            )
            .await?
            .unwrap_or((0, String::new())))
    }
}
