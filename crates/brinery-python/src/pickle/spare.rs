//! The output buffer and memo table of the last one-shot dump on this
//! thread, kept for the next one.
//!
//! `pickle.dumps` is often called in a loop on small objects (messages,
//! cache entries), where allocating and freeing a fresh output buffer and
//! memo table is a visible part of each call. A dump takes the spares (or
//! fresh ones, when a dump nested inside another has them, or there are
//! none yet), and gives them back emptied when it is done. Only modest
//! sizes are kept, so one huge pickle does not pin its memory to the thread.

use super::save::PyMemo;
use std::cell::Cell;

/// Largest output buffer kept between dumps (bytes of capacity).
const MAX_KEPT_OUTPUT: usize = 1 << 20;
/// Largest memo table kept between dumps (entries it can hold).
const MAX_KEPT_MEMO: usize = 1 << 14;
/// The capacity of a fresh memo: a typical small object graph, so the memo
/// rarely rehashes.
const FRESH_MEMO: usize = 64;

/// A dump's reusable allocations.
pub(crate) struct Spares {
    pub(crate) out: Vec<u8>,
    pub(crate) memo: PyMemo,
}

thread_local! {
    static SPARES: Cell<Option<Spares>> = const { Cell::new(None) };
}

/// The spares left by the last dump on this thread, or fresh ones.
pub(crate) fn take() -> Spares {
    SPARES.with(Cell::take).unwrap_or_else(|| Spares {
        out: Vec::new(),
        memo: PyMemo::with_capacity_and_hasher(FRESH_MEMO, Default::default()),
    })
}

/// Keeps `out` and `memo` for the next dump, emptied, unless they grew
/// past what is worth keeping. The memo's references are released here,
/// with the GIL held (the caller's).
pub(crate) fn give_back(mut out: Vec<u8>, mut memo: PyMemo) {
    if out.capacity() > MAX_KEPT_OUTPUT || memo.capacity() > MAX_KEPT_MEMO {
        return;
    }
    out.clear();
    // Releasing a reference may run Python code (a `__del__`) that dumps
    // again: it finds no spares (or its own) and allocates, as usual.
    memo.clear();
    SPARES.with(|s| s.set(Some(Spares { out, memo })));
}
