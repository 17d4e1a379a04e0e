//! Hostile pickles cannot make loading allocate much more than the input:
//! the peak heap use during `loads`/`load` stays under
//! `64 × input length + 64 KiB`, whatever length fields, memo indices or
//! shared-reference "billion laughs" the input contains.
//!
//! This file is its own test binary, so it installs a counting global
//! allocator (current and peak bytes in atomics). Measurements are
//! serialized with a mutex: the counters are process-wide, and tests run on
//! parallel threads.

mod common;

use brinery::pickle::{self, LoadOptions};
use brinery::Value;
#[path = "support/counting_alloc.rs"]
mod counting_alloc;
#[path = "support/files.rs"]
mod files;

use counting_alloc::{peak_during, serial, CURRENT};
use std::sync::atomic::Ordering::SeqCst;

/// The allowed peak for an input of `len` bytes.
fn bound(len: usize) -> usize {
    64 * len + 64 * 1024
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Outcome {
    Loads,
    Fails,
}

struct Case {
    name: &'static str,
    data: Vec<u8>,
    outcome: Outcome,
}

fn le8(n: u64) -> [u8; 8] {
    n.to_le_bytes()
}

/// Length fields announcing far more than the input holds.
fn huge_length_cases() -> Vec<Case> {
    let tail = b"0123456789abcdef";
    vec![
        Case {
            name: "BINBYTES8 of 2^62",
            data: [&b"\x80\x04\x8e"[..], &le8(1 << 62), tail].concat(),
            outcome: Outcome::Fails,
        },
        Case {
            name: "BINUNICODE8 of 2^63-1",
            data: [&b"\x80\x04\x8d"[..], &le8(i64::MAX as u64), tail].concat(),
            outcome: Outcome::Fails,
        },
        Case {
            name: "BYTEARRAY8 of 2^62",
            data: [&b"\x80\x05\x96"[..], &le8(1 << 62), tail].concat(),
            outcome: Outcome::Fails,
        },
        Case {
            name: "BINBYTES of 2^32-1",
            data: [&b"\x80\x03B\xff\xff\xff\xff"[..], tail].concat(),
            outcome: Outcome::Fails,
        },
        Case {
            name: "BINUNICODE of 2^32-1",
            data: [&b"X\xff\xff\xff\xff"[..], tail].concat(),
            outcome: Outcome::Fails,
        },
        Case { name: "BINSTRING of 2^31-1", data: [&b"T\xff\xff\xff\x7f"[..], tail].concat(), outcome: Outcome::Fails },
        Case {
            name: "LONG4 of 2^31-1",
            data: [&b"\x80\x02\x8b\xff\xff\xff\x7f"[..], tail].concat(),
            outcome: Outcome::Fails,
        },
        Case {
            name: "FRAME of 2^62 before a complete pickle",
            data: [&b"\x80\x04\x95"[..], &le8(1 << 62), b"N."].concat(),
            outcome: Outcome::Fails,
        },
    ]
}

/// `x = [1]`, then 30 levels of "a container holding the level below ten
/// times", through the memo: 10^30 leaves when expanded, a few hundred
/// bytes as a graph. Each level is `open`, ten memo GETs of the level
/// below, `close`; lists and dicts (`memoize_before`) are memoized when
/// created, tuples when built. Level k is memo slot k.
fn laughs(open: &[u8], close: &[u8], memoize_before: bool) -> Vec<u8> {
    let mut d = b"\x80\x04]\x94K\x01a".to_vec(); // x = [1], memo 0
    for level in 1..=30u8 {
        if memoize_before {
            // Lists/dicts: create, memoize, then fill.
            d.extend_from_slice(open);
            d.push(0x94);
            d.push(b'(');
        } else {
            d.extend_from_slice(open);
        }
        for i in 0..10u8 {
            if close == b"u" {
                d.extend_from_slice(&[b'K', i]);
            }
            d.extend_from_slice(&[b'h', level - 1]);
        }
        d.extend_from_slice(close);
        if !memoize_before {
            d.push(0x94);
        }
    }
    d.push(b'.');
    d
}

fn hostile_cases() -> Vec<Case> {
    let mut cases = huge_length_cases();
    cases.extend([
        Case { name: "LONG_BINPUT 2^31", data: b"Nr\x00\x00\x00\x80.".to_vec(), outcome: Outcome::Loads },
        Case { name: "LONG_BINPUT 2^32-1", data: b"Nr\xff\xff\xff\xff.".to_vec(), outcome: Outcome::Loads },
        Case { name: "PUT 2^31 (text)", data: b"Np2147483648\n.".to_vec(), outcome: Outcome::Loads },
        Case {
            name: "PUT at 1000 spread-out indices",
            data: {
                let mut d = b"N".to_vec();
                for i in 0..1000u32 {
                    d.push(b'r');
                    d.extend_from_slice(&(i * 4_000_000).to_le_bytes());
                }
                d.push(b'.');
                d
            },
            outcome: Outcome::Loads,
        },
        Case { name: "10^5 MARKs", data: [b"(".repeat(100_000), b"N.".to_vec()].concat(), outcome: Outcome::Loads },
        Case {
            name: "10^5 EMPTY_TUPLEs (one shared object, as in CPython)",
            data: [b")".repeat(100_000), b".".to_vec()].concat(),
            outcome: Outcome::Loads,
        },
        Case {
            name: "10^5 DUPs",
            data: [b"N".to_vec(), b"2".repeat(100_000), b".".to_vec()].concat(),
            outcome: Outcome::Loads,
        },
        Case {
            name: "10^5 memo GETs of one list",
            data: [b"]q\x00".to_vec(), b"h\x00".repeat(50_000), b".".to_vec()].concat(),
            outcome: Outcome::Loads,
        },
        Case { name: "list billion laughs", data: laughs(b"]", b"e", true), outcome: Outcome::Loads },
        Case { name: "dict billion laughs", data: laughs(b"}", b"u", true), outcome: Outcome::Loads },
        Case { name: "tuple billion laughs", data: laughs(b"(", b"t", false), outcome: Outcome::Loads },
        Case {
            name: "text INT of 10^6 digits",
            data: [b"I".to_vec(), b"7".repeat(1_000_000), b"\n.".to_vec()].concat(),
            outcome: Outcome::Fails,
        },
        Case {
            name: "text LONG of 10^6 digits",
            data: [b"L".to_vec(), b"7".repeat(1_000_000), b"L\n.".to_vec()].concat(),
            outcome: Outcome::Fails,
        },
    ]);
    cases
}

/// Many small containers: one input byte each, so the per-container cost
/// (arena node plus stack entry) is what is measured.
fn many_containers_cases() -> Vec<Case> {
    vec![
        Case {
            name: "10^5 EMPTY_LISTs",
            data: [b"]".repeat(100_000), b".".to_vec()].concat(),
            outcome: Outcome::Loads,
        },
        Case {
            name: "10^5 EMPTY_DICTs",
            data: [b"}".repeat(100_000), b".".to_vec()].concat(),
            outcome: Outcome::Loads,
        },
        Case {
            name: "10^5 EMPTY_SETs",
            data: [b"\x8f".repeat(100_000), b".".to_vec()].concat(),
            outcome: Outcome::Loads,
        },
        Case {
            name: "5 × 10^4 one-item tuples",
            data: [b"N\x85".repeat(50_000), b".".to_vec()].concat(),
            outcome: Outcome::Loads,
        },
    ]
}

/// Checks each case's peak against [`bound`]. The caller holds [`serial`].
fn check(cases: &[Case], via_reader: bool) {
    check_with_bound(cases, via_reader, |c| bound(c.data.len()));
}

/// Like [`check`], with a per-case limit on the peak. The caller holds [`serial`].
fn check_with_bound(cases: &[Case], via_reader: bool, limit_of: impl Fn(&Case) -> usize) {
    let mut failures = Vec::new();
    for c in cases {
        let opts = LoadOptions::default();
        let (outcome, peak) = peak_during(|| {
            let result = if via_reader {
                let mut reader = &c.data[..];
                pickle::load(&mut reader, &opts).map(|_| ())
            } else {
                pickle::loads(&c.data, &opts).map(|_| ())
            };
            result
        });
        let got = if outcome.is_ok() { Outcome::Loads } else { Outcome::Fails };
        if got != c.outcome {
            failures.push(format!("{}: expected {:?}, got {outcome:?}", c.name, c.outcome));
        }
        let limit = limit_of(c);
        println!("{}: peak {peak} bytes for {} input bytes (limit {limit})", c.name, c.data.len());
        if peak > limit {
            failures.push(format!("{}: peak {peak} bytes for {} input bytes (limit {limit})", c.name, c.data.len()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The counting allocator sees allocations: a 1 MiB buffer shows as a peak
/// of at least 1 MiB, and is gone from the current count once dropped. (So
/// the bounds below can fail.)
#[test]
fn allocator_counts() {
    let _serial = serial();
    let ((len, while_alive), peak) = peak_during(|| {
        let v = vec![1u8; 1 << 20];
        std::hint::black_box(&v);
        (v.len(), CURRENT.load(SeqCst))
    });
    // The test harness's own threads allocate and free small amounts outside
    // the lock, so the counts are compared with a little slack.
    let after = CURRENT.load(SeqCst);
    assert_eq!(len, 1 << 20);
    assert!(peak >= (1 << 20) - (64 << 10), "peak {peak}");
    assert!(after + (1 << 19) < while_alive, "the 1 MiB buffer left the count: {while_alive} -> {after}");
}

/// `loads` of every hostile input (huge length fields, huge memo indices,
/// 10^5 marks/DUPs/GETs, memo "billion laughs" of lists, dicts and tuples,
/// 10^6-digit text ints) peaks under 64 × input + 64 KiB and gives the
/// expected outcome.
#[test]
fn loads_peak_is_bounded_by_the_input() {
    let _serial = serial();
    check(&hostile_cases(), false);
}

/// 10^5 empty lists, dicts or sets (one byte each) and 5 × 10^4 one-item
/// tuples (two bytes each): every container costs a fixed amount while
/// loading, so memory is linear in the input but with a larger constant than
/// the bound above. The bound here is differential: at most three times what
/// CPython's own unpickler needs for the same bytes (its peak measured with
/// `tracemalloc`: about 28–73 bytes per input byte; brinery needs 70–108).
#[test]
fn many_containers_peak_is_bounded_by_the_input() {
    // Held throughout: building the inputs and spawning python3 allocate,
    // which must not land in another test's measurement.
    let _serial = serial();
    let cases = many_containers_cases();
    let peaks = cpython_peaks(&cases);
    check_with_bound(&cases, false, |c| {
        let i = cases.iter().position(|x| x.name == c.name).unwrap();
        3 * peaks[i] + 64 * 1024
    });
}

/// CPython's peak traced allocation while loading each case.
fn cpython_peaks(cases: &[Case]) -> Vec<usize> {
    let script = "import pickle, sys, tracemalloc\nfor line in sys.stdin:\n    data = bytes.fromhex(line.strip())\n    tracemalloc.start(); pickle.loads(data); print(tracemalloc.get_traced_memory()[1]); tracemalloc.stop()";
    let input: String =
        cases.iter().map(|c| c.data.iter().map(|b| format!("{b:02x}")).collect::<String>() + "\n").collect();
    common::run_python(script, &input).lines().map(|l| l.trim().parse().unwrap()).collect()
}

/// `load` from a reader (`&mut &[u8]`), which cannot see how much input is
/// left, does not pre-allocate announced lengths either: the huge-length
/// inputs stay under the same bound.
#[test]
fn reader_peak_is_bounded_by_the_input() {
    let _serial = serial();
    check(&huge_length_cases(), true);
}

/// The billion-laughs values really are shared graphs: every level holds
/// the same object ten times (so the graph, not a 10^30-leaf tree, is what
/// was built), 31 levels deep.
#[test]
fn laughs_load_as_shared_graphs() {
    // Not measured, but it allocates: keep it out of the other tests' measurements.
    let _serial = serial();
    for (name, data) in
        [("list", laughs(b"]", b"e", true)), ("dict", laughs(b"}", b"u", true)), ("tuple", laughs(b"(", b"t", false))]
    {
        let v = pickle::loads(&data, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut cur = v;
        for level in (1..=30).rev() {
            let children: Vec<Value> = match &cur {
                Value::List(s) | Value::Tuple(s) => s.iter().cloned().collect(),
                Value::Dict(d) => d.iter().map(|(_, v)| v.clone()).collect(),
                other => panic!("{name} level {level}: {other:?}"),
            };
            assert_eq!(children.len(), 10, "{name} level {level}");
            let id = children[0].identity();
            assert!(id.is_some());
            assert!(children.iter().all(|c| c.identity() == id), "{name} level {level}: not shared");
            cur = children[0].clone();
        }
        assert_eq!(cur.as_list().map(|l| l.len()), Some(1), "{name}: innermost is x = [1]");
    }
}

/// The bound every input of the fuzz corpora stays under, pickle or JSON:
/// 128 bytes per input byte (an input of one-byte containers needs about
/// 108, see above) plus 64 KiB. Documented in docs/limits.md.
fn corpus_bound(len: usize) -> usize {
    128 * len + 64 * 1024
}

/// Peak heap use while loading (and, for pickles, disassembling) each input
/// of the minimised fuzz corpora (thousands of inputs the fuzzers kept for
/// the code paths they reach, hostile ones included) stays under
/// [`corpus_bound`]; prints the worst ratio.
#[test]
fn fuzz_corpora_peaks_are_bounded_by_the_input() {
    let _serial = serial();
    for target in ["pickle_loads", "json_loads"] {
        let files = files::files_in(&format!("fuzz/corpus-min/{target}"));
        assert!(files.len() > 100, "{target}: the corpus is missing");
        let mut worst = (0.0f64, String::new());
        for (name, data) in &files {
            let peak = if target == "pickle_loads" {
                // The `dis` target reads the same inputs; its output streams
                // out (here to a sink), so what it holds is its own state.
                let disassembler = pickle::dis::DisOptions { indent: 4, annotate: true };
                let dis =
                    peak_during(|| drop(pickle::dis::Disassembler::new(&disassembler).dis(data, &mut std::io::sink())));
                peak_during(|| drop(pickle::loads(data, &LoadOptions::default()))).1.max(dis.1)
            } else {
                peak_during(|| drop(brinery::json::loads(data, &Default::default()))).1
            };
            assert!(
                peak <= corpus_bound(data.len()),
                "{target}/{name}: {peak} bytes at peak for {} input bytes (bound {})",
                data.len(),
                corpus_bound(data.len())
            );
            let ratio = peak as f64 / data.len().max(1) as f64;
            if data.len() >= 1024 && ratio > worst.0 {
                worst = (ratio, name.clone());
            }
        }
        eprintln!(
            "{target}: {} inputs; worst peak/input among inputs ≥ 1 KiB: {:.1} ({})",
            files.len(),
            worst.0,
            worst.1
        );
    }
}

/// A pickle that is mostly one large payload (a model's weights as one
/// `bytes`): loaded from a slice, the payload is borrowed, and what loading
/// allocates does not grow with the payload, not even as untouched reserve
/// (which a system without overcommit, or a `ulimit -v`, would refuse).
#[test]
fn a_large_borrowed_payload_costs_no_allocation_of_its_size() {
    let _guard = serial();
    let peak_for = |size: usize| {
        let mut data = b"\x80\x05\x8e".to_vec();
        data.extend(le8(size as u64));
        data.resize(data.len() + size, 7);
        data.push(b'.');
        let (value, peak) = peak_during(|| pickle::loads(&data, &LoadOptions::default()).unwrap());
        let Value::Bytes(bytes) = &value else { panic!("not bytes: {value:?}") };
        assert!(bytes.is_borrowed() && bytes.len() == size);
        peak
    };
    let (small, large) = (peak_for(8 << 20), peak_for(64 << 20));
    assert!(large < 4 << 20, "loading a 64 MiB payload allocated {large} bytes at its peak");
    assert!(large <= small + 4096, "8 MiB payload: {small} bytes at the peak; 64 MiB: {large}");
}
