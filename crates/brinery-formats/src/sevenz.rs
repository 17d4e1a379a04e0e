//! 7z archives: every file in them, decompressed with the size limits.
//! Reading is done by `sevenz-rust2` (LZMA/LZMA2, the 7z default; other
//! codecs are reported as errors).
//!
//! ```
//! use brinery_formats::{sevenz, Limits};
//! assert!(sevenz::read(b"not a 7z archive", &Limits::default()).is_err());
//! ```

use crate::{Error, Limits};
use std::io::Read;

/// One file of the archive, decompressed (or why it could not be).
#[derive(Debug)]
pub struct Entry {
    /// Its name in the archive.
    pub name: String,
    /// Its bytes.
    pub data: Result<Vec<u8>, Error>,
}

fn codec_error(e: impl std::fmt::Display) -> Error {
    Error::Codec { codec: "7z", message: e.to_string() }
}

/// Reads every file of the archive in `data`.
pub fn read(data: &[u8], limits: &Limits) -> Result<Vec<Entry>, Error> {
    let mut reader = sevenz_rust2::ArchiveReader::new(std::io::Cursor::new(data), sevenz_rust2::Password::empty())
        .map_err(codec_error)?;
    let mut entries = Vec::new();
    let mut too_many = false;
    let mut total = 0u64;
    let cap = limits.max_output.min((data.len() as u64).saturating_mul(limits.max_ratio).max(1 << 20));
    reader
        .for_each_entries(|entry, rd| {
            if entry.is_directory() {
                return Ok(true);
            }
            if entries.len() >= limits.max_members {
                too_many = true;
                return Ok(false);
            }
            let left = cap.saturating_sub(total);
            let mut buf = Vec::new();
            let got = rd.take(left.saturating_add(1)).read_to_end(&mut buf);
            let data = match got {
                Ok(_) if buf.len() as u64 > left => Err(Error::TooLarge { limit: "max_output", max: cap }),
                Ok(_) => {
                    total += buf.len() as u64;
                    Ok(buf)
                }
                Err(e) => Err(codec_error(e)),
            };
            let stop = matches!(data, Err(Error::TooLarge { .. }));
            entries.push(Entry { name: entry.name().to_string(), data });
            Ok(!stop)
        })
        .map_err(codec_error)?;
    if too_many {
        return Err(Error::TooManyMembers { max: limits.max_members });
    }
    Ok(entries)
}
