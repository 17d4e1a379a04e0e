//! Lossless JSON (jsonpickle's tagged format) over the CPython corpus:
//!
//! 1. pickle → `jsonpickle::encode` → JSON text → `json::loads` →
//!    `jsonpickle::decode` → `pickle::dumps` at the same protocol gives the
//!    bytes of dumping the loaded value directly, set order included, and so
//!    CPython's `pickle.dumps(pickle.loads(pkl))` (sets compared by content
//!    there, as in `differential.rs`);
//! 2. Python's real `jsonpickle.decode` of the JSON text gives objects equal
//!    to `pickle.loads` of the pickle (`jsonpickle_check.py`).
//!
//! The same two checks run over extra cases (`jsonpickle_extra_cases.py`):
//! cycles through objects, shared sets, tag-like dict keys, huge ints and
//! hand-written pickles. Entries that cannot pass are listed with the reason
//! ([`UNSUPPORTED`], [`EXTRA_UNSUPPORTED`]); a test fails when a listed entry
//! passes or any other entry fails. Run with the project's venv first on
//! PATH (`make test` does): it has jsonpickle.

mod common;

use brinery::jsonpickle::{self, EncodeOptions};
use brinery::pickle::{self, DumpOptions};
use brinery::{json, Value};
use common::{buffer_path, corpus, cpython_unequal, load_all, load_opts, run_python, workspace_root, Entry};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Corpus entries (`name.pP`) that cannot pass, with the check and reason.
/// Empty: every corpus entry passes both checks.
const UNSUPPORTED: &[(&str, Check, &str)] = &[];

/// Extra entries that cannot pass, with the check and reason.
const EXTRA_UNSUPPORTED: &[(&str, Check, &str)] = &[
    ("obj_cycle_via_tuple.p0", Check::Python, JSONPICKLE_TUPLE_PROXY),
    ("obj_cycle_via_tuple.p1", Check::Python, JSONPICKLE_TUPLE_PROXY),
    ("obj_cycle_via_tuple.p2", Check::Python, JSONPICKLE_TUPLE_PROXY),
    ("obj_cycle_via_tuple.p3", Check::Python, JSONPICKLE_TUPLE_PROXY),
    ("obj_cycle_via_tuple.p4", Check::Python, JSONPICKLE_TUPLE_PROXY),
    ("obj_cycle_via_tuple.p5", Check::Python, JSONPICKLE_TUPLE_PROXY),
];

const JSONPICKLE_TUPLE_PROXY: &str = "jsonpickle restores a py/reduce's state before making the object and leaves \
     its placeholder (_Proxy) in a tuple that refers back to it; EncodeOptions::strict refuses such graphs";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// pickle → JSON → pickle gives identical bytes.
    Bytes,
    /// `jsonpickle.decode` gives what `pickle.loads` gives.
    Python,
}

fn key(e: &Entry) -> String {
    format!("{}.p{}", e.name, e.protocol)
}

/// The pickles and out-of-band buffers of `values`, at the entry's protocol.
type Dumped = (Vec<u8>, Vec<Vec<u8>>);

