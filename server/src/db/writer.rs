//! Group commit: one task owns the writes that must be durable before a client hears 201.
//! Each job waits on a oneshot; the task takes every job queued, runs them in one transaction
//! (each job inside its own savepoint, so one bad job cannot sink its neighbours), commits
//! once — one fsync for the whole batch — and then answers every job.

use super::Db;
use sea_orm::{ConnectionTrait, DbErr, Statement, TransactionTrait};
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
    reply: oneshot::Sender<Result<bool, DbErr>>,
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
    pub async fn submit(&self, guard: Option<Statement>, then: Vec<Statement>) -> Result<bool, DbErr> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job { guard, then, reply })
            .await
            .map_err(|_| DbErr::Custom("writer stopped".into()))?;
        rx.await.map_err(|_| DbErr::Custom("writer stopped".into()))?
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

async fn run_job(txn: &sea_orm::DatabaseTransaction, job: &Job) -> Result<bool, DbErr> {
    let sp = txn.begin().await?;
    let inserted = match &job.guard {
        Some(g) => sp.query_one_raw(g.clone()).await?.is_some(),
        None => true,
    };
    if inserted {
        for s in &job.then {
            sp.execute_raw(s.clone()).await?;
        }
    }
    sp.commit().await?;
    Ok(inserted)
}

async fn run_batch(db: &Db, batch: &[Job]) -> Vec<Result<bool, DbErr>> {
    let txn = match db.conn.begin().await {
        Ok(t) => t,
        Err(e) => return batch.iter().map(|_| Err(clone_err(&e))).collect(),
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        // A failed job's savepoint is rolled back when it is dropped.
        results.push(run_job(&txn, job).await);
    }
    match txn.commit().await {
        Ok(()) => results,
        Err(e) => batch.iter().map(|_| Err(clone_err(&e))).collect(),
    }
}

fn clone_err(e: &DbErr) -> DbErr {
    e.clone()
}
