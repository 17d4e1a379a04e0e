//! The exact dicts `json.dumps` is in the middle of writing, read straight
//! from their tables until Python code may run.
//!
//! CPython's C encoder writes a snapshot of each dict's entries
//! (`PyDict_Items`), so a `default` function (or a subclass's `__iter__` or
//! `items`) that changes a dict being written does not change what is
//! written. Taking that snapshot for every dict is most of a dict's cost,
//! and on plain data no Python code runs at all. So the encoder walks each
//! exact dict with `PyDict_Next`, and only just before it calls anything
//! that may run Python code does it [hold](OpenDicts::hold_all) the rest of
//! the entries of every dict it is still in: nothing can have changed them
//! before that moment, so what is written is C's snapshot.

use pyo3::ffi;
use pyo3::prelude::*;

/// The dicts being written, outermost first, and the entries held for them.
#[derive(Default)]
pub(super) struct OpenDicts<'py> {
    frames: Vec<Frame>,
    /// The entries held for the frames, each frame's in one run, inner
    /// frames' runs after outer ones'.
    held: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>,
}

/// One dict being written.
struct Frame {
    dict: *mut ffi::PyObject,
    /// `PyDict_Next`'s position: just after the last entry read.
    pos: ffi::Py_ssize_t,
    held: Option<HeldRun>,
}

/// Where a frame's entries are in [`OpenDicts::held`].
struct HeldRun {
    start: usize,
    next: usize,
    end: usize,
}

/// A frame's place in [`OpenDicts`], from [`OpenDicts::open`].
#[derive(Clone, Copy)]
pub(super) struct FrameId(usize);

impl<'py> OpenDicts<'py> {
    /// Starts writing the exact dict `dict`.
    pub(super) fn open(&mut self, dict: *mut ffi::PyObject) -> FrameId {
        self.frames.push(Frame { dict, pos: 0, held: None });
        FrameId(self.frames.len() - 1)
    }

    /// The frame's next entry (borrowed pointers, valid until the next
    /// call to [`OpenDicts::hold_all`] that finds the frame unheld — the
    /// caller holds a value it writes with Python code able to run), or
    /// `None` at the end.
    ///
    /// # Safety
    /// `frame` is the innermost open frame and its dict is alive.
    #[inline(always)]
    pub(super) unsafe fn next(&mut self, frame: FrameId) -> Option<(*mut ffi::PyObject, *mut ffi::PyObject)> {
        let f = self.frames.get_unchecked_mut(frame.0);
        match &mut f.held {
            None => {
                let (mut key, mut value) = (std::ptr::null_mut(), std::ptr::null_mut());
                (ffi::PyDict_Next(f.dict, &mut f.pos, &mut key, &mut value) != 0).then_some((key, value))
            }
            Some(run) => {
                if run.next == run.end {
                    return None;
                }
                let (key, value) = &self.held[run.next];
                run.next += 1;
                Some((key.as_ptr(), value.as_ptr()))
            }
        }
    }

    /// Ends the innermost frame, `frame`, releasing what was held for it.
    pub(super) fn close(&mut self, frame: FrameId) {
        debug_assert_eq!(frame.0 + 1, self.frames.len(), "frames close innermost first");
        if let Some(Frame { held: Some(run), .. }) = self.frames.pop() {
            // The frame's run is the last one: inner frames have closed.
            debug_assert_eq!(run.end, self.held.len());
            self.held.truncate(run.start);
        }
    }

    /// Holds the remaining entries of every open frame not yet held. Call
    /// it before anything that may run Python code.
    ///
    /// # Safety
    /// The open frames' dicts are alive.
    pub(super) unsafe fn hold_all(&mut self, py: Python<'py>) {
        for f in &mut self.frames {
            if f.held.is_some() {
                continue;
            }
            let start = self.held.len();
            let (mut key, mut value) = (std::ptr::null_mut(), std::ptr::null_mut());
            while ffi::PyDict_Next(f.dict, &mut f.pos, &mut key, &mut value) != 0 {
                self.held.push((Bound::from_borrowed_ptr(py, key), Bound::from_borrowed_ptr(py, value)));
            }
            f.held = Some(HeldRun { start, next: start, end: self.held.len() });
        }
    }
}
