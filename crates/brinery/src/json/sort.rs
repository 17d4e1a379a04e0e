//! `sort_keys`: orders dict entries the way `sorted(d.items())` does, with
//! Python's `<` on the original keys (so `{2: .., 10: ..}` sorts
//! numerically and mixing str and int keys is a `TypeError`).

use super::error::{Error, ErrorKind, Result};
use crate::value::eq::{num_partial_cmp, py_eq};
use crate::value::Value;
use std::cmp::Ordering;

/// Python's `a < b` for the kinds of values that can be dict keys;
/// `Err` names the two types when Python would raise `TypeError`.
fn py_lt(a: &Value<'_>, b: &Value<'_>) -> Result<bool> {
    if let Some(order) = num_partial_cmp(a, b) {
        return Ok(order == Some(Ordering::Less));
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(x.as_surrogatepass() < y.as_surrogatepass()),
        (Value::Bytes(x), Value::Bytes(y)) => Ok(x.as_slice() < y.as_slice()),
        (Value::Tuple(x), Value::Tuple(y)) => {
            // The first position where the items differ decides.
            match x.iter().zip(y.iter()).find(|(p, q)| !py_eq(p, q)) {
                Some((p, q)) => py_lt(p, q),
                None => Ok(x.len() < y.len()),
            }
        }
        // `<` on sets is "proper subset".
        (Value::FrozenSet(x), Value::FrozenSet(y)) => {
            Ok(x.len() < y.len() && x.iter().all(|i| y.iter().any(|j| py_eq(i, j))))
        }
        _ => Err(Error::new(ErrorKind::Unorderable(type_name(a), type_name(b)))),
    }
}

fn type_name(v: &Value<'_>) -> String {
    match v {
        Value::Object(o) => o.class().map_or_else(|| "object".to_owned(), |c| short_name(&c.name())),
        other => other.type_name().to_owned(),
    }
}

/// The last component of a qualified name (`__name__` of a class).
pub(crate) fn short_name(qualname: &str) -> String {
    qualname.rsplit('.').next().unwrap_or(qualname).to_owned()
}

/// The dict's entries in `sorted(items)` order.
///
/// For fewer than 64 entries this is CPython's binary insertion sort,
/// comparison for comparison, so that the same pair of keys fails first and
/// unordered keys (NaN) land where CPython puts them. Longer dicts whose keys
/// are totally ordered use a stable sort, which gives the same order; other
/// long dicts fall back to the same insertion sort.
pub(crate) fn sort_items(order: &mut [Pair<'_, '_>]) -> Result<()> {
    if order.len() >= 64 && totally_ordered(order) {
        let mut failure = None;
        order.sort_by(|a, b| match (py_lt(a.0, b.0), py_lt(b.0, a.0)) {
            (Ok(true), _) => Ordering::Less,
            (Ok(false), Ok(true)) => Ordering::Greater,
            (Ok(false), Ok(false)) => Ordering::Equal,
            (Err(e), _) | (_, Err(e)) => {
                failure.get_or_insert(e);
                Ordering::Equal
            }
        });
        return failure.map_or(Ok(()), Err);
    }
    insertion_sort(order)
}

/// A dict entry: key and value.
pub(crate) type Pair<'v, 'a> = (&'v Value<'a>, &'v Value<'a>);

/// Whether every pair of keys is ordered by `<` one way or the other: all
/// str, or all real numbers without NaN.
fn totally_ordered(items: &[Pair<'_, '_>]) -> bool {
    let all_str = items.iter().all(|(k, _)| matches!(k, Value::Str(_)));
    let all_num = items.iter().all(|(k, _)| match k {
        Value::Bool(_) | Value::Int(_) => true,
        Value::Float(f) => !f.is_nan(),
        _ => false,
    });
    all_str || all_num
}

/// CPython's `list.sort` below 64 items: find the leading run (reversing a
/// strictly descending one), then binary-insert the rest.
fn insertion_sort(items: &mut [Pair<'_, '_>]) -> Result<()> {
    let n = items.len();
    if n < 2 {
        return Ok(());
    }
    let lt = |a: Pair<'_, '_>, b: Pair<'_, '_>| py_lt(a.0, b.0);
    let mut run = 2;
    if lt(items[1], items[0])? {
        while run < n && lt(items[run], items[run - 1])? {
            run += 1;
        }
        items[..run].reverse();
    } else {
        while run < n && !lt(items[run], items[run - 1])? {
            run += 1;
        }
    }
    for start in run..n {
        let pivot = items[start];
        let (mut lo, mut hi) = (0, start);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if lt(pivot, items[mid])? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        items[lo..=start].rotate_right(1);
    }
    Ok(())
}
