//! A first capacity for an output buffer: about the largest recent output
//! of the same kind (documents tend to be like the ones before), so a
//! writer does not grow from nothing on every call. A larger output raises
//! the hint at once; smaller ones lower it by a quarter a call, so a
//! service that alternates small and large outputs reserves for the large
//! ones, and one large output is forgotten after a few dozen small ones.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Outputs above this are not remembered: one huge document says little
/// about the next, and would make every small one reserve its size.
const MAX_SIZE_HINT: usize = 16 << 20;

/// The recent outputs' size for one kind of output (shared by all threads;
/// a stale or racing value only costs a regrowth or a larger reservation).
///
/// ```
/// use brinery::size_hint::SizeHint;
///
/// static LAST: SizeHint = SizeHint::new();
/// let mut out: Vec<u8> = Vec::with_capacity(LAST.get());
/// out.extend_from_slice(b"a document");
/// LAST.record(out.len());
/// assert_eq!(LAST.get(), 10);
/// ```
pub struct SizeHint(AtomicUsize);

impl Default for SizeHint {
    fn default() -> Self {
        SizeHint::new()
    }
}

impl SizeHint {
    /// No hint yet.
    pub const fn new() -> Self {
        SizeHint(AtomicUsize::new(0))
    }

    /// The capacity to start the next output with.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Remembers an output's length for the next call.
    pub fn record(&self, len: usize) {
        let old = self.0.load(Ordering::Relaxed);
        let hint = len.max(old - old / 4).min(MAX_SIZE_HINT);
        self.0.store(hint, Ordering::Relaxed);
    }

    /// Records a finished output's length, then gives back the spare room of
    /// a reservation made for a much larger output, so that a caller is not
    /// handed a buffer many times its size.
    ///
    /// ```
    /// use brinery::size_hint::SizeHint;
    ///
    /// static LAST: SizeHint = SizeHint::new();
    /// let mut out: Vec<u8> = Vec::with_capacity(1 << 20);
    /// out.extend_from_slice(b"small");
    /// LAST.finish(&mut out);
    /// assert!(out.capacity() < 1 << 20);
    /// assert_eq!(LAST.get(), 5);
    /// ```
    pub fn finish(&self, out: &mut Vec<u8>) {
        self.record(out.len());
        if out.capacity() > 2 * out.len() + 4096 {
            out.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_largest_recent_output() {
        let hint = SizeHint::new();
        assert_eq!(hint.get(), 0);
        hint.record(1000);
        assert_eq!(hint.get(), 1000);
        // Alternating sizes: the hint stays near the large one.
        for _ in 0..10 {
            hint.record(100);
            hint.record(1000);
        }
        assert_eq!(hint.get(), 1000);
        hint.record(100);
        assert_eq!(hint.get(), 750);
        // A run of small outputs wears a large one down to their size.
        for _ in 0..30 {
            hint.record(100);
        }
        assert_eq!(hint.get(), 100);
        hint.record(usize::MAX);
        assert_eq!(hint.get(), MAX_SIZE_HINT);
    }
}
