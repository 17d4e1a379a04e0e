//! Python objects to JSON text: a walker over CPython objects that drives the
//! engine's one JSON [`Writer`], deciding types exactly as CPython's C
//! encoder (`Modules/_json.c`, `encoder_listencode_obj`) does: exact-type
//! checks first, then subclasses the way C sees them (int subclasses through
//! `int.__repr__`, str subclasses by their data, list/tuple subclasses
//! iterated, dict subclasses through `items()`), `default` for the rest.

use super::open_dicts::{FrameId, OpenDicts};
use super::text::{compact_ascii, str_from_output, with_str_units, StrUnits};
use brinery::json::{DumpOptions, ErrorKind, Indent, Writer};
use brinery::size_hint::SizeHint;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use rustc_hash::FxHashSet;
use std::ptr::addr_of_mut;

/// What `json.dumps`' keyword arguments ask of the walk (the layout ones
/// go to the [`Writer`]).
pub(crate) struct EncodeOptions<'py> {
    pub(crate) default: Bound<'py, PyAny>,
    pub(crate) skipkeys: bool,
    pub(crate) sort_keys: bool,
    pub(crate) check_circular: bool,
    pub(crate) allow_nan: bool,
    /// Word errors as the pure-Python encoder does (CPython takes it when
    /// `indent` is set or when not encoding in one shot, as `json.dump`).
    pub(crate) python_messages: bool,
}

/// Encodes `obj` to a Python `str`.
pub(crate) fn encode<'py>(
    obj: &Bound<'py, PyAny>,
    opts: EncodeOptions<'py>,
    ensure_ascii: bool,
    indent: Option<&str>,
    separators: (&str, &str),
) -> PyResult<Bound<'py, PyAny>> {
    let dump_opts = DumpOptions {
        indent: indent.map(Indent::from),
        separators: Some((separators.0.to_owned(), separators.1.to_owned())),
        ensure_ascii,
        allow_nan: opts.allow_nan,
        ..DumpOptions::default()
    };
    let mut writer = Writer::new(&dump_opts);
    // Documents tend to be like the last one: start with its size.
    writer.reserve(LAST_SIZE.get());
    let mut encoder = Encoder { w: writer, opts, markers: Path::default(), open: OpenDicts::default(), depth: 0 };
    // SAFETY: `obj` is a live object; the walk holds the GIL throughout.
    unsafe { encoder.value(obj.as_ptr())? };
    let wrote_surrogate = encoder.w.wrote_surrogate();
    LAST_SIZE.record(encoder.w.bytes().len());
    str_from_output(obj.py(), &encoder.w.into_bytes(), ensure_ascii, wrote_surrogate)
}

/// The size of the last document written, as a first capacity for the next.
static LAST_SIZE: SizeHint = SizeHint::new();

struct Encoder<'py> {
    w: Writer,
    opts: EncodeOptions<'py>,
    /// The containers being written (`check_circular`).
    markers: Path,
    /// The exact dicts being written.
    open: OpenDicts<'py>,
    depth: usize,
}

/// Takes ownership of a new reference returned by the C API (or the error).
///
/// # Safety
/// `ptr` is a new reference or null with an exception set.
unsafe fn owned<'py>(py: Python<'py>, ptr: *mut ffi::PyObject) -> PyResult<Bound<'py, PyAny>> {
    Bound::from_owned_ptr_or_err(py, ptr)
}

/// The exact type check `Py_IS_TYPE(obj, &T)`.
macro_rules! is_type {
    ($obj:expr, $ty:ident) => {
        ffi::Py_TYPE($obj) == addr_of_mut!(ffi::$ty)
    };
}

