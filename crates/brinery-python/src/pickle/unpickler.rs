//! `Unpickler`: CPython's C `Unpickler` with the engine's machine inside.
//!
//! The Python class `brinery.pickle.Unpickler` subclasses this one and
//! gives it the stdlib's `__init__` signature.

use super::exceptions::{to_python, unpickling_error};
use super::file_reader::FileReader;
use super::globals::{self, Compat};
use super::py_sink::{Loader, Obj, PySink};
use brinery::pickle::{self, LoadOptions, Memo, StringEncoding, TrailingData};
use pyo3::exceptions::{PyAttributeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyFrozenSet, PyString, PyTuple};

/// The engine's options for a Python unpickler: the Python sink decodes
/// Python 2 strings and maps Python 2 names itself (in `find_class`), and
/// bytes after STOP are left for the next `load()`.
fn engine_options(encoding: &str) -> LoadOptions {
    LoadOptions {
        fix_imports: false,
        encoding: if encoding == "bytes" { StringEncoding::Bytes } else { StringEncoding::BySink },
        trailing_data: TrailingData::Ignore,
        limits: brinery::pickle::Limits { max_depth: usize::MAX, ..Default::default() },
        ..LoadOptions::default()
    }
}

/// The base of `brinery.pickle.Unpickler`.
#[pyclass(subclass, module = "brinery._brinery", name = "Unpickler", dict, weakref)]
#[derive(Default)]
pub(crate) struct Unpickler {
    file: Option<Py<PyAny>>,
    fix_imports: bool,
    encoding: String,
    errors: String,
    /// Iterator over the out-of-band buffers; `None` when `buffers=None`.
    buffers: Option<Py<PyAny>>,
    /// The protocol of the pickle being loaded (its last PROTO).
    pub(crate) proto: u8,
    /// Kept across `load()` calls, as CPython does.
    memo: Memo<Obj>,
    /// The safe loader's allowlist (`"module.name"` strings): globals
    /// outside it are refused before anything is imported.
    allowed: Option<Py<PyFrozenSet>>,
}

#[pymethods]
impl Unpickler {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn py_new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        Unpickler::default()
    }

    /// Sets the unpickler up (the stdlib's `__init__` arguments).
    #[pyo3(signature = (file, fix_imports, encoding, errors, buffers))]
    fn _setup(
        &mut self,
        file: &Bound<'_, PyAny>,
        fix_imports: bool,
        encoding: &str,
        errors: &str,
        buffers: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        check_readable(file)?;
        self.setup(file, fix_imports, encoding, errors, buffers)
    }

    /// Reads one pickle from the file and returns the object it holds.
    pub(crate) fn load(slf: &Bound<'_, Self>) -> PyResult<Obj> {
        let py = slf.py();
        let (sink, opts, mut memo) = Self::begin(slf)?;
        let file = slf.borrow().file.as_ref().map(|f| f.clone_ref(py)).expect("checked by begin");
        let result = load_from_file(file.bind(py), sink, &opts, &mut memo);
        slf.borrow_mut().memo = memo;
        result
    }

    /// Returns the object `module_name.global_name` names (after the
    /// Python 2 name mapping below protocol 3), importing the module.
    fn find_class(
        slf: &Bound<'_, Self>,
        module_name: &Bound<'_, PyAny>,
        global_name: &Bound<'_, PyAny>,
    ) -> PyResult<Obj> {
        let (proto, fix_imports, allowed) = {
            let u = slf.borrow();
            (u.proto, u.fix_imports, u.allowed.as_ref().map(|a| a.bind(slf.py()).clone()))
        };
        resolve_global(slf.py(), proto, fix_imports, allowed.as_ref(), module_name, global_name)
    }

    /// The memo as a dict `{index: object}` (for `UnpicklerMemoProxy.copy`).
    fn _memo_copy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (index, obj) in self.memo.iter() {
            dict.set_item(index, obj)?;
        }
        Ok(dict)
    }

    /// Replaces the memo with a dict `{index: object}` (the `memo` setter).
    fn _memo_set(&mut self, memo: &Bound<'_, PyDict>) -> PyResult<()> {
        let mut new = Memo::new();
        for (index, obj) in memo.iter() {
            let index: i64 = index.extract()?;
            let index =
                u64::try_from(index).map_err(|_| PyValueError::new_err("memo key must be positive integers."))?;
            new.put(index, obj.into());
        }
        self.memo = new;
        Ok(())
    }

    /// Restricts `find_class` to the `"module.name"` strings in `allowed`
    /// (checked after Python 2 name mapping, before any import).
    fn _restrict(&mut self, allowed: &Bound<'_, PyFrozenSet>) {
        self.allowed = Some(allowed.clone().unbind());
    }

    /// Empties the memo (`UnpicklerMemoProxy.clear`).
    fn _memo_clear(&mut self) {
        self.memo.clear();
    }
}

