//! Hainan (海南, CN-HI): occupational injury protection for platform workers,
//! in force since 2022-07-01 (phase 1).
//!
//! Hainan's own procedure is its fast track (小伤快认快支) [C]: a covered claim with outpatient
//! care only, outpatient costs below 3,000 yuan, no assessment and no death is determined
//! within 2 working days and paid within 5.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::types::Facts;
use oip_sdk::{
    Cite, FastTrack, Policy, ReasonDef, Region, Sourced, YearFigure, date, export_policy,
};

/// Hainan's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-HI",
    name_zh: "海南",
    name_en: "Hainan",
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
            fen: 805_000,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/hainan.js, snapshot 2026-07-23); note: low confidence; repo audit disputes year alignment",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 813_100,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/hainan.js, snapshot 2026-07-23); note: derived check jiabin-xu 24393/3=8131",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 818_800,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/hainan.js, snapshot 2026-07-23); note: low confidence",
            confidence: Secondary,
        },
    ],
    private_wage: &[
        YearFigure {
            year: 2022,
            fen: 6_551_900,
            source: "http://www.uuja.cn/20230707/1e1ec93b5479480abc78fb975d657160/c.html",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 6_605_900,
            source: "mirror of the Hainan statistics bureau text, http://hbzqbyyxgs.com/news/702906.html",
            confidence: Secondary,
        },
    ],
    min_wage: Sourced {
        value: 201_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 2] = [
    Cite {
        id: "in-force-cn-hi",
        title: "海南职业伤害保障实施时间 (Hainan: scheme in force from 2022-07-01)",
        source: "Workers' Daily 2023-10-27, http://ttt.tibet.cn/cn/Instant/municipal/202310/t20231027_7510939.html",
    },
    Cite {
        id: "fast-track-cn-hi",
        title: "海南省“小伤快认快支” (Hainan fast track: outpatient under 3,000 yuan, 2 + 5 working days)",
        source: "Hainan Daily 2025-12-29 https://reportify.cn/news/1202955728168554496",
    },
];

/// The Hainan policy.
pub struct Hainan;

/// Outpatient costs must be below this for the fast track (3,000 yuan).
pub const FAST_TRACK_OUTPATIENT_BELOW_FEN: u64 = 300_000;

/// The fast track's reason line.
pub const FAST_TRACK: ReasonDef = ReasonDef {
    code: "fast_track_cn_hi",
    zh: "符合海南省“小伤快认快支”条件：仅门诊治疗且门诊费用低于3000元，无劳动能力鉴定、无死亡；2个工作日内确认，5个工作日内支付。",
    en: "Qualifies for Hainan's fast track (小伤快认快支): outpatient care only, below 3,000 yuan, no assessment, no death; determined within 2 working days, paid within 5.",
    cite: &CITATIONS[1],
};

/// Whether covered facts qualify for 小伤快认快支.
pub fn qualifies(facts: &Facts) -> bool {
    oip_sdk::rules::minor_outpatient_injury(facts)
        && facts.medical.outpatient_fen < FAST_TRACK_OUTPATIENT_BELOW_FEN
}

impl Policy for Hainan {
    fn region() -> &'static Region {
        &REGION
    }

    fn fast_track(facts: &Facts) -> Option<FastTrack> {
        qualifies(facts).then(|| FastTrack {
            reason: FAST_TRACK,
            documents: oip_sdk::rules::required_documents(facts, false),
            determination_working_days: 2,
            payment_working_days: Some(5),
        })
    }
}

export_policy!(Hainan);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Hainan>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
