//! Carrying out a review action or an appeal: the new status and review state, the review row,
//! the audit entry and the platform's events, written together under the claim's version.

use super::lines::{AppealRequest, ReviewRequest, apply_changes};
use super::{check, threshold};
use crate::auth::Principal;
use crate::claims::event_draft;
use crate::db::claims::ClaimRow;
use crate::db::reviews::ReviewRow;
use crate::db::writer::AuditDraft;
use crate::domain::{
    Appeal, AppealOutcome, ClaimAction, ClaimStatus, Event, Proposal, ReviewAction, ReviewedLine,
    Transition, Workflow, lump_sum_fen,
};
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, new_id, now};
use oip_engine::types::{Decision, Document};
use serde_json::json;

/// What a review (or an appeal) did.
#[derive(Clone, Debug)]
pub struct Reviewed {
    /// The review row's id.
    pub review_id: String,
    /// The claim as it is now.
    pub claim: ClaimRow,
}

/// What a step changes.
struct Step {
    status: ClaimStatus,
    workflow: Workflow,
    benefits: Option<Vec<ReviewedLine>>,
    documents: Option<Vec<Document>>,
    events: Vec<Event>,
}

/// The lines the claim's current decision recommends.
async fn recommended(state: &AppState, claim: &ClaimRow) -> Result<Vec<ReviewedLine>, Error> {
    let Some(id) = &claim.decision_id else {
        return Ok(Vec::new());
    };
    let Some(d) = state.db.decision(id).await? else {
        return Ok(Vec::new());
    };
    let decision: Decision =
        serde_json::from_str(&d.body).map_err(|e| Error::internal(e.to_string()))?;
    Ok(decision.benefits.iter().map(Into::into).collect())
}

/// A reason code and a note, both required.
fn reasons(req: &ReviewRequest, problems: &mut Vec<FieldProblem>) {
    if req.reason_code.is_none() {
        problems.push(FieldProblem::new("reason_code", "required"));
    }
    if req.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        problems.push(FieldProblem::new("note", "required"));
    }
}

/// Links an appeal's outcome to the decision appealed against.
fn finish_appeal(w: &mut Workflow, via_appeal: bool, outcome: ClaimStatus, me: &str) {
    if !via_appeal {
        return;
    }
    if let Some(a) = w.appeal.take() {
        w.appeal_outcome = Some(AppealOutcome {
            outcome,
            reviewed_by: me.to_string(),
            appealed_decision_id: a.decision_id,
            from_status: a.from_status,
            grounds: a.grounds,
            filed_at: a.filed_at,
        });
    }
}

/// Carries out a review action by an adjuster on a claim of its regions.
pub async fn review(
    state: &AppState,
    who: &Principal,
    id: &str,
    req: &ReviewRequest,
) -> Result<Reviewed, Error> {
    let claim = crate::claims::visible(state, who, id).await?;
    let transition = check(&claim, ClaimAction::Review(req.action), who)?;
    let me = who.person().to_string();
    let from = claim.status;
    let mut w = claim.workflow.clone();
    let mut problems = Vec::new();
    let step = match transition {
        Transition::Decide => {
            let recommended = recommended(state, &claim).await?;
            let lines = if req.action == ReviewAction::Override {
                let changes = req.benefits.as_deref().unwrap_or_default();
                if changes.is_empty() {
                    problems.push(FieldProblem::new(
                        "benefits",
                        "an override changes at least one line",
                    ));
                }
                reasons(req, &mut problems);
                if !problems.is_empty() {
                    return Err(Error::invalid_request(problems));
                }
                apply_changes(&recommended, changes).map_err(Error::invalid_request)?
            } else {
                recommended
            };
            let lump = lump_sum_fen(&lines).ok_or_else(|| {
                Error::field(Code::InvalidRequest, "benefits", "the lump sums overflow")
            })?;
            if lump > threshold(state, &claim.region) {
                w.proposal = Some(Proposal {
                    by: me.clone(),
                    action: req.action,
                    benefits: lines.clone(),
                    lump_sum_fen: lump,
                    reason_code: req.reason_code,
                    note: req.note.clone(),
                });
                Step {
                    status: ClaimStatus::AwaitingSecondApproval,
                    workflow: w,
                    benefits: Some(lines),
                    documents: None,
                    events: vec![],
                }
            } else {
                finish_appeal(
                    &mut w,
                    from == ClaimStatus::Appealed,
                    ClaimStatus::Approved,
                    &me,
                );
                w.decided_by = Some(me.clone());
                w.approved_benefits = Some(lines.clone());
                Step {
                    status: ClaimStatus::Approved,
                    workflow: w,
                    benefits: Some(lines),
                    documents: None,
                    events: vec![],
                }
            }
        }
        Transition::SecondApproval => {
            let p = w.proposal.take().ok_or(Code::InvalidTransition)?;
            let via_appeal = w.appeal.is_some();
            finish_appeal(&mut w, via_appeal, ClaimStatus::Approved, &me);
            w.decided_by = Some(p.by.clone());
            w.approved_benefits = Some(p.benefits.clone());
            Step {
                status: ClaimStatus::Approved,
                workflow: w,
                benefits: Some(p.benefits),
                documents: None,
                events: vec![],
            }
        }
        Transition::QualityPassed => {
            w.quality_review = false;
            Step {
                status: ClaimStatus::Approved,
                workflow: w,
                benefits: None,
                documents: None,
                events: vec![],
            }
        }
        Transition::Deny => {
            reasons(req, &mut problems);
            if !problems.is_empty() {
                return Err(Error::invalid_request(problems));
            }
            let via_appeal = w.appeal.is_some() && from != ClaimStatus::PendingReview;
            finish_appeal(&mut w, via_appeal, ClaimStatus::Denied, &me);
            w.decided_by = Some(me.clone());
            w.proposal = None;
            w.approved_benefits = None;
            Step {
                status: ClaimStatus::Denied,
                workflow: w,
                benefits: None,
                documents: None,
                events: vec![],
            }
        }
        Transition::RequestInformation => {
            let docs: Vec<Document> = req
                .documents
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|d| d.0)
                .collect();
            if docs.is_empty() {
                return Err(Error::field(
                    Code::InvalidRequest,
                    "documents",
                    "name the documents needed",
                ));
            }
            Step {
                status: ClaimStatus::NeedsInformation,
                workflow: w,
                benefits: None,
                documents: Some(docs.clone()),
                events: vec![Event::SupplementRequested {
                    missing_documents: docs,
                    decision_id: None,
                    note: req.note.clone(),
                }],
            }
        }
        Transition::Close => Step {
            status: ClaimStatus::Closed,
            workflow: w,
            benefits: None,
            documents: None,
            events: vec![],
        },
        Transition::Appeal | Transition::Supplement => {
            return Err(Error::internal(
                "a review action the state machine maps to a platform step",
            ));
        }
    };
    commit(
        state,
        who,
        &claim,
        req.action.as_str(),
        req.reason_code.map(|c| c.as_str()),
        req.note.as_deref(),
        step,
    )
    .await
}

