//! `Pickler`: CPython's C `Pickler` over the engine's encoder, plus the
//! module-level `dumps`/`dump`/`loads`/`load`.
//!
//! The Python class `brinery.pickle.Pickler` subclasses this one and gives
//! it the stdlib's `__init__` signature.

use super::exceptions::pickling_error;
use super::save::{Hooks, PyMemo, Saver};
use super::spare;
use super::unpickler::{buffer_bytes, load_module_level, Source};
use brinery::size_hint::SizeHint;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

/// `protocol=None` → the interpreter's default, negative → the highest.
fn resolve_protocol(py: Python<'_>, protocol: Option<&Bound<'_, PyAny>>) -> PyResult<u8> {
    let Some(p) = protocol.filter(|p| !p.is_none()) else {
        return super::globals::default_protocol(py)?.extract();
    };
    let p: i64 = p.extract()?;
    if p < 0 {
        Ok(brinery::opcodes::Opcode::HIGHEST_PROTOCOL)
    } else if p > brinery::opcodes::Opcode::HIGHEST_PROTOCOL as i64 {
        Err(PyValueError::new_err(format!("pickle protocol must be <= {}", brinery::opcodes::Opcode::HIGHEST_PROTOCOL)))
    } else {
        Ok(p as u8)
    }
}

fn check_buffer_callback(proto: u8, cb: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    if cb.is_some_and(|c| !c.is_none()) && proto < 5 {
        return Err(PyValueError::new_err("buffer_callback needs protocol >= 5"));
    }
    Ok(())
}

/// The base of `brinery.pickle.Pickler`.
#[pyclass(subclass, module = "brinery._brinery", name = "Pickler", dict, weakref)]
#[derive(Default)]
pub(crate) struct Pickler {
    write: Option<Py<PyAny>>,
    proto: u8,
    fix_imports: bool,
    buffer_callback: Option<Py<PyAny>>,
    /// Fast mode: no memo (so no shared references or cycles).
    #[pyo3(get, set)]
    fast: bool,
    /// Kept across `dump()` calls, as CPython does.
    memo: PyMemo,
}

#[pymethods]
impl Pickler {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn py_new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        Pickler::default()
    }

    /// Sets the pickler up (the stdlib's `__init__` arguments).
    #[pyo3(signature = (file, protocol, fix_imports, buffer_callback))]
    fn _setup(
        &mut self,
        py: Python<'_>,
        file: &Bound<'_, PyAny>,
        protocol: Option<&Bound<'_, PyAny>>,
        fix_imports: bool,
        buffer_callback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let proto = resolve_protocol(py, protocol)?;
        check_buffer_callback(proto, buffer_callback)?;
        let Some(write) = file.getattr_opt("write")? else {
            return Err(PyTypeError::new_err("file must have a 'write' attribute"));
        };
        self.write = Some(write.unbind());
        self.proto = proto;
        self.fix_imports = fix_imports;
        self.buffer_callback = buffer_callback.filter(|c| !c.is_none()).map(|c| c.clone().unbind());
        self.fast = false;
        self.memo.clear();
        Ok(())
    }

    /// Whether the protocol is a binary one (> 0).
    #[getter]
    fn bin(&self) -> bool {
        self.proto > 0
    }

    /// Writes the pickle of `obj` to the file.
    fn dump(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let (write, proto, fix_imports, fast, memo, buffer_callback) = {
            let mut p = slf.borrow_mut();
            let Some(write) = p.write.as_ref().map(|w| w.clone_ref(py)) else {
                return Err(pickling_error(
                    py,
                    format!("Pickler.__init__() was not called by {}.__init__()", slf.get_type().name()?),
                ));
            };
            let cb = p.buffer_callback.as_ref().map(|c| c.bind(py).clone());
            (write, p.proto, p.fix_imports, p.fast, std::mem::take(&mut p.memo), cb)
        };
        let this = slf.as_any();
        let hooks = Hooks {
            persistent_id: this.getattr_opt("persistent_id")?,
            reducer_override: this.getattr_opt("reducer_override")?,
            dispatch_table: this.getattr_opt("dispatch_table")?,
            buffer_callback,
        };
        let mut saver = Saver::new(py, proto, fix_imports, fast, memo, hooks, None)?;
        saver.stream_to(write.bind(py).clone());
        let result = saver.dump(obj);
        slf.borrow_mut().memo = std::mem::take(&mut saver.memo);
        let bytes = result?;
        write.bind(py).call1((PyBytes::new(py, &bytes),))?;
        Ok(())
    }

    /// Forgets every object pickled so far.
    fn clear_memo(&mut self) {
        self.memo.clear();
    }

    /// The memo as `{id(obj): (index, obj)}` (for `PicklerMemoProxy.copy`).
    fn _memo_copy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (&addr, (index, obj)) in &self.memo {
            dict.set_item(addr, (*index, obj.clone_ref(py)))?;
        }
        Ok(dict)
    }

    /// Replaces the memo with `{id(obj): (index, obj)}` (the `memo` setter).
    fn _memo_set(&mut self, memo: &Bound<'_, PyDict>) -> PyResult<()> {
        let mut new = PyMemo::default();
        for (_, value) in memo.iter() {
            let pair = value.cast::<PyTuple>().ok().filter(|t| t.len() == 2);
            let Some(pair) = pair else {
                return Err(PyTypeError::new_err("'memo' values must be 2-item tuples"));
            };
            let index: u32 = pair.get_item(0)?.extract()?;
            let obj = pair.get_item(1)?;
            new.insert(obj.as_ptr() as usize, (index, obj.into()));
        }
        self.memo = new;
        Ok(())
    }
}

