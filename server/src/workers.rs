//! Background work: claims whose decision failed are retried with backoff; claims stored
//! without a policy in force are decided once one is; policy changes made through another
//! instance are picked up by `LISTEN` (PostgreSQL) and by polling the policy table; scheduled
//! policy versions are activated when their time comes; platform events go out to webhooks.

use crate::claims::decide_again;
use crate::{AppState, now};
use oip_engine::types::Facts;

pub(crate) fn spawn(state: AppState) {
    // Signed checkpoints of the audit chain's head, into a file outside the database.
    let a = state.clone();
    tokio::spawn(async move {
        let (file, key_path) = (a.config.checkpoint_file(), a.config.checkpoint_key());
        let key = match crate::audit::checkpoints::load_or_create_key(&key_path, a.config.crypto) {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(error = %e, "no audit checkpoint key; no checkpoints are written");
                return;
            }
        };
        let mut last = crate::audit::checkpoints::read(&file)
            .ok()
            .and_then(|l| l.last().map(|c| c.seq))
            .unwrap_or(0);
        loop {
            tokio::time::sleep(a.config.audit_checkpoint_interval).await;
            match crate::audit::checkpoints::tick(&a.db, &key, &file, last).await {
                Ok(n) => last = n,
                Err(e) => tracing::warn!(error = %e, "audit checkpoint not written"),
            }
        }
    });
    // Personal data of settled claims past the retention period is erased, a page at a time.
    let r = state.clone();
    tokio::spawn(async move {
        if r.config.personal_data_retention_days.is_none() {
            return;
        }
        loop {
            tokio::time::sleep(r.config.retention_interval).await;
            while let Ok(n) = crate::retention::erase_pass(&r).await {
                if n == 0 {
                    break;
                }
            }
        }
    });
    // Data-key generations made by a rotation are loaded, and what is stored re-encrypted
    // under the newest, a page at a time.
    let k = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(k.config.retry_interval).await;
            loop {
                match crate::data_keys::reseal_pass(&k).await {
                    Ok(0) => break,
                    Ok(_) => tokio::task::yield_now().await,
                    Err(e) => {
                        tracing::warn!(error = %e, "re-encryption pass failed");
                        break;
                    }
                }
            }
        }
    });
    // The rate limiters forget addresses and tokens not seen for a while.
    let g = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            g.gate.tidy();
        }
    });
    let w = state.clone();
    tokio::spawn(async move {
        // A receiver answers; a redirect is not followed (it would send the signed events to
        // a URL nobody registered) and counts as a failed delivery.
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!w.config.dev_http_webhooks);
        let http = match crate::config::with_ca_file(builder, w.config.ca_file.as_deref())
            .and_then(|b| Ok(b.build()?))
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhook client cannot be built; no webhook delivered");
                return;
            }
        };
        loop {
            tokio::time::sleep(w.config.webhook_interval).await;
            if let Err(e) = crate::webhooks::pass(&w, &http).await {
                tracing::warn!(error = %e, "webhook pass failed");
            }
        }
    });
    let s = state.clone();
    tokio::spawn(async move {
        let mut waiting_after = String::new();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(s.config.retry_interval) => {}
                _ = s.wake.notified() => {}
            }
            if let Err(e) = pass(&s, &mut waiting_after).await {
                tracing::warn!(error = %e, "background pass failed");
            }
        }
    });
    if state.db.is_postgres() {
        tokio::spawn(crate::policies::sync::listen(state.clone()));
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(state.config.policy_poll_interval).await;
            if let Err(e) = crate::policies::transitions::activate_due(&state).await {
                tracing::warn!(error = %e, "scheduled activation failed");
            }
            state.sync_policies().await;
            // A calendar another instance put in force.
            if let Err(e) = crate::calendars::reload(&state).await {
                tracing::warn!(error = %e, "the calendar in force was not read");
            }
        }
    });
}

/// Claims waiting for a policy looked at in one pass.
const WAITING_PAGE: u64 = 500;

/// One pass: the retries that are due (earliest first; each failure moves a claim's next
/// attempt back, and the last allowed one hands it to a person), then the next page of claims
/// waiting for a policy after `waiting_after` (the pass walks the whole table page by page and
/// starts over at the end, so no set of claims can hold back the ones after it).
async fn pass(state: &AppState, waiting_after: &mut String) -> Result<(), String> {
    let due = state
        .db
        .claims_due(now().0, 100)
        .await
        .map_err(|e| e.to_string())?;
    for claim in due {
        let facts: Facts = serde_json::from_str(&claim.facts).map_err(|e| e.to_string())?;
        if let Err(e) = decide_again(state, &claim, &facts, "retry").await {
            tracing::warn!(claim = %claim.id, error = %e, "retry failed");
        }
    }
    let waiting = state
        .db
        .claims_without_policy(waiting_after, WAITING_PAGE)
        .await
        .map_err(|e| e.to_string())?;
    *waiting_after = match waiting.last() {
        Some(last) if waiting.len() as u64 == WAITING_PAGE => last.id.clone(),
        _ => String::new(),
    };
    for claim in waiting {
        let facts: Facts = serde_json::from_str(&claim.facts).map_err(|e| e.to_string())?;
        if state.decider.registry().policy_for(&facts).is_ok()
            && let Err(e) = decide_again(state, &claim, &facts, "automatic").await
        {
            tracing::warn!(claim = %claim.id, error = %e, "deciding a waiting claim failed");
        }
    }
    Ok(())
}
