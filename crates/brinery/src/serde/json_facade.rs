//! `brinery::json::{to_string, to_vec, to_writer, from_str, from_slice, from_reader}`:
//! Rust types to and from JSON, through a [`Value`](crate::Value), with
//! Python's `json` rules.

use super::error::Result;
use super::ser::{Ctx, ValueSerializer};
use crate::json::{self, DumpOptions, LoadOptions};
use crate::value::Value;
use ::serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::io::{Read, Write};

fn to_json_value<T: ?Sized + Serialize>(value: &T) -> Result<Value<'static>> {
    // JSON has no bytes: write them as a list of ints, as serde_json does.
    let ctx = Ctx::new(None, 5, true);
    value.serialize(ValueSerializer::new(&ctx))
}

/// Writes any `Serialize` type as JSON text, as `json.dumps(**opts)` would
/// write the equivalent Python value.
///
/// Int map keys become strings, as in Python; other non-string keys
/// (tuples, structs) are an error, as in Python.
///
/// ```
/// use brinery::json::{self, DumpOptions};
/// use std::collections::BTreeMap;
///
/// #[derive(serde::Serialize)]
/// struct Stats { hits: BTreeMap<u32, u128>, ratio: f64 }
///
/// let s = Stats { hits: BTreeMap::from([(1, u128::MAX)]), ratio: 0.5 };
/// assert_eq!(json::to_string(&s, &DumpOptions::default()).unwrap(),
///            r#"{"hits": {"1": 340282366920938463463374607431768211455}, "ratio": 0.5}"#);
/// ```
pub fn to_string<T: ?Sized + Serialize>(value: &T, opts: &DumpOptions) -> Result<String> {
    Ok(json::dumps(&to_json_value(value)?, opts)?)
}

/// [`to_string`], as UTF-8 bytes.
///
/// ```
/// use brinery::json::{self, DumpOptions};
/// assert_eq!(json::to_vec(&[Some(1), None], &DumpOptions::default()).unwrap(), b"[1, null]");
/// ```
pub fn to_vec<T: ?Sized + Serialize>(value: &T, opts: &DumpOptions) -> Result<Vec<u8>> {
    Ok(to_string(value, opts)?.into_bytes())
}

/// Writes any `Serialize` type as UTF-8 JSON into a writer.
///
/// ```
/// use brinery::json::{self, DumpOptions};
/// let mut out = Vec::new();
/// json::to_writer(&mut out, &("a", 1.0), &DumpOptions::default().separators(",", ":")).unwrap();
/// assert_eq!(out, br#"["a",1.0]"#);
/// ```
pub fn to_writer<W: Write, T: ?Sized + Serialize>(mut writer: W, value: &T, opts: &DumpOptions) -> Result<()> {
    writer.write_all(to_string(value, opts)?.as_bytes())?;
    Ok(())
}

/// Parses JSON text into any `Deserialize` type, with `json.loads`
/// semantics (exact big ints, `NaN`, duplicate keys: last wins). `&str`
/// fields borrow from `text` when the string has no escapes; object keys
/// parse into integer, float and bool key types.
///
/// ```
/// use brinery::json::{self, LoadOptions};
/// use std::collections::HashMap;
///
/// #[derive(serde::Deserialize)]
/// struct Doc<'a> { name: &'a str, counts: HashMap<u64, i128> }
///
/// let doc: Doc = json::from_str(r#"{"name": "x", "counts": {"7": -170141183460469231731687303715884105728}}"#,
///                               &LoadOptions::default()).unwrap();
/// assert_eq!(doc.name, "x");
/// assert_eq!(doc.counts[&7], i128::MIN);
/// ```
pub fn from_str<'a, T: Deserialize<'a>>(text: &'a str, opts: &LoadOptions) -> Result<T> {
    let value = json::loads(text, opts)?;
    super::from_value(&value)
}

/// Parses JSON bytes (UTF-8, UTF-16 or UTF-32, as `json.loads(bytes)` does)
/// into any `Deserialize` type.
///
/// ```
/// use brinery::json::{self, LoadOptions};
/// let v: Vec<Option<bool>> = json::from_slice(b"[true, null]", &LoadOptions::default()).unwrap();
/// assert_eq!(v, [Some(true), None]);
/// ```
pub fn from_slice<'a, T: Deserialize<'a>>(data: &'a [u8], opts: &LoadOptions) -> Result<T> {
    let value = json::loads(data, opts)?;
    super::from_value(&value)
}

/// Reads a whole JSON document from a reader into any owned `Deserialize` type.
///
/// ```
/// use brinery::json::{self, LoadOptions};
/// let v: (String, u8) = json::from_reader(&br#"["a", 1]"#[..], &LoadOptions::default()).unwrap();
/// assert_eq!(v, ("a".to_string(), 1));
/// ```
pub fn from_reader<R: Read, T: DeserializeOwned>(reader: R, opts: &LoadOptions) -> Result<T> {
    let value = json::load(reader, opts)?;
    super::from_value(&value)
}
