//! Webhooks: each platform may register a URL; its events are POSTed there in order, signed
//! the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, and `webhook-signature:
//! v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the registered secret's UTF-8
//! bytes, so a receiver can refuse a replayed delivery by its age) and, as before, with
//! `X-Oip-Signature: sha256=<hex>` over the body alone; retried with backoff, never redirected,
//! over HTTPS only (rustls, the Mozilla roots and the operator's `ca_file`), unless a
//! development server allows `http://`.
//! The events table is the outbox and `delivered_seq` moves only after a 2xx answer, so every
//! event is delivered at least once, even across restarts; receivers de-duplicate by `seq`.

use crate::api::views::EventView;
use crate::auth::{Principal, Role};
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, now};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

/// A webhook registration (`PUT /v1/platforms/{platform}/webhook`).
#[derive(Clone, Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// Where to deliver the platform's events: an `https://` URL (a development server
    /// started with `--dev-http-webhooks` takes `http://` too).
    #[schema(pattern = "^https://", max_length = 2000)]
    pub url: String,
    /// The signing secret (at least 16 characters).
    #[schema(min_length = 16, max_length = 200)]
    pub secret: String,
}

/// Registers (or replaces) a platform's webhook (admin).
pub async fn register(
    state: &AppState,
    who: &Principal,
    platform: &str,
    w: &WebhookRequest,
) -> Result<(), Error> {
    who.require(&[Role::Admin])?;
    let mut problems = Vec::new();
    let scheme_ok = w.url.starts_with("https://")
        || (state.config.dev_http_webhooks && w.url.starts_with("http://"));
    if !scheme_ok || w.url.chars().count() > 2000 {
        problems.push(FieldProblem::new(
            "url",
            "an https:// URL of at most 2,000 characters (the events are personal data)",
        ));
    }
    if !(16..=200).contains(&w.secret.chars().count()) {
        problems.push(FieldProblem::new("secret", "16 to 200 characters"));
    }
    if !problems.is_empty() {
        return Err(Error::with_fields(Code::InvalidRequest, problems));
    }
    // Registered with its audit entry (the URL, never the secret) in one transaction.
    let upsert = state.db.upsert_webhook_stmt(
        platform,
        &w.url,
        &state.keys.seal(
            w.secret.as_bytes(),
            &crate::data_keys::webhook_context(platform),
        ),
        &now().to_string(),
    );
    let audit = crate::db::writer::AuditDraft {
        actor: who.person().to_string(),
        action: "webhook.registered".into(),
        claim_id: None,
        before: None,
        // Where, without a query string or credentials a URL may carry.
        after: Some(
            serde_json::json!({ "platform": platform, "url": reqwest::Url::parse(&w.url)
                .map(|u| format!("{}://{}{}", u.scheme(), u.host_str().unwrap_or_default(), u.path()))
                .unwrap_or_default() })
            .to_string(),
        ),
    };
    state
        .writer
        .submit_logged(Some(upsert), vec![], vec![audit], vec![])
        .await?;
    Ok(())
}

/// The body POSTed to a webhook.
#[derive(Serialize)]
struct Delivery<'a> {
    platform: &'a str,
    items: Vec<EventView>,
}

/// The signature header value of a body.
pub fn signature(secret: &[u8], body: &[u8]) -> Option<String> {
    crate::crypto::hmac_sha256_hex(secret, body).map(|h| format!("sha256={h}"))
}

/// The Standard Webhooks headers of a delivery: `(webhook-id, webhook-timestamp,
/// webhook-signature)`. The id names the events delivered, so a retry of the same events
/// carries the same id (receivers de-duplicate by it).
pub fn standard_headers(
    secret: &[u8],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Option<(String, String, String)> {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    Some((id.to_string(), timestamp.to_string(), format!("v1,{sig}")))
}

/// Seconds before the next attempt after `failures` failures: 1 s doubling, at most 5 minutes.
pub fn backoff(failures: i64) -> i64 {
    (1i64 << failures.clamp(0, 9)).min(300)
}

/// One delivery pass over the webhooks that are due.
pub(crate) async fn pass(state: &AppState, http: &reqwest::Client) -> Result<(), String> {
    let due = state
        .db
        .webhooks_due(now().0)
        .await
        .map_err(|e| e.to_string())?;
    for w in due {
        let (platform, url, sealed, delivered, failures) = (
            w.platform,
            w.url,
            w.secret_sealed,
            w.delivered_seq,
            w.failures,
        );
        let events = state
            .db
            .events(&platform, delivered, 100)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = events.last().map(|e| e.seq) else {
            continue;
        };
        let Ok(secret) = state
            .open_sealed(&sealed, &crate::data_keys::webhook_context(&platform))
            .await
        else {
            tracing::error!(%platform, "webhook secret does not decrypt");
            continue;
        };
        let body = serde_json::to_vec(&Delivery {
            platform: &platform,
            items: events.iter().map(EventView::from).collect(),
        })
        .map_err(|e| e.to_string())?;
        let Some(sig) = signature(&secret, &body) else {
            continue;
        };
        let id = format!("whd_{platform}_{}-{last}", delivered + 1);
        let Some((id, timestamp, standard)) = standard_headers(&secret, &id, now().0, &body) else {
            continue;
        };
        let result = http
            .post(&url)
            .header("Content-Type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp)
            .header("webhook-signature", standard)
            .header("X-Oip-Signature", sig)
            .header("X-Oip-Delivery", format!("{}-{last}", delivered + 1))
            .timeout(Duration::from_secs(10))
            .body(body)
            .send()
            .await;
        let outcome = match result {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
            Err(e) => Err(if e.is_timeout() {
                "timeout".to_string()
            } else {
                "connection failed".to_string()
            }),
        };
        let r = match outcome {
            Ok(()) => {
                state
                    .db
                    .webhook_attempted(&platform, last, 0, 0, None)
                    .await
            }
            Err(e) => {
                tracing::warn!(%platform, error = %e, "webhook delivery failed");
                state
                    .db
                    .webhook_attempted(
                        &platform,
                        delivered,
                        failures + 1,
                        now().0 + backoff(failures),
                        Some(&e),
                    )
                    .await
            }
        };
        r.map_err(|e| e.to_string())?;
    }
    Ok(())
}
