//! The `events` table: what each platform may read of its claims, in order (the outbox its
//! webhook delivers from).

use super::{Db, i, s};
use sea_orm::DbErr;

/// A platform event as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    /// Position in the platform's stream (gap-free across the whole table).
    pub seq: i64,
    /// The claim.
    pub claim_id: String,
    /// `claim.created`, `decision.made`, `status.changed`, `supplement.requested`, `appeal.filed`.
    pub kind: String,
    /// Details (JSON).
    pub payload: String,
    /// When.
    pub at: String,
}

impl Db {
    /// A platform's events after a sequence number.
    pub async fn events(
        &self,
        platform: &str,
        after: i64,
        limit: u64,
    ) -> Result<Vec<EventRow>, DbErr> {
        self.all(
            &format!(
                "SELECT seq, claim_id, kind, payload, at FROM events WHERE platform = ? AND seq > ? \
                 ORDER BY seq LIMIT {limit}"
            ),
            vec![platform.into(), after.into()],
            |r| {
                Ok(EventRow {
                    seq: i(r, "seq")?,
                    claim_id: s(r, "claim_id")?,
                    kind: s(r, "kind")?,
                    payload: s(r, "payload")?,
                    at: s(r, "at")?,
                })
            },
        )
        .await
    }
}
