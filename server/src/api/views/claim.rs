//! Views of claims: the claim, its decisions (the stored bytes passed through), its reviews,
//! the queue, the platform's events, the audit trail.

use crate::auth::{Principal, Role};
use crate::claims::{Replayed, StoredClaim};
use crate::db::audit::AuditRow;
use crate::db::claims::{ClaimRow, QueueRow};
use crate::db::decisions::DecisionRow;
use crate::db::events::EventRow;
use crate::db::reviews::ReviewRow;
use crate::domain::{ClaimStatus, Event, Narrative, QueueKind, ReasonCode, ReviewedLine, Workflow};
use crate::review::Reviewed;
use crate::validate::Worker;
use oip_engine::Provenance;
use oip_engine::types::{Date, Decision, Document};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;
use utoipa::openapi::schema::{AllOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};

/// The worker as clients see them: the identity number masked, nothing else personal.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MaskedWorker {
    /// The identity number, masked (`5101**********1237`).
    pub id_number: String,
}

/// A claim and its current decision.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ClaimView {
    /// Id (`clm_...`).
    pub id: String,
    /// Where it stands.
    pub status: ClaimStatus,
    /// Region of the place of injury.
    pub region: String,
    /// The submitting platform.
    pub platform: String,
    /// The platform's reference.
    pub platform_claim_ref: String,
    /// Stored.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// The worker, masked.
    pub worker: MaskedWorker,
    /// Order id, location, description.
    pub narrative: Narrative,
    /// Another claim of the same worker for the same incident time in the region exists.
    pub possible_duplicate: bool,
    /// That claim.
    pub possible_duplicate_of: Option<String>,
    /// The last engine error's code, while it is retried.
    pub last_error: Option<String>,
    /// Decision attempts that failed.
    pub attempts: i64,
    /// The review state (proposal, approved lines, appeal), once there is one.
    pub review: Option<Workflow>,
    /// The review queue it waits in.
    pub queue: Option<QueueKind>,
    /// When a person must have acted (Beijing date).
    pub due_on: Option<Date>,
    /// Its current decision.
    pub decision: Option<DecisionView>,
}

impl ClaimView {
    /// What `who` may read of it: a platform sees that a possible duplicate exists but not its
    /// id (it may be another platform's claim), and the review state without adjusters' notes
    /// or token ids.
    pub fn seen_by(mut self, who: &Principal) -> ClaimView {
        if who.role == Role::Platform {
            self.possible_duplicate_of = None;
            self.review = self.review.map(Workflow::for_platform);
        }
        self
    }
}

impl From<&ClaimRow> for ClaimView {
    fn from(c: &ClaimRow) -> ClaimView {
        ClaimView {
            id: c.id.clone(),
            status: c.status,
            region: c.region.clone(),
            platform: c.platform.clone(),
            platform_claim_ref: c.platform_claim_ref.clone(),
            created_at: c.created_at.clone(),
            updated_at: c.updated_at.clone(),
            worker: MaskedWorker {
                id_number: c.worker_masked.clone(),
            },
            narrative: c.narrative.clone(),
            possible_duplicate: c.possible_duplicate_of.is_some(),
            possible_duplicate_of: c.possible_duplicate_of.clone(),
            last_error: c.last_error.clone(),
            attempts: c.attempts,
            review: (c.workflow != Workflow::default()).then(|| c.workflow.clone()),
            queue: c.queue,
            due_on: c.due_on,
            decision: None,
        }
    }
}

impl From<&StoredClaim> for ClaimView {
    fn from(s: &StoredClaim) -> ClaimView {
        ClaimView {
            decision: s.decision.as_ref().map(DecisionView::from),
            ..ClaimView::from(&s.claim)
        }
    }
}

/// Which module made a decision, on which facts.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyRef {
    /// Region.
    pub region: String,
    /// Policy id.
    pub policy_id: String,
    /// Version.
    pub version: String,
    /// SHA-256 of the component.
    pub sha256: String,
    /// The WIT version it was built against.
    pub wit_version: String,
    /// SHA-256 of the canonical facts.
    pub facts_sha256: String,
}

impl From<&Provenance> for PolicyRef {
    fn from(p: &Provenance) -> PolicyRef {
        PolicyRef {
            region: p.region.clone(),
            policy_id: p.policy_id.clone(),
            version: p.version.clone(),
            sha256: p.sha256.clone(),
            wit_version: p.wit_version.clone(),
            facts_sha256: p.facts_sha256.clone(),
        }
    }
}

