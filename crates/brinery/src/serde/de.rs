//! [`Value`] → Rust: a serde `Deserializer` over a borrowed value.
//!
//! Type hints are honoured (an int goes into any integer type that holds it,
//! bytes into `Vec<u8>` as well as `serde_bytes`, a tuple or a list into a
//! tuple), `deserialize_any` describes the value for self-describing targets
//! (untagged and internally tagged enums, `serde_json::Value`), and class
//! instances are seen through their data ([`object_view`](super::object_view)).
//! Text and bytes borrow from the input when the value does.

use super::de_access::{EnumAccess, MapAccess, SeqAccess};
use super::error::{decimal, describe, int_text, Error, Result};
use super::object_view::{view, View};
use super::passthrough;
use super::walk::Walk;
use crate::value::{Int, Value};
use ::serde::de::{self, Visitor};
use std::borrow::Cow;

/// Deserializes from one borrowed [`Value`]; `'de` is the lifetime of the
/// input the value borrows from.
pub(crate) struct ValueDeserializer<'v, 'de> {
    value: &'v Value<'de>,
    /// Where this value sits in the walk over the graph.
    at: Link<'v>,
    /// A dict key: `str` keys may stand for numbers and bools (JSON object keys).
    key: bool,
}

/// The walk's accounting, and whether the current value is reached again
/// through a shared object (see [`Walk`]).
#[derive(Clone, Copy)]
pub(crate) struct Link<'v> {
    walk: &'v Walk,
    repeat: bool,
    /// Nesting depth, for checking the stack every few levels.
    depth: usize,
}

impl<'v> Link<'v> {
    /// The deserializer for a value below this one.
    pub(crate) fn child<'de>(self, value: &'v Value<'de>) -> Result<ValueDeserializer<'v, 'de>> {
        let repeat = self.walk.enter(value, self.repeat)?;
        Ok(ValueDeserializer { value, at: Link { repeat, depth: self.depth + 1, ..self }, key: false })
    }

    /// The deserializer for a dict key below this one.
    pub(crate) fn key<'de>(self, value: &'v Value<'de>) -> Result<ValueDeserializer<'v, 'de>> {
        Ok(ValueDeserializer { key: true, ..self.child(value)? })
    }
}

/// What a value presents once class instances are seen through their data.
enum Shape<'v, 'de> {
    Plain(&'v Value<'de>),
    Map(Vec<(&'v Value<'de>, &'v Value<'de>)>),
    Seq(Vec<&'v Value<'de>>),
    Empty,
}

type Pairs<'v, 'de> = std::slice::Iter<'v, (Value<'de>, Value<'de>)>;

fn pair_refs<'v, 'de>(pairs: Pairs<'v, 'de>) -> impl Iterator<Item = (&'v Value<'de>, &'v Value<'de>)> {
    pairs.map(|(k, v)| (k, v))
}

