//! Every input the fuzzers ever failed on (`fuzz/regressions/<target>/`),
//! replayed through the same checks the fuzz targets run (`fuzz/checks.rs`),
//! on stable Rust, as part of `make test`.

#[path = "../../../fuzz/checks.rs"]
mod checks;
#[path = "../../../fuzz/values.rs"]
mod values;

use std::path::PathBuf;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

#[test]
fn pickle_loads_regressions() {
    let cases = inputs("pickle_loads");
    assert!(!cases.is_empty());
    for (path, data) in cases {
        eprintln!("{}", path.display());
        checks::pickle_bytes(&data);
    }
}

#[test]
fn json_loads_regressions() {
    for (path, data) in inputs("json_loads") {
        eprintln!("{}", path.display());
        checks::json_bytes(&data);
    }
}

#[test]
fn pickle_roundtrip_regressions() {
    for (path, data) in inputs("pickle_roundtrip") {
        eprintln!("{}", path.display());
        let Ok(value) = values::value(&mut arbitrary::Unstructured::new(&data), values::Kinds::Pickle) else {
            continue;
        };
        checks::pickle_value(&value);
    }
}

#[test]
fn json_roundtrip_regressions() {
    for (path, data) in inputs("json_roundtrip") {
        eprintln!("{}", path.display());
        let Ok(value) = values::value(&mut arbitrary::Unstructured::new(&data), values::Kinds::Json) else { continue };
        checks::json_value(&value);
    }
}

#[test]
fn dis_regressions() {
    for (path, data) in inputs("dis") {
        eprintln!("{}", path.display());
        checks::dis_bytes(&data);
    }
    // The disassembler also gets every pickle_loads input (it read them all in `make fuzz`'s seeds).
    for (path, data) in inputs("pickle_loads") {
        eprintln!("{}", path.display());
        checks::dis_bytes(&data);
    }
}
