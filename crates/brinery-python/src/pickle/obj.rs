//! [`Obj`], the owned object reference the unpickling machine keeps on its
//! stack and in its memo, and the pickler keeps in its memo.
//!
//! PyO3's `Py<PyAny>` may be cloned or dropped on a thread that is not
//! attached to the interpreter, so each clone and drop first reads a
//! thread-local to find out (and defers the count change if not). A load
//! clones or drops a reference for nearly every opcode (MEMOIZE, BINGET, the
//! key and value a SETITEMS hands over), and those checks were several
//! percent of a small pickle's load; a dump releases every memo entry at
//! its end. An `Obj` changes the count directly (docs/decisions/0015).

use pyo3::ffi;
use pyo3::prelude::*;
use std::mem::ManuallyDrop;
use std::ops::Deref;

/// An owned reference to a Python object whose clone is an incref and whose
/// drop is a decref, with no check of the thread.
///
/// The invariant that makes this sound: an `Obj` is only ever made, cloned
/// or dropped by a thread attached to the interpreter. Every `Obj` lives in
/// the unpickler's machine during a load or in a pickler's memo during a
/// dump (both run inside a call from Python), or in an `Unpickler`'s or
/// `Pickler`'s memo between calls (which Python frees while attached; the
/// memo a thread keeps for its next dump is kept empty); one leaves that
/// world only as a `Py<PyAny>` ([`Obj::into_py`]).
///
/// ```text
/// let item: Obj = list.into_any().into();   // takes the reference over
/// let again = item.clone();                 // Py_INCREF
/// drop(again);                              // Py_DECREF
/// let back: Py<PyAny> = item.into_py();     // gives it back, unchanged
/// ```
#[repr(transparent)]
pub(crate) struct Obj(ManuallyDrop<Py<PyAny>>);

impl Obj {
    /// The reference as a `Py<PyAny>`, with no count change.
    pub(crate) fn into_py(self) -> Py<PyAny> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the reference moves out once.
        unsafe { std::ptr::read(&*this.0) }
    }
}

impl Clone for Obj {
    #[inline(always)]
    fn clone(&self) -> Self {
        debug_assert!(attached());
        // SAFETY: by the type's invariant the thread is attached.
        let py = unsafe { Python::assume_attached() };
        Obj(ManuallyDrop::new(self.0.clone_ref(py)))
    }
}

impl Drop for Obj {
    #[inline(always)]
    fn drop(&mut self) {
        debug_assert!(attached());
        // SAFETY: by the type's invariant the thread is attached; `self`
        // owns one reference, given up here.
        unsafe { ffi::Py_DECREF(self.0.as_ptr()) }
    }
}

/// Whether this thread holds the GIL (for the debug checks of the
/// invariant; the debug-assertion build of the test suite runs them).
fn attached() -> bool {
    // SAFETY: callable from any thread at any time.
    unsafe { ffi::PyGILState_Check() == 1 }
}

impl Deref for Obj {
    type Target = Py<PyAny>;

    #[inline(always)]
    fn deref(&self) -> &Py<PyAny> {
        &self.0
    }
}

impl From<Py<PyAny>> for Obj {
    #[inline(always)]
    fn from(obj: Py<PyAny>) -> Self {
        Obj(ManuallyDrop::new(obj))
    }
}

impl From<Bound<'_, PyAny>> for Obj {
    #[inline(always)]
    fn from(obj: Bound<'_, PyAny>) -> Self {
        Obj(ManuallyDrop::new(obj.unbind()))
    }
}

impl From<Obj> for Py<PyAny> {
    #[inline(always)]
    fn from(obj: Obj) -> Self {
        obj.into_py()
    }
}

impl<'py> IntoPyObject<'py> for Obj {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = std::convert::Infallible;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(self.into_py().into_bound(py))
    }
}

impl<'a, 'py> IntoPyObject<'py> for &'a Obj {
    type Target = PyAny;
    type Output = pyo3::Borrowed<'a, 'py, PyAny>;
    type Error = std::convert::Infallible;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(self.0.bind_borrowed(py))
    }
}