impl<'v, 'de: 'v> ValueDeserializer<'v, 'de> {
    /// The deserializer for the top of a walk.
    pub(crate) fn root(value: &'v Value<'de>, walk: &'v Walk) -> Result<Self> {
        Link { walk, repeat: false, depth: 0 }.child(value)
    }

    fn mismatch(&self, expected: &str) -> Error {
        Error::mismatch(expected, self.value)
    }

    /// Sees through objects to the data they carry, accounting for the
    /// containers passed on the way.
    fn shape(&mut self) -> Result<Shape<'v, 'de>> {
        let mut v = self.value;
        loop {
            match v {
                Value::Object(o) => {
                    let (data, via) = view(o);
                    for holder in via {
                        self.at.repeat = self.at.walk.enter(holder, self.at.repeat)?;
                    }
                    match data {
                        View::One(inner) => {
                            self.at.repeat = self.at.walk.enter(inner, self.at.repeat)?;
                            v = inner;
                        }
                        View::Map(pairs) => return Ok(Shape::Map(pairs)),
                        View::Seq(items) => return Ok(Shape::Seq(items)),
                        View::Empty => return Ok(Shape::Empty),
                        View::Opaque => {
                            return Err(Error::message(format_args!(
                                "cannot deserialize {}: an object known only by its persistent id",
                                describe(self.value)
                            )))
                        }
                    }
                }
                Value::Cycle(c) => {
                    return Err(Error::message(format_args!(
                        "cannot deserialize a reference back to an enclosing {} (a cycle): serde types are trees",
                        c.type_name()
                    )))
                }
                plain => return Ok(Shape::Plain(plain)),
            }
        }
    }

    /// The int a hint asks for; in a key, a `str` of digits counts.
    fn int(&mut self, expected: &str) -> Result<Cow<'v, Int>> {
        match self.shape()? {
            Shape::Plain(Value::Int(i)) => Ok(Cow::Borrowed(i)),
            // Python's `int(str)` refuses more than 4300 digits, and parsing grows quadratically.
            Shape::Plain(Value::Str(s)) if self.key => {
                match s.as_str().filter(|t| t.len() <= 4301).and_then(|t| t.parse::<Int>().ok()) {
                    Some(i) => Ok(Cow::Owned(i)),
                    None => Err(self.mismatch(expected)),
                }
            }
            _ => Err(self.mismatch(expected)),
        }
    }

    fn float(&mut self) -> Result<f64> {
        match self.shape()? {
            Shape::Plain(Value::Float(f)) => Ok(*f),
            Shape::Plain(Value::Int(i)) => Ok(i.to_f64()),
            Shape::Plain(Value::Str(s)) if self.key => match s.as_str().and_then(parse_float_key) {
                Some(f) => Ok(f),
                None => Err(self.mismatch("a float")),
            },
            _ => Err(self.mismatch("a float")),
        }
    }

    fn visit_str<V: Visitor<'de>>(&self, v: &'v Value<'de>, visitor: V) -> Result<V::Value> {
        match v {
            Value::Str(s) => {
                if let Some(text) = s.borrowed_str() {
                    return visitor.visit_borrowed_str(text);
                }
                match s.as_str() {
                    Some(text) => visitor.visit_str(text),
                    None => Err(Error::message(format_args!(
                        "invalid value: {} holds a lone surrogate, which a Rust string cannot (use brinery::Value)",
                        describe(v)
                    ))),
                }
            }
            Value::Global(g) => visitor.visit_str(&g.to_string()),
            _ => Err(self.mismatch("a str")),
        }
    }

    fn visit_bytes<V: Visitor<'de>>(&self, v: &'v Value<'de>, visitor: V) -> Option<Result<V::Value>> {
        Some(match v {
            Value::Bytes(b) => match b.borrowed_slice() {
                Some(s) => visitor.visit_borrowed_bytes(s),
                None => visitor.visit_bytes(b.as_slice()),
            },
            Value::ByteArray(b) => match &**b {
                Cow::Borrowed(s) => visitor.visit_borrowed_bytes(s),
                Cow::Owned(s) => visitor.visit_bytes(s),
            },
            Value::Buffer(b) => match b.data() {
                Some(data) => visitor.visit_bytes(data),
                None => return None,
            },
            _ => return None,
        })
    }

    /// A map from dict entries, object items/attributes, or `(key, value)` pairs.
    fn visit_map<V: Visitor<'de>>(&self, shape: Shape<'v, 'de>, expected: &str, visitor: V) -> Result<V::Value> {
        crate::stack::guard_at(self.at.depth, || self.visit_map_here(shape, expected, visitor))
    }

    fn visit_map_here<V: Visitor<'de>>(&self, shape: Shape<'v, 'de>, expected: &str, visitor: V) -> Result<V::Value> {
        match shape {
            Shape::Plain(Value::Dict(d)) => MapAccess::visit(self.at, pair_refs(d.iter()), visitor),
            Shape::Map(pairs) => MapAccess::visit(self.at, pairs.into_iter(), visitor),
            Shape::Empty => MapAccess::visit(self.at, std::iter::empty(), visitor),
            Shape::Plain(Value::Tuple(s) | Value::List(s)) => {
                let pairs: Option<Vec<_>> = s
                    .iter()
                    .map(|p| match p.as_tuple() {
                        Some([k, v]) => Some((k, v)),
                        _ => None,
                    })
                    .collect();
                let Some(pairs) = pairs else { return Err(self.mismatch(expected)) };
                // The pair tuples are passed through: a shared one makes its entry a repeat.
                let mut at = self.at;
                for pair in s.iter() {
                    at.repeat |= at.walk.enter(pair, at.repeat)?;
                }
                MapAccess::visit(at, pairs.into_iter(), visitor)
            }
            _ => Err(self.mismatch(expected)),
        }
    }

    fn visit_seq<V: Visitor<'de>>(&self, shape: Shape<'v, 'de>, expected: &str, visitor: V) -> Result<V::Value> {
        crate::stack::guard_at(self.at.depth, || self.visit_seq_here(shape, expected, visitor))
    }

    fn visit_seq_here<V: Visitor<'de>>(&self, shape: Shape<'v, 'de>, expected: &str, visitor: V) -> Result<V::Value> {
        match shape {
            Shape::Plain(Value::List(s) | Value::Tuple(s) | Value::Set(s) | Value::FrozenSet(s)) => {
                SeqAccess::visit(self.at, s.iter(), visitor)
            }
            Shape::Plain(v @ (Value::Bytes(_) | Value::ByteArray(_) | Value::Buffer(_))) => match bytes_of(v) {
                Some(bytes) => visit_all(de::value::SeqDeserializer::new(bytes.iter().copied()), visitor),
                None => Err(self.mismatch(expected)),
            },
            Shape::Seq(items) => SeqAccess::visit(self.at, items.into_iter(), visitor),
            Shape::Empty => SeqAccess::visit(self.at, std::iter::empty(), visitor),
            _ => Err(self.mismatch(expected)),
        }
    }
}

