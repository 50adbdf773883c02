//! The claims service: intake (validate, decide, store durably), deciding a stored claim again
//! (a supplement, a retry, a policy coming into force, a re-decision), and replay.
//!
//! It takes typed inputs and returns stored rows ([`StoredClaim`]); the API and the console
//! build their views from those. A stored decision stays the bytes the module returned.

mod again;
pub mod appraisal;
pub mod bills;
mod intake;
mod replay;

pub use again::{
    Attempt, Together, attempt, decide_again, decide_again_with, store_again, supplement,
};
pub use intake::submit;
pub use replay::{Replayed, replay};

use crate::auth::Principal;
use crate::db::claims::ClaimRow;
use crate::db::decisions::DecisionRow;
use crate::db::writer::EventDraft;
use crate::domain::{ClaimStatus, Event};
use crate::error::{Code, Error};
use crate::{AppState, new_id, now};
use oip_engine::Evaluated;
use oip_engine::types::{Date, Outcome, Timestamp};

/// A claim with its current decision.
#[derive(Clone, Debug)]
pub struct StoredClaim {
    /// The claim.
    pub claim: ClaimRow,
    /// Its current decision, if it has one.
    pub decision: Option<DecisionRow>,
}

/// The API name of an outcome.
pub fn outcome_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Covered => "covered",
        Outcome::NotCovered => "not_covered",
        Outcome::NeedsInformation => "needs_information",
    }
}

/// The status a decision's outcome leaves a claim in.
pub(crate) fn status_for(o: Outcome) -> ClaimStatus {
    match o {
        Outcome::Covered | Outcome::NotCovered => ClaimStatus::PendingReview,
        Outcome::NeedsInformation => ClaimStatus::NeedsInformation,
    }
}

/// Seconds until the next attempt after `attempts` failures: `first` doubling, at most an
/// hour.
pub fn backoff_seconds(first: i64, attempts: i64) -> i64 {
    first
        .max(1)
        .saturating_mul(1i64 << attempts.clamp(0, 20))
        .min(3600)
}

/// Records a failed decision attempt on the claim. A failure that may pass (a limit, a trap,
/// a busy engine) is retried with backoff until `config.max_attempts` attempts were made; the
/// module's own refusal of the facts would come back the same, so it is not retried. Either
/// way the claim then waits for a person (`cannot_decide`), with the reason.
pub(crate) fn place_failure(
    claim: &mut ClaimRow,
    e: &oip_engine::Error,
    now: i64,
    config: &crate::config::Config,
) {
    claim.attempts += 1;
    claim.last_error = Some(e.code().into());
    let refused = match e {
        oip_engine::Error::Guest { error, .. } => Some(error),
        _ => None,
    };
    if refused.is_some() || claim.attempts >= config.max_attempts {
        claim.status = ClaimStatus::CannotDecide;
        claim.next_attempt_at = None;
        claim.workflow.undecided = Some(crate::domain::Undecided {
            error: e.code().into(),
            policy_code: refused.map(|r| r.code.clone()),
            message: refused.map(|r| r.message.clone()),
            field: refused.and_then(|r| r.field.clone()),
            attempts: claim.attempts,
        });
    } else {
        claim.status = ClaimStatus::EngineError;
        claim.next_attempt_at =
            Some(now + backoff_seconds(config.retry_backoff_seconds, claim.attempts - 1));
    }
    claim.place();
}

/// The decision row for an evaluation.
pub fn decision_row(
    claim_id: &str,
    kind: &str,
    e: &Evaluated,
    facts_json: &str,
    replaces: Option<String>,
) -> DecisionRow {
    DecisionRow {
        id: new_id("dec"),
        claim_id: claim_id.to_string(),
        kind: kind.to_string(),
        outcome: outcome_code(e.decision.outcome).to_string(),
        body: String::from_utf8_lossy(&e.decision_json).into_owned(),
        provenance: e.provenance.clone(),
        facts: facts_json.to_string(),
        replaces,
        created_at: now().to_string(),
    }
}

/// 30 working days after an instant's Beijing date: the determination deadline when a policy
/// names none, and an appeal's.
pub(crate) fn thirty_working_days_after(t: Timestamp) -> Date {
    oip_engine::types::calendar::add_working_days(t.beijing_date(), 30).date
}

