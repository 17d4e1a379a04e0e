//! Python equality and hashing on values, for `==` and for finding repeated
//! dict keys and set items (`1`, `1.0` and `True` are one key in Python).

use super::{Dict, Int, Seq, Value};
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use rustc_hash::FxHashMap;
use std::hash::{Hash, Hasher};

/// Python's `a == b` for values (objects compare by identity).
pub(crate) fn py_eq(a: &Value<'_>, b: &Value<'_>) -> bool {
    EqCtx::default().eq(a, b)
}

fn resolve<'v, 'a>(v: &'v Value<'a>, slot: &'v mut Option<Value<'a>>) -> &'v Value<'a> {
    if let Value::Cycle(c) = v {
        if let Some(target) = c.upgrade() {
            *slot = Some(target);
            return slot.as_ref().unwrap();
        }
    }
    v
}

/// Equality with a memo of container pairs already compared (or being
/// compared: assumed equal, which settles cycles). Each pair is compared at
/// most once, so shared sub-values cannot make comparison exponential.
#[derive(Default)]
pub(crate) struct EqCtx {
    pairs: FxHashMap<(usize, usize), bool>,
}

impl EqCtx {
    pub(crate) fn eq(&mut self, a: &Value<'_>, b: &Value<'_>) -> bool {
        crate::stack::guard(|| self.eq_inner(a, b))
    }

    fn eq_inner(&mut self, a: &Value<'_>, b: &Value<'_>) -> bool {
        let (mut sa, mut sb) = (None, None);
        let a = resolve(a, &mut sa);
        let b = resolve(b, &mut sb);
        let pair = match (a.identity(), b.identity()) {
            (Some(x), Some(y)) if x == y => return true,
            (Some(x), Some(y)) => Some((x, y)),
            _ => None,
        };
        if let (Some(x), Some(y)) = (numeric(a), numeric(b)) {
            return x == y;
        }
        let is_container =
            matches!(a, Value::Tuple(_) | Value::List(_) | Value::Set(_) | Value::FrozenSet(_) | Value::Dict(_));
        if let (true, Some(pair)) = (is_container, pair) {
            if let Some(&known) = self.pairs.get(&pair) {
                return known;
            }
            self.pairs.insert(pair, true);
            let result = self.containers_eq(a, b);
            self.pairs.insert(pair, result);
            return result;
        }
        match (a, b) {
            (Value::None, Value::None) => true,
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::Bytes(_) | Value::ByteArray(_), Value::Bytes(_) | Value::ByteArray(_)) => {
                a.as_bytes() == b.as_bytes()
            }
            (Value::Global(x), Value::Global(y)) => x.module_str() == y.module_str() && x.name_str() == y.name_str(),
            _ => false,
        }
    }

    fn containers_eq(&mut self, a: &Value<'_>, b: &Value<'_>) -> bool {
        match (a, b) {
            (Value::Tuple(x), Value::Tuple(y)) | (Value::List(x), Value::List(y)) => {
                x.len() == y.len() && x.iter().zip(y.iter()).all(|(i, j)| self.eq(i, j))
            }
            (Value::Set(x) | Value::FrozenSet(x), Value::Set(y) | Value::FrozenSet(y)) => {
                x.len() == y.len() && x.iter().all(|i| y.iter().any(|j| self.eq(i, j)))
            }
            (Value::Dict(x), Value::Dict(y)) => {
                x.len() == y.len()
                    && x.iter().all(|(k, v)| {
                        let found = y.iter().find(|(k2, _)| self.eq(k, k2));
                        found.is_some_and(|(_, v2)| self.eq(v, v2))
                    })
            }
            _ => false,
        }
    }
}

/// A number normalised for cross-type comparison.
#[derive(PartialEq)]
enum Num {
    Int(BigIntOrSmall),
    Float(f64),
    Complex(f64, f64),
}

#[derive(PartialEq)]
enum BigIntOrSmall {
    Small(i64),
    Big(BigInt),
}

fn numeric(v: &Value<'_>) -> Option<Num> {
    Some(match v {
        Value::Bool(b) => Num::Int(BigIntOrSmall::Small(*b as i64)),
        Value::Int(i) => int_num(i),
        Value::Float(f) => float_num(*f),
        Value::Complex { re, im } if *im == 0.0 => float_num(*re),
        Value::Complex { re, im } => Num::Complex(*re, *im),
        _ => return None,
    })
}

