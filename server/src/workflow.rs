//! The review workflow: the claim lifecycle, enforced in one place.
//!
//! ```text
//! pending_review ──approve/override──▶ approved | awaiting_second_approval (above the threshold)
//!                ──deny──────────────▶ denied
//!                ──request_information▶ needs_information ──supplement──▶ decided again
//! awaiting_second_approval ──approve (another adjuster)──▶ approved;  ──deny──▶ denied
//! approved | denied ──appeal (platform)──▶ appealed ──approve/override/deny (another adjuster)──▶ …
//! approved ──close──▶ closed
//! ```
//! Every other move is refused with 409 `invalid_transition`. The engine recommends; the
//! recommendation is kept beside any override; each step is a review row, an audit entry and
//! a platform event, written in one transaction whose guard re-checks the status.

use crate::auth::Principal;
use crate::claims::status::{NEEDS_INFORMATION, PENDING_REVIEW};
use crate::db::store::ClaimRow;
use crate::db::writer::{AuditDraft, EventDraft};
use crate::error::{ApiError, FieldProblem};
use crate::{AppState, new_id, now, validate};
use oip_engine::types::Decision;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Approved (benefits to be paid).
pub const APPROVED: &str = "approved";
/// Denied.
pub const DENIED: &str = "denied";
/// An approval above the threshold waits for a second adjuster.
pub const AWAITING_SECOND: &str = "awaiting_second_approval";
/// Appealed by the platform on the worker's behalf.
pub const APPEALED: &str = "appealed";
/// Benefits settled.
pub const CLOSED: &str = "closed";

/// Reason codes a review may give (overrides, denials).
pub const REASON_CODES: &[&str] = &[
    "figure_published",
    "calculation_error",
    "medical_evidence",
    "document_evidence",
    "liability_evidence",
    "policy_interpretation",
    "not_occupational",
    "excluded",
    "fraud_suspected",
    "other",
];

/// A proposal waiting for the second adjuster.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Proposal {
    /// Who proposed (token id).
    pub by: String,
    /// `approve` or `override`.
    pub action: String,
    /// The benefit lines proposed.
    pub benefits: Value,
    /// Lump sums in the proposal.
    pub lump_sum_fen: u64,
    /// Reason code of an override.
    pub reason_code: Option<String>,
    /// Note.
    pub note: Option<String>,
}

/// An appeal.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Appeal {
    /// The grounds given.
    pub grounds: String,
    /// When it was filed.
    pub filed_at: String,
    /// The status appealed against.
    pub from_status: String,
    /// Who made the decision appealed against (may not review the appeal).
    pub decided_by: Option<String>,
    /// The decision appealed against.
    pub decision_id: Option<String>,
}

/// The review state of a claim (stored as JSON beside it).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Workflow {
    /// Waiting for a second adjuster.
    pub proposal: Option<Proposal>,
    /// Who made the last approve/deny decision.
    pub decided_by: Option<String>,
    /// The benefit lines approved (the recommendation, or as overridden).
    pub approved_benefits: Option<Value>,
    /// Approved straight through (fast track).
    #[serde(default)]
    pub auto_approved: bool,
    /// A straight-through approval sampled for quality review, not yet reviewed.
    #[serde(default)]
    pub quality_review: bool,
    /// The appeal, once filed.
    pub appeal: Option<Appeal>,
    /// The last appeal's outcome, linked to the decision appealed against.
    pub appeal_outcome: Option<Value>,
}

impl Workflow {
    /// From a claim's stored JSON.
    pub fn of(claim: &ClaimRow) -> Workflow {
        claim
            .workflow
            .as_deref()
            .and_then(|w| serde_json::from_str(w).ok())
            .unwrap_or_default()
    }
}

/// Whether a sampled share (basis points) selects this claim: a stable hash of its id.
pub fn sampled(claim_id: &str, share_bp: u64) -> bool {
    let h = Sha256::digest(claim_id.as_bytes());
    let n = u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    n % 10_000 < share_bp
}

/// Straight-through processing: a covered fast-track decision is approved at once; a share
/// of those is sampled into the quality-review queue. Returns the workflow state, or None.
pub fn straight_through(state: &AppState, claim_id: &str, d: &Decision) -> Option<Value> {
    if !state.config.straight_through
        || !d.fast_track
        || d.outcome != oip_engine::types::Outcome::Covered
    {
        return None;
    }
    let w = Workflow {
        decided_by: Some("system:straight-through".into()),
        approved_benefits: serde_json::to_value(&d.benefits).ok(),
        auto_approved: true,
        quality_review: sampled(claim_id, state.config.quality_sample_bp),
        ..Workflow::default()
    };
    serde_json::to_value(w).ok()
}

