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

use super::Db;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, TransactionTrait};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Connections the writer keeps (it uses one at a time; one more stands by).
const WRITER_CONNECTIONS: u32 = 2;

/// Largest batch.
const MAX_BATCH: usize = 512;

/// Rows in one multi-row statement at most (PostgreSQL takes 65,535 parameters, SQLite 32,766).
const MAX_ROWS: usize = 128;

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
    pub async fn start(url: &str) -> Result<Writer, DbErr> {
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

#[derive(Clone)]
struct Head {
    audit_seq: i64,
    audit_hash: String,
    event_seq: i64,
}

static AUDIT: Table = Table {
    head: Cow::Borrowed(
        "INSERT INTO audit (seq, at, actor, action, claim_id, before, after, prev_hash, hash) VALUES ",
    ),
    row: Cow::Borrowed("(?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    tail: Cow::Borrowed(""),
};

static EVENTS: Table = Table {
    head: Cow::Borrowed("INSERT INTO events (seq, platform, claim_id, kind, payload, at) VALUES "),
    row: Cow::Borrowed("(?, ?, ?, ?, ?, ?)"),
    tail: Cow::Borrowed(""),
};

/// `items` cut into consecutive chunks of [`MAX_ROWS`] or fewer whose sizes are powers of two,
/// largest first (37 rows: 32, 4, 1). A multi-row statement's text depends on its row count;
/// with these sizes a table has at most eight texts, which stay in the connection's cache of
/// prepared statements, instead of up to 128 that pushed each other out of it (each miss a
/// parse and plan of a statement with up to 128 rows of placeholders).
fn pow2_chunks<T>(mut items: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let n = items.len().min(MAX_ROWS);
        let size = 1 << n.ilog2();
        let (chunk, rest) = items.split_at(size);
        items = rest;
        Some(chunk)
    })
}

/// Items grouped by their row's table, tables in the order they first appear, items in order.
fn by_table<'a, T>(items: impl Iterator<Item = (&'a Row, T)>) -> Vec<(&'static Table, Vec<T>)> {
    let mut groups: Vec<(&'static Table, Vec<T>)> = Vec::new();
    for (row, item) in items {
        match groups.iter_mut().find(|(t, _)| std::ptr::eq(*t, row.table)) {
            Some((_, items)) => items.push(item),
            None => groups.push((row.table, vec![item])),
        }
    }
    groups
}

/// Inserts rows with multi-row statements per table, in the chunks of [`pow2_chunks`].
async fn insert_rows<'a, C: ConnectionTrait>(
    db: &Db,
    conn: &C,
    rows: impl IntoIterator<Item = &'a Row>,
) -> Result<(), DbErr> {
    for (table, rows) in by_table(rows.into_iter().map(|r| (r, r))) {
        for chunk in pow2_chunks(&rows) {
            conn.execute_raw(table.statement(db, chunk)).await?;
        }
    }
    Ok(())
}

async fn run_job(
    db: &Db,
    txn: &sea_orm::DatabaseTransaction,
    job: &Job,
    head: &mut Head,
    logs: &mut Vec<Row>,
    careful: bool,
) -> Result<Applied, DbErr> {
    let (inserted, next) = if careful {
        // Inside its own savepoint, its log rows included: a failure rolls back this job alone.
        let sp = txn.begin().await?;
        let mut mine = Vec::new();
        let r = apply(db, &sp, job, head, &mut mine).await?;
        insert_rows(db, &sp, &mine).await?;
        sp.commit().await?;
        r
    } else {
        // The rows join the batch's, inserted together at the end.
        apply(db, txn, job, head, logs).await?
    };
    *head = next;
    Ok(inserted)
}

impl Job {
    /// Whether its rows may be merged with its neighbours': it has no statements of its own
    /// whose order against theirs could matter.
    fn mergeable(&self) -> bool {
        self.then.is_empty() && !matches!(self.guard, Some(Guard::Stmt(_)))
    }
}

/// Runs a job's statements one by one and gathers its log rows; returns whether it applied
/// and the chain head after it (the caller adopts the head only once the job is safely done).
async fn apply<C: ConnectionTrait>(
    db: &Db,
    conn: &C,
    job: &Job,
    head: &Head,
    logs: &mut Vec<Row>,
) -> Result<(Applied, Head), DbErr> {
    let row = match &job.guard {
        Some(g) => match conn.query_one_raw(g.statement(db)).await? {
            Some(r) => Some(r),
            None => return Ok((Applied::Skipped, head.clone())),
        },
        None => None,
    };
    for r in &job.rows {
        conn.execute_raw(r.statement(db)).await?;
    }
    for s in &job.then {
        conn.execute_raw(s.clone()).await?;
    }
    let mut next = head.clone();
    log_job(job, &mut next, logs);
    Ok((Applied::Done(row), next))
}

