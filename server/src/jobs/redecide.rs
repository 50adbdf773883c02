//! A re-decision: an active version decides again the region's open claims that rest on
//! provisional figures decided by another version, and the claims stored without a policy in
//! force whose date it now covers. Each new decision is linked to the one it replaces; a
//! decision the version would make identically is not stored again.

use super::report::LIST_CAP;
use super::{JobReport, finish, new_job, progress};
use crate::AppState;
use crate::auth::Principal;
use crate::claims::{Attempt, attempt, store_again};
use crate::db::jobs::{JobParams, JobRow, Range, ShadowRow};
use crate::db::policies::PolicyRow;
use crate::domain::{ClaimStatus, JobKind, PolicyStep};
use crate::error::{Code, Error};
use oip_engine::types::Facts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The statuses a re-decision looks at: decided by no person yet.
const REDECIDE_STATUSES: [ClaimStatus; 4] = [
    ClaimStatus::PendingReview,
    ClaimStatus::NeedsInformation,
    ClaimStatus::NoPolicyInForce,
    ClaimStatus::CannotDecide,
];

/// A decision a re-decision made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Redecided {
    /// The claim.
    pub claim_id: String,
    /// The new decision.
    pub decision_id: String,
    /// The decision it replaces.
    pub replaces: Option<String>,
    /// Its outcome.
    pub outcome: String,
}

/// A finished re-decision's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RedecideReport {
    /// The version.
    pub policy: String,
    /// Its region.
    pub region: String,
    /// Claims decided again (a new decision stored).
    pub redecided: i64,
    /// Claims the version decides exactly as before (nothing stored).
    pub unchanged: i64,
    /// Claims the version does not govern, or that rest on no provisional figure.
    pub skipped: i64,
    /// Claims that could not be decided or stored.
    pub failed: i64,
    /// The new decisions (at most 1,000 listed).
    pub decisions: Vec<Redecided>,
    /// How long it took.
    pub elapsed_ms: i64,
}

#[derive(Deserialize)]
struct Provisional {
    benefits: Vec<ProvisionalLine>,
}

#[derive(Deserialize)]
struct ProvisionalLine {
    #[serde(default)]
    provisional: bool,
}

/// Starts a re-decision with an active version.
pub async fn start_redecide(
    state: &AppState,
    who: &Principal,
    policy: &PolicyRow,
) -> Result<JobRow, Error> {
    if policy.status.allowed(PolicyStep::Redecide).is_none() {
        return Err(Error::new(Code::InvalidPolicyTransition).message(
            "只有已启用的版本可以用于重新决定。",
            "only an active version can decide claims again",
        ));
    }
    let total = state
        .db
        .count_claims(&policy.region, Range::default(), Some(&REDECIDE_STATUSES))
        .await?;
    let job = new_job(
        state,
        who,
        policy,
        JobKind::Redecide,
        total,
        JobParams::default(),
    )
    .await?;
    let s = state.clone();
    let mut j = job.clone();
    let span = super::job_span(&job);
    tokio::spawn(tracing::Instrument::instrument(
        async move {
            let result = run(&s, &mut j).await;
            finish(&s, &j, result).await;
        },
        span,
    ));
    Ok(job)
}

/// Whether a claim is one a newly activated version should look at again: the version is now
/// in force for it, and the claim either had no policy or rests on provisional lines decided by
/// another version.
fn wants_redecision(state: &AppState, sha256: &str, row: &ShadowRow, facts: &Facts) -> bool {
    let in_force = state
        .decider
        .registry()
        .policy_for(facts)
        .is_ok_and(|p| p.sha256() == sha256);
    if !in_force {
        return false;
    }
    if row.status == ClaimStatus::NoPolicyInForce {
        return true;
    }
    let provisional = row
        .decision
        .as_deref()
        .and_then(|b| serde_json::from_str::<Provisional>(b).ok())
        .is_some_and(|d| d.benefits.iter().any(|l| l.provisional));
    provisional && row.decided_by.as_deref() != Some(sha256)
}

async fn run(state: &AppState, job: &mut JobRow) -> Result<JobReport, String> {
    let started = std::time::Instant::now();
    let mut after = String::new();
    let (mut redecided, mut unchanged, mut skipped, mut failed) = (0i64, 0i64, 0i64, 0i64);
    let mut items = Vec::new();
    loop {
        let page = state
            .db
            .shadow_page(
                &job.region,
                Range::default(),
                Some(&REDECIDE_STATUSES),
                &after,
                256,
            )
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for row in &page {
            let facts: Option<Facts> = serde_json::from_str(&row.facts).ok();
            let wanted = facts
                .as_ref()
                .is_some_and(|f| wants_redecision(state, &job.policy_sha256, row, f));
            let Some(facts) = facts.filter(|_| wanted) else {
                skipped += 1;
                continue;
            };
            let outcome = attempt(state, &facts).await;
            if let (Some(body), Attempt::Decided(e, _)) = (&row.decision, &outcome)
                && e.decision_json == body.as_bytes()
            {
                unchanged += 1;
                continue;
            }
            let Ok(Some(claim)) = state.db.claim(&row.id).await else {
                failed += 1;
                continue;
            };
            // Read again: a person may have decided it since the page was read.
            if !REDECIDE_STATUSES.contains(&claim.status) {
                skipped += 1;
                continue;
            }
            match store_again(state, &claim, row.facts.clone(), "redecide", outcome).await {
                Ok(stored) => match stored.decision {
                    Some(d) => {
                        redecided += 1;
                        if items.len() < LIST_CAP {
                            items.push(Redecided {
                                claim_id: claim.id.clone(),
                                decision_id: d.id,
                                replaces: d.replaces,
                                outcome: d.outcome,
                            });
                        }
                    }
                    None => failed += 1,
                },
                Err(_) => failed += 1,
            }
        }
        job.done = redecided + unchanged + skipped + failed;
        job.failed = failed;
        progress(state, job).await;
    }
    let report = RedecideReport {
        policy: job.policy_sha256.clone(),
        region: job.region.clone(),
        redecided,
        unchanged,
        skipped,
        failed,
        decisions: items,
        elapsed_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    Ok(JobReport::Redecide(report))
}
