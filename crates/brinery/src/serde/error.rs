//! The one error of the serde layer: a data mismatch with the place it
//! happened, or the pickle/JSON error underneath.

use crate::value::{Int, Str, Value};
use std::fmt;

/// A serde conversion failure.
///
/// Mismatches between the data and the Rust type say what was expected, what
/// was found (by its Python type and a short repr) and where:
///
/// ```
/// use brinery::{serde::from_value, Value};
///
/// let v = Value::dict([("sizes", Value::list([1, 2, 300]))]);
/// #[derive(Debug, serde::Deserialize)]
/// struct Shape { sizes: Vec<u8> }
/// let err = from_value::<Shape>(&v).unwrap_err();
/// assert_eq!(err.to_string(), "invalid value: int 300 does not fit in u8 (at field \"sizes\" → item 2)");
/// assert_eq!(err.path().to_string(), "field \"sizes\" → item 2");
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    /// Innermost segment first (segments are added as the error bubbles up).
    path: Vec<Segment>,
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The data does not fit the Rust type (or a `Serialize`/`Deserialize`
    /// implementation reported a problem of its own).
    #[error("{0}")]
    Message(String),
    /// Reading or writing the pickle failed.
    #[error(transparent)]
    Pickle(#[from] crate::pickle::Error),
    /// Reading or writing the JSON failed.
    #[error(transparent)]
    Json(#[from] crate::json::Error),
    /// The reader or writer failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// One step of the way from the top of the data to the failing part.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Segment {
    /// A dict entry or attribute under a `str` key.
    Field(String),
    /// A dict entry under any other key (its Python repr).
    Key(String),
    /// An item of a list, tuple, set or other sequence.
    Item(usize),
    /// The content of an enum variant.
    Variant(String),
}

/// Where an error happened: the [`Segment`]s from the outside in.
#[derive(Clone, Copy, Debug)]
pub struct Path<'e>(&'e [Segment]);

impl<'e> Path<'e> {
    /// The segments, outermost first.
    pub fn segments(&self) -> impl Iterator<Item = &'e Segment> {
        self.0.iter().rev()
    }

    /// Whether the error is at the top level.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.segments().enumerate() {
            if i > 0 {
                f.write_str(" → ")?;
            }
            match seg {
                Segment::Field(name) => write!(f, "field {name:?}")?,
                Segment::Key(repr) => write!(f, "key {repr}")?,
                Segment::Item(i) => write!(f, "item {i}")?,
                Segment::Variant(name) => write!(f, "variant {name:?}")?,
            }
        }
        Ok(())
    }
}

impl Error {
    /// An error with a message of its own.
    pub fn message(msg: impl fmt::Display) -> Error {
        Error::from(ErrorKind::Message(msg.to_string()))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Where it went wrong (empty for errors at the top or outside the data).
    pub fn path(&self) -> Path<'_> {
        Path(&self.0.path)
    }

    /// The same error, one level further down in the data.
    pub(crate) fn within(mut self, segment: impl FnOnce() -> Segment) -> Error {
        if matches!(self.0.kind, ErrorKind::Message(_)) {
            self.0.path.push(segment());
        }
        self
    }

    /// `expected …, found <Python type> <repr>`.
    pub(crate) fn mismatch(expected: &str, found: &Value<'_>) -> Error {
        Error::message(format_args!("invalid type: expected {expected}, found {}", describe(found)))
    }
}

/// A value as error messages name it: its Python type and a short repr.
pub(crate) fn describe(v: &Value<'_>) -> String {
    const MAX: usize = 40;
    let short = |repr: String, cut: bool| if cut { repr + "…" } else { repr };
    match v {
        Value::Object(o) => match o.class() {
            Some(c) => format!("{c} object"),
            None => "object".to_string(),
        },
        Value::Global(g) => format!("global {g}"),
        Value::Cycle(c) => format!("reference back to an enclosing {}", c.type_name()),
        Value::Tuple(_) | Value::List(_) | Value::Set(_) | Value::FrozenSet(_) | Value::Dict(_) => {
            format!("{} of {} item(s)", v.type_name(), v.len().unwrap_or(0))
        }
        Value::Int(i) => format!("int {}", int_text(i)),
        // The repr of a prefix only: the value may be huge.
        Value::Str(s) => {
            let prefix = Value::Str(Str::from_code_points(s.code_points().take(MAX)));
            format!("str {}", short(prefix.to_string(), s.char_count() > MAX))
        }
        Value::Bytes(_) | Value::ByteArray(_) => {
            let bytes = v.as_bytes().unwrap_or_default();
            let prefix = Value::bytes(bytes[..bytes.len().min(MAX)].to_vec());
            format!("{} {}", v.type_name(), short(prefix.to_string(), bytes.len() > MAX))
        }
        _ => format!("{} {v}", v.type_name()),
    }
}

/// An int's digits, or its size when writing the digits out would take long
/// (past about 4300 digits, Python's own limit for `str(int)`).
pub(crate) fn int_text(i: &Int) -> String {
    match decimal(i) {
        Some(digits) => digits,
        None => format!("(a {}-bit number)", i.bit_length()),
    }
}

/// An int's decimal digits, if it has no more than about 4300 of them
/// (`sys.get_int_max_str_digits()`; conversion time grows quadratically).
pub(crate) fn decimal(i: &Int) -> Option<String> {
    const MAX_BITS: u64 = 14_000; // 14000 bits are at most 4215 digits
    (i.bit_length() <= MAX_BITS).then(|| i.to_string())
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(Inner { kind, path: Vec::new() }))
    }
}

impl From<crate::pickle::Error> for Error {
    fn from(e: crate::pickle::Error) -> Error {
        Error::from(ErrorKind::Pickle(e))
    }
}

impl From<crate::json::Error> for Error {
    fn from(e: crate::json::Error) -> Error {
        Error::from(ErrorKind::Json(e))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::from(ErrorKind::Io(e))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.kind)?;
        if !self.0.path.is_empty() {
            write!(f, " (at {})", self.path())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error").field("kind", &self.0.kind).field("path", &self.path().to_string()).finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Message(_) => None,
            ErrorKind::Pickle(e) => Some(e),
            ErrorKind::Json(e) => Some(e),
            ErrorKind::Io(e) => Some(e),
        }
    }
}

impl ::serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error::message(msg)
    }
}

impl ::serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error::message(msg)
    }
}

/// `Result` with a serde [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