/// Runs the visitor over plain items, then checks it took them all.
fn visit_all<'de, I, T, V>(mut items: de::value::SeqDeserializer<I, Error>, visitor: V) -> Result<V::Value>
where
    I: Iterator<Item = T>,
    T: de::IntoDeserializer<'de, Error>,
    V: Visitor<'de>,
{
    let out = visitor.visit_seq(&mut items)?;
    items.end()?;
    Ok(out)
}

/// The bytes of a `bytes`, `bytearray` or supplied `PickleBuffer`.
fn bytes_of<'v>(v: &'v Value<'_>) -> Option<&'v [u8]> {
    match v {
        Value::Buffer(b) => b.data(),
        other => other.as_bytes(),
    }
}

/// Python's spellings of a float dict key as JSON writes it (`repr`, plus
/// `NaN`/`Infinity`/`-Infinity`).
fn parse_float_key(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

/// `invalid value: int 300 does not fit in u8`.
fn out_of_range(i: &Int, target: &str) -> Error {
    Error::message(format_args!("invalid value: int {} does not fit in {target}", int_text(i)))
}

macro_rules! deserialize_int {
    ($($method:ident $visit:ident $t:ty;)*) => {$(
        fn $method<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
            let i = self.int(stringify!($t))?;
            let v = i.to_i128().and_then(|w| <$t>::try_from(w).ok()).ok_or_else(|| out_of_range(&i, stringify!($t)))?;
            visitor.$visit(v)
        }
    )*};
}

