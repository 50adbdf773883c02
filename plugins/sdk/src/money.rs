//! Money in integer fen (1/100 yuan); percentages in basis points (1/100 %).
//!
//! The one rounding rule of the scheme lives here: a percentage of an amount rounds half up to
//! the fen. All amounts are non-negative, so "half up" and "half away from zero" agree.

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

/// Yuan with thousands separators and two decimals, e.g. `68,814.00`.
pub fn yuan(fen: u64) -> String {
    let whole = (fen / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 + 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", fen % 100)
}

/// A percentage in basis points as text, e.g. `7500` → `75%`, `3333` → `33.33%`.
pub fn percent_text(bp: u64) -> String {
    if bp % 100 == 0 {
        format!("{}%", bp / 100)
    } else {
        format!("{}.{:02}%", bp / 100, bp % 100)
    }
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
        assert_eq!(percent_text(7_500), "75%");
    }
}
