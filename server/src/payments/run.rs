//! Building a region's monthly run: enrol what was approved since the last one, put into the
//! run every entry owed up to its month and in no run (lump sums, true-ups, re-queued returns),
//! then enter every current monthly entitlement for each month it is owed up to the run's month
//! (arrears included), a chunk at a time. Each step is one transaction guarded by the run's
//! cursor, so a build killed halfway resumes where it stopped on the next start (or the next
//! request for the same run), and no line is entered twice (entry ids are deterministic and
//! inserted with `ON CONFLICT DO NOTHING`).

use crate::AppState;
use crate::db::payments::LiveMonthly;
use crate::db::writer::{Applied, AuditDraft, Guard, Row};
use crate::domain::{EntryKind, EntryState, Month, RunStatus};
use crate::error::Error;
use serde_json::json;

/// Entitlements read and entered per transaction.
pub const CHUNK: u64 = 10_000;

/// Claims enrolled per read.
const ENROL_PAGE: u64 = 200;

const MONTHLY: &str = "monthly:";
const DONE: &str = "done";

/// A monthly entitlement's lines for a run of `month`: every month from the one after the
/// last entered (or its first) to the run's month, or to its last month when earlier.
fn lines_of(e: &LiveMonthly, month: Month) -> impl Iterator<Item = Month> + '_ {
    let from = e
        .entered_through
        .map(|m| m.next())
        .unwrap_or(e.first_month)
        .max(e.first_month);
    let to = e.last_month.map_or(month, |l| l.min(month));
    (from.0..=to.0).map(Month)
}

/// The row of one line of a run (the entry inserted straight from the entitlement's columns).
fn line_row(e: &LiveMonthly, m: Month, run_id: &str, region: &str, at: &str) -> Row {
    Row {
        table: &crate::db::payments::ENTRIES,
        values: vec![
            format!("{}:{m}", e.id).into(),
            e.id.clone().into(),
            e.claim_id.clone().into(),
            region.into(),
            EntryKind::Monthly.as_str().into(),
            e.item.clone().into(),
            e.payer.clone().into(),
            e.payee.clone().into(),
            m.0.into(),
            e.amount_fen.into(),
            EntryState::InBatch.as_str().into(),
            Some(run_id.to_string()).into(),
            Option::<String>::None.into(),
            at.into(),
        ],
    }
}

