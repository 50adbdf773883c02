//! A shadow run's report, built claim by claim: outcome changes by from → to, amount changes
//! per benefit item, the changed claims, the claims the candidate cannot decide, and the
//! distribution of payout changes.

use crate::claims::outcome_code;
use oip_engine::types::{BenefitItem, Decision, Outcome, Period};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Changed claims and failures listed in a report (the counts are always complete).
pub(crate) const LIST_CAP: usize = 1000;

/// The edges (fen) of the payout-change buckets: below the first, between each pair, above
/// the last; zero gets a bucket of its own (an outcome changed, the amount did not).
const EDGES_FEN: [i64; 10] = [
    -10_000_000,
    -1_000_000,
    -100_000,
    -10_000,
    0,
    0,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
];

/// The labels of the buckets, in yuan (zh and en read the same).
pub const BUCKET_LABELS: [&str; 11] = [
    "< -10万",
    "-10万…-1万",
    "-1万…-1千",
    "-1千…-100",
    "-100…0",
    "0",
    "0…100",
    "100…1千",
    "1千…1万",
    "1万…10万",
    "> 10万",
];

pub(crate) fn bucket(change: i64) -> usize {
    match change {
        0 => 5,
        c if c < 0 => EDGES_FEN[..5].iter().position(|e| c < *e).unwrap_or(4),
        c => 6 + EDGES_FEN[6..].iter().position(|e| c <= *e).unwrap_or(4),
    }
}

/// An amount as a signed number of fen (amounts are capped far below `i64::MAX`).
fn signed(fen: u64) -> i64 {
    i64::try_from(fen).unwrap_or(i64::MAX)
}

/// One side of a comparison: an outcome and its amounts per (item, period).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Side {
    pub(crate) outcome: Outcome,
    pub(crate) amounts: BTreeMap<(BenefitItem, Period), i64>,
}

impl Side {
    pub(crate) fn of_decision(d: &Decision) -> Side {
        let mut amounts = BTreeMap::new();
        for b in &d.benefits {
            let slot = amounts.entry((b.item, b.period)).or_insert(0i64);
            *slot = slot.saturating_add(signed(b.amount_fen.unwrap_or(0)));
        }
        Side {
            outcome: d.outcome,
            amounts,
        }
    }

    fn total(&self) -> i64 {
        self.amounts
            .values()
            .fold(0i64, |a, v| a.saturating_add(*v))
    }
}

/// What a claim gives in a shadow run.
pub(crate) enum Compared {
    /// Decided by the candidate; `before` is the decision in force (none if undecided).
    Decided {
        id: String,
        before: Option<Side>,
        after: Side,
    },
    /// The candidate could not decide it.
    Failed { id: String, code: String },
}

/// Outcomes from → to, with their count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OutcomeCount {
    /// The outcome in force (`none` when the claim had no decision).
    pub from: String,
    /// The candidate's outcome.
    pub to: String,
    /// How many claims.
    pub count: i64,
}

/// How the amounts of one benefit line kind moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemChange {
    /// The item.
    pub item: BenefitItem,
    /// Once or monthly.
    pub period: Period,
    /// Claims whose amount changed.
    pub claims_changed: i64,
    /// The sum in force.
    pub sum_before_fen: i64,
    /// The candidate's sum.
    pub sum_after_fen: i64,
    /// The sum of the changes.
    pub sum_change_fen: i64,
    /// The largest decrease.
    pub min_change_fen: Option<i64>,
    /// The largest increase.
    pub max_change_fen: Option<i64>,
}

/// A bucket of the payout-change distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Bucket {
    /// Its range, in yuan.
    pub label_yuan: String,
    /// How many changed claims.
    pub count: i64,
}

/// The distribution of payout changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PayoutChange {
    /// What is counted.
    pub what: String,
    /// The buckets, most negative first.
    pub buckets: Vec<Bucket>,
}

/// A changed claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangedClaim {
    /// The claim.
    pub claim_id: String,
    /// The outcome in force.
    pub from: String,
    /// The candidate's outcome.
    pub to: String,
    /// The candidate's amounts minus those in force, all lines.
    pub change_fen: i64,
}

/// A claim the candidate could not decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FailedClaim {
    /// The claim.
    pub claim_id: String,
    /// Why (the module's or the engine's code).
    pub code: String,
}

