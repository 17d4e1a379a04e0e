//! Finding the bytes of a string that need attention, eight at a time: the
//! parser stops at quotes, backslashes and control characters; the writer
//! also at non-ASCII bytes and DEL when it escapes to ASCII.

use crate::short_copy::copy_short;

const ONES: u64 = 0x0101_0101_0101_0101;

/// Per byte: whether [`skip_plain`] stops there (controls, `"`, `\\`).
static STOPS_PLAIN: [bool; 256] = stops(false);
/// Per byte: whether `skip_plain_ascii` stops there (also DEL and non-ASCII).
static STOPS_ASCII: [bool; 256] = stops(true);

const fn stops(ascii_only: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || b == b'"' as usize || b == b'\\' as usize || (ascii_only && b >= 0x7f);
        b += 1;
    }
    t
}
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `w` that is below `n` (for `n` ≤ 0x80).
#[inline]
fn bytes_below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * n as u64) & !w & HIGHS
}

/// High bit set in each byte of `w` that equals `b`.
#[inline]
fn bytes_equal(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * b as u64);
    x.wrapping_sub(ONES) & !x & HIGHS
}

#[inline]
fn word(s: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(s[i..i + 8].try_into().expect("eight bytes"))
}

/// The offset of the first byte from `i` on that is a quote, a backslash or
/// a control character (below 0x20), or `s.len()`.
#[inline]
pub(super) fn skip_plain(s: &[u8], i: usize) -> usize {
    find_stop::<false>(s, i)
}

/// Like [`skip_plain`], but also stops at DEL and at any byte above ASCII
/// (the writer's scan, which [`copy_plain`] does while copying; kept as the
/// tests' plain statement of it).
#[cfg(test)]
fn skip_plain_ascii(s: &[u8], i: usize) -> usize {
    find_stop::<true>(s, i)
}

/// Flags, in a little-endian word, the bytes [`skip_plain`] stops at.
#[inline(always)]
pub(super) fn special_plain(w: u64) -> u64 {
    bytes_below(w, 0x20) | bytes_equal(w, b'"') | bytes_equal(w, b'\\')
}

/// Flags, in a little-endian word, the bytes `skip_plain_ascii` stops at.
#[inline(always)]
pub(super) fn special_ascii(w: u64) -> u64 {
    special_plain(w) | bytes_equal(w, 0x7f) | (w & HIGHS)
}

/// Whether no byte of `text` (at most sixteen) is one [`skip_plain`] (or,
/// with `ASCII_ONLY`, `skip_plain_ascii`) stops at, tested as two words
/// that cover it (overlapping below sixteen bytes; text below four bytes
/// padded with a plain letter): one vector test where the target has SSE2,
/// else two word tests.
#[inline(always)]
pub(super) fn short_is_plain<const ASCII_ONLY: bool>(text: &[u8]) -> bool {
    debug_assert!(text.len() <= 16);
    let n = text.len();
    const PAD: u64 = u64::from_le_bytes(*b"aaaaaaaa");
    let (lo, hi) = match n {
        0 => return true,
        1..=3 => {
            let w = text[0] as u64 | (text[n / 2] as u64) << 8 | (text[n - 1] as u64) << 16;
            (w | PAD << 24, PAD)
        }
        4..=7 => {
            let half = |i: usize| u32::from_le_bytes(text[i..i + 4].try_into().expect("four bytes")) as u64;
            (half(0) | half(n - 4) << 32, PAD)
        }
        _ => (word(text, 0), word(text, n - 8)),
    };
    !words_have_special::<ASCII_ONLY>(lo, hi)
}

/// Whether any byte of the sixteen in `lo` and `hi` (little-endian words)
/// is a stop of [`short_is_plain`].
#[inline(always)]
fn words_have_special<const ASCII_ONLY: bool>(lo: u64, hi: u64) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let lanes = (u128::from(lo) | u128::from(hi) << 64).to_le_bytes();
        sse2::special_lanes::<ASCII_ONLY>(&lanes) != 0
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let special = |w: u64| if ASCII_ONLY { special_ascii(w) } else { special_plain(w) };
        special(lo) | special(hi) != 0
    }
}

