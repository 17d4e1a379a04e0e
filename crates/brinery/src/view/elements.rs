//! Decoding single numpy elements (raw bytes in a dtype's byte order) into
//! Rust numbers, the way `astype(float64)` / `astype(int64)` would.

use super::dtype::{ByteOrder, DType, DTypeKind};

/// The unsigned integer in `bytes` (at most 8) in the given byte order.
fn read_u64(bytes: &[u8], order: ByteOrder) -> u64 {
    let fold = |acc: u64, b: &u8| (acc << 8) | *b as u64;
    match order {
        ByteOrder::Little => bytes.iter().rev().fold(0, fold),
        ByteOrder::Big | ByteOrder::NotApplicable => bytes.iter().fold(0, fold),
    }
}

/// The signed integer in `bytes` (at most 8), sign-extended.
fn read_i64(bytes: &[u8], order: ByteOrder) -> i64 {
    let bits = bytes.len() * 8;
    let raw = read_u64(bytes, order);
    if bits == 64 {
        raw as i64
    } else {
        ((raw << (64 - bits)) as i64) >> (64 - bits)
    }
}

/// An IEEE 754 half-precision float.
fn half_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let mant = (h & 0x3ff) as f64;
    sign * match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + mant / 1024.0) * 2f64.powi(exp - 15),
    }
}

/// One element as `f64`: bools, integers (rounded like numpy for large
/// 64-bit values) and floats of 2, 4 or 8 bytes.
pub(crate) fn to_f64(dtype: &DType, bytes: &[u8]) -> Result<f64, String> {
    let order = dtype.byte_order;
    Ok(match (dtype.kind, bytes.len()) {
        (DTypeKind::Bool, 1) => (bytes[0] != 0) as u8 as f64,
        (DTypeKind::Int, 1..=8) => read_i64(bytes, order) as f64,
        (DTypeKind::UInt, 1..=8) => read_u64(bytes, order) as f64,
        (DTypeKind::Float, 2) => half_to_f64(read_u64(bytes, order) as u16),
        (DTypeKind::Float, 4) => f32::from_bits(read_u64(bytes, order) as u32) as f64,
        (DTypeKind::Float, 8) => f64::from_bits(read_u64(bytes, order)),
        _ => return Err(format!("dtype {} cannot be read as f64", dtype.descr)),
    })
}

/// One element as `i64`: bools, integers that fit, and the raw counts of
/// `datetime64`/`timedelta64` (NaT is `i64::MIN`).
pub(crate) fn to_i64(dtype: &DType, bytes: &[u8]) -> Result<i64, String> {
    let order = dtype.byte_order;
    Ok(match (dtype.kind, bytes.len()) {
        (DTypeKind::Bool, 1) => (bytes[0] != 0) as i64,
        (DTypeKind::Int | DTypeKind::DateTime | DTypeKind::TimeDelta, 1..=8) => read_i64(bytes, order),
        (DTypeKind::UInt, 1..=8) => {
            let n = read_u64(bytes, order);
            i64::try_from(n).map_err(|_| format!("{n} (dtype {}) does not fit in i64", dtype.descr))?
        }
        _ => return Err(format!("dtype {} cannot be read as i64", dtype.descr)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves() {
        assert_eq!(half_to_f64(0x3c00), 1.0);
        assert_eq!(half_to_f64(0xc000), -2.0);
        assert_eq!(half_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(half_to_f64(0x7bff), 65504.0);
        assert!(half_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn sign_extension() {
        assert_eq!(read_i64(&[0xfe, 0xff], ByteOrder::Little), -2);
        assert_eq!(read_i64(&[0xff, 0xfe], ByteOrder::Big), -2);
        assert_eq!(read_i64(&[0x80], ByteOrder::NotApplicable), -128);
    }
}