fn dump_all(values: &[Value<'_>], e: &Entry) -> Result<Dumped, String> {
    let opts = DumpOptions { out_of_band: e.buffers, ..DumpOptions::protocol(e.protocol) };
    let mut out = Vec::new();
    let mut buffers = Vec::new();
    for v in values {
        let (bytes, bufs) = pickle::dumps_with_buffers(v, &opts).map_err(|err| format!("dump failed: {err}"))?;
        out.extend_from_slice(&bytes);
        buffers.extend(bufs.iter().map(|b| b.as_slice().to_vec()));
    }
    Ok((out, buffers))
}

/// Entries whose values `EncodeOptions::strict` refuses (it must refuse
/// exactly those jsonpickle cannot restore).
fn strict_refusals(dir: &Path, entries: &[Entry]) -> Vec<String> {
    let mut refused = Vec::new();
    for e in entries {
        let data = std::fs::read(e.file(dir, "pkl")).unwrap();
        let values = load_all(&data, &load_opts(dir, e)).unwrap();
        let opts = encode_opts(e).strict(true);
        if values.iter().any(|v| jsonpickle::encode_with(v, &opts).is_err()) {
            refused.push(key(e));
        }
    }
    refused
}

fn encode_opts(e: &Entry) -> EncodeOptions {
    match e.persistent {
        true => EncodeOptions::default().persistent_load("corpus_classes", "persistent_load_from"),
        false => EncodeOptions::default(),
    }
}

/// One entry, converted: its JSON documents (one per pickle), written next
/// to its pickle, and brinery's direct re-dump of the loaded values.
struct Converted<'e> {
    entry: &'e Entry,
    json: Result<Vec<PathBuf>, String>,
    direct: Dumped,
}

fn convert<'e>(dir: &Path, entries: &'e [Entry]) -> Vec<Converted<'e>> {
    entries
        .iter()
        .map(|e| {
            let data = std::fs::read(e.file(dir, "pkl")).unwrap();
            let values = load_all(&data, &load_opts(dir, e)).unwrap_or_else(|err| panic!("{}: {err}", key(e)));
            assert_eq!(values.len(), e.count, "{}: pickle count", key(e));
            let json = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let text = jsonpickle::dumps_with(v, &encode_opts(e)).map_err(|err| err.to_string())?;
                    let path = dir.join(format!("{}.p{}.{i}.jsonpickle.json", e.name, e.protocol));
                    std::fs::write(&path, text).unwrap();
                    Ok(path)
                })
                .collect();
            let direct = dump_all(&values, e).unwrap_or_else(|err| panic!("{}: {err}", key(e)));
            Converted { entry: e, json, direct }
        })
        .collect()
}

/// The corpus, converted once per test binary.
fn corpus_converted() -> &'static [Converted<'static>] {
    static CONVERTED: OnceLock<Vec<Converted<'static>>> = OnceLock::new();
    let (dir, entries) = corpus();
    CONVERTED.get_or_init(|| convert(dir, entries))
}

/// Check 1 for each entry: the failures, by entry key. With `cpython`, the
/// bytes are also compared with the corpus's `.redump` files.
fn check_bytes(dir: &Path, converted: &[Converted<'_>], cpython: bool) -> BTreeMap<String, String> {
    let mut failures = BTreeMap::new();
    let mut set_pairs = Vec::new();
    for c in converted {
        let e = c.entry;
        let k = key(e);
        let result = round_trip(c).and_then(|dumped| match dumped == c.direct {
            true => Ok(dumped),
            false => {
                let (ours, direct) = (&dumped.0, &c.direct.0);
                let at = ours.iter().zip(direct).position(|(a, b)| a != b).unwrap_or(ours.len().min(direct.len()));
                Err(format!(
                    "differs from the direct re-dump at byte {at} (round trip {} bytes, direct {}), buffers equal: {}",
                    ours.len(),
                    direct.len(),
                    dumped.1 == c.direct.1
                ))
            }
        });
        let bytes = match result {
            Ok((bytes, _)) => bytes,
            Err(why) => {
                failures.insert(k, why);
                continue;
            }
        };
        let expected_path = e.file(dir, "redump");
        if cpython && bytes != std::fs::read(&expected_path).unwrap() {
            if e.has_sets {
                let mine = dir.join(format!("{}.p{}.jsonpickle-redump", e.name, e.protocol));
                std::fs::write(&mine, &bytes).unwrap();
                // A 'static entry is needed by cpython_unequal; corpus entries are.
                let entry = corpus().1.iter().find(|x| key(x) == k).unwrap();
                set_pairs.push((mine, expected_path, entry));
            } else {
                failures.insert(k, "differs from CPython's re-dump".into());
            }
        }
    }
    for unequal in cpython_unequal(&set_pairs) {
        failures.insert(unequal.clone(), "differs from CPython's re-dump by value".into());
    }
    failures
}

/// JSON text → `json::loads` → `decode` → `pickle::dumps`.
fn round_trip(c: &Converted<'_>) -> Result<Dumped, String> {
    let paths = c.json.as_ref().map_err(|err| format!("encode failed: {err}"))?;
    let mut values = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).unwrap();
        let tagged = json::loads(&text, &json::LoadOptions::default()).map_err(|err| format!("JSON: {err}"))?;
        values.push(jsonpickle::decode(&tagged).map_err(|err| format!("decode failed: {err}"))?);
    }
    dump_all(&values, c.entry)
}

