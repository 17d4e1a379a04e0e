//! Options for loading and dumping, mirroring the keyword arguments of
//! Python's `pickle.loads` and `pickle.dumps`.

use super::error::Result;
use crate::value::{Bytes, Str, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// How Python 2 `str` values (STRING, BINSTRING, SHORT_BINSTRING) are decoded:
/// Python's `encoding=` argument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StringEncoding {
    /// `'ASCII'` (Python's default).
    #[default]
    Ascii,
    /// `'latin1'`: every byte is a character (the usual choice for numpy/datetime pickles).
    Latin1,
    /// `'utf-8'`.
    Utf8,
    /// `'bytes'`: keep them as `bytes`.
    Bytes,
    /// Leave them to the sink ([`Sink::py2_string`](super::sink::Sink::py2_string)):
    /// the Python module decodes with any of Python's codecs this way.
    BySink,
}

/// What to do with bytes that cannot be decoded: Python's `errors=` argument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DecodeErrors {
    /// Fail (Python's default).
    #[default]
    Strict,
    /// Replace each bad byte with U+FFFD.
    Replace,
    /// Drop bad bytes.
    Ignore,
    /// Map each bad byte to a lone surrogate U+DC80..U+DCFF.
    SurrogateEscape,
}

impl StringEncoding {
    /// Decodes raw Python 2 string bytes.
    pub(crate) fn decode(self, raw: &[u8], errors: DecodeErrors) -> std::result::Result<Str<'static>, String> {
        let name = match self {
            StringEncoding::Latin1 => return Ok(Str::from_code_points(raw.iter().map(|&b| b as u32))),
            StringEncoding::Bytes | StringEncoding::BySink => unreachable!("the machine does not decode these"),
            StringEncoding::Ascii => "ascii",
            StringEncoding::Utf8 => "utf-8",
        };
        let mut points = Vec::with_capacity(raw.len());
        let mut rest = raw;
        let mut offset = 0;
        loop {
            let bad = self.first_invalid(rest);
            let good = bad.map_or(rest.len(), |(i, _)| i);
            points.extend(std::str::from_utf8(&rest[..good]).expect("validated prefix").chars().map(|c| c as u32));
            let Some((i, len)) = bad else { break };
            match errors {
                DecodeErrors::Strict => {
                    return Err(format!("'{name}' codec can't decode byte {:#04x} in position {}", rest[i], offset + i))
                }
                DecodeErrors::Replace => points.push(0xFFFD),
                DecodeErrors::Ignore => {}
                DecodeErrors::SurrogateEscape => points.extend(rest[i..i + len].iter().map(|&b| 0xDC00 + b as u32)),
            }
            rest = &rest[i + len..];
            offset += i + len;
        }
        Ok(Str::from_code_points(points))
    }

    /// Position and length of the first undecodable sequence, if any.
    fn first_invalid(self, raw: &[u8]) -> Option<(usize, usize)> {
        match self {
            StringEncoding::Ascii => raw.iter().position(|&b| b >= 0x80).map(|i| (i, 1)),
            _ => match std::str::from_utf8(raw) {
                Ok(_) => None,
                Err(e) => Some((e.valid_up_to(), e.error_len().unwrap_or(raw.len() - e.valid_up_to()))),
            },
        }
    }
}

/// What to do with bytes after the STOP opcode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrailingData {
    /// Fail with [`ErrorKind::TrailingData`](super::ErrorKind::TrailingData) (the default:
    /// nothing the input held is silently dropped).
    #[default]
    Reject,
    /// Ignore them, as Python's `pickle.loads` does.
    Ignore,
}

/// Resource limits: defaults real data never reaches; raise them for unusual input.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Deepest nesting of containers and objects (the loaded graph, and
    /// anything that walks it recursively). Default 1000, Python's recursion limit.
    pub max_depth: usize,
    /// Most decimal digits in a text INT/LONG (Python's `sys.get_int_max_str_digits()`, 4300).
    pub max_int_digits: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 1000, max_int_digits: 4300 }
    }
}

