//! Python `str`: text that may hold lone surrogates, stored as UTF-8 with
//! surrogates allowed (Python's `surrogatepass`, the encoding pickle uses).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// A Python `str`.
///
/// Valid text (no lone surrogates) is available as `&str` without copying;
/// strings with lone surrogates keep them, so they round-trip. When loaded
/// from a byte slice the text borrows from it.
///
/// ```
/// use brinery::Str;
///
/// let s = Str::from("héllo");
/// assert_eq!(s.as_str(), Some("héllo"));
/// assert_eq!(s.char_count(), 5);
///
/// // A lone surrogate, as `'\ud800'` in Python:
/// let lone = Str::from_surrogatepass(&b"a\xed\xa0\x80"[..]).unwrap();
/// assert_eq!(lone.as_str(), None);
/// assert_eq!(lone.code_points().collect::<Vec<_>>(), vec![0x61, 0xd800]);
/// ```
#[derive(Clone)]
pub struct Str<'a>(pub(crate) Arc<StrData<'a>>);

#[derive(Debug)]
pub(crate) struct StrData<'a> {
    bytes: Cow<'a, [u8]>,
    /// True when `bytes` is valid UTF-8 (no surrogates).
    utf8: bool,
    /// Interned by the loader (an attribute name stored by BUILD): CPython's
    /// interned strings are distinct objects from the stream's, shared by value.
    interned: bool,
}

/// The bytes were not UTF-8, even allowing lone surrogates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidText {
    /// Offset of the first bad byte within the text.
    pub valid_up_to: usize,
}

impl fmt::Display for InvalidText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid UTF-8 at byte {} of the string", self.valid_up_to)
    }
}

impl std::error::Error for InvalidText {}