impl<'v, 'de: 'v> de::Deserializer<'de> for ValueDeserializer<'v, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        let v = match self.shape()? {
            Shape::Plain(v) => v,
            // An object without data reads like an instance without attributes.
            shape @ (Shape::Map(_) | Shape::Empty) => return self.visit_map(shape, "a dict", visitor),
            shape @ Shape::Seq(_) => return self.visit_seq(shape, "a sequence", visitor),
        };
        match v {
            Value::None => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => match i.as_i64() {
                Some(n) if n >= 0 => visitor.visit_u64(n as u64),
                Some(n) => visitor.visit_i64(n),
                // serde has nothing wider than 128 bits, and its buffering for
                // untagged enums nothing wider than 64: the exact digits.
                None => match i.to_u128().and_then(|u| u64::try_from(u).ok()) {
                    Some(u) => visitor.visit_u64(u),
                    None => match decimal(i) {
                        Some(digits) => visitor.visit_str(&digits),
                        None => Err(Error::message(format_args!(
                            "cannot describe an int of {} bits to a self-describing type (more than about \
                             4300 digits; read it into a brinery::Int or Value)",
                            i.bit_length()
                        ))),
                    },
                },
            },
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Complex { re, im } => visit_all(de::value::SeqDeserializer::new([*re, *im].into_iter()), visitor),
            Value::Str(_) | Value::Global(_) => self.visit_str(v, visitor),
            Value::Bytes(_) | Value::ByteArray(_) | Value::Buffer(_) => match self.visit_bytes(v, visitor) {
                Some(r) => r,
                None => {
                    Err(Error::message("cannot deserialize an out-of-band PickleBuffer whose bytes were not supplied"))
                }
            },
            Value::List(_) | Value::Tuple(_) | Value::Set(_) | Value::FrozenSet(_) => {
                self.visit_seq(Shape::Plain(v), "a sequence", visitor)
            }
            Value::Dict(_) => self.visit_map(Shape::Plain(v), "a dict", visitor),
            Value::Object(_) | Value::Cycle(_) => unreachable!("shape() sees through objects and rejects cycles"),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        match self.shape()? {
            Shape::Plain(Value::Bool(b)) => visitor.visit_bool(*b),
            Shape::Plain(Value::Str(s)) if self.key && (*s == "true" || *s == "false") => {
                visitor.visit_bool(*s == "true")
            }
            _ => Err(self.mismatch("a bool")),
        }
    }

    deserialize_int! {
        deserialize_i8 visit_i8 i8;
        deserialize_i16 visit_i16 i16;
        deserialize_i32 visit_i32 i32;
        deserialize_i64 visit_i64 i64;
        deserialize_u8 visit_u8 u8;
        deserialize_u16 visit_u16 u16;
        deserialize_u32 visit_u32 u32;
        deserialize_u64 visit_u64 u64;
    }

    fn deserialize_i128<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        let i = self.int("i128")?;
        visitor.visit_i128(i.to_i128().ok_or_else(|| out_of_range(&i, "i128"))?)
    }

    fn deserialize_u128<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        let i = self.int("u128")?;
        visitor.visit_u128(i.to_u128().ok_or_else(|| out_of_range(&i, "u128"))?)
    }

    fn deserialize_f32<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        visitor.visit_f32(self.float()? as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        visitor.visit_f64(self.float()?)
    }

    fn deserialize_char<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        if let Shape::Plain(Value::Str(s)) = self.shape()? {
            let mut chars = s.as_str().unwrap_or("").chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                return visitor.visit_char(c);
            }
        }
        Err(self.mismatch("a str of one character"))
    }

    fn deserialize_str<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        match self.shape()? {
            Shape::Plain(v) => self.visit_str(v, visitor),
            _ => Err(self.mismatch("a str")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        let shape = self.shape()?;
        match shape {
            Shape::Plain(v @ (Value::Bytes(_) | Value::ByteArray(_) | Value::Buffer(_))) => {
                match self.visit_bytes(v, visitor) {
                    Some(r) => r,
                    None => Err(self.mismatch("bytes (an out-of-band buffer needs its bytes supplied)")),
                }
            }
            Shape::Plain(Value::Str(_)) => Err(Error::message(format_args!(
                "invalid type: expected bytes, found {} (a Python 2 str? load with encoding=bytes)",
                describe(self.value)
            ))),
            shape @ (Shape::Plain(Value::List(_) | Value::Tuple(_)) | Shape::Seq(_) | Shape::Empty) => {
                self.visit_seq(shape, "bytes", visitor)
            }
            _ => Err(self.mismatch("bytes")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::None => visitor.visit_none(),
            _ => crate::stack::guard_at(self.at.depth, || visitor.visit_some(self)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        match self.shape()? {
            Shape::Plain(Value::None) => visitor.visit_unit(),
            _ => Err(self.mismatch("None")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(mut self, name: &'static str, visitor: V) -> Result<V::Value> {
        let exact = match name {
            passthrough::VALUE => Some(self.value.clone().into_owned()),
            passthrough::INT => Some(Value::Int(self.int("an int")?.into_owned())),
            _ => None,
        };
        match exact {
            Some(v) => {
                let _offer = passthrough::give(v);
                visitor.visit_newtype_struct(self)
            }
            None => crate::stack::guard_at(self.at.depth, || visitor.visit_newtype_struct(self)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        let shape = self.shape()?;
        self.visit_seq(shape, "a sequence", visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(mut self, _len: usize, visitor: V) -> Result<V::Value> {
        let shape = self.shape()?;
        self.visit_seq(shape, "a tuple", visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        let shape = self.shape()?;
        self.visit_map(shape, "a dict", visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        mut self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.shape()? {
            // Positional: a namedtuple's arguments, or a struct written as a dict key.
            shape @ (Shape::Seq(_) | Shape::Plain(Value::Tuple(_) | Value::List(_))) => {
                self.visit_seq(shape, "a dict or an object with attributes", visitor)
            }
            shape => self.visit_map(shape, "a dict or an object with attributes", visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        mut self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let access = match self.shape()? {
            Shape::Plain(s @ Value::Str(_)) => EnumAccess { at: self.at, variant: s, content: None },
            Shape::Plain(Value::Dict(d)) if d.len() == 1 => {
                EnumAccess { at: self.at, variant: &d[0].0, content: Some(&d[0].1) }
            }
            // `(variant, content)`: an enum inside a dict key, or serde-pickle's compat form.
            Shape::Plain(Value::Tuple(t)) if t.len() == 2 && matches!(t[0], Value::Str(_)) => {
                EnumAccess { at: self.at, variant: &t[0], content: Some(&t[1]) }
            }
            _ => return Err(self.mismatch("an enum variant (a str, or a dict with one entry)")),
        };
        crate::stack::guard_at(self.at.depth, || visitor.visit_enum(access))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::Str(_) => self.visit_str(self.value, visitor),
            Value::Int(i) => match i.as_i64().and_then(|n| u64::try_from(n).ok()) {
                Some(n) => visitor.visit_u64(n),
                None => Err(self.mismatch("a field or variant name")),
            },
            v @ Value::Bytes(_) => self.visit_bytes(v, visitor).unwrap_or_else(|| Err(self.mismatch("a name"))),
            _ => Err(self.mismatch("a field or variant name")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}
