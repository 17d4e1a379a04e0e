//! Values built from fuzzer bytes (`arbitrary`), for the round-trip targets:
//! every kind the value model has, edge-case numbers and strings (lone
//! surrogates included), and containers shared by several parents.

use arbitrary::{Result, Unstructured};
use brinery::{Int, Str, Value};

/// Which kinds of value to build.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kinds {
    /// Everything pickle holds.
    Pickle,
    /// What JSON holds: None, bool, int, float, str, list, dict with str keys.
    Json,
}

/// Builds one value; `budget` bounds the number of values built.
pub fn value(u: &mut Unstructured<'_>, kinds: Kinds) -> Result<Value<'static>> {
    let mut b = Builder { kinds, budget: 200, shared: Vec::new() };
    b.value(u, 0)
}

struct Builder {
    kinds: Kinds,
    budget: usize,
    /// Containers built so far, which later parents may share.
    shared: Vec<Value<'static>>,
}

impl Builder {
    fn value(&mut self, u: &mut Unstructured<'_>, depth: usize) -> Result<Value<'static>> {
        self.budget = self.budget.saturating_sub(1);
        let leaf_only = depth > 8 || self.budget == 0;
        let choices = if leaf_only { 6 } else { 12 };
        let v = match u.int_in_range(0..=choices - 1)? {
            0 => Value::None,
            1 => Value::Bool(u.arbitrary()?),
            2 => Value::from(*u.choose(&[
                0i64,
                1,
                -1,
                255,
                256,
                65535,
                65536,
                i32::MAX as i64 + 1,
                i64::MIN,
                i64::MAX,
            ])?),
            3 => self.int(u)?,
            4 => self.float(u)?,
            5 => self.text(u)?,
            6 if self.kinds == Kinds::Pickle => Value::bytes(u.arbitrary::<Vec<u8>>()?),
            6 | 7 => Value::List(self.items(u, depth)?),
            8 if !self.shared.is_empty() => u.choose(&self.shared)?.clone(),
            8 | 9 => self.dict(u, depth)?,
            _ if self.kinds == Kinds::Json => self.dict(u, depth)?,
            10 => match u.int_in_range(0..=3)? {
                0 => Value::Tuple(self.items(u, depth)?),
                1 => Value::set(self.keys(u)?),
                2 => Value::frozenset(self.keys(u)?),
                _ => Value::bytearray(u.arbitrary::<Vec<u8>>()?),
            },
            _ => Value::Complex { re: u.arbitrary()?, im: u.arbitrary()? },
        };
        if matches!(v, Value::List(_) | Value::Dict(_) | Value::Tuple(_)) && self.shared.len() < 16 {
            self.shared.push(v.clone());
        }
        Ok(v)
    }

    /// Any int of up to 512 bytes (about 1200 digits: protocol 0 writes ints
    /// as text, and text ints above 4300 digits do not load, in CPython either).
    fn int(&mut self, u: &mut Unstructured<'_>) -> Result<Value<'static>> {
        let n = u.int_in_range(0..=512)?;
        Ok(Value::Int(Int::from_signed_le(u.bytes(n)?)))
    }

    fn float(&mut self, u: &mut Unstructured<'_>) -> Result<Value<'static>> {
        let special = [0.0, -0.0, 1e16, 1e-7, 5e-324, f64::MAX, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
        Ok(Value::Float(if u.arbitrary()? { *u.choose(&special)? } else { u.arbitrary()? }))
    }

    fn text(&mut self, u: &mut Unstructured<'_>) -> Result<Value<'static>> {
        let n = u.int_in_range(0..=12)?;
        let mut points = Vec::with_capacity(n);
        for _ in 0..n {
            let point = match u.int_in_range(0..=4)? {
                0 => u.int_in_range(0..=0x7f)?,
                1 => u.int_in_range(0x80..=0x7ff)?,
                2 => u.int_in_range(0xd800..=0xdfff)?,
                3 => u.int_in_range(0x10000..=0x10ffff)?,
                _ => u.int_in_range(0x800..=0xffff)?,
            };
            // JSON writes a lone high and a lone low surrogate side by side as
            // two escapes, which every reader (Python's too) joins into one
            // character: such a str cannot survive JSON, so JSON values avoid it.
            let joins = matches!(points.last(), Some(0xd800..=0xdbff)) && (0xdc00..=0xdfff).contains(&point);
            points.push(if joins && self.kinds == Kinds::Json { 'x' as u32 } else { point });
        }
        Ok(Value::Str(Str::from_code_points(points)))
    }

    fn items(&mut self, u: &mut Unstructured<'_>, depth: usize) -> Result<brinery::value::Seq<'static>> {
        let n = u.int_in_range(0..=6)?;
        let items = (0..n).map(|_| self.value(u, depth + 1)).collect::<Result<Vec<_>>>()?;
        Ok(brinery::value::Shared::from(items))
    }

    /// Hashable values (set items and, for pickle, dict keys).
    fn keys(&mut self, u: &mut Unstructured<'_>) -> Result<Vec<Value<'static>>> {
        let n = u.int_in_range(0..=5)?;
        (0..n)
            .map(|_| match u.int_in_range(0..=3)? {
                0 => self.text(u),
                1 => Ok(Value::from(u.arbitrary::<i32>()?)),
                2 => Ok(Value::bytes(u.arbitrary::<Vec<u8>>()?)),
                _ => Ok(Value::tuple([Value::from(u.arbitrary::<i8>()?), self.text(u)?])),
            })
            .collect()
    }

    fn dict(&mut self, u: &mut Unstructured<'_>, depth: usize) -> Result<Value<'static>> {
        let n = u.int_in_range(0..=6)?;
        let mut pairs = Vec::with_capacity(n);
        for _ in 0..n {
            let key =
                if self.kinds == Kinds::Json { self.text(u)? } else { self.keys(u)?.pop().unwrap_or(Value::None) };
            pairs.push((key, self.value(u, depth + 1)?));
        }
        Ok(Value::dict(pairs))
    }
}