/// Hook for persistent ids: given the pid, returns the object it stands for
/// (Python's `Unpickler.persistent_load`).
pub type PersistentLoad = Arc<dyn Fn(&Value<'_>) -> std::result::Result<Value<'static>, String> + Send + Sync>;

/// Options for [`loads`](super::loads) and [`load`](super::load).
///
/// ```
/// use brinery::pickle::{LoadOptions, StringEncoding};
/// let opts = LoadOptions { encoding: StringEncoding::Latin1, ..Default::default() };
/// assert!(opts.fix_imports);
/// ```
#[derive(Clone)]
pub struct LoadOptions {
    /// Map Python 2 module names to Python 3 ones for protocols < 3 (default on).
    pub fix_imports: bool,
    /// How Python 2 strings are decoded.
    pub encoding: StringEncoding,
    /// What to do with undecodable bytes in Python 2 strings.
    pub errors: DecodeErrors,
    /// Out-of-band buffers for NEXT_BUFFER, in order (Python's `buffers=`).
    /// Without them, NEXT_BUFFER yields a placeholder [`Buffer`](crate::value::Buffer) with no data.
    pub buffers: Option<Vec<Bytes<'static>>>,
    /// Resolves persistent ids. Without it, they load as
    /// [`Constructor::Persistent`](crate::value::Constructor::Persistent) objects.
    pub persistent_load: Option<PersistentLoad>,
    /// The extension registry for EXT1/EXT2/EXT4: code → (module, name)
    /// (Python's `copyreg.add_extension`).
    pub extensions: Option<Arc<HashMap<i64, (String, String)>>>,
    /// What to do with bytes after STOP.
    pub trailing_data: TrailingData,
    /// Resource limits.
    pub limits: Limits,
}

impl Default for LoadOptions {
    /// Python's defaults (`fix_imports=True`, `encoding='ASCII'`, `errors='strict'`),
    /// rejecting trailing data.
    fn default() -> Self {
        LoadOptions {
            fix_imports: true,
            encoding: StringEncoding::default(),
            errors: DecodeErrors::default(),
            buffers: None,
            persistent_load: None,
            extensions: None,
            trailing_data: TrailingData::default(),
            limits: Limits::default(),
        }
    }
}

impl std::fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("fix_imports", &self.fix_imports)
            .field("encoding", &self.encoding)
            .field("errors", &self.errors)
            .field("buffers", &self.buffers.as_ref().map(Vec::len))
            .field("persistent_load", &self.persistent_load.is_some())
            .field("extensions", &self.extensions)
            .field("trailing_data", &self.trailing_data)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Maps an object to a persistent id, or `None` to pickle it normally
/// (Python's `Pickler.persistent_id`).
pub type PersistentId = Arc<dyn Fn(&Value<'_>) -> Option<Value<'static>> + Send + Sync>;

/// Options for [`dumps`](super::dumps) and [`dump`](super::dump).
#[derive(Clone)]
pub struct DumpOptions {
    /// Protocol 0–5. Default 5, the highest (CPython 3.14's default; 3.8–3.13 default to 4).
    pub protocol: u8,
    /// Map Python 3 module names to Python 2 ones for protocols < 3 (default on).
    pub fix_imports: bool,
    /// Write protocol-5 buffers out of band: each [`Buffer`](crate::value::Buffer)
    /// becomes NEXT_BUFFER and its bytes are returned separately (see
    /// [`dumps_with_buffers`](super::dumps_with_buffers)). Off: buffers are written in band.
    pub out_of_band: bool,
    /// Gives objects a persistent id instead of pickling them.
    pub persistent_id: Option<PersistentId>,
    /// The extension registry: globals listed here are written as EXT1/EXT2/EXT4
    /// codes at protocol ≥ 2 (Python's `copyreg.add_extension`).
    pub extensions: Option<Arc<HashMap<(String, String), i64>>>,
    /// Most decimal digits of an int written as text (LONG at protocols 0
    /// and 1): CPython's `sys.get_int_max_str_digits()`, 4300, under which
    /// `pickle.dumps` refuses what `pickle.loads` would refuse to read back.
    /// 0 means no limit (as in CPython).
    pub max_int_digits: usize,
}

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions {
            protocol: 5,
            fix_imports: true,
            out_of_band: false,
            persistent_id: None,
            extensions: None,
            max_int_digits: 4300,
        }
    }
}

impl std::fmt::Debug for DumpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DumpOptions")
            .field("protocol", &self.protocol)
            .field("fix_imports", &self.fix_imports)
            .field("out_of_band", &self.out_of_band)
            .field("persistent_id", &self.persistent_id.is_some())
            .field("extensions", &self.extensions)
            .field("max_int_digits", &self.max_int_digits)
            .finish()
    }
}

impl DumpOptions {
    /// Default options at a given protocol.
    pub fn protocol(protocol: u8) -> Self {
        DumpOptions { protocol, ..Default::default() }
    }
}

pub(crate) fn check_protocol(p: u8) -> Result<()> {
    if p > 5 {
        return Err(super::error::Error::new(super::error::ErrorKind::UnsupportedProtocol(p)));
    }
    Ok(())
}
