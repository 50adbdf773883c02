//! A deserializer that reads a struct only from a JSON object. serde reads a struct from an
//! array too (its fields in order), which the API's schema does not allow; wrapping the JSON
//! deserializer in [`Strict`] makes every struct, at every depth, ask for a map.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use std::fmt;

/// A deserializer whose structs are maps only.
pub(crate) struct Strict<D>(pub(crate) D);

struct V<T>(T);
struct Seed<S>(S);
struct Map<M>(M);
struct Seq<S>(S);
struct Enum<E>(E);
struct Variant<A>(A);

macro_rules! forward {
    ($($method:ident),*) => {
        $(fn $method<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, Self::Error> {
            self.0.$method(V(visitor))
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_unit_struct<W: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: W,
    ) -> Result<W::Value, D::Error> {
        self.0.deserialize_unit_struct(name, V(visitor))
    }

    fn deserialize_newtype_struct<W: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: W,
    ) -> Result<W::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, V(visitor))
    }

    fn deserialize_tuple<W: Visitor<'de>>(
        self,
        len: usize,
        visitor: W,
    ) -> Result<W::Value, D::Error> {
        self.0.deserialize_tuple(len, V(visitor))
    }

    fn deserialize_tuple_struct<W: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: W,
    ) -> Result<W::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, V(visitor))
    }

    /// The point of it all: a struct is read as a map.
    fn deserialize_struct<W: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: W,
    ) -> Result<W::Value, D::Error> {
        self.0.deserialize_map(V(visitor))
    }

    fn deserialize_enum<W: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: W,
    ) -> Result<W::Value, D::Error> {
        self.0.deserialize_enum(name, variants, V(visitor))
    }
}

macro_rules! visit {
    ($($method:ident: $t:ty),*) => {
        $(fn $method<E: de::Error>(self, v: $t) -> Result<Self::Value, E> {
            self.0.$method(v)
        })*
    };
}

impl<'de, T: Visitor<'de>> Visitor<'de> for V<T> {
    type Value = T::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    visit!(
        visit_bool: bool, visit_i8: i8, visit_i16: i16, visit_i32: i32, visit_i64: i64,
        visit_i128: i128, visit_u8: u8, visit_u16: u16, visit_u32: u32, visit_u64: u64,
        visit_u128: u128, visit_f32: f32, visit_f64: f64, visit_char: char, visit_str: &str,
        visit_borrowed_str: &'de str, visit_string: String, visit_bytes: &[u8],
        visit_borrowed_bytes: &'de [u8], visit_byte_buf: Vec<u8>
    );

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(Strict(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(Strict(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.visit_seq(Seq(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(Map(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(Enum(data))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

impl<'de, M: MapAccess<'de>> MapAccess<'de> for Map<M> {
    type Error = M::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, M::Error> {
        self.0.next_key_seed(Seed(seed))
    }

    fn next_value_seed<X: DeserializeSeed<'de>>(&mut self, seed: X) -> Result<X::Value, M::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, S: SeqAccess<'de>> SeqAccess<'de> for Seq<S> {
    type Error = S::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, S::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, E: EnumAccess<'de>> EnumAccess<'de> for Enum<E> {
    type Error = E::Error;
    type Variant = Variant<E::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), E::Error> {
        self.0
            .variant_seed(Seed(seed))
            .map(|(v, a)| (v, Variant(a)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<W: Visitor<'de>>(self, len: usize, visitor: W) -> Result<W::Value, A::Error> {
        self.0.tuple_variant(len, V(visitor))
    }

    fn struct_variant<W: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: W,
    ) -> Result<W::Value, A::Error> {
        self.0.struct_variant(fields, V(visitor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Inner {
        #[serde(default)]
        a: Option<u8>,
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Outer {
        inner: Option<Inner>,
        list: Vec<Inner>,
    }

    fn read(s: &str) -> Result<Outer, serde_json::Error> {
        serde::Deserialize::deserialize(Strict(&mut serde_json::Deserializer::from_str(s)))
    }

    #[test]
    fn structs_are_read_from_objects_only() {
        assert_eq!(
            read(r#"{"inner": {"a": 1}, "list": [{}]}"#).ok(),
            Some(Outer {
                inner: Some(Inner { a: Some(1) }),
                list: vec![Inner { a: None }]
            })
        );
        assert!(read(r#"{"inner": [1], "list": []}"#).is_err());
        assert!(read(r#"{"inner": null, "list": [[1]]}"#).is_err());
        assert!(read(r#"[null, []]"#).is_err());
        // Plain serde reads all of these.
        assert!(serde_json::from_str::<Outer>(r#"{"inner": [1], "list": []}"#).is_ok());
    }
}
