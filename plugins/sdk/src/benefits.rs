//! Benefit lines of a covered decision (rules.md, "Benefits"), in exact integer fen.

use crate::dependants::Pensioner;
use crate::money::{Percent, Yuan, percent_of, times};
use crate::pilot::{self, Base};
use crate::region::{Cite, Looked, Region, lookup_year};
use crate::tables::*;
use oip_types::{
    BenefitItem, BenefitLine, CareLevel, Confidence, Facts, Parameter, Payer, Period, Relation,
    Text,
};

fn table_parameter(name: String, value: u64, unit: &str) -> Parameter {
    Parameter {
        name,
        value: i64::try_from(value).ok(),
        unit: unit.into(),
        period: None,
        source: BENEFIT_TABLES_SOURCE.into(),
        confidence: Confidence::Confirmed,
    }
}

struct Line {
    item: BenefitItem,
    payer: Payer,
    period: Period,
    amount: Option<u64>,
    formula: Text,
    parameters: Vec<Parameter>,
    cite: &'static Cite,
    note: Option<Text>,
    /// Provisional for a reason other than its figures (e.g. an unconfirmed payer).
    provisional: bool,
}

impl Line {
    fn finish(self) -> BenefitLine {
        let provisional = self.provisional
            || self
                .parameters
                .iter()
                .any(|p| p.confidence.is_provisional());
        BenefitLine {
            item: self.item,
            payer: self.payer,
            period: self.period,
            amount_fen: self.amount,
            provisional,
            formula: self.formula,
            parameters: self.parameters,
            citation: self.cite.to_citation(),
            note: self.note,
        }
    }
}

fn months_of_wage(
    item: BenefitItem,
    months: u64,
    months_name: String,
    w: &Looked,
    cite: &'static Cite,
) -> Line {
    months_of(item, months, months_name, &Base::wage(w), cite)
}

/// `months` × a base, paid once by the fund; no amount where the base has no figure.
fn months_of(
    item: BenefitItem,
    months: u64,
    months_name: String,
    base: &Base,
    cite: &'static Cite,
) -> Line {
    let amount = base.fen.map(|b| times(b, months));
    let (zh, en) = base.label;
    Line {
        item,
        payer: Payer::Fund,
        period: Period::LumpSum,
        amount,
        formula: Text::new(
            format!(
                "{months} 个月 × {zh} {} = {}",
                YuanOr(base.fen, "元"),
                YuanOr(amount, "元")
            ),
            format!(
                "{months} months × {en} {} = {}",
                YuanOr(base.fen, "yuan"),
                YuanOr(amount, "yuan")
            ),
        ),
        parameters: vec![
            base.parameter.clone(),
            table_parameter(months_name, months, "months"),
        ],
        cite,
        note: missing_note(base),
        provisional: false,
    }
}

/// An amount in yuan with its unit, or a question mark where no figure is known.
struct YuanOr(Option<u64>, &'static str);

impl std::fmt::Display for YuanOr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(fen) => write!(f, "{} {}", Yuan(fen), self.1),
            None => f.write_str("?"),
        }
    }
}

/// The remark on a line whose base has no figure.
fn missing_note(base: &Base) -> Option<Text> {
    base.fen.is_none().then(|| {
        Text::new(
            format!(
                "{}（{}）未找到公布数据，金额由经办人员核定。",
                base.label.0, base.parameter.name
            ),
            format!(
                "No published figure was found for the {} ({}); the adjuster sets the amount.",
                base.label.1, base.parameter.name
            ),
        )
    })
}