fn int_num(i: &Int) -> Num {
    match i.as_i64() {
        Some(v) => Num::Int(BigIntOrSmall::Small(v)),
        None => Num::Int(BigIntOrSmall::Big(i.to_bigint())),
    }
}

/// Integral floats become ints, so `1.0 == 1` and `2.0**70 == 2**70`.
fn float_num(f: f64) -> Num {
    if f.is_finite() && f.fract() == 0.0 {
        if f.abs() < 9.0e18 {
            return Num::Int(BigIntOrSmall::Small(f as i64));
        }
        let big = bigint_from_integral_f64(f);
        return Num::Int(match big.to_i64() {
            Some(small) => BigIntOrSmall::Small(small),
            None => BigIntOrSmall::Big(big),
        });
    }
    Num::Float(f)
}

fn bigint_from_integral_f64(f: f64) -> BigInt {
    let bits = f.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1075;
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    let mut v = BigInt::from(mantissa);
    if exponent >= 0 {
        v <<= exponent as usize;
    } else {
        v >>= (-exponent) as usize;
    }
    if f < 0.0 {
        -v
    } else {
        v
    }
}

/// Hashing with a memo of tuple/frozenset hashes by identity, so values that
/// share sub-tuples hash in time proportional to their distinct parts.
#[derive(Default)]
pub(crate) struct HashCtx {
    known: FxHashMap<usize, Option<u64>>,
}

impl HashCtx {
    pub(crate) fn hash(&mut self, v: &Value<'_>) -> Option<u64> {
        crate::stack::guard(|| self.hash_inner(v))
    }

    fn hash_inner(&mut self, v: &Value<'_>) -> Option<u64> {
        let mut h = rustc_hash::FxHasher::default();
        if let Some(n) = numeric(v) {
            match n {
                Num::Int(BigIntOrSmall::Small(i)) => (0u8, i).hash(&mut h),
                Num::Int(BigIntOrSmall::Big(b)) => (1u8, b).hash(&mut h),
                Num::Float(f) => (2u8, f.to_bits()).hash(&mut h),
                Num::Complex(re, im) => (3u8, re.to_bits(), im.to_bits()).hash(&mut h),
            }
            return Some(h.finish());
        }
        match v {
            Value::None => 4u8.hash(&mut h),
            Value::Str(s) => (5u8, s.as_surrogatepass()).hash(&mut h),
            Value::Bytes(b) => (6u8, b.as_slice()).hash(&mut h),
            Value::Tuple(_) | Value::FrozenSet(_) => {
                let id = v.identity().expect("containers have identity");
                if let Some(&known) = self.known.get(&id) {
                    return known;
                }
                let hash = self.container_hash(v);
                self.known.insert(id, hash);
                return hash;
            }
            Value::Global(g) => (9u8, g.module_str(), g.name_str()).hash(&mut h),
            Value::Object(o) => (10u8, o.0.identity()).hash(&mut h),
            Value::Cycle(c) => return self.hash(&c.upgrade()?),
            _ => return None,
        }
        Some(h.finish())
    }

    fn container_hash(&mut self, v: &Value<'_>) -> Option<u64> {
        let mut h = rustc_hash::FxHasher::default();
        match v {
            Value::Tuple(items) => {
                7u8.hash(&mut h);
                for item in items.iter() {
                    self.hash(item)?.hash(&mut h);
                }
            }
            Value::FrozenSet(items) => {
                let mut sum = 0u64;
                for item in items.iter() {
                    sum = sum.wrapping_add(self.hash(item)?);
                }
                (8u8, sum).hash(&mut h);
            }
            _ => unreachable!("only tuples and frozensets are hashed as containers"),
        }
        Some(h.finish())
    }
}

/// Below this many entries, duplicates are found by comparing every pair.
const PAIRWISE_MAX: usize = 8;

/// Up to this many keys, [`few_have_duplicates`] compares fingerprints pairwise
/// (at most 120 compares of two words) before any key is hashed.
const FINGERPRINTED_MAX: usize = 16;

