//! The parser: `json.loads` semantics on UTF-8 (surrogatepass) text.
//!
//! It follows CPython's C scanner decision for decision — which character is
//! looked at, where an error is reported, how `\uXXXX` pairs combine — so
//! verdicts, values and messages agree. What it builds is up to a [`Sink`].

use super::decimal::exact_decimal;
use super::error::{Error, ErrorKind, Position};
use super::options::LoadOptions;
use super::scan::skip_plain;
use super::sink::{Constant, Sink, StrText};

/// Parses one JSON document that must fill `text` (surrounding whitespace
/// aside) into whatever `sink` builds. `all_valid` says `text` holds no lone
/// surrogate (plain UTF-8).
///
/// ```
/// use brinery::json::{parse_with, Constant, LoadOptions, Sink, StrText};
///
/// /// Counts the values of a document instead of building them.
/// struct Count;
/// impl<'a> Sink<'a> for Count {
///     type Value = usize;
///     type Key = ();
///     type Error = brinery::json::Error;
///     fn null(&mut self) -> Result<usize, Self::Error> { Ok(1) }
///     fn bool(&mut self, _: bool) -> Result<usize, Self::Error> { Ok(1) }
///     fn int(&mut self, _: &'a [u8], _: Option<i64>, _: usize) -> Result<usize, Self::Error> { Ok(1) }
///     fn float(&mut self, _: &'a [u8], _: f64) -> Result<usize, Self::Error> { Ok(1) }
///     fn constant(&mut self, _: Constant) -> Result<usize, Self::Error> { Ok(1) }
///     fn str(&mut self, _: StrText<'a, '_>, _: bool) -> Result<usize, Self::Error> { Ok(1) }
///     fn key(&mut self, _: StrText<'a, '_>, _: bool) -> Result<(), Self::Error> { Ok(()) }
///     fn array(&mut self, items: std::vec::Drain<'_, usize>) -> Result<usize, Self::Error> { Ok(1 + items.sum::<usize>()) }
///     fn object(&mut self, entries: std::vec::Drain<'_, ((), usize)>) -> Result<usize, Self::Error> {
///         Ok(1 + entries.map(|(_, n)| n).sum::<usize>())
///     }
/// }
/// let n = parse_with(br#"{"a": [1, 2.5, null], "b": "x"}"#, true, &LoadOptions::default(), &mut Count).unwrap();
/// assert_eq!(n, 6);
/// ```
pub fn parse_with<'a, S: Sink<'a>>(
    text: &'a [u8],
    all_valid: bool,
    opts: &LoadOptions,
    sink: &mut S,
) -> Result<S::Value, S::Error> {
    let mut p = Parser::new(text, all_valid, opts, sink);
    let start = p.skip_ws(0);
    let (value, end) = p.value(start)?;
    let end = p.skip_ws(end);
    if end != text.len() {
        return Err(p.error("Extra data", end).into());
    }
    Ok(value)
}

/// Parses the one value that starts exactly at byte `start` of `text` and
/// returns it with the byte offset just past it; what follows is not looked
/// at (Python's `JSONDecoder.raw_decode`).
pub fn parse_prefix_with<'a, S: Sink<'a>>(
    text: &'a [u8],
    start: usize,
    all_valid: bool,
    opts: &LoadOptions,
    sink: &mut S,
) -> Result<(S::Value, usize), S::Error> {
    Parser::new(text, all_valid, opts, sink).value(start)
}

struct Parser<'a, 'o, 'k, S: Sink<'a>> {
    s: &'a [u8],
    /// The whole text is plain UTF-8 (no lone surrogates).
    all_valid: bool,
    opts: &'o LoadOptions,
    sink: &'k mut S,
    depth: usize,
    /// Items of the arrays and objects being parsed, innermost last.
    items: Vec<S::Value>,
    entries: Vec<(S::Key, S::Value)>,
    /// Decoded text of the string being unescaped.
    scratch: Vec<u8>,
}

