//! The scanner against its corpora (written by `tests/scan/make_corpus.py`,
//! with real numpy/scikit-learn/pandas/joblib when installed) and against
//! CPython: the globals it reports must be the ones CPython's unpickler asks
//! `find_class` for, in order (`tests/scan/find_class_oracle.py`).

#[path = "../../brinery/tests/common/python.rs"]
mod python;

use brinery_scan::{scan_file, ScanOptions, Verdict};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Generates the corpora once per test run.
fn corpus() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("scan-corpus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let script = std::fs::read_to_string(root().join("tests/scan/make_corpus.py")).unwrap();
        let script = format!("import sys\nsys.argv = ['make_corpus.py', {:?}]\n{script}", dir.display().to_string());
        python::run_python_with_args(&script, &[], b"");
        dir
    })
}

fn files(kind: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus().join(kind)).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_malicious_file_is_dangerous() {
    let opts = ScanOptions::default();
    let malicious = files("malicious");
    assert!(malicious.len() >= 60, "the generator wrote only {} files", malicious.len());
    let wrong: Vec<String> = malicious
        .iter()
        .map(|p| (p, scan_file(p, &opts)))
        .filter(|(_, r)| r.verdict(false) != Verdict::Dangerous)
        .map(|(p, r)| format!("{}: {:?} {:?}", name(p), r.verdict(false), r.errors))
        .collect();
    assert!(wrong.is_empty(), "not dangerous:\n{}", wrong.join("\n"));
}

#[test]
fn benign_files_are_never_dangerous_and_third_party_classes_are_unknown() {
    let opts = ScanOptions::default();
    for p in files("benign") {
        let n = name(&p);
        let report = scan_file(&p, &opts);
        let verdict = report.verdict(false);
        let want = if n.starts_with("sklearn") || n.starts_with("pandas") { Verdict::Unknown } else { Verdict::Safe };
        let findings: Vec<String> = report.findings().map(|(l, f)| format!("[{l}] {} {}", f.what, f.why)).collect();
        assert_eq!(verdict, want, "{n}: errors {:?}, findings:\n{}", report.errors, findings.join("\n"));
        // Strict mode turns exactly the unknown ones dangerous.
        assert_eq!(report.verdict(true) == Verdict::Dangerous, want == Verdict::Unknown, "{n}");
    }
}

#[test]
fn reported_globals_are_the_ones_cpython_asks_find_class_for() {
    let opts = ScanOptions::default();
    // Raw pickles of both corpora (joblib files are read by joblib's own unpickler).
    let paths: Vec<PathBuf> = files("malicious")
        .into_iter()
        .chain(files("benign"))
        .chain(files("edge"))
        .filter(|p| !name(p).ends_with(".joblib"))
        .filter(|p| scan_file(p, &opts).format == "pickle")
        .collect();
    assert!(paths.len() >= 50, "only {} raw pickles", paths.len());
    let args: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let oracle = std::fs::read_to_string(root().join("tests/scan/find_class_oracle.py")).unwrap();
    let out = python::run_python_with_args(&oracle, &args, b"");
    let expected = brinery::json::loads(std::str::from_utf8(&out).unwrap(), &Default::default()).unwrap();
    let mut mismatches = BTreeMap::new();
    for (p, arg) in paths.iter().zip(&args) {
        let want: Vec<(String, String)> = expected[*arg]
            .as_list()
            .unwrap()
            .iter()
            .map(|pair| (pair[0].as_str().unwrap().to_string(), pair[1].as_str().unwrap().to_string()))
            .collect();
        let report = scan_file(p, &opts);
        let got: Vec<(String, String)> = report
            .streams
            .iter()
            .filter(|s| s.location.is_empty())
            .flat_map(|s| s.globals.iter().map(|g| (g.module.clone(), g.name.clone())))
            .collect();
        if got != want {
            mismatches.insert(name(p), format!("scanner {got:?}\n  cpython {want:?}"));
        }
    }
    let text: Vec<String> = mismatches.iter().map(|(k, v)| format!("{k}:\n  {v}")).collect();
    assert!(mismatches.is_empty(), "{} mismatch(es):\n{}", mismatches.len(), text.join("\n"));
}

#[test]
fn an_extension_code_is_unknown_and_ends_the_stream_as_in_cpython() {
    let report = scan_file(&corpus().join("edge/ext1_unregistered.pkl"), &ScanOptions::default());
    assert_eq!(report.verdict(false), Verdict::Error);
    assert_eq!(report.verdict(true), Verdict::Dangerous);
    let f = report.findings().next().unwrap().1;
    assert_eq!((f.kind, f.offset, f.what.as_str()), (brinery_scan::FindingKind::Extension, 2, "extension code 5"));
}

/// Every corpus file, truncated and with bytes flipped in many ways, scans
/// without panicking (a tiny deterministic fuzzer; `make fuzz` has the real ones).
#[test]
fn mutated_corpus_files_never_panic() {
    let opts = ScanOptions::default();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for path in files("malicious").into_iter().chain(files("benign")).chain(files("edge")) {
        let data = std::fs::read(&path).unwrap();
        if data.is_empty() || data.len() > 200_000 {
            continue;
        }
        for round in 0..24 {
            let mut m = data.clone();
            match round % 3 {
                0 => m.truncate((next() as usize) % m.len()),
                1 => {
                    for _ in 0..1 + next() % 4 {
                        let i = (next() as usize) % m.len();
                        m[i] = next() as u8;
                    }
                }
                _ => {
                    let i = (next() as usize) % m.len();
                    m.insert(i, next() as u8);
                }
            }
            let _ = brinery_scan::scan_bytes(&m, "mutant", &opts);
            brinery_scan::check_quick_pass_claim(&m);
        }
    }
}

/// The quick pass (plain data and safe calls) reports on a pickle exactly
/// what the symbolic sink reports, on every file of the corpora, and it
/// does answer for the benign files made only of safe things.
#[test]
fn the_quick_pass_reports_what_the_symbolic_sink_reports() {
    let mut answered = 0;
    for path in files("malicious").into_iter().chain(files("benign")).chain(files("edge")) {
        let data = std::fs::read(&path).unwrap();
        answered += usize::from(brinery_scan::check_quick_pass_claim(&data));
    }
    eprintln!("the quick pass answered for {answered} corpus files");
    assert!(answered >= 5, "the quick pass answered for only {answered} corpus files");
}
