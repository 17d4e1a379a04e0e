//! The items of every container the symbolic sink builds, in one buffer.
//!
//! A pickle of many small dicts and lists would otherwise cost one heap
//! allocation per container (and one free when the scan ends): most of the
//! symbolic sink's time on opcode-dense files. Here a container's items are a
//! [`Span`] of one shared vector; a container that outgrows its span moves to
//! the end of the vector with twice the room, so appends stay amortised
//! O(1) and the space left behind is at most what the moved spans hold.

use brinery::pickle::{Error, ErrorKind, Result};

/// An arena index of a node.
pub(crate) type Id = u32;

/// Most items the pool holds: a span's fields are `u32`, which keeps a
/// container node as small as a string node.
const MAX_ITEMS: usize = u32::MAX as usize;

/// The error for a pool that would hold `needed` items.
fn too_many(needed: usize) -> Error {
    Error::from_kind(ErrorKind::LimitExceeded {
        limit: "items in the scanner's containers",
        max: MAX_ITEMS as u64,
        value: needed as u64,
    })
}

/// Where a container's items live in an [`ItemPool`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
    cap: u32,
}

impl Span {
    /// How many items the container holds.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }
}

/// The shared buffer of container items.
#[derive(Default)]
pub(crate) struct ItemPool {
    ids: Vec<Id>,
}

impl ItemPool {
    /// Stores `items` as a new, full span (tuples, frozensets, and
    /// containers built in one go).
    pub(crate) fn span_of(&mut self, items: impl Iterator<Item = Id>) -> Result<Span> {
        let start = self.ids.len();
        self.ids.extend(items);
        let end = self.checked_len()?;
        Ok(Span { start: start as u32, len: end - start as u32, cap: end - start as u32 })
    }

    /// The items of `span`.
    pub(crate) fn get(&self, span: Span) -> &[Id] {
        &self.ids[span.start as usize..(span.start + span.len) as usize]
    }

    /// Appends `items` to the container whose items are `span`, and returns
    /// the span's first new position (so the caller can look at what was added).
    pub(crate) fn extend(&mut self, span: &mut Span, items: impl Iterator<Item = Id>) -> Result<usize> {
        let first_new = span.len();
        if span.cap == 0 {
            span.start = self.checked_len()?;
        }
        if (span.start + span.cap) as usize == self.ids.len() {
            // The span ends the buffer (the usual case: the container built
            // last): its items go straight on the end.
            self.ids.truncate((span.start + span.len) as usize);
            self.ids.extend(items);
            span.len = self.checked_len()? - span.start;
            span.cap = span.len;
            return Ok(first_new);
        }
        for item in items {
            if span.len == span.cap {
                self.grow(span)?;
            }
            self.ids[(span.start + span.len) as usize] = item;
            span.len += 1;
        }
        Ok(first_new)
    }

    /// The pool's length, or the limit error once it holds more than a span can address.
    fn checked_len(&self) -> Result<u32> {
        u32::try_from(self.ids.len()).map_err(|_| too_many(self.ids.len()))
    }

    /// Doubles a full span's room: in place when it ends the buffer, else by
    /// moving it to the end.
    fn grow(&mut self, span: &mut Span) -> Result<()> {
        let cap = (span.cap as usize * 2).max(4);
        let (start, len) = (span.start as usize, span.len as usize);
        let new_start = if start + span.cap as usize == self.ids.len() { start } else { self.ids.len() };
        // Room for the grown span, checked before anything is allocated.
        if new_start + cap > MAX_ITEMS {
            return Err(too_many(new_start + cap));
        }
        if new_start != start {
            self.ids.extend_from_within(start..start + len);
        }
        self.ids.resize(new_start + cap, 0);
        span.start = new_start as u32;
        span.cap = cap as u32;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_containers_keep_their_own_items_in_order() {
        let mut pool = ItemPool::default();
        let mut a = Span::default();
        let mut b = pool.span_of([7, 8].into_iter()).unwrap();
        for i in 0..100 {
            pool.extend(&mut a, [i].into_iter()).unwrap();
            pool.extend(&mut b, [1000 + i, 2000 + i].into_iter()).unwrap();
        }
        let tuple = pool.span_of([1, 2, 3].into_iter()).unwrap();
        assert_eq!(pool.get(a), (0..100).collect::<Vec<_>>());
        let want_b: Vec<Id> = [7, 8].into_iter().chain((0..100).flat_map(|i| [1000 + i, 2000 + i])).collect();
        assert_eq!(pool.get(b), want_b);
        assert_eq!(pool.get(tuple), [1, 2, 3]);
    }

    #[test]
    fn extend_reports_where_the_new_items_start() {
        let mut pool = ItemPool::default();
        let mut span = pool.span_of([1, 2].into_iter()).unwrap();
        assert_eq!(pool.extend(&mut span, [3, 4, 5].into_iter()).unwrap(), 2);
        assert_eq!(&pool.get(span)[2..], [3, 4, 5]);
        assert_eq!(span.len(), 5);
    }

    #[test]
    fn alternating_appends_use_space_linear_in_the_items() {
        // Two lists appended to in turn, one item at a time: each move must
        // leave room to grow, or every append would copy the whole list.
        let mut pool = ItemPool::default();
        let (mut a, mut b) = (Span::default(), Span::default());
        let n = 100_000;
        for i in 0..n {
            pool.extend(&mut a, [i].into_iter()).unwrap();
            pool.extend(&mut b, [i].into_iter()).unwrap();
        }
        assert_eq!(pool.get(a).len(), n as usize);
        assert!(pool.ids.len() <= 8 * 2 * n as usize, "pool holds {} ids for {} items", pool.ids.len(), 2 * n);
    }
}