/// Builds (or resumes building) a run until it is built. Returns when it is, or when another
/// builder moved it meanwhile (that builder finishes it).
pub async fn build(state: &AppState, run_id: &str) -> Result<(), Error> {
    let Some(run) = state.db.run(run_id).await? else {
        return Ok(());
    };
    if run.status != RunStatus::Building {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let mut cursor = run.cursor.clone();
    let at = crate::now().to_string();
    if cursor.is_empty() {
        // Enrolment first: what was approved since the last run is owed in this one.
        let mut after = String::new();
        loop {
            let claims = state
                .db
                .claims_to_enrol(&run.region, &after, ENROL_PAGE)
                .await?;
            let Some(last) = claims.last() else { break };
            after = last.id.clone();
            for c in &claims {
                if let Err(e) = super::enrol::enrol(state, c).await {
                    tracing::error!(claim_id = %c.id, error = %e, "enrolment failed");
                }
            }
        }
        let to = MONTHLY.to_string();
        let step = state.db.advance_run_stmt(run_id, &cursor, &to);
        let attach = state.db.attach_owed_stmt(run_id, &run.region, run.month);
        if !state.writer.submit(Some(step), vec![attach]).await? {
            return Ok(());
        }
        cursor = to;
    }
    while let Some(after) = cursor.strip_prefix(MONTHLY).map(str::to_string) {
        let Some(last) = state.db.chunk_end(&run.region, &after, CHUNK).await? else {
            let step = state.db.advance_run_stmt(run_id, &cursor, DONE);
            if !state.writer.submit(Some(step), vec![]).await? {
                return Ok(());
            }
            cursor = DONE.to_string();
            break;
        };
        let to = format!("{MONTHLY}{last}");
        // Arrears (rare) row by row; the run's month in one statement; then the chunk is
        // marked entered. One transaction, guarded by the cursor.
        let before = Month(run.month.0 - 1);
        let rows: Vec<Row> = state
            .db
            .in_arrears(&run.region, &after, &last, run.month)
            .await?
            .iter()
            .flat_map(|e| lines_of(e, before).map(|m| line_row(e, m, run_id, &run.region, &at)))
            .collect();
        let then = vec![
            state
                .db
                .enter_month_stmt(run_id, &run.region, &after, &last, run.month, &at),
            state.db.entered_stmt(&run.region, &after, &last, run.month),
        ];
        let guard = Guard::Stmt(state.db.advance_run_stmt(run_id, &cursor, &to));
        let applied = state
            .writer
            .submit_rows_then(Some(guard), rows, then, vec![])
            .await?;
        if matches!(applied, Applied::Skipped) {
            return Ok(());
        }
        cursor = to;
    }
    if cursor == DONE {
        let totals = state.db.run_totals(run_id).await?;
        let lines: i64 = totals.iter().map(|t| t.lines).sum();
        let total: i64 = totals.iter().map(|t| t.amount_fen).sum();
        let audit = AuditDraft {
            actor: "system".into(),
            action: "payment_run.built".into(),
            claim_id: None,
            before: None,
            after: Some(
                json!({ "run_id": run_id, "region": run.region, "month": run.month.to_string(),
                        "lines": lines, "total_fen": total })
                .to_string(),
            ),
        };
        let finish = state.db.finish_run_stmt(run_id, &crate::now().to_string());
        state
            .writer
            .submit_logged(Some(finish), vec![], vec![audit], vec![])
            .await?;
        tracing::info!(run_id, region = %run.region, month = %run.month, lines, took_ms = started.elapsed().as_millis() as u64, "payment run built");
    }
    Ok(())
}

/// Resumes every build an earlier process left unfinished (at start).
pub async fn resume(state: &AppState) {
    match state.db.runs_building().await {
        Ok(runs) => {
            for r in runs {
                tracing::info!(run_id = %r.id, cursor = %r.cursor, "resuming a payment run");
                if let Err(e) = build(state, &r.id).await {
                    tracing::error!(run_id = %r.id, error = %e, "payment run failed");
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "reading the unfinished payment runs failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ent(first: &str, through: Option<&str>, last: Option<&str>) -> LiveMonthly {
        LiveMonthly {
            id: "e".into(),
            claim_id: "c".into(),
            item: "disability_allowance".into(),
            payer: "fund".into(),
            payee: "worker".into(),
            amount_fen: 100,
            first_month: Month::parse(first).unwrap(),
            last_month: last.map(|l| Month::parse(l).unwrap()),
            entered_through: through.map(|t| Month::parse(t).unwrap()),
        }
    }

    fn months(e: &LiveMonthly, run: &str) -> Vec<String> {
        lines_of(e, Month::parse(run).unwrap())
            .map(|m| m.to_string())
            .collect()
    }

    #[test]
    fn a_run_enters_arrears_the_month_and_nothing_past_a_stop() {
        // Owed from October, nothing entered: the November run pays October and November.
        assert_eq!(
            months(&ent("2026-10", None, None), "2026-11"),
            ["2026-10", "2026-11"]
        );
        // Entered through November: December only.
        assert_eq!(
            months(&ent("2026-10", Some("2026-11"), None), "2026-12"),
            ["2026-12"]
        );
        // Entered through the run's month already: nothing (a run twice enters nothing twice).
        assert!(months(&ent("2026-10", Some("2026-12"), None), "2026-12").is_empty());
        // Stops in November: the December run enters November's arrears, not December.
        assert_eq!(
            months(&ent("2026-10", Some("2026-10"), Some("2026-11")), "2026-12"),
            ["2026-11"]
        );
        // Not owed yet.
        assert!(months(&ent("2027-01", None, None), "2026-12").is_empty());
    }
}
