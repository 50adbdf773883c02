//! The queries, one function each, returning plain row structs (DB types stay inside `db/`).

use super::Db;
use super::writer::{Guard, Row, Table};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement, Value};
use std::sync::LazyLock;

/// A stored claim.
#[derive(Clone, Debug)]
pub struct ClaimRow {
    /// Id.
    pub id: String,
    /// Submitting platform.
    pub platform: String,
    /// The platform's reference.
    pub platform_claim_ref: String,
    /// The idempotency key.
    pub idempotency_key: String,
    /// SHA-256 of the canonical request body.
    pub request_sha256: String,
    /// Region.
    pub region: String,
    /// Status.
    pub status: String,
    /// Incident instant (epoch seconds).
    pub incident_at: i64,
    /// Canonical facts (JSON).
    pub facts: String,
    /// Order id, location, description (JSON).
    pub narrative: String,
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
    /// Created.
    pub created_at: String,
    /// Updated.
    pub updated_at: String,
    /// Review workflow state (JSON), see `workflow::Workflow`.
    pub workflow: Option<String>,
}

/// A stored decision (append-only).
#[derive(Clone, Debug)]
pub struct DecisionRow {
    /// Id.
    pub id: String,
    /// Its claim.
    pub claim_id: String,
    /// `automatic`, `supplement`, `retry`, `redecide`, `replay`...
    pub kind: String,
    /// Outcome code.
    pub outcome: String,
    /// The decision (JSON).
    pub body: String,
    /// Provenance (JSON).
    pub provenance: String,
    /// Module digest.
    pub policy_sha256: String,
    /// Canonical facts (JSON) it was made on.
    pub facts: String,
    /// The decision it replaces.
    pub replaces: Option<String>,
    /// Created.
    pub created_at: String,
}

/// An audit entry.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditRow {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which claim.
    pub claim_id: Option<String>,
    /// Before (JSON).
    pub before: Option<String>,
    /// After (JSON).
    pub after: Option<String>,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// A stored policy version.
#[derive(Clone, Debug, Default)]
pub struct PolicyRow {
    /// Digest.
    pub sha256: String,
    /// Region.
    pub region: String,
    /// Policy id.
    pub policy_id: String,
    /// Version.
    pub version: String,
    /// Window start.
    pub effective_from: String,
    /// Window end.
    pub effective_to: Option<String>,
    /// Manifest (JSON).
    pub manifest: String,
    /// `uploaded`, `approved`, `scheduled`, `active`, `rolled_back`.
    pub status: String,
    /// Activation order (0 until activated).
    pub sequence: i64,
    /// `builtin`, `config`, `upload`.
    pub source: String,
    /// Created.
    pub created_at: String,
    /// The token that uploaded it.
    pub uploaded_by: Option<String>,
    /// The signing key that signed it.
    pub signed_by: Option<String>,
    /// The token that approved it.
    pub approved_by: Option<String>,
    /// When it was approved.
    pub approved_at: Option<String>,
    /// Scheduled activation (epoch seconds).
    pub activate_at: Option<i64>,
    /// When it was activated.
    pub activated_at: Option<String>,
    /// The upload's validation report (JSON).
    pub validation: Option<String>,
}

/// A stored token (its hash only).
#[derive(Clone, Debug)]
pub struct TokenRow {
    /// Id.
    pub id: String,
    /// Role.
    pub role: String,
    /// Platform.
    pub platform: Option<String>,
    /// Regions (JSON list).
    pub regions: String,
    /// Revoked when.
    pub revoked_at: Option<String>,
}

/// Appends ` AND column IN (?, ...)` and its values.
pub(super) fn push_in<T: AsRef<str>>(
    sql: &mut String,
    values: &mut Vec<Value>,
    column: &str,
    items: &[T],
) {
    sql.push_str(&format!(
        " AND {column} IN ({})",
        vec!["?"; items.len()].join(", ")
    ));
    values.extend(items.iter().map(|i| Value::from(i.as_ref().to_string())));
}

pub(super) fn s(r: &QueryResult, c: &str) -> Result<String, DbErr> {
    r.try_get("", c)
}
pub(super) fn os(r: &QueryResult, c: &str) -> Result<Option<String>, DbErr> {
    r.try_get("", c)
}
pub(super) fn i(r: &QueryResult, c: &str) -> Result<i64, DbErr> {
    r.try_get("", c)
}

