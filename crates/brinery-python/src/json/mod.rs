//! `brinery.json`'s native part: Python objects to JSON text through the
//! engine's writer, and JSON text to Python objects through its parser.

use pyo3::prelude::*;

/// Adds the JSON functions to the native module.
pub(crate) fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
