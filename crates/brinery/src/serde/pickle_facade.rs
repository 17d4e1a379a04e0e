//! `brinery::pickle::{to_vec, to_vec_with, to_writer, from_slice, from_reader}`:
//! Rust types to and from pickles, through a [`Value`](crate::Value).

use super::classes::Classes;
use super::error::Result;
use super::ser::{Ctx, ValueSerializer};
use crate::pickle::{self, DumpOptions, LoadOptions};
use ::serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::io::{BufRead, Write};

/// Pickles any `Serialize` type, as CPython would pickle the equivalent
/// Python value (see [`brinery::serde`](crate::serde) for the mapping).
///
/// ```
/// use brinery::pickle::{self, DumpOptions, LoadOptions};
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Job { id: u32, tags: Vec<String>, weight: Option<f64> }
///
/// let job = Job { id: 7, tags: vec!["a".into()], weight: None };
/// let bytes = pickle::to_vec(&job, &DumpOptions::protocol(4)).unwrap();
/// let value = pickle::loads(&bytes, &LoadOptions::default()).unwrap();
/// assert_eq!(value.to_string(), "{'id': 7, 'tags': ['a'], 'weight': None}");
/// assert_eq!(pickle::from_slice::<Job>(&bytes, &LoadOptions::default()).unwrap(), job);
/// ```
pub fn to_vec<T: ?Sized + Serialize>(value: &T, opts: &DumpOptions) -> Result<Vec<u8>> {
    to_vec_inner(value, opts, None)
}

/// Like [`to_vec`], writing the structs listed in `classes` as instances of
/// their Python classes (see [`Classes`]).
pub fn to_vec_with<T: ?Sized + Serialize>(value: &T, opts: &DumpOptions, classes: &Classes) -> Result<Vec<u8>> {
    to_vec_inner(value, opts, Some(classes))
}

fn to_vec_inner<T: ?Sized + Serialize>(value: &T, opts: &DumpOptions, classes: Option<&Classes>) -> Result<Vec<u8>> {
    let ctx = Ctx::new(classes, opts.protocol, false);
    let value = value.serialize(ValueSerializer::new(&ctx))?;
    Ok(pickle::dumps(&value, opts)?)
}

/// Pickles any `Serialize` type into a writer.
///
/// ```
/// use brinery::pickle::{self, DumpOptions};
/// let mut out = Vec::new();
/// pickle::to_writer(&mut out, &(1u8, "a"), &DumpOptions::protocol(2)).unwrap();
/// assert_eq!(out, b"\x80\x02K\x01X\x01\x00\x00\x00aq\x00\x86q\x01.");
/// ```
pub fn to_writer<W: Write, T: ?Sized + Serialize>(mut writer: W, value: &T, opts: &DumpOptions) -> Result<()> {
    writer.write_all(&to_vec(value, opts)?)?;
    Ok(())
}

/// Reads a pickle into any `Deserialize` type. `&str` and `&[u8]` fields
/// borrow from `data`.
///
/// Class instances are read through their data: a dataclass or plain object
/// through its attribute dict, an `OrderedDict` through its items, a
/// `namedtuple` through its fields in order.
///
/// ```
/// use brinery::pickle::{self, LoadOptions};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Point<'a> { x: i64, label: &'a str }
///
/// // pickle.dumps(geometry.Point(x=3, label='p'), protocol=2), a plain class instance:
/// let data = b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x03X\x05\x00\x00\x00labelq\x04X\x01\x00\x00\x00pq\x05ub.";
/// let p: Point = pickle::from_slice(data, &LoadOptions::default()).unwrap();
/// assert_eq!(p, Point { x: 3, label: "p" });
/// ```
pub fn from_slice<'a, T: Deserialize<'a>>(data: &'a [u8], opts: &LoadOptions) -> Result<T> {
    let value = pickle::loads(data, opts)?;
    super::from_value(&value)
}

/// Reads one pickle from a buffered reader into any owned `Deserialize`
/// type, consuming exactly its bytes (like [`pickle::load`]).
///
/// ```
/// use brinery::pickle::{self, LoadOptions};
/// let mut stream = &b"K\x01.K\x02."[..];
/// let a: u8 = pickle::from_reader(&mut stream, &LoadOptions::default()).unwrap();
/// let b: u8 = pickle::from_reader(&mut stream, &LoadOptions::default()).unwrap();
/// assert_eq!((a, b), (1, 2));
/// ```
pub fn from_reader<R: BufRead, T: DeserializeOwned>(reader: R, opts: &LoadOptions) -> Result<T> {
    let value = pickle::load(reader, opts)?;
    super::from_value(&value)
}
