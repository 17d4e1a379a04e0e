//! Every input the fuzzers ever failed on (`fuzz/regressions/<target>/`),
//! replayed through the same checks the fuzz targets run (`fuzz/checks.rs`),
//! on stable Rust, as part of `make test`.

#[path = "../../../fuzz/checks.rs"]
mod checks;
#[path = "support/files.rs"]
mod files;
#[path = "../../../fuzz/values.rs"]
mod values;

/// The saved inputs of one fuzz target, named `target/file`.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let files = files::files_in(&format!("fuzz/regressions/{target}"));
    files.into_iter().map(|(name, data)| (format!("{target}/{name}"), data)).collect()
}

#[test]
fn pickle_loads_regressions() {
    let cases = inputs("pickle_loads");
    assert!(!cases.is_empty());
    for (name, data) in cases {
        eprintln!("{name}");
        checks::pickle_bytes(&data);
    }
}

#[test]
fn json_loads_regressions() {
    for (name, data) in inputs("json_loads") {
        eprintln!("{name}");
        checks::json_bytes(&data);
    }
}

#[test]
fn pickle_roundtrip_regressions() {
    for (name, data) in inputs("pickle_roundtrip") {
        eprintln!("{name}");
        let Ok(value) = values::value(&mut arbitrary::Unstructured::new(&data), values::Kinds::Pickle) else {
            continue;
        };
        checks::pickle_value(&value);
    }
}

#[test]
fn json_roundtrip_regressions() {
    for (name, data) in inputs("json_roundtrip") {
        eprintln!("{name}");
        let Ok(value) = values::value(&mut arbitrary::Unstructured::new(&data), values::Kinds::Json) else { continue };
        checks::json_value(&value);
    }
}

#[test]
fn dis_regressions() {
    for (name, data) in inputs("dis") {
        eprintln!("{name}");
        checks::dis_bytes(&data);
    }
    // The disassembler also gets every pickle_loads input (it read them all in `make fuzz`'s seeds).
    for (name, data) in inputs("pickle_loads") {
        eprintln!("{name}");
        checks::dis_bytes(&data);
    }
}
