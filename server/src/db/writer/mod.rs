//! Group commit: one task owns the writes that must be durable before a client hears 201.
//! Each job waits on a oneshot; the task takes every job queued, runs them in one transaction,
//! commits once — one fsync for the whole batch — and then answers every job. If a job fails,
//! the batch is run again with a savepoint per job, so one bad job cannot sink its neighbours.
//!
//! Consecutive jobs that insert rows (a claim and its decision, the baseline's row) are merged:
//! their rows go in with one multi-row statement per table instead of a statement per job, so
//! that a batch costs a handful of round trips to the database, not a few per job.
//!
//! The writer also appends the jobs' audit entries and platform events. Their sequence numbers
//! and the audit hash chain come from the `chain_head` row, read (and on PostgreSQL locked)
//! inside the same transaction, so several instances sharing a database still produce one
//! gap-free, totally ordered chain: a reader that has seen sequence n has seen every entry
//! before it.

mod batch;

use super::Db;
use batch::run_batch;
use sea_orm::{DbErr, QueryResult, Statement};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Connections the writer keeps (it uses one at a time; one more stands by).
const WRITER_CONNECTIONS: u32 = 2;

/// Largest batch.
const MAX_BATCH: usize = 512;

/// Rows in one multi-row statement at most (PostgreSQL takes 65,535 parameters, SQLite 32,766).
pub(super) const MAX_ROWS: usize = 128;

/// A table's row insert, split so that the rows of several jobs can share one statement:
/// `{head}{row}, {row}, ...{tail}`.
#[derive(Debug)]
pub struct Table {
    /// `INSERT INTO t (columns) VALUES `.
    pub head: Cow<'static, str>,
    /// One row's placeholders, `(?, ?, ...)`; it may hold subqueries.
    pub row: Cow<'static, str>,
    /// What follows the rows: nothing, or for a guard
    /// ` ON CONFLICT DO NOTHING RETURNING id, ...` (the first column returned is the row's id).
    pub tail: Cow<'static, str>,
}

impl Table {
    fn statement(&self, db: &Db, rows: &[&Row]) -> Statement {
        let mut sql = String::with_capacity(self.head.len() + rows.len() * (self.row.len() + 2));
        sql.push_str(&self.head);
        for (i, _) in rows.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&self.row);
        }
        sql.push_str(&self.tail);
        db.stmt(
            &sql,
            rows.iter().flat_map(|r| r.values.iter().cloned()).collect(),
        )
    }
}

/// One row for a [`Table`].
#[derive(Clone, Debug)]
pub struct Row {
    /// Its table.
    pub table: &'static Table,
    /// Its values, in the order of the table's placeholders.
    pub values: Vec<sea_orm::Value>,
}

impl Row {
    /// The row inserted on its own.
    pub fn statement(&self, db: &Db) -> Statement {
        self.table.statement(db, &[self])
    }
}

/// What decides whether a job applies.
pub enum Guard {
    /// A statement that returns a row when it inserted (`INSERT .. ON CONFLICT DO NOTHING
    /// RETURNING ..`).
    Stmt(Statement),
    /// A row of a table whose tail is ` ON CONFLICT DO NOTHING RETURNING id, ...`; the writer
    /// inserts the guard rows of neighbouring jobs together and knows each by `id`. Rows with
    /// the same `key` never share a statement, so a subquery in a row (the claim's
    /// possible-duplicate lookup) sees every row before it, as if each ran alone.
    Row {
        /// The row's id, the first column its statement returns.
        id: String,
        /// Rows that must see each other.
        key: String,
        /// The row.
        row: Row,
    },
}

impl Guard {
    /// The guard run on its own.
    pub fn statement(&self, db: &Db) -> Statement {
        match self {
            Guard::Stmt(s) => s.clone(),
            Guard::Row { row, .. } => row.statement(db),
        }
    }
}

/// A unit of writes.
pub struct Job {
    /// When its guard returns no row (a conflict), nothing of the job is written and it answers
    /// [`Applied::Skipped`].
    pub guard: Option<Guard>,
    /// Rows inserted after the guard; merged with the neighbouring jobs' rows.
    pub rows: Vec<Row>,
    /// Statements run after the guard and the rows.
    pub then: Vec<Statement>,
    /// Audit entries to append when the job applies.
    pub audit: Vec<AuditDraft>,
    /// Platform events to append when the job applies.
    pub events: Vec<EventDraft>,
    /// The id of the request that submitted it (named in its audit entries), if any.
    pub request_id: Option<String>,
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
    /// State before (JSON).
    pub before: Option<String>,
    /// State after (JSON).
    pub after: Option<String>,
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
    /// Details (JSON).
    pub payload: String,
}

