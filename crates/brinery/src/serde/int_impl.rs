//! `Int: Serialize + Deserialize`, exact at any size through brinery's own
//! formats (see [`passthrough`](super::passthrough)).
//!
//! Other formats see an `i64` or `u64` when the value fits, and its decimal
//! digits as a string when it does not (up to about 4300 digits, Python's
//! limit for `str(int)`); reading accepts any serde integer and decimal strings.

use super::passthrough;
use crate::value::{Int, Value};
use ::serde::de::{self, Deserialize, Deserializer, Visitor};
use ::serde::ser::{self, Serialize, Serializer};
use std::fmt;

impl Serialize for Int {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(v) = self.as_i64() {
            return s.serialize_i64(v);
        }
        if let Some(v) = self.to_u128().and_then(|u| u64::try_from(u).ok()) {
            return s.serialize_u64(v);
        }
        s.serialize_newtype_struct(passthrough::VALUE, &Wide(self))
    }
}

/// An int beyond 64 bits: exact for brinery, decimal digits for other formats.
struct Wide<'i>(&'i Int);

impl Serialize for Wide<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if passthrough::answer(|| Value::Int(self.0.clone())) {
            return s.serialize_unit();
        }
        match super::error::decimal(self.0) {
            Some(digits) => s.serialize_str(&digits),
            None => Err(ser::Error::custom(format_args!(
                "cannot write an int of {} bits as a decimal string (more than about 4300 digits)",
                self.0.bit_length()
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Int, D::Error> {
        d.deserialize_newtype_struct(passthrough::INT, IntVisitor)
    }
}

struct IntVisitor;

impl<'de> Visitor<'de> for IntVisitor {
    type Value = Int;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string of decimal digits")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
        Ok(Int::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
        Ok(Int::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Int, E> {
        Ok(Int::from(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Int, E> {
        Ok(Int::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
        // Python's `int(str)` refuses more than 4300 digits, and parsing grows quadratically.
        if v.len() > 4301 {
            return Err(E::custom(format_args!("a decimal string of {} characters is too long for an int", v.len())));
        }
        v.parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Int, D::Error> {
        match passthrough::take() {
            Some(Value::Int(i)) => Ok(i),
            Some(other) => Err(de::Error::custom(format_args!("expected an int, found {}", other.type_name()))),
            None => d.deserialize_any(self),
        }
    }
}
