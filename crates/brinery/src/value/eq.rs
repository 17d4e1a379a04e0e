//! Python equality and hashing on values, for `==` and for finding repeated
//! dict keys and set items (`1`, `1.0` and `True` are one key in Python).

use super::{Int, Value};
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Python's `a == b` for values (objects compare by identity).
pub(crate) fn py_eq(a: &Value<'_>, b: &Value<'_>) -> bool {
    let mut in_progress = Vec::new();
    eq_inner(a, b, &mut in_progress)
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

fn eq_inner(a: &Value<'_>, b: &Value<'_>, in_progress: &mut Vec<(usize, usize)>) -> bool {
    let (mut sa, mut sb) = (None, None);
    let a = resolve(a, &mut sa);
    let b = resolve(b, &mut sb);
    if let (Some(x), Some(y)) = (a.identity(), b.identity()) {
        if x == y {
            return true;
        }
        // Comparing a pair that is already being compared further up: assume
        // equal (the rest of the comparison decides).
        if in_progress.contains(&(x, y)) {
            return true;
        }
    }
    if let (Some(x), Some(y)) = (numeric(a), numeric(b)) {
        return x == y;
    }
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bytes(_) | Value::ByteArray(_), Value::Bytes(_) | Value::ByteArray(_)) => a.as_bytes() == b.as_bytes(),
        (Value::Tuple(x), Value::Tuple(y)) | (Value::List(x), Value::List(y)) => {
            x.len() == y.len()
                && with_pair(a, b, in_progress, |p| x.iter().zip(y.iter()).all(|(i, j)| eq_inner(i, j, p)))
        }
        (Value::Set(x) | Value::FrozenSet(x), Value::Set(y) | Value::FrozenSet(y)) => {
            x.len() == y.len()
                && with_pair(a, b, in_progress, |p| x.iter().all(|i| y.iter().any(|j| eq_inner(i, j, p))))
        }
        (Value::Dict(x), Value::Dict(y)) => {
            x.len() == y.len()
                && with_pair(a, b, in_progress, |p| {
                    x.iter().all(|(k, v)| {
                        y.iter().find(|(k2, _)| eq_inner(k, k2, p)).is_some_and(|(_, v2)| eq_inner(v, v2, p))
                    })
                })
        }
        (Value::Global(x), Value::Global(y)) => x.module_str() == y.module_str() && x.name_str() == y.name_str(),
        _ => false,
    }
}

fn with_pair(
    a: &Value<'_>,
    b: &Value<'_>,
    in_progress: &mut Vec<(usize, usize)>,
    f: impl FnOnce(&mut Vec<(usize, usize)>) -> bool,
) -> bool {
    let pair = (a.identity().unwrap_or(0), b.identity().unwrap_or(0));
    in_progress.push(pair);
    let result = f(in_progress);
    in_progress.pop();
    result
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

/// A hash consistent with [`py_eq`] for hashable values; `None` for values
/// Python cannot hash (list, dict, set, bytearray, buffers).
pub(crate) fn py_hash(v: &Value<'_>) -> Option<u64> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    hash_into(v, &mut h)?;
    Some(h.finish())
}

fn hash_into(v: &Value<'_>, h: &mut impl Hasher) -> Option<()> {
    if let Some(n) = numeric(v) {
        match n {
            Num::Int(BigIntOrSmall::Small(i)) => {
                0u8.hash(h);
                i.hash(h)
            }
            Num::Int(BigIntOrSmall::Big(b)) => {
                1u8.hash(h);
                b.hash(h)
            }
            Num::Float(f) => {
                2u8.hash(h);
                f.to_bits().hash(h)
            }
            Num::Complex(re, im) => {
                3u8.hash(h);
                re.to_bits().hash(h);
                im.to_bits().hash(h)
            }
        }
        return Some(());
    }
    match v {
        Value::None => 4u8.hash(h),
        Value::Str(s) => {
            5u8.hash(h);
            s.as_surrogatepass().hash(h)
        }
        Value::Bytes(b) => {
            6u8.hash(h);
            b.as_slice().hash(h)
        }
        Value::Tuple(items) => {
            7u8.hash(h);
            for item in items.iter() {
                hash_into(item, h)?;
            }
        }
        Value::FrozenSet(items) => {
            8u8.hash(h);
            let mut sum = 0u64;
            for item in items.iter() {
                sum = sum.wrapping_add(py_hash(item)?);
            }
            sum.hash(h)
        }
        Value::Global(g) => {
            9u8.hash(h);
            g.module_str().hash(h);
            g.name_str().hash(h)
        }
        Value::Object(o) => {
            10u8.hash(h);
            o.0.identity().hash(h)
        }
        Value::Cycle(c) => return hash_into(&c.upgrade()?, h),
        _ => return None,
    }
    Some(())
}

/// Keeps the first of each group of equal items (set semantics); unhashable
/// items are all kept.
pub(crate) fn dedup_items<'a>(items: impl Iterator<Item = Value<'a>>) -> Vec<Value<'a>> {
    let mut out: Vec<Value<'a>> = Vec::new();
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    for item in items {
        if let Some(h) = py_hash(&item) {
            let slot = index.entry(h).or_default();
            if slot.iter().any(|&i| py_eq(&out[i], &item)) {
                continue;
            }
            slot.push(out.len());
        }
        out.push(item);
    }
    out
}

/// Dict semantics: a repeated key keeps its first position and takes the last value.
pub(crate) fn dedup_pairs<'a>(pairs: impl Iterator<Item = (Value<'a>, Value<'a>)>) -> Vec<(Value<'a>, Value<'a>)> {
    let mut out: Vec<(Value<'a>, Value<'a>)> = Vec::new();
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    for (k, v) in pairs {
        if let Some(h) = py_hash(&k) {
            let slot = index.entry(h).or_default();
            if let Some(&i) = slot.iter().find(|&&i| py_eq(&out[i].0, &k)) {
                out[i].1 = v;
                continue;
            }
            slot.push(out.len());
        }
        out.push((k, v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
