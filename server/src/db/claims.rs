//! The `claims` table: one row per claim, its status, its current decision, its review state,
//! and where it waits in the review queue (`queue`, `due_on`, kept by every write so that the
//! queue is one indexed query).
//!
//! Every update is guarded by the row's `version` (`WHERE id = ? AND version = ?`): a write
//! based on an old read finds no row and changes nothing.

use super::writer::{Guard, Row, Table};
use super::{Db, i, json, named, ojson, onamed, os, push_in, s, to_json};
use crate::domain::{ClaimStatus, Narrative, QueueKind, Workflow};
use oip_engine::types::Date;
use sea_orm::{DbErr, QueryResult, Statement, Value};
use std::sync::LazyLock;

/// A stored claim.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimRow {
    /// Id.
    pub id: String,
    /// Submitting platform.
    pub platform: String,
    /// The platform's reference.
    pub platform_claim_ref: String,
    /// The idempotency key.
    pub idempotency_key: String,
    /// Keyed hash of the canonical request body.
    pub request_sha256: String,
    /// Region.
    pub region: String,
    /// Status.
    pub status: ClaimStatus,
    /// Incident instant (epoch seconds).
    pub incident_at: i64,
    /// Canonical facts (JSON).
    pub facts: String,
    /// Order id, location, description.
    pub narrative: Narrative,
    /// Masked identity number.
    pub worker_masked: String,
    /// Another claim of the same worker for the same incident time in the region.
    pub possible_duplicate_of: Option<String>,
    /// Current decision.
    pub decision_id: Option<String>,
    /// Last engine error code.
    pub last_error: Option<String>,
    /// Decision attempts that failed.
    pub attempts: i64,
    /// When the background worker tries again (epoch seconds).
    pub next_attempt_at: Option<i64>,
    /// Created.
    pub created_at: String,
    /// Updated.
    pub updated_at: String,
    /// Review state.
    pub workflow: Workflow,
    /// The review queue it waits in, if any.
    pub queue: Option<QueueKind>,
    /// When a person must have acted (Beijing date).
    pub due_on: Option<Date>,
    /// Its current decision was made on a fast track.
    pub fast_track: bool,
    /// Bumped by every update (optimistic concurrency).
    pub version: i64,
}

impl ClaimRow {
    /// Sets the queue the claim waits in from its status and review state: a decision or an
    /// appeal waits for a person, a proposal for a second one, and a sampled straight-through
    /// approval for its quality review.
    pub fn place(&mut self) {
        self.queue = match self.status {
            ClaimStatus::PendingReview => Some(QueueKind::PendingReview),
            ClaimStatus::AwaitingSecondApproval => Some(QueueKind::AwaitingSecondApproval),
            ClaimStatus::Appealed => Some(QueueKind::Appealed),
            ClaimStatus::CannotDecide => Some(QueueKind::CannotDecide),
            ClaimStatus::Approved if self.workflow.quality_review => Some(QueueKind::QualityReview),
            _ => None,
        };
    }
}

pub(crate) const CLAIM_COLS: &str = "id, platform, platform_claim_ref, idempotency_key, request_sha256, region, \
    status, incident_at, facts, narrative, worker_masked, possible_duplicate_of, decision_id, last_error, attempts, \
    next_attempt_at, created_at, updated_at, workflow, queue, due_on, fast_track, version";

pub(crate) fn claim_row(r: &QueryResult) -> Result<ClaimRow, DbErr> {
    Ok(ClaimRow {
        id: s(r, "id")?,
        platform: s(r, "platform")?,
        platform_claim_ref: s(r, "platform_claim_ref")?,
        idempotency_key: s(r, "idempotency_key")?,
        request_sha256: s(r, "request_sha256")?,
        region: s(r, "region")?,
        status: named(r, "status")?,
        incident_at: i(r, "incident_at")?,
        facts: s(r, "facts")?,
        narrative: json(r, "narrative")?,
        worker_masked: s(r, "worker_masked")?,
        possible_duplicate_of: os(r, "possible_duplicate_of")?,
        decision_id: os(r, "decision_id")?,
        last_error: os(r, "last_error")?,
        attempts: i(r, "attempts")?,
        next_attempt_at: r.try_get("", "next_attempt_at")?,
        created_at: s(r, "created_at")?,
        updated_at: s(r, "updated_at")?,
        workflow: ojson(r, "workflow")?.unwrap_or_default(),
        queue: onamed(r, "queue")?,
        due_on: os(r, "due_on")?.and_then(|d| Date::parse(&d).ok()),
        fast_track: i(r, "fast_track")? != 0,
        version: i(r, "version")?,
    })
}

