//! The one error type for loading and dumping pickles: what went wrong, where
//! (byte offset in the input), and during which opcode.

use crate::opcodes::Opcode;
use std::fmt;

/// A loading or dumping failure. Loading errors carry the byte offset of the
/// opcode being executed and, when known, the opcode.
///
/// ```
/// use brinery::pickle::{self, ErrorKind};
/// let err = pickle::loads(b"\x80\x02K", &Default::default()).unwrap_err();
/// assert_eq!(err.offset(), Some(2));
/// assert!(matches!(err.kind(), ErrorKind::Truncated { .. }));
/// assert_eq!(err.to_string(), "pickle data was truncated: BININT1 needs 1 more byte(s), 0 available (at byte 2, opcode BININT1)");
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    offset: Option<u64>,
    opcode: Option<Opcode>,
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was empty.
    #[error("ran out of input: the pickle is empty")]
    Empty,
    /// The input ended in the middle of a pickle.
    #[error("pickle data was truncated: {what} needs {needed} more byte(s), {available} available")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes left.
        available: u64,
    },
    /// A byte that is no opcode.
    #[error("invalid load key, '{}'", python_byte(*.0))]
    UnknownOpcode(u8),
    /// PROTO with a protocol newer than 5.
    #[error("unsupported pickle protocol: {0}")]
    UnsupportedProtocol(u8),
    /// An opcode needed more stack items than there were.
    #[error("unpickling stack underflow: needs {needed} item(s), {available} available")]
    StackUnderflow {
        /// Items needed.
        needed: usize,
        /// Items available above the topmost mark.
        available: usize,
    },
    /// An opcode needed a MARK and there was none.
    #[error("could not find MARK")]
    NoMark,
    /// A MARK was found where an object was needed.
    #[error("unexpected MARK where an object was expected")]
    UnexpectedMark,
    /// GET of a memo index that was never PUT.
    #[error("memo value not found at index {0}")]
    MemoMiss(i64),
    /// An inline argument could not be decoded.
    #[error("bad argument: {0}")]
    BadArgument(String),
    /// An operand had the wrong type (e.g. APPEND onto an int).
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the opcode needed.
        expected: &'static str,
        /// What it found (Python's type name).
        found: &'static str,
    },
    /// A dict key or set item that Python cannot hash.
    #[error("unhashable type: '{0}'")]
    Unhashable(&'static str),
    /// A configured limit was exceeded.
    #[error("limit exceeded: {limit} is {max}, this pickle needs {value}")]
    LimitExceeded {
        /// Which limit (the [`Limits`](super::Limits) field name).
        limit: &'static str,
        /// The limit's value.
        max: u64,
        /// The value that exceeded it.
        value: u64,
    },
    /// Bytes after the STOP opcode, with [`trailing_data`](super::LoadOptions::trailing_data) set to reject.
    #[error("{0} byte(s) of trailing data after STOP")]
    TrailingData(u64),
    /// The stream names an extension code that is not registered.
    #[error("unregistered extension code {0}")]
    UnregisteredExtension(i64),
    /// NEXT_BUFFER with no buffer left to take.
    #[error("not enough out-of-band buffers for NEXT_BUFFER")]
    MissingBuffer,
    /// The persistent-load hook failed.
    #[error("persistent load failed: {0}")]
    PersistentLoad(String),
    /// Text that cannot be decoded with the requested encoding.
    #[error("cannot decode: {0}")]
    Decode(String),
    /// Text CPython decodes strictly that does not decode: a GLOBAL name
    /// (UTF-8), an INST name (ASCII), or the start of a bad int literal,
    /// which CPython decodes as UTF-8 to quote it in its message.
    #[error("{what} is not {codec}: b'{}'", .bytes.iter().map(|&b| python_byte(b)).collect::<String>())]
    Undecodable {
        /// The codec CPython uses (`"utf-8"` or `"ascii"`).
        codec: &'static str,
        /// What was being read.
        what: &'static str,
        /// The bytes that do not decode.
        bytes: Vec<u8>,
    },
    /// A value that cannot be pickled (at this protocol).
    #[error("cannot pickle: {0}")]
    Unpicklable(String),
    /// Reading or writing failed.
    #[error("I/O error: {0}")]
    Io(std::io::Error),
    /// A failure from outside the engine: a sink's or a source's own error
    /// (the Python module carries Python exceptions through the machine this way).
    #[error("{0}")]
    External(Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// An error of `kind`, with no position yet (the machine adds the
    /// offset and opcode of the step that failed).
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(Inner { kind, offset: None, opcode: None }))
    }

    pub(crate) fn at(kind: ErrorKind, offset: u64) -> Error {
        Error(Box::new(Inner { kind, offset: Some(offset), opcode: None }))
    }

    /// Fills in where the error happened, unless already known.
    pub(crate) fn locate(mut self, offset: u64, opcode: Option<Opcode>) -> Error {
        if self.0.offset.is_none() {
            self.0.offset = Some(offset);
        }
        if self.0.opcode.is_none() {
            self.0.opcode = opcode;
        }
        self
    }

    /// An error of the given kind, for code outside the engine that runs the
    /// machine (a [`Sink`](super::sink::Sink) rejecting an operand); the
    /// machine adds the offset and opcode.
    ///
    /// ```
    /// use brinery::pickle::{Error, ErrorKind};
    /// let e = Error::from_kind(ErrorKind::WrongType { expected: "list", found: "int" });
    /// assert_eq!(e.to_string(), "expected list, found int");
    /// ```
    pub fn from_kind(kind: ErrorKind) -> Error {
        Error::new(kind)
    }

    pub(crate) fn unpicklable(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unpicklable(msg.into()))
    }

    /// Wraps a sink's or source's own error ([`ErrorKind::External`]).
    ///
    /// ```
    /// use brinery::pickle::{Error, ErrorKind};
    /// let e = Error::external("refused by policy");
    /// assert!(matches!(e.kind(), ErrorKind::External(_)));
    /// assert_eq!(e.to_string(), "refused by policy");
    /// ```
    pub fn external(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
        Error::new(ErrorKind::External(err.into()))
    }

    /// Takes the error apart: what went wrong, the byte offset, the opcode.
    pub fn into_parts(self) -> (ErrorKind, Option<u64>, Option<Opcode>) {
        let inner = *self.0;
        (inner.kind, inner.offset, inner.opcode)
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Byte offset in the input of the opcode that failed (loading only).
    pub fn offset(&self) -> Option<u64> {
        self.0.offset
    }

    /// The opcode that failed, when known.
    pub fn opcode(&self) -> Option<Opcode> {
        self.0.opcode
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.kind)?;
        match (self.0.offset, self.0.opcode) {
            (Some(o), Some(op)) => write!(f, " (at byte {o}, opcode {})", op.name()),
            (Some(o), None) => write!(f, " (at byte {o})"),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({self})")
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Io(e) => Some(e),
            ErrorKind::External(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Io(e))
    }
}

/// A byte as CPython's "invalid load key" message shows it: printable ASCII
/// as itself (except quote and backslash), anything else as `\xNN`.
fn python_byte(b: u8) -> String {
    match b {
        0x20..=0x7e if b != b'\'' && b != b'\\' => (b as char).to_string(),
        _ => format!("\\x{b:02x}"),
    }
}

/// Result type of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;
