//! The audit trail: append-only, each entry carrying the hash of the previous one. Verifying
//! walks the chain from the start and names the first entry that does not match.

pub mod checkpoints;

use crate::db::Db;
use crate::db::writer::audit_hash;

/// The outcome of a verification.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry matches; this many were checked.
    Intact(u64),
    /// The first entry that does not match, and why.
    Broken {
        /// Its sequence number.
        seq: i64,
        /// What is wrong.
        problem: String,
    },
}

/// Walks the whole chain (hashed under the database's profile, [`Db::under`]).
pub async fn verify(db: &Db) -> Result<Verdict, sea_orm::DbErr> {
    let mut prev = String::new();
    let mut expected_seq = 1i64;
    let mut after = 0i64;
    let mut checked = 0u64;
    loop {
        let page = db.audit(None, after, 1000).await?;
        if page.is_empty() {
            // The head records how far the chain reached: a truncated tail shows here.
            let (head, head_hash) = db.chain_head().await?;
            if head != after {
                return Ok(Verdict::Broken {
                    seq: after + 1,
                    problem: format!("the chain ends at {after} but its head says {head}"),
                });
            }
            // The sequence alone can be forged with the last row: the head's hash must be the
            // last entry's.
            if head_hash != prev {
                return Ok(Verdict::Broken {
                    seq: after,
                    problem: "the last entry's hash is not the one the chain head records (the tail was rewritten)".into(),
                });
            }
            return Ok(Verdict::Intact(checked));
        }
        for e in page {
            if e.seq != expected_seq {
                return Ok(Verdict::Broken {
                    seq: e.seq,
                    problem: format!("expected entry {expected_seq}: an entry is missing"),
                });
            }
            if e.prev_hash != prev {
                return Ok(Verdict::Broken {
                    seq: e.seq,
                    problem: "its previous-hash does not match the entry before it".into(),
                });
            }
            let h = audit_hash(
                db.profile,
                &prev,
                e.seq,
                &e.at,
                &e.actor,
                &e.action,
                e.claim_id.as_deref().unwrap_or_default(),
                e.before.as_deref().unwrap_or_default(),
                e.after.as_deref().unwrap_or_default(),
                e.request_id.as_deref(),
            );
            if h != e.hash {
                return Ok(Verdict::Broken {
                    seq: e.seq,
                    problem: "its contents do not match its hash (edited after it was written)"
                        .into(),
                });
            }
            prev = e.hash;
            expected_seq += 1;
            after = e.seq;
            checked += 1;
        }
    }
}
