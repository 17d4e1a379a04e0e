//! Where the value sink keeps a container's items while loading: runs in a
//! pool shared by all containers, so that a list or dict built by one
//! APPENDS or SETITEMS batch (nearly all of them) costs no allocation of its
//! own until it is sealed into its one `Arc<[Value]>`.

/// A run of items in a pool (`Vec<T>`): `start..start + len`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) len: u32,
}

impl Span {
    pub(super) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// A growable container's items: a span of the pool while they can grow
/// in place there (they are the pool's last items, or there are none yet),
/// else a vector of their own (a list appended to again after other
/// containers were built, or a protocol-0 list built one APPEND at a time
/// around its items).
#[derive(Debug)]
pub(super) enum Run<T> {
    Pool(Span),
    Own(Vec<T>),
}

impl<T> Default for Run<T> {
    fn default() -> Self {
        Run::Pool(Span::default())
    }
}

impl<T: Default> Run<T> {
    /// Appends `items`; returns how many items the run had before.
    pub(super) fn extend(&mut self, pool: &mut Vec<T>, items: impl IntoIterator<Item = T>) -> usize {
        match self {
            Run::Pool(span) if span.len == 0 || span.range().end == pool.len() => {
                let before = span.len as usize;
                let start = if span.len == 0 { pool.len() } else { span.start as usize };
                pool.extend(items);
                match (u32::try_from(start), u32::try_from(pool.len() - start)) {
                    (Ok(start), Ok(len)) => *span = Span { start, len },
                    // Past what a span can address: the items move out.
                    _ => *self = Run::Own(pool.drain(start..).collect()),
                }
                before
            }
            Run::Pool(span) => {
                // Something else was pooled after this run: it moves to a
                // vector of its own (what it leaves in the pool is dead).
                let range = span.range();
                let before = range.len();
                let mut own: Vec<T> = pool[range].iter_mut().map(std::mem::take).collect();
                own.extend(items);
                *self = Run::Own(own);
                before
            }
            Run::Own(own) => {
                let before = own.len();
                own.extend(items);
                before
            }
        }
    }

    /// The items, in order.
    pub(super) fn as_slice<'p>(&'p self, pool: &'p [T]) -> &'p [T] {
        match self {
            Run::Pool(span) => &pool[span.range()],
            Run::Own(own) => own,
        }
    }

    /// The items, in order, to change in place.
    pub(super) fn as_mut_slice<'p>(&'p mut self, pool: &'p mut [T]) -> &'p mut [T] {
        match self {
            Run::Pool(span) => &mut pool[span.range()],
            Run::Own(own) => own,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_grow_in_the_pool_until_something_follows_them() {
        let mut pool: Vec<u32> = Vec::new();
        let (mut a, mut b) = (Run::default(), Run::default());
        assert_eq!(a.extend(&mut pool, [1, 2]), 0);
        assert_eq!(a.extend(&mut pool, [3]), 2, "still the pool's last run");
        assert!(matches!(a, Run::Pool(Span { start: 0, len: 3 })));
        b.extend(&mut pool, [7, 8]);
        assert!(matches!(b, Run::Pool(Span { start: 3, len: 2 })));
        assert_eq!(a.extend(&mut pool, [4]), 3);
        assert!(matches!(a, Run::Own(_)), "a moved out when b followed it");
        assert_eq!(a.as_slice(&pool), [1, 2, 3, 4]);
        assert_eq!(b.as_slice(&pool), [7, 8]);
        b.as_mut_slice(&mut pool)[0] = 9;
        assert_eq!(b.as_slice(&pool), [9, 8]);
        // An empty run starts wherever the pool ends.
        let mut c = Run::default();
        assert_eq!(c.extend(&mut pool, []), 0);
        c.extend(&mut pool, [5]);
        assert_eq!(c.as_slice(&pool), [5]);
    }
}
