//! ZIP archives, read the way PyTorch (`PyTorchStreamReader`, miniz) and
//! Python's `zipfile` read them.
//!
//! The entry list comes from the central directory: the `zip` crate's when it
//! accepts the archive, otherwise this module's own reading of the end record
//! and the central directory. Each member's data is then located through its
//! local header and read here, so archives those loaders accept but strict
//! readers reject — a local name that differs from the central one (PyTorch
//! reads it, `zipfile` refuses), odd flag bits, a wrong CRC (PyTorch does not
//! check it) — still give their data, and each oddity is reported as an
//! anomaly. Local headers that no central entry points at are listed too
//! (`hidden`): another reader of the same bytes may see them.
//!
//! ```
//! use brinery_formats::{zip, Limits};
//! // A one-member archive, stored: `a.pkl` holding `K\x01.`.
//! let mut w = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
//! let opts = ::zip::write::SimpleFileOptions::default().compression_method(::zip::CompressionMethod::Stored);
//! w.start_file("a.pkl", opts).unwrap();
//! std::io::Write::write_all(&mut w, b"K\x01.").unwrap();
//! let bytes = w.finish().unwrap().into_inner();
//! let archive = zip::read(&bytes, &Limits::default()).unwrap();
//! assert_eq!(archive.members[0].name, "a.pkl");
//! assert_eq!(&*archive.members[0].data(&bytes, &Limits::default()).unwrap(), b"K\x01.");
//! assert!(archive.anomalies.is_empty());
//! ```

use crate::{Error, Limits};
use std::borrow::Cow;

/// One entry of the archive.
#[derive(Clone, Debug)]
pub struct Member {
    /// The name in the central directory (what PyTorch and `zipfile` look up).
    pub name: String,
    /// Offset of the local header.
    pub header_offset: u64,
    /// Compression method (0 stored, 8 deflate, 12 bzip2, 14 lzma).
    pub method: u16,
    /// General-purpose flag bits.
    pub flags: u16,
    /// Compressed size.
    pub compressed_size: u64,
    /// Uncompressed size.
    pub size: u64,
    /// The CRC-32 the central directory declares.
    pub crc32: u32,
    /// Found only by its local header (no central entry points at it).
    pub hidden: bool,
    /// What is odd about this member.
    pub anomalies: Vec<String>,
    data_offset: Option<u64>,
}

/// An archive's members and what is odd about it as a whole.
#[derive(Clone, Debug, Default)]
pub struct Archive {
    /// Members, central directory order, then hidden ones.
    pub members: Vec<Member>,
    /// Archive-level oddities.
    pub anomalies: Vec<String>,
    /// Bytes [`read`] searched for local headers no directory entry lists:
    /// everything but the listed members' data (so, with the directory
    /// itself, the work of reading the archive beyond its members).
    pub swept: u64,
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    d.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap()))
}

fn malformed(what: impl Into<String>, offset: u64) -> Error {
    Error::Malformed { what: what.into(), offset }
}

/// Lists the members of the archive in `data` from its central directory
/// alone, the way PyTorch and `zipfile` look members up: no local header is
/// read until a member's [`data`](Member::data) is, and nothing is checked
/// beyond the directory (use [`read`] for that). Listing a checkpoint this way
/// touches only the end of the file, not one page per member.
///
/// ```
/// use brinery_formats::{zip, Limits};
/// let mut w = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
/// let opts = ::zip::write::SimpleFileOptions::default().compression_method(::zip::CompressionMethod::Stored);
/// w.start_file("a/data.pkl", opts).unwrap();
/// std::io::Write::write_all(&mut w, b"K\x01.").unwrap();
/// let bytes = w.finish().unwrap().into_inner();
/// let archive = zip::read_directory(&bytes, &Limits::default()).unwrap();
/// assert_eq!(archive.members[0].name, "a/data.pkl");
/// assert_eq!(&*archive.members[0].data(&bytes, &Limits::default()).unwrap(), b"K\x01.");
/// ```
pub fn read_directory(data: &[u8], limits: &Limits) -> Result<Archive, Error> {
    Ok(Archive { members: central_directory(data, limits)?, ..Archive::default() })
}

