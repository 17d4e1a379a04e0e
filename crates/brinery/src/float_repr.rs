//! Python's `repr(float)`: the shortest string that round-trips, in Python's
//! layout (`1e+16`, `1e-05`, `0.0001`, `100.0`). Shared by the pickle side
//! (protocol-0 FLOAT), `repr` output, and JSON.

use std::fmt::Write;

/// Appends Python's `repr(x)` for a float.
///
/// ```
/// let mut s = String::new();
/// brinery::float_repr::write_repr(&mut s, 1e16);
/// assert_eq!(s, "1e+16");
/// assert_eq!(brinery::float_repr::repr(1e-7), "1e-07");
/// assert_eq!(brinery::float_repr::repr(100.0), "100.0");
/// assert_eq!(brinery::float_repr::repr(f64::NAN), "nan");
/// ```
pub fn write_repr(out: &mut String, x: f64) {
    write_float(out, x, true);
}

/// Python's `repr(x)` for a float, as a new string.
pub fn repr(x: f64) -> String {
    let mut s = String::new();
    write_repr(&mut s, x);
    s
}

/// Writes `x` in Python's 'r' format; `add_dot_0` appends `.0` to integral
/// values in fixed notation (float repr does, complex parts do not).
pub(crate) fn write_float(out: &mut String, x: f64, add_dot_0: bool) {
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x < 0.0 { "-inf" } else { "inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0" } else { "0" });
        if add_dot_0 {
            out.push_str(".0");
        }
        return;
    }
    // ryu gives the shortest digits that round-trip, and among those the one
    // nearest the exact value with ties to even — what Python's repr picks
    // (Rust's `{:e}` breaks some 17-digit ties the other way).
    let mut buf = ryu::Buffer::new();
    let (digits, decpt, negative) = shortest_digits(buf.format_finite(x));
    let n = digits.len();
    let digits = std::str::from_utf8(&digits).expect("ASCII digits");
    if negative {
        out.push('-');
    }
    let exp = decpt - 1;
    if !(-4 < decpt && decpt <= 16) {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs()).unwrap();
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..-decpt {
            out.push('0');
        }
        out.push_str(digits);
    } else if decpt as usize >= n {
        out.push_str(digits);
        for _ in 0..(decpt as usize - n) {
            out.push('0');
        }
        if add_dot_0 {
            out.push_str(".0");
        }
    } else {
        out.push_str(&digits[..decpt as usize]);
        out.push('.');
        out.push_str(&digits[decpt as usize..]);
    }
}

/// Splits ryu's output (`-1.25e-7`, `123.0`, `0.001`) into significant digits
/// (no leading or trailing zeros), Python's `decpt` (the value is
/// 0.DIGITS × 10^decpt) and the sign.
fn shortest_digits(text: &str) -> (Vec<u8>, i32, bool) {
    let (negative, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().expect("ryu exponents are integers")),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
    let leading = all.iter().take_while(|&&d| d == b'0').count();
    let mut digits = all[leading..].to_vec();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    let decpt = int_part.len() as i32 + exp - leading as i32;
    (digits, decpt, negative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_layout() {
        // Expected strings are Python 3.11's repr() of the same floats.
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e-7, "1e-07"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-0.0, "-0.0"),
            (1e22, "1e+22"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (2.5, "2.5"),
            (1.0 / 3.0, "0.3333333333333333"),
            (100.0, "100.0"),
            (1e100, "1e+100"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            // 17-digit ties, where Python rounds half to even:
            (f64::from_bits(0x3ffd006800000000), "1.8125991821289062"),
            (1225324886541261.2, "1225324886541261.2"),
            (3.0002212524414062, "3.0002212524414062"),
            (0.001, "0.001"),
            (-123.0, "-123.0"),
        ];
        for (x, want) in cases {
            assert_eq!(repr(x), want, "repr({x:e})");
        }
    }
}
