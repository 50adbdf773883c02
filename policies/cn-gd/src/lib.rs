//! Guangdong (广东, CN-GD): occupational injury protection for platform workers,
//! in force since 2022-07-01 (phase 1).
//! Guangdong has no procedure of its own in this policy: every rule is the SDK's, with
//! Guangdong's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Guangdong's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-GD",
    name_zh: "广东",
    name_en: "Guangdong",
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
            fen: 880_700,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/guangdong.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 916_700,
            source: "a public GitHub data file: ceiling 27501 = 300% of 2023 全口径 9167 (2024-07-01..2025-06-30)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 918_300,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/guangdong.js, snapshot 2026-07-23) (粤人社发〔2025〕32号 cited); note: derived check: 2025-07-01 ceiling 27549/3=9183",
            confidence: Secondary,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 250_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated; note: Shenzhen separate: 2520. 粤府函〔2026〕188号 raises tier 1 from 2026-09-01: Guangzhou 2680, Shenzhen 2700 (a public GitHub data file)",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-gd",
    title: "广东职业伤害保障实施时间 (Guangdong: scheme in force from 2022-07-01)",
    source: "Workers' Daily 2023-10-27, http://ttt.tibet.cn/cn/Instant/municipal/202310/t20231027_7510939.html",
}];

/// The Guangdong policy.
pub struct Guangdong;

impl Policy for Guangdong {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Guangdong);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Guangdong>(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/cases"
        ));
    }
}
