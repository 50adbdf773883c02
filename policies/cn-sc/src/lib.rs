//! Sichuan (四川, CN-SC): occupational injury protection for platform workers,
//! in force since 2022-07-01 (phase 1).
//! Sichuan has no procedure of its own in this policy: every rule is the SDK's, with
//! Sichuan's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Sichuan's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-SC",
    name_zh: "四川",
    name_en: "Sichuan",
    policy_version: "2026.1",
    effective_from: date(2022, 7, 1),
    effective_to: None,
    in_force: (
        "Workers' Daily 2023-10-27, http://ttt.tibet.cn/cn/Instant/municipal/202310/t20231027_7510939.html",
        Confirmed,
    ),
    wage_base: &[
        YearFigure {
            year: 2022,
            fen: 707_600,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/sichuan.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 751_833,
            source: "川人社办发〔2024〕48号 (cited by pension-calculator); note: derived check jiabin-xu 22555/3=7518",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 764_600,
            source: "川人社办发〔2025〕39号 (cited); a public GitHub data file: 2025 limits 22938/4588; note: derived check 22938/3=7646",
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
    id: "in-force-cn-sc",
    title: "四川职业伤害保障实施时间 (Sichuan: scheme in force from 2022-07-01)",
    source: "Workers' Daily 2023-10-27, http://ttt.tibet.cn/cn/Instant/municipal/202310/t20231027_7510939.html",
}];

/// The Sichuan policy.
pub struct Sichuan;

impl Policy for Sichuan {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Sichuan);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Sichuan>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
