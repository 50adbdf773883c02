//! Fujian (福建, CN-FJ): occupational injury protection for platform workers,
//! in force since 2025-07-01 (phase 2, 人社部发〔2025〕24号).
//! Fujian has no procedure of its own in this policy: every rule is the SDK's, with
//! Fujian's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Fujian's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-FJ",
    name_zh: "福建",
    name_en: "Fujian",
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
            fen: 702_000,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/fujian.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 738_800,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/fujian.js, snapshot 2026-07-23); note: cross-check derived: jiabin-xu ceiling 22164/3=7388",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 753_500,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/fujian.js, snapshot 2026-07-23); note: conflict: same repo also labels 7770 as '2024全口径社平 (人社通汇总)'",
            confidence: Secondary,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 203_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-fj",
    title: "福建职业伤害保障实施时间 (Fujian: scheme in force from 2025-07-01)",
    source: "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
}];

/// The Fujian policy.
pub struct Fujian;

impl Policy for Fujian {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Fujian);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Fujian>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
