//! JSON errors, worded the way Python words them.

use std::fmt;

/// Where in the document a parse error is, counted the way Python counts:
/// `char` is an index into the decoded text in code points, `line` and
/// `column` start at 1 and only `\n` ends a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Code-point index (Python's `JSONDecodeError.pos`).
    pub char: usize,
    /// Line, from 1 (`lineno`).
    pub line: usize,
    /// Column, from 1 (`colno`).
    pub column: usize,
    /// Byte offset into the UTF-8 text that was parsed (after any
    /// UTF-16/32 input was decoded and a UTF-8 BOM dropped).
    pub byte: usize,
}

/// The Python exception an error corresponds to, for callers that must raise
/// the same one (the Python module) or report it the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyException {
    /// `json.JSONDecodeError` (a `ValueError`).
    JsonDecodeError,
    /// `UnicodeDecodeError` (bytes that are not text in the detected encoding).
    UnicodeDecodeError,
    /// `ValueError` (out-of-range floats, circular references, int digit limits).
    ValueError,
    /// `TypeError` (values and keys JSON cannot hold, unorderable keys).
    TypeError,
    /// `RecursionError` (nesting deeper than the limit).
    RecursionError,
    /// `OSError` (the reader or writer failed).
    OsError,
}

impl PyException {
    /// The exception's Python name (`"JSONDecodeError"`, `"TypeError"`, …).
    ///
    /// ```
    /// assert_eq!(brinery::json::PyException::JsonDecodeError.name(), "JSONDecodeError");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            PyException::JsonDecodeError => "JSONDecodeError",
            PyException::UnicodeDecodeError => "UnicodeDecodeError",
            PyException::ValueError => "ValueError",
            PyException::TypeError => "TypeError",
            PyException::RecursionError => "RecursionError",
            PyException::OsError => "OSError",
        }
    }
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A syntax error; the message is Python's (`"Expecting value"`,
    /// `"Expecting ',' delimiter"`, …) and the error carries a [`Position`].
    #[error("{0}")]
    Syntax(&'static str),
    /// Bytes input that does not decode in the detected encoding; the text is
    /// Python's `UnicodeDecodeError` message.
    #[error("{0}")]
    Decode(String),
    /// An int with more digits than the limit.
    #[error(
        "Exceeds the limit ({limit} digits) for integer string conversion{}; use sys.set_int_max_str_digits() to increase the limit",
        match .digits { Some(d) => format!(": value has {d} digits"), None => String::new() }
    )]
    IntTooLong {
        /// The limit in force.
        limit: usize,
        /// The number of digits, when parsing (Python only says it then).
        digits: Option<usize>,
    },
    /// Nesting deeper than the limit.
    #[error("maximum recursion depth exceeded while {0} (limit {1})")]
    TooDeep(&'static str, usize),
    /// A value JSON cannot hold: `Object of type bytes is not JSON serializable`.
    #[error("Object of type {0} is not JSON serializable")]
    NotSerializable(String),
    /// A dict key JSON cannot hold.
    #[error("keys must be str, int, float, bool or None, not {0}")]
    BadKey(String),
    /// `sort_keys` met keys Python cannot order.
    #[error("'<' not supported between instances of '{0}' and '{1}'")]
    Unorderable(String, String),
    /// NaN or an infinity with `allow_nan` off. Python 3.11 names the value
    /// (`: nan`) only on its pure-Python path, taken when `indent` is set.
    #[error("Out of range float values are not JSON compliant{}", .0.map(|v| format!(": {v}")).unwrap_or_default())]
    OutOfRangeFloat(Option<&'static str>),
    /// A container that contains itself.
    #[error("Circular reference detected")]
    Circular,
    /// A value with shared parts that would expand into a far larger tree.
    #[error("shared sub-objects expand into more than {0} repeated values (DumpLimits::max_repeated_values)")]
    Expansion(u64),
    /// Text with lone surrogates, written as UTF-8 (`ensure_ascii=False`).
    #[error("'utf-8' codec can't encode character '\\u{0:04x}': surrogates not allowed")]
    Surrogate(u32),
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A JSON error: what went wrong, and where, for parse errors.
///
/// Its `Display` is Python's message: `Expecting value: line 1 column 1 (char 0)`.
///
/// ```
/// use brinery::json::{loads, LoadOptions, PyException};
/// let err = loads("[1,\n  x]", &LoadOptions::default()).unwrap_err();
/// assert_eq!(err.to_string(), "Expecting value: line 2 column 3 (char 6)");
/// assert_eq!(err.position().map(|p| (p.line, p.column, p.char)), Some((2, 3, 6)));
/// assert_eq!(err.py_exception(), PyException::JsonDecodeError);
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    position: Option<Position>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind, position: None }
    }

    pub(crate) fn at(kind: ErrorKind, position: Position) -> Error {
        Error { kind, position: Some(position) }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Where, for errors found while parsing.
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// The message without the position (`JSONDecodeError.msg`).
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// The Python exception this error is.
    pub fn py_exception(&self) -> PyException {
        match &self.kind {
            ErrorKind::Syntax(_) => PyException::JsonDecodeError,
            ErrorKind::Decode(_) => PyException::UnicodeDecodeError,
            ErrorKind::IntTooLong { .. } | ErrorKind::OutOfRangeFloat(_) | ErrorKind::Circular => {
                PyException::ValueError
            }
            ErrorKind::Expansion(_) => PyException::ValueError,
            ErrorKind::Surrogate(_) => PyException::ValueError,
            ErrorKind::TooDeep(..) => PyException::RecursionError,
            ErrorKind::NotSerializable(_) | ErrorKind::BadKey(_) | ErrorKind::Unorderable(..) => PyException::TypeError,
            ErrorKind::Io(_) => PyException::OsError,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, self.position) {
            (ErrorKind::Syntax(msg), Some(p)) => {
                write!(f, "{msg}: line {} column {} (char {})", p.line, p.column, p.char)
            }
            (kind, _) => write!(f, "{kind}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Io(e))
    }
}

/// `Result` with a JSON [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
