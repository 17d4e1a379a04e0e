//! Python's `repr(float)`: the shortest string that round-trips, in Python's
//! layout (`1e+16`, `1e-05`, `0.0001`, `100.0`). Shared by the pickle side
//! (protocol-0 FLOAT), `repr` output, and JSON.

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

/// Python's repr of a float that is not finite: `nan`, `inf` or `-inf`.
pub(crate) fn special_repr(x: f64) -> &'static str {
    match x {
        x if x.is_nan() => "nan",
        x if x > 0.0 => "inf",
        _ => "-inf",
    }
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
    // SAFETY: `write_float_bytes` appends only ASCII.
    write_float_bytes(unsafe { out.as_mut_vec() }, x, add_dot_0);
}

/// [`write_float`] into a byte buffer, without allocating anything else
/// (the JSON writer's hot path). Appends ASCII only.
#[inline(always)]
pub(crate) fn write_float_bytes(out: &mut Vec<u8>, x: f64, add_dot_0: bool) {
    // From 1e-4 up to 1e16 (most floats) both zmij and Python write plain
    // decimals, integral ones with `.0`: one range test (false for zero,
    // infinities and NaN) and a copy.
    if add_dot_0 && (1e-4..1e16).contains(&x.abs()) {
        let mut buf = zmij::Buffer::new();
        crate::short_copy::extend_short(out, buf.format_finite(x).as_bytes());
        return;
    }
    write_float_bytes_other(out, x, add_dot_0);
}

/// [`write_float_bytes`] for everything but its fast path.
#[inline(never)]
fn write_float_bytes_other(out: &mut Vec<u8>, x: f64, add_dot_0: bool) {
    if !x.is_finite() {
        out.extend_from_slice(special_repr(x).as_bytes());
        return;
    }
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() { b"-0" } else { b"0" });
        if add_dot_0 {
            out.extend_from_slice(b".0");
        }
        return;
    }
    // zmij gives the shortest digits that round-trip, and among those the
    // one nearest the exact value with ties to even — what Python's repr
    // picks (Rust's `{:e}` breaks some 17-digit ties the other way). Its
    // layout is Python's except that exponents are not padded to two digits
    // and values in [1e-5, 1e-4) are written as decimals, where Python uses
    // an exponent.
    let mut buf = zmij::Buffer::new();
    let text = buf.format_finite(x).as_bytes();
    // An exponent is at most four bytes after the `e` (`e-324`).
    let tail = text.len().saturating_sub(5);
    if let Some(e) = text[tail..].iter().position(|&b| b == b'e').map(|p| tail + p) {
        // `1e+16` stays, `1e-7` → `1e-07`.
        out.extend_from_slice(&text[..e + 2]);
        if text.len() - (e + 2) == 1 {
            out.push(b'0');
        }
        out.extend_from_slice(&text[e + 2..]);
        return;
    }
    let unsigned = text.strip_prefix(b"-").unwrap_or(text);
    if unsigned.starts_with(b"0.0000") {
        let digits = ShortestDigits::parse(std::str::from_utf8(text).expect("ASCII"));
        return write_digits(out, digits, add_dot_0);
    }
    match text.strip_suffix(b".0") {
        Some(integral) if !add_dot_0 => out.extend_from_slice(integral),
        _ => out.extend_from_slice(text),
    }
}

/// Lays significant digits out the way Python's repr does.
fn write_digits(out: &mut Vec<u8>, digits: ShortestDigits, add_dot_0: bool) {
    let n = digits.len;
    let digits_str = &digits.digits[..n];
    let decpt = digits.decpt;
    if digits.negative {
        out.push(b'-');
    }
    if !(-4 < decpt && decpt <= 16) {
        let exp = decpt - 1;
        out.push(digits_str[0]);
        if n > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits_str[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e >= 100 {
            out.push(b'0' + (e / 100) as u8);
        }
        out.push(b'0' + (e / 10 % 10) as u8);
        out.push(b'0' + (e % 10) as u8);
    } else if decpt <= 0 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-decpt) as usize, b'0');
        out.extend_from_slice(digits_str);
    } else if decpt as usize >= n {
        out.extend_from_slice(digits_str);
        out.resize(out.len() + (decpt as usize - n), b'0');
        if add_dot_0 {
            out.extend_from_slice(b".0");
        }
    } else {
        out.extend_from_slice(&digits_str[..decpt as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits_str[decpt as usize..]);
    }
}

/// zmij's output (`-1.25e-7`, `1e+16`, `123.0`, `0.001`) as significant digits (no
/// leading or trailing zeros), Python's `decpt` (the value is
/// 0.DIGITS × 10^decpt) and the sign.
struct ShortestDigits {
    digits: [u8; 32],
    len: usize,
    decpt: i32,
    negative: bool,
}

impl ShortestDigits {
    fn parse(text: &str) -> ShortestDigits {
        let (negative, text) = match text.strip_prefix('-') {
            Some(t) => (true, t),
            None => (false, text),
        };
        let (mantissa, exp) = match text.split_once('e') {
            Some((m, e)) => (m, e.parse::<i32>().expect("zmij exponents are integers")),
            None => (text, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut out = ShortestDigits { digits: [0; 32], len: 0, decpt: 0, negative };
        let mut leading = 0;
        for d in int_part.bytes().chain(frac_part.bytes()) {
            if out.len == 0 && d == b'0' {
                leading += 1;
            } else {
                out.digits[out.len] = d;
                out.len += 1;
            }
        }
        while out.len > 0 && out.digits[out.len - 1] == b'0' {
            out.len -= 1;
        }
        out.decpt = int_part.len() as i32 + exp - leading;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general layout code, on zmij's digits: the reference for the fast path.
    fn reference(x: f64, add_dot_0: bool) -> String {
        let mut buf = zmij::Buffer::new();
        let mut out = Vec::new();
        write_digits(&mut out, ShortestDigits::parse(buf.format_finite(x)), add_dot_0);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fast_path_agrees_with_the_general_layout() {
        // Every binade, with a spread of mantissas, and values around powers of ten.
        let mut xs: Vec<f64> = (0..2046u64)
            .flat_map(|e| {
                [0u64, 1, 0x8_0000_0000_0000, 0xf_ffff_ffff_ffff, 0x1234_5678_9abc]
                    .map(move |m| f64::from_bits((e + 1) << 52 | m))
            })
            .collect();
        xs.extend((-330..310).flat_map(|p| {
            let v = 10f64.powi(p);
            [v, v * 1.5, v * 0.999999, -v]
        }));
        for x in xs.into_iter().filter(|x| x.is_finite() && *x != 0.0) {
            for add_dot_0 in [true, false] {
                let mut fast = Vec::new();
                write_float_bytes(&mut fast, x, add_dot_0);
                assert_eq!(String::from_utf8(fast).unwrap(), reference(x, add_dot_0), "{x:e}");
            }
        }
    }

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
