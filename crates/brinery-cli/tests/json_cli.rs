//! `brinery json` against `python3 -m json.tool` (CPython 3.11, the oracle):
//! stdout, stderr and exit status, on every file of JSONTestSuite and the
//! JSON benchmark, on generated JSON Lines files, through stdin and into an
//! output file, with each flag and several combinations.
//!
//! Python runs json.tool in-process for all cases of a test at once
//! (`json_tool_driver.py`); brinery runs once per case.

mod common;

use common::{brinery_with, parallel_map, scratch_dir, shared_data, Outcome};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DRIVER: &str = include_str!("json_tool_driver.py");

/// The locale both sides run in unless a test says otherwise (the one CI
/// containers have): Python's stdio then uses `surrogateescape`.
const LOCALE: &[(&str, &str)] = &[("LC_ALL", "C.UTF-8")];

/// Flag sets for plain JSON input: each flag alone, the indent variants, and combinations.
const FLAGS: &[&[&str]] = &[
    &[],
    &["--sort-keys"],
    &["--no-ensure-ascii"],
    &["--indent", "0"],
    &["--indent", "1"],
    &["--indent", "7"],
    &["--indent=-2"],
    &["--tab"],
    &["--no-indent"],
    &["--compact"],
    &["--sort-keys", "--no-ensure-ascii", "--indent", "1"],
    &["--compact", "--sort-keys", "--no-ensure-ascii"],
    &["--tab", "--sort-keys"],
    &["--no-indent", "--no-ensure-ascii"],
];

/// Flag sets for JSON Lines input.
const JSON_LINES_FLAGS: &[&[&str]] = &[
    &["--json-lines"],
    &["--json-lines", "--compact"],
    &["--json-lines", "--no-indent", "--no-ensure-ascii"],
    &["--json-lines", "--sort-keys", "--tab"],
    &["--json-lines", "--no-ensure-ascii", "--indent", "2"],
];

/// One run of json.tool: its arguments (after `json`) and what is on stdin.
/// `{OUT}` in an argument is an output file, compared too.
#[derive(Clone, Debug)]
struct Case {
    args: Vec<String>,
    stdin: Option<PathBuf>,
}

impl Case {
    fn new(flags: &[&str], file: Option<&Path>, stdin: Option<&Path>) -> Case {
        let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
        args.extend(file.map(|f| f.display().to_string()));
        Case { args, stdin: stdin.map(Path::to_path_buf) }
    }

    fn describe(&self) -> String {
        let stdin = self.stdin.as_ref().map(|p| format!(" < {}", p.display())).unwrap_or_default();
        format!("json {}{stdin}", self.args.join(" "))
    }
}

/// A run's outcome plus the output file's contents, if it wrote one.
type Run = (Outcome, Option<Vec<u8>>);

/// json.tool's outcomes, all cases in one python3 process.
fn python_runs(cases: &[Case], dir: &Path, env: &[(&str, &str)]) -> Vec<Run> {
    let py_dir = dir.join("python");
    std::fs::create_dir_all(&py_dir).unwrap();
    let list: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| serde_json::json!({"args": c.args, "stdin": c.stdin.as_ref().map(|p| p.display().to_string())}))
        .collect();
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(DRIVER)
        .arg(&py_dir)
        .env_remove("PYTHONIOENCODING")
        .env_remove("PYTHONUTF8")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed: CPython is the test oracle");
    child.stdin.take().unwrap().write_all(&serde_json::to_vec(&list).unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the json.tool driver failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let codes: Vec<i32> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(codes.len(), cases.len());
    codes
        .into_iter()
        .enumerate()
        .map(|(i, code)| {
            let read = |suffix: &str| std::fs::read(py_dir.join(format!("{i}.{suffix}")));
            let outcome = Outcome { stdout: read("out").unwrap(), stderr: read("err").unwrap(), code };
            (outcome, read("file").ok())
        })
        .collect()
}

/// brinery's outcomes, one process per case.
fn brinery_runs(cases: &[Case], dir: &Path, env_given: &[(&str, &str)]) -> Vec<Run> {
    let br_dir = dir.join("brinery");
    std::fs::create_dir_all(&br_dir).unwrap();
    let numbered: Vec<(usize, &Case)> = cases.iter().enumerate().collect();
    parallel_map(&numbered, |(i, case)| {
        let file = br_dir.join(format!("{i}.file"));
        let mut args = vec!["json".to_string()];
        args.extend(case.args.iter().map(|a| a.replace("{OUT}", &file.display().to_string())));
        // brinery reads the same variables Python does; start from none of them.
        let mut env = vec![("PYTHONIOENCODING", ""), ("PYTHONUTF8", "")];
        env.extend_from_slice(env_given);
        (brinery_with(&args, case.stdin.as_deref(), &env), std::fs::read(&file).ok())
    })
}

