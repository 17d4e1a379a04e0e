//! The native half of the Python package `brinery` (`brinery._brinery`):
//! a `Pickler` that drives the engine's one encoder from Python objects, an
//! `Unpickler` that runs the engine's one machine with a Python-object sink,
//! JSON encoding/decoding over the engine's JSON writer and parser, and the
//! scanner behind `brinery.scan`.
//!
//! The Python-facing API (`brinery.pickle`, `brinery.json`, the safe
//! top-level `brinery.loads`) lives in `python/brinery/`; this crate only
//! provides the pieces that must be fast.

use pyo3::prelude::*;

mod json;
mod pickle;
mod scan;
mod sequence;
mod small_ints;
mod str_cache;

/// The extension module `brinery._brinery`.
#[pymodule]
#[pyo3(name = "_brinery")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    json::register(m)?;
    pickle::register(m)?;
    scan::register(m)?;
    Ok(())
}
