//! Working days: weekends and the State Council's public holidays are off, make-up working days
//! (调休上班) are on. Deadlines of the scheme are counted in working days.

use crate::holidays::YEARS;
use oip_types::Date;

/// Whether the calendar has the State Council's arrangement for this date's year.
pub fn knows_year(year: i32) -> bool {
    YEARS.iter().any(|y| y.year == year)
}

/// The first and last years the calendar knows.
pub fn known_years() -> (i32, i32) {
    let first = YEARS.first().map_or(0, |y| y.year);
    let last = YEARS.last().map_or(0, |y| y.year);
    (first, last)
}

/// Whether `date` is a working day. Beyond the known years only weekends are off.
pub fn is_working_day(date: Date) -> bool {
    if YEARS.iter().any(|y| y.makeup_workdays.contains(&date)) {
        return true;
    }
    if YEARS.iter().any(|y| y.days_off.contains(&date)) {
        return false;
    }
    !date.is_weekend()
}

/// The result of counting working days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counted {
    /// The date reached.
    pub date: Date,
    /// Whether the count crossed a year the calendar does not know (weekends only were skipped
    /// there, so the date may move when that year's notice is published).
    pub beyond_calendar: bool,
}

/// The date `n` working days after `start`. With `n = 0`, `start` itself when it is a working
/// day, else the next working day ("the same day").
pub fn add_working_days(start: Date, n: u32) -> Counted {
    let mut date = start;
    let mut beyond = !knows_year(date.year);
    let mut left = n;
    if n == 0 {
        while !is_working_day(date) {
            date = date.add_days(1);
            beyond |= !knows_year(date.year);
        }
        return Counted {
            date,
            beyond_calendar: beyond,
        };
    }
    while left > 0 {
        date = date.add_days(1);
        beyond |= !knows_year(date.year);
        if is_working_day(date) {
            left -= 1;
        }
    }
    Counted {
        date,
        beyond_calendar: beyond,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn skips_weekends() {
        // Friday 2025-08-01 + 3 working days = Wednesday 2025-08-06.
        assert_eq!(add_working_days(d("2025-08-01"), 3).date, d("2025-08-06"));
    }

    #[test]
    fn skips_national_day_and_counts_makeup_saturday() {
        // 2025-09-30 (Tue) + 1: Oct 1-8 are off, Oct 9 (Thu) is the first working day.
        assert_eq!(add_working_days(d("2025-09-30"), 1).date, d("2025-10-09"));
        // Sat 2025-10-11 is a make-up working day.
        assert!(is_working_day(d("2025-10-11")));
        assert_eq!(add_working_days(d("2025-10-10"), 1).date, d("2025-10-11"));
        // Sat 2025-09-28 too.
        assert!(is_working_day(d("2025-09-28")));
    }

    #[test]
    fn same_day_moves_off_a_holiday() {
        assert_eq!(add_working_days(d("2026-02-16"), 0).date, d("2026-02-24"));
        assert_eq!(add_working_days(d("2026-02-24"), 0).date, d("2026-02-24"));
    }

    #[test]
    fn flags_unknown_years() {
        assert!(!add_working_days(d("2026-12-01"), 3).beyond_calendar);
        assert!(add_working_days(d("2026-12-28"), 30).beyond_calendar);
        // The 2023 notice moved Saturday 2022-12-31 off as well (it was off anyway).
        assert!(!is_working_day(d("2022-12-31")));
    }
}