impl<'a, 'o, 'k, S: Sink<'a>> Parser<'a, 'o, 'k, S> {
    fn new(s: &'a [u8], all_valid: bool, opts: &'o LoadOptions, sink: &'k mut S) -> Self {
        Parser { s, all_valid, opts, sink, depth: 0, items: Vec::new(), entries: Vec::new(), scratch: Vec::new() }
    }

    fn error(&self, msg: &'static str, at: usize) -> Error {
        Error::at(ErrorKind::Syntax(msg), position(self.s, at))
    }

    #[inline]
    fn skip_ws(&self, mut i: usize) -> usize {
        let s = self.s;
        loop {
            match s.get(i) {
                Some(b' ' | b'\t' | b'\r') => i += 1,
                Some(b'\n') => {
                    // Indentation follows a line break in pretty-printed
                    // documents: its spaces are counted eight at a time
                    // (the lowest byte that is not a space ends the run).
                    i += 1;
                    while let Some(chunk) = s.get(i..i + 8) {
                        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
                        let not_space = word ^ u64::from_le_bytes(*b"        ");
                        if not_space != 0 {
                            i += (not_space.trailing_zeros() / 8) as usize;
                            break;
                        }
                        i += 8;
                    }
                }
                _ => return i,
            }
        }
    }

    /// CPython's `scan_once`: the value starting exactly at `i`, returned
    /// with the offset just past it (for the top level; containers use
    /// [`Parser::value_with`]).
    fn value(&mut self, i: usize) -> Result<(S::Value, usize), S::Error> {
        let mut slot = None;
        let end = self.value_with(i, |_, value| slot = Some(value))?;
        Ok((slot.expect("value_with puts a value when it succeeds"), end))
    }

    /// Parses the value starting exactly at `i`, hands it to `put` (which
    /// stores it in the container being built), and returns the offset just
    /// past it. Numbers call `put` from their own path, so a caller can run
    /// that path on its own: [`Parser::array`] does, for its number items.
    #[inline(always)]
    fn value_with(&mut self, i: usize, put: impl FnOnce(&mut Self, S::Value)) -> Result<usize, S::Error> {
        let s = self.s;
        let (value, end) = match s.get(i) {
            Some(b'"') => {
                let (text, utf8, end) = self.scan_string(i + 1)?;
                let text = match text {
                    Some(slice) => StrText::Input(slice),
                    None => StrText::Scratch(&self.scratch),
                };
                (self.sink.str(text, utf8)?, end)
            }
            Some(b'{') => self.nested(i, true)?,
            Some(b'[') => self.nested(i, false)?,
            Some(b'n') if s[i..].starts_with(b"null") => (self.sink.null()?, i + 4),
            Some(b't') if s[i..].starts_with(b"true") => (self.sink.bool(true)?, i + 4),
            Some(b'f') if s[i..].starts_with(b"false") => (self.sink.bool(false)?, i + 5),
            Some(b'N') if s[i..].starts_with(b"NaN") => (self.sink.constant(Constant::NaN)?, i + 3),
            Some(b'I') if s[i..].starts_with(b"Infinity") => (self.sink.constant(Constant::Infinity)?, i + 8),
            Some(b'-') if s[i..].starts_with(b"-Infinity") => (self.sink.constant(Constant::NegInfinity)?, i + 9),
            Some(b'-' | b'0'..=b'9') => return self.number(i, put),
            _ => return Err(self.error("Expecting value", i).into()),
        };
        put(self, value);
        Ok(end)
    }

    fn nested(&mut self, i: usize, object: bool) -> Result<(S::Value, usize), S::Error> {
        if self.depth >= self.opts.max_depth {
            let what = if object {
                "decoding a JSON object from a unicode string"
            } else {
                "decoding a JSON array from a unicode string"
            };
            return Err(Error::at(ErrorKind::TooDeep(what, self.opts.max_depth), position(self.s, i)).into());
        }
        self.sink.enter(object)?;
        self.depth += 1;
        let result = crate::stack::guard_at(self.depth, || if object { self.object(i + 1) } else { self.array(i + 1) });
        self.depth -= 1;
        self.sink.leave();
        result
    }

    /// After `[`.
    fn array(&mut self, i: usize) -> Result<(S::Value, usize), S::Error> {
        let s = self.s;
        let base = self.items.len();
        let mut i = self.skip_ws(i);
        if s.get(i) != Some(&b']') {
            while i < s.len() {
                // Numbers (not `-Infinity`) are tried first, in their own
                // copy of the number path: in number-heavy documents (canada's
                // coordinates) most items are numbers, and they then skip the
                // dispatch over every other kind of value.
                let number = match s[i] {
                    b'0'..=b'9' => true,
                    b'-' => s.get(i + 1).is_some_and(u8::is_ascii_digit),
                    _ => false,
                };
                let next = if number {
                    self.number(i, |p, item| p.items.push(item))?
                } else {
                    self.value_with(i, |p, item| p.items.push(item))?
                };
                i = self.skip_ws(next);
                match s.get(i) {
                    Some(b']') => break,
                    Some(b',') => i = self.skip_ws(i + 1),
                    _ => return Err(self.error("Expecting ',' delimiter", i).into()),
                }
            }
            if s.get(i) != Some(&b']') {
                return Err(self.error("Expecting value", i).into());
            }
        }
        let array = self.sink.array(self.items.drain(base..))?;
        Ok((array, i + 1))
    }

    /// After `{`.
    fn object(&mut self, i: usize) -> Result<(S::Value, usize), S::Error> {
        let s = self.s;
        let base = self.entries.len();
        let mut i = self.skip_ws(i);
        if s.get(i) != Some(&b'}') {
            while i < s.len() {
                if s[i] != b'"' {
                    return Err(self.error("Expecting property name enclosed in double quotes", i).into());
                }
                let (text, utf8, next) = self.scan_string(i + 1)?;
                let text = match text {
                    Some(slice) => StrText::Input(slice),
                    None => StrText::Scratch(&self.scratch),
                };
                let key = self.sink.key(text, utf8)?;
                i = self.skip_ws(next);
                if s.get(i) != Some(&b':') {
                    return Err(self.error("Expecting ':' delimiter", i).into());
                }
                i = self.skip_ws(i + 1);
                let next = self.value_with(i, |p, value| p.entries.push((key, value)))?;
                i = self.skip_ws(next);
                match s.get(i) {
                    Some(b'}') => break,
                    Some(b',') => i = self.skip_ws(i + 1),
                    _ => return Err(self.error("Expecting ',' delimiter", i).into()),
                }
            }
            if s.get(i) != Some(&b'}') {
                return Err(self.error("Expecting property name enclosed in double quotes", i).into());
            }
        }
        let object = self.sink.object(self.entries.drain(base..))?;
        Ok((object, i + 1))
    }

    /// Scans a string whose opening quote is just before `begin`. Returns
    /// the input slice when there was no escape (else the text is in
    /// `scratch`), whether the text is plain UTF-8 (no lone surrogate), and
    /// the offset past the closing quote.
    fn scan_string(&mut self, begin: usize) -> Result<(Option<&'a [u8]>, bool, usize), Error> {
        let s = self.s;
        let strict = self.opts.strict;
        let mut i = begin;
        // The common case: no escape before the closing quote.
        loop {
            i = skip_plain(s, i);
            match s.get(i) {
                Some(b'"') => {
                    let slice = &s[begin..i];
                    return Ok((Some(slice), self.all_valid || !has_surrogate(slice), i + 1));
                }
                Some(b'\\') => break,
                Some(_) if strict => return Err(self.error("Invalid control character at", i)),
                Some(_) => i += 1,
                None => return Err(self.error("Unterminated string starting at", begin - 1)),
            }
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(&s[begin..i]);
        loop {
            // `s[i]` is a backslash.
            let Some(&c) = s.get(i + 1) else {
                return Err(self.error("Unterminated string starting at", begin - 1));
            };
            if c == b'u' {
                i = self.unicode_escape(i + 1)?;
            } else {
                let decoded = match c {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    _ => return Err(self.error("Invalid \\escape", i)),
                };
                self.scratch.push(decoded);
                i += 2;
            }
            let start = i;
            loop {
                i = skip_plain(s, i);
                match s.get(i) {
                    Some(b'"' | b'\\') => break,
                    Some(_) if strict => return Err(self.error("Invalid control character at", i)),
                    Some(_) => i += 1,
                    None => return Err(self.error("Unterminated string starting at", begin - 1)),
                }
            }
            self.scratch.extend_from_slice(&s[start..i]);
            if s[i] == b'"' {
                // Escapes can make lone surrogates even in valid input.
                return Ok((None, !has_surrogate(&self.scratch), i + 1));
            }
        }
    }

    /// `\uXXXX` with `u` at `u_at`, plus a following low-surrogate escape
    /// when the first is a high surrogate; returns the offset after them.
    fn unicode_escape(&mut self, u_at: usize) -> Result<usize, Error> {
        let s = self.s;
        let end = u_at + 5;
        // CPython wants at least one character after the four digits.
        if end >= s.len() {
            return Err(self.error("Invalid \\uXXXX escape", u_at));
        }
        let Some(mut c) = hex4(&s[u_at + 1..end]) else {
            return Err(self.error("Invalid \\uXXXX escape", u_at));
        };
        let mut next = end;
        if (0xD800..0xDC00).contains(&c) && end + 6 < s.len() && s[end] == b'\\' && s[end + 1] == b'u' {
            let Some(c2) = hex4(&s[end + 2..end + 6]) else {
                return Err(self.error("Invalid \\uXXXX escape", end + 1));
            };
            if (0xDC00..0xE000).contains(&c2) {
                c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
                next = end + 6;
            }
        }
        crate::value::push_code_point(&mut self.scratch, c);
        Ok(next)
    }

    /// CPython's `_match_number_unicode` from `start` (a `-` or a digit).
    /// Hands the number to `put` and returns the offset past it.
    #[inline(always)]
    fn number(&mut self, start: usize, put: impl FnOnce(&mut Self, S::Value)) -> Result<usize, S::Error> {
        let s = self.s;
        let negative = s[start] == b'-';
        let mut i = start + usize::from(negative);
        // The significant digits, accumulated while they fit (19 always do).
        let (mut mantissa, mut digits) = (0u64, 0usize);
        match s.get(i) {
            Some(b'1'..=b'9') => {
                let start_digits = i;
                (i, mantissa) = scan_digits(s, i, 0);
                digits = i - start_digits;
            }
            Some(b'0') => i += 1,
            _ => return Err(self.error("Expecting value", start).into()),
        }
        let int_digits = digits;
        let mut is_float = false;
        let mut fraction_digits = 0usize;
        if s.get(i) == Some(&b'.') && s.get(i + 1).is_some_and(u8::is_ascii_digit) {
            is_float = true;
            let fraction_start = i + 1;
            let mut first = fraction_start;
            if digits == 0 {
                // Leading zeros of `0.000123` are not significant.
                while s.get(first) == Some(&b'0') {
                    first += 1;
                }
            }
            (i, mantissa) = scan_digits(s, first, mantissa);
            fraction_digits = i - fraction_start;
            digits += i - first;
        }
        let mut exponent: i64 = 0;
        if let Some(b'e' | b'E') = s.get(i) {
            let e_start = i;
            i += 1;
            let exp_negative = s.get(i) == Some(&b'-');
            if let Some(b'-' | b'+') = s.get(i) {
                i += 1;
            }
            let digits_start = i;
            while let Some(&d @ b'0'..=b'9') = s.get(i) {
                exponent = (exponent * 10 + (d - b'0') as i64).min(1 << 40);
                i += 1;
            }
            if i > digits_start {
                is_float = true;
                if exp_negative {
                    exponent = -exponent;
                }
            } else {
                i = e_start;
                exponent = 0;
            }
        }
        let text = &s[start..i];
        if !is_float {
            let small = (int_digits <= 18).then(|| {
                let v = mantissa as i64;
                if negative {
                    -v
                } else {
                    v
                }
            });
            let int = self.sink.int(text, small, start)?;
            put(self, int);
            return Ok(i);
        }
        // Exact when the digits and the power of ten are exact doubles
        // (Clinger's fast path); otherwise the standard library's correctly
        // rounded parser.
        let power = exponent - fraction_digits as i64;
        let exact = if digits <= 19 { exact_decimal(mantissa, power) } else { None };
        let x = match exact {
            Some(x) if negative => -x,
            Some(x) => x,
            None => {
                // SAFETY: the scanned bytes are ASCII (sign, digits, '.', 'e').
                let text = unsafe { std::str::from_utf8_unchecked(text) };
                text.parse().expect("a JSON number is a valid float literal")
            }
        };
        let float = self.sink.float(text, x)?;
        put(self, float);
        Ok(i)
    }
}