/// Lists the members of the archive in `data`, reading every local header
/// and looking for hidden ones between them (what a scanner needs).
pub fn read(data: &[u8], limits: &Limits) -> Result<Archive, Error> {
    let mut archive = Archive::default();
    match ::zip::ZipArchive::new(std::io::Cursor::new(data)) {
        Ok(mut z) => {
            if z.len() > limits.max_members {
                return Err(Error::TooManyMembers { max: limits.max_members });
            }
            for i in 0..z.len() {
                match z.by_index_raw(i) {
                    Ok(f) => archive.members.push(Member {
                        name: String::from_utf8_lossy(f.name_raw()).into_owned(),
                        header_offset: f.header_start(),
                        method: compression_code(f.compression()),
                        flags: 0,
                        compressed_size: f.compressed_size(),
                        size: f.size(),
                        crc32: f.crc32(),
                        hidden: false,
                        anomalies: Vec::new(),
                        data_offset: None,
                    }),
                    Err(e) => archive.anomalies.push(format!("entry {i}: the zip crate refuses it ({e})")),
                }
            }
            // The crate gives neither the flag bits nor methods it was built without: read them ourselves.
            // Matched by local header offset through a map (the first entry
            // wins, as a search would): a search per member was quadratic.
            if let Ok(own) = central_directory(data, limits) {
                let mut by_offset = std::collections::HashMap::with_capacity(own.len());
                for o in &own {
                    by_offset.entry(o.header_offset).or_insert((o.flags, o.method));
                }
                for m in &mut archive.members {
                    if let Some(&(flags, method)) = by_offset.get(&m.header_offset) {
                        m.flags = flags;
                        m.method = method;
                    }
                }
            }
        }
        Err(e) => {
            archive
                .anomalies
                .push(format!("strict ZIP readers reject this archive ({e}); read from its central directory"));
            archive.members = central_directory(data, limits)?;
        }
    }
    for m in &mut archive.members {
        check_local_header(data, m);
    }
    find_hidden(data, &mut archive, limits)?;
    Ok(archive)
}

fn compression_code(c: ::zip::CompressionMethod) -> u16 {
    // Methods the crate was built without are refined from our own reading of the directory.
    match c {
        ::zip::CompressionMethod::Stored => 0,
        ::zip::CompressionMethod::Deflated => 8,
        _ => u16::MAX,
    }
}

/// Reads the end-of-central-directory record (the last one, as `zipfile`
/// does) and the entries it lists. ZIP64 end records are followed.
fn central_directory(data: &[u8], limits: &Limits) -> Result<Vec<Member>, Error> {
    let search_from = data.len().saturating_sub(22 + 65535);
    let eocd = (search_from..data.len().saturating_sub(21))
        .rev()
        .find(|&i| data[i..].starts_with(b"PK\x05\x06"))
        .ok_or_else(|| malformed("no end-of-central-directory record", data.len() as u64))?;
    let mut count = u16_at(data, eocd + 10).unwrap_or(0) as u64;
    let mut cd_size = u32_at(data, eocd + 12).unwrap_or(0) as u64;
    let mut cd_offset = u32_at(data, eocd + 16).unwrap_or(0) as u64;
    // ZIP64: a 20-byte locator just before the end record, and the 56-byte
    // ZIP64 end record just before that (where zipfile looks for it).
    let mut directory_end = eocd;
    if eocd >= 76 && data[eocd - 20..].starts_with(b"PK\x06\x07") {
        let rec = eocd - 76;
        if data[rec..].starts_with(b"PK\x06\x06") {
            count = u64_at(data, rec + 32).unwrap_or(count);
            cd_size = u64_at(data, rec + 40).unwrap_or(cd_size);
            cd_offset = u64_at(data, rec + 48).unwrap_or(cd_offset);
            directory_end = rec;
        }
    }
    // Data prepended to the archive shifts every offset (zipfile's "concat").
    let concat = (directory_end as u64).saturating_sub(cd_offset.saturating_add(cd_size));
    let mut at = cd_offset.saturating_add(concat) as usize;
    if count > limits.max_members as u64 {
        return Err(Error::TooManyMembers { max: limits.max_members });
    }
    let mut members = Vec::new();
    for _ in 0..count {
        if !data.get(at..).is_some_and(|d| d.starts_with(b"PK\x01\x02")) {
            return Err(malformed("bad central directory entry", at as u64));
        }
        let field = |o: usize| u16_at(data, at + o).unwrap_or(0);
        let (flags, method) = (field(8), field(10));
        let crc32 = u32_at(data, at + 16).unwrap_or(0);
        let (mut csize, mut size) =
            (u32_at(data, at + 20).unwrap_or(0) as u64, u32_at(data, at + 24).unwrap_or(0) as u64);
        let (nlen, xlen, clen) = (field(28) as usize, field(30) as usize, field(32) as usize);
        let mut header = u32_at(data, at + 42).unwrap_or(0) as u64;
        let name =
            data.get(at + 46..at + 46 + nlen).ok_or_else(|| malformed("truncated central directory", at as u64))?;
        let extra = data.get(at + 46 + nlen..at + 46 + nlen + xlen).unwrap_or(&[]);
        // ZIP64 extra field: the 0xffffffff fields, in order.
        let mut x = 0;
        while x + 4 <= extra.len() {
            let (id, len) = (u16_at(extra, x).unwrap_or(0), u16_at(extra, x + 2).unwrap_or(0) as usize);
            if id == 1 {
                let mut p = x + 4;
                for v in [&mut size, &mut csize, &mut header] {
                    if *v == 0xffff_ffff {
                        if let Some(n) = u64_at(extra, p) {
                            *v = n;
                        }
                        p += 8;
                    }
                }
            }
            x += 4 + len;
        }
        members.push(Member {
            name: String::from_utf8_lossy(name).into_owned(),
            header_offset: header + concat,
            method,
            flags,
            compressed_size: csize,
            size,
            crc32,
            hidden: false,
            anomalies: Vec::new(),
            data_offset: None,
        });
        at += 46 + nlen + xlen + clen;
    }
    Ok(members)
}

