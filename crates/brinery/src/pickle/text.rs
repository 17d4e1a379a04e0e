//! The text arguments of protocol-0 opcodes, parsed the way CPython's C
//! unpickler parses them (`strtol` for INT, Python's `int()` for LONG,
//! `PyOS_string_to_double` for FLOAT, Python 2 string escapes for STRING,
//! raw-unicode-escape for UNICODE).

use crate::value::{Int, Str};
use num_bigint::BigInt;
use num_traits::Num;

/// Result of parsing an INT line: CPython turns `00`/`01` into booleans.
#[derive(Debug, PartialEq)]
pub(crate) enum IntOrBool {
    Int(Int),
    Bool(bool),
}

/// `line` as CPython's C code sees it: a C string, which ends at the first NUL.
fn c_string(line: &[u8]) -> &[u8] {
    line.split(|&b| b == 0).next().unwrap_or(line)
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `strtol(s, &end, 0)` on a 64-bit `long`: `None` on overflow; otherwise
/// the value and how many bytes were used. With no digits at all, C's strtol
/// returns 0 and leaves `end` at the start: `Some((0, 0))`.
fn strtol(s: &[u8]) -> Option<(i64, usize)> {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut radix = 10;
    if s.get(i) == Some(&b'0') {
        if matches!(s.get(i + 1), Some(b'x' | b'X')) && s.get(i + 2).is_some_and(|b| b.is_ascii_hexdigit()) {
            radix = 16;
            i += 2;
        } else {
            radix = 8;
        }
    }
    let start = i;
    let mut acc: i128 = 0;
    while let Some(d) = s.get(i).and_then(|&b| (b as char).to_digit(radix)) {
        acc = acc * radix as i128 + d as i128;
        if acc > (i64::MAX as i128) + 1 {
            return None; // ERANGE
        }
        i += 1;
    }
    if i == start {
        return Some((0, 0));
    }
    let v = if negative { -acc } else { acc };
    i64::try_from(v).ok().map(|v| (v, i))
}

/// Why a text integer was rejected.
#[derive(Debug, PartialEq)]
pub(crate) enum IntError {
    /// Not an integer literal (CPython's message).
    Invalid(String),
    /// More decimal digits than the limit allows.
    TooManyDigits(usize),
    /// Not an integer literal, and its first 200 bytes (the part CPython
    /// quotes in its message) are not UTF-8: CPython fails while decoding
    /// them, so the error is a `UnicodeDecodeError` there. Holds those bytes.
    NotUtf8(Vec<u8>),
}

/// CPython's `PyLong_FromString(s, NULL, base)` on a line as C code sees it:
/// `line` is the text before the `\n` (which is part of the C string when
/// `with_newline`), and the string ends at its first NUL. Optional ASCII
/// whitespace and sign; for base 0 the `0x`/`0o`/`0b` prefixes and no leading
/// zeros on decimals; underscores between digits; at most `max_digits`
/// decimal digits.
fn c_line_int(line: &[u8], with_newline: bool, max_digits: usize, base: u32) -> Result<Int, IntError> {
    let text = c_string(line);
    let s = std::str::from_utf8(text).map_err(|_| bad_int_literal(line, with_newline, base))?;
    let s = s.trim_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, body) = match s.get(..2).map(|p| p.to_ascii_lowercase()) {
        Some(p) if base == 0 && p == "0x" => (16, &s[2..]),
        Some(p) if base == 0 && p == "0o" => (8, &s[2..]),
        Some(p) if base == 0 && p == "0b" => (2, &s[2..]),
        _ => (10, s),
    };
    // With a prefix, one underscore may follow it directly ("0x_1f").
    let body = if radix != 10 { body.strip_prefix('_').unwrap_or(body) } else { body };
    // CPython reports base 0 again for an "old octal" literal (a leading 0)
    // once its digit loop, which stops at the first other character, has passed.
    let digit_run = &body[..body.find(|c: char| !c.is_digit(radix) && c != '_').unwrap_or(body.len())];
    let digit_loop_failed = digit_run.contains("__") || digit_run.ends_with('_');
    let old_octal = base == 0 && radix == 10 && body.starts_with('0');
    let reported_base = if old_octal && !digit_loop_failed { 0 } else { radix };
    let invalid = || bad_int_literal(line, with_newline, reported_base);
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return Err(invalid());
    }
    let digits: String = body.chars().filter(|&c| c != '_').collect();
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(invalid());
    }
    if base == 0 && radix == 10 && digits.len() > 1 && digits.starts_with('0') && digits.chars().any(|c| c != '0') {
        return Err(invalid());
    }
    if radix == 10 && digits.len() > max_digits {
        return Err(IntError::TooManyDigits(digits.len()));
    }
    let mut v = BigInt::from_str_radix(&digits, radix).map_err(|_| invalid())?;
    if negative {
        v = -v;
    }
    Ok(Int::from(v))
}

