//! Differential tests of `brinery::json` against CPython's `json`:
//! - generated values × generated `json.dumps` option sets: the output is
//!   byte for byte `json.dumps`' (or the error is the same exception with the
//!   same message), and `loads` of Python's output gives the value Python
//!   reads back;
//! - JSON → pickle: `pickle::dumps(json::loads(doc), p)` is CPython's
//!   `pickle.dumps(json.loads(doc), p)` (the key memo and CPython's
//!   one-character string singletons decide the memo references);
//! - hand-picked malformed documents get CPython's error message, and
//!   documents indented every width load as CPython loads them.

mod common;

use brinery::json::{self, DumpOptions, Indent, LoadOptions};
use brinery::pickle;
use brinery::{Int, Str, Value};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn text() -> impl Strategy<Value = Value<'static>> {
    prop_oneof![
        "[a-zA-Z0-9 _]{0,8}".prop_map(Value::from),
        // Controls, quotes, backslashes, DEL, Latin-1, BMP, surrogates, astral.
        proptest::collection::vec(
            prop_oneof![
                0u32..0x20,
                Just(0x22),
                Just(0x5c),
                Just(0x2f),
                Just(0x7f),
                0x80u32..0x800,
                0xd800u32..0xe000,
                0x10000u32..0x110000
            ],
            0..6
        )
        .prop_map(|cps| Value::Str(Str::from_code_points(cps))),
    ]
}

fn number() -> impl Strategy<Value = Value<'static>> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        (any::<i128>(), 0u32..3)
            .prop_map(|(v, shift)| Value::Int(Int::from(num_bigint::BigInt::from(v) << (shift * 90)))),
        any::<f64>().prop_map(Value::Float),
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(1e16),
            Just(1e-7),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY)
        ]
        .prop_map(Value::Float),
    ]
}

fn leaf() -> impl Strategy<Value = Value<'static>> {
    prop_oneof![
        8 => Just(Value::None),
        8 => any::<bool>().prop_map(Value::Bool),
        20 => number(),
        20 => text(),
        // Values JSON cannot hold.
        1 => proptest::collection::vec(any::<u8>(), 0..3).prop_map(Value::bytes),
        1 => proptest::collection::vec(0i64..3, 0..3).prop_map(Value::set),
    ]
}

/// Keys: mostly str, some of the other kinds json.dumps coerces, rarely one it rejects.
fn key() -> impl Strategy<Value = Value<'static>> {
    prop_oneof![
        12 => text(),
        3 => number(),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::None),
        1 => (any::<i8>(), any::<i8>()).prop_map(|(a, b)| Value::tuple([a, b])),
    ]
}

fn value() -> impl Strategy<Value = Value<'static>> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::list),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::tuple),
            proptest::collection::vec((key(), inner.clone()), 0..6).prop_map(Value::dict),
            // Only str keys, so that sort_keys usually succeeds.
            proptest::collection::vec(("[a-d]{0,2}", inner), 0..6).prop_map(Value::dict),
        ]
    })
}

fn separators() -> impl Strategy<Value = Option<(String, String)>> {
    prop_oneof![
        Just(None),
        Just(Some((",".to_owned(), ":".to_owned()))),
        Just(Some((", ".to_owned(), ": ".to_owned()))),
        ("[ ,;é]{0,3}", "[ :=é]{0,3}").prop_map(Some),
    ]
}

fn indent() -> impl Strategy<Value = Option<(Indent, serde_json::Value)>> {
    prop_oneof![
        Just(None),
        (-2i64..5).prop_map(|n| Some((Indent::from(n), serde_json::json!(n)))),
        "[ \t.é]{0,3}".prop_map(|s: String| Some((Indent::from(s.as_str()), serde_json::json!(s)))),
    ]
}

