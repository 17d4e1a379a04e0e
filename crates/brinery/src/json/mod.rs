//! JSON the way Python writes and reads it.
//!
//! [`dumps`] gives the bytes `json.dumps` gives with the same arguments
//! (Python's float repr, `ensure_ascii`, separators, indent, `sort_keys`,
//! `NaN`/`Infinity`, key coercion) and fails where it fails, with its words.
//! [`loads`] reads what `json.loads` reads: exact big ints, `NaN` and
//! `Infinity`, lone surrogate escapes, duplicate keys (last value, first
//! position), UTF-8/16/32 bytes with or without a BOM, and reports errors
//! with Python's message, line, column and char offset.
//!
//! ```
//! use brinery::json::{self, DumpOptions, LoadOptions};
//!
//! let v = json::loads(r#"{"n": 18446744073709551616, "x": 1e-7, "s": "\ud800"}"#, &LoadOptions::default()).unwrap();
//! assert_eq!(v["n"].to_string(), "18446744073709551616");
//! assert_eq!(json::dumps(&v, &DumpOptions::default()).unwrap(), r#"{"n": 18446744073709551616, "x": 1e-07, "s": "\ud800"}"#);
//! ```

mod build;
mod decimal;
mod decode;
mod dump;
mod error;
mod options;
mod parse;
mod scan;
mod sink;
mod sort;
mod write;

pub use crate::serde::json_facade::{from_reader, from_slice, from_str, to_string, to_vec, to_writer};
pub use error::{Error, ErrorKind, Position, PyException, Result};
pub use options::{DumpLimits, DumpOptions, Indent, LoadOptions};
pub use parse::{parse_prefix_with, parse_with};
pub use sink::{Constant, Sink, StrText};
pub use write::Writer;

use crate::value::{Str, Value};
use std::borrow::Cow;
use std::io::{Read, Write};

/// Writes a value as JSON text, as `json.dumps(value, **opts)` would.
///
/// Python's output is a `str`; with `ensure_ascii` off it may hold lone
/// surrogates, which a Rust `String` cannot, so that case is an
/// [`ErrorKind::Surrogate`] here; use [`dumps_str`] to keep them.
///
/// ```
/// use brinery::json::{dumps, DumpOptions};
/// use brinery::Value;
/// let v = Value::list([Value::from(1e16), Value::from("é"), Value::None]);
/// assert_eq!(dumps(&v, &DumpOptions::default()).unwrap(), r#"[1e+16, "\u00e9", null]"#);
/// assert_eq!(dumps(&v, &DumpOptions::default().ensure_ascii(false)).unwrap(), r#"[1e+16, "é", null]"#);
/// ```
pub fn dumps(value: &Value<'_>, opts: &DumpOptions) -> Result<String> {
    let (bytes, utf8) = dump::to_vec(value, opts)?;
    if !utf8 {
        return Err(Error::new(ErrorKind::Surrogate(first_surrogate(&bytes))));
    }
    // SAFETY: the writer emits UTF-8 apart from lone surrogates, and none was written.
    Ok(unsafe { String::from_utf8_unchecked(bytes) })
}

/// Like [`dumps`], but returns a Python [`Str`], which keeps lone surrogates
/// exactly as Python's `json.dumps(..., ensure_ascii=False)` does.
pub fn dumps_str(value: &Value<'_>, opts: &DumpOptions) -> Result<Str<'static>> {
    let (bytes, utf8) = dump::to_vec(value, opts)?;
    Ok(Str::from_validated(Cow::Owned(bytes), utf8))
}

/// Writes a value as UTF-8 JSON into a writer (`json.dump` to a file opened
/// with `encoding="utf-8"`).
pub fn dump<W: Write>(value: &Value<'_>, mut writer: W, opts: &DumpOptions) -> Result<()> {
    let text = dumps(value, opts)?;
    writer.write_all(text.as_bytes())?;
    Ok(())
}

/// Parses JSON text or bytes, as `json.loads` does.
///
/// A `&str` is text: a leading BOM is an error, as in Python. Bytes (`&[u8]`,
/// `&Vec<u8>`) are decoded first the way `json.loads(bytes)` decodes them:
/// UTF-8, UTF-16 or UTF-32 detected from a BOM or from the pattern of zero
/// bytes, lone surrogates allowed. Strings without escapes borrow from UTF-8
/// input.
///
/// ```
/// use brinery::json::{loads, LoadOptions};
/// let opts = LoadOptions::default();
/// assert_eq!(loads(r#"{"a": 1, "a": 2}"#, &opts).unwrap().to_string(), "{'a': 2}");
/// assert_eq!(loads(&b"\xef\xbb\xbf[1]"[..], &opts).unwrap().to_string(), "[1]");
/// let utf16: Vec<u8> = "[true]".encode_utf16().flat_map(u16::to_le_bytes).collect();
/// assert_eq!(loads(&utf16, &opts).unwrap().to_string(), "[True]");
/// assert_eq!(loads("\u{feff}[1]", &opts).unwrap_err().to_string(),
///            "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)");
/// ```
pub fn loads<'a, T: JsonInput + ?Sized>(input: &'a T, opts: &LoadOptions) -> Result<Value<'a>> {
    match input.text()? {
        Text::Borrowed { utf8, all_valid } => parse(utf8, all_valid, opts),
        Text::Owned { utf8, all_valid } => Ok(parse(&utf8, all_valid, opts)?.into_owned()),
    }
}

