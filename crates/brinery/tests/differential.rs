//! Differential tests against CPython: CPython writes a broad corpus of
//! pickles; brinery loads each and dumps it again, and the bytes must equal
//! what CPython's own `pickle.dumps(pickle.loads(data), protocol)` gives.

mod common;

use brinery::pickle::{self, DumpOptions, LoadOptions};
use brinery::Value;
use common::{corpus, cpython_unequal, load_all, load_opts, Entry};
use std::path::PathBuf;

fn dump_all(values: &[Value<'_>], protocol: u8, out_of_band: bool) -> Result<(Vec<u8>, Vec<Vec<u8>>), pickle::Error> {
    let opts = DumpOptions { out_of_band, ..DumpOptions::protocol(protocol) };
    let mut out = Vec::new();
    let mut buffers = Vec::new();
    for v in values {
        let (bytes, bufs) = pickle::dumps_with_buffers(v, &opts)?;
        out.extend_from_slice(&bytes);
        buffers.extend(bufs.iter().map(|b| b.as_slice().to_vec()));
    }
    Ok((out, buffers))
}

struct Outcome {
    failures: Vec<String>,
    set_pairs: Vec<(PathBuf, PathBuf, &'static Entry)>,
    checked: usize,
}

/// Compares `ours` with the expected file, deferring set-order differences to CPython.
fn check(out: &mut Outcome, e: &'static Entry, what: &str, ours: &[u8], expected_path: PathBuf) {
    out.checked += 1;
    let expected = std::fs::read(&expected_path).unwrap();
    if ours == expected.as_slice() {
        return;
    }
    if e.has_sets {
        let mine =
            expected_path.with_extension(format!("{}.brinery", expected_path.extension().unwrap().to_str().unwrap()));
        std::fs::write(&mine, ours).unwrap();
        out.set_pairs.push((mine, expected_path, e));
        return;
    }
    let at = ours.iter().zip(&expected).position(|(a, b)| a != b).unwrap_or(ours.len().min(expected.len()));
    out.failures.push(format!(
        "{} p{} {what}: differs at byte {at} (ours {} bytes, CPython {})\n  ours:    {:?}\n  CPython: {:?}",
        e.name,
        e.protocol,
        ours.len(),
        expected.len(),
        String::from_utf8_lossy(&ours[at.saturating_sub(20)..(at + 40).min(ours.len())]),
        String::from_utf8_lossy(&expected[at.saturating_sub(20)..(at + 40).min(expected.len())]),
    ));
}

fn report(out: Outcome) {
    let mut failures = out.failures;
    failures.extend(cpython_unequal(&out.set_pairs));
    if !failures.is_empty() {
        panic!("{} of {} comparisons failed:\n{}", failures.len(), out.checked, failures.join("\n"));
    }
    eprintln!("{} comparisons matched CPython", out.checked);
}

#[test]
fn redump_at_same_protocol_matches_cpython() {
    let (dir, entries) = corpus();
    let mut out = Outcome { failures: Vec::new(), set_pairs: Vec::new(), checked: 0 };
    for e in entries {
        let data = std::fs::read(e.file(dir, "pkl")).unwrap();
        let opts = load_opts(dir, e);
        let values = match load_all(&data, &opts) {
            Ok(v) => v,
            Err(err) => {
                out.failures.push(format!("{} p{}: load failed: {err}", e.name, e.protocol));
                continue;
            }
        };
        assert_eq!(values.len(), e.count, "{} p{}: pickle count", e.name, e.protocol);
        match dump_all(&values, e.protocol, e.buffers) {
            Ok((bytes, buffers)) => {
                check(&mut out, e, "redump", &bytes, e.file(dir, "redump"));
                for (i, buf) in buffers.iter().enumerate() {
                    let expected = std::fs::read(dir.join(format!("{}.p5.buf{i}", e.name))).unwrap();
                    if *buf != expected {
                        out.failures.push(format!("{}: out-of-band buffer {i} differs", e.name));
                    }
                }
            }
            Err(err) => out.failures.push(format!("{} p{}: dump failed: {err}", e.name, e.protocol)),
        }
    }
    report(out);
}

#[test]
fn builtin_values_convert_across_protocols_like_cpython() {
    let (dir, entries) = corpus();
    let mut out = Outcome { failures: Vec::new(), set_pairs: Vec::new(), checked: 0 };
    for e in entries.iter().filter(|e| e.builtin) {
        let data = std::fs::read(e.file(dir, "pkl")).unwrap();
        let opts = load_opts(dir, e);
        let Ok(values) = load_all(&data, &opts) else {
            continue;
        }; // reported by the test above
        for q in 0..=5u8 {
            if q == e.protocol || !e.file(dir, &format!("to{q}")).exists() {
                continue;
            }
            match dump_all(&values, q, false) {
                Ok((bytes, _)) => {
                    check(&mut out, e, &format!("to protocol {q}"), &bytes, e.file(dir, &format!("to{q}")))
                }
                Err(err) => out.failures.push(format!("{} p{} to {q}: dump failed: {err}", e.name, e.protocol)),
            }
        }
    }
    report(out);
}

#[test]
fn show_matches_python_repr_for_builtin_values() {
    let (dir, entries) = corpus();
    let mut failures = Vec::new();
    let mut checked = 0;
    for e in entries.iter().filter(|e| e.builtin && !e.has_sets) {
        let data = std::fs::read(e.file(dir, "pkl")).unwrap();
        let opts = load_opts(dir, e);
        let Ok(values) = load_all(&data, &opts) else {
            continue;
        };
        let ours: String = values.iter().map(|v| format!("{v}\n")).collect();
        let expected = String::from_utf8(std::fs::read(e.file(dir, "repr")).unwrap()).unwrap();
        checked += 1;
        if ours.trim_end() != expected.trim_end() {
            let at = ours.chars().zip(expected.chars()).position(|(a, b)| a != b).unwrap_or(0);
            failures.push(format!(
                "{} p{}: repr differs at char {at}: ours {:?} vs {:?}",
                e.name,
                e.protocol,
                ours.chars().skip(at.saturating_sub(10)).take(40).collect::<String>(),
                expected.chars().skip(at.saturating_sub(10)).take(40).collect::<String>()
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {checked} reprs differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn loading_borrows_payloads_from_the_input() {
    let (dir, entries) = corpus();
    let e = entries.iter().find(|e| e.name.starts_with("bytes_70000") && e.protocol == 5).expect("a large bytes case");
    let data = std::fs::read(e.file(dir, "pkl")).unwrap();
    let v = pickle::loads(&data, &LoadOptions::default()).unwrap();
    let Value::Bytes(b) = &v else { panic!("expected bytes, got {}", v.type_name()) };
    assert!(b.is_borrowed());
    let range = data.as_ptr_range();
    assert!(range.contains(&b.as_slice().as_ptr()), "payload must point into the input");
}

/// Ints too long for text: below protocol 2 CPython writes an int as decimal
/// text and refuses past `sys.get_int_max_str_digits()` digits (4300) when
/// dumping, as when loading; from protocol 2 it writes bytes, whatever the size.
#[test]
fn dumping_ints_past_the_text_digit_limit_fails_like_cpython() {
    let script = r#"
import pickle, sys
for digits in (4300, 4301):
    for sign in (1, -1):
        for protocol in range(6):
            try:
                data = pickle.dumps(sign * 10 ** (digits - 1), protocol)
                print(digits, sign, protocol, "ok", data.hex())
            except ValueError:
                print(digits, sign, protocol, "ValueError", "-")
"#;
    let out = common::run_python(script, "");
    let mut checked = 0;
    for line in out.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (digits, sign, protocol): (usize, i32, u8) =
            (f[0].parse().unwrap(), f[1].parse().unwrap(), f[2].parse().unwrap());
        let text = format!("{}1{}", if sign < 0 { "-" } else { "" }, "0".repeat(digits - 1));
        let value = Value::Int(text.parse().unwrap());
        match (pickle::dumps(&value, &DumpOptions::protocol(protocol)), f[3]) {
            (Ok(bytes), "ok") => assert_eq!(hex(&bytes), f[4], "{digits} digits, protocol {protocol}"),
            (Err(e), "ValueError") => {
                assert!(e.to_string().contains("max_int_digits"), "{digits} digits, protocol {protocol}: {e}")
            }
            (ours, theirs) => panic!("{digits} digits, protocol {protocol}: brinery {ours:?}, CPython {theirs}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 24);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