impl<'py> Encoder<'py> {
    fn py(&self) -> Python<'py> {
        self.opts.default.py()
    }

    /// Writes any object (`encoder_listencode_obj`).
    ///
    /// # Safety
    /// `obj` is a live object borrowed for the duration of the call.
    #[inline]
    unsafe fn value(&mut self, obj: *mut ffi::PyObject) -> PyResult<()> {
        // Exact types first (a pointer compare each), then what C accepts
        // of their subclasses, in C's order.
        if is_atom(obj) {
            return self.atom(obj);
        }
        let ty = ffi::Py_TYPE(obj);
        if ty == addr_of_mut!(ffi::PyDict_Type) {
            self.nested(|e| e.dict(obj))
        } else if ty == addr_of_mut!(ffi::PyList_Type) || ty == addr_of_mut!(ffi::PyTuple_Type) {
            self.nested(|e| e.sequence(obj))
        } else {
            self.subclass_or_default(obj)
        }
    }

    /// Writes an [atom](is_atom).
    ///
    /// # Safety
    /// `obj` is a live object for which [`is_atom`] holds.
    #[inline(always)]
    unsafe fn atom(&mut self, obj: *mut ffi::PyObject) -> PyResult<()> {
        let ty = ffi::Py_TYPE(obj);
        if ty == addr_of_mut!(ffi::PyUnicode_Type) {
            self.str(obj);
        } else if ty == addr_of_mut!(ffi::PyLong_Type) {
            self.int(obj)?;
        } else if ty == addr_of_mut!(ffi::PyFloat_Type) {
            self.float(ffi::PyFloat_AS_DOUBLE(obj))?;
        } else if obj == ffi::Py_None() {
            self.w.null();
        } else {
            self.w.bool(obj == ffi::Py_True());
        }
        Ok(())
    }

    /// Anything but an exact atom, dict, list or tuple: subclasses the way
    /// C sees them, `default` for the rest.
    #[inline(never)]
    unsafe fn subclass_or_default(&mut self, obj: *mut ffi::PyObject) -> PyResult<()> {
        if ffi::PyUnicode_Check(obj) != 0 {
            self.str(obj);
        } else if ffi::PyLong_Check(obj) != 0 {
            self.int(obj)?;
        } else if ffi::PyFloat_Check(obj) != 0 {
            self.float(ffi::PyFloat_AS_DOUBLE(obj))?;
        } else if ffi::PyList_Check(obj) != 0 || ffi::PyTuple_Check(obj) != 0 {
            // Subclasses are iterated, honouring `__iter__`: C's
            // `PySequence_Fast` words a failure its own way, Python does not.
            self.open.hold_all(self.py());
            let items = if self.opts.python_messages {
                owned(self.py(), ffi::PySequence_List(obj))?
            } else {
                owned(self.py(), ffi::PySequence_Fast(obj, c"_iterencode_list needs a sequence".as_ptr()))?
            };
            self.nested(|e| e.sequence(items.as_ptr()))?;
        } else if ffi::PyDict_Check(obj) != 0 {
            self.nested(|e| e.dict(obj))?;
        } else {
            self.default(obj)?;
        }
        Ok(())
    }

    /// A str or str subclass, from its code units (never its `__str__`).
    #[inline(always)]
    unsafe fn str(&mut self, obj: *mut ffi::PyObject) {
        match compact_ascii(obj) {
            Some(ascii) => self.w.str(ascii, true),
            None => self.str_units(obj),
        }
    }

    /// [`Encoder::str`] for strings that are not compact ASCII.
    #[inline(never)]
    unsafe fn str_units(&mut self, obj: *mut ffi::PyObject) {
        with_str_units(obj, |units| match units {
            StrUnits::Ascii(bytes) => self.w.str(bytes, true),
            StrUnits::Ucs1(units) => self.w.str_units(units),
            StrUnits::Ucs2(units) => self.w.str_units(units),
            StrUnits::Ucs4(units) => self.w.str_units(units),
        })
    }

    /// An int or int subclass.
    #[inline(always)]
    unsafe fn int(&mut self, obj: *mut ffi::PyObject) -> PyResult<()> {
        match int_as_i64(obj) {
            Some(v) => {
                self.w.i64(v);
                Ok(())
            }
            None => self.big_int(obj),
        }
    }

    /// An int past 64 bits: its `int.__repr__` (digit limit included).
    #[inline(never)]
    unsafe fn big_int(&mut self, obj: *mut ffi::PyObject) -> PyResult<()> {
        let w = &mut self.w;
        with_int_digits(self.opts.default.py(), obj, |digits| w.int_text(digits))
    }

    fn float(&mut self, x: f64) -> PyResult<()> {
        self.w.float(x).map_err(|e| match e.kind() {
            ErrorKind::OutOfRangeFloat(_) => out_of_range(x, self.opts.python_messages),
            _ => PyValueError::new_err(e.to_string()),
        })
    }

    /// A container one level deeper: the circular check and the recursion
    /// limit, as C wraps `encoder_listencode_list`/`_dict`.
    unsafe fn nested(&mut self, write: impl FnOnce(&mut Self) -> PyResult<()>) -> PyResult<()> {
        if ffi::Py_EnterRecursiveCall(c" while encoding a JSON object".as_ptr()) != 0 {
            return Err(PyErr::fetch(self.py()));
        }
        self.depth += 1;
        let result =
            if self.depth % 16 == 0 { stacker::maybe_grow(256 * 1024, 4 << 20, || write(self)) } else { write(self) };
        self.depth -= 1;
        ffi::Py_LeaveRecursiveCall();
        result
    }

    /// Marks `obj` as being written; `Circular reference detected` if it is.
    fn enter_marker(&mut self, obj: *mut ffi::PyObject) -> PyResult<()> {
        if self.opts.check_circular {
            if self.markers.contains(obj) {
                return Err(PyValueError::new_err("Circular reference detected"));
            }
            self.markers.push(obj);
        }
        Ok(())
    }

    fn leave_marker(&mut self) {
        if self.opts.check_circular {
            self.markers.pop();
        }
    }

    /// The items of an exact list or tuple (`items`), written as an array.
    unsafe fn sequence(&mut self, items: *mut ffi::PyObject) -> PyResult<()> {
        let len = ffi::PySequence_Fast_GET_SIZE(items);
        if len == 0 {
            self.w.open(b'[', false);
            self.w.close(b']', false);
            return Ok(());
        }
        self.enter_marker(items)?;
        self.w.open(b'[', true);
        let mut i = 0;
        // The length is read again each time: `default` may change the list.
        while i < ffi::PySequence_Fast_GET_SIZE(items) {
            if i > 0 {
                self.w.separator();
            }
            let item = *ffi::PySequence_Fast_ITEMS(items).offset(i);
            if is_atom(item) {
                self.atom(item)?;
            } else {
                // Held for the call: `default` may drop it from the list.
                let item = Bound::from_borrowed_ptr(self.py(), item);
                self.value(item.as_ptr())?;
            }
            i += 1;
        }
        self.w.close(b']', true);
        self.leave_marker();
        Ok(())
    }

    /// A dict or dict subclass, written as an object.
    unsafe fn dict(&mut self, obj: *mut ffi::PyObject) -> PyResult<()> {
        if ffi::PyDict_Size(obj) == 0 {
            self.w.open(b'{', false);
            self.w.close(b'}', false);
            return Ok(());
        }
        self.enter_marker(obj)?;
        self.w.open(b'{', true);
        let mut first = true;
        if is_type!(obj, PyDict_Type) && !self.opts.sort_keys {
            let frame = self.open.open(obj);
            let result = self.exact_dict_entries(frame, &mut first);
            self.open.close(frame);
            result?;
        } else {
            // `PyMapping_Items`: `dict.items()` for subclasses, honouring
            // overrides; sorting may compare keys with Python code.
            self.open.hold_all(self.py());
            let items = owned(self.py(), ffi::PyMapping_Items(obj))?;
            if self.opts.sort_keys && ffi::PyList_Sort(items.as_ptr()) != 0 {
                return Err(PyErr::fetch(self.py()));
            }
            for item in items.try_iter()? {
                let item = item?;
                let pair = item.as_ptr();
                if ffi::PyTuple_Check(pair) == 0 || ffi::PyTuple_GET_SIZE(pair) != 2 {
                    return Err(PyValueError::new_err("items must return 2-tuples"));
                }
                if self.key(ffi::PyTuple_GET_ITEM(pair, 0), &mut first)? {
                    self.value(ffi::PyTuple_GET_ITEM(pair, 1))?;
                }
            }
        }
        self.w.close(b'}', true);
        self.leave_marker();
        Ok(())
    }

    /// The entries of an exact dict, read through [`OpenDicts`].
    unsafe fn exact_dict_entries(&mut self, frame: FrameId, first: &mut bool) -> PyResult<()> {
        while let Some((key, value)) = self.open.next(frame) {
            if is_atom(value) {
                if self.key(key, first)? {
                    self.atom(value)?;
                }
            } else if self.key(key, first)? {
                // Held for the write: Python code run inside it may drop it
                // from the dict.
                let value = Bound::from_borrowed_ptr(self.py(), value);
                self.value(value.as_ptr())?;
            }
        }
        Ok(())
    }

    /// An entry's key and the separator after it, the key coerced as C
    /// does; false when the key is skipped (`skipkeys`), with nothing written.
    #[inline(always)]
    unsafe fn key(&mut self, key: *mut ffi::PyObject, first: &mut bool) -> PyResult<bool> {
        if is_type!(key, PyUnicode_Type) {
            self.entry_separator(first);
            self.str(key);
        } else if !self.other_key(key, first)? {
            return Ok(false);
        }
        self.w.key_end();
        Ok(true)
    }

    /// The separator before an entry, unless it is the first written.
    #[inline(always)]
    fn entry_separator(&mut self, first: &mut bool) {
        if !*first {
            self.w.separator();
        }
        *first = false;
    }

    /// [`Encoder::key`] for keys that are not exact strs.
    #[inline(never)]
    unsafe fn other_key(&mut self, key: *mut ffi::PyObject, first: &mut bool) -> PyResult<bool> {
        let is_str = ffi::PyUnicode_Check(key) != 0;
        let is_known = is_str
            || ffi::PyFloat_Check(key) != 0
            || key == ffi::Py_True()
            || key == ffi::Py_False()
            || key == ffi::Py_None()
            || ffi::PyLong_Check(key) != 0;
        if !is_known {
            if self.opts.skipkeys {
                return Ok(false);
            }
            return Err(PyTypeError::new_err(format!(
                "keys must be str, int, float, bool or None, not {}",
                self.key_type_name(key)
            )));
        }
        self.entry_separator(first);
        if is_str {
            self.str(key);
        } else if ffi::PyFloat_Check(key) != 0 {
            let x = ffi::PyFloat_AS_DOUBLE(key);
            let python_messages = self.opts.python_messages;
            self.w.quoted(|w| w.float(x)).map_err(|_| out_of_range(x, python_messages))?;
        } else if key == ffi::Py_True() {
            self.w.key_text(b"true");
        } else if key == ffi::Py_False() {
            self.w.key_text(b"false");
        } else if key == ffi::Py_None() {
            self.w.key_text(b"null");
        } else {
            let w = &mut self.w;
            with_int_digits(self.opts.default.py(), key, |digits| w.key_text(digits))?;
        }
        Ok(true)
    }

    /// The type's name in the bad-key message: C prints `tp_name` (qualified
    /// for C types: `decimal.Decimal`), Python `__class__.__name__`.
    unsafe fn key_type_name(&mut self, key: *mut ffi::PyObject) -> String {
        let key = Bound::from_borrowed_ptr(self.py(), key);
        if self.opts.python_messages {
            // `__class__` may be Python code.
            self.open.hold_all(self.py());
            return key
                .getattr("__class__")
                .and_then(|c| c.getattr("__name__"))
                .map(|n| n.to_string())
                .unwrap_or_default();
        }
        let name = std::ffi::CStr::from_ptr((*ffi::Py_TYPE(key.as_ptr())).tp_name);
        name.to_string_lossy().into_owned()
    }

    /// Anything else: `default(obj)` is written in its place, with `obj`
    /// marked so a `default` that returns it again is a circular reference.
    unsafe fn default(&mut self, obj: *mut ffi::PyObject) -> PyResult<()> {
        self.enter_marker(obj)?;
        self.open.hold_all(self.py());
        let replacement = owned(self.py(), ffi::PyObject_CallOneArg(self.opts.default.as_ptr(), obj))?;
        self.nested(|e| e.value(replacement.as_ptr()))?;
        self.leave_marker();
        Ok(())
    }
}

