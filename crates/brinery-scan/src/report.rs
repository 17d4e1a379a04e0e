//! What a scan finds: globals, calls and anomalies with their offsets, per
//! pickle stream and per file, and the verdict they add up to.

use crate::policy::Class;
use std::fmt;

/// A global CPython's `find_class` would be asked for, after its own name
/// resolution (`fix_imports` mapping below protocol 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalRef {
    /// Module name.
    pub module: String,
    /// Qualified name (dotted at protocol ≥ 4 means an attribute walk).
    pub name: String,
    /// Byte offset of the opcode that asked for it (GLOBAL, STACK_GLOBAL, INST, EXT*).
    pub offset: u64,
    /// That opcode's name.
    pub opcode: &'static str,
    /// Whether CPython resolves `name` by walking attributes (dotted, protocol ≥ 4).
    pub walk: bool,
}

/// What kind of thing a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingKind {
    /// A global imported by the unpickler.
    Global,
    /// Something the unpickler calls: REDUCE, NEWOBJ(_EX), INST, OBJ, BUILD
    /// (`__setstate__`), APPEND(S)/SETITEM(S)/ADDITEMS on a non-builtin object.
    Call,
    /// An EXT opcode (extension registry lookup).
    Extension,
    /// Something about the container or the stream (ZIP header mismatch, bad CRC, corruption).
    Anomaly,
}

impl FindingKind {
    /// Lower-case name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Global => "global",
            FindingKind::Call => "call",
            FindingKind::Extension => "extension",
            FindingKind::Anomaly => "anomaly",
        }
    }
}

/// One reason for a verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// How bad it is.
    pub class: Class,
    /// What it is about.
    pub kind: FindingKind,
    /// Byte offset in the stream (or container) it refers to.
    pub offset: u64,
    /// The opcode at that offset, when there is one.
    pub opcode: Option<&'static str>,
    /// The subject: `os.system`, `os.system('id')`, …
    pub what: String,
    /// Why it got its class.
    pub why: String,
}

/// `dangerous global os.system at byte 2 GLOBAL: …`: class, kind, subject,
/// where, and why, as `brinery scan` prints a finding.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {} at byte {}", self.class, self.kind.as_str(), self.what, self.offset)?;
        if let Some(op) = self.opcode {
            write!(f, " {op}")?;
        }
        write!(f, ": {}", self.why)
    }
}

/// The scan of one pickle stream (one pickle; a file may hold several).
#[derive(Clone, Debug, Default)]
pub struct StreamReport {
    /// Where it is: the file's own bytes (`""`), a ZIP member (`archive/data.pkl`),
    /// a nested pickle (`@123 pickle.loads`), …, joined with ` > `.
    pub location: String,
    /// Offset of the stream's first byte within the location.
    pub start: u64,
    /// Bytes the stream used, when it reached STOP.
    pub length: Option<u64>,
    /// Every global asked for, in order.
    pub globals: Vec<GlobalRef>,
    /// Findings that are not safe, in stream order (safe ones are only counted).
    pub findings: Vec<Finding>,
    /// Safe globals and calls seen (not listed).
    pub safe_count: u64,
    /// Unsafe findings beyond the listing limit (10 000 per stream), counted only.
    pub omitted: u64,
    /// The worst class of every finding, listed or not.
    pub worst: Class,
    /// Why the stream could not be read to its end (CPython fails there too).
    pub error: Option<String>,
    /// Where joblib wrote array data into the middle of the stream (after
    /// the BUILD of each `NumpyArrayWrapper`), in stream order.
    pub inline_arrays: Vec<InlineArray>,
}

/// Array data joblib wrote into a pickle stream, which its loader reads
/// itself between two opcodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InlineArray {
    /// Offset of the data's first byte (after joblib's alignment padding) in
    /// the scanned bytes.
    pub offset: u64,
    /// Its length: the array's bytes, or the length of the pickle an object
    /// array is written as.
    pub len: u64,
    /// Bytes skipped before `offset` since the previous opcode (the padding).
    pub padding: u64,
    /// An object array, written as a pickle (protocol 2) of the array.
    pub pickled: bool,
}

impl StreamReport {
    /// The worst class among the findings.
    pub fn class(&self) -> Class {
        self.findings.iter().map(|f| f.class).max().unwrap_or(Class::Safe).max(self.worst)
    }
}

/// A file's verdict. `Dangerous` wins over everything, then `Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Only allowlisted globals.
    Safe,
    /// Some globals are on no list.
    Unknown,
    /// Something could not be read (and nothing dangerous was found).
    Error,
    /// Something dangerous would be imported or called.
    Dangerous,
}

impl Verdict {
    /// Lower-case name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Unknown => "unknown",
            Verdict::Error => "error",
            Verdict::Dangerous => "dangerous",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything found in one file.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    /// The path as given.
    pub path: String,
    /// What the content was detected as (`pickle`, `zip`, `npy`, `joblib+gzip`, …).
    pub format: String,
    /// Every pickle stream scanned, in order.
    pub streams: Vec<StreamReport>,
    /// Container-level findings (anomalies), with their location.
    pub anomalies: Vec<(String, Finding)>,
    /// Container-level failures: what could not be read at all.
    pub errors: Vec<String>,
}

impl FileReport {
    /// The verdict: dangerous if anything is; else error if anything failed;
    /// else the worst class. With `strict`, unknown counts as dangerous.
    pub fn verdict(&self, strict: bool) -> Verdict {
        let worst = self
            .streams
            .iter()
            .map(StreamReport::class)
            .chain(self.anomalies.iter().map(|(_, f)| f.class))
            .max()
            .unwrap_or(Class::Safe);
        let failed = !self.errors.is_empty() || self.streams.iter().any(|s| s.error.is_some());
        match worst {
            Class::Dangerous => Verdict::Dangerous,
            Class::Unknown if strict => Verdict::Dangerous,
            _ if failed => Verdict::Error,
            Class::Unknown => Verdict::Unknown,
            Class::Safe => Verdict::Safe,
        }
    }

    /// Every finding with its location, streams first, in order.
    pub fn findings(&self) -> impl Iterator<Item = (&str, &Finding)> {
        self.streams
            .iter()
            .flat_map(|s| s.findings.iter().map(move |f| (s.location.as_str(), f)))
            .chain(self.anomalies.iter().map(|(l, f)| (l.as_str(), f)))
    }
}
