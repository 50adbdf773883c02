//! Hubei (湖北, CN-HB): occupational injury protection for platform workers,
//! in force since 2025-07-01 (phase 2, 人社部发〔2025〕24号).
//! Hubei has no procedure of its own in this policy: every rule is the SDK's, with
//! Hubei's figures.
//!
//! Wage base: Hubei publishes three tiers for contribution bases; this is the province-wide figure.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Hubei's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-HB",
    name_zh: "湖北",
    name_en: "Hubei",
    policy_version: "2026.1",
    effective_from: date(2025, 7, 1),
    effective_to: None,
    in_force: (
        "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
        Confirmed,
    ),
    wage_base: &[
        YearFigure {
            year: 2022,
            fen: 704_000,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/hubei.js, snapshot 2026-07-23); note: tier 1 only; 鄂人社发〔2023〕30号 (cited)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 748_900,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/hubei.js, snapshot 2026-07-23); note: tier1 7489 / tier2 6948 / tier3 6805; derived check jiabin-xu 22467/3=7489",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 749_600,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/hubei.js, snapshot 2026-07-23); note: tier1 7496 / tier2 7226 / tier3 7154; repo also quotes Tencent News 2025: '湖北2024全口径7484元'",
            confidence: Secondary,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 221_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-hb",
    title: "湖北职业伤害保障实施时间 (Hubei: scheme in force from 2025-07-01)",
    source: "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
}];

/// The Hubei policy.
pub struct Hubei;

impl Policy for Hubei {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Hubei);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Hubei>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
