//! The properties the fuzz targets check, in one place: the cargo-fuzz
//! targets (nightly, `make fuzz`) call them on generated input, and
//! `crates/brinery/tests/fuzz_corpus.rs` (stable, `make test`) replays every
//! saved corpus file and crash through them.
//!
//! Each function panics when a property fails; returning is success,
//! including for input that is rightly rejected with an error.

#![allow(dead_code)]

use brinery::json;
use brinery::pickle;
use brinery::Value;

/// Arbitrary bytes as a pickle: loading never panics, and whatever loads
/// re-pickles at every protocol it can be written at into bytes that load
/// and re-pickle to the very same bytes (identity, sharing and order kept).
pub fn pickle_bytes(data: &[u8]) {
    let opts = pickle::LoadOptions::default();
    let Ok(value) = pickle::loads(data, &opts) else { return };
    for protocol in 0..=5 {
        pickle_fixed_point(&value, protocol);
    }
}

/// Arbitrary bytes through the disassembler (`brinery dis`): it never
/// panics, and a disassembly that succeeds prints one line per opcode the
/// engine's walk reads up to STOP, plus the summary line, with and without
/// annotations.
pub fn dis_bytes(data: &[u8]) {
    use pickle::dis::{DisOptions, Disassembler};
    for annotate in [false, true] {
        let mut out = Vec::new();
        let result = Disassembler::new(&DisOptions { indent: 4, annotate }).dis(data, &mut out);
        assert!(!matches!(result, Err(pickle::dis::DisError::Io(_))), "writing to a Vec cannot fail");
        if result.is_ok() {
            let ops = pickle::ops(data).collect::<Result<Vec<_>, _>>().expect("dis succeeded, so the walk does");
            let text = String::from_utf8(out).expect("the disassembly is UTF-8");
            assert_eq!(text.lines().count(), ops.len() + 1, "{text}");
        }
    }
}

/// `dumps(loads(dumps(v)))` is `dumps(v)` at `protocol`, when `v` can be
/// written at all (an unresolved buffer or a persistent id without its hook
/// is an error, not a panic).
pub fn pickle_fixed_point(value: &Value<'_>, protocol: u8) {
    let dump_opts = pickle::DumpOptions::protocol(protocol);
    let Ok(bytes) = pickle::dumps(value, &dump_opts) else { return };
    let back = match pickle::loads(&bytes, &pickle::LoadOptions::default()) {
        Ok(back) => back,
        // Below protocol 3, reading maps Python 2 names to Python 3 ones
        // (`fix_imports`), as CPython does. A value holding a global with a
        // Python 2 name (`__builtin__.set`, which no Python 3 object has)
        // can so become a builtin that reading then applies, as CPython's
        // reader would, and fail where the inert value did not (a set of
        // unhashable items). Without the mapping, the pickle must read back
        // to itself.
        Err(_) if protocol < 3 => {
            let unmapped = pickle::LoadOptions { fix_imports: false, ..Default::default() };
            let back = pickle::loads(&bytes, &unmapped)
                .unwrap_or_else(|e| panic!("brinery cannot read its own protocol-{protocol} pickle: {e}"));
            let again = pickle::dumps(&back, &dump_opts).expect("a loaded value dumps again");
            assert!(again == bytes, "protocol {protocol}: re-dumping the unmapped value changed the bytes");
            return;
        }
        Err(e) => panic!("brinery cannot read its own protocol-{protocol} pickle: {e}"),
    };
    let again = pickle::dumps(&back, &dump_opts).expect("a loaded value dumps again");
    if again == bytes {
        return;
    }
    // Below protocol 3, reading maps Python 2 names to Python 3 ones
    // (`fix_imports`), as CPython does, so a global that happens to carry a
    // Python 2 name (`__builtin__.set`) reads back as another one (`set`),
    // once. From then on the bytes must be stable.
    assert!(protocol < 3, "protocol {protocol}: re-dumping the loaded value changed the bytes");
    let back2 = pickle::loads(&again, &pickle::LoadOptions::default()).expect("brinery reads its own pickle");
    let again2 = pickle::dumps(&back2, &dump_opts).expect("a loaded value dumps again");
    assert!(again2 == again, "protocol {protocol}: the bytes keep changing on round trips");
}

/// Arbitrary bytes as JSON (and, when they are UTF-8, as text): parsing
/// never panics, and what parses writes out, under several option sets, as
/// text that parses back and writes out identically.
pub fn json_bytes(data: &[u8]) {
    let opts = json::LoadOptions::default();
    if let Ok(value) = json::loads(data, &opts) {
        json_fixed_points(&value);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(value) = json::loads(text, &opts) {
            json_fixed_points(&value);
        }
    }
}

/// For values JSON can hold (what the parser builds): writing succeeds under
/// each option set, and parsing the output and writing it again gives the
/// same text.
pub fn json_fixed_points(value: &Value<'_>) {
    let option_sets = [
        json::DumpOptions::default(),
        json::DumpOptions::default().ensure_ascii(false).separators(",", ":"),
        json::DumpOptions::default().indent(2).sort_keys(true),
    ];
    for dump_opts in &option_sets {
        let text = json::dumps_str(value, dump_opts).unwrap_or_else(|e| panic!("cannot write parsed JSON: {e}"));
        let back = json::loads(text.as_surrogatepass(), &json::LoadOptions::default())
            .unwrap_or_else(|e| panic!("cannot read brinery's own JSON: {e}"));
        let again = json::dumps_str(&back, dump_opts).expect("a parsed value writes again");
        assert!(again.as_surrogatepass() == text.as_surrogatepass(), "JSON text changed on a round trip");
    }
}

/// A generated value through dump → load at every protocol: the loaded
/// value equals the original (NaN aside) and re-dumps to the same bytes.
pub fn pickle_value(value: &Value<'_>) {
    for protocol in 0..=5 {
        let bytes = pickle::dumps(value, &pickle::DumpOptions::protocol(protocol)).expect("built values pickle");
        let back = pickle::loads(&bytes, &pickle::LoadOptions::default()).expect("brinery reads its own pickle");
        assert!(contains_nan(value) || back == *value, "protocol {protocol}: {back} != {value}");
        pickle_fixed_point(value, protocol);
    }
}

/// A generated JSON-able value through dumps → loads: the loaded value
/// equals the original (NaN aside), and every option set's text is a fixed point.
pub fn json_value(value: &Value<'_>) {
    let text = json::dumps_str(value, &json::DumpOptions::default()).expect("JSON-able values write");
    let back = json::loads(text.as_surrogatepass(), &json::LoadOptions::default()).expect("brinery reads its own JSON");
    assert!(contains_nan(value) || back == *value, "{back} != {value}");
    json_fixed_points(value);
}

/// Whether a NaN is anywhere in the value (NaN != NaN, so equality checks
/// skip such values). Shared containers are visited once.
pub fn contains_nan(value: &Value<'_>) -> bool {
    fn walk(v: &Value<'_>, seen: &mut std::collections::HashSet<usize>) -> bool {
        if let Some(id) = v.identity() {
            if !seen.insert(id) {
                return false;
            }
        }
        match v {
            Value::Float(f) => f.is_nan(),
            Value::Complex { re, im } => re.is_nan() || im.is_nan(),
            Value::List(s) | Value::Tuple(s) | Value::Set(s) | Value::FrozenSet(s) => s.iter().any(|i| walk(i, seen)),
            Value::Dict(d) => d.iter().any(|(k, x)| walk(k, seen) || walk(x, seen)),
            _ => false,
        }
    }
    walk(value, &mut std::collections::HashSet::new())
}
