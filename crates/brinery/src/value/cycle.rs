//! Back-references: how a container that (directly or indirectly) contains
//! itself is held without leaking.
//!
//! A [`Cycle`] is a weak handle to an enclosing container. The handle is made
//! while the container is still being built, before its allocation exists,
//! so it points at a small shared slot that is filled in once the container
//! is finished ([`PendingTarget::finish`]). Only containers that really are
//! cycle targets pay for the slot; the containers themselves are a single
//! allocation each (`Arc<[Value]>`).
//!
//! The slot stores its handle with the lifetime erased: a write-once cell
//! of `Target<'a>` would make `Value<'a>` invariant in `'a`, and a value
//! borrowed from a long-lived input could no longer be used where a
//! shorter borrow is expected. See [`Slot`] for why the erasure is sound.

use super::{Object, ObjectData, Shared, Value};
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock, Weak};

/// A reference back to a container that encloses this one, stored where a
/// container (directly or indirectly) contains itself.
///
/// It is weak so that cyclic graphs are freed. [`Cycle::upgrade`] gives the
/// target back as long as any handle to it is alive (holding the root of a
/// loaded value always is enough).
///
/// ```
/// use brinery::{pickle, Value};
///
/// // l = []; l.append(l); pickle.dumps(l, 2)
/// let data = b"\x80\x02]q\x00h\x00a.";
/// let root = pickle::loads(data, &Default::default()).unwrap();
/// let Value::Cycle(back) = &root[0] else { panic!("expected a back-reference") };
/// assert_eq!(back.type_name(), "list");
/// assert_eq!(back.identity(), root.identity().unwrap());
/// assert!(back.upgrade().is_some());
/// ```
#[derive(Clone)]
pub struct Cycle<'a> {
    kind: CycleKind,
    /// Filled in when the target is finished; empty while it is being built.
    target: Arc<Slot<'a>>,
}

/// The write-once cell a [`Cycle`] reads its target from.
///
/// It holds a `Target<'static>` so that it is covariant in `'a`, like the
/// rest of [`Value`]. That is sound because:
/// - it is written once, by [`PendingTarget::finish`], and `PendingTarget` is
///   invariant in `'a`: the target written lives exactly as long as the
///   `'a` the slot was made for;
/// - it is only read back as a `Target<'a>` (or a shorter lifetime, through
///   covariance), never as `'static`;
/// - dropping a `Weak` touches the allocation's counts, never the values.
struct Slot<'a> {
    cell: OnceLock<Target<'static>>,
    _lifetime: PhantomData<Target<'a>>,
}

impl<'a> Slot<'a> {
    fn get(&self) -> Option<&Target<'a>> {
        // `Target` is covariant, so `'static` shortens to `'a` safely.
        self.cell.get()
    }
}

/// Which kind of container a [`Cycle`] points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CycleKind {
    Tuple,
    List,
    Dict,
    Set,
    FrozenSet,
    Object,
}

/// The weak handle to a finished target.
enum Target<'a> {
    Seq(Weak<[Value<'a>]>),
    Dict(Weak<[(Value<'a>, Value<'a>)]>),
    Object(Weak<ObjectData<'a>>),
}

impl<'a> Cycle<'a> {
    /// The container this refers to, if it is finished and still alive.
    pub fn upgrade(&self) -> Option<Value<'a>> {
        Some(match self.target.get()? {
            Target::Seq(weak) => {
                let items = Shared(weak.upgrade()?);
                match self.kind {
                    CycleKind::Tuple => Value::Tuple(items),
                    CycleKind::List => Value::List(items),
                    CycleKind::Set => Value::Set(items),
                    CycleKind::FrozenSet => Value::FrozenSet(items),
                    CycleKind::Dict | CycleKind::Object => unreachable!("a sequence target"),
                }
            }
            Target::Dict(weak) => Value::Dict(Shared(weak.upgrade()?)),
            Target::Object(weak) => Value::Object(Object(Shared(weak.upgrade()?))),
        })
    }

    /// The target's identity (the same number [`Value::identity`] gives the
    /// target). While the target is still being built, a stable stand-in
    /// that no other object has.
    pub fn identity(&self) -> usize {
        match self.target.get() {
            Some(Target::Seq(weak)) => weak.as_ptr() as *const u8 as usize,
            Some(Target::Dict(weak)) => weak.as_ptr() as *const u8 as usize,
            Some(Target::Object(weak)) => weak.as_ptr() as *const u8 as usize,
            None => Arc::as_ptr(&self.target) as *const u8 as usize,
        }
    }

    /// Python's name for the target's type (`"list"`, `"dict"`, …).
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            CycleKind::Tuple => "tuple",
            CycleKind::List => "list",
            CycleKind::Dict => "dict",
            CycleKind::Set => "set",
            CycleKind::FrozenSet => "frozenset",
            CycleKind::Object => "object",
        }
    }
}

impl std::fmt::Debug for Cycle<'_> {
    /// The target's type and identity, never its contents (they contain this).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cycle({} at {:#x})", self.type_name(), self.identity())
    }
}

