//! The items of every container the symbolic sink builds, in one buffer.
//!
//! A pickle of many small dicts and lists would otherwise cost one heap
//! allocation per container (and one free when the scan ends): most of the
//! symbolic sink's time on opcode-dense files. Here a container's items are a
//! [`Span`] of one shared vector; a container that outgrows its span moves to
//! the end of the vector with twice the room, so appends stay amortised
//! O(1) and the space left behind is at most what the moved spans hold.

/// An arena index of a node.
pub(crate) type Id = u32;

/// Where a container's items live in an [`ItemPool`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: usize,
    len: usize,
    cap: usize,
}

impl Span {
    /// How many items the container holds.
    pub(crate) fn len(&self) -> usize {
        self.len
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
    pub(crate) fn span_of(&mut self, items: impl Iterator<Item = Id>) -> Span {
        let start = self.ids.len();
        self.ids.extend(items);
        let len = self.ids.len() - start;
        Span { start, len, cap: len }
    }

    /// The items of `span`.
    pub(crate) fn get(&self, span: Span) -> &[Id] {
        &self.ids[span.start..span.start + span.len]
    }

    /// Appends `items` to the container whose items are `span`, and returns
    /// the span's first new position (so the caller can look at what was added).
    pub(crate) fn extend(&mut self, span: &mut Span, items: impl Iterator<Item = Id>) -> usize {
        let first_new = span.len;
        if span.cap == 0 {
            span.start = self.ids.len();
        }
        if span.start + span.cap == self.ids.len() {
            // The span ends the buffer (the usual case: the container built
            // last): its items go straight on the end.
            self.ids.truncate(span.start + span.len);
            self.ids.extend(items);
            span.len = self.ids.len() - span.start;
            span.cap = span.len;
            return first_new;
        }
        for item in items {
            if span.len == span.cap {
                self.grow(span);
            }
            self.ids[span.start + span.len] = item;
            span.len += 1;
        }
        first_new
    }

    /// Doubles a full span's room: in place when it ends the buffer, else by
    /// moving it to the end.
    fn grow(&mut self, span: &mut Span) {
        let cap = (span.cap * 2).max(4);
        if span.start + span.cap != self.ids.len() {
            let start = self.ids.len();
            self.ids.extend_from_within(span.start..span.start + span.len);
            span.start = start;
        }
        self.ids.resize(span.start + cap, 0);
        span.cap = cap;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_containers_keep_their_own_items_in_order() {
        let mut pool = ItemPool::default();
        let mut a = Span::default();
        let mut b = pool.span_of([7, 8].into_iter());
        for i in 0..100 {
            pool.extend(&mut a, [i].into_iter());
            pool.extend(&mut b, [1000 + i, 2000 + i].into_iter());
        }
        let tuple = pool.span_of([1, 2, 3].into_iter());
        assert_eq!(pool.get(a), (0..100).collect::<Vec<_>>());
        let want_b: Vec<Id> = [7, 8].into_iter().chain((0..100).flat_map(|i| [1000 + i, 2000 + i])).collect();
        assert_eq!(pool.get(b), want_b);
        assert_eq!(pool.get(tuple), [1, 2, 3]);
    }

    #[test]
    fn extend_reports_where_the_new_items_start() {
        let mut pool = ItemPool::default();
        let mut span = pool.span_of([1, 2].into_iter());
        assert_eq!(pool.extend(&mut span, [3, 4, 5].into_iter()), 2);
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
            pool.extend(&mut a, [i].into_iter());
            pool.extend(&mut b, [i].into_iter());
        }
        assert_eq!(pool.get(a).len(), n as usize);
        assert!(pool.ids.len() <= 8 * 2 * n as usize, "pool holds {} ids for {} items", pool.ids.len(), 2 * n);
    }
}
