//! A Python file object as a `BufRead` for the machine, consuming exactly
//! the pickle's bytes like CPython's unpickler: with `peek` (buffered
//! files) it looks ahead and `read`s only what was used; without it, it
//! reads one byte at a time outside frames.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::io::{self, BufRead, Read};

/// How far to look ahead with `peek` (CPython's `PREFETCH`).
const PREFETCH: usize = 8192 * 16;

pub(crate) struct FileReader<'py> {
    read: Bound<'py, PyAny>,
    peek: Option<Bound<'py, PyAny>>,
    buf: Vec<u8>,
    pos: usize,
    /// Bytes of a peeked `buf` already used but not yet `read` from the file.
    unread: usize,
    /// The Python exception behind the last I/O error, re-raised as is.
    pub(crate) error: Option<PyErr>,
}

impl<'py> FileReader<'py> {
    pub(crate) fn new(file: &Bound<'py, PyAny>) -> PyResult<Self> {
        Ok(FileReader {
            read: file.getattr("read")?,
            peek: file.getattr_opt("peek")?,
            buf: Vec::new(),
            pos: 0,
            unread: 0,
            error: None,
        })
    }

    /// Reads from the file what was used of the peeked bytes, so the file
    /// position ends right after the pickle.
    pub(crate) fn settle(&mut self) -> PyResult<()> {
        if self.unread > 0 {
            let n = std::mem::take(&mut self.unread);
            self.read.call1((n,))?;
        }
        Ok(())
    }

    fn fail(&mut self, err: PyErr) -> io::Error {
        let msg = err.to_string();
        self.error = Some(err);
        io::Error::other(msg)
    }
}

impl Read for FileReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for FileReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.buf.len() {
            self.settle().map_err(|e| self.fail(e))?;
            let peeked = match self.peek.clone() {
                Some(peek) => match peek.call1((PREFETCH,)) {
                    Ok(data) => Some(data),
                    // No usable peek after all (CPython drops it the same way).
                    Err(e) if e.is_instance_of::<pyo3::exceptions::PyNotImplementedError>(peek.py()) => {
                        self.peek = None;
                        None
                    }
                    Err(e) => return Err(self.fail(e)),
                },
                None => None,
            };
            let data = match peeked {
                Some(data) => data,
                None => self.read.call1((1,)).map_err(|e| self.fail(e))?,
            };
            self.buf = bytes_like(&data).map_err(|e| self.fail(e))?;
            self.pos = 0;
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
        if self.peek.is_some() {
            self.unread += n;
        }
    }
}

/// What `read`/`peek` returned, as bytes: any bytes-like object, as CPython
/// accepts (a `bytearray` or `memoryview` from a custom file works too).
fn bytes_like(data: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = data.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    match pyo3::buffer::PyBuffer::<u8>::get(data) {
        Ok(buffer) => buffer.to_vec(data.py()),
        Err(_) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "a bytes-like object is required, not '{}'",
            data.get_type().name()?
        ))),
    }
}
