//! Pickling a [`Value`]: CPython's `save()` dispatch and `save_*` rules,
//! walking the value graph and driving the [`Encoder`].

use super::compat;
use super::encoder::{ascii_only, Encoder, MemoKey, BATCH_SIZE};
use super::error::{Error, ErrorKind, Result};
use super::options::DumpOptions;
use crate::opcodes::Opcode;
use crate::size_hint::SizeHint;
use crate::value::{Buffer, Bytes, Constructor, Global, Object, ReprOptions, Str, Update, Value};

/// Longest `str()` of a non-str persistent id written as PERSID text (protocol 0).
const MAX_PERSID_TEXT: usize = 1 << 20;

/// The size of the last pickle written, as a first capacity for the next.
static LAST_SIZE: SizeHint = SizeHint::new();
/// How many objects the last pickle memoized, likewise for the memo.
static LAST_MEMO_LEN: SizeHint = SizeHint::new();
/// Most memo entries reserved from the hint.
const MAX_RESERVED_MEMO: usize = 1 << 16;

/// Pickles one value; returns the pickle and the out-of-band buffers.
pub(crate) fn pickle_value<'v>(value: &'v Value<'_>, opts: &DumpOptions) -> Result<(Vec<u8>, Vec<Bytes<'v>>)> {
    // Pickles tend to be like the last one: start the output and the memo at
    // its sizes rather than growing (and copying or rehashing) them each time.
    let mut enc = Encoder::new(opts.protocol)?;
    enc.reserve(LAST_SIZE.get());
    enc.reserve_memo(LAST_MEMO_LEN.get().min(MAX_RESERVED_MEMO));
    let mut p = ValuePickler { enc, opts, depth: 0, buffers: Vec::new(), keep_alive: Vec::new(), shared_zone: 0 };
    p.save(value)?;
    LAST_MEMO_LEN.record(p.enc.memo_len());
    let mut out = p.enc.finish();
    LAST_SIZE.finish(&mut out);
    Ok((out, p.buffers))
}

/// Runs a pickler over a value that is not part of the graph being dumped;
/// returns the encoder and the (owned) out-of-band buffers it produced.
fn save_detached(
    enc: Encoder,
    v: &Value<'_>,
    opts: &DumpOptions,
    depth: usize,
    keep_alive: &mut Vec<Value<'static>>,
) -> (Encoder, Result<Vec<Bytes<'static>>>) {
    // A detached value may be a cycle target reached again later: no shortcut.
    let mut inner = ValuePickler { enc, opts, depth, buffers: Vec::new(), keep_alive: Vec::new(), shared_zone: 1 };
    let r = inner.save(v);
    keep_alive.append(&mut inner.keep_alive);
    let buffers = inner.buffers.into_iter().map(Bytes::into_owned).collect();
    (inner.enc, r.map(|()| buffers))
}

/// Which of CPython's batching loops to follow (see `ValuePickler::batched`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Batching {
    /// `batch_list_exact`: a single item uses the single opcode.
    ExactList,
    /// `batch_dict_exact`: like `ExactList`, plus an empty batch after an exact multiple of 1000.
    ExactDict,
    /// `batch_list`/`batch_dict` over an iterator: any batch of one uses the single opcode.
    Iter,
    /// `save_set`: batches only, plus the trailing empty batch.
    Set,
}

/// Deepest nesting the pickler follows before failing, like CPython's RecursionError.
const MAX_SAVE_DEPTH: usize = 1000;

struct ValuePickler<'o, 'v> {
    enc: Encoder,
    opts: &'o DumpOptions,
    depth: usize,
    buffers: Vec<Bytes<'v>>,
    /// Values made during the dump (persistent ids from the hook): memo keys
    /// are addresses, so these must outlive the dump to keep them unique.
    keep_alive: Vec<Value<'static>>,
    /// How many enclosing containers are cycle targets. A cycle through a
    /// tuple (or an object) makes CPython's rules write it again from inside
    /// itself, walking its contents twice; there an object with a single
    /// reference can be met twice, so the [`MemoKey::Unique`] shortcut is off.
    shared_zone: usize,
}

