//! The `bills` table: a claim's medical bills, each once by its number (see
//! [`crate::claims::bills`]).

use super::Db;
use sea_orm::{DbErr, Statement};

impl Db {
    /// Whether a claim has a bill of this number.
    pub async fn bill_exists(&self, claim_id: &str, number: &str) -> Result<bool, DbErr> {
        Ok(self
            .one(
                "SELECT 1 AS one FROM bills WHERE claim_id = ? AND number = ?",
                vec![claim_id.into(), number.into()],
                |_| Ok(()),
            )
            .await?
            .is_some())
    }

    /// Stores a bill.
    pub fn insert_bill_stmt(
        &self,
        claim_id: &str,
        b: &crate::claims::bills::BillRequest,
        by: &str,
        at: &str,
    ) -> Statement {
        let kind = match b.kind {
            crate::claims::bills::BillKind::Outpatient => "outpatient",
            crate::claims::bills::BillKind::Inpatient => "inpatient",
        };
        self.stmt(
            "INSERT INTO bills (claim_id, number, kind, amount_fen, out_of_catalogue_fen, \
             inpatient_days, issued_on, hospital, submitted_by, submitted_at, decision_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            vec![
                claim_id.into(),
                b.number.clone().into(),
                kind.into(),
                i64::try_from(b.amount_fen).unwrap_or(i64::MAX).into(),
                i64::try_from(b.out_of_catalogue_fen)
                    .unwrap_or(i64::MAX)
                    .into(),
                i64::from(b.inpatient_days).into(),
                b.issued_on.to_string().into(),
                b.hospital.trim().to_string().into(),
                by.into(),
                at.into(),
            ],
        )
    }
}
