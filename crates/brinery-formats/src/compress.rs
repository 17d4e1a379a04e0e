//! The compressed streams joblib writes (`joblib.dump(..., compress=...)`),
//! detected by magic bytes as joblib's own `_detect_compressor` does, and
//! decompressed with a size and ratio limit.

use crate::{Error, Limits};
use std::io::Read;

/// A compression codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// zlib (`compress='zlib'`, joblib's default codec).
    Zlib,
    /// gzip.
    Gzip,
    /// bzip2.
    Bz2,
    /// xz.
    Xz,
    /// Legacy `.lzma` (LZMA "alone").
    Lzma,
    /// LZ4 frame.
    Lz4,
}

impl Codec {
    /// Detects a codec from the first bytes.
    ///
    /// ```
    /// use brinery_formats::compress::Codec;
    /// assert_eq!(Codec::sniff(b"\x78\x9c..."), Some(Codec::Zlib));
    /// assert_eq!(Codec::sniff(b"\x04\x22\x4d\x18"), Some(Codec::Lz4));
    /// assert_eq!(Codec::sniff(b"\x80\x04"), None);
    /// ```
    pub fn sniff(data: &[u8]) -> Option<Codec> {
        match data {
            [0x1f, 0x8b, ..] => Some(Codec::Gzip),
            [b'B', b'Z', b'h', ..] => Some(Codec::Bz2),
            [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Some(Codec::Xz),
            [0x04, 0x22, 0x4d, 0x18, ..] => Some(Codec::Lz4),
            // zlib: CMF says deflate with a window ≤ 32K, and the header checksum holds.
            [cmf, flg, ..]
                if cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0 =>
            {
                Some(Codec::Zlib)
            }
            // LZMA alone: properties byte 0x5d and a dictionary size that is a power of two (joblib's check).
            [0x5d, 0x00, 0x00, ..] => Some(Codec::Lzma),
            _ => None,
        }
    }

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zlib => "zlib",
            Codec::Gzip => "gzip",
            Codec::Bz2 => "bz2",
            Codec::Xz => "xz",
            Codec::Lzma => "lzma",
            Codec::Lz4 => "lz4",
        }
    }
}

/// Reads `reader` to the end, failing once the output passes the limits.
pub fn read_limited(
    mut reader: impl Read,
    input_len: u64,
    limits: &Limits,
    codec: &'static str,
) -> Result<Vec<u8>, Error> {
    let cap = limits.max_output.min(input_len.saturating_mul(limits.max_ratio).max(1 << 20));
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut chunk).map_err(|e| Error::Codec { codec, message: e.to_string() })?;
        if n == 0 {
            return Ok(out);
        }
        if out.len() as u64 + n as u64 > cap {
            let limit = if cap == limits.max_output { "max_output" } else { "max_ratio" };
            let max = if cap == limits.max_output { limits.max_output } else { limits.max_ratio };
            return Err(Error::TooLarge { limit, max });
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

/// Decompresses a whole stream.
///
/// ```
/// use brinery_formats::{compress::{decompress, Codec}, Limits};
/// use std::io::Write;
/// let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// enc.write_all(b"\x80\x04K\x01.").unwrap();
/// let gz = enc.finish().unwrap();
/// assert_eq!(decompress(Codec::Gzip, &gz, &Limits::default()).unwrap(), b"\x80\x04K\x01.");
/// ```
pub fn decompress(codec: Codec, data: &[u8], limits: &Limits) -> Result<Vec<u8>, Error> {
    let n = data.len() as u64;
    match codec {
        Codec::Zlib => read_limited(flate2::read::ZlibDecoder::new(data), n, limits, "zlib"),
        Codec::Gzip => read_limited(flate2::read::MultiGzDecoder::new(data), n, limits, "gzip"),
        Codec::Bz2 => read_limited(bzip2::read::MultiBzDecoder::new(data), n, limits, "bz2"),
        Codec::Lz4 => read_limited(lz4_flex::frame::FrameDecoder::new(data), n, limits, "lz4"),
        Codec::Xz | Codec::Lzma => {
            let name = codec.name();
            let mut out = LimitedWriter {
                out: Vec::new(),
                cap: limits.max_output.min(n.saturating_mul(limits.max_ratio).max(1 << 20)),
            };
            let mut input = std::io::BufReader::new(data);
            let result = if codec == Codec::Xz {
                lzma_rs::xz_decompress(&mut input, &mut out)
            } else {
                lzma_rs::lzma_decompress(&mut input, &mut out)
            };
            match result {
                Ok(()) => Ok(out.out),
                Err(_) if out.out.len() as u64 >= out.cap => Err(Error::TooLarge { limit: "max_output", max: out.cap }),
                Err(e) => Err(Error::Codec { codec: name, message: e.to_string() }),
            }
        }
    }
}

/// A writer that refuses to grow past `cap` (lzma-rs writes into a `Write`).
struct LimitedWriter {
    out: Vec<u8>,
    cap: u64,
}

impl std::io::Write for LimitedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() as u64 + buf.len() as u64 > self.cap {
            return Err(std::io::Error::other("decompressed size limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn zlib_round_trip_and_ratio_limit() {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&vec![0u8; 4 << 20]).unwrap();
        let z = enc.finish().unwrap();
        assert_eq!(Codec::sniff(&z), Some(Codec::Zlib));
        let limits = Limits { max_ratio: 10, ..Limits::default() };
        assert!(matches!(decompress(Codec::Zlib, &z, &limits), Err(Error::TooLarge { .. })));
        assert_eq!(decompress(Codec::Zlib, &z, &Limits::default()).unwrap().len(), 4 << 20);
    }
}
