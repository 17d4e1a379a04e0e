//! `brinery scan`: tell whether a pickle or a model file is safe to load,
//! without loading it.
//!
//! The scanner runs the engine's one unpickling machine — the same opcode
//! semantics as the loader, which follow CPython's C unpickler — with a
//! symbolic sink that builds nothing and records every global CPython would
//! import (after its own name resolution) and every call it would make, with
//! byte offsets. A [`policy::Policy`] judges each global safe, unknown or
//! dangerous; containers (ZIP, `.npy`/`.npz`, compressed joblib) are opened
//! by content the way their loaders open them.
//!
//! ```
//! use brinery_scan::{scan_bytes, ScanOptions, Verdict};
//! let opts = ScanOptions::default();
//! // pickle.dumps of os.system('id') via __reduce__, protocol 0:
//! let evil = b"cposix\nsystem\n(Vid\ntR.";
//! let report = scan_bytes(evil, "evil.pkl", &opts);
//! assert_eq!(report.verdict(false), Verdict::Dangerous);
//! assert_eq!(report.streams[0].globals[0].module, "posix");
//! let fine = b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e.";
//! assert_eq!(scan_bytes(fine, "list.pkl", &opts).verdict(false), Verdict::Safe);
//! ```

mod containers;
mod item_pool;
pub mod policy;
mod quick_pass;
pub mod report;
mod report_value;
mod stream;
mod symbolic;

pub use brinery_formats::Limits;
pub use policy::{Class, Policy};
pub use report::{FileReport, Finding, FindingKind, GlobalRef, InlineArray, StreamReport, Verdict};
pub use stream::looks_like_pickle;

use std::path::Path;

/// How to scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// The policy (built-in plus the user's additions).
    pub policy: Policy,
    /// Limits on container reading (decompressed sizes, members).
    pub limits: Limits,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions { policy: Policy::builtin(), limits: Limits::default() }
    }
}

/// For the fuzz harness and the corpus tests: runs the quick pass on the
/// pickle at the start of `data` and, when it answers, checks the symbolic
/// sink gives the same report (panics if not). Returns whether it answered.
/// Not part of the API.
#[doc(hidden)]
pub fn check_quick_pass_claim(data: &[u8]) -> bool {
    quick_pass::check_claim(data).is_some()
}

/// Scans bytes (a pickle, stacked pickles, or any supported container).
pub fn scan_bytes(data: &[u8], path: &str, opts: &ScanOptions) -> FileReport {
    let mut report = FileReport { path: path.to_string(), ..Default::default() };
    if data.is_empty() {
        report.format = "empty".to_string();
        report.errors.push("empty file: ran out of input".to_string());
        return report;
    }
    let walker = containers::Walker::new(stream::Ctx { policy: &opts.policy, joblib: true, depth: 0 }, opts.limits);
    walker.walk(data, "", 0, &mut report);
    report
}

/// Scans a file. The file is memory-mapped, so only the parts the scan
/// reads (pickles, ZIP directories) are loaded: the tensor data of a
/// multi-GB checkpoint is never read.
pub fn scan_file(path: &Path, opts: &ScanOptions) -> FileReport {
    let name = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return error_report(name, format!("cannot open: {e}")),
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return scan_bytes(&[], &name, opts);
    }
    // SAFETY: the map is read-only and private to this scan; a file changed
    // by another process while mapped can give wrong bytes (a wrong verdict
    // for a file being rewritten), never undefined behaviour in safe code
    // that only reads the slice as bytes.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => scan_bytes(&map, &name, opts),
        Err(_) => match std::fs::read(path) {
            Ok(data) => scan_bytes(&data, &name, opts),
            Err(e) => error_report(name, format!("cannot read: {e}")),
        },
    }
}

fn error_report(path: String, message: String) -> FileReport {
    FileReport { path, format: "unreadable".to_string(), errors: vec![message], ..Default::default() }
}