/// Parses UTF-8 (surrogatepass) text into a [`Value`].
fn parse<'a>(text: &'a [u8], all_valid: bool, opts: &LoadOptions) -> Result<Value<'a>> {
    parse_with(text, all_valid, opts, &mut build::ValueSink::new(text, opts.max_int_digits))
}

/// Reads a whole JSON document from a reader (bytes, decoded as [`loads`]
/// decodes bytes), as `json.load` does.
pub fn load<R: Read>(mut reader: R, opts: &LoadOptions) -> Result<Value<'static>> {
    let mut data = Vec::new();
    reader.read_to_end(&mut data)?;
    // One copy out of the buffer: UTF-16/32 input is already owned after decoding.
    match data.text()? {
        Text::Borrowed { utf8, all_valid } => Ok(parse(utf8, all_valid, opts)?.into_owned()),
        Text::Owned { utf8, all_valid } => Ok(parse(&utf8, all_valid, opts)?.into_owned()),
    }
}

/// What [`loads`] accepts: text (`str`, `String`) or bytes (`[u8]`, `Vec<u8>`),
/// as Python's `json.loads` accepts `str`, `bytes` and `bytearray`.
pub trait JsonInput: sealed::Sealed {
    /// The input as UTF-8 (surrogatepass) text ready to parse.
    #[doc(hidden)]
    fn text(&self) -> Result<Text<'_>>;
}

/// Input decoded for the parser.
#[doc(hidden)]
pub enum Text<'a> {
    /// UTF-8 that is the input itself (minus any BOM).
    Borrowed {
        /// The bytes to parse.
        utf8: &'a [u8],
        /// True when they are plain UTF-8 (no lone surrogates).
        all_valid: bool,
    },
    /// UTF-8 decoded from UTF-16 or UTF-32 input.
    Owned {
        /// The bytes to parse.
        utf8: Vec<u8>,
        /// True when they are plain UTF-8 (no lone surrogates).
        all_valid: bool,
    },
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for str {}
    impl Sealed for String {}
    impl Sealed for [u8] {}
    impl Sealed for Vec<u8> {}
}

impl JsonInput for str {
    fn text(&self) -> Result<Text<'_>> {
        if self.starts_with('\u{feff}') {
            let at_start = parse::position(self.as_bytes(), 0);
            return Err(Error::at(ErrorKind::Syntax("Unexpected UTF-8 BOM (decode using utf-8-sig)"), at_start));
        }
        Ok(Text::Borrowed { utf8: self.as_bytes(), all_valid: true })
    }
}

impl JsonInput for String {
    fn text(&self) -> Result<Text<'_>> {
        self.as_str().text()
    }
}

impl JsonInput for [u8] {
    fn text(&self) -> Result<Text<'_>> {
        decode::decode_bytes(self)
    }
}

impl JsonInput for Vec<u8> {
    fn text(&self) -> Result<Text<'_>> {
        self.as_slice().text()
    }
}

/// The first lone surrogate in surrogatepass UTF-8 (for the error message).
fn first_surrogate(bytes: &[u8]) -> u32 {
    let cow: Cow<'_, [u8]> = Cow::Borrowed(bytes);
    Str::from_surrogatepass(cow)
        .ok()
        .and_then(|s| s.code_points().find(|c| (0xD800..0xE000).contains(c)))
        .unwrap_or(0xD800)
}
