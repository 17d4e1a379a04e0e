//! Generated values through dump → load at every protocol: the loaded value
//! equals the original (NaN aside) and re-dumps to the same bytes.
#![no_main]

#[path = "../checks.rs"]
mod checks;
#[path = "../values.rs"]
mod values;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    if let Ok(value) = values::value(&mut u, values::Kinds::Pickle) {
        checks::pickle_value(&value);
    }
});
