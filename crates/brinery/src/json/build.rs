//! The sink that builds [`Value`]s: strings without escapes borrow from the
//! input, equal object keys share one `Str` (CPython's key memo makes them
//! one object, which matters when the value is pickled), and repeated keys
//! keep their first position and last value, as a Python dict does.

use super::error::{Error, ErrorKind, Result};
use super::parse::position;
use super::sink::{Constant, Sink, StrText};
use crate::value::{Int, Str, Value};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// Builds [`Value`]s from what the parser finds in `text`.
pub(super) struct ValueSink<'a> {
    /// The parsed text (for error positions).
    text: &'a [u8],
    /// Most decimal digits in an int (0: no limit).
    max_int_digits: usize,
    /// Every distinct object key met so far (CPython's memo).
    keys: FxHashMap<Cow<'a, [u8]>, Str<'a>>,
}

impl<'a> ValueSink<'a> {
    /// A sink for a parse of `text`.
    pub(super) fn new(text: &'a [u8], max_int_digits: usize) -> Self {
        ValueSink { text, max_int_digits, keys: FxHashMap::default() }
    }

    fn make_str(content: Cow<'a, [u8]>, utf8: bool) -> Str<'a> {
        Str::from_validated(content, utf8)
    }

    /// An int beyond 18 digits, within `int_max_str_digits`. Out of line
    /// and cold: rare, and kept out of the inlined number path.
    #[cold]
    #[inline(never)]
    fn big_int(&self, text: &'a [u8], at: usize) -> Result<Value<'a>> {
        let digits = text.len() - usize::from(text[0] == b'-');
        let limit = self.max_int_digits;
        if limit != 0 && digits > limit {
            let kind = ErrorKind::IntTooLong { limit, digits: Some(digits) };
            return Err(Error::at(kind, position(self.text, at)));
        }
        let big = num_bigint::BigInt::parse_bytes(text, 10).expect("decimal digits");
        Ok(Value::Int(Int::from(big)))
    }
}

/// The text as a `Cow`: borrowed from the input when it can be.
fn content<'a>(text: StrText<'a, '_>) -> Cow<'a, [u8]> {
    match text {
        StrText::Input(slice) => Cow::Borrowed(slice),
        StrText::Scratch(scratch) => Cow::Owned(scratch.to_vec()),
    }
}

impl<'a> Sink<'a> for ValueSink<'a> {
    type Value = Value<'a>;
    type Key = Str<'a>;
    type Error = Error;

    #[inline]
    fn null(&mut self) -> Result<Value<'a>> {
        Ok(Value::None)
    }

    #[inline]
    fn bool(&mut self, value: bool) -> Result<Value<'a>> {
        Ok(Value::Bool(value))
    }

    #[inline]
    fn int(&mut self, text: &'a [u8], small: Option<i64>, at: usize) -> Result<Value<'a>> {
        match small {
            Some(v) => Ok(Value::Int(Int::from(v))),
            None => self.big_int(text, at),
        }
    }

    #[inline]
    fn float(&mut self, _text: &'a [u8], value: f64) -> Result<Value<'a>> {
        Ok(Value::Float(value))
    }

    #[inline]
    fn constant(&mut self, constant: Constant) -> Result<Value<'a>> {
        Ok(Value::Float(constant.value()))
    }

    #[inline]
    fn str(&mut self, text: StrText<'a, '_>, utf8: bool) -> Result<Value<'a>> {
        Ok(Value::Str(Self::make_str(content(text), utf8)))
    }

    fn key(&mut self, text: StrText<'a, '_>, utf8: bool) -> Result<Str<'a>> {
        if let Some(known) = self.keys.get(text.bytes()) {
            return Ok(known.clone());
        }
        let content = content(text);
        let key = Self::make_str(content.clone(), utf8);
        self.keys.insert(content, key.clone());
        Ok(key)
    }

    #[inline]
    fn array(&mut self, items: std::vec::Drain<'_, Value<'a>>) -> Result<Value<'a>> {
        // A drain knows its length, so this is one allocation.
        Ok(Value::List(items.collect()))
    }

    fn object(&mut self, entries: std::vec::Drain<'_, (Str<'a>, Value<'a>)>) -> Result<Value<'a>> {
        if !repeats_a_key(entries.as_slice()) {
            return Ok(Value::Dict(entries.map(|(k, v)| (Value::Str(k), v)).collect()));
        }
        Ok(Value::Dict(dedup_keys(entries).into()))
    }
}

/// Whether any key occurs twice. Equal keys share one `Str` (the key memo),
/// so identity finds repeats.
fn repeats_a_key(pairs: &[(Str<'_>, Value<'_>)]) -> bool {
    if pairs.len() <= 16 {
        return pairs
            .iter()
            .enumerate()
            .any(|(i, (k, _))| pairs[..i].iter().any(|(seen, _)| seen.identity() == k.identity()));
    }
    let mut seen = rustc_hash::FxHashSet::default();
    seen.reserve(pairs.len());
    !pairs.iter().all(|(k, _)| seen.insert(k.identity()))
}

/// Python's dict building: a repeated key keeps its first position and takes
/// the last value. Equal keys share one `Str` (the key memo), so identity
/// finds repeats.
fn dedup_keys<'a>(pairs: impl ExactSizeIterator<Item = (Str<'a>, Value<'a>)>) -> Vec<(Value<'a>, Value<'a>)> {
    let mut out: Vec<(Value<'a>, Value<'a>)> = Vec::with_capacity(pairs.len());
    let key_id = |v: &Value<'a>| match v {
        Value::Str(s) => s.identity(),
        _ => unreachable!("object keys are strings"),
    };
    if out.capacity() <= 16 {
        for (k, v) in pairs {
            match out.iter().position(|(seen, _)| key_id(seen) == k.identity()) {
                Some(at) => out[at].1 = v,
                None => out.push((Value::Str(k), v)),
            }
        }
        return out;
    }
    let mut index: FxHashMap<usize, usize> = FxHashMap::default();
    for (k, v) in pairs {
        match index.entry(k.identity()) {
            std::collections::hash_map::Entry::Occupied(e) => out[*e.get()].1 = v,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len());
                out.push((Value::Str(k), v));
            }
        }
    }
    out
}
