//! Review and appeal bodies, and an override's changes applied to the recommended lines.

use crate::domain::{
    LineChangeNote, MAX_LINE_FEN, MAX_LINES, ReasonCode, ReviewAction, ReviewedLine,
};
use crate::error::FieldProblem;
use crate::validate::DocumentCode;
use oip_engine::types::{BenefitItem, Payer, Period};
use serde::Serialize;
use utoipa::ToSchema;

/// A review action (`POST /v1/claims/{id}/review`).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// What to do.
    pub action: ReviewAction,
    /// Why (required to override or deny).
    #[serde(default)]
    pub reason_code: Option<ReasonCode>,
    /// A note (required to override or deny).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Override: the changes to the recommended lines.
    #[serde(default)]
    #[schema(max_items = 32)]
    pub benefits: Option<Vec<LineChange>>,
    /// Request information: the documents asked for.
    #[serde(default)]
    #[schema(max_items = 12)]
    pub documents: Option<Vec<DocumentCode>>,
}

/// One change to a benefit line: a new amount, a removal (`amount_fen` null), or a line added.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineChange {
    /// The benefit item.
    pub item: BenefitItem,
    /// The new amount in fen; `null` removes the line.
    #[serde(default, deserialize_with = "oip_engine::types::int::whole_opt")]
    #[schema(maximum = 1_000_000_000_u64)]
    pub amount_fen: Option<u64>,
    /// Payer of an added line (default `fund`).
    #[serde(default)]
    pub payer: Option<Payer>,
    /// Period of an added line (default `lump_sum`).
    #[serde(default)]
    pub period: Option<Period>,
    /// Why.
    pub reason_code: ReasonCode,
    /// A note.
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub note: String,
}

/// An appeal (`POST /v1/claims/{id}/appeal`).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// The grounds, in the worker's words.
    #[schema(min_length = 1, max_length = 4000, pattern = "\\S")]
    pub grounds: String,
}

/// Applies an override's changes to the recommended lines: each changed line keeps the
/// original beside it (`recommended_amount_fen`) with the change's reason. Every problem is
/// named by its field.
pub fn apply_changes(
    recommended: &[ReviewedLine],
    changes: &[LineChange],
) -> Result<Vec<ReviewedLine>, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    if changes.len() > MAX_LINES {
        problems.push(FieldProblem::new(
            "benefits",
            format!("at most {MAX_LINES} lines"),
        ));
    }
    let mut lines = recommended.to_vec();
    for (i, ch) in changes.iter().enumerate() {
        if ch.note.trim().is_empty() {
            problems.push(FieldProblem::new(format!("benefits[{i}].note"), "required"));
        }
        if ch.amount_fen.is_some_and(|a| a > MAX_LINE_FEN) {
            problems.push(FieldProblem::new(
                format!("benefits[{i}].amount_fen"),
                format!("at most {MAX_LINE_FEN} fen (10,000,000 yuan) per line"),
            ));
            continue;
        }
        let change = LineChangeNote {
            reason_code: ch.reason_code,
            note: ch.note.clone(),
        };
        match lines.iter_mut().find(|l| l.item == ch.item && !l.removed) {
            Some(line) => {
                line.recommended_amount_fen = line.amount_fen;
                match ch.amount_fen {
                    Some(a) => line.amount_fen = Some(a),
                    None => line.removed = true,
                }
                line.change = Some(change);
            }
            None => match ch.amount_fen {
                Some(a) => lines.push(ReviewedLine {
                    item: ch.item,
                    payer: ch.payer.unwrap_or(Payer::Fund),
                    period: ch.period.unwrap_or(Period::LumpSum),
                    amount_fen: Some(a),
                    provisional: false,
                    formula: None,
                    parameters: Vec::new(),
                    citation: None,
                    note: None,
                    recommended_amount_fen: None,
                    change: Some(change),
                    removed: false,
                    added: true,
                }),
                None => problems.push(FieldProblem::new(
                    format!("benefits[{i}].item"),
                    "no such line to remove",
                )),
            },
        }
    }
    if crate::domain::lump_sum_fen(&lines).is_none() {
        problems.push(FieldProblem::new("benefits", "the lump sums overflow"));
    }
    if problems.is_empty() {
        Ok(lines)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(item: BenefitItem, amount: Option<u64>) -> LineChange {
        LineChange {
            item,
            amount_fen: amount,
            payer: None,
            period: None,
            reason_code: ReasonCode::DocumentEvidence,
            note: "receipts".into(),
        }
    }

    #[test]
    fn an_amount_above_the_cap_is_refused_with_its_field() {
        let e = apply_changes(
            &[],
            &[
                change(BenefitItem::Medical, Some(u64::MAX / 2 + 1)),
                change(BenefitItem::FuneralSubsidy, Some(u64::MAX / 2 + 1)),
            ],
        )
        .unwrap_err();
        let paths: Vec<&str> = e.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["benefits[0].amount_fen", "benefits[1].amount_fen"]);
    }

    #[test]
    fn a_changed_line_keeps_the_recommendation() {
        let added = apply_changes(
            &[],
            &[change(BenefitItem::HospitalMealSubsidy, Some(27_000))],
        )
        .expect("added");
        assert!(added[0].added);
        assert_eq!(added[0].period, Period::LumpSum);
        let changed = apply_changes(
            &added,
            &[change(BenefitItem::HospitalMealSubsidy, Some(30_000))],
        )
        .expect("changed");
        assert_eq!(changed[0].recommended_amount_fen, Some(27_000));
        assert_eq!(changed[0].amount_fen, Some(30_000));
        let e = apply_changes(&[], &[change(BenefitItem::LivingCare, None)]).unwrap_err();
        assert_eq!(e[0].path, "benefits[0].item");
    }
}