/// Reads a member's local header: where its data starts, and whether the
/// header agrees with the central directory.
fn check_local_header(data: &[u8], m: &mut Member) {
    let at = m.header_offset as usize;
    if !data.get(at..).is_some_and(|d| d.starts_with(b"PK\x03\x04")) {
        m.anomalies.push(format!("no local header at byte {at}"));
        return;
    }
    let nlen = u16_at(data, at + 26).unwrap_or(0) as usize;
    let local_name = data.get(at + 30..at + 30 + nlen).unwrap_or(&[]);
    if local_name != m.name.as_bytes() && !m.hidden {
        m.anomalies.push(format!(
            "local header names it {:?}, the central directory {:?} (zipfile refuses this, PyTorch reads it)",
            String::from_utf8_lossy(local_name),
            m.name
        ));
    }
    let local_flags = u16_at(data, at + 6).unwrap_or(0);
    let odd = (local_flags | m.flags) & !0x0808 & !0x0006;
    if odd != 0 {
        m.anomalies.push(format!("unusual flag bits {odd:#06x}"));
    }
    if local_flags & 1 != 0 || m.flags & 1 != 0 {
        m.anomalies.push("marked encrypted (most readers refuse it; PyTorch ignores the bit)".to_string());
    }
    m.data_offset = local_data_start(data, m.header_offset);
}

/// Where a member's data starts, from its local header at `header_offset`.
fn local_data_start(data: &[u8], header_offset: u64) -> Option<u64> {
    let at = usize::try_from(header_offset).ok()?;
    if !data.get(at..)?.starts_with(b"PK\x03\x04") {
        return None;
    }
    let (nlen, xlen) = (u16_at(data, at + 26)? as u64, u16_at(data, at + 28)? as u64);
    Some(header_offset + 30 + nlen + xlen)
}

/// Local headers no central entry points at. The sweep jumps over the data
/// of listed members, so a checkpoint's tensor bytes are never read.
fn find_hidden(data: &[u8], archive: &mut Archive, limits: &Limits) -> Result<(), Error> {
    let known: std::collections::HashSet<u64> = archive.members.iter().map(|m| m.header_offset).collect();
    let mut skips: Vec<(usize, usize)> = archive
        .members
        .iter()
        .filter_map(|m| {
            let start = usize::try_from(m.data_offset?).ok()?;
            Some((start, start.saturating_add(usize::try_from(m.compressed_size).unwrap_or(usize::MAX))))
        })
        .collect();
    skips.sort_unstable();
    let mut skip = 0;
    let mut at = 0;
    while at + 4 <= data.len() {
        while skip < skips.len() && skips[skip].1 <= at {
            skip += 1;
        }
        let segment_end = match skips.get(skip) {
            Some(&(start, end)) if start <= at => {
                at = end;
                continue;
            }
            Some(&(start, _)) => start.min(data.len()),
            None => data.len(),
        };
        // Search up to 3 bytes past the segment so a signature that starts in it is whole.
        let end = segment_end.max(at);
        let searched = &data[at..(end + 3).min(data.len())];
        let Some(pos) = searched.windows(4).position(|w| w == b"PK\x03\x04") else {
            archive.swept += searched.len() as u64;
            at = end;
            continue;
        };
        archive.swept += pos as u64 + 4;
        let off = at + pos;
        at = off + 4;
        if known.contains(&(off as u64)) {
            continue;
        }
        if archive.members.len() >= limits.max_members {
            return Err(Error::TooManyMembers { max: limits.max_members });
        }
        let Some(nlen) = u16_at(data, off + 26) else { break };
        let name = data.get(off + 30..off + 30 + nlen as usize).unwrap_or(&[]);
        let mut m = Member {
            name: String::from_utf8_lossy(name).into_owned(),
            header_offset: off as u64,
            method: u16_at(data, off + 8).unwrap_or(0),
            flags: u16_at(data, off + 6).unwrap_or(0),
            compressed_size: u32_at(data, off + 18).unwrap_or(0) as u64,
            size: u32_at(data, off + 22).unwrap_or(0) as u64,
            crc32: u32_at(data, off + 14).unwrap_or(0),
            hidden: true,
            anomalies: vec![format!("local header at byte {off} that no central directory entry lists")],
            data_offset: None,
        };
        check_local_header(data, &mut m);
        archive.members.push(m);
    }
    Ok(())
}

