//! Bytes to text, the way `json.loads(bytes)` decodes them: the encoding is
//! detected as `json.detect_encoding` does (BOMs, then the pattern of zero
//! bytes), and decoded with `surrogatepass`, so lone surrogates survive.
//! Errors carry Python's `UnicodeDecodeError` message.

use super::error::{Error, ErrorKind, Result};
use super::Text;
use crate::value::{decode_error_text, first_utf8_error, push_code_point};

/// The encodings `json.detect_encoding` can pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Utf8,
    /// UTF-8 after a BOM (`utf-8-sig`).
    Utf8Sig,
    Utf16 {
        big_endian: bool,
        bom: bool,
    },
    Utf32 {
        big_endian: bool,
        bom: bool,
    },
}

fn detect(b: &[u8]) -> Encoding {
    if b.starts_with(&[0, 0, 0xFE, 0xFF]) || b.starts_with(&[0xFF, 0xFE, 0, 0]) {
        return Encoding::Utf32 { big_endian: b[0] == 0, bom: true };
    }
    if b.starts_with(&[0xFE, 0xFF]) || b.starts_with(&[0xFF, 0xFE]) {
        return Encoding::Utf16 { big_endian: b[0] == 0xFE, bom: true };
    }
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8Sig;
    }
    if b.len() >= 4 {
        if b[0] == 0 {
            return if b[1] != 0 {
                Encoding::Utf16 { big_endian: true, bom: false }
            } else {
                Encoding::Utf32 { big_endian: true, bom: false }
            };
        }
        if b[1] == 0 {
            return if b[2] != 0 || b[3] != 0 {
                Encoding::Utf16 { big_endian: false, bom: false }
            } else {
                Encoding::Utf32 { big_endian: false, bom: false }
            };
        }
    } else if b.len() == 2 {
        if b[0] == 0 {
            return Encoding::Utf16 { big_endian: true, bom: false };
        }
        if b[1] == 0 {
            return Encoding::Utf16 { big_endian: false, bom: false };
        }
    }
    Encoding::Utf8
}

/// Decodes `json.loads` bytes input into UTF-8 (surrogatepass) text.
pub(super) fn decode_bytes(data: &[u8]) -> Result<Text<'_>> {
    match detect(data) {
        Encoding::Utf8 => check_utf8(data),
        Encoding::Utf8Sig => check_utf8(&data[3..]),
        Encoding::Utf16 { big_endian, bom } => utf16(data, big_endian, if bom { 2 } else { 0 }),
        Encoding::Utf32 { big_endian, bom } => utf32(data, big_endian, if bom { 4 } else { 0 }),
    }
}

/// UTF-8 with lone surrogates allowed; borrowed as is.
fn check_utf8(data: &[u8]) -> Result<Text<'_>> {
    if crate::utf8::is_valid(data) {
        return Ok(Text::Borrowed { utf8: data, all_valid: true });
    }
    match first_utf8_error(data, true) {
        None => Ok(Text::Borrowed { utf8: data, all_valid: false }),
        Some(e) => Err(decode_error("utf-8", data, e.at, e.len, e.reason)),
    }
}

fn utf16(data: &[u8], big_endian: bool, start: usize) -> Result<Text<'_>> {
    let name = if big_endian { "utf-16-be" } else { "utf-16-le" };
    let body = &data[start..];
    let mut out = Vec::with_capacity(body.len() * 3 / 2);
    let mut all_valid = true;
    let unit = |i: usize| {
        let pair = [body[i], body[i + 1]];
        u32::from(if big_endian { u16::from_be_bytes(pair) } else { u16::from_le_bytes(pair) })
    };
    let n = body.len() / 2 * 2;
    let mut i = 0;
    while i < n {
        let u = unit(i);
        i += 2;
        if (0xD800..0xDC00).contains(&u) && i < n && (0xDC00..0xE000).contains(&unit(i)) {
            push_code_point(&mut out, 0x10000 + ((u - 0xD800) << 10) + (unit(i) - 0xDC00));
            i += 2;
            continue;
        }
        all_valid &= !(0xD800..0xE000).contains(&u);
        push_code_point(&mut out, u);
    }
    if n < body.len() {
        return Err(decode_error(name, data, start + n, body.len() - n, "truncated data"));
    }
    Ok(Text::Owned { utf8: out, all_valid })
}

fn utf32(data: &[u8], big_endian: bool, start: usize) -> Result<Text<'_>> {
    let name = if big_endian { "utf-32-be" } else { "utf-32-le" };
    let body = &data[start..];
    let mut out = Vec::with_capacity(body.len());
    let mut all_valid = true;
    let n = body.len() / 4 * 4;
    for (k, chunk) in body[..n].chunks_exact(4).enumerate() {
        let quad = [chunk[0], chunk[1], chunk[2], chunk[3]];
        let cp = if big_endian { u32::from_be_bytes(quad) } else { u32::from_le_bytes(quad) };
        if cp > 0x10FFFF {
            return Err(decode_error(name, data, start + 4 * k, 4, "code point not in range(0x110000)"));
        }
        all_valid &= !(0xD800..0xE000).contains(&cp);
        push_code_point(&mut out, cp);
    }
    if n < body.len() {
        return Err(decode_error(name, data, start + n, body.len() - n, "truncated data"));
    }
    Ok(Text::Owned { utf8: out, all_valid })
}

/// Python's `UnicodeDecodeError` text for `len` bytes at `at`.
fn decode_error(codec: &str, data: &[u8], at: usize, len: usize, reason: &str) -> Error {
    Error::new(ErrorKind::Decode(decode_error_text(codec, data, at, len, reason)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_follows_json_detect_encoding() {
        // (input, the name json.detect_encoding returns)
        let cases: [(&[u8], Encoding); 9] = [
            (b"\x00\x00\xfe\xff", Encoding::Utf32 { big_endian: true, bom: true }),
            (b"\xff\xfe\x00\x00", Encoding::Utf32 { big_endian: false, bom: true }),
            (b"\xff\xfe1\x00", Encoding::Utf16 { big_endian: false, bom: true }),
            (b"\xef\xbb\xbf1", Encoding::Utf8Sig),
            (b"\x00\x001\x00", Encoding::Utf32 { big_endian: true, bom: false }),
            (b"\x001\x002", Encoding::Utf16 { big_endian: true, bom: false }),
            (b"1\x00\x00\x00", Encoding::Utf32 { big_endian: false, bom: false }),
            (b"1\x002\x00", Encoding::Utf16 { big_endian: false, bom: false }),
            (b"1\x00", Encoding::Utf16 { big_endian: false, bom: false }),
        ];
        for (input, want) in cases {
            assert_eq!(detect(input), want, "{input:?}");
        }
        assert_eq!(detect(b"123"), Encoding::Utf8);
    }
}
