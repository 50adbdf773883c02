//! The claims service: intake (validate, decide, store durably), decisions again (supplement,
//! retry, a policy coming into force), replay, and the JSON clients read.

use crate::db::store::{ClaimRow, DecisionRow};
use crate::db::writer::{Applied, AuditDraft, EventDraft};
use crate::error::ApiError;
use crate::validate::{self, ValidClaim};
use crate::{AppState, new_id, now};
use oip_engine::canonical::canonical_facts;
use oip_engine::types::{Facts, Outcome};
use oip_engine::{Error as EngineError, Evaluated};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Instant;

/// The claim statuses.
pub mod status {
    /// Decided covered or not covered; waiting for an adjuster.
    pub const PENDING_REVIEW: &str = "pending_review";
    /// Waiting for documents or facts.
    pub const NEEDS_INFORMATION: &str = "needs_information";
    /// Stored; no policy in force for its region and date yet.
    pub const NO_POLICY_IN_FORCE: &str = "no_policy_in_force";
    /// Stored; the policy module failed; retried in the background.
    pub const ENGINE_ERROR: &str = "engine_error";
}

/// The API name of an outcome.
pub fn outcome_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Covered => "covered",
        Outcome::NotCovered => "not_covered",
        Outcome::NeedsInformation => "needs_information",
    }
}

fn status_for(o: Outcome) -> &'static str {
    match o {
        Outcome::Covered | Outcome::NotCovered => status::PENDING_REVIEW,
        Outcome::NeedsInformation => status::NEEDS_INFORMATION,
    }
}

/// Seconds until the next attempt after `attempts` failures: 5 s doubling, at most an hour.
pub fn backoff_seconds(attempts: i64) -> i64 {
    (5i64 << attempts.clamp(0, 10)).min(3600)
}

/// What one decision attempt produced.
pub enum Attempt {
    /// A decision.
    Decided(Box<Evaluated>),
    /// No policy in force.
    NoPolicy,
    /// The module failed (a limit, a trap, or it could not interpret the facts).
    Failed(EngineError),
}

/// Decides facts with the version in force, recording metrics.
pub async fn attempt(state: &AppState, facts: &Facts) -> Attempt {
    let started = Instant::now();
    match state.decider.decide(facts.clone()).await {
        Ok(e) => {
            state.metrics.decision(
                &facts.region,
                outcome_code(e.decision.outcome),
                started.elapsed(),
            );
            Attempt::Decided(Box::new(e))
        }
        Err(EngineError::NoPolicyInForce { .. }) => Attempt::NoPolicy,
        Err(e) => {
            state.metrics.engine_error(&facts.region, e.code());
            tracing::warn!(region = %facts.region, code = e.code(), error = %e, "decision failed");
            Attempt::Failed(e)
        }
    }
}

/// A decision row for an evaluation.
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
        body: String::from_utf8(e.decision_json.clone()).unwrap_or_default(),
        provenance: serde_json::to_string(&e.provenance).unwrap_or_default(),
        policy_sha256: e.provenance.sha256.clone(),
        facts: facts_json.to_string(),
        replaces,
        created_at: now().to_string(),
    }
}

/// SHA-256 of a request body in canonical form (object keys sorted, no whitespace).
pub fn request_sha256(body: &Value) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(body).unwrap_or_default()))
}

