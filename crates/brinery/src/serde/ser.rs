//! Rust → [`Value`]: a serde `Serializer` whose output is a Python value.
//!
//! The mapping is documented in `docs/serde.md` and on the [module](super).
//! Dict keys are made hashable the way Python needs them: inside a key,
//! sequences become tuples, structs become tuples of their field values, maps
//! become tuples of `(key, value)` pairs and enum variants with data become
//! `(variant, data)` tuples.

use super::classes::{self, Classes};
use super::error::{Error, Result};
use super::passthrough;
use crate::value::{Int, Shared, Str, Value};
use ::serde::ser::{self, Serialize};
use rustc_hash::FxHashMap;
use std::cell::RefCell;

/// What the serializer needs besides the data.
pub(crate) struct Ctx<'c> {
    /// Structs written as class instances.
    classes: Option<&'c Classes>,
    /// The pickle protocol instances are shaped for.
    protocol: u8,
    /// Write serde bytes as a list of ints (JSON has no bytes; serde_json does the same).
    bytes_as_list: bool,
    /// One `str` object per field or variant name, shared by every use, as
    /// Python shares the interned attribute names of instances and the
    /// constant keys of dict literals (so the pickle memoizes them as CPython's does).
    names: RefCell<FxHashMap<&'static str, Str<'static>>>,
}

impl<'c> Ctx<'c> {
    pub(crate) fn new(classes: Option<&'c Classes>, protocol: u8, bytes_as_list: bool) -> Self {
        Ctx { classes, protocol, bytes_as_list, names: RefCell::default() }
    }

    fn name(&self, name: &'static str) -> Value<'static> {
        let mut names = self.names.borrow_mut();
        Value::Str(names.entry(name).or_insert_with(|| Str::new(name)).clone())
    }
}

/// Builds a [`Value`] from a `Serialize` type.
#[derive(Clone, Copy)]
pub(crate) struct ValueSerializer<'c> {
    ctx: &'c Ctx<'c>,
    /// Inside a dict key: containers must come out hashable.
    key: bool,
    /// Nesting depth, for checking the stack every few levels.
    depth: usize,
}

impl<'c> ValueSerializer<'c> {
    pub(crate) fn new(ctx: &'c Ctx<'c>) -> Self {
        ValueSerializer { ctx, key: false, depth: 0 }
    }

    fn as_key(self) -> Self {
        ValueSerializer { key: true, ..self }
    }

    /// The serializer one level down; every few levels it makes sure there is
    /// stack to go deeper (nesting is as deep as the data).
    fn descend<R>(self, f: impl FnOnce(Self) -> R) -> R {
        let below = ValueSerializer { depth: self.depth + 1, ..self };
        crate::stack::guard_at(below.depth, || f(below))
    }

    /// Externally tagged enum content: `{variant: content}`, or `(variant, content)` inside a key.
    fn tagged(self, variant: &'static str, content: Value<'static>) -> Value<'static> {
        let tag = self.ctx.name(variant);
        if self.key {
            Value::Tuple(Shared::from(vec![tag, content]))
        } else {
            Value::Dict(Shared::from(vec![(tag, content)]))
        }
    }
}

fn int(v: impl Into<Int>) -> Result<Value<'static>> {
    Ok(Value::Int(v.into()))
}

/// Every integer type serializes the same way: an exact `int`.
macro_rules! int_methods {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<Value<'static>> {
            int(v)
        }
    )*};
}

impl<'c> ser::Serializer for ValueSerializer<'c> {
    type Ok = Value<'static>;
    type Error = Error;
    type SerializeSeq = SeqBuilder<'c>;
    type SerializeTuple = SeqBuilder<'c>;
    type SerializeTupleStruct = SeqBuilder<'c>;
    type SerializeTupleVariant = SeqBuilder<'c>;
    type SerializeMap = MapBuilder<'c>;
    type SerializeStruct = StructBuilder<'c>;
    type SerializeStructVariant = StructBuilder<'c>;

