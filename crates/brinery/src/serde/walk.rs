//! Bounds the work of reading a value as a tree.
//!
//! A pickle is a graph: `a = [...]; b = [a, a]; c = [b, b]; …` is a few bytes
//! per level, yet read into Rust types (which are trees) it expands twofold
//! per level. The deserializer reports every value it visits here; a value
//! reached again through a shared container (or a large shared str/bytes)
//! counts as repeated, with everything below it. Repeated values may number
//! at most [`MAX_REPEATED`], or ten times the values read on first visits,
//! whichever is larger: the rule `json::dumps` applies to the same problem.
//!
//! The deserializer carries its [`Walk`]; `Value`'s `Serialize`, driven by
//! another format, keeps one per thread for the outermost value being
//! written ([`visit`]).

use super::error::{Error, Result};
use crate::value::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;

/// Repeated values always allowed, however small the value's distinct part.
pub(crate) const MAX_REPEATED: u64 = 10_000_000;

/// str and bytes at least this long are tracked by identity, and cost one
/// unit per this many bytes.
const BLOB_UNIT: usize = 1024;

/// The accounting for one `from_value` call.
#[derive(Default)]
pub(crate) struct Walk {
    seen: RefCell<HashSet<usize>>,
    first: Cell<u64>,
    repeated: Cell<u64>,
}

impl Walk {
    /// Accounts for visiting `v`; `below_repeat` says whether its parent was
    /// a repeat. Returns whether `v` (and so everything below it) is one.
    pub(crate) fn enter(&self, v: &Value<'_>, below_repeat: bool) -> Result<bool> {
        let (tracked, units) = match v {
            Value::Str(s) => {
                let len = s.as_surrogatepass().len();
                (len >= BLOB_UNIT, 1 + (len / BLOB_UNIT) as u64)
            }
            Value::Bytes(_) | Value::ByteArray(_) => {
                let len = v.as_bytes().map_or(0, <[u8]>::len);
                (len >= BLOB_UNIT, 1 + (len / BLOB_UNIT) as u64)
            }
            Value::List(_) | Value::Tuple(_) | Value::Set(_) | Value::FrozenSet(_) | Value::Dict(_) => (true, 1),
            Value::Object(_) => (true, 1),
            _ => (false, 1),
        };
        // Only an object with more than one handle can be reached twice.
        let repeat = below_repeat
            || (tracked && !v.is_unique_ref() && v.identity().is_some_and(|id| !self.seen.borrow_mut().insert(id)));
        if repeat {
            let repeated = self.repeated.get() + units;
            self.repeated.set(repeated);
            if repeated > MAX_REPEATED.max(self.first.get().saturating_mul(10)) {
                return Err(Error::message(format_args!(
                    "shared sub-objects expand into more than {repeated} repeated values as a tree \
                     (limit: {MAX_REPEATED}, or ten times the distinct values)"
                )));
            }
        } else {
            self.first.set(self.first.get() + units);
        }
        Ok(repeat)
    }
}

/// The walk of the value another format is writing, and whether each value
/// on the path to the current one is a repeat.
#[derive(Default)]
struct TreeWalk {
    walk: Walk,
    repeats: Vec<bool>,
}

thread_local! {
    static TREE: RefCell<TreeWalk> = RefCell::default();
}

/// A value being written by another format; dropping it leaves the value.
pub(crate) struct Visit(());

/// Accounts for writing `v` below the values being written.
pub(crate) fn visit(v: &Value<'_>) -> Result<Visit> {
    TREE.with(|t| {
        let mut t = t.borrow_mut();
        let below = t.repeats.last().copied().unwrap_or(false);
        let repeat = t.walk.enter(v, below);
        if t.repeats.is_empty() && repeat.is_err() {
            t.walk = Walk::default();
        }
        t.repeats.push(repeat?);
        Ok(Visit(()))
    })
}

impl Visit {
    /// Accounts for a container the current value's data is read through
    /// (an object's state or arguments).
    pub(crate) fn also(&self, holder: &Value<'_>) -> Result<()> {
        TREE.with(|t| {
            let mut t = t.borrow_mut();
            let below = t.repeats.last().copied().unwrap_or(false);
            let repeat = t.walk.enter(holder, below)?;
            if let Some(top) = t.repeats.last_mut() {
                *top = repeat;
            }
            Ok(())
        })
    }
}

impl Drop for Visit {
    fn drop(&mut self) {
        TREE.with(|t| {
            let mut t = t.borrow_mut();
            t.repeats.pop();
            if t.repeats.is_empty() {
                t.walk = Walk::default();
            }
        });
    }
}
