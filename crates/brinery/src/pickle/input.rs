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
fn truncated(what: &'static str, needed: u64, available: u64, _at: u64) -> Error {
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

    #[inline]
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        match self.data.get(self.pos..self.pos + N) {
            Some(s) => {
                self.pos += N;
                Ok(s.try_into().unwrap())
            }
            None => Err(truncated(what, N as u64, (self.data.len() - self.pos) as u64, self.pos as u64)),
        }
    }

    #[inline]
    fn data(&mut self, n: u64, what: &'static str) -> Result<Cow<'a, [u8]>> {
        let left = (self.data.len() - self.pos) as u64;
        if n > left {
            return Err(truncated(what, n, left, self.pos as u64));
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
            None => Err(truncated(what, rest.len() as u64 + 1, rest.len() as u64, self.pos as u64)),
        }
    }

    fn frame(&mut self, len: u64) -> Result<()> {
        let left = (self.data.len() - self.pos) as u64;
        if len > left {
            return Err(truncated("FRAME", len, left, self.pos as u64));
        }
        Ok(())
    }
}

/// Reads from a buffered reader, consuming exactly what the pickle occupies.
pub(crate) struct ReaderInput<R> {
    reader: R,
    pos: u64,
}

impl<R: BufRead> ReaderInput<R> {
    pub(crate) fn new(reader: R) -> Self {
        ReaderInput { reader, pos: 0 }
    }

    /// Fills `out` completely or reports how much was there.
    fn fill(&mut self, out: &mut [u8], what: &'static str) -> Result<()> {
        let mut done = 0;
        while done < out.len() {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Err(truncated(what, (out.len() - done) as u64, 0, self.pos + done as u64));
            }
            let n = buf.len().min(out.len() - done);
            out[done..done + n].copy_from_slice(&buf[..n]);
            self.reader.consume(n);
            done += n;
        }
        self.pos += out.len() as u64;
        Ok(())
    }
}

/// Payloads are read in chunks of at most this size, so a length field that
/// promises more than the input holds cannot make us allocate it up front.
const CHUNK: u64 = 1 << 20;

impl<'a, R: BufRead> Input<'a> for ReaderInput<R> {
    fn offset(&self) -> u64 {
        self.pos
    }

    fn next_byte(&mut self) -> Result<Option<u8>> {
        let buf = self.reader.fill_buf()?;
        match buf.first().copied() {
            Some(b) => {
                self.reader.consume(1);
                self.pos += 1;
                Ok(Some(b))
            }
            None => Ok(None),
        }
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        self.fill(&mut out, what)?;
        Ok(out)
    }

    fn data(&mut self, n: u64, what: &'static str) -> Result<Cow<'a, [u8]>> {
        let mut out = Vec::with_capacity(n.min(CHUNK) as usize);
        let start = self.pos;
        while (out.len() as u64) < n {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Err(truncated(what, n, out.len() as u64, start));
            }
            let take = buf.len().min((n - out.len() as u64).min(usize::MAX as u64) as usize);
            out.extend_from_slice(&buf[..take]);
            self.reader.consume(take);
            self.pos += take as u64;
        }
        Ok(Cow::Owned(out))
    }

    fn line(&mut self, what: &'static str) -> Result<Cow<'a, [u8]>> {
        let mut out = Vec::new();
        let n = self.reader.read_until(b'\n', &mut out)?;
        self.pos += n as u64;
        if out.last() != Some(&b'\n') {
            return Err(truncated(what, out.len() as u64 + 1, out.len() as u64, self.pos - n as u64));
        }
        out.pop();
        Ok(Cow::Owned(out))
    }

    fn frame(&mut self, _len: u64) -> Result<()> {
        // Frame contents are read as the opcodes inside ask for them; a short
        // frame surfaces as truncation of the opcode that runs out.
        Ok(())
    }
}