/// Scans the run of ASCII digits starting at `from`, appending them to
/// `mantissa` (which wraps once there are more than 19 digits; callers count
/// the digits to know). Eight digits at a time where it can: a word is
/// checked for being all digits and converted with three multiplications.
#[inline]
fn scan_digits(s: &[u8], from: usize, mut mantissa: u64) -> (usize, u64) {
    let mut i = from;
    while let Some(chunk) = s.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // Every byte in b'0'..=b'9': subtracting '0' and adding 0x46 leave the high bits clear.
        if (word.wrapping_sub(0x3030_3030_3030_3030) | word.wrapping_add(0x4646_4646_4646_4646)) & 0x8080_8080_8080_8080
            != 0
        {
            break;
        }
        mantissa = mantissa.wrapping_mul(100_000_000).wrapping_add(eight_digits(word));
        i += 8;
    }
    // Then four (the tail of a 15-17 digit coordinate), then one at a time.
    if let Some(chunk) = s.get(i..i + 4) {
        let word = u32::from_le_bytes(chunk.try_into().expect("four bytes"));
        if (word.wrapping_sub(0x3030_3030) | word.wrapping_add(0x4646_4646)) & 0x8080_8080 == 0 {
            mantissa = mantissa.wrapping_mul(10_000).wrapping_add(four_digits(word));
            i += 4;
        }
    }
    while let Some(&d @ b'0'..=b'9') = s.get(i) {
        mantissa = mantissa.wrapping_mul(10).wrapping_add((d - b'0') as u64);
        i += 1;
    }
    (i, mantissa)
}

