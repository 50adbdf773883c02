//! Views of policy versions, their jobs, the regions and the signing keys.

use crate::db::jobs::JobRow;
use crate::db::keys::KeyRow;
use crate::db::policies::{PolicyRow, Validation};
use crate::domain::{JobKind, JobStatus, PolicySource, PolicyStatus, Role};
use crate::jobs::JobReport;
use oip_engine::LoadedPolicy;
use oip_engine::types::{Date, PolicyManifest, Text, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// A stored policy version.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyVersionView {
    /// Its id: the SHA-256 of its component bytes.
    pub id: String,
    /// The same.
    pub sha256: String,
    /// Region.
    pub region: String,
    /// Policy id.
    pub policy_id: String,
    /// Version.
    pub version: String,
    /// First incident date it decides.
    pub effective_from: String,
    /// Last incident date it decides.
    pub effective_to: Option<String>,
    /// Lifecycle status.
    pub status: PolicyStatus,
    /// Activation order (0 until activated).
    pub sequence: i64,
    /// Where it came from.
    pub source: PolicySource,
    /// Stored.
    pub created_at: String,
    /// Who uploaded it.
    pub uploaded_by: Option<String>,
    /// The key that signed it.
    pub signed_by: Option<String>,
    /// When that key was revoked: the version cannot be approved or activated; in force, it
    /// stays until a replacement is active.
    pub signing_key_revoked_at: Option<String>,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// When.
    pub approved_at: Option<String>,
    /// Scheduled activation.
    pub activate_at: Option<String>,
    /// When it was activated.
    pub activated_at: Option<String>,
    /// In force today for its region.
    pub in_force_today: bool,
    /// What the upload's checks found.
    pub validation: Option<Validation>,
    /// What the module says about itself.
    pub manifest: PolicyManifest,
}

impl PolicyVersionView {
    /// The view of a version, given the versions in force today.
    pub fn of(row: &PolicyRow, in_force: &[Arc<LoadedPolicy>]) -> PolicyVersionView {
        PolicyVersionView {
            id: row.sha256.clone(),
            sha256: row.sha256.clone(),
            region: row.region.clone(),
            policy_id: row.policy_id.clone(),
            version: row.version.clone(),
            effective_from: row.effective_from.clone(),
            effective_to: row.effective_to.clone(),
            status: row.status,
            sequence: row.sequence,
            source: row.source,
            created_at: row.created_at.clone(),
            uploaded_by: row.uploaded_by.clone(),
            signed_by: row.signed_by.clone(),
            signing_key_revoked_at: row.signing_key_revoked_at.clone(),
            approved_by: row.approved_by.clone(),
            approved_at: row.approved_at.clone(),
            activate_at: row.activate_at.map(|t| Timestamp(t).to_string()),
            activated_at: row.activated_at.clone(),
            in_force_today: in_force.iter().any(|p| p.sha256() == row.sha256),
            validation: row.validation.clone(),
            manifest: row.manifest.clone(),
        }
    }
}

/// A version with its latest shadow run and re-decision.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyDetailView {
    /// The version.
    #[serde(flatten)]
    pub version: PolicyVersionView,
    /// Its latest shadow run (without the report).
    pub shadow: Option<JobView>,
    /// Its latest re-decision (without the report).
    pub redecide: Option<JobView>,
}

/// A rollback.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RollbackView {
    /// The version withdrawn.
    pub rolled_back: PolicyVersionView,
    /// The version in force again.
    pub in_force: Option<PolicyVersionView>,
}

/// A job: progress and ETA while it runs, the report once done.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    /// Id (`job_...`).
    pub id: String,
    /// Shadow run or re-decision.
    pub kind: JobKind,
    /// The version it runs.
    pub policy: String,
    /// Its region.
    pub region: String,
    /// Where it stands.
    pub status: JobStatus,
    /// Claims to go through.
    pub total: i64,
    /// Claims gone through.
    pub done: i64,
    /// Claims the version could not decide.
    pub failed: i64,
    /// Share done, 0 to 1.
    pub progress: f64,
    /// Seconds left, while it runs.
    pub eta_seconds: Option<i64>,
    /// Milliseconds since it started (until it finished).
    pub elapsed_ms: i64,
    /// Who asked for it.
    pub requested_by: String,
    /// When.
    pub created_at: String,
    /// Why it failed.
    pub error: Option<String>,
    /// The report, once done.
    pub report: Option<JobReport>,
}

