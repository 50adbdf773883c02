//! Chongqing (重庆, CN-CQ): occupational injury protection for platform workers,
//! in force since 2022-07-01 (phase 1).
//! Chongqing has no procedure of its own in this policy: every rule is the SDK's, with
//! Chongqing's figures.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Chongqing's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-CQ",
    name_zh: "重庆",
    name_en: "Chongqing",
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
            fen: 686_233,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/chongqing.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 726_408,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/chongqing.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 733_900,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/chongqing.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
    ],
    private_wage: &[
        YearFigure {
            year: 2023,
            fen: 6_394_100,
            source: "forum post quoting the Chongqing statistics bureau, https://www.qj023.com/thread-2150066-1-1.html",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 6_509_800,
            source: "163.com repost of the Chongqing statistics bureau release of 2025-06-23, https://www.163.com/dy/article/K2OF4SFM053469M5.html",
            confidence: Secondary,
        },
    ],
    min_wage: Sourced {
        value: 210_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-cq",
    title: "重庆职业伤害保障实施时间 (Chongqing: scheme in force from 2022-07-01)",
    source: "Workers' Daily 2023-10-27, http://ttt.tibet.cn/cn/Instant/municipal/202310/t20231027_7510939.html",
}];

/// The Chongqing policy.
pub struct Chongqing;

impl Policy for Chongqing {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Chongqing);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Chongqing>(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/cases"
        ));
    }
}
