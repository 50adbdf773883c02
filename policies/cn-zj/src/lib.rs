//! Zhejiang (浙江, CN-ZJ): occupational injury protection for platform workers,
//! in force since 2025-07-01 (phase 2, 人社部发〔2025〕24号).
//! Zhejiang has no procedure of its own in this policy: every rule is the SDK's, with
//! Zhejiang's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Zhejiang's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-ZJ",
    name_zh: "浙江",
    name_en: "Zhejiang",
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
            fen: 802_000,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/zhejiang.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 831_017,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/zhejiang.js, snapshot 2026-07-23); note: cross-check derived: jiabin-xu ceiling 24930/3=8310",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 843_283,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/zhejiang.js, snapshot 2026-07-23); note: conflict: same repo also labels 8746 as '2024全口径社平 (人社通汇总)'",
            confidence: Secondary,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 266_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated; note: unverified; check zjhrss",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-zj",
    title: "浙江职业伤害保障实施时间 (Zhejiang: scheme in force from 2025-07-01)",
    source: "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
}];

/// The Zhejiang policy.
pub struct Zhejiang;

impl Policy for Zhejiang {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Zhejiang);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Zhejiang>(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/cases"
        ));
    }
}
