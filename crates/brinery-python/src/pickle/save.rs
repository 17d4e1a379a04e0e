//! Pickling Python objects: CPython's C pickler `save()` dispatch and its
//! `save_*` rules, driving the engine's one [`Encoder`].
//!
//! Atoms (None, bool, exact int and float) are written without memo; every
//! other object is memoized by identity, its reference kept alive for as long
//! as the memo lives (so no id is reused while it could match).

use super::exceptions::pickling_error;
use super::globals;
use super::obj::Obj;
use super::unshared::UnsharedLeaves;
use brinery::opcodes::Opcode;
use brinery::pickle::encoder::{Encoder, BATCH_SIZE, FRAME_SIZE_TARGET};
use brinery::value::Int;
use num_bigint::BigInt;
use pyo3::exceptions::{PyAttributeError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyByteArray, PyBytes, PyDict, PyFrozenSet, PyFunction, PyInt, PyList, PySet, PyString, PyTuple, PyType,
};
use rustc_hash::{FxHashMap, FxHashSet};

/// The memo: object address → (index, the object, kept alive).
pub(crate) type PyMemo = FxHashMap<usize, (u32, Obj)>;

/// Fast mode checks for cycles only below this nesting (CPython's `FAST_NESTING_LIMIT`).
const FAST_NESTING_LIMIT: usize = 50;

/// The hooks a `Pickler` (sub)class provides, looked up once per dump.
#[derive(Default)]
pub(crate) struct Hooks<'py> {
    pub(crate) persistent_id: Option<Bound<'py, PyAny>>,
    pub(crate) reducer_override: Option<Bound<'py, PyAny>>,
    pub(crate) dispatch_table: Option<Bound<'py, PyAny>>,
    pub(crate) buffer_callback: Option<Bound<'py, PyAny>>,
}

/// One dump in progress.
pub(crate) struct Saver<'py> {
    py: Python<'py>,
    pub(crate) enc: Encoder,
    proto: u8,
    fix_imports: bool,
    pub(crate) memo: PyMemo,
    hooks: Hooks<'py>,
    fast: bool,
    fast_nesting: usize,
    fast_memo: FxHashSet<usize>,
    /// The file's `write`, when dumping to a file: committed frames go out
    /// as soon as they are full, as CPython streams them.
    writer: Option<Bound<'py, PyAny>>,
    /// The next memo index: the memo's size, as in CPython, counting the
    /// unshared leaves not entered yet.
    next_index: u32,
    leaves: UnsharedLeaves,
    /// Containers and reduced objects being saved, one inside the other.
    depth: u32,
    /// Whether atoms may skip `save` ([`write_inline_atom`](Self::write_inline_atom)): no
    /// `persistent_id` hook to ask, no file to stream frames to.
    atoms_inline: bool,
}

fn id(obj: &Bound<'_, PyAny>) -> usize {
    obj.as_ptr() as usize
}

/// Python's recursion guard around one nested save (`Py_EnterRecursiveCall`),
/// with the Rust stack grown as needed, whatever `sys.setrecursionlimit`
/// says. The stack is checked every [`STACK_CHECK_INTERVAL`] levels of
/// `depth` (a check reads a thread-local); the red zone covers the levels
/// in between, with room for unoptimised builds' larger frames.
fn nested<T>(depth: u32, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    // SAFETY: plain C API calls with a NUL-terminated static message; every
    // successful enter is matched by one leave.
    unsafe {
        if pyo3::ffi::Py_EnterRecursiveCall(c" while pickling an object".as_ptr()) != 0 {
            return Err(PyErr::fetch(Python::assume_attached()));
        }
    }
    let r = if depth % STACK_CHECK_INTERVAL == 0 { stacker::maybe_grow(256 * 1024, 1024 * 1024, f) } else { f() };
    unsafe { pyo3::ffi::Py_LeaveRecursiveCall() };
    r
}

/// How many nesting levels [`nested`] lets pass between stack checks.
const STACK_CHECK_INTERVAL: u32 = 8;

impl<'py> Saver<'py> {
    pub(crate) fn new(
        py: Python<'py>,
        proto: u8,
        fix_imports: bool,
        fast: bool,
        memo: PyMemo,
        hooks: Hooks<'py>,
        out: Option<Vec<u8>>,
    ) -> PyResult<Self> {
        // Into the buffer a caller hands back (see `spare`), or a new one.
        let enc = match out {
            Some(out) => Encoder::with_buffer(proto, out),
            None => Encoder::new(proto),
        }
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let next_index = memo.len() as u32;
        let hooks_allow_inline_atoms = hooks.persistent_id.is_none();
        Ok(Saver {
            py,
            enc,
            proto,
            fix_imports,
            memo,
            hooks,
            fast,
            fast_nesting: 0,
            fast_memo: FxHashSet::default(),
            writer: None,
            next_index,
            leaves: UnsharedLeaves::default(),
            depth: 0,
            atoms_inline: hooks_allow_inline_atoms,
        })
    }

    /// Marks a one-shot dump (`dumps`/`dump`, not a `Pickler`, whose memo
    /// outlives the call and can be read): unshared str and bytes items get
    /// their memo index without a memo entry while no Python code runs (see
    /// the `unshared` module).
    pub(crate) fn one_shot(&mut self) {
        self.leaves.enable();
    }

    /// Before anything that can run Python code: the memo as CPython has it.
    #[inline]
    fn settle(&mut self) {
        self.leaves.settle(self.py, &mut self.memo);
    }

    /// Streams full frames to `write` during the dump (protocol ≥ 4);
    /// [`dump`](Self::dump) returns only what is left at the end.
    pub(crate) fn stream_to(&mut self, write: Bound<'py, PyAny>) {
        self.writer = Some(write);
        self.atoms_inline = false;
    }

    /// Writes out what the encoder has committed once it is a frame's worth.
    #[inline]
    fn flush_committed(&mut self) -> PyResult<()> {
        if self.writer.is_none() {
            return Ok(());
        }
        self.flush_committed_to_writer()
    }

    #[cold]
    fn flush_committed_to_writer(&mut self) -> PyResult<()> {
        self.settle();
        if let Some(write) = &self.writer {
            if self.enc.committed_len() >= FRAME_SIZE_TARGET {
                let chunk = self.enc.take_committed();
                write.call1((PyBytes::new(self.py, &chunk),))?;
            }
        }
        Ok(())
    }

