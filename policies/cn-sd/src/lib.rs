//! Shandong (山东, CN-SD): occupational injury protection for platform workers,
//! in force since 2025-07-01 (phase 2, 人社部发〔2025〕24号).
//! Shandong has no procedure of its own in this policy: every rule is the SDK's, with
//! Shandong's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Shandong's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-SD",
    name_zh: "山东",
    name_en: "Shandong",
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
            fen: 706_925,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/shandong.js, snapshot 2026-07-23); note: 鲁人社字〔2023〕59号 (cited)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 735_942,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/shandong.js, snapshot 2026-07-23); note: 鲁人社字〔2024〕64号 (cited); derived check jiabin-xu 22078/3=7359.3",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 750_600,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/shandong.js, snapshot 2026-07-23); note: 任城区明白纸 2026-04 (cited)",
            confidence: Secondary,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 220_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-sd",
    title: "山东职业伤害保障实施时间 (Shandong: scheme in force from 2025-07-01)",
    source: "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
}];

/// The Shandong policy.
pub struct Shandong;

impl Policy for Shandong {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Shandong);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Shandong>(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/cases"
        ));
    }
}