/// Intake: the claim stored and its decision, or the existing claim for a repeated key.
/// Returns the claim JSON and whether it was created now.
pub async fn submit(
    state: &AppState,
    actor: &str,
    platform: &str,
    key: &str,
    body: &Value,
) -> Result<(Value, bool), ApiError> {
    let request_sha = request_sha256(body);
    // A repeated key is answered from the stored claim. On the happy path that lookup is not
    // made up front (a round trip for every claim): the insert's guard finds the key taken and
    // the stored claim is read then; an invalid body is checked against a stored key first, so
    // that reusing a key with another body is a 409 whatever that body holds.
    let valid: ValidClaim = match validate::claim(body, now()) {
        Ok(v) => v,
        Err(problems) => {
            if let Some(existing) = state.db.claim_by_key(platform, key).await? {
                return existing_for_key(state, existing, &request_sha)
                    .await
                    .map(|v| (v, false));
            }
            return Err(ApiError::Invalid(problems));
        }
    };
    let (facts, facts_bytes) = canonical_facts(&valid.facts);
    let facts_json = String::from_utf8(facts_bytes).unwrap_or_default();
    let worker_json =
        serde_json::to_vec(&valid.worker).map_err(|e| ApiError::Internal(e.to_string()))?;
    let worker_hash = state.keys.keyed_hash(&valid.worker.id_number);
    let incident_at = facts.incident.occurred_at.0;
    let outcome = attempt(state, &facts).await;
    let id = new_id("clm");
    let created = now().to_string();

    let mut claim = ClaimRow {
        id: id.clone(),
        platform: platform.to_string(),
        platform_claim_ref: valid.platform_claim_ref.clone(),
        idempotency_key: key.to_string(),
        request_sha256: request_sha.clone(),
        region: facts.region.clone(),
        status: String::new(),
        incident_at,
        facts: facts_json.clone(),
        narrative: valid.narrative.to_string(),
        worker_masked: validate::mask_id(&valid.worker.id_number),
        // Found by the insert itself, inside the writer's transaction (see below).
        possible_duplicate_of: None,
        decision_id: None,
        last_error: None,
        attempts: 0,
        created_at: created.clone(),
        updated_at: created,
        workflow: None,
    };
    let mut rows = Vec::new();
    let mut next_attempt_at = None;
    let mut decision = None;
    match outcome {
        Attempt::Decided(e) => {
            let row = decision_row(&id, "automatic", &e, &facts_json, None);
            claim.status = status_for(e.decision.outcome).into();
            claim.decision_id = Some(row.id.clone());
            if let Some(w) = crate::workflow::straight_through(state, &claim.id, &e.decision) {
                claim.status = crate::workflow::APPROVED.into();
                claim.workflow = Some(w.to_string());
            }
            rows.push(state.db.decision_insert(&row));
            decision = Some(row);
        }
        Attempt::NoPolicy => claim.status = status::NO_POLICY_IN_FORCE.into(),
        Attempt::Failed(e) => {
            claim.status = status::ENGINE_ERROR.into();
            claim.last_error = Some(e.code().into());
            claim.attempts = 1;
            next_attempt_at = Some(now().0 + backoff_seconds(0));
        }
    }
    let sealed = state.keys.seal(&worker_json);
    let guard = state
        .db
        .claim_guard(&claim, &sealed, &worker_hash, next_attempt_at);
    let audit = vec![AuditDraft {
        actor: actor.to_string(),
        action: "claim.created".into(),
        claim_id: Some(claim.id.clone()),
        before: None,
        after: Some(
            json!({ "status": claim.status, "decision_id": claim.decision_id, "workflow": claim.workflow }),
        ),
    }];
    let events = lifecycle_events(&claim, decision.as_ref(), true);
    let applied = state
        .writer
        .submit_rows(Some(guard), rows, audit, events)
        .await?;
    if let Applied::Done(Some(row)) = &applied {
        claim.possible_duplicate_of = row.try_get("", "possible_duplicate_of")?;
    }
    if matches!(applied, Applied::Skipped) {
        // Another request won the race for this key (or this claim reference).
        return match state.db.claim_by_key(platform, key).await? {
            Some(existing) => existing_for_key(state, existing, &request_sha)
                .await
                .map(|v| (v, false)),
            None => Err(ApiError::DuplicateClaimRef),
        };
    }
    if claim.status == status::ENGINE_ERROR {
        state.wake_workers();
    }
    tracing::info!(claim = %claim.id, region = %claim.region, status = %claim.status, "claim stored");
    Ok((claim_json(&claim, decision.as_ref()), true))
}

async fn existing_for_key(
    state: &AppState,
    existing: ClaimRow,
    request_sha: &str,
) -> Result<Value, ApiError> {
    if existing.request_sha256 != request_sha {
        return Err(ApiError::IdempotencyConflict);
    }
    let decision = match &existing.decision_id {
        Some(d) => state.db.decision(d).await?,
        None => None,
    };
    Ok(claim_json(&existing, decision.as_ref()))
}

/// Decides a stored claim again on (possibly amended) facts and stores the outcome; `kind`
/// says why (`supplement`, `retry`, `automatic`, `redecide`).
pub async fn decide_again(
    state: &AppState,
    claim: &ClaimRow,
    facts: &Facts,
    kind: &str,
) -> Result<(ClaimRow, Option<DecisionRow>), ApiError> {
    let (facts, bytes) = canonical_facts(facts);
    let outcome = attempt(state, &facts).await;
    store_again(
        state,
        claim,
        String::from_utf8(bytes).unwrap_or_default(),
        kind,
        outcome,
    )
    .await
}

/// Stores what deciding a stored claim again produced (see [`decide_again`]), for a caller
/// that has made the attempt itself; `facts_json` is the canonical JSON of the facts decided.
pub async fn store_again(
    state: &AppState,
    claim: &ClaimRow,
    facts_json: String,
    kind: &str,
    outcome: Attempt,
) -> Result<(ClaimRow, Option<DecisionRow>), ApiError> {
    let t = now();
    let mut updated = claim.clone();
    updated.facts = facts_json.clone();
    updated.updated_at = t.to_string();
    let mut stmts = Vec::new();
    let mut decision = None;
    let mut next = None;
    match outcome {
        Attempt::Decided(e) => {
            let row = decision_row(&claim.id, kind, &e, &facts_json, claim.decision_id.clone());
            updated.status = status_for(e.decision.outcome).into();
            updated.decision_id = Some(row.id.clone());
            updated.last_error = None;
            stmts.push(state.db.insert_decision_stmt(&row));
            decision = Some(row);
        }
        Attempt::NoPolicy => updated.status = status::NO_POLICY_IN_FORCE.into(),
        Attempt::Failed(e) => {
            updated.status = status::ENGINE_ERROR.into();
            updated.last_error = Some(e.code().into());
            updated.attempts += 1;
            next = Some(t.0 + backoff_seconds(claim.attempts));
        }
    }
    let audit = vec![AuditDraft {
        actor: "system".into(),
        action: format!("claim.decided.{kind}"),
        claim_id: Some(claim.id.clone()),
        before: Some(json!({ "status": claim.status, "decision_id": claim.decision_id })),
        after: Some(
            json!({ "status": updated.status, "decision_id": updated.decision_id, "last_error": updated.last_error }),
        ),
    }];
    let events = lifecycle_events(&updated, decision.as_ref(), false);
    stmts.push(state.db.update_claim_stmt(
        &claim.id,
        &updated.status,
        &updated.facts,
        decision.as_ref().map(|d| d.id.as_str()),
        updated.last_error.as_deref(),
        updated.attempts,
        next,
        &updated.updated_at,
    ));
    state
        .writer
        .submit_logged(None, stmts, audit, events)
        .await?;
    Ok((updated, decision))
}

