//! Scanning pickle streams: one pickle, pickles back to back (what repeated
//! `pickle.load` calls on a file read, and legacy `torch.load`), and pickles
//! nested in them.

use crate::policy::{Class, Judgement, Policy};
use crate::quick_pass;
use crate::report::{GlobalRef, StreamReport};
use crate::symbolic::Symbolic;
use brinery::opcodes::Opcode;
use brinery::pickle::{run_sink, LoadOptions, StringEncoding, TrailingData};
use brinery::Str;

/// Deepest nesting of pickles inside pickles that is followed.
pub const MAX_NESTING: u32 = 8;

/// Most pickles read back to back from one piece of data.
pub const MAX_STACKED: usize = 100_000;

/// What a stream scan needs to know.
pub struct Ctx<'p> {
    /// The policy globals are judged by.
    pub policy: &'p Policy,
    /// Read joblib inline arrays the way `joblib.load` does (skip raw array
    /// bytes after a `NumpyArrayWrapper`'s BUILD; scan object arrays' pickles).
    pub joblib: bool,
    /// How deep in nested pickles this scan is.
    pub depth: u32,
}

pub(crate) fn load_options() -> LoadOptions {
    LoadOptions {
        // Latin-1 decodes every Python 2 string, so a scan never stops where a
        // loader passing `encoding='latin1'` (numpy, torch) would go on.
        encoding: StringEncoding::Latin1,
        trailing_data: TrailingData::Ignore,
        ..LoadOptions::default()
    }
}

/// A global as both sinks record it: the names CPython's `find_class`
/// gets (lossy where they are not UTF-8), the policy's judgement, and
/// whether the policy lists it as a loader of pickled bytes.
pub(crate) struct Resolved {
    pub(crate) global: GlobalRef,
    pub(crate) judgement: Judgement,
    pub(crate) loader: bool,
}

/// Resolves the global asked for by `op` at `offset` under protocol `proto`.
/// A dotted name is an attribute walk at protocol ≥ 4; it is judged as one
/// below too (where CPython fails to resolve it): the stricter reading can
/// only add findings.
pub(crate) fn resolve_global(
    policy: &Policy,
    module: Str<'_>,
    name: Str<'_>,
    proto: u8,
    offset: u64,
    op: Opcode,
) -> Resolved {
    let module = module.to_string_lossy().into_owned();
    let name = name.to_string_lossy().into_owned();
    let dotted = name.contains('.');
    let judgement = policy.classify(&module, &name, dotted);
    let loader = policy.is_loader(&module, &name);
    let global = GlobalRef { module, name, offset, opcode: op.name(), walk: proto >= 4 && dotted };
    Resolved { global, judgement, loader }
}

/// Scans the pickle at `data[start..]`. Returns its report first, then the
/// reports of pickles nested in it, and the bytes it used (`None` if the
/// machine failed: CPython fails there too, after running what came before).
///
/// Plain data and calls of safe globals are read by the cheap
/// [`quick_pass`]; anything else goes to the symbolic sink.
pub(crate) fn scan_one(data: &[u8], start: usize, location: &str, ctx: &Ctx<'_>) -> (Vec<StreamReport>, Option<usize>) {
    if let Some((report, used)) = quick_pass::quick_scan(data, start, location, ctx.policy) {
        return (vec![report], Some(used));
    }
    scan_symbolic(data, start, location, ctx)
}

/// [`scan_one`] by the symbolic sink alone.
pub(crate) fn scan_symbolic(
    data: &[u8],
    start: usize,
    location: &str,
    ctx: &Ctx<'_>,
) -> (Vec<StreamReport>, Option<usize>) {
    let mut report = StreamReport { location: location.to_string(), start: start as u64, ..Default::default() };
    if start > data.len() {
        report.error = Some("stream starts beyond the end of the data".to_string());
        return (vec![report], None);
    }
    let (result, nested, inline) = {
        let mut sink = Symbolic::new(data, start, ctx, &mut report);
        let result = run_sink(&data[start..], &mut sink, &load_options()).map(|(_, used)| used);
        (result, std::mem::take(&mut sink.nested), std::mem::take(&mut sink.inline))
    };
    let used = match result {
        Ok(used) => {
            report.length = Some(used as u64);
            Some(used)
        }
        Err(e) => {
            let mut message = e.to_string();
            if report.class() == Class::Dangerous {
                message.push_str(
                    " — CPython stops here too, after it has already imported or called the dangerous globals above",
                );
            }
            report.error = Some(message);
            None
        }
    };
    let mut reports = vec![report];
    reports.extend(inline);
    for (offset, what, bytes) in nested {
        let location = join(location, &format!("{what} @{offset}"));
        if ctx.depth >= MAX_NESTING {
            let mut r = StreamReport { location, ..Default::default() };
            r.error = Some(format!("pickles nested deeper than {MAX_NESTING} levels are not followed"));
            reports.push(r);
            continue;
        }
        let inner = Ctx { policy: ctx.policy, joblib: ctx.joblib, depth: ctx.depth + 1 };
        reports.extend(scan_stacked(&bytes, &location, &inner));
    }
    (reports, used)
}