/// A review request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `approve`, `override`, `deny`, `request_information`, `close`.
    pub action: String,
    /// A code from [`REASON_CODES`] (override, deny).
    pub reason_code: Option<String>,
    /// A note (override, deny).
    pub note: Option<String>,
    /// Override: the changes to the recommended lines.
    pub benefits: Option<Vec<LineChange>>,
    /// Request information: the documents asked for.
    pub documents: Option<Value>,
}

/// One change to a benefit line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineChange {
    /// The benefit item.
    pub item: String,
    /// The new amount in fen; `null` removes the line.
    pub amount_fen: Option<u64>,
    /// Payer of an added line (default fund).
    pub payer: Option<String>,
    /// Period of an added line (default lump_sum).
    pub period: Option<String>,
    /// Why (from [`REASON_CODES`]).
    pub reason_code: String,
    /// Note.
    pub note: String,
}

fn reason_ok(code: Option<&str>, note: Option<&str>, path: &str, problems: &mut Vec<FieldProblem>) {
    match code {
        Some(c) if REASON_CODES.contains(&c) => {}
        Some(_) => problems.push(FieldProblem::new(
            format!("{path}reason_code"),
            format!("must be one of: {}", REASON_CODES.join(", ")),
        )),
        None => problems.push(FieldProblem::new(format!("{path}reason_code"), "required")),
    }
    if note.is_none_or(|n| n.trim().is_empty()) {
        problems.push(FieldProblem::new(format!("{path}note"), "required"));
    }
}