/// The size of the last pickle `dumps` wrote, as a first capacity for the next.
static LAST_SIZE: SizeHint = SizeHint::new();

/// `pickle.dumps`.
#[pyfunction]
#[pyo3(signature = (obj, protocol=None, *, fix_imports=true, buffer_callback=None))]
pub(crate) fn dumps<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    protocol: Option<&Bound<'py, PyAny>>,
    fix_imports: bool,
    buffer_callback: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let proto = resolve_protocol(py, protocol)?;
    check_buffer_callback(proto, buffer_callback)?;
    let hooks = Hooks { buffer_callback: buffer_callback.filter(|c| !c.is_none()).cloned(), ..Hooks::default() };
    let spares = spare::take();
    let mut saver = Saver::new(py, proto, fix_imports, false, spares.memo, hooks, Some(spares.out))?;
    saver.one_shot();
    saver.enc.reserve(LAST_SIZE.get());
    let result = saver.dump(obj);
    let memo = std::mem::take(&mut saver.memo);
    drop(saver);
    let bytes = result?;
    LAST_SIZE.record(bytes.len());
    let pickle = PyBytes::new(py, &bytes);
    spare::give_back(bytes, memo);
    Ok(pickle)
}

/// `pickle.dump`.
#[pyfunction]
#[pyo3(signature = (obj, file, protocol=None, *, fix_imports=true, buffer_callback=None))]
pub(crate) fn dump<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    file: &Bound<'py, PyAny>,
    protocol: Option<&Bound<'py, PyAny>>,
    fix_imports: bool,
    buffer_callback: Option<&Bound<'py, PyAny>>,
) -> PyResult<()> {
    let Some(write) = file.getattr_opt("write")? else {
        return Err(PyTypeError::new_err("file must have a 'write' attribute"));
    };
    let bytes = dumps(py, obj, protocol, fix_imports, buffer_callback)?;
    write.call1((bytes,))?;
    Ok(())
}

/// `pickle.load`.
#[pyfunction]
#[pyo3(signature = (file, *, fix_imports=true, encoding="ASCII", errors="strict", buffers=None))]
pub(crate) fn load<'py>(
    py: Python<'py>,
    file: &Bound<'py, PyAny>,
    fix_imports: bool,
    encoding: &str,
    errors: &str,
    buffers: Option<&Bound<'py, PyAny>>,
) -> PyResult<Py<PyAny>> {
    load_module_level(py, Source::File(file), fix_imports, encoding, errors, buffers).map(super::obj::Obj::into_py)
}

/// `pickle.loads`.
#[pyfunction]
#[pyo3(signature = (data, /, *, fix_imports=true, encoding="ASCII", errors="strict", buffers=None))]
pub(crate) fn loads<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    fix_imports: bool,
    encoding: &str,
    errors: &str,
    buffers: Option<&Bound<'py, PyAny>>,
) -> PyResult<Py<PyAny>> {
    if data.is_instance_of::<pyo3::types::PyString>() {
        return Err(PyTypeError::new_err("a bytes-like object is required, not 'str'"));
    }
    // `bytes` (the usual argument) is immutable: read it in place, without
    // the buffer protocol's export and format checks.
    if let Ok(bytes) = data.cast_exact::<PyBytes>() {
        return load_module_level(py, Source::Bytes(bytes.as_bytes()), fix_imports, encoding, errors, buffers)
            .map(super::obj::Obj::into_py);
    }
    let buffer = pyo3::buffer::PyBuffer::<u8>::get(data)?;
    let bytes = buffer_bytes(&buffer);
    load_module_level(py, Source::Bytes(bytes), fix_imports, encoding, errors, buffers).map(super::obj::Obj::into_py)
}
