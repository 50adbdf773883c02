//! Liaoning (辽宁, CN-LN): occupational injury protection for platform workers,
//! in force since 2025-07-01 (phase 2, 人社部发〔2025〕24号).
//! Liaoning has no procedure of its own in this policy: every rule is the SDK's, with
//! Liaoning's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Liaoning's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-LN",
    name_zh: "辽宁",
    name_en: "Liaoning",
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
            fen: 684_300,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/liaoning.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 712_100,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/liaoning.js, snapshot 2026-07-23); note: conflict: jiabin-xu floor 4416/0.6=7360",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 726_500,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/liaoning.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 210_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-ln",
    title: "辽宁职业伤害保障实施时间 (Liaoning: scheme in force from 2025-07-01)",
    source: "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
}];

/// The Liaoning policy.
pub struct Liaoning;

impl Policy for Liaoning {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Liaoning);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Liaoning>(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/cases"
        ));
    }
}