impl Member {
    /// The member's uncompressed bytes (borrowed when stored). A CRC
    /// mismatch is not an error here (PyTorch does not check it): it is
    /// added to [`anomalies`](Member::anomalies) by [`Member::check_crc`].
    pub fn data<'d>(&self, data: &'d [u8], limits: &Limits) -> Result<Cow<'d, [u8]>, Error> {
        let start = self
            .data_offset
            .or_else(|| local_data_start(data, self.header_offset))
            .and_then(|start| usize::try_from(start).ok())
            .ok_or_else(|| malformed("member has no readable local header", self.header_offset))?;
        let end = start.saturating_add(self.compressed_size as usize).min(data.len());
        let raw = data.get(start..end).ok_or_else(|| malformed("member data beyond the end", start as u64))?;
        match self.method {
            0 => Ok(Cow::Borrowed(&data[start..start.saturating_add(self.size as usize).min(data.len())])),
            8 => crate::compress::read_limited(
                flate2::read::DeflateDecoder::new(raw),
                raw.len() as u64,
                limits,
                "deflate",
            )
            .map(Cow::Owned),
            12 => crate::compress::read_limited(bzip2::read::BzDecoder::new(raw), raw.len() as u64, limits, "bz2")
                .map(Cow::Owned),
            m => Err(malformed(format!("compression method {m} is not supported"), self.header_offset)),
        }
    }

    /// Compares the data's CRC-32 with the declared one; a mismatch becomes an anomaly.
    pub fn check_crc(&mut self, bytes: &[u8]) {
        let mut h = flate2::Crc::new();
        h.update(bytes);
        if h.sum() != self.crc32 && !self.hidden {
            self.anomalies.push(format!(
                "CRC-32 is {:#010x}, the directory says {:#010x} (zipfile refuses it, PyTorch reads it)",
                h.sum(),
                self.crc32
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive_of(names: &[&str]) -> Vec<u8> {
        let mut w = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = ::zip::write::SimpleFileOptions::default().compression_method(::zip::CompressionMethod::Stored);
        for name in names {
            w.start_file(*name, opts).unwrap();
            std::io::Write::write_all(&mut w, b"K\x01.").unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// An archive with more members than the limit is refused whole, by
    /// every reader: a member past the limit must not go unseen.
    #[test]
    fn more_members_than_the_limit_is_an_error_not_a_partial_listing() {
        let bytes = archive_of(&["a.pkl", "b.pkl", "c.pkl"]);
        let limits = Limits { max_members: 2, ..Limits::default() };
        for result in [read(&bytes, &limits), read_directory(&bytes, &limits)] {
            match result {
                Err(Error::TooManyMembers { max: 2 }) => {}
                other => panic!("expected TooManyMembers, got {other:?}"),
            }
        }
        let exact = Limits { max_members: 3, ..Limits::default() };
        assert_eq!(read(&bytes, &exact).unwrap().members.len(), 3);
        assert_eq!(read_directory(&bytes, &exact).unwrap().members.len(), 3);
    }

    /// A hidden local header that would take the listing past the limit is
    /// refused the same way.
    #[test]
    fn hidden_members_count_toward_the_limit() {
        let bytes = archive_of(&["a.pkl"]);
        // An unlisted copy of the first member (local header, name, 3 data
        // bytes) prepended: the directory is read shifted, as zipfile reads
        // it, and the sweep finds the copy.
        let entry_len = 30 + "a.pkl".len() + 3;
        let mut with_hidden = bytes[..entry_len].to_vec();
        with_hidden.extend_from_slice(&bytes);
        assert_eq!(read(&with_hidden, &Limits::default()).unwrap().members.iter().filter(|m| m.hidden).count(), 1);
        let limits = Limits { max_members: 1, ..Limits::default() };
        assert!(matches!(read(&with_hidden, &limits), Err(Error::TooManyMembers { max: 1 })));
    }
}