/// Runs neighbouring mergeable jobs: their guard rows with a statement per table and chunk
/// (rows sharing a key in separate statements, in order), then the rows of the jobs that
/// applied, likewise. Gathers the log rows of the jobs that applied, in job order.
async fn apply_merged<C: ConnectionTrait>(
    db: &Db,
    conn: &C,
    jobs: &[Job],
    head: &mut Head,
    logs: &mut Vec<Row>,
) -> Result<Vec<Applied>, DbErr> {
    let guards = by_table(jobs.iter().filter_map(|job| match &job.guard {
        Some(Guard::Row { key, row, .. }) => Some((row, (key.as_str(), row))),
        _ => None,
    }));
    let mut returned: HashMap<String, QueryResult> = HashMap::new();
    for (table, rows) in guards {
        let mut chunk: Vec<&Row> = Vec::new();
        let mut keys: HashSet<&str> = HashSet::new();
        for (key, row) in rows {
            if chunk.len() == MAX_ROWS || keys.contains(key) {
                insert_returning(db, conn, table, &chunk, &mut returned).await?;
                chunk.clear();
                keys.clear();
            }
            chunk.push(row);
            keys.insert(key);
        }
        insert_returning(db, conn, table, &chunk, &mut returned).await?;
    }
    let mut results = Vec::with_capacity(jobs.len());
    let mut rows: Vec<&Row> = Vec::new();
    for job in jobs {
        let applied = match &job.guard {
            Some(Guard::Row { id, .. }) => match returned.remove(id) {
                Some(r) => Applied::Done(Some(r)),
                None => Applied::Skipped,
            },
            _ => Applied::Done(None),
        };
        if matches!(applied, Applied::Done(_)) {
            rows.extend(&job.rows);
            log_job(job, head, logs);
        }
        results.push(applied);
    }
    insert_rows(db, conn, rows).await?;
    Ok(results)
}

/// Inserts a chunk of guard rows; keeps the rows they returned, by id (their first column).
async fn insert_returning<C: ConnectionTrait>(
    db: &Db,
    conn: &C,
    table: &Table,
    chunk: &[&Row],
    returned: &mut HashMap<String, QueryResult>,
) -> Result<(), DbErr> {
    for chunk in pow2_chunks(chunk) {
        for r in conn.query_all_raw(table.statement(db, chunk)).await? {
            let id: String = r.try_get_by_index(0)?;
            returned.insert(id, r);
        }
    }
    Ok(())
}