/// CPython's error for a bad literal: `invalid literal for int() with base
/// {base}: {repr}` quoting the first 200 bytes of the C string (with its
/// `\n`), the repr cut to 200 characters; when those bytes are not UTF-8,
/// CPython fails while decoding them ([`IntError::NotUtf8`]). `base` is the
/// one CPython reports: for base 0, the base the prefix chose.
fn bad_int_literal(line: &[u8], with_newline: bool, base: u32) -> IntError {
    const QUOTED_BYTES: usize = 200;
    let text = c_string(line);
    let mut quoted = text[..text.len().min(QUOTED_BYTES)].to_vec();
    if with_newline && text.len() == line.len() && quoted.len() < QUOTED_BYTES {
        quoted.push(b'\n');
    }
    match String::from_utf8(quoted) {
        Ok(q) => {
            let mut repr = String::new();
            crate::value::repr::push_str_repr(&mut repr, &Str::new(q.as_str()));
            let repr: String = repr.chars().take(QUOTED_BYTES).collect();
            IntError::Invalid(format!("invalid literal for int() with base {base}: {repr}"))
        }
        Err(e) => IntError::NotUtf8(e.into_bytes()),
    }
}

/// The index of a text PUT or GET: CPython's `PyLong_FromString(line, NULL,
/// 10)`, so leading zeros are allowed and prefixes are not.
pub(crate) fn memo_index_line(line: &[u8]) -> Result<Int, IntError> {
    c_line_int(line, true, usize::MAX, 10)
}

/// The INT opcode's line (without `\n`).
pub(crate) fn parse_int_line(line: &[u8], max_digits: usize) -> Result<IntOrBool, IntError> {
    if line.is_empty() {
        return Err(IntError::Invalid("INT argument is empty".into()));
    }
    if let Some((v, used)) = strtol(line) {
        // CPython accepts the parse when strtol stopped at the end or at a NUL.
        if used == line.len() || line[used] == 0 {
            if line.len() == 2 && (v == 0 || v == 1) {
                return Ok(IntOrBool::Bool(v == 1));
            }
            return Ok(IntOrBool::Int(Int::from(v)));
        }
    }
    // CPython replaces int()'s error (even a UnicodeDecodeError) with its own.
    match c_line_int(line, true, max_digits, 0) {
        Ok(i) => Ok(IntOrBool::Int(i)),
        Err(IntError::TooManyDigits(n)) => Err(IntError::TooManyDigits(n)),
        Err(IntError::Invalid(_) | IntError::NotUtf8(_)) => {
            Err(IntError::Invalid("could not convert string to int".into()))
        }
    }
}

/// The LONG opcode's line (without `\n`): one trailing `L` is dropped.
pub(crate) fn parse_long_line(line: &[u8], max_digits: usize) -> Result<Int, IntError> {
    if line.is_empty() {
        return Err(IntError::Invalid("LONG argument is empty".into()));
    }
    // CPython overwrites a final `L` with the NUL that ends the C string.
    match line.strip_suffix(b"L") {
        Some(body) => c_line_int(body, false, max_digits, 0),
        None => c_line_int(line, true, max_digits, 0),
    }
}

