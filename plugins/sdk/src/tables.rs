//! National figures and citations, the same in every region.

use crate::region::{Cite, YearFigure};
use oip_types::Confidence::{self, Confirmed, Secondary};

/// 《工伤保险条例》 Art. 14: covered situations.
pub const GSBX_14: Cite = Cite {
    id: "gsbx-14",
    title: "《工伤保险条例》第十四条 (Regulation on Work-Related Injury Insurance, Art. 14)",
    source: "国务院令第586号",
};
/// Art. 15: sudden illness with death within 48 hours.
pub const GSBX_15: Cite = Cite {
    id: "gsbx-15",
    title: "《工伤保险条例》第十五条 (Art. 15: sudden illness, death within 48 hours)",
    source: "国务院令第586号; refusal precedent: Yancheng, http://www.zwjkey.com/jingdiananli/minshianli/2025-12-22/13268.html",
};
/// Art. 16: exclusions.
pub const GSBX_16: Cite = Cite {
    id: "gsbx-16",
    title: "《工伤保险条例》第十六条 (Art. 16: exclusions)",
    source: "国务院令第586号",
};
/// Art. 30: medical costs and hospital meal subsidy.
pub const GSBX_30: Cite = Cite {
    id: "gsbx-30",
    title: "《工伤保险条例》第三十条 (Art. 30: medical treatment, hospital meal subsidy)",
    source: "国务院令第586号",
};
/// Art. 34: living care.
pub const GSBX_34: Cite = Cite {
    id: "gsbx-34",
    title: "《工伤保险条例》第三十四条 (Art. 34: living care)",
    source: "国务院令第586号",
};
/// Art. 35: grades 1-4.
pub const GSBX_35: Cite = Cite {
    id: "gsbx-35",
    title: "《工伤保险条例》第三十五条 (Art. 35: disability grades 1-4)",
    source: "国务院令第586号",
};
/// Art. 36: grades 5-6.
pub const GSBX_36: Cite = Cite {
    id: "gsbx-36",
    title: "《工伤保险条例》第三十六条 (Art. 36: disability grades 5-6)",
    source: "国务院令第586号",
};
/// Art. 37: grades 7-10.
pub const GSBX_37: Cite = Cite {
    id: "gsbx-37",
    title: "《工伤保险条例》第三十七条 (Art. 37: disability grades 7-10)",
    source: "国务院令第586号",
};
/// Art. 39: death benefits.
pub const GSBX_39: Cite = Cite {
    id: "gsbx-39",
    title: "《工伤保险条例》第三十九条 (Art. 39: death benefits)",
    source: "国务院令第586号",
};
/// Order No. 18 Art. 3: which relatives are dependants.
pub const ORDER_18_ART_3: Cite = Cite {
    id: "ldbzb-18-3",
    title: "《因工死亡职工供养亲属范围规定》第三条 (Order No. 18, Art. 3: which relatives are dependants)",
    source: "劳动和社会保障部令第18号 (2003-09-23)",
};
/// The national expansion notice.
pub const RSBF_2025_24: Cite = Cite {
    id: "rsbf-2025-24",
    title: "人社部发〔2025〕24号 (expansion of occupational injury protection)",
    source: "mirror https://m.kmwz.net/news/o29xy7LBgd.html",
};
/// Application within 3 working days.
pub const APPLICATION_DEADLINE: Cite = Cite {
    id: "application-deadline",
    title: "平台企业3个工作日内提交待遇申请 (platform applies within 3 working days)",
    source: "Shanghai HRSS Q&A (reprint) http://sgzgj.com/recruit/988.html",
};
/// Determination deadlines and the one-time supplement notice.
pub const DETERMINATION: Cite = Cite {
    id: "determination-deadline",
    title: "职业伤害确认时限与一次性补正告知 (determination in 30 / 7 working days; one-time supplement notice)",
    source: "Hainan Daily 2025-12-29 https://reportify.cn/news/1202955728168554496",
};

/// The national citations every manifest lists.
pub const NATIONAL_CITATIONS: &[Cite] = &[
    GSBX_14,
    GSBX_15,
    GSBX_16,
    GSBX_30,
    GSBX_34,
    GSBX_35,
    GSBX_36,
    GSBX_37,
    GSBX_39,
    ORDER_18_ART_3,
    RSBF_2025_24,
    APPLICATION_DEADLINE,
    DETERMINATION,
];

/// Months of wage for the one-off disability subsidy, grades 1-10 [C].
pub const DISABILITY_MONTHS: [u64; 10] = [27, 25, 23, 21, 18, 16, 13, 11, 9, 7];
/// The 2025 procedure's one-off allowance of grades 5 and 6, months of the treatment base [C].
pub const PILOT_GRADE5_6_MONTHS: [u64; 2] = [30, 25];
/// Disability allowance in basis points of W, grades 1-6 [C for work injury].
pub const DISABILITY_ALLOWANCE_BP: [u64; 6] = [9_000, 8_500, 8_000, 7_500, 7_000, 6_000];
/// Living care in basis points of W: partial, most, complete [C].
pub const LIVING_CARE_BP: [u64; 3] = [3_000, 4_000, 5_000];
/// Funeral subsidy, months of W [C].
pub const FUNERAL_MONTHS: u64 = 6;
/// One-off death subsidy, multiple of national income I [C].
pub const DEATH_INCOME_MULTIPLE: u64 = 20;
/// Dependant pension: spouse, each other dependant, extra for an orphan or lone elderly, cap.
pub const DEPENDANT_BP: (u64, u64, u64, u64) = (4_000, 3_000, 1_000, 10_000);
/// Source of the benefit tables.
pub const BENEFIT_TABLES_SOURCE: &str =
    "《工伤保险条例》 Arts. 34-39 (parameters.json: benefit_tables)";

/// Platform application deadline, working days [C, Shanghai].
pub const PLATFORM_APPLICATION_WORKING_DAYS: u32 = 3;
/// Other applicants' deadline, days; the unit is unconfirmed [P].
pub const OTHER_APPLICANT_DAYS: i64 = 30;
/// Confidence of the other applicants' deadline.
pub const OTHER_APPLICANT_CONFIDENCE: Confidence = Secondary;
/// Determination deadline, working days: standard and simple [C, Hainan].
pub const DETERMINATION_WORKING_DAYS: (u32, u32) = (30, 7);
/// Sudden illness: death within this many hours of first treatment [C].
pub const SUDDEN_ILLNESS_HOURS: i64 = 48;

/// National urban per-capita disposable income (yearly), in fen.
pub const NATIONAL_INCOME: &[YearFigure] = &[
    YearFigure {
        year: 2021,
        fen: 4_741_200,
        source: "a public GitHub data file ('上年度全国城镇居民人均可支配收入47412')",
        confidence: Secondary,
    },
    YearFigure {
        year: 2022,
        fen: 4_928_300,
        source: "NBS release reprint http://www.sqljys.com/fzdt/keji/2023/0117/243554.html",
        confidence: Confirmed,
    },
    YearFigure {
        year: 2023,
        fen: 5_182_100,
        source: "http://ijulcomnet.com/jf/496062bb79a86ff4.html",
        confidence: Secondary,
    },
    YearFigure {
        year: 2024,
        fen: 5_418_800,
        source: "https://finance.youth.cn/finance_gdxw/202501/t20250117_15778635.htm",
        confidence: Confirmed,
    },
    YearFigure {
        year: 2025,
        fen: 5_650_200,
        source: "https://www.stats.gov.cn/sj/zxfbhjd/202601/t20260119_1962321.html (via secondary reports)",
        confidence: Secondary,
    },
];