/// The stored form of a review state: nothing for the empty one.
fn workflow_json(w: &Workflow) -> Option<String> {
    (*w != Workflow::default()).then(|| to_json(w))
}

/// Who may see which claims: a platform its own, an adjuster its regions'.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Only this platform's claims.
    pub platform: Option<String>,
    /// Only these regions' claims (`None` = every region).
    pub regions: Option<Vec<String>>,
}

/// A search of claims (every condition optional).
#[derive(Clone, Debug, Default)]
pub struct ClaimFilter {
    /// In this status.
    pub status: Option<ClaimStatus>,
    /// In this region.
    pub region: Option<String>,
    /// Of this platform.
    pub platform: Option<String>,
    /// With this platform reference.
    pub platform_claim_ref: Option<String>,
    /// Incident at or after (epoch seconds).
    pub incident_from: Option<i64>,
    /// Incident at or before (epoch seconds).
    pub incident_to: Option<i64>,
}

/// A claim in the review queue, with its decision's outcome.
#[derive(Clone, Debug)]
pub struct QueueRow {
    /// The claim.
    pub claim: ClaimRow,
    /// Its current decision's outcome code.
    pub outcome: Option<String>,
}

impl Db {
    /// The guard inserting a claim (nothing on conflict; returns the id if inserted). It also
    /// finds the possible duplicate (another claim of the same worker for the same incident time
    /// in the region, the earliest) inside the writer's transaction, which sees the claims of
    /// the same batch too (the writer never puts two rows with the same worker, incident time
    /// and region in one statement), and returns it as `possible_duplicate_of`.
    pub fn claim_guard(&self, c: &ClaimRow, worker_sealed: &str, worker_hash: &str) -> Guard {
        static CLAIMS: LazyLock<Table> = LazyLock::new(|| {
            Table {
            head: format!("INSERT INTO claims ({CLAIM_COLS}, worker_sealed, worker_hash) VALUES ").into(),
            row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
                 (SELECT d.id FROM claims d WHERE d.worker_hash = ? AND d.incident_at = ? AND d.region = ? \
                  ORDER BY d.id LIMIT 1), \
                 ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                .into(),
            tail: " ON CONFLICT DO NOTHING RETURNING id, possible_duplicate_of".into(),
        }
        });
        Guard::Row {
            id: c.id.clone(),
            key: format!("{worker_hash}|{}|{}", c.incident_at, c.region),
            row: Row {
                table: &CLAIMS,
                values: vec![
                    c.id.clone().into(),
                    c.platform.clone().into(),
                    c.platform_claim_ref.clone().into(),
                    c.idempotency_key.clone().into(),
                    c.request_sha256.clone().into(),
                    c.region.clone().into(),
                    c.status.as_str().into(),
                    c.incident_at.into(),
                    c.facts.clone().into(),
                    to_json(&c.narrative).into(),
                    c.worker_masked.clone().into(),
                    worker_hash.to_string().into(),
                    c.incident_at.into(),
                    c.region.clone().into(),
                    c.decision_id.clone().into(),
                    c.last_error.clone().into(),
                    (c.attempts as i32).into(),
                    c.next_attempt_at.into(),
                    c.created_at.clone().into(),
                    c.updated_at.clone().into(),
                    workflow_json(&c.workflow).into(),
                    c.queue.map(|q| q.as_str()).into(),
                    c.due_on.map(|d| d.to_string()).into(),
                    i64::from(c.fast_track).into(),
                    c.version.into(),
                    worker_sealed.to_string().into(),
                    worker_hash.to_string().into(),
                ],
            },
        }
    }

