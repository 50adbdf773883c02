//! Limits on money: every amount is integer fen, every sum is checked.

/// The largest amount one benefit line may carry: 10,000,000 yuan. Far above any benefit the
/// scheme pays at once (a one-off death subsidy is about 1 million yuan); an amount above it is
/// a typing error or an attack, refused with its field.
pub const MAX_LINE_FEN: u64 = 1_000_000_000;

/// The most benefit lines a review may send (there are eight benefit items).
pub const MAX_LINES: usize = 32;

/// A sum of amounts that does not fit in `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

/// The checked sum of amounts in fen.
pub fn checked_sum(amounts: impl IntoIterator<Item = u64>) -> Result<u64, Overflow> {
    amounts
        .into_iter()
        .try_fold(0u64, |acc, a| acc.checked_add(a).ok_or(Overflow))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_never_wrap() {
        assert_eq!(checked_sum([1, 2, 3]), Ok(6));
        assert_eq!(checked_sum([u64::MAX, 1]), Err(Overflow));
        assert_eq!(checked_sum([]), Ok(0));
    }
}
