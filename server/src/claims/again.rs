//! Deciding a stored claim again: after a supplement, a failed attempt (retry), a policy
//! coming into force for a claim stored without one, or a re-decision. The new decision is
//! linked to the one it replaces; the update is guarded by the claim's version.

use super::{StoredClaim, decision_row, lifecycle_events, place_decision, place_failure};
use crate::auth::Principal;
use crate::db::claims::ClaimRow;
use crate::db::writer::AuditDraft;
use crate::domain::{ClaimAction, ClaimStatus};
use crate::error::{Code, Error};
use crate::validate::SupplementRequest;
use crate::{AppState, now};
use oip_engine::canonical::canonical_facts;
use oip_engine::types::Facts;
use oip_engine::{Error as EngineError, Evaluated};
use serde_json::json;
use std::time::Instant;

/// What one decision attempt produced.
pub enum Attempt {
    /// A decision, and the canonical JSON of the facts it was made on (the claim's facts with
    /// the calendar in force attached): what the decision row stores and a replay decides.
    Decided(Box<Evaluated>, String),
    /// No policy in force.
    NoPolicy,
    /// The module failed (a limit, a trap, or it could not interpret the facts).
    Failed(EngineError),
}

/// Decides facts with the version in force, on the calendar in force, recording metrics.
///
/// Each decision has its span (`policy.decision`): region, then the version and digest of the
/// module that decided, the outcome and the time taken, recorded once known.
pub async fn attempt(state: &AppState, facts: &Facts) -> Attempt {
    let span = tracing::info_span!(
        "policy.decision",
        lane = "live",
        region = %facts.region,
        version = tracing::field::Empty,
        sha256 = tracing::field::Empty,
        outcome = tracing::field::Empty,
        took_us = tracing::field::Empty,
    );
    let (decided, bytes) = canonical_facts(&crate::calendars::with_calendar(state, facts.clone()));
    let started = Instant::now();
    let result = tracing::Instrument::instrument(state.decider.decide(decided), span.clone()).await;
    let took = started.elapsed();
    span.record(
        "took_us",
        u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
    );
    match result {
        Ok(e) => {
            let outcome = super::outcome_code(e.decision.outcome);
            span.record("version", e.provenance.version.as_str());
            span.record("sha256", e.provenance.sha256.as_str());
            span.record("outcome", outcome);
            tracing::debug!(parent: &span, "decided");
            state.metrics.decision(&facts.region, outcome, took);
            Attempt::Decided(Box::new(e), String::from_utf8_lossy(&bytes).into_owned())
        }
        Err(EngineError::NoPolicyInForce { .. }) => Attempt::NoPolicy,
        Err(e) => {
            state.metrics.engine_error(&facts.region, e.code());
            tracing::warn!(parent: &span, code = e.code(), error = %e, "decision failed");
            Attempt::Failed(e)
        }
    }
}

/// Decides a stored claim again on (possibly amended) facts and stores the outcome; `kind`
/// says why (`supplement`, `retry`, `automatic`, `redecide`).
pub async fn decide_again(
    state: &AppState,
    claim: &ClaimRow,
    facts: &Facts,
    kind: &str,
) -> Result<StoredClaim, Error> {
    decide_again_with(state, claim, facts, kind, Together::default()).await
}

/// What is written in the same transaction as a claim decided again: the submission that
/// changed its facts (an appraisal's audit entry, a bill's row), so that neither is stored
/// without the other.
#[derive(Default)]
pub struct Together {
    /// Statements run after the claim's update.
    pub statements: Vec<sea_orm::Statement>,
    /// Audit entries before the decision's.
    pub audit: Vec<AuditDraft>,
}

/// [`decide_again`], writing `together` in the same transaction.
pub async fn decide_again_with(
    state: &AppState,
    claim: &ClaimRow,
    facts: &Facts,
    kind: &str,
    together: Together,
) -> Result<StoredClaim, Error> {
    // Its span: inside the request's for a supplement, its own root for a retry.
    let span = tracing::info_span!("claim.decide", claim_id = %claim.id, kind);
    let (facts, bytes) = canonical_facts(facts);
    let outcome = tracing::Instrument::instrument(attempt(state, &facts), span).await;
    store_again_with(
        state,
        claim,
        String::from_utf8_lossy(&bytes).into_owned(),
        kind,
        outcome,
        together,
    )
    .await
}

/// Stores what deciding a stored claim again produced, for a caller that made the attempt
/// itself; `facts_json` is the canonical JSON of the facts decided. `conflict` when the claim
/// changed since it was read.
pub async fn store_again(
    state: &AppState,
    claim: &ClaimRow,
    facts_json: String,
    kind: &str,
    outcome: Attempt,
) -> Result<StoredClaim, Error> {
    store_again_with(state, claim, facts_json, kind, outcome, Together::default()).await
}

async fn store_again_with(
    state: &AppState,
    claim: &ClaimRow,
    facts_json: String,
    kind: &str,
    outcome: Attempt,
    together: Together,
) -> Result<StoredClaim, Error> {
    let t = now();
    let mut updated = claim.clone();
    updated.facts = facts_json.clone();
    updated.updated_at = t.to_string();
    let mut rows = Vec::new();
    let mut decision = None;
    match outcome {
        Attempt::Decided(e, decided) => {
            let row = decision_row(&claim.id, kind, &e, &decided, claim.decision_id.clone());
            let facts = serde_json::from_str::<Facts>(&facts_json).ok();
            place_decision(state, &mut updated, &e, &row.id, facts.as_ref());
            rows.push(state.db.decision_insert(&row).statement(&state.db));
            decision = Some((row, e.decision.missing_documents.clone()));
        }
        Attempt::NoPolicy => {
            updated.status = ClaimStatus::NoPolicyInForce;
            updated.place();
        }
        Attempt::Failed(e) => place_failure(&mut updated, &e, t.0, &state.config),
    }
    rows.extend(together.statements);
    let mut audit = together.audit;
    audit.push(AuditDraft {
        actor: "system".into(),
        action: format!("claim.decided.{kind}"),
        claim_id: Some(claim.id.clone()),
        before: Some(json!({ "status": claim.status, "decision_id": claim.decision_id }).to_string()),
        after: Some(
            json!({ "status": updated.status, "decision_id": updated.decision_id, "last_error": updated.last_error })
                .to_string(),
        ),
    });
    let events = lifecycle_events(&updated, decision.as_ref(), false);
    let applied = state
        .writer
        .submit_logged(
            Some(state.db.update_claim_stmt(&updated, claim.version)),
            rows,
            audit,
            events,
        )
        .await?;
    if !applied {
        return Err(Code::Conflict.into());
    }
    updated.version += 1;
    Ok(StoredClaim {
        claim: updated,
        decision: decision.map(|(d, _)| d),
    })
}

/// A supplement: the documents or facts the claim waits for, applied to its stored facts,
/// checked as intake checks them, and decided again.
pub async fn supplement(
    state: &AppState,
    who: &Principal,
    id: &str,
    req: &SupplementRequest,
) -> Result<StoredClaim, Error> {
    let claim = super::visible(state, who, id).await?;
    crate::review::check(&claim, ClaimAction::Supplement, who)?;
    let stored: Facts =
        serde_json::from_str(&claim.facts).map_err(|e| Error::internal(e.to_string()))?;
    let facts = crate::validate::amend(&stored, req, now()).map_err(Error::invalid_claim)?;
    let again = decide_again(state, &claim, &facts, "supplement").await?;
    match again.decision {
        Some(_) => Ok(again),
        None => super::with_decision(state, again.claim).await,
    }
}
