//! Python's text I/O, as `python -m json.tool` meets it.
//!
//! json.tool never sees bytes: it reads through an `io.TextIOWrapper` and
//! writes through another, and what those do shows in its output and its
//! error messages. This module reproduces the parts that do:
//!
//! * decoding UTF-8 with `errors="strict"` (UnicodeDecodeError messages and
//!   their positions) or `errors="surrogateescape"` (undecodable bytes become
//!   lone surrogates U+DC80..U+DCFF);
//! * universal newlines: files opened with `newline=None` turn `\r\n` and `\r`
//!   into `\n` before json sees the text; Python's `sys.stdin` on POSIX does not;
//! * reading line by line, which decodes 8192-byte chunks one at a time, so a
//!   decoding error is reported relative to the chunk it is found in, and only
//!   after the lines before that chunk were handled;
//! * encoding output, where a lone surrogate is a UnicodeEncodeError.
//!
//! Text is held as surrogatepass UTF-8: plain UTF-8, except that a lone
//! surrogate is written as the three bytes UTF-8 would use for it.

use brinery::value::push_code_point;
use std::borrow::Cow;

/// TextIOWrapper's `_CHUNK_SIZE`: how many bytes it decodes at a time when
/// reading line by line.
const CHUNK: usize = 8192;

/// The `errors` argument of a text stream (the two Python uses for stdio).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Errors {
    /// Undecodable bytes and lone surrogates are errors.
    Strict,
    /// Undecodable bytes become U+DC80..U+DCFF and those are written back as
    /// the bytes they came from.
    SurrogateEscape,
}

/// The `errors` Python 3.11 gives `sys.stdin` and `sys.stdout`: what
/// `PYTHONIOENCODING` says after a colon, else `surrogateescape` in UTF-8
/// mode (`PYTHONUTF8=1`) and in the C, POSIX and C.UTF-8 locales, else
/// `strict`. The locale is the first of `LC_ALL`, `LC_CTYPE` and `LANG` that
/// is set and not empty. (Python asks the C library, which falls back to "C"
/// for a locale that is not installed; this looks only at the names.)
pub(crate) fn stdio_errors() -> Errors {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(errors) = var("PYTHONIOENCODING").and_then(|v| v.split_once(':').map(|(_, e)| e.to_string())) {
        if !errors.is_empty() {
            return if errors == "surrogateescape" { Errors::SurrogateEscape } else { Errors::Strict };
        }
    }
    if var("PYTHONUTF8").as_deref() == Some("1") {
        return Errors::SurrogateEscape;
    }
    let ctype = var("LC_ALL").or_else(|| var("LC_CTYPE")).or_else(|| var("LANG")).unwrap_or_else(|| "C".into());
    match ctype.as_str() {
        "C" | "POSIX" | "C.UTF-8" | "C.utf8" | "UTF-8" => Errors::SurrogateEscape,
        _ => Errors::Strict,
    }
}

/// Python's message for bytes that are not UTF-8 (`data` is what the
/// decoder was given and does not decode).
fn decode_error_message(data: &[u8]) -> String {
    brinery::value::utf8_decode_error(data, false).expect("the caller found an error")
}

/// `data.decode("utf-8", "surrogateescape")`, as surrogatepass UTF-8.
fn decode_surrogateescape(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    loop {
        match std::str::from_utf8(data) {
            Ok(_) => {
                out.extend_from_slice(data);
                return out;
            }
            Err(e) => {
                let (valid, rest) = data.split_at(e.valid_up_to());
                out.extend_from_slice(valid);
                let bad = e.error_len().unwrap_or(rest.len());
                for &b in &rest[..bad] {
                    push_code_point(&mut out, 0xDC00 + u32::from(b));
                }
                data = &rest[bad..];
            }
        }
    }
}

/// Decodes all of `data` at once (`TextIOWrapper.read()`); the error is the
/// UnicodeDecodeError message.
pub(crate) fn decode(data: &[u8], errors: Errors) -> Result<Cow<'_, [u8]>, String> {
    match errors {
        Errors::Strict => match std::str::from_utf8(data) {
            Ok(_) => Ok(Cow::Borrowed(data)),
            Err(_) => Err(decode_error_message(data)),
        },
        Errors::SurrogateEscape => Ok(Cow::Owned(decode_surrogateescape(data))),
    }
}

