//! The model-file readers (torch checkpoints, .npy, .npz) on arbitrary bytes.
#![no_main]

#[path = "../model_checks.rs"]
mod model_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| model_checks::model_bytes(data));
