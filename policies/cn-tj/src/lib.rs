//! Tianjin (天津, CN-TJ): occupational injury protection for platform workers,
//! in force since 2025-07-01 (phase 2, 人社部发〔2025〕24号).
//! Tianjin has no procedure of its own in this policy: every rule is the SDK's, with
//! Tianjin's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Tianjin's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-TJ",
    name_zh: "天津",
    name_en: "Tianjin",
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
            fen: 791_900,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/tianjin.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 835_500,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/tianjin.js, snapshot 2026-07-23); note: cross-check derived: jiabin-xu ceiling 25065/3=8355, floor 5013/0.6=8355",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 854_000,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/tianjin.js, snapshot 2026-07-23); note: repo: '2024全口径社平=计算2025缴费指数分母'",
            confidence: Secondary,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 232_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-tj",
    title: "天津职业伤害保障实施时间 (Tianjin: scheme in force from 2025-07-01)",
    source: "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
}];

/// The Tianjin policy.
pub struct Tianjin;

impl Policy for Tianjin {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Tianjin);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Tianjin>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
