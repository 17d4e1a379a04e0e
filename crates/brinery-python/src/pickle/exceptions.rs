//! The standard library's pickle exceptions, and how the engine's errors
//! become the Python exceptions CPython's C unpickler raises.

use brinery::pickle::{Error, ErrorKind};
use pyo3::exceptions::{PyEOFError, PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyType};

/// `pickle.PicklingError` / `pickle.UnpicklingError`, imported once.
fn stdlib_exception<'py>(py: Python<'py>, name: &'static str) -> PyResult<Bound<'py, PyType>> {
    static PICKLING: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static UNPICKLING: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let cell = if name == "PicklingError" { &PICKLING } else { &UNPICKLING };
    cell.import(py, "_pickle", name).cloned()
}

/// A `pickle.PicklingError(msg)`.
pub(crate) fn pickling_error(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    match stdlib_exception(py, "PicklingError") {
        Ok(t) => PyErr::from_type(t, msg.into()),
        Err(e) => e,
    }
}

/// A `pickle.UnpicklingError(msg)`.
pub(crate) fn unpickling_error(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    match stdlib_exception(py, "UnpicklingError") {
        Ok(t) => PyErr::from_type(t, msg.into()),
        Err(e) => e,
    }
}

/// Carries a Python exception through the engine (which knows nothing of Python).
pub(crate) fn to_engine(err: PyErr) -> Error {
    Error::external(PyErrBox(err))
}

/// A `PyErr` as a `std::error::Error`, so it can travel inside [`ErrorKind::External`].
#[derive(Debug)]
struct PyErrBox(PyErr);

impl std::fmt::Display for PyErrBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for PyErrBox {}

/// The Python exception for an engine error, following what CPython's C
/// unpickler raises in the same situation.
pub(crate) fn to_python(py: Python<'_>, err: Error) -> PyErr {
    let (kind, offset, opcode) = err.into_parts();
    let message = kind.to_string();
    match kind {
        ErrorKind::External(inner) => match inner.downcast::<PyErrBox>() {
            Ok(b) => locate(py, b.0, offset, opcode.map(|o| o.name())),
            Err(other) => unpickling_error(py, other.to_string()),
        },
        ErrorKind::Empty => PyEOFError::new_err("Ran out of input"),
        // No STOP before the data ends, at an opcode boundary: CPython's EOFError.
        ErrorKind::Truncated { what: "STOP", .. } => PyEOFError::new_err("Ran out of input"),
        ErrorKind::Truncated { .. } => unpickling_error(py, "pickle data was truncated"),
        ErrorKind::UnknownOpcode(_) => unpickling_error(py, format!("{message}.")),
        ErrorKind::UnsupportedProtocol(p) => PyValueError::new_err(format!("unsupported pickle protocol: {p}")),
        ErrorKind::StackUnderflow { .. } => unpickling_error(py, "unpickling stack underflow"),
        ErrorKind::NoMark => unpickling_error(py, "could not find MARK"),
        ErrorKind::UnexpectedMark => unpickling_error(py, "unexpected MARK found"),
        ErrorKind::MemoMiss(i) => unpickling_error(py, format!("Memo value not found at index {i}")),
        ErrorKind::Unhashable(t) => PyTypeError::new_err(format!("unhashable type: '{t}'")),
        ErrorKind::UnregisteredExtension(code) => PyValueError::new_err(format!("unregistered extension code {code}")),
        ErrorKind::MissingBuffer => unpickling_error(py, "not enough out-of-band buffers"),
        // CPython's int() refuses long decimal text with a ValueError.
        ErrorKind::LimitExceeded { limit: "max_int_digits", max, value } => PyValueError::new_err(format!(
            "Exceeds the limit ({max} digits) for integer string conversion: value has {value} digits; \
             use sys.set_int_max_str_digits() to increase the limit"
        )),
        ErrorKind::LimitExceeded { .. } => unpickling_error(py, message),
        ErrorKind::Undecodable { codec, bytes, .. } => decode_error(py, codec, &bytes, message),
        ErrorKind::Io(e) => PyErr::from(e),
        ErrorKind::Unpicklable(msg) => pickling_error(py, msg),
        ErrorKind::BadArgument(msg) => bad_argument(py, msg),
        _ => unpickling_error(py, message),
    }
}

/// Tells an exception that wants to know (it has `_locate`, like
/// `brinery.safe.UnsafeGlobalError`) where in the pickle it was raised.
fn locate(py: Python<'_>, err: PyErr, offset: Option<u64>, opcode: Option<&str>) -> PyErr {
    let value = err.value(py);
    if let (Some(offset), Ok(Some(f))) = (offset, value.getattr_opt("_locate")) {
        if let Err(e) = f.call1((offset, opcode)) {
            return e;
        }
    }
    err
}

/// The `UnicodeDecodeError` CPython's decoder for `codec` raises on `bytes`,
/// as CPython decodes the same text argument.
fn decode_error(py: Python<'_>, codec: &str, bytes: &[u8], message: String) -> PyErr {
    match PyBytes::new(py, bytes).call_method1("decode", (codec,)) {
        Err(e) => e,
        Ok(_) => PyValueError::new_err(message),
    }
}

/// Bad inline arguments: CPython raises `ValueError` for unparsable text
/// numbers and `UnpicklingError` for the rest.
fn bad_argument(py: Python<'_>, msg: String) -> PyErr {
    if msg.starts_with("could not convert")
        || msg.starts_with("invalid literal")
        || msg.starts_with("negative")
        || msg.starts_with("Trailing")
    {
        PyValueError::new_err(msg)
    } else if msg.contains("exceeds")
        || msg.contains("overflow")
        || msg.starts_with("value too large")
        || msg.contains("int too large")
    {
        PyOverflowError::new_err(msg)
    } else {
        unpickling_error(py, msg)
    }
}
