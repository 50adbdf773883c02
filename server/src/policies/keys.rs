//! The regions' signing keys: registered and revoked by an admin; a module must be signed by
//! a live key of its own region.

use crate::auth::{Principal, Role};
use crate::db::keys::KeyRow;
use crate::db::writer::AuditDraft;
use crate::domain::REGIONS;
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, new_id, now};
use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A key to register (`POST /v1/keys`).
#[derive(Clone, Debug, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// The region whose modules it may sign.
    #[schema(value_type = crate::domain::RegionCode, example = "CN-SC")]
    pub region: String,
    /// The ed25519 public key, 64 hex digits.
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub public_key: String,
}

/// Registers a signing key for a region (admin).
pub async fn add_key(state: &AppState, who: &Principal, req: &NewKey) -> Result<KeyRow, Error> {
    who.require(&[Role::Admin])?;
    let mut problems = Vec::new();
    if !REGIONS.contains(&req.region.as_str()) {
        problems.push(FieldProblem::new("region", "not an ISO 3166-2:CN code"));
    }
    let key_ok = (req.public_key.len() == 64)
        .then(|| hex::decode(&req.public_key).ok())
        .flatten()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .is_some_and(|a| VerifyingKey::from_bytes(&a).is_ok());
    if !key_ok {
        problems.push(FieldProblem::new(
            "public_key",
            "an ed25519 public key, 64 hex digits",
        ));
    }
    if !problems.is_empty() {
        return Err(Error::invalid_request(problems));
    }
    let row = KeyRow {
        id: new_id("key"),
        region: req.region.clone(),
        public_key: req.public_key.to_lowercase(),
        added_by: who.token_id.clone(),
        created_at: now().to_string(),
        revoked_at: None,
    };
    let audit = AuditDraft {
        actor: who.token_id.clone(),
        action: "key.added".into(),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "key_id": row.id, "region": row.region, "public_key": row.public_key })
                .to_string(),
        ),
    };
    let stored = state
        .writer
        .submit_logged(
            Some(state.db.insert_key_stmt(&row)),
            vec![],
            vec![audit],
            vec![],
        )
        .await?;
    if !stored {
        return Err(Code::KeyAlreadyRegistered.into());
    }
    Ok(row)
}

/// Revokes a signing key (admin).
pub async fn revoke_key(state: &AppState, who: &Principal, id: &str) -> Result<(), Error> {
    who.require(&[Role::Admin])?;
    let audit = AuditDraft {
        actor: who.token_id.clone(),
        action: "key.revoked".into(),
        claim_id: None,
        before: None,
        after: Some(json!({ "key_id": id }).to_string()),
    };
    let done = state
        .writer
        .submit_logged(
            Some(state.db.revoke_key_stmt(id, &now().to_string())),
            vec![],
            vec![audit],
            vec![],
        )
        .await?;
    if done {
        Ok(())
    } else {
        Err(Code::NotFound.into())
    }
}

/// The keys the caller may list: all for admins and auditors, its region's for a policy_admin.
pub async fn list(state: &AppState, who: &Principal) -> Result<Vec<KeyRow>, Error> {
    who.require(&[Role::Admin, Role::Auditor, Role::PolicyAdmin])?;
    Ok(state
        .db
        .keys(None)
        .await?
        .into_iter()
        .filter(|k| who.role != Role::PolicyAdmin || who.regions.contains(&k.region))
        .collect())
}
