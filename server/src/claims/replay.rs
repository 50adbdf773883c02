//! Replay: a stored decision re-run on the same module bytes and the same canonical facts;
//! identical means byte for byte.

use crate::AppState;
use crate::db::decisions::DecisionRow;
use crate::error::Error;
use oip_engine::types::Facts;

/// A replay's outcome.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// The same bytes and the same facts digest as stored.
    pub identical: bool,
    /// The decision replayed.
    pub decision_id: String,
    /// What the module decided now (kind `replay`).
    pub decision: DecisionRow,
}

/// Replays a stored decision.
pub async fn replay(state: &AppState, d: &DecisionRow) -> Result<Replayed, Error> {
    let module = state
        .decider
        .module(&state.db, &d.provenance.sha256)
        .await
        .map_err(Error::internal)?
        .ok_or_else(|| Error::internal(format!("module {} is not stored", d.provenance.sha256)))?;
    let facts: Facts =
        serde_json::from_str(&d.facts).map_err(|e| Error::internal(e.to_string()))?;
    let e = state.decider.decide_with(module, facts).await?;
    let again = String::from_utf8_lossy(&e.decision_json).into_owned();
    let identical = again == d.body && d.provenance.facts_sha256 == e.provenance.facts_sha256;
    Ok(Replayed {
        identical,
        decision_id: d.id.clone(),
        decision: DecisionRow {
            body: again,
            provenance: e.provenance,
            kind: "replay".into(),
            ..d.clone()
        },
    })
}
