//! `brinery.scan`'s native half: runs `brinery-scan` on a file or on bytes
//! and hands the report back as JSON text (`brinery/_scan.py` turns it into
//! objects), the same document `brinery scan --format json` prints per file.

use crate::pickle::buffer_bytes;
use brinery::json::DumpOptions;
use brinery_scan::{scan_bytes, scan_file, ScanOptions};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(scan_report, m)?)?;
    Ok(())
}

/// `scan_report(source, strict, allow, deny, policies)`: the JSON report of
/// scanning `source`, a path (`str`/`os.PathLike`, the file is memory-mapped
/// and read only where the scan needs it, without the GIL) or a bytes-like
/// object. `allow`/`deny` are policy entries (`module`, `module:name`,
/// `module:pre*`), `policies` texts in the policy-file format; a bad entry
/// is a `ValueError`.
#[pyfunction]
fn scan_report(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    strict: bool,
    allow: Vec<String>,
    deny: Vec<String>,
    policies: Vec<String>,
) -> PyResult<String> {
    let opts = options(&allow, &deny, &policies).map_err(PyValueError::new_err)?;
    let report = match pyo3::buffer::PyBuffer::<u8>::get(source) {
        // Bytes-like: scanned with the GIL held, so nothing can change them meanwhile.
        Ok(buffer) => scan_bytes(buffer_bytes(&buffer), "<bytes>", &opts),
        Err(_) => {
            let path: std::path::PathBuf = source.extract()?;
            py.detach(|| scan_file(&path, &opts))
        }
    };
    brinery::json::dumps(&report.to_value(strict), &DumpOptions::default().ensure_ascii(false))
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The built-in policy extended like `brinery scan --policy/--allow/--deny`.
fn options(allow: &[String], deny: &[String], policies: &[String]) -> Result<ScanOptions, String> {
    let mut opts = ScanOptions::default();
    for text in policies {
        opts.policy.extend_from_text(text).map_err(|e| format!("policy: {e}"))?;
    }
    for entry in allow {
        opts.policy.allow(entry).map_err(|e| format!("allow {entry:?}: {e}"))?;
    }
    for entry in deny {
        opts.policy.deny(entry).map_err(|e| format!("deny {entry:?}: {e}"))?;
    }
    Ok(opts)
}