/// The value of eight ASCII digits loaded little-endian (the first digit in
/// the lowest byte): pairs, then quads, then the whole, by multiplication.
#[inline]
fn eight_digits(word: u64) -> u64 {
    let v = word.wrapping_sub(0x3030_3030_3030_3030);
    // Each 16-bit lane: 10 × first digit + second digit.
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let pairs_low = (v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let pairs_high = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    pairs_low.wrapping_add(pairs_high) >> 32
}

/// The value of four ASCII digits loaded little-endian, as [`eight_digits`] does.
#[inline]
fn four_digits(word: u32) -> u64 {
    let v = word.wrapping_sub(0x3030_3030);
    // Bytes 0 and 2: 10 × first digit + second digit of each pair.
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    u64::from(v & 0xFF) * 100 + u64::from((v >> 16) & 0xFF)
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| Some(acc << 4 | (d as char).to_digit(16)?))
}

/// Whether surrogatepass UTF-8 holds a lone surrogate (`ED A0..BF xx`).
fn has_surrogate(bytes: &[u8]) -> bool {
    memchr::memchr_iter(0xED, bytes).any(|i| bytes.get(i + 1).is_some_and(|&b| b >= 0xA0))
}

/// Python's error position for byte offset `at`: code points before it, and
/// the line and column (only `\n` ends a line).
pub(crate) fn position(s: &[u8], at: usize) -> Position {
    let at = at.min(s.len());
    let chars = |bytes: &[u8]| bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    let before = &s[..at];
    let char = chars(before);
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let column = match memchr::memrchr(b'\n', before) {
        Some(nl) => chars(&before[nl..]),
        None => char + 1,
    };
    Position { char, line, column, byte: at }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;
    use proptest::prelude::*;

    fn parse_float(text: &str) -> f64 {
        let mut sink = super::super::build::ValueSink::new(text.as_bytes(), 4300);
        match parse_with(text.as_bytes(), true, &LoadOptions::default(), &mut sink).unwrap() {
            Value::Float(x) => x,
            other => panic!("{text}: {other}"),
        }
    }

    proptest! {
        /// The fast path and the fallback both give the correctly rounded double.
        #[test]
        fn floats_round_trip_through_their_repr(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assume!(x.is_finite());
            let text = crate::float_repr::repr(x);
            prop_assert_eq!(parse_float(&text).to_bits(), x.to_bits());
        }

        #[test]
        fn digit_runs_convert_exactly(n in any::<u64>(), tail in "[0-9]{0,7}") {
            let text = format!("{n}{tail}");
            let (end, value) = scan_digits(text.as_bytes(), 0, 0);
            prop_assert_eq!(end, text.len());
            if text.len() <= 19 {
                prop_assert_eq!(value, text.parse::<u64>().unwrap());
            }
        }

        #[test]
        fn digit_runs_stop_at_the_first_non_digit(bytes in proptest::collection::vec(any::<u8>(), 0..24), digits in "[0-9]{0,20}") {
            let mut text = digits.into_bytes();
            text.extend(bytes);
            let expected_end = text.iter().position(|b| !b.is_ascii_digit()).unwrap_or(text.len());
            prop_assert_eq!(scan_digits(&text, 0, 0).0, expected_end);
        }

        #[test]
        fn long_decimals_agree_with_the_standard_parser(m in 1u64..10_000_000_000_000_000_000, frac in 0usize..21, exp in -25i32..25) {
            let digits = m.to_string();
            let frac = frac.min(digits.len() - 1);
            let text = format!("{}.{}e{exp}", &digits[..digits.len() - frac], &digits[digits.len() - frac..]);
            let text = text.replace(".e", "e");
            prop_assert_eq!(parse_float(&text).to_bits(), text.parse::<f64>().unwrap().to_bits(), "{}", text);
        }

        #[test]
        fn short_decimals_agree_with_the_standard_parser(m in 0u64..(1 << 54), frac in 0usize..25, exp in -30i32..30) {
            let digits = m.to_string();
            let text = if frac > 0 && frac < digits.len() {
                format!("{}.{}e{exp}", &digits[..digits.len() - frac], &digits[digits.len() - frac..])
            } else {
                format!("{digits}e{exp}")
            };
            prop_assert_eq!(parse_float(&text).to_bits(), text.parse::<f64>().unwrap().to_bits(), "{}", text);
        }
    }
}
