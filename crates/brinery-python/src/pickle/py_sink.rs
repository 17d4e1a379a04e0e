//! The machine's Python sink: builds real Python objects, with the object
//! semantics of CPython's C unpickler (`load_build`, `do_append`,
//! `instantiate`, NEWOBJ through `tp_new`, …). Globals go through the
//! unpickler's `find_class`, so a subclass (or the safe loader) decides what
//! may be imported.

use super::exceptions::{to_engine, unpickling_error};
use super::unpickler::resolve_global;
use crate::sequence::{self, Sequence};
use crate::str_cache::{self, StrCacheLease};
use brinery::pickle::sink::Sink;
use brinery::pickle::Result;
use brinery::value::{Int, Str};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyFrozenSet, PyList, PySet, PyString, PyTuple, PyType};
use std::borrow::Cow;

pub(crate) use super::obj::Obj;

/// Who answers `find_class` and `persistent_load`, and learns the protocol.
pub(crate) enum Loader<'py> {
    /// An `Unpickler` (or subclass) object: its methods are looked up and
    /// called as CPython calls them, so a subclass (or the safe loader)
    /// decides what may be imported.
    Object(Bound<'py, PyAny>),
    /// The module-level `load`/`loads`, where no code can see the unpickler:
    /// the base class's `find_class`, no persistent ids, and no object made.
    Module { fix_imports: bool, proto: u8 },
}

/// Builds Python objects for the machine.
pub(crate) struct PySink<'py> {
    py: Python<'py>,
    loader: Loader<'py>,
    /// Iterator over the out-of-band buffers (`None`: no `buffers` given).
    buffers: Option<Bound<'py, PyAny>>,
    /// Python 2 strings: the codec and error handler (`encoding='bytes'` never gets here).
    codec: (String, String),
    /// Short ASCII strings read before, by this load or earlier ones.
    strings: Option<StrCacheLease>,
}

impl<'py> PySink<'py> {
    pub(crate) fn new(
        py: Python<'py>,
        loader: Loader<'py>,
        buffers: Option<Bound<'py, PyAny>>,
        codec: (String, String),
    ) -> Self {
        PySink { py, loader, buffers, codec, strings: str_cache::lease() }
    }

    /// [`Sink::int`] for ints CPython does not preallocate.
    #[inline(never)]
    fn int_not_small(&self, value: Int) -> Obj {
        // Converting an int the engine already parsed cannot fail short of memory.
        int_to_py(self.py, &value).unwrap_or_else(|_| self.py.None().into())
    }

    /// [`Sink::str_utf8`] for text the string cache does not hold.
    #[inline(never)]
    fn str_utf8_not_cached(&mut self, data: &[u8]) -> Result<Obj> {
        // CPython decodes with 'surrogatepass' too, so errors read the same.
        decode_surrogatepass(self.py, data, self.strings.as_mut()).engine()
    }
}

/// `Result` of a Python call, carried through the engine.
trait PyResultExt<T> {
    fn engine(self) -> Result<T>;
}

impl<T> PyResultExt<T> for PyResult<T> {
    #[inline]
    fn engine(self) -> Result<T> {
        self.map_err(to_engine)
    }
}

/// A Python `int` from the engine's arbitrary-precision int.
pub(crate) fn int_to_py(py: Python<'_>, value: &Int) -> PyResult<Obj> {
    Ok(match value.as_i64() {
        Some(i) => i.into_pyobject(py)?.into_any().into(),
        None => value.to_bigint().into_pyobject(py)?.into_any().into(),
    })
}

/// A Python `str` from pickle's UTF-8 (lone surrogates as surrogatepass writes them).
pub(crate) fn str_to_py(py: Python<'_>, value: &Str<'_>) -> PyResult<Obj> {
    if let Some(text) = value.as_str() {
        return Ok(PyString::new(py, text).into_any().into());
    }
    decode_surrogatepass(py, value.as_surrogatepass(), None)
}

/// `bytes.decode('utf-8', 'surrogatepass')`; ASCII (most pickled strings)
/// is copied straight into a new compact string, or taken from the cache of
/// short strings, with no decoder call.
#[inline(always)]
fn decode_surrogatepass(py: Python<'_>, bytes: &[u8], cache: Option<&mut StrCacheLease>) -> PyResult<Obj> {
    str_cache::str_via(cache, py, bytes, |bytes| {
        // SAFETY: the pointer and length describe `bytes`, alive for the call;
        // the error handler name is a NUL-terminated static string.
        unsafe {
            let ptr = pyo3::ffi::PyUnicode_DecodeUTF8(
                bytes.as_ptr().cast(),
                bytes.len() as pyo3::ffi::Py_ssize_t,
                c"surrogatepass".as_ptr(),
            );
            Bound::from_owned_ptr_or_err(py, ptr)
        }
    })
    .map(Obj::from)
}