impl Unpickler {
    /// Stores the `__init__` arguments; `file` may be `None` for `loads`.
    pub(crate) fn setup(
        &mut self,
        file: &Bound<'_, PyAny>,
        fix_imports: bool,
        encoding: &str,
        errors: &str,
        buffers: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.file = Some(file.clone().unbind());
        self.fix_imports = fix_imports;
        self.encoding = encoding.to_owned();
        self.errors = errors.to_owned();
        self.buffers = if buffers.is_none() { None } else { Some(buffers.try_iter()?.into_any().unbind()) };
        self.proto = 0;
        Ok(())
    }

    /// What one `load()` needs: the sink, the engine options, and the memo
    /// (taken out while the load runs: callbacks may use the unpickler).
    fn begin<'py>(slf: &Bound<'py, Self>) -> PyResult<(PySink<'py>, LoadOptions, Memo<Obj>)> {
        let py = slf.py();
        let mut u = slf.borrow_mut();
        if u.file.is_none() {
            return Err(unpickling_error(
                py,
                format!("Unpickler.__init__() was not called by {}.__init__()", slf.get_type().name()?),
            ));
        }
        u.proto = 0;
        let buffers = u.buffers.as_ref().map(|b| b.bind(py).clone());
        let codec = (u.encoding.clone(), u.errors.clone());
        let mut opts = engine_options(&u.encoding);
        opts.extensions = extension_snapshot(py)?;
        let memo = std::mem::take(&mut u.memo);
        drop(u);
        Ok((PySink::new(py, Loader::Object(slf.clone().into_any()), buffers, codec), opts, memo))
    }
}

/// Where a module-level load reads its pickle.
pub(crate) enum Source<'a, 'py> {
    /// `pickle.loads`: the pickle at the start of these bytes.
    Bytes(&'a [u8]),
    /// `pickle.load`: a file object.
    File(&'a Bound<'py, PyAny>),
}

/// The module-level `pickle.loads` and `pickle.load`: the
/// base class's behaviour, with no `Unpickler` object made (nothing could
/// see it: the base class has no `persistent_load`, and its `find_class`
/// is [`resolve_global`]). `buffers` not given reads like `buffers=None`,
/// as in CPython (whose C default is "not given", not its documented `()`).
pub(crate) fn load_module_level<'py>(
    py: Python<'py>,
    source: Source<'_, 'py>,
    fix_imports: bool,
    encoding: &str,
    errors: &str,
    buffers: Option<&Bound<'py, PyAny>>,
) -> PyResult<Obj> {
    let buffers = match buffers.filter(|b| !b.is_none()) {
        Some(b) => Some(b.try_iter()?.into_any()),
        None => None,
    };
    let mut opts = engine_options(encoding);
    opts.extensions = extension_snapshot(py)?;
    let loader = Loader::Module { fix_imports, proto: 0 };
    let sink = PySink::new(py, loader, buffers, (encoding.to_owned(), errors.to_owned()));
    let mut memo = Memo::new();
    match source {
        Source::Bytes(bytes) => load_from_bytes(py, bytes, sink, &opts, &mut memo),
        Source::File(file) => {
            check_readable(file)?;
            load_from_file(file, sink, &opts, &mut memo)
        }
    }
}

/// CPython's check of an unpickler's file: `read` and `readline` must
/// exist. The attributes are looked up in CPython's order (`peek` and
/// `readinto` first), so a failing property raises the same error.
fn check_readable(file: &Bound<'_, PyAny>) -> PyResult<()> {
    let _peek = file.getattr_opt("peek")?;
    let _readinto = file.getattr_opt("readinto")?;
    let read = file.getattr_opt("read")?;
    let readline = file.getattr_opt("readline")?;
    if read.is_none() || readline.is_none() {
        return Err(PyTypeError::new_err("file must have 'read' and 'readline' attributes"));
    }
    Ok(())
}

/// Runs the machine over the pickle at the start of `data`.
fn load_from_bytes(
    py: Python<'_>,
    data: &[u8],
    sink: PySink<'_>,
    opts: &LoadOptions,
    memo: &mut Memo<Obj>,
) -> PyResult<Obj> {
    // A memo store takes a byte or two of the pickle: an eighth of its
    // size (at most 4096 entries) covers typical pickles without regrowth.
    memo.reserve((data.len() / 8).min(4096));
    let result = pickle::run_sink_with_memo(data, sink, opts, memo);
    result.map(|(obj, _)| obj).map_err(|e| to_python(py, e))
}

/// CPython's `Unpickler.find_class`: audits, maps Python 2 names below
/// protocol 3 (with `fix_imports`), checks the safe loader's allowlist
/// before anything is imported, then imports the module and returns the
/// attribute (dotted names from protocol 4 on).
pub(crate) fn resolve_global(
    py: Python<'_>,
    proto: u8,
    fix_imports: bool,
    allowed: Option<&Bound<'_, PyFrozenSet>>,
    module_name: &Bound<'_, PyAny>,
    global_name: &Bound<'_, PyAny>,
) -> PyResult<Obj> {
    globals::audit_find_class(module_name, global_name)?;
    let (module_name, global_name) = if proto < 3 && fix_imports {
        globals::compat_map(Compat::ToPython3, module_name, global_name)?
    } else {
        (module_name.clone(), global_name.clone())
    };
    if let Some(allowed) = allowed {
        check_allowed(allowed, &module_name, &global_name)?;
    }
    let module = py.import(module_name.cast::<PyString>()?)?;
    if proto >= 4 {
        get_dotted_attribute(module.as_any(), &global_name)
    } else {
        Ok(module.getattr(global_name.cast::<PyString>()?)?.into())
    }
}

