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
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was empty.
    Empty,
    /// The input ended in the middle of a pickle.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes left.
        available: u64,
    },
    /// A byte that is no opcode.
    UnknownOpcode(u8),
    /// PROTO with a protocol newer than 5.
    UnsupportedProtocol(u8),
    /// An opcode needed more stack items than there were.
    StackUnderflow {
        /// Items needed.
        needed: usize,
        /// Items available above the topmost mark.
        available: usize,
    },
    /// An opcode needed a MARK and there was none.
    NoMark,
    /// A MARK was found where an object was needed.
    UnexpectedMark,
    /// GET of a memo index that was never PUT.
    MemoMiss(u64),
    /// An inline argument could not be decoded.
    BadArgument(String),
    /// An operand had the wrong type (e.g. APPEND onto an int).
    WrongType {
        /// What the opcode needed.
        expected: &'static str,
        /// What it found (Python's type name).
        found: &'static str,
    },
    /// A dict key or set item that Python cannot hash.
    Unhashable(&'static str),
    /// A configured limit was exceeded.
    LimitExceeded {
        /// Which limit (the [`Limits`](super::Limits) field name).
        limit: &'static str,
        /// The limit's value.
        max: u64,
        /// The value that exceeded it.
        value: u64,
    },
    /// Bytes after the STOP opcode, with [`trailing_data`](super::LoadOptions::trailing_data) set to reject.
    TrailingData(u64),
    /// The stream names an extension code that is not registered.
    UnregisteredExtension(i64),
    /// NEXT_BUFFER with no buffer left to take.
    MissingBuffer,
    /// The persistent-load hook failed.
    PersistentLoad(String),
    /// Text that cannot be decoded with the requested encoding.
    Decode(String),
    /// A value that cannot be pickled (at this protocol).
    Unpicklable(String),
    /// Reading or writing failed.
    Io(std::io::Error),
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
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

    pub(crate) fn unpicklable(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unpicklable(msg.into()))
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

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Empty => write!(f, "ran out of input: the pickle is empty"),
            ErrorKind::Truncated { what, needed, available } => {
                write!(f, "pickle data was truncated: {what} needs {needed} more byte(s), {available} available")
            }
            ErrorKind::UnknownOpcode(b) => write!(f, "invalid load key, {:?}", *b as char),
            ErrorKind::UnsupportedProtocol(p) => write!(f, "unsupported pickle protocol: {p}"),
            ErrorKind::StackUnderflow { needed, available } => {
                write!(f, "unpickling stack underflow: needs {needed} item(s), {available} available")
            }
            ErrorKind::NoMark => write!(f, "could not find MARK"),
            ErrorKind::UnexpectedMark => write!(f, "unexpected MARK where an object was expected"),
            ErrorKind::MemoMiss(i) => write!(f, "memo value not found at index {i}"),
            ErrorKind::BadArgument(msg) => write!(f, "bad argument: {msg}"),
            ErrorKind::WrongType { expected, found } => write!(f, "expected {expected}, found {found}"),
            ErrorKind::Unhashable(t) => write!(f, "unhashable type: '{t}'"),
            ErrorKind::LimitExceeded { limit, max, value } => {
                write!(f, "limit exceeded: {limit} is {max}, this pickle needs {value}")
            }
            ErrorKind::TrailingData(n) => write!(f, "{n} byte(s) of trailing data after STOP"),
            ErrorKind::UnregisteredExtension(code) => write!(f, "unregistered extension code {code}"),
            ErrorKind::MissingBuffer => write!(f, "not enough out-of-band buffers for NEXT_BUFFER"),
            ErrorKind::PersistentLoad(msg) => write!(f, "persistent load failed: {msg}"),
            ErrorKind::Decode(msg) => write!(f, "cannot decode: {msg}"),
            ErrorKind::Unpicklable(msg) => write!(f, "cannot pickle: {msg}"),
            ErrorKind::Io(e) => write!(f, "I/O error: {e}"),
        }
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
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Io(e))
    }
}

/// Result type of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;
