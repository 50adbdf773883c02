//! The policy lifecycle's queries: versions by digest and their transitions, the regions'
//! signing keys, and the shadow-run and re-decision jobs.
//!
//! Every transition is a conditional `UPDATE .. WHERE status IN (..) RETURNING sha256`, run as
//! the guard of a writer job: when another request (or another instance) got there first, the
//! guard returns no row, nothing is written, and the job's audit entry is not appended.

use super::Db;
use super::store::{POLICY_COLS, i, os, policy_row, push_in, s};
use crate::db::store::PolicyRow;
use sea_orm::{DbErr, QueryResult, Statement, Value};

/// A registered public key of a region.
#[derive(Clone, Debug)]
pub struct KeyRow {
    /// Id (`key_...`).
    pub id: String,
    /// The region whose modules it may sign.
    pub region: String,
    /// The ed25519 public key, hex.
    pub public_key: String,
    /// The admin token that added it.
    pub added_by: String,
    /// Added.
    pub created_at: String,
    /// Revoked.
    pub revoked_at: Option<String>,
}

/// A background job over a region's claims: a shadow run or a re-decision.
#[derive(Clone, Debug)]
pub struct JobRow {
    /// Id (`job_...`).
    pub id: String,
    /// `shadow` or `redecide`.
    pub kind: String,
    /// The policy version it runs.
    pub policy_sha256: String,
    /// Its region.
    pub region: String,
    /// Parameters (JSON: the date range).
    pub params: String,
    /// `running`, `done`, `failed`.
    pub status: String,
    /// Claims to go through.
    pub total: i64,
    /// Claims gone through.
    pub done: i64,
    /// Claims the version could not decide.
    pub failed: i64,
    /// The report (JSON), when done.
    pub report: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// The token that asked for it.
    pub requested_by: String,
    /// Created.
    pub created_at: String,
    /// Started (epoch milliseconds).
    pub started_at: i64,
    /// Last progress (epoch milliseconds).
    pub heartbeat_at: i64,
    /// Finished (epoch milliseconds).
    pub finished_at: Option<i64>,
}

/// One claim as a shadow run reads it: its facts and the decision in force.
#[derive(Clone, Debug)]
pub struct ShadowRow {
    /// Claim id.
    pub id: String,
    /// Claim status.
    pub status: String,
    /// Canonical facts (JSON).
    pub facts: String,
    /// The body of its current decision (JSON), if decided.
    pub decision: Option<String>,
    /// The version that made its current decision.
    pub decided_by: Option<String>,
}

const JOB_COLS: &str = "id, kind, policy_sha256, region, params, status, total, done, failed, report, error, \
    requested_by, created_at, started_at, heartbeat_at, finished_at";

fn job_row(r: &QueryResult) -> Result<JobRow, DbErr> {
    Ok(JobRow {
        id: s(r, "id")?,
        kind: s(r, "kind")?,
        policy_sha256: s(r, "policy_sha256")?,
        region: s(r, "region")?,
        params: s(r, "params")?,
        status: s(r, "status")?,
        total: i(r, "total")?,
        done: i(r, "done")?,
        failed: i(r, "failed")?,
        report: os(r, "report")?,
        error: os(r, "error")?,
        requested_by: s(r, "requested_by")?,
        created_at: s(r, "created_at")?,
        started_at: i(r, "started_at")?,
        heartbeat_at: i(r, "heartbeat_at")?,
        finished_at: r.try_get("", "finished_at")?,
    })
}

fn key_row(r: &QueryResult) -> Result<KeyRow, DbErr> {
    Ok(KeyRow {
        id: s(r, "id")?,
        region: s(r, "region")?,
        public_key: s(r, "public_key")?,
        added_by: s(r, "added_by")?,
        created_at: s(r, "created_at")?,
        revoked_at: os(r, "revoked_at")?,
    })
}

/// The date-range condition of a scan over a region's claims (incident instants, inclusive).
#[derive(Clone, Copy, Debug, Default)]
pub struct Range {
    /// First incident instant (epoch seconds).
    pub from: Option<i64>,
    /// Last incident instant (epoch seconds).
    pub to: Option<i64>,
}

