//! A cache of short ASCII strings shared by every load: equal text read
//! again (a dict key in the next message, a field name in the next pickle)
//! comes back as the `str` made the first time, with its hash already
//! computed, instead of a new allocation, a copy and a new SipHash.
//!
//! The cache is direct-mapped: each text has one slot, chosen by a hash of
//! its bytes, and a different text that lands there replaces it. Strings
//! are immutable, so sharing one object between loads is only visible to
//! `is` and `sys.getrefcount` (see decision 0014).
//!
//! One load at a time leases the whole cache (`try_lock`). A load that
//! starts while another holds it — a hook that loads again, or a second
//! thread running while a hook has released the GIL — goes without: it
//! never waits, so it can never deadlock against the GIL.

use crate::json::text::{ascii_str, compact_ascii};
use pyo3::prelude::*;
use std::sync::{Mutex, MutexGuard, TryLockError};

/// Number of slots (a power of two): 4096 keeps chance collisions rare for
/// the few hundred distinct keys a service usually sees (at 1024, one key
/// in six of `bm_pickle`'s 185 strings shared a slot with another).
const SLOT_BITS: u32 = 12;

/// Longest text cached, in bytes: field names and enum-like values are
/// short; long text rarely repeats and costs more to compare.
const MAX_CACHED_LEN: usize = 64;

/// A text's summary: up to 16 bytes it *is* the text (two overlapping
/// little-endian reads and the length determine every byte); longer, it is
/// a hash, and a match is confirmed against the cached string.
#[derive(Clone, Copy, PartialEq, Eq)]
struct TextKey {
    words: [u64; 2],
    len: usize,
}

impl TextKey {
    const EMPTY: TextKey = TextKey { words: [0; 2], len: usize::MAX };

    #[inline(always)]
    fn of(bytes: &[u8]) -> TextKey {
        let n = bytes.len();
        let word = |at: usize| word_at(bytes, at);
        let half = |at: usize| u64::from(u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes")));
        let words = match n {
            0 => [0, 0],
            1..=3 => [u64::from(bytes[0]) | u64::from(bytes[n / 2]) << 8 | u64::from(bytes[n - 1]) << 16, 0],
            4..=7 => [half(0), half(n - 4)],
            8..=16 => [word(0), word(n - 8)],
            // Four overlapping reads cover the text; the key is their mix.
            17..=32 => [word(0) ^ word(n - 16).rotate_left(32), word(8) ^ word(n - 8).rotate_left(32)],
            _ => {
                let mut h = 0u64;
                for at in (0..n - 8).step_by(8) {
                    h = (h.rotate_left(5) ^ word(at)).wrapping_mul(MIX);
                }
                [h, word(n - 8)]
            }
        };
        TextKey { words, len: n }
    }

    /// Whether the key alone proves two texts equal.
    fn is_exact(&self) -> bool {
        self.len <= 16
    }

    #[inline(always)]
    fn slot(&self) -> usize {
        let h = (self.words[0] ^ self.words[1].rotate_left(29) ^ (self.len as u64) << 56).wrapping_mul(MIX);
        (h >> (64 - SLOT_BITS)) as usize
    }
}

/// The little-endian word at byte `at` (`at + 8 <= bytes.len()`).
#[inline]
fn word_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
}

/// Whether two texts with equal keys are equal: up to 32 bytes by four
/// overlapping word reads (no `memcmp` call), longer by slice comparison.
#[inline]
fn same_text(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() || !(16..=32).contains(&n) {
        return a == b;
    }
    let same_at = |at: usize| word_at(a, at) == word_at(b, at);
    same_at(0) && same_at(8) && same_at(n - 16) && same_at(n - 8)
}

/// Fibonacci hashing's multiplier (2^64 / golden ratio).
const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// One slot: a cached compact ASCII `str` and its text's key.
struct Slot {
    key: TextKey,
    text: Option<Py<PyAny>>,
}

static CACHE: Mutex<[Slot; 1 << SLOT_BITS]> =
    Mutex::new([const { Slot { key: TextKey::EMPTY, text: None } }; 1 << SLOT_BITS]);