/// Whether any two keys are equal in Python (unhashable keys never are).
/// This is the common, fast path: most dicts and sets have no repeats.
fn has_duplicates(keys: &[&Value<'_>], hashes: &[Option<u64>], eq: &mut EqCtx) -> bool {
    if keys.len() <= PAIRWISE_MAX {
        return (0..keys.len()).any(|i| {
            hashes[i].is_some() && (i + 1..keys.len()).any(|j| hashes[j] == hashes[i] && eq.eq(keys[i], keys[j]))
        });
    }
    let mut seen: FxHashMap<u64, ()> = FxHashMap::with_capacity_and_hasher(keys.len(), Default::default());
    // A repeated hash may be a collision rather than a repeat; either way the
    // slow path sorts it out exactly.
    hashes.iter().flatten().any(|&h| seen.insert(h, ()).is_some())
}

/// Whether a few keys have a repeat, without allocating or hashing: the
/// common case of small dicts (attribute dicts, records).
///
/// Each key gets a cheap fingerprint that equal keys share: a str's length
/// and a few of its bytes; for a number, its value (1, 1.0 and True are
/// equal in Python); one constant for every other hashable key; its
/// position for an unhashable key, which is never a repeat. Only pairs with
/// equal fingerprints are compared.
fn few_have_duplicates<'v, 'a: 'v>(keys: impl Iterator<Item = &'v Value<'a>>) -> bool {
    let mut slots: [(u64, Option<&'v Value<'a>>); FINGERPRINTED_MAX] = [(0, None); FINGERPRINTED_MAX];
    let mut n = 0;
    for key in keys {
        slots[n] = (fingerprint(key, n), Some(key));
        n += 1;
    }
    let slots = &slots[..n];
    let mut eq = EqCtx::default();
    slots.iter().enumerate().any(|(i, &(print, a))| {
        slots[i + 1..].iter().any(|&(other, b)| {
            other == print
                && match (a.expect("filled"), b.expect("filled")) {
                    (Value::Str(x), Value::Str(y)) => x.as_surrogatepass() == y.as_surrogatepass(),
                    (Value::Str(_), _) | (_, Value::Str(_)) => false,
                    (a, b) => !is_unhashable(a) && !is_unhashable(b) && eq.eq(a, b),
                }
        })
    })
}

/// See [`few_have_duplicates`]; `position` is the key's index.
#[inline]
fn fingerprint(key: &Value<'_>, position: usize) -> u64 {
    /// Shared by all hashable keys other than str (high bits no length reaches).
    const OTHER: u64 = 1 << 63;
    match key {
        Value::Str(s) => {
            // A few bytes at fixed places (the ends, and the middle of very
            // short text) and the length, read with no loop.
            let b = s.as_surrogatepass();
            let n = b.len();
            let half = |i: usize| u64::from(u32::from_le_bytes(b[i..i + 4].try_into().expect("four bytes")));
            let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("eight bytes"));
            let probe = match n {
                0 => 0,
                1..=3 => u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
                4..=7 => half(0) | half(n - 4) << 32,
                _ => word(0) ^ word(n - 8).rotate_left(29),
            };
            probe ^ (n as u64).rotate_right(8)
        }
        // Equal numbers share a fingerprint (1 == 1.0 == True): an integral
        // value within i64 by that value, other floats by their bits (no int
        // equals them), and ints and floats past i64 share OTHER.
        Value::Bool(b) => u64::from(*b),
        Value::Int(i) => i.as_i64().map_or(OTHER, |v| v as u64),
        Value::Float(f) if f.fract() != 0.0 || f.is_nan() => f.to_bits(),
        Value::Float(f) if (-(2f64.powi(63))..2f64.powi(63)).contains(f) => *f as i64 as u64,
        _ if is_unhashable(key) => OTHER | 1 << 62 | position as u64,
        _ => OTHER,
    }
}

/// Python types that cannot be dict keys or set items.
fn is_unhashable(v: &Value<'_>) -> bool {
    matches!(v, Value::List(_) | Value::Dict(_) | Value::Set(_) | Value::ByteArray(_) | Value::Buffer(_))
}

