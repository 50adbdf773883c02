//! The payment ledger's tables: `entitlements` (what an approved claim is owed, one row per
//! approved line), `enrolments` (which state of a claim its entitlements come from), `ledger`
//! (the entries owed and paid) and `payment_runs` (a region's monthly batches). See
//! [`crate::payments`].

use super::writer::{Row, Table};
use super::{Db, i, named, os, s};
use crate::domain::{EntryKind, EntryState, Month, RunStatus};
use oip_engine::types::{BenefitItem, Payer, Period};
use sea_orm::{DbErr, QueryResult, Statement, Value};
use std::borrow::Cow;

use crate::domain::serde_name as enum_name;

/// One of the contract's enums from its stored name; an unknown one is a corrupt row.
fn contract_enum<T: serde::de::DeserializeOwned>(r: &QueryResult, c: &str) -> Result<T, DbErr> {
    let v = s(r, c)?;
    serde_json::from_value(serde_json::Value::String(v.clone()))
        .map_err(|_| DbErr::Custom(format!("column {c}: unknown value {v:?}")))
}

fn month(r: &QueryResult, c: &str) -> Result<Month, DbErr> {
    i(r, c).map(Month)
}

fn omonth(r: &QueryResult, c: &str) -> Result<Option<Month>, DbErr> {
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

const ENTRY_COLS: &str = "id, entitlement_id, claim_id, region, kind, item, payer, payee, month, \
    amount_fen, state, run_id, refers_to, created_at";

fn entry_row(r: &QueryResult) -> Result<EntryRow, DbErr> {
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

/// A run's line: its entry and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct RunLineRow {
    /// The entry.
    pub entry: EntryRow,
    /// The decision.
    pub decision_id: Option<String>,
    /// The module's version.
    pub policy_version: Option<String>,
    /// The module's SHA-256.
    pub policy_sha256: Option<String>,
    /// The rule (citation JSON).
    pub rule: String,
}

/// A region's monthly payment run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// Id (`run_...`).
    pub id: String,
    /// The region.
    pub region: String,
    /// The month it pays.
    pub month: Month,
    /// Where it stands.
    pub status: RunStatus,
    /// How far the build got: `` (not begun), `monthly:{entitlement id}`, `done`.
    pub cursor: String,
    /// The officer who started it.
    pub built_by: String,
    /// When.
    pub started_at: String,
    /// When its build finished.
    pub built_at: Option<String>,
    /// The second officer who released it.
    pub released_by: Option<String>,
    /// When.
    pub released_at: Option<String>,
}

const RUN_COLS: &str =
    "id, region, month, status, cursor, built_by, started_at, built_at, released_by, released_at";

