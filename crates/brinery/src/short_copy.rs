//! Appending short byte runs to an output buffer, for the writers' hot paths.

/// Appends a short slice (a key, a number's text) without a call to
/// `memcpy`, which costs more than the copy itself below 32 bytes: two
/// overlapping word-sized moves cover any length in a size class.
#[inline]
pub(crate) fn extend_short(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    out.reserve(n);
    // SAFETY: `n` bytes of spare capacity were reserved, and `set_len`
    // covers exactly the bytes written.
    unsafe {
        copy_any(bytes, out.as_mut_ptr().add(out.len()));
        out.set_len(out.len() + n);
    }
}

/// Copies `bytes` to `dst`: by [`copy_short`] up to 32 bytes, by `memcpy`
/// past that.
///
/// # Safety
/// `dst` is valid for `bytes.len()` writes and does not overlap `bytes`.
#[inline(always)]
pub(crate) unsafe fn copy_any(bytes: &[u8], dst: *mut u8) {
    if bytes.len() <= 32 {
        copy_short(bytes, dst);
    } else {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len());
    }
}

/// Copies `bytes` (at most 32) to `dst` with two overlapping moves of the
/// widest size that fits, never calling `memcpy`.
///
/// # Safety
/// `dst` is valid for `bytes.len()` writes and does not overlap `bytes`.
#[inline(always)]
pub(crate) unsafe fn copy_short(bytes: &[u8], dst: *mut u8) {
    let n = bytes.len();
    debug_assert!(n <= 32);
    let src = bytes.as_ptr();
    // Every read stays within `bytes`: each pair of moves starts at 0 and
    // ends at `n`, which the size class guarantees is at least the move's width.
    match n {
        0 => {}
        1..=3 => {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
        4..=7 => {
            let (a, b) = ((src as *const u32).read_unaligned(), (src.add(n - 4) as *const u32).read_unaligned());
            (dst as *mut u32).write_unaligned(a);
            (dst.add(n - 4) as *mut u32).write_unaligned(b);
        }
        8..=16 => {
            let (a, b) = ((src as *const u64).read_unaligned(), (src.add(n - 8) as *const u64).read_unaligned());
            (dst as *mut u64).write_unaligned(a);
            (dst.add(n - 8) as *mut u64).write_unaligned(b);
        }
        _ => {
            let (a, b) = ((src as *const u128).read_unaligned(), (src.add(n - 16) as *const u128).read_unaligned());
            (dst as *mut u128).write_unaligned(a);
            (dst.add(n - 16) as *mut u128).write_unaligned(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extend_short_copies_every_length() {
        let source: Vec<u8> = (0u8..64).collect();
        for n in 0..=40 {
            for prefix in [0usize, 3] {
                let mut out = vec![0xAA; prefix];
                extend_short(&mut out, &source[..n]);
                assert_eq!(&out[..prefix], &vec![0xAA; prefix][..]);
                assert_eq!(&out[prefix..], &source[..n], "length {n}");
            }
        }
    }
}