/// One load's exclusive use of the cache (see the module doc).
pub(crate) struct StrCacheLease(MutexGuard<'static, [Slot; 1 << SLOT_BITS]>);

/// The cache for one load, or `None` when another load is using it.
pub(crate) fn lease() -> Option<StrCacheLease> {
    match CACHE.try_lock() {
        Ok(guard) => Some(StrCacheLease(guard)),
        // A panic mid-update leaves every slot empty or a valid string.
        Err(TryLockError::Poisoned(poisoned)) => Some(StrCacheLease(poisoned.into_inner())),
        Err(TryLockError::WouldBlock) => None,
    }
}

impl StrCacheLease {
    /// The cached string for `bytes` when the text's slot holds it (a hit
    /// proves the text ASCII). Inlined: this is every cached string's whole path.
    #[inline(always)]
    fn get<'py>(&self, py: Python<'py>, key: &TextKey, bytes: &[u8]) -> Option<Bound<'py, PyAny>> {
        let slot = &self.0[key.slot()];
        let cached = slot.text.as_ref().filter(|_| slot.key == *key)?;
        // SAFETY: slots only hold live str objects (this cache owns a reference).
        let same =
            key.is_exact() || unsafe { compact_ascii(cached.as_ptr()) }.is_some_and(|text| same_text(text, bytes));
        same.then(|| cached.bind(py).clone())
    }

    /// A new `str` for text the cache does not hold: from `decode` when it
    /// is not ASCII, else a new ASCII string, which then takes its slot.
    #[inline(never)]
    fn make<'py>(
        &mut self,
        py: Python<'py>,
        key: TextKey,
        bytes: &[u8],
        decode: impl FnOnce(&[u8]) -> PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if !brinery::utf8::is_ascii(bytes) {
            return decode(bytes);
        }
        let made = ascii_str(py, bytes)?;
        // Dropping the replaced string runs no Python code (str has no finalizer).
        drop(self.put(key, &made));
        Ok(made)
    }

    /// The cached string for `bytes`, when the text is short enough to be
    /// cached and its slot holds it.
    #[inline(always)]
    pub(crate) fn lookup<'py>(&self, py: Python<'py>, bytes: &[u8]) -> Option<Bound<'py, PyAny>> {
        if bytes.len() > MAX_CACHED_LEN {
            return None;
        }
        self.get(py, &TextKey::of(bytes), bytes)
    }

    /// Makes `text` the cached string for its text when it can be cached (a
    /// compact ASCII `str` short enough); returns the string its slot held.
    pub(crate) fn install(&mut self, text: &Bound<'_, PyAny>) -> Option<Py<PyAny>> {
        // SAFETY: `text` is a live object for the call.
        let ascii = unsafe { compact_ascii(text.as_ptr()) }.filter(|a| a.len() <= MAX_CACHED_LEN)?;
        self.put(TextKey::of(ascii), text)
    }

    /// Puts `text`, whose text has `key`, in its slot; returns what was there.
    fn put(&mut self, key: TextKey, text: &Bound<'_, PyAny>) -> Option<Py<PyAny>> {
        let slot = &mut self.0[key.slot()];
        slot.key = key;
        slot.text.replace(text.clone().unbind())
    }
}

/// A `str` for the UTF-8 `bytes`, through the cache when there is one and
/// the text is short: ASCII is copied straight into a new compact string;
/// anything else is made by `decode`.
#[inline(always)]
pub(crate) fn str_via<'py>(
    cache: Option<&mut StrCacheLease>,
    py: Python<'py>,
    bytes: &[u8],
    decode: impl FnOnce(&[u8]) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    match cache {
        Some(cache) if bytes.len() <= MAX_CACHED_LEN => {
            let key = TextKey::of(bytes);
            match cache.get(py, &key, bytes) {
                Some(hit) => Ok(hit),
                None => cache.make(py, key, bytes, decode),
            }
        }
        _ if brinery::utf8::is_ascii(bytes) => ascii_str(py, bytes),
        _ => decode(bytes),
    }
}
