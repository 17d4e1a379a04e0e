//! `brinery convert` between pickle and JSON, against CPython:
//!
//! * pickle → JSON is `json.dumps(pickle.loads(data), **flags)` plus a newline,
//!   on the CPython-written corpus, for each json.dumps flag;
//! * JSON → pickle is `pickle.dumps(json.loads(data), protocol)`, byte for
//!   byte, on the JSON benchmark files and every JSONTestSuite file Python
//!   accepts, at protocols 0–5 (and Python's error where it refuses);
//! * format detection, and bad input: exit status 2 and a message that says why.

mod common;

use common::{brinery_with, corpus, parallel_map, run_python, scratch_dir, shared_data, workspace_root, Outcome};
use std::path::{Path, PathBuf};

fn brinery(args: &[&str]) -> Outcome {
    brinery_with(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>(), None, &[])
}

fn stderr(out: &Outcome) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// json.dumps keyword arguments (as JSON) and the flags that ask for them.
const DUMP_FLAGS: &[(&str, &[&str])] = &[
    ("{}", &[]),
    (r#"{"indent": 2}"#, &["--indent", "2"]),
    (r#"{"sort_keys": true}"#, &["--sort-keys"]),
    (r#"{"ensure_ascii": false}"#, &["--no-ensure-ascii"]),
    (r#"{"separators": [",", ":"]}"#, &["--separators", ",", ":"]),
    (r#"{"allow_nan": false}"#, &["--no-allow-nan"]),
    (r#"{"skipkeys": true}"#, &["--skipkeys"]),
    (r#"{"indent": "\t", "separators": [", ", ": "]}"#, &["--indent", "\\t", "--separators", ", ", ": "]),
    (
        r#"{"indent": -1, "sort_keys": true, "ensure_ascii": false}"#,
        &["--indent", "-1", "--sort-keys", "--no-ensure-ascii"],
    ),
    // Python 3.11's pure-Python encoder (indent set) words NaN errors and
    // all-skipped dicts its own way.
    (r#"{"indent": 2, "allow_nan": false}"#, &["--indent", "2", "--no-allow-nan"]),
    (r#"{"indent": 2, "skipkeys": true}"#, &["--indent", "2", "--skipkeys"]),
];

/// For each (file, kwargs): `json.dumps(LOAD(file), **kwargs)`, or the
/// exception it raised as `Name: message`. LOAD is `pickle.loads` or
/// `json.loads` of the file's bytes. Text that UTF-8 cannot hold (lone
/// surrogates) counts as the UnicodeEncodeError writing it would raise.
const DUMPS_SCRIPT: &str = r#"
import json, pickle, sys
sys.path.insert(0, sys.argv[1])  # corpus_classes, for the corpus' objects
load = pickle.loads if sys.argv[2] == "pickle" else json.loads
out = []
for path, kwargs in json.load(sys.stdin):
    if "separators" in kwargs:
        kwargs["separators"] = tuple(kwargs["separators"])
    try:
        with open(path, "rb") as f:
            text = json.dumps(load(f.read()), **kwargs)
        text.encode("utf-8")
        out.append({"ok": text})
    except Exception as e:
        out.append({"error": "%s: %s" % (type(e).__name__, e)})
json.dump(out, sys.stdout)
"#;

/// Python's `json.dumps` of each file's value, per [`DUMPS_SCRIPT`].
fn python_dumps(cases: &[(PathBuf, &str)], load: &str) -> Vec<Result<String, String>> {
    let list: Vec<serde_json::Value> = cases
        .iter()
        .map(|(p, kw)| {
            serde_json::json!([p.display().to_string(), serde_json::from_str::<serde_json::Value>(kw).unwrap()])
        })
        .collect();
    let corpus_dir = workspace_root().join("tests/corpus").display().to_string();
    let out = run_python(DUMPS_SCRIPT, &[&corpus_dir, load], &serde_json::to_vec(&list).unwrap());
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    results
        .into_iter()
        .map(|r| match r.get("ok") {
            Some(text) => Ok(text.as_str().unwrap().to_string()),
            None => Err(r["error"].as_str().unwrap().to_string()),
        })
        .collect()
}

/// Checks brinery's `convert --to json` against Python's json.dumps for
/// each (file, kwargs, flags). Where Python succeeds, brinery must print the
/// same text; where it raises, brinery must exit with 2 and Python's message.
/// For `lenient` inputs brinery may also refuse (status 2, no output) where
/// Python succeeds, and word its refusal its own way. Returns the number of
/// cases and the failures.
fn check_to_json(inputs: &[PathBuf], from: &str, lenient: &dyn Fn(&Path) -> bool) -> (usize, Vec<String>) {
    let cases: Vec<(PathBuf, &str, &[&str])> =
        DUMP_FLAGS.iter().flat_map(|(kw, flags)| inputs.iter().map(move |p| (p.clone(), *kw, *flags))).collect();
    let python = python_dumps(&cases.iter().map(|(p, kw, _)| (p.clone(), *kw)).collect::<Vec<_>>(), from);
    let brinery = parallel_map(&cases, |(path, _, flags)| {
        let mut args = vec!["convert".to_string(), path.display().to_string(), "--to".into(), "json".into()];
        args.extend(["--from".to_string(), from.to_string()]);
        args.extend(flags.iter().map(|s| s.to_string()));
        brinery_with(&args, None, &[])
    });
    let mut failures = Vec::new();
    for ((path, _, flags), (expected, got)) in cases.iter().zip(python.iter().zip(&brinery)) {
        let what = format!("{} {}", path.file_name().unwrap().to_string_lossy(), flags.join(" "));
        match expected {
            // Refusing is the one acceptable difference, where allowed.
            Ok(_) if lenient(path) && got.code == 2 && got.stdout.is_empty() => {}
            Ok(text) => {
                if got.code != 0 || got.stdout != format!("{text}\n").as_bytes() {
                    failures.push(format!(
                        "{what}: python wrote {text:.200?}; brinery (exit {}) {:.200?} {}",
                        got.code,
                        String::from_utf8_lossy(&got.stdout),
                        stderr(got)
                    ));
                }
            }
            Err(error) => {
                let message = error.split_once(": ").map_or(error.as_str(), |(_, m)| m);
                let clean = got.code == 2 && got.stdout.is_empty();
                let worded = stderr(got).contains(message)
                    || (error.starts_with("RecursionError")
                        && stderr(got).contains("maximum recursion depth exceeded"));
                if !clean || !(worded || lenient(path)) {
                    failures.push(format!("{what}: python raised {error}; brinery exit {}: {}", got.code, stderr(got)));
                }
            }
        }
    }
    (cases.len(), failures)
}

/// pickle → JSON for every builtin-type value of the CPython corpus (written
/// at protocols 0 and 5): the same text as json.dumps, or the same error.
#[test]
fn pickle_to_json_is_json_dumps_of_pickle_loads() {
    let (dir, entries) = corpus();
    let inputs: Vec<PathBuf> = entries
        .iter()
        .filter(|e| e.builtin && e.count == 1 && !e.needs_hooks && (e.protocol == 0 || e.protocol == 5))
        .map(|e| e.file(dir, "pkl"))
        .collect();
    assert!(inputs.len() > 100, "only {} corpus entries", inputs.len());
    let (checked, failures) = check_to_json(&inputs, "pickle", &|_| false);
    assert!(failures.is_empty(), "{} of {checked} differ:\n{}", failures.len(), failures.join("\n"));
}

/// pickle → JSON for class instances and stdlib objects: json.dumps decides
/// by the real type (an IntEnum member is written as its int), which an
/// inert value cannot always know; brinery must then refuse with status 2,
/// and never print something Python would not.
#[test]
fn pickle_to_json_never_guesses_about_objects() {
    let (dir, entries) = corpus();
    let inputs: Vec<PathBuf> = entries
        .iter()
        .filter(|e| !e.builtin && e.count == 1 && !e.needs_hooks && e.protocol >= 2)
        .map(|e| e.file(dir, "pkl"))
        .collect();
    assert!(inputs.len() > 30, "only {} corpus entries", inputs.len());
    let (checked, failures) = check_to_json(&inputs, "pickle", &|_| true);
    assert!(failures.is_empty(), "{} of {checked} differ:\n{}", failures.len(), failures.join("\n"));
}

/// `--lossless` both ways through the command line: pickle → tagged JSON →
/// pickle gives CPython's `pickle.dumps(pickle.loads(data), protocol)` (the
/// corpus's `.redump`; set-free values, where those bytes are fixed). The
/// library's own tests cover the mapping; this checks the plumbing, stdin
/// and `-o` included.
#[test]
fn lossless_round_trip_restores_the_pickle() {
    let (dir, entries) = corpus();
    let cases: Vec<_> = entries.iter().filter(|e| e.count == 1 && !e.needs_hooks && !e.has_sets).collect();
    assert!(cases.len() > 300, "only {} corpus entries", cases.len());
    let scratch = scratch_dir("lossless");
    let failures: Vec<String> = parallel_map(&cases, |e| {
        let original = e.file(dir, "pkl");
        let json_path = scratch.join(format!("{}.json", e.stem));
        let to_json = brinery_with(
            &[
                "convert".into(),
                original.display().to_string(),
                "--to".into(),
                "json".into(),
                "--lossless".into(),
                "-o".into(),
                json_path.display().to_string(),
            ],
            None,
            &[],
        );
        if to_json.code != 0 {
            return Some(format!("{}: to json: {}", original.display(), stderr(&to_json)));
        }
        let args: Vec<String> =
            ["convert", "-", "--from", "json", "--to", "pickle", "--lossless", "--protocol", &e.protocol.to_string()]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let back = brinery_with(&args, Some(&json_path), &[]);
        let want = std::fs::read(e.file(dir, "redump")).unwrap();
        (back.code != 0 || back.stdout != want).then(|| format!("{}: {}", original.display(), stderr(&back)))
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// The JSONTestSuite files json.loads accepts, and the benchmark files.
fn accepted_json_files() -> Vec<PathBuf> {
    let suite = shared_data().join("JSONTestSuite/test_parsing");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&suite).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.extend(["twitter", "citm_catalog", "canada"].map(|n| shared_data().join(format!("json-benchmark/{n}.json"))));
    files
}

/// JSON → JSON (`--from json --to json`) is json.dumps(json.loads(data), **flags).
#[test]
fn json_to_json_is_json_dumps_of_json_loads() {
    let inputs = accepted_json_files();
    let (checked, failures) = check_to_json(&inputs, "json", &|_| false);
    assert!(failures.is_empty(), "{} of {checked} differ:\n{}", failures.len(), failures.join("\n"));
}

/// For each file and protocol: `pickle.dumps(json.loads(data), protocol)`
/// written to OUTDIR/I.P, or the error json.loads raised, in a list.
const PICKLE_SCRIPT: &str = r#"
import json, os, pickle, sys
outdir = sys.argv[1]
errors = []
for i, path in enumerate(json.load(sys.stdin)):
    try:
        with open(path, "rb") as f:
            value = json.loads(f.read())
    except Exception as e:
        errors.append("%s: %s" % (type(e).__name__, e))
        continue
    errors.append(None)
    for p in range(6):
        with open(os.path.join(outdir, "%d.%d" % (i, p)), "wb") as f:
            f.write(pickle.dumps(value, p))
json.dump(errors, sys.stdout)
"#;

/// JSON → pickle at every protocol gives CPython's bytes (strings memoized
/// as CPython's json.loads shares them: repeated keys, one-character and
/// empty strings); JSON Python refuses is refused with its message, status 2.
/// The format is detected, not given.
#[test]
fn json_to_pickle_is_pickle_dumps_of_json_loads() {
    let dir = scratch_dir("json-to-pickle");
    let py_dir = dir.join("python");
    std::fs::create_dir_all(&py_dir).unwrap();
    let files = accepted_json_files();
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let out = run_python(PICKLE_SCRIPT, &[py_dir.to_str().unwrap()], &serde_json::to_vec(&names).unwrap());
    let errors: Vec<Option<String>> = serde_json::from_slice(&out).unwrap();
    let cases: Vec<(usize, u8)> = (0..files.len()).flat_map(|i| (0..=5u8).map(move |p| (i, p))).collect();
    let results = parallel_map(&cases, |&(i, p)| {
        let output = dir.join(format!("{i}.{p}"));
        let args =
            ["convert", &names[i], "--to", "pickle", "--protocol", &p.to_string(), "-o", output.to_str().unwrap()];
        (brinery(&args), std::fs::read(&output).ok())
    });
    let mut failures = Vec::new();
    let mut accepted = 0;
    for (&(i, p), (got, written)) in cases.iter().zip(&results) {
        let name = files[i].file_name().unwrap().to_string_lossy();
        match &errors[i] {
            None => {
                accepted += 1;
                let expected = std::fs::read(py_dir.join(format!("{i}.{p}"))).unwrap();
                if got.code != 0 || written.as_ref() != Some(&expected) {
                    failures.push(format!("{name} protocol {p}: exit {} {}", got.code, stderr(got)));
                }
            }
            Some(error) if p == 0 => {
                let message = error.split_once(": ").map_or(error.as_str(), |(_, m)| m);
                let worded = stderr(got).contains(message)
                    || (error.starts_with("RecursionError")
                        && stderr(got).contains("maximum recursion depth exceeded"));
                if got.code != 2 || !worded || written.is_some() {
                    failures.push(format!("{name}: python raised {error}; brinery exit {}: {}", got.code, stderr(got)));
                }
            }
            Some(_) => {}
        }
    }
    assert!(accepted > 600, "only {accepted} conversions checked");
    assert!(failures.is_empty(), "{} differ:\n{}", failures.len(), failures.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a pickle is and what JSON is, told from the bytes; `N` and `I`
/// (pickle NONE / INT, JSON NaN / Infinity) resolved by what parses.
#[test]
fn formats_are_detected_from_content() {
    let dir = scratch_dir("detect");
    let cases: &[(&str, &[u8], &str)] = &[
        ("p2", b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01e.", "[1, \"a\"]\n"),
        ("p0", b"(lp0\nI1\naVa\np1\na.", "[1, \"a\"]\n"),
        ("none", b"N.", "null\n"),
        ("int", b"I42\n.", "42\n"),
        ("nan", b"NaN", "NaN\n"),
        ("infinity", b"Infinity", "Infinity\n"),
        ("object", b" {\"a\": [1, 2]}", "{\"a\": [1, 2]}\n"),
        ("bom", b"\xef\xbb\xbf[1]", "[1]\n"),
        ("utf16", b"\xff\xfe[\x001\x00]\x00", "[1]\n"),
        ("utf16-no-bom", b"N\x00a\x00N\x00", "NaN\n"),
    ];
    for (name, data, json) in cases {
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        let out = brinery(&["convert", path.to_str().unwrap(), "--to", "json"]);
        assert_eq!((out.code, String::from_utf8_lossy(&out.stdout).as_ref()), (0, *json), "{name}: {}", stderr(&out));
    }
    // Ambiguous and unknown input asks for --from, with exit status 2.
    for (name, data, says) in [
        ("nonsense", &b"Nope"[..], "starts with 'N'"),
        ("empty", b"", "empty"),
        ("text", b"hello", "neither a pickle opcode nor how JSON text starts"),
        ("stop", b".", "neither"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        let out = brinery(&["convert", path.to_str().unwrap(), "--to", "pickle"]);
        let err = stderr(&out);
        assert_eq!(out.code, 2, "{name}: {err}");
        assert!(err.contains(says) && err.contains("--from"), "{name}: {err}");
        assert!(out.stdout.is_empty());
    }
    // --from overrides detection.
    let path = dir.join("p0");
    let out = brinery(&["convert", path.to_str().unwrap(), "--from", "json", "--to", "json"]);
    assert_eq!(out.code, 2);
    assert!(
        stderr(&out).contains("not valid JSON: Expecting value: line 1 column 1 (char 0) (at byte 0)"),
        "{}",
        stderr(&out)
    );
}

/// Values JSON cannot hold, invalid input and flags that do not apply:
/// status 2, and a message in Python's words that says which byte and why.
#[test]
fn bad_input_and_bad_flags_exit_2_with_a_reason() {
    let dir = scratch_dir("convert-errors");
    let write = |name: &str, data: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        path.display().to_string()
    };
    let bytes_pickle = write("bytes.pkl", b"\x80\x03C\x01x\x94.");
    let set_pickle = write("set.pkl", b"\x80\x04\x8f\x94(K\x01\x90.");
    let tuple_key = write("tuple-key.pkl", b"\x80\x02}q\x00K\x01K\x02\x86q\x01K\x03s.");
    let nan_pickle = write("nan.pkl", b"\x80\x02G\x7f\xf8\x00\x00\x00\x00\x00\x00.");
    let surrogate = write("surrogate.pkl", b"X\x03\x00\x00\x00\xed\xa0\x80.");
    let bad_json = write("bad.json", b"[1, 2,, 3]");
    let bad_bom_json = write("bad-bom.json", b"\xef\xbb\xbf\n[1,]");
    let tagged = write("tagged.json", br#"{"py/tuple": [1, 2]}"#);
    let good = write("good.json", b"[1]");
    let cases: &[(&[&str], &[&str])] = &[
        (&[&bytes_pickle, "--to", "json"], &["Object of type bytes is not JSON serializable", "--lossless"]),
        (&[&set_pickle, "--to", "json"], &["Object of type set is not JSON serializable"]),
        (&[&tuple_key, "--to", "json"], &["keys must be str, int, float, bool or None, not tuple"]),
        (&[&nan_pickle, "--to", "json", "--no-allow-nan"], &["Out of range float values are not JSON compliant"]),
        (&[&surrogate, "--to", "json", "--no-ensure-ascii"], &["surrogates not allowed"]),
        (&[&bad_json, "--to", "pickle"], &["not valid JSON: Expecting value: line 1 column 7 (char 6) (at byte 6)"]),
        (&[&bad_bom_json, "--to", "pickle"], &["Expecting value: line 2 column 4 (char 4) (at byte 7)"]),
        (&[&good, "--to", "pickle", "--indent", "2"], &["--indent", "--to pickle"]),
        (&[&good, "--to", "json", "--protocol", "2"], &["--protocol", "--to json"]),
        (&[&good, "--to", "json", "--lossless"], &["--lossless", "JSON already"]),
    ];
    for (args, says) in cases {
        let mut all = vec!["convert"];
        all.extend_from_slice(args);
        let out = brinery(&all);
        let err = stderr(&out);
        assert_eq!(out.code, 2, "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} wrote output");
        for s in *says {
            assert!(err.contains(s), "{args:?}: {err:?} lacks {s:?}");
        }
    }
    // Tagged JSON without --lossless is converted as plain dicts, with a note.
    let out = brinery(&["convert", &tagged, "--to", "pickle", "--protocol", "2"]);
    assert_eq!(out.code, 0);
    assert!(stderr(&out).contains("--lossless"), "{}", stderr(&out));
    assert_eq!(out.stdout, b"\x80\x02}q\x00X\x08\x00\x00\x00py/tupleq\x01]q\x02(K\x01K\x02es.");
}

/// `-` reads standard input; `-o` writes a file.
#[test]
fn stdin_and_output_file() {
    let dir = scratch_dir("convert-stdio");
    let input = dir.join("in.json");
    std::fs::write(&input, br#"{"k": [1.5, "v"]}"#).unwrap();
    let args = ["convert".to_string(), "-".into(), "--to".into(), "pickle".into(), "--protocol".into(), "1".into()];
    let out = brinery_with(&args, Some(&input), &[]);
    assert_eq!(out.code, 0, "{}", stderr(&out));
    assert_eq!(
        out.stdout,
        b"}q\x00X\x01\x00\x00\x00kq\x01]q\x02(G?\xf8\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00vq\x03es."
    );
    let pickled = dir.join("out.pkl");
    std::fs::write(&pickled, &out.stdout).unwrap();
    let json = dir.join("out.json");
    let out =
        brinery(&["convert", pickled.to_str().unwrap(), "--to", "json", "--indent", "1", "-o", json.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&json).unwrap(), "{\n \"k\": [\n  1.5,\n  \"v\"\n ]\n}\n");
}
