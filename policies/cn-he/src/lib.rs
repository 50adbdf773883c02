//! Hebei (河北, CN-HE): occupational injury protection for platform workers,
//! in force since 2025-07-01 (phase 2, 人社部发〔2025〕24号).
//! Hebei has no procedure of its own in this policy: every rule is the SDK's, with
//! Hebei's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Hebei's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-HE",
    name_zh: "河北",
    name_en: "Hebei",
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
            fen: 621_108,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/hebei.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 653_425,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/hebei.js, snapshot 2026-07-23); note: cross-check derived: jiabin-xu ceiling 19603/3=6534.3",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 667_800,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/hebei.js, snapshot 2026-07-23); note: repo audit: '可由缴费基数上限÷3 或 .gov.cn 印证'",
            confidence: Secondary,
        },
    ],
    private_wage: &[YearFigure {
        year: 2024,
        fen: 5_237_400,
        source: "163.com repost of the Hebei statistics bureau release of 2025-06-26, https://www.163.com/dy/article/K4M6DSR60550B455.html",
        confidence: Secondary,
    }],
    min_wage: Sourced {
        value: 220_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-he",
    title: "河北职业伤害保障实施时间 (Hebei: scheme in force from 2025-07-01)",
    source: "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
}];

/// The Hebei policy.
pub struct Hebei;

impl Policy for Hebei {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Hebei);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Hebei>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
