//! Anhui (安徽, CN-AH): occupational injury protection for platform workers,
//! in force since 2025-07-01 (phase 2, 人社部发〔2025〕24号).
//! Anhui has no procedure of its own in this policy: every rule is the SDK's, with
//! Anhui's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Anhui's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-AH",
    name_zh: "安徽",
    name_en: "Anhui",
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
            fen: 669_808,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/anhui.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 704_438,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/anhui.js, snapshot 2026-07-23); note: cross-check derived: jiabin-xu 21133/3=7044.3, 4227/0.6=7045",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 718_500,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/anhui.js, snapshot 2026-07-23); note: conflict: same repo also labels 7426 as '2024全口径社平 (人社通汇总)'",
            confidence: Secondary,
        },
    ],
    private_wage: &[YearFigure {
        year: 2023,
        fen: 5_949_800,
        source: "mirror of Anhui Daily, https://baiyin.vip0011.com/news/67f96498968.html",
        confidence: Secondary,
    }],
    min_wage: Sourced {
        value: 206_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-ah",
    title: "安徽职业伤害保障实施时间 (Anhui: scheme in force from 2025-07-01)",
    source: "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
}];

/// The Anhui policy.
pub struct Anhui;

impl Policy for Anhui {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Anhui);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Anhui>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
