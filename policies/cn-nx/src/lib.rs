//! Ningxia (宁夏, CN-NX): occupational injury protection for platform workers,
//! in force since 2025-07-01 (phase 2, 人社部发〔2025〕24号).
//! Ningxia has no procedure of its own in this policy: every rule is the SDK's, with
//! Ningxia's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Ningxia's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-NX",
    name_zh: "宁夏",
    name_en: "Ningxia",
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
            fen: 766_600,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/ningxia.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 808_800,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/ningxia.js, snapshot 2026-07-23); note: derived check jiabin-xu 24264/3=8088",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 825_800,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/ningxia.js, snapshot 2026-07-23); note: conflict: same repo labels 8574 as '2024全口径社平 (人社通汇总)'",
            confidence: Secondary,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 205_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-nx",
    title: "宁夏职业伤害保障实施时间 (Ningxia: scheme in force from 2025-07-01)",
    source: "人社部发〔2025〕24号, mirror https://m.kmwz.net/news/o29xy7LBgd.html",
}];

/// The Ningxia policy.
pub struct Ningxia;

impl Policy for Ningxia {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Ningxia);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Ningxia>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
