//! Enrolment: what an approved claim is owed, from its approved lines. A lump sum becomes one
//! ledger entry, owed from the month of enrolment; a monthly line becomes an entitlement that
//! each monthly run enters month by month. When the approved lines change (a re-decision
//! approved, an appeal, an override), the entitlements are replaced: a month already entered
//! is not entered again, the difference for it is owed as a true-up (补差), and a lump sum
//! not yet in a run is cancelled and entered anew.

use super::payee_of;
use crate::db::claims::ClaimRow;
use crate::db::payments::{EntitlementRow, EntryRow};
use crate::db::writer::AuditDraft;
use crate::domain::serde_name as enum_name;
use crate::domain::{ClaimStatus, EntryKind, EntryState, Month, ReviewedLine};
use crate::error::Error;
use crate::{AppState, now};
use oip_engine::types::{BenefitItem, Facts, Period};
use serde_json::json;
use sha2::Digest;

/// The first month a monthly item is owed: the month after the appraisal conclusion for the
/// disability allowance and the living care ("自作出劳动能力鉴定结论的次月起计发",
/// `benefits.md` §3.3 and §7.2), the month after the death for the dependants' pension (§7.2);
/// otherwise, or when the date is not in the facts, the month after `enrolled`.
pub fn first_month(item: BenefitItem, facts: Option<&Facts>, enrolled: Month) -> Month {
    let from = facts.and_then(|f| match item {
        BenefitItem::DisabilityAllowance | BenefitItem::LivingCare => {
            f.assessment.assessed_at.map(Month::of_date)
        }
        BenefitItem::DependantPension => f
            .death
            .as_ref()
            .map(|d| Month::of_date(d.died_at.beijing_date())),
        _ => None,
    });
    from.unwrap_or(enrolled).next()
}

/// The lines that are owed: approved, not removed, with an amount.
fn payable(lines: &[ReviewedLine]) -> impl Iterator<Item = (usize, &ReviewedLine, i64)> {
    lines.iter().enumerate().filter_map(|(n, l)| {
        let amount = l.amount_fen.and_then(|a| i64::try_from(a).ok())?;
        (!l.removed && amount > 0).then_some((n, l, amount))
    })
}

fn fingerprint(lines: &[ReviewedLine]) -> String {
    hex::encode(sha2::Sha256::digest(crate::db::to_json(&lines).as_bytes()))
}