/// A finished shadow run's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShadowReport {
    /// The candidate version.
    pub policy: String,
    /// Its region.
    pub region: String,
    /// What was gone through.
    pub params: crate::db::jobs::JobParams,
    /// Claims to go through.
    pub total: i64,
    /// Claims decided by the candidate.
    pub compared: i64,
    /// Decided exactly as in force.
    pub unchanged: i64,
    /// Decided otherwise.
    pub changed: i64,
    /// Not decided by the candidate.
    pub failed: i64,
    /// Every from → to, with its count.
    pub outcomes: Vec<OutcomeCount>,
    /// The from → to that change the outcome.
    pub outcome_changes: Vec<OutcomeCount>,
    /// Amounts per benefit line kind.
    pub benefits: Vec<ItemChange>,
    /// The distribution of payout changes.
    pub payout_change: PayoutChange,
    /// The changed claims (at most 1,000 listed).
    pub changed_claims: Vec<ChangedClaim>,
    /// How many are listed.
    pub changed_claims_listed: i64,
    /// The claims it could not decide (at most 1,000 listed).
    pub failures: Vec<FailedClaim>,
    /// Failures by code.
    pub failure_codes: BTreeMap<String, i64>,
    /// How long it took.
    pub elapsed_ms: i64,
    /// Claims gone through per second.
    pub claims_per_second: i64,
    /// The true-ups (补差) approving the candidate's lines would owe, by item: for each claim
    /// already paid whose amount changes, the difference for every month entered and for a
    /// lump sum in a run (each entered when the new decision is approved).
    #[serde(default)]
    pub true_ups: Vec<TrueUpTotal>,
}

/// The true-ups of one item a shadow run foresees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrueUpTotal {
    /// The item.
    #[schema(value_type = String)]
    pub item: BenefitItem,
    /// Entries (a month each, or a lump sum).
    pub entries: i64,
    /// Their sum, fen (negative: recovered).
    pub total_fen: i64,
}

/// The report being built.
#[derive(Default)]
pub(crate) struct Report {
    pub(crate) compared: i64,
    pub(crate) unchanged: i64,
    pub(crate) changed: i64,
    pub(crate) failed: i64,
    transitions: BTreeMap<(String, String), i64>,
    items: BTreeMap<(BenefitItem, Period), ItemChange>,
    pub(crate) buckets: [i64; 11],
    changed_claims: Vec<ChangedClaim>,
    failures: Vec<FailedClaim>,
    failure_codes: BTreeMap<String, i64>,
    true_ups: BTreeMap<BenefitItem, (i64, i64)>,
}

impl Report {
    /// Adds the true-ups a changed claim would owe: `after` against what is paid so far.
    pub(crate) fn add_true_ups(&mut self, after: &Side, paid: &[crate::db::payments::PaidSoFar]) {
        for p in paid {
            let a = after.amounts.get(&(p.item, p.period)).copied().unwrap_or(0);
            let diff = a.saturating_sub(p.amount_fen);
            let entries = match p.period {
                Period::Monthly => p.months_entered,
                Period::LumpSum => i64::from(p.lump_entered),
            };
            if diff == 0 || entries == 0 {
                continue;
            }
            let slot = self.true_ups.entry(p.item).or_insert((0, 0));
            slot.0 += entries;
            slot.1 = slot.1.saturating_add(diff.saturating_mul(entries));
        }
    }