const CLAIM_COLS: &str = "id, platform, platform_claim_ref, idempotency_key, request_sha256, region, status, \
    incident_at, facts, narrative, worker_masked, possible_duplicate_of, decision_id, last_error, attempts, \
    created_at, updated_at, workflow";

fn claim_row(r: &QueryResult) -> Result<ClaimRow, DbErr> {
    Ok(ClaimRow {
        id: s(r, "id")?,
        platform: s(r, "platform")?,
        platform_claim_ref: s(r, "platform_claim_ref")?,
        idempotency_key: s(r, "idempotency_key")?,
        request_sha256: s(r, "request_sha256")?,
        region: s(r, "region")?,
        status: s(r, "status")?,
        incident_at: i(r, "incident_at")?,
        facts: s(r, "facts")?,
        narrative: s(r, "narrative")?,
        worker_masked: s(r, "worker_masked")?,
        possible_duplicate_of: os(r, "possible_duplicate_of")?,
        decision_id: os(r, "decision_id")?,
        last_error: os(r, "last_error")?,
        attempts: r
            .try_get::<i32>("", "attempts")
            .map(i64::from)
            .or_else(|_| i(r, "attempts"))?,
        created_at: s(r, "created_at")?,
        updated_at: s(r, "updated_at")?,
        workflow: os(r, "workflow")?,
    })
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
        provenance: s(r, "provenance")?,
        policy_sha256: s(r, "policy_sha256")?,
        facts: s(r, "facts")?,
        replaces: os(r, "replaces")?,
        created_at: s(r, "created_at")?,
    })
}

pub(super) const POLICY_COLS: &str = "sha256, region, policy_id, version, effective_from, effective_to, manifest, status, \
    sequence, source, created_at, uploaded_by, signed_by, approved_by, approved_at, activate_at, activated_at, \
    validation";

pub(super) fn policy_row(r: &QueryResult) -> Result<PolicyRow, DbErr> {
    Ok(PolicyRow {
        sha256: s(r, "sha256")?,
        region: s(r, "region")?,
        policy_id: s(r, "policy_id")?,
        version: s(r, "version")?,
        effective_from: s(r, "effective_from")?,
        effective_to: os(r, "effective_to")?,
        manifest: s(r, "manifest")?,
        status: s(r, "status")?,
        sequence: i(r, "sequence")?,
        source: s(r, "source")?,
        created_at: s(r, "created_at")?,
        uploaded_by: os(r, "uploaded_by")?,
        signed_by: os(r, "signed_by")?,
        approved_by: os(r, "approved_by")?,
        approved_at: os(r, "approved_at")?,
        activate_at: r.try_get("", "activate_at")?,
        activated_at: os(r, "activated_at")?,
        validation: os(r, "validation")?,
    })
}

impl Db {
    pub(super) async fn one<T>(
        &self,
        sql: &str,
        values: Vec<Value>,
        f: fn(&QueryResult) -> Result<T, DbErr>,
    ) -> Result<Option<T>, DbErr> {
        self.conn
            .query_one_raw(self.stmt(sql, values))
            .await?
            .as_ref()
            .map(f)
            .transpose()
    }

    pub(super) async fn all<T>(
        &self,
        sql: &str,
        values: Vec<Value>,
        f: fn(&QueryResult) -> Result<T, DbErr>,
    ) -> Result<Vec<T>, DbErr> {
        self.conn
            .query_all_raw(self.stmt(sql, values))
            .await?
            .iter()
            .map(f)
            .collect()
    }