impl<'a> Str<'a> {
    /// Wraps UTF-8 text.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Str<'a> {
        let bytes = match text.into() {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        };
        Str(Arc::new(StrData { bytes, utf8: true, interned: false }))
    }

    /// Wraps UTF-8 that may contain lone surrogates encoded as three bytes
    /// (what `str.encode('utf-8', 'surrogatepass')` produces).
    pub fn from_surrogatepass(bytes: impl Into<Cow<'a, [u8]>>) -> Result<Str<'a>, InvalidText> {
        let bytes = bytes.into();
        let utf8 = Str::check_surrogatepass(&bytes)?;
        Ok(Str(Arc::new(StrData { bytes, utf8, interned: false })))
    }

    /// Checks what [`Str::from_surrogatepass`] accepts, without building a
    /// string: `Ok(true)` for plain UTF-8, `Ok(false)` when it holds lone
    /// surrogates.
    ///
    /// ```
    /// use brinery::Str;
    /// assert_eq!(Str::check_surrogatepass("é".as_bytes()), Ok(true));
    /// assert_eq!(Str::check_surrogatepass(b"\xed\xa0\x80"), Ok(false)); // U+D800
    /// assert_eq!(Str::check_surrogatepass(b"ok\xff").unwrap_err().valid_up_to, 2);
    /// ```
    pub fn check_surrogatepass(bytes: &[u8]) -> Result<bool, InvalidText> {
        if crate::utf8::is_valid(bytes) {
            return Ok(true);
        }
        validate_surrogatepass(bytes).map(|()| false)
    }

    /// Wraps bytes the caller has already checked: surrogatepass UTF-8, and
    /// `utf8` tells whether they are plain UTF-8 (no lone surrogates).
    pub(crate) fn from_validated(bytes: Cow<'a, [u8]>, utf8: bool) -> Str<'a> {
        debug_assert!(std::str::from_utf8(&bytes).is_ok() == utf8);
        Str(Arc::new(StrData { bytes, utf8, interned: false }))
    }

    /// Builds a string from Unicode code points (surrogates allowed).
    pub fn from_code_points(points: impl IntoIterator<Item = u32>) -> Str<'static> {
        let mut out = Vec::new();
        let mut utf8 = true;
        for cp in points {
            push_code_point(&mut out, cp);
            if (0xD800..0xE000).contains(&cp) {
                utf8 = false;
            }
        }
        Str(Arc::new(StrData { bytes: Cow::Owned(out), utf8, interned: false }))
    }

    /// The text, if it holds no lone surrogates.
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        if self.0.utf8 {
            // SAFETY: `utf8` is only set after validation or for `&str` input.
            Some(unsafe { std::str::from_utf8_unchecked(&self.0.bytes) })
        } else {
            None
        }
    }

    /// The text with the input's lifetime, when it holds no lone surrogates
    /// and borrows from the input (serde's zero-copy `&'de str`).
    pub(crate) fn borrowed_str(&self) -> Option<&'a str> {
        match (&self.0.bytes, self.0.utf8) {
            // SAFETY: `utf8` is only set after validation or for `&str` input.
            (Cow::Borrowed(b), true) => Some(unsafe { std::str::from_utf8_unchecked(b) }),
            _ => None,
        }
    }

    /// The text with each lone surrogate replaced by U+FFFD.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        match self.as_str() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(self.code_points().map(|c| char::from_u32(c).unwrap_or('\u{FFFD}')).collect()),
        }
    }

    /// The UTF-8 (surrogatepass) bytes, exactly as pickle stores them.
    #[inline]
    pub fn as_surrogatepass(&self) -> &[u8] {
        &self.0.bytes
    }

    /// Whether the text holds no lone surrogates.
    #[inline]
    pub fn is_valid_utf8(&self) -> bool {
        self.0.utf8
    }

    /// The code points, lone surrogates included.
    pub fn code_points(&self) -> CodePoints<'_> {
        CodePoints { bytes: &self.0.bytes, pos: 0 }
    }

    /// Length in code points (Python's `len(s)`).
    pub fn char_count(&self) -> usize {
        // Every code point has exactly one non-continuation byte.
        self.0.bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
    }

    /// Whether this is empty.
    pub fn is_empty(&self) -> bool {
        self.0.bytes.is_empty()
    }

    /// Whether CPython would hand out a shared singleton for this value: the
    /// empty string and one-character latin-1 strings.
    pub(crate) fn is_latin1_singleton(&self) -> bool {
        let b = &self.0.bytes;
        b.is_empty() || b.len() == 1 || (b.len() == 2 && (b[0] == 0xc2 || b[0] == 0xc3))
    }

    /// An owned copy that no longer borrows from the input.
    pub fn into_owned(self) -> Str<'static> {
        Str(Arc::new(StrData {
            bytes: Cow::Owned(self.0.bytes.clone().into_owned()),
            utf8: self.0.utf8,
            interned: self.0.interned,
        }))
    }

    /// A new string object with the same text, marked as interned.
    pub(crate) fn interned_copy(&self) -> Str<'a> {
        Str(Arc::new(StrData { bytes: self.0.bytes.clone(), utf8: self.0.utf8, interned: true }))
    }

    /// Whether the loader interned this string (see [`Str::interned_copy`]).
    pub(crate) fn is_interned(&self) -> bool {
        self.0.interned
    }

    /// The address that identifies this object (Python's `id()`).
    pub(crate) fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as *const u8 as usize
    }

    /// How many strong and weak handles to this object exist.
    #[inline]
    pub(crate) fn ref_counts(&self) -> (usize, usize) {
        (Arc::strong_count(&self.0), Arc::weak_count(&self.0))
    }

    /// Whether this handle is the only reference to the object.
    #[inline]
    pub(crate) fn is_unique(&self) -> bool {
        self.ref_counts() == (1, 0)
    }
}

fn validate_surrogatepass(bytes: &[u8]) -> Result<(), InvalidText> {
    match first_utf8_error(bytes, true) {
        Some(e) => Err(InvalidText { valid_up_to: e.at }),
        None => Ok(()),
    }
}

/// Where bytes stop being UTF-8, the way CPython's decoder reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Utf8Error {
    /// Offset of the first bad byte.
    pub(crate) at: usize,
    /// How many bytes the error covers (CPython's maximal invalid subpart).
    pub(crate) len: usize,
    /// CPython's reason: `invalid start byte`, `invalid continuation byte`,
    /// `unexpected end of data`.
    pub(crate) reason: &'static str,
}

