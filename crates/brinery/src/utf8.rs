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
    is_ascii(bytes) || simdutf8::basic::from_utf8(bytes).is_ok()
}

/// Whether every byte is below 0x80: `<[u8]>::is_ascii`, with strings of up
/// to 16 bytes (most keys and names) checked by two overlapping reads
/// instead of a byte loop.
///
/// ```
/// assert!(brinery::utf8::is_ascii(b"screen_name"));
/// assert!(!brinery::utf8::is_ascii("caf\u{e9}".as_bytes()));
/// ```
#[inline]
pub fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let n = bytes.len();
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
    let half = |at: usize| u64::from(u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes")));
    match n {
        0 => true,
        1..=3 => (bytes[0] | bytes[n / 2] | bytes[n - 1]) < 0x80,
        4..=7 => (half(0) | half(n - 4)) & HIGH_BITS == 0,
        8..=16 => (word(0) | word(n - 8)) & HIGH_BITS == 0,
        _ => bytes.is_ascii(),
    }
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
        fn is_ascii_agrees_with_the_standard_library(
            bytes in proptest::collection::vec(prop_oneof![0u8..0x80, Just(0x80u8), Just(0xFFu8)], 0..40)
        ) {
            prop_assert_eq!(super::is_ascii(&bytes), bytes.is_ascii());
        }

        #[test]
        fn agrees_with_the_standard_library(bytes in near_utf8(), pad in 0usize..80) {
            // Padding moves the interesting bytes across the vector lanes.
            let mut padded = vec![b'a'; pad];
            padded.extend_from_slice(&bytes);
            prop_assert_eq!(super::is_valid(&padded), std::str::from_utf8(&padded).is_ok());
        }
    }
}