/// EXT code → (module, name), as [`LoadOptions::extensions`] holds it.
type ExtensionRegistry = std::sync::Arc<std::collections::HashMap<i64, (String, String)>>;

/// `copyreg`'s EXT code registry as the machine reads it (`None` when empty, as it usually is).
fn extension_snapshot(py: Python<'_>) -> PyResult<Option<ExtensionRegistry>> {
    let registry = super::globals::inverted_registry(py)?.cast::<PyDict>()?;
    if registry.is_empty() {
        return Ok(None);
    }
    let mut map = std::collections::HashMap::new();
    for (code, pair) in registry.iter() {
        let (module, name): (String, String) = pair
            .extract()
            .map_err(|_| PyValueError::new_err(format!("_inverted_registry[{code}] isn't a 2-tuple of strings")))?;
        map.insert(code.extract::<i64>()?, (module, name));
    }
    Ok(Some(std::sync::Arc::new(map)))
}

/// Reads one pickle from a file object: straight from the buffer of an
/// `io.BytesIO` (then seeks past the pickle), else through `read`/`peek`.
fn load_from_file(
    file: &Bound<'_, PyAny>,
    sink: PySink<'_>,
    opts: &LoadOptions,
    memo: &mut Memo<Obj>,
) -> PyResult<Obj> {
    let py = file.py();
    if file.get_type().is(bytes_io_type(py)?) {
        let start: usize = file.call_method0("tell")?.extract()?;
        let view = file.call_method0("getbuffer")?;
        let result = {
            let buffer = pyo3::buffer::PyBuffer::<u8>::get(&view)?;
            let data = buffer_bytes(&buffer);
            let data = data.get(start..).unwrap_or(&[]);
            pickle::run_sink_with_memo(data, sink, opts, memo)
        };
        view.call_method0("release")?;
        return match result {
            Ok((obj, used)) => {
                file.call_method1("seek", (start + used,))?;
                Ok(obj)
            }
            Err(e) => {
                // CPython has consumed the input it read; stay where the data ends.
                file.call_method1("seek", (0, 2))?;
                Err(to_python(py, e))
            }
        };
    }
    let mut reader = FileReader::new(file)?;
    let result = pickle::run_sink_reader_with_memo(&mut reader, sink, opts, memo);
    if let Some(err) = reader.error.take() {
        return Err(err);
    }
    reader.settle()?;
    result.map_err(|e| to_python(py, e))
}

/// The bytes a contiguous buffer exposes.
pub(crate) fn buffer_bytes(buffer: &pyo3::buffer::PyBuffer<u8>) -> &[u8] {
    // SAFETY: a PyBuffer<u8> is a C-contiguous buffer of `len_bytes()` bytes
    // (checked by PyBuffer::get), kept alive and unresizable while `buffer`
    // lives; the GIL is held, so no other thread writes to it.
    unsafe { std::slice::from_raw_parts(buffer.buf_ptr() as *const u8, buffer.len_bytes()) }
}

fn bytes_io_type(py: Python<'_>) -> PyResult<&Bound<'_, pyo3::types::PyType>> {
    static BYTES_IO: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();
    BYTES_IO.import(py, "io", "BytesIO")
}

/// The safe loader's check: `module.name` must be allowlisted, else
/// `brinery.safe.UnsafeGlobalError` (the machine adds where it happened).
fn check_allowed(allowed: &Bound<'_, PyFrozenSet>, module: &Bound<'_, PyAny>, name: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = allowed.py();
    let module = module.cast::<PyString>()?;
    let name = name.cast::<PyString>()?;
    let qualified = format!("{}.{}", module.to_cow()?, name.to_cow()?);
    if allowed.contains(&qualified)? {
        return Ok(());
    }
    static UNSAFE: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();
    let exc = UNSAFE.import(py, "brinery.safe", "UnsafeGlobalError")?;
    Err(PyErr::from_value(exc.call1((module, name))?))
}

/// Protocol ≥ 4's dotted names: `a.b.c` is walked attribute by attribute;
/// `<locals>` can't be.
pub(crate) fn get_dotted_attribute(obj: &Bound<'_, PyAny>, name: &Bound<'_, PyAny>) -> PyResult<Obj> {
    let name_str = name.cast::<PyString>()?.to_cow()?;
    let mut current = obj.clone();
    for part in name_str.split('.') {
        if part == "<locals>" {
            return Err(PyAttributeError::new_err(format!(
                "Can't get local attribute {} on {}",
                name.repr()?,
                obj.repr()?
            )));
        }
        current = match current.getattr_opt(part)? {
            Some(next) => next,
            None => {
                return Err(PyAttributeError::new_err(format!(
                    "Can't get attribute {} on {}",
                    name.repr()?,
                    obj.repr()?
                )))
            }
        };
    }
    Ok(current.into())
}