/// The first UTF-8 error in `data`, if any. With `surrogatepass`, encoded
/// lone surrogates (`ED A0..BF 80..BF`) are accepted, as Python's error
/// handler of that name accepts them.
pub(crate) fn first_utf8_error(data: &[u8], surrogatepass: bool) -> Option<Utf8Error> {
    let mut at = 0;
    loop {
        let err = std::str::from_utf8(&data[at..]).err()?;
        let bad = at + err.valid_up_to();
        if surrogatepass {
            if let [0xED, 0xA0..=0xBF, 0x80..=0xBF, ..] = data[bad..] {
                at = bad + 3;
                continue;
            }
        }
        let (len, reason) = match err.error_len() {
            None => (data.len() - bad, "unexpected end of data"),
            Some(1) if matches!(data[bad], 0x80..=0xC1 | 0xF5..=0xFF) => (1, "invalid start byte"),
            Some(n) => (n, "invalid continuation byte"),
        };
        return Some(Utf8Error { at: bad, len, reason });
    }
}

/// Python's `UnicodeDecodeError` text for `len` bytes at `at` of `data`.
pub(crate) fn decode_error_text(codec: &str, data: &[u8], at: usize, len: usize, reason: &str) -> String {
    if len == 1 {
        format!("'{codec}' codec can't decode byte {:#04x} in position {at}: {reason}", data[at])
    } else {
        format!("'{codec}' codec can't decode bytes in position {at}-{}: {reason}", at + len - 1)
    }
}

/// Python's message for `data.decode('utf-8')` (with `surrogatepass`:
/// `data.decode('utf-8', 'surrogatepass')`), or `None` when it decodes.
///
/// ```
/// use brinery::value::utf8_decode_error;
/// assert_eq!(utf8_decode_error(b"a\xff", false).unwrap(),
///            "'utf-8' codec can't decode byte 0xff in position 1: invalid start byte");
/// assert_eq!(utf8_decode_error(b"\xed\xa0\x80", true), None);
/// ```
pub fn utf8_decode_error(data: &[u8], surrogatepass: bool) -> Option<String> {
    let e = first_utf8_error(data, surrogatepass)?;
    Some(decode_error_text("utf-8", data, e.at, e.len, e.reason))
}

/// Appends a code point as surrogatepass UTF-8 (a lone surrogate is three
/// bytes, as Python's `surrogatepass` writes it).
///
/// ```
/// let mut out = Vec::new();
/// brinery::value::push_code_point(&mut out, 0xD800);
/// assert_eq!(out, b"\xed\xa0\x80");
/// ```
pub fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    let mut buf = [0u8; 4];
    let len = encode_code_point(&mut buf, cp);
    out.extend_from_slice(&buf[..len]);
}

/// Encodes a code point (a surrogate too) as UTF-8 into `buf`; returns the
/// number of bytes written.
#[inline]
pub(crate) fn encode_code_point(buf: &mut [u8; 4], cp: u32) -> usize {
    match cp {
        0..=0x7f => {
            buf[0] = cp as u8;
            1
        }
        0x80..=0x7ff => {
            *buf = [0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8, 0, 0];
            2
        }
        0x800..=0xffff => {
            *buf = [0xe0 | (cp >> 12) as u8, 0x80 | ((cp >> 6) & 0x3f) as u8, 0x80 | (cp & 0x3f) as u8, 0];
            3
        }
        _ => {
            *buf = [
                0xf0 | (cp >> 18) as u8,
                0x80 | ((cp >> 12) & 0x3f) as u8,
                0x80 | ((cp >> 6) & 0x3f) as u8,
                0x80 | (cp & 0x3f) as u8,
            ];
            4
        }
    }
}

/// Iterator over the code points of a [`Str`].
#[derive(Clone, Debug)]
pub struct CodePoints<'s> {
    bytes: &'s [u8],
    pos: usize,
}

impl<'s> CodePoints<'s> {
    /// The code points of UTF-8 bytes that may hold lone surrogates
    /// (surrogatepass); the bytes must be well formed in that sense.
    pub(crate) fn new(bytes: &'s [u8]) -> Self {
        CodePoints { bytes, pos: 0 }
    }
}

