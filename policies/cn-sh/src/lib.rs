//! Shanghai (上海, CN-SH): occupational injury protection for platform workers,
//! in force since 2022-07-01 (phase 1).
//! Shanghai has no procedure of its own in this policy: every rule is the SDK's, with
//! Shanghai's figures.

use oip_sdk::types::Confidence::{Confirmed, Derived, Secondary};
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// Shanghai's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-SH",
    name_zh: "上海",
    name_en: "Shanghai",
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
            fen: 1_218_300,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/shanghai.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 1_230_700,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/shanghai.js, snapshot 2026-07-23); note: derived check jiabin-xu 36921/3=12307",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 1_243_400,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/shanghai.js, snapshot 2026-07-23)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2025,
            fen: 1_257_700,
            source: "a public GitHub data file: from 2026-07-01 base floor 7546 / ceiling 37731 (上海市人社局 2026-08-24); 37731/3=12577",
            confidence: Derived,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 274_000,
        source: "沪人社规〔2025〕10号 (quoted in a public GitHub data file and another)",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-cn-sh",
    title: "上海职业伤害保障实施时间 (Shanghai: scheme in force from 2022-07-01)",
    source: "Workers' Daily 2023-10-27, http://ttt.tibet.cn/cn/Instant/municipal/202310/t20231027_7510939.html",
}];

/// The Shanghai policy.
pub struct Shanghai;

impl Policy for Shanghai {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!(Shanghai);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Shanghai>(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/cases"
        ));
    }
}
