//! Python's backslash-escape codecs as pickle uses them: `escape_decode` for
//! protocol-0 STRING arguments and `raw-unicode-escape` for UNICODE ones.
//! Shared by the unpickling machine and `brinery dis`.

use crate::value::Str;

/// `codecs.escape_decode`: undoes the backslash escapes of a bytes literal.
/// Unknown escapes are kept; octal escapes above `\377` wrap, as in CPython.
///
/// ```
/// use brinery::pickle::escapes::escape_decode;
/// assert_eq!(escape_decode(br"a\n\x41\101\q").unwrap(), b"a\nAA\\q");
/// assert!(escape_decode(br"\x4").is_err());
/// ```
pub fn escape_decode(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let Some(&e) = text.get(i) else {
            return Err("Trailing \\ in string".to_string());
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(e),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0b),
            b'a' => out.push(0x07),
            b'0'..=b'7' => {
                let digits = text[i..].iter().take(2).take_while(|d| (b'0'..=b'7').contains(d)).count();
                let value = text[i - 1..i + digits].iter().fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                out.push(value as u8);
                i += digits;
            }
            b'x' => match text.get(i..i + 2).and_then(hex_value) {
                Some(v) => {
                    out.push(v as u8);
                    i += 2;
                }
                None => return Err(format!("invalid \\x escape at position {}", i - 2)),
            },
            other => out.extend_from_slice(&[b'\\', other]),
        }
    }
    Ok(out)
}

/// The value of a run of hex digits (at most 8), or `None` if one is not a hex digit.
pub(crate) fn hex_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| Some(acc << 4 | char::from(d).to_digit(16)?))
}

/// `str(text, 'raw-unicode-escape')`: bytes are latin-1 characters, and
/// `\uXXXX` / `\UXXXXXXXX` after an odd run of backslashes are escapes.
///
/// ```
/// use brinery::pickle::escapes::raw_unicode_escape_decode;
/// let s = raw_unicode_escape_decode(b"caf\xe9 \\u20ac \\\\u0041").unwrap();
/// assert_eq!(s.as_str(), Some("caf\u{e9} \u{20ac} \\\\u0041"));
/// ```
pub fn raw_unicode_escape_decode(text: &[u8]) -> Result<Str<'static>, String> {
    let mut points = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] != b'\\' {
            points.push(u32::from(text[i]));
            i += 1;
            continue;
        }
        let run = text[i..].iter().take_while(|&&b| b == b'\\').count();
        points.extend(std::iter::repeat_n(u32::from(b'\\'), run));
        i += run;
        let width = match text.get(i) {
            Some(b'u') if run % 2 == 1 => 4,
            Some(b'U') if run % 2 == 1 => 8,
            _ => continue,
        };
        points.pop(); // the escaping backslash

        // Like CPython's decoder, report the escape from its backslash to the
        // first byte that is not one of its hex digits.
        let digits = text[i + 1..].iter().take(width).take_while(|b| b.is_ascii_hexdigit()).count();
        let failure = |reason: &str, end: usize| {
            format!("'rawunicodeescape' codec can't decode bytes in position {}-{}: {reason}", i - 1, end - 1)
        };
        if digits < width {
            let reason = if width == 4 { "truncated \\uXXXX escape" } else { "truncated \\UXXXXXXXX escape" };
            return Err(failure(reason, i + 1 + digits));
        }
        match hex_value(&text[i + 1..i + 1 + width]) {
            Some(hex) if hex <= 0x10FFFF => points.push(hex),
            _ => return Err(failure("\\Uxxxxxxxx out of range", i + 1 + width)),
        }
        i += 1 + width;
    }
    Ok(Str::from_code_points(points))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_undone_like_escape_decode() {
        assert_eq!(escape_decode(br"a\n\\b\x41\101\777\q\'"), Ok(b"a\n\\bAA\xff\\q'".to_vec()));
        assert!(escape_decode(b"abc\\").is_err());
        assert!(escape_decode(br"\x4").is_err());
        assert!(escape_decode(br"\x+1").is_err());
    }

    #[test]
    fn raw_unicode_escape_decodes_odd_backslash_runs() {
        let s = raw_unicode_escape_decode(b"caf\xe9 \\u20ac \\\\u0041 \\U0001F600").unwrap();
        assert_eq!(s.as_str(), Some("café € \\\\u0041 \u{1F600}"));
        assert_eq!(
            raw_unicode_escape_decode(b"ab\\u12").unwrap_err(),
            "'rawunicodeescape' codec can't decode bytes in position 2-5: truncated \\uXXXX escape"
        );
        assert_eq!(
            raw_unicode_escape_decode(b"\\U0001g").unwrap_err(),
            "'rawunicodeescape' codec can't decode bytes in position 0-5: truncated \\UXXXXXXXX escape"
        );
        assert_eq!(
            raw_unicode_escape_decode(b"\\U00110000").unwrap_err(),
            "'rawunicodeescape' codec can't decode bytes in position 0-9: \\Uxxxxxxxx out of range"
        );
        assert_eq!(raw_unicode_escape_decode(b"\\ud800").unwrap().as_str(), None);
    }
}