/// Gathers a job's audit entries and events, chained after `head`, and moves the head.
fn log_job(job: &Job, head: &mut Head, logs: &mut Vec<Row>) {
    if job.audit.is_empty() && job.events.is_empty() {
        return;
    }
    let at = crate::now().to_string();
    for a in &job.audit {
        head.audit_seq += 1;
        let before = a.before.as_ref().map(Value::to_string);
        let after = a.after.as_ref().map(Value::to_string);
        let hash = audit_hash(
            &head.audit_hash,
            head.audit_seq,
            &at,
            &a.actor,
            &a.action,
            a.claim_id.as_deref().unwrap_or_default(),
            before.as_deref().unwrap_or_default(),
            after.as_deref().unwrap_or_default(),
        );
        logs.push(Row {
            table: &AUDIT,
            values: vec![
                head.audit_seq.into(),
                at.clone().into(),
                a.actor.clone().into(),
                a.action.clone().into(),
                a.claim_id.clone().into(),
                before.into(),
                after.into(),
                head.audit_hash.clone().into(),
                hash.clone().into(),
            ],
        });
        head.audit_hash = hash;
    }
    for e in &job.events {
        head.event_seq += 1;
        logs.push(Row {
            table: &EVENTS,
            values: vec![
                head.event_seq.into(),
                e.platform.clone().into(),
                e.claim_id.clone().into(),
                e.kind.clone().into(),
                e.payload.to_string().into(),
                at.clone().into(),
            ],
        });
    }
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
    let mut log_rows = Vec::new();
    let mut i = 0;
    while i < batch.len() {
        let h = head.as_mut().unwrap_or(&mut scratch);
        let merge = if careful {
            0
        } else {
            batch[i..].iter().take_while(|j| j.mergeable()).count()
        };
        let failed = if merge > 1 {
            let r = apply_merged(db, &txn, &batch[i..i + merge], h, &mut log_rows).await;
            i += merge;
            match r {
                Ok(applied) => {
                    results.extend(applied.into_iter().map(Ok));
                    false
                }
                Err(_) => true,
            }
        } else {
            // A failed job's savepoint is rolled back when it is dropped.
            let r = run_job(db, &txn, &batch[i], h, &mut log_rows, careful).await;
            i += 1;
            let failed = r.is_err();
            results.push(r);
            failed
        };
        if failed && !careful {
            // The transaction is unusable now (PostgreSQL); the caller retries carefully.
            return batch
                .iter()
                .map(|_| Err(DbErr::Custom("batch retried job by job".into())))
                .collect();
        }
    }
    if let Err(e) = insert_rows(db, &txn, &log_rows).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::db::migrations::Migrator;
    use crate::db::store::ClaimRow;
    use sea_orm_migration::MigratorTrait;

    #[test]
    fn statements_come_in_power_of_two_sizes_in_order() {
        let sizes = |n: usize| {
            let items: Vec<usize> = (0..n).collect();
            let chunks: Vec<&[usize]> = pow2_chunks(&items).collect();
            assert_eq!(chunks.concat(), items, "every item once, in order");
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
        };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(37), vec![32, 4, 1]);
        assert_eq!(sizes(128), vec![128]);
        assert_eq!(sizes(300), vec![128, 128, 32, 8, 4]);
    }

    async fn fresh_db(name: &str) -> Db {
        let dir = std::env::temp_dir().join(format!("oip-writer-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}/oip.db?mode=rwc", dir.display()))
            .await
            .unwrap();
        Migrator::up(&db.conn, None).await.unwrap();
        db
    }

    /// A claim job: id, worker, platform reference, idempotency key.
    fn claim_job(db: &Db, id: &str, worker: &str, reference: &str, key: &str) -> Job {
        let claim = ClaimRow {
            id: id.into(),
            platform: "meituan".into(),
            platform_claim_ref: reference.into(),
            idempotency_key: key.into(),
            request_sha256: String::new(),
            region: "CN-SC".into(),
            status: "pending_review".into(),
            incident_at: 1_754_014_500,
            facts: "{}".into(),
            narrative: "{}".into(),
            worker_masked: String::new(),
            possible_duplicate_of: None,
            decision_id: None,
            last_error: None,
            attempts: 0,
            created_at: String::new(),
            updated_at: String::new(),
            workflow: None,
        };
        Job {
            guard: Some(db.claim_guard(&claim, "", worker, None)),
            rows: Vec::new(),
            then: Vec::new(),
            audit: vec![AuditDraft {
                actor: "test".into(),
                action: "claim.created".into(),
                claim_id: Some(id.into()),
                before: None,
                after: None,
            }],
            events: Vec::new(),
            reply: oneshot::channel().0,
        }
    }

    /// What each job came to: skipped, or the possible duplicate it was flagged with.
    fn outcomes(results: Vec<Result<Applied, DbErr>>) -> Vec<Option<Option<String>>> {
        results
            .into_iter()
            .map(|r| match r.unwrap() {
                Applied::Skipped => None,
                Applied::Done(row) => Some(
                    row.unwrap()
                        .try_get::<Option<String>>("", "possible_duplicate_of")
                        .unwrap(),
                ),
            })
            .collect()
    }

    #[tokio::test]
    async fn a_merged_batch_ends_as_the_same_jobs_run_one_by_one() {
        let spec = [
            ("c1", "w1", "r1", "k1"),
            ("c2", "w1", "r2", "k2"), // same worker: flagged, of c1
            ("c3", "w2", "r1", "k3"), // c1's reference: skipped
            ("c4", "w1", "r3", "k4"), // flagged, of c1 (the earliest)
            ("c5", "w3", "r4", "k1"), // c1's key: skipped
            ("c6", "w3", "r5", "k5"), // alone
            ("c7", "w3", "r6", "k6"), // flagged, of c6
        ];
        let mut seen = Vec::new();
        for careful in [false, true] {
            let db = fresh_db(if careful { "careful" } else { "merged" }).await;
            let batch: Vec<Job> = spec
                .iter()
                .map(|(id, w, r, k)| claim_job(&db, id, w, r, k))
                .collect();
            let results = run_batch_in(&db, &batch, careful).await;
            seen.push(outcomes(results));
            let audit = db
                .conn
                .query_one_raw(db.stmt("SELECT COUNT(*) AS n FROM audit", vec![]))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                audit.try_get::<i64>("", "n").unwrap(),
                5,
                "careful: {careful}"
            );
        }
        let c1 = Some(Some("c1".to_string()));
        let expected = vec![
            Some(None),
            c1.clone(),
            None,
            c1,
            None,
            Some(None),
            Some(Some("c6".to_string())),
        ];
        assert_eq!(seen[0], expected, "merged");
        assert_eq!(seen[1], expected, "one by one");
    }
}
