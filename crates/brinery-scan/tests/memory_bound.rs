//! Scanning a hostile file cannot make memory grow past what the scan's
//! budget allows: for every input of the scanner's minimised fuzz corpus
//! (`fuzz/corpus-min/scan_bytes`: archives of archives, compression bombs,
//! truncated checkpoints, stacked pickles the fuzzer kept for the code they
//! reach), the peak heap during `scan_bytes` stays under
//! `128 × input + 3 × max_output + 4 KiB × max_members + 1 MiB`
//! (docs/limits.md), at two budgets. The members term is mostly the report
//! (anomalies and findings of the members walked).
//!
//! This file is its own test binary: it installs a counting global
//! allocator (shared with the engine's memory tests).

#[path = "../../brinery/tests/support/counting_alloc.rs"]
mod counting_alloc;
#[path = "../../brinery/tests/support/files.rs"]
mod files;

use brinery_scan::{Limits, ScanOptions};
use counting_alloc::{peak_during, serial};

/// The documented bound for a file of `len` bytes scanned with a budget of
/// `max_output` bytes and `max_members` members walked.
fn bound(len: usize, max_output: usize, max_members: usize) -> usize {
    128 * len + 3 * max_output + 4096 * max_members + (1 << 20)
}

#[test]
fn fuzz_corpus_scans_stay_within_their_budget() {
    let _serial = serial();
    let files = files::files_in("fuzz/corpus-min/scan_bytes");
    assert!(files.len() > 100, "the corpus is missing ({} files)", files.len());
    for (max_output, max_members) in [(1usize << 20, 1000), (8 << 20, 10_000)] {
        let limits = Limits { max_output: max_output as u64, max_members, ..Default::default() };
        let opts = ScanOptions { limits, ..Default::default() };
        let mut worst = (0.0f64, String::new());
        for (name, data) in &files {
            let (_, peak) = peak_during(|| brinery_scan::scan_bytes(data, name, &opts));
            let limit = bound(data.len(), max_output, max_members);
            assert!(
                peak <= limit,
                "{name}: {peak} bytes at peak for {} input bytes with {limits:?} (bound {limit})",
                data.len(),
            );
            let share = peak as f64 / limit as f64;
            if share > worst.0 {
                worst = (share, name.clone());
            }
        }
        eprintln!(
            "max_output {max_output}, max_members {max_members}: {} inputs; worst peak / bound {:.2} ({})",
            files.len(),
            worst.0,
            worst.1
        );
    }
}
