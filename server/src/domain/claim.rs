//! A claim's statuses and the one state machine that moves them.
//!
//! ```text
//! pending_review ──approve/override──▶ approved | awaiting_second_approval (above the threshold)
//!                ──deny──────────────▶ denied
//!                ──request_information▶ needs_information ──supplement──▶ decided again
//! awaiting_second_approval ──approve (another adjuster)──▶ approved;  ──deny──▶ denied
//! approved | denied ──appeal (platform)──▶ appealed ──approve/override/deny (another adjuster)──▶ …
//! approved (sampled for quality review) ──approve──▶ approved
//! approved ──close──▶ closed
//! ```
//!
//! [`ReviewState::allowed`] is the only place that says which action is allowed in which
//! status, by whom: the review service refuses what it refuses, and the console offers what it
//! allows.

use super::{Named, Role, named_enum};

named_enum!(
    /// Where a claim stands.
    pub enum ClaimStatus {
        /// Decided covered or not covered; waiting for an adjuster.
        PendingReview = "pending_review",
        /// Waiting for documents or facts from the platform.
        NeedsInformation = "needs_information",
        /// Stored; no policy in force for its region and date yet.
        NoPolicyInForce = "no_policy_in_force",
        /// Stored; the policy module failed; retried in the background.
        EngineError = "engine_error",
        /// The policy cannot decide it (the module refused the facts, or kept failing until
        /// the retries ran out): an adjuster decides, or asks the platform for information.
        CannotDecide = "cannot_decide",
        /// An approval above the threshold waits for a second adjuster.
        AwaitingSecondApproval = "awaiting_second_approval",
        /// Approved: the benefits are to be paid.
        Approved = "approved",
        /// Denied.
        Denied = "denied",
        /// Appealed by the platform on the worker's behalf.
        Appealed = "appealed",
        /// Settled.
        Closed = "closed",
    }
);

named_enum!(
    /// What an adjuster does to a claim (`POST /v1/claims/{id}/review`).
    pub enum ReviewAction {
        /// Approve the recommendation (or a proposal, as the second adjuster).
        Approve = "approve",
        /// Approve with changed lines, each with a reason.
        Override = "override",
        /// Deny, with a reason.
        Deny = "deny",
        /// Ask the platform for documents.
        RequestInformation = "request_information",
        /// Close an approved claim (benefits settled).
        Close = "close",
    }
);

named_enum!(
    /// Why a review changed or refused something (overrides, denials).
    pub enum ReasonCode {
        /// A figure the decision used as provisional has been published.
        FigurePublished = "figure_published",
        /// The module's arithmetic is wrong for this case.
        CalculationError = "calculation_error",
        /// Medical records show otherwise.
        MedicalEvidence = "medical_evidence",
        /// Other documents show otherwise.
        DocumentEvidence = "document_evidence",
        /// The liability finding shows otherwise.
        LiabilityEvidence = "liability_evidence",
        /// The rule reads otherwise for this case.
        PolicyInterpretation = "policy_interpretation",
        /// Not occupational.
        NotOccupational = "not_occupational",
        /// An exclusion applies.
        Excluded = "excluded",
        /// Fraud is suspected.
        FraudSuspected = "fraud_suspected",
        /// Anything else (the note says what).
        Other = "other",
    }
);

named_enum!(
    /// The review queue a claim waits in.
    pub enum QueueKind {
        /// A decision waiting for a person.
        PendingReview = "pending_review",
        /// A proposal waiting for a second adjuster.
        AwaitingSecondApproval = "awaiting_second_approval",
        /// An appeal waiting for another adjuster.
        Appealed = "appealed",
        /// A straight-through approval sampled for quality review.
        QualityReview = "quality_review",
        /// A claim the policy cannot decide.
        CannotDecide = "cannot_decide",
    }
);

/// Every action on a claim: an adjuster's review, or the platform's appeal and supplement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimAction {
    /// An adjuster's review action.
    Review(ReviewAction),
    /// The platform appeals an approval or a denial.
    Appeal,
    /// The platform sends the documents or facts asked for.
    Supplement,
}

impl ClaimAction {
    /// The stable name (`approve`, ..., `appeal`, `supplement`).
    pub fn name(self) -> &'static str {
        match self {
            ClaimAction::Review(a) => a.name(),
            ClaimAction::Appeal => "appeal",
            ClaimAction::Supplement => "supplement",
        }
    }

    /// The role that may take it.
    pub fn role(self) -> Role {
        match self {
            ClaimAction::Review(_) => Role::Adjuster,
            ClaimAction::Appeal | ClaimAction::Supplement => Role::Platform,
        }
    }
}

