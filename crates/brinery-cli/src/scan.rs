//! `brinery scan`: per-file verdicts on whether loading would run code.
//! All the analysis is in `brinery-scan`; this module finds the files,
//! shows progress and prints the reports as text, JSON or SARIF.

use anyhow::{Context, Result};
use brinery::json::{self, DumpOptions};
use brinery::Value;
use brinery_scan::{scan_file, FileReport, ScanOptions, Verdict};
use clap::ValueEnum;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum OutFormat {
    /// One block per file: verdict, then findings.
    Text,
    /// One JSON document with every file's report.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

/// Arguments of `brinery scan`.
#[derive(clap::Args, Debug)]
pub(crate) struct ScanArgs {
    /// Files and directories to scan. Directories are walked recursively and
    /// every file is scanned whatever its extension (content decides).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Text)]
    format: OutFormat,
    /// Count unknown globals (on no list) as dangerous.
    #[arg(long)]
    strict: bool,
    /// Treat globals matching ENTRY as safe (`module`, `module:name`, `module:pre*`);
    /// never overrides the built-in dangerous list. Repeatable.
    #[arg(long, value_name = "ENTRY")]
    allow: Vec<String>,
    /// Treat globals matching ENTRY as dangerous (same syntax). Repeatable.
    #[arg(long, value_name = "ENTRY")]
    deny: Vec<String>,
    /// Extend the policy with a file in the built-in policy's format
    /// ([safe], [dangerous], [loaders] sections; see docs/scan-policy.md). Repeatable.
    #[arg(long, value_name = "FILE")]
    policy: Vec<PathBuf>,
    /// Text output: also list safe files and calls on unknown objects.
    #[arg(long, short)]
    verbose: bool,
    /// Files scanned at once (default: one per CPU, at most 4). Each may
    /// hold up to the decompression limit (4 GiB) while it runs; the reports
    /// come out in path order whatever the number.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

fn options(args: &ScanArgs) -> Result<ScanOptions> {
    let mut opts = ScanOptions::default();
    for file in &args.policy {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading policy {}", file.display()))?;
        opts.policy.extend_from_text(&text).with_context(|| format!("in policy {}", file.display()))?;
    }
    for entry in &args.allow {
        opts.policy.allow(entry).context("--allow")?;
    }
    for entry in &args.deny {
        opts.policy.deny(entry).context("--deny")?;
    }
    Ok(opts)
}

/// Every file under the given paths, in a stable order. Symbolic links to
/// directories are not followed (no loops); links to files are scanned.
fn collect(paths: &[PathBuf], errors: &mut Vec<FileReport>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = paths.iter().rev().cloned().collect();
    while let Some(path) = stack.pop() {
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                errors.push(unreadable(&path, format!("cannot read: {e}")));
                continue;
            }
        };
        if meta.is_dir() {
            match std::fs::read_dir(&path) {
                Ok(entries) => {
                    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                    children.sort();
                    stack.extend(children.into_iter().rev());
                }
                Err(e) => errors.push(unreadable(&path, format!("cannot list: {e}"))),
            }
        } else if meta.is_file() || (meta.file_type().is_symlink() && path.is_file()) {
            files.push(path);
        }
    }
    files
}

/// Most files scanned at once unless `--jobs` says otherwise: each scan may
/// hold a decompressed member of up to `max_output` bytes, so the default
/// does not grow with the machine's CPU count past this.
const MAX_DEFAULT_JOBS: usize = 4;

/// Stack of each scanning thread: what Linux gives a program's main thread.
const MAIN_STACK: usize = 8 << 20;

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from).min(MAX_DEFAULT_JOBS)
}

