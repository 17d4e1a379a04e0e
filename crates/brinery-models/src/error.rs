//! What can go wrong reading a model file.

use brinery_scan::Verdict;

/// A model file that could not be read, or was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or mapped.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The container (ZIP, tar) is broken or breaches a limit.
    #[error("{0}")]
    Container(#[from] brinery_formats::Error),
    /// A pickle inside the file does not load.
    #[error("{member}: {source}")]
    Pickle {
        /// Which pickle (`data.pkl`, `constants.pkl`, or the position in a stacked file).
        member: String,
        /// The engine's error (offset, opcode, limit).
        source: brinery::pickle::Error,
    },
    /// The bytes are not the format they claim to be, or contradict themselves.
    #[error("{0}")]
    Malformed(String),
    /// The scanner found globals that are not plain data; nothing was loaded.
    /// Pass `allow_unsafe` to read the data anyway (the values stay inert).
    #[error("refusing to load: the scan verdict is {verdict}{}", first_finding(findings))]
    Unsafe {
        /// The verdict.
        verdict: Verdict,
        /// Each finding, as `location: message`.
        findings: Vec<String>,
    },
    /// A construct this reader knows but does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

fn first_finding(findings: &[String]) -> String {
    match findings {
        [] => String::new(),
        [one] => format!(" ({one})"),
        [first, rest @ ..] => format!(" ({first}; and {} more)", rest.len()),
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// [`Error::Unsafe`] with every finding that is not safe, unless the
/// verdict is safe or the caller allowed anything.
pub(crate) fn refuse_unless_safe(report: &brinery_scan::FileReport, allow_unsafe: bool) -> Result<()> {
    let verdict = report.verdict(false);
    if verdict == Verdict::Safe || allow_unsafe {
        return Ok(());
    }
    let findings = report
        .findings()
        .filter(|(_, f)| f.class != brinery_scan::Class::Safe)
        .map(|(at, f)| if at.is_empty() { f.to_string() } else { format!("[{at}] {f}") })
        .chain(report.errors.iter().cloned());
    Err(Error::Unsafe { verdict, findings: findings.collect() })
}

/// Shorthand for [`Error::Malformed`].
pub(crate) fn malformed(what: impl Into<String>) -> Error {
    Error::Malformed(what.into())
}
