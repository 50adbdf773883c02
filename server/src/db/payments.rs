//! The payment ledger's tables: `entitlements` (what an approved claim is owed, one row per
//! approved line), `enrolments` (which state of a claim its entitlements come from) and
//! `ledger` (the entries owed and paid); the monthly runs that batch them are in
//! [`super::runs`]. See [`crate::payments`].

use super::writer::{Row, Table};
use super::{Db, i, named, os, s};
use crate::domain::{EntryKind, EntryState, Month};
use oip_engine::types::{BenefitItem, Payer, Period};
use sea_orm::{DbErr, QueryResult, Statement, Value};
use std::borrow::Cow;

use crate::domain::serde_name as enum_name;

/// One of the contract's enums from its stored name; an unknown one is a corrupt row.
pub(super) fn contract_enum<T: serde::de::DeserializeOwned>(
    r: &QueryResult,
    c: &str,
) -> Result<T, DbErr> {
    let v = s(r, c)?;
    serde_json::from_value(serde_json::Value::String(v.clone()))
        .map_err(|_| DbErr::Custom(format!("column {c}: unknown value {v:?}")))
}

pub(super) fn month(r: &QueryResult, c: &str) -> Result<Month, DbErr> {
    i(r, c).map(Month)
}

pub(super) fn omonth(r: &QueryResult, c: &str) -> Result<Option<Month>, DbErr> {
    let v: Option<i64> = r.try_get("", c)?;
    Ok(v.map(Month))
}

/// What an approved line entitles its payee to.
#[derive(Clone, Debug, PartialEq)]
pub struct EntitlementRow {
    /// Id (`{claim}:{claim version}:{line}`).
    pub id: String,
    /// The claim.
    pub claim_id: String,
    /// The decision the approved lines came from.
    pub decision_id: Option<String>,
    /// The claim's region.
    pub region: String,
    /// The line's place among the approved lines.
    pub line: i64,
    /// The item.
    pub item: BenefitItem,
    /// Who pays.
    pub payer: Payer,
    /// Once or monthly.
    pub period: Period,
    /// To whom: `worker` or `dependants`.
    pub payee: String,
    /// The amount (a month's, for a monthly line), fen.
    pub amount_fen: i64,
    /// The first month owed (a lump sum: the month it became owed).
    pub first_month: Month,
    /// The last month owed; none while it runs.
    pub last_month: Option<Month>,
    /// The last month a run entered (monthly lines).
    pub entered_through: Option<Month>,
    /// The rule (the line's citation, JSON).
    pub rule: String,
    /// The formula with its figures (JSON text), when the module gave one.
    pub formula: Option<String>,
    /// The module that decided.
    pub policy_sha256: Option<String>,
    /// Its version.
    pub policy_version: Option<String>,
    /// Rests on an unconfirmed figure.
    pub provisional: bool,
    /// When it was entered.
    pub created_at: String,
    /// When later approved lines replaced it.
    pub superseded_at: Option<String>,
}

const ENT_COLS: &str = "id, claim_id, decision_id, region, line, item, payer, period, payee, \
    amount_fen, first_month, last_month, entered_through, rule, formula, policy_sha256, \
    policy_version, provisional, created_at, superseded_at";

fn entitlement_row(r: &QueryResult) -> Result<EntitlementRow, DbErr> {
    Ok(EntitlementRow {
        id: s(r, "id")?,
        claim_id: s(r, "claim_id")?,
        decision_id: os(r, "decision_id")?,
        region: s(r, "region")?,
        line: i(r, "line")?,
        item: contract_enum(r, "item")?,
        payer: contract_enum(r, "payer")?,
        period: contract_enum(r, "period")?,
        payee: s(r, "payee")?,
        amount_fen: i(r, "amount_fen")?,
        first_month: month(r, "first_month")?,
        last_month: omonth(r, "last_month")?,
        entered_through: omonth(r, "entered_through")?,
        rule: s(r, "rule")?,
        formula: os(r, "formula")?,
        policy_sha256: os(r, "policy_sha256")?,
        policy_version: os(r, "policy_version")?,
        provisional: i(r, "provisional")? != 0,
        created_at: s(r, "created_at")?,
        superseded_at: os(r, "superseded_at")?,
    })
}