fn medical_line(facts: &Facts) -> Option<Line> {
    let m = &facts.medical;
    let total = m.outpatient_fen.saturating_add(m.inpatient_fen);
    if total == 0 {
        return None;
    }
    let note = (m.out_of_catalogue_fen > 0).then(|| {
        Text::new(
            format!("目录外费用 {} 元不予支付。", Yuan(m.out_of_catalogue_fen)),
            format!(
                "{} yuan outside the catalogues is not paid.",
                Yuan(m.out_of_catalogue_fen)
            ),
        )
    });
    Some(Line {
        item: BenefitItem::Medical,
        payer: Payer::Fund,
        period: Period::LumpSum,
        amount: Some(total),
        formula: Text::new(
            format!(
                "门（急）诊 {} 元 + 住院 {} 元 = {} 元",
                Yuan(m.outpatient_fen),
                Yuan(m.inpatient_fen),
                Yuan(total)
            ),
            format!(
                "outpatient {} yuan + inpatient {} yuan = {} yuan",
                Yuan(m.outpatient_fen),
                Yuan(m.inpatient_fen),
                Yuan(total)
            ),
        ),
        parameters: Vec::new(),
        cite: &GSBX_30,
        note,
        provisional: false,
    })
}

fn meal_line(region: &Region, facts: &Facts) -> Option<Line> {
    let days = u64::from(facts.medical.inpatient_days);
    if days == 0 {
        return None;
    }
    let parameter = region.meal_parameter();
    let (amount, formula, note) = match &region.hospital_meal_per_day {
        Some(rate) => {
            let per_day = u64::try_from(rate.value).unwrap_or(0);
            let amount = times(per_day, days);
            (
                Some(amount),
                Text::new(
                    format!(
                        "住院 {days} 天 × {} 元/天 = {} 元",
                        Yuan(per_day),
                        Yuan(amount)
                    ),
                    format!(
                        "{days} days in hospital × {} yuan/day = {} yuan",
                        Yuan(per_day),
                        Yuan(amount)
                    ),
                ),
                None,
            )
        }
        None => (
            None,
            Text::new(
                format!("住院 {days} 天 × 日标准（{} 未公布）", region.name_zh),
                format!(
                    "{days} days in hospital × daily rate (not published for {})",
                    region.name_en
                ),
            ),
            Some(Text::new(
                format!(
                    "{} 的住院伙食补助日标准未找到公开数据，金额由经办人员核定。",
                    region.name_zh
                ),
                format!(
                    "No published daily rate was found for {}; the adjuster sets the amount.",
                    region.name_en
                ),
            )),
        ),
    };
    Some(Line {
        item: BenefitItem::HospitalMealSubsidy,
        payer: Payer::Fund,
        period: Period::LumpSum,
        amount,
        formula,
        parameters: vec![parameter],
        cite: &GSBX_30,
        note,
        provisional: true,
    })
}

/// The 2025 procedure's allowances (Art. 38), on the treatment base `tb`: grades 1-4 monthly,
/// 90/85/80/75 % and never below the minimum wage; grades 5-6 once, 30 / 25 months.
fn pilot_allowance(region: &Region, grade: u8, tb: &Base) -> Option<Line> {
    let idx = usize::from(grade - 1);
    if let Some(&months) = PILOT_GRADE5_6_MONTHS.get(idx.wrapping_sub(4)) {
        return Some(months_of(
            BenefitItem::DisabilityAllowance,
            months,
            format!("pilot_one_off_allowance_months.grade{grade}"),
            tb,
            &pilot::RSTH_2025_79,
        ));
    }
    let &bp = DISABILITY_ALLOWANCE_BP.get(idx).filter(|_| grade <= 4)?;
    let floor = u64::try_from(region.min_wage.value).unwrap_or(0);
    let share = tb.fen.map(|b| percent_of(b, bp));
    let amount = share.map(|s| s.max(floor));
    let (zh, en) = tb.label;
    Some(Line {
        item: BenefitItem::DisabilityAllowance,
        payer: Payer::Fund,
        period: Period::Monthly,
        amount,
        formula: Text::new(
            format!(
                "max({zh} {} × {} = {}, 最低工资 {} 元) = {}/月",
                YuanOr(tb.fen, "元"),
                Percent(bp),
                YuanOr(share, "元"),
                Yuan(floor),
                YuanOr(amount, "元")
            ),
            format!(
                "max({en} {} × {} = {}, minimum wage {} yuan) = {}/month",
                YuanOr(tb.fen, "yuan"),
                Percent(bp),
                YuanOr(share, "yuan"),
                Yuan(floor),
                YuanOr(amount, "yuan")
            ),
        ),
        parameters: vec![
            tb.parameter.clone(),
            table_parameter(format!("disability_allowance_bp.grade{grade}"), bp, "bp"),
            region.min_wage_parameter(),
        ],
        cite: &pilot::RSTH_2025_79,
        note: missing_note(tb),
        provisional: false,
    })
}

