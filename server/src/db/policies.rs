//! The `policies` table: every stored policy version, content-addressed by the SHA-256 of its
//! component bytes, with its lifecycle status and who moved it.
//!
//! Every transition is one conditional `UPDATE .. WHERE status IN (..) RETURNING sha256`, the
//! statuses being those [`PolicyStatus::from_for`] allows the step from; run as the guard of a
//! writer job, a transition that another request (or instance) made first writes nothing.

use super::{Db, i, json, named, ojson, os, push_in, s, to_json};
use crate::domain::{PolicySource, PolicyStatus, PolicyStep};
use oip_engine::types::PolicyManifest;
use sea_orm::{DbErr, QueryResult, Statement, Value};

/// What the upload checks found, kept with the version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Validation {
    /// Cases uploaded with the module.
    pub cases: u64,
    /// Cases that passed on it.
    pub passed: u64,
    /// SHA-256 of the file as uploaded.
    pub file_sha256: String,
    /// Size of the component stored.
    pub file_bytes: u64,
    /// The signing key that signed it.
    pub signed_by: String,
    /// The release number its signed statement carries (absent for versions uploaded before
    /// release statements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<u64>,
}

/// A stored policy version.
#[derive(Clone, Debug, PartialEq)]
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
    /// What the module says about itself.
    pub manifest: PolicyManifest,
    /// Lifecycle status.
    pub status: PolicyStatus,
    /// Activation order (0 until activated).
    pub sequence: i64,
    /// Where it came from.
    pub source: PolicySource,
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
    /// The upload's checks.
    pub validation: Option<Validation>,
    /// When the key that signed it was revoked (read with the row, never stored with it).
    pub signing_key_revoked_at: Option<String>,
}

impl PolicyRow {
    /// A version deployed directly (built in, or configured): active at once.
    pub fn deployed(
        manifest: PolicyManifest,
        sha256: &str,
        source: PolicySource,
        sequence: i64,
        now: &str,
    ) -> PolicyRow {
        PolicyRow {
            sha256: sha256.to_string(),
            region: manifest.region.clone(),
            policy_id: manifest.policy_id.clone(),
            version: manifest.version.clone(),
            effective_from: manifest.effective_from.to_string(),
            effective_to: manifest.effective_to.map(|d| d.to_string()),
            manifest,
            status: PolicyStatus::Active,
            sequence,
            source,
            created_at: now.to_string(),
            uploaded_by: None,
            signed_by: None,
            approved_by: None,
            approved_at: None,
            activate_at: None,
            activated_at: Some(now.to_string()),
            validation: None,
            signing_key_revoked_at: None,
        }
    }
}

/// The stored columns of a version, in the order of [`Db::insert_policy_stmt`]'s values.
macro_rules! policy_cols {
    () => {
        "sha256, region, policy_id, version, effective_from, effective_to, manifest, status, \
         sequence, source, created_at, uploaded_by, signed_by, approved_by, approved_at, activate_at, \
         activated_at, validation"
    };
}

const POLICY_COLS: &str = policy_cols!();

/// [`POLICY_COLS`] as read: with the revocation of the key that signed the version.
const POLICY_SELECT: &str = concat!(
    policy_cols!(),
    ", (SELECT k.revoked_at FROM signing_keys k WHERE k.id = policies.signed_by) AS signing_key_revoked_at"
);

/// ` AND` the version's signing key (if it has one) is not revoked: the guard of approval and
/// activation, so that a revocation racing either step wins.
const KEY_LIVE: &str = " AND NOT EXISTS (SELECT 1 FROM signing_keys k WHERE k.id = policies.signed_by \
    AND k.revoked_at IS NOT NULL)";