/// Whether writing `obj` runs no Python code: an exact str, int or float,
/// `None`, `True` or `False`.
///
/// # Safety
/// `obj` is a live object.
#[inline(always)]
unsafe fn is_atom(obj: *mut ffi::PyObject) -> bool {
    is_type!(obj, PyUnicode_Type)
        || is_type!(obj, PyLong_Type)
        || is_type!(obj, PyFloat_Type)
        || obj == ffi::Py_None()
        || obj == ffi::Py_True()
        || obj == ffi::Py_False()
}

/// The containers on the path from the root to the value being written:
/// C's `markers` dict holds exactly these. Paths are short, so the first
/// levels are searched in a stack (cheaper than hashing); levels beyond
/// [`Path::SCANNED`] are also kept in a set, so deep nesting stays linear.
#[derive(Default)]
struct Path {
    stack: Vec<*mut ffi::PyObject>,
    deep: FxHashSet<usize>,
}

impl Path {
    const SCANNED: usize = 64;

    fn contains(&self, obj: *mut ffi::PyObject) -> bool {
        let scanned = &self.stack[..self.stack.len().min(Self::SCANNED)];
        scanned.contains(&obj) || (!self.deep.is_empty() && self.deep.contains(&(obj as usize)))
    }

    fn push(&mut self, obj: *mut ffi::PyObject) {
        if self.stack.len() >= Self::SCANNED {
            self.deep.insert(obj as usize);
        }
        self.stack.push(obj);
    }

