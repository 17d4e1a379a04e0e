//! Pickle: load any pickle CPython writes into an inert [`Value`], and write
//! the bytes CPython's C pickler would write.
//!
//! The same four names as Python's module: [`loads`]/[`load`] and
//! [`dumps`]/[`dump`]. Loading never imports or calls anything: classes and
//! functions become [`Value::Global`]s, and the objects built from them stay
//! inert [`Value::Object`]s that re-pickle byte for byte.
//!
//! ```
//! use brinery::pickle::{self, DumpOptions, LoadOptions};
//! use brinery::Value;
//!
//! let value = Value::dict([("shape", Value::tuple([3, 4])), ("name", Value::from("w"))]);
//! let bytes = pickle::dumps(&value, &DumpOptions::protocol(4)).unwrap();
//! let back = pickle::loads(&bytes, &LoadOptions::default()).unwrap();
//! assert_eq!(back, value);
//! assert_eq!(back.to_string(), "{'shape': (3, 4), 'name': 'w'}");
//! ```

mod args;
mod compat;
pub mod dis;
pub mod encoder;
mod error;
pub mod escapes;
mod input;
mod item_run;
mod machine;
mod ops;
mod options;
pub mod sink;
mod text;
mod value_pickler;
mod value_sink;

pub use crate::serde::pickle_facade::{from_reader, from_slice, to_vec, to_vec_with, to_writer};
pub use args::Arg;
// The value sink also builds what `jsonpickle::decode` reads, so both make identical graphs.
pub use error::{Error, ErrorKind, Result};
pub use machine::Memo;
pub use ops::{ops, Op, Ops};
pub use options::{
    DecodeErrors, DumpOptions, Limits, LoadOptions, PersistentId, PersistentLoad, StringEncoding, TrailingData,
};
pub(crate) use value_sink::{Item, ValueSink};

use crate::value::{Bytes, Value};
use input::{Input, ReaderInput, SliceInput};
use std::io::{BufRead, Write};

/// Loads a pickle from bytes. Payloads (str, bytes) borrow from `data`.
///
/// Bytes after STOP are an error unless `opts.trailing_data` says to ignore
/// them; use [`loads_prefix`] to read one of several concatenated pickles.
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// let v = loads(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00]\x94K\x01a.", &LoadOptions::default()).unwrap();
/// assert_eq!(v.to_string(), "[1]");
/// ```
pub fn loads<'a>(data: &'a [u8], opts: &LoadOptions) -> Result<Value<'a>> {
    let (value, used) = loads_prefix(data, opts)?;
    let extra = (data.len() - used) as u64;
    if extra > 0 && opts.trailing_data == TrailingData::Reject {
        return Err(Error::at(ErrorKind::TrailingData(extra), used as u64));
    }
    Ok(value)
}

/// Loads the pickle at the start of `data`; returns it and how many bytes it used.
///
/// ```
/// use brinery::pickle::{loads_prefix, LoadOptions};
/// let two = b"K\x01.K\x02.";
/// let (first, used) = loads_prefix(two, &LoadOptions::default()).unwrap();
/// let (second, _) = loads_prefix(&two[used..], &LoadOptions::default()).unwrap();
/// assert_eq!((first.as_i64(), second.as_i64()), (Some(1), Some(2)));
/// ```
pub fn loads_prefix<'a>(data: &'a [u8], opts: &LoadOptions) -> Result<(Value<'a>, usize)> {
    let mut input = SliceInput::new(data);
    let value = machine::run(value_sink::ValueSink::new(opts, data.len()), &mut input, opts)?;
    Ok((value, input.offset() as usize))
}

/// Loads one pickle from a buffered reader, consuming exactly its bytes, so
/// that calling it again reads the next pickle of the stream (like Python's
/// `pickle.load` on a file).
///
/// ```
/// use brinery::pickle::{load, LoadOptions};
/// let mut stream = &b"K\x01.K\x02."[..];
/// let a = load(&mut stream, &LoadOptions::default()).unwrap();
/// let b = load(&mut stream, &LoadOptions::default()).unwrap();
/// assert_eq!((a.as_i64(), b.as_i64()), (Some(1), Some(2)));
/// assert!(stream.is_empty());
/// ```
pub fn load<R: BufRead>(reader: R, opts: &LoadOptions) -> Result<Value<'static>> {
    let mut input = ReaderInput::new(reader);
    machine::run(value_sink::ValueSink::new(opts, 0), &mut input, opts)
}

/// Runs the machine with any [`Sink`](sink::Sink) over bytes, the way
/// [`loads_prefix`] runs it with the value sink.
pub fn run_sink<'a, S: sink::Sink<'a>>(data: &'a [u8], sink: S, opts: &LoadOptions) -> Result<(S::Output, usize)> {
    let mut input = SliceInput::new(data);
    let out = machine::run(sink, &mut input, opts)?;
    Ok((out, input.offset() as usize))
}

/// Runs the machine with any [`Sink`](sink::Sink) over a buffered reader,
/// consuming exactly the pickle's bytes (as [`load`] does with the value sink).
pub fn run_sink_reader<R: BufRead, S: sink::Sink<'static>>(
    reader: R,
    sink: S,
    opts: &LoadOptions,
) -> Result<S::Output> {
    let mut input = ReaderInput::new(reader);
    machine::run(sink, &mut input, opts)
}

/// Runs the machine with any sink over bytes like [`run_sink`], starting
/// from `memo` and leaving the pickle's memo entries in it (Python's
/// `Unpickler` keeps its memo across `load()` calls).
pub fn run_sink_with_memo<'a, S: sink::Sink<'a>>(
    data: &'a [u8],
    sink: S,
    opts: &LoadOptions,
    memo: &mut Memo<S::Item>,
) -> Result<(S::Output, usize)> {
    let mut input = SliceInput::new(data);
    let out = machine::run_with_memo(sink, &mut input, opts, memo)?;
    Ok((out, input.offset() as usize))
}

/// [`run_sink_with_memo`] over a buffered reader, consuming exactly the pickle's bytes.
pub fn run_sink_reader_with_memo<R: BufRead, S: sink::Sink<'static>>(
    reader: R,
    sink: S,
    opts: &LoadOptions,
    memo: &mut Memo<S::Item>,
) -> Result<S::Output> {
    let mut input = ReaderInput::new(reader);
    machine::run_with_memo(sink, &mut input, opts, memo)
}

/// Pickles a value, as `pickle.dumps(value, protocol)` would.
///
/// Out-of-band buffers need [`dumps_with_buffers`].
pub fn dumps(value: &Value<'_>, opts: &DumpOptions) -> Result<Vec<u8>> {
    if opts.out_of_band {
        return Err(Error::unpicklable("out_of_band needs dumps_with_buffers, which returns the buffers"));
    }
    Ok(value_pickler::pickle_value(value, opts)?.0)
}

/// Pickles a value, returning the pickle and its out-of-band buffers (in
/// NEXT_BUFFER order) when `opts.out_of_band` is set.
pub fn dumps_with_buffers<'v>(value: &'v Value<'_>, opts: &DumpOptions) -> Result<(Vec<u8>, Vec<Bytes<'v>>)> {
    value_pickler::pickle_value(value, opts)
}

/// Pickles a value into a writer.
pub fn dump<W: Write>(value: &Value<'_>, mut writer: W, opts: &DumpOptions) -> Result<()> {
    let bytes = dumps(value, opts)?;
    writer.write_all(&bytes)?;
    Ok(())
}