    pub(crate) fn add(&mut self, c: Compared) {
        match c {
            Compared::Failed { id, code } => {
                self.failed += 1;
                *self.failure_codes.entry(code.clone()).or_insert(0) += 1;
                if self.failures.len() < LIST_CAP {
                    self.failures.push(FailedClaim { claim_id: id, code });
                }
            }
            Compared::Decided { id, before, after } => {
                self.compared += 1;
                let from = before
                    .as_ref()
                    .map_or("none".to_string(), |b| outcome_code(b.outcome).to_string());
                let to = outcome_code(after.outcome).to_string();
                *self
                    .transitions
                    .entry((from.clone(), to.clone()))
                    .or_insert(0) += 1;
                let empty = BTreeMap::new();
                let before_amounts = before.as_ref().map_or(&empty, |b| &b.amounts);
                let mut keys: Vec<_> = before_amounts
                    .keys()
                    .chain(after.amounts.keys())
                    .copied()
                    .collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let b = before_amounts.get(&k).copied().unwrap_or(0);
                    let a = after.amounts.get(&k).copied().unwrap_or(0);
                    let s = self.items.entry(k).or_insert_with(|| ItemChange {
                        item: k.0,
                        period: k.1,
                        claims_changed: 0,
                        sum_before_fen: 0,
                        sum_after_fen: 0,
                        sum_change_fen: 0,
                        min_change_fen: None,
                        max_change_fen: None,
                    });
                    s.sum_before_fen = s.sum_before_fen.saturating_add(b);
                    s.sum_after_fen = s.sum_after_fen.saturating_add(a);
                    if a != b {
                        let d = a.saturating_sub(b);
                        s.claims_changed += 1;
                        s.sum_change_fen = s.sum_change_fen.saturating_add(d);
                        s.min_change_fen = Some(s.min_change_fen.map_or(d, |m| m.min(d)));
                        s.max_change_fen = Some(s.max_change_fen.map_or(d, |m| m.max(d)));
                    }
                }
                if before.as_ref() == Some(&after) {
                    self.unchanged += 1;
                    return;
                }
                self.changed += 1;
                let change = after
                    .total()
                    .saturating_sub(before.as_ref().map_or(0, Side::total));
                self.buckets[bucket(change)] += 1;
                if self.changed_claims.len() < LIST_CAP {
                    self.changed_claims.push(ChangedClaim {
                        claim_id: id,
                        from,
                        to,
                        change_fen: change,
                    });
                }
            }
        }
    }

    pub(crate) fn finish(self, job: &crate::db::jobs::JobRow, elapsed_ms: i64) -> ShadowReport {
        let count = |((f, t), n): (&(String, String), &i64)| OutcomeCount {
            from: f.clone(),
            to: t.clone(),
            count: *n,
        };
        let seen = self.compared + self.failed;
        ShadowReport {
            policy: job.policy_sha256.clone(),
            region: job.region.clone(),
            params: job.params,
            total: job.total,
            compared: self.compared,
            unchanged: self.unchanged,
            changed: self.changed,
            failed: self.failed,
            outcomes: self.transitions.iter().map(count).collect(),
            outcome_changes: self.transitions.iter().filter(|((f, t), _)| f != t).map(count).collect(),
            benefits: self.items.into_values().collect(),
            payout_change: PayoutChange {
                what: "per changed claim: the candidate's amounts minus those in force, all lines (lump sums, and monthly items for one month)".into(),
                buckets: BUCKET_LABELS
                    .iter()
                    .zip(self.buckets)
                    .map(|(l, n)| Bucket { label_yuan: (*l).into(), count: n })
                    .collect(),
            },
            changed_claims_listed: i64::try_from(self.changed_claims.len()).unwrap_or(i64::MAX),
            changed_claims: self.changed_claims,
            failures: self.failures,
            failure_codes: self.failure_codes,
            elapsed_ms,
            claims_per_second: if elapsed_ms > 0 { seen * 1000 / elapsed_ms } else { seen },
            true_ups: self
                .true_ups
                .into_iter()
                .map(|(item, (entries, total_fen))| TrueUpTotal { item, entries, total_fen })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_ups_are_the_difference_for_every_month_entered_and_each_lump_sum_paid() {
        use crate::db::payments::PaidSoFar;
        let mut r = Report::default();
        let after = Side {
            outcome: Outcome::Covered,
            amounts: BTreeMap::from([
                ((BenefitItem::DisabilityAllowance, Period::Monthly), 270_392),
                (
                    (BenefitItem::OneOffDisabilitySubsidy, Period::LumpSum),
                    16_000_000,
                ),
            ]),
        };
        let paid = |item, period, amount_fen, months_entered, lump_entered| PaidSoFar {
            item,
            period,
            amount_fen,
            months_entered,
            lump_entered,
        };
        r.add_true_ups(
            &after,
            &[
                // 12 months paid at 2,603.92: 12 × (2,703.92 − 2,603.92) = 1,200 yuan owed.
                paid(
                    BenefitItem::DisabilityAllowance,
                    Period::Monthly,
                    260_392,
                    12,
                    false,
                ),
                // The lump sum paid at 168,797: 160,000 − 168,797 = −8,797 yuan recovered.
                paid(
                    BenefitItem::OneOffDisabilitySubsidy,
                    Period::LumpSum,
                    16_879_700,
                    0,
                    true,
                ),
                // Medical not paid yet (still scheduled): no true-up, the new amount is paid.
                paid(BenefitItem::Medical, Period::LumpSum, 3_700_000, 0, false),
            ],
        );
        assert_eq!(
            r.true_ups,
            BTreeMap::from([
                (BenefitItem::OneOffDisabilitySubsidy, (1, -879_700)),
                (BenefitItem::DisabilityAllowance, (12, 120_000)),
            ])
        );
    }

    #[test]
    fn buckets_split_at_their_edges() {
        assert_eq!(bucket(0), 5);
        assert_eq!(bucket(-1), 4);
        assert_eq!(bucket(-10_000), 4);
        assert_eq!(bucket(-10_001), 3);
        assert_eq!(bucket(-20_000_000), 0);
        assert_eq!(bucket(1), 6);
        assert_eq!(bucket(10_000), 6);
        assert_eq!(bucket(10_001), 7);
        assert_eq!(bucket(10_000_001), 10);
    }
}
