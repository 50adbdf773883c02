//! The reason codes of the scheme, each with its texts in zh-CN and English and its rule.
//! Codes are stable: clients and stored decisions depend on them.

use crate::region::Cite;
use crate::tables::*;
use oip_types::{Reason, Text};

/// A reason known at compile time.
#[derive(Clone, Copy, Debug)]
pub struct ReasonDef {
    /// Stable code.
    pub code: &'static str,
    /// Chinese text.
    pub zh: &'static str,
    /// English text.
    pub en: &'static str,
    /// The rule.
    pub cite: &'static Cite,
}

impl ReasonDef {
    /// The reason as it crosses the boundary.
    pub fn to_reason(&self) -> Reason {
        Reason {
            code: self.code.into(),
            text: Text::new(self.zh, self.en),
            citation: self.cite.to_citation(),
        }
    }
}

macro_rules! reasons {
    ($($(#[$m:meta])* $name:ident = $code:literal, $zh:literal, $en:literal, $cite:expr;)*) => {
        $( $(#[$m])* pub const $name: ReasonDef = ReasonDef { code: $code, zh: $zh, en: $en, cite: &$cite }; )*
        /// Every reason of the SDK.
        pub const ALL: &[ReasonDef] = &[$($name),*];
    };
}

reasons! {
    /// Exclusion: intentional crime.
    EXCLUDED_INTENTIONAL_CRIME = "excluded_intentional_crime",
        "因故意犯罪导致伤害，不予确认职业伤害。",
        "The injury resulted from an intentional crime; it is not recognised as an occupational injury.",
        GSBX_16;
    /// Exclusion: intoxication or drugs.
    EXCLUDED_INTOXICATION = "excluded_intoxication",
        "因醉酒或者吸毒导致伤害，不予确认职业伤害。",
        "The injury resulted from intoxication or drug use; it is not recognised.",
        GSBX_16;
    /// Exclusion: self-harm or suicide.
    EXCLUDED_SELF_HARM = "excluded_self_harm",
        "因自残或者自杀导致伤害，不予确认职业伤害。",
        "The injury resulted from self-harm or suicide; it is not recognised.",
        GSBX_16;
    /// Outside the order task (or off a reasonable route).
    OUTSIDE_ORDER_TASK = "outside_order_task",
        "伤害不是发生在执行订单任务期间（或不在执行订单任务的合理路线上）；本保障不含上下班途中。",
        "The injury did not happen while carrying out an order task (or not on a reasonable route of it); commuting is not covered.",
        GSBX_14;
    /// Covered: accident while carrying out the order.
    ORDER_ACCIDENT = "order_accident",
        "在执行订单任务期间因履职原因受到事故伤害。",
        "Injured by an accident while carrying out an order task.",
        GSBX_14;
    /// Covered: violence.
    VIOLENCE = "violence",
        "在执行订单任务期间因履行职责受到暴力等意外伤害。",
        "Injured by violence or another accident while carrying out an order task.",
        GSBX_14;
    /// Covered: missing.
    MISSING = "missing",
        "在执行订单任务期间因发生事故下落不明。",
        "Went missing in an accident while out on an order task.",
        GSBX_14;
    /// Covered: traffic accident, not mainly at fault.
    TRAFFIC_NOT_MAINLY_AT_FAULT = "traffic_accident_not_mainly_at_fault",
        "在执行订单任务的合理路线上受到非本人主要责任的交通事故伤害。",
        "Injured in a traffic accident on a reasonable route of the order task, not mainly at fault.",
        GSBX_14;
    /// Refused: primary or full fault.
    TRAFFIC_PRIMARY_FAULT = "traffic_primary_fault",
        "交通事故中本人负主要或者全部责任，不予确认职业伤害。",
        "The worker bears primary or full responsibility for the traffic accident; it is not recognised.",
        GSBX_14;
    /// Liability finding needed.
    LIABILITY_UNDETERMINED = "liability_undetermined",
        "交通事故责任尚未认定，请补充事故责任认定书。",
        "Liability for the traffic accident is not determined; the liability finding is needed.",
        GSBX_14;
    /// Covered: sudden illness, death within 48 hours.
    SUDDEN_ILLNESS_DEATH_48H = "sudden_illness_death_within_48h",
        "在执行订单任务期间突发疾病死亡或者在48小时之内经抢救无效死亡。",
        "Died of a sudden illness during the order task, at once or within 48 hours of first treatment.",
        GSBX_15;
    /// Sudden illness death more than 48 hours after the onset, with no first-treatment time.
    FIRST_TREATMENT_TIME_NEEDED = "first_treatment_time_needed",
        "突发疾病死亡发生在发病48小时之后，未提供首次救治时间，无法判断是否在48小时之内经抢救无效死亡，请补充首次救治时间（诊断证明）。",
        "The death from a sudden illness came more than 48 hours after its onset and no first-treatment time is given, so whether death came within 48 hours of treatment cannot be told; the first-treatment time (diagnosis) is needed.",
        GSBX_15;
    /// Refused: death after 48 hours.
    ILLNESS_NOT_WITHIN_48H = "illness_not_within_48h",
        "突发疾病，但死亡发生在首次救治48小时之后，不予确认职业伤害。",
        "Sudden illness, but death came more than 48 hours after first treatment; it is not recognised.",
        GSBX_15;
    /// Refused: illness without death.
    ILLNESS_WITHOUT_DEATH = "illness_without_death",
        "突发疾病未导致死亡，不属于职业伤害保障范围。",
        "A sudden illness that did not lead to death is not covered.",
        GSBX_15;
    /// The situation needs explaining.
    SITUATION_UNCLEAR = "situation_unclear",
        "无法判断伤害情形，请补充事故经过说明等材料。",
        "The situation cannot be classified; a fuller incident statement is needed.",
        GSBX_14;
    /// Late application without a statement.
    LATE_APPLICATION = "late_application",
        "待遇申请超过规定时限，请补充超期说明。",
        "The application was filed after the deadline; a late-application statement is needed.",
        APPLICATION_DEADLINE;
    /// Documents missing.
    MISSING_DOCUMENTS = "missing_documents",
        "申请材料不全，请一次性补正下列材料。",
        "The application is incomplete; please supply all the documents listed below at once.",
        DETERMINATION;
    /// A listed relative is not a dependant under Order No. 18 Art. 3 (the text names whom).
    DEPENDANT_NOT_ELIGIBLE = "dependant_not_eligible",
        "不符合供养亲属条件，不享受供养亲属抚恤金：",
        "Not a dependant entitled to a pension:",
        ORDER_18_ART_3;
    /// A listed relative's eligibility needs a fact not given (the text names which).
    DEPENDANT_FACTS_NEEDED = "dependant_facts_needed",
        "供养亲属资格无法认定，请补充：",
        "The eligibility of a listed relative cannot be decided; needed:",
        ORDER_18_ART_3;
    /// Determination in working days; the calendar lacks a year.
    CALENDAR_BEYOND_KNOWN = "calendar_beyond_known_years",
        "期限计算超出已公布的节假日安排年份，仅按周末计算，日期可能调整。",
        "The deadline falls in a year whose holiday arrangement is not published; only weekends were skipped, so the date may move.",
        DETERMINATION;
}
