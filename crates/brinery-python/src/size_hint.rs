//! A first capacity for an output buffer: the size of the last output of
//! the same kind (documents tend to be like the one before), so a writer
//! does not grow from nothing on every call.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Outputs above this are not remembered: one huge document says little
/// about the next, and would make every small one reserve its size.
const MAX_SIZE_HINT: usize = 16 << 20;

/// The size of the last output of one kind (shared by all threads; a
/// stale or racing value only costs a regrowth).
pub(crate) struct SizeHint(AtomicUsize);

impl SizeHint {
    /// No hint yet.
    pub(crate) const fn new() -> Self {
        SizeHint(AtomicUsize::new(0))
    }

    /// The capacity to start the next output with.
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Remembers an output's length for the next call.
    pub(crate) fn record(&self, len: usize) {
        self.0.store(len.min(MAX_SIZE_HINT), Ordering::Relaxed);
    }
}
