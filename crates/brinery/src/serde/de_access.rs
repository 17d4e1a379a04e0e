//! The serde access types the [`Deserializer`](super::de) hands to visitors:
//! sequences, maps and enum variants over borrowed [`Value`]s. Each adds its
//! step to the path of errors raised below it.

use super::de::{Link, ValueDeserializer};
use super::error::{Error, Result, Segment};
use crate::value::Value;
use ::serde::de::{self, DeserializeSeed, Visitor};

/// A sequence of values (list, tuple, set, an object's items or arguments).
pub(crate) struct SeqAccess<'v, I> {
    at: Link<'v>,
    iter: I,
    index: usize,
}

impl<'v, 'de: 'v, I: Iterator<Item = &'v Value<'de>>> SeqAccess<'v, I> {
    /// Runs the visitor over the items below `at`, then checks it took every item.
    pub(crate) fn visit<V: Visitor<'de>>(at: Link<'v>, iter: I, visitor: V) -> Result<V::Value> {
        let mut access = SeqAccess { at, iter, index: 0 };
        let out = visitor.visit_seq(&mut access)?;
        let rest = access.iter.count();
        if rest > 0 {
            return Err(de::Error::invalid_length(access.index + rest, &Taken(access.index)));
        }
        Ok(out)
    }
}

impl<'v, 'de: 'v, I: Iterator<Item = &'v Value<'de>>> de::SeqAccess<'de> for SeqAccess<'v, I> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let Some(item) = self.iter.next() else { return Ok(None) };
        let index = self.index;
        self.index += 1;
        let within = |e: Error| e.within(|| Segment::Item(index));
        seed.deserialize(self.at.child(item).map_err(within)?).map(Some).map_err(within)
    }

    fn size_hint(&self) -> Option<usize> {
        match self.iter.size_hint() {
            (lo, Some(hi)) if lo == hi => Some(lo),
            _ => None,
        }
    }
}

/// "`n` elements", for the error when a visitor stops early.
struct Taken(usize);

impl de::Expected for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} element(s)", self.0)
    }
}

/// The entries of a dict (or an object's items or attributes).
pub(crate) struct MapAccess<'v, 'de, I> {
    at: Link<'v>,
    iter: I,
    pending: Option<(&'v Value<'de>, &'v Value<'de>)>,
    taken: usize,
}

impl<'v, 'de: 'v, I: Iterator<Item = (&'v Value<'de>, &'v Value<'de>)>> MapAccess<'v, 'de, I> {
    /// Runs the visitor over the entries below `at`, then checks it took every entry.
    pub(crate) fn visit<V: Visitor<'de>>(at: Link<'v>, iter: I, visitor: V) -> Result<V::Value> {
        let mut access = MapAccess { at, iter, pending: None, taken: 0 };
        let out = visitor.visit_map(&mut access)?;
        let rest = access.iter.count();
        if rest > 0 {
            return Err(de::Error::invalid_length(access.taken + rest, &Taken(access.taken)));
        }
        Ok(out)
    }
}

/// The path step for a dict key.
pub(crate) fn key_segment(key: &Value<'_>) -> Segment {
    match key {
        Value::Str(s) => Segment::Field(s.to_string_lossy().into_owned()),
        other => Segment::Key(super::error::describe(other)),
    }
}

impl<'v, 'de: 'v, I: Iterator<Item = (&'v Value<'de>, &'v Value<'de>)>> de::MapAccess<'de> for MapAccess<'v, 'de, I> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some((k, v)) = self.iter.next() else { return Ok(None) };
        self.pending = Some((k, v));
        self.taken += 1;
        let within = |e: Error| e.within(|| key_segment(k));
        seed.deserialize(self.at.key(k).map_err(within)?).map(Some).map_err(within)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value> {
        let (k, v) = self.pending.take().ok_or_else(|| Error::message("next_value called before next_key"))?;
        let within = |e: Error| e.within(|| key_segment(k));
        seed.deserialize(self.at.child(v).map_err(within)?).map_err(within)
    }

    fn size_hint(&self) -> Option<usize> {
        match self.iter.size_hint() {
            (lo, Some(hi)) if lo == hi => Some(lo),
            _ => None,
        }
    }
}

/// An externally tagged enum: the variant (a str) and its content, if any.
pub(crate) struct EnumAccess<'v, 'de> {
    pub(crate) at: Link<'v>,
    pub(crate) variant: &'v Value<'de>,
    pub(crate) content: Option<&'v Value<'de>>,
}

impl<'v, 'de: 'v> de::EnumAccess<'de> for EnumAccess<'v, 'de> {
    type Error = Error;
    type Variant = VariantAccess<'v, 'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, VariantAccess<'v, 'de>)> {
        let tag = seed.deserialize(self.at.child(self.variant)?)?;
        Ok((tag, VariantAccess { at: self.at, variant: self.variant, content: self.content }))
    }
}

/// The content of one enum variant.
pub(crate) struct VariantAccess<'v, 'de> {
    at: Link<'v>,
    variant: &'v Value<'de>,
    content: Option<&'v Value<'de>>,
}

impl<'v, 'de: 'v> VariantAccess<'v, 'de> {
    fn segment(&self) -> Segment {
        Segment::Variant(self.variant.as_py_str().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default())
    }

    fn content(&self, expected: &str) -> Result<ValueDeserializer<'v, 'de>> {
        match self.content {
            Some(c) => self.at.child(c).map_err(|e| e.within(|| self.segment())),
            None => Err(Error::message(format_args!(
                "invalid type: expected {expected} for variant {}, found a unit variant (a bare str)",
                super::error::describe(self.variant)
            ))),
        }
    }
}

impl<'v, 'de: 'v> de::VariantAccess<'de> for VariantAccess<'v, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        match self.content {
            None | Some(Value::None) => Ok(()),
            Some(other) => Err(Error::mismatch("None (a unit variant)", other).within(|| self.segment())),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        let de = self.content("a value")?;
        seed.deserialize(de).map_err(|e| e.within(|| self.segment()))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        let de = self.content("a tuple")?;
        de::Deserializer::deserialize_tuple(de, len, visitor).map_err(|e| e.within(|| self.segment()))
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        let de = self.content("a dict")?;
        de::Deserializer::deserialize_struct(de, "", fields, visitor).map_err(|e| e.within(|| self.segment()))
    }
}
