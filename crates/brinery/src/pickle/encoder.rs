//! The one low-level pickle writer. It knows CPython's exact byte-level rules
//! (opcode choice per protocol, int/str/bytes encodings, memo PUT/GET forms,
//! protocol-4 framing, batching of 1000); the value pickler, the serde
//! serializer and the Python pickler (crate `brinery-python`) all drive it.
//!
//! It is public for picklers outside this crate: it writes opcodes, the
//! caller decides which (CPython's `save()` dispatch is the caller's job).
//!
//! ```
//! use brinery::pickle::encoder::{Encoder, MemoKey};
//! let mut enc = Encoder::new(4).unwrap();
//! enc.boundary();
//! enc.op(brinery::opcodes::Opcode::EmptyList);
//! enc.put(MemoKey::Id(1));
//! // What `pickle.dumps([], 4)` gives: a frame this small gets no FRAME header.
//! assert_eq!(enc.finish(), b"\x80\x04]\x94.");
//! ```

use super::error::{Error, Result};
use crate::opcodes::Opcode;
use crate::short_copy::{copy_any, extend_short};
use crate::value::{Int, Str};
use rustc_hash::FxHashMap;
use std::hash::Hash;

/// Frames are committed once their payload reaches this size (CPython's `FRAME_SIZE_TARGET`).
pub const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// Frames with fewer payload bytes than this get no FRAME header (`FRAME_SIZE_MIN`).
const FRAME_SIZE_MIN: usize = 4;
/// FRAME opcode + 8-byte length.
const FRAME_HEADER_SIZE: usize = 9;
/// Items per APPENDS/SETITEMS/ADDITEMS batch (CPython's `BATCHSIZE`).
pub const BATCH_SIZE: usize = 1000;

/// What identifies a memoized object.
#[derive(Clone, Debug, Eq)]
pub enum MemoKey {
    /// An object with identity (its address).
    Id(usize),
    /// A str CPython shares by value (empty, or one latin-1 character): its
    /// UTF-8 bytes (at most 2) and their count.
    Str([u8; 2], u8),
    /// bytes CPython shares by value (empty, or one byte).
    Bytes(Option<u8>),
    /// A global, by its (Python 3) module and qualified name.
    Global(Box<[u8]>, Box<[u8]>),
    /// The `__module__` string shared by every global of one module (protocol ≥ 4).
    ModuleName(Box<[u8]>),
    /// The `__qualname__` string of one global (protocol ≥ 4).
    QualName(Box<[u8]>, Box<[u8]>),
    /// A string constant of CPython's own reducers (`'latin1'` for protocol < 3 bytes).
    Const(&'static str),
    /// An object nothing else can refer to (its only reference is the one
    /// being pickled, or CPython creates it on the fly): it gets a memo index,
    /// as in CPython, but is never stored or looked up.
    Unique,
}

// Identities are nearly every key looked up, and small strs most of the
// rest, so `PartialEq` and `Hash` settle those first, small enough to inline
// into the memo's lookups (the derived versions were calls); the other keys
// compare and hash by value.
impl PartialEq for MemoKey {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (MemoKey::Id(a), MemoKey::Id(b)) => a == b,
            (MemoKey::Str(a, m), MemoKey::Str(b, n)) => a == b && m == n,
            (MemoKey::Id(_) | MemoKey::Str(..), _) | (_, MemoKey::Id(_) | MemoKey::Str(..)) => false,
            _ => self.by_value() == other.by_value(),
        }
    }
}

impl Hash for MemoKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            MemoKey::Id(address) => state.write_usize(*address),
            // Empty and one-character strs (CPython's singletons) are common too.
            MemoKey::Str([a, b], n) => state.write_u32(u32::from_le_bytes([*a, *b, *n, 0xff])),
            _ => self.by_value().hash(state),
        }
    }
}

