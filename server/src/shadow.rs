//! Jobs over a region's stored claims, in the background with their progress in the database:
//!
//! - a **shadow run** decides every claim (or those of a date range) with a candidate version,
//!   beside the decision in force, and changes nothing; its report is what a reviewer needs to
//!   approve or refuse: outcome changes by from → to, amount changes per benefit item, the
//!   changed claims, the claims the candidate cannot decide, and the distribution of payout
//!   changes (drawn as SVG by [`chart_svg`]);
//! - a **re-decision** decides again, with an activated version, the open claims that rest on
//!   provisional figures and the claims stored without a policy in force whose date it now
//!   covers; each new decision is linked to the one it replaces.
//!
//! A shadow run reads the claims a page at a time in id order, decides a page on every core
//! (one fresh instance per decision, as always) while the next page is read, and records its
//! progress after each page.

use crate::auth::Principal;
use crate::claims::{Attempt, attempt, outcome_code, store_again};
use crate::db::lifecycle::{JobRow, Range, ShadowRow};
use crate::db::store::PolicyRow;
use crate::db::writer::AuditDraft;
use crate::error::{ApiError, FieldProblem};
use crate::{AppState, new_id, now};
use oip_engine::types::{BenefitItem, Decision, Facts, Outcome, Period};
use oip_engine::{LoadedPolicy, PolicyHost};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Claims read per page.
const PAGE: u64 = 2048;
/// Changed claims and failures listed in a report (the counts are always complete).
const LIST_CAP: usize = 1000;
/// A running job whose progress is older than this is reported `interrupted`.
const STALE_MS: i64 = 60_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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

/// One side of a comparison: an outcome and its amounts per (item, period).
#[derive(Clone, Debug, PartialEq)]
struct Side {
    outcome: Outcome,
    amounts: BTreeMap<(BenefitItem, Period), i64>,
}

impl Side {
    fn of_lines(
        outcome: Outcome,
        lines: impl Iterator<Item = (BenefitItem, Period, Option<u64>)>,
    ) -> Side {
        let mut amounts = BTreeMap::new();
        for (item, period, fen) in lines {
            *amounts.entry((item, period)).or_insert(0) += fen.unwrap_or(0) as i64;
        }
        Side { outcome, amounts }
    }

    fn of_decision(d: &Decision) -> Side {
        Side::of_lines(
            d.outcome,
            d.benefits.iter().map(|b| (b.item, b.period, b.amount_fen)),
        )
    }

    fn total(&self) -> i64 {
        self.amounts.values().sum()
    }
}

/// What a claim gives in a shadow run.
enum Compared {
    /// Decided by the candidate; `before` is the decision in force (none if undecided).
    Decided {
        id: String,
        before: Option<Side>,
        after: Side,
    },
    /// The candidate could not decide it.
    Failed { id: String, code: String },
}

