//! Containers that hold pickles, read the way the loaders that consume them
//! read them, detected by content (never by file name).
//!
//! - [`zip`]: ZIP archives as PyTorch and Python's `zipfile` read them,
//!   including archives strict readers reject (reported as anomalies);
//! - [`npy`]: numpy `.npy` headers (an object array's data is a pickle);
//! - [`compress`]: the codecs joblib writes (zlib, gzip, bz2, xz, lzma, lz4),
//!   with output limits;
//! - [`sevenz`]: 7z archives.
//!
//! ```
//! use brinery_formats::{sniff, Format};
//! assert_eq!(sniff(b"PK\x03\x04rest"), Format::Zip);
//! assert_eq!(sniff(b"\x93NUMPY\x01\x00"), Format::Npy);
//! assert_eq!(sniff(b"\x1f\x8b\x08"), Format::Compressed(brinery_formats::compress::Codec::Gzip));
//! assert_eq!(sniff(b"\x80\x04\x95"), Format::Other);
//! ```

pub mod compress;
pub mod npy;
pub mod sevenz;
pub mod zip;

/// What a blob of bytes is, judged by its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A ZIP archive (local file header or an empty archive's end record).
    Zip,
    /// A numpy `.npy` file.
    Npy,
    /// A 7z archive.
    SevenZ,
    /// A compressed stream (what joblib writes with `compress=`).
    Compressed(compress::Codec),
    /// Anything else (a pickle, stacked pickles, or not a pickle at all).
    Other,
}

impl Format {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::Npy => "npy",
            Format::SevenZ => "7z",
            Format::Compressed(c) => c.name(),
            Format::Other => "pickle",
        }
    }
}

/// Detects a container by its first bytes.
pub fn sniff(data: &[u8]) -> Format {
    if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        Format::Zip
    } else if data.starts_with(npy::MAGIC) {
        Format::Npy
    } else if data.starts_with(b"7z\xbc\xaf\x27\x1c") {
        Format::SevenZ
    } else if let Some(codec) = compress::Codec::sniff(data) {
        Format::Compressed(codec)
    } else {
        Format::Other
    }
}

/// Limits on what reading a container may allocate.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most bytes one decompressed member or stream may have (default 4 GiB).
    pub max_output: u64,
    /// Most output bytes per input byte once the output is past 1 MiB (default 100 000;
    /// deflate tops out near 1 032, bzip2 goes far higher on zeros).
    pub max_ratio: u64,
    /// Most members in one archive (default 100 000); an archive with more
    /// is refused ([`Error::TooManyMembers`]), not read in part.
    pub max_members: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_output: 4 << 30, max_ratio: 100_000, max_members: 100_000 }
    }
}

/// A container that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not what the format requires.
    #[error("{what} at byte {offset}")]
    Malformed {
        /// What is wrong.
        what: String,
        /// Where.
        offset: u64,
    },
    /// Decompressed output would exceed a limit.
    #[error("decompressed size exceeds the limit: {limit} is {max}")]
    TooLarge {
        /// Which limit (`max_output` or `max_ratio`).
        limit: &'static str,
        /// Its value.
        max: u64,
    },
    /// The archive lists more members than [`Limits::max_members`]: it is
    /// refused whole rather than read in part (a member past the limit
    /// would otherwise go unseen).
    #[error("the archive has more than {max} members (limit max_members)")]
    TooManyMembers {
        /// The limit.
        max: usize,
    },
    /// A codec failed.
    #[error("{codec}: {message}")]
    Codec {
        /// The codec.
        codec: &'static str,
        /// Its message.
        message: String,
    },
}
