//! The one JSON writer: Python's layout, escaping and number formats, for
//! any source (values, serde, Python objects) to drive.

use super::error::{Error, ErrorKind, Result};
use super::options::DumpOptions;
use super::scan::{copy_plain, short_is_plain};
use crate::short_copy::{copy_short, extend_short};
use crate::value::Int;

/// Writes JSON tokens into a byte buffer with `json.dumps`' exact layout.
///
/// The caller walks its data and calls the token methods in document order;
/// the writer owns separators, indentation, escaping and number formats.
/// Strings are given as UTF-8 that may hold lone surrogates (surrogatepass)
/// or as code units ([`Writer::str_units`]), and the output is surrogatepass
/// UTF-8 (plain ASCII with `ensure_ascii`).
///
/// ```
/// use brinery::json::{DumpOptions, Writer};
/// let mut w = Writer::new(&DumpOptions::default().indent(1));
/// w.open(b'{', true);
/// w.str("é".as_bytes(), true);
/// w.key_end();
/// w.str_units(&[0x1F600u32]);
/// w.close(b'}', true);
/// assert_eq!(w.bytes(), b"{\n \"\\u00e9\": \"\\ud83d\\ude00\"\n}");
/// ```
pub struct Writer {
    pub(crate) out: Vec<u8>,
    ensure_ascii: bool,
    allow_nan: bool,
    max_int_digits: usize,
    item_separator: Box<[u8]>,
    key_separator: Box<[u8]>,
    indent: Option<Box<[u8]>>,
    level: usize,
    /// Whether a lone surrogate was copied to the output (only possible
    /// without `ensure_ascii`), so the output is not plain UTF-8.
    pub(crate) wrote_surrogate: bool,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Each byte's two lowercase hex digits, first digit in the low byte (so a
/// little-endian store writes them in order).
static HEX_PAIRS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = HEX[b >> 4] as u16 | (HEX[b & 15] as u16) << 8;
        b += 1;
    }
    t
};

/// For each byte below 0x80: 0 if it is written as is, else the letter of
/// its short escape (`n`, `t`, …) or `u` for `\u00XX`.
static ESCAPE: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

impl Writer {
    /// A writer for these options.
    pub fn new(opts: &DumpOptions) -> Writer {
        let (item, key) = opts.effective_separators();
        Writer {
            out: Vec::with_capacity(256),
            ensure_ascii: opts.ensure_ascii,
            allow_nan: opts.allow_nan,
            max_int_digits: opts.limits.max_int_digits,
            item_separator: item.as_bytes().into(),
            key_separator: key.as_bytes().into(),
            indent: opts.indent.as_ref().map(|i| i.unit().as_bytes().into()),
            level: 0,
            wrote_surrogate: false,
        }
    }

    /// The text written so far.
    pub fn bytes(&self) -> &[u8] {
        &self.out
    }

    /// The text written, as surrogatepass UTF-8.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// Whether a lone surrogate was copied to the output (only possible
    /// without `ensure_ascii`): then the output is not plain UTF-8.
    pub fn wrote_surrogate(&self) -> bool {
        self.wrote_surrogate
    }