fn compare(host: &PolicyHost, policy: &LoadedPolicy, row: &ShadowRow) -> Compared {
    let before = row
        .decision
        .as_deref()
        .and_then(|b| serde_json::from_str::<StoredDecision>(b).ok())
        .map(|d| {
            Side::of_lines(
                d.outcome,
                d.benefits
                    .into_iter()
                    .map(|l| (l.item, l.period, l.amount_fen)),
            )
        });
    let facts: Facts = match serde_json::from_str(&row.facts) {
        Ok(f) => f,
        Err(_) => {
            return Compared::Failed {
                id: row.id.clone(),
                code: "stored_facts_unreadable".into(),
            };
        }
    };
    match host.decide(policy, &facts) {
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

/// Per benefit line kind: how amounts moved.
#[derive(Default)]
struct ItemStats {
    claims_changed: i64,
    sum_before: i64,
    sum_after: i64,
    sum_change: i64,
    min_change: Option<i64>,
    max_change: Option<i64>,
}

/// The edges (fen) of the payout-change buckets: below the first, between each pair, above
/// the last; zero gets a bucket of its own (an outcome changed, the amount did not).
const EDGES_FEN: [i64; 10] = [
    -10_000_000,
    -1_000_000,
    -100_000,
    -10_000,
    0,
    0,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
];

/// The labels of the buckets, in yuan (zh and en read the same).
pub const BUCKET_LABELS: [&str; 11] = [
    "< -10万",
    "-10万…-1万",
    "-1万…-1千",
    "-1千…-100",
    "-100…0",
    "0",
    "0…100",
    "100…1千",
    "1千…1万",
    "1万…10万",
    "> 10万",
];

fn bucket(change: i64) -> usize {
    match change {
        c if c == 0 => 5,
        c if c < 0 => EDGES_FEN[..5].iter().position(|e| c < *e).unwrap_or(4),
        c => 6 + EDGES_FEN[6..].iter().position(|e| c <= *e).unwrap_or(4),
    }
}

#[derive(Default)]
struct Report {
    compared: i64,
    unchanged: i64,
    changed: i64,
    failed: i64,
    transitions: BTreeMap<(String, String), i64>,
    items: BTreeMap<(BenefitItem, Period), ItemStats>,
    buckets: [i64; 11],
    changed_claims: Vec<Value>,
    failures: Vec<Value>,
    failure_codes: BTreeMap<String, i64>,
}

fn code_of<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Report {
    fn add(&mut self, c: Compared) {
        match c {
            Compared::Failed { id, code } => {
                self.failed += 1;
                *self.failure_codes.entry(code.clone()).or_insert(0) += 1;
                if self.failures.len() < LIST_CAP {
                    self.failures.push(json!({ "claim_id": id, "code": code }));
                }
            }
            Compared::Decided { id, before, after } => {
                self.compared += 1;
                let from = before
                    .as_ref()
                    .map_or("none".to_string(), |b| outcome_code(b.outcome).to_string());
                let to = outcome_code(after.outcome).to_string();
                *self
                    .transitions
                    .entry((from.clone(), to.clone()))
                    .or_insert(0) += 1;
                let empty = BTreeMap::new();
                let before_amounts = before.as_ref().map_or(&empty, |b| &b.amounts);
                let mut keys: Vec<_> = before_amounts
                    .keys()
                    .chain(after.amounts.keys())
                    .copied()
                    .collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let b = before_amounts.get(&k).copied().unwrap_or(0);
                    let a = after.amounts.get(&k).copied().unwrap_or(0);
                    let s = self.items.entry(k).or_default();
                    s.sum_before += b;
                    s.sum_after += a;
                    if a != b {
                        let d = a - b;
                        s.claims_changed += 1;
                        s.sum_change += d;
                        s.min_change = Some(s.min_change.map_or(d, |m| m.min(d)));
                        s.max_change = Some(s.max_change.map_or(d, |m| m.max(d)));
                    }
                }
                if before.as_ref() == Some(&after) {
                    self.unchanged += 1;
                    return;
                }
                self.changed += 1;
                let change = after.total() - before.as_ref().map_or(0, Side::total);
                self.buckets[bucket(change)] += 1;
                if self.changed_claims.len() < LIST_CAP {
                    self.changed_claims.push(json!({
                        "claim_id": id,
                        "from": from,
                        "to": to,
                        "change_fen": change,
                    }));
                }
            }
        }
    }

    fn json(&self, job: &JobRow, elapsed_ms: i64) -> Value {
        let outcome_changes: Vec<Value> = self
            .transitions
            .iter()
            .filter(|((f, t), _)| f != t)
            .map(|((f, t), n)| json!({ "from": f, "to": t, "count": n }))
            .collect();
        let outcomes: Vec<Value> = self
            .transitions
            .iter()
            .map(|((f, t), n)| json!({ "from": f, "to": t, "count": n }))
            .collect();
        let benefits: Vec<Value> = self
            .items
            .iter()
            .map(|((item, period), s)| {
                json!({
                    "item": code_of(item),
                    "period": code_of(period),
                    "claims_changed": s.claims_changed,
                    "sum_before_fen": s.sum_before,
                    "sum_after_fen": s.sum_after,
                    "sum_change_fen": s.sum_change,
                    "min_change_fen": s.min_change,
                    "max_change_fen": s.max_change,
                })
            })
            .collect();
        let buckets: Vec<Value> = BUCKET_LABELS
            .iter()
            .zip(self.buckets)
            .map(|(l, n)| json!({ "label_yuan": l, "count": n }))
            .collect();
        let seen = self.compared + self.failed;
        json!({
            "policy": job.policy_sha256,
            "region": job.region,
            "params": serde_json::from_str::<Value>(&job.params).unwrap_or(Value::Null),
            "total": job.total,
            "compared": self.compared,
            "unchanged": self.unchanged,
            "changed": self.changed,
            "failed": self.failed,
            "outcomes": outcomes,
            "outcome_changes": outcome_changes,
            "benefits": benefits,
            "payout_change": {
                "what": "per changed claim: the candidate's amounts minus those in force, all lines (lump sums, and monthly items for one month)",
                "buckets": buckets,
            },
            "changed_claims": self.changed_claims,
            "changed_claims_listed": self.changed_claims.len(),
            "failures": self.failures,
            "failure_codes": self.failure_codes,
            "elapsed_ms": elapsed_ms,
            "claims_per_second": if elapsed_ms > 0 { seen * 1000 / elapsed_ms } else { seen },
        })
    }
}

fn parse_range(body: &Value) -> Result<(Range, Value), ApiError> {
    let mut problems = Vec::new();
    let mut range = Range::default();
    let mut bound = |field: &str, end: bool| -> Option<i64> {
        let v = body.get(field)?;
        let Some(s) = v.as_str() else {
            problems.push(FieldProblem::new(field, "a date, YYYY-MM-DD"));
            return None;
        };
        match oip_engine::types::Date::parse(s) {
            Ok(d) => {
                // Beijing midnight of the date, or the last second of the day.
                let start = d.start_beijing().0;
                Some(if end { start + 86_399 } else { start })
            }
            Err(_) => {
                problems.push(FieldProblem::new(field, "a date, YYYY-MM-DD"));
                None
            }
        }
    };
    range.from = bound("from", false);
    range.to = bound("to", true);
    if let Some(obj) = body.as_object() {
        for k in obj.keys() {
            if k != "from" && k != "to" {
                problems.push(FieldProblem::new(k.clone(), "unknown field"));
            }
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::InvalidRequest(problems));
    }
    let params = json!({ "from": body.get("from"), "to": body.get("to") });
    Ok((range, params))
}

fn job_running(j: &JobRow) -> bool {
    j.status == "running" && now_ms() - j.heartbeat_at < STALE_MS
}

async fn new_job(
    state: &AppState,
    who: &Principal,
    policy: &PolicyRow,
    kind: &str,
    total: i64,
    params: Value,
) -> Result<JobRow, ApiError> {
    if let Some(j) = state.db.latest_job(&policy.sha256, kind).await? {
        if job_running(&j) {
            return Err(ApiError::PolicyStep {
                code: "job_running",
                message: (
                    "该版本已有同类任务在运行。".into(),
                    format!("a {kind} job of this version is running: {}", j.id),
                ),
            });
        }
    }
    let t = now_ms();
    let job = JobRow {
        id: new_id("job"),
        kind: kind.into(),
        policy_sha256: policy.sha256.clone(),
        region: policy.region.clone(),
        params: params.to_string(),
        status: "running".into(),
        total,
        done: 0,
        failed: 0,
        report: None,
        error: None,
        requested_by: who.token_id.clone(),
        created_at: now().to_string(),
        started_at: t,
        heartbeat_at: t,
        finished_at: None,
    };
    let audit = AuditDraft {
        actor: who.token_id.clone(),
        action: format!("policy.{kind}_started"),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "job": job.id, "sha256": policy.sha256, "total": total, "params": params }),
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

async fn finish(state: &AppState, job: &JobRow, result: Result<Value, String>) {
    let t = now_ms();
    let (status, report, error) = match &result {
        Ok(r) => ("done", Some(r.to_string()), None),
        Err(e) => ("failed", None, Some(e.as_str())),
    };
    let summary = match &result {
        Ok(r) => json!({
            "job": job.id, "status": status, "done": job.done, "failed": job.failed,
            "changed": r.get("changed"), "redecided": r.get("redecided"),
        }),
        Err(e) => json!({ "job": job.id, "status": status, "error": e }),
    };
    let audit = AuditDraft {
        actor: "system".into(),
        action: format!("policy.{}_finished", job.kind),
        claim_id: None,
        before: None,
        after: Some(summary),
    };
    let stmt = state
        .db
        .finish_job_stmt(job, status, report.as_deref(), error, t);
    if let Err(e) = state
        .writer
        .submit_logged(None, vec![stmt], vec![audit], vec![])
        .await
    {
        tracing::error!(job = %job.id, error = %e, "cannot record the end of a job");
    }
}

/// Starts a shadow run of a version over its region's claims (`{ "from", "to" }`, optional
/// incident dates).
pub async fn start_shadow(
    state: &AppState,
    who: &Principal,
    policy: &PolicyRow,
    body: &Value,
) -> Result<JobRow, ApiError> {
    let (range, params) = parse_range(body)?;
    let candidate = state
        .decider
        .module(&state.db, &policy.sha256)
        .await
        .map_err(ApiError::Internal)?
        .ok_or(ApiError::NotFound)?;
    let total = state.db.count_claims(&policy.region, range, None).await?;
    let job = new_job(state, who, policy, "shadow", total, params).await?;
    let s = state.clone();
    let j = job.clone();
    tokio::spawn(async move {
        let mut j = j;
        let result = shadow(&s, &mut j, candidate, range).await;
        finish(&s, &j, result).await;
    });
    Ok(job)
}

/// Runs a shadow scan: the whole report, or why it stopped.
pub async fn shadow(
    state: &AppState,
    job: &mut JobRow,
    candidate: Arc<LoadedPolicy>,
    range: Range,
) -> Result<Value, String> {
    let started = std::time::Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
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
        let host = state.decider.host_arc();
        let policy = candidate.clone();
        let compared = tokio::task::spawn_blocking(move || {
            let chunk = rows.len().div_ceil(threads).max(1);
            std::thread::scope(|scope| {
                let handles: Vec<_> = rows
                    .chunks(chunk)
                    .map(|part| {
                        let (host, policy) = (&host, &policy);
                        scope.spawn(move || {
                            part.iter()
                                .map(|r| compare(host, policy, r))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                let mut out = Vec::with_capacity(rows.len());
                for h in handles {
                    out.extend(
                        h.join()
                            .map_err(|_| "a decider thread panicked".to_string())?,
                    );
                }
                Ok::<_, String>(out)
            })
        })
        .await
        .map_err(|e| e.to_string())??;
        for c in compared {
            report.add(c);
        }
        job.done = report.compared + report.failed;
        job.failed = report.failed;
        if let Err(e) = state
            .db
            .job_progress(&job.id, job.done, job.failed, now_ms())
            .await
        {
            tracing::warn!(job = %job.id, error = %e, "cannot record progress");
        }
    }
    reader.abort();
    Ok(report.json(job, started.elapsed().as_millis() as i64))
}

/// Starts a re-decision with an active version.
pub async fn start_redecide(
    state: &AppState,
    who: &Principal,
    policy: &PolicyRow,
) -> Result<JobRow, ApiError> {
    if policy.status != "active" {
        return Err(ApiError::PolicyStep {
            code: "invalid_policy_transition",
            message: (
                "只有已启用的版本可以用于重新决定。".into(),
                "only an active version can decide claims again".into(),
            ),
        });
    }
    let total = state
        .db
        .count_claims(&policy.region, Range::default(), Some(&REDECIDE_STATUSES))
        .await?;
    let job = new_job(state, who, policy, "redecide", total, json!({})).await?;
    let s = state.clone();
    let j = job.clone();
    tokio::spawn(async move {
        let mut j = j;
        let result = redecide(&s, &mut j).await;
        finish(&s, &j, result).await;
    });
    Ok(job)
}

const REDECIDE_STATUSES: [&str; 3] = ["pending_review", "needs_information", "no_policy_in_force"];

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
    if row.status == "no_policy_in_force" {
        return true;
    }
    let provisional = row
        .decision
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .is_some_and(|body| {
            body["benefits"]
                .as_array()
                .is_some_and(|ls| ls.iter().any(|l| l["provisional"] == json!(true)))
        });
    provisional && row.decided_by.as_deref() != Some(sha256)
}

async fn redecide(state: &AppState, job: &mut JobRow) -> Result<Value, String> {
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
            // Decided once: a decision the version would make identically is not stored
            // again (the claim's history only grows where something changes).
            let outcome = attempt(state, &facts).await;
            if let (Some(body), Attempt::Decided(e)) = (&row.decision, &outcome) {
                if e.decision_json == body.as_bytes() {
                    unchanged += 1;
                    continue;
                }
            }
            let Ok(Some(claim)) = state.db.claim(&row.id).await else {
                failed += 1;
                continue;
            };
            match store_again(state, &claim, row.facts.clone(), "redecide", outcome).await {
                Ok((_, Some(d))) => {
                    redecided += 1;
                    if items.len() < LIST_CAP {
                        items.push(json!({
                            "claim_id": claim.id,
                            "decision_id": d.id,
                            "replaces": d.replaces,
                            "outcome": d.outcome,
                        }));
                    }
                }
                Ok((_, None)) | Err(_) => failed += 1,
            }
        }
        job.done = redecided + unchanged + skipped + failed;
        job.failed = failed;
        if let Err(e) = state
            .db
            .job_progress(&job.id, job.done, job.failed, now_ms())
            .await
        {
            tracing::warn!(job = %job.id, error = %e, "cannot record progress");
        }
    }
    Ok(json!({
        "policy": job.policy_sha256,
        "region": job.region,
        "redecided": redecided,
        "unchanged": unchanged,
        "skipped": skipped,
        "failed": failed,
        "decisions": items,
        "elapsed_ms": started.elapsed().as_millis() as i64,
    }))
}

/// The JSON of a job: progress, ETA while it runs, the report once done.
pub fn job_json(j: &JobRow) -> Value {
    let t = now_ms();
    let status = if j.status == "running" && !job_running(j) {
        "interrupted"
    } else {
        j.status.as_str()
    };
    let elapsed = j.finished_at.unwrap_or(t) - j.started_at;
    let eta_seconds = (status == "running" && j.done > 0).then(|| {
        let per = elapsed as f64 / j.done as f64;
        ((j.total - j.done).max(0) as f64 * per / 1000.0).ceil() as i64
    });
    json!({
        "id": j.id,
        "kind": j.kind,
        "policy": j.policy_sha256,
        "region": j.region,
        "status": status,
        "total": j.total,
        "done": j.done,
        "failed": j.failed,
        "progress": if j.total > 0 { j.done as f64 / j.total as f64 } else { 1.0 },
        "eta_seconds": eta_seconds,
        "elapsed_ms": elapsed,
        "requested_by": j.requested_by,
        "created_at": j.created_at,
        "error": j.error,
        "report": j.report.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()),
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The distribution of payout changes of a shadow report, as a bar chart (SVG, no script).
pub fn chart_svg(report: &Value) -> String {
    let buckets: Vec<(String, i64)> = report["payout_change"]["buckets"]
        .as_array()
        .map(|bs| {
            bs.iter()
                .map(|b| {
                    (
                        b["label_yuan"].as_str().unwrap_or_default().to_string(),
                        b["count"].as_i64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let (w, h, left, top, bottom) = (720.0f64, 360.0f64, 50.0f64, 60.0f64, 70.0f64);
    let plot_h = h - top - bottom;
    let max = buckets.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let n = buckets.len().max(1) as f64;
    let slot = (w - left - 20.0) / n;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"payout changes\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">赔付变化分布 · Distribution of payout changes</text>\
         <text x=\"{}\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">{} · changed {} of {} claims; failed {}</text>",
        w / 2.0,
        w / 2.0,
        esc(report["policy"]
            .as_str()
            .unwrap_or_default()
            .get(..12)
            .unwrap_or_default()),
        report["changed"].as_i64().unwrap_or(0),
        report["compared"].as_i64().unwrap_or(0) + report["failed"].as_i64().unwrap_or(0),
        report["failed"].as_i64().unwrap_or(0),
    );
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        top + plot_h,
        w - 20.0,
        top + plot_h
    ));
    for (i, (label, count)) in buckets.iter().enumerate() {
        let bh = (*count as f64 / max) * plot_h;
        let x = left + i as f64 * slot + slot * 0.1;
        let y = top + plot_h - bh;
        let colour = if i < 5 {
            "#c0392b"
        } else if i == 5 {
            "#7f8c8d"
        } else {
            "#2471a3"
        };
        svg.push_str(&format!(
            "<rect class=\"bar\" data-bucket=\"{i}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{colour}\"><title>{} : {count}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{count}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" transform=\"rotate(-35 {:.1} {:.1})\">{}</text>",
            slot * 0.8,
            esc(label),
            x + slot * 0.4,
            y - 4.0,
            x + slot * 0.4,
            top + plot_h + 16.0,
            x + slot * 0.4,
            top + plot_h + 16.0,
            esc(label),
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">每件案件的赔付变化（元）· change per claim (yuan)</text></svg>",
        w / 2.0,
        h - 6.0
    ));
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_split_at_their_edges() {
        assert_eq!(bucket(0), 5);
        assert_eq!(bucket(-1), 4);
        assert_eq!(bucket(-10_000), 4);
        assert_eq!(bucket(-10_001), 3);
        assert_eq!(bucket(-20_000_000), 0);
        assert_eq!(bucket(1), 6);
        assert_eq!(bucket(10_000), 6);
        assert_eq!(bucket(10_001), 7);
        assert_eq!(bucket(10_000_001), 10);
    }

    #[test]
    fn the_chart_draws_one_bar_per_bucket() {
        let mut r = Report::default();
        r.buckets[7] = 3;
        r.buckets[2] = 1;
        r.changed = 4;
        let job = JobRow {
            id: "job_x".into(),
            kind: "shadow".into(),
            policy_sha256: "ab".repeat(32),
            region: "CN-SC".into(),
            params: "{}".into(),
            status: "done".into(),
            total: 4,
            done: 4,
            failed: 0,
            report: None,
            error: None,
            requested_by: "tok".into(),
            created_at: String::new(),
            started_at: 0,
            heartbeat_at: 0,
            finished_at: None,
        };
        let svg = chart_svg(&r.json(&job, 10));
        assert_eq!(svg.matches("class=\"bar\"").count(), 11);
        assert!(svg.contains(">3</text>"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
