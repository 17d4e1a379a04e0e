//! `brinery.pickle`'s native part: the `Pickler` and `Unpickler` bases and
//! the module-level `dumps`/`loads`.

mod exceptions;
mod file_reader;
mod globals;
mod obj;
mod pickler;
mod py_sink;
mod save;
mod spare;
mod unpickler;
mod unshared;

use pyo3::prelude::*;
pub(crate) use unpickler::buffer_bytes;

/// Adds the pickle classes and functions to the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<unpickler::Unpickler>()?;
    m.add_class::<pickler::Pickler>()?;
    m.add_function(wrap_pyfunction!(pickler::dumps, m)?)?;
    m.add_function(wrap_pyfunction!(pickler::dump, m)?)?;
    m.add_function(wrap_pyfunction!(pickler::loads, m)?)?;
    m.add_function(wrap_pyfunction!(pickler::load, m)?)?;
    Ok(())
}
