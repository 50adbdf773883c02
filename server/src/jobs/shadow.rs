//! A shadow run: a candidate version decides a region's stored claims beside the decisions in
//! force, changing nothing. It reads the claims a page at a time in id order, decides a page on
//! every core (one fresh instance per decision, as always) while the next page is read, and
//! records its progress after each page.

use super::report::{Compared, Report, Side};
use super::{JobReport, finish, new_job, progress};
use crate::AppState;
use crate::auth::Principal;
use crate::db::jobs::{JobParams, JobRow, ShadowRow};
use crate::db::policies::PolicyRow;
use crate::domain::JobKind;
use crate::error::{Code, Error, FieldProblem};
use oip_engine::types::{BenefitItem, Date, Facts, Outcome, Period};
use oip_engine::{LoadedPolicy, PolicyHost};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::ToSchema;

/// Claims read per page.
const PAGE: u64 = 2048;

/// Claims decided in one background batch: about a millisecond of work, the longest a live
/// claim waits for a decision thread a shadow run holds.
const BATCH: usize = 48;

/// What a shadow run goes through (`POST /v1/policies/{id}/shadow`): the claims whose incident
/// falls in these dates, inclusive (every claim of the region when absent).
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShadowRequest {
    /// First incident date.
    #[serde(default)]
    #[schema(value_type = Option<oip_engine::types::Date>)]
    pub from: Option<String>,
    /// Last incident date.
    #[serde(default)]
    #[schema(value_type = Option<oip_engine::types::Date>)]
    pub to: Option<String>,
}

impl ShadowRequest {
    fn params(&self) -> Result<JobParams, Error> {
        let mut problems = Vec::new();
        let mut date = |field: &str, v: &Option<String>| match v.as_deref().map(Date::parse) {
            None => None,
            Some(Ok(d)) => Some(d),
            Some(Err(_)) => {
                problems.push(FieldProblem::new(field, "a date, YYYY-MM-DD"));
                None
            }
        };
        let params = JobParams {
            from: date("from", &self.from),
            to: date("to", &self.to),
        };
        if problems.is_empty() {
            Ok(params)
        } else {
            Err(Error::invalid_request(problems))
        }
    }
}

/// The part of a stored decision a comparison needs.
#[derive(Deserialize)]
struct StoredDecision {
    outcome: Outcome,
    benefits: Vec<StoredLine>,
}

#[derive(Deserialize)]
struct StoredLine {
    item: BenefitItem,
    period: Period,
    amount_fen: Option<u64>,
}

fn before_of(body: &str) -> Option<Side> {
    let d: StoredDecision = serde_json::from_str(body).ok()?;
    let mut amounts = BTreeMap::new();
    for l in d.benefits {
        let slot = amounts.entry((l.item, l.period)).or_insert(0i64);
        *slot = slot.saturating_add(i64::try_from(l.amount_fen.unwrap_or(0)).unwrap_or(i64::MAX));
    }
    Some(Side {
        outcome: d.outcome,
        amounts,
    })
}

/// Decides a stored claim with the candidate, on the calendar in force (as a live decision).
fn compare(
    host: &PolicyHost,
    policy: &LoadedPolicy,
    row: &ShadowRow,
    calendar: Option<&oip_engine::types::Calendar>,
    parent: &tracing::Span,
) -> Compared {
    let before = row.decision.as_deref().and_then(before_of);
    let facts: Facts = match serde_json::from_str::<Facts>(&row.facts) {
        Ok(f) => Facts {
            calendar: calendar.cloned(),
            ..f
        },
        Err(_) => {
            return Compared::Failed {
                id: row.id.clone(),
                code: "stored_facts_unreadable".into(),
            };
        }
    };
    match crate::decider::decide_traced(host, policy, &facts, parent, "shadow") {
        Ok(e) => Compared::Decided {
            id: row.id.clone(),
            before,
            after: Side::of_decision(&e.decision),
        },
        Err(oip_engine::Error::Guest { error, .. }) => Compared::Failed {
            id: row.id.clone(),
            code: error.code,
        },
        Err(e) => Compared::Failed {
            id: row.id.clone(),
            code: e.code().to_string(),
        },
    }
}