/// The hash of an audit entry: SHA-256 over the previous hash and the entry's fields, each
/// ended by a zero byte. The request id, when the entry has one, comes last: an entry without
/// one (every entry written before request ids were stored) hashes as it always did.
#[allow(clippy::too_many_arguments)]
pub fn audit_hash(
    profile: crate::crypto::Profile,
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    claim: &str,
    before: &str,
    after: &str,
    request_id: Option<&str>,
) -> String {
    let mut h = profile.hasher();
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
        h.update(&[0u8]);
    }
    if let Some(r) = request_id {
        h.update(r.as_bytes());
        h.update(&[0u8]);
    }
    hex::encode(h.finalize())
}

/// The handle to the writer task.
#[derive(Clone, Debug)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    stats: Arc<Stats>,
}

/// What the writer has done since it started (exported at `/metrics`).
#[derive(Debug, Default)]
struct Stats {
    batches: AtomicU64,
    jobs: AtomicU64,
    busy_micros: AtomicU64,
}

/// A reading of the writer's counters: transactions committed (or failed), jobs in them, and
/// the time spent running them. Jobs per batch tell how much group commit merges; busy time
/// against wall time tells whether the writer is what limits the write rate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Batches run.
    pub batches: u64,
    /// Jobs in them.
    pub jobs: u64,
    /// Time spent running them.
    pub busy: Duration,
}

impl Writer {
    /// Starts the writer on a thread of its own, with its own runtime and connections, so that
    /// its round trips to the database are not queued behind the request handlers (under load
    /// a task on the shared runtime waited milliseconds for each). Returns once it is connected.
    pub async fn start(url: &str, profile: crate::crypto::Profile) -> Result<Writer, DbErr> {
        let (tx, rx) = mpsc::channel(8192);
        let (ready, connected) = oneshot::channel();
        let url = url.to_string();
        let stats = Arc::new(Stats::default());
        let counted = stats.clone();
        std::thread::Builder::new()
            .name("oip-writer".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready.send(Err(DbErr::Custom(e.to_string())));
                        return;
                    }
                };
                rt.block_on(async move {
                    match Db::connect_with(&url, WRITER_CONNECTIONS).await {
                        Ok(db) => {
                            let db = db.under(profile);
                            let _ = ready.send(Ok(()));
                            run(db, rx, &counted).await;
                        }
                        Err(e) => {
                            let _ = ready.send(Err(e));
                        }
                    }
                });
            })
            .map_err(|e| DbErr::Custom(format!("cannot start the writer thread: {e}")))?;
        connected
            .await
            .map_err(|_| DbErr::Custom("writer stopped".into()))??;
        Ok(Writer { tx, stats })
    }

    /// The counters so far.
    pub fn stats(&self) -> WriterStats {
        WriterStats {
            batches: self.stats.batches.load(Ordering::Relaxed),
            jobs: self.stats.jobs.load(Ordering::Relaxed),
            busy: Duration::from_micros(self.stats.busy_micros.load(Ordering::Relaxed)),
        }
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
            self.submit_job(guard.map(Guard::Stmt), Vec::new(), then, audit, events)
                .await?,
            Applied::Done(_)
        ))
    }

    /// Inserts rows durably, merged with the neighbouring jobs' rows; when `guard` is given and
    /// finds a conflict, nothing is written. The row the guard returned comes back.
    pub async fn submit_rows(
        &self,
        guard: Option<Guard>,
        rows: Vec<Row>,
        audit: Vec<AuditDraft>,
        events: Vec<EventDraft>,
    ) -> Result<Applied, DbErr> {
        self.submit_job(guard, rows, Vec::new(), audit, events)
            .await
    }

    /// Inserts rows and runs statements durably in one transaction, with the guard first;
    /// when the guard finds a conflict, nothing is written.
    pub async fn submit_rows_then(
        &self,
        guard: Option<Guard>,
        rows: Vec<Row>,
        then: Vec<Statement>,
        audit: Vec<AuditDraft>,
    ) -> Result<Applied, DbErr> {
        self.submit_job(guard, rows, then, audit, Vec::new()).await
    }

    async fn submit_job(
        &self,
        guard: Option<Guard>,
        rows: Vec<Row>,
        then: Vec<Statement>,
        audit: Vec<AuditDraft>,
        events: Vec<EventDraft>,
    ) -> Result<Applied, DbErr> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job {
                guard,
                rows,
                then,
                audit,
                events,
                // Read here, in the request's task: the writer runs on a thread of its own.
                request_id: crate::api::error::REQUEST_ID.try_with(Clone::clone).ok(),
                reply,
            })
            .await
            .map_err(|_| DbErr::Custom("writer stopped".into()))?;
        rx.await
            .map_err(|_| DbErr::Custom("writer stopped".into()))?
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>, stats: &Stats) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let results = run_batch(&db, &batch).await;
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
        stats.busy_micros.fetch_add(
            u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        for (job, result) in batch.into_iter().zip(results) {
            let _ = job.reply.send(result);
        }
    }
}
