//! The bank file of a released run, as CSV and as JSON.

use super::visible_run;
use crate::AppState;
use crate::auth::Principal;
use crate::db::runs::{PayeeRow, RunRow};
use crate::domain::RunStatus;
use crate::error::{Code, Error};
use serde_json::json;

/// The bank file of a released run: one line per payee (claim, payee, payer), amounts in
/// yuan with two decimals, and a checksum line (count, total, and the digest of every line
/// before it, SHA-256 or SM3 under `crypto = "gm"`).
pub async fn export_csv(state: &AppState, who: &Principal, id: &str) -> Result<String, Error> {
    let r = released(state, who, id).await?;
    let mut out = String::from("run_id,region,month,claim_id,payee,payer,lines,amount_yuan\n");
    let (mut count, mut total) = (0i64, 0i64);
    for p in payees(state, &r.id).await? {
        count += 1;
        total = total
            .checked_add(p.amount_fen)
            .ok_or_else(|| Error::internal("a run's total overflows"))?;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            r.id,
            r.region,
            r.month,
            p.claim_id,
            p.payee,
            crate::domain::serde_name(&p.payer),
            p.lines,
            yuan(p.amount_fen)
        ));
    }
    let digest = hex::encode(state.config.crypto.digest(out.as_bytes()));
    let algorithm = match state.config.crypto {
        crate::crypto::Profile::Standard => "sha256",
        crate::crypto::Profile::Gm => "sm3",
    };
    out.push_str(&format!(
        "#checksum,{count},{},{algorithm}:{digest}\n",
        yuan(total)
    ));
    Ok(out)
}

/// The same, as JSON.
pub async fn export_json(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<serde_json::Value, Error> {
    let r = released(state, who, id).await?;
    let payees = payees(state, &r.id).await?;
    let total: i64 = payees.iter().map(|p| p.amount_fen).sum();
    Ok(json!({
        "run_id": r.id, "region": r.region, "month": r.month.to_string(),
        "released_by": r.released_by, "released_at": r.released_at,
        "payees": payees.iter().map(|p| json!({
            "claim_id": p.claim_id, "payee": p.payee,
            "payer": crate::domain::serde_name(&p.payer),
            "lines": p.lines, "amount_fen": p.amount_fen, "amount_yuan": yuan(p.amount_fen),
        })).collect::<Vec<_>>(),
        "count": payees.len(), "total_fen": total, "total_yuan": yuan(total),
    }))
}

async fn released(state: &AppState, who: &Principal, id: &str) -> Result<RunRow, Error> {
    let r = visible_run(state, who, id).await?;
    if r.status != RunStatus::Released {
        return Err(Code::PaymentRunNotReleased.into());
    }
    Ok(r)
}

/// Every payee of a run, read a page at a time.
async fn payees(state: &AppState, run_id: &str) -> Result<Vec<PayeeRow>, Error> {
    let mut out: Vec<PayeeRow> = Vec::new();
    loop {
        let after = out
            .last()
            .map(|p| {
                (
                    p.claim_id.clone(),
                    p.payee.clone(),
                    crate::domain::serde_name(&p.payer),
                )
            })
            .unwrap_or_default();
        let page = state
            .db
            .run_payees(run_id, (&after.0, &after.1, &after.2), 10_000)
            .await?;
        let done = page.len() < 10_000;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// Fen as yuan with two decimals (`-12.30` for −1,230 fen).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}
