//! Decimal to double without the text: `mantissa × 10^power`, correctly
//! rounded, for the shapes real documents are made of.
//!
//! The parser has already read a number's digits into a `u64`; going back to
//! the text and the standard library's parser costs a second scan. The cases
//! here cover nearly every number in real data (coordinates, prices,
//! measurements); anything else returns `None` and takes the standard
//! parser, which is always correct.
//!
//! - **Clinger's fast path:** a mantissa of at most 2^53 and a power of ten
//!   in ±22 are both exact doubles, so one multiplication or division
//!   rounds correctly.
//! - **Positive powers up to 19:** `m × 10^p` is exact in 128 bits, and one
//!   conversion rounds it.
//! - **Negative powers down to −27** (the 16–19 digit decimals of
//!   coordinates): `m / 10^k = m / 5^k × 2^−k`. The quotient by `5^k` is
//!   taken to 62 or 63 significant bits with a remainder, by a
//!   multiplication with a precomputed reciprocal instead of a 128-bit
//!   division (Möller and Granlund, "Improved division by invariant
//!   integers", 2011, algorithm 4). A nonzero remainder is folded into
//!   the lowest bit, nine or more bits below the rounding bit, so the
//!   conversion to `f64` (round half to even) rounds as the exact quotient
//!   would; the power of two that remains is applied exactly (the result is
//!   a normal double).
//!
//! ```text
//! 65.613616999999977 → mantissa 65613616999999977 (above 2^53), power −15
//! ```

/// `mantissa × 10^power` correctly rounded, or `None` when the case is not
/// one of the cheap exact ones.
#[inline]
pub(super) fn exact_decimal(mantissa: u64, power: i64) -> Option<f64> {
    if mantissa == 0 {
        return Some(0.0);
    }
    if mantissa <= 1 << 53 && (-22..=22).contains(&power) {
        // Exact, and a signed conversion is one instruction.
        let m = (mantissa as i64) as f64;
        return Some(if power < 0 { m / POW10[(-power) as usize] } else { m * POW10[power as usize] });
    }
    match power {
        0..=19 => Some((mantissa as u128 * POW10_INT[power as usize]) as f64),
        -27..=-1 => Some(divide_by_power_of_ten(mantissa, (-power) as usize)),
        _ => None,
    }
}

/// `mantissa / 10^k` correctly rounded, for `mantissa ≠ 0` and `1 ≤ k ≤ 27`.
#[inline]
fn divide_by_power_of_ten(mantissa: u64, k: usize) -> f64 {
    let divisor = &FIVE_POWERS[k];
    // The dividend is the mantissa with its top bit moved to bit 125, as two
    // words: the high word is below 2^62, so below the normalized divisor,
    // and the quotient has 62 or 63 significant bits (nine or more below
    // the rounding bit). Below 2^63 it converts as a signed integer: one
    // instruction, where an unsigned 64-bit conversion takes several.
    let zeros = mantissa.leading_zeros();
    let top = mantissa << zeros;
    let (quotient, remainder) = divisor.divide(top >> 2, top << 62);
    let sticky = u64::from(remainder != 0);
    // value = quotient × 2^(shift − zeros − 62 − k)
    let exponent = i64::from(divisor.shift) - i64::from(zeros) - 62 - k as i64;
    let scale = f64::from_bits(((1023 + exponent) as u64) << 52);
    ((quotient | sticky) as i64) as f64 * scale
}

/// A power of five, shifted so its top bit is set, with its reciprocal.
struct Divisor {
    /// `5^k << shift`, top bit set.
    normalized: u64,
    /// How far `5^k` was shifted left.
    shift: u32,
    /// `⌊(2^128 − 1) / normalized⌋ − 2^64`.
    reciprocal: u64,
}

impl Divisor {
    const fn new(value: u64) -> Divisor {
        let shift = value.leading_zeros();
        let normalized = value << shift;
        let reciprocal = (u128::MAX / normalized as u128 - (1u128 << 64)) as u64;
        Divisor { normalized, shift, reciprocal }
    }