/// Memo key of a str: by value for CPython's singletons, else by identity.
/// (Interned attribute names are one object per name per load, so identity
/// keeps them apart from the singletons, as in CPython.) `allow_unique`: see
/// [`ValuePickler::shared_zone`].
fn str_key(s: &Str<'_>, allow_unique: bool) -> MemoKey {
    if allow_unique && s.is_unique() && !s.is_latin1_singleton() {
        MemoKey::Unique
    } else if !s.is_interned() && s.is_latin1_singleton() {
        let b = s.as_surrogatepass();
        let mut small = [0u8; 2];
        small[..b.len()].copy_from_slice(b);
        MemoKey::Str(small, b.len() as u8)
    } else {
        MemoKey::Id(s.identity())
    }
}

/// Memo key of an object with identity: [`MemoKey::Unique`] when nothing
/// else can refer to it (and `allow_unique`), so the memo never stores it.
fn identity_key(v: &Value<'_>, allow_unique: bool) -> MemoKey {
    if allow_unique && v.is_unique_ref() {
        MemoKey::Unique
    } else {
        MemoKey::Id(v.identity().expect("only objects with identity are memoized"))
    }
}

/// Memo key of bytes: by value when empty or one byte (CPython's singletons).
fn small_bytes_key(data: &[u8]) -> Option<MemoKey> {
    match data {
        [] => Some(MemoKey::Bytes(None)),
        [b] => Some(MemoKey::Bytes(Some(*b))),
        _ => None,
    }
}

/// Memo key of bytes; `allow_unique`: see [`ValuePickler::shared_zone`].
fn bytes_key(b: &Bytes<'_>, allow_unique: bool) -> MemoKey {
    small_bytes_key(b.as_slice()).unwrap_or_else(|| {
        if allow_unique && b.is_unique() {
            MemoKey::Unique
        } else {
            MemoKey::Id(b.identity())
        }
    })
}

impl<'o, 'v> ValuePickler<'o, 'v> {
    /// An int past `i64` ([`atom`](Self::atom) writes the others); below
    /// protocol 2 it is written as decimal text, which CPython refuses past
    /// `max_int_digits` digits (when dumping as when loading).
    #[cold]
    fn big_int(&mut self, i: &crate::Int) -> Result<()> {
        if self.proto() >= 2 {
            self.enc.int(i);
            return Ok(());
        }
        // Formatted once: checked, then written as LONG text.
        let text = i.to_string();
        let digits = text.trim_start_matches('-').len();
        if self.opts.max_int_digits > 0 && digits > self.opts.max_int_digits {
            return Err(Error::new(ErrorKind::LimitExceeded {
                limit: "max_int_digits",
                max: self.opts.max_int_digits as u64,
                value: digits as u64,
            }));
        }
        self.enc.long_text(&text);
        Ok(())
    }

    fn proto(&self) -> u8 {
        self.enc.proto()
    }

