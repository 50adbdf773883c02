//! How long personal data is kept (个人信息保护法 Art. 19: no longer than the purpose needs).
//!
//! With `personal_data_retention_days` set, the worker's personal data (the sealed record: name,
//! identity number, birth date, phone; and its lookup hash) of a claim that is settled —
//! `denied` or `closed` — and untouched for that many days is erased, one audit entry per
//! claim. The claim, its facts (nothing personal), its decisions and reviews stay; the masked
//! identity number stays for the case file; reading the worker answers 410
//! `personal_data_erased`. Unset (the default), personal data is kept.

use crate::db::writer::AuditDraft;
use crate::{AppState, Error, now};
use oip_engine::types::Timestamp;

/// Claims looked at per pass.
const PAGE: i64 = 200;

/// The settled statuses whose personal data the retention period erases.
const SETTLED: [&str; 2] = ["denied", "closed"];

/// One pass: erases the personal data of up to a page of settled claims last changed before
/// the retention period; how many it erased.
pub(crate) async fn erase_pass(state: &AppState) -> Result<usize, Error> {
    let Some(days) = state.config.personal_data_retention_days else {
        return Ok(0);
    };
    let secs = i64::try_from(days.saturating_mul(86_400)).unwrap_or(i64::MAX);
    let before = now().0.saturating_sub(secs);
    let mut erased = 0;
    for (id, updated) in state.db.holding_personal_data(&SETTLED, PAGE).await? {
        // Timestamps are compared as instants (their text may carry other offsets).
        let old = Timestamp::parse_rfc3339(&updated).is_ok_and(|u| u.0 <= before);
        if !old {
            continue;
        }
        let erase = state.db.erase_personal_data_stmt(&id, &updated, &SETTLED);
        let audit = AuditDraft {
            actor: "system".into(),
            action: "claim.personal_data_erased".into(),
            claim_id: Some(id.clone()),
            before: None,
            after: Some(
                serde_json::json!({ "retention_days": days, "fields": ["id_number", "name", "birth_date", "phone"] })
                    .to_string(),
            ),
        };
        if state
            .writer
            .submit_logged(Some(erase), vec![], vec![audit], vec![])
            .await?
        {
            erased += 1;
        }
    }
    if erased > 0 {
        tracing::info!(
            claims = erased,
            retention_days = days,
            "personal data erased after the retention period"
        );
    }
    Ok(erased)
}