/// `bytes.decode('raw-unicode-escape')`, CPython's decoder for UNICODE lines.
fn decode_raw_unicode_escape(py: Python<'_>, bytes: &[u8]) -> PyResult<Obj> {
    // SAFETY: the pointer and length describe `bytes`, alive for the call;
    // a null error handler means 'strict'.
    unsafe {
        let ptr = pyo3::ffi::PyUnicode_DecodeRawUnicodeEscape(
            bytes.as_ptr().cast(),
            bytes.len() as pyo3::ffi::Py_ssize_t,
            std::ptr::null(),
        );
        Bound::from_owned_ptr_or_err(py, ptr).map(Obj::from)
    }
}

/// CPython's `instantiate()` for INST and OBJ: `cls.__new__(cls)` when there
/// are no arguments and the class has no `__getinitargs__`, else `cls(*args)`.
fn instantiate<'py>(cls: &Bound<'py, PyAny>, args: Bound<'py, PyTuple>) -> PyResult<Obj> {
    if args.is_empty() && cls.is_instance_of::<PyType>() && !cls.hasattr("__getinitargs__")? {
        return Ok(cls.call_method1("__new__", (cls,))?.into());
    }
    Ok(cls.call1(args)?.into())
}

/// NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args, **kwargs)` through the
/// type's `tp_new` slot, after CPython's checks and messages.
fn new_object<'py>(
    opcode: &str,
    cls: &Bound<'py, PyAny>,
    args: &Bound<'py, PyAny>,
    kwargs: Option<&Bound<'py, PyAny>>,
) -> PyResult<Obj> {
    let py = cls.py();
    let Ok(ty) = cls.cast::<PyType>() else {
        return Err(unpickling_error(
            py,
            format!("{opcode} class argument must be a type, not {}", cls.get_type().name()?),
        ));
    };
    let Ok(args) = args.cast::<PyTuple>() else {
        return Err(unpickling_error(
            py,
            format!("{opcode} args argument must be a tuple, not {}", args.get_type().name()?),
        ));
    };
    if let Some(kw) = kwargs {
        if !kw.is_instance_of::<PyDict>() {
            return Err(unpickling_error(
                py,
                format!("{opcode} kwargs argument must be a dict, not {}", kw.get_type().name()?),
            ));
        }
    }
    // SAFETY: `ty` is a live type object; `tp_new` is read from its slot and
    // called with the type, an owned tuple and a dict (or NULL), as the C API requires.
    unsafe {
        let slot = pyo3::ffi::PyType_GetSlot(ty.as_type_ptr(), pyo3::ffi::Py_tp_new);
        if slot.is_null() {
            return Err(unpickling_error(py, format!("{opcode} class argument '{}' doesn't have __new__", ty.name()?)));
        }
        let tp_new: pyo3::ffi::newfunc = std::mem::transmute(slot);
        let kw_ptr = kwargs.map_or(std::ptr::null_mut(), |k| k.as_ptr());
        let obj = tp_new(ty.as_type_ptr(), args.as_ptr(), kw_ptr);
        Bound::from_owned_ptr_or_err(py, obj).map(Obj::from)
    }
}

/// BUILD without `__setstate__`: `state` (or `(state, slotstate)`) updates
/// the instance's `__dict__` and then sets the slot attributes.
fn default_setstate<'py>(inst: &Bound<'py, PyAny>, state: &Bound<'py, PyAny>) -> PyResult<()> {
    let py = inst.py();
    let (state, slotstate) = match state.cast::<PyTuple>() {
        Ok(t) if t.len() == 2 => (t.get_item(0)?, Some(t.get_item(1)?)),
        _ => (state.clone(), None),
    };
    if !state.is_none() {
        let Ok(state) = state.cast::<PyDict>() else {
            return Err(unpickling_error(py, "state is not a dictionary"));
        };
        let dict = inst.getattr("__dict__")?;
        for (key, value) in state.iter() {
            // Attribute names are normally interned; CPython interns them here too.
            let key = match key.cast_exact::<PyString>() {
                Ok(s) => PyString::intern(py, &s.to_cow()?).into_any(),
                Err(_) => key,
            };
            dict.set_item(key, value)?;
        }
    }
    if let Some(slotstate) = slotstate {
        let Ok(slotstate) = slotstate.cast::<PyDict>() else {
            return Err(unpickling_error(py, "slot state is not a dictionary"));
        };
        for (key, value) in slotstate.iter() {
            let Ok(key) = key.cast_into::<PyString>() else {
                return Err(PyTypeError::new_err("attribute name must be string"));
            };
            inst.setattr(key, value)?;
        }
    }
    Ok(())
}