/// Scans `files` on up to `jobs` threads, each taking the next unscanned
/// file, and returns the reports in the order of `files`.
fn scan_all(
    files: &[PathBuf],
    opts: &ScanOptions,
    jobs: usize,
    bar: Option<&indicatif::ProgressBar>,
) -> Vec<FileReport> {
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(i) else { return done };
            if let Some(bar) = bar {
                bar.set_message(file.display().to_string());
            }
            done.push((i, scan_file(file, opts)));
            if let Some(bar) = bar {
                bar.inc(1);
            }
        }
    };
    let mut done: Vec<(usize, FileReport)> = std::thread::scope(|scope| {
        // The main thread's stack size, not a spawned thread's 2 MiB default:
        // the decoders of nested containers run on these threads too.
        // A thread the system will not give means fewer workers, not lost files.
        let spawn = |_| std::thread::Builder::new().stack_size(MAIN_STACK).spawn_scoped(scope, worker).ok();
        let threads: Vec<_> = (1..jobs.min(files.len())).filter_map(spawn).collect();
        let mut done = worker();
        for t in threads {
            done.extend(t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        done
    });
    done.sort_unstable_by_key(|&(i, _)| i);
    done.into_iter().map(|(_, report)| report).collect()
}

fn unreadable(path: &Path, message: String) -> FileReport {
    FileReport {
        path: path.display().to_string(),
        format: "unreadable".into(),
        errors: vec![message],
        ..Default::default()
    }
}

/// Runs `brinery scan`; the exit code is 1 if anything is dangerous, else 2
/// if anything could not be scanned, else 0.
pub(crate) fn run(args: &ScanArgs) -> Result<ExitCode> {
    let opts = options(args)?;
    let mut reports = Vec::new();
    let files = collect(&args.paths, &mut reports);
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(files.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let jobs = args.jobs.map_or_else(default_jobs, usize::from);
    reports.extend(scan_all(&files, &opts, jobs, bar.as_ref()));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let out = match args.format {
        OutFormat::Text => text(&reports, args.strict, args.verbose),
        OutFormat::Json => json_report(&reports, args.strict)?,
        OutFormat::Sarif => sarif(&reports, args.strict)?,
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    let worst = reports.iter().map(|r| r.verdict(args.strict)).max().unwrap_or(Verdict::Safe);
    Ok(match worst {
        Verdict::Dangerous => ExitCode::from(1),
        Verdict::Error => ExitCode::from(2),
        _ => ExitCode::SUCCESS,
    })
}

fn place(location: &str) -> String {
    if location.is_empty() {
        String::new()
    } else {
        format!("[{location}] ")
    }
}

fn text(reports: &[FileReport], strict: bool, verbose: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut counts = [0usize; 4];
    for r in reports {
        let verdict = r.verdict(strict);
        counts[verdict as usize] += 1;
        if verdict == Verdict::Safe && !verbose {
            continue;
        }
        let _ = writeln!(out, "{}: {} ({})", r.path, verdict.as_str().to_uppercase(), r.format);
        for (location, f) in r.findings() {
            // Calls on unknown objects repeat what their globals already say.
            if !verbose && f.kind == brinery_scan::FindingKind::Call && f.class != brinery_scan::Class::Dangerous {
                continue;
            }
            let _ = writeln!(out, "  {}{f}", place(location));
        }
        for s in &r.streams {
            if s.omitted > 0 {
                let _ = writeln!(out, "  {}… and {} more unsafe finding(s), not listed", place(&s.location), s.omitted);
            }
            if let Some(e) = &s.error {
                let _ = writeln!(out, "  {}error in pickle at byte {}: {e}", place(&s.location), s.start);
            }
        }
        for e in &r.errors {
            let _ = writeln!(out, "  error: {e}");
        }
    }
    let _ = writeln!(
        out,
        "{} file(s): {} dangerous, {} error, {} unknown, {} safe",
        reports.len(),
        counts[Verdict::Dangerous as usize],
        counts[Verdict::Error as usize],
        counts[Verdict::Unknown as usize],
        counts[Verdict::Safe as usize]
    );
    out
}

fn dump(v: &Value<'_>) -> Result<String> {
    let mut s = json::dumps(v, &DumpOptions::default().indent(2).ensure_ascii(false))?;
    s.push('\n');
    Ok(s)
}

fn json_report(reports: &[FileReport], strict: bool) -> Result<String> {
    dump(&Value::dict([("files", Value::list(reports.iter().map(|r| r.to_value(strict))))]))
}

/// SARIF 2.1.0: one result per finding and per unreadable file/stream.
fn sarif(reports: &[FileReport], strict: bool) -> Result<String> {
    let location = |path: &str, offset: u64| {
        Value::list([Value::dict([(
            "physicalLocation",
            Value::dict([
                ("artifactLocation", Value::dict([("uri", Value::from(path.to_string()))])),
                ("region", Value::dict([("byteOffset", Value::from(offset))])),
            ]),
        )])])
    };
    let mut results = Vec::new();
    for r in reports {
        for (loc, f) in r.findings() {
            let level = match f.class {
                brinery_scan::Class::Dangerous => "error",
                brinery_scan::Class::Unknown if strict => "error",
                brinery_scan::Class::Unknown => "warning",
                brinery_scan::Class::Safe => "note",
            };
            let text = format!("{}{} {} {}: {}", place(loc), f.class, f.kind.as_str(), f.what, f.why);
            results.push(Value::dict([
                ("ruleId", Value::from(format!("{}-{}", f.class.as_str(), f.kind.as_str()))),
                ("level", Value::from(level)),
                ("message", Value::dict([("text", Value::from(text))])),
                ("locations", location(&r.path, f.offset)),
            ]));
        }
        let errors = r
            .streams
            .iter()
            .filter_map(|s| s.error.as_ref().map(|e| (format!("{}{e}", place(&s.location)), s.start)))
            .chain(r.errors.iter().map(|e| (e.clone(), 0)));
        for (text, offset) in errors {
            results.push(Value::dict([
                ("ruleId", Value::from("scan-error")),
                ("level", Value::from("warning")),
                ("message", Value::dict([("text", Value::from(text))])),
                ("locations", location(&r.path, offset)),
            ]));
        }
    }
    let rules = [
        "dangerous-global",
        "dangerous-call",
        "unknown-global",
        "unknown-call",
        "unknown-extension",
        "unknown-anomaly",
        "scan-error",
    ];
    let driver = Value::dict([
        ("name", Value::from("brinery")),
        ("version", Value::from(env!("CARGO_PKG_VERSION"))),
        ("informationUri", Value::from("https://example.invalid/brinery")),
        ("rules", Value::list(rules.iter().map(|id| Value::dict([("id", Value::from(*id))])))),
    ]);
    dump(&Value::dict([
        ("version", Value::from("2.1.0")),
        ("$schema", Value::from("https://json.schemastore.org/sarif-2.1.0.json")),
        (
            "runs",
            Value::list([Value::dict([
                ("tool", Value::dict([("driver", driver)])),
                ("results", Value::list(results)),
            ])]),
        ),
    ]))
}