/// A [`MemoKey`] other than `Id` and `Str`, borrowed, for comparing and hashing by value.
#[derive(PartialEq, Hash)]
enum ByValue<'k> {
    Bytes(Option<u8>),
    Global(&'k [u8], &'k [u8]),
    ModuleName(&'k [u8]),
    QualName(&'k [u8], &'k [u8]),
    Const(&'static str),
    Unique,
}

impl MemoKey {
    #[cold]
    fn by_value(&self) -> ByValue<'_> {
        match self {
            MemoKey::Id(_) | MemoKey::Str(..) => {
                unreachable!("identities and small strs are compared and hashed inline")
            }
            MemoKey::Bytes(b) => ByValue::Bytes(*b),
            MemoKey::Global(m, n) => ByValue::Global(m, n),
            MemoKey::ModuleName(m) => ByValue::ModuleName(m),
            MemoKey::QualName(m, n) => ByValue::QualName(m, n),
            MemoKey::Const(c) => ByValue::Const(c),
            MemoKey::Unique => ByValue::Unique,
        }
    }
}

/// Writes opcodes into a growing buffer, framing them for protocol ≥ 4.
pub struct Encoder {
    out: Vec<u8>,
    proto: u8,
    framing: bool,
    /// Where the current frame's reserved header starts, if a frame is open.
    frame_start: Option<usize>,
    /// The output length at which the open frame reaches its target size
    /// (`usize::MAX` while none is open): [`boundary`](Self::boundary), run
    /// before every object, is then one compare.
    frame_full_at: usize,
    /// Whether the next write opens a frame first (framing, and none open):
    /// one test per opcode.
    frame_wanted: bool,
    memo: FxHashMap<MemoKey, u32>,
    /// The next memo index (objects with [`MemoKey::Unique`] take one too).
    next_index: u32,
}

impl Default for Encoder {
    /// An empty stand-in (nothing allocated), for moving an encoder out of a
    /// pickler for a moment; not a pickle in progress.
    fn default() -> Self {
        Encoder {
            out: Vec::new(),
            proto: 0,
            framing: false,
            frame_start: None,
            frame_full_at: usize::MAX,
            frame_wanted: false,
            memo: FxHashMap::default(),
            next_index: 0,
        }
    }
}

impl Encoder {
    /// An encoder for `proto`; writes PROTO right away for protocol ≥ 2.
    pub fn new(proto: u8) -> Result<Self> {
        Self::with_buffer(proto, Vec::with_capacity(256))
    }

    /// [`new`](Self::new), writing into `buffer` (emptied first): a caller
    /// that pickles again and again can hand back the buffer the last
    /// [`finish`](Self::finish) returned, and spare an allocation per pickle.
    ///
    /// ```
    /// use brinery::pickle::encoder::Encoder;
    /// let mut enc = Encoder::new(5).unwrap();
    /// enc.int_i64(1);
    /// let first = enc.finish();
    /// let mut enc = Encoder::with_buffer(5, first).unwrap();
    /// enc.int_i64(2);
    /// assert_eq!(enc.finish(), b"\x80\x05K\x02.");
    /// ```
    pub fn with_buffer(proto: u8, mut buffer: Vec<u8>) -> Result<Self> {
        super::options::check_protocol(proto)?;
        buffer.clear();
        let mut e = Encoder {
            out: buffer,
            proto,
            framing: false,
            frame_start: None,
            frame_full_at: usize::MAX,
            frame_wanted: false,
            memo: FxHashMap::default(),
            next_index: 0,
        };
        if proto >= 2 {
            e.out.push(Opcode::Proto as u8);
            e.out.push(proto);
        }
        e.framing = proto >= 4;
        e.frame_wanted = e.framing;
        Ok(e)
    }

    /// Makes room for `additional` more bytes of output, e.g. the size of
    /// the last pickle when pickles tend to be alike.
    pub fn reserve(&mut self, additional: usize) {
        self.out.reserve(additional);
    }

    /// Makes room for `additional` more memo entries, e.g. as many as the
    /// last pickle memoized.
    ///
    /// ```
    /// use brinery::pickle::encoder::Encoder;
    /// let mut enc = Encoder::new(4).unwrap();
    /// enc.reserve(1 << 16);
    /// enc.reserve_memo(100);
    /// enc.int_i64(7);
    /// assert_eq!(enc.finish(), b"\x80\x04K\x07.");
    /// ```
    pub fn reserve_memo(&mut self, additional: usize) {
        self.memo.reserve(additional);
    }

    /// The protocol being written.
    #[inline]
    pub fn proto(&self) -> u8 {
        self.proto
    }

