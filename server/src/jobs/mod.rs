//! Jobs over a region's stored claims, in the background with their progress in the database:
//! a **shadow run** ([`shadow`]) decides every claim (or those of a date range) with a candidate
//! version beside the decision in force and changes nothing; a **re-decision** ([`redecide`])
//! decides again, with an activated version, the open claims that rest on provisional figures
//! and the claims stored without a policy whose date it now covers.

pub mod chart;
pub mod redecide;
pub mod report;
pub mod shadow;

pub use redecide::{RedecideReport, start_redecide};
pub use report::ShadowReport;
pub use shadow::{ShadowRequest, start_shadow};

use crate::auth::Principal;
use crate::db::jobs::{JobParams, JobRow};
use crate::db::policies::PolicyRow;
use crate::db::writer::AuditDraft;
use crate::domain::{JobKind, JobStatus};
use crate::error::{Code, Error};
use crate::{AppState, new_id, now};
use serde_json::json;

/// A running job whose progress is older than this is reported `interrupted`.
const STALE_MS: i64 = 60_000;

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The status a job shows: `interrupted` when it is stored as running but its heartbeat
/// stopped.
pub fn status_of(j: &JobRow) -> JobStatus {
    if j.status == JobStatus::Running && now_ms() - j.heartbeat_at >= STALE_MS {
        JobStatus::Interrupted
    } else {
        j.status
    }
}

/// A finished job's report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum JobReport {
    /// A shadow run's.
    Shadow(Box<ShadowReport>),
    /// A re-decision's.
    Redecide(RedecideReport),
}

impl JobReport {
    /// The stored report of a job.
    pub fn of(j: &JobRow) -> Option<JobReport> {
        let r = j.report.as_deref()?;
        match j.kind {
            JobKind::Shadow => serde_json::from_str(r)
                .ok()
                .map(|r| JobReport::Shadow(Box::new(r))),
            JobKind::Redecide => serde_json::from_str(r).ok().map(JobReport::Redecide),
        }
    }
}

async fn new_job(
    state: &AppState,
    who: &Principal,
    policy: &PolicyRow,
    kind: JobKind,
    total: i64,
    params: JobParams,
) -> Result<JobRow, Error> {
    if let Some(j) = state.db.latest_job(&policy.sha256, kind).await?
        && status_of(&j) == JobStatus::Running
    {
        return Err(Error::new(Code::JobRunning).message(
            "该版本已有同类任务在运行。",
            format!("a {kind} job of this version is running: {}", j.id),
        ));
    }
    let t = now_ms();
    let job = JobRow {
        id: new_id("job"),
        kind,
        policy_sha256: policy.sha256.clone(),
        region: policy.region.clone(),
        params,
        status: JobStatus::Running,
        total,
        done: 0,
        failed: 0,
        report: None,
        error: None,
        requested_by: who.person().to_string(),
        created_at: now().to_string(),
        started_at: t,
        heartbeat_at: t,
        finished_at: None,
    };
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: format!("policy.{kind}_started"),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "job": job.id, "sha256": policy.sha256, "total": total, "params": params })
                .to_string(),
        ),
    };
    state
        .writer
        .submit_logged(
            None,
            vec![state.db.insert_job_stmt(&job)],
            vec![audit],
            vec![],
        )
        .await?;
    Ok(job)
}

/// Records the end of a job: its report, or why it failed.
async fn finish(state: &AppState, job: &JobRow, result: Result<JobReport, String>) {
    let t = now_ms();
    let report = result
        .as_ref()
        .ok()
        .map(|r| serde_json::to_string(r).unwrap_or_default());
    let report = report.as_deref();
    let (status, summary) = match &result {
        Ok(JobReport::Shadow(r)) => (JobStatus::Done, json!({ "changed": r.changed })),
        Ok(JobReport::Redecide(r)) => (JobStatus::Done, json!({ "redecided": r.redecided })),
        Err(e) => (JobStatus::Failed, json!({ "error": e })),
    };
    let error = result.as_ref().err().map(String::as_str);
    state.metrics.job(
        job.kind.as_str(),
        status.as_str(),
        u64::try_from(job.done).unwrap_or(0),
    );
    let audit = AuditDraft {
        actor: "system".into(),
        action: format!("policy.{}_finished", job.kind),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "job": job.id, "status": status, "done": job.done, "failed": job.failed, "summary": summary })
                .to_string(),
        ),
    };
    let stmt = state.db.finish_job_stmt(job, status, report, error, t);
    if let Err(e) = state
        .writer
        .submit_logged(None, vec![stmt], vec![audit], vec![])
        .await
    {
        tracing::error!(job = %job.id, error = %e, "cannot record the end of a job");
    }
}

/// Records progress after a page.
async fn progress(state: &AppState, job: &JobRow) {
    if let Err(e) = state
        .db
        .job_progress(&job.id, job.done, job.failed, now_ms())
        .await
    {
        tracing::warn!(job = %job.id, error = %e, "cannot record progress");
    }
}

/// The span a job runs in, its own root (a job outlives the request that started it): its
/// id, kind, region and version; the decisions it makes have their spans inside it.
pub(crate) fn job_span(job: &crate::db::jobs::JobRow) -> tracing::Span {
    tracing::info_span!(
        parent: None,
        "job",
        job_id = %job.id,
        kind = ?job.kind,
        region = %job.region,
        sha256 = %job.policy_sha256,
    )
}