    /// The guard writing a claim's new state `c` over the one read at version `read`: returns a
    /// row only when nobody changed the claim since (the row's version moves on by one).
    pub fn update_claim_stmt(&self, c: &ClaimRow, read: i64) -> Statement {
        self.stmt(
            "UPDATE claims SET status = ?, facts = ?, decision_id = ?, last_error = ?, attempts = ?, \
             next_attempt_at = ?, updated_at = ?, workflow = ?, queue = ?, due_on = ?, fast_track = ?, \
             version = version + 1 WHERE id = ? AND version = ? RETURNING id",
            vec![
                c.status.as_str().into(),
                c.facts.clone().into(),
                c.decision_id.clone().into(),
                c.last_error.clone().into(),
                (c.attempts as i32).into(),
                c.next_attempt_at.into(),
                c.updated_at.clone().into(),
                workflow_json(&c.workflow).into(),
                c.queue.map(|q| q.as_str()).into(),
                c.due_on.map(|d| d.to_string()).into(),
                i64::from(c.fast_track).into(),
                c.id.clone().into(),
                read.into(),
            ],
        )
    }

    /// A claim by id.
    pub async fn claim(&self, id: &str) -> Result<Option<ClaimRow>, DbErr> {
        self.one(
            &format!("SELECT {CLAIM_COLS} FROM claims WHERE id = ?"),
            vec![id.into()],
            claim_row,
        )
        .await
    }

    /// A claim by its platform's idempotency key.
    pub async fn claim_by_key(&self, platform: &str, key: &str) -> Result<Option<ClaimRow>, DbErr> {
        self.one(
            &format!("SELECT {CLAIM_COLS} FROM claims WHERE platform = ? AND idempotency_key = ?"),
            vec![platform.into(), key.into()],
            claim_row,
        )
        .await
    }

