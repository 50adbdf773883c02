//! What a platform hears of its claims: the events, in order, on `GET /v1/events` and its
//! webhook. Stored as a kind and a JSON payload; typed here both ways.

use super::ClaimStatus;
use oip_engine::types::Document;
use serde::{Deserialize, Serialize};

/// An event's payload; its `kind` says which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Event {
    /// `claim.created`: the claim is stored.
    ClaimCreated {
        /// The platform's reference.
        platform_claim_ref: String,
    },
    /// `decision.made`: a policy decided the claim.
    DecisionMade {
        /// The decision.
        decision_id: String,
        /// Its outcome.
        outcome: String,
    },
    /// `supplement.requested`: documents are needed (一次性补正).
    SupplementRequested {
        /// The documents needed.
        missing_documents: Vec<Document>,
        /// The decision that asks for them (when the policy asked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision_id: Option<String>,
        /// The adjuster's note (when an adjuster asked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// `status.changed`: the claim's status moved.
    StatusChanged {
        /// The new status.
        status: ClaimStatus,
        /// The status before (absent on intake and decisions).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<ClaimStatus>,
    },
    /// `appeal.filed`: the platform appealed.
    AppealFiled {
        /// The grounds.
        grounds: String,
    },
}

impl Event {
    /// The kind, as stored and sent.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ClaimCreated { .. } => "claim.created",
            Event::DecisionMade { .. } => "decision.made",
            Event::SupplementRequested { .. } => "supplement.requested",
            Event::StatusChanged { .. } => "status.changed",
            Event::AppealFiled { .. } => "appeal.filed",
        }
    }

    /// The payload as stored.
    pub fn payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored event back; `None` when the kind and payload do not go together.
    pub fn parse(kind: &str, payload: &str) -> Option<Event> {
        let e: Event = serde_json::from_str(payload).ok()?;
        // The untagged payload is read by shape; the kind settles which one it is.
        (e.kind() == kind).then_some(e)
    }
}