fn run_row(r: &QueryResult) -> Result<RunRow, DbErr> {
    Ok(RunRow {
        id: s(r, "id")?,
        region: s(r, "region")?,
        month: month(r, "month")?,
        status: named(r, "status")?,
        cursor: s(r, "cursor")?,
        built_by: s(r, "built_by")?,
        started_at: s(r, "started_at")?,
        built_at: os(r, "built_at")?,
        released_by: os(r, "released_by")?,
        released_at: os(r, "released_at")?,
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

/// A total of a run: lines and amount of one payer, item and kind.
#[derive(Clone, Debug, PartialEq)]
pub struct TotalRow {
    /// Who pays.
    pub payer: Payer,
    /// The item.
    pub item: BenefitItem,
    /// The kind of entry.
    pub kind: EntryKind,
    /// How many lines.
    pub lines: i64,
    /// Their sum, fen.
    pub amount_fen: i64,
}

/// One payee's total in a run (a line of the bank file).
#[derive(Clone, Debug, PartialEq)]
pub struct PayeeRow {
    /// The claim.
    pub claim_id: String,
    /// To whom.
    pub payee: String,
    /// Who pays.
    pub payer: Payer,
    /// How many entries.
    pub lines: i64,
    /// Their sum, fen.
    pub amount_fen: i64,
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

    /// Starts a run (returns its id when it did: none for the region and month yet).
    pub fn insert_run_stmt(&self, r: &RunRow) -> Statement {
        self.stmt(
            &format!(
                "INSERT INTO payment_runs ({RUN_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL) \
                 ON CONFLICT DO NOTHING RETURNING id"
            ),
            vec![
                r.id.clone().into(),
                r.region.clone().into(),
                r.month.0.into(),
                r.status.as_str().into(),
                r.cursor.clone().into(),
                r.built_by.clone().into(),
                r.started_at.clone().into(),
            ],
        )
    }

    /// One run.
    pub async fn run(&self, id: &str) -> Result<Option<RunRow>, DbErr> {
        self.one(
            &format!("SELECT {RUN_COLS} FROM payment_runs WHERE id = ?"),
            vec![id.into()],
            run_row,
        )
        .await
    }

    /// The run of a region and month.
    pub async fn run_for(&self, region: &str, month: Month) -> Result<Option<RunRow>, DbErr> {
        self.one(
            &format!("SELECT {RUN_COLS} FROM payment_runs WHERE region = ? AND month = ?"),
            vec![region.into(), month.0.into()],
            run_row,
        )
        .await
    }

    /// The runs of some regions (`None`: every region), newest month first.
    pub async fn runs(&self, regions: Option<&[String]>) -> Result<Vec<RunRow>, DbErr> {
        let mut sql = format!("SELECT {RUN_COLS} FROM payment_runs WHERE 1 = 1");
        let mut values = Vec::new();
        if let Some(regions) = regions {
            if regions.is_empty() {
                return Ok(Vec::new());
            }
            super::push_in(&mut sql, &mut values, "region", regions);
        }
        sql.push_str(" ORDER BY month DESC, region LIMIT 500");
        self.all(&sql, values, run_row).await
    }

    /// The runs whose build has not finished (resumed at start).
    pub async fn runs_building(&self) -> Result<Vec<RunRow>, DbErr> {
        self.all(
            &format!("SELECT {RUN_COLS} FROM payment_runs WHERE status = 'building' ORDER BY id"),
            vec![],
            run_row,
        )
        .await
    }

    /// Moves a run's build from `from` to `to` (returns its id when it did: no other builder
    /// moved it meanwhile). The guard of every step of a build.
    pub fn advance_run_stmt(&self, id: &str, from: &str, to: &str) -> Statement {
        self.stmt(
            "UPDATE payment_runs SET cursor = ? WHERE id = ? AND cursor = ? AND status = 'building' \
             RETURNING id",
            vec![to.into(), id.into(), from.into()],
        )
    }

    /// Marks a run built (its cursor `done`).
    pub fn finish_run_stmt(&self, id: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE payment_runs SET status = 'built', built_at = ? WHERE id = ? \
             AND status = 'building' AND cursor = 'done' RETURNING id",
            vec![at.into(), id.into()],
        )
    }

    /// Releases a built run (returns its id when it did: built, and `by` did not start it).
    pub fn release_run_stmt(&self, id: &str, by: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE payment_runs SET status = 'released', released_by = ?, released_at = ? \
             WHERE id = ? AND status = 'built' AND built_by <> ? RETURNING id",
            vec![by.into(), at.into(), id.into(), by.into()],
        )
    }

    /// A released run's entries are paid (handed to the bank).
    pub fn pay_run_stmt(&self, id: &str) -> Statement {
        self.stmt(
            "UPDATE ledger SET state = 'paid' WHERE run_id = ? AND state = 'in_batch'",
            vec![id.into()],
        )
    }

    /// Puts into a run the region's entries owed up to its month and in no run (lump sums,
    /// true-ups, re-queued returns).
    pub fn attach_owed_stmt(&self, run_id: &str, region: &str, month: Month) -> Statement {
        self.stmt(
            "UPDATE ledger SET state = 'in_batch', run_id = ? \
             WHERE region = ? AND state = 'scheduled' AND month <= ?",
            vec![run_id.into(), region.into(), month.0.into()],
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

    /// A run's totals by payer, item and kind.
    pub async fn run_totals(&self, run_id: &str) -> Result<Vec<TotalRow>, DbErr> {
        self.all(
            "SELECT payer, item, kind, COUNT(*) AS lines, CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS amount_fen \
             FROM ledger WHERE run_id = ? GROUP BY payer, item, kind ORDER BY payer, item, kind",
            vec![run_id.into()],
            |r| {
                Ok(TotalRow {
                    payer: contract_enum(r, "payer")?,
                    item: contract_enum(r, "item")?,
                    kind: named(r, "kind")?,
                    lines: i(r, "lines")?,
                    amount_fen: sum(r, "amount_fen")?,
                })
            },
        )
        .await
    }

    /// A page of a run's lines after `after`, in id order, each with its origin.
    pub async fn run_lines(
        &self,
        run_id: &str,
        after: &str,
        limit: u64,
    ) -> Result<Vec<RunLineRow>, DbErr> {
        let cols = ENTRY_COLS
            .split(", ")
            .map(|c| format!("l.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.all(
            &format!(
                "SELECT {cols}, e.decision_id, e.policy_version, e.policy_sha256, e.rule \
                 FROM ledger l JOIN entitlements e ON e.id = l.entitlement_id \
                 WHERE l.run_id = ? AND l.id > ? ORDER BY l.id LIMIT {limit}"
            ),
            vec![run_id.into(), after.into()],
            |r| {
                Ok(RunLineRow {
                    entry: entry_row(r)?,
                    decision_id: os(r, "decision_id")?,
                    policy_version: os(r, "policy_version")?,
                    policy_sha256: os(r, "policy_sha256")?,
                    rule: s(r, "rule")?,
                })
            },
        )
        .await
    }

    /// A page of a run's payees (claim, payee, payer) after `after` (`{claim}|{payee}|{payer}`).
    pub async fn run_payees(
        &self,
        run_id: &str,
        after: (&str, &str, &str),
        limit: u64,
    ) -> Result<Vec<PayeeRow>, DbErr> {
        self.all(
            &format!(
                "SELECT claim_id, payee, payer, COUNT(*) AS lines, CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS amount_fen \
                 FROM ledger WHERE run_id = ? \
                 AND (claim_id > ? OR (claim_id = ? AND (payee > ? OR (payee = ? AND payer > ?)))) \
                 GROUP BY claim_id, payee, payer ORDER BY claim_id, payee, payer LIMIT {limit}"
            ),
            vec![
                run_id.into(),
                after.0.into(),
                after.0.into(),
                after.1.into(),
                after.1.into(),
                after.2.into(),
            ],
            |r| {
                Ok(PayeeRow {
                    claim_id: s(r, "claim_id")?,
                    payee: s(r, "payee")?,
                    payer: contract_enum(r, "payer")?,
                    lines: i(r, "lines")?,
                    amount_fen: sum(r, "amount_fen")?,
                })
            },
        )
        .await
    }

    /// Marks a paid entry of a run returned by the bank (returns its id when it did).
    pub fn return_entry_stmt(&self, run_id: &str, id: &str) -> Statement {
        self.stmt(
            "UPDATE ledger SET state = 'returned' WHERE run_id = ? AND id = ? AND state = 'paid' \
             RETURNING id",
            vec![run_id.into(), id.into()],
        )
    }

    /// Entries of a run by id.
    pub async fn run_entries(&self, run_id: &str, ids: &[String]) -> Result<Vec<EntryRow>, DbErr> {
        let mut sql = format!("SELECT {ENTRY_COLS} FROM ledger WHERE run_id = ?");
        let mut values: Vec<Value> = vec![run_id.into()];
        super::push_in(&mut sql, &mut values, "id", ids);
        self.all(&sql, values, entry_row).await
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

    /// Whether a claim has a bill of this number.
    pub async fn bill_exists(&self, claim_id: &str, number: &str) -> Result<bool, DbErr> {
        Ok(self
            .one(
                "SELECT 1 AS one FROM bills WHERE claim_id = ? AND number = ?",
                vec![claim_id.into(), number.into()],
                |_| Ok(()),
            )
            .await?
            .is_some())
    }

    /// Stores a bill.
    pub fn insert_bill_stmt(
        &self,
        claim_id: &str,
        b: &crate::claims::bills::BillRequest,
        by: &str,
        at: &str,
    ) -> Statement {
        let kind = match b.kind {
            crate::claims::bills::BillKind::Outpatient => "outpatient",
            crate::claims::bills::BillKind::Inpatient => "inpatient",
        };
        self.stmt(
            "INSERT INTO bills (claim_id, number, kind, amount_fen, out_of_catalogue_fen, \
             inpatient_days, issued_on, hospital, submitted_by, submitted_at, decision_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            vec![
                claim_id.into(),
                b.number.clone().into(),
                kind.into(),
                i64::try_from(b.amount_fen).unwrap_or(i64::MAX).into(),
                i64::try_from(b.out_of_catalogue_fen)
                    .unwrap_or(i64::MAX)
                    .into(),
                i64::from(b.inpatient_days).into(),
                b.issued_on.to_string().into(),
                b.hospital.trim().to_string().into(),
                by.into(),
                at.into(),
            ],
        )
    }

    /// A region's outlay by month: the sum of the entries of its runs.
    pub async fn outlay(&self, region: &str) -> Result<Vec<(Month, i64, i64)>, DbErr> {
        self.all(
            "SELECT r.month AS month, COUNT(*) AS lines, CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) AS amount_fen \
             FROM payment_runs r JOIN ledger l ON l.run_id = r.id WHERE r.region = ? \
             GROUP BY r.month ORDER BY r.month",
            vec![region.into()],
            |r| Ok((month(r, "month")?, i(r, "lines")?, sum(r, "amount_fen")?)),
        )
        .await
    }
}

/// A `SUM` column (cast to BIGINT in the query: PostgreSQL sums BIGINT as NUMERIC).
fn sum(r: &QueryResult, c: &str) -> Result<i64, DbErr> {
    i(r, c)
}
