//! Hunan (湖南, CN-HN): occupational injury protection for platform workers,
//! in force from 2026-07-01 (phase 3, provisional: the date is inferred, and every figure is provisional).
//! Hunan has no procedure of its own in this policy: every rule is the SDK's, with
//! Hunan's figures.
//!
//! Wage base: Unresolved: this series is the 全口径 wage Hunan uses for contribution bases; Hunan's pension calculation base (7,417 / 7,618 / 7,694 for 2023 / 2024 / 2025) is a different series. Which one Hunan uses for injury benefits is unconfirmed: treat every Hunan figure as provisional.

use oip_sdk::types::Confidence::{Provisional, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Hunan's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-HN",
    name_zh: "湖南",
    name_en: "Hunan",
    policy_version: "2026.1",
    effective_from: date(2026, 7, 1),
    effective_to: None,
    in_force: (
        "nationwide roll-out in 2026 (人社部发〔2025〕24号); 2026-07-01 by analogy with Jilin's draft notice",
        Provisional,
    ),
    wage_base: &[
        YearFigure {
            year: 2021,
            fen: 597_700,
            source: "liubigfatty/pension-calculator hunan-salary-table.html + hunan.js (contribution year 2022)",
            confidence: Provisional,
        },
        YearFigure {
            year: 2022,
            fen: 628_400,
            source: "same (contribution year 2023)",
            confidence: Provisional,
        },
        YearFigure {
            year: 2023,
            fen: 671_100,
            source: "same (contribution year 2024); note: conflict: jiabin-xu 湖南 4308/21540 implies 7180",
            confidence: Provisional,
        },
        YearFigure {
            year: 2024,
            fen: 678_700,
            source: "same (contribution year 2025; repo: '医保2025-10' notice)",
            confidence: Provisional,
        },
    ],
    private_wage: &[YearFigure {
        year: 2023,
        fen: 6_027_700,
        source: "aggregator, http://www.yifangfenpa.com.cn/jizhangbaoshui/342177.html",
        confidence: Secondary,
    }],
    min_wage: Sourced {
        value: 210_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Provisional,
    },
    hospital_meal_per_day: Some(Sourced {
        value: 2_000,
        source: "a public GitHub data file (Hunan work-injury app default 'hospitalFoodPerDay = 20f'); no official Hunan source found",
        confidence: Provisional,
    }),
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-hn",
    title: "湖南职业伤害保障实施时间 (Hunan: scheme in force from 2026-07-01)",
    source: "nationwide roll-out in 2026 (人社部发〔2025〕24号); 2026-07-01 by analogy with Jilin's draft notice",
}];

/// The Hunan policy.
pub struct Hunan;

impl Policy for Hunan {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Hunan);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Hunan>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