/// The positions to keep when removing repeated keys: for each group of
/// equal keys, the first position, and the position whose value wins (the
/// last). `None` when there are no repeats.
fn dedup_plan(keys: &[&Value<'_>]) -> Option<Vec<(usize, usize)>> {
    let mut hasher = HashCtx::default();
    let hashes: Vec<Option<u64>> = keys.iter().map(|k| hasher.hash(k)).collect();
    let mut eq = EqCtx::default();
    if keys.len() < 2 || !has_duplicates(keys, &hashes, &mut eq) {
        return None;
    }
    let mut plan: Vec<(usize, usize)> = Vec::with_capacity(keys.len());
    let mut groups: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    for (i, key) in keys.iter().enumerate() {
        let Some(h) = hashes[i] else {
            plan.push((i, i));
            continue;
        };
        let slot = groups.entry(h).or_default();
        match slot.iter().find(|&&p| eq.eq(keys[plan[p].0], key)) {
            Some(&p) => plan[p].1 = i,
            None => {
                slot.push(plan.len());
                plan.push((i, i));
            }
        }
    }
    Some(plan)
}

/// Keeps the first of each group of equal items (set semantics); unhashable
/// items are all kept.
pub(crate) fn dedup_items<'a>(items: impl Iterator<Item = Value<'a>>) -> Seq<'a> {
    let items: Vec<Value<'a>> = items.collect();
    if items.len() <= FINGERPRINTED_MAX && !few_have_duplicates(items.iter()) {
        return items.into();
    }
    let keys: Vec<&Value<'a>> = items.iter().collect();
    match dedup_plan(&keys) {
        None => items.into(),
        Some(plan) => plan.into_iter().map(|(first, _)| items[first].clone()).collect(),
    }
}

/// Dict semantics: a repeated key keeps its first position and takes the last value.
pub(crate) fn dedup_pairs<'a>(pairs: impl Iterator<Item = (Value<'a>, Value<'a>)>) -> Dict<'a> {
    let mut pairs: Vec<(Value<'a>, Value<'a>)> = pairs.collect();
    dedup_pair_tail(&mut pairs, 0)
}

/// [`dedup_pairs`] on the pairs from `base` to the end of `pairs`, which
/// are moved out (`pairs` is left `base` long): a builder that keeps one
/// vector for all its dicts allocates only the dict itself.
pub(crate) fn dedup_pair_tail<'a>(pairs: &mut Vec<(Value<'a>, Value<'a>)>, base: usize) -> Dict<'a> {
    let tail = &pairs[base..];
    let plan = if tail.len() <= FINGERPRINTED_MAX && !few_have_duplicates(tail.iter().map(|(k, _)| k)) {
        None
    } else {
        dedup_plan(&tail.iter().map(|(k, _)| k).collect::<Vec<_>>())
    };
    let dict = match plan {
        None => pairs.drain(base..).collect(),
        Some(plan) => plan.into_iter().map(|(first, last)| (tail[first].0.clone(), tail[last].1.clone())).collect(),
    };
    pairs.truncate(base);
    dict
}

