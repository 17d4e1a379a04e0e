//! Loading a hostile model file cannot make memory grow past the file and
//! the limits: for every input of the scanner's minimised fuzz corpus
//! (`fuzz/corpus-min/scan_bytes`, bred from the model fixtures and the
//! pickle corpus) and every model fixture, the peak heap while the loaders
//! take it as a checkpoint, a joblib file, `.npy` and `.npz` (and gather
//! every tensor, as the `model_files` fuzz target does) stays under
//! `128 × input + 3 × max_output + 4 KiB × max_members + 2 MiB`
//! (docs/limits.md).
//!
//! This file is its own test binary: it installs a counting global
//! allocator (shared with the engine's and the scanner's memory tests).

#[path = "../../brinery/tests/support/counting_alloc.rs"]
mod counting_alloc;
#[path = "../../brinery/tests/support/files.rs"]
mod files;
#[path = "../../../fuzz/model_checks.rs"]
mod model_checks;

use brinery_scan::{Limits, ScanOptions};
use counting_alloc::{peak_during, serial};

/// The documented bound for a file of `len` bytes loaded under `limits`.
fn bound(len: usize, limits: &Limits) -> usize {
    128 * len + 3 * limits.max_output as usize + 4096 * limits.max_members + (2 << 20)
}

#[test]
fn fuzz_corpus_and_fixtures_load_within_their_budget() {
    let _serial = serial();
    let mut inputs = files::files_in("fuzz/corpus-min/scan_bytes");
    assert!(inputs.len() > 1000, "the corpus is missing ({} files)", inputs.len());
    inputs.extend(files::files_in("tests/models/fixtures"));
    let limits = Limits { max_output: 1 << 20, max_members: 1000, ..Default::default() };
    let opts = ScanOptions { limits, ..Default::default() };
    let mut worst = (0.0f64, String::new());
    for (name, data) in &inputs {
        let ((), peak) = peak_during(|| model_checks::model_bytes_with(data, &opts));
        let limit = bound(data.len(), &limits);
        assert!(peak <= limit, "{name}: {peak} bytes at peak for {} input bytes (bound {limit})", data.len());
        let share = peak as f64 / limit as f64;
        if share > worst.0 {
            worst = (share, name.clone());
        }
    }
    eprintln!("{} inputs; worst peak / bound {:.2} ({})", inputs.len(), worst.0, worst.1);
}
