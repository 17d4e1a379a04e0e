//! How a [`Value`] or [`Int`](crate::Int) crosses brinery's own serializer
//! and deserializer whole, while other formats see a plain serde shape.
//!
//! serde's traits only speak its data model, which has no sets, no bytearray,
//! no objects and no integers wider than 128 bits. `Value`'s and `Int`'s
//! impls therefore wrap themselves in a newtype struct with a private name.
//! Other formats treat a newtype struct as its content, so they get the plain
//! shape. brinery's serializer and deserializer recognise the name and hand
//! the value across through a one-slot thread-local mailbox:
//!
//! - serializing: the serializer [`ask`]s, then serializes the content; the
//!   content's `Serialize` sees the request, [`answer`]s with the exact value
//!   and skips its plain shape; the serializer [`take`]s it. Nobody asks when
//!   another format is writing, so the plain shape is written and no copy made.
//! - deserializing: the deserializer [`give`]s a copy of the value and calls
//!   `visit_newtype_struct`; the `Value`/`Int` visitor [`take`]s it first
//!   thing. A visitor that is not brinery's never looks.
//!
//! Both sides hold an [`Exchange`] guard that empties the slot when the call
//! ends, however it ends.
//!
//! Each exchange happens within one synchronous call, so one slot per thread
//! is enough.

use crate::value::Value;
use std::cell::RefCell;

/// The newtype-struct name `Value` and `Int` wrap themselves in.
pub(crate) const VALUE: &str = "$brinery::private::Value";
/// The newtype-struct name `Int` asks to be deserialized with.
pub(crate) const INT: &str = "$brinery::private::Int";

enum Slot {
    Empty,
    Asked,
    Filled(Value<'static>),
}

thread_local! {
    static SLOT: RefCell<Slot> = const { RefCell::new(Slot::Empty) };
}

/// Serializer side: brinery's serializer wants the exact value. The slot is
/// emptied when the returned guard is dropped, even by a panic.
pub(crate) fn ask() -> Exchange {
    SLOT.with(|s| *s.borrow_mut() = Slot::Asked);
    Exchange(())
}

/// Content side: if brinery's serializer asked, hands it the value made by
/// `make` and returns true; otherwise (another format) returns false.
pub(crate) fn answer(make: impl FnOnce() -> Value<'static>) -> bool {
    let asked = SLOT.with(|s| matches!(*s.borrow(), Slot::Asked));
    if asked {
        let value = make();
        SLOT.with(|s| *s.borrow_mut() = Slot::Filled(value));
    }
    asked
}

/// Deserializer side: offers the exact value to the visitor about to run.
/// The slot is emptied when the returned guard is dropped.
pub(crate) fn give(value: Value<'static>) -> Exchange {
    SLOT.with(|s| *s.borrow_mut() = Slot::Filled(value));
    Exchange(())
}

/// Takes the value handed across, if any, leaving the slot empty.
pub(crate) fn take() -> Option<Value<'static>> {
    SLOT.with(|s| match std::mem::replace(&mut *s.borrow_mut(), Slot::Empty) {
        Slot::Filled(v) => Some(v),
        _ => None,
    })
}

/// One exchange in progress; dropping it empties the slot, so nothing
/// offered or asked for outlives the call that made the offer or the request.
pub(crate) struct Exchange(());

impl Drop for Exchange {
    fn drop(&mut self) {
        SLOT.with(|s| *s.borrow_mut() = Slot::Empty);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uses the private name with content that is not brinery's, and panics.
    struct Impostor;

    impl ::serde::Serialize for Impostor {
        fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            struct Boom;
            impl ::serde::Serialize for Boom {
                fn serialize<S: ::serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                    panic!("boom")
                }
            }
            s.serialize_newtype_struct(VALUE, &Boom)
        }
    }

    #[test]
    fn an_interrupted_exchange_leaves_nothing_behind() {
        assert!(std::panic::catch_unwind(|| crate::serde::to_value(&Impostor)).is_err());
        // Had the request survived, the next value written elsewhere would answer it.
        assert_eq!(take().map(|v| v.to_string()), None);
        let list = Value::list([1]);
        assert!(!answer(|| list.clone()));
    }
}
