//! The labour-ability appraisal (劳动能力鉴定) as its own submission: the conclusion (grade,
//! care level, date, the appraisal body, its fee) arrives after the injury is determined
//! covered, months later; it becomes the claim's assessment and the claim is decided again,
//! reviewed like any decision. A re-appraisal (复查鉴定) arrives the same way: the monthly
//! items change from the month after its conclusion (see [`crate::payments::enrol`]).

use super::StoredClaim;
use crate::auth::{Principal, Role};
use crate::db::writer::AuditDraft;
use crate::domain::ClaimStatus;
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, now};
use oip_engine::types::{CareLevel, Date, Document, Facts};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// An appraisal conclusion (`POST /v1/claims/{id}/appraisals`).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppraisalRequest {
    /// The disability grade, 1 (most severe) to 10; null when none was found.
    #[schema(minimum = 1, maximum = 10)]
    pub disability_grade: Option<u8>,
    /// Loss of self-care: `partial`, `most`, `complete`; null when none.
    #[schema(value_type = Option<String>, pattern = "^(partial|most|complete)$")]
    pub care_level: Option<CareLevel>,
    /// When the conclusion was made (Beijing date), not after today.
    #[schema(value_type = String, format = Date)]
    pub concluded_on: Date,
    /// The appraisal body (劳动能力鉴定委员会) that concluded.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub appraisal_body: String,
    /// The appraisal fee, fen.
    #[serde(default)]
    #[schema(maximum = 100_000_000_u64)]
    pub fee_fen: u64,
}

/// Refuses a submission that builds on the determination (an appraisal, a bill) unless the
/// claim's injury is determined covered (`claim_not_covered`, naming the claim) and the claim
/// is pending review or approved (`invalid_transition`).
pub(crate) async fn determined_covered(
    state: &AppState,
    claim: &crate::db::claims::ClaimRow,
    what: &str,
) -> Result<(), Error> {
    let covered =
        match &claim.decision_id {
            Some(d) => state.db.decision(d).await?.is_some_and(|d| {
                d.outcome == super::outcome_code(oip_engine::types::Outcome::Covered)
            }),
            None => false,
        };
    if !covered || claim.status == ClaimStatus::Denied {
        return Err(Error::field(
            Code::ClaimNotCovered,
            "id",
            format!("the injury is not determined covered: {what}"),
        ));
    }
    if !matches!(
        claim.status,
        ClaimStatus::PendingReview | ClaimStatus::Approved
    ) {
        return Err(Code::InvalidTransition.into());
    }
    Ok(())
}

/// Records an appraisal conclusion on a claim determined covered (its platform, or an
/// adjuster of its region) and decides the claim again on it.
pub async fn submit(
    state: &AppState,
    who: &Principal,
    id: &str,
    req: &AppraisalRequest,
) -> Result<StoredClaim, Error> {
    who.require(&[Role::Platform, Role::Adjuster])?;
    let claim = super::visible(state, who, id).await?;
    let mut problems = Vec::new();
    if req.disability_grade.is_some_and(|g| !(1..=10).contains(&g)) {
        problems.push(FieldProblem::new("disability_grade", "1 to 10, or null"));
    }
    if req.appraisal_body.trim().is_empty() || req.appraisal_body.chars().count() > 200 {
        problems.push(FieldProblem::new("appraisal_body", "1 to 200 characters"));
    }
    if req.fee_fen > 100_000_000 {
        problems.push(FieldProblem::new("fee_fen", "at most 100,000,000 fen"));
    }
    let today = now().beijing_date();
    let incident = oip_engine::types::Timestamp(claim.incident_at).beijing_date();
    if req.concluded_on > today || req.concluded_on < incident {
        problems.push(FieldProblem::new(
            "concluded_on",
            format!("a date from the incident ({incident}) to today ({today})"),
        ));
    }
    if !problems.is_empty() {
        return Err(Error::invalid_request(problems));
    }
    determined_covered(state, &claim, "nothing to appraise").await?;
    let mut facts: Facts =
        serde_json::from_str(&claim.facts).map_err(|e| Error::internal(e.to_string()))?;
    facts.assessment.disability_grade = req.disability_grade;
    facts.assessment.care_level = req.care_level;
    facts.assessment.assessed_at = Some(req.concluded_on);
    if !facts.documents.contains(&Document::DisabilityAssessment) {
        facts.documents.push(Document::DisabilityAssessment);
    }
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: "claim.appraisal".into(),
        claim_id: Some(claim.id.clone()),
        before: None,
        after: Some(
            json!({
                "disability_grade": req.disability_grade,
                "care_level": req.care_level,
                "concluded_on": req.concluded_on.to_string(),
                "appraisal_body": req.appraisal_body.trim(),
                "fee_fen": req.fee_fen,
            })
            .to_string(),
        ),
    };
    let together = super::Together {
        statements: Vec::new(),
        audit: vec![audit],
    };
    let again = super::decide_again_with(state, &claim, &facts, "appraisal", together).await?;
    match again.decision {
        Some(_) => Ok(again),
        None => super::with_decision(state, again.claim).await,
    }
}