impl<'a, 'py> Sink<'a> for PySink<'py> {
    type Item = Obj;
    type Output = Obj;

    fn protocol(&mut self, proto: u8) {
        match &mut self.loader {
            Loader::Object(u) => {
                if let Ok(u) = u.cast::<super::unpickler::Unpickler>() {
                    u.borrow_mut().proto = proto;
                }
            }
            Loader::Module { proto: current, .. } => *current = proto,
        }
    }

    fn none(&mut self) -> Obj {
        self.py.None().into()
    }

    fn bool(&mut self, value: bool) -> Obj {
        pyo3::types::PyBool::new(self.py, value).to_owned().into_any().into()
    }

    /// Small ints (every BININT1) are the whole path, inlined into the
    /// machine's loop.
    #[inline(always)]
    fn int(&mut self, value: Int) -> Obj {
        match value.as_i64().and_then(|v| crate::small_ints::small_int(self.py, v)) {
            Some(small) => small.into(),
            None => self.int_not_small(value),
        }
    }

    #[inline(always)]
    fn small_int(&mut self, value: i64) -> Obj {
        match crate::small_ints::small_int(self.py, value) {
            Some(small) => small.into(),
            None => self.int_not_small(Int::from(value)),
        }
    }

    fn float(&mut self, value: f64) -> Obj {
        pyo3::types::PyFloat::new(self.py, value).into_any().into()
    }

    fn str(&mut self, value: Str<'a>) -> Result<Obj> {
        str_to_py(self.py, &value).engine()
    }

    /// A cached string is the whole path, inlined into the machine's loop.
    #[inline(always)]
    fn str_utf8(&mut self, data: Cow<'a, [u8]>) -> Result<Obj> {
        if let Some(cache) = &self.strings {
            if let Some(hit) = cache.lookup(self.py, &data) {
                return Ok(hit.into());
            }
        }
        self.str_utf8_not_cached(&data)
    }

    fn str_raw_unicode_escape(&mut self, line: Cow<'a, [u8]>) -> Result<Obj> {
        // CPython's own decoder, so a bad escape raises its UnicodeDecodeError.
        decode_raw_unicode_escape(self.py, &line).engine()
    }

    fn bytes(&mut self, data: Cow<'a, [u8]>) -> Result<Obj> {
        Ok(PyBytes::new(self.py, &data).into_any().into())
    }

    fn py2_string(&mut self, raw: Cow<'a, [u8]>) -> Result<Obj> {
        let (encoding, errors) = &self.codec;
        let raw = PyBytes::new(self.py, &raw);
        Ok(raw.call_method1("decode", (encoding, errors)).engine()?.into())
    }

    fn bytearray(&mut self, data: Cow<'a, [u8]>) -> Result<Obj> {
        Ok(PyByteArray::new(self.py, &data).into_any().into())
    }

    // EMPTY_LIST and EMPTY_DICT call CPython straight from the machine's
    // loop (PyO3's constructors are calls of their own that panic on failure).
    #[inline]
    fn empty_list(&mut self) -> Result<Obj> {
        // SAFETY: PyList_New returns a new reference, or null with an exception set.
        unsafe { Bound::from_owned_ptr_or_err(self.py, pyo3::ffi::PyList_New(0)) }.map(Obj::from).engine()
    }

    #[inline]
    fn empty_dict(&mut self) -> Result<Obj> {
        // SAFETY: PyDict_New returns a new reference, or null with an exception set.
        unsafe { Bound::from_owned_ptr_or_err(self.py, pyo3::ffi::PyDict_New()) }.map(Obj::from).engine()
    }

    fn empty_set(&mut self) -> Result<Obj> {
        Ok(PySet::empty(self.py).engine()?.into_any().into())
    }

    fn tuple<I: Iterator<Item = Obj>>(&mut self, items: I) -> Result<Obj> {
        sequence::filled(self.py, items, Sequence::Tuple).map(Obj::from).engine()
    }

    fn list<I: Iterator<Item = Obj>>(&mut self, items: I) -> Result<Obj> {
        sequence::filled(self.py, items, Sequence::List).map(Obj::from).engine()
    }

    fn dict<I: Iterator<Item = Obj>>(&mut self, items: I) -> Result<Obj> {
        let dict = PyDict::new(self.py);
        set_pairs(&dict, items).engine()?;
        Ok(dict.into_any().into())
    }

