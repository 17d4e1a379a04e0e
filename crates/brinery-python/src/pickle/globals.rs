//! Python objects the pickler and unpickler consult, imported once:
//! `copyreg`'s tables, `functools.partial`, `getattr`, `_codecs.encode`,
//! `_compat_pickle`'s mappings, the `PickleBuffer` type.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

macro_rules! imported {
    ($(#[$doc:meta])* $fn:ident, $module:literal, $name:literal) => {
        $(#[$doc])*
        pub(crate) fn $fn(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
            static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            CELL.import(py, $module, $name)
        }
    };
}

imported!(
    /// `copyreg.dispatch_table`: reducers for types without their own.
    copyreg_dispatch_table, "copyreg", "dispatch_table"
);
imported!(
    /// `copyreg._extension_registry`: (module, name) → EXT code.
    extension_registry, "copyreg", "_extension_registry"
);
imported!(
    /// `copyreg._inverted_registry`: EXT code → (module, name).
    inverted_registry, "copyreg", "_inverted_registry"
);
imported!(
    /// `functools.partial`, for NEWOBJ_EX below protocol 4.
    partial, "functools", "partial"
);
imported!(
    /// `builtins.getattr`, for nested names below protocol 4.
    builtin_getattr, "builtins", "getattr"
);
imported!(
    /// `_codecs.encode`, for bytes below protocol 3.
    codecs_encode, "_codecs", "encode"
);
imported!(
    /// `_compat_pickle.REVERSE_NAME_MAPPING`: Python 3 → 2 (module, name).
    reverse_name_mapping, "_compat_pickle", "REVERSE_NAME_MAPPING"
);
imported!(
    /// `_compat_pickle.REVERSE_IMPORT_MAPPING`: Python 3 → 2 module names.
    reverse_import_mapping, "_compat_pickle", "REVERSE_IMPORT_MAPPING"
);
imported!(
    /// `_compat_pickle.NAME_MAPPING`: Python 2 → 3 (module, name).
    name_mapping, "_compat_pickle", "NAME_MAPPING"
);
imported!(
    /// `_compat_pickle.IMPORT_MAPPING`: Python 2 → 3 module names.
    import_mapping, "_compat_pickle", "IMPORT_MAPPING"
);
imported!(
    /// `pickle.DEFAULT_PROTOCOL` of the running interpreter.
    default_protocol, "pickle", "DEFAULT_PROTOCOL"
);
imported!(
    /// `pickle.PickleBuffer`.
    pickle_buffer_type, "pickle", "PickleBuffer"
);

/// The interned `'latin1'` CPython's pickler shares between all bytes reduced below protocol 3.
pub(crate) fn latin1(py: Python<'_>) -> Bound<'_, PyString> {
    PyString::intern(py, "latin1")
}

/// `sys.modules`.
pub(crate) fn sys_modules(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("sys")?.getattr("modules")
}

/// Which way [`compat_map`] maps names.
#[derive(Clone, Copy)]
pub(crate) enum Compat {
    /// Python 2 names in a pickle → Python 3 (`find_class`, protocol < 3).
    ToPython3,
    /// Python 3 names → Python 2 (GLOBAL written below protocol 3).
    ToPython2,
}

/// `_compat_pickle`'s mapping of a global's (module, name), as CPython's
/// `find_class` and `save_global` apply it: the (module, name) table first,
/// then the module table.
pub(crate) fn compat_map<'py>(
    way: Compat,
    module: &Bound<'py, PyAny>,
    name: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let py = module.py();
    let (names, modules, table) = match way {
        Compat::ToPython3 => (name_mapping(py)?, import_mapping(py)?, "NAME_MAPPING"),
        Compat::ToPython2 => (reverse_name_mapping(py)?, reverse_import_mapping(py)?, "REVERSE_NAME_MAPPING"),
    };
    let key = pyo3::types::PyTuple::new(py, [module, name])?;
    if let Some(mapped) = as_dict(names)?.get_item(&key)? {
        let pair = mapped.cast::<pyo3::types::PyTuple>().ok().filter(|t| t.len() == 2);
        let Some(pair) = pair else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "_compat_pickle.{table} values should be 2-tuples, not {}",
                mapped.get_type().name()?
            )));
        };
        return Ok((pair.get_item(0)?, pair.get_item(1)?));
    }
    if let Some(mapped) = as_dict(modules)?.get_item(module)? {
        return Ok((mapped, name.clone()));
    }
    Ok((module.clone(), name.clone()))
}

/// A dict from a cached import.
pub(crate) fn as_dict<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> PyResult<&'a Bound<'py, PyDict>> {
    Ok(obj.cast::<PyDict>()?)
}

extern "C" {
    // CPython's C audit entry point (not in pyo3-ffi): variadic, with a
    // `Py_BuildValue` format for the event's arguments.
    fn PySys_Audit(event: *const std::ffi::c_char, format: *const std::ffi::c_char, ...) -> std::ffi::c_int;
}

/// Raises the `pickle.find_class` audit event as CPython's C unpickler does
/// (through `PySys_Audit`, so it costs next to nothing without hooks).
pub(crate) fn audit_find_class(module: &Bound<'_, PyAny>, name: &Bound<'_, PyAny>) -> PyResult<()> {
    // SAFETY: "OO" takes two object pointers, both alive for the call.
    let failed = unsafe { PySys_Audit(c"pickle.find_class".as_ptr(), c"OO".as_ptr(), module.as_ptr(), name.as_ptr()) };
    if failed != 0 {
        return Err(PyErr::fetch(module.py()));
    }
    Ok(())
}