    fn serialize_bool(self, v: bool) -> Result<Value<'static>> {
        Ok(Value::Bool(v))
    }
    int_methods!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128
    );
    fn serialize_f32(self, v: f32) -> Result<Value<'static>> {
        Ok(Value::Float(v as f64))
    }
    fn serialize_f64(self, v: f64) -> Result<Value<'static>> {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value<'static>> {
        Ok(Value::from(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value<'static>> {
        Ok(Value::from(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value<'static>> {
        if self.ctx.bytes_as_list {
            Ok(Value::list(v.iter().copied()))
        } else {
            Ok(Value::bytes(v.to_vec()))
        }
    }
    fn serialize_none(self) -> Result<Value<'static>> {
        Ok(Value::None)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value<'static>> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value<'static>> {
        Ok(Value::None)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value<'static>> {
        Ok(Value::None)
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<Value<'static>> {
        Ok(self.ctx.name(variant))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Result<Value<'static>> {
        if name == passthrough::VALUE {
            let _asking = passthrough::ask();
            let plain = value.serialize(self);
            return match passthrough::take() {
                Some(exact) => Ok(exact),
                None => plain,
            };
        }
        self.descend(|s| value.serialize(s))
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value<'static>> {
        let content = self.descend(|s| value.serialize(s))?;
        Ok(self.tagged(variant, content))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder<'c>> {
        Ok(SeqBuilder::new(self, len.unwrap_or(0), self.key, None))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder<'c>> {
        Ok(SeqBuilder::new(self, len, true, None))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder<'c>> {
        Ok(SeqBuilder::new(self, len, true, None))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder<'c>> {
        Ok(SeqBuilder::new(self, len, true, Some(variant)))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder<'c>> {
        Ok(MapBuilder { ser: self, pairs: Vec::with_capacity(len.unwrap_or(0).min(4096)), key: None })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<StructBuilder<'c>> {
        Ok(StructBuilder { ser: self, name, fields: Vec::with_capacity(len), variant: None })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructBuilder<'c>> {
        Ok(StructBuilder { ser: self, name, fields: Vec::with_capacity(len), variant: Some(variant) })
    }
}

/// Collects the items of a seq, tuple or tuple variant.
pub(crate) struct SeqBuilder<'c> {
    ser: ValueSerializer<'c>,
    items: Vec<Value<'static>>,
    tuple: bool,
    variant: Option<&'static str>,
}

impl<'c> SeqBuilder<'c> {
    fn new(ser: ValueSerializer<'c>, len: usize, tuple: bool, variant: Option<&'static str>) -> Self {
        // Cap the preallocation: `len` comes from the data's own claim.
        SeqBuilder { ser, items: Vec::with_capacity(len.min(4096)), tuple, variant }
    }

    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.items.push(self.ser.descend(|s| value.serialize(s))?);
        Ok(())
    }

    fn finish(self) -> Result<Value<'static>> {
        let items = Shared::from(self.items);
        let seq = if self.tuple { Value::Tuple(items) } else { Value::List(items) };
        Ok(match self.variant {
            Some(v) => self.ser.tagged(v, seq),
            None => seq,
        })
    }
}

/// The four sequence-like serde traits all push an item and finish the same way.
macro_rules! seq_builder_impl {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for SeqBuilder<'_> {
            type Ok = Value<'static>;
            type Error = Error;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
                self.push(value)
            }
            fn end(self) -> Result<Value<'static>> {
                self.finish()
            }
        }
    )*};
}

seq_builder_impl!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// Collects the entries of a map.
pub(crate) struct MapBuilder<'c> {
    ser: ValueSerializer<'c>,
    pairs: Vec<(Value<'static>, Value<'static>)>,
    key: Option<Value<'static>>,
}

impl ser::SerializeMap for MapBuilder<'_> {
    type Ok = Value<'static>;
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.key = Some(self.ser.as_key().descend(|s| key.serialize(s))?);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let key = self.key.take().ok_or_else(|| Error::message("serialize_value called before serialize_key"))?;
        self.pairs.push((key, self.ser.descend(|s| value.serialize(s))?));
        Ok(())
    }

    fn end(self) -> Result<Value<'static>> {
        if self.ser.key {
            let pairs = self.pairs.into_iter().map(|(k, v)| Value::Tuple(Shared::from(vec![k, v])));
            return Ok(Value::Tuple(pairs.collect()));
        }
        Ok(Value::Dict(crate::value::dedup_pairs(self.pairs.into_iter())))
    }
}

/// Collects the fields of a struct or struct variant.
pub(crate) struct StructBuilder<'c> {
    ser: ValueSerializer<'c>,
    name: &'static str,
    fields: Vec<(Value<'static>, Value<'static>)>,
    variant: Option<&'static str>,
}

impl StructBuilder<'_> {
    fn push<T: ?Sized + Serialize>(&mut self, field: &'static str, value: &T) -> Result<()> {
        let value = self.ser.descend(|s| value.serialize(s))?;
        self.fields.push((self.ser.ctx.name(field), value));
        Ok(())
    }

    fn finish(self) -> Result<Value<'static>> {
        let class = match self.variant {
            None => self.ser.ctx.classes.and_then(|c| c.get(self.name)),
            Some(_) => None,
        };
        let body = if let Some(class) = class {
            classes::instance(class, Value::Dict(Shared::from(self.fields)), self.ser.ctx.protocol)
        } else if self.ser.key {
            Value::Tuple(self.fields.into_iter().map(|(_, v)| v).collect())
        } else {
            Value::Dict(Shared::from(self.fields))
        };
        Ok(match self.variant {
            Some(v) => self.ser.tagged(v, body),
            None => body,
        })
    }
}

impl ser::SerializeStruct for StructBuilder<'_> {
    type Ok = Value<'static>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.push(key, value)
    }
    fn end(self) -> Result<Value<'static>> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for StructBuilder<'_> {
    type Ok = Value<'static>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.push(key, value)
    }
    fn end(self) -> Result<Value<'static>> {
        self.finish()
    }
}
