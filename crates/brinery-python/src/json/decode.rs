//! JSON text to Python objects: the engine's one parser with a sink that
//! builds CPython objects the way `_json.c`'s scanner does — the key memo
//! (equal keys are one `str`), `parse_int`/`parse_float`/`parse_constant`
//! called with the exact text as numbers are met, `object_pairs_hook` (or a
//! dict, then `object_hook`) as objects end, and the recursion limit.

use super::text::{ascii_str, compact_ascii, utf8_str};
use crate::sequence::{self, Sequence};
use crate::str_cache::{self, StrCacheLease};
use brinery::json::{self, Constant, ErrorKind, LoadOptions, Sink, StrText};
use pyo3::exceptions::PyRecursionError;
use pyo3::ffi;
use pyo3::prelude::*;
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// The decoding hooks of `json.loads` (`None` where the default applies:
/// `int`, `float`, the built-in constants, a plain dict).
pub(crate) struct Hooks<'py> {
    pub(crate) object_hook: Option<Bound<'py, PyAny>>,
    pub(crate) object_pairs_hook: Option<Bound<'py, PyAny>>,
    pub(crate) parse_float: Option<Bound<'py, PyAny>>,
    pub(crate) parse_int: Option<Bound<'py, PyAny>>,
    pub(crate) parse_constant: Option<Bound<'py, PyAny>>,
}

impl Hooks<'_> {
    /// Whether any hook is set.
    pub(crate) fn any(&self) -> bool {
        self.object_hook.is_some()
            || self.object_pairs_hook.is_some()
            || self.parse_float.is_some()
            || self.parse_int.is_some()
            || self.parse_constant.is_some()
    }
}

/// Why a parse stopped: the text is not JSON, or Python raised. Boxed, so
/// the parser's results stay two words wide on the success path.
pub(crate) struct ParseError(Box<Failure>);

enum Failure {
    Json(json::Error),
    Python(PyErr),
}

impl From<json::Error> for ParseError {
    fn from(e: json::Error) -> Self {
        ParseError(Box::new(Failure::Json(e)))
    }
}

impl From<PyErr> for ParseError {
    fn from(e: PyErr) -> Self {
        ParseError(Box::new(Failure::Python(e)))
    }
}

impl ParseError {
    /// The Python exception: `JSONDecodeError(msg, doc, pos)` for syntax
    /// errors, where `doc()` makes the document they point into.
    pub(crate) fn into_pyerr(self, py: Python<'_>, doc: impl FnOnce() -> PyResult<Py<PyAny>>) -> PyErr {
        let e = match *self.0 {
            Failure::Python(e) => return e,
            Failure::Json(e) => e,
        };
        match (e.kind(), e.position()) {
            (ErrorKind::Syntax(msg), Some(at)) => {
                let raise = || -> PyResult<PyErr> {
                    let class = py.import("json")?.getattr("JSONDecodeError")?;
                    let exc = class.call1((*msg, doc()?, at.char))?;
                    Ok(PyErr::from_value(exc))
                };
                raise().unwrap_or_else(|e| e)
            }
            _ => pyo3::exceptions::PyValueError::new_err(e.to_string()),
        }
    }
}

/// Parses `text` (UTF-8; `valid` says it holds no lone surrogate) from byte
/// `start`: the whole document (`prefix` false), or the one value at `start`
/// (`prefix` true), returning it with the byte offset after it.
pub(crate) fn parse<'py>(
    py: Python<'py>,
    text: &[u8],
    valid: bool,
    strict: bool,
    hooks: &Hooks<'py>,
    prefix: Option<usize>,
) -> Result<(Bound<'py, PyAny>, usize), ParseError> {
    // Depth is bounded by Python's recursion limit (`PySink::enter`).
    let opts = LoadOptions { strict, max_depth: usize::MAX, max_int_digits: 0 };
    let mut sink = PySink { py, hooks, keys: FxHashMap::default(), known_keys: str_cache::lease() };
    match prefix {
        None => Ok((json::parse_with(text, valid, &opts, &mut sink)?, text.len())),
        Some(start) => json::parse_prefix_with(text, start, valid, &opts, &mut sink),
    }
}