/// A container being built that references to it may point back at: hands out
/// [`Cycle`]s on demand and points them at the container once it is finished.
///
/// Containers nothing points back at (almost all) never allocate a slot.
pub(crate) struct PendingTarget<'a> {
    kind: CycleKind,
    back: Option<Cycle<'a>>,
    /// Invariant in `'a`: `finish` must get a value of the very lifetime
    /// the handed-out cycles were made with (see [`Slot`]).
    _invariant: PhantomData<fn(Value<'a>) -> Value<'a>>,
}

impl<'a> PendingTarget<'a> {
    /// A pending container of this kind.
    pub(crate) fn new(kind: CycleKind) -> Self {
        PendingTarget { kind, back: None, _invariant: PhantomData }
    }

    /// A reference back to the container; it upgrades once [`finish`](Self::finish) ran.
    pub(crate) fn back_ref(&mut self) -> Cycle<'a> {
        let kind = self.kind;
        let slot = || Arc::new(Slot { cell: OnceLock::new(), _lifetime: PhantomData });
        self.back.get_or_insert_with(|| Cycle { kind, target: slot() }).clone()
    }

    /// Points every reference handed out at the finished container.
    pub(crate) fn finish(self, value: &Value<'a>) {
        let Some(back) = self.back else { return };
        let target = match value {
            Value::Tuple(s) | Value::List(s) | Value::Set(s) | Value::FrozenSet(s) => Target::Seq(Arc::downgrade(&s.0)),
            Value::Dict(d) => Target::Dict(Arc::downgrade(&d.0)),
            Value::Object(o) => Target::Object(Arc::downgrade(&o.0 .0)),
            other => unreachable!("a {} cannot be a cycle target", other.type_name()),
        };
        debug_assert_eq!(CycleKind::of(value), Some(back.kind));
        // SAFETY: only the lifetime changes (same layout). The slot reads it
        // back as `Target<'a>` at most, and this `'a` is exactly the one the
        // slot's cycles were made with, since `PendingTarget` is invariant.
        let erased = unsafe { std::mem::transmute::<Target<'a>, Target<'static>>(target) };
        // Each pending target is finished once, so the slot is empty.
        let _ = back.target.cell.set(erased);
    }
}

impl CycleKind {
    /// The kind of a container value; `None` for values that cannot be cycle targets.
    pub(crate) fn of(value: &Value<'_>) -> Option<CycleKind> {
        Some(match value {
            Value::Tuple(_) => CycleKind::Tuple,
            Value::List(_) => CycleKind::List,
            Value::Dict(_) => CycleKind::Dict,
            Value::Set(_) => CycleKind::Set,
            Value::FrozenSet(_) => CycleKind::FrozenSet,
            Value::Object(_) => CycleKind::Object,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pickle::{loads, LoadOptions};

    /// `Value<'a>` must stay covariant: a value borrowed from a long-lived
    /// input can stand in for a shorter borrow. (This fails to compile if
    /// the slot ever makes `Cycle` invariant.)
    #[allow(dead_code)]
    fn shorten<'short, 'long: 'short>(v: Value<'long>) -> Value<'short> {
        v
    }

    /// Values cross threads (the slot's erased handle included).
    #[allow(dead_code)]
    fn values_are_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Value<'static>>();
        send_sync::<Cycle<'static>>();
    }

    // l = []; l.append(l)
    const SELF_LIST: &[u8] = b"\x80\x02]q\x00h\x00a.";

    #[test]
    fn a_cycle_frees_its_target_with_the_root() {
        let root = loads(SELF_LIST, &LoadOptions::default()).unwrap();
        let Value::Cycle(back) = root[0].clone() else { panic!("{root:?}") };
        assert_eq!(back.upgrade().and_then(|t| t.identity()), root.identity());
        drop(root);
        assert!(back.upgrade().is_none(), "the list outlived its only strong handle");
    }

    #[test]
    fn an_owned_copy_points_its_cycles_at_the_copy() {
        let root = loads(SELF_LIST, &LoadOptions::default()).unwrap();
        let copy = root.clone().into_owned();
        assert_ne!(copy.identity(), root.identity());
        let Value::Cycle(back) = &copy[0] else { panic!("{copy:?}") };
        assert_eq!(back.identity(), copy.identity().unwrap());
        assert_eq!(back.type_name(), "list");
    }

    #[test]
    fn a_pending_cycle_has_its_own_identity_until_finished() {
        let mut pending = PendingTarget::new(CycleKind::Tuple);
        let back = pending.back_ref();
        let again = pending.back_ref();
        assert_eq!(back.identity(), again.identity(), "one slot per target");
        assert!(back.upgrade().is_none(), "nothing to upgrade to while building");
        let target = Value::tuple([Value::Cycle(back.clone())]);
        assert_ne!(Some(back.identity()), target.identity());
        pending.finish(&target);
        assert_eq!(Some(back.identity()), target.identity());
        assert_eq!(again.upgrade().and_then(|t| t.identity()), target.identity());
        assert!(target.is_cycle_target());
    }
}
