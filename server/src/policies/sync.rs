//! Every instance follows the policy table: after a change this instance syncs its registry
//! at once and, on PostgreSQL, sends `NOTIFY oip_policies`; the others listen (and poll as a
//! fallback), load what changed, and swap their registry atomically.

use crate::{AppState, now};

/// The PostgreSQL notification channel for policy changes.
pub const CHANNEL: &str = "oip_policies";

/// After a change to the policy table: this instance syncs at once, and the others are told.
pub async fn changed(state: &AppState) {
    state.sync_policies().await;
    if state.db.is_postgres() {
        let stmt = state.db.stmt(
            "SELECT pg_notify(?, ?)",
            vec![CHANNEL.into(), now().0.to_string().into()],
        );
        if let Err(e) = sea_orm::ConnectionTrait::execute_raw(&state.db.conn, stmt).await {
            tracing::warn!(error = %e, "policy change notification failed");
        }
    }
}

/// Listens for other instances' policy changes (PostgreSQL) and syncs on each; reconnects
/// after a second when the connection is lost (the poll covers the gap).
pub async fn listen(state: AppState) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let pool = state.db.conn.get_postgres_connection_pool().clone();
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "policy listener: cannot connect; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "policy listener: LISTEN failed; retrying");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(_) => state.sync_policies().await,
                Err(e) => {
                    tracing::warn!(error = %e, "policy listener lost its connection");
                    break;
                }
            }
        }
    }
}
