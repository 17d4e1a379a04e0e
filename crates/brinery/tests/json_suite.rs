//! JSONTestSuite (../shared/data/JSONTestSuite) against CPython's `json`:
//! every file of `test_parsing` gets the verdict `json.loads(bytes)` gives,
//! accepted files the same value (compared by repr) and the same
//! `json.dumps` output, rejected files the same exception and message; every
//! file of `test_transform` the same `json.dumps` output.

mod common;

use brinery::json::{self, DumpOptions, LoadOptions};
use std::path::PathBuf;

fn files(folder: &str) -> Vec<PathBuf> {
    let dir = common::shared_data().join("JSONTestSuite").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (the shared data folder must sit next to the repository)", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares brinery with the oracle on each file; returns the disagreements.
fn disagreements(paths: &[PathBuf]) -> Vec<String> {
    let input: String = paths.iter().map(|p| format!("{}\n", p.display())).collect();
    let oracle = common::run_script("tests/json/oracle.py", &input);
    let mut problems = Vec::new();
    let mut seen = 0;
    for line in oracle.lines() {
        seen += 1;
        let want: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = want["file"].as_str().unwrap();
        let name = path.rsplit('/').next().unwrap();
        let data = std::fs::read(path).unwrap();
        let got = json::loads(&data, &LoadOptions::default());
        match (want["ok"].as_bool().unwrap(), got) {
            (true, Ok(value)) => {
                let repr = hex(value.to_string().as_bytes());
                if repr != want["repr_hex"].as_str().unwrap() {
                    problems.push(format!("{name}: value differs: brinery {value}"));
                }
                let dumped = json::dumps_str(&value, &DumpOptions::default()).ok();
                let dumped_unicode = json::dumps_str(&value, &DumpOptions::default().ensure_ascii(false)).ok();
                for (label, ours, theirs) in [
                    ("dumps", dumped, &want["dumps"]),
                    ("dumps(ensure_ascii=False)", dumped_unicode, &want["dumps_unicode"]),
                ] {
                    let ours = ours.map(|s| hex(s.as_surrogatepass()));
                    if ours.as_deref() != theirs.as_str() {
                        problems.push(format!("{name}: {label} differs: brinery {ours:?}, Python {theirs}"));
                    }
                }
            }
            (true, Err(e)) => problems.push(format!("{name}: Python accepts, brinery rejects: {e}")),
            (false, Ok(v)) => problems.push(format!("{name}: Python rejects ({}), brinery accepts: {v}", want["msg"])),
            (false, Err(e)) => {
                let exc = e.py_exception().name();
                if exc != want["exc"].as_str().unwrap() {
                    problems.push(format!("{name}: Python raises {}, brinery {exc}: {e}", want["exc"]));
                } else if exc != "RecursionError" && e.to_string() != want["msg"].as_str().unwrap() {
                    problems.push(format!("{name}: message differs: brinery {e:?}, Python {}", want["msg"]));
                }
            }
        }
    }
    assert_eq!(seen, paths.len(), "the oracle answered for every file");
    problems
}

#[test]
fn test_parsing_verdicts_values_and_messages_match_python() {
    let paths = files("test_parsing");
    assert_eq!(paths.len(), 318, "JSONTestSuite's test_parsing has 318 files");
    let problems = disagreements(&paths);
    assert!(problems.is_empty(), "{} of {} files disagree:\n{}", problems.len(), paths.len(), problems.join("\n"));
}

#[test]
fn test_transform_outputs_match_python() {
    let paths = files("test_transform");
    assert!(!paths.is_empty());
    let problems = disagreements(&paths);
    assert!(problems.is_empty(), "{} of {} files disagree:\n{}", problems.len(), paths.len(), problems.join("\n"));
}