/// Applies line changes to the recommended lines: each changed line keeps the original
/// beside it (`recommended_amount_fen`) with the change's reason.
pub fn apply_changes(recommended: &Value, changes: &[LineChange]) -> Result<Value, ApiError> {
    let mut problems = Vec::new();
    let mut lines: Vec<Value> = recommended.as_array().cloned().unwrap_or_default();
    for (i, ch) in changes.iter().enumerate() {
        reason_ok(
            Some(&ch.reason_code),
            Some(&ch.note),
            &format!("benefits[{i}]."),
            &mut problems,
        );
        let change = json!({ "reason_code": ch.reason_code, "note": ch.note });
        match lines
            .iter_mut()
            .find(|l| l["item"] == ch.item.as_str() && l.get("removed").is_none())
        {
            Some(line) => {
                let original = line["amount_fen"].clone();
                match ch.amount_fen {
                    Some(a) => line["amount_fen"] = json!(a),
                    None => line["removed"] = json!(true),
                }
                line["recommended_amount_fen"] = original;
                line["change"] = change;
            }
            None => match ch.amount_fen {
                Some(a) => {
                    if !oip_engine::types::BenefitItem::ALL
                        .iter()
                        .any(|b| serde_json::to_value(b).ok() == Some(json!(ch.item)))
                    {
                        problems.push(FieldProblem::new(
                            format!("benefits[{i}].item"),
                            "unknown benefit item",
                        ));
                    }
                    lines.push(json!({
                        "item": ch.item,
                        "payer": ch.payer.clone().unwrap_or_else(|| "fund".into()),
                        "period": ch.period.clone().unwrap_or_else(|| "lump_sum".into()),
                        "amount_fen": a,
                        "recommended_amount_fen": null,
                        "added": true,
                        "change": change,
                    }));
                }
                None => problems.push(FieldProblem::new(
                    format!("benefits[{i}].item"),
                    "no such line to remove",
                )),
            },
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    Ok(Value::Array(lines))
}

/// Lump sums of benefit lines (removed lines excluded).
pub fn lump_sum_fen(lines: &Value) -> u64 {
    lines
        .as_array()
        .map(|ls| {
            ls.iter()
                .filter(|l| l["period"] == "lump_sum" && l.get("removed").is_none())
                .filter_map(|l| l["amount_fen"].as_u64())
                .sum()
        })
        .unwrap_or(0)
}

fn threshold(state: &AppState, region: &str) -> u64 {
    state
        .config
        .four_eyes_thresholds
        .get(region)
        .copied()
        .unwrap_or(state.config.four_eyes_threshold_fen)
}

/// What a review does: the new status and workflow, and what to record.
struct Step {
    status: String,
    workflow: Workflow,
    benefits: Option<Value>,
    documents: Option<Value>,
    events: Vec<(String, Value)>,
}

/// Carries out a review action by an adjuster on a claim of its region.
pub async fn review(
    state: &AppState,
    who: &Principal,
    claim: &ClaimRow,
    req: ReviewRequest,
) -> Result<Value, ApiError> {
    let mut w = Workflow::of(claim);
    let me = who.token_id.clone();
    let recommended: Value = match &claim.decision_id {
        Some(d) => state
            .db
            .decision(d)
            .await?
            .and_then(|d| serde_json::from_str::<Value>(&d.body).ok())
            .map(|b| b["benefits"].clone())
            .unwrap_or(Value::Array(vec![])),
        None => Value::Array(vec![]),
    };
    let from = claim.status.as_str();
    let invalid = || {
        ApiError::Conflict(format!(
            "{} is not allowed when the claim is {from}",
            req.action
        ))
    };
    let mut problems = Vec::new();
    let step = match (req.action.as_str(), from) {
        ("approve" | "override", PENDING_REVIEW | APPEALED) => {
            if from == APPEALED
                && w.appeal.as_ref().and_then(|a| a.decided_by.as_deref()) == Some(me.as_str())
            {
                return Err(ApiError::SameAdjuster);
            }
            let lines = if req.action == "override" {
                let changes = req.benefits.as_deref().unwrap_or_default();
                if changes.is_empty() {
                    problems.push(FieldProblem::new(
                        "benefits",
                        "an override changes at least one line",
                    ));
                }
                reason_ok(
                    req.reason_code.as_deref(),
                    req.note.as_deref(),
                    "",
                    &mut problems,
                );
                if !problems.is_empty() {
                    return Err(ApiError::Invalid(problems));
                }
                apply_changes(&recommended, changes)?
            } else {
                recommended.clone()
            };
            let lump = lump_sum_fen(&lines);
            if lump > threshold(state, &claim.region) {
                w.proposal = Some(Proposal {
                    by: me.clone(),
                    action: req.action.clone(),
                    benefits: lines.clone(),
                    lump_sum_fen: lump,
                    reason_code: req.reason_code.clone(),
                    note: req.note.clone(),
                });
                Step {
                    status: AWAITING_SECOND.into(),
                    workflow: w,
                    benefits: Some(lines),
                    documents: None,
                    events: vec![],
                }
            } else {
                finish_appeal(&mut w, from, APPROVED, &me);
                w.decided_by = Some(me.clone());
                w.approved_benefits = Some(lines.clone());
                Step {
                    status: APPROVED.into(),
                    workflow: w,
                    benefits: Some(lines),
                    documents: None,
                    events: vec![],
                }
            }
        }
        ("approve", AWAITING_SECOND) => {
            let p = w.proposal.clone().ok_or_else(invalid)?;
            if p.by == me {
                return Err(ApiError::SameAdjuster);
            }
            let via = if w.appeal.is_some() { APPEALED } else { from };
            finish_appeal(&mut w, via, APPROVED, &me);
            w.decided_by = Some(p.by.clone());
            w.approved_benefits = Some(p.benefits.clone());
            w.proposal = None;
            Step {
                status: APPROVED.into(),
                workflow: w,
                benefits: Some(p.benefits),
                documents: None,
                events: vec![],
            }
        }
        ("approve", APPROVED) if w.quality_review => {
            // The sampled straight-through approval passed its quality review.
            w.quality_review = false;
            Step {
                status: APPROVED.into(),
                workflow: w,
                benefits: None,
                documents: None,
                events: vec![],
            }
        }
        ("deny", PENDING_REVIEW | APPEALED | AWAITING_SECOND) => {
            if from == APPEALED
                && w.appeal.as_ref().and_then(|a| a.decided_by.as_deref()) == Some(me.as_str())
            {
                return Err(ApiError::SameAdjuster);
            }
            reason_ok(
                req.reason_code.as_deref(),
                req.note.as_deref(),
                "",
                &mut problems,
            );
            if !problems.is_empty() {
                return Err(ApiError::Invalid(problems));
            }
            let via = if w.appeal.is_some() && from != PENDING_REVIEW {
                APPEALED
            } else {
                from
            };
            finish_appeal(&mut w, via, DENIED, &me);
            w.decided_by = Some(me.clone());
            w.proposal = None;
            w.approved_benefits = None;
            Step {
                status: DENIED.into(),
                workflow: w,
                benefits: None,
                documents: None,
                events: vec![],
            }
        }
        ("request_information", PENDING_REVIEW) => {
            let docs = validate::documents(req.documents.as_ref(), "documents", &mut problems);
            if docs.is_empty() && problems.is_empty() {
                problems.push(FieldProblem::new("documents", "name the documents needed"));
            }
            if !problems.is_empty() {
                return Err(ApiError::Invalid(problems));
            }
            let codes: Vec<&str> = docs.iter().map(|d| validate::document_code(*d)).collect();
            let docs_json = json!(codes);
            Step {
                status: NEEDS_INFORMATION.into(),
                workflow: w,
                benefits: None,
                documents: Some(docs_json.clone()),
                events: vec![(
                    "supplement.requested".into(),
                    json!({ "missing_documents": docs_json, "note": req.note }),
                )],
            }
        }
        ("close", APPROVED) => Step {
            status: CLOSED.into(),
            workflow: w,
            benefits: None,
            documents: None,
            events: vec![],
        },
        ("approve" | "override" | "deny" | "request_information" | "close", _) => {
            return Err(invalid());
        }
        _ => {
            return Err(ApiError::Invalid(vec![FieldProblem::new(
                "action",
                "must be one of: approve, override, deny, request_information, close",
            )]));
        }
    };
    commit(
        state,
        who,
        claim,
        &req.action,
        req.reason_code.as_deref(),
        req.note.as_deref(),
        step,
    )
    .await
}

/// Links an appeal's outcome to the decision appealed against.
fn finish_appeal(w: &mut Workflow, from: &str, outcome: &str, me: &str) {
    if from == APPEALED {
        if let Some(a) = w.appeal.take() {
            w.appeal_outcome = Some(json!({
                "outcome": outcome,
                "reviewed_by": me,
                "appealed_decision_id": a.decision_id,
                "from_status": a.from_status,
                "grounds": a.grounds,
                "filed_at": a.filed_at,
            }));
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn commit(
    state: &AppState,
    who: &Principal,
    claim: &ClaimRow,
    action: &str,
    reason: Option<&str>,
    note: Option<&str>,
    step: Step,
) -> Result<Value, ApiError> {
    let t = now().to_string();
    let wjson =
        serde_json::to_string(&step.workflow).map_err(|e| ApiError::Internal(e.to_string()))?;
    let guard = state
        .db
        .transition_stmt(&claim.id, &claim.status, &step.status, &wjson, &t);
    let review_id = new_id("rev");
    let then = vec![state.db.insert_review_stmt(
        &review_id,
        &claim.id,
        &who.token_id,
        action,
        reason,
        note,
        step.benefits.as_ref().map(Value::to_string),
        step.documents.as_ref().map(Value::to_string),
        &claim.status,
        &step.status,
        &t,
    )];
    let audit = vec![AuditDraft {
        actor: who.token_id.clone(),
        action: format!("review.{action}"),
        claim_id: Some(claim.id.clone()),
        before: Some(
            json!({ "status": claim.status, "workflow": claim.workflow.as_deref().and_then(|w| serde_json::from_str::<Value>(w).ok()) }),
        ),
        after: Some(
            json!({ "status": step.status, "workflow": step.workflow, "review_id": review_id, "reason_code": reason }),
        ),
    }];
    let mut events: Vec<EventDraft> = step
        .events
        .into_iter()
        .map(|(kind, payload)| EventDraft {
            platform: claim.platform.clone(),
            claim_id: claim.id.clone(),
            kind,
            payload,
        })
        .collect();
    if step.status != claim.status {
        events.push(EventDraft {
            platform: claim.platform.clone(),
            claim_id: claim.id.clone(),
            kind: "status.changed".into(),
            payload: json!({ "status": step.status, "from": claim.status }),
        });
    }
    if !state
        .writer
        .submit_logged(Some(guard), then, audit, events)
        .await?
    {
        return Err(ApiError::Conflict(
            "the claim changed meanwhile; read it again".into(),
        ));
    }
    Ok(json!({ "review_id": review_id, "status": step.status, "review": step.workflow }))
}

/// Files an appeal (platform, on behalf of the worker) against an approval or a denial.
pub async fn appeal(
    state: &AppState,
    who: &Principal,
    claim: &ClaimRow,
    grounds: &str,
) -> Result<Value, ApiError> {
    if claim.status != APPROVED && claim.status != DENIED {
        return Err(ApiError::Conflict(format!(
            "appeal is not allowed when the claim is {}",
            claim.status
        )));
    }
    if grounds.trim().is_empty() {
        return Err(ApiError::Invalid(vec![FieldProblem::new(
            "grounds", "required",
        )]));
    }
    let mut w = Workflow::of(claim);
    w.appeal = Some(Appeal {
        grounds: grounds.to_string(),
        filed_at: now().to_string(),
        from_status: claim.status.clone(),
        decided_by: w.decided_by.clone(),
        decision_id: claim.decision_id.clone(),
    });
    w.quality_review = false;
    let step = Step {
        status: APPEALED.into(),
        workflow: w,
        benefits: None,
        documents: None,
        events: vec![("appeal.filed".into(), json!({ "grounds": grounds }))],
    };
    commit(state, who, claim, "appeal", None, Some(grounds), step).await
}
