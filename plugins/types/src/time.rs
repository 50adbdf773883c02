//! Instants and civil dates, without a time-zone database.
//!
//! The scheme runs on Beijing time (UTC+8, no daylight saving since 1991), so a fixed offset is
//! exact. Instants are stored as seconds since the Unix epoch; in JSON they are RFC 3339 strings
//! with an offset, written back in Beijing time so that the canonical form is unique.

use core::fmt;

/// Beijing's offset from UTC, in seconds.
pub const BEIJING_OFFSET_SECONDS: i64 = 8 * 3600;

/// An instant, in seconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// A civil date (proleptic Gregorian), meant as a Beijing date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 2025.
    pub year: i32,
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month, 1-31.
    pub day: u8,
}

/// Why a date or timestamp text was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub &'static str);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
const fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

const fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// A date, checked; `None` when it does not exist.
    pub const fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Days since 1970-01-01.
    pub const fn days(self) -> i64 {
        days_from_civil(self.year as i64, self.month as i64, self.day as i64)
    }

    /// The date `days` days after 1970-01-01.
    pub const fn from_days(days: i64) -> Date {
        let (y, m, d) = civil_from_days(days);
        Date {
            year: y as i32,
            month: m as u8,
            day: d as u8,
        }
    }

    /// The date `n` calendar days later (earlier when negative).
    pub const fn add_days(self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }

    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    pub const fn iso_weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (4).
        ((self.days() + 3).rem_euclid(7) + 1) as u8
    }

    /// Whether the date falls on Saturday or Sunday.
    pub const fn is_weekend(self) -> bool {
        self.iso_weekday() >= 6
    }

    /// Midnight at the start of this date, Beijing time.
    pub const fn start_beijing(self) -> Timestamp {
        Timestamp(self.days() * 86_400 - BEIJING_OFFSET_SECONDS)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, ParseError> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(ParseError("expected a date as YYYY-MM-DD"));
        }
        let year = digits(&b[0..4])? as i32;
        let month = digits(&b[5..7])? as u8;
        let day = digits(&b[8..10])? as u8;
        Date::new(year, month, day).ok_or(ParseError("no such date"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn digits(b: &[u8]) -> Result<i64, ParseError> {
    let mut n: i64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return Err(ParseError("expected a digit"));
        }
        n = n * 10 + i64::from(c - b'0');
    }
    Ok(n)
}

impl Timestamp {
    /// The Beijing civil date of this instant.
    pub const fn beijing_date(self) -> Date {
        Date::from_days((self.0 + BEIJING_OFFSET_SECONDS).div_euclid(86_400))
    }