    /// Runs one statement now (outside the group-commit writer).
    pub async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
        Ok(self
            .conn
            .execute_raw(self.stmt(sql, values))
            .await?
            .rows_affected())
    }

    // --- claims -----------------------------------------------------------------------

    /// The guard inserting a claim (nothing on conflict; returns the id if inserted). It also
    /// finds the possible duplicate (another claim of the same worker for the same incident time
    /// in the region, the earliest) inside the writer's transaction, which sees the claims of
    /// the same batch too (the writer never puts two rows with the same worker, incident time
    /// and region in one statement), and returns it as `possible_duplicate_of`.
    pub fn claim_guard(
        &self,
        c: &ClaimRow,
        worker_sealed: &str,
        worker_hash: &str,
        next_attempt_at: Option<i64>,
    ) -> Guard {
        static CLAIMS: LazyLock<Table> = LazyLock::new(|| {
            Table {
            head: format!(
                "INSERT INTO claims ({CLAIM_COLS}, worker_sealed, worker_hash, next_attempt_at) VALUES "
            )
            .into(),
            row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
                 (SELECT d.id FROM claims d WHERE d.worker_hash = ? AND d.incident_at = ? AND d.region = ? \
                  ORDER BY d.id LIMIT 1), \
                 ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
                    c.status.clone().into(),
                    c.incident_at.into(),
                    c.facts.clone().into(),
                    c.narrative.clone().into(),
                    c.worker_masked.clone().into(),
                    worker_hash.to_string().into(),
                    c.incident_at.into(),
                    c.region.clone().into(),
                    c.decision_id.clone().into(),
                    c.last_error.clone().into(),
                    (c.attempts as i32).into(),
                    c.created_at.clone().into(),
                    c.updated_at.clone().into(),
                    c.workflow.clone().into(),
                    worker_sealed.to_string().into(),
                    worker_hash.to_string().into(),
                    next_attempt_at.into(),
                ],
            },
        }
    }

    /// The row of a decision.
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
                d.provenance.clone().into(),
                d.policy_sha256.clone().into(),
                d.facts.clone().into(),
                d.replaces.clone().into(),
                d.created_at.clone().into(),
            ],
        }
    }

    /// The statement inserting a decision.
    pub fn insert_decision_stmt(&self, d: &DecisionRow) -> Statement {
        self.decision_insert(d).statement(self)
    }

    /// The statement moving a claim to a new state after a decision attempt.
    #[allow(clippy::too_many_arguments)]
    pub fn update_claim_stmt(
        &self,
        id: &str,
        status: &str,
        facts: &str,
        decision_id: Option<&str>,
        last_error: Option<&str>,
        attempts: i64,
        next_attempt_at: Option<i64>,
        now: &str,
    ) -> Statement {
        self.stmt(
            "UPDATE claims SET status = ?, facts = ?, decision_id = COALESCE(?, decision_id), last_error = ?, \
             attempts = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
            vec![
                status.to_string().into(),
                facts.to_string().into(),
                decision_id.map(str::to_string).into(),
                last_error.map(str::to_string).into(),
                (attempts as i32).into(),
                next_attempt_at.into(),
                now.to_string().into(),
                id.to_string().into(),
            ],
        )
    }

    /// Moves a claim from `from` to `status` with its workflow state; returns a row only if
    /// the claim was still in `from` (the guard of a review job).
    pub fn transition_stmt(
        &self,
        id: &str,
        from: &str,
        status: &str,
        workflow: &str,
        now: &str,
    ) -> Statement {
        self.stmt(
            "UPDATE claims SET status = ?, workflow = ?, updated_at = ? WHERE id = ? AND status = ? RETURNING id",
            vec![status.into(), workflow.into(), now.into(), id.into(), from.into()],
        )
    }

    /// The statement recording a review action.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_review_stmt(
        &self,
        id: &str,
        claim_id: &str,
        actor: &str,
        action: &str,
        reason_code: Option<&str>,
        note: Option<&str>,
        benefits: Option<String>,
        documents: Option<String>,
        before: &str,
        after: &str,
        now: &str,
    ) -> Statement {
        self.stmt(
            "INSERT INTO reviews (id, claim_id, actor, action, reason_code, note, benefits, documents, status_before, \
             status_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                id.into(),
                claim_id.into(),
                actor.into(),
                action.into(),
                reason_code.map(str::to_string).into(),
                note.map(str::to_string).into(),
                benefits.into(),
                documents.into(),
                before.into(),
                after.into(),
                now.into(),
            ],
        )
    }

    /// A claim's reviews, oldest first.
    pub async fn reviews_of(&self, claim_id: &str) -> Result<Vec<serde_json::Value>, DbErr> {
        self.all(
            "SELECT id, actor, action, reason_code, note, benefits, documents, status_before, status_after, created_at \
             FROM reviews WHERE claim_id = ? ORDER BY id",
            vec![claim_id.into()],
            |r| {
                let benefits: Option<String> = r.try_get("", "benefits")?;
                let documents: Option<String> = r.try_get("", "documents")?;
                Ok(serde_json::json!({
                    "id": s(r, "id")?,
                    "actor": s(r, "actor")?,
                    "action": s(r, "action")?,
                    "reason_code": os(r, "reason_code")?,
                    "note": os(r, "note")?,
                    "benefits": benefits.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()),
                    "documents": documents.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()),
                    "status_before": s(r, "status_before")?,
                    "status_after": s(r, "status_after")?,
                    "created_at": s(r, "created_at")?,
                }))
            },
        )
        .await
    }

    /// Claims of some statuses in some regions (None = all regions).
    pub async fn claims_in(
        &self,
        regions: Option<&[String]>,
        statuses: &[&str],
        limit: u64,
    ) -> Result<Vec<ClaimRow>, DbErr> {
        let mut sql = format!("SELECT {CLAIM_COLS} FROM claims WHERE 1 = 1");
        let mut values: Vec<Value> = Vec::new();
        push_in(&mut sql, &mut values, "status", statuses);
        if let Some(rs) = regions {
            if rs.is_empty() {
                return Ok(Vec::new());
            }
            push_in(&mut sql, &mut values, "region", rs);
        }
        sql.push_str(&format!(" ORDER BY id LIMIT {limit}"));
        self.all(&sql, values, claim_row).await
    }

    /// Audit entries (of a claim, or all), in chain order, after a sequence number.
    pub async fn audit(
        &self,
        claim: Option<&str>,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AuditRow>, DbErr> {
        let (cond, mut values): (&str, Vec<Value>) = match claim {
            Some(c) => (" AND claim_id = ?", vec![c.into()]),
            None => ("", vec![]),
        };
        values.insert(0, after.into());
        self.all(
            &format!(
                "SELECT seq, at, actor, action, claim_id, before, after, prev_hash, hash FROM audit WHERE seq > ?{cond} \
                 ORDER BY seq LIMIT {limit}"
            ),
            values,
            |r| {
                Ok(AuditRow {
                    seq: i(r, "seq")?,
                    at: s(r, "at")?,
                    actor: s(r, "actor")?,
                    action: s(r, "action")?,
                    claim_id: os(r, "claim_id")?,
                    before: os(r, "before")?,
                    after: os(r, "after")?,
                    prev_hash: s(r, "prev_hash")?,
                    hash: s(r, "hash")?,
                })
            },
        )
        .await
    }

    /// The last audit sequence number the chain head records.
    pub async fn chain_head_seq(&self) -> Result<i64, DbErr> {
        let row = self
            .conn
            .query_one_raw(self.stmt("SELECT audit_seq FROM chain_head WHERE id = 1", vec![]))
            .await?;
        Ok(row.map(|r| i(&r, "audit_seq")).transpose()?.unwrap_or(0))
    }

    /// Sets a platform's webhook (delivery restarts after the events already delivered).
    pub async fn upsert_webhook(
        &self,
        platform: &str,
        url: &str,
        secret_sealed: &str,
        now: &str,
    ) -> Result<(), DbErr> {
        self.exec(
            "INSERT INTO webhooks (platform, url, secret_sealed, delivered_seq, failures, next_attempt_at, updated_at) \
             VALUES (?, ?, ?, 0, 0, 0, ?) ON CONFLICT (platform) DO UPDATE SET url = excluded.url, \
             secret_sealed = excluded.secret_sealed, failures = 0, next_attempt_at = 0, updated_at = excluded.updated_at",
            vec![platform.into(), url.into(), secret_sealed.into(), now.into()],
        )
        .await
        .map(|_| ())
    }

    /// Webhooks due for a delivery attempt: (platform, url, sealed secret, delivered_seq, failures).
    pub async fn webhooks_due(
        &self,
        now: i64,
    ) -> Result<Vec<(String, String, String, i64, i64)>, DbErr> {
        self.all(
            "SELECT platform, url, secret_sealed, delivered_seq, failures FROM webhooks WHERE next_attempt_at <= ?",
            vec![now.into()],
            |r| {
                let failures = r.try_get::<i32>("", "failures").map(i64::from).or_else(|_| i(r, "failures"))?;
                Ok((s(r, "platform")?, s(r, "url")?, s(r, "secret_sealed")?, i(r, "delivered_seq")?, failures))
            },
        )
        .await
    }

    /// Records a delivery attempt's outcome.
    pub async fn webhook_attempted(
        &self,
        platform: &str,
        delivered_seq: i64,
        failures: i64,
        next_attempt_at: i64,
        error: Option<&str>,
    ) -> Result<(), DbErr> {
        self.exec(
            "UPDATE webhooks SET delivered_seq = ?, failures = ?, next_attempt_at = ?, last_error = ? WHERE platform = ?",
            vec![delivered_seq.into(), (failures as i32).into(), next_attempt_at.into(), error.map(str::to_string).into(), platform.into()],
        )
        .await
        .map(|_| ())
    }

    /// A platform's events after a sequence number.
    pub async fn events(
        &self,
        platform: &str,
        after: i64,
        limit: u64,
    ) -> Result<Vec<serde_json::Value>, DbErr> {
        self.all(
            &format!("SELECT seq, claim_id, kind, payload, at FROM events WHERE platform = ? AND seq > ? ORDER BY seq LIMIT {limit}"),
            vec![platform.into(), after.into()],
            |r| {
                let payload: String = s(r, "payload")?;
                Ok(serde_json::json!({
                    "seq": i(r, "seq")?,
                    "claim_id": s(r, "claim_id")?,
                    "kind": s(r, "kind")?,
                    "payload": serde_json::from_str::<serde_json::Value>(&payload).unwrap_or_default(),
                    "at": s(r, "at")?,
                }))
            },
        )
        .await
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

    /// Claims visible to a scope, newest first, after a cursor.
    pub async fn claims(
        &self,
        platform: Option<&str>,
        regions: Option<&[String]>,
        status: Option<&str>,
        region: Option<&str>,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<ClaimRow>, DbErr> {
        let mut sql = format!("SELECT {CLAIM_COLS} FROM claims WHERE 1 = 1");
        let mut values: Vec<Value> = Vec::new();
        if let Some(p) = platform {
            sql.push_str(" AND platform = ?");
            values.push(p.into());
        }
        if let Some(rs) = regions {
            if rs.is_empty() {
                return Ok(Vec::new());
            }
            push_in(&mut sql, &mut values, "region", rs);
        }
        if let Some(st) = status {
            sql.push_str(" AND status = ?");
            values.push(st.into());
        }
        if let Some(r) = region {
            sql.push_str(" AND region = ?");
            values.push(r.into());
        }
        if let Some(c) = before {
            sql.push_str(" AND id < ?");
            values.push(c.into());
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
        self.all(&sql, values, claim_row).await
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

    /// Claims stored without a policy in force, oldest first.
    pub async fn claims_without_policy(&self, limit: u64) -> Result<Vec<ClaimRow>, DbErr> {
        self.all(
            &format!("SELECT {CLAIM_COLS} FROM claims WHERE status = 'no_policy_in_force' ORDER BY id LIMIT {limit}"),
            vec![],
            claim_row,
        )
        .await
    }

    /// The sealed personal data of a claim.
    pub async fn worker_sealed(&self, id: &str) -> Result<Option<String>, DbErr> {
        let row = self
            .conn
            .query_one_raw(self.stmt(
                "SELECT worker_sealed FROM claims WHERE id = ?",
                vec![id.into()],
            ))
            .await?;
        row.map(|r| s(&r, "worker_sealed")).transpose()
    }

    // --- decisions --------------------------------------------------------------------

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

    // --- policies ---------------------------------------------------------------------

    /// Stores a policy version (nothing if its digest is already stored).
    pub async fn insert_policy(&self, p: &PolicyRow, bytes: &[u8]) -> Result<bool, DbErr> {
        Ok(self
            .conn
            .execute_raw(self.insert_policy_stmt(p, bytes))
            .await?
            .rows_affected()
            > 0)
    }

    /// The statement storing a policy version; returns its digest when it inserted.
    pub fn insert_policy_stmt(&self, p: &PolicyRow, bytes: &[u8]) -> Statement {
        self.stmt(
            &format!(
                "INSERT INTO policies ({POLICY_COLS}, bytes) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING \
                 RETURNING sha256"
            ),
            vec![
                p.sha256.clone().into(),
                p.region.clone().into(),
                p.policy_id.clone().into(),
                p.version.clone().into(),
                p.effective_from.clone().into(),
                p.effective_to.clone().into(),
                p.manifest.clone().into(),
                p.status.clone().into(),
                p.sequence.into(),
                p.source.clone().into(),
                p.created_at.clone().into(),
                p.uploaded_by.clone().into(),
                p.signed_by.clone().into(),
                p.approved_by.clone().into(),
                p.approved_at.clone().into(),
                p.activate_at.into(),
                p.activated_at.clone().into(),
                p.validation.clone().into(),
                bytes.to_vec().into(),
            ],
        )
    }

    /// Every policy version, or a region's.
    pub async fn policies(&self, region: Option<&str>) -> Result<Vec<PolicyRow>, DbErr> {
        match region {
            Some(r) => {
                self.all(
                    &format!(
                        "SELECT {POLICY_COLS} FROM policies WHERE region = ? ORDER BY sequence"
                    ),
                    vec![r.into()],
                    policy_row,
                )
                .await
            }
            None => {
                self.all(
                    &format!("SELECT {POLICY_COLS} FROM policies ORDER BY region, sequence"),
                    vec![],
                    policy_row,
                )
                .await
            }
        }
    }

    /// The bytes of a policy version.
    pub async fn policy_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>, DbErr> {
        let row = self
            .conn
            .query_one_raw(self.stmt(
                "SELECT bytes FROM policies WHERE sha256 = ?",
                vec![sha256.into()],
            ))
            .await?;
        row.map(|r| r.try_get::<Vec<u8>>("", "bytes")).transpose()
    }

    /// A fingerprint of the policy table: changes whenever a version is added or (de)activated.
    pub async fn policy_fingerprint(&self) -> Result<String, DbErr> {
        let row = self
            .conn
            .query_one_raw(self.stmt(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n, COALESCE(MAX(sequence), 0) AS m, \
                 CAST(COALESCE(SUM(CASE WHEN status = 'active' THEN sequence ELSE 0 END), 0) AS BIGINT) AS a, \
                 CAST(COALESCE(SUM(CASE WHEN status IN ('approved', 'scheduled') THEN 1 ELSE 0 END), 0) AS BIGINT) AS w \
                 FROM policies",
                vec![],
            ))
            .await?;
        Ok(match row {
            Some(r) => format!(
                "{}-{}-{}-{}",
                i(&r, "n")?,
                i(&r, "m")?,
                i(&r, "a")?,
                i(&r, "w")?
            ),
            None => String::new(),
        })
    }

    // --- tokens -----------------------------------------------------------------------

    /// Stores a token's hash.
    pub async fn insert_token(
        &self,
        id: &str,
        hash: &str,
        role: &str,
        platform: Option<&str>,
        regions: &str,
        now: &str,
    ) -> Result<(), DbErr> {
        self.exec(
            "INSERT INTO tokens (id, token_hash, role, platform, regions, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            vec![id.into(), hash.into(), role.into(), platform.map(str::to_string).into(), regions.into(), now.into()],
        )
        .await
        .map(|_| ())
    }

    /// A token by its hash.
    pub async fn token(&self, hash: &str) -> Result<Option<TokenRow>, DbErr> {
        self.one(
            "SELECT id, role, platform, regions, revoked_at FROM tokens WHERE token_hash = ?",
            vec![hash.into()],
            |r| {
                Ok(TokenRow {
                    id: s(r, "id")?,
                    role: s(r, "role")?,
                    platform: os(r, "platform")?,
                    regions: s(r, "regions")?,
                    revoked_at: os(r, "revoked_at")?,
                })
            },
        )
        .await
    }

    /// Whether an admin token exists.
    pub async fn has_admin(&self) -> Result<bool, DbErr> {
        let row = self
            .conn
            .query_one_raw(self.stmt("SELECT id FROM tokens WHERE role = 'admin' LIMIT 1", vec![]))
            .await?;
        Ok(row.is_some())
    }

    /// Revokes a token by id.
    pub async fn revoke_token(&self, id: &str, now: &str) -> Result<bool, DbErr> {
        Ok(self
            .exec(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                vec![now.into(), id.into()],
            )
            .await?
            > 0)
    }
}
