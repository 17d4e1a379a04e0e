//! Strings and bytes a one-shot dump can give a memo index without a memo
//! entry, for as long as no Python code runs.
//!
//! CPython memoizes every str and bytes it pickles: a hash insert, and a
//! reference that keeps the object alive until the pickler is gone. Most of
//! those entries are never looked up again: a string that only its list,
//! or only its dict as a value, refers to cannot be met a second time,
//! because that container is memoized before its items are written and so
//! is walked once. (A tuple is memoized after its items, so a cycle back to
//! it walks them twice: tuple items are not candidates.) A reference count of
//! at most 2 (the container, and the saver's own reference to the item) says
//! so, *while no Python code runs*: code could take a new reference to the
//! string (through a cache, `sys.intern`, or the container) and hand it to
//! the pickler later, where CPython writes a memo GET.
//!
//! So such a leaf gets its index (the bytes say MEMOIZE/BINPUT as CPython's
//! do) and is noted here, and every note is entered into the memo, with its
//! reference, before the saver does anything that can run Python code (a
//! reducer, a hook, an import, a `write`, an allocation of a container or
//! an exception, on which the garbage collector may run). At that point the
//! objects are alive and unmoved, since nothing but the saver has run, and
//! the memo is exactly CPython's. Dict keys are never skipped: instance
//! dicts of one class share their keys, so one key object can be a key of
//! several dicts.
//!
//! Only one-shot dumps (`dumps`, `dump`) use this: a `Pickler`'s memo
//! outlives the call and can be read.

use super::save::PyMemo;
use pyo3::prelude::*;

/// The leaves given an index but no memo entry yet.
#[derive(Default)]
pub(crate) struct UnsharedLeaves {
    enabled: bool,
    /// (address, memo index) of each leaf not yet in the memo.
    pending: Vec<(usize, u32)>,
}

impl UnsharedLeaves {
    /// Leaves are noted from now on (a one-shot dump).
    pub(crate) fn enable(&mut self) {
        self.enabled = true;
        // Room for a typical dump's leaves, instead of four regrowths.
        self.pending.reserve(64);
    }

    /// Whether `item`, met as a list item or a dict value with the saver
    /// holding one reference to it, is referred to by nothing else than its
    /// container (the caller then checks that it is a str or bytes).
    #[inline]
    pub(crate) fn is_unshared(&self, item: &Bound<'_, PyAny>) -> bool {
        // SAFETY: reading the reference count of a live object.
        self.enabled && unsafe { pyo3::ffi::Py_REFCNT(item.as_ptr()) } <= 2
    }

    /// Notes `item`, just written with memo `index`.
    #[inline]
    pub(crate) fn note(&mut self, item: &Bound<'_, PyAny>, index: u32) {
        self.pending.push((item.as_ptr() as usize, index));
    }

    /// Enters every noted leaf into `memo`, as CPython's memo has it. Call
    /// before anything that can run Python code.
    #[inline]
    pub(crate) fn settle(&mut self, py: Python<'_>, memo: &mut PyMemo) {
        if !self.pending.is_empty() {
            self.settle_pending(py, memo);
        }
    }

    /// Drops the noted leaves without entering them, when Python code may
    /// have run before [`settle`](Self::settle) could (a garbage collection
    /// while CPython raised an exception): their objects may be gone, so
    /// they are not touched. The pickle is still a correct one; it differs
    /// from CPython's only if that code took a new reference to one of
    /// those strings and the pickler meets it again.
    pub(crate) fn forget(&mut self) {
        self.pending.clear();
    }

    #[cold]
    fn settle_pending(&mut self, py: Python<'_>, memo: &mut PyMemo) {
        memo.reserve(self.pending.len());
        for (address, index) in self.pending.drain(..) {
            // SAFETY: no Python code ran since the leaf was noted, so its
            // container still holds it: the address is a live object.
            let obj = unsafe { Bound::from_borrowed_ptr(py, address as *mut pyo3::ffi::PyObject) }.unbind();
            memo.insert(address, (index, obj.into()));
        }
    }
}
