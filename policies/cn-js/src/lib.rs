//! Jiangsu (江苏, CN-JS): occupational injury protection for platform workers,
//! in force since 2022-07-01 (phase 1).
//! Jiangsu has no procedure of its own in this policy: every rule is the SDK's, with
//! Jiangsu's figures.

use oip_sdk::types::Confidence::{Confirmed, Derived, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Jiangsu's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-JS",
    name_zh: "江苏",
    name_en: "Jiangsu",
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
            fen: 783_917,
            source: "94,070/12 (苏人社发〔2023〕62号); note: conflict: 2023 contribution-year ceiling 24042/3=8014 (pension-calculator)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 813_200,
            source: "ceiling 24396/3 (江苏税务 2024-10-08, via pension-calculator); jiabin-xu same",
            confidence: Derived,
        },
        YearFigure {
            year: 2024,
            fen: 825_400,
            source: "ceiling 24762/3 (苏人社发〔2025〕33号; 苏税发〔2026〕3号 says 2026 '暂按2025年度标准执行')",
            confidence: Derived,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 266_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated; note: unverified; check jshrss",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-js",
    title: "江苏职业伤害保障实施时间 (Jiangsu: scheme in force from 2022-07-01)",
    source: "Workers' Daily 2023-10-27, http://ttt.tibet.cn/cn/Instant/municipal/202310/t20231027_7510939.html",
}];

/// The Jiangsu policy.
pub struct Jiangsu;

impl Policy for Jiangsu {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Jiangsu);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Jiangsu>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
