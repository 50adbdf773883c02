//! The review service: adjusters' actions on a claim (approve, override, deny, request
//! information, close), the platform's appeal, straight-through approval of fast-track
//! decisions, and the review queue.
//!
//! Which action is allowed when, and by whom, is `domain::ReviewState::allowed`; this module
//! carries the actions out. The engine recommends; an override keeps the recommendation beside
//! each changed line; each step is a review row, an audit entry and a platform event, written in
//! one transaction guarded by the claim's version.

mod actions;
mod lines;
mod queue;

pub use actions::{Reviewed, appeal, review};
pub use lines::{AppealRequest, LineChange, ReviewRequest, apply_changes};
pub use queue::{QueueFilter, QueuePage, counts, cursor_of, queue};

use crate::AppState;
use crate::auth::Principal;
use crate::db::claims::ClaimRow;
use crate::domain::{ClaimAction, Refusal, Transition, Workflow};
use crate::error::{Code, Error};
use oip_engine::types::{Decision, Outcome};
use sha2::{Digest, Sha256};

/// What the state machine says of `action` by `who` on `claim`, as a service error when it
/// refuses: `invalid_transition`, `different_adjuster_required` or `forbidden`.
pub fn check(claim: &ClaimRow, action: ClaimAction, who: &Principal) -> Result<Transition, Error> {
    claim
        .workflow
        .state(claim.status)
        .allowed(action, who.actor())
        .map_err(refusal)
}

/// The service error of a refusal.
pub fn refusal(r: Refusal) -> Error {
    match r {
        Refusal::NotInThisStatus { action, status } => Error::new(Code::InvalidTransition).message(
            format!("案件当前状态为 {status}，不允许 {}。", action.name()),
            format!(
                "{} is not allowed when the claim is {status}",
                action.name()
            ),
        ),
        Refusal::SameAdjuster => Error::new(Code::DifferentAdjusterRequired),
        Refusal::Role => Error::new(Code::Forbidden),
    }
}

/// Whether a sampled share (basis points) selects this claim: a stable hash of its id.
pub fn sampled(claim_id: &str, share_bp: u64) -> bool {
    let h = Sha256::digest(claim_id.as_bytes());
    let n = u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    n % 10_000 < share_bp
}

/// Straight-through processing: a covered fast-track decision is approved at once; a share
/// of those is sampled into the quality-review queue. The review state, or None.
pub fn straight_through(state: &AppState, claim_id: &str, d: &Decision) -> Option<Workflow> {
    if !state.config.straight_through || !d.fast_track || d.outcome != Outcome::Covered {
        return None;
    }
    Some(Workflow {
        decided_by: Some("system:straight-through".into()),
        approved_benefits: Some(d.benefits.iter().map(Into::into).collect()),
        auto_approved: true,
        quality_review: sampled(claim_id, state.config.quality_sample_bp),
        ..Workflow::default()
    })
}

/// The region's four-eyes threshold, in fen.
pub(crate) fn threshold(state: &AppState, region: &str) -> u64 {
    state
        .config
        .four_eyes_thresholds
        .get(region)
        .copied()
        .unwrap_or(state.config.four_eyes_threshold_fen)
}