/// The FLOAT opcode's line (without `\n`), as CPython reads it:
/// `PyOS_string_to_double` parses the longest float literal at the start of
/// the C string (no whitespace, no underscores; `inf`, `infinity` and `nan`
/// in any case), then the literal must end the line.
pub(crate) fn parse_float_line(line: &[u8]) -> Result<f64, String> {
    let text = c_string(line);
    let end = float_literal_len(text);
    // CPython quotes the first 200 bytes of the C string, its `\n` included.
    let quoted = || {
        let mut q = text[..text.len().min(200)].to_vec();
        if text.len() == line.len() && q.len() < 200 {
            q.push(b'\n');
        }
        String::from_utf8_lossy(&q).into_owned()
    };
    if end == 0 {
        return Err(format!("could not convert string to float: '{}'", quoted()));
    }
    // The literal is ASCII, and one Rust's parser reads: `float_literal_len` checked it.
    let literal = std::str::from_utf8(&text[..end]).map_err(|_| "could not convert string to float".to_string())?;
    let v: f64 = literal.parse().map_err(|_| "could not convert string to float".to_string())?;
    let is_literal_inf = literal.trim_start_matches(['+', '-']).starts_with(['i', 'I']);
    if v.is_infinite() && !is_literal_inf {
        return Err(format!("value too large to convert to float: '{}'", quoted()));
    }
    if end != text.len() {
        return Err("could not convert string to float".into());
    }
    Ok(v)
}

/// The length of the float literal at the start of `text`, as C's `strtod`
/// in CPython's `dtoa.c` (then `_Py_parse_inf_or_nan`) reads it: a sign,
/// digits with an optional fraction, an optional exponent with digits; or
/// `inf`/`infinity`/`nan`. 0 when there is none.
fn float_literal_len(text: &[u8]) -> usize {
    let digits_from = |i: usize| text[i.min(text.len())..].iter().take_while(|b| b.is_ascii_digit()).count();
    let sign = usize::from(matches!(text.first(), Some(b'+' | b'-')));
    let int_digits = digits_from(sign);
    let mut end = sign + int_digits;
    let mut frac_digits = 0;
    if text.get(end) == Some(&b'.') {
        frac_digits = digits_from(end + 1);
        end += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        let rest = text[sign..].to_ascii_lowercase();
        return match ["infinity", "inf", "nan"].iter().find(|w| rest.starts_with(w.as_bytes())) {
            Some(word) => sign + word.len(),
            None => 0,
        };
    }
    if matches!(text.get(end), Some(b'e' | b'E')) {
        let exp_sign = usize::from(matches!(text.get(end + 1), Some(b'+' | b'-')));
        let exp_digits = digits_from(end + 1 + exp_sign);
        if exp_digits > 0 {
            end += 1 + exp_sign + exp_digits;
        }
    }
    end
}

