//! The scanner (every container reader and the symbolic machine) on arbitrary bytes.
#![no_main]

#[path = "../model_checks.rs"]
mod model_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| model_checks::scan_bytes(data));