/// Builds Python objects from what the parser finds.
struct PySink<'a, 'h, 'py> {
    py: Python<'py>,
    hooks: &'h Hooks<'py>,
    /// CPython's memo: every distinct object key met so far.
    keys: FxHashMap<Cow<'a, [u8]>, Bound<'py, PyAny>>,
    /// Short ASCII keys of earlier documents (the memo's new entries come from it).
    known_keys: Option<StrCacheLease>,
}

type Built<'py> = Result<Bound<'py, PyAny>, ParseError>;

// `_PyDict_NewPresized` is exported by CPython 3.x (used by its own
// extension modules); pyo3-ffi leaves private names out.
extern "C" {
    fn _PyDict_NewPresized(minused: ffi::Py_ssize_t) -> *mut ffi::PyObject;
}

impl<'a, 'py> PySink<'a, '_, 'py> {
    /// [`Sink::key`] for a key the shared cache does not hold.
    #[inline(never)]
    fn key_not_cached(&mut self, text: StrText<'a, '_>, utf8: bool) -> Built<'py> {
        let py = self.py;
        let bytes = text.bytes();
        let key = match self.keys.get(bytes) {
            Some(known) => known.clone(),
            None => {
                let made = self.make_str(bytes, utf8)?;
                let memo_key = match text {
                    StrText::Input(slice) => Cow::Borrowed(slice),
                    StrText::Scratch(scratch) => Cow::Owned(scratch.to_vec()),
                };
                self.keys.insert(memo_key, made.clone());
                made
            }
        };
        if let Some(cache) = self.known_keys.as_mut() {
            if let Some(replaced) = cache.install(&key) {
                let replaced = replaced.into_bound(py);
                // SAFETY: the cache holds only live compact ASCII strs.
                if let Some(text) = unsafe { compact_ascii(replaced.as_ptr()) } {
                    self.keys.entry(Cow::Owned(text.to_vec())).or_insert(replaced);
                }
            }
        }
        Ok(key)
    }
}

impl<'py> PySink<'_, '_, 'py> {
    /// Takes a new reference from the C API.
    fn owned(&self, ptr: *mut ffi::PyObject) -> Built<'py> {
        // SAFETY: every caller passes a C API result: a new reference or
        // null with an exception set.
        unsafe { Ok(Bound::from_owned_ptr_or_err(self.py, ptr)?) }
    }

    /// A str from the parser's text (ASCII is copied straight in).
    fn make_str(&self, bytes: &[u8], utf8: bool) -> Built<'py> {
        if bytes.is_ascii() {
            return Ok(ascii_str(self.py, bytes)?);
        }
        Ok(utf8_str(self.py, bytes, utf8)?)
    }

    /// `hook(text)` for a number or constant.
    fn call_with_text(&self, hook: &Bound<'py, PyAny>, text: &[u8]) -> Built<'py> {
        Ok(hook.call1((ascii_str(self.py, text)?,))?)
    }
}

impl<'a, 'py> Sink<'a> for PySink<'a, '_, 'py> {
    type Value = Bound<'py, PyAny>;
    type Key = Bound<'py, PyAny>;
    type Error = ParseError;