    /// `null`.
    #[inline]
    pub fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }

    /// `true` / `false`.
    #[inline]
    pub fn bool(&mut self, b: bool) {
        self.out.extend_from_slice(if b { b"true" } else { b"false" });
    }

    /// An int that fits in `i64`.
    #[inline]
    pub fn i64(&mut self, v: i64) {
        extend_short(&mut self.out, itoa::Buffer::new().format(v).as_bytes());
    }

    /// Any int, subject to the digit limit (`int.__repr__`).
    #[inline]
    pub fn int(&mut self, v: &Int) -> Result<()> {
        match v.as_i64() {
            Some(small) => {
                self.i64(small);
                Ok(())
            }
            None => self.big_int(v),
        }
    }

    /// An int beyond `i64`, subject to the digit limit.
    #[inline(never)]
    fn big_int(&mut self, v: &Int) -> Result<()> {
        let text = v.to_string();
        let digits = text.len() - usize::from(text.starts_with('-'));
        if self.max_int_digits != 0 && digits > self.max_int_digits {
            return Err(Error::new(ErrorKind::IntTooLong { limit: self.max_int_digits, digits: None }));
        }
        self.out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// An int already formatted by `int.__repr__` (ASCII digits and sign).
    #[inline]
    pub fn int_text(&mut self, digits: &[u8]) {
        extend_short(&mut self.out, digits);
    }

    /// Makes room for at least `additional` more bytes of output.
    pub fn reserve(&mut self, additional: usize) {
        self.out.reserve(additional);
    }

    /// A float: Python's repr, or `NaN`/`Infinity`/`-Infinity` when allowed.
    #[inline]
    pub fn float(&mut self, x: f64) -> Result<()> {
        if x.is_finite() {
            crate::float_repr::write_float_bytes(&mut self.out, x, true);
            return Ok(());
        }
        self.float_special(x)
    }

    /// `NaN`, `Infinity` or `-Infinity`, or the error when they are not allowed.
    #[cold]
    fn float_special(&mut self, x: f64) -> Result<()> {
        if !self.allow_nan {
            let shown = self.indent.is_some().then(|| crate::float_repr::special_repr(x));
            return Err(Error::new(ErrorKind::OutOfRangeFloat(shown)));
        }
        self.out.extend_from_slice(match x {
            x if x.is_nan() => b"NaN".as_slice(),
            x if x > 0.0 => b"Infinity",
            _ => b"-Infinity",
        });
        Ok(())
    }

    /// A string, quoted and escaped. `text` is surrogatepass UTF-8; `utf8`
    /// says it holds no lone surrogate.
    #[inline]
    pub fn str(&mut self, text: &[u8], utf8: bool) {
        let n = text.len();
        if n > 16 || !self.short_needs_no_escape(text) {
            return self.str_escaped(text, utf8);
        }
        // Most keys and many values: one check, one copy.
        self.wrote_surrogate |= !utf8 && !self.ensure_ascii;
        self.out.reserve(n + 2);
        // SAFETY: `n + 2` bytes of spare capacity were reserved at `dst`,
        // and `set_len` covers exactly the bytes written.
        unsafe {
            let len = self.out.len();
            let dst = self.out.as_mut_ptr().add(len);
            *dst = b'"';
            copy_short(text, dst.add(1));
            *dst.add(n + 1) = b'"';
            self.out.set_len(len + n + 2);
        }
    }

    /// [`Writer::str`] for text that is long or needs escapes.
    #[inline(never)]
    fn str_escaped(&mut self, text: &[u8], utf8: bool) {
        self.wrote_surrogate |= !utf8 && !self.ensure_ascii;
        self.out.reserve(text.len() + 2);
        self.out.push(b'"');
        if self.ensure_ascii {
            self.escape_ascii(text);
        } else {
            self.escape_minimal(text);
        }
        self.out.push(b'"');
    }

    /// Whether no byte of `text` (at most 16 bytes) needs an escape in this
    /// writer's mode.
    #[inline(always)]
    fn short_needs_no_escape(&self, text: &[u8]) -> bool {
        if self.ensure_ascii {
            short_is_plain::<true>(text)
        } else {
            short_is_plain::<false>(text)
        }
    }

    /// Copies the bytes of `text` from `from` on that need no escape (in
    /// the mode `ASCII_ONLY` names) and returns where they end.
    #[inline(always)]
    fn copy_plain_run<const ASCII_ONLY: bool>(&mut self, text: &[u8], from: usize) -> usize {
        self.out.reserve(text.len() - from + 16);
        // SAFETY: the room `copy_plain` may write was just reserved, and the
        // length grows over exactly the bytes it copied.
        unsafe {
            let len = self.out.len();
            let stop = copy_plain::<ASCII_ONLY>(text, from, self.out.as_mut_ptr().add(len));
            self.out.set_len(len + (stop - from));
            stop
        }
    }

    /// A string given as code units (a Python `str`'s UCS-1, UCS-2 or UCS-4
    /// data), quoted and escaped like [`Writer::str`]; surrogate code units
    /// are lone surrogates, as in Python.
    pub fn str_units<U: Copy + Into<u32>>(&mut self, units: &[U]) {
        self.out.push(b'"');
        // Chunks bound the room reserved for the worst case.
        for chunk in units.chunks(1 << 14) {
            self.units(chunk);
        }
        self.out.push(b'"');
    }

    /// Escapes `units` into spare capacity reserved for the worst case (12
    /// bytes a unit: a surrogate pair of `\uXXXX`), then commits them.
    fn units<U: Copy + Into<u32>>(&mut self, units: &[U]) {
        // Two more: an escape is stored as one eight-byte word.
        self.out.reserve(units.len() * 12 + 2);
        let mut out = SpareWriter { base: self.out.as_mut_ptr(), len: self.out.len() };
        // SAFETY (both): 12 bytes a unit and 2 more were reserved above.
        if self.ensure_ascii {
            unsafe { out.units_ascii(units) };
        } else {
            self.wrote_surrogate |= unsafe { out.units_minimal(units) };
        }
        // SAFETY: every byte up to `out.len` was written, within capacity.
        unsafe { self.out.set_len(out.len) };
    }

    /// A dict key that is a constant (`true`, `null`, …) written as a string.
    pub fn key_text(&mut self, ascii: &[u8]) {
        self.out.push(b'"');
        extend_short(&mut self.out, ascii);
        self.out.push(b'"');
    }

    /// A number written as a string (an int or float dict key).
    pub fn quoted(&mut self, number: impl FnOnce(&mut Writer) -> Result<()>) -> Result<()> {
        self.out.push(b'"');
        number(self)?;
        self.out.push(b'"');
        Ok(())
    }

    /// `ensure_ascii=False`: only `"`, `\` and control characters are escaped.
    fn escape_minimal(&mut self, text: &[u8]) {
        let mut i = 0;
        loop {
            let stop = self.copy_plain_run::<false>(text, i);
            let Some(&b) = text.get(stop) else { return };
            self.escape_byte(b);
            i = stop + 1;
        }
    }

    /// `ensure_ascii=True`: everything outside printable ASCII is escaped;
    /// characters beyond the BMP become a surrogate pair.
    fn escape_ascii(&mut self, text: &[u8]) {
        let mut i = 0;
        loop {
            let stop = self.copy_plain_run::<true>(text, i);
            let Some(&b) = text.get(stop) else { return };
            if b < 0x7f {
                self.escape_byte(b);
                i = stop + 1;
                continue;
            }
            let (cp, len) = if b == 0x7f { (0x7f, 1) } else { decode_code_point(&text[stop..]) };
            self.escape_code_point(cp);
            i = stop + len;
        }
    }

    /// `\uXXXX`, or a surrogate pair of them beyond the BMP.
    #[inline]
    fn escape_code_point(&mut self, cp: u32) {
        let (unit, low) = utf16_units(cp);
        self.unicode_escape(unit);
        if let Some(low) = low {
            self.unicode_escape(low);
        }
    }

    #[inline]
    fn escape_byte(&mut self, b: u8) {
        match ESCAPE[b as usize] {
            b'u' => self.unicode_escape(b as u32),
            letter => self.out.extend_from_slice(&[b'\\', letter]),
        }
    }

    #[inline]
    fn unicode_escape(&mut self, unit: u32) {
        self.out.extend_from_slice(&unit_escape_word(unit).to_le_bytes()[..6]);
    }

    /// Opens an array (`bracket` = `b'['`) or object (`b'{'`). `has_items`
    /// is whether the container is non-empty (even if every entry is then
    /// skipped, Python's indented layout breaks the line).
    #[inline]
    pub fn open(&mut self, bracket: u8, has_items: bool) {
        self.out.push(bracket);
        self.level += 1;
        if has_items {
            self.newline();
        }
    }

    /// Before each item of an array or each key of an object after the first.
    #[inline]
    pub fn separator(&mut self) {
        push_short(&mut self.out, &self.item_separator);
        self.newline();
    }

    /// A line break and the current indentation, when indenting.
    #[inline]
    fn newline(&mut self) {
        if let Some(unit) = &self.indent {
            self.out.push(b'\n');
            for _ in 0..self.level {
                self.out.extend_from_slice(unit);
            }
        }
    }

    /// Between a key and its value.
    #[inline]
    pub fn key_end(&mut self) {
        push_short(&mut self.out, &self.key_separator);
    }

    /// Closes an array (`b']'`) or object (`b'}'`), with the same
    /// `has_items` as [`Writer::open`].
    #[inline]
    pub fn close(&mut self, bracket: u8, has_items: bool) {
        self.level -= 1;
        if has_items {
            self.newline();
        }
        self.out.push(bracket);
    }
}