impl Iterator for CodePoints<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let b = self.bytes;
        let i = self.pos;
        let first = *b.get(i)? as u32;
        let (cp, len) = if first < 0x80 {
            (first, 1)
        } else if first < 0xe0 {
            (((first & 0x1f) << 6) | (b[i + 1] as u32 & 0x3f), 2)
        } else if first < 0xf0 {
            (((first & 0x0f) << 12) | ((b[i + 1] as u32 & 0x3f) << 6) | (b[i + 2] as u32 & 0x3f), 3)
        } else {
            (
                ((first & 0x07) << 18)
                    | ((b[i + 1] as u32 & 0x3f) << 12)
                    | ((b[i + 2] as u32 & 0x3f) << 6)
                    | (b[i + 3] as u32 & 0x3f),
                4,
            )
        };
        self.pos += len;
        Some(cp)
    }
}

impl PartialEq for Str<'_> {
    fn eq(&self, other: &Str<'_>) -> bool {
        self.0.bytes == other.0.bytes
    }
}

impl Eq for Str<'_> {}

impl std::hash::Hash for Str<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.bytes.hash(state)
    }
}

impl PartialEq<str> for Str<'_> {
    fn eq(&self, other: &str) -> bool {
        &*self.0.bytes == other.as_bytes()
    }
}

impl PartialEq<&str> for Str<'_> {
    fn eq(&self, other: &&str) -> bool {
        &*self.0.bytes == other.as_bytes()
    }
}

impl<'a> From<&'a str> for Str<'a> {
    fn from(s: &'a str) -> Str<'a> {
        Str::new(s)
    }
}

impl From<String> for Str<'_> {
    fn from(s: String) -> Self {
        Str::new(s)
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::value::repr::write_str_repr(f, self)
    }
}

impl fmt::Display for Str<'_> {
    /// The text itself (lone surrogates shown as U+FFFD); use `{:?}` for Python's repr.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

/// Python `bytes` or the payload of a `bytearray`: borrowed from the input
/// when loaded from a slice, owned otherwise.
///
/// ```
/// use brinery::Bytes;
/// let b = Bytes::from(&b"abc"[..]);
/// assert_eq!(b.as_slice(), b"abc");
/// ```
#[derive(Clone)]
pub struct Bytes<'a>(pub(crate) Arc<Cow<'a, [u8]>>);

impl<'a> Bytes<'a> {
    /// Wraps bytes.
    pub fn new(data: impl Into<Cow<'a, [u8]>>) -> Bytes<'a> {
        Bytes(Arc::new(data.into()))
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The bytes with the input's lifetime, when they borrow from it (serde's zero-copy `&'de [u8]`).
    pub(crate) fn borrowed_slice(&self) -> Option<&'a [u8]> {
        match &*self.0 {
            Cow::Borrowed(b) => Some(b),
            Cow::Owned(_) => None,
        }
    }

    /// Whether the bytes borrow from the loaded input (zero-copy) rather than owning a copy.
    pub fn is_borrowed(&self) -> bool {
        matches!(*self.0, Cow::Borrowed(_))
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// An owned copy that no longer borrows from the input.
    pub fn into_owned(self) -> Bytes<'static> {
        Bytes(Arc::new(Cow::Owned(self.0.to_vec())))
    }

    pub(crate) fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as *const u8 as usize
    }

    /// How many strong and weak handles to this object exist.
    #[inline]
    pub(crate) fn ref_counts(&self) -> (usize, usize) {
        (Arc::strong_count(&self.0), Arc::weak_count(&self.0))
    }

    /// Whether this handle is the only reference to the object.
    #[inline]
    pub(crate) fn is_unique(&self) -> bool {
        self.ref_counts() == (1, 0)
    }
}

impl PartialEq for Bytes<'_> {
    fn eq(&self, other: &Bytes<'_>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Bytes<'_> {}

impl<'a> From<&'a [u8]> for Bytes<'a> {
    fn from(b: &'a [u8]) -> Bytes<'a> {
        Bytes::new(b)
    }
}

impl From<Vec<u8>> for Bytes<'_> {
    fn from(b: Vec<u8>) -> Self {
        Bytes::new(b)
    }
}

impl fmt::Debug for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::value::repr::write_bytes_repr(f, self.as_slice())
    }
}