/// Copies the plain bytes of `src` from `start` on to `dst`, up to the
/// first byte [`skip_plain`] (with `ASCII_ONLY`, `skip_plain_ascii`)
/// stops at, and returns that byte's offset (or `src.len()`).
///
/// Scanning and copying are one pass where the target has SSE2: each
/// sixteen-byte lane is stored as it is tested, so up to sixteen bytes of
/// `dst` past the copied ones may be overwritten with scratch.
///
/// # Safety
/// `dst` is valid for `src.len() - start + 16` writes and does not overlap
/// `src`.
#[inline(always)]
pub(super) unsafe fn copy_plain<const ASCII_ONLY: bool>(src: &[u8], start: usize, dst: *mut u8) -> usize {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: every store below lands in `dst[..src.len() - start + 16]`.
    unsafe {
        let store = |at: usize, lanes: &[u8; 16]| dst.add(at - start).cast::<[u8; 16]>().write_unaligned(*lanes);
        let mut i = start;
        while let Some(lanes) = src.get(i..i + 16) {
            let lanes: &[u8; 16] = lanes.try_into().expect("sixteen bytes");
            store(i, lanes);
            let flags = sse2::special_lanes::<ASCII_ONLY>(lanes);
            if flags != 0 {
                return i + flags.trailing_zeros() as usize;
            }
            i += 16;
        }
        if i == src.len() {
            return i;
        }
        if i > start {
            // The last sixteen bytes, overlapping plain ones already copied
            // (rewritten with the same values; none of them is flagged).
            let last = src.len() - 16;
            let lanes: &[u8; 16] = src[last..].try_into().expect("sixteen bytes");
            store(last, lanes);
            let flags = sse2::special_lanes::<ASCII_ONLY>(lanes);
            return if flags != 0 { last + flags.trailing_zeros() as usize } else { src.len() };
        }
        // A run shorter than sixteen bytes.
        let rest = &src[start..];
        let stop = if short_is_plain::<ASCII_ONLY>(rest) { src.len() } else { find_stop::<ASCII_ONLY>(src, start) };
        copy_short(&src[start..stop], dst);
        stop
    }
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: `stop - start` bytes fit in `dst`.
    unsafe {
        let stop = find_stop::<ASCII_ONLY>(src, start);
        std::ptr::copy_nonoverlapping(src[start..].as_ptr(), dst, stop - start);
        stop
    }
}

/// The first byte from `start` on where [`skip_plain`] (or, with
/// `ASCII_ONLY`, `skip_plain_ascii`) stops, or `s.len()`: sixteen bytes at
/// a time where the target has SSE2, then eight at a time. A word's flags
/// have an exact lowest set bit (the SWAR tests can only misflag bytes above
/// a flagged one), so a flagged word gives the position directly. The last
/// few bytes are one more word, overlapping bytes already found plain, when
/// there are eight.
#[inline(always)]
fn find_stop<const ASCII_ONLY: bool>(s: &[u8], start: usize) -> usize {
    let special = |w: u64| if ASCII_ONLY { special_ascii(w) } else { special_plain(w) };
    let stops = if ASCII_ONLY { &STOPS_ASCII } else { &STOPS_PLAIN };
    let at = |base: usize, flags: u64| base + (flags.trailing_zeros() / 8) as usize;
    let mut i = start;
    #[cfg(target_arch = "x86_64")]
    while let Some(lanes) = s.get(i..i + 16) {
        let flags = sse2::special_lanes::<ASCII_ONLY>(lanes.try_into().expect("sixteen bytes"));
        if flags != 0 {
            return i + flags.trailing_zeros() as usize;
        }
        i += 16;
    }
    while i + 8 <= s.len() {
        let flags = special(word(s, i));
        if flags != 0 {
            return at(i, flags);
        }
        i += 8;
    }
    if i < s.len() && s.len() >= start + 8 {
        // Bytes `last..i` were found plain above, so the lowest flag is at or after `i`.
        let last = s.len() - 8;
        let flags = special(word(s, last));
        return if flags == 0 { s.len() } else { at(last, flags) };
    }
    while i < s.len() && !stops[s[i] as usize] {
        i += 1;
    }
    i
}