    fn frozenset<I: Iterator<Item = Obj>>(&mut self, items: I) -> Result<Obj> {
        let items: Vec<Obj> = items.collect();
        Ok(PyFrozenSet::new(self.py, items).engine()?.into_any().into())
    }

    fn append<I: Iterator<Item = Obj>>(&mut self, target: &Obj, items: I) -> Result<()> {
        let target = target.bind(self.py);
        if let Ok(list) = target.cast_exact::<PyList>() {
            return extend_exact_list(list, items).engine();
        }
        // PEP 307: extend() with a list of the items, else append() one by one.
        match target.getattr_opt("extend").engine()? {
            Some(extend) => {
                let items: Vec<Obj> = items.collect();
                extend.call1((PyList::new(self.py, items).engine()?,)).engine()?;
            }
            None => {
                let append = target.getattr("append").engine()?;
                for item in items {
                    append.call1((item,)).engine()?;
                }
            }
        }
        Ok(())
    }

    fn set_items<I: Iterator<Item = Obj>>(&mut self, target: &Obj, items: I) -> Result<()> {
        let target = target.bind(self.py);
        match target.cast_exact::<PyDict>() {
            Ok(dict) => set_pairs(dict, items).engine(),
            Err(_) => {
                let mut items = items;
                while let (Some(k), Some(v)) = (items.next(), items.next()) {
                    target.set_item(k, v).engine()?;
                }
                Ok(())
            }
        }
    }

    fn add_items<I: Iterator<Item = Obj>>(&mut self, target: &Obj, items: I) -> Result<()> {
        let target = target.bind(self.py);
        if let Ok(set) = target.cast_exact::<PySet>() {
            for item in items {
                set.add(item).engine()?;
            }
            return Ok(());
        }
        let add = target.getattr("add").engine()?;
        for item in items {
            add.call1((item,)).engine()?;
        }
        Ok(())
    }

    fn global(&mut self, module: Str<'a>, name: Str<'a>) -> Result<Obj> {
        let module = str_to_py(self.py, &module).engine()?;
        let name = str_to_py(self.py, &name).engine()?;
        match &self.loader {
            Loader::Object(u) => Ok(u.call_method1("find_class", (module, name)).engine()?.into()),
            Loader::Module { fix_imports, proto } => {
                resolve_global(self.py, *proto, *fix_imports, None, module.bind(self.py), name.bind(self.py)).engine()
            }
        }
    }

    fn as_str(&self, item: &Obj) -> Option<Str<'a>> {
        let s = item.bind(self.py).cast_exact::<PyString>().ok()?;
        match s.to_str() {
            Ok(text) => Some(Str::new(text.to_owned())),
            Err(_) => {
                let bytes = s.call_method1("encode", ("utf-8", "surrogatepass")).ok()?;
                Str::from_surrogatepass(bytes.cast::<PyBytes>().ok()?.as_bytes().to_vec()).ok()
            }
        }
    }

    fn reduce(&mut self, callable: Obj, args: Obj) -> Result<Obj> {
        let args = args.bind(self.py);
        let Ok(args) = args.cast::<PyTuple>() else {
            return Err(to_engine(PyTypeError::new_err("argument list must be a tuple")));
        };
        Ok(callable.bind(self.py).call1(args).engine()?.into())
    }

    fn new_obj(&mut self, cls: Obj, args: Obj) -> Result<Obj> {
        new_object("NEWOBJ", cls.bind(self.py), args.bind(self.py), None).engine()
    }

    fn new_obj_ex(&mut self, cls: Obj, args: Obj, kwargs: Obj) -> Result<Obj> {
        new_object("NEWOBJ_EX", cls.bind(self.py), args.bind(self.py), Some(kwargs.bind(self.py))).engine()
    }

    fn inst(&mut self, cls: Obj, args: Vec<Obj>) -> Result<Obj> {
        let args = PyTuple::new(self.py, args).engine()?;
        instantiate(cls.bind(self.py), args).engine()
    }

    fn obj(&mut self, cls: Obj, args: Vec<Obj>) -> Result<Obj> {
        self.inst(cls, args)
    }

    fn build(&mut self, target: &Obj, state: Obj) -> Result<()> {
        let inst = target.bind(self.py);
        let state = state.bind(self.py);
        match inst.getattr_opt("__setstate__").engine()? {
            Some(setstate) => setstate.call1((state,)).map(drop).engine(),
            None => default_setstate(inst, state).engine(),
        }
    }

    fn persistent_load(&mut self, pid: Obj, _text: bool) -> Result<Obj> {
        let hook = match &self.loader {
            Loader::Object(u) => u.getattr_opt("persistent_load").engine()?,
            Loader::Module { .. } => None,
        };
        match hook {
            Some(f) => Ok(f.call1((pid,)).engine()?.into()),
            None => Err(to_engine(unpickling_error(
                self.py,
                "A load persistent id instruction was encountered, but no persistent_load function was specified.",
            ))),
        }
    }

    fn next_buffer(&mut self, _index: usize) -> Result<Obj> {
        let Some(buffers) = &self.buffers else {
            return Err(to_engine(unpickling_error(
                self.py,
                "pickle stream refers to out-of-band data but no *buffers* argument was given",
            )));
        };
        // SAFETY: `buffers` is an iterator (checked when the unpickler was set up).
        let next = unsafe { pyo3::ffi::PyIter_Next(buffers.as_ptr()) };
        if next.is_null() {
            if let Some(err) = PyErr::take(self.py) {
                return Err(to_engine(err));
            }
            return Err(to_engine(unpickling_error(self.py, "not enough out-of-band buffers")));
        }
        // SAFETY: PyIter_Next returned a new reference.
        Ok(unsafe { Bound::from_owned_ptr(self.py, next) }.into())
    }

    fn readonly_buffer(&mut self, buffer: Obj) -> Result<Obj> {
        let view = pyo3::types::PyMemoryView::from(buffer.bind(self.py)).engine()?;
        if view.getattr("readonly").engine()?.is_truthy().engine()? {
            return Ok(buffer);
        }
        Ok(view.call_method0("toreadonly").engine()?.into())
    }

    fn finish(&mut self, top: Obj) -> Result<Obj> {
        Ok(top)
    }
}