    /// `(high·2^64 + low) / normalized` as (quotient, remainder); needs
    /// `high < normalized`. Two multiplications and at most two corrections.
    #[inline]
    fn divide(&self, high: u64, low: u64) -> (u64, u64) {
        let d = self.normalized;
        debug_assert!(high < d);
        let estimate = (self.reciprocal as u128 * high as u128).wrapping_add(((high as u128) << 64) | low as u128);
        let mut quotient = ((estimate >> 64) as u64).wrapping_add(1);
        let fraction = estimate as u64;
        let mut remainder = low.wrapping_sub(quotient.wrapping_mul(d));
        if remainder > fraction {
            quotient = quotient.wrapping_sub(1);
            remainder = remainder.wrapping_add(d);
        }
        if remainder >= d {
            quotient += 1;
            remainder -= d;
        }
        (quotient, remainder)
    }
}

/// `5^0` to `5^27` (all below 2^63) as [`Divisor`]s.
static FIVE_POWERS: [Divisor; 28] = {
    let mut table = [const { Divisor { normalized: 0, shift: 0, reciprocal: 0 } }; 28];
    let mut power = 1u64;
    let mut k = 0;
    while k < 28 {
        table[k] = Divisor::new(power);
        power = power.wrapping_mul(5);
        k += 1;
    }
    table
};

/// 10^0 to 10^19 as integers.
static POW10_INT: [u128; 20] = {
    let mut table = [1u128; 20];
    let mut i = 1;
    while i < 20 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// The powers of ten that are exact doubles.
static POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The standard library's correctly rounded parse of `m × 10^power`.
    fn reference(mantissa: u64, power: i64) -> f64 {
        format!("{mantissa}e{power}").parse().unwrap()
    }

    #[test]
    fn the_table_holds_normalized_powers_of_five() {
        for (k, divisor) in FIVE_POWERS.iter().enumerate() {
            assert_eq!(divisor.normalized >> divisor.shift, 5u64.pow(k as u32), "5^{k}");
            assert_eq!(divisor.normalized >> 63, 1, "5^{k} is normalized");
        }
    }

    #[test]
    fn every_power_rounds_the_hard_mantissas_correctly() {
        // The extremes of the mantissa range, and values next to halfway
        // cases: 2^53 + 1 needs the sticky bit, u64::MAX rounds up a binade.
        let mantissas = [
            1,
            9,
            (1 << 53) + 1,
            (1 << 54) - 1,
            (1 << 54) + 3,
            6_561_361_699_999_999,
            99_999_999_999_999_999,
            u64::MAX,
        ];
        for power in -27..=19 {
            for &m in &mantissas {
                assert_eq!(
                    exact_decimal(m, power).map(f64::to_bits),
                    Some(reference(m, power).to_bits()),
                    "{m}e{power}"
                );
            }
        }
    }

    /// Runs of consecutive mantissas at every negative power: about one
    /// quotient in 2^11 is cut exactly at a halfway pattern, where only the
    /// remainder (folded into the sticky bit) decides the rounding.
    #[test]
    fn consecutive_mantissas_round_correctly_at_every_negative_power() {
        for start in [6_561_361_699_990_000u64, 12_345_678_901_234_000_000, u64::MAX - 8192] {
            for power in -27..=-1 {
                for m in start..start + 8192 {
                    let got = exact_decimal(m, power).unwrap();
                    assert_eq!(got.to_bits(), reference(m, power).to_bits(), "{m}e{power}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn the_reciprocal_division_equals_integer_division(divisor in 1u64..(1 << 63), high in any::<u64>(), low in any::<u64>()) {
            let d = Divisor::new(divisor);
            let high = high % d.normalized;
            let dividend = ((high as u128) << 64) | low as u128;
            let (quotient, remainder) = d.divide(high, low);
            prop_assert_eq!(quotient as u128, dividend / d.normalized as u128);
            prop_assert_eq!(remainder as u128, dividend % d.normalized as u128);
        }

        #[test]
        fn negative_powers_agree_with_the_standard_parser(mantissa in 1u64.., power in -27i64..0) {
            prop_assert_eq!(exact_decimal(mantissa, power).unwrap().to_bits(), reference(mantissa, power).to_bits());
        }

        #[test]
        fn positive_powers_agree_with_the_standard_parser(mantissa in 1u64.., power in 0i64..20) {
            prop_assert_eq!(exact_decimal(mantissa, power).unwrap().to_bits(), reference(mantissa, power).to_bits());
        }
    }
}