/// Check 2 for each entry, in one Python process: the failures by entry key,
/// and the entries that are equal but share objects differently.
fn check_python(dir: &Path, converted: &[Converted<'_>]) -> (BTreeMap<String, String>, Vec<String>) {
    let mut failures = BTreeMap::new();
    let mut input = String::new();
    for c in converted {
        let e = c.entry;
        let paths = match &c.json {
            Ok(paths) => paths,
            Err(err) => {
                failures.insert(key(e), format!("encode failed: {err}"));
                continue;
            }
        };
        let buffers: Vec<PathBuf> = (0..e.nbuffers).map(|i| buffer_path(dir, e, i)).collect();
        let request = serde_json::json!({
            "key": key(e), "pkl": e.file(dir, "pkl"), "json": paths, "persistent": e.persistent, "buffers": buffers,
        });
        input.push_str(&request.to_string());
        input.push('\n');
    }
    let checker = workspace_root().join("crates/brinery/tests/jsonpickle_check.py");
    let corpus_dir = workspace_root().join("tests/corpus");
    let script = format!(
        "import runpy, sys; sys.argv = [{0:?}, {1:?}]; runpy.run_path({0:?}, run_name='__main__')",
        checker.display().to_string(),
        corpus_dir.display().to_string()
    );
    let out = run_python(&script, &input);
    assert_eq!(out.lines().count(), input.lines().count(), "one answer per request");
    let mut sharing = Vec::new();
    for line in out.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let k = r["key"].as_str().unwrap().to_string();
        let detail = r["detail"].as_str().unwrap().to_string();
        if !r["equal"].as_bool().unwrap() {
            failures.insert(k, detail);
        } else if !r["same_sharing"].as_bool().unwrap() {
            sharing.push(format!("{k} ({detail})"));
        }
    }
    (failures, sharing)
}

/// Fails on failures not listed for `check`, and on listed entries that pass.
fn report(
    what: &str,
    check: Check,
    keys: impl Iterator<Item = String>,
    failures: &BTreeMap<String, String>,
    unsupported: &[(&str, Check, &str)],
) {
    let listed = |k: &str| unsupported.iter().find(|(u, c, _)| *u == k && *c == check).map(|(_, _, why)| *why);
    let mut problems = Vec::new();
    let (mut checked, mut known) = (0, 0);
    for k in keys {
        checked += 1;
        match (failures.get(&k), listed(&k)) {
            (Some(why), None) => problems.push(format!("{k}: {why}")),
            (None, Some(reason)) => problems.push(format!("{k}: listed as unsupported ({reason}) but passes")),
            (Some(_), Some(_)) => known += 1,
            (None, None) => {}
        }
    }
    assert!(problems.is_empty(), "{what}: {} problems:\n{}", problems.len(), problems.join("\n"));
    eprintln!("{what}: {} of {checked} entries pass, {known} fail as listed", checked - known);
}

#[test]
fn corpus_pickle_json_pickle_gives_identical_bytes() {
    let (dir, entries) = corpus();
    let failures = check_bytes(dir, corpus_converted(), true);
    report("corpus, pickle -> JSON -> pickle", Check::Bytes, entries.iter().map(key), &failures, UNSUPPORTED);
}