fn disability_lines(region: &Region, grade: u8, w: &Looked, tb: Option<&Base>) -> Vec<Line> {
    let idx = usize::from(grade - 1);
    let cite = match grade {
        1..=4 => &GSBX_35,
        5..=6 => &GSBX_36,
        _ => &GSBX_37,
    };
    let mut lines = vec![months_of_wage(
        BenefitItem::OneOffDisabilitySubsidy,
        DISABILITY_MONTHS[idx],
        format!("disability_subsidy_months.grade{grade}"),
        w,
        cite,
    )];
    if let Some(tb) = tb {
        lines.extend(pilot_allowance(region, grade, tb));
        return lines;
    }
    if let Some(&bp) = DISABILITY_ALLOWANCE_BP.get(idx) {
        let share = percent_of(w.fen, bp);
        let mut parameters = vec![
            w.parameter.clone(),
            table_parameter(format!("disability_allowance_bp.grade{grade}"), bp, "bp"),
        ];
        let (amount, payer, formula, provisional, note) = if grade <= 4 {
            let floor = u64::try_from(region.min_wage.value).unwrap_or(0);
            parameters.push(region.min_wage_parameter());
            let amount = share.max(floor);
            (
                amount,
                Payer::Fund,
                Text::new(
                    format!(
                        "max(月平均工资 {} 元 × {} = {} 元, 最低工资 {} 元) = {} 元/月",
                        Yuan(w.fen),
                        Percent(bp),
                        Yuan(share),
                        Yuan(floor),
                        Yuan(amount)
                    ),
                    format!(
                        "max(average monthly wage {} yuan × {} = {} yuan, minimum wage {} yuan) = {} yuan/month",
                        Yuan(w.fen),
                        Percent(bp),
                        Yuan(share),
                        Yuan(floor),
                        Yuan(amount)
                    ),
                ),
                false,
                None,
            )
        } else {
            // 条例 Art. 36: the employer makes up the difference to the local minimum wage.
            let floor = u64::try_from(region.min_wage.value).unwrap_or(0);
            parameters.push(region.min_wage_parameter());
            parameters.push(Parameter {
                name: "disability_allowance_payer.grade5_6".into(),
                value: None,
                unit: "payer".into(),
                period: None,
                source: "rules.md: who pays grades 5-6 in this scheme is unconfirmed".into(),
                confidence: Confidence::Provisional,
            });
            let amount = share.max(floor);
            (
                amount,
                Payer::Platform,
                Text::new(
                    format!(
                        "max(月平均工资 {} 元 × {} = {} 元, 最低工资 {} 元) = {} 元/月",
                        Yuan(w.fen),
                        Percent(bp),
                        Yuan(share),
                        Yuan(floor),
                        Yuan(amount)
                    ),
                    format!(
                        "max(average monthly wage {} yuan × {} = {} yuan, minimum wage {} yuan) = {} yuan/month",
                        Yuan(w.fen),
                        Percent(bp),
                        Yuan(share),
                        Yuan(floor),
                        Yuan(amount)
                    ),
                ),
                true,
                Some(Text::new(
                    "五至六级伤残津贴在本保障中由谁支付尚未确认，暂列平台企业。",
                    "Who pays the grade 5-6 allowance in this scheme is unconfirmed; the platform is assumed for now.",
                )),
            )
        };
        lines.push(Line {
            item: BenefitItem::DisabilityAllowance,
            payer,
            period: Period::Monthly,
            amount: Some(amount),
            formula,
            parameters,
            cite,
            note,
            provisional,
        });
    }
    lines
}