/// Whether stderr agrees: exactly, except that for usage errors (status 2)
/// argparse's wording is not reproduced, and for an exception json.tool does
/// not catch, only the traceback's last line (`RecursionError: ...`) is.
fn stderr_agrees(python: &Outcome, brinery: &Outcome) -> bool {
    let py = String::from_utf8_lossy(&python.stderr);
    if python.code == 2 {
        return !brinery.stderr.is_empty();
    }
    if py.starts_with("Traceback") {
        let last = |s: &str| s.trim_end().lines().last().map(str::to_string);
        return last(&py) == last(&String::from_utf8_lossy(&brinery.stderr));
    }
    python.stderr == brinery.stderr
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let show = |s: &[u8]| String::from_utf8_lossy(&s[at.saturating_sub(30)..(at + 30).min(s.len())]).into_owned();
    format!("from byte {at} (of {} vs {}): python {:?}, brinery {:?}", a.len(), b.len(), show(a), show(b))
}

/// Runs every case on both sides; fails listing the cases that differ.
fn assert_agree(test: &str, cases: &[Case], env: &[(&str, &str)]) {
    let dir = scratch_dir(test);
    let python = python_runs(cases, &dir, env);
    let brinery = brinery_runs(cases, &dir, env);
    let mut failures = Vec::new();
    for ((case, (py, py_file)), (br, br_file)) in cases.iter().zip(&python).zip(&brinery) {
        let mut why = Vec::new();
        if py.code != br.code {
            why.push(format!("exit status {} vs {}", py.code, br.code));
        }
        if py.stdout != br.stdout {
            why.push(format!("stdout differs {}", first_difference(&py.stdout, &br.stdout)));
        }
        if !stderr_agrees(py, br) {
            why.push(format!(
                "stderr differs: python {:?}, brinery {:?}",
                String::from_utf8_lossy(&py.stderr),
                String::from_utf8_lossy(&br.stderr)
            ));
        }
        if py_file != br_file {
            why.push(match (py_file, br_file) {
                (Some(p), Some(b)) => format!("output file differs {}", first_difference(p, b)),
                _ => format!("output file written: python {}, brinery {}", py_file.is_some(), br_file.is_some()),
            });
        }
        if !why.is_empty() {
            failures.push(format!("{}: {}", case.describe(), why.join("; ")));
        }
    }
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let shown: Vec<&String> = failures.iter().take(25).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from python3 -m json.tool:\n{}",
        failures.len(),
        cases.len(),
        shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

/// Every file of a directory, sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn cases_for(files: &[PathBuf], flag_sets: &[&[&str]]) -> Vec<Case> {
    flag_sets.iter().flat_map(|flags| files.iter().map(move |f| Case::new(flags, Some(f), None))).collect()
}

/// JSONTestSuite: every parsing and transform file, with every flag set, and
/// once more read as JSON Lines. Invalid UTF-8, BOMs, lone surrogates, deep
/// nesting and `\r` line ends are all in there.
#[test]
fn json_tool_agrees_on_json_test_suite() {
    let suite = shared_data().join("JSONTestSuite");
    let mut files = files_in(&suite.join("test_parsing"));
    files.extend(files_in(&suite.join("test_transform")));
    assert!(files.len() >= 340, "JSONTestSuite is incomplete: {} files", files.len());
    let mut cases = cases_for(&files, FLAGS);
    cases.extend(cases_for(&files, &JSON_LINES_FLAGS[..1]));
    assert_agree("suite", &cases, LOCALE);
}

/// The three JSON benchmark files (twitter, citm_catalog, canada), every flag set.
#[test]
fn json_tool_agrees_on_benchmark_files() {
    let files = files_in(&shared_data().join("json-benchmark"));
    assert_eq!(files.len(), 3);
    assert_agree("benchmark", &cases_for(&files, FLAGS), LOCALE);
}