#[test]
fn corpus_jsonpickle_decode_equals_pickle_loads() {
    let (dir, entries) = corpus();
    let (failures, sharing) = check_python(dir, corpus_converted());
    if !sharing.is_empty() {
        eprintln!("equal, but objects shared differently than by pickle.loads: {}", sharing.join(", "));
    }
    report("corpus, jsonpickle.decode == pickle.loads", Check::Python, entries.iter().map(key), &failures, UNSUPPORTED);
}

/// The decoded graph is the loaded one, not just one that happens to dump
/// the same at the entry's protocol: at every other protocol it dumps the
/// same as well (where the loaded value can be dumped there at all).
#[test]
fn decoded_values_dump_like_the_loaded_ones_at_every_protocol() {
    let (dir, entries) = corpus();
    let mut failures = Vec::new();
    let mut compared = 0;
    for e in entries {
        let data = std::fs::read(e.file(dir, "pkl")).unwrap();
        let values = load_all(&data, &load_opts(dir, e)).unwrap();
        let decoded: Vec<Value<'static>> = values
            .iter()
            .map(|v| {
                let text = jsonpickle::dumps_with(v, &encode_opts(e)).unwrap();
                jsonpickle::loads(&text).unwrap()
            })
            .collect();
        for q in (0..=5).filter(|&q| q != e.protocol) {
            let other = Entry { protocol: q, ..e.clone() };
            if let Ok(direct) = dump_all(&values, &other) {
                compared += 1;
                if dump_all(&decoded, &other).as_ref() != Ok(&direct) {
                    failures.push(format!("{} dumped at protocol {q}", key(e)));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {compared} differ:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{compared} cross-protocol dumps of decoded values match the loaded values'");
}

#[test]
fn strict_encoding_refuses_exactly_what_jsonpickle_cannot_restore() {
    let (dir, entries) = corpus();
    let placeholders = |list: &[(&str, Check, &str)]| -> Vec<String> {
        list.iter().filter(|(_, _, why)| *why == JSONPICKLE_TUPLE_PROXY).map(|(k, _, _)| k.to_string()).collect()
    };
    assert_eq!(strict_refusals(dir, entries), placeholders(UNSUPPORTED));
    let (dir, entries) = extra_entries();
    assert_eq!(strict_refusals(&dir, &entries), placeholders(EXTRA_UNSUPPORTED));
}

/// The extra cases, written by CPython into their own folder.
fn extra_entries() -> (PathBuf, Vec<Entry>) {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("jsonpickle-extra-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = workspace_root().join("crates/brinery/tests/jsonpickle_extra_cases.py");
    let runner = format!(
        "import runpy, sys; sys.argv = [{0:?}, {1:?}, {2:?}]; runpy.run_path({0:?}, run_name='__main__')",
        script.display().to_string(),
        workspace_root().join("tests/corpus").display().to_string(),
        dir.display().to_string()
    );
    let manifest: serde_json::Value = serde_json::from_str(&run_python(&runner, "")).unwrap();
    let entries = manifest
        .as_array()
        .unwrap()
        .iter()
        .map(|m| Entry {
            name: m["name"].as_str().unwrap().to_string(),
            protocol: m["protocol"].as_u64().unwrap() as u8,
            builtin: false,
            has_sets: false,
            persistent: false,
            buffers: false,
            count: 1,
            nbuffers: 0,
        })
        .collect();
    (dir, entries)
}

#[test]
fn extra_cases_round_trip_and_decode_in_jsonpickle() {
    let (dir, entries) = extra_entries();
    let converted = convert(&dir, &entries);
    let keys = || entries.iter().map(key);
    let failures = check_bytes(&dir, &converted, false);
    report("extra, pickle -> JSON -> pickle", Check::Bytes, keys(), &failures, EXTRA_UNSUPPORTED);
    let (failures, _) = check_python(&dir, &converted);
    report("extra, jsonpickle.decode == pickle.loads", Check::Python, keys(), &failures, EXTRA_UNSUPPORTED);
}
