//! Python's arbitrary-precision `int`: an `i64` while it fits, a [`BigInt`] beyond.

use num_bigint::{BigInt, Sign};
use num_traits::{Signed, ToPrimitive};
use std::fmt;
use std::sync::Arc;

/// A Python `int`. Small values are stored inline; only values outside the
/// `i64` range allocate.
///
/// ```
/// use brinery::Int;
///
/// let small = Int::from(255);
/// assert_eq!(small.as_i64(), Some(255));
/// let big: Int = "123456789012345678901234567890".parse().unwrap();
/// assert_eq!(big.as_i64(), None);
/// assert_eq!(big.to_string(), "123456789012345678901234567890");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Int(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Small(i64),
    // Invariant: never holds a value that fits in i64.
    Big(Arc<BigInt>),
}

impl Int {
    /// The value as an `i64`, if it fits.
    #[inline]
    pub fn as_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Small(v) => Some(*v),
            Repr::Big(_) => None,
        }
    }

    /// The value as a [`BigInt`] (allocates for small values).
    pub fn to_bigint(&self) -> BigInt {
        match &self.0 {
            Repr::Small(v) => BigInt::from(*v),
            Repr::Big(b) => (**b).clone(),
        }
    }

    /// The value as an `i128`, if it fits.
    pub fn to_i128(&self) -> Option<i128> {
        match &self.0 {
            Repr::Small(v) => Some(*v as i128),
            Repr::Big(b) => b.to_i128(),
        }
    }

    /// The value as a `u128`, if it fits.
    pub fn to_u128(&self) -> Option<u128> {
        match &self.0 {
            Repr::Small(v) => u128::try_from(*v).ok(),
            Repr::Big(b) => b.to_u128(),
        }
    }

    /// The nearest `f64` (Python's `float(int)`, without its overflow error).
    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::Small(v) => *v as f64,
            Repr::Big(b) => b.to_f64().unwrap_or(f64::NAN),
        }
    }

    /// Whether the value is negative.
    pub fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Small(v) => *v < 0,
            Repr::Big(b) => b.is_negative(),
        }
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        matches!(self.0, Repr::Small(0))
    }

    /// Decodes a little-endian two's-complement byte string, as LONG1/LONG4
    /// store ints. The empty string is zero.
    ///
    /// ```
    /// use brinery::Int;
    /// assert_eq!(Int::from_signed_le(&[0xff]), Int::from(-1));
    /// assert_eq!(Int::from_signed_le(&[0x00, 0x80]), Int::from(-32768));
    /// assert_eq!(Int::from_signed_le(&[]), Int::from(0));
    /// ```
    pub fn from_signed_le(bytes: &[u8]) -> Int {
        if bytes.len() <= 8 {
            if bytes.is_empty() {
                return Int::from(0);
            }
            let negative = bytes[bytes.len() - 1] & 0x80 != 0;
            let mut buf = if negative { [0xffu8; 8] } else { [0u8; 8] };
            buf[..bytes.len()].copy_from_slice(bytes);
            return Int(Repr::Small(i64::from_le_bytes(buf)));
        }
        Int::from(BigInt::from_signed_bytes_le(bytes))
    }

    /// The minimal little-endian two's-complement encoding CPython's pickler
    /// writes for LONG1/LONG4 (`encode_long`): zero is empty.
    ///
    /// ```
    /// use brinery::Int;
    /// assert_eq!(Int::from(255).to_signed_le(), vec![0xff, 0x00]);
    /// assert_eq!(Int::from(-128).to_signed_le(), vec![0x80]);
    /// assert_eq!(Int::from(0).to_signed_le(), Vec::<u8>::new());
    /// ```
    pub fn to_signed_le(&self) -> Vec<u8> {
        if self.is_zero() {
            return Vec::new();
        }
        match &self.0 {
            Repr::Small(v) => {
                let bytes = v.to_le_bytes();
                // Keep the fewest bytes whose top bit still carries the sign.
                let mut n = 8;
                while n > 1 {
                    let top = bytes[n - 1];
                    let next_sign = bytes[n - 2] & 0x80 != 0;
                    if (top == 0 && !next_sign) || (top == 0xff && next_sign) {
                        n -= 1;
                    } else {
                        break;
                    }
                }
                bytes[..n].to_vec()
            }
            Repr::Big(b) => b.to_signed_bytes_le(),
        }
    }

    /// Number of bits needed for the absolute value (Python's `int.bit_length`).
    pub fn bit_length(&self) -> u64 {
        match &self.0 {
            Repr::Small(v) => 64 - v.unsigned_abs().leading_zeros() as u64,
            Repr::Big(b) => b.bits(),
        }
    }
}

impl From<BigInt> for Int {
    fn from(b: BigInt) -> Int {
        match b.to_i64() {
            Some(v) => Int(Repr::Small(v)),
            None => Int(Repr::Big(Arc::new(b))),
        }
    }
}

macro_rules! int_from_small {
    ($($t:ty),*) => {$(
        impl From<$t> for Int {
            #[inline]
            fn from(v: $t) -> Int { Int(Repr::Small(v as i64)) }
        }
    )*};
}
int_from_small!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! int_from_wide {
    ($($t:ty),*) => {$(
        impl From<$t> for Int {
            fn from(v: $t) -> Int {
                match i64::try_from(v) {
                    Ok(s) => Int(Repr::Small(s)),
                    Err(_) => Int(Repr::Big(Arc::new(BigInt::from(v)))),
                }
            }
        }
    )*};
}
int_from_wide!(u64, i128, u128, usize, isize);

impl std::str::FromStr for Int {
    type Err = num_bigint::ParseBigIntError;
    /// Parses plain decimal digits with an optional sign.
    fn from_str(s: &str) -> Result<Int, Self::Err> {
        if let Ok(v) = s.parse::<i64>() {
            return Ok(Int(Repr::Small(v)));
        }
        s.parse::<BigInt>().map(Int::from)
    }
}

impl fmt::Display for Int {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Small(v) => fmt::Display::fmt(v, f),
            Repr::Big(b) => fmt::Display::fmt(b, f),
        }
    }
}

impl fmt::Debug for Int {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq<i64> for Int {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

impl Int {
    /// The sign of the value as num-bigint's [`Sign`].
    pub fn sign(&self) -> Sign {
        match &self.0 {
            Repr::Small(v) if *v < 0 => Sign::Minus,
            Repr::Small(0) => Sign::NoSign,
            Repr::Small(_) => Sign::Plus,
            Repr::Big(b) => b.sign(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_le_round_trips_at_boundaries() {
        for v in [
            0i128,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            255,
            256,
            32767,
            32768,
            -32769,
            i64::MAX as i128,
            i64::MIN as i128,
            i64::MAX as i128 + 1,
            i64::MIN as i128 - 1,
            1 << 100,
            -(1 << 100),
        ] {
            let int = Int::from(v);
            let bytes = int.to_signed_le();
            assert_eq!(Int::from_signed_le(&bytes), int, "{v}");
            if v != 0 {
                assert_eq!(bytes, BigInt::from(v).to_signed_bytes_le(), "{v}");
            }
        }
    }
}
