//! Running a batch of jobs in one transaction: merged multi-row inserts for neighbouring
//! jobs, the audit chain and event sequence from the chain head, and a careful rerun job by
//! job (a savepoint each) when any job fails.

use super::{Applied, Guard, Job, MAX_ROWS, Row, Table, audit_hash};
use crate::db::Db;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, QueryResult, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

#[derive(Clone)]
struct Head {
    audit_seq: i64,
    audit_hash: String,
    event_seq: i64,
}

static AUDIT: Table = Table {
    head: Cow::Borrowed(
        "INSERT INTO audit (seq, at, actor, action, claim_id, before, after, prev_hash, hash, request_id) VALUES ",
    ),
    row: Cow::Borrowed("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
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
    log_job(db.profile, job, &mut next, logs);
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
            log_job(db.profile, job, head, logs);
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
fn log_job(profile: crate::crypto::Profile, job: &Job, head: &mut Head, logs: &mut Vec<Row>) {
    if job.audit.is_empty() && job.events.is_empty() {
        return;
    }
    let at = crate::now().to_string();
    for a in &job.audit {
        head.audit_seq += 1;
        let before = a.before.clone();
        let after = a.after.clone();
        let hash = audit_hash(
            profile,
            &head.audit_hash,
            head.audit_seq,
            &at,
            &a.actor,
            &a.action,
            a.claim_id.as_deref().unwrap_or_default(),
            before.as_deref().unwrap_or_default(),
            after.as_deref().unwrap_or_default(),
            job.request_id.as_deref(),
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
                job.request_id.clone().into(),
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
                e.payload.clone().into(),
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
pub(super) async fn run_batch(db: &Db, batch: &[Job]) -> Vec<Result<Applied, DbErr>> {
    let fast = run_batch_in(db, batch, false).await;
    if fast.iter().all(Result::is_ok) {
        return fast;
    }
    run_batch_in(db, batch, true).await
}

async fn run_batch_in(db: &Db, batch: &[Job], careful: bool) -> Vec<Result<Applied, DbErr>> {
    // BEGIN IMMEDIATE on SQLite: the write lock is taken (waiting out the busy timeout) before
    // the batch reads anything, so a write another connection commits meanwhile cannot
    // invalidate the batch's snapshot (SQLITE_BUSY_SNAPSHOT). PostgreSQL ignores the mode.
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = match db.conn.begin_with_options(options).await {
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
    if let (Some(h), Some(start)) = (&head, start)
        && (h.audit_seq, h.event_seq) != start
    {
        let r = txn
            .execute_raw(db.stmt(
                "UPDATE chain_head SET audit_seq = ?, audit_hash = ?, event_seq = ? WHERE id = 1",
                vec![
                    h.audit_seq.into(),
                    h.audit_hash.clone().into(),
                    h.event_seq.into(),
                ],
            ))
            .await;
        if let Err(e) = r {
            return batch.iter().map(|_| Err(clone_err(&e))).collect();
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

    use crate::db::claims::ClaimRow;
    use crate::db::migrations::Migrator;
    use crate::db::writer::AuditDraft;
    use crate::domain::{ClaimStatus, Narrative, Workflow};
    use sea_orm_migration::MigratorTrait;
    use tokio::sync::oneshot;

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
            status: ClaimStatus::PendingReview,
            incident_at: 1_754_014_500,
            facts: "{}".into(),
            narrative: Narrative::default(),
            worker_masked: String::new(),
            possible_duplicate_of: None,
            decision_id: None,
            last_error: None,
            attempts: 0,
            next_attempt_at: None,
            created_at: String::new(),
            updated_at: String::new(),
            workflow: Workflow::default(),
            queue: None,
            due_on: None,
            fast_track: false,
            version: 0,
        };
        Job {
            guard: Some(db.claim_guard(&claim, "", worker)),
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
            request_id: None,
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

    /// Issue 15, item 17: the writer's transaction began deferred, so a write committed by
    /// another connection between the batch's first read and its first write failed the batch
    /// with SQLITE_BUSY_SNAPSHOT (a 500 to every client in it).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_from_another_connection_during_a_batch_does_not_fail_it_with_busy_snapshot() {
        let db = fresh_db("busy-snapshot").await;
        let url = format!(
            "sqlite://{}/oip.db?mode=rwc",
            std::env::temp_dir()
                .join(format!("oip-writer-{}-busy-snapshot", std::process::id()))
                .display()
        );
        let other = Db::connect(&url).await.unwrap();
        let mut failures = Vec::new();
        for n in 0..300 {
            let job = claim_job(
                &db,
                &format!("c{n}"),
                &format!("w{n}"),
                &format!("r{n}"),
                &format!("k{n}"),
            );
            let write = other.exec(
                "INSERT INTO baseline (id, created_at) VALUES (?, '')",
                vec![format!("b{n}").into()],
            );
            let (batch, write) = tokio::join!(run_batch(&db, std::slice::from_ref(&job)), write);
            write.unwrap();
            if let Err(e) = &batch[0] {
                failures.push(e.to_string());
            }
        }
        assert!(
            failures.is_empty(),
            "{} of 300 batches failed: {:?}",
            failures.len(),
            failures.first()
        );
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
