//! A claim's review state, stored beside it: a proposal waiting for a second adjuster, the lines
//! approved (the recommendation, or as overridden, each changed line keeping the original), the
//! appeal and its outcome. Typed end to end; what round 1 stored reads into these types.

use super::{ClaimStatus, ReasonCode, ReviewAction, ReviewState};
use oip_engine::types::{BenefitItem, BenefitLine, Citation, Parameter, Payer, Period, Text};
use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

/// Why a line was changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineChangeNote {
    /// The reason code.
    pub reason_code: ReasonCode,
    /// The adjuster's note.
    pub note: String,
}

/// A benefit line as reviewed: the module's line, or one an adjuster changed, removed or added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewedLine {
    /// The benefit item.
    pub item: BenefitItem,
    /// Who pays.
    pub payer: Payer,
    /// Once or monthly.
    pub period: Period,
    /// The amount in fen (as reviewed).
    pub amount_fen: Option<u64>,
    /// Rests on an unconfirmed figure.
    #[serde(default)]
    pub provisional: bool,
    /// The module's formula (absent on a line an adjuster added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<Text>,
    /// The figures the module used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// The rule the module applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<Citation>,
    /// The module's remark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    /// On a changed line: the module's amount, kept beside the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_amount_fen: Option<u64>,
    /// On a changed line: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<LineChangeNote>,
    /// Removed by the adjuster (kept, with the reason, for the record).
    #[serde(default, skip_serializing_if = "is_false")]
    pub removed: bool,
    /// Added by the adjuster.
    #[serde(default, skip_serializing_if = "is_false")]
    pub added: bool,
}

impl From<&BenefitLine> for ReviewedLine {
    fn from(l: &BenefitLine) -> ReviewedLine {
        ReviewedLine {
            item: l.item,
            payer: l.payer,
            period: l.period,
            amount_fen: l.amount_fen,
            provisional: l.provisional,
            formula: Some(l.formula.clone()),
            parameters: l.parameters.clone(),
            citation: Some(l.citation.clone()),
            note: l.note.clone(),
            recommended_amount_fen: None,
            change: None,
            removed: false,
            added: false,
        }
    }
}

/// A proposal waiting for the second adjuster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Proposal {
    /// Who proposed.
    pub by: String,
    /// `approve` or `override`.
    pub action: ReviewAction,
    /// The lines proposed.
    pub benefits: Vec<ReviewedLine>,
    /// Their lump sums, in fen.
    pub lump_sum_fen: u64,
    /// The override's reason code.
    pub reason_code: Option<ReasonCode>,
    /// The note.
    pub note: Option<String>,
}

/// An appeal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Appeal {
    /// The grounds given.
    pub grounds: String,
    /// When it was filed (RFC 3339).
    pub filed_at: String,
    /// The status appealed against.
    pub from_status: ClaimStatus,
    /// Who made the decision appealed against (may not review the appeal).
    pub decided_by: Option<String>,
    /// The decision appealed against.
    pub decision_id: Option<String>,
}

/// How an appeal ended, linked to the decision appealed against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppealOutcome {
    /// `approved` or `denied`.
    pub outcome: ClaimStatus,
    /// Who reviewed the appeal.
    pub reviewed_by: String,
    /// The decision appealed against.
    pub appealed_decision_id: Option<String>,
    /// The status appealed against.
    pub from_status: ClaimStatus,
    /// The grounds.
    pub grounds: String,
    /// When it was filed.
    pub filed_at: String,
}

/// Why the policy could not decide a claim (status `cannot_decide`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Undecided {
    /// The engine's error code of the last attempt (`policy_error`: the module refused the
    /// facts; `trap`, `out_of_fuel`, ...: it kept failing).
    pub error: String,
    /// The module's own code, when it refused the facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_code: Option<String>,
    /// The module's own message, when it refused the facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
    /// The field of the facts it named, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Attempts made.
    pub attempts: i64,
}