fn living_care_line(level: CareLevel, w: &Looked) -> Line {
    let (bp, zh, en) = match level {
        CareLevel::Partial => (LIVING_CARE_BP[0], "部分", "partial"),
        CareLevel::Most => (LIVING_CARE_BP[1], "大部分", "most"),
        CareLevel::Complete => (LIVING_CARE_BP[2], "完全", "complete"),
    };
    let amount = percent_of(w.fen, bp);
    Line {
        item: BenefitItem::LivingCare,
        payer: Payer::Fund,
        period: Period::Monthly,
        amount: Some(amount),
        formula: Text::new(
            format!(
                "生活{zh}不能自理：月平均工资 {} 元 × {} = {} 元/月",
                Yuan(w.fen),
                Percent(bp),
                Yuan(amount)
            ),
            format!(
                "{en} loss of self-care: average monthly wage {} yuan × {} = {} yuan/month",
                Yuan(w.fen),
                Percent(bp),
                Yuan(amount)
            ),
        ),
        parameters: vec![
            w.parameter.clone(),
            table_parameter(format!("living_care_bp.{en}"), bp, "bp"),
        ],
        cite: &GSBX_34,
        note: None,
        provisional: false,
    }
}

fn dependant_line(pensioners: &[Pensioner], base: &Base, cite: &'static Cite) -> Option<Line> {
    if pensioners.is_empty() {
        return None;
    }
    let (spouse, other, extra, cap_bp) = DEPENDANT_BP;
    let (zh, en) = base.label;
    let mut shares_zh = Vec::new();
    let mut shares_en = Vec::new();
    let mut sum = Some(0u64);
    for d in pensioners {
        let base_bp = if d.relation == Relation::Spouse {
            spouse
        } else {
            other
        };
        let bp = base_bp + if d.supplement { extra } else { 0 };
        let share = base.fen.map(|b| percent_of(b, bp));
        sum = sum.zip(share).map(|(a, b)| a.saturating_add(b));
        shares_zh.push(format!("{}（{}）", YuanOr(share, "元"), Percent(bp)));
        shares_en.push(format!("{} ({})", YuanOr(share, "yuan"), Percent(bp)));
    }
    let cap = base.fen.map(|b| percent_of(b, cap_bp));
    let amount = sum.zip(cap).map(|(s, c)| s.min(c));
    let note = match (sum, cap) {
        (Some(sum), Some(cap)) if sum > cap => Some(Text::new(
            format!(
                "合计 {} 元超过{zh}，按上限 {} 元支付。",
                Yuan(sum),
                Yuan(cap)
            ),
            format!(
                "The total {} yuan exceeds the {en}; the cap {} yuan is paid.",
                Yuan(sum),
                Yuan(cap)
            ),
        )),
        _ => missing_note(base),
    };
    Some(Line {
        item: BenefitItem::DependantPension,
        payer: Payer::Fund,
        period: Period::Monthly,
        amount,
        formula: Text::new(
            format!(
                "{} = {}/月，合计不超过{zh} {}",
                shares_zh.join(" + "),
                YuanOr(amount, "元"),
                YuanOr(cap, "元")
            ),
            format!(
                "{} = {}/month, in total not above the {en} {}",
                shares_en.join(" + "),
                YuanOr(amount, "yuan"),
                YuanOr(cap, "yuan")
            ),
        ),
        parameters: vec![
            base.parameter.clone(),
            table_parameter("dependant_pension_bp.spouse".into(), spouse, "bp"),
            table_parameter("dependant_pension_bp.other".into(), other, "bp"),
            table_parameter(
                "dependant_pension_bp.orphan_or_lone_elderly_extra".into(),
                extra,
                "bp",
            ),
        ],
        cite,
        note,
        provisional: false,
    })
}

