//! The `decisions` table: append-only, one row per decision a module made for a claim, with the
//! exact bytes it returned, the canonical facts it was given and the module that made it.

use super::writer::{Row, Table};
use super::{Db, json, os, s};
use oip_engine::Provenance;
use sea_orm::{DbErr, QueryResult};
use std::sync::LazyLock;

/// A stored decision.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionRow {
    /// Id.
    pub id: String,
    /// Its claim.
    pub claim_id: String,
    /// Why it was made: `automatic`, `supplement`, `retry`, `redecide` (`replay` on a replay).
    pub kind: String,
    /// Outcome code.
    pub outcome: String,
    /// The decision as the module returned it (canonical JSON).
    pub body: String,
    /// Which module, on which facts.
    pub provenance: Provenance,
    /// Canonical facts (JSON) it was made on.
    pub facts: String,
    /// The decision it replaces.
    pub replaces: Option<String>,
    /// Created.
    pub created_at: String,
}

const DECISION_COLS: &str =
    "id, claim_id, kind, outcome, body, provenance, policy_sha256, facts, replaces, created_at";

fn decision_row(r: &QueryResult) -> Result<DecisionRow, DbErr> {
    Ok(DecisionRow {
        id: s(r, "id")?,
        claim_id: s(r, "claim_id")?,
        kind: s(r, "kind")?,
        outcome: s(r, "outcome")?,
        body: s(r, "body")?,
        provenance: json(r, "provenance")?,
        facts: s(r, "facts")?,
        replaces: os(r, "replaces")?,
        created_at: s(r, "created_at")?,
    })
}

impl Db {
    /// The row of a decision, for the writer.
    pub fn decision_insert(&self, d: &DecisionRow) -> Row {
        static DECISIONS: LazyLock<Table> = LazyLock::new(|| Table {
            head: format!("INSERT INTO decisions ({DECISION_COLS}) VALUES ").into(),
            row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)".into(),
            tail: "".into(),
        });
        Row {
            table: &DECISIONS,
            values: vec![
                d.id.clone().into(),
                d.claim_id.clone().into(),
                d.kind.clone().into(),
                d.outcome.clone().into(),
                d.body.clone().into(),
                super::to_json(&d.provenance).into(),
                d.provenance.sha256.clone().into(),
                d.facts.clone().into(),
                d.replaces.clone().into(),
                d.created_at.clone().into(),
            ],
        }
    }

    /// A decision by id.
    pub async fn decision(&self, id: &str) -> Result<Option<DecisionRow>, DbErr> {
        self.one(
            &format!("SELECT {DECISION_COLS} FROM decisions WHERE id = ?"),
            vec![id.into()],
            decision_row,
        )
        .await
    }

    /// A claim's decisions, oldest first.
    pub async fn decisions_of(&self, claim_id: &str) -> Result<Vec<DecisionRow>, DbErr> {
        self.all(
            &format!("SELECT {DECISION_COLS} FROM decisions WHERE claim_id = ? ORDER BY id"),
            vec![claim_id.into()],
            decision_row,
        )
        .await
    }
}