/// Enrols a claim's current approved lines if they are not enrolled yet (`Ok(true)` when it
/// wrote). Idempotent, and safe beside another instance doing the same (the enrolment row is
/// the guard).
pub async fn enrol(state: &AppState, claim: &ClaimRow) -> Result<bool, Error> {
    // An approved (or settled) claim is owed its approved lines; one denied after it was
    // enrolled (an appeal, a review) is owed nothing more: its entitlements stop, a lump sum
    // in no run is cancelled and one paid is recovered.
    let lines = match claim.status {
        ClaimStatus::Approved | ClaimStatus::Closed => {
            claim.workflow.approved_benefits.clone().unwrap_or_default()
        }
        ClaimStatus::Denied => Vec::new(),
        _ => return Ok(false),
    };
    let sha = fingerprint(&lines);
    let at = now().to_string();
    let enrolled = state.db.enrolment(&claim.id).await?;
    if enrolled.is_none() && claim.status == ClaimStatus::Denied {
        return Ok(false);
    }
    if let Some((version, old_sha)) = &enrolled {
        if *version >= claim.version {
            return Ok(false);
        }
        if *old_sha == sha {
            let stmt = state.db.enrol_stmt(&claim.id, claim.version, &sha, &at);
            return Ok(state.writer.submit(Some(stmt), vec![]).await?);
        }
    }
    let facts: Option<Facts> = serde_json::from_str(&claim.facts).ok();
    let this_month = Month::current();
    let provenance = match &claim.decision_id {
        Some(id) => state.db.decision(id).await?.map(|d| d.provenance),
        None => None,
    };
    let old: Vec<EntitlementRow> = state
        .db
        .entitlements_of(&claim.id)
        .await?
        .into_iter()
        .filter(|e| e.superseded_at.is_none())
        .collect();
    let old_entries = if old.is_empty() {
        Vec::new()
    } else {
        state.db.entries_of(&claim.id).await?
    };

    let mut new_ents = Vec::new();
    let mut entries = Vec::new();
    let mut reverse = Vec::new();
    // Old lines whose last month is not their last entered one (months owed before a change).
    let mut stops: Vec<(String, Month)> = Vec::new();
    let mut matched = vec![false; old.len()];
    for (n, line, amount) in payable(&lines) {
        let payee = payee_of(line.item);
        let counterpart = old.iter().enumerate().position(|(k, o)| {
            !matched[k] && o.item == line.item && o.payee == payee && o.period == line.period
        });
        if let Some(k) = counterpart {
            matched[k] = true;
        }
        let before = counterpart.map(|k| &old[k]);
        // A changed monthly line takes effect from its own first month under the new facts
        // (a re-appraisal: the month after the new conclusion, benefits.md §6), or from the
        // old line's first month when that is later (a figure published: backdated).
        let first = match (line.period, before) {
            (Period::Monthly, Some(o)) => {
                o.first_month
                    .max(first_month(line.item, facts.as_ref(), this_month))
            }
            (Period::Monthly, None) => first_month(line.item, facts.as_ref(), this_month),
            (Period::LumpSum, _) => this_month,
        };
        let e = EntitlementRow {
            id: format!("{}:{}:{n}", claim.id, claim.version),
            claim_id: claim.id.clone(),
            decision_id: claim.decision_id.clone(),
            region: claim.region.clone(),
            line: n as i64,
            item: line.item,
            payer: line.payer,
            period: line.period,
            payee: payee.to_string(),
            amount_fen: amount,
            first_month: first,
            last_month: None,
            entered_through: match line.period {
                Period::Monthly => before.and_then(|o| o.entered_through),
                Period::LumpSum => None,
            },
            rule: line
                .citation
                .as_ref()
                .map(crate::db::to_json)
                .unwrap_or_else(|| json!({"id": "adjuster", "title": "经办人员增列 / added by an adjuster", "source": "review"}).to_string()),
            formula: line.formula.as_ref().map(crate::db::to_json),
            policy_sha256: provenance.as_ref().map(|p| p.sha256.clone()),
            policy_version: provenance.as_ref().map(|p| p.version.clone()),
            provisional: line.provisional,
            created_at: at.clone(),
            superseded_at: None,
        };
        let entry = |kind, month: Month, amount_fen, id: String, refers_to| EntryRow {
            id,
            entitlement_id: e.id.clone(),
            claim_id: claim.id.clone(),
            region: claim.region.clone(),
            kind,
            item: e.item,
            payer: e.payer,
            payee: e.payee.clone(),
            month,
            amount_fen,
            state: EntryState::Scheduled,
            run_id: None,
            refers_to,
            created_at: at.clone(),
        };
        match (line.period, before) {
            (Period::LumpSum, before) => {
                // The old lump sum: cancelled while in no run, else the difference is owed.
                let old_lump = before.and_then(|o| {
                    old_entries
                        .iter()
                        .find(|x| x.entitlement_id == o.id && x.kind == EntryKind::LumpSum)
                });
                match old_lump {
                    Some(x) if x.state != EntryState::Scheduled => {
                        if amount != x.amount_fen {
                            entries.push(entry(
                                EntryKind::TrueUp,
                                this_month,
                                amount - x.amount_fen,
                                format!("{}:lump:t", e.id),
                                Some(x.id.clone()),
                            ));
                        }
                    }
                    other => {
                        if let Some(x) = other {
                            reverse.push(x.id.clone());
                        }
                        entries.push(entry(
                            EntryKind::LumpSum,
                            this_month,
                            amount,
                            format!("{}:lump", e.id),
                            None,
                        ));
                    }
                }
            }
            (Period::Monthly, Some(o)) => {
                // The months before the change that no run entered yet stay owed at the old
                // amount (the old line stops with them).
                let unpaid = o
                    .entered_through
                    .map(Month::next)
                    .unwrap_or(o.first_month)
                    .max(o.first_month);
                if unpaid < first {
                    stops.push((o.id.clone(), Month(first.0 - 1)));
                }
                for m in (unpaid.0..first.0).map(Month) {
                    entries.push(EntryRow {
                        id: format!("{}:{m}", o.id),
                        entitlement_id: o.id.clone(),
                        kind: EntryKind::Monthly,
                        month: m,
                        amount_fen: o.amount_fen,
                        ..entry(EntryKind::Monthly, m, o.amount_fen, String::new(), None)
                    });
                }
                // Every month already entered from the change on is owed the difference.
                for x in old_entries.iter().filter(|x| {
                    x.entitlement_id == o.id
                        && x.kind == EntryKind::Monthly
                        && x.state != EntryState::Reversed
                        && x.month >= first
                        && x.amount_fen != amount
                }) {
                    entries.push(entry(
                        EntryKind::TrueUp,
                        x.month,
                        amount - x.amount_fen,
                        format!("{}:{}:t", e.id, x.month),
                        Some(x.id.clone()),
                    ));
                }
            }
            (Period::Monthly, None) => {}
        }
        new_ents.push(e);
    }
    // An old line with no successor: its lump sum still in no run is cancelled, one paid is
    // recovered (a negative true-up); its months stop after the last one entered, and on a
    // denial the months paid are recovered too (追回).
    let denied = claim.status == ClaimStatus::Denied;
    for o in old
        .iter()
        .zip(&matched)
        .filter(|(_, m)| !**m)
        .map(|(o, _)| o)
    {
        for x in old_entries.iter().filter(|x| {
            x.entitlement_id == o.id
                && x.state != EntryState::Reversed
                && (x.kind == EntryKind::LumpSum || (denied && x.kind == EntryKind::Monthly))
        }) {
            if x.state == EntryState::Scheduled {
                reverse.push(x.id.clone());
            } else {
                entries.push(EntryRow {
                    id: format!("{}:t:{}", x.id, claim.version),
                    kind: EntryKind::TrueUp,
                    month: this_month,
                    amount_fen: -x.amount_fen,
                    state: EntryState::Scheduled,
                    run_id: None,
                    refers_to: Some(x.id.clone()),
                    created_at: at.clone(),
                    ..x.clone()
                });
            }
        }
    }

    let mut then = Vec::new();
    let old_ids: Vec<String> = old.iter().map(|o| o.id.clone()).collect();
    if !old_ids.is_empty() {
        then.push(state.db.supersede_stmt(&old_ids, &at));
    }
    for (id, last) in &stops {
        then.push(state.db.last_month_stmt(id, *last));
    }
    if !reverse.is_empty() {
        then.push(state.db.reverse_scheduled_stmt(&reverse));
    }
    let rows = new_ents
        .iter()
        .map(EntitlementRow::row)
        .chain(entries.iter().map(EntryRow::row))
        .collect();
    let true_ups: i64 = entries
        .iter()
        .filter(|e| e.kind == EntryKind::TrueUp)
        .map(|e| e.amount_fen)
        .sum();
    let audit = AuditDraft {
        actor: "system".into(),
        action: "payments.enrolled".into(),
        claim_id: Some(claim.id.clone()),
        before: None,
        after: Some(
            json!({
                "claim_version": claim.version,
                "decision_id": claim.decision_id,
                "entitlements": new_ents.iter().map(|e| json!({
                    "id": e.id, "item": enum_name(&e.item), "period": enum_name(&e.period),
                    "amount_fen": e.amount_fen, "first_month": e.first_month.to_string(),
                })).collect::<Vec<_>>(),
                "superseded": old_ids,
                "true_ups": entries.iter().filter(|e| e.kind == EntryKind::TrueUp).count(),
                "true_up_fen": true_ups,
            })
            .to_string(),
        ),
    };
    let guard =
        crate::db::writer::Guard::Stmt(state.db.enrol_stmt(&claim.id, claim.version, &sha, &at));
    let applied = state
        .writer
        .submit_rows_then(Some(guard), rows, then, vec![audit])
        .await?;
    Ok(matches!(applied, crate::db::writer::Applied::Done(_)))
}
