//! Medical bills as they arrive during treatment (`POST /v1/claims/{id}/bills`): each bill
//! once, by its number, on a claim whose injury is determined covered. A bill adds its costs to
//! the claim's medical facts and the claim is decided again, reviewed like any decision; the
//! bill and the new decision are written in one transaction.

use super::StoredClaim;
use crate::auth::{Principal, Role};
use crate::db::writer::AuditDraft;
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, now};
use oip_engine::types::{Date, Document, Facts};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// Outpatient or inpatient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillKind {
    /// Outpatient or emergency treatment (门急诊).
    Outpatient,
    /// A hospital stay (住院).
    Inpatient,
}

/// A medical bill (`POST /v1/claims/{id}/bills`).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillRequest {
    /// The bill's number (收费票据号), once per claim.
    #[schema(min_length = 1, max_length = 64, pattern = "^[!-~]+$")]
    pub number: String,
    /// Outpatient or inpatient.
    pub kind: BillKind,
    /// The costs inside the catalogues, fen.
    #[schema(maximum = 100_000_000_u64)]
    pub amount_fen: u64,
    /// The costs outside the catalogues (reported, never paid), fen.
    #[serde(default)]
    #[schema(maximum = 100_000_000_u64)]
    pub out_of_catalogue_fen: u64,
    /// Days in hospital (an inpatient bill only).
    #[serde(default)]
    #[schema(maximum = 366)]
    pub inpatient_days: u32,
    /// When it was issued (Beijing date), from the incident to today.
    #[schema(value_type = String, format = Date)]
    pub issued_on: Date,
    /// The hospital that issued it.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub hospital: String,
    /// Treated outside the region.
    #[serde(default)]
    pub treated_outside_region: bool,
}

fn check(req: &BillRequest, incident: Date, today: Date) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    if req.number.is_empty()
        || req.number.len() > 64
        || !req.number.bytes().all(|b| b.is_ascii_graphic())
    {
        problems.push(FieldProblem::new(
            "number",
            "1 to 64 printable ASCII characters",
        ));
    }
    if req.amount_fen > 100_000_000 {
        problems.push(FieldProblem::new("amount_fen", "at most 100,000,000 fen"));
    }
    if req.out_of_catalogue_fen > 100_000_000 {
        problems.push(FieldProblem::new(
            "out_of_catalogue_fen",
            "at most 100,000,000 fen",
        ));
    }
    match req.kind {
        BillKind::Outpatient if req.inpatient_days > 0 => problems.push(FieldProblem::new(
            "inpatient_days",
            "an outpatient bill has none",
        )),
        _ if req.inpatient_days > 366 => {
            problems.push(FieldProblem::new("inpatient_days", "at most 366"))
        }
        _ => {}
    }
    if req.issued_on < incident || req.issued_on > today {
        problems.push(FieldProblem::new(
            "issued_on",
            format!("a date from the incident ({incident}) to today ({today})"),
        ));
    }
    if req.hospital.trim().is_empty() || req.hospital.chars().count() > 200 {
        problems.push(FieldProblem::new("hospital", "1 to 200 characters"));
    }
    problems
}

/// Adds a bill's costs to the medical facts (checked: an overflow is refused).
fn add(facts: &mut Facts, req: &BillRequest) -> Result<(), Error> {
    let over = || {
        Error::field(
            Code::InvalidRequest,
            "amount_fen",
            "the claim's costs would overflow",
        )
    };
    let m = &mut facts.medical;
    match req.kind {
        BillKind::Outpatient => {
            m.outpatient_fen = m
                .outpatient_fen
                .checked_add(req.amount_fen)
                .ok_or_else(over)?
        }
        BillKind::Inpatient => {
            m.inpatient_fen = m
                .inpatient_fen
                .checked_add(req.amount_fen)
                .ok_or_else(over)?;
            m.inpatient_days = m
                .inpatient_days
                .checked_add(req.inpatient_days)
                .ok_or_else(over)?;
        }
    }
    m.out_of_catalogue_fen = m
        .out_of_catalogue_fen
        .checked_add(req.out_of_catalogue_fen)
        .ok_or_else(over)?;
    m.treated_outside_region |= req.treated_outside_region;
    if !facts.documents.contains(&Document::MedicalReceipts) {
        facts.documents.push(Document::MedicalReceipts);
    }
    Ok(())
}

/// Records a bill on a claim determined covered (its platform, or an adjuster of its region)
/// and decides the claim again with its costs.
pub async fn submit(
    state: &AppState,
    who: &Principal,
    id: &str,
    req: &BillRequest,
) -> Result<StoredClaim, Error> {
    who.require(&[Role::Platform, Role::Adjuster])?;
    let claim = super::visible(state, who, id).await?;
    let today = now().beijing_date();
    let incident = oip_engine::types::Timestamp(claim.incident_at).beijing_date();
    let problems = check(req, incident, today);
    if !problems.is_empty() {
        return Err(Error::invalid_request(problems));
    }
    super::appraisal::determined_covered(state, &claim, "no bill is paid").await?;
    if state.db.bill_exists(&claim.id, &req.number).await? {
        return Err(Error::field(
            Code::BillAlreadySubmitted,
            "number",
            "this bill was submitted for this claim before",
        ));
    }
    let mut facts: Facts =
        serde_json::from_str(&claim.facts).map_err(|e| Error::internal(e.to_string()))?;
    add(&mut facts, req)?;
    let at = now().to_string();
    let together = super::Together {
        // A second submission of the same bill racing this one finds the claim's version
        // changed (`conflict`), or the row (the primary key).
        statements: vec![state.db.insert_bill_stmt(&claim.id, req, who.person(), &at)],
        audit: vec![AuditDraft {
            actor: who.person().to_string(),
            action: "claim.bill".into(),
            claim_id: Some(claim.id.clone()),
            before: None,
            after: Some(
                json!({ "number": req.number, "kind": req.kind, "amount_fen": req.amount_fen,
                        "out_of_catalogue_fen": req.out_of_catalogue_fen,
                        "inpatient_days": req.inpatient_days, "issued_on": req.issued_on.to_string() })
                .to_string(),
            ),
        }],
    };
    let again = super::decide_again_with(state, &claim, &facts, "bill", together).await?;
    match again.decision {
        Some(_) => Ok(again),
        None => super::with_decision(state, again.claim).await,
    }
}
