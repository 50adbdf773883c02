//! The regions' signing keys, two admins for each step: one proposes a key and another
//! approves it before it signs anything; one asks for a revocation and another carries it out.
//! A module must be signed by a live key of its own region.

use crate::auth::{Principal, Role};
use crate::db::keys::KeyRow;
use crate::db::writer::AuditDraft;
use crate::domain::REGIONS;
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, new_id, now};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A key to register (`POST /v1/keys`).
#[derive(Clone, Debug, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// The region whose modules it may sign (an ISO 3166-2:CN code), or `CN` for a key that
    /// signs the national datasets (the working-day calendar) and no module.
    #[schema(example = "CN-SC", pattern = "^CN(-[A-Z]{2})?$")]
    pub region: String,
    /// The public key, hex: ed25519, 64 hex digits; under `crypto = "gm"` SM2, a SEC1 point
    /// (66 hex digits compressed, 130 uncompressed).
    #[schema(pattern = "^[0-9a-fA-F]{64}([0-9a-fA-F]{2}([0-9a-fA-F]{64})?)?$")]
    pub public_key: String,
}

/// Proposes a signing key for a region (admin); it signs nothing until another admin approves
/// it ([`approve_key`]).
pub async fn add_key(state: &AppState, who: &Principal, req: &NewKey) -> Result<KeyRow, Error> {
    who.require(&[Role::Admin])?;
    let mut problems = Vec::new();
    if !REGIONS.contains(&req.region.as_str()) && req.region != crate::calendars::NATIONAL {
        problems.push(FieldProblem::new(
            "region",
            "an ISO 3166-2:CN code, or CN for a key of the national datasets (the calendar)",
        ));
    }
    let profile = state.config.crypto;
    let key = crate::signing::PublicKey::parse(profile, &req.public_key);
    if key.is_none() {
        problems.push(FieldProblem::new(
            "public_key",
            crate::signing::PublicKey::expected(profile),
        ));
    }
    if !problems.is_empty() {
        return Err(Error::invalid_request(problems));
    }
    let row = KeyRow {
        id: new_id("key"),
        region: req.region.clone(),
        public_key: key.map(|k| k.to_hex()).unwrap_or_default(),
        added_by: who.person().to_string(),
        created_at: now().to_string(),
        revoked_at: None,
        approved_by: None,
        approved_at: None,
        revoke_requested_by: None,
        revoke_requested_at: None,
    };
    let audit = AuditDraft {
        actor: who.person().to_string(),
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

/// A second admin approves a proposed key: from now on it signs its region's modules.
pub async fn approve_key(state: &AppState, who: &Principal, id: &str) -> Result<KeyRow, Error> {
    who.require(&[Role::Admin])?;
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: "key.approved".into(),
        claim_id: None,
        before: None,
        after: Some(json!({ "key_id": id }).to_string()),
    };
    let at = now().to_string();
    let done = state
        .writer
        .submit_logged(
            Some(state.db.approve_key_stmt(id, who.person(), &at)),
            vec![],
            vec![audit],
            vec![],
        )
        .await?;
    let key = state.db.key(id).await?.ok_or(Code::NotFound)?;
    if done {
        Ok(key)
    } else if key.approved_by.is_none() && key.revoked_at.is_none() {
        Err(Code::SecondAdminRequired.into())
    } else {
        Err(Code::KeyNotProposed.into())
    }
}

/// What a revocation did.
pub enum Revocation {
    /// The key is revoked (a proposed key withdrawn, or a live one whose revocation another
    /// admin had asked for).
    Revoked,
    /// The revocation is asked for; another admin carries it out.
    Requested(KeyRow),
}

/// Revokes a signing key (admin): a key not yet approved at once; a live key in two steps,
/// by two admins. Modules it signed cannot be approved or activated from then on.
pub async fn revoke_key(state: &AppState, who: &Principal, id: &str) -> Result<Revocation, Error> {
    who.require(&[Role::Admin])?;
    let at = now().to_string();
    let entry = |action: &str| AuditDraft {
        actor: who.person().to_string(),
        action: action.into(),
        claim_id: None,
        before: None,
        after: Some(json!({ "key_id": id }).to_string()),
    };
    let revoked = state
        .writer
        .submit_logged(
            Some(state.db.revoke_key_stmt(id, who.person(), &at)),
            vec![],
            vec![entry("key.revoked")],
            vec![],
        )
        .await?;
    if revoked {
        return Ok(Revocation::Revoked);
    }
    let requested = state
        .writer
        .submit_logged(
            Some(state.db.request_revoke_key_stmt(id, who.person(), &at)),
            vec![],
            vec![entry("key.revocation_requested")],
            vec![],
        )
        .await?;
    match state.db.key(id).await? {
        Some(k) if requested => Ok(Revocation::Requested(k)),
        Some(k) if k.revoked_at.is_none() => Err(Code::SecondAdminRequired.into()),
        _ => Err(Code::NotFound.into()),
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
