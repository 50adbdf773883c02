//! Guangxi (广西, CN-GX): occupational injury protection for platform workers,
//! in force since 2025-07-01 (phase 2, 人社部发〔2025〕24号).
//! Guangxi has no procedure of its own in this policy: every rule is the SDK's, with
//! Guangxi's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Guangxi's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-GX",
    name_zh: "广西",
    name_en: "Guangxi",
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
            fen: 643_900,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/guangxi.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 675_600,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/guangxi.js, snapshot 2026-07-23); note: derived check jiabin-xu 20268/3=6756",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 690_500,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/guangxi.js, snapshot 2026-07-23); note: repo cites 桂人社发〔2023〕61/〔2024〕41/〔2025〕42号",
            confidence: Secondary,
        },
    ],
    private_wage: &[YearFigure {
        year: 2022,
        fen: 4_995_100,
        source: "http://www.pgd10.com/news/2023/0527/124885.html",
        confidence: Secondary,
    }],
    min_wage: Sourced {
        value: 199_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-gx",
    title: "广西职业伤害保障实施时间 (Guangxi: scheme in force from 2025-07-01)",
    source: "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
}];

/// The Guangxi policy.
pub struct Guangxi;

impl Policy for Guangxi {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Guangxi);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Guangxi>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
