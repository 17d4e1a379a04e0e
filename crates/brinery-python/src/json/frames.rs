//! Python's recursion limit counts frames, and the standard library reaches
//! its C scanner and encoder through more Python frames than `brinery.json`
//! reaches its native code (`json.loads` → `decode` → `raw_decode` → C,
//! against `loads` → native). [`Charged`] takes the missing frames from the
//! recursion budget for the duration of a call, so nesting hits the limit
//! at the same level, with the same message, as with the standard library.

use pyo3::ffi;
use pyo3::prelude::*;

/// `frames` levels of the recursion budget, held until dropped.
pub(crate) struct Charged {
    frames: u32,
}

impl Charged {
    /// Takes `frames` levels (as that many nested calls would).
    pub(crate) fn take(py: Python<'_>, frames: u32) -> PyResult<Charged> {
        let mut charged = Charged { frames: 0 };
        for _ in 0..frames {
            // SAFETY: the GIL is held; every successful enter is matched by
            // a leave in `drop`.
            if unsafe { ffi::Py_EnterRecursiveCall(c"".as_ptr()) } != 0 {
                return Err(PyErr::fetch(py));
            }
            charged.frames += 1;
        }
        Ok(charged)
    }
}

impl Drop for Charged {
    fn drop(&mut self) {
        for _ in 0..self.frames {
            // SAFETY: matches an enter made in `take`.
            unsafe { ffi::Py_LeaveRecursiveCall() }
        }
    }
}
