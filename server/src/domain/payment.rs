//! The payment ledger's words: what an entry is, where it stands, where a monthly run stands,
//! and the month it pays for.

use super::named_enum;
use serde::{Deserialize, Serialize};

named_enum!(
    /// What a ledger entry pays.
    pub enum EntryKind {
        /// A lump sum, once.
        LumpSum = "lump_sum",
        /// One month of a monthly benefit.
        Monthly = "monthly",
        /// The difference (补差) for a month or a lump sum already entered, after the lines
        /// were decided again (a published figure, an adjustment); may be negative.
        TrueUp = "true_up",
        /// A payment the bank returned, owed again (paid in the next run).
        Requeue = "requeue",
    }
);

named_enum!(
    /// Where a ledger entry stands. An entry's amount, payee and origin never change; its
    /// state only moves forward: `scheduled` → `in_batch` → `paid` → `returned`, or
    /// `reversed`; a correction is a new entry.
    pub enum EntryState {
        /// Owed, not yet in a run.
        Scheduled = "scheduled",
        /// In a run not yet released.
        InBatch = "in_batch",
        /// In a released run, handed to the bank.
        Paid = "paid",
        /// Refused by the bank (a `requeue` entry owes it again).
        Returned = "returned",
        /// Cancelled before payment.
        Reversed = "reversed",
    }
);

named_enum!(
    /// Where a monthly payment run stands.
    pub enum RunStatus {
        /// Being built (a build interrupted resumes where it stopped).
        Building = "building",
        /// Built: its lines are fixed; another payments officer releases it.
        Built = "built",
        /// Released by a second officer: frozen, exported to the bank.
        Released = "released",
    }
);

/// A calendar month, stored as its index (`year × 12 + month − 1`) and written `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(pub i64);

impl Month {
    /// The month of a year (1–12).
    pub fn of(year: i32, month: u8) -> Month {
        Month(i64::from(year) * 12 + i64::from(month) - 1)
    }

    /// The month of a date.
    pub fn of_date(d: oip_engine::types::Date) -> Month {
        Month::of(d.year, d.month)
    }

    /// The current month in Beijing.
    pub fn current() -> Month {
        Month::of_date(crate::now().beijing_date())
    }

    /// `YYYY-MM`, read strictly.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let y: i32 = y.parse().ok()?;
        let m: u8 = m.parse().ok()?;
        ((1..=12).contains(&m) && (2000..=2999).contains(&y)).then(|| Month::of(y, m))
    }

    /// The year.
    pub fn year(self) -> i64 {
        self.0.div_euclid(12)
    }

    /// The month of the year, 1–12.
    pub fn month(self) -> i64 {
        self.0.rem_euclid(12) + 1
    }

    /// The month after.
    pub fn next(self) -> Month {
        Month(self.0 + 1)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Month, D::Error> {
        let s = String::deserialize(d)?;
        Month::parse(&s).ok_or_else(|| serde::de::Error::custom("a month YYYY-MM"))
    }
}

impl utoipa::PartialSchema for Month {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .pattern(Some(r"^2[0-9]{3}-(0[1-9]|1[0-2])$"))
                .examples([serde_json::json!("2026-11")])
                .build(),
        ))
    }
}

impl utoipa::ToSchema for Month {
    fn name() -> std::borrow::Cow<'static, str> {
        "Month".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_write_and_count() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(m.to_string(), "2026-12");
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(Month::of(2027, 1).0 - m.0, 1);
        for bad in ["2026-13", "2026-00", "26-01", "2026-1", "2026/01", "x"] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }
}
