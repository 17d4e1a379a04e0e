//! Building a tuple or list from items the loaders already hold: at its
//! final size, each slot written once, as CPython's own C code does.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// Which sequence [`filled`] makes.
#[derive(Clone, Copy)]
pub(crate) enum Sequence {
    Tuple,
    List,
}

/// A new tuple or list of `items`, made at its final size and filled in
/// place when the iterator says exactly how many items there are (the
/// pickle machine's and the JSON parser's always do), with no `Vec` in
/// between. The items are owned references of any kind that converts to
/// `Py<PyAny>` without a count change.
pub(crate) fn filled<T: Into<Py<PyAny>>, I: Iterator<Item = T>>(
    py: Python<'_>,
    items: I,
    kind: Sequence,
) -> PyResult<Py<PyAny>> {
    let n = match items.size_hint() {
        (low, Some(high)) if low == high => low,
        _ => {
            let items: Vec<Py<PyAny>> = items.map(Into::into).collect();
            return Ok(match kind {
                Sequence::Tuple => PyTuple::new(py, items)?.into_any().unbind(),
                Sequence::List => PyList::new(py, items)?.into_any().unbind(),
            });
        }
    };
    // SAFETY: a new tuple or list of exactly `n` slots; each slot is set
    // once with a reference it steals, before the object is returned. If
    // the iterator ends early, the unset slots are NULL, which both types'
    // deallocators skip, and the object is dropped, never seen.
    unsafe {
        let seq = match kind {
            Sequence::Tuple => ffi::PyTuple_New(n as ffi::Py_ssize_t),
            Sequence::List => ffi::PyList_New(n as ffi::Py_ssize_t),
        };
        let seq = Bound::from_owned_ptr_or_err(py, seq)?;
        let slots: *mut *mut ffi::PyObject = match kind {
            Sequence::Tuple => (*seq.as_ptr().cast::<ffi::PyTupleObject>()).ob_item.as_mut_ptr(),
            Sequence::List => (*seq.as_ptr().cast::<ffi::PyListObject>()).ob_item,
        };
        let mut filled = 0;
        for item in items {
            if filled == n {
                break; // never: the count was exact
            }
            *slots.add(filled) = item.into().into_ptr();
            filled += 1;
        }
        if filled != n {
            return Err(pyo3::exceptions::PySystemError::new_err("fewer items than announced"));
        }
        Ok(seq.unbind())
    }
}
