//! Working days: weekends and the State Council's public holidays are off, make-up working days
//! (调休上班) are on. Deadlines of the scheme are counted in working days.
//!
//! The arrangement of [`YEARS`] is compiled into a bit table of working days (one bit per day,
//! built at compile time), so a date is looked up with one shift instead of a search through
//! the holiday lists, and a count of working days walks day numbers rather than civil dates.

use crate::holidays::YEARS;
use crate::time::Date;

/// The first and last years of the bit table: the known years and the years of every listed
/// date (a notice may move a day of the year before).
const SPAN_YEARS: (i32, i32) = {
    let (mut first, mut last) = (i32::MAX, i32::MIN);
    let mut i = 0;
    while i < YEARS.len() {
        let y = &YEARS[i];
        let lists = [y.days_off, y.makeup_workdays];
        let mut l = 0;
        while l < lists.len() {
            let mut j = 0;
            while j < lists[l].len() {
                let year = lists[l][j].year;
                first = if year < first { year } else { first };
                last = if year > last { year } else { last };
                j += 1;
            }
            l += 1;
        }
        first = if y.year < first { y.year } else { first };
        last = if y.year > last { y.year } else { last };
        i += 1;
    }
    (first, last)
};

/// Day number (days since 1970-01-01) of the table's first day, January 1 of its first year.
const TABLE_FIRST_DAY: i64 = jan_1(SPAN_YEARS.0);

/// Days the table covers, to December 31 of its last year.
const TABLE_DAYS: usize = if YEARS.is_empty() {
    0
} else {
    (jan_1(SPAN_YEARS.1 + 1) - TABLE_FIRST_DAY) as usize
};

/// One bit per day of the table, set on working days.
static WORKING: [u64; TABLE_DAYS.div_ceil(64)] = working_table();

const fn jan_1(year: i32) -> i64 {
    Date {
        year,
        month: 1,
        day: 1,
    }
    .days()
}

/// Saturday or Sunday, from a day number (1970-01-01 was a Thursday).
const fn is_weekend_day(day: i64) -> bool {
    (day + 3).rem_euclid(7) >= 5
}

/// The bit table: weekdays on, then the days off off, then the make-up working days on (a
/// make-up working day wins over a day off, as in the notices).
const fn working_table() -> [u64; TABLE_DAYS.div_ceil(64)] {
    let mut table = [0u64; TABLE_DAYS.div_ceil(64)];
    let mut i = 0;
    while i < TABLE_DAYS {
        if !is_weekend_day(TABLE_FIRST_DAY + i as i64) {
            table[i / 64] |= 1 << (i % 64);
        }
        i += 1;
    }
    let mut y = 0;
    while y < YEARS.len() {
        let mut j = 0;
        while j < YEARS[y].days_off.len() {
            let i = (YEARS[y].days_off[j].days() - TABLE_FIRST_DAY) as usize;
            table[i / 64] &= !(1 << (i % 64));
            j += 1;
        }
        y += 1;
    }
    let mut y = 0;
    while y < YEARS.len() {
        let mut j = 0;
        while j < YEARS[y].makeup_workdays.len() {
            let i = (YEARS[y].makeup_workdays[j].days() - TABLE_FIRST_DAY) as usize;
            table[i / 64] |= 1 << (i % 64);
            j += 1;
        }
        y += 1;
    }
    table
}

/// Whether the day with this number (days since 1970-01-01) is a working day.
fn is_working_day_number(day: i64) -> bool {
    match usize::try_from(day - TABLE_FIRST_DAY) {
        Ok(i) if i < TABLE_DAYS => WORKING[i / 64] >> (i % 64) & 1 == 1,
        _ => !is_weekend_day(day),
    }
}

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
    is_working_day_number(date.days())
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
    let mut day = start.days();
    if n == 0 {
        while !is_working_day_number(day) {
            day += 1;
        }
    } else {
        let mut left = n;
        while left > 0 {
            day += 1;
            if is_working_day_number(day) {
                left -= 1;
            }
        }
    }
    let date = Date::from_days(day);
    // The count visited every day from `start` to `date`, so every year in between.
    let beyond_calendar = (start.year..=date.year).any(|y| !knows_year(y));
    Counted {
        date,
        beyond_calendar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    /// The definition the bit table is built from: a linear search of the holiday lists.
    fn is_working_day_by_lists(date: Date) -> bool {
        if YEARS.iter().any(|y| y.makeup_workdays.contains(&date)) {
            return true;
        }
        if YEARS.iter().any(|y| y.days_off.contains(&date)) {
            return false;
        }
        !date.is_weekend()
    }

    #[test]
    fn bit_table_agrees_with_the_lists() {
        let from = d("2019-01-01").days();
        let to = d("2030-12-31").days();
        for day in from..=to {
            let date = Date::from_days(day);
            assert_eq!(
                is_working_day(date),
                is_working_day_by_lists(date),
                "{date}"
            );
        }
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
        assert!(add_working_days(d("2021-12-01"), 3).beyond_calendar);
        assert!(add_working_days(d("2021-12-28"), 30).beyond_calendar);
        // The 2023 notice moved Saturday 2022-12-31 off as well (it was off anyway).
        assert!(!is_working_day(d("2022-12-31")));
    }
}