/// Starts a shadow run of a version over its region's claims.
pub async fn start_shadow(
    state: &AppState,
    who: &Principal,
    policy: &PolicyRow,
    req: &ShadowRequest,
) -> Result<JobRow, Error> {
    let params = req.params()?;
    let candidate = state
        .decider
        .module(&state.db, &policy.sha256)
        .await
        .map_err(Error::internal)?
        .ok_or(Code::NotFound)?;
    let total = state
        .db
        .count_claims(&policy.region, params.range(), None)
        .await?;
    let job = new_job(state, who, policy, JobKind::Shadow, total, params).await?;
    let s = state.clone();
    let mut j = job.clone();
    let span = super::job_span(&job);
    tokio::spawn(tracing::Instrument::instrument(
        async move {
            let result = run(&s, &mut j, candidate).await;
            finish(&s, &j, result).await;
        },
        span,
    ));
    Ok(job)
}

/// Runs a shadow scan: the report, or why it stopped.
pub async fn run(
    state: &AppState,
    job: &mut JobRow,
    candidate: Arc<LoadedPolicy>,
) -> Result<JobReport, String> {
    let started = std::time::Instant::now();
    let range = job.params.range();
    let mut report = Report::default();
    // The reader runs up to two pages ahead of the deciders.
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let db = state.db.clone();
    let region = job.region.clone();
    let reader = tokio::spawn(async move {
        let mut after = String::new();
        loop {
            let page = db.shadow_page(&region, range, None, &after, PAGE).await;
            let last = match &page {
                Ok(rows) => rows.last().map(|r| r.id.clone()),
                Err(_) => None,
            };
            let end = last.is_none();
            if tx.send(page).await.is_err() || end {
                break;
            }
            after = last.unwrap_or_default();
        }
    });
    while let Some(page) = rx.recv().await {
        let rows = page.map_err(|e| e.to_string())?;
        if rows.is_empty() {
            break;
        }
        // Batches of the page go through the decision threads behind every live claim.
        let mut batches = Vec::new();
        let n = rows.len();
        let mut rest = rows;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(BATCH));
            let part = std::mem::replace(&mut rest, tail);
            let (s, policy) = (state.clone(), candidate.clone());
            let parent = tracing::Span::current();
            let calendar = state.calendar.load_full();
            batches.push(tokio::spawn(async move {
                s.decider
                    .background(move |host| {
                        part.iter()
                            .map(|r| compare(host, &policy, r, calendar.as_deref(), &parent))
                            .collect::<Vec<_>>()
                    })
                    .await
            }));
        }
        let mut compared = Vec::with_capacity(n);
        for b in batches {
            compared.extend(
                b.await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?,
            );
        }
        // The changed claims' true-ups: what approving the candidate's lines would owe for
        // what is paid so far.
        let changed: Vec<(String, Side)> = compared
            .iter()
            .filter_map(|c| match c {
                Compared::Decided { id, before, after } if before.as_ref() != Some(after) => {
                    Some((id.clone(), after.clone()))
                }
                _ => None,
            })
            .collect();
        for c in compared {
            report.add(c);
        }
        if !changed.is_empty() {
            let ids: Vec<String> = changed.iter().map(|(id, _)| id.clone()).collect();
            let paid = state
                .db
                .paid_so_far(&ids)
                .await
                .map_err(|e| e.to_string())?;
            let mut by_claim: std::collections::HashMap<String, Vec<_>> =
                std::collections::HashMap::new();
            for (c, p) in paid {
                by_claim.entry(c).or_default().push(p);
            }
            for (id, after) in &changed {
                if let Some(mine) = by_claim.get(id) {
                    report.add_true_ups(after, mine);
                }
            }
        }
        job.done = report.compared + report.failed;
        job.failed = report.failed;
        progress(state, job).await;
    }
    reader.abort();
    let elapsed = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    Ok(JobReport::Shadow(Box::new(report.finish(job, elapsed))))
}
