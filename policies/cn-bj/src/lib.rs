//! Beijing (北京, CN-BJ): occupational injury protection for platform workers,
//! in force since 2022-07-01 (phase 1).
//!
//! Beijing's own procedure is its minor-injury fast track (小伤快赔) [C]: a covered claim with
//! outpatient or emergency care only, treated in Beijing, no hospital stay, no assessment and
//! no death needs only five documents (application form, consent form, diagnosis, receipts,
//! and the liability finding for a traffic accident) and is determined the same day.

use oip_sdk::types::Confidence::{Confirmed, Secondary};
use oip_sdk::types::{Document, Facts, IncidentKind};
use oip_sdk::{
    Cite, FastTrack, Policy, ReasonDef, Region, Sourced, YearFigure, date, export_policy,
};

/// Beijing's figures, each with its source (parameters.json).
pub static REGION: Region = Region {
    code: "CN-BJ",
    name_zh: "北京",
    name_en: "Beijing",
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
            fen: 1_129_700,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/beijing.js, snapshot 2026-07-23); repo says checked against rsj.beijing.gov.cn 历年北京市全口径城镇单位就业人员平均工资 (2025-09-18)",
            confidence: Secondary,
        },
        YearFigure {
            year: 2023,
            fen: 1_176_100,
            source: "liubigfatty/pension-calculator (cloudfunctions/calculate/provinces/beijing.js, snapshot 2026-07-23); note: derived check jiabin-xu 35283/3=11761",
            confidence: Secondary,
        },
        YearFigure {
            year: 2024,
            fen: 1_193_700,
            source: "a public GitHub data file citing https://rsj.beijing.gov.cn/bm/ywml/202007/t20200717_1950961.html",
            confidence: Secondary,
        },
    ],
    private_wage: &[],
    min_wage: Sourced {
        value: 254_000,
        source: "a public GitHub data file ('人社部全国最低工资标准表（截至2026年1月1日）'); effective date per province not given unless stated; note: table date 2026-01-01; actual start date not found",
        confidence: Secondary,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 2] = [
    Cite {
        id: "in-force-cn-bj",
        title: "北京职业伤害保障实施时间 (Beijing: scheme in force from 2022-07-01)",
        source: "Workers' Daily 2023-10-27, http://ttt.tibet.cn/cn/Instant/municipal/202310/t20231027_7510939.html",
    },
    Cite {
        id: "fast-track-cn-bj",
        title: "北京市“小伤快赔” (Beijing minor-injury fast track)",
        source: "People's Daily 2026-01-06; CCTV report on 小伤快赔",
    },
];

/// The Beijing policy.
pub struct Beijing;

/// The fast track's reason line.
pub const FAST_TRACK: ReasonDef = ReasonDef {
    code: "fast_track_cn_bj",
    zh: "符合北京市“小伤快赔”条件：仅门（急）诊治疗且在本市就医，无住院、无劳动能力鉴定、无死亡；提交五项材料，当日作出确认。",
    en: "Qualifies for Beijing's minor-injury fast track (小伤快赔): outpatient or emergency care in Beijing only, no hospital stay, no assessment, no death; five documents; determined the same day.",
    cite: &CITATIONS[1],
};

/// Whether covered facts qualify for 小伤快赔.
pub fn qualifies(facts: &Facts) -> bool {
    oip_sdk::rules::minor_outpatient_injury(facts) && !facts.medical.treated_outside_region
}

impl Policy for Beijing {
    fn region() -> &'static Region {
        &REGION
    }

    fn fast_track(facts: &Facts) -> Option<FastTrack> {
        if !qualifies(facts) {
            return None;
        }
        let mut documents = vec![
            Document::BenefitApplicationForm,
            Document::ConsentForm,
            Document::Diagnosis,
            Document::MedicalReceipts,
        ];
        if facts.incident.kind == IncidentKind::TrafficAccident {
            documents.push(Document::LiabilityFinding);
        }
        Some(FastTrack {
            reason: FAST_TRACK,
            documents,
            determination_working_days: 0,
            payment_working_days: None,
        })
    }
}

export_policy!(Beijing);

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::Beijing>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
