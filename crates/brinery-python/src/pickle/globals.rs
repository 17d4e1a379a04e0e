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

/// A dict from a cached import.
pub(crate) fn as_dict<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> PyResult<&'a Bound<'py, PyDict>> {
    Ok(obj.cast::<PyDict>()?)
}