/// A ledger entry.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryRow {
    /// Id: `{entitlement}:{YYYY-MM}` for a month, `{entitlement}:lump` for a lump sum,
    /// `...:t` for a true-up, `...:r` for a re-queued return (so no line is entered twice).
    pub id: String,
    /// What it pays out of.
    pub entitlement_id: String,
    /// The claim.
    pub claim_id: String,
    /// The region.
    pub region: String,
    /// What it is.
    pub kind: EntryKind,
    /// The item.
    pub item: BenefitItem,
    /// Who pays.
    pub payer: Payer,
    /// To whom.
    pub payee: String,
    /// The month it pays for (a lump sum or a correction: the month it became owed).
    pub month: Month,
    /// The amount, fen (a true-up may be negative).
    pub amount_fen: i64,
    /// Where it stands.
    pub state: EntryState,
    /// The run it is in.
    pub run_id: Option<String>,
    /// The entry it corrects or owes again.
    pub refers_to: Option<String>,
    /// When it was entered.
    pub created_at: String,
}

pub(super) const ENTRY_COLS: &str = "id, entitlement_id, claim_id, region, kind, item, payer, payee, month, \
    amount_fen, state, run_id, refers_to, created_at";

pub(super) fn entry_row(r: &QueryResult) -> Result<EntryRow, DbErr> {
    Ok(EntryRow {
        id: s(r, "id")?,
        entitlement_id: s(r, "entitlement_id")?,
        claim_id: s(r, "claim_id")?,
        region: s(r, "region")?,
        kind: named(r, "kind")?,
        item: contract_enum(r, "item")?,
        payer: contract_enum(r, "payer")?,
        payee: s(r, "payee")?,
        month: month(r, "month")?,
        amount_fen: i(r, "amount_fen")?,
        state: named(r, "state")?,
        run_id: os(r, "run_id")?,
        refers_to: os(r, "refers_to")?,
        created_at: s(r, "created_at")?,
    })
}

/// A monthly entitlement as a run reads it (the columns it needs, no text).
#[derive(Clone, Debug)]
pub struct LiveMonthly {
    /// Its id.
    pub id: String,
    /// The claim.
    pub claim_id: String,
    /// The item (stored name).
    pub item: String,
    /// Who pays (stored name).
    pub payer: String,
    /// To whom.
    pub payee: String,
    /// A month's amount.
    pub amount_fen: i64,
    /// The first month owed.
    pub first_month: Month,
    /// The last, if it stops.
    pub last_month: Option<Month>,
    /// The last month entered.
    pub entered_through: Option<Month>,
}

fn live_monthly_row(r: &QueryResult) -> Result<LiveMonthly, DbErr> {
    Ok(LiveMonthly {
        id: s(r, "id")?,
        claim_id: s(r, "claim_id")?,
        item: s(r, "item")?,
        payer: s(r, "payer")?,
        payee: s(r, "payee")?,
        amount_fen: i(r, "amount_fen")?,
        first_month: month(r, "first_month")?,
        last_month: omonth(r, "last_month")?,
        entered_through: omonth(r, "entered_through")?,
    })
}

/// What a claim's current entitlement has paid so far (a shadow run's true-up forecast).
#[derive(Clone, Debug, PartialEq)]
pub struct PaidSoFar {
    /// The item.
    pub item: BenefitItem,
    /// Once or monthly.
    pub period: Period,
    /// The amount paid (a month's, for a monthly item), fen.
    pub amount_fen: i64,
    /// Months a run entered.
    pub months_entered: i64,
    /// A lump sum in a run.
    pub lump_entered: bool,
}

