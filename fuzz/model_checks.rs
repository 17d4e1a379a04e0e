//! Properties of the model-file readers and the scanner on hostile bytes:
//! they return a value or an error, never panic, and every tensor they hand
//! out can be read in full (its bounds were checked against its storage's
//! declared size) or fails with an error when the storage's bytes are not
//! where or what the archive declares (they are located lazily).

#![allow(dead_code)]

use brinery_models::{joblib, numpy, torch};

/// Arbitrary bytes as a checkpoint, a joblib file, `.npy` and `.npz`: everything the
/// loaders accept can be walked, and every tensor's bytes gathered.
pub fn model_bytes(data: &[u8]) {
    model_bytes_with(data, &brinery_scan::ScanOptions::default());
}

/// [`model_bytes`] with the loaders' scans and containers under `scan`'s
/// limits (the memory tests use small ones).
pub fn model_bytes_with(data: &[u8], scan: &brinery_scan::ScanOptions) {
    let allow = torch::LoadOptions { allow_unsafe: true, scan: scan.clone() };
    if let Ok(checkpoint) = torch::load(data, &allow) {
        if let Ok(tensors) = checkpoint.tensors() {
            for (_, t) in tensors.iter().take(64) {
                if t.nbytes() <= 1 << 20 {
                    match t.to_little_endian() {
                        Ok(bytes) => assert_eq!(bytes.len(), t.nbytes()),
                        Err(_) => assert!(t.storage.data().is_err(), "only a storage that cannot be read may fail"),
                    }
                }
            }
        }
    }
    if let Ok(file) = joblib::load(data, &allow) {
        for (_, array) in file.arrays() {
            let _ = array.view();
        }
    }
    let allow = numpy::LoadOptions { allow_pickle: true, allow_unsafe: true, scan: scan.clone() };
    if let Ok(array) = numpy::load_npy(data, &allow) {
        let _ = array.view();
    }
    if let Ok(arrays) = numpy::load_npz(data, &allow) {
        for (_, array) in &arrays {
            let _ = array.view();
        }
    }
}

/// Arbitrary bytes through the scanner: a report, never a panic; a
/// dangerous finding always makes the verdict dangerous; and when the quick
/// pass reports on the bytes as a pickle, the symbolic sink reports the same.
///
/// The whole-file budget is much smaller than the default (200 members,
/// 8 MiB walked instead of 100 000 and 4 GiB): archives of overlapping
/// archives, which the fuzzer breeds, run to the budget. At the default one
/// such input cost ~0.5 s, and at 2 000 members / 64 MiB (sessions 7–8)
/// the corpus still averaged 2.2 ms an input (100–370 executions per
/// second); at this size it averages 0.5 ms. The budget's code is the same
/// at any size, and every reader is still reached.
pub fn scan_bytes(data: &[u8]) {
    let limits = brinery_scan::Limits { max_members: 200, max_output: 8 << 20, ..Default::default() };
    let opts = brinery_scan::ScanOptions { limits, ..Default::default() };
    let report = brinery_scan::scan_bytes(data, "fuzz", &opts);
    let dangerous = report.findings().any(|(_, f)| f.class == brinery_scan::Class::Dangerous);
    assert_eq!(dangerous, report.verdict(false) == brinery_scan::Verdict::Dangerous);
    // What the quick pass reports of a pickle, the symbolic sink reports too.
    let _answered = brinery_scan::check_quick_pass_claim(data);
}
