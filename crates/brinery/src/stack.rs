//! Deep recursion without stack overflows: every recursive walk over a value
//! (sealing, pickling, repr, equality, copying) goes through [`guard`], which
//! moves to a fresh heap-allocated stack segment when the current one runs low.
//! Depth itself is bounded by [`Limits::max_depth`](crate::pickle::Limits).

/// Stack space kept free before recursing further.
const RED_ZONE: usize = 128 * 1024;
/// Size of each new stack segment.
const SEGMENT: usize = 2 * 1024 * 1024;

/// Runs `f`, first switching to a new stack segment if the current one is low.
#[inline]
pub(crate) fn guard<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}

/// Like [`guard`], but only checks every few levels of `depth` (checking
/// costs a thread-local read; the red zone covers the levels in between).
#[inline]
pub(crate) fn guard_at<R>(depth: usize, f: impl FnOnce() -> R) -> R {
    if depth % 8 == 0 {
        guard(f)
    } else {
        f()
    }
}
