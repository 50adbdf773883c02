//! Whole numbers as JSON Schema reads them: `integer` is any number with no fractional part,
//! so `141.0` is the integer 141. Counts and amounts of fen read with [`whole`] accept it;
//! `141.5`, negatives and out-of-range values are refused.

use core::fmt;
use core::marker::PhantomData;
use serde::Deserialize;
use serde::de::{Deserializer, Error, Unexpected, Visitor};

/// The largest float that is exactly a whole number and an integer (2^53).
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

struct WholeVisitor<T>(PhantomData<T>);

impl<T: TryFrom<u64>> Visitor<'_> for WholeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole non-negative number in range")
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<T, E> {
        match u64::try_from(v) {
            Ok(u) => self.visit_u64(u),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<T, E> {
        if v.fract() == 0.0 && (0.0..=MAX_EXACT).contains(&v) {
            self.visit_u64(v as u64)
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }
}

/// Reads a whole number (see the module docs).
pub fn whole<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(WholeVisitor(PhantomData))
}

/// A whole number read by [`whole`].
struct Whole<T>(T);

impl<'de, T: TryFrom<u64>> Deserialize<'de> for Whole<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        whole(d).map(Whole)
    }
}

/// Reads an optional whole number (`null` is none).
pub fn whole_opt<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<Whole<T>>::deserialize(d).map(|o| o.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct S {
        #[serde(deserialize_with = "whole")]
        n: u32,
        #[serde(default, deserialize_with = "whole_opt")]
        g: Option<u8>,
    }

    #[test]
    fn whole_floats_are_integers_and_fractions_are_not() {
        let s: S = serde_json::from_str(r#"{"n": 141.0, "g": 9}"#).unwrap();
        assert_eq!(s, S { n: 141, g: Some(9) });
        let s: S = serde_json::from_str(r#"{"n": 3}"#).unwrap();
        assert_eq!(s.g, None);
        for bad in [
            r#"{"n": 1.5}"#,
            r#"{"n": -1}"#,
            r#"{"n": 1e20}"#,
            r#"{"n": 1, "g": 300}"#,
            r#"{"n": "1"}"#,
        ] {
            assert!(serde_json::from_str::<S>(bad).is_err(), "{bad}");
        }
    }
}
