//! The text arguments of protocol-0 opcodes, parsed the way CPython's C
//! unpickler parses them (`strtol` for INT, Python's `int()` for LONG,
//! `PyOS_string_to_double` for FLOAT, Python 2 string escapes for STRING,
//! raw-unicode-escape for UNICODE).

use crate::value::Int;
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
}

impl From<String> for IntError {
    fn from(msg: String) -> Self {
        IntError::Invalid(msg)
    }
}

/// Python's `int(text, 0)`: optional whitespace and sign, `0x`/`0o`/`0b`
/// prefixes, underscores between digits, no leading zeros on decimals, at most
/// `max_digits` decimal digits.
pub(crate) fn python_int(text: &[u8], max_digits: usize) -> Result<Int, IntError> {
    python_int_base(text, max_digits, 0)
}

/// The index of a text PUT or GET: CPython's `PyLong_FromString(line, NULL,
/// 10)` on the line as a C string, so it ends at the first NUL; leading zeros
/// and underscores between digits are allowed, prefixes are not.
pub(crate) fn memo_index_line(line: &[u8]) -> Result<Int, IntError> {
    python_int_base(c_string(line), usize::MAX, 10)
}

/// Python's `int(text, base)` for base 0 (prefixes, no leading zeros) or 10.
fn python_int_base(text: &[u8], max_digits: usize, base: u32) -> Result<Int, IntError> {
    let invalid = || format!("invalid literal for int() with base {base}: {:?}", String::from_utf8_lossy(text));
    let s = std::str::from_utf8(text).map_err(|_| invalid())?.trim_matches(|c: char| c.is_whitespace());
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
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return Err(invalid().into());
    }
    let digits: String = body.chars().filter(|&c| c != '_').collect();
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(invalid().into());
    }
    if base == 0 && radix == 10 && digits.len() > 1 && digits.starts_with('0') && digits.chars().any(|c| c != '0') {
        return Err(invalid().into());
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
    match python_int(c_string(line), max_digits) {
        Ok(i) => Ok(IntOrBool::Int(i)),
        Err(IntError::TooManyDigits(n)) => Err(IntError::TooManyDigits(n)),
        Err(IntError::Invalid(_)) => Err(IntError::Invalid("could not convert string to int".into())),
    }
}

/// The LONG opcode's line (without `\n`): one trailing `L` is dropped.
pub(crate) fn parse_long_line(line: &[u8], max_digits: usize) -> Result<Int, IntError> {
    if line.is_empty() {
        return Err(IntError::Invalid("LONG argument is empty".into()));
    }
    let body = line.strip_suffix(b"L").unwrap_or(line);
    python_int(c_string(body), max_digits)
}

/// The FLOAT opcode's line (without `\n`), as `PyOS_string_to_double` reads it.
pub(crate) fn parse_float_line(line: &[u8]) -> Result<f64, String> {
    let text = std::str::from_utf8(c_string(line)).map_err(|_| "could not convert string to float".to_string())?;
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = unsigned.to_ascii_lowercase();
    let special = matches!(lower.as_str(), "inf" | "infinity" | "nan");
    let plain = !unsigned.is_empty()
        && unsigned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && unsigned.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.');
    if !special && !plain {
        return Err("could not convert string to float".into());
    }
    let v: f64 = text.parse().map_err(|_| "could not convert string to float".to_string())?;
    if v.is_infinite() && !special {
        return Err(format!("value too large to convert to float: {text:?}"));
    }
    Ok(v)
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

    #[test]
    fn string_lines_are_quoted_and_unescaped() {
        assert_eq!(parse_string_line(b"'a\\nb\\x41\\101'"), Ok(b"a\nbAA".to_vec()));
        assert!(parse_string_line(b"abc").is_err());
    }
}