/// Python's ordering of two numbers (bool, int, float; exact across int and
/// float): `None` when either is not a real number, `Some(None)` when they
/// are unordered (a NaN is involved).
pub(crate) fn num_partial_cmp(a: &Value<'_>, b: &Value<'_>) -> Option<Option<std::cmp::Ordering>> {
    use std::cmp::Ordering;
    let real = |v: &Value<'_>| matches!(v, Value::Bool(_) | Value::Int(_) | Value::Float(_));
    if !real(a) || !real(b) {
        return None;
    }
    if let (Value::Float(x), Value::Float(y)) = (a, b) {
        return Some(x.partial_cmp(y));
    }
    let (x, y) = (numeric(a)?, numeric(b)?);
    fn as_big(i: &BigIntOrSmall) -> BigInt {
        match i {
            BigIntOrSmall::Small(v) => BigInt::from(*v),
            BigIntOrSmall::Big(b) => b.clone(),
        }
    }
    // An int against a float that is not integral: compare with its floor.
    fn int_vs_float(i: &BigIntOrSmall, f: f64) -> Option<Ordering> {
        if f.is_nan() {
            return None;
        }
        if f.is_infinite() {
            return Some(if f > 0.0 { Ordering::Less } else { Ordering::Greater });
        }
        let floor = bigint_from_integral_f64(f.floor());
        Some(if as_big(i) <= floor { Ordering::Less } else { Ordering::Greater })
    }
    Some(match (&x, &y) {
        (Num::Int(BigIntOrSmall::Small(p)), Num::Int(BigIntOrSmall::Small(q))) => Some(p.cmp(q)),
        (Num::Int(p), Num::Int(q)) => Some(as_big(p).cmp(&as_big(q))),
        (Num::Int(p), Num::Float(f)) => int_vs_float(p, *f),
        (Num::Float(f), Num::Int(q)) => int_vs_float(q, *f).map(Ordering::reverse),
        (Num::Float(p), Num::Float(q)) => p.partial_cmp(q),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py_hash(v: &Value<'_>) -> Option<u64> {
        HashCtx::default().hash(v)
    }

    #[test]
    fn numbers_compare_across_types() {
        assert!(py_eq(&Value::from(1), &Value::from(1.0)));
        assert!(py_eq(&Value::from(true), &Value::from(1)));
        assert!(!py_eq(&Value::from(f64::NAN), &Value::from(f64::NAN)));
        let big = Value::Int(Int::from(1u128 << 70));
        assert!(py_eq(&big, &Value::from(2f64.powi(70))));
        assert_eq!(py_hash(&big), py_hash(&Value::from(2f64.powi(70))));
        assert_eq!(py_hash(&Value::from(1)), py_hash(&Value::from(true)));
    }

    #[test]
    fn dict_keeps_first_position_last_value() {
        let d = dedup_pairs(
            vec![
                (Value::from(1), Value::from("a")),
                (Value::from("k"), Value::from("b")),
                (Value::from(1.0), Value::from("c")),
            ]
            .into_iter(),
        );
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].1.as_str(), Some("c"));
        assert!(matches!(d[0].0, Value::Int(_)));
    }

    /// Keys that tempt the fingerprint filter: strs sharing their first or last
    /// eight bytes or their length, numbers equal across types, unhashable
    /// lists, and tuples.
    fn tricky_key() -> impl proptest::strategy::Strategy<Value = Value<'static>> {
        use proptest::prelude::*;
        prop_oneof![
            3 => "(abcdefgh|abcdefgi|abc|ab\\x00|)x?".prop_map(Value::from),
            1 => "y?(abcdefgh|bbcdefgh|abcd|bbcd)".prop_map(Value::from),
            1 => (-2i64..3).prop_map(Value::from),
            1 => (-2i64..3).prop_map(|i| Value::from(i as f64)),
            1 => any::<bool>().prop_map(Value::from),
            // Equal across types past i64 too, and a float no int equals.
            1 => prop_oneof![
                Just(Value::from(num_bigint::BigInt::from(1u128 << 70))),
                Just(Value::from(2f64.powi(70))),
                Just(Value::from(0.5)),
                Just(Value::from(-0.0)),
            ],
            1 => Just(Value::List(vec![Value::from(1)].into())),
            1 => (0i64..2).prop_map(|i| Value::Tuple(vec![Value::from(i)].into())),
        ]
    }

    proptest::proptest! {
        /// The pairwise fast path and the hashing plan both agree with the
        /// plain definition: a key equal to an earlier hashable key replaces
        /// that entry's value and keeps its position.
        #[test]
        fn dict_dedup_matches_the_definition(keys in proptest::collection::vec(tricky_key(), 0..24)) {
            let pairs: Vec<_> = keys.iter().cloned().enumerate().map(|(i, k)| (k, Value::from(i as i64))).collect();
            let mut expected: Vec<(Value<'_>, Value<'_>)> = Vec::new();
            for (k, v) in pairs.iter().cloned() {
                let hashable = py_hash(&k).is_some();
                match expected.iter_mut().find(|(seen, _)| hashable && py_hash(seen).is_some() && py_eq(seen, &k)) {
                    Some(entry) => entry.1 = v,
                    None => expected.push((k, v)),
                }
            }
            let got = dedup_pairs(pairs.into_iter());
            let show = |pairs: &[(Value<'_>, Value<'_>)]| pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>();
            proptest::prop_assert_eq!(show(&got), show(&expected));
        }
    }
}
