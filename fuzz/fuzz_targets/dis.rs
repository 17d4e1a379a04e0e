//! The pickletools-compatible disassembler (`brinery dis`) on arbitrary bytes.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::dis_bytes(data));