    /// Ends the pickle: STOP, then the last frame is committed.
    pub fn finish(mut self) -> Vec<u8> {
        self.op(Opcode::Stop);
        self.commit_frame();
        self.out
    }

    /// The bytes written so far that can no longer change: everything before
    /// the open frame (all of it when no frame is open). The caller takes
    /// them, e.g. to stream a large pickle to a file as CPython does.
    pub fn take_committed(&mut self) -> Vec<u8> {
        match self.frame_start {
            None => std::mem::take(&mut self.out),
            Some(start) => {
                let rest = self.out.split_off(start);
                self.frame_start = Some(0);
                self.frame_full_at = FRAME_HEADER_SIZE + FRAME_SIZE_TARGET;
                std::mem::replace(&mut self.out, rest)
            }
        }
    }

    /// How many bytes [`take_committed`](Self::take_committed) would return.
    pub fn committed_len(&self) -> usize {
        self.frame_start.unwrap_or(self.out.len())
    }

    // ---- Memo bookkeeping for callers that expose the memo (Python's `Pickler.memo`).

    /// Entries in the memo.
    pub fn memo_len(&self) -> usize {
        self.memo.len()
    }

    /// The memo index of `key`, if memoized.
    pub fn memo_index(&self, key: &MemoKey) -> Option<u32> {
        self.memo.get(key).copied()
    }

    /// Every memo entry with its index.
    pub fn memo_entries(&self) -> impl Iterator<Item = (&MemoKey, u32)> {
        self.memo.iter().map(|(k, &i)| (k, i))
    }

    /// Forgets every memoized object; indices start again at 0 (`Pickler.clear_memo()`).
    pub fn clear_memo(&mut self) {
        self.memo.clear();
        self.next_index = 0;
    }

    /// Records `key` at `index` without writing anything (priming the memo,
    /// as `pickler.memo = other.memo` does). New entries then continue from
    /// the memo's size, like CPython's.
    pub fn memo_insert(&mut self, key: MemoKey, index: u32) {
        self.memo.insert(key, index);
        self.next_index = self.memo.len() as u32;
    }

    // ---- Framing.

    #[inline]
    fn reserve_frame(&mut self) {
        if self.frame_wanted {
            self.open_frame();
        }
    }

    /// Reserves the header of a new frame at the end of the output.
    #[cold]
    fn open_frame(&mut self) {
        let start = self.out.len();
        self.frame_start = Some(start);
        self.frame_full_at = start + FRAME_HEADER_SIZE + FRAME_SIZE_TARGET;
        self.frame_wanted = false;
        self.out.extend_from_slice(&[0; FRAME_HEADER_SIZE]);
    }

    fn commit_frame(&mut self) {
        let Some(start) = self.frame_start.take() else {
            return;
        };
        self.frame_full_at = usize::MAX;
        self.frame_wanted = self.framing;
        let payload = self.out.len() - start - FRAME_HEADER_SIZE;
        if payload >= FRAME_SIZE_MIN {
            self.out[start] = Opcode::Frame as u8;
            self.out[start + 1..start + FRAME_HEADER_SIZE].copy_from_slice(&(payload as u64).to_le_bytes());
        } else {
            self.out.drain(start..start + FRAME_HEADER_SIZE);
        }
    }

    /// Called at the start of saving every object: commits a frame that has
    /// reached the target size (CPython's `_Pickler_OpcodeBoundary`).
    #[inline]
    pub fn boundary(&mut self) {
        if self.out.len() >= self.frame_full_at {
            self.commit_frame();
        }
    }

    // ---- Raw writes.

    /// An opcode without argument (EMPTY_LIST, MARK, REDUCE, …).
    #[inline]
    pub fn op(&mut self, op: Opcode) {
        self.reserve_frame();
        self.out.push(op as u8);
    }

    #[inline]
    fn op_with<const N: usize>(&mut self, op: Opcode, arg: [u8; N]) {
        self.reserve_frame();
        // One capacity check and one store for the opcode and its argument.
        let mut bytes = [op as u8; 9];
        bytes[1..=N].copy_from_slice(&arg);
        self.out.extend_from_slice(&bytes[..=N]);
    }