/// Records a decision on the claim: its status, its due date and fast-track mark, its queue.
pub(crate) fn place_decision(
    state: &crate::AppState,
    claim: &mut ClaimRow,
    e: &Evaluated,
    decision_id: &str,
    facts: Option<&oip_engine::types::Facts>,
) {
    claim.status = status_for(e.decision.outcome);
    claim.decision_id = Some(decision_id.to_string());
    claim.last_error = None;
    claim.next_attempt_at = None;
    claim.workflow.undecided = None;
    claim.fast_track = e.decision.fast_track;
    claim.due_on = e.decision.due.determination.or_else(|| {
        Timestamp::parse_rfc3339(&claim.created_at)
            .ok()
            .map(thirty_working_days_after)
    });
    // A region's own, shorter commitment (configuration) wins over the policy's deadline.
    if let (Some(&days), Some(facts)) = (
        state.config.determination_working_days.get(&claim.region),
        facts,
    ) {
        let complete = facts
            .application
            .complete_at
            .unwrap_or(facts.application.applied_at)
            .beijing_date();
        let shortened = crate::calendars::add_working_days(state, complete, days);
        claim.due_on = Some(claim.due_on.map_or(shortened, |d| d.min(shortened)));
    }
    claim.place();
}

/// The events a platform hears when a claim is stored or decided again.
pub(crate) fn lifecycle_events(
    claim: &ClaimRow,
    decision: Option<&(DecisionRow, Vec<oip_engine::types::Document>)>,
    created: bool,
) -> Vec<EventDraft> {
    let mut out = Vec::new();
    if created {
        out.push(Event::ClaimCreated {
            platform_claim_ref: claim.platform_claim_ref.clone(),
        });
    }
    if let Some((d, missing)) = decision {
        out.push(Event::DecisionMade {
            decision_id: d.id.clone(),
            outcome: d.outcome.clone(),
        });
        if d.outcome == "needs_information" {
            out.push(Event::SupplementRequested {
                missing_documents: missing.clone(),
                decision_id: Some(d.id.clone()),
                note: None,
            });
        }
    }
    out.push(Event::StatusChanged {
        status: claim.status,
        from: None,
    });
    out.into_iter().map(|e| event_draft(claim, &e)).collect()
}

/// An event of a claim, for the writer.
pub(crate) fn event_draft(claim: &ClaimRow, e: &Event) -> EventDraft {
    EventDraft {
        platform: claim.platform.clone(),
        claim_id: claim.id.clone(),
        kind: e.kind().into(),
        payload: e.payload(),
    }
}

/// A claim the caller may see, or `not_found` (a claim outside the caller's scope does not
/// exist for it).
pub async fn visible(state: &AppState, who: &Principal, id: &str) -> Result<ClaimRow, Error> {
    let claim = state.db.claim(id).await?.ok_or(Code::NotFound)?;
    if !who.may_see_claim(&claim.platform, &claim.region) {
        return Err(Code::NotFound.into());
    }
    Ok(claim)
}

/// Claims the caller may see matching a filter, newest first, a page at a time: the page and
/// the cursor of the next one.
pub async fn search(
    state: &AppState,
    who: &Principal,
    filter: &crate::db::claims::ClaimFilter,
    cursor: Option<&str>,
    limit: u64,
) -> Result<(Vec<ClaimRow>, Option<String>), Error> {
    let rows = state
        .db
        .claims(&who.claim_scope(), filter, cursor, limit)
        .await?;
    let next = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.id.clone()))
        .flatten();
    Ok((rows, next))
}

/// A claim the caller may see, with its current decision.
pub async fn read(state: &AppState, who: &Principal, id: &str) -> Result<StoredClaim, Error> {
    let claim = visible(state, who, id).await?;
    with_decision(state, claim).await
}

/// A claim with its current decision read.
pub async fn with_decision(state: &AppState, claim: ClaimRow) -> Result<StoredClaim, Error> {
    let decision = match &claim.decision_id {
        Some(d) => state.db.decision(d).await?,
        None => None,
    };
    Ok(StoredClaim { claim, decision })
}