/// Appends a separator: the usual one- and two-byte ones without a call to
/// `memcpy`, which costs more than the copy at that size.
#[inline]
fn push_short(out: &mut Vec<u8>, bytes: &[u8]) {
    match *bytes {
        [a] => out.push(a),
        [a, b] => out.extend_from_slice(&[a, b]),
        _ => out.extend_from_slice(bytes),
    }
}

/// A code point's UTF-16 code units: itself, or a surrogate pair beyond the BMP.
#[inline(always)]
fn utf16_units(cp: u32) -> (u32, Option<u32>) {
    if cp < 0x10000 {
        return (cp, None);
    }
    let v = cp - 0x10000;
    (0xD800 | (v >> 10), Some(0xDC00 | (v & 0x3ff)))
}

/// `\uXXXX` for a UTF-16 code unit in the low six bytes of a little-endian
/// word (the top two are zero).
#[inline(always)]
fn unit_escape_word(unit: u32) -> u64 {
    let hex = |byte: u32| u64::from(HEX_PAIRS[byte as usize & 0xff]);
    u64::from(b'\\') | u64::from(b'u') << 8 | hex(unit >> 8) << 16 | hex(unit) << 32
}

/// Writes bytes into a `Vec`'s reserved spare capacity with no bounds check
/// per byte; the caller reserves enough first and commits `len` at the end.
struct SpareWriter {
    base: *mut u8,
    len: usize,
}