/// The sixteen-lane test, with SSE2 (part of every x86-64 CPU).
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    /// Bit `k` set when byte `k` of `lanes` is one the scan stops at.
    #[inline(always)]
    pub(super) fn special_lanes<const ASCII_ONLY: bool>(lanes: &[u8; 16]) -> u32 {
        // SAFETY: SSE2 is always available on x86-64, and the load reads
        // exactly the sixteen bytes of `lanes` (unaligned load).
        unsafe {
            let v = _mm_loadu_si128(lanes.as_ptr().cast());
            // Unsigned `v <= 0x1f`: the minimum with 0x1f is `v` itself.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            let mut stops = _mm_or_si128(control, _mm_or_si128(quote, backslash));
            if ASCII_ONLY {
                // Unsigned `v >= 0x7f`: DEL and every byte above ASCII.
                stops = _mm_or_si128(stops, _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x7f)), v));
            }
            _mm_movemask_epi8(stops) as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_every_special_byte_in_every_lane() {
        for special in (0u8..=255).filter(|b| *b < 0x20 || *b == b'"' || *b == b'\\' || *b >= 0x7f) {
            for at in 0..40 {
                let mut s = vec![b'a'; 40];
                s[at] = special;
                let plain = special < 0x20 || special == b'"' || special == b'\\';
                assert_eq!(skip_plain(&s, 0), if plain { at } else { 40 }, "{special:#x} at {at}");
                assert_eq!(skip_plain_ascii(&s, 0), at, "{special:#x} at {at}");
            }
        }
        let printable: Vec<u8> = (0x20u8..0x7f).filter(|b| *b != b'"' && *b != b'\\').collect();
        assert_eq!(skip_plain_ascii(&printable, 0), printable.len());
    }

    /// [`copy_plain`] into a buffer with exactly the room it may use: where
    /// it stopped, and the bytes it copied.
    fn copied(src: &[u8], start: usize, ascii_only: bool) -> (usize, Vec<u8>) {
        let mut dst = vec![0xEEu8; src.len() - start + 16];
        // SAFETY: `dst` has the room `copy_plain` asks for.
        let stop = unsafe {
            if ascii_only {
                copy_plain::<true>(src, start, dst.as_mut_ptr())
            } else {
                copy_plain::<false>(src, start, dst.as_mut_ptr())
            }
        };
        dst.truncate(stop - start);
        (stop, dst)
    }

    #[test]
    fn copies_up_to_every_special_byte_at_every_length_and_start() {
        for special in [0u8, 0x1f, b'"', b'\\', 0x7f, 0x80, 0xff] {
            for len in 1..50 {
                for start in 0..len.min(20) {
                    for at in start..len {
                        let mut src: Vec<u8> = (0..len).map(|k| b'A' + (k % 26) as u8).collect();
                        src[at] = special;
                        let stops_plain = STOPS_PLAIN[special as usize];
                        let (stop, bytes) = copied(&src, start, false);
                        assert_eq!(
                            stop,
                            if stops_plain { at } else { len },
                            "{special:#x} at {at} of {len} from {start}"
                        );
                        assert_eq!(bytes, &src[start..stop]);
                        let (stop, bytes) = copied(&src, start, true);
                        assert_eq!(stop, at, "{special:#x} at {at} of {len} from {start}");
                        assert_eq!(bytes, &src[start..stop]);
                    }
                }
            }
        }
    }

    #[test]
    fn word_pairs_flag_every_special_byte_in_every_lane() {
        for b in 0u8..=255 {
            for at in 0..16 {
                let mut lanes = [b'a'; 16];
                lanes[at] = b;
                let lo = u64::from_le_bytes(lanes[..8].try_into().unwrap());
                let hi = u64::from_le_bytes(lanes[8..].try_into().unwrap());
                let what = format!("{b:#x} at {at}");
                assert_eq!(words_have_special::<false>(lo, hi), STOPS_PLAIN[b as usize], "{what}");
                assert_eq!(words_have_special::<true>(lo, hi), STOPS_ASCII[b as usize], "{what}");
            }
        }
    }

    use proptest::prelude::*;

    proptest! {
        /// Both scans agree with a byte-by-byte search from any start, on
        /// text dense with the bytes they stop at.
        #[test]
        fn agree_with_a_byte_loop(
            bytes in prop_oneof![
                proptest::collection::vec(
                    prop_oneof![4 => 0x20u8..0x7f, 1 => Just(b'"'), 1 => Just(b'\\'), 1 => 0u8..0x20, 1 => 0x7fu8..=0xff],
                    0..40,
                ),
                // Long plain runs, so that whole sixteen-byte lanes pass.
                proptest::collection::vec(
                    prop_oneof![60 => 0x20u8..0x7f, 1 => Just(b'"'), 1 => Just(b'\\'), 1 => 0u8..0x20, 1 => 0x7fu8..=0xff],
                    0..120,
                ),
            ],
            start in 0usize..120,
        ) {
            let start = start.min(bytes.len());
            let naive = |table: &[bool; 256]| (start..bytes.len()).find(|&k| table[bytes[k] as usize]).unwrap_or(bytes.len());
            prop_assert_eq!(skip_plain(&bytes, start), naive(&STOPS_PLAIN));
            prop_assert_eq!(skip_plain_ascii(&bytes, start), naive(&STOPS_ASCII));
            let (plain, ascii) = (copied(&bytes, start, false), copied(&bytes, start, true));
            prop_assert_eq!(plain.0, naive(&STOPS_PLAIN));
            prop_assert_eq!(&plain.1[..], &bytes[start..plain.0]);
            prop_assert_eq!(ascii.0, naive(&STOPS_ASCII));
            prop_assert_eq!(&ascii.1[..], &bytes[start..ascii.0]);
        }
    }
}