    /// Writes an opcode with a length header and a payload; payloads of 64 KiB
    /// and more go outside any frame, as CPython writes them.
    #[inline]
    fn op_with_payload(&mut self, header: &[u8], payload: &[u8]) {
        if self.framing && payload.len() >= FRAME_SIZE_TARGET {
            self.commit_frame();
        } else {
            self.reserve_frame();
        }
        self.out.reserve(header.len() + payload.len());
        extend_short(&mut self.out, header);
        extend_short(&mut self.out, payload);
    }

    /// An opcode with a one-byte length and a payload shorter than 256
    /// bytes (SHORT_BINUNICODE, SHORT_BINBYTES): the hottest write of all,
    /// one capacity check and no call. Such a payload always fits a frame.
    #[inline(always)]
    fn op_with_short_payload(&mut self, op: Opcode, payload: &[u8]) {
        debug_assert!(payload.len() < 256);
        self.header_and_short_payload([op as u8, payload.len() as u8], payload);
    }

    /// `header` (an opcode and its length field), then a payload shorter
    /// than 256 bytes, with one capacity check and no call.
    #[inline(always)]
    fn header_and_short_payload<const H: usize>(&mut self, header: [u8; H], payload: &[u8]) {
        self.reserve_frame();
        let n = payload.len();
        self.out.reserve(H + n);
        // SAFETY: `H + n` bytes of spare capacity were just reserved, all of
        // them are written, and `payload` is not in `out`.
        unsafe {
            let dst = self.out.as_mut_ptr().add(self.out.len());
            std::ptr::copy_nonoverlapping(header.as_ptr(), dst, H);
            copy_any(payload, dst.add(H));
            self.out.set_len(self.out.len() + H + n);
        }
    }

    /// A text-argument opcode: the opcode, the text, `\n`.
    fn op_line(&mut self, op: Opcode, text: &[u8]) {
        self.reserve_frame();
        self.out.push(op as u8);
        self.out.extend_from_slice(text);
        self.out.push(b'\n');
    }

    // ---- Memo.

    /// Writes a GET for `key` if it was memoized; says whether it did.
    #[inline]
    pub fn get(&mut self, key: &MemoKey) -> bool {
        if matches!(key, MemoKey::Unique) {
            return false;
        }
        match self.memo.get(key) {
            Some(&index) => {
                self.write_get(index);
                true
            }
            None => false,
        }
    }

    /// Whether `key` was memoized.
    #[inline]
    pub fn is_memoized(&self, key: &MemoKey) -> bool {
        !matches!(key, MemoKey::Unique) && self.memo.contains_key(key)
    }

    /// GET/BINGET/LONG_BINGET of memo `index`.
    #[inline]
    pub fn write_get(&mut self, index: u32) {
        if self.proto == 0 {
            self.op_line(Opcode::Get, index.to_string().as_bytes());
        } else if index < 256 {
            self.op_with(Opcode::BinGet, [index as u8]);
        } else {
            self.op_with(Opcode::LongBinGet, index.to_le_bytes());
        }
    }

    /// Memoizes the object just written under `key`.
    pub fn put(&mut self, key: MemoKey) {
        let index = self.next_index;
        self.next_index += 1;
        if !matches!(key, MemoKey::Unique) {
            self.memo.insert(key, index);
        }
        self.write_put(index);
    }

    /// Writes the memo store for `index` (MEMOIZE, BINPUT/LONG_BINPUT, or PUT
    /// at protocol 0) without recording anything: for callers that keep their
    /// own memo. MEMOIZE stores at the reader's memo size, so `index` must be
    /// the number of entries stored so far, as CPython's pickler ensures.
    #[inline(always)]
    pub fn write_put(&mut self, index: u32) {
        if self.framing {
            self.op(Opcode::Memoize);
        } else {
            self.write_put_unframed(index);
        }
    }

    /// [`write_put`](Self::write_put) below protocol 4.
    fn write_put_unframed(&mut self, index: u32) {
        if self.proto >= 1 {
            if index < 256 {
                self.op_with(Opcode::BinPut, [index as u8]);
            } else {
                self.op_with(Opcode::LongBinPut, index.to_le_bytes());
            }
        } else {
            self.op_line(Opcode::Put, index.to_string().as_bytes());
        }
    }

    // ---- Atoms.

    /// NONE.
    #[inline]
    pub fn none(&mut self) {
        self.op(Opcode::None);
    }

