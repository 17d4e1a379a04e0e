//! `Value: Serialize + Deserialize`.
//!
//! Through brinery's own serializer and deserializer a value crosses whole
//! (sets, bytearrays, complex numbers, globals, objects, lone surrogates, big
//! ints and shared sub-objects included; see [`passthrough`](super::passthrough)). Other formats
//! see the closest serde shape: tuples and lists as sequences, dicts as maps,
//! sets as sequences, `bytearray` as bytes, `complex` as `(re, im)`, a global
//! as the string `"module.qualname"`, an object as the data it carries (its
//! attributes, items or constructor arguments: what [`from_value`](super::from_value)
//! shows a Rust type) and a string with lone surrogates with U+FFFD in their
//! place. A reference back to an enclosing container (a cycle) is an error:
//! serde formats hold trees; for the same reason shared sub-objects are
//! written once per reference, within the bound [`walk`](super::walk) sets.
//!
//! Reading builds a value from any self-describing format: sequences become
//! lists, maps dicts, enums `{variant: content}`.

use super::object_view::{view, View};
use super::passthrough;
use super::walk;
use crate::value::{Int, Shared, Value};
use ::serde::de::{self, Deserialize, Deserializer, Visitor};
use ::serde::ser::{Error as _, Serialize, SerializeMap, SerializeTuple, Serializer};
use std::fmt;

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // Atoms: the same for every format, and nothing to share.
            Value::None => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => i.serialize(s),
            Value::Float(f) => s.serialize_f64(*f),
            _ => s.serialize_newtype_struct(passthrough::VALUE, &Exact(self)),
        }
    }
}

/// A value with parts: brinery's serializer takes it whole (sharing kept);
/// other formats walk it as a tree, within [`walk::visit`]'s bound.
struct Exact<'r, 'a>(&'r Value<'a>);

impl Serialize for Exact<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if passthrough::answer(|| self.0.clone().into_owned()) {
            return s.serialize_unit();
        }
        let visit = walk::visit(self.0).map_err(S::Error::custom)?;
        crate::stack::guard(|| plain(self.0, &visit, s))
    }
}

/// The closest serde shape of a value, for other formats.
fn plain<S: Serializer>(v: &Value<'_>, visit: &walk::Visit, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Value::Str(text) => match text.as_str() {
            Some(t) => s.serialize_str(t),
            None => s.serialize_str(&text.to_string_lossy()),
        },
        Value::Bytes(b) => s.serialize_bytes(b.as_slice()),
        Value::ByteArray(b) => s.serialize_bytes(b),
        Value::List(items) | Value::Set(items) | Value::FrozenSet(items) => s.collect_seq(items.iter()),
        Value::Tuple(items) => {
            let mut t = s.serialize_tuple(items.len())?;
            for item in items.iter() {
                t.serialize_element(item)?;
            }
            t.end()
        }
        Value::Dict(pairs) => s.collect_map(pairs.iter().map(|(k, v)| (k, v))),
        Value::Complex { re, im } => (re, im).serialize(s),
        Value::Global(g) => s.collect_str(g),
        Value::Buffer(b) => match b.data() {
            Some(data) => s.serialize_bytes(data),
            None => Err(S::Error::custom("cannot serialize an out-of-band PickleBuffer whose bytes were not supplied")),
        },
        Value::Object(o) => {
            let (data, via) = view(o);
            for holder in via {
                visit.also(holder).map_err(S::Error::custom)?;
            }
            match data {
                View::Map(pairs) => s.collect_map(pairs),
                View::Seq(items) => s.collect_seq(items),
                View::One(v) => v.serialize(s),
                View::Empty => s.serialize_map(Some(0))?.end(),
                View::Opaque => Err(S::Error::custom("cannot serialize an object known only by its persistent id")),
            }
        }
        Value::Cycle(c) => Err(S::Error::custom(format_args!(
            "cannot serialize a reference back to an enclosing {} (a cycle): serde formats hold trees",
            c.type_name()
        ))),
        Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) => v.serialize(s),
    }
}

impl<'de, 'a> Deserialize<'de> for Value<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value<'a>, D::Error> {
        d.deserialize_newtype_struct(passthrough::VALUE, ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'static>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value<'static>, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value<'static>, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value<'static>, E> {
        Ok(Value::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value<'static>, E> {
        Ok(Value::Int(Int::from(v)))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value<'static>, E> {
        Ok(Value::Int(Int::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value<'static>, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value<'static>, E> {
        Ok(Value::from(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value<'static>, E> {
        Ok(Value::from(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value<'static>, E> {
        Ok(Value::bytes(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Value<'static>, E> {
        Ok(Value::bytes(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value<'static>, E> {
        Ok(Value::None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value<'static>, E> {
        Ok(Value::None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value<'static>, D::Error> {
        Value::deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value<'static>, D::Error> {
        match passthrough::take() {
            Some(exact) => Ok(exact),
            None => d.deserialize_any(self),
        }
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'static>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element::<Value<'static>>()? {
            items.push(item);
        }
        Ok(Value::List(Shared::from(items)))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value<'static>, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(pair) = map.next_entry::<Value<'static>, Value<'static>>()? {
            pairs.push(pair);
        }
        Ok(Value::Dict(crate::value::dedup_pairs(pairs.into_iter())))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value<'static>, A::Error> {
        use de::VariantAccess;
        let (tag, content) = data.variant::<Value<'static>>()?;
        let content = content.newtype_variant::<Value<'static>>()?;
        Ok(Value::Dict(Shared::from(vec![(tag, content)])))
    }
}
