//! Generated JSON-able values through dumps → loads under several option
//! sets: the loaded value equals the original (NaN aside) and writes the
//! same text again.
#![no_main]

#[path = "../checks.rs"]
mod checks;
#[path = "../values.rs"]
mod values;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    if let Ok(value) = values::value(&mut u, values::Kinds::Json) {
        checks::json_value(&value);
    }
});
