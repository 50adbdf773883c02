//! Group commit: one task owns the writes that must be durable before a client hears 201.
//! Each job waits on a oneshot; the task takes every job queued, runs them in one transaction,
//! commits once — one fsync for the whole batch — and then answers every job. If a job fails,
//! the batch is run again with a savepoint per job, so one bad job cannot sink its neighbours.
//!
//! The writer also appends the jobs' audit entries and platform events. Their sequence numbers
//! and the audit hash chain come from the `chain_head` row, read (and on PostgreSQL locked)
//! inside the same transaction, so several instances sharing a database still produce one
//! gap-free, totally ordered chain: a reader that has seen sequence n has seen every entry
//! before it.

use super::Db;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, TransactionTrait};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

/// Largest batch.
const MAX_BATCH: usize = 512;

/// A unit of writes.
pub struct Job {
    /// A statement that returns a row when it inserted (`INSERT .. ON CONFLICT DO NOTHING
    /// RETURNING ..`); when it returns none, `then` is skipped and the job answers `false`.
    pub guard: Option<Statement>,
    /// Statements run after the guard (or alone).
    pub then: Vec<Statement>,
    /// Audit entries to append when the job applies.
    pub audit: Vec<AuditDraft>,
    /// Platform events to append when the job applies.
    pub events: Vec<EventDraft>,
    reply: oneshot::Sender<Result<Applied, DbErr>>,
}

/// What became of a job.
#[derive(Debug)]
pub enum Applied {
    /// Its guard returned no row (a conflict): nothing of it was written.
    Skipped,
    /// Written; with the row its guard returned, if it had one.
    Done(Option<QueryResult>),
}

/// An audit entry before it has its place in the chain.
#[derive(Clone, Debug)]
pub struct AuditDraft {
    /// Who (a token id, or `system`).
    pub actor: String,
    /// What, e.g. `claim.created`, `review.approve`, `token.issued`.
    pub action: String,
    /// The claim concerned.
    pub claim_id: Option<String>,
    /// State before.
    pub before: Option<Value>,
    /// State after.
    pub after: Option<Value>,
}

/// A platform event before it has its sequence number.
#[derive(Clone, Debug)]
pub struct EventDraft {
    /// The platform that may read it.
    pub platform: String,
    /// The claim.
    pub claim_id: String,
    /// `claim.created`, `decision.made`, `status.changed`, `supplement.requested`, ...
    pub kind: String,
    /// Details.
    pub payload: Value,
}

/// The hash of an audit entry: SHA-256 over the previous hash and the entry's fields.
#[allow(clippy::too_many_arguments)]
pub fn audit_hash(
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    claim: &str,
    before: &str,
    after: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &seq.to_string(),
        at,
        actor,
        action,
        claim,
        before,
        after,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// The handle to the writer task.
#[derive(Clone, Debug)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task.
    pub fn start(db: Db) -> Writer {
        let (tx, rx) = mpsc::channel(8192);
        tokio::spawn(run(db, rx));
        Writer { tx }
    }

    /// Runs a job durably; `Ok(false)` when its guard found a conflict.
    pub async fn submit(
        &self,
        guard: Option<Statement>,
        then: Vec<Statement>,
    ) -> Result<bool, DbErr> {
        self.submit_logged(guard, then, Vec::new(), Vec::new())
            .await
    }

    /// Runs a job durably with its audit entries and events.
    pub async fn submit_logged(
        &self,
        guard: Option<Statement>,
        then: Vec<Statement>,
        audit: Vec<AuditDraft>,
        events: Vec<EventDraft>,
    ) -> Result<bool, DbErr> {
        Ok(matches!(
            self.submit_returning(guard, then, audit, events).await?,
            Applied::Done(_)
        ))
    }

    /// Runs a job durably with its audit entries and events; the row its guard returned.
    pub async fn submit_returning(
        &self,
        guard: Option<Statement>,
        then: Vec<Statement>,
        audit: Vec<AuditDraft>,
        events: Vec<EventDraft>,
    ) -> Result<Applied, DbErr> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job {
                guard,
                then,
                audit,
                events,
                reply,
            })
            .await
            .map_err(|_| DbErr::Custom("writer stopped".into()))?;
        rx.await
            .map_err(|_| DbErr::Custom("writer stopped".into()))?
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = run_batch(&db, &batch).await;
        for (job, result) in batch.into_iter().zip(results) {
            let _ = job.reply.send(result);
        }
    }
}