/// Files an appeal (platform, on behalf of the worker) against an approval or a denial.
pub async fn appeal(
    state: &AppState,
    who: &Principal,
    id: &str,
    req: &AppealRequest,
) -> Result<Reviewed, Error> {
    let claim = crate::claims::visible(state, who, id).await?;
    check(&claim, ClaimAction::Appeal, who)?;
    if req.grounds.trim().is_empty() {
        return Err(Error::field(Code::InvalidRequest, "grounds", "required"));
    }
    let mut w = claim.workflow.clone();
    w.appeal = Some(Appeal {
        grounds: req.grounds.clone(),
        filed_at: now().to_string(),
        from_status: claim.status,
        decided_by: w.decided_by.clone(),
        decision_id: claim.decision_id.clone(),
    });
    w.quality_review = false;
    let step = Step {
        status: ClaimStatus::Appealed,
        workflow: w,
        benefits: None,
        documents: None,
        events: vec![Event::AppealFiled {
            grounds: req.grounds.clone(),
        }],
    };
    commit(state, who, &claim, "appeal", None, Some(&req.grounds), step).await
}

async fn commit(
    state: &AppState,
    who: &Principal,
    claim: &ClaimRow,
    action: &str,
    reason: Option<&str>,
    note: Option<&str>,
    step: Step,
) -> Result<Reviewed, Error> {
    let t = now();
    let mut updated = claim.clone();
    updated.status = step.status;
    updated.workflow = step.workflow;
    updated.updated_at = t.to_string();
    if step.status == ClaimStatus::Appealed {
        updated.due_on = Some(crate::calendars::add_working_days(
            state,
            t.beijing_date(),
            30,
        ));
    }
    updated.place();
    let review = ReviewRow {
        id: new_id("rev"),
        claim_id: claim.id.clone(),
        actor: who.person().to_string(),
        action: action.to_string(),
        reason_code: reason.and_then(<crate::domain::ReasonCode as crate::domain::Named>::parse),
        note: note.map(str::to_string),
        benefits: step.benefits,
        documents: step.documents,
        status_before: claim.status,
        status_after: step.status,
        created_at: t.to_string(),
    };
    let audit = vec![AuditDraft {
        actor: who.person().to_string(),
        action: format!("review.{action}"),
        claim_id: Some(claim.id.clone()),
        before: Some(json!({ "status": claim.status, "workflow": claim.workflow }).to_string()),
        after: Some(
            json!({ "status": updated.status, "workflow": updated.workflow, "review_id": review.id, "reason_code": reason })
                .to_string(),
        ),
    }];
    let mut events: Vec<Event> = step.events;
    if updated.status != claim.status {
        events.push(Event::StatusChanged {
            status: updated.status,
            from: Some(claim.status),
        });
    }
    let events = events.iter().map(|e| event_draft(claim, e)).collect();
    let applied = state
        .writer
        .submit_logged(
            Some(state.db.update_claim_stmt(&updated, claim.version)),
            vec![state.db.insert_review_stmt(&review)],
            audit,
            events,
        )
        .await?;
    if !applied {
        return Err(Error::new(Code::Conflict));
    }
    updated.version += 1;
    Ok(Reviewed {
        review_id: review.id,
        claim: updated,
    })
}