fn options() -> impl Strategy<Value = (DumpOptions, String)> {
    (indent(), separators(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(indent, separators, sort_keys, ensure_ascii, allow_nan, skipkeys)| {
            let mut py = serde_json::json!({
                "sort_keys": sort_keys, "ensure_ascii": ensure_ascii, "allow_nan": allow_nan, "skipkeys": skipkeys,
            });
            let mut opts = DumpOptions::default()
                .sort_keys(sort_keys)
                .ensure_ascii(ensure_ascii)
                .allow_nan(allow_nan)
                .skipkeys(skipkeys);
            if let Some((indent, as_python)) = indent {
                opts = opts.indent(indent);
                py["indent"] = as_python;
            }
            if let Some((item, key)) = separators {
                py["separators"] = serde_json::json!([item, key]);
                opts = opts.separators(item, key);
            }
            (opts, py.to_string())
        },
    )
}

#[test]
fn dumps_matches_python_for_generated_values_and_options() {
    const CASES: usize = 1500;
    let mut runner = TestRunner::new(Config { cases: CASES as u32, ..Config::default() });
    let strategy = (value(), options());
    let cases: Vec<(Value<'static>, DumpOptions, String)> = (0..CASES)
        .map(|_| {
            let (v, (opts, py)) = strategy.new_tree(&mut runner).unwrap().current();
            (v, opts, py)
        })
        .collect();
    let input: String = cases
        .iter()
        .map(|(v, _, py)| format!("{}\t{py}\n", hex(&pickle::dumps(v, &pickle::DumpOptions::default()).unwrap())))
        .collect();
    let oracle = common::run_script("tests/json/dumps_oracle.py", &input);
    let answers: Vec<&str> = oracle.lines().collect();
    assert_eq!(answers.len(), CASES);
    let (mut problems, mut outputs, mut errors) = (Vec::new(), 0, 0);
    for ((v, opts, py), answer) in cases.iter().zip(answers) {
        let want: serde_json::Value = serde_json::from_str(answer).unwrap();
        let ours = json::dumps_str(v, opts);
        match (&want["out"], ours) {
            (serde_json::Value::String(out), Ok(text)) => {
                outputs += 1;
                if hex(text.as_surrogatepass()) != *out {
                    problems.push(format!(
                        "{v} {py}:\n  brinery {text}\n  Python  {}",
                        String::from_utf8_lossy(&unhex(out))
                    ));
                    continue;
                }
                // Python's output read back by brinery is what Python reads back.
                let python_text = unhex(out);
                let back = match json::loads(&python_text, &LoadOptions::default()) {
                    Ok(back) => serde_json::Value::String(hex(back.to_string().as_bytes())),
                    Err(e) => serde_json::json!({ "msg": e.to_string() }),
                };
                if back != want["back"] {
                    problems.push(format!("{v} {py}: loads gives {back}, Python {}", want["back"]));
                }
            }
            (serde_json::Value::String(_), Err(e)) => problems.push(format!("{v} {py}: brinery fails: {e}")),
            (_, Ok(text)) => problems.push(format!("{v} {py}: Python raises {want}, brinery writes {text}")),
            (_, Err(e)) => {
                errors += 1;
                let (exc, msg) = (want["exc"].as_str().unwrap(), want["msg"].as_str().unwrap());
                let same_type = e.py_exception().name() == exc;
                // Recursion errors only agree on the type (brinery names its limit).
                if !same_type || (exc != "RecursionError" && e.to_string() != msg) {
                    problems.push(format!("{v} {py}: Python {exc}: {msg}; brinery {e}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} of {CASES} cases differ:\n{}", problems.len(), problems.join("\n"));
    // The generator must exercise both outcomes.
    assert!(outputs > CASES / 2 && errors > 20, "outputs {outputs}, errors {errors}");
}

/// Documents whose pickles depend on string identity (repeated keys, one-
/// character strings) and the benchmark files.
fn json_documents() -> Vec<(String, Vec<u8>)> {
    let mut docs: Vec<(String, Vec<u8>)> = [
        r#"["a", "a", {"k": "a", "k2": "bb"}, {"k": "bb", "k2": "a"}, "", "", "é", "é", "Ā", "Ā", "😀", "😀"]"#,
        r#"{"a": {"a": {"a": []}}, "\u0061": 1, "b": [1.5, -0.0, 1e300, 12345678901234567890123]}"#,
        r#"[NaN, Infinity, -Infinity, "\ud800", "\ud83d\ude00", {"\ud800": null}]"#,
    ]
    .iter()
    .enumerate()
    .map(|(i, d)| (format!("crafted {i}"), d.as_bytes().to_vec()))
    .collect();
    let dir = common::shared_data().join("json-benchmark");
    for name in ["twitter.json", "citm_catalog.json", "canada.json"] {
        docs.push((name.to_owned(), std::fs::read(dir.join(name)).unwrap()));
    }
    docs
}

#[test]
fn json_to_pickle_matches_cpython_at_every_protocol() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("json2pickle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut lines = String::new();
    for (i, (name, doc)) in json_documents().iter().enumerate() {
        let value = json::loads(doc, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        for protocol in 0..=5u8 {
            let ours = pickle::dumps(&value, &pickle::DumpOptions::protocol(protocol)).unwrap();
            let doc_path = dir.join(format!("{i}.json"));
            std::fs::write(&doc_path, doc).unwrap();
            let pkl_path = dir.join(format!("{i}.p{protocol}.pkl"));
            std::fs::write(&pkl_path, &ours).unwrap();
            lines.push_str(&format!("{}\t{}\t{protocol}\t{name}\n", doc_path.display(), pkl_path.display()));
        }
    }
    let script = r#"
import json, pickle, sys
for line in sys.stdin:
    doc, pkl, protocol, name = line.rstrip("\n").split("\t")
    want = pickle.dumps(json.loads(open(doc, "rb").read()), int(protocol))
    if open(pkl, "rb").read() != want:
        print(f"{name} at protocol {protocol}")
"#;
    let bad = common::run_python(script, &lines);
    assert!(bad.trim().is_empty(), "brinery's pickle of the loaded JSON differs from CPython's:\n{bad}");
}

#[test]
fn malformed_documents_get_pythons_messages() {
    let docs = [
        "",
        " ",
        "[",
        "[1,",
        "[1,]",
        "[1 2]",
        "{",
        "{\"a\"",
        "{\"a\" 1}",
        "{\"a\":",
        "{\"a\":1,",
        "{\"a\":1,}",
        "{1:1}",
        "{\"a\":1 \"b\":2}",
        "1 2",
        "[1]]",
        "01",
        "-",
        "-a",
        "1.",
        ".5",
        "+1",
        "1e",
        "1e+",
        "1.e5",
        "-NaN",
        "nul",
        "tru",
        "\"",
        "\"abc",
        "\"\\",
        "\"\\\"",
        "\"\\x\"",
        "\"\\u\"",
        "\"\\u12\"",
        "\"\\u12345",
        "\"\\uzzzz\"",
        "\"\\ud800\\u12\"",
        "\"\\ud800\\uzzzz\"",
        "\"\\ud800\\udc00",
        "\"a\nb\"",
        "\"a\tb\"",
        "\n\n  x",
        "[1,\n  ,2]",
        "\"😀\" x",
        "[\"é\", x]",
        "{\"a\": [1, {\"b\": }]}",
        "[\r\n1,\r\n x]",
        "[1, 2, 3]  \n\n  ]",
    ];
    let problems = loads_like_python(&docs);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The documents `json.loads` and `json::loads` read differently: each
/// gives the same value (compared as `json.dumps` writes it) or the same
/// error message, position included.
fn loads_like_python<D: AsRef<str>>(docs: &[D]) -> Vec<String> {
    let input: String = docs.iter().map(|d| format!("{}\n", serde_json::to_string(d.as_ref()).unwrap())).collect();
    let script = r#"
import json, sys
for line in sys.stdin:
    try:
        print(json.dumps(json.loads(json.loads(line))))
    except json.JSONDecodeError as e:
        print(str(e))
"#;
    let answers = common::run_python(script, &input);
    assert_eq!(answers.lines().count(), docs.len());
    let mut problems = Vec::new();
    for (doc, want) in docs.iter().map(AsRef::as_ref).zip(answers.lines()) {
        let got = match json::loads(doc, &LoadOptions::default()) {
            Ok(v) => json::dumps_str(&v, &DumpOptions::default()).unwrap().to_string(),
            Err(e) => e.to_string(),
        };
        if got != want {
            problems.push(format!("{doc:?}: brinery {got:?}, Python {want:?}"));
        }
    }
    problems
}

/// Strings of every length around the writer's short-string path (up to 16
/// bytes it tests whole words), with each kind of character that needs an
/// escape, or does not, at every position: the text is `json.dumps`' with
/// and without `ensure_ascii`.
#[test]
fn strings_of_every_short_length_escape_like_python() {
    let specials = [0x00u32, 0x1f, 0x22, 0x5c, 0x2f, 0x7f, 0x80, 0xe9, 0x800, 0xd800, 0xdfff, 0x1f600];
    let mut strings: Vec<Vec<u32>> = (0..=20).map(|n| vec![u32::from(b'b'); n]).collect();
    for n in 1..=20 {
        for at in 0..n {
            for &special in &specials {
                let mut cps = vec![u32::from(b'b'); n];
                cps[at] = special;
                strings.push(cps);
            }
        }
    }
    let input: String = strings.iter().map(|cps| format!("{cps:?}\n")).collect();
    let script = r#"
import json, sys
for line in sys.stdin:
    s = "".join(map(chr, json.loads(line)))
    print(" ".join(json.dumps(s, ensure_ascii=a).encode("utf-8", "surrogatepass").hex() for a in (True, False)))
"#;
    let answers = common::run_python(script, &input);
    let mut problems = Vec::new();
    for (cps, want) in strings.iter().zip(answers.lines()) {
        let value = Value::Str(Str::from_code_points(cps.iter().copied()));
        let ours: Vec<String> = [true, false]
            .iter()
            .map(|&ascii| {
                let opts = DumpOptions { ensure_ascii: ascii, ..DumpOptions::default() };
                hex(json::dumps_str(&value, &opts).unwrap().as_surrogatepass())
            })
            .collect();
        if ours.join(" ") != want {
            problems.push(format!("{cps:x?}: brinery {}, Python {want}", ours.join(" ")));
        }
    }
    assert_eq!(answers.lines().count(), strings.len());
    assert!(problems.is_empty(), "{} strings differ:\n{}", problems.len(), problems.join("\n"));
}

/// Indentation of every width after a line break (the parser counts its
/// spaces a word at a time), before a value and before an error: the same
/// value, or the same message and position, as `json.loads`.
#[test]
fn indentation_of_every_width_reads_like_python() {
    let docs: Vec<String> = (0..=20)
        .flat_map(|k| {
            let pad = " ".repeat(k);
            [
                format!("[1,\n{pad}2]"),
                format!("[1,\n{pad}x]"),
                format!("{{\n{pad}\"a\":\n{pad}\t[\n{pad}\r\n{pad} 1]}}"),
                format!("\n{pad}"),
                format!("\n{pad}\"end"),
            ]
        })
        .collect();
    let problems = loads_like_python(&docs);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