/// JSON Lines files exercising what Python's line-by-line reading does:
/// the three line ends, multi-byte characters cut by the 8192-byte chunks it
/// decodes, decoding errors positioned within their chunk (after the lines
/// before that chunk were printed), a `\r` waiting at a chunk's end, blank
/// and invalid lines, lone surrogates that cannot be written.
fn json_lines_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
    files.push((
        "mixed",
        b"{\"b\": [true, false, null], \"a\": 1}\n\"\\u00e9\\u2028 x\"\r\n[1.5, -0.0, 1e400, NaN, -Infinity]\r  42  \n\
          \"\xc3\xa9\xf0\x9f\x98\x80\"\n{\"z\": {\"y\": {}}, \"a\": [], \"\xc3\xa9\": \"\\ud83d\\ude00\"}"
            .to_vec(),
    ));
    let mut long = Vec::new();
    for i in 0..2000 {
        let s = "ü€😀".repeat(i % 7);
        writeln!(long, "{{\"n\": {i}, \"s\": \"{s}\", \"k\": [{i}.5, \"é\", {{\"x\": null}}]}}").unwrap();
    }
    files.push(("long", long.clone()));
    let mut bad_late = long.clone();
    bad_late[20_000] = 0xff;
    files.push(("bad-byte-in-third-chunk", bad_late));
    let mut cut = long.clone();
    cut.truncate(long.len() - 3);
    cut.extend_from_slice(b"\xf0\x9f\x98");
    files.push(("truncated-character-at-end", cut));
    // A line ending in `\r` just before the chunk boundary, then a bad byte:
    // Python holds the `\r` back, so that line is never printed.
    let mut held = b"\"".to_vec();
    held.extend(std::iter::repeat_n(b'a', 8189));
    held.extend_from_slice(b"\"\r\xff\n");
    files.push(("cr-at-chunk-end-then-bad-byte", held.clone()));
    let mut crlf = held.clone();
    crlf[8192] = b'\n';
    crlf.extend_from_slice(b"2\r\n");
    files.push(("crlf-across-chunks", crlf));
    files.push(("blank-line", b"[1]\n{\"a\": 2}\n\n[3]\n".to_vec()));
    files.push(("bad-line", b"[1]\r\n[1,]\r\n[3]\n".to_vec()));
    files.push(("bom", b"\xef\xbb\xbf[1]\n[2]\n".to_vec()));
    files.push(("empty", Vec::new()));
    files.push(("surrogates", b"[\"ok\", \"\\u00e9\"]\n[\"\\ud800\", \"x\"]\n[\"a\", \"b\\udc80\\udcff\"]\n".to_vec()));
    files.push(("surrogate-key", b"{\"k\": 1}\n{\"a\": {\"k\\udfff\\ud800\": \"v\"}}\n".to_vec()));
    files.push(("surrogate-value", b"{\"a\": [1, {\"b\": \"x\\ud834y\"}]}\n".to_vec()));
    files.push(("surrogate-top-level", b"\"ab\\udc00\"\n".to_vec()));
    files.push(("deep-enough", format!("{}{}\n", "[".repeat(500), "]".repeat(500)).into_bytes()));
    files.push(("big-int", format!("{}\n-{}\n", "7".repeat(4300), "9".repeat(4301)).into_bytes()));
    files
        .into_iter()
        .map(|(name, data)| {
            let path = dir.join(format!("{name}.jsonl"));
            std::fs::write(&path, data).unwrap();
            path
        })
        .collect()
}

/// The generated JSON Lines files, read as JSON Lines and as one document.
#[test]
fn json_tool_agrees_on_json_lines() {
    let files = json_lines_files(&scratch_dir("jsonl-files"));
    let mut cases = cases_for(&files, JSON_LINES_FLAGS);
    cases.extend(cases_for(&files, &[&[], &["--no-ensure-ascii"], &["--compact", "--no-ensure-ascii"]]));
    assert_agree("jsonl", &cases, LOCALE);
}

