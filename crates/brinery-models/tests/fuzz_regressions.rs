//! Replays the model-file and scanner fuzz properties (`fuzz/model_checks.rs`)
//! on every saved crash (`fuzz/regressions/{model_files,scan_bytes}/`), on
//! the scanner's minimised campaign corpus (`fuzz/corpus-min/scan_bytes/`),
//! and on every fixture, mangled: truncated at many points and with bytes
//! flipped.

#[path = "../../brinery/tests/support/files.rs"]
mod files;
#[path = "../../../fuzz/model_checks.rs"]
mod model_checks;

/// The files of a workspace folder, metadata files (`.json`) left out.
fn files(dir: &str) -> Vec<(String, Vec<u8>)> {
    files::files_in(dir).into_iter().filter(|(name, _)| !name.ends_with(".json")).collect()
}

#[test]
fn saved_crashes_stay_fixed() {
    for target in ["model_files", "scan_bytes"] {
        for (name, data) in files(&format!("fuzz/regressions/{target}")) {
            eprintln!("{target}/{name}");
            model_checks::model_bytes(&data);
            model_checks::scan_bytes(&data);
        }
    }
}

/// The inputs the `scan_bytes` campaign kept for the code they reach
/// (archives of archives, bombs, broken checkpoints): both properties hold
/// on every one.
#[test]
fn minimised_scan_corpus_keeps_its_properties() {
    let corpus = files("fuzz/corpus-min/scan_bytes");
    assert!(corpus.len() > 1000, "the corpus is missing ({} files)", corpus.len());
    for (_, data) in corpus {
        model_checks::scan_bytes(&data);
        model_checks::model_bytes(&data);
    }
}

#[test]
fn mangled_fixtures_give_errors_not_panics() {
    let fixtures = files("tests/models/fixtures");
    assert!(fixtures.len() > 20);
    for (name, data) in fixtures {
        model_checks::model_bytes(&data);
        for cut in (0..data.len()).step_by((data.len() / 97).max(1)) {
            model_checks::model_bytes(&data[..cut]);
        }
        let mut flipped = data.clone();
        for at in (0..flipped.len()).step_by((flipped.len() / 31).max(1)) {
            flipped[at] ^= 0xa5;
            model_checks::model_bytes(&flipped);
        }
        eprintln!("{name}: ok");
    }
}