/// Who acts: a person's (today: a token's) id and role.
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    /// The id four eyes compare.
    pub id: &'a str,
    /// The role.
    pub role: Role,
}

/// What the state machine needs to know of a claim.
#[derive(Clone, Copy, Debug)]
pub struct ReviewState<'a> {
    /// Its status.
    pub status: ClaimStatus,
    /// Who proposed the approval waiting for a second adjuster.
    pub proposal_by: Option<&'a str>,
    /// Under appeal: who made the decision appealed against (may not review the appeal).
    pub appealed_decision_by: Option<&'a str>,
    /// A straight-through approval sampled for quality review, not yet reviewed.
    pub quality_review: bool,
}

/// What an allowed action does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Approve or override a decision (or an appealed one): approved, or awaiting a second
    /// adjuster when the lump sums are above the threshold.
    Decide,
    /// The second adjuster approves a proposal.
    SecondApproval,
    /// A sampled straight-through approval passes its quality review.
    QualityPassed,
    /// Denied.
    Deny,
    /// Documents asked for.
    RequestInformation,
    /// Closed.
    Close,
    /// Appealed.
    Appeal,
    /// The supplement is decided again by the policy.
    Supplement,
}

impl Transition {
    /// The status it leads to; `above_threshold` only matters for [`Transition::Decide`], and a
    /// supplement's status is the policy's new outcome (`None`).
    pub fn to(self, above_threshold: bool) -> Option<ClaimStatus> {
        Some(match self {
            Transition::Decide if above_threshold => ClaimStatus::AwaitingSecondApproval,
            Transition::Decide | Transition::SecondApproval | Transition::QualityPassed => {
                ClaimStatus::Approved
            }
            Transition::Deny => ClaimStatus::Denied,
            Transition::RequestInformation => ClaimStatus::NeedsInformation,
            Transition::Close => ClaimStatus::Closed,
            Transition::Appeal => ClaimStatus::Appealed,
            Transition::Supplement => return None,
        })
    }
}

/// Why an action is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The action is not allowed in the claim's status.
    NotInThisStatus {
        /// The action.
        action: ClaimAction,
        /// The status.
        status: ClaimStatus,
    },
    /// Four eyes: the author of a proposal or of the decision appealed against must leave it
    /// to another adjuster.
    SameAdjuster,
    /// The caller's role does not take this action.
    Role,
}