/// Standard input (no newline translation; undecodable bytes per the
/// locale) and an output file, in both of Python's stdio modes:
/// surrogateescape (C.UTF-8) and strict (PYTHONIOENCODING=utf-8:strict).
#[test]
fn json_tool_agrees_on_stdin_and_outfile() {
    let dir = scratch_dir("stdio-files");
    let mut inputs = json_lines_files(&dir);
    let parsing = shared_data().join("JSONTestSuite/test_parsing");
    for name in [
        "n_string_invalid_utf8_after_escape.json",
        "i_string_UTF-8_invalid_sequence.json",
        "i_string_iso_latin_1.json",
        "n_array_invalid_utf8.json",
        "n_structure_incomplete_UTF8_BOM.json",
        "y_structure_whitespace_array.json",
        "n_string_unescaped_ctrl_char.json",
        "i_string_utf16LE_no_BOM.json",
        "y_string_utf8.json",
        "n_structure_whitespace_formfeed.json",
    ] {
        inputs.push(parsing.join(name));
    }
    for (name, data) in [
        ("crlf-error", &b"[1,\r\n x]"[..]),
        ("cr-in-string", b"[\"a\rb\"]"),
        ("raw-bytes-in-string", b"[\"\xff\xfe\", \"\xed\xa0\x80\"]"),
        ("raw-bytes-outside", b"[1, \xff]"),
        ("nul-then-bad-byte", b"1\x00\xff\xff"),
        ("bom-then-bad-byte", b"\xef\xbb\xbf[\"\xff\"]"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        inputs.push(path);
    }
    let mut cases = Vec::new();
    for input in &inputs {
        for flags in
            [&[][..], &["--no-ensure-ascii"], &["--json-lines", "--compact"], &["--json-lines", "--no-ensure-ascii"]]
        {
            cases.push(Case::new(flags, None, Some(input)));
        }
        cases.push(Case::new(&["--sort-keys", "-"], None, Some(input)));
        let mut to_file = Case::new(&["--no-ensure-ascii"], Some(input), None);
        to_file.args.push("{OUT}".into());
        cases.push(to_file);
        let mut lines_to_file = Case::new(&["--json-lines", "--no-ensure-ascii", "--indent", "3"], Some(input), None);
        lines_to_file.args.push("{OUT}".into());
        cases.push(lines_to_file);
    }
    assert_agree("stdio-surrogateescape", &cases, LOCALE);
    assert_agree("stdio-strict", &cases, &[("LC_ALL", "C.UTF-8"), ("PYTHONIOENCODING", "utf-8:strict")]);
}

/// Arguments: argparse's mutually exclusive group (with its quirk that
/// `--indent 4`, the default, conflicts with nothing), unambiguous prefixes,
/// Python's int syntax, repeated options; and the usage errors, status 2.
#[test]
fn json_tool_agrees_on_arguments() {
    let dir = scratch_dir("args-files");
    let doc = dir.join("doc.json");
    std::fs::write(&doc, b"{\"b\": [1, {\"c\": []}], \"a\": \"\xc3\xa9\"}").unwrap();
    let doc = doc.display().to_string();
    let missing = dir.join("missing.json").display().to_string();
    let dir_arg = dir.display().to_string();
    let arg_sets: &[&[&str]] = &[
        &["--indent", "4", "--tab"],
        &["--tab", "--indent", "4"],
        &["--tab", "--indent", "04"],
        &["--tab", "--indent", "5"],
        &["--indent", "5", "--tab"],
        &["--indent", "4", "--no-indent"],
        &["--indent", "4", "--compact"],
        &["--compact", "--no-indent"],
        &["--tab", "--compact"],
        &["--tab", "--tab"],
        &["--compact", "--compact", "--sort-keys", "--sort-keys"],
        &["--indent", "2", "--indent", "3"],
        &["--indent", "3", "--indent", "4", "--tab"],
        &["--indent", " 1_0 "],
        &["--indent=+2"],
        &["--indent", "-1"],
        &["--indent", "1__0"],
        &["--indent", "x"],
        &["--indent"],
        &["--sort", "--no-e", "--comp"],
        &["--no"],
        &["--ind", "3"],
        &["--bogus"],
        // Too large to indent with: Python fails when it dumps.
        &["--indent", "99999999999999999999"],
        &["--indent", "9999999999999"],
    ];
    let mut cases: Vec<Case> = arg_sets
        .iter()
        .map(|flags| {
            let mut case = Case::new(flags, None, None);
            case.args.push(doc.clone());
            case
        })
        .collect();
    // ... which is after parsing, so a parse error comes first.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, b"[1,\n").unwrap();
    cases.push(Case::new(&["--indent", "9999999999999"], Some(&bad), None));
    cases.push(Case { args: vec![missing.clone()], stdin: None });
    cases.push(Case { args: vec![dir_arg], stdin: None });
    cases.push(Case { args: vec![doc.clone(), "{OUT}".into(), "extra".into()], stdin: None });
    assert_agree("args", &cases, LOCALE);
}

/// Nesting: json.tool parses 990 levels and stops at 991 with a
/// RecursionError. Checked against real `python3 -m json.tool` processes,
/// since the in-process driver sits a few frames deeper.
#[test]
fn json_tool_nesting_limit_matches_python() {
    let dir = scratch_dir("nesting");
    for (open, close) in [("[", "]"), ("{\"a\": ", "}")] {
        for depth in [990, 991] {
            let inner = if open == "[" { "" } else { "1" };
            let path = dir.join(format!("deep-{}-{depth}.json", open.len()));
            std::fs::write(&path, format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))).unwrap();
            let py = Command::new("python3").args(["-m", "json.tool"]).arg(&path).envs(LOCALE.iter().copied()).output();
            let py = py.expect("python3 runs");
            let py = Outcome { stdout: py.stdout, stderr: py.stderr, code: py.status.code().unwrap() };
            let br = brinery_with(&["json".into(), path.display().to_string()], None, LOCALE);
            assert_eq!((py.code, py.stdout == br.stdout), (br.code, true), "{}", path.display());
            assert!(stderr_agrees(&py, &br), "{}: {:?}", path.display(), String::from_utf8_lossy(&br.stderr));
        }
    }
}