/// The death items; on the 2025 procedure's base B of the year before the death when `pilot`.
fn death_lines(
    region: &Region,
    facts: &Facts,
    pensioners: &[Pensioner],
    w: &Looked,
    pilot: bool,
) -> Vec<Line> {
    let Some(death) = &facts.death else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    let year = death.died_at.beijing_date().year - 1;
    if let Some(income) = lookup_year(NATIONAL_INCOME, "national_urban_disposable_income", year) {
        let amount = times(income.fen, DEATH_INCOME_MULTIPLE);
        lines.push(Line {
            item: BenefitItem::OneOffDeathSubsidy,
            payer: Payer::Fund,
            period: Period::LumpSum,
            amount: Some(amount),
            formula: Text::new(
                format!(
                    "{DEATH_INCOME_MULTIPLE} × {year} 年全国城镇居民人均可支配收入 {} 元 = {} 元",
                    Yuan(income.fen),
                    Yuan(amount)
                ),
                format!(
                    "{DEATH_INCOME_MULTIPLE} × national urban per-capita disposable income {year} {} yuan = {} yuan",
                    Yuan(income.fen),
                    Yuan(amount)
                ),
            ),
            parameters: vec![
                income.parameter.clone(),
                table_parameter("death_subsidy_income_multiple".into(), DEATH_INCOME_MULTIPLE, "count"),
            ],
            cite: &GSBX_39,
            note: None,
            provisional: false,
        });
    }
    let (base, cite) = if pilot {
        (pilot::death_base(region, year), &pilot::RSTH_2025_79)
    } else {
        (Base::wage(w), &GSBX_39)
    };
    lines.push(months_of(
        BenefitItem::FuneralSubsidy,
        FUNERAL_MONTHS,
        "funeral_subsidy_months".into(),
        &base,
        cite,
    ));
    lines.extend(dependant_line(pensioners, &base, cite));
    lines
}

/// The benefit lines of a covered claim, and the names of the provisional parameters they use;
/// the dependants' pension goes to `pensioners` (see [`crate::dependants`]).
pub fn benefit_lines(
    region: &Region,
    facts: &Facts,
    pensioners: &[Pensioner],
) -> (Vec<BenefitLine>, Vec<String>) {
    let year = facts.incident.occurred_at.beijing_date().year - 1;
    let w = lookup_year(
        region.wage_base,
        region.param_name("avg_monthly_wage"),
        year,
    );
    let pilot = pilot::applies(facts);
    let mut lines: Vec<Line> = Vec::new();
    lines.extend(medical_line(facts));
    lines.extend(meal_line(region, facts));
    if let Some(w) = &w {
        let tb = pilot.then(|| pilot::treatment_base(region, year));
        if let Some(grade) = facts.assessment.disability_grade {
            lines.extend(disability_lines(region, grade, w, tb.as_ref()));
        }
        if let Some(level) = facts.assessment.care_level {
            lines.push(living_care_line(level, w));
        }
        lines.extend(death_lines(region, facts, pensioners, w, pilot));
    }
    let lines: Vec<BenefitLine> = lines.into_iter().map(Line::finish).collect();
    let mut provisional = Vec::new();
    for p in lines.iter().flat_map(|l| &l.parameters) {
        if p.confidence.is_provisional() && !provisional.contains(&p.name) {
            provisional.push(p.name.clone());
        }
    }
    (lines, provisional)
}

/// The figures a region's manifest lists.
pub fn manifest_parameters(region: &Region) -> Vec<Parameter> {
    let mut out = Vec::new();
    for f in region.wage_base {
        out.push(Parameter {
            name: format!("{}.{}", region.param_name("avg_monthly_wage"), f.year),
            value: Some(f.fen),
            unit: "fen".into(),
            period: Some(f.year.to_string()),
            source: f.source.into(),
            confidence: f.confidence,
        });
    }
    for f in region.private_wage {
        out.push(Parameter {
            name: format!(
                "{}.{}",
                region.param_name("avg_annual_wage_private_units"),
                f.year
            ),
            value: Some(f.fen),
            unit: "fen/year".into(),
            period: Some(f.year.to_string()),
            source: f.source.into(),
            confidence: f.confidence,
        });
    }
    out.push(region.min_wage_parameter());
    out.push(region.meal_parameter());
    for f in NATIONAL_INCOME {
        out.push(Parameter {
            name: format!("national_urban_disposable_income.{}", f.year),
            value: Some(f.fen),
            unit: "fen".into(),
            period: Some(f.year.to_string()),
            source: f.source.into(),
            confidence: f.confidence,
        });
    }
    out.push(Parameter {
        name: region.param("in_force_from"),
        value: None,
        unit: "date".into(),
        period: Some(region.effective_from.to_string()),
        source: region.in_force.0.into(),
        confidence: region.in_force.1,
    });
    out
}