    /// NEWTRUE/NEWFALSE, or `I01`/`I00` below protocol 2.
    pub fn bool(&mut self, v: bool) {
        if self.proto >= 2 {
            self.op(if v { Opcode::NewTrue } else { Opcode::NewFalse });
        } else {
            self.op_line(Opcode::Int, if v { b"01" } else { b"00" });
        }
    }

    /// An int, in the smallest form the protocol has (BININT1/2, BININT, LONG1/4; INT/LONG text at protocol 0).
    #[inline]
    pub fn int(&mut self, v: &Int) {
        match v.as_i64() {
            Some(i) => self.int_i64(i),
            _ if self.proto >= 2 => self.long_bytes(&v.to_signed_le()),
            _ => self.op_line(Opcode::Long, format!("{v}L").as_bytes()),
        }
    }

    /// An int that fits in an `i64` (no [`Int`] needed).
    ///
    /// ```
    /// use brinery::pickle::encoder::Encoder;
    /// let mut enc = Encoder::new(2).unwrap();
    /// enc.int_i64(300);
    /// enc.int_i64(1 << 40);
    /// assert_eq!(enc.finish(), b"\x80\x02M,\x01\x8a\x06\x00\x00\x00\x00\x00\x01.");
    /// ```
    #[inline]
    pub fn int_i64(&mut self, i: i64) {
        if self.proto > 0 && (0..=0xff).contains(&i) {
            // The most common int, inline.
            self.op_with(Opcode::BinInt1, [i as u8]);
        } else {
            self.int_i64_wider(i);
        }
    }

    /// [`Encoder::int_i64`] for ints that are not BININT1's.
    #[inline(never)]
    fn int_i64_wider(&mut self, i: i64) {
        if i32::try_from(i).is_err() {
            if self.proto >= 2 {
                // LONG1 with the fewest little-endian two's-complement bytes
                // that keep the sign, as CPython writes it (no `Int` needed):
                // the bit length of the magnitude (of !i below zero) plus a
                // sign bit, in whole bytes.
                let magnitude = if i < 0 { !i } else { i };
                let len = ((64 - magnitude.leading_zeros()) / 8 + 1) as usize;
                self.op_with_short_payload(Opcode::Long1, &i.to_le_bytes()[..len]);
            } else {
                self.op_line(Opcode::Long, format!("{i}L").as_bytes());
            }
        } else if self.proto == 0 {
            self.op_line(Opcode::Int, i.to_string().as_bytes());
        } else if (0..=0xffff).contains(&i) {
            self.op_with(Opcode::BinInt2, (i as u16).to_le_bytes());
        } else {
            self.op_with(Opcode::BinInt, (i as i32).to_le_bytes());
        }
    }

    /// LONG1/LONG4 with the little-endian two's-complement bytes (protocol ≥ 2).
    pub fn long_bytes(&mut self, bytes: &[u8]) {
        self.reserve_frame();
        if bytes.len() < 256 {
            self.out.extend_from_slice(&[Opcode::Long1 as u8, bytes.len() as u8]);
        } else {
            self.out.push(Opcode::Long4 as u8);
            self.out.extend_from_slice(&(bytes.len() as i32).to_le_bytes());
        }
        self.out.extend_from_slice(bytes);
    }

    /// LONG's protocol-0/1 text form: the decimal digits, then `L`.
    pub fn long_text(&mut self, digits: &str) {
        self.reserve_frame();
        self.out.push(Opcode::Long as u8);
        self.out.extend_from_slice(digits.as_bytes());
        self.out.extend_from_slice(b"L\n");
    }

    /// BINFLOAT, or FLOAT with Python's repr at protocol 0.
    pub fn float(&mut self, v: f64) {
        if self.proto >= 1 {
            self.op_with(Opcode::BinFloat, v.to_be_bytes());
        } else {
            let mut text = String::new();
            crate::float_repr::write_repr(&mut text, v);
            self.op_line(Opcode::Float, text.as_bytes());
        }
    }

    /// A str body (no memo handling): BINUNICODE family, or UNICODE at protocol 0.
    pub fn str(&mut self, s: &Str<'_>) -> Result<()> {
        self.str_surrogatepass(s.as_surrogatepass())
    }

