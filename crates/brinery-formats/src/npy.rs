//! numpy `.npy` headers. An array whose dtype holds Python objects is stored
//! as a pickle right after the header (`numpy.lib.format.write_array`), and
//! `numpy.load(..., allow_pickle=True)` unpickles it.
//!
//! ```
//! use brinery_formats::npy;
//! let mut f = b"\x93NUMPY\x01\x00".to_vec();
//! let header = b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }          \n";
//! f.extend_from_slice(&(header.len() as u16).to_le_bytes());
//! f.extend_from_slice(header);
//! f.extend_from_slice(b"\x80\x02]q\x00.");
//! let h = npy::parse(&f).unwrap();
//! assert!(h.has_object);
//! assert_eq!(&f[h.data_offset..], b"\x80\x02]q\x00.");
//! ```

use crate::Error;

/// The magic string every `.npy` file starts with.
pub const MAGIC: &[u8] = b"\x93NUMPY";

/// What the header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format version (major, minor).
    pub version: (u8, u8),
    /// The `descr` entry as written (a dtype string or a list of fields).
    pub descr: String,
    /// Whether the dtype holds Python objects (the data is then a pickle).
    pub has_object: bool,
    /// Where the array data starts.
    pub data_offset: usize,
}

/// Parses the header at the start of `data`.
pub fn parse(data: &[u8]) -> Result<Header, Error> {
    let bad = |what: &str, offset: usize| Error::Malformed { what: what.to_string(), offset: offset as u64 };
    if !data.starts_with(MAGIC) || data.len() < 10 {
        return Err(bad("not an .npy file", 0));
    }
    let version = (data[6], data[7]);
    let (len, start): (usize, usize) = match version.0 {
        1 => (u16::from_le_bytes([data[8], data[9]]) as usize, 10),
        2 | 3 => {
            let b = data.get(8..12).ok_or_else(|| bad("truncated header length", 8))?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        _ => return Err(bad("unsupported .npy version", 6)),
    };
    let text = data.get(start..start.saturating_add(len)).ok_or_else(|| bad("truncated header", start))?;
    let text = String::from_utf8_lossy(text);
    let descr = descr_of(&text).ok_or_else(|| bad("header has no 'descr'", start))?;
    let has_object = descr.as_bytes().windows(2).any(|w| w[1] == b'O' && b"'\"|<>=".contains(&w[0]));
    Ok(Header { version, descr, has_object, data_offset: start + len })
}

/// The text of the `'descr'` value: a quoted string, or a bracketed field list.
fn descr_of(header: &str) -> Option<String> {
    let at = header.find("'descr'")? + "'descr'".len();
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = match rest.chars().next()? {
        q @ ('\'' | '"') => rest[1..].find(q)? + 2,
        '[' => {
            let mut depth = 0i32;
            let mut end = None;
            for (i, c) in rest.char_indices() {
                match c {
                    '[' | '(' => depth += 1,
                    ']' | ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            end?
        }
        _ => return None,
    };
    Some(rest[..end].to_string())
}