impl ReviewState<'_> {
    /// Whether `actor` may take `action` now, and what it does.
    pub fn allowed(&self, action: ClaimAction, actor: Actor<'_>) -> Result<Transition, Refusal> {
        use ClaimStatus as S;
        use ReviewAction as R;
        if actor.role != action.role() {
            return Err(Refusal::Role);
        }
        let refused = Refusal::NotInThisStatus {
            action,
            status: self.status,
        };
        let decided_it = self.status == S::Appealed && self.appealed_decision_by == Some(actor.id);
        let ClaimAction::Review(review) = action else {
            return match (action, self.status) {
                (ClaimAction::Appeal, S::Approved | S::Denied) => Ok(Transition::Appeal),
                (ClaimAction::Supplement, S::NeedsInformation) => Ok(Transition::Supplement),
                _ => Err(refused),
            };
        };
        match (review, self.status) {
            (R::Approve | R::Override | R::Deny, S::Appealed) if decided_it => {
                Err(Refusal::SameAdjuster)
            }
            (R::Approve | R::Override, S::PendingReview | S::Appealed) => Ok(Transition::Decide),
            // Without a decision there is nothing to approve as it stands: the adjuster writes
            // the lines (an override of nothing), denies, or asks for information.
            (R::Override, S::CannotDecide) => Ok(Transition::Decide),
            (R::Approve, S::AwaitingSecondApproval) => match self.proposal_by {
                Some(by) if by == actor.id => Err(Refusal::SameAdjuster),
                Some(_) => Ok(Transition::SecondApproval),
                None => Err(refused),
            },
            (R::Approve, S::Approved) if self.quality_review => Ok(Transition::QualityPassed),
            (
                R::Deny,
                S::PendingReview | S::Appealed | S::AwaitingSecondApproval | S::CannotDecide,
            ) => Ok(Transition::Deny),
            (R::RequestInformation, S::PendingReview | S::CannotDecide) => {
                Ok(Transition::RequestInformation)
            }
            (R::Close, S::Approved) => Ok(Transition::Close),
            _ => Err(refused),
        }
    }

    /// Every review action with what the state machine says of it for `actor`: allowed, or
    /// refused and why (the console offers the first and explains the second).
    pub fn review_actions(
        &self,
        actor: Actor<'_>,
    ) -> Vec<(ReviewAction, Result<Transition, Refusal>)> {
        ReviewAction::ALL
            .iter()
            .map(|a| (*a, self.allowed(ClaimAction::Review(*a), actor)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: ClaimStatus) -> ReviewState<'static> {
        ReviewState {
            status,
            proposal_by: None,
            appealed_decision_by: None,
            quality_review: false,
        }
    }

    const ME: Actor<'static> = Actor {
        id: "a1",
        role: Role::Adjuster,
    };

    fn review(a: ReviewAction) -> ClaimAction {
        ClaimAction::Review(a)
    }

    #[test]
    fn every_status_allows_exactly_its_actions() {
        use ClaimStatus as S;
        use ReviewAction as R;
        let expected: &[(S, &[R])] = &[
            (
                S::PendingReview,
                &[R::Approve, R::Override, R::Deny, R::RequestInformation],
            ),
            (S::NeedsInformation, &[]),
            (S::NoPolicyInForce, &[]),
            (S::EngineError, &[]),
            (
                S::CannotDecide,
                &[R::Override, R::Deny, R::RequestInformation],
            ),
            (S::AwaitingSecondApproval, &[R::Deny]),
            (S::Approved, &[R::Close]),
            (S::Denied, &[]),
            (S::Appealed, &[R::Approve, R::Override, R::Deny]),
            (S::Closed, &[]),
        ];
        for (status, allowed) in expected {
            let got: Vec<R> = state(*status)
                .review_actions(ME)
                .into_iter()
                .filter(|(_, r)| r.is_ok())
                .map(|(a, _)| a)
                .collect();
            assert_eq!(&got, allowed, "{status}");
        }
        assert_eq!(expected.len(), ClaimStatus::ALL.len());
    }

    #[test]
    fn four_eyes_refuse_the_author() {
        let waiting = ReviewState {
            proposal_by: Some("a1"),
            ..state(ClaimStatus::AwaitingSecondApproval)
        };
        assert_eq!(
            waiting.allowed(review(ReviewAction::Approve), ME),
            Err(Refusal::SameAdjuster)
        );
        let other = Actor { id: "a2", ..ME };
        assert_eq!(
            waiting.allowed(review(ReviewAction::Approve), other),
            Ok(Transition::SecondApproval)
        );
        let appealed = ReviewState {
            appealed_decision_by: Some("a1"),
            ..state(ClaimStatus::Appealed)
        };
        for a in [
            ReviewAction::Approve,
            ReviewAction::Override,
            ReviewAction::Deny,
        ] {
            assert_eq!(appealed.allowed(review(a), ME), Err(Refusal::SameAdjuster));
            assert!(appealed.allowed(review(a), other).is_ok());
        }
    }

    #[test]
    fn platforms_appeal_and_supplement_and_adjusters_do_not() {
        let platform = Actor {
            id: "p",
            role: Role::Platform,
        };
        for s in [ClaimStatus::Approved, ClaimStatus::Denied] {
            assert_eq!(
                state(s).allowed(ClaimAction::Appeal, platform),
                Ok(Transition::Appeal)
            );
            assert_eq!(
                state(s).allowed(ClaimAction::Appeal, ME),
                Err(Refusal::Role)
            );
        }
        assert!(
            state(ClaimStatus::PendingReview)
                .allowed(ClaimAction::Appeal, platform)
                .is_err()
        );
        assert_eq!(
            state(ClaimStatus::NeedsInformation).allowed(ClaimAction::Supplement, platform),
            Ok(Transition::Supplement)
        );
        assert_eq!(
            state(ClaimStatus::PendingReview).allowed(review(ReviewAction::Approve), platform),
            Err(Refusal::Role)
        );
    }

    #[test]
    fn a_sampled_approval_passes_quality_review_once() {
        let sampled = ReviewState {
            quality_review: true,
            ..state(ClaimStatus::Approved)
        };
        assert_eq!(
            sampled.allowed(review(ReviewAction::Approve), ME),
            Ok(Transition::QualityPassed)
        );
        assert_eq!(
            Transition::QualityPassed.to(true),
            Some(ClaimStatus::Approved)
        );
        assert_eq!(
            Transition::Decide.to(true),
            Some(ClaimStatus::AwaitingSecondApproval)
        );
        assert_eq!(Transition::Decide.to(false), Some(ClaimStatus::Approved));
    }

    #[test]
    fn names_round_trip() {
        for s in ClaimStatus::ALL {
            assert_eq!(ClaimStatus::parse(s.name()), Some(*s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.name()))
            );
        }
        assert_eq!(ClaimStatus::parse("lump-sum"), None);
    }
}