/// `outer > inner`, or just `inner` at the top.
pub(crate) fn join(location: &str, part: &str) -> String {
    if location.is_empty() {
        part.to_string()
    } else {
        format!("{location} > {part}")
    }
}

/// Whether the bytes at `data[at..]` are worth reading as a further pickle:
/// repeated `pickle.load` calls would try, but a stream that fails on its very
/// first opcode is just other data (legacy torch storages, padding).
fn first_opcode_fails(reports: &[StreamReport]) -> bool {
    let first = &reports[0];
    first.error.is_some() && first.globals.is_empty() && first.findings.is_empty() && first.safe_count == 0
}

/// Scans pickles back to back from the start of `data` until the data ends or
/// what follows is not a pickle. A failure in the first pickle is always
/// reported; in later ones only when they got past their first opcodes.
///
/// When the data turns out to be a joblib file, it is scanned a second time
/// the way plain `pickle.load` reads it (array bytes as opcodes), and any
/// dangerous finding of that reading is kept too: the same file may be a
/// polyglot.
pub(crate) fn scan_stacked(data: &[u8], location: &str, ctx: &Ctx<'_>) -> Vec<StreamReport> {
    let mut out = Vec::new();
    let mut at = 0usize;
    let mut saw_joblib = false;
    let mut count = 0usize;
    while at < data.len() {
        count += 1;
        if count > MAX_STACKED {
            let mut r = StreamReport { location: location.to_string(), start: at as u64, ..Default::default() };
            r.error = Some(format!("more than {MAX_STACKED} pickles back to back; the rest is not scanned"));
            out.push(r);
            break;
        }
        let (mut reports, used) = scan_one(data, at, location, ctx);
        if !out.is_empty() && first_opcode_fails(&reports) {
            break;
        }
        saw_joblib |= reports.iter().any(|r| r.globals.iter().any(|g| g.name == "NumpyArrayWrapper"));
        out.append(&mut reports);
        match used {
            Some(n) if n > 0 => at += n,
            _ => break,
        }
    }
    if out.is_empty() {
        out.extend(scan_one(data, 0, location, ctx).0);
    }
    if saw_joblib && ctx.joblib {
        let plain = Ctx { policy: ctx.policy, joblib: false, depth: ctx.depth };
        let as_pickle = join(location, "as plain pickle.load reads it");
        for mut r in scan_stacked(data, &as_pickle, &plain) {
            r.findings.retain(|f| f.class == Class::Dangerous);
            r.error = None;
            if !r.findings.is_empty() {
                out.push(r);
            }
        }
    }
    out
}

/// Whether `data` starts like a pickle: a PROTO opcode with a known protocol,
/// or a protocol-0/1 opening that CPython's unpickler accepts as its first
/// opcode and that real pickles start with.
pub fn looks_like_pickle(data: &[u8]) -> bool {
    match data {
        [0x80, p, ..] => *p <= 5,
        [b'c', rest @ ..] => {
            // GLOBAL: `module\nname\n` of identifier characters.
            let line = rest.iter().take(256).position(|&b| b == b'\n');
            line.is_some_and(|n| n > 0 && rest[..n].iter().all(|b| b.is_ascii_alphanumeric() || b"._".contains(b)))
        }
        [b'(' | b']' | b'}' | b')', second, ..] => brinery::opcodes::Opcode::from_byte(*second).is_some(),
        _ => false,
    }
}