/// What the API adds to a stored decision.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DecisionMeta {
    /// Id (`dec_...`).
    pub id: String,
    /// Why it was made: `automatic`, `supplement`, `retry`, `redecide`, `replay`.
    pub kind: String,
    /// When.
    pub created_at: String,
    /// The decision it replaces.
    pub replaces: Option<String>,
    /// Which module, on which facts.
    pub policy: PolicyRef,
}

/// A decision: the module's decision, byte for byte as stored, with the fields of
/// [`DecisionMeta`] added to the same object. It is never parsed to be answered.
#[derive(Clone, Debug)]
pub struct DecisionView(pub Box<RawValue>);

impl DecisionView {
    /// The stored decision object with `meta`'s fields appended.
    fn splice(body: &str, meta: &DecisionMeta) -> Option<DecisionView> {
        let meta = serde_json::to_string(meta).ok()?;
        let body = body.trim_end();
        let head = body.strip_suffix('}')?;
        let tail = meta.strip_prefix('{')?;
        let sep = if head.trim_end().ends_with('{') {
            ""
        } else {
            ","
        };
        RawValue::from_string(format!("{head}{sep}{tail}"))
            .ok()
            .map(DecisionView)
    }
}

impl From<&DecisionRow> for DecisionView {
    fn from(d: &DecisionRow) -> DecisionView {
        let meta = DecisionMeta {
            id: d.id.clone(),
            kind: d.kind.clone(),
            created_at: d.created_at.clone(),
            replaces: d.replaces.clone(),
            policy: PolicyRef::from(&d.provenance),
        };
        DecisionView::splice(&d.body, &meta).unwrap_or_else(|| {
            // A stored body is always the module's object; if it were not, the metadata alone.
            DecisionView(
                RawValue::from_string(serde_json::to_string(&meta).unwrap_or_else(|_| "{}".into()))
                    .unwrap_or_else(|_| RawValue::NULL.to_owned()),
            )
        })
    }
}

impl Serialize for DecisionView {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for DecisionView {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(DecisionView)
    }
}

impl utoipa::PartialSchema for DecisionView {
    fn schema() -> RefOr<Schema> {
        AllOfBuilder::new()
            .item(Ref::from_schema_name("Decision"))
            .item(Ref::from_schema_name("DecisionMeta"))
            .description(Some(
                "A decision as the module made it, with its id, kind and provenance.",
            ))
            .into()
    }
}

impl ToSchema for DecisionView {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            "Decision".into(),
            <Decision as utoipa::PartialSchema>::schema(),
        ));
        <Decision as ToSchema>::schemas(schemas);
        schemas.push((
            "DecisionMeta".into(),
            <DecisionMeta as utoipa::PartialSchema>::schema(),
        ));
        <DecisionMeta as ToSchema>::schemas(schemas);
    }
}

/// A replay: whether the module decides the stored facts byte for byte as stored.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReplayView {
    /// The same bytes, on the same facts.
    pub identical: bool,
    /// The decision replayed.
    pub decision_id: String,
    /// What the module decided now.
    pub decision: DecisionView,
}

impl From<&Replayed> for ReplayView {
    fn from(r: &Replayed) -> ReplayView {
        ReplayView {
            identical: r.identical,
            decision_id: r.decision_id.clone(),
            decision: DecisionView::from(&r.decision),
        }
    }
}

/// A review action as recorded.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewView {
    /// Id (`rev_...`).
    pub id: String,
    /// Who.
    pub actor: String,
    /// `approve`, `override`, `deny`, `request_information`, `close`, `appeal`.
    pub action: String,
    /// The reason given.
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

impl From<&ReviewRow> for ReviewView {
    fn from(r: &ReviewRow) -> ReviewView {
        ReviewView {
            id: r.id.clone(),
            actor: r.actor.clone(),
            action: r.action.clone(),
            reason_code: r.reason_code,
            note: r.note.clone(),
            benefits: r.benefits.clone(),
            documents: r.documents.clone(),
            status_before: r.status_before,
            status_after: r.status_after,
            created_at: r.created_at.clone(),
        }
    }
}

/// What a review action (or an appeal) did.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewedView {
    /// The review row.
    pub review_id: String,
    /// The claim's status now.
    pub status: ClaimStatus,
    /// Its review state now.
    pub review: Workflow,
}

impl ReviewedView {
    /// What `who` may read of it (see [`ClaimView::seen_by`]).
    pub fn seen_by(mut self, who: &Principal) -> ReviewedView {
        if who.role == Role::Platform {
            self.review = self.review.for_platform();
        }
        self
    }
}

impl ReviewView {
    /// What `who` may read of it: a platform reads who acted as a role and no adjuster's note
    /// (its own appeal's grounds stay).
    pub fn seen_by(mut self, who: &Principal) -> ReviewView {
        if who.role == Role::Platform {
            let appeal = self.action == "appeal";
            self.actor = if appeal { "platform" } else { "adjuster" }.into();
            if !appeal {
                self.note = None;
            }
            self.benefits = self
                .benefits
                .map(|lines| lines.into_iter().map(ReviewedLine::for_platform).collect());
        }
        self
    }
}

