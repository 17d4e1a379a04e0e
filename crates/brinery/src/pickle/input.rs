//! Where the machine reads from: a byte slice (payloads borrowed, zero-copy)
//! or a buffered reader (payloads copied, consumed exactly up to STOP so the
//! next pickle in the stream is left in place).

use super::error::{Error, ErrorKind, Result};
use std::borrow::Cow;
use std::io::BufRead;

/// A source of pickle bytes.
pub(crate) trait Input<'a> {
    /// Bytes consumed so far.
    fn offset(&self) -> u64;
    /// The next byte, or `None` at the end of the input.
    fn next_byte(&mut self) -> Result<Option<u8>>;
    /// Exactly `N` bytes.
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]>;
    /// Exactly `n` bytes, borrowed where possible. Never allocates more than
    /// the input actually holds, whatever `n` says.
    fn data(&mut self, n: u64, what: &'static str) -> Result<Cow<'a, [u8]>>;
    /// Bytes up to a `\n`, which is consumed but not returned.
    fn line(&mut self, what: &'static str) -> Result<Cow<'a, [u8]>>;
    /// Checks that a FRAME of `len` bytes is there (and, for readers, loads it).
    fn frame(&mut self, len: u64) -> Result<()>;
}

/// Truncation inside an opcode; the machine fills in the opcode's offset.
fn truncated(what: &'static str, needed: u64, available: u64) -> Error {
    Error::new(ErrorKind::Truncated { what, needed, available })
}

/// Reads from a slice; payloads borrow from it.
pub(crate) struct SliceInput<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SliceInput<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        SliceInput { data, pos: 0 }
    }
}

impl<'a> Input<'a> for SliceInput<'a> {
    #[inline]
    fn offset(&self) -> u64 {
        self.pos as u64
    }

    #[inline]
    fn next_byte(&mut self) -> Result<Option<u8>> {
        let b = self.data.get(self.pos).copied();
        if b.is_some() {
            self.pos += 1;
        }
        Ok(b)
    }

    #[inline(always)]
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        match self.data.get(self.pos..self.pos + N) {
            Some(s) => {
                self.pos += N;
                Ok(s.try_into().unwrap())
            }
            None => Err(truncated(what, N as u64, (self.data.len() - self.pos) as u64)),
        }
    }

    #[inline]
    fn data(&mut self, n: u64, what: &'static str) -> Result<Cow<'a, [u8]>> {
        let left = (self.data.len() - self.pos) as u64;
        if n > left {
            return Err(truncated(what, n, left));
        }
        let s = &self.data[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(Cow::Borrowed(s))
    }

    fn line(&mut self, what: &'static str) -> Result<Cow<'a, [u8]>> {
        let rest = &self.data[self.pos..];
        match memchr::memchr(b'\n', rest) {
            Some(i) => {
                self.pos += i + 1;
                Ok(Cow::Borrowed(&rest[..i]))
            }
            None => Err(truncated(what, rest.len() as u64 + 1, rest.len() as u64)),
        }
    }

    fn frame(&mut self, len: u64) -> Result<()> {
        let left = (self.data.len() - self.pos) as u64;
        if len > left {
            return Err(truncated("FRAME", len, left));
        }
        Ok(())
    }
}

/// Reads from a buffered reader, consuming exactly what the pickle occupies.
///
/// A FRAME's contents are read in full when the FRAME opcode is met (so a
/// short frame fails there, as in CPython) and served from `frame` until used
/// up; everything else comes straight from the reader's buffer.
pub(crate) struct ReaderInput<R> {
    reader: R,
    pos: u64,
    frame: Vec<u8>,
    frame_pos: usize,
}

impl<R: BufRead> ReaderInput<R> {
    pub(crate) fn new(reader: R) -> Self {
        ReaderInput { reader, pos: 0, frame: Vec::new(), frame_pos: 0 }
    }

    /// The next available bytes: the rest of the current frame, or the reader's buffer.
    fn available(&mut self) -> std::io::Result<&[u8]> {
        if self.frame_pos < self.frame.len() {
            Ok(&self.frame[self.frame_pos..])
        } else {
            self.reader.fill_buf()
        }
    }

    /// Marks `n` bytes of [`available`](Self::available) as read.
    fn consume(&mut self, n: usize) {
        if self.frame_pos < self.frame.len() {
            self.frame_pos += n;
        } else {
            self.reader.consume(n);
        }
        self.pos += n as u64;
    }

    /// Appends exactly `n` bytes to `out`, growing it only as bytes arrive, so
    /// a length field larger than the input costs no more than the input.
    fn read_into(&mut self, out: &mut Vec<u8>, n: u64, what: &'static str) -> Result<()> {
        let mut left = n;
        while left > 0 {
            let buf = self.available()?;
            if buf.is_empty() {
                return Err(truncated(what, n, n - left));
            }
            let take = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            out.extend_from_slice(&buf[..take]);
            self.consume(take);
            left -= take as u64;
        }
        Ok(())
    }
}

impl<'a, R: BufRead> Input<'a> for ReaderInput<R> {
    fn offset(&self) -> u64 {
        self.pos
    }

    fn next_byte(&mut self) -> Result<Option<u8>> {
        match self.available()?.first().copied() {
            Some(b) => {
                self.consume(1);
                Ok(Some(b))
            }
            None => Ok(None),
        }
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = Vec::with_capacity(N);
        self.read_into(&mut out, N as u64, what)?;
        Ok(out.try_into().expect("read_into reads exactly N bytes"))
    }

    fn data(&mut self, n: u64, what: &'static str) -> Result<Cow<'a, [u8]>> {
        let mut out = Vec::new();
        self.read_into(&mut out, n, what)?;
        Ok(Cow::Owned(out))
    }

    fn line(&mut self, what: &'static str) -> Result<Cow<'a, [u8]>> {
        let mut out = Vec::new();
        loop {
            let buf = self.available()?;
            if buf.is_empty() {
                return Err(truncated(what, out.len() as u64 + 1, out.len() as u64));
            }
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    out.extend_from_slice(&buf[..i]);
                    self.consume(i + 1);
                    return Ok(Cow::Owned(out));
                }
                None => {
                    let n = buf.len();
                    out.extend_from_slice(buf);
                    self.consume(n);
                }
            }
        }
    }

    fn frame(&mut self, len: u64) -> Result<()> {
        // The frame starts here: bytes still unread in the current frame
        // buffer come first, then the reader's.
        let mut frame = self.frame.split_off(self.frame_pos);
        self.frame.clear();
        self.frame_pos = 0;
        let mut left = len.saturating_sub(frame.len() as u64);
        while left > 0 {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                self.frame = frame;
                return Err(truncated("FRAME", len, len - left));
            }
            let take = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            frame.extend_from_slice(&buf[..take]);
            self.reader.consume(take);
            left -= take as u64;
        }
        self.frame = frame;
        Ok(())
    }
}