/// The review state of a claim.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Workflow {
    /// Waiting for a second adjuster.
    #[serde(default)]
    pub proposal: Option<Proposal>,
    /// Who made the last approve or deny decision.
    #[serde(default)]
    pub decided_by: Option<String>,
    /// The lines approved (the recommendation, or as overridden).
    #[serde(default)]
    pub approved_benefits: Option<Vec<ReviewedLine>>,
    /// Approved straight through (fast track).
    #[serde(default)]
    pub auto_approved: bool,
    /// A straight-through approval sampled for quality review, not yet reviewed.
    #[serde(default)]
    pub quality_review: bool,
    /// The appeal, while it is open.
    #[serde(default)]
    pub appeal: Option<Appeal>,
    /// The last appeal's outcome.
    #[serde(default)]
    pub appeal_outcome: Option<AppealOutcome>,
    /// Why the policy could not decide it, while it waits for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undecided: Option<Undecided>,
}

/// Who acted, as a platform reads it: the role, never a token id or a person.
const ADJUSTER: &str = "adjuster";

impl ReviewedLine {
    /// The line as a platform reads it: the reason code of a change, not the adjuster's note.
    pub fn for_platform(mut self) -> ReviewedLine {
        if let Some(c) = &mut self.change {
            c.note.clear();
        }
        self
    }
}

impl Workflow {
    /// The review state as a platform reads it: no proposal in progress, no adjuster's note,
    /// no token id (who acted reads as the role).
    pub fn for_platform(self) -> Workflow {
        Workflow {
            proposal: None,
            decided_by: None,
            approved_benefits: self
                .approved_benefits
                .map(|lines| lines.into_iter().map(ReviewedLine::for_platform).collect()),
            appeal: self.appeal.map(|a| Appeal {
                decided_by: None,
                ..a
            }),
            appeal_outcome: self.appeal_outcome.map(|o| AppealOutcome {
                reviewed_by: ADJUSTER.into(),
                ..o
            }),
            ..self
        }
    }

    /// What the state machine needs of a claim in `status` with this workflow.
    pub fn state(&self, status: ClaimStatus) -> ReviewState<'_> {
        ReviewState {
            status,
            proposal_by: self.proposal.as_ref().map(|p| p.by.as_str()),
            appealed_decision_by: self.appeal.as_ref().and_then(|a| a.decided_by.as_deref()),
            quality_review: self.quality_review,
        }
    }
}

/// The lump sums of lines (removed lines excluded); `None` when they overflow.
pub fn lump_sum_fen(lines: &[ReviewedLine]) -> Option<u64> {
    super::checked_sum(
        lines
            .iter()
            .filter(|l| l.period == Period::LumpSum && !l.removed)
            .filter_map(|l| l.amount_fen),
    )
    .ok()
}

/// The items of lines, once each, in order.
pub fn items(lines: &[ReviewedLine]) -> Vec<BenefitItem> {
    let mut out: Vec<BenefitItem> = Vec::new();
    for l in lines {
        if !out.contains(&l.item) {
            out.push(l.item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_round_one_stored_reads_back() {
        let stored = r#"{"proposal":null,"decided_by":"tok_1","approved_benefits":[
            {"item":"hospital_meal_subsidy","payer":"fund","period":"lump_sum","amount_fen":27000,
             "provisional":true,"formula":{"zh":"z","en":"e"},"parameters":[],
             "citation":{"id":"c","title":"t","source":"s"},"note":null,
             "recommended_amount_fen":null,"change":{"reason_code":"document_evidence","note":"n"}},
            {"item":"living_care","payer":"fund","period":"monthly","amount_fen":100000,
             "recommended_amount_fen":null,"added":true,"change":{"reason_code":"medical_evidence","note":"m"}}],
            "auto_approved":false,"quality_review":false,"appeal":null,"appeal_outcome":null}"#;
        let w: Workflow = serde_json::from_str(stored).expect("reads");
        let lines = w.approved_benefits.expect("lines");
        assert_eq!(
            lines[0].change.as_ref().map(|c| c.reason_code),
            Some(ReasonCode::DocumentEvidence)
        );
        assert!(lines[1].added && lines[1].formula.is_none());
        assert_eq!(lump_sum_fen(&lines), Some(27000));
    }
}