fn policy_row(r: &QueryResult) -> Result<PolicyRow, DbErr> {
    Ok(PolicyRow {
        sha256: s(r, "sha256")?,
        region: s(r, "region")?,
        policy_id: s(r, "policy_id")?,
        version: s(r, "version")?,
        effective_from: s(r, "effective_from")?,
        effective_to: os(r, "effective_to")?,
        manifest: json(r, "manifest")?,
        status: named(r, "status")?,
        sequence: i(r, "sequence")?,
        source: named(r, "source")?,
        created_at: s(r, "created_at")?,
        uploaded_by: os(r, "uploaded_by")?,
        signed_by: os(r, "signed_by")?,
        approved_by: os(r, "approved_by")?,
        approved_at: os(r, "approved_at")?,
        activate_at: r.try_get("", "activate_at")?,
        activated_at: os(r, "activated_at")?,
        validation: ojson(r, "validation")?,
        signing_key_revoked_at: os(r, "signing_key_revoked_at")?,
    })
}

/// ` AND status IN (..)`: the statuses a step may start from.
fn from_statuses(step: PolicyStep, sql: &mut String, values: &mut Vec<Value>) {
    let from: Vec<&str> = PolicyStatus::from_for(step)
        .into_iter()
        .map(PolicyStatus::as_str)
        .collect();
    push_in(sql, values, "status", &from);
}

impl Db {
    /// Stores a policy version (nothing if its digest is already stored).
    pub async fn insert_policy(&self, p: &PolicyRow, bytes: &[u8]) -> Result<bool, DbErr> {
        Ok(
            sea_orm::ConnectionTrait::execute_raw(&self.conn, self.insert_policy_stmt(p, bytes))
                .await?
                .rows_affected()
                > 0,
        )
    }

    /// The statement storing a policy version; returns its digest when it inserted.
    pub fn insert_policy_stmt(&self, p: &PolicyRow, bytes: &[u8]) -> Statement {
        self.stmt(
            &format!(
                "INSERT INTO policies ({POLICY_COLS}, bytes, release) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING \
                 RETURNING sha256"
            ),
            vec![
                p.sha256.clone().into(),
                p.region.clone().into(),
                p.policy_id.clone().into(),
                p.version.clone().into(),
                p.effective_from.clone().into(),
                p.effective_to.clone().into(),
                to_json(&p.manifest).into(),
                p.status.as_str().into(),
                p.sequence.into(),
                p.source.as_str().into(),
                p.created_at.clone().into(),
                p.uploaded_by.clone().into(),
                p.signed_by.clone().into(),
                p.approved_by.clone().into(),
                p.approved_at.clone().into(),
                p.activate_at.into(),
                p.activated_at.clone().into(),
                p.validation.as_ref().map(to_json).into(),
                bytes.to_vec().into(),
                p.validation
                    .as_ref()
                    .and_then(|v| v.release)
                    .and_then(|r| i64::try_from(r).ok())
                    .into(),
            ],
        )
    }

    /// A policy version by digest.
    pub async fn policy(&self, sha256: &str) -> Result<Option<PolicyRow>, DbErr> {
        self.one(
            &format!("SELECT {POLICY_SELECT} FROM policies WHERE sha256 = ?"),
            vec![sha256.into()],
            policy_row,
        )
        .await
    }

    /// Every policy version, or a region's, in activation order.
    pub async fn policies(&self, region: Option<&str>) -> Result<Vec<PolicyRow>, DbErr> {
        match region {
            Some(r) => {
                self.all(
                    &format!(
                        "SELECT {POLICY_SELECT} FROM policies WHERE region = ? ORDER BY sequence"
                    ),
                    vec![r.into()],
                    policy_row,
                )
                .await
            }
            None => {
                self.all(
                    &format!("SELECT {POLICY_SELECT} FROM policies ORDER BY region, sequence"),
                    vec![],
                    policy_row,
                )
                .await
            }
        }
    }

    /// The bytes of a policy version.
    pub async fn policy_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>, DbErr> {
        self.one(
            "SELECT bytes FROM policies WHERE sha256 = ?",
            vec![sha256.into()],
            |r| r.try_get::<Vec<u8>>("", "bytes"),
        )
        .await
    }