    /// Parses an RFC 3339 timestamp with an explicit offset (`Z` or `+hh:mm`), e.g.
    /// `2025-08-01T10:15:00+08:00`. Fractions of a second are refused: the scheme's records are
    /// to the second, and a fraction would make two texts of one instant.
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, ParseError> {
        let b = s.as_bytes();
        if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(ParseError(
                "expected a timestamp as YYYY-MM-DDThh:mm:ss+hh:mm",
            ));
        }
        let date = Date::parse(&s[0..10])?;
        let (h, mi, se) = (
            digits(&b[11..13])?,
            digits(&b[14..16])?,
            digits(&b[17..19])?,
        );
        if h > 23 || mi > 59 || se > 59 {
            return Err(ParseError("no such time of day"));
        }
        let offset = match &b[19..] {
            b"Z" => 0,
            [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
                let oh = digits(&[*oh1, *oh2])?;
                let om = digits(&[*om1, *om2])?;
                if oh > 23 || om > 59 {
                    return Err(ParseError("no such offset"));
                }
                let o = oh * 3600 + om * 60;
                if *sign == b'-' { -o } else { o }
            }
            [b'.', ..] => return Err(ParseError("fractions of a second are not accepted")),
            _ => return Err(ParseError("expected an offset: Z or +hh:mm")),
        };
        Ok(Timestamp(
            date.days() * 86_400 + h * 3600 + mi * 60 + se - offset,
        ))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in Beijing time, e.g. `2025-08-01T10:15:00+08:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.0 + BEIJING_OFFSET_SECONDS;
        let date = Date::from_days(local.div_euclid(86_400));
        let secs = local.rem_euclid(86_400);
        write!(
            f,
            "{date}T{:02}:{:02}:{:02}+08:00",
            secs / 3600,
            (secs % 3600) / 60,
            secs % 60
        )
    }
}

/// The texts [`Timestamp::parse_rfc3339`] accepts, as a regular expression (for API schemas):
/// to the second, `T` and `Z` upper case, an explicit offset. One impossible date matches the
/// pattern and is refused by the parser: 29 February of a common year.
pub const TIMESTAMP_PATTERN: &str = "^[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31|02-29)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$";

/// The texts [`Date::parse`] accepts, as a regular expression (29 February of a common year
/// matches too).
pub const DATE_PATTERN: &str = "^[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31|02-29)$";

#[cfg(feature = "utoipa")]
mod schema_impls {
    use super::{DATE_PATTERN, Date, TIMESTAMP_PATTERN, Timestamp};
    use std::borrow::Cow;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

    fn string(pattern: &str, description: &str, example: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(pattern))
            .description(Some(description))
            .examples([example])
            .into()
    }

    impl utoipa::PartialSchema for Timestamp {
        fn schema() -> RefOr<Schema> {
            string(
                TIMESTAMP_PATTERN,
                "An instant, RFC 3339 to the second with an explicit offset; written back in Beijing time (+08:00).",
                "2025-08-01T10:15:00+08:00",
            )
        }
    }

    impl utoipa::ToSchema for Timestamp {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("Timestamp")
        }
    }

    impl utoipa::PartialSchema for Date {
        fn schema() -> RefOr<Schema> {
            string(
                DATE_PATTERN,
                "A civil date (Beijing), YYYY-MM-DD.",
                "2025-08-01",
            )
        }
    }

    impl utoipa::ToSchema for Date {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("Date")
        }
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::{Date, Timestamp};
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};
    use std::string::String;

    impl Serialize for Timestamp {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
    }
    impl<'de> Deserialize<'de> for Timestamp {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            Timestamp::parse_rfc3339(&s).map_err(|e| D::Error::custom(e.0))
        }
    }
    impl Serialize for Date {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
    }
    impl<'de> Deserialize<'de> for Date {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            Date::parse(&s).map_err(|e| D::Error::custom(e.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_beijing_time() {
        let t = Timestamp::parse_rfc3339("2025-08-01T02:15:00Z").unwrap();
        assert_eq!(t.to_string(), "2025-08-01T10:15:00+08:00");
        assert_eq!(
            Timestamp::parse_rfc3339("2025-08-01T10:15:00+08:00").unwrap(),
            t
        );
        assert_eq!(t.beijing_date(), Date::new(2025, 8, 1).unwrap());
        // 23:30 UTC is already the next day in Beijing.
        let late = Timestamp::parse_rfc3339("2025-07-31T23:30:00Z").unwrap();
        assert_eq!(late.beijing_date(), Date::new(2025, 8, 1).unwrap());
    }

    #[test]
    fn refuses_malformed_texts() {
        for bad in [
            "2025-08-01 10:15:00+08:00",
            "2025-08-01T10:15:00",
            "2025-02-30T10:15:00Z",
            "2025-08-01T24:00:00Z",
            "2025-08-01T10:15:00.5Z",
            "2025-08-01T10:15:00+8:00",
            "2025-08-01t10:15:00Z",
            "2025-08-01T10:15:00z",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("2025-02-29").is_err());
    }

    #[test]
    fn knows_weekdays() {
        assert_eq!(Date::new(2025, 8, 1).unwrap().iso_weekday(), 5); // a Friday
        assert!(Date::new(2025, 8, 2).unwrap().is_weekend());
        assert_eq!(Date::new(1969, 12, 31).unwrap().days(), -1);
        assert_eq!(
            Date::from_days(Date::new(2000, 3, 1).unwrap().days()).to_string(),
            "2000-03-01"
        );
    }
}
