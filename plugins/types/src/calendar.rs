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
    count(start, n, is_working_day_number, knows_year)
}

fn count(
    start: Date,
    n: u32,
    working: impl Fn(i64) -> bool,
    knows: impl Fn(i32) -> bool,
) -> Counted {
    let mut day = start.days();
    if n == 0 {
        while !working(day) {
            day += 1;
        }
    } else {
        let mut left = n;
        while left > 0 {
            day += 1;
            if working(day) {
                left -= 1;
            }
        }
    }
    let date = Date::from_days(day);
    // The count visited every day from `start` to `date`, so every year in between.
    let beyond_calendar = (start.year..=date.year).any(|y| !knows(y));
    Counted {
        date,
        beyond_calendar,
    }
}

/// A calendar the host passes in (a dataset loaded at run time): its years replace the
/// compiled-in ones; a year it does not give is counted on the compiled-in table.
impl crate::Calendar {
    /// Whether the dataset decides `date`: it arranges the date's year, or one of its notices
    /// lists the date (a notice may move a day of the year before).
    fn decides(&self, date: Date) -> Option<bool> {
        let listed = |f: fn(&crate::CalendarYear) -> &Vec<Date>| {
            self.years.iter().any(|y| f(y).contains(&date))
        };
        if listed(|y| &y.makeup_workdays) {
            return Some(true);
        }
        if listed(|y| &y.days_off) {
            return Some(false);
        }
        self.years
            .iter()
            .any(|y| y.year == date.year)
            .then(|| !date.is_weekend())
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: Date) -> bool {
        self.decides(date).unwrap_or_else(|| is_working_day(date))
    }

    /// Whether the dataset or the compiled-in table arranges the year.
    pub fn knows_year(&self, year: i32) -> bool {
        self.years.iter().any(|y| y.year == year) || knows_year(year)
    }

    /// As [`add_working_days`], on this calendar.
    pub fn add_working_days(&self, start: Date, n: u32) -> Counted {
        count(
            start,
            n,
            |day| self.is_working_day(Date::from_days(day)),
            |y| self.knows_year(y),
        )
    }
}

/// As [`add_working_days`], on the host's calendar when one is given.
pub fn add_working_days_on(calendar: Option<&crate::Calendar>, start: Date, n: u32) -> Counted {
    match calendar {
        Some(c) => c.add_working_days(start, n),
        None => add_working_days(start, n),
    }
}

/// The compiled-in arrangement as a dataset (what a server holds before any is loaded).
pub fn builtin() -> crate::Calendar {
    crate::Calendar {
        version: format!("builtin-{}-{}", known_years().0, known_years().1),
        years: YEARS
            .iter()
            .map(|y| crate::CalendarYear {
                year: y.year,
                days_off: y.days_off.to_vec(),
                makeup_workdays: y.makeup_workdays.to_vec(),
                source: y.source.into(),
            })
            .collect(),
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

    /// Issue 17, item 6: a year's arrangement passed in as data (here a made-up 2027 with a
    /// day off on Monday 2027-01-04 and a make-up Saturday 2027-01-09, test data only) is
    /// counted without any rebuild, the compiled-in years still count where it says nothing,
    /// and a year neither knows is still flagged.
    #[test]
    fn a_calendar_given_as_data_replaces_its_years_and_keeps_the_rest() {
        let c = crate::Calendar {
            version: "test-2027".into(),
            years: vec![crate::CalendarYear {
                year: 2027,
                days_off: vec![d("2027-01-01"), d("2027-01-04")],
                makeup_workdays: vec![d("2027-01-09")],
                source: "test data".into(),
            }],
        };
        assert!(!c.is_working_day(d("2027-01-04")));
        assert!(c.is_working_day(d("2027-01-09")));
        assert!(c.is_working_day(d("2027-01-05")));
        assert!(!c.is_working_day(d("2027-01-10")), "a Sunday");
        // Thu 2026-12-31 + 2: Fri 1 Jan off, Mon 4 off, Tue 5 and Wed 6.
        let counted = c.add_working_days(d("2026-12-31"), 2);
        assert_eq!(counted.date, d("2027-01-06"));
        assert!(!counted.beyond_calendar);
        let weekends_only = add_working_days(d("2026-12-31"), 2);
        assert_eq!(weekends_only.date, d("2027-01-04"));
        assert!(weekends_only.beyond_calendar);
        // The compiled-in 2026 still counts: Spring Festival 2026.
        assert_eq!(c.add_working_days(d("2026-02-16"), 0).date, d("2026-02-24"));
        assert!(
            c.add_working_days(d("2027-12-20"), 30).beyond_calendar,
            "2028"
        );
        // The compiled-in table as a dataset counts as the table does.
        let b = builtin();
        for day in d("2022-01-01").days()..=d("2026-12-31").days() {
            let date = Date::from_days(day);
            assert_eq!(b.is_working_day(date), is_working_day(date), "{date}");
        }
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
