//! The console's sessions, kept on the server: a sign-in (a user's password and TOTP code, or
//! a token) begins one; each request finds who it is from the cookie's id; logout, idleness,
//! the absolute end, a disabled user or a revoked token end it.

use super::{Fields, SESSION_COOKIE, cookie};
use crate::AppState;
use crate::auth::Principal;
use crate::error::Error;
use axum::http::HeaderMap;
use rand::RngCore;

/// What the database keeps of a session id: its keyed hash.
pub(super) fn session_hash(state: &AppState, session_id: &str) -> String {
    state
        .keys
        .keyed_hash(&format!("oip-console-session\u{0}{session_id}"))
}

/// The session id of the request's cookie (64 hex digits).
pub(super) fn session_id(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Who a live session is: `None` when it is unknown, ended, idle too long, past its
/// absolute end, or its user is disabled (its token revoked or expired). A request records
/// itself every quarter of the idle time (at most every minute).
pub(super) async fn session_principal(
    state: &AppState,
    session_id: &str,
) -> Result<Option<Principal>, Error> {
    let hash = session_hash(state, session_id);
    let Some(row) = state.db.session(&hash).await? else {
        return Ok(None);
    };
    let now = crate::now().0;
    let idle = state.config.console_idle.as_secs() as i64;
    if row.ended_at.is_some() || now >= row.expires_at || now - row.last_seen >= idle {
        return Ok(None);
    }
    let who = match (&row.user_id, &row.token_id) {
        (_, Some(tid)) => match state.db.token_by_id(tid).await? {
            Some(t) if t.admits(now) => Principal::from(t),
            _ => return Ok(None),
        },
        (Some(uid), None) => match state.db.user(uid).await? {
            Some(u) if u.active => {
                Principal::of_user(u, format!("ses_{}", &hash[..16.min(hash.len())]))
            }
            _ => return Ok(None),
        },
        (None, None) => return Ok(None),
    };
    if now - row.last_seen >= (idle / 4).clamp(1, 60) {
        state
            .writer
            .submit_logged(
                Some(state.db.touch_session_stmt(&hash, now)),
                vec![],
                vec![],
                vec![],
            )
            .await?;
    }
    Ok(Some(who))
}

/// Begins a session for a user or a token; its id (for the cookie).
pub(super) async fn begin_session(state: &AppState, who: &Principal) -> Result<String, Error> {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let id = hex::encode(raw);
    let now = crate::now().0;
    let row = crate::db::users::SessionRow {
        id_hash: session_hash(state, &id),
        user_id: who.user_id.clone(),
        // Signed in with a token: the session lives as long as the token admits its bearer.
        token_id: (!who.token_id.is_empty()).then(|| who.token_id.clone()),
        created_at: now,
        last_seen: now,
        expires_at: now + state.config.console_session.as_secs() as i64,
        ended_at: None,
    };
    let audit = crate::db::writer::AuditDraft {
        actor: who.person().to_string(),
        action: "console.signed_in".into(),
        claim_id: None,
        before: None,
        after: Some(
            serde_json::json!({ "with": if who.token_id.is_empty() { "password" } else { "token" } })
                .to_string(),
        ),
    };
    if !state
        .writer
        .submit_logged(
            Some(state.db.insert_session_stmt(&row)),
            vec![],
            vec![audit],
            vec![],
        )
        .await?
    {
        return Err(Error::internal("the session was not stored"));
    }
    Ok(id)
}

/// Who the sign-in form names: a user by employee id, password and (when enrolled) TOTP code,
/// or the bearer of an API token. A failure counts against the address.
pub(super) async fn sign_in(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    f: &Fields,
) -> Result<Option<Principal>, Error> {
    if let Some(token) = f.text("token") {
        return state.principal(&token, peer).await;
    }
    let Some(employee_id) = f.text("employee_id") else {
        return Ok(None);
    };
    state.gate.check_blocked(peer)?;
    let password = f.get("password").unwrap_or_default();
    match crate::users::check_sign_in(state, &employee_id, password, f.get("totp")).await? {
        Ok(u) => Ok(Some(Principal::of_user(u, String::new()))),
        Err(_) => {
            state.gate.failed(peer)?;
            Ok(None)
        }
    }
}