impl Range {
    /// Appends the range's conditions on `{table}incident_at`, and the statuses' on
    /// `{table}status` (`table` is a prefix such as `"c."`, or empty).
    fn push(
        &self,
        table: &str,
        statuses: Option<&[&str]>,
        sql: &mut String,
        values: &mut Vec<Value>,
    ) {
        if let Some(f) = self.from {
            sql.push_str(&format!(" AND {table}incident_at >= ?"));
            values.push(f.into());
        }
        if let Some(t) = self.to {
            sql.push_str(&format!(" AND {table}incident_at <= ?"));
            values.push(t.into());
        }
        if let Some(st) = statuses {
            push_in(sql, values, &format!("{table}status"), st);
        }
    }
}

impl Db {
    /// A policy version by digest.
    pub async fn policy(&self, sha256: &str) -> Result<Option<PolicyRow>, DbErr> {
        self.one(
            &format!("SELECT {POLICY_COLS} FROM policies WHERE sha256 = ?"),
            vec![sha256.into()],
            policy_row,
        )
        .await
    }

    /// `uploaded → approved`, by `by`.
    pub fn approve_stmt(&self, sha256: &str, by: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE policies SET status = 'approved', approved_by = ?, approved_at = ? \
             WHERE sha256 = ? AND status = 'uploaded' RETURNING sha256",
            vec![by.into(), at.into(), sha256.into()],
        )
    }

    /// `approved → scheduled` (or a scheduled version moved to another time).
    pub fn schedule_stmt(&self, sha256: &str, at: i64) -> Statement {
        self.stmt(
            "UPDATE policies SET status = 'scheduled', activate_at = ? \
             WHERE sha256 = ? AND status IN ('approved', 'scheduled') RETURNING sha256",
            vec![at.into(), sha256.into()],
        )
    }

    /// `approved | scheduled → active`, with the next activation sequence number: it
    /// supersedes every version activated before it for the dates it covers.
    pub fn activate_stmt(&self, sha256: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE policies SET status = 'active', activated_at = ?, activate_at = NULL, \
             sequence = (SELECT COALESCE(MAX(p.sequence), 0) + 1 FROM policies p) \
             WHERE sha256 = ? AND status IN ('approved', 'scheduled') RETURNING sha256",
            vec![at.into(), sha256.into()],
        )
    }

    /// `active → rolled_back`.
    pub fn rollback_stmt(&self, sha256: &str) -> Statement {
        self.stmt(
            "UPDATE policies SET status = 'rolled_back' WHERE sha256 = ? AND status = 'active' \
             RETURNING sha256",
            vec![sha256.into()],
        )
    }

    /// Scheduled versions whose time has come.
    pub async fn scheduled_due(&self, now: i64) -> Result<Vec<PolicyRow>, DbErr> {
        self.all(
            &format!(
                "SELECT {POLICY_COLS} FROM policies WHERE status = 'scheduled' AND activate_at <= ? \
                 ORDER BY activate_at"
            ),
            vec![now.into()],
            policy_row,
        )
        .await
    }

    // --- keys -------------------------------------------------------------------------

    /// Registers a key.
    pub fn insert_key_stmt(&self, k: &KeyRow) -> Statement {
        self.stmt(
            "INSERT INTO signing_keys (id, region, public_key, added_by, created_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            vec![
                k.id.clone().into(),
                k.region.clone().into(),
                k.public_key.clone().into(),
                k.added_by.clone().into(),
                k.created_at.clone().into(),
            ],
        )
    }

    /// Revokes a key.
    pub fn revoke_key_stmt(&self, id: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE signing_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
            vec![at.into(), id.into()],
        )
    }

    /// Every key (revoked ones included), or a region's.
    pub async fn keys(&self, region: Option<&str>) -> Result<Vec<KeyRow>, DbErr> {
        let cols = "id, region, public_key, added_by, created_at, revoked_at";
        match region {
            Some(r) => {
                self.all(
                    &format!("SELECT {cols} FROM signing_keys WHERE region = ? ORDER BY id"),
                    vec![r.into()],
                    key_row,
                )
                .await
            }
            None => {
                self.all(
                    &format!("SELECT {cols} FROM signing_keys ORDER BY region, id"),
                    vec![],
                    key_row,
                )
                .await
            }
        }
    }

    // --- jobs -------------------------------------------------------------------------

    /// Stores a new job.
    pub fn insert_job_stmt(&self, j: &JobRow) -> Statement {
        self.stmt(
            &format!(
                "INSERT INTO policy_jobs ({JOB_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            vec![
                j.id.clone().into(),
                j.kind.clone().into(),
                j.policy_sha256.clone().into(),
                j.region.clone().into(),
                j.params.clone().into(),
                j.status.clone().into(),
                j.total.into(),
                j.done.into(),
                j.failed.into(),
                j.report.clone().into(),
                j.error.clone().into(),
                j.requested_by.clone().into(),
                j.created_at.clone().into(),
                j.started_at.into(),
                j.heartbeat_at.into(),
                j.finished_at.into(),
            ],
        )
    }

    /// A job by id.
    pub async fn job(&self, id: &str) -> Result<Option<JobRow>, DbErr> {
        self.one(
            &format!("SELECT {JOB_COLS} FROM policy_jobs WHERE id = ?"),
            vec![id.into()],
            job_row,
        )
        .await
    }

    /// A version's latest job of a kind.
    pub async fn latest_job(&self, sha256: &str, kind: &str) -> Result<Option<JobRow>, DbErr> {
        self.one(
            &format!(
                "SELECT {JOB_COLS} FROM policy_jobs WHERE policy_sha256 = ? AND kind = ? \
                 ORDER BY started_at DESC, id DESC LIMIT 1"
            ),
            vec![sha256.into(), kind.into()],
            job_row,
        )
        .await
    }

    /// Records a job's progress (not through the writer: progress is not a fact worth an
    /// fsync, and losing the last one to a crash only makes the job look older).
    pub async fn job_progress(
        &self,
        id: &str,
        done: i64,
        failed: i64,
        now_ms: i64,
    ) -> Result<(), DbErr> {
        self.exec(
            "UPDATE policy_jobs SET done = ?, failed = ?, heartbeat_at = ? WHERE id = ?",
            vec![done.into(), failed.into(), now_ms.into(), id.into()],
        )
        .await
        .map(|_| ())
    }

    /// Ends a job.
    pub fn finish_job_stmt(
        &self,
        j: &JobRow,
        status: &str,
        report: Option<&str>,
        error: Option<&str>,
        now_ms: i64,
    ) -> Statement {
        self.stmt(
            "UPDATE policy_jobs SET status = ?, done = ?, failed = ?, report = ?, error = ?, \
             heartbeat_at = ?, finished_at = ? WHERE id = ?",
            vec![
                status.into(),
                j.done.into(),
                j.failed.into(),
                report.map(str::to_string).into(),
                error.map(str::to_string).into(),
                now_ms.into(),
                now_ms.into(),
                j.id.clone().into(),
            ],
        )
    }

    // --- scans ------------------------------------------------------------------------

    /// How many claims of a region a scan goes through (in these statuses, if given).
    pub async fn count_claims(
        &self,
        region: &str,
        range: Range,
        statuses: Option<&[&str]>,
    ) -> Result<i64, DbErr> {
        let mut sql =
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM claims WHERE region = ?".to_string();
        let mut values: Vec<Value> = vec![region.into()];
        range.push("", statuses, &mut sql, &mut values);
        Ok(self.one(&sql, values, |r| i(r, "n")).await?.unwrap_or(0))
    }

    /// A page of a region's claims with their current decision, in id order after `after`.
    pub async fn shadow_page(
        &self,
        region: &str,
        range: Range,
        statuses: Option<&[&str]>,
        after: &str,
        limit: u64,
    ) -> Result<Vec<ShadowRow>, DbErr> {
        let mut sql = "SELECT c.id, c.status, c.facts, d.body, d.policy_sha256 FROM claims c \
                       LEFT JOIN decisions d ON d.id = c.decision_id \
                       WHERE c.region = ? AND c.id > ?"
            .to_string();
        let mut values: Vec<Value> = vec![region.into(), after.into()];
        range.push("c.", statuses, &mut sql, &mut values);
        sql.push_str(&format!(" ORDER BY c.id LIMIT {limit}"));
        self.all(&sql, values, |r| {
            Ok(ShadowRow {
                id: s(r, "id")?,
                status: s(r, "status")?,
                facts: s(r, "facts")?,
                decision: os(r, "body")?,
                decided_by: os(r, "policy_sha256")?,
            })
        })
        .await
    }
}
