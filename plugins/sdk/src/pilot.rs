//! The bases of the 2025 national procedure (《新就业形态人员职业伤害保障业务经办和征收管理规程（试行）》,
//! 人社厅函〔2025〕79号, quoted in `shared/domain/benefits.md` §3.1), for incidents from
//! 2025-07-01, the start of the expansion (人社部发〔2025〕24号).
//!
//! - Art. 39: the funeral grant is 6 months of, and the dependants' pensions are shares of,
//!   "上年度统筹地区城镇私营单位就业人员月平均工资的60%" (B), and the pensions together are
//!   capped at B. From the annual private-unit average wage A of the year before the death,
//!   B = A ÷ 12 × 60 % = A × 5 %, rounded half up to the fen once.
//! - Art. 38: the grades 1-4 allowance is 90/85/80/75 % of the "待遇计发基数", and grades 5-6 get
//!   a one-off allowance of 30 / 25 months of it. The article that defines 待遇计发基数 was not
//!   retrieved (benefits.md §0.3, notes of 2026-12-04); it is taken to be B of the year before the
//!   incident, an inference, so every line on it is provisional with that said in its parameter.
//!
//! Where a region's private-unit wage is not known for any year, the base has no value, its
//! confidence is `Missing` and the lines on it carry no amount (the adjuster sets it), like the
//! meal subsidy of a region that publishes no rate.

use crate::Region;
use crate::region::{Cite, Looked, lookup_year};
use oip_types::{Confidence, Date, Facts, Parameter};

/// The first incident date decided on the 2025 procedure's bases.
pub const FROM: Date = crate::date(2025, 7, 1);

/// B in basis points of the annual private-unit wage: 60 % ÷ 12 months = 5 %.
pub const BASE_BP_OF_ANNUAL: u64 = 500;

/// The procedure's benefit articles.
pub const RSTH_2025_79: Cite = Cite {
    id: "rsth-2025-79",
    title: "人社厅函〔2025〕79号《新就业形态人员职业伤害保障业务经办和征收管理规程（试行）》第三十八、三十九条 (national procedure, Arts. 38-39: disability and death benefits)",
    source: "law-lib reprint http://m.law-lib.com/law/law_view.asp?id=780484&page=6",
};

/// Whether the facts are decided on the 2025 procedure's bases.
pub fn applies(facts: &Facts) -> bool {
    facts.incident.occurred_at.beijing_date() >= FROM
}

/// A base a line is computed on: a figure (absent when none is known) and how it reads.
#[derive(Clone, Debug)]
pub struct Base {
    /// The monthly base in fen; `None` when no figure is known.
    pub fen: Option<u64>,
    /// The figure as the decision lists it.
    pub parameter: Parameter,
    /// Its name in formulas (zh, en).
    pub label: (&'static str, &'static str),
}

impl Base {
    /// The average monthly wage W, the base of the regulation's own formulas.
    pub fn wage(w: &Looked) -> Base {
        Base {
            fen: Some(w.fen),
            parameter: w.parameter.clone(),
            label: ("月平均工资", "average monthly wage"),
        }
    }
}

/// B of `year`: 60 % of the region's monthly private-unit average wage of that year.
pub fn death_base(region: &Region, year: i32) -> Base {
    base(
        region,
        year,
        "pilot_death_base",
        ("计发基数", "benefit base"),
        None,
    )
}

/// The 待遇计发基数 of `year`, taken to be B (an inference, see the module's text).
pub fn treatment_base(region: &Region, year: i32) -> Base {
    base(
        region,
        year,
        "pilot_treatment_base",
        ("待遇计发基数", "treatment base"),
        Some(
            "inferred: Art. 38 names 待遇计发基数 without its definition being retrieved; taken as Art. 39's base",
        ),
    )
}

fn base(
    region: &Region,
    year: i32,
    what: &str,
    label: (&'static str, &'static str),
    inferred: Option<&str>,
) -> Base {
    let name = region.param_name(what);
    match lookup_year(region.private_wage, &name, year) {
        Some(annual) => {
            let fen = crate::money::percent_of(annual.fen, BASE_BP_OF_ANNUAL);
            let mut p = annual.parameter;
            p.value = i64::try_from(fen).ok();
            p.source = format!(
                "5 % (60 % ÷ 12) of the annual average wage of urban private-unit employees {} fen: {}{}",
                annual.fen,
                p.source,
                inferred.map(|i| format!("; {i}")).unwrap_or_default()
            );
            if inferred.is_some() && !p.confidence.is_provisional() {
                p.confidence = Confidence::Provisional;
            }
            Base {
                fen: Some(fen),
                parameter: p,
                label,
            }
        }
        None => Base {
            fen: None,
            parameter: Parameter {
                name: format!("{name}.{year}"),
                value: None,
                unit: "fen".into(),
                period: Some(year.to_string()),
                source: format!(
                    "no average wage of urban private-unit employees of {} was found for {year} or any year before",
                    region.name_en
                ),
                confidence: Confidence::Missing,
            },
            label,
        },
    }
}