impl SpareWriter {
    /// # Safety
    /// One byte of reserved capacity is left at `len`.
    #[inline(always)]
    unsafe fn byte(&mut self, b: u8) {
        self.base.add(self.len).write(b);
        self.len += 1;
    }

    /// # Safety
    /// `bytes.len()` bytes of reserved capacity are left at `len`.
    #[inline(always)]
    unsafe fn bytes(&mut self, bytes: &[u8]) {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.add(self.len), bytes.len());
        self.len += bytes.len();
    }

    /// An ASCII character (`cp` below 0x80): itself, or its escape.
    ///
    /// # Safety
    /// Eight bytes of reserved capacity are left at `len`.
    #[inline(always)]
    unsafe fn ascii_unit(&mut self, cp: u32) {
        match ESCAPE[cp as usize] {
            0 => self.byte(cp as u8),
            b'u' => self.unit_escape(cp),
            letter => self.bytes(&[b'\\', letter]),
        }
    }

    /// `ensure_ascii=True`'s escapes of code units (see [`Writer::units`]).
    ///
    /// # Safety
    /// 12 bytes of reserved capacity are left at `len` for each unit, and 2
    /// more.
    #[inline(always)]
    unsafe fn units_ascii<U: Copy + Into<u32>>(&mut self, units: &[U]) {
        for &unit in units {
            let cp: u32 = unit.into();
            if cp < 0x7f {
                self.ascii_unit(cp);
            } else if cp < 0x10000 {
                self.unit_escape(cp);
            } else {
                let (high, low) = utf16_units(cp);
                self.unit_escape(high);
                self.unit_escape(low.expect("beyond the BMP: a pair"));
            }
        }
    }

    /// `ensure_ascii=False`'s escapes of code units (see [`Writer::units`]):
    /// non-ASCII characters as UTF-8 (lone surrogates as surrogatepass
    /// UTF-8). Says whether a surrogate was written.
    ///
    /// # Safety
    /// As [`SpareWriter::units_ascii`].
    #[inline(always)]
    unsafe fn units_minimal<U: Copy + Into<u32>>(&mut self, units: &[U]) -> bool {
        let mut wrote_surrogate = false;
        for &unit in units {
            let cp: u32 = unit.into();
            if cp < 0x80 {
                self.ascii_unit(cp);
            } else {
                wrote_surrogate |= (0xD800..0xE000).contains(&cp);
                let mut utf8 = [0u8; 4];
                let len = crate::value::encode_code_point(&mut utf8, cp);
                self.bytes(&utf8[..len]);
            }
        }
        wrote_surrogate
    }

    /// `\uXXXX` for a UTF-16 code unit, stored as one word (its last two
    /// bytes are scratch, overwritten by what follows or left past `len`).
    ///
    /// # Safety
    /// Eight bytes of reserved capacity are left at `len`.
    #[inline(always)]
    unsafe fn unit_escape(&mut self, unit: u32) {
        (self.base.add(self.len) as *mut u64).write_unaligned(unit_escape_word(unit));
        self.len += 6;
    }
}

/// Decodes one code point from surrogatepass UTF-8 (lone surrogates are
/// three-byte sequences); returns it and its length.
#[inline]
fn decode_code_point(s: &[u8]) -> (u32, usize) {
    let b0 = s[0] as u32;
    if b0 < 0xE0 {
        (((b0 & 0x1f) << 6) | (s[1] as u32 & 0x3f), 2)
    } else if b0 < 0xF0 {
        (((b0 & 0x0f) << 12) | ((s[1] as u32 & 0x3f) << 6) | (s[2] as u32 & 0x3f), 3)
    } else {
        (((b0 & 0x07) << 18) | ((s[1] as u32 & 0x3f) << 12) | ((s[2] as u32 & 0x3f) << 6) | (s[3] as u32 & 0x3f), 4)
    }
}