    /// A str body from its UTF-8 bytes, lone surrogates encoded as
    /// surrogatepass does (what pickle stores); the caller vouches for the bytes.
    #[inline]
    pub fn str_surrogatepass(&mut self, data: &[u8]) -> Result<()> {
        if self.framing && data.len() < 256 {
            // The common case, SHORT_BINUNICODE in a frame, kept inline.
            self.op_with_short_payload(Opcode::ShortBinUnicode, data);
            return Ok(());
        }
        self.str_surrogatepass_other(data)
    }

    /// A short str below protocol 4: BINUNICODE, its four-byte length and
    /// the text written as one header and one copy.
    #[inline(never)]
    fn short_binunicode(&mut self, data: &[u8]) {
        let [a, b, c, d] = (data.len() as u32).to_le_bytes();
        self.header_and_short_payload([Opcode::BinUnicode as u8, a, b, c, d], data);
    }

    /// Protocol 0's UNICODE line, BINUNICODE, or BINUNICODE8 (anything but
    /// SHORT_BINUNICODE).
    fn str_surrogatepass_other(&mut self, data: &[u8]) -> Result<()> {
        if self.proto == 0 {
            let mut text = Vec::with_capacity(data.len());
            raw_unicode_escape(data, &mut text);
            self.op_line(Opcode::Unicode, &text);
            return Ok(());
        }
        let len = data.len();
        if len < 256 {
            self.short_binunicode(data);
        } else if len <= u32::MAX as usize {
            let mut header = [0u8; 5];
            header[0] = Opcode::BinUnicode as u8;
            header[1..].copy_from_slice(&(len as u32).to_le_bytes());
            self.op_with_payload(&header, data);
        } else if self.proto >= 4 {
            let mut header = [0u8; 9];
            header[0] = Opcode::BinUnicode8 as u8;
            header[1..].copy_from_slice(&(len as u64).to_le_bytes());
            self.op_with_payload(&header, data);
        } else {
            return Err(Error::unpicklable("cannot serialize a string larger than 4GiB below protocol 4"));
        }
        Ok(())
    }

    /// A bytes body for protocol ≥ 3 (no memo handling).
    pub fn bytes(&mut self, data: &[u8]) -> Result<()> {
        let len = data.len();
        if len < 256 {
            self.op_with_short_payload(Opcode::ShortBinBytes, data);
        } else if len <= u32::MAX as usize {
            let mut header = [0u8; 5];
            header[0] = Opcode::BinBytes as u8;
            header[1..].copy_from_slice(&(len as u32).to_le_bytes());
            self.op_with_payload(&header, data);
        } else if self.proto >= 4 {
            let mut header = [0u8; 9];
            header[0] = Opcode::BinBytes8 as u8;
            header[1..].copy_from_slice(&(len as u64).to_le_bytes());
            self.op_with_payload(&header, data);
        } else {
            return Err(Error::unpicklable("cannot serialize a bytes object larger than 4 GiB below protocol 4"));
        }
        Ok(())
    }

    /// A bytearray body for protocol ≥ 5 (no memo handling).
    pub fn bytearray(&mut self, data: &[u8]) {
        let mut header = [0u8; 9];
        header[0] = Opcode::ByteArray8 as u8;
        header[1..].copy_from_slice(&(data.len() as u64).to_le_bytes());
        self.op_with_payload(&header, data);
    }

    /// GLOBAL's or INST's inline form: `c<module>\n<name>\n`.
    ///
    /// Each name is a line, so one that is empty or holds a newline would
    /// make a pickle nobody can read (CPython's reader wants a non-empty
    /// line): that is an error, not bytes.
    pub fn names_line(&mut self, op: Opcode, module: &[u8], name: &[u8]) -> Result<()> {
        for part in [module, name] {
            if part.is_empty() || part.contains(&b'\n') {
                return Err(Error::unpicklable(format!(
                    "can't write {:?}.{:?} as a text {} line: names must be non-empty and without newlines",
                    String::from_utf8_lossy(module),
                    String::from_utf8_lossy(name),
                    op.name()
                )));
            }
        }
        self.reserve_frame();
        self.out.push(op as u8);
        self.out.extend_from_slice(module);
        self.out.push(b'\n');
        self.out.extend_from_slice(name);
        self.out.push(b'\n');
        Ok(())
    }

