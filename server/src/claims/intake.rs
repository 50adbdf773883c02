//! Intake: a platform's claim report validated, decided and stored durably before the answer.

use super::{
    Attempt, StoredClaim, attempt, decision_row, lifecycle_events, place_decision, place_failure,
};
use crate::auth::Principal;
use crate::db::claims::ClaimRow;
use crate::db::writer::{Applied, AuditDraft};
use crate::domain::{ClaimStatus, Workflow};
use crate::error::{Code, Error};
use crate::validate::{self, ClaimReport};
use crate::{AppState, new_id, now};
use oip_engine::canonical::canonical_facts;
use serde_json::json;
use sha2::{Digest, Sha256};

/// A report's fingerprint for idempotency, in canonical form (the typed report's JSON): two
/// bodies that read as the same report are the same request. Stored keyed
/// ([`crate::crypto::Keys::request_hash`]); claims stored before hold a bare SHA-256, which
/// is still compared.
struct RequestHash {
    keyed: String,
    canonical: Vec<u8>,
}

impl RequestHash {
    fn of(state: &AppState, report: &ClaimReport) -> RequestHash {
        let canonical = serde_json::to_vec(report).unwrap_or_default();
        RequestHash {
            keyed: state.keys.request_hash(&canonical),
            canonical,
        }
    }

    /// Whether a stored fingerprint is this request's.
    fn matches(&self, stored: &str) -> bool {
        if stored.starts_with("h1:") {
            stored == self.keyed
        } else {
            stored == hex::encode(Sha256::digest(&self.canonical))
        }
    }
}

/// Intake: the claim stored with its decision, or the claim stored before under the same
/// `Idempotency-Key` (then `created` is false). `report` is the body as read: a body that could
/// not be read is still checked against a stored key first, so that reusing a key with another
/// body is `idempotency_key_reused` whatever that body holds.
pub async fn submit(
    state: &AppState,
    who: &Principal,
    key: &str,
    report: Result<ClaimReport, Error>,
) -> Result<(StoredClaim, bool), Error> {
    let platform = who.own_platform()?.to_string();
    // A repeated key is answered from the stored claim. On the happy path that lookup is not
    // made up front (a round trip for every claim): the insert's guard finds the key taken.
    let checked = report.and_then(|r| {
        let sha = RequestHash::of(state, &r);
        validate::claim(&r, now())
            .map(|v| (v, sha))
            .map_err(Error::invalid_claim)
    });
    let (valid, request_sha) = match checked {
        Ok(v) => v,
        Err(e) => {
            // The stored claim's body was a valid report; this one is not, so it is another.
            if state.db.claim_by_key(&platform, key).await?.is_some() {
                return Err(Code::IdempotencyKeyReused.into());
            }
            return Err(e);
        }
    };
    let (facts, facts_bytes) = canonical_facts(&valid.facts);
    let facts_json = String::from_utf8_lossy(&facts_bytes).into_owned();
    let worker_json =
        serde_json::to_vec(&valid.worker).map_err(|e| Error::internal(e.to_string()))?;
    let worker_hash = state.keys.keyed_hash(&valid.worker.id_number);
    let outcome = attempt(state, &facts).await;
    let id = new_id("clm");
    let created = now();
    let mut claim = ClaimRow {
        id: id.clone(),
        platform: platform.clone(),
        platform_claim_ref: valid.platform_claim_ref.clone(),
        idempotency_key: key.to_string(),
        request_sha256: request_sha.keyed.clone(),
        region: facts.region.clone(),
        status: ClaimStatus::NoPolicyInForce,
        incident_at: facts.incident.occurred_at.0,
        facts: facts_json.clone(),
        narrative: valid.narrative.clone(),
        worker_masked: validate::mask_id(&valid.worker.id_number),
        // Found by the insert itself, inside the writer's transaction.
        possible_duplicate_of: None,
        decision_id: None,
        last_error: None,
        attempts: 0,
        next_attempt_at: None,
        created_at: created.to_string(),
        updated_at: created.to_string(),
        workflow: Workflow::default(),
        queue: None,
        due_on: Some(crate::calendars::add_working_days(
            state,
            created.beijing_date(),
            30,
        )),
        fast_track: false,
        version: 0,
    };
    let mut rows = Vec::new();
    let mut decision = None;
    match outcome {
        Attempt::Decided(e, decided) => {
            let row = decision_row(&id, "automatic", &e, &decided, None);
            place_decision(state, &mut claim, &e, &row.id, Some(&facts));
            if let Some(w) = crate::review::straight_through(state, &claim.id, &e.decision) {
                claim.status = ClaimStatus::Approved;
                claim.workflow = w;
                claim.place();
            }
            rows.push(state.db.decision_insert(&row));
            decision = Some((row, e.decision.missing_documents.clone()));
        }
        Attempt::NoPolicy => claim.status = ClaimStatus::NoPolicyInForce,
        Attempt::Failed(e) => place_failure(&mut claim, &e, now().0, &state.config),
    }
    let sealed = state
        .keys
        .seal(&worker_json, &crate::data_keys::claim_context(&claim.id));
    let guard = state.db.claim_guard(&claim, &sealed, &worker_hash);
    let audit = vec![AuditDraft {
        actor: who.person().to_string(),
        action: "claim.created".into(),
        claim_id: Some(claim.id.clone()),
        before: None,
        after: Some(
            json!({ "status": claim.status, "decision_id": claim.decision_id, "workflow": (claim.workflow != Workflow::default()).then_some(&claim.workflow) })
                .to_string(),
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
        return match state.db.claim_by_key(&platform, key).await? {
            Some(existing) => existing_for_key(state, existing, &request_sha)
                .await
                .map(|c| (c, false)),
            None => Err(Code::DuplicatePlatformClaimRef.into()),
        };
    }
    if claim.status == ClaimStatus::EngineError {
        state.wake_workers();
    }
    tracing::info!(claim = %claim.id, region = %claim.region, status = %claim.status, "claim stored");
    Ok((
        StoredClaim {
            claim,
            decision: decision.map(|(d, _)| d),
        },
        true,
    ))
}

async fn existing_for_key(
    state: &AppState,
    existing: ClaimRow,
    request_sha: &RequestHash,
) -> Result<StoredClaim, Error> {
    if !request_sha.matches(&existing.request_sha256) {
        return Err(Code::IdempotencyKeyReused.into());
    }
    super::with_decision(state, existing).await
}