    /// Claims visible to a scope and matching a filter, newest first, before a cursor (an id);
    /// one query per page.
    pub async fn claims(
        &self,
        scope: &Scope,
        filter: &ClaimFilter,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<ClaimRow>, DbErr> {
        let mut sql = format!("SELECT {CLAIM_COLS} FROM claims WHERE 1 = 1");
        let mut values: Vec<Value> = Vec::new();
        if !push_scope(scope, "", &mut sql, &mut values) {
            return Ok(Vec::new());
        }
        let mut eq = |column: &str, v: Option<String>| {
            if let Some(v) = v {
                sql.push_str(&format!(" AND {column} = ?"));
                values.push(v.into());
            }
        };
        eq("status", filter.status.map(|s| s.as_str().to_string()));
        eq("region", filter.region.clone());
        eq("platform", filter.platform.clone());
        eq("platform_claim_ref", filter.platform_claim_ref.clone());
        if let Some(t) = filter.incident_from {
            sql.push_str(" AND incident_at >= ?");
            values.push(t.into());
        }
        if let Some(t) = filter.incident_to {
            sql.push_str(" AND incident_at <= ?");
            values.push(t.into());
        }
        if let Some(c) = before {
            sql.push_str(" AND id < ?");
            values.push(c.into());
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
        self.all(&sql, values, claim_row).await
    }

    /// A page of the review queue: the claims waiting for a person in the scope's regions,
    /// by due date then id, after the cursor `(due_on, id)`; one query, on the partial index of
    /// queued claims.
    pub async fn queue_page(
        &self,
        regions: &[String],
        queue: Option<QueueKind>,
        due_before: Option<Date>,
        after: Option<(String, String)>,
        limit: u64,
    ) -> Result<Vec<QueueRow>, DbErr> {
        if regions.is_empty() {
            return Ok(Vec::new());
        }
        let cols: String = CLAIM_COLS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = format!(
            "SELECT {cols}, d.outcome AS outcome FROM claims c LEFT JOIN decisions d ON d.id = c.decision_id \
             WHERE c.queue IS NOT NULL"
        );
        let mut values: Vec<Value> = Vec::new();
        push_in(&mut sql, &mut values, "c.region", regions);
        if let Some(q) = queue {
            sql.push_str(" AND c.queue = ?");
            values.push(q.as_str().into());
        }
        if let Some(d) = due_before {
            sql.push_str(" AND c.due_on < ?");
            values.push(d.to_string().into());
        }
        if let Some((due, id)) = after {
            sql.push_str(" AND (c.due_on > ? OR (c.due_on = ? AND c.id > ?))");
            values.push(due.clone().into());
            values.push(due.into());
            values.push(id.into());
        }
        sql.push_str(&format!(" ORDER BY c.due_on, c.id LIMIT {limit}"));
        self.all(&sql, values, |r| {
            Ok(QueueRow {
                claim: claim_row(r)?,
                outcome: os(r, "outcome")?,
            })
        })
        .await
    }

    /// How many queued claims of the regions (in one queue) are due before a date.
    pub async fn queue_count(
        &self,
        regions: &[String],
        queue: Option<QueueKind>,
        due_before: Option<Date>,
    ) -> Result<i64, DbErr> {
        if regions.is_empty() {
            return Ok(0);
        }
        let mut sql =
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM claims WHERE queue IS NOT NULL".to_string();
        let mut values: Vec<Value> = Vec::new();
        push_in(&mut sql, &mut values, "region", regions);
        if let Some(q) = queue {
            sql.push_str(" AND queue = ?");
            values.push(q.as_str().into());
        }
        if let Some(d) = due_before {
            sql.push_str(" AND due_on < ?");
            values.push(d.to_string().into());
        }
        Ok(self.one(&sql, values, |r| i(r, "n")).await?.unwrap_or(0))
    }

    /// Claims due for another decision attempt (engine errors whose time has come).
    pub async fn claims_due(&self, now: i64, limit: u64) -> Result<Vec<ClaimRow>, DbErr> {
        self.all(
            &format!(
                "SELECT {CLAIM_COLS} FROM claims WHERE status = 'engine_error' AND next_attempt_at <= ? \
                 ORDER BY next_attempt_at LIMIT {limit}"
            ),
            vec![now.into()],
            claim_row,
        )
        .await
    }

    /// Claims stored without a policy in force, in id order after `after`.
    pub async fn claims_without_policy(
        &self,
        after: &str,
        limit: u64,
    ) -> Result<Vec<ClaimRow>, DbErr> {
        self.all(
            &format!(
                "SELECT {CLAIM_COLS} FROM claims WHERE status = 'no_policy_in_force' AND id > ? \
                 ORDER BY id LIMIT {limit}"
            ),
            vec![after.into()],
            claim_row,
        )
        .await
    }

    /// Up to `limit` claims in one of `statuses` that still hold personal data, as `(id,
    /// updated_at)`, least recently changed first (the retention pass).
    pub async fn holding_personal_data(
        &self,
        statuses: &[&str],
        limit: i64,
    ) -> Result<Vec<(String, String)>, DbErr> {
        let marks = vec!["?"; statuses.len()].join(", ");
        let mut values: Vec<Value> = statuses.iter().map(|s| (*s).into()).collect();
        values.push(limit.into());
        self.all(
            &format!(
                "SELECT id, updated_at FROM claims WHERE status IN ({marks}) \
                 AND worker_sealed <> '' ORDER BY updated_at LIMIT ?"
            ),
            values,
            |r| Ok((s(r, "id")?, s(r, "updated_at")?)),
        )
        .await
    }

    /// Erases a claim's personal data (its sealed worker and lookup hash) while it is in one of
    /// `statuses` and unchanged since `updated_at`: a claim reopened meanwhile is left.
    pub fn erase_personal_data_stmt(
        &self,
        id: &str,
        updated_at: &str,
        statuses: &[&str],
    ) -> Statement {
        let marks = vec!["?"; statuses.len()].join(", ");
        let mut values: Vec<Value> = vec![id.into(), updated_at.into()];
        values.extend(statuses.iter().map(|s| Value::from(*s)));
        self.stmt(
            &format!(
                "UPDATE claims SET worker_sealed = '', worker_hash = '', version = version + 1 \
                 WHERE id = ? AND updated_at = ? AND status IN ({marks}) AND worker_sealed <> '' \
                 RETURNING id"
            ),
            values,
        )
    }

    /// The sealed personal data of a claim.
    pub async fn worker_sealed(&self, id: &str) -> Result<Option<String>, DbErr> {
        self.one(
            "SELECT worker_sealed FROM claims WHERE id = ?",
            vec![id.into()],
            |r| s(r, "worker_sealed"),
        )
        .await
    }
}

/// Appends a scope's conditions on `{table}platform` and `{table}region`; false when the scope
/// sees nothing at all.
pub(crate) fn push_scope(
    scope: &Scope,
    table: &str,
    sql: &mut String,
    values: &mut Vec<Value>,
) -> bool {
    if let Some(p) = &scope.platform {
        sql.push_str(&format!(" AND {table}platform = ?"));
        values.push(p.clone().into());
    }
    if let Some(rs) = &scope.regions {
        if rs.is_empty() {
            return false;
        }
        push_in(sql, values, &format!("{table}region"), rs);
    }
    true
}