/// The STRING opcode's line: strip matching quotes, then decode Python 2
/// string escapes into raw bytes.
pub(crate) fn parse_string_line(line: &[u8]) -> Result<Vec<u8>, String> {
    let n = line.len();
    if n < 2 || line[0] != line[n - 1] || !(line[0] == b'\'' || line[0] == b'"') {
        return Err("the STRING opcode argument must be quoted".into());
    }
    super::escapes::escape_decode(&line[1..n - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_line_follows_strtol_then_python_int() {
        assert_eq!(parse_int_line(b"01", 4300), Ok(IntOrBool::Bool(true)));
        assert_eq!(parse_int_line(b"00", 4300), Ok(IntOrBool::Bool(false)));
        assert_eq!(parse_int_line(b"1", 4300), Ok(IntOrBool::Int(Int::from(1))));
        assert_eq!(parse_int_line(b"010", 4300), Ok(IntOrBool::Int(Int::from(8))));
        assert_eq!(parse_int_line(b"0x10", 4300), Ok(IntOrBool::Int(Int::from(16))));
        assert_eq!(parse_int_line(b"-5", 4300), Ok(IntOrBool::Int(Int::from(-5))));
        assert_eq!(
            parse_int_line(b"99999999999999999999", 4300),
            Ok(IntOrBool::Int("99999999999999999999".parse().unwrap()))
        );
        assert_eq!(parse_int_line(b"1_000", 4300), Ok(IntOrBool::Int(Int::from(1000))));
        assert!(parse_int_line(b"abc", 4300).is_err());
    }

    #[test]
    fn memo_index_lines_read_like_pylong_from_string_base_10() {
        let ok = |s: &[u8]| memo_index_line(s).map(|i| i.to_string()).ok();
        assert_eq!(ok(b"7"), Some("7".into()));
        assert_eq!(ok(b" 007 "), Some("7".into())); // base 10: leading zeros are fine
        assert_eq!(ok(b"1_000"), Some("1000".into()));
        assert_eq!(ok(b"0\x00\xc6"), Some("0".into())); // a C string: it ends at the NUL
        assert_eq!(ok(b"-3"), Some("-3".into())); // negative: refused later, as "negative PUT argument"
        for bad in [&b""[..], b"_____________2", b"0_", b"1__0", b"0x10", b"\x0b", b"\xca\xf5"] {
            assert!(memo_index_line(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn int_line_of_nuls_is_zero_as_strtol_reads_it() {
        // strtol finds no digits and stops at the first byte, a NUL: CPython
        // takes that as a complete parse of 0 (and a 2-byte line as False).
        assert_eq!(parse_int_line(b"\x00\x00\x00", 4300), Ok(IntOrBool::Int(Int::from(0))));
        assert_eq!(parse_int_line(b"\x00\x00", 4300), Ok(IntOrBool::Bool(false)));
        assert!(parse_int_line(b" x", 4300).is_err());
        assert!(parse_int_line(b"-", 4300).is_err());
    }

    #[test]
    fn long_line_drops_one_l() {
        assert_eq!(parse_long_line(b"123L", 4300), Ok(Int::from(123)));
        assert_eq!(parse_long_line(b"-9223372036854775809L", 4300).unwrap().to_string(), "-9223372036854775809");
        assert!(parse_long_line(b"12LL", 4300).is_err());
        assert!(parse_long_line(&b"1".repeat(4301), 4300).is_err());
    }

    /// Messages as CPython 3.11's `pickle.loads` words them.
    #[test]
    fn bad_int_literals_are_reported_like_cpython() {
        let invalid = |m: &str| Err(IntError::Invalid(m.to_string()));
        // The quoted C string keeps its newline, unless an L was cut off.
        assert_eq!(parse_long_line(b"1x", 4300), invalid("invalid literal for int() with base 10: '1x\\n'"));
        assert_eq!(parse_long_line(b"1xL", 4300), invalid("invalid literal for int() with base 10: '1x'"));
        // An "old octal" literal is reported with base 0; a prefix with its own base.
        assert_eq!(parse_long_line(b"012L", 4300), invalid("invalid literal for int() with base 0: '012'"));
        assert_eq!(parse_long_line(b"0_L", 4300), invalid("invalid literal for int() with base 10: '0_'"));
        assert_eq!(parse_long_line(b"0xgL", 4300), invalid("invalid literal for int() with base 16: '0xg'"));
        // Only ASCII whitespace is skipped.
        assert_eq!(parse_long_line(b" 7\t", 4300), Ok(Int::from(7)));
        assert!(parse_long_line("7\u{a0}".as_bytes(), 4300).is_err());
        // Quoted bytes that are not UTF-8 make CPython's UnicodeDecodeError.
        assert_eq!(parse_long_line(b"1\xff", 4300), Err(IntError::NotUtf8(b"1\xff\n".to_vec())));
        assert_eq!(memo_index_line(b"1\xe9"), Err(IntError::NotUtf8(b"1\xe9\n".to_vec())));
    }

    #[test]
    fn float_lines_read_like_py_os_string_to_double() {
        assert_eq!(parse_float_line(b"0e999999999999999999999"), Ok(0.0));
        assert_eq!(parse_float_line(b"-InFiNiTy"), Ok(f64::NEG_INFINITY));
        assert_eq!(parse_float_line(b"1.5\x00junk"), Ok(1.5));
        assert_eq!(parse_float_line(b"1e-400"), Ok(0.0));
        // No literal at all: the text is quoted. A literal with junk after it: no text.
        assert_eq!(parse_float_line(b" 1"), Err("could not convert string to float: ' 1\n'".to_string()));
        assert_eq!(parse_float_line(b"1.5x"), Err("could not convert string to float".to_string()));
        assert_eq!(parse_float_line(b"1e"), Err("could not convert string to float".to_string()));
        assert_eq!(parse_float_line(b"nanx"), Err("could not convert string to float".to_string()));
        // Overflow is checked before the junk.
        assert_eq!(parse_float_line(b"1e400x"), Err("value too large to convert to float: '1e400x\n'".to_string()));
    }

    #[test]
    fn string_lines_are_quoted_and_unescaped() {
        assert_eq!(parse_string_line(b"'a\\nb\\x41\\101'"), Ok(b"a\nbAA".to_vec()));
        assert!(parse_string_line(b"abc").is_err());
    }
}