/// Universal newlines: `\r\n` and lone `\r` become `\n`.
pub(crate) fn translate_newlines(text: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    if !text.contains(&b'\r') {
        return text;
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\r' {
            out.push(b'\n');
            i += if text.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// What `for line in stream` yields: every line (each ending in `\n` but
/// perhaps the last), and the UnicodeDecodeError message that stopped the
/// loop, if one did. `universal` is `newline=None` (files); without it only
/// `\n` ends a line and `\r` is kept (`sys.stdin` on POSIX).
///
/// The stream decodes one 8192-byte chunk at a time, carrying an incomplete
/// character over to the next chunk, so a decoding error is positioned
/// relative to the bytes of that one decode call, and the lines before it are
/// only those complete before the chunk. With universal newlines a `\r` at the
/// end of a chunk waits for the next one (it might start `\r\n`).
pub(crate) fn lines(data: &[u8], errors: Errors, universal: bool) -> (Vec<Vec<u8>>, Option<String>) {
    let (text, error): (Cow<'_, [u8]>, Option<String>) = match errors {
        Errors::SurrogateEscape => (Cow::Owned(decode_surrogateescape(data)), None),
        Errors::Strict => {
            // `start..end` is one decode call: the carried-over bytes and a chunk.
            let mut start = 0;
            let mut pos = 0;
            loop {
                let eof = pos >= data.len();
                let end = (pos + CHUNK).min(data.len());
                let call = &data[start..end];
                match std::str::from_utf8(call) {
                    Ok(_) if eof => break (Cow::Borrowed(data), None),
                    Ok(_) => start = end,
                    Err(e) if e.error_len().is_none() && !eof => start += e.valid_up_to(),
                    Err(_) => {
                        let mut done = &data[..start];
                        if universal && done.last() == Some(&b'\r') {
                            done = &done[..done.len() - 1];
                        }
                        break (Cow::Borrowed(done), Some(decode_error_message(call)));
                    }
                }
                pos = end;
            }
        }
    };
    let text = if universal { translate_newlines(text) } else { text };
    let mut lines: Vec<Vec<u8>> = text.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if error.is_some() && lines.last().is_some_and(|l| l.last() != Some(&b'\n')) {
        lines.pop();
    }
    (lines, error)
}

/// Whether surrogatepass UTF-8 holds a lone surrogate starting at byte `i`.
fn surrogate_at(text: &[u8], i: usize) -> Option<u32> {
    match text[i..] {
        [0xED, b1 @ 0xA0..=0xBF, b2, ..] => Some(0xD000 | u32::from(b1 & 0x3F) << 6 | u32::from(b2 & 0x3F)),
        _ => None,
    }
}

/// Code points in surrogatepass UTF-8.
pub(crate) fn code_points(text: &[u8]) -> usize {
    text.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// A lone surrogate the encoder could not write: the run of surrogates
/// `start..end` (byte offsets into the text given to [`encode`]) that
/// Python reports, beginning with the surrogate `first`.
#[derive(Debug)]
pub(crate) struct Unencodable {
    pub start: usize,
    pub end: usize,
    pub first: u32,
}

impl Unencodable {
    /// Python's UnicodeEncodeError message, positions counted in code points
    /// from byte `base` of the text (the start of the string Python was
    /// encoding when it failed).
    pub(crate) fn message(&self, text: &[u8], base: usize) -> String {
        let start = code_points(&text[base..self.start]);
        let end = start + code_points(&text[self.start..self.end]);
        if end - start == 1 {
            format!(
                "'utf-8' codec can't encode character '\\u{:04x}' in position {start}: surrogates not allowed",
                self.first
            )
        } else {
            format!("'utf-8' codec can't encode characters in position {start}-{}: surrogates not allowed", end - 1)
        }
    }
}

/// Encodes text to UTF-8 with `errors`: the bytes, or the first run of lone
/// surrogates that cannot be written. (CPython reports a run of adjacent
/// surrogates as one error; under surrogateexcape, from the first one that is
/// not U+DC80..U+DCFF to the end of the run.)
pub(crate) fn encode(text: &[u8], errors: Errors) -> Result<Cow<'_, [u8]>, Unencodable> {
    let Some(first) = memchr_surrogate(text, 0) else {
        return Ok(Cow::Borrowed(text));
    };
    let mut out = Vec::with_capacity(text.len());
    let mut copied = 0;
    let mut i = first;
    while i < text.len() {
        let Some(cp) = surrogate_at(text, i) else {
            i += 1;
            continue;
        };
        out.extend_from_slice(&text[copied..i]);
        let mut end = i;
        while end < text.len() && surrogate_at(text, end).is_some() {
            end += 3;
        }
        let mut j = i;
        if errors == Errors::SurrogateEscape {
            while j < end {
                match surrogate_at(text, j) {
                    Some(c @ 0xDC80..=0xDCFF) => out.push((c - 0xDC00) as u8),
                    _ => break,
                }
                j += 3;
            }
        }
        if j < end {
            let first = if j == i { cp } else { surrogate_at(text, j).expect("inside the run") };
            return Err(Unencodable { start: j, end, first });
        }
        copied = end;
        i = end;
    }
    out.extend_from_slice(&text[copied..]);
    Ok(Cow::Owned(out))
}

/// The byte offset of the first lone surrogate at or after `from`.
fn memchr_surrogate(text: &[u8], from: usize) -> Option<usize> {
    (from..text.len()).find(|&i| text[i] == 0xED && surrogate_at(text, i).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_err(data: &[u8]) -> String {
        decode(data, Errors::Strict).unwrap_err()
    }

    #[test]
    fn decode_errors_are_worded_like_python() {
        assert_eq!(decode_err(b"\xff"), "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte");
        assert_eq!(decode_err(b"ab\xc3"), "'utf-8' codec can't decode byte 0xc3 in position 2: unexpected end of data");
        assert_eq!(
            decode_err(b"\"\xf0\x90\x80"),
            "'utf-8' codec can't decode bytes in position 1-3: unexpected end of data"
        );
        assert_eq!(
            decode_err(b"\xed\xa0\x80"),
            "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte"
        );
        assert_eq!(
            decode_err(b"\xf0\x90\x80x"),
            "'utf-8' codec can't decode bytes in position 0-2: invalid continuation byte"
        );
        assert_eq!(decode_err(b"\xc0\xaf"), "'utf-8' codec can't decode byte 0xc0 in position 0: invalid start byte");
    }

    #[test]
    fn surrogateescape_round_trips() {
        let text = decode(b"a\xffb\xed\xa0\x80", Errors::SurrogateEscape).unwrap();
        assert_eq!(code_points(&text), 6);
        assert_eq!(encode(&text, Errors::SurrogateEscape).unwrap().as_ref(), b"a\xffb\xed\xa0\x80");
        let e = encode(&text, Errors::Strict).unwrap_err();
        assert_eq!(
            e.message(&text, 0),
            "'utf-8' codec can't encode character '\\udcff' in position 1: surrogates not allowed"
        );
    }

    #[test]
    fn surrogate_runs_are_reported_whole() {
        let mut text = b"ab".to_vec();
        for cp in [0xDC80, 0xD800, 0xDC01] {
            push_code_point(&mut text, cp);
        }
        let e = encode(&text, Errors::Strict).unwrap_err();
        assert_eq!(
            e.message(&text, 0),
            "'utf-8' codec can't encode characters in position 2-4: surrogates not allowed"
        );
        let e = encode(&text, Errors::SurrogateEscape).unwrap_err();
        assert_eq!(
            e.message(&text, 1),
            "'utf-8' codec can't encode characters in position 2-3: surrogates not allowed"
        );
    }

    #[test]
    fn newlines_are_translated() {
        assert_eq!(translate_newlines(Cow::Borrowed(b"a\r\nb\rc\n\r")).as_ref(), b"a\nb\nc\n\n");
    }

    #[test]
    fn lines_stop_at_the_chunk_that_fails() {
        // The bad byte is in the second chunk: the first chunk's complete lines
        // come through, the error position is relative to the second chunk.
        let mut data = b"1\n".repeat(5000);
        data[9000] = 0xff;
        let (lines, err) = lines(&data, Errors::Strict, true);
        assert_eq!(lines.len(), 4096);
        assert_eq!(err.unwrap(), "'utf-8' codec can't decode byte 0xff in position 808: invalid start byte");
        // A character cut by the chunk boundary is carried over.
        let mut data = vec![b' '; 8191];
        data.extend_from_slice("é\n\u{7f}\n".as_bytes());
        let (lines, err) = super::lines(&data, Errors::Strict, false);
        assert_eq!((lines.len(), err), (2, None));
        // Truncated at the very end: reported at the final, empty read.
        let (lines, err) = super::lines(b"1\n2\n\xe2\x82", Errors::Strict, true);
        assert_eq!(lines, vec![b"1\n".to_vec(), b"2\n".to_vec()]);
        assert_eq!(err.unwrap(), "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data");
    }
}