    #[inline]
    fn null(&mut self) -> Built<'py> {
        Ok(self.py.None().into_bound(self.py))
    }

    #[inline]
    fn bool(&mut self, value: bool) -> Built<'py> {
        Ok(pyo3::types::PyBool::new(self.py, value).to_owned().into_any())
    }

    #[inline]
    fn int(&mut self, text: &'a [u8], small: Option<i64>, _at: usize) -> Built<'py> {
        if let Some(hook) = &self.hooks.parse_int {
            return self.call_with_text(hook, text);
        }
        if let Some(v) = small {
            if let Some(small_int) = crate::small_ints::small_int(self.py, v) {
                return Ok(small_int.into_bound(self.py));
            }
            // SAFETY: returns a new reference (or null with an exception).
            return self.owned(unsafe { ffi::PyLong_FromLongLong(v) });
        }
        // `int(text)`, digit limit and its message included.
        let mut digits = Vec::with_capacity(text.len() + 1);
        digits.extend_from_slice(text);
        digits.push(0);
        // SAFETY: `digits` is NUL-terminated ASCII.
        self.owned(unsafe { ffi::PyLong_FromString(digits.as_ptr().cast(), std::ptr::null_mut(), 10) })
    }

    #[inline]
    fn float(&mut self, text: &'a [u8], value: f64) -> Built<'py> {
        match &self.hooks.parse_float {
            Some(hook) => self.call_with_text(hook, text),
            // SAFETY: returns a new reference (or null with an exception).
            None => self.owned(unsafe { ffi::PyFloat_FromDouble(value) }),
        }
    }

    fn constant(&mut self, constant: Constant) -> Built<'py> {
        match &self.hooks.parse_constant {
            Some(hook) => self.call_with_text(hook, constant.text().as_bytes()),
            // SAFETY: returns a new reference (or null with an exception).
            None => self.owned(unsafe { ffi::PyFloat_FromDouble(constant.value()) }),
        }
    }

    #[inline]
    fn str(&mut self, text: StrText<'a, '_>, utf8: bool) -> Built<'py> {
        self.make_str(text.bytes(), utf8)
    }

    /// An object key: equal keys of one document are one `str`, as in
    /// CPython. Short ASCII keys come from the shared cache when it is
    /// leased; any other key is found in, or added to, the document's memo.
    /// A string the cache gives up during the document moves to the memo,
    /// so a text handed out once is always handed out as the same object.
    #[inline]
    fn key(&mut self, text: StrText<'a, '_>, utf8: bool) -> Built<'py> {
        if let Some(hit) = self.known_keys.as_ref().and_then(|cache| cache.lookup(self.py, text.bytes())) {
            return Ok(hit);
        }
        self.key_not_cached(text, utf8)
    }

    fn enter(&mut self, object: bool) -> Result<(), ParseError> {
        let what = if object {
            c" while decoding a JSON object from a unicode string"
        } else {
            c" while decoding a JSON array from a unicode string"
        };
        // SAFETY: the GIL is held; paired with `leave`, which the parser
        // calls for every successful `enter`.
        if unsafe { ffi::Py_EnterRecursiveCall(what.as_ptr()) } != 0 {
            return Err(PyErr::take(self.py)
                .unwrap_or_else(|| PyRecursionError::new_err("maximum recursion depth exceeded"))
                .into());
        }
        Ok(())
    }

    fn leave(&mut self) {
        // SAFETY: matches the `Py_EnterRecursiveCall` of `enter`.
        unsafe { ffi::Py_LeaveRecursiveCall() }
    }

    fn array(&mut self, items: std::vec::Drain<'_, Bound<'py, PyAny>>) -> Built<'py> {
        let list = sequence::filled(self.py, items, Sequence::List)?;
        Ok(list.into_bound(self.py))
    }

    fn object(&mut self, entries: std::vec::Drain<'_, (Bound<'py, PyAny>, Bound<'py, PyAny>)>) -> Built<'py> {
        if let Some(hook) = &self.hooks.object_pairs_hook {
            let pairs: Vec<_> =
                entries.map(|(k, v)| pyo3::types::PyTuple::new(self.py, [k, v])).collect::<PyResult<_>>()?;
            let pairs = pyo3::types::PyList::new(self.py, pairs)?;
            return Ok(hook.call1((pairs,))?);
        }
        // SAFETY: a new dict; SetItem does not steal its arguments.
        let dict = unsafe {
            let dict = self.owned(_PyDict_NewPresized(entries.len() as ffi::Py_ssize_t))?;
            for (k, v) in entries {
                if ffi::PyDict_SetItem(dict.as_ptr(), k.as_ptr(), v.as_ptr()) != 0 {
                    return Err(PyErr::fetch(self.py).into());
                }
            }
            dict
        };
        match &self.hooks.object_hook {
            Some(hook) => Ok(hook.call1((dict,))?),
            None => Ok(dict),
        }
    }
}
