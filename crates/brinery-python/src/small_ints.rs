//! CPython's preallocated small ints (-5 to 256), looked up once and then
//! handed out with an incref: `PyLong_FromLong` returns these same objects
//! for these values, through a call and range checks that cost more than the
//! lookup (every BININT1 of a pickle, most ints of a JSON document).

use pyo3::prelude::*;
use std::sync::OnceLock;

/// The lowest and highest value CPython preallocates.
const LOWEST: i64 = -5;
const HIGHEST: i64 = 256;

/// How many there are.
const COUNT: usize = (HIGHEST - LOWEST + 1) as usize;

/// An array, not a vector: a lookup is one load at a fixed address, with no
/// length to check.
static SMALL_INTS: OnceLock<[Py<PyAny>; COUNT]> = OnceLock::new();

/// The `int` for `v` when it is one of the preallocated small ints.
///
/// ```text
/// small_int(py, 7)    -> Some(the one int 7 object)
/// small_int(py, 1000) -> None
/// ```
#[inline(always)]
pub(crate) fn small_int(py: Python<'_>, v: i64) -> Option<Py<PyAny>> {
    if !(LOWEST..=HIGHEST).contains(&v) {
        return None;
    }
    let table = match SMALL_INTS.get() {
        Some(table) => table,
        None => fill(py),
    };
    Some(table[(v - LOWEST) as usize].clone_ref(py))
}

/// Looks the small ints up, on first use.
#[cold]
#[inline(never)]
fn fill(py: Python<'_>) -> &'static [Py<PyAny>; COUNT] {
    SMALL_INTS.get_or_init(|| {
        std::array::from_fn(|i| (LOWEST + i as i64).into_pyobject(py).expect("a small int").into_any().unbind())
    })
}
