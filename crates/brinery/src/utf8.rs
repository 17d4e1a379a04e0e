//! UTF-8 validation on the hot paths: every string a pickle holds and every
//! JSON document is checked once. `simdutf8` checks 32–64 bytes at a time
//! (several times the standard library's speed on non-ASCII text such as
//! the Japanese in `twitter.json`) and says only "valid" or "not"; where an
//! error's position matters, the caller asks the standard library after a
//! "not".

/// Whether `bytes` are UTF-8 (lone surrogates are not: see
/// [`Str::from_surrogatepass`](crate::value::Str::from_surrogatepass)).
///
/// Agrees with `std::str::from_utf8(bytes).is_ok()` on every input.
#[inline]
pub(crate) fn is_valid(bytes: &[u8]) -> bool {
    // ASCII first: most strings in pickles are short keys and names, where
    // the vectorised check's set-up costs more than the check (it stops at
    // the first non-ASCII byte, so long text loses little).
    bytes.is_ascii() || simdutf8::basic::from_utf8(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// Byte soup biased towards UTF-8's edges: continuation bytes, lead
    /// bytes of every length, the surrogate and past-U+10FFFF ranges.
    fn near_utf8() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            0x00u8..0x80,
            0x80u8..0xC0,
            0xC0u8..0xE0,
            0xE0u8..0xF0,
            0xF0u8..0xF8,
            Just(0xED),
            Just(0xF4),
            0xF8u8..=0xFF
        ];
        let text = any::<String>().prop_map(String::into_bytes);
        prop_oneof![text, proptest::collection::vec(byte, 0..200)]
    }

    proptest! {
        #[test]
        fn agrees_with_the_standard_library(bytes in near_utf8(), pad in 0usize..80) {
            // Padding moves the interesting bytes across the vector lanes.
            let mut padded = vec![b'a'; pad];
            padded.extend_from_slice(&bytes);
            prop_assert_eq!(super::is_valid(&padded), std::str::from_utf8(&padded).is_ok());
        }
    }
}