    /// PERSID's inline form: `P<pid>\n`.
    pub fn persid_text(&mut self, pid: &[u8]) {
        self.op_line(Opcode::PersId, pid);
    }

    /// EXT1/EXT2/EXT4 for a registered global.
    pub fn ext(&mut self, code: i64) {
        if code <= 0xff {
            self.op_with(Opcode::Ext1, [code as u8]);
        } else if code <= 0xffff {
            self.op_with(Opcode::Ext2, (code as u16).to_le_bytes());
        } else {
            self.op_with(Opcode::Ext4, (code as i32).to_le_bytes());
        }
    }
}

/// Protocol 0's `raw-unicode-escape` as CPython's pickler applies it:
/// latin-1 bytes, with `\`, NUL, `\n`, `\r`, `\x1a` and non-latin-1 escaped.
fn raw_unicode_escape(data: &[u8], out: &mut Vec<u8>) {
    use std::io::Write;
    for cp in crate::value::CodePoints::new(data) {
        if cp >= 0x10000 {
            write!(out, "\\U{cp:08x}").unwrap();
        } else if cp >= 0x100 || matches!(cp, 0x5c | 0 | 0x0a | 0x0d | 0x1a) {
            write!(out, "\\u{cp:04x}").unwrap();
        } else {
            out.push(cp as u8);
        }
    }
}

/// Protocol-0 text for a persistent id: `str(pid)`, which must be ASCII.
pub(crate) fn ascii_only(text: &str, what: &str) -> Result<()> {
    if text.is_ascii() && !text.contains('\n') {
        Ok(())
    } else {
        Err(Error::unpicklable(format!("{what} must be ASCII without newlines at protocol 0")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn keys() -> Vec<MemoKey> {
        let b = |s: &str| s.as_bytes().to_vec().into_boxed_slice();
        vec![
            MemoKey::Id(0x1000),
            MemoKey::Id(0x1008),
            MemoKey::Str(*b"a\0", 1),
            MemoKey::Str(*b"\0\0", 0),
            MemoKey::Bytes(None),
            MemoKey::Bytes(Some(b'a')),
            MemoKey::Global(b("m"), b("n")),
            MemoKey::Global(b("mn"), b("")),
            MemoKey::ModuleName(b("m")),
            MemoKey::QualName(b("m"), b("n")),
            MemoKey::Const("latin1"),
            MemoKey::Unique,
        ]
    }

    #[test]
    fn i64_longs_take_the_bytes_of_any_int() {
        // Every byte-length boundary of LONG1, both signs, against the
        // arbitrary-precision path (`Int::to_signed_le`, as CPython encodes).
        let mut values = vec![i64::MIN, i64::MAX, i64::MIN + 1];
        for bits in 31..63 {
            for base in [1i64 << bits, -(1i64 << bits)] {
                values.extend([base - 1, base, base + 1]);
            }
        }
        for i in values.into_iter().filter(|i| i32::try_from(*i).is_err()) {
            let mut enc = Encoder::new(2).unwrap();
            enc.int_i64(i);
            let out = enc.finish();
            let bytes = Int::from(i).to_signed_le();
            let mut expected = vec![0x80, 2, Opcode::Long1 as u8, bytes.len() as u8];
            expected.extend_from_slice(&bytes);
            expected.push(Opcode::Stop as u8);
            assert_eq!(out, expected, "{i}");
        }
    }

    #[test]
    fn memo_keys_are_equal_only_to_themselves_and_hash_alike_when_equal() {
        let hasher = rustc_hash::FxBuildHasher;
        for (i, a) in keys().iter().enumerate() {
            for (j, b) in keys().iter().enumerate() {
                assert_eq!(a == b, i == j, "{a:?} == {b:?}");
            }
            assert_eq!(hasher.hash_one(a), hasher.hash_one(a.clone()), "{a:?}");
        }
        // Every key can be memoized apart from every other.
        let mut memo: FxHashMap<MemoKey, u32> = FxHashMap::default();
        for (i, k) in keys().into_iter().enumerate() {
            memo.insert(k, i as u32);
        }
        assert_eq!(memo.len(), keys().len());
        for (i, k) in keys().iter().enumerate() {
            assert_eq!(memo[k], i as u32);
        }
    }
}