struct Head {
    audit_seq: i64,
    audit_hash: String,
    event_seq: i64,
}

/// Rows of the log tables, gathered so that a whole batch inserts them at once.
#[derive(Default)]
struct LogRows {
    audit: Vec<Vec<sea_orm::Value>>,
    events: Vec<Vec<sea_orm::Value>>,
}

const AUDIT_INSERT: &str =
    "INSERT INTO audit (seq, at, actor, action, claim_id, before, after, prev_hash, hash) VALUES ";
const AUDIT_ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
const EVENTS_INSERT: &str =
    "INSERT INTO events (seq, platform, claim_id, kind, payload, at) VALUES ";
const EVENTS_ROW: &str = "(?, ?, ?, ?, ?, ?)";

impl LogRows {
    /// Inserts the gathered rows with multi-row statements (200 rows each).
    async fn flush<C: ConnectionTrait>(self, db: &Db, conn: &C) -> Result<(), DbErr> {
        for (head, row, rows) in [
            (AUDIT_INSERT, AUDIT_ROW, self.audit),
            (EVENTS_INSERT, EVENTS_ROW, self.events),
        ] {
            for chunk in rows.chunks(200) {
                let sql = format!("{head}{}", vec![row; chunk.len()].join(", "));
                conn.execute_raw(db.stmt(&sql, chunk.iter().flatten().cloned().collect()))
                    .await?;
            }
        }
        Ok(())
    }
}

async fn run_job(
    db: &Db,
    txn: &sea_orm::DatabaseTransaction,
    job: &Job,
    head: &mut Head,
    logs: &mut LogRows,
    careful: bool,
) -> Result<Applied, DbErr> {
    let (inserted, next) = if careful {
        // Inside its own savepoint, its log rows included: a failure rolls back this job alone.
        let sp = txn.begin().await?;
        let mut mine = LogRows::default();
        let r = apply(&sp, job, head, &mut mine).await?;
        mine.flush(db, &sp).await?;
        sp.commit().await?;
        r
    } else {
        // The rows join the batch's, inserted together at the end.
        apply(txn, job, head, logs).await?
    };
    *head = next;
    Ok(inserted)
}

/// Runs a job's statements and gathers its log rows; returns whether it applied and the
/// chain head after it (the caller adopts the head only once the job is safely done).
async fn apply<C: ConnectionTrait>(
    conn: &C,
    job: &Job,
    head: &Head,
    logs: &mut LogRows,
) -> Result<(Applied, Head), DbErr> {
    let (inserted, row) = match &job.guard {
        Some(g) => match conn.query_one_raw(g.clone()).await? {
            Some(r) => (true, Some(r)),
            None => (false, None),
        },
        None => (true, None),
    };
    let mut next = Head {
        audit_seq: head.audit_seq,
        audit_hash: head.audit_hash.clone(),
        event_seq: head.event_seq,
    };
    if !inserted {
        return Ok((Applied::Skipped, next));
    }
    for s in &job.then {
        conn.execute_raw(s.clone()).await?;
    }
    let at = crate::now().to_string();
    for a in &job.audit {
        next.audit_seq += 1;
        let before = a.before.as_ref().map(Value::to_string).unwrap_or_default();
        let after = a.after.as_ref().map(Value::to_string).unwrap_or_default();
        let claim = a.claim_id.clone().unwrap_or_default();
        let hash = audit_hash(
            &next.audit_hash,
            next.audit_seq,
            &at,
            &a.actor,
            &a.action,
            &claim,
            &before,
            &after,
        );
        logs.audit.push(vec![
            next.audit_seq.into(),
            at.clone().into(),
            a.actor.clone().into(),
            a.action.clone().into(),
            a.claim_id.clone().into(),
            a.before.as_ref().map(Value::to_string).into(),
            a.after.as_ref().map(Value::to_string).into(),
            next.audit_hash.clone().into(),
            hash.clone().into(),
        ]);
        next.audit_hash = hash;
    }
    for e in &job.events {
        next.event_seq += 1;
        logs.events.push(vec![
            next.event_seq.into(),
            e.platform.clone().into(),
            e.claim_id.clone().into(),
            e.kind.clone().into(),
            e.payload.to_string().into(),
            at.clone().into(),
        ]);
    }
    Ok((Applied::Done(row), next))
}