impl From<&JobRow> for JobView {
    fn from(j: &JobRow) -> JobView {
        let t = crate::jobs::now_ms();
        let status = crate::jobs::status_of(j);
        let elapsed = j.finished_at.unwrap_or(t) - j.started_at;
        let eta_seconds = (status == JobStatus::Running && j.done > 0).then(|| {
            let per = elapsed as f64 / j.done as f64;
            ((j.total - j.done).max(0) as f64 * per / 1000.0).ceil() as i64
        });
        JobView {
            id: j.id.clone(),
            kind: j.kind,
            policy: j.policy_sha256.clone(),
            region: j.region.clone(),
            status,
            total: j.total,
            done: j.done,
            failed: j.failed,
            progress: if j.total > 0 {
                j.done as f64 / j.total as f64
            } else {
                1.0
            },
            eta_seconds,
            elapsed_ms: elapsed,
            requested_by: j.requested_by.clone(),
            created_at: j.created_at.clone(),
            error: j.error.clone(),
            report: JobReport::of(j),
        }
    }
}

/// The version in force today in a region.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InForceView {
    /// Policy id.
    pub policy_id: String,
    /// Version.
    pub version: String,
    /// Digest.
    pub sha256: String,
    /// First incident date.
    pub effective_from: Date,
}

/// A region with a deployed policy.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionView {
    /// ISO 3166-2:CN code.
    pub region: String,
    /// The policy's name.
    pub name: Option<Text>,
    /// Versions stored.
    pub versions: usize,
    /// The version in force today.
    pub in_force_today: Option<InForceView>,
}

/// The regions.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionsView {
    /// The regions with a policy.
    pub items: Vec<RegionView>,
    /// Today, in Beijing.
    pub today: Date,
}

/// A registered signing key.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyView {
    /// Id (`key_...`).
    pub id: String,
    /// The region whose modules it may sign.
    pub region: String,
    /// The public key, hex (ed25519; SM2, compressed SEC1, under `crypto = "gm"`).
    pub public_key: String,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub created_at: String,
    /// When it was revoked.
    pub revoked_at: Option<String>,
    /// Where it stands: it signs modules only while `live` or `revocation_requested`.
    pub status: KeyStatus,
    /// The second admin, who approved it.
    pub approved_by: Option<String>,
    /// When.
    pub approved_at: Option<String>,
    /// The admin who asked for its revocation.
    pub revoke_requested_by: Option<String>,
    /// When.
    pub revoke_requested_at: Option<String>,
}

/// Where a signing key stands: two admins take each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Proposed by one admin, awaiting another's approval; signs nothing yet.
    Proposed,
    /// Approved: signs its region's modules.
    Live,
    /// One admin asked for its revocation; it signs until another carries it out.
    RevocationRequested,
    /// Revoked (or withdrawn before approval).
    Revoked,
}

impl From<&KeyRow> for KeyView {
    fn from(k: &KeyRow) -> KeyView {
        let status = if k.revoked_at.is_some() {
            KeyStatus::Revoked
        } else if k.approved_by.is_none() {
            KeyStatus::Proposed
        } else if k.revoke_requested_by.is_some() {
            KeyStatus::RevocationRequested
        } else {
            KeyStatus::Live
        };
        KeyView {
            id: k.id.clone(),
            region: k.region.clone(),
            public_key: k.public_key.clone(),
            added_by: k.added_by.clone(),
            created_at: k.created_at.clone(),
            revoked_at: k.revoked_at.clone(),
            status,
            approved_by: k.approved_by.clone(),
            approved_at: k.approved_at.clone(),
            revoke_requested_by: k.revoke_requested_by.clone(),
            revoke_requested_at: k.revoke_requested_at.clone(),
        }
    }
}

impl From<KeyRow> for KeyView {
    fn from(k: KeyRow) -> KeyView {
        KeyView::from(&k)
    }
}

/// A token just issued (shown once).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuedTokenView {
    /// Its id (to revoke it).
    pub id: String,
    /// The token: keep it; only its hash is stored.
    pub token: String,
    /// Its role.
    pub role: Role,
    /// Its platform.
    pub platform: Option<String>,
    /// Its regions.
    pub regions: Vec<String>,
    /// The user who holds it (none for a platform's token).
    pub user_id: Option<String>,
    /// What it is for.
    pub label: Option<String>,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// A platform's webhook.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookView {
    /// The platform.
    pub platform: String,
    /// Where its events go.
    pub url: String,
}

/// Liveness.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthView {
    /// `ok`.
    pub status: String,
}

/// Readiness.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReadyView {
    /// The database answers and a policy is loaded.
    pub ready: bool,
    /// The database answers.
    pub database: bool,
    /// Regions with a policy loaded.
    pub regions: usize,
    /// Development mode: modules given at start went live unsigned and unapproved
    /// (`--dev-unsigned-policies`). Never true on a production server.
    pub dev_unsigned_policies: bool,
}
