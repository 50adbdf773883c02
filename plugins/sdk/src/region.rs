//! What a region policy declares: its figures, each with its source and confidence.

use core::fmt;
use oip_types::{Citation, Confidence, Date, Parameter};

/// A citation known at compile time.
#[derive(Clone, Copy, Debug)]
pub struct Cite {
    /// Stable id.
    pub id: &'static str,
    /// Document and article.
    pub title: &'static str,
    /// Where to read it.
    pub source: &'static str,
}

impl Cite {
    /// The citation as it crosses the boundary.
    pub fn to_citation(&self) -> Citation {
        Citation {
            id: self.id.into(),
            title: self.title.into(),
            source: self.source.into(),
        }
    }
}

/// A figure with its source.
#[derive(Clone, Copy, Debug)]
pub struct Sourced {
    /// The value (fen, fen/day, ... as the field says).
    pub value: i64,
    /// Where it comes from.
    pub source: &'static str,
    /// How sure that is.
    pub confidence: Confidence,
}

/// A yearly figure, in fen.
#[derive(Clone, Copy, Debug)]
pub struct YearFigure {
    /// The year the figure is for.
    pub year: i32,
    /// Amount in fen.
    pub fen: i64,
    /// Where it comes from.
    pub source: &'static str,
    /// How sure that is.
    pub confidence: Confidence,
}

/// A yearly figure looked up for a year, possibly standing in for a missing one.
#[derive(Clone, Debug)]
pub struct Looked {
    /// Amount in fen.
    pub fen: u64,
    /// The parameter as a decision names it.
    pub parameter: Parameter,
}

impl Looked {
    /// Whether a line using this figure is provisional.
    pub fn provisional(&self) -> bool {
        self.parameter.confidence.is_provisional()
    }
}

/// Looks up the figure of `year`. When the table has no figure for that year, the nearest year
/// stands in (the latest before it, else the earliest after it), marked provisional (预发) so a
/// later policy version with the published figure can true it up (补差). The parameter is named
/// `{name}.{year}`.
pub fn lookup_year(table: &[YearFigure], name: impl fmt::Display, year: i32) -> Option<Looked> {
    let exact = table.iter().find(|f| f.year == year);
    let stand_in = || {
        table
            .iter()
            .filter(|f| f.year < year)
            .max_by_key(|f| f.year)
            .or_else(|| {
                table
                    .iter()
                    .filter(|f| f.year > year)
                    .min_by_key(|f| f.year)
            })
    };
    let (figure, confidence, source) = match exact {
        Some(f) => (f, f.confidence, f.source.into()),
        None => {
            let f = stand_in()?;
            (
                f,
                Confidence::Provisional,
                format!(
                    "no figure for {year} yet; {} stands in: {}",
                    f.year, f.source
                ),
            )
        }
    };
    Some(Looked {
        fen: u64::try_from(figure.fen).unwrap_or(0),
        parameter: Parameter {
            name: format!("{name}.{year}"),
            value: Some(figure.fen),
            unit: "fen".into(),
            period: Some(figure.year.to_string()),
            source,
            confidence,
        },
    })
}

/// A region's policy data. Everything a region really does differently in code (a fast track)
/// goes in its [`Policy`](crate::Policy) implementation instead.
#[derive(Debug)]
pub struct Region {
    /// ISO 3166-2:CN code, e.g. "CN-SC".
    pub code: &'static str,
    /// Name in Chinese.
    pub name_zh: &'static str,
    /// Name in English.
    pub name_en: &'static str,
    /// Version of this policy.
    pub policy_version: &'static str,
    /// First incident date the policy decides.
    pub effective_from: Date,
    /// Last incident date; `None` = open-ended.
    pub effective_to: Option<Date>,
    /// Source of the start date and its confidence.
    pub in_force: (&'static str, Confidence),
    /// Average monthly wage of all urban employed persons (全口径), by year, in fen.
    pub wage_base: &'static [YearFigure],
    /// Average annual wage of urban private-unit employees (城镇私营单位就业人员年平均工资), by
    /// year, in fen: the base of the 2025 procedure's death items (see [`crate::pilot`]). Empty
    /// where no figure was found (its lines then carry no amount).
    pub private_wage: &'static [YearFigure],
    /// Tier-1 monthly minimum wage, in fen.
    pub min_wage: Sourced,
    /// Hospital meal subsidy per day, in fen; `None` when no figure is published.
    pub hospital_meal_per_day: Option<Sourced>,
    /// Citations of regional rules (fast tracks, notices), beside the national ones.
    pub citations: &'static [Cite],
}

impl Region {
    /// Parameter name prefix for this region's figures, e.g. `avg_monthly_wage.CN-SC`.
    pub fn param(&self, what: &str) -> String {
        self.param_name(what).to_string()
    }

    /// The same name as [`param`](Self::param), written where it is formatted (no `String` of
    /// its own).
    pub fn param_name<'a>(&'a self, what: &'a str) -> ParamName<'a> {
        ParamName {
            what,
            region: self.code,
        }
    }

    /// The minimum wage as a parameter.
    pub fn min_wage_parameter(&self) -> Parameter {
        sourced_parameter(self.param("min_wage_monthly"), "fen", &self.min_wage)
    }

    /// The hospital meal rate as a parameter (value absent when none is published).
    pub fn meal_parameter(&self) -> Parameter {
        match &self.hospital_meal_per_day {
            Some(s) => sourced_parameter(self.param("hospital_meal_per_day"), "fen/day", s),
            None => Parameter {
                name: self.param("hospital_meal_per_day"),
                value: None,
                unit: "fen/day".into(),
                period: None,
                source: "no published rate found (parameters.json: hospital_meal_subsidy)".into(),
                confidence: Confidence::Missing,
            },
        }
    }
}

/// A regional parameter name, `{what}.{region}`; see [`Region::param_name`].
#[derive(Clone, Copy, Debug)]
pub struct ParamName<'a> {
    what: &'a str,
    region: &'a str,
}

impl fmt::Display for ParamName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.what, self.region)
    }
}

/// A [`Sourced`] figure as a parameter.
pub fn sourced_parameter(name: String, unit: &str, s: &Sourced) -> Parameter {
    Parameter {
        name,
        value: Some(s.value),
        unit: unit.into(),
        period: None,
        source: s.source.into(),
        confidence: s.confidence,
    }
}