async fn read_head(db: &Db, txn: &sea_orm::DatabaseTransaction) -> Result<Head, DbErr> {
    let lock = if db.backend == DbBackend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let row = txn
        .query_one_raw(db.stmt(
            &format!("SELECT audit_seq, audit_hash, event_seq FROM chain_head WHERE id = 1{lock}"),
            vec![],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("chain_head row missing".into()))?;
    Ok(Head {
        audit_seq: row.try_get("", "audit_seq")?,
        audit_hash: row.try_get("", "audit_hash")?,
        event_seq: row.try_get("", "event_seq")?,
    })
}

/// Runs a batch without savepoints (the common case: a handful of round trips fewer per job);
/// if any job fails, the whole transaction is dropped and the batch runs again with a
/// savepoint per job, so that only the failing job fails.
async fn run_batch(db: &Db, batch: &[Job]) -> Vec<Result<Applied, DbErr>> {
    let fast = run_batch_in(db, batch, false).await;
    if fast.iter().all(Result::is_ok) {
        return fast;
    }
    run_batch_in(db, batch, true).await
}

async fn run_batch_in(db: &Db, batch: &[Job], careful: bool) -> Vec<Result<Applied, DbErr>> {
    let txn = match db.conn.begin().await {
        Ok(t) => t,
        Err(e) => return batch.iter().map(|_| Err(clone_err(&e))).collect(),
    };
    let logs = batch
        .iter()
        .any(|j| !j.audit.is_empty() || !j.events.is_empty());
    let mut head = if logs {
        match read_head(db, &txn).await {
            Ok(h) => Some(h),
            Err(e) => return batch.iter().map(|_| Err(clone_err(&e))).collect(),
        }
    } else {
        None
    };
    let start = head.as_ref().map(|h| (h.audit_seq, h.event_seq));
    let mut results = Vec::with_capacity(batch.len());
    let mut scratch = Head {
        audit_seq: 0,
        audit_hash: String::new(),
        event_seq: 0,
    };
    // Without savepoints, the whole batch's log rows go in at the end, a few statements in all.
    let mut log_rows = LogRows::default();
    for job in batch {
        // A failed job's savepoint is rolled back when it is dropped.
        let h = head.as_mut().unwrap_or(&mut scratch);
        let r = run_job(db, &txn, job, h, &mut log_rows, careful).await;
        let failed = r.is_err();
        results.push(r);
        if failed && !careful {
            // The transaction is unusable now (PostgreSQL); the caller retries carefully.
            return batch
                .iter()
                .map(|_| Err(DbErr::Custom("batch retried job by job".into())))
                .collect();
        }
    }
    if let Err(e) = log_rows.flush(db, &txn).await {
        return batch.iter().map(|_| Err(clone_err(&e))).collect();
    }
    if let (Some(h), Some(start)) = (&head, start) {
        if (h.audit_seq, h.event_seq) != start {
            let r = txn
                .execute_raw(db.stmt(
                    "UPDATE chain_head SET audit_seq = ?, audit_hash = ?, event_seq = ? WHERE id = 1",
                    vec![h.audit_seq.into(), h.audit_hash.clone().into(), h.event_seq.into()],
                ))
                .await;
            if let Err(e) = r {
                return batch.iter().map(|_| Err(clone_err(&e))).collect();
            }
        }
    }
    match txn.commit().await {
        Ok(()) => results,
        Err(e) => batch.iter().map(|_| Err(clone_err(&e))).collect(),
    }
}

fn clone_err(e: &DbErr) -> DbErr {
    e.clone()
}
