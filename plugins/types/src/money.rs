//! Money in integer fen (1/100 yuan); percentages in basis points (1/100 %).
//!
//! The one rounding rule of the scheme lives here: a percentage of an amount rounds half up to
//! the fen. All amounts are non-negative, so "half up" and "half away from zero" agree.

use core::fmt;

/// Basis points in 100 %.
pub const BP_PER_WHOLE: u64 = 10_000;

/// `amount_fen × bp / 10 000`, rounded half up to the fen. Saturates instead of overflowing.
pub fn percent_of(amount_fen: u64, bp: u64) -> u64 {
    let exact = u128::from(amount_fen) * u128::from(bp);
    let rounded = (exact + u128::from(BP_PER_WHOLE / 2)) / u128::from(BP_PER_WHOLE);
    u64::try_from(rounded).unwrap_or(u64::MAX)
}

/// `amount_fen × n`, saturating.
pub fn times(amount_fen: u64, n: u64) -> u64 {
    amount_fen.saturating_mul(n)
}

/// An amount in fen shown in yuan with thousands separators and two decimals, e.g. `68,814.00`.
/// Formats straight into the output, without an intermediate `String`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Yuan(pub u64);

impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written right to left into one buffer: two decimals, the point, then the whole yuan
        // in groups of three. u64::MAX fen is 18 digits of yuan, 5 separators, 3 more.
        let mut buf = [0u8; 26];
        let mut at = buf.len();
        let mut put = |b: u8| {
            at -= 1;
            buf[at] = b;
        };
        put(b'0' + (self.0 % 10) as u8);
        put(b'0' + (self.0 / 10 % 10) as u8);
        put(b'.');
        let mut whole = self.0 / 100;
        let mut digits = 0;
        loop {
            if digits > 0 && digits % 3 == 0 {
                put(b',');
            }
            put(b'0' + (whole % 10) as u8);
            whole /= 10;
            digits += 1;
            if whole == 0 {
                break;
            }
        }
        // Only ASCII digits, separators and the point were written, so this never fails.
        f.write_str(core::str::from_utf8(&buf[at..]).map_err(|_| fmt::Error)?)
    }
}

/// A percentage in basis points shown as text, e.g. `7500` → `75%`, `3333` → `33.33%`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Percent(pub u64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bp = self.0;
        if bp.is_multiple_of(100) {
            write!(f, "{}%", bp / 100)
        } else {
            write!(f, "{}.{:02}%", bp / 100, bp % 100)
        }
    }
}

/// Yuan with thousands separators and two decimals, e.g. `68,814.00` (see [`Yuan`]).
pub fn yuan(fen: u64) -> String {
    Yuan(fen).to_string()
}

/// A percentage in basis points as text, e.g. `7500` → `75%`, `3333` → `33.33%` (see
/// [`Percent`]).
pub fn percent_text(bp: u64) -> String {
    Percent(bp).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_up_to_the_fen() {
        assert_eq!(percent_of(764_600, 7_500), 573_450);
        assert_eq!(percent_of(1, 5_000), 1); // 0.5 fen rounds up
        assert_eq!(percent_of(1, 4_999), 0);
        assert_eq!(percent_of(3, 5_000), 2); // 1.5 → 2
        assert_eq!(percent_of(u64::MAX, 10_000), u64::MAX);
    }

    #[test]
    fn formats_yuan() {
        assert_eq!(yuan(6_881_400), "68,814.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(108_376_000), "1,083,760.00");
        assert_eq!(yuan(100_000), "1,000.00");
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(99_999), "999.99");
        assert_eq!(yuan(u64::MAX), "184,467,440,737,095,516.15");
        assert_eq!(percent_text(7_500), "75%");
        assert_eq!(percent_text(3_333), "33.33%");
        assert_eq!(percent_text(5), "0.05%");
    }
}