    fn save(&mut self, v: &'v Value<'_>) -> Result<()> {
        // Atoms and strs (most of a container's items) need no stack check
        // or sharing zone (neither contains anything): the same steps as
        // `save_inner`, inline.
        if matches!(v, Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_))
            && self.opts.persistent_id.is_none()
        {
            self.check_depth()?;
            self.enc.boundary();
            return self.atom(v);
        }
        if let (Value::Str(s), None) = (v, &self.opts.persistent_id) {
            self.check_depth()?;
            self.enc.boundary();
            return self.save_str(s);
        }
        let zone = v.is_cycle_target();
        self.shared_zone += zone as usize;
        let r = self.deeper(|p| p.save_inner(v));
        self.shared_zone -= zone as usize;
        r
    }

    /// Runs `f` one nesting level deeper in the output (a value inside a
    /// container, or a `getattr` step of a nested name): the pickle must
    /// stay as shallow as a reader's `max_depth` allows.
    fn deeper(&mut self, f: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        self.check_depth()?;
        self.depth += 1;
        let r = crate::stack::guard_at(self.depth, || f(self));
        self.depth -= 1;
        r
    }

    /// Fails if one level deeper than now would pass the output's depth limit.
    #[inline]
    fn check_depth(&self) -> Result<()> {
        if self.depth >= MAX_SAVE_DEPTH {
            return Err(Error::new(ErrorKind::LimitExceeded {
                limit: "max_depth",
                max: MAX_SAVE_DEPTH as u64,
                value: self.depth as u64 + 1,
            }));
        }
        Ok(())
    }

    /// A str: a memo GET if it was pickled before, else its body and a PUT.
    /// (Out of line: inlined into `save`, it makes every atom's call dearer.)
    #[inline(never)]
    fn save_str(&mut self, s: &Str<'_>) -> Result<()> {
        let key = str_key(s, self.shared_zone == 0);
        if !self.enc.get(&key) {
            self.enc.str(s)?;
            self.enc.put(key);
        }
        Ok(())
    }

    /// None, a bool, an int or a float (no identity, never memoized).
    #[inline(always)]
    fn atom(&mut self, v: &Value<'_>) -> Result<()> {
        match v {
            Value::None => self.enc.none(),
            Value::Bool(b) => self.enc.bool(*b),
            Value::Int(i) => match i.as_i64() {
                Some(small) => self.enc.int_i64(small),
                None => self.big_int(i)?,
            },
            Value::Float(f) => self.enc.float(*f),
            _ => unreachable!("atom() takes None, bool, int or float"),
        }
        Ok(())
    }

    fn save_inner(&mut self, v: &'v Value<'_>) -> Result<()> {
        self.enc.boundary();
        if let Some(hook) = &self.opts.persistent_id {
            if let Some(pid) = hook(v) {
                return self.save_persistent_owned(pid);
            }
        }
        match v {
            Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) => self.atom(v)?,
            Value::Complex { re, im } => {
                // complex.__reduce__ is (complex, (re, im)); the tuple is new each time.
                self.save_global_names("builtins", "complex")?;
                self.save_fresh_tuple(2, |p| {
                    p.enc.boundary();
                    p.enc.float(*re);
                    p.enc.boundary();
                    p.enc.float(*im);
                    Ok(())
                })?;
                self.enc.op(Opcode::Reduce);
                // complex has no identity here; CPython still memoizes the new object.
                self.enc.put(MemoKey::Unique);
            }
            Value::Str(s) => self.save_str(s)?,
            Value::Bytes(b) => self.save_bytes(b)?,
            Value::ByteArray(b) => {
                let key = identity_key(v, self.shared_zone == 0);
                if !self.enc.get(&key) {
                    self.save_bytearray(b, key)?;
                }
            }
            Value::Tuple(items) => self.save_tuple(v, items)?,
            Value::List(items) => {
                let key = identity_key(v, self.shared_zone == 0);
                if !self.enc.get(&key) {
                    self.open_container(Opcode::EmptyList, Opcode::List, key);
                    self.batch_appends_exact(items)?;
                }
            }
            Value::Dict(pairs) => {
                let key = identity_key(v, self.shared_zone == 0);
                if !self.enc.get(&key) {
                    self.open_container(Opcode::EmptyDict, Opcode::Dict, key);
                    self.batch_setitems_exact(pairs)?;
                }
            }
            Value::Set(items) => {
                let key = identity_key(v, self.shared_zone == 0);
                if !self.enc.get(&key) {
                    self.save_set(items, key)?;
                }
            }
            Value::FrozenSet(items) => {
                let key = identity_key(v, self.shared_zone == 0);
                if !self.enc.get(&key) {
                    self.save_frozenset(items, key)?;
                }
            }
            Value::Global(g) => self.save_global(g)?,
            Value::Object(o) => {
                let key = identity_key(v, self.shared_zone == 0);
                if !self.enc.get(&key) {
                    self.save_object(o, key)?;
                }
            }
            Value::Buffer(b) => self.save_buffer(b, identity_key(v, self.shared_zone == 0))?,
            Value::Cycle(c) => {
                let key = MemoKey::Id(c.identity());
                if !self.enc.get(&key) {
                    // A recursive tuple/frozenset is not memoized until its items are
                    // done, so CPython writes it again from the inside; so do we.
                    let target = c
                        .upgrade()
                        .ok_or_else(|| Error::unpicklable("a recursive reference outlived the value it points to"))?;
                    self.save_owned(target)?;
                }
            }
        }
        Ok(())
    }

    /// Writes an empty list or dict and memoizes it: `empty` (EMPTY_LIST /
    /// EMPTY_DICT) from protocol 1, MARK + `from_mark` (LIST / DICT) at protocol 0.
    fn open_container(&mut self, empty: Opcode, from_mark: Opcode, key: MemoKey) {
        if self.proto() == 0 {
            self.enc.op(Opcode::Mark);
            self.enc.op(from_mark);
        } else {
            self.enc.op(empty);
        }
        self.enc.put(key);
    }

    /// Saves a value that only lives for this call (an upgraded cycle target,
    /// whose allocations the graph keeps alive).
    fn save_owned(&mut self, v: Value<'_>) -> Result<()> {
        self.save_with(&v, self.opts)
    }

    /// Saves `v` with other options through a pickler sharing this one's
    /// encoder (and so its memo and frames).
    fn save_with(&mut self, v: &Value<'_>, opts: &DumpOptions) -> Result<()> {
        let enc = std::mem::take(&mut self.enc);
        let (enc, r) = save_detached(enc, v, opts, self.depth, &mut self.keep_alive);
        self.enc = enc;
        self.buffers.extend(r?);
        Ok(())
    }

    /// Saves a persistent id the hook returned, keeping it alive for the rest
    /// of the dump (memo keys are addresses).
    fn save_persistent_owned(&mut self, pid: Value<'static>) -> Result<()> {
        let r = self.save_persistent(&pid);
        self.keep_alive.push(pid);
        r
    }

    /// `save_pers`: the pid, then BINPERSID (PERSID text at protocol 0). Not memoized.
    /// PERSID or BINPERSID is chosen by the protocol, as CPython does, not by
    /// how the pid was written when loaded.
    fn save_persistent(&mut self, pid: &Value<'_>) -> Result<()> {
        if self.proto() == 0 {
            let s = match pid {
                Value::Str(s) => s.to_string_lossy().into_owned(),
                // `str(pid)`, as CPython writes it, but bounded: a pid that
                // shares sub-objects prints each share in full, so a few KB
                // of pickle can render as gigabytes.
                other => {
                    let text = other.repr_with(ReprOptions { max_len: MAX_PERSID_TEXT, ..Default::default() });
                    if text.len() >= MAX_PERSID_TEXT {
                        return Err(Error::unpicklable(format!(
                            "a persistent id written at protocol 0 is its str(), and this one is longer than \
                             {MAX_PERSID_TEXT} bytes"
                        )));
                    }
                    text
                }
            };
            ascii_only(&s, "persistent IDs")?;
            self.enc.persid_text(s.as_bytes());
            return Ok(());
        }
        // The hook does not apply to the pid itself.
        let opts = DumpOptions { persistent_id: None, ..self.opts.clone() };
        self.save_with(pid, &opts)?;
        self.enc.op(Opcode::BinPersId);
        Ok(())
    }

    fn save_bytes(&mut self, b: &Bytes<'_>) -> Result<()> {
        self.save_bytes_data(b.as_slice(), bytes_key(b, self.shared_zone == 0))
    }

    /// Writes bytes memoized under `key` (CPython's `save_bytes`).
    fn save_bytes_data(&mut self, data: &[u8], key: MemoKey) -> Result<()> {
        if self.enc.get(&key) {
            return Ok(());
        }
        if self.proto() >= 3 {
            self.enc.bytes(data)?;
            self.enc.put(key);
            return Ok(());
        }
        // Protocols < 3: bytes() for b'', else _codecs.encode(latin1 text, 'latin1').
        if data.is_empty() {
            self.save_global_names("builtins", "bytes")?;
            self.save_fresh_tuple(0, |_| Ok(()))?;
        } else {
            self.save_global_names("_codecs", "encode")?;
            let text = Str::from_code_points(data.iter().map(|&c| c as u32));
            self.save_fresh_tuple(2, |p| {
                p.enc.boundary();
                // `bytes.decode('latin1')` is a new str, except that one
                // character is CPython's shared singleton.
                let text_key = str_key(&text, true);
                if !p.enc.get(&text_key) {
                    p.enc.str(&text)?;
                    p.enc.put(text_key);
                }
                p.enc.boundary();
                let latin1 = MemoKey::Const("latin1");
                if !p.enc.get(&latin1) {
                    p.enc.str(&Str::from("latin1"))?;
                    p.enc.put(latin1);
                }
                Ok(())
            })?;
        }
        self.enc.op(Opcode::Reduce);
        self.enc.put(key);
        Ok(())
    }

    fn save_bytearray(&mut self, data: &[u8], key: MemoKey) -> Result<()> {
        if self.proto() >= 5 {
            self.enc.bytearray(data);
            self.enc.put(key);
            return Ok(());
        }
        self.save_global_names("builtins", "bytearray")?;
        if data.is_empty() {
            self.save_fresh_tuple(0, |_| Ok(()))?;
        } else {
            // bytes(obj) is a new object (shared by value only when 0 or 1 bytes long).
            let inner_key = small_bytes_key(data).unwrap_or(MemoKey::Unique);
            self.save_fresh_tuple(1, |p| {
                p.enc.boundary();
                p.save_bytes_data(data, inner_key)
            })?;
        }
        self.enc.op(Opcode::Reduce);
        self.enc.put(key);
        Ok(())
    }

    /// Writes a tuple of `n` items that exists only for this call (reducer
    /// arguments); `write_items` saves the items.
    fn save_fresh_tuple(&mut self, n: usize, write_items: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        self.enc.boundary();
        let proto = self.proto();
        if n == 0 {
            if proto >= 1 {
                self.enc.op(Opcode::EmptyTuple);
            } else {
                self.enc.op(Opcode::Mark);
                self.enc.op(Opcode::Tuple);
            }
            return Ok(());
        }
        if proto >= 2 && n <= 3 {
            write_items(self)?;
            self.enc.op([Opcode::Tuple1, Opcode::Tuple2, Opcode::Tuple3][n - 1]);
        } else {
            self.enc.op(Opcode::Mark);
            write_items(self)?;
            self.enc.op(Opcode::Tuple);
        }
        self.enc.put(MemoKey::Unique);
        Ok(())
    }

    fn save_tuple(&mut self, v: &'v Value<'_>, items: &'v [Value<'_>]) -> Result<()> {
        let proto = self.proto();
        if items.is_empty() {
            if proto >= 1 {
                self.enc.op(Opcode::EmptyTuple);
            } else {
                self.enc.op(Opcode::Mark);
                self.enc.op(Opcode::Tuple);
            }
            return Ok(());
        }
        let key = identity_key(v, self.shared_zone == 0);
        if self.enc.get(&key) {
            return Ok(());
        }
        if proto >= 2 && items.len() <= 3 {
            for item in items {
                self.save(item)?;
            }
            if self.enc.is_memoized(&key) {
                // Recursive: the tuple was written while saving its items.
                for _ in 0..items.len() {
                    self.enc.op(Opcode::Pop);
                }
                self.enc.get(&key);
                return Ok(());
            }
            self.enc.op([Opcode::Tuple1, Opcode::Tuple2, Opcode::Tuple3][items.len() - 1]);
        } else {
            self.enc.op(Opcode::Mark);
            for item in items {
                self.save(item)?;
            }
            if self.enc.is_memoized(&key) {
                if proto >= 1 {
                    self.enc.op(Opcode::PopMark);
                } else {
                    for _ in 0..=items.len() {
                        self.enc.op(Opcode::Pop);
                    }
                }
                self.enc.get(&key);
                return Ok(());
            }
            self.enc.op(Opcode::Tuple);
        }
        self.enc.put(key);
        Ok(())
    }

    /// One batching rule for lists, dicts and sets, in the four variants
    /// CPython's C pickler has: `n` items, the `i`-th written by `save_at`
    /// (a key and value for dicts), each batch of up to 1000 between MARK and
    /// `many`, or a lone item followed by `single` where the variant says so.
    fn batched(
        &mut self,
        n: usize,
        how: Batching,
        single: Opcode,
        many: Opcode,
        mut save_at: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        if self.proto() == 0 {
            for i in 0..n {
                save_at(self, i)?;
                self.enc.op(single);
            }
            return Ok(());
        }
        if n == 1 && matches!(how, Batching::ExactList | Batching::ExactDict) {
            save_at(self, 0)?;
            self.enc.op(single);
            return Ok(());
        }
        for start in (0..n).step_by(BATCH_SIZE) {
            let end = (start + BATCH_SIZE).min(n);
            if end - start == 1 && how == Batching::Iter {
                save_at(self, start)?;
                self.enc.op(single);
                continue;
            }
            self.enc.op(Opcode::Mark);
            for i in start..end {
                save_at(self, i)?;
            }
            self.enc.op(many);
        }
        if n > 0 && n % BATCH_SIZE == 0 && matches!(how, Batching::ExactDict | Batching::Set) {
            self.enc.op(Opcode::Mark);
            self.enc.op(many);
        }
        Ok(())
    }

    /// A list's items (`batch_list_exact`, or `batch_list` at protocol 0).
    fn batch_appends_exact(&mut self, items: &'v [Value<'_>]) -> Result<()> {
        self.batched(items.len(), Batching::ExactList, Opcode::Append, Opcode::Appends, |p, i| p.save(&items[i]))
    }

    /// List items from an iterator (`batch_list`: object list items).
    fn batch_appends_iter(&mut self, items: impl Iterator<Item = &'v Value<'v>>) -> Result<()> {
        let items: Vec<&'v Value<'_>> = items.collect();
        self.batched(items.len(), Batching::Iter, Opcode::Append, Opcode::Appends, |p, i| p.save(items[i]))
    }

    /// A dict's items (`batch_dict_exact`, or `batch_dict` at protocol 0).
    fn batch_setitems_exact(&mut self, pairs: &'v [(Value<'_>, Value<'_>)]) -> Result<()> {
        self.batched(pairs.len(), Batching::ExactDict, Opcode::SetItem, Opcode::SetItems, |p, i| {
            p.save(&pairs[i].0)?;
            p.save(&pairs[i].1)
        })
    }

    /// Dict items from an iterator (`batch_dict`: object dict items).
    fn batch_setitems_iter<'a: 'v>(
        &mut self,
        pairs: impl Iterator<Item = (&'v Value<'a>, &'v Value<'a>)>,
    ) -> Result<()> {
        let pairs: Vec<(&'v Value<'a>, &'v Value<'a>)> = pairs.collect();
        self.batched(pairs.len(), Batching::Iter, Opcode::SetItem, Opcode::SetItems, |p, i| {
            p.save(pairs[i].0)?;
            p.save(pairs[i].1)
        })
    }

    fn save_set(&mut self, items: &'v [Value<'_>], key: MemoKey) -> Result<()> {
        if self.proto() < 4 {
            return self.save_set_reduce("set", items, key);
        }
        self.enc.op(Opcode::EmptySet);
        self.enc.put(key);
        self.batched(items.len(), Batching::Set, Opcode::AddItems, Opcode::AddItems, |p, i| p.save(&items[i]))
    }

    fn save_frozenset(&mut self, items: &'v [Value<'_>], key: MemoKey) -> Result<()> {
        if self.proto() < 4 {
            return self.save_set_reduce("frozenset", items, key);
        }
        self.enc.op(Opcode::Mark);
        for item in items {
            self.save(item)?;
        }
        if self.enc.is_memoized(&key) {
            self.enc.op(Opcode::PopMark);
            self.enc.get(&key);
            return Ok(());
        }
        self.enc.op(Opcode::FrozenSet);
        self.enc.put(key);
        Ok(())
    }

    /// Sets before protocol 4: `set(list(items))` / `frozenset(list(items))`.
    fn save_set_reduce(&mut self, name: &str, items: &'v [Value<'_>], key: MemoKey) -> Result<()> {
        self.save_global_names("builtins", name)?;
        self.save_fresh_tuple(1, |p| {
            // The list is a new object too.
            p.enc.boundary();
            p.open_container(Opcode::EmptyList, Opcode::List, MemoKey::Unique);
            p.batch_appends_exact(items)?;
            Ok(())
        })?;
        self.enc.op(Opcode::Reduce);
        self.enc.put(key);
        Ok(())
    }

    fn save_global(&mut self, g: &Global<'_>) -> Result<()> {
        let (module, name) = (g.module_str().clone(), g.name_str().clone());
        self.save_global_str(&module, &name)
    }

    fn save_global_names(&mut self, module: &str, name: &str) -> Result<()> {
        self.enc.boundary();
        self.save_global_str(&Str::from(module), &Str::from(name))
    }

    /// `save_global`: STACK_GLOBAL at protocol ≥ 4, GLOBAL text below (with
    /// `fix_imports` renames and `getattr` for nested names before protocol 4).
    fn save_global_str(&mut self, module: &Str<'_>, name: &Str<'_>) -> Result<()> {
        let proto = self.proto();
        if proto < 4 {
            self.check_getattr_chain(module, name)?;
        }
        let key = MemoKey::Global(module.as_surrogatepass().into(), name.as_surrogatepass().into());
        if self.enc.get(&key) {
            return Ok(());
        }
        if let Some(code) = self.extension_code(module, name) {
            // Like CPython, an extension code is not memoized.
            self.enc.ext(code);
            return Ok(());
        }
        if proto >= 4 {
            self.enc.boundary();
            let mkey = MemoKey::ModuleName(module.as_surrogatepass().into());
            if !self.enc.get(&mkey) {
                self.enc.str(module)?;
                self.enc.put(mkey);
            }
            self.enc.boundary();
            let nkey = MemoKey::QualName(module.as_surrogatepass().into(), name.as_surrogatepass().into());
            if !self.enc.get(&nkey) {
                self.enc.str(name)?;
                self.enc.put(nkey);
            }
            self.enc.op(Opcode::StackGlobal);
            self.enc.put(key);
            return Ok(());
        }
        let (Some(m), Some(n)) = (module.as_str(), name.as_str()) else {
            return Err(Error::unpicklable("global names with lone surrogates need protocol 4"));
        };
        if let Some((parent, last)) = n.rsplit_once('.') {
            // getattr(module.parent, last)
            self.save_global_names("builtins", "getattr")?;
            let parent = Str::from(parent.to_string());
            let last = Str::from(last.to_string());
            let module = Str::from(m.to_string());
            // The arguments tuple and the parent inside it are two levels
            // of the reader's nesting per name part.
            self.deeper(|p| {
                p.save_fresh_tuple(2, |p| {
                    p.enc.boundary();
                    p.deeper(|p| p.save_global_str(&module, &parent))?;
                    p.enc.boundary();
                    let last_key = str_key(&last, true);
                    if !p.enc.get(&last_key) {
                        p.enc.str(&last)?;
                        p.enc.put(last_key);
                    }
                    Ok(())
                })
            })?;
            self.enc.op(Opcode::Reduce);
            self.enc.put(key);
            return Ok(());
        }
        let (m, n) =
            if proto < 3 && self.opts.fix_imports { compat::py3_to_py2(m, n).unwrap_or((m, n)) } else { (m, n) };
        if proto < 3 && !(m.is_ascii() && n.is_ascii()) {
            return Err(Error::unpicklable(format!(
                "can't pickle global identifier '{m}.{n}' using pickle protocol {proto}"
            )));
        }
        self.enc.names_line(Opcode::Global, m.as_bytes(), n.as_bytes())?;
        self.enc.put(key);
        Ok(())
    }

    /// Below protocol 4 a nested name `a.b.c` is a chain of `getattr`
    /// reduces, two reader levels per dot, whether written out here or
    /// referenced from the memo: the chain must fit under the depth limit at
    /// this point of the pickle, as [`Self::deeper`] requires of containers.
    fn check_getattr_chain(&self, module: &Str<'_>, name: &Str<'_>) -> Result<()> {
        if self.extension_code(module, name).is_some() {
            return Ok(());
        }
        let height = 2 * name.as_surrogatepass().iter().filter(|&&b| b == b'.').count();
        if self.depth + height > MAX_SAVE_DEPTH {
            return Err(Error::new(ErrorKind::LimitExceeded {
                limit: "max_depth",
                max: MAX_SAVE_DEPTH as u64,
                value: (self.depth + height) as u64,
            }));
        }
        Ok(())
    }

    /// The registered extension code of a global, at protocol ≥ 2.
    fn extension_code(&self, module: &Str<'_>, name: &Str<'_>) -> Option<i64> {
        if self.proto() < 2 {
            return None;
        }
        let registry = self.opts.extensions.as_ref()?;
        let key = (module.as_str()?.to_string(), name.as_str()?.to_string());
        registry.get(&key).copied().filter(|&c| c > 0)
    }

    fn save_object(&mut self, o: &'v Object<'_>, key: MemoKey) -> Result<()> {
        let proto = self.proto();
        match o.constructor() {
            Constructor::Persistent { pid, .. } => {
                self.save_persistent(pid)?;
                self.save_updates(o)?;
                return Ok(());
            }
            Constructor::Reduce { callable, args } => {
                self.save(callable)?;
                self.save(args)?;
                self.enc.op(Opcode::Reduce);
            }
            Constructor::NewObj { cls, args } if proto >= 2 => {
                self.save(cls)?;
                self.save(args)?;
                self.enc.op(Opcode::NewObj);
            }
            Constructor::NewObj { cls, args } => {
                // copyreg.__newobj__(cls, *args) is what NEWOBJ means.
                self.save_global_names("copyreg", "__newobj__")?;
                self.enc.boundary();
                self.enc.op(Opcode::Mark);
                self.save(cls)?;
                for a in args.as_tuple().unwrap_or(&[]) {
                    self.save(a)?;
                }
                self.enc.op(Opcode::Tuple);
                self.enc.put(MemoKey::Unique);
                self.enc.op(Opcode::Reduce);
            }
            Constructor::NewObjEx { cls, args, kwargs } => {
                self.save(cls)?;
                self.save(args)?;
                self.save(kwargs)?;
                self.enc.op(Opcode::NewObjEx);
            }
            Constructor::Inst { class, args } => {
                self.enc.op(Opcode::Mark);
                for a in args {
                    self.save(a)?;
                }
                let (m, n) = (class.module(), class.name());
                self.enc.names_line(Opcode::Inst, m.as_bytes(), n.as_bytes())?;
            }
            Constructor::Obj { cls, args } => {
                self.enc.op(Opcode::Mark);
                self.save(cls)?;
                for a in args {
                    self.save(a)?;
                }
                self.enc.op(Opcode::Obj);
            }
        }
        if self.enc.is_memoized(&key) {
            // Recursive reduce: the object was made while saving its arguments.
            self.enc.op(Opcode::Pop);
            self.enc.get(&key);
            return Ok(());
        }
        self.enc.put(key);
        self.save_updates(o)
    }

    /// Replays an object's updates: runs of appends and of setitems are
    /// batched the way `batch_list`/`batch_dict` batch reducer iterators.
    fn save_updates(&mut self, o: &'v Object<'_>) -> Result<()> {
        let updates = o.updates();
        let mut i = 0;
        while i < updates.len() {
            match &updates[i] {
                Update::Append(_) => {
                    let start = i;
                    while i < updates.len() && matches!(updates[i], Update::Append(_)) {
                        i += 1;
                    }
                    let items = updates[start..i].iter().map(|u| match u {
                        Update::Append(v) => v,
                        _ => unreachable!(),
                    });
                    self.batch_appends_iter(items)?;
                }
                Update::SetItem(..) => {
                    let start = i;
                    while i < updates.len() && matches!(updates[i], Update::SetItem(..)) {
                        i += 1;
                    }
                    let pairs = updates[start..i].iter().map(|u| match u {
                        Update::SetItem(k, v) => (k, v),
                        _ => unreachable!(),
                    });
                    self.batch_setitems_iter(pairs)?;
                }
                Update::Build(state) => {
                    self.save(state)?;
                    self.enc.op(Opcode::Build);
                    i += 1;
                }
            }
        }
        Ok(())
    }

    /// `save_picklebuffer`: in band as bytes/bytearray, or out of band.
    fn save_buffer(&mut self, b: &'v Buffer<'_>, key: MemoKey) -> Result<()> {
        if self.proto() < 5 {
            return Err(Error::unpicklable("PickleBuffer can only be pickled with protocol >= 5"));
        }
        if self.opts.out_of_band {
            self.enc.op(Opcode::NextBuffer);
            if b.readonly() {
                self.enc.op(Opcode::ReadonlyBuffer);
            }
            let data = b.0.data.clone().unwrap_or_else(|| Bytes::new(Vec::new()));
            self.buffers.push(data.into_owned());
            return Ok(());
        }
        if self.enc.get(&key) {
            return Ok(());
        }
        let data = b
            .data()
            .ok_or_else(|| Error::unpicklable("an out-of-band buffer without data cannot be written in band"))?;
        if b.readonly() {
            self.enc.bytes(data)?;
        } else {
            self.enc.bytearray(data);
        }
        self.enc.put(key);
        Ok(())
    }
}