/// The ledger's entries, inserted by the writer (an entry already entered is skipped).
pub static ENTRIES: Table = Table {
    head: Cow::Borrowed(
        "INSERT INTO ledger (id, entitlement_id, claim_id, region, kind, item, payer, payee, \
         month, amount_fen, state, run_id, refers_to, created_at) VALUES ",
    ),
    row: Cow::Borrowed("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    tail: Cow::Borrowed(" ON CONFLICT DO NOTHING"),
};

/// The entitlements, inserted by the writer.
pub static ENTITLEMENTS: Table = Table {
    head: Cow::Borrowed(
        "INSERT INTO entitlements (id, claim_id, decision_id, region, line, item, payer, period, \
         payee, amount_fen, first_month, last_month, entered_through, rule, formula, \
         policy_sha256, policy_version, provisional, created_at, superseded_at) VALUES ",
    ),
    row: Cow::Borrowed("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    tail: Cow::Borrowed(""),
};

impl EntryRow {
    /// The entry as a row for the writer.
    pub fn row(&self) -> Row {
        Row {
            table: &ENTRIES,
            values: vec![
                self.id.clone().into(),
                self.entitlement_id.clone().into(),
                self.claim_id.clone().into(),
                self.region.clone().into(),
                self.kind.as_str().into(),
                enum_name(&self.item).into(),
                enum_name(&self.payer).into(),
                self.payee.clone().into(),
                self.month.0.into(),
                self.amount_fen.into(),
                self.state.as_str().into(),
                self.run_id.clone().into(),
                self.refers_to.clone().into(),
                self.created_at.clone().into(),
            ],
        }
    }
}

impl EntitlementRow {
    /// The entitlement as a row for the writer.
    pub fn row(&self) -> Row {
        Row {
            table: &ENTITLEMENTS,
            values: vec![
                self.id.clone().into(),
                self.claim_id.clone().into(),
                self.decision_id.clone().into(),
                self.region.clone().into(),
                self.line.into(),
                enum_name(&self.item).into(),
                enum_name(&self.payer).into(),
                enum_name(&self.period).into(),
                self.payee.clone().into(),
                self.amount_fen.into(),
                self.first_month.0.into(),
                self.last_month.map(|m| m.0).into(),
                self.entered_through.map(|m| m.0).into(),
                self.rule.clone().into(),
                self.formula.clone().into(),
                self.policy_sha256.clone().into(),
                self.policy_version.clone().into(),
                i64::from(self.provisional).into(),
                self.created_at.clone().into(),
                self.superseded_at.clone().into(),
            ],
        }
    }
}

impl Db {
    /// The enrolled state of a claim: its version and the fingerprint of its approved lines.
    pub async fn enrolment(&self, claim_id: &str) -> Result<Option<(i64, String)>, DbErr> {
        self.one(
            "SELECT claim_version, lines_sha256 FROM enrolments WHERE claim_id = ?",
            vec![claim_id.into()],
            |r| Ok((i(r, "claim_version")?, s(r, "lines_sha256")?)),
        )
        .await
    }

    /// Records a claim's enrolled state, unless a later state of it is recorded already
    /// (returns the claim id when it did).
    pub fn enrol_stmt(&self, claim_id: &str, version: i64, sha: &str, at: &str) -> Statement {
        self.stmt(
            "INSERT INTO enrolments (claim_id, claim_version, lines_sha256, enrolled_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT (claim_id) DO UPDATE SET \
             claim_version = excluded.claim_version, lines_sha256 = excluded.lines_sha256, \
             enrolled_at = excluded.enrolled_at \
             WHERE enrolments.claim_version < excluded.claim_version RETURNING claim_id",
            vec![claim_id.into(), version.into(), sha.into(), at.into()],
        )
    }

    /// The approved (or closed) claims of a region whose current state is not enrolled, and
    /// the enrolled ones denied since, after `after` in id order.
    pub async fn claims_to_enrol(
        &self,
        region: &str,
        after: &str,
        limit: u64,
    ) -> Result<Vec<super::claims::ClaimRow>, DbErr> {
        let cols = super::claims::CLAIM_COLS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.all(
            &format!(
                "SELECT {cols} FROM claims c LEFT JOIN enrolments e ON e.claim_id = c.id \
                 WHERE c.region = ? AND c.id > ? \
                 AND ((c.status IN ('approved', 'closed') \
                       AND (e.claim_id IS NULL OR e.claim_version < c.version)) \
                   OR (c.status = 'denied' AND e.claim_version < c.version)) \
                 ORDER BY c.id LIMIT {limit}"
            ),
            vec![region.into(), after.into()],
            super::claims::claim_row,
        )
        .await
    }

    /// A claim's entitlements, the current ones first, each in line order.
    pub async fn entitlements_of(&self, claim_id: &str) -> Result<Vec<EntitlementRow>, DbErr> {
        self.all(
            &format!(
                "SELECT {ENT_COLS} FROM entitlements WHERE claim_id = ? \
                 ORDER BY superseded_at IS NOT NULL, created_at DESC, line"
            ),
            vec![claim_id.into()],
            entitlement_row,
        )
        .await
    }

    /// A claim's ledger entries, by month then id.
    pub async fn entries_of(&self, claim_id: &str) -> Result<Vec<EntryRow>, DbErr> {
        self.all(
            &format!("SELECT {ENTRY_COLS} FROM ledger WHERE claim_id = ? ORDER BY month, id"),
            vec![claim_id.into()],
            entry_row,
        )
        .await
    }

    /// Ends entitlements replaced by later approved lines: each stops after the last month
    /// entered (or before it began, when none was).
    pub fn supersede_stmt(&self, ids: &[String], at: &str) -> Statement {
        let mut values: Vec<Value> = vec![at.into()];
        values.extend(ids.iter().map(|i| Value::from(i.clone())));
        self.stmt(
            &format!(
                "UPDATE entitlements SET superseded_at = ?, \
                 last_month = COALESCE(entered_through, first_month - 1) \
                 WHERE superseded_at IS NULL AND id IN ({})",
                vec!["?"; ids.len()].join(", ")
            ),
            values,
        )
    }

    /// Sets the last month of a superseded entitlement (the months owed before the change).
    pub fn last_month_stmt(&self, id: &str, last: Month) -> Statement {
        self.stmt(
            "UPDATE entitlements SET last_month = ? WHERE id = ?",
            vec![last.0.into(), id.into()],
        )
    }

    /// Cancels entries not yet in a run.
    pub fn reverse_scheduled_stmt(&self, ids: &[String]) -> Statement {
        self.stmt(
            &format!(
                "UPDATE ledger SET state = 'reversed' WHERE state = 'scheduled' AND id IN ({})",
                vec!["?"; ids.len()].join(", ")
            ),
            ids.iter().map(|i| Value::from(i.clone())).collect(),
        )
    }

    /// A region's current monthly entitlements after `after`, in id order.
    pub async fn live_monthly(
        &self,
        region: &str,
        after: &str,
        limit: u64,
    ) -> Result<Vec<LiveMonthly>, DbErr> {
        self.all(
            &format!(
                "SELECT id, claim_id, item, payer, payee, amount_fen, first_month, last_month, \
                 entered_through FROM entitlements \
                 WHERE region = ? AND period = 'monthly' AND superseded_at IS NULL AND id > ? \
                 ORDER BY id LIMIT {limit}"
            ),
            vec![region.into(), after.into()],
            live_monthly_row,
        )
        .await
    }

    /// The last id of the next chunk of a region's current monthly entitlements after `after`
    /// (none when no entitlement is left).
    pub async fn chunk_end(
        &self,
        region: &str,
        after: &str,
        limit: u64,
    ) -> Result<Option<String>, DbErr> {
        Ok(self
            .one(
                &format!(
                    "SELECT MAX(id) AS id FROM (SELECT id FROM entitlements \
                     WHERE region = ? AND period = 'monthly' AND superseded_at IS NULL AND id > ? \
                     ORDER BY id LIMIT {limit}) t"
                ),
                vec![region.into(), after.into()],
                |r| os(r, "id"),
            )
            .await?
            .flatten())
    }

    /// The current monthly entitlements of `(after, through]` owed months before `month` that
    /// no run entered (arrears: a benefit approved late, backdated).
    pub async fn in_arrears(
        &self,
        region: &str,
        after: &str,
        through: &str,
        month: Month,
    ) -> Result<Vec<LiveMonthly>, DbErr> {
        self.all(
            "SELECT id, claim_id, item, payer, payee, amount_fen, first_month, last_month, \
             entered_through FROM entitlements \
             WHERE region = ? AND period = 'monthly' AND superseded_at IS NULL \
             AND id > ? AND id <= ? AND first_month < ? \
             AND COALESCE(entered_through, first_month - 1) < ? \
             AND (last_month IS NULL OR COALESCE(entered_through, first_month - 1) < last_month) \
             ORDER BY id",
            vec![
                region.into(),
                after.into(),
                through.into(),
                month.0.into(),
                (month.0 - 1).into(),
            ],
            live_monthly_row,
        )
        .await
    }

    /// Enters `month` for the current monthly entitlements of `(after, through]` owed it and
    /// not yet entered, in one statement (the run's bulk: the rows never leave the database).
    pub fn enter_month_stmt(
        &self,
        run_id: &str,
        region: &str,
        after: &str,
        through: &str,
        month: Month,
        at: &str,
    ) -> Statement {
        self.stmt(
            "INSERT INTO ledger (id, entitlement_id, claim_id, region, kind, item, payer, payee, \
             month, amount_fen, state, run_id, refers_to, created_at) \
             SELECT id || ?, id, claim_id, region, 'monthly', item, payer, payee, ?, amount_fen, \
             'in_batch', ?, NULL, ? FROM entitlements \
             WHERE region = ? AND period = 'monthly' AND superseded_at IS NULL \
             AND id > ? AND id <= ? AND first_month <= ? \
             AND (last_month IS NULL OR last_month >= ?) \
             AND (entered_through IS NULL OR entered_through < ?) \
             ON CONFLICT DO NOTHING",
            vec![
                format!(":{month}").into(),
                month.0.into(),
                run_id.into(),
                at.into(),
                region.into(),
                after.into(),
                through.into(),
                month.0.into(),
                month.0.into(),
                month.0.into(),
            ],
        )
    }

    /// Records that a run entered the current monthly entitlements of `(after, through]` up to
    /// `month` (or their last month, when earlier).
    pub fn entered_stmt(
        &self,
        region: &str,
        after: &str,
        through: &str,
        month: Month,
    ) -> Statement {
        self.stmt(
            "UPDATE entitlements SET entered_through = \
             CASE WHEN last_month IS NOT NULL AND last_month < ? THEN last_month ELSE ? END \
             WHERE region = ? AND period = 'monthly' AND superseded_at IS NULL \
             AND id > ? AND id <= ? AND first_month <= ? \
             AND (entered_through IS NULL OR entered_through < ?) \
             AND (last_month IS NULL OR entered_through IS NULL OR entered_through < last_month)",
            vec![
                month.0.into(),
                month.0.into(),
                region.into(),
                after.into(),
                through.into(),
                month.0.into(),
                month.0.into(),
            ],
        )
    }

    /// What the current entitlements of some claims have paid so far, by claim.
    pub async fn paid_so_far(
        &self,
        claim_ids: &[String],
    ) -> Result<Vec<(String, PaidSoFar)>, DbErr> {
        if claim_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = "SELECT e.claim_id, e.item, e.period, e.amount_fen, \
             CASE WHEN e.period = 'monthly' AND e.entered_through >= e.first_month \
             THEN e.entered_through - e.first_month + 1 ELSE 0 END AS months, \
             (SELECT COUNT(*) FROM ledger l WHERE l.entitlement_id = e.id AND l.kind = 'lump_sum' \
              AND l.state IN ('in_batch', 'paid')) AS lumps \
             FROM entitlements e WHERE e.superseded_at IS NULL"
            .to_string();
        let mut values = Vec::new();
        super::push_in(&mut sql, &mut values, "e.claim_id", claim_ids);
        self.all(&sql, values, |r| {
            Ok((
                s(r, "claim_id")?,
                PaidSoFar {
                    item: contract_enum(r, "item")?,
                    period: contract_enum(r, "period")?,
                    amount_fen: i(r, "amount_fen")?,
                    months_entered: i(r, "months")?,
                    lump_entered: i(r, "lumps")? > 0,
                },
            ))
        })
        .await
    }
}