impl From<&Reviewed> for ReviewedView {
    fn from(r: &Reviewed) -> ReviewedView {
        ReviewedView {
            review_id: r.review_id.clone(),
            status: r.claim.status,
            review: r.claim.workflow.clone(),
        }
    }
}

/// A claim in the review queue.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueItemView {
    /// The claim.
    pub id: String,
    /// Its region.
    pub region: String,
    /// Its status.
    pub status: ClaimStatus,
    /// The queue it waits in.
    pub queue: QueueKind,
    /// Its decision's outcome.
    pub outcome: Option<String>,
    /// Decided on a fast track.
    pub fast_track: bool,
    /// When a person must have acted.
    pub due: Option<Date>,
    /// Past that date.
    pub overdue: bool,
    /// Stored.
    pub created_at: String,
    /// Who proposed the approval waiting for a second adjuster.
    pub proposal_by: Option<String>,
}

impl QueueItemView {
    /// The view of a queued claim on `today`.
    pub fn of(r: &QueueRow, today: Date) -> QueueItemView {
        let c = &r.claim;
        QueueItemView {
            id: c.id.clone(),
            region: c.region.clone(),
            status: c.status,
            queue: c.queue.unwrap_or(QueueKind::PendingReview),
            outcome: r.outcome.clone(),
            fast_track: c.fast_track,
            due: c.due_on,
            overdue: c.due_on.is_some_and(|d| d < today),
            created_at: c.created_at.clone(),
            proposal_by: c.workflow.proposal.as_ref().map(|p| p.by.clone()),
        }
    }
}

/// A page of the review queue.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueView {
    /// The claims, oldest due date first.
    pub items: Vec<QueueItemView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
    /// Today, in Beijing.
    pub today: Date,
}

impl From<&crate::review::QueuePage> for QueueView {
    fn from(p: &crate::review::QueuePage) -> QueueView {
        QueueView {
            items: p
                .items
                .iter()
                .map(|r| QueueItemView::of(r, p.today))
                .collect(),
            next_cursor: p.next_cursor.clone(),
            today: p.today,
        }
    }
}

/// A platform event.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    /// Its position (gap-free, increasing).
    pub seq: i64,
    /// The claim.
    pub claim_id: String,
    /// What happened: `claim.created`, `decision.made`, `status.changed`,
    /// `supplement.requested`, `appeal.filed`.
    pub kind: String,
    /// The details.
    pub payload: Option<Event>,
    /// When.
    pub at: String,
}

impl From<&EventRow> for EventView {
    fn from(e: &EventRow) -> EventView {
        EventView {
            seq: e.seq,
            claim_id: e.claim_id.clone(),
            kind: e.kind.clone(),
            payload: Event::parse(&e.kind, &e.payload),
            at: e.at.clone(),
        }
    }
}

/// A page of events.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    /// The events, in order.
    pub items: Vec<EventView>,
    /// The last sequence number read (pass as `after` for the next page).
    pub next_cursor: i64,
}

/// An audit entry: exactly what its hash covers.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryView {
    /// Its position in the chain.
    pub seq: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which claim.
    pub claim_id: Option<String>,
    /// The state before (JSON text, as hashed).
    pub before: Option<String>,
    /// The state after (JSON text, as hashed).
    pub after: Option<String>,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
    /// The id of the request that wrote it (its answer's `x-request-id`), when a request did;
    /// hashed with the rest.
    pub request_id: Option<String>,
}

impl From<&AuditRow> for AuditEntryView {
    fn from(a: &AuditRow) -> AuditEntryView {
        AuditEntryView {
            seq: a.seq,
            at: a.at.clone(),
            actor: a.actor.clone(),
            action: a.action.clone(),
            claim_id: a.claim_id.clone(),
            before: a.before.clone(),
            after: a.after.clone(),
            prev_hash: a.prev_hash.clone(),
            hash: a.hash.clone(),
            request_id: a.request_id.clone(),
        }
    }
}

/// The worker's personal data (every read is audited).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkerView {
    /// The claim.
    pub claim_id: String,
    /// The worker.
    pub worker: Worker,
}

/// A decision made without storing anything (`POST /v1/evaluate`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EvaluationView {
    /// The decision, as the module made it.
    #[schema(value_type = Decision)]
    pub decision: Box<RawValue>,
    /// Which module, on which facts.
    #[schema(value_type = PolicyRef)]
    pub policy: Provenance,
}