/// APPENDS on an exact list: one resize for the whole batch, as CPython's
/// `list[len:] = items` does, instead of one `append` (and its regrowth
/// checks) per item.
fn extend_exact_list<I: Iterator<Item = Obj>>(list: &Bound<'_, PyList>, mut items: I) -> PyResult<()> {
    use pyo3::ffi;
    let extra = match items.size_hint() {
        (low, Some(high)) if low == high => low,
        _ => return items.try_for_each(|item| list.append(item)),
    };
    // SAFETY: `list` is an exact list, so its layout is `PyListObject`; no
    // Python code runs until its size is set again, so nothing can see the
    // slots between the old and the new size. The item array is grown with
    // `PyMem_Realloc`, the allocator CPython's own `list_resize` uses, and
    // each slot is filled with a reference it owns.
    unsafe {
        let raw = list.as_ptr().cast::<ffi::PyListObject>();
        let len = ffi::PyList_GET_SIZE(list.as_ptr()) as usize;
        let needed = len
            .checked_add(extra)
            .filter(|&n| n <= isize::MAX as usize / std::mem::size_of::<*mut ffi::PyObject>())
            .ok_or_else(|| pyo3::exceptions::PyMemoryError::new_err(()))?;
        if needed > (*raw).allocated as usize {
            // `list_resize`'s over-allocation: about an eighth more.
            let capacity = (needed + (needed >> 3) + 6) & !3;
            let grown = ffi::PyMem_Realloc((*raw).ob_item.cast(), capacity * std::mem::size_of::<*mut ffi::PyObject>());
            if grown.is_null() {
                return Err(pyo3::exceptions::PyMemoryError::new_err(()));
            }
            (*raw).ob_item = grown.cast();
            (*raw).allocated = capacity as ffi::Py_ssize_t;
        }
        let mut filled = len;
        for item in items.by_ref().take(extra) {
            *(*raw).ob_item.add(filled) = item.into_py().into_ptr();
            filled += 1;
        }
        (*raw).ob_base.ob_size = filled as ffi::Py_ssize_t;
    }
    // An iterator longer than it said (none of the machine's are).
    items.try_for_each(|item| list.append(item))
}

/// DICT / SETITEMS on an exact dict: `items` alternate key, value.
fn set_pairs<I: Iterator<Item = Obj>>(dict: &Bound<'_, PyDict>, mut items: I) -> PyResult<()> {
    while let (Some(k), Some(v)) = (items.next(), items.next()) {
        // The C call itself (PyO3's `set_item` converts its arguments
        // generically first): the dict takes its own references, and `k`
        // and `v` release the stack's when they drop.
        // SAFETY: `dict` is a live dict; `k` and `v` are live objects.
        if unsafe { pyo3::ffi::PyDict_SetItem(dict.as_ptr(), k.as_ptr(), v.as_ptr()) } != 0 {
            return Err(PyErr::fetch(dict.py()));
        }
    }
    Ok(())
}
