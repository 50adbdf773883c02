//! The `policy_jobs` table (shadow runs and re-decisions, their progress and report) and the
//! page-at-a-time scans of a region's claims they make.

use super::{Db, i, json, named, os, push_in, s, to_json};
use crate::domain::{ClaimStatus, JobKind, JobStatus};
use oip_engine::types::Date;
use sea_orm::{DbErr, QueryResult, Statement, Value};

/// What a job was asked to go through: the incident dates, inclusive (both optional).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct JobParams {
    /// First incident date.
    pub from: Option<Date>,
    /// Last incident date.
    pub to: Option<Date>,
}

impl JobParams {
    /// The range of incident instants: Beijing midnight of `from` to the last second of `to`.
    pub fn range(&self) -> Range {
        Range {
            from: self.from.map(|d| d.start_beijing().0),
            to: self.to.map(|d| d.start_beijing().0 + 86_399),
        }
    }
}

/// A background job over a region's claims.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRow {
    /// Id (`job_...`).
    pub id: String,
    /// Shadow run or re-decision.
    pub kind: JobKind,
    /// The policy version it runs.
    pub policy_sha256: String,
    /// Its region.
    pub region: String,
    /// What it goes through.
    pub params: JobParams,
    /// `running`, `done`, `failed` as stored (`interrupted` is derived from the heartbeat).
    pub status: JobStatus,
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

/// One claim as a scan reads it: its facts and the decision in force.
#[derive(Clone, Debug)]
pub struct ShadowRow {
    /// Claim id.
    pub id: String,
    /// Claim status.
    pub status: ClaimStatus,
    /// Canonical facts (JSON).
    pub facts: String,
    /// The body of its current decision (JSON), if decided.
    pub decision: Option<String>,
    /// The version that made its current decision.
    pub decided_by: Option<String>,
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
        statuses: Option<&[ClaimStatus]>,
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
            let names: Vec<&str> = st.iter().map(|s| s.as_str()).collect();
            push_in(sql, values, &format!("{table}status"), &names);
        }
    }
}

const JOB_COLS: &str = "id, kind, policy_sha256, region, params, status, total, done, failed, report, error, \
    requested_by, created_at, started_at, heartbeat_at, finished_at";

fn job_row(r: &QueryResult) -> Result<JobRow, DbErr> {
    Ok(JobRow {
        id: s(r, "id")?,
        kind: named(r, "kind")?,
        policy_sha256: s(r, "policy_sha256")?,
        region: s(r, "region")?,
        params: json(r, "params")?,
        status: named(r, "status")?,
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

impl Db {
    /// Stores a new job.
    pub fn insert_job_stmt(&self, j: &JobRow) -> Statement {
        self.stmt(
            &format!(
                "INSERT INTO policy_jobs ({JOB_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            vec![
                j.id.clone().into(),
                j.kind.as_str().into(),
                j.policy_sha256.clone().into(),
                j.region.clone().into(),
                to_json(&j.params).into(),
                j.status.as_str().into(),
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
    pub async fn latest_job(&self, sha256: &str, kind: JobKind) -> Result<Option<JobRow>, DbErr> {
        self.one(
            &format!(
                "SELECT {JOB_COLS} FROM policy_jobs WHERE policy_sha256 = ? AND kind = ? \
                 ORDER BY started_at DESC, id DESC LIMIT 1"
            ),
            vec![sha256.into(), kind.as_str().into()],
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
        status: JobStatus,
        report: Option<&str>,
        error: Option<&str>,
        now_ms: i64,
    ) -> Statement {
        self.stmt(
            "UPDATE policy_jobs SET status = ?, done = ?, failed = ?, report = ?, error = ?, \
             heartbeat_at = ?, finished_at = ? WHERE id = ?",
            vec![
                status.as_str().into(),
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

    /// How many claims of a region a scan goes through (in these statuses, if given).
    pub async fn count_claims(
        &self,
        region: &str,
        range: Range,
        statuses: Option<&[ClaimStatus]>,
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
        statuses: Option<&[ClaimStatus]>,
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
                status: named(r, "status")?,
                facts: s(r, "facts")?,
                decision: os(r, "body")?,
                decided_by: os(r, "policy_sha256")?,
            })
        })
        .await
    }
}