/// The events a platform sees when a claim is stored or decided again.
pub fn lifecycle_events(
    claim: &ClaimRow,
    decision: Option<&DecisionRow>,
    created: bool,
) -> Vec<EventDraft> {
    let event = |kind: &str, payload: Value| EventDraft {
        platform: claim.platform.clone(),
        claim_id: claim.id.clone(),
        kind: kind.into(),
        payload,
    };
    let mut out = Vec::new();
    if created {
        out.push(event(
            "claim.created",
            json!({ "platform_claim_ref": claim.platform_claim_ref }),
        ));
    }
    if let Some(d) = decision {
        out.push(event(
            "decision.made",
            json!({ "decision_id": d.id, "outcome": d.outcome }),
        ));
        if d.outcome == "needs_information" {
            let body: Value = serde_json::from_str(&d.body).unwrap_or_default();
            out.push(event(
                "supplement.requested",
                json!({ "missing_documents": body["missing_documents"], "decision_id": d.id }),
            ));
        }
    }
    out.push(event("status.changed", json!({ "status": claim.status })));
    out
}

/// The decision as clients read it.
pub fn decision_json_value(d: &DecisionRow) -> Value {
    let mut body: Value = serde_json::from_str(&d.body).unwrap_or(Value::Null);
    let prov: Value = serde_json::from_str(&d.provenance).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut body {
        m.insert("id".into(), json!(d.id));
        m.insert("kind".into(), json!(d.kind));
        m.insert("created_at".into(), json!(d.created_at));
        m.insert("replaces".into(), json!(d.replaces));
        m.insert(
            "policy".into(),
            json!({
                "region": prov["region"],
                "policy_id": prov["policy_id"],
                "version": prov["version"],
                "sha256": prov["sha256"],
                "wit_version": prov["wit_version"],
                "facts_sha256": prov["facts_sha256"],
            }),
        );
    }
    body
}

/// The claim as clients read it (identity number masked; nothing else personal).
pub fn claim_json(c: &ClaimRow, decision: Option<&DecisionRow>) -> Value {
    json!({
        "id": c.id,
        "status": c.status,
        "region": c.region,
        "platform": c.platform,
        "platform_claim_ref": c.platform_claim_ref,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "worker": { "id_number": c.worker_masked },
        "narrative": serde_json::from_str::<Value>(&c.narrative).unwrap_or(Value::Null),
        "possible_duplicate": c.possible_duplicate_of.is_some(),
        "possible_duplicate_of": c.possible_duplicate_of,
        "last_error": c.last_error,
        "attempts": c.attempts,
        "review": c.workflow.as_deref().and_then(|w| serde_json::from_str::<Value>(w).ok()),
        "decision": decision.map(decision_json_value),
    })
}

/// Replays a stored decision: the same module bytes on the same canonical facts.
pub async fn replay(state: &AppState, d: &DecisionRow) -> Result<Value, ApiError> {
    let module = state
        .decider
        .module(&state.db, &d.policy_sha256)
        .await
        .map_err(ApiError::Internal)?
        .ok_or_else(|| ApiError::Internal(format!("module {} is not stored", d.policy_sha256)))?;
    let facts: Facts =
        serde_json::from_str(&d.facts).map_err(|e| ApiError::Internal(e.to_string()))?;
    let e = state
        .decider
        .decide_with(module, facts)
        .await
        .map_err(|e| ApiError::Engine(e.to_string()))?;
    let again = String::from_utf8(e.decision_json.clone()).unwrap_or_default();
    let stored_prov: Value = serde_json::from_str(&d.provenance).unwrap_or(Value::Null);
    let identical =
        again == d.body && stored_prov["facts_sha256"] == json!(e.provenance.facts_sha256);
    let mut replayed = DecisionRow {
        body: again,
        provenance: serde_json::to_string(&e.provenance).unwrap_or_default(),
        ..d.clone()
    };
    replayed.kind = "replay".into();
    Ok(
        json!({ "identical": identical, "decision_id": d.id, "decision": decision_json_value(&replayed) }),
    )
}
