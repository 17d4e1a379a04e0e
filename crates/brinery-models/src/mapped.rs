//! Files mapped into memory, so that loading a checkpoint reads only the
//! pages it looks at: tensor data stays on disk until it is touched.

use crate::{Error, Result};
use std::ops::Deref;
use std::path::Path;

/// A read-only memory map of a whole file (an empty file maps to no bytes).
///
/// ```
/// # let dir = std::env::temp_dir().join("brinery-mapped-doc");
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("x.bin");
/// std::fs::write(&path, b"\x80\x04N.").unwrap();
/// let file = brinery_models::MappedFile::open(&path).unwrap();
/// assert_eq!(&file[..], b"\x80\x04N.");
/// ```
pub struct MappedFile {
    map: Option<memmap2::Mmap>,
}

impl MappedFile {
    /// Maps `path` read-only.
    pub fn open(path: impl AsRef<Path>) -> Result<MappedFile> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        if file.metadata().map_err(io)?.len() == 0 {
            return Ok(MappedFile { map: None });
        }
        // SAFETY: the map is read-only. If another process truncates or
        // rewrites the file while it is mapped, reads may see the new bytes or
        // fault (SIGBUS); every parser here treats the bytes as untrusted, so
        // changed bytes give an error, not undefined behaviour in our code.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        Ok(MappedFile { map: Some(map) })
    }
}

impl Deref for MappedFile {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }
}