    /// Saves the top object and ends the pickle.
    pub(crate) fn dump(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<Vec<u8>> {
        self.save(obj, false)?;
        Ok(std::mem::take(&mut self.enc).finish())
    }

    // ---- Memo.

    #[inline(always)]
    fn memo_get(&mut self, obj: &Bound<'py, PyAny>) -> bool {
        match self.memo.get(&id(obj)) {
            Some(&(index, _)) => {
                self.enc.write_get(index);
                true
            }
            None => false,
        }
    }

    #[inline(always)]
    fn memo_put(&mut self, obj: &Bound<'py, PyAny>) {
        if self.fast {
            return;
        }
        let index = self.next_index;
        self.next_index += 1;
        self.memo.insert(id(obj), (index, obj.clone().into()));
        self.enc.write_put(index);
    }

    fn in_memo(&self, obj: &Bound<'py, PyAny>) -> bool {
        self.memo.contains_key(&id(obj))
    }

    // ---- Fast mode's cycle check.

    fn fast_enter(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<()> {
        if !self.fast {
            return Ok(());
        }
        self.fast_nesting += 1;
        if self.fast_nesting >= FAST_NESTING_LIMIT && !self.fast_memo.insert(id(obj)) {
            self.fast_nesting = 0;
            return Err(PyValueError::new_err(format!(
                "fast mode: can't pickle cyclic objects including object type {} at {:#x}",
                obj.get_type().name()?,
                id(obj)
            )));
        }
        Ok(())
    }

    fn fast_leave(&mut self, obj: &Bound<'py, PyAny>) {
        if !self.fast {
            return;
        }
        if self.fast_nesting >= FAST_NESTING_LIMIT {
            self.fast_memo.remove(&id(obj));
        }
        self.fast_nesting = self.fast_nesting.saturating_sub(1);
    }

    // ---- The dispatch.

    /// CPython's `save()`.
    pub(crate) fn save(&mut self, obj: &Bound<'py, PyAny>, pers_save: bool) -> PyResult<()> {
        self.enc.boundary();
        self.flush_committed()?;
        if !pers_save && self.hooks.persistent_id.is_some() {
            if let Some(pid) = self.persistent_id(obj)? {
                return self.save_pers(&pid);
            }
        }
        let py = self.py;
        // The most frequent types first; atoms are never memoized.
        if let Ok(s) = obj.cast_exact::<PyString>() {
            return self.save_str(obj, s);
        }
        if self.write_atom(obj) {
            return Ok(());
        }
        if let Ok(i) = obj.cast_exact::<PyInt>() {
            return self.save_big_int(i);
        }
        if self.memo_get(obj) {
            return Ok(());
        }
        if let Ok(b) = obj.cast_exact::<PyBytes>() {
            return self.save_bytes(obj, b.as_bytes());
        }
        self.depth += 1;
        let result = nested(self.depth, || {
            if let Ok(d) = obj.cast_exact::<PyDict>() {
                return self.save_dict(obj, Some(d));
            }
            if let Ok(s) = obj.cast_exact::<PySet>() {
                return self.save_set(obj, s);
            }
            if obj.cast_exact::<PyFrozenSet>().is_ok() {
                return self.save_frozenset(obj);
            }
            if let Ok(l) = obj.cast_exact::<PyList>() {
                return self.save_list(obj, Some(l));
            }
            if let Ok(t) = obj.cast_exact::<PyTuple>() {
                return self.save_tuple(obj, t);
            }
            if let Ok(b) = obj.cast_exact::<PyByteArray>() {
                return self.save_bytearray(obj, b);
            }
            // From here on, Python code may run (imports, reducers, hooks).
            self.settle();
            let ty = obj.get_type();
            if ty.is(globals::pickle_buffer_type(py)?) {
                return self.save_picklebuffer(obj);
            }
            if let Some(hook) = self.hooks.reducer_override.clone() {
                let rv = hook.call1((obj,))?;
                if !rv.is(py.NotImplemented()) {
                    return self.save_reduce_value(obj, &rv);
                }
            }
            if ty.is(py.get_type::<PyType>()) {
                return self.save_type(obj);
            }
            if ty.is(py.get_type::<PyFunction>()) {
                return self.save_global(obj, None);
            }
            let reducer = match &self.hooks.dispatch_table {
                None => globals::as_dict(globals::copyreg_dispatch_table(py)?)?.get_item(&ty)?,
                Some(table) => match table.get_item(&ty) {
                    Ok(r) => Some(r),
                    Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyError>(py) => None,
                    Err(e) => return Err(e),
                },
            };
            let rv = if let Some(reducer) = reducer {
                reducer.call1((obj,))?
            } else if ty.is_subclass(&py.get_type::<PyType>())? {
                return self.save_global(obj, None);
            } else if let Some(reduce_ex) = obj.getattr_opt(pyo3::intern!(py, "__reduce_ex__"))? {
                reduce_ex.call1((self.proto,))?
            } else if let Some(reduce) = obj.getattr_opt(pyo3::intern!(py, "__reduce__"))? {
                reduce.call0()?
            } else {
                return Err(pickling_error(py, format!("can't pickle '{}' object: {}", ty.name()?, obj.repr()?)));
            };
            self.save_reduce_value(obj, &rv)
        });
        self.depth -= 1;
        result
    }

    /// What `__reduce__` (or a reducer) returned: a global's name, or a tuple for `save_reduce`.
    fn save_reduce_value(&mut self, obj: &Bound<'py, PyAny>, rv: &Bound<'py, PyAny>) -> PyResult<()> {
        if let Ok(name) = rv.cast::<PyString>() {
            return self.save_global(obj, Some(name.clone().into_any()));
        }
        let Ok(t) = rv.cast::<PyTuple>() else {
            return Err(pickling_error(self.py, "__reduce__ must return a string or tuple"));
        };
        self.save_reduce(t, Some(obj))
    }

    // ---- Atoms and strings.

    /// An exact int past a C long ([`write_atom`](Self::write_atom) writes
    /// the others).
    fn save_big_int(&mut self, i: &Bound<'py, PyInt>) -> PyResult<()> {
        // Rare, and may allocate: the memo as CPython has it first.
        self.settle();
        if self.proto < 2 {
            // Text, as CPython writes it: `repr` raises CPython's own
            // ValueError past `sys.get_int_max_str_digits()` digits.
            self.enc.long_text(&i.repr()?.to_string());
        } else {
            let big: BigInt = i.extract()?;
            self.enc.int(&Int::from(big));
        }
        Ok(())
    }

    fn save_bytes(&mut self, obj: &Bound<'py, PyAny>, data: &[u8]) -> PyResult<()> {
        if self.proto < 3 {
            self.settle();
            let py = self.py;
            let rv = if data.is_empty() {
                PyTuple::new(py, [py.get_type::<PyBytes>().into_any(), PyTuple::empty(py).into_any()])?
            } else {
                let text = PyString::from_encoded_object(&PyBytes::new(py, data), Some(c"latin1"), None)?;
                let args = PyTuple::new(py, [text.into_any(), globals::latin1(py).into_any()])?;
                PyTuple::new(py, [globals::codecs_encode(py)?.clone(), args.into_any()])?
            };
            return self.save_reduce(&rv, Some(obj));
        }
        self.write_bytes(data)?;
        self.memo_put(obj);
        self.flush_committed()
    }

    /// An exact str, in `save` after its set-up: a memo GET if it was
    /// pickled before, else its body and a memo PUT.
    #[inline(always)]
    fn save_str(&mut self, obj: &Bound<'py, PyAny>, s: &Bound<'py, PyString>) -> PyResult<()> {
        if self.memo_get(obj) {
            return Ok(());
        }
        self.write_str(s)?;
        self.memo_put(obj);
        // A payload of a frame's size or more went outside any frame: out it goes.
        self.flush_committed()
    }

    /// Saves a key of an exact dict: [`save`](Self::save), with an exact str
    /// (nearly every key) saved inline when nothing else of `save` applies
    /// to it (no `persistent_id` hook, no file to flush to).
    #[inline(always)]
    fn save_key(&mut self, key: &Bound<'py, PyAny>) -> PyResult<()> {
        if self.atoms_inline {
            if let Ok(s) = key.cast_exact::<PyString>() {
                self.enc.boundary();
                return self.save_str(key, s);
            }
        }
        self.save(key, false)
    }

    /// A str's body (no memo), as UTF-8 with lone surrogates kept (surrogatepass).
    #[inline(always)]
    fn write_str(&mut self, s: &Bound<'py, PyString>) -> PyResult<()> {
        // SAFETY: `s` is a live str, borrowed for the write.
        if let Some(ascii) = unsafe { crate::json::text::compact_ascii(s.as_ptr()) } {
            return self.enc.str_surrogatepass(ascii).map_err(|e| pickling_error(self.py, e.to_string()));
        }
        self.write_str_units(s)
    }

    /// [`write_str`](Self::write_str) for a str that is not compact ASCII.
    #[inline(never)]
    fn write_str_units(&mut self, s: &Bound<'py, PyString>) -> PyResult<()> {
        let mut len: pyo3::ffi::Py_ssize_t = 0;
        // SAFETY: `s` is a str; the UTF-8 buffer it returns lives as long as `s`.
        let utf8 = unsafe { pyo3::ffi::PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut len) };
        let r = if utf8.is_null() {
            // Lone surrogates: encoded as pickle stores them. The exception
            // CPython raised was an allocation the garbage collector may have
            // run on, so the noted leaves are dropped, not entered.
            self.leaves.forget();
            drop(PyErr::take(self.py));
            let encoded = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
            self.enc.str_surrogatepass(encoded.cast::<PyBytes>()?.as_bytes())
        } else {
            // SAFETY: CPython gave `len` valid bytes at `utf8`.
            let text = unsafe { std::slice::from_raw_parts(utf8.cast::<u8>(), len as usize) };
            self.enc.str_surrogatepass(text)
        };
        r.map_err(|e| pickling_error(self.py, e.to_string()))
    }

    /// A bytes body (protocol ≥ 3, no memo).
    fn write_bytes(&mut self, data: &[u8]) -> PyResult<()> {
        self.enc.bytes(data).map_err(|e| pickling_error(self.py, e.to_string()))
    }

    /// Saves an item of an exact list or a value of an exact dict (both
    /// memoized before their items, so walked once): [`save`](Self::save),
    /// except that an unshared str or bytes gets its memo index without an
    /// entry (see the `unshared` module; only one-shot dumps, which have no
    /// `persistent_id` hook, note leaves).
    #[inline]
    fn save_item(&mut self, item: &Bound<'py, PyAny>) -> PyResult<()> {
        if self.leaves.is_unshared(item) && self.write_leaf(item)? {
            self.put_unshared(item);
            return self.flush_committed();
        }
        if self.write_inline_atom(item) {
            return Ok(());
        }
        self.save(item, false)
    }

    /// [`write_atom`](Self::write_atom) straight from a container loop,
    /// without [`save`](Self::save)'s set-up (a large recursive function),
    /// when nothing else of `save` applies to atoms: no `persistent_id`
    /// hook to ask, no file to flush to.
    #[inline(always)]
    fn write_inline_atom(&mut self, obj: &Bound<'py, PyAny>) -> bool {
        self.atoms_inline && self.write_atom(obj)
    }

    /// Writes `obj` if it is an atom, which CPython never memoizes nor
    /// offers to `reducer_override` (None, an exact bool or float, an exact
    /// int that fits a C long); says whether it did.
    #[inline(always)]
    fn write_atom(&mut self, obj: &Bound<'py, PyAny>) -> bool {
        // SAFETY: `obj` is a live object.
        unsafe { self.write_atom_ptr(obj.as_ptr()) }
    }

    /// [`write_inline_atom`](Self::write_inline_atom) for an item borrowed
    /// from an exact list or dict, with no reference taken: writing an atom
    /// runs no Python code, so the container keeps the item alive throughout.
    ///
    /// # Safety
    /// `ptr` is a live object.
    #[inline(always)]
    unsafe fn write_borrowed_atom(&mut self, ptr: *mut pyo3::ffi::PyObject) -> bool {
        self.atoms_inline && self.write_atom_ptr(ptr)
    }

    /// [`write_atom`](Self::write_atom) on a pointer.
    ///
    /// # Safety
    /// `ptr` is a live object.
    #[inline(always)]
    unsafe fn write_atom_ptr(&mut self, ptr: *mut pyo3::ffi::PyObject) -> bool {
        use pyo3::ffi;
        // SAFETY: the type objects are CPython's statics, and each value is
        // read only after its exact type is known.
        unsafe {
            let ty = ffi::Py_TYPE(ptr);
            if ty == std::ptr::addr_of_mut!(ffi::PyUnicode_Type) {
                // The most frequent item, and never an atom: one compare.
                return false;
            }
            if ty == std::ptr::addr_of_mut!(ffi::PyLong_Type) {
                let mut overflow: std::os::raw::c_int = 0;
                let v = ffi::PyLong_AsLongAndOverflow(ptr, &mut overflow);
                if overflow != 0 {
                    return false;
                }
                self.enc.boundary();
                self.enc.int_i64(v as i64);
            } else if ptr == ffi::Py_None() {
                self.enc.boundary();
                self.enc.none();
            } else if ty == std::ptr::addr_of_mut!(ffi::PyFloat_Type) {
                self.enc.boundary();
                self.enc.float(ffi::PyFloat_AS_DOUBLE(ptr));
            } else if ty == std::ptr::addr_of_mut!(ffi::PyBool_Type) {
                self.enc.boundary();
                self.enc.bool(ptr == ffi::Py_True());
            } else {
                return false;
            }
        }
        true
    }

    /// Writes the body of `item` if it is a str, or bytes at protocol ≥ 3
    /// (written as BINBYTES, not reduced); says whether it did.
    fn write_leaf(&mut self, item: &Bound<'py, PyAny>) -> PyResult<bool> {
        if let Ok(s) = item.cast_exact::<PyString>() {
            self.enc.boundary();
            self.write_str(s)?;
            return Ok(true);
        }
        match item.cast_exact::<PyBytes>() {
            Ok(b) if self.proto >= 3 => {
                self.enc.boundary();
                self.write_bytes(b.as_bytes())?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The memo store for an unshared leaf, noted for [`settle`](Self::settle).
    fn put_unshared(&mut self, item: &Bound<'py, PyAny>) {
        let index = self.next_index;
        self.next_index += 1;
        self.leaves.note(item, index);
        self.enc.write_put(index);
    }

    /// Calls the `persistent_id` hook: `Some` id to save instead of `obj`.
    fn persistent_id(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.settle();
        let Some(hook) = &self.hooks.persistent_id else { return Ok(None) };
        let pid = hook.call1((obj,))?;
        Ok((!pid.is_none()).then_some(pid))
    }

    fn save_bytearray(&mut self, obj: &Bound<'py, PyAny>, b: &Bound<'py, PyByteArray>) -> PyResult<()> {
        if self.proto < 5 {
            self.settle();
            let py = self.py;
            let args = if b.len() == 0 {
                PyTuple::empty(py)
            } else {
                // A new bytes object each time, as CPython's PyBytes_FromObject
                // makes (not the shared one-byte singleton): no memo hit.
                let data = b.to_vec();
                let copy = PyBytes::new_with(py, data.len(), |buf| {
                    buf.copy_from_slice(&data);
                    Ok(())
                })?;
                PyTuple::new(py, [copy])?
            };
            let rv = PyTuple::new(py, [obj.get_type().into_any(), args.into_any()])?;
            return self.save_reduce(&rv, Some(obj));
        }
        self.enc.bytearray(&b.to_vec());
        self.memo_put(obj);
        Ok(())
    }

    fn save_picklebuffer(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<()> {
        let py = self.py;
        if self.proto < 5 {
            return Err(pickling_error(py, "PickleBuffer can only pickled with protocol >= 5"));
        }
        let view = obj.call_method0("raw").map_err(|_| {
            pickling_error(py, "PickleBuffer can not be pickled when pointing to a non-contiguous buffer")
        })?;
        let readonly = view.getattr("readonly")?.is_truthy()?;
        let in_band = match &self.hooks.buffer_callback {
            Some(cb) => cb.call1((obj,))?.is_truthy()?,
            None => true,
        };
        if in_band {
            let data = view.call_method0("tobytes")?;
            let data = data.cast::<PyBytes>()?.as_bytes();
            if readonly {
                self.enc.bytes(data).map_err(|e| pickling_error(py, e.to_string()))?;
            } else {
                self.enc.bytearray(data);
            }
            self.memo_put(obj);
        } else {
            self.enc.op(Opcode::NextBuffer);
            if readonly {
                self.enc.op(Opcode::ReadonlyBuffer);
            }
        }
        Ok(())
    }

    // ---- Containers.

    /// EMPTY_LIST/EMPTY_DICT, or MARK LIST/DICT at protocol 0; memoized.
    fn open_container(&mut self, obj: &Bound<'py, PyAny>, empty: Opcode, from_mark: Opcode) {
        if self.proto == 0 {
            self.enc.op(Opcode::Mark);
            self.enc.op(from_mark);
        } else {
            self.enc.op(empty);
        }
        self.memo_put(obj);
    }

    fn save_list(&mut self, obj: &Bound<'py, PyAny>, exact: Option<&Bound<'py, PyList>>) -> PyResult<()> {
        self.fast_enter(obj)?;
        self.open_container(obj, Opcode::EmptyList, Opcode::List);
        let r = match exact {
            Some(list) if self.proto > 0 && !list.is_empty() => self.batch_list_exact(list),
            _ if obj.len()? > 0 => {
                // The iterator is an allocation the garbage collector may run on.
                self.settle();
                self.batch_list(&obj.try_iter()?.into_any())
            }
            _ => Ok(()),
        };
        self.fast_leave(obj);
        r
    }

    fn batch_list_exact(&mut self, list: &Bound<'py, PyList>) -> PyResult<()> {
        if list.len() == 1 {
            self.save_item(&list_item(list, 0)?)?;
            self.enc.op(Opcode::Append);
            return Ok(());
        }
        let mut total = 0;
        loop {
            self.enc.op(Opcode::Mark);
            let mut batch = 0;
            // SAFETY (the raw reads): `list` is a live exact list, its length
            // is read again for every item (Python code saving an item may
            // change it), and an item is borrowed only to write it as an atom;
            // anything else is saved from a reference of its own.
            while total < unsafe { pyo3::ffi::PyList_GET_SIZE(list.as_ptr()) } as usize {
                let item = unsafe { pyo3::ffi::PyList_GET_ITEM(list.as_ptr(), total as pyo3::ffi::Py_ssize_t) };
                if !unsafe { self.write_borrowed_atom(item) } {
                    self.save_item(&unsafe { Bound::from_borrowed_ptr(self.py, item) })?;
                }
                total += 1;
                batch += 1;
                if batch == BATCH_SIZE {
                    break;
                }
            }
            self.enc.op(Opcode::Appends);
            if total >= list.len() {
                return Ok(());
            }
        }
    }

    /// `batch_list`: items from an iterator, APPEND for a batch of one.
    fn batch_list(&mut self, iter: &Bound<'py, PyAny>) -> PyResult<()> {
        let next = || -> PyResult<Option<Bound<'py, PyAny>>> { iter_next(iter) };
        if self.proto == 0 {
            while let Some(item) = next()? {
                self.save(&item, false)?;
                self.enc.op(Opcode::Append);
            }
            return Ok(());
        }
        loop {
            let Some(first) = next()? else { return Ok(()) };
            let Some(mut item) = next()? else {
                self.save(&first, false)?;
                self.enc.op(Opcode::Append);
                return Ok(());
            };
            self.enc.op(Opcode::Mark);
            self.save(&first, false)?;
            let mut n = 1;
            loop {
                self.save(&item, false)?;
                n += 1;
                if n == BATCH_SIZE {
                    break;
                }
                match next()? {
                    Some(i) => item = i,
                    None => break,
                }
            }
            self.enc.op(Opcode::Appends);
            if n != BATCH_SIZE {
                return Ok(());
            }
        }
    }

    fn save_dict(&mut self, obj: &Bound<'py, PyAny>, exact: Option<&Bound<'py, PyDict>>) -> PyResult<()> {
        self.fast_enter(obj)?;
        self.open_container(obj, Opcode::EmptyDict, Opcode::Dict);
        let r = match exact {
            Some(dict) if self.proto > 0 && !dict.is_empty() => self.batch_dict_exact(dict),
            _ if obj.len()? > 0 => {
                self.settle();
                let items = obj.call_method0("items")?;
                self.batch_dict(&items.try_iter()?.into_any())
            }
            _ => Ok(()),
        };
        self.fast_leave(obj);
        r
    }

    fn batch_dict_exact(&mut self, dict: &Bound<'py, PyDict>) -> PyResult<()> {
        let size = dict.len();
        if size == 1 {
            let (k, v) = dict.iter().next().expect("one item");
            self.save_key(&k)?;
            self.save_item(&v)?;
            self.enc.op(Opcode::SetItem);
            return Ok(());
        }
        let mut pos: pyo3::ffi::Py_ssize_t = 0;
        loop {
            self.enc.op(Opcode::Mark);
            let mut batch = 0;
            let (mut k, mut v) = (std::ptr::null_mut(), std::ptr::null_mut());
            // SAFETY: PyDict_Next on a live dict with valid out-pointers. Its
            // borrowed key and value are only used as such while no Python
            // code can run: an atom key is written without any, and the value
            // is then saved (or written) while the dict still holds it. A key
            // that is not an atom is saved with both held by references.
            while unsafe { pyo3::ffi::PyDict_Next(dict.as_ptr(), &mut pos, &mut k, &mut v) } != 0 {
                if unsafe { self.write_borrowed_atom(k) } {
                    if !unsafe { self.write_borrowed_atom(v) } {
                        self.save_item(&unsafe { Bound::from_borrowed_ptr(self.py, v) })?;
                    }
                } else {
                    let (key, value) =
                        unsafe { (Bound::from_borrowed_ptr(self.py, k), Bound::from_borrowed_ptr(self.py, v)) };
                    self.save_key(&key)?;
                    self.save_item(&value)?;
                }
                batch += 1;
                if batch == BATCH_SIZE {
                    break;
                }
            }
            self.enc.op(Opcode::SetItems);
            if dict.len() != size {
                return Err(PyRuntimeError::new_err("dictionary changed size during iteration"));
            }
            if batch != BATCH_SIZE {
                return Ok(());
            }
        }
    }

    /// `batch_dict`: (key, value) pairs from an iterator, SETITEM for a batch of one.
    fn batch_dict(&mut self, iter: &Bound<'py, PyAny>) -> PyResult<()> {
        let next = || -> PyResult<Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
            match iter_next(iter)? {
                None => Ok(None),
                Some(item) => match item.cast::<PyTuple>() {
                    Ok(t) if t.len() == 2 => Ok(Some((t.get_item(0)?, t.get_item(1)?))),
                    _ => Err(PyTypeError::new_err("dict items iterator must return 2-tuples")),
                },
            }
        };
        if self.proto == 0 {
            while let Some((k, v)) = next()? {
                self.save(&k, false)?;
                self.save(&v, false)?;
                self.enc.op(Opcode::SetItem);
            }
            return Ok(());
        }
        loop {
            let Some(first) = next()? else { return Ok(()) };
            let Some(mut pair) = next()? else {
                self.save(&first.0, false)?;
                self.save(&first.1, false)?;
                self.enc.op(Opcode::SetItem);
                return Ok(());
            };
            self.enc.op(Opcode::Mark);
            self.save(&first.0, false)?;
            self.save(&first.1, false)?;
            let mut n = 1;
            loop {
                self.save(&pair.0, false)?;
                self.save(&pair.1, false)?;
                n += 1;
                if n == BATCH_SIZE {
                    break;
                }
                match next()? {
                    Some(p) => pair = p,
                    None => break,
                }
            }
            self.enc.op(Opcode::SetItems);
            if n != BATCH_SIZE {
                return Ok(());
            }
        }
    }

    fn save_set(&mut self, obj: &Bound<'py, PyAny>, set: &Bound<'py, PySet>) -> PyResult<()> {
        let py = self.py;
        if self.proto < 4 {
            self.settle();
            let items = PyList::new(py, set.iter())?;
            let args = PyTuple::new(py, [items])?;
            let rv = PyTuple::new(py, [py.get_type::<PySet>().into_any(), args.into_any()])?;
            return self.save_reduce(&rv, Some(obj));
        }
        self.enc.op(Opcode::EmptySet);
        self.memo_put(obj);
        let size = set.len();
        if size == 0 {
            return Ok(());
        }
        // The iterator is an allocation the garbage collector may run on.
        self.settle();
        let iter = set.try_iter()?.into_any();
        loop {
            self.enc.op(Opcode::Mark);
            let mut batch = 0;
            while let Some(item) = iter_next(&iter)? {
                self.save(&item, false)?;
                batch += 1;
                if batch == BATCH_SIZE {
                    break;
                }
            }
            self.enc.op(Opcode::AddItems);
            if set.len() != size {
                return Err(PyRuntimeError::new_err("set changed size during iteration"));
            }
            if batch != BATCH_SIZE {
                return Ok(());
            }
        }
    }

    fn save_frozenset(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<()> {
        let py = self.py;
        self.fast_enter(obj)?;
        if self.proto < 4 {
            self.settle();
            let items = PyList::new(py, obj.try_iter()?.collect::<PyResult<Vec<_>>>()?)?;
            let args = PyTuple::new(py, [items])?;
            let rv = PyTuple::new(py, [py.get_type::<PyFrozenSet>().into_any(), args.into_any()])?;
            let r = self.save_reduce(&rv, Some(obj));
            self.fast_leave(obj);
            return r;
        }
        self.enc.op(Opcode::Mark);
        self.settle();
        for item in obj.try_iter()? {
            self.save(&item?, false)?;
        }
        if self.in_memo(obj) {
            // Recursive: it was pickled inside itself; use that one.
            self.enc.op(Opcode::PopMark);
            self.memo_get(obj);
        } else {
            self.enc.op(Opcode::FrozenSet);
            self.memo_put(obj);
        }
        self.fast_leave(obj);
        Ok(())
    }

    fn save_tuple(&mut self, obj: &Bound<'py, PyAny>, t: &Bound<'py, PyTuple>) -> PyResult<()> {
        let len = t.len();
        if len == 0 {
            if self.proto > 0 {
                self.enc.op(Opcode::EmptyTuple);
            } else {
                self.enc.op(Opcode::Mark);
                self.enc.op(Opcode::Tuple);
            }
            return Ok(());
        }
        self.fast_enter(obj)?;
        let small = len <= 3 && self.proto >= 2;
        if !small {
            self.enc.op(Opcode::Mark);
        }
        for item in t.iter() {
            // Not `save_item`: a tuple is memoized after its items, so a
            // cycle back to it walks them again.
            self.save(&item, false)?;
        }
        if self.in_memo(obj) {
            // Recursive: the tuple was pickled inside itself. Drop what we
            // pushed and fetch that one.
            if small {
                for _ in 0..len {
                    self.enc.op(Opcode::Pop);
                }
            } else if self.proto > 0 {
                self.enc.op(Opcode::PopMark);
            } else {
                for _ in 0..=len {
                    self.enc.op(Opcode::Pop);
                }
            }
            self.memo_get(obj);
            self.fast_leave(obj);
            return Ok(());
        }
        self.enc.op(match (small, len) {
            (true, 1) => Opcode::Tuple1,
            (true, 2) => Opcode::Tuple2,
            (true, _) => Opcode::Tuple3,
            (false, _) => Opcode::Tuple,
        });
        self.memo_put(obj);
        self.fast_leave(obj);
        Ok(())
    }

    // ---- Persistent ids.

    fn save_pers(&mut self, pid: &Bound<'py, PyAny>) -> PyResult<()> {
        if self.proto > 0 {
            self.save(pid, true)?;
            self.enc.op(Opcode::BinPersId);
            return Ok(());
        }
        let text = pid.str()?;
        let text = text.to_cow()?;
        if !text.is_ascii() {
            return Err(pickling_error(self.py, "persistent IDs in protocol 0 must be ASCII strings"));
        }
        self.enc.persid_text(text.as_bytes());
        Ok(())
    }

    // ---- Globals.

    fn save_type(&mut self, obj: &Bound<'py, PyAny>) -> PyResult<()> {
        let py = self.py;
        for singleton in [py.None().into_bound(py), py.Ellipsis().into_bound(py), py.NotImplemented().into_bound(py)] {
            if obj.is(singleton.get_type()) {
                // type(None), type(...), type(NotImplemented): reduced to `type(singleton)`.
                let args = PyTuple::new(py, [singleton.clone()])?;
                let rv = PyTuple::new(py, [py.get_type::<PyType>().into_any(), args.into_any()])?;
                return self.save_reduce(&rv, Some(obj));
            }
        }
        self.save_global(obj, None)
    }

    /// CPython's `save_global`: the module and qualified name of `obj`,
    /// checked to lead back to `obj`, then EXT, STACK_GLOBAL, a `getattr`
    /// reduce (nested names below protocol 4) or GLOBAL.
    pub(crate) fn save_global(&mut self, obj: &Bound<'py, PyAny>, name: Option<Bound<'py, PyAny>>) -> PyResult<()> {
        self.settle();
        let py = self.py;
        let global_name = match name {
            Some(n) => n,
            None => match obj.getattr_opt(pyo3::intern!(py, "__qualname__"))? {
                Some(q) => q,
                None => obj.getattr(pyo3::intern!(py, "__name__"))?,
            },
        };
        let global_str = global_name.cast::<PyString>()?.to_cow()?.into_owned();
        let dotted: Vec<&str> = global_str.split('.').collect();
        if dotted.contains(&"<locals>") {
            return Err(PyAttributeError::new_err(format!("Can't pickle local object {}", global_name.repr()?)));
        }
        let module_name = whichmodule(obj, &dotted)?;
        let module = match py.import(module_name.cast::<PyString>()?) {
            Ok(m) => m.into_any(),
            Err(_) => {
                return Err(pickling_error(
                    py,
                    format!("Can't pickle {}: import of module {} failed", obj.repr()?, module_name.repr()?),
                ))
            }
        };
        // The last name as a new str, as CPython's split makes it (so the
        // memo never holds the class's own `__qualname__` object).
        let lastname = PyString::new(py, dotted[dotted.len() - 1]);
        let found = if dotted.len() == 1 {
            // No path to walk: one lookup with the str just made.
            module.getattr(&lastname).map(|found| (found, module.clone()))
        } else {
            deep_attribute(&module, &dotted)
        };
        let (found, parent) = match found {
            Ok(r) => r,
            Err(_) => {
                return Err(pickling_error(
                    py,
                    format!(
                        "Can't pickle {}: attribute lookup {} on {} failed",
                        obj.repr()?,
                        global_str,
                        module_name.str()?
                    ),
                ))
            }
        };
        if !found.is(obj) {
            return Err(pickling_error(
                py,
                format!(
                    "Can't pickle {}: it's not the same object as {}.{}",
                    obj.repr()?,
                    module_name.str()?,
                    global_str
                ),
            ));
        }
        if self.proto >= 2 {
            let key = PyTuple::new(py, [module_name.clone(), global_name.clone()])?;
            if let Some(code) = globals::as_dict(globals::extension_registry(py)?)?.get_item(&key)? {
                let Ok(code) = code.cast::<PyInt>() else {
                    return Err(pickling_error(
                        py,
                        format!("Can't pickle {}: extension code {} isn't an integer", obj.repr()?, code.repr()?),
                    ));
                };
                let code: i64 = code.extract()?;
                if code <= 0 || code > 0x7fff_ffff {
                    return Err(pickling_error(
                        py,
                        format!("Can't pickle {}: extension code {code} is out of range", obj.repr()?),
                    ));
                }
                self.enc.ext(code);
                return Ok(());
            }
        }
        let parent_is_module = parent.is(&module);
        let global_name = if parent_is_module { lastname.clone().into_any() } else { global_name };
        if self.proto >= 4 {
            self.save(&module_name, false)?;
            self.save(&global_name, false)?;
            self.enc.op(Opcode::StackGlobal);
        } else if !parent_is_module {
            let args = PyTuple::new(py, [parent, lastname.into_any()])?;
            let rv = PyTuple::new(py, [globals::builtin_getattr(py)?.clone(), args.into_any()])?;
            self.save_reduce(&rv, None)?;
        } else {
            let (module_name, global_name) = if self.proto < 3 && self.fix_imports {
                globals::compat_map(globals::Compat::ToPython2, &module_name, &global_name)?
            } else {
                (module_name, global_name)
            };
            let module_bytes = identifier_bytes(self.proto, &module_name, "module")?;
            let name_bytes = identifier_bytes(self.proto, &global_name, "global")?;
            self.enc
                .names_line(Opcode::Global, &module_bytes, &name_bytes)
                .map_err(|e| pickling_error(py, e.to_string()))?;
        }
        self.memo_put(obj);
        Ok(())
    }

    // ---- Reduce.

    /// CPython's `save_reduce` for a `__reduce__` tuple; `obj` (if any) is memoized.
    pub(crate) fn save_reduce(&mut self, rv: &Bound<'py, PyTuple>, obj: Option<&Bound<'py, PyAny>>) -> PyResult<()> {
        self.settle();
        let py = self.py;
        let size = rv.len();
        if !(2..=6).contains(&size) {
            return Err(pickling_error(py, "tuple returned by __reduce__ must contain 2 through 6 elements"));
        }
        let item = |i: usize| -> PyResult<Option<Bound<'py, PyAny>>> {
            if i < size {
                let v = rv.get_item(i)?;
                Ok(if v.is_none() { None } else { Some(v) })
            } else {
                Ok(None)
            }
        };
        let callable = rv.get_item(0)?;
        let argtup = rv.get_item(1)?;
        let state = item(2)?;
        let listitems = item(3)?;
        let dictitems = item(4)?;
        let state_setter = item(5)?;
        if !callable.is_callable() {
            return Err(pickling_error(py, "first item of the tuple returned by __reduce__ must be callable"));
        }
        let Ok(argtup) = argtup.cast::<PyTuple>() else {
            return Err(pickling_error(py, "second item of the tuple returned by __reduce__ must be a tuple"));
        };
        for (value, which) in [(&listitems, "fourth"), (&dictitems, "fifth")] {
            if let Some(v) = value {
                if !is_iterator(v) {
                    return Err(pickling_error(
                        py,
                        format!(
                            "{which} element of the tuple returned by __reduce__ must be an iterator, not {}",
                            v.get_type().name()?
                        ),
                    ));
                }
            }
        }
        if let Some(s) = &state_setter {
            if !s.is_callable() {
                return Err(pickling_error(
                    py,
                    format!(
                        "sixth element of the tuple returned by __reduce__ must be a function, not {}",
                        s.get_type().name()?
                    ),
                ));
            }
        }
        let (mut use_newobj, mut use_newobj_ex) = (false, false);
        if self.proto >= 2 {
            if let Some(name) = callable.getattr_opt(pyo3::intern!(py, "__name__"))? {
                if let Ok(name) = name.cast::<PyString>() {
                    let name = name.to_cow()?;
                    use_newobj_ex = name == "__newobj_ex__";
                    use_newobj = name == "__newobj__";
                }
            }
        }
        if use_newobj_ex {
            self.save_newobj_ex(argtup)?;
        } else if use_newobj {
            if argtup.is_empty() {
                return Err(pickling_error(py, "__newobj__ arglist is empty"));
            }
            let cls = argtup.get_item(0)?;
            if !cls.is_instance_of::<PyType>() {
                return Err(pickling_error(py, "args[0] from __newobj__ args is not a type"));
            }
            if let Some(obj) = obj {
                if !obj.getattr(pyo3::intern!(py, "__class__"))?.is(&cls) {
                    return Err(pickling_error(py, "args[0] from __newobj__ args has the wrong class"));
                }
            }
            self.save(&cls, false)?;
            self.save(&argtup.get_slice(1, argtup.len()).into_any(), false)?;
            self.enc.op(Opcode::NewObj);
        } else {
            self.save(&callable, false)?;
            self.save(argtup.as_any(), false)?;
            self.enc.op(Opcode::Reduce);
        }
        if let Some(obj) = obj {
            if self.in_memo(obj) {
                // Recursive: the object was pickled inside its own arguments.
                self.enc.op(Opcode::Pop);
                self.memo_get(obj);
                return Ok(());
            }
            self.memo_put(obj);
        }
        if let Some(items) = listitems {
            self.batch_list(&items)?;
        }
        if let Some(items) = dictitems {
            self.batch_dict(&items)?;
        }
        if let Some(state) = state {
            match state_setter {
                None => {
                    self.save(&state, false)?;
                    self.enc.op(Opcode::Build);
                }
                Some(setter) => {
                    // setter(obj, state), its result popped: stack-transparent.
                    self.save(&setter, false)?;
                    self.save(obj.expect("state_setter comes with an object"), false)?;
                    self.save(&state, false)?;
                    self.enc.op(Opcode::Tuple2);
                    self.enc.op(Opcode::Reduce);
                    self.enc.op(Opcode::Pop);
                }
            }
        }
        Ok(())
    }

    /// `__newobj_ex__`: NEWOBJ_EX from protocol 4, else `partial(cls.__new__, cls, *args, **kwargs)()`.
    fn save_newobj_ex(&mut self, argtup: &Bound<'py, PyTuple>) -> PyResult<()> {
        let py = self.py;
        if argtup.len() != 3 {
            return Err(pickling_error(
                py,
                format!("length of the NEWOBJ_EX argument tuple must be exactly 3, not {}", argtup.len()),
            ));
        }
        let cls = argtup.get_item(0)?;
        if !cls.is_instance_of::<PyType>() {
            return Err(pickling_error(
                py,
                format!("first item from NEWOBJ_EX argument tuple must be a class, not {}", cls.get_type().name()?),
            ));
        }
        let args = argtup.get_item(1)?;
        let Ok(args) = args.cast::<PyTuple>() else {
            return Err(pickling_error(
                py,
                format!("second item from NEWOBJ_EX argument tuple must be a tuple, not {}", args.get_type().name()?),
            ));
        };
        let kwargs = argtup.get_item(2)?;
        let Ok(kwargs) = kwargs.cast::<PyDict>() else {
            return Err(pickling_error(
                py,
                format!("third item from NEWOBJ_EX argument tuple must be a dict, not {}", kwargs.get_type().name()?),
            ));
        };
        if self.proto >= 4 {
            self.save(&cls, false)?;
            self.save(args.as_any(), false)?;
            self.save(kwargs.as_any(), false)?;
            self.enc.op(Opcode::NewObjEx);
            return Ok(());
        }
        let mut newargs = vec![cls.getattr("__new__")?, cls.clone()];
        newargs.extend(args.iter());
        let callable = globals::partial(py)?.call(PyTuple::new(py, newargs)?, Some(kwargs))?;
        self.save(&callable, false)?;
        self.save(PyTuple::empty(py).as_any(), false)?;
        self.enc.op(Opcode::Reduce);
        Ok(())
    }
}

/// Item `index` of an exact list, owned (its save may run code that
/// changes the list; the caller checks the index against the current length).
#[inline]
fn list_item<'py>(list: &Bound<'py, PyList>, index: usize) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: reading the size and an item of a live list; the item is
    // borrowed from the list and increfed into a Bound right away.
    unsafe {
        let ptr = list.as_ptr();
        if index >= pyo3::ffi::PyList_GET_SIZE(ptr) as usize {
            return Err(pyo3::exceptions::PyIndexError::new_err("list index out of range"));
        }
        Ok(Bound::from_borrowed_ptr(list.py(), pyo3::ffi::PyList_GET_ITEM(ptr, index as pyo3::ffi::Py_ssize_t)))
    }
}

/// `PyIter_Next`: the next item, `None` at the end.
fn iter_next<'py>(iter: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = iter.py();
    // SAFETY: callers pass iterators (checked with `is_iterator` or made by `iter()`).
    let next = unsafe { pyo3::ffi::PyIter_Next(iter.as_ptr()) };
    if next.is_null() {
        return match PyErr::take(py) {
            Some(e) => Err(e),
            None => Ok(None),
        };
    }
    // SAFETY: PyIter_Next returned a new reference.
    Ok(Some(unsafe { Bound::from_owned_ptr(py, next) }))
}

fn is_iterator(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a type check on a live object.
    unsafe { pyo3::ffi::PyIter_Check(obj.as_ptr()) != 0 }
}

/// `getattr` along a dotted path; returns the object and its parent.
fn deep_attribute<'py>(obj: &Bound<'py, PyAny>, dotted: &[&str]) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let mut parent = obj.clone();
    let mut current = obj.clone();
    for part in dotted {
        parent = current;
        current = parent.getattr(*part)?;
    }
    Ok((current, parent))
}