    fn pop(&mut self) {
        if let Some(obj) = self.stack.pop() {
            if self.stack.len() >= Self::SCANNED {
                self.deep.remove(&(obj as usize));
            }
        }
    }
}

/// Calls `f` with the decimal text of an int or int subclass: `int.__repr__`,
/// as C uses for keys and values (so digit limits and their errors are
/// CPython's own), with a shortcut for ints that fit 64 bits.
///
/// # Safety
/// `obj` is a live `int` (or subclass).
unsafe fn with_int_digits<R>(py: Python<'_>, obj: *mut ffi::PyObject, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Some(v) = int_as_i64(obj) {
        return Ok(f(itoa::Buffer::new().format(v).as_bytes()));
    }
    let repr = (*addr_of_mut!(ffi::PyLong_Type)).tp_repr.expect("int has a repr");
    let text = owned(py, repr(obj))?;
    Ok(with_str_units(text.as_ptr(), |units| match units {
        StrUnits::Ascii(digits) => f(digits),
        _ => unreachable!("int.__repr__ is ASCII"),
    }))
}

/// The value of an int (or subclass) that fits 64 bits.
///
/// # Safety
/// `obj` is a live `int` (or subclass).
#[inline(always)]
unsafe fn int_as_i64(obj: *mut ffi::PyObject) -> Option<i64> {
    let mut overflow = 0;
    let v = ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow);
    // An int cannot fail to convert but by overflowing.
    debug_assert!(overflow != 0 || v != -1 || ffi::PyErr_Occurred().is_null());
    (overflow == 0).then_some(v)
}

/// `allow_nan=False` met NaN or an infinity; Python 3.11's pure-Python
/// encoder names the value, its C encoder does not.
fn out_of_range(x: f64, python_messages: bool) -> PyErr {
    let base = "Out of range float values are not JSON compliant";
    // The C encoder names the value too from Python 3.12 on.
    let names_value = python_messages || Python::attach(|py| py.version_info() >= (3, 12));
    if !names_value {
        return PyValueError::new_err(base);
    }
    let shown = if x.is_nan() {
        "nan"
    } else if x > 0.0 {
        "inf"
    } else {
        "-inf"
    };
    PyValueError::new_err(format!("{base}: {shown}"))
}