    /// The highest activation sequence number so far (0 when none).
    pub async fn max_sequence(&self) -> Result<i64, DbErr> {
        Ok(self
            .one(
                "SELECT CAST(COALESCE(MAX(sequence), 0) AS BIGINT) AS m FROM policies",
                vec![],
                |r| i(r, "m"),
            )
            .await?
            .unwrap_or(0))
    }

    /// A fingerprint of the policy table: changes whenever a version is added or (de)activated.
    pub async fn policy_fingerprint(&self) -> Result<String, DbErr> {
        let fp = self
            .one(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n, COALESCE(MAX(sequence), 0) AS m, \
                 CAST(COALESCE(SUM(CASE WHEN status = 'active' THEN sequence ELSE 0 END), 0) AS BIGINT) AS a, \
                 CAST(COALESCE(SUM(CASE WHEN status IN ('approved', 'scheduled') THEN 1 ELSE 0 END), 0) AS BIGINT) AS w \
                 FROM policies",
                vec![],
                |r| Ok(format!("{}-{}-{}-{}", i(r, "n")?, i(r, "m")?, i(r, "a")?, i(r, "w")?)),
            )
            .await?;
        Ok(fp.unwrap_or_default())
    }

    /// `uploaded → approved`, by `by`.
    pub fn approve_stmt(&self, sha256: &str, by: &str, at: &str) -> Statement {
        let mut sql = "UPDATE policies SET status = 'approved', approved_by = ?, approved_at = ? WHERE sha256 = ?".to_string();
        let mut values: Vec<Value> = vec![by.into(), at.into(), sha256.into()];
        from_statuses(PolicyStep::Approve, &mut sql, &mut values);
        sql.push_str(KEY_LIVE);
        sql.push_str(" RETURNING sha256");
        self.stmt(&sql, values)
    }

    /// `approved | scheduled → scheduled` at `at`.
    pub fn schedule_stmt(&self, sha256: &str, at: i64) -> Statement {
        let mut sql = "UPDATE policies SET status = 'scheduled', activate_at = ? WHERE sha256 = ?"
            .to_string();
        let mut values: Vec<Value> = vec![at.into(), sha256.into()];
        from_statuses(PolicyStep::Schedule, &mut sql, &mut values);
        sql.push_str(KEY_LIVE);
        sql.push_str(" RETURNING sha256");
        self.stmt(&sql, values)
    }

    /// `approved | scheduled → active`, with the next activation sequence number: it
    /// supersedes every version activated before it for the dates it covers.
    pub fn activate_stmt(&self, sha256: &str, at: &str) -> Statement {
        let mut sql =
            "UPDATE policies SET status = 'active', activated_at = ?, activate_at = NULL, \
             sequence = (SELECT COALESCE(MAX(p.sequence), 0) + 1 FROM policies p) WHERE sha256 = ?"
                .to_string();
        let mut values: Vec<Value> = vec![at.into(), sha256.into()];
        from_statuses(PolicyStep::Activate, &mut sql, &mut values);
        sql.push_str(KEY_LIVE);
        sql.push_str(" RETURNING sha256");
        self.stmt(&sql, values)
    }

    /// `active → rolled_back`.
    pub fn rollback_stmt(&self, sha256: &str) -> Statement {
        let mut sql = "UPDATE policies SET status = 'rolled_back' WHERE sha256 = ?".to_string();
        let mut values: Vec<Value> = vec![sha256.into()];
        from_statuses(PolicyStep::Rollback, &mut sql, &mut values);
        sql.push_str(" RETURNING sha256");
        self.stmt(&sql, values)
    }

    /// Scheduled versions whose time has come.
    pub async fn scheduled_due(&self, now: i64) -> Result<Vec<PolicyRow>, DbErr> {
        self.all(
            &format!(
                "SELECT {POLICY_SELECT} FROM policies WHERE status = 'scheduled' AND activate_at <= ? \
                 ORDER BY activate_at"
            ),
            vec![now.into()],
            policy_row,
        )
        .await
    }
}