/// CPython's `whichmodule`: `obj.__module__`, else the first module in
/// `sys.modules` (other than `__main__`) where the dotted name leads to `obj`,
/// else `'__main__'`.
fn whichmodule<'py>(obj: &Bound<'py, PyAny>, dotted: &[&str]) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    if let Some(m) = obj.getattr_opt(pyo3::intern!(py, "__module__"))? {
        if !m.is_none() {
            return Ok(m);
        }
    }
    let modules = globals::sys_modules(py)?;
    let items = modules.call_method0("items")?;
    for pair in items.try_iter()? {
        let pair = pair?;
        let (name, module) = (pair.get_item(0)?, pair.get_item(1)?);
        let Ok(name_str) = name.cast::<PyString>() else { continue };
        let n = name_str.to_cow()?;
        if n == "__main__" || n == "__mp_main__" || module.is_none() {
            continue;
        }
        if let Ok((candidate, _)) = deep_attribute(&module, dotted) {
            if candidate.is(obj) {
                return Ok(name);
            }
        }
    }
    Ok(PyString::new(py, "__main__").into_any())
}

/// A GLOBAL name line: UTF-8 at protocol 3, ASCII below.
fn identifier_bytes(proto: u8, name: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    let py = name.py();
    let text = name.cast::<PyString>()?.to_cow()?;
    if proto != 3 && !text.is_ascii() {
        return Err(pickling_error(
            py,
            format!("can't pickle {what} identifier '{text}' using pickle protocol {proto}"),
        ));
    }
    Ok(text.as_bytes().to_vec())
}
