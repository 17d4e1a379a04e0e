//! Python `str` at the CPython level (PEP 393): reading a string's code
//! units without re-encoding it, and making strings from the UTF-8
//! (surrogatepass) the engine reads and writes.

use pyo3::ffi;
use pyo3::prelude::*;

/// A `str`'s data in its storage kind.
pub(crate) enum StrUnits<'s> {
    /// Only ASCII: the bytes are also UTF-8.
    Ascii(&'s [u8]),
    /// Latin-1 with at least one byte above 0x7F.
    Ucs1(&'s [u8]),
    Ucs2(&'s [u16]),
    Ucs4(&'s [u32]),
}

/// Calls `f` with the code units of `obj`, a `str` (or subclass).
///
/// # Safety
/// `obj` is a live, ready `str`; the slice lives only for the call, during
/// which nothing may change the string (strings are immutable once shared).
pub(crate) unsafe fn with_str_units<R>(obj: *mut ffi::PyObject, f: impl FnOnce(StrUnits<'_>) -> R) -> R {
    let len = ffi::PyUnicode_GET_LENGTH(obj) as usize;
    let data = ffi::PyUnicode_DATA(obj);
    if ffi::PyUnicode_IS_ASCII(obj) != 0 {
        return f(StrUnits::Ascii(std::slice::from_raw_parts(data as *const u8, len)));
    }
    match ffi::PyUnicode_KIND(obj) {
        ffi::PyUnicode_1BYTE_KIND => f(StrUnits::Ucs1(std::slice::from_raw_parts(data as *const u8, len))),
        ffi::PyUnicode_2BYTE_KIND => f(StrUnits::Ucs2(std::slice::from_raw_parts(data as *const u16, len))),
        _ => f(StrUnits::Ucs4(std::slice::from_raw_parts(data as *const u32, len))),
    }
}

/// The characters of `obj`, a `str`, when it is compact ASCII (most
/// strings): they are also its UTF-8, read with no call into CPython.
///
/// # Safety
/// `obj` is a live `str` that outlives `'s`.
#[inline]
pub(crate) unsafe fn compact_ascii<'s>(obj: *mut ffi::PyObject) -> Option<&'s [u8]> {
    if ffi::PyUnicode_IS_COMPACT_ASCII(obj) == 0 {
        return None;
    }
    let len = ffi::PyUnicode_GET_LENGTH(obj) as usize;
    Some(std::slice::from_raw_parts(ffi::PyUnicode_DATA(obj) as *const u8, len))
}

/// The JSON text the writer produced, as a Python `str`: ASCII is copied
/// straight into a new compact string; other text is decoded from UTF-8
/// (with `surrogatepass` when the writer copied a lone surrogate).
pub(crate) fn str_from_output<'py>(
    py: Python<'py>,
    bytes: &[u8],
    ascii: bool,
    surrogates: bool,
) -> PyResult<Bound<'py, PyAny>> {
    if ascii {
        return ascii_str(py, bytes);
    }
    utf8_str(py, bytes, !surrogates)
}

/// A new `str` from ASCII bytes.
pub(crate) fn ascii_str<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    debug_assert!(bytes.is_ascii());
    // SAFETY: PyUnicode_New(n, 127) makes a compact ASCII string whose data
    // holds exactly n bytes (plus a NUL it writes itself); we fill all n with
    // ASCII before anyone else sees the object.
    unsafe {
        let obj = ffi::PyUnicode_New(bytes.len() as ffi::Py_ssize_t, 127);
        if obj.is_null() {
            return Err(PyErr::fetch(py));
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), ffi::PyUnicode_DATA(obj) as *mut u8, bytes.len());
        Ok(Bound::from_owned_ptr(py, obj))
    }
}

/// A new `str` from UTF-8; `valid` says it holds no lone surrogate
/// (otherwise it is surrogatepass UTF-8).
pub(crate) fn utf8_str<'py>(py: Python<'py>, bytes: &[u8], valid: bool) -> PyResult<Bound<'py, PyAny>> {
    let errors = if valid { std::ptr::null() } else { c"surrogatepass".as_ptr() };
    // SAFETY: the pointer and length describe `bytes`; the result is a new
    // reference or null with an exception set.
    unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyUnicode_DecodeUTF8(bytes.as_ptr().cast(), bytes.len() as ffi::Py_ssize_t, errors),
        )
    }
}

/// A `str`'s text as UTF-8 for the parser: borrowed from the string's
/// cached UTF-8 (free for ASCII strings), or, when it holds lone surrogates,
/// an owned surrogatepass encoding. The flag says it is plain UTF-8.
pub(crate) enum Utf8Text<'py> {
    Borrowed(&'py [u8]),
    Owned(Vec<u8>),
}

impl Utf8Text<'_> {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Utf8Text::Borrowed(b) => b,
            Utf8Text::Owned(v) => v,
        }
    }

    /// Whether the text is plain UTF-8 (no lone surrogate).
    pub(crate) fn valid(&self) -> bool {
        matches!(self, Utf8Text::Borrowed(_))
    }
}

/// The UTF-8 of `s` (see [`Utf8Text`]).
pub(crate) fn str_utf8<'a>(s: &'a Bound<'_, PyAny>) -> PyResult<Utf8Text<'a>> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a str (checked by the caller's downcast); the UTF-8
    // buffer is owned by the string and lives as long as `s` is borrowed.
    unsafe {
        let ptr = ffi::PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut len);
        if !ptr.is_null() {
            return Ok(Utf8Text::Borrowed(std::slice::from_raw_parts(ptr.cast(), len as usize)));
        }
        ffi::PyErr_Clear();
        let bytes = Bound::from_owned_ptr_or_err(
            s.py(),
            ffi::PyUnicode_AsEncodedString(s.as_ptr(), c"utf-8".as_ptr(), c"surrogatepass".as_ptr()),
        )?;
        let data = ffi::PyBytes_AS_STRING(bytes.as_ptr()) as *const u8;
        let n = ffi::PyBytes_Size(bytes.as_ptr()) as usize;
        Ok(Utf8Text::Owned(std::slice::from_raw_parts(data, n).to_vec()))
    }
}
