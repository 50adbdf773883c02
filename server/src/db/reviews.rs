//! The `reviews` table: append-only, one row per review action (and appeal) on a claim.

use super::{Db, named, ojson, os, s, to_json};
use crate::domain::{ClaimStatus, ReasonCode, ReviewedLine};
use oip_engine::types::Document;
use sea_orm::{DbErr, QueryResult, Statement};

/// A review action as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewRow {
    /// Id.
    pub id: String,
    /// Its claim.
    pub claim_id: String,
    /// Who (token id).
    pub actor: String,
    /// `approve`, `override`, `deny`, `request_information`, `close`, `appeal`.
    pub action: String,
    /// The reason code given.
    pub reason_code: Option<ReasonCode>,
    /// The note (or an appeal's grounds).
    pub note: Option<String>,
    /// The lines approved or proposed.
    pub benefits: Option<Vec<ReviewedLine>>,
    /// The documents asked for.
    pub documents: Option<Vec<Document>>,
    /// The status before.
    pub status_before: ClaimStatus,
    /// The status after.
    pub status_after: ClaimStatus,
    /// When.
    pub created_at: String,
}

fn review_row(r: &QueryResult) -> Result<ReviewRow, DbErr> {
    Ok(ReviewRow {
        id: s(r, "id")?,
        claim_id: s(r, "claim_id")?,
        actor: s(r, "actor")?,
        action: s(r, "action")?,
        reason_code: super::onamed(r, "reason_code")?,
        note: os(r, "note")?,
        benefits: ojson(r, "benefits")?,
        documents: ojson(r, "documents")?,
        status_before: named(r, "status_before")?,
        status_after: named(r, "status_after")?,
        created_at: s(r, "created_at")?,
    })
}

impl Db {
    /// The statement recording a review action.
    pub fn insert_review_stmt(&self, r: &ReviewRow) -> Statement {
        self.stmt(
            "INSERT INTO reviews (id, claim_id, actor, action, reason_code, note, benefits, documents, \
             status_before, status_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                r.id.clone().into(),
                r.claim_id.clone().into(),
                r.actor.clone().into(),
                r.action.clone().into(),
                r.reason_code.map(|c| c.as_str()).into(),
                r.note.clone().into(),
                r.benefits.as_ref().map(to_json).into(),
                r.documents.as_ref().map(to_json).into(),
                r.status_before.as_str().into(),
                r.status_after.as_str().into(),
                r.created_at.clone().into(),
            ],
        )
    }

    /// A claim's reviews, oldest first.
    pub async fn reviews_of(&self, claim_id: &str) -> Result<Vec<ReviewRow>, DbErr> {
        self.all(
            "SELECT id, claim_id, actor, action, reason_code, note, benefits, documents, status_before, \
             status_after, created_at FROM reviews WHERE claim_id = ? ORDER BY id",
            vec![claim_id.into()],
            review_row,
        )
        .await
    }
}
