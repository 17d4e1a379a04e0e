//! The one unpickling machine: walks the opcode stream, keeps the stack, the
//! marks and the memo, applies CPython's C-unpickler semantics, and hands
//! every object it needs built to a [`Sink`].

use super::args::{read_arg, read_payload, read_small_int, Arg};
use super::compat;
use super::error::{Error, ErrorKind, Result};
use super::input::Input;
use super::options::{LoadOptions, StringEncoding};
use super::sink::Sink;
use super::text;
use crate::opcodes::{Opcode, OpcodeInfo};
use crate::value::{Int, Str};
use std::borrow::Cow;
use std::collections::HashMap;

/// The memo: dense while indices are, sparse beyond, so a PUT of index 2^31
/// costs one entry, not 2^31.
///
/// The machine makes a fresh one per pickle unless the caller keeps one
/// across pickles ([`run_sink_with_memo`](super::run_sink_with_memo)), as a
/// Python `Unpickler` does between `load()` calls.
///
/// ```
/// use brinery::pickle::Memo;
/// let mut memo: Memo<&str> = Memo::new();
/// memo.put(0, "a");
/// memo.put(1 << 40, "far");
/// assert_eq!((memo.get(0), memo.get(1 << 40), memo.len()), (Some(&"a"), Some(&"far"), 2));
/// ```
pub struct Memo<T> {
    dense: Vec<Option<T>>,
    sparse: HashMap<u64, T>,
    /// Occupied entries (MEMOIZE stores at this index, like CPython).
    len: u64,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo { dense: Vec::new(), sparse: HashMap::new(), len: 0 }
    }
}

impl<T> Memo<T> {
    /// An empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `item` at `index` (replacing what was there).
    #[inline]
    pub fn put(&mut self, index: u64, item: T) {
        // MEMOIZE, and the PUTs of every pickle CPython writes: the next index.
        if index == self.dense.len() as u64 && self.sparse.is_empty() {
            self.dense.push(Some(item));
            self.len += 1;
            return;
        }
        self.put_elsewhere(index, item);
    }

    /// [`put`](Self::put) anywhere but the next dense index: a used dense
    /// slot, or the sparse map.
    #[inline(never)]
    fn put_elsewhere(&mut self, index: u64, item: T) {
        if index < self.dense.len() as u64 {
            let slot = &mut self.dense[index as usize];
            if slot.is_none() {
                self.len += 1;
            }
            *slot = Some(item);
        } else if self.sparse.insert(index, item).is_none() {
            self.len += 1;
        }
    }

    /// Makes room for `additional` more entries at the next indices (a
    /// loader that knows the input's size can spare the early regrowths).
    pub fn reserve(&mut self, additional: usize) {
        self.dense.reserve(additional);
    }

    /// The item at `index`.
    pub fn get(&self, index: u64) -> Option<&T> {
        match self.dense.get(index as usize) {
            Some(slot) if index < self.dense.len() as u64 => slot.as_ref(),
            _ => self.sparse.get(&index),
        }
    }

    /// Occupied entries.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no entry is occupied.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        *self = Memo::default();
    }

    /// Every entry with its index (dense ones in order, then sparse ones).
    pub fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        let dense = self.dense.iter().enumerate().filter_map(|(i, slot)| slot.as_ref().map(|t| (i as u64, t)));
        dense.chain(self.sparse.iter().map(|(&i, t)| (i, t)))
    }
}

/// Runs one pickle from `input` through `sink`.
pub(crate) fn run<'a, S: Sink<'a>, I: Input<'a>>(sink: S, input: &mut I, opts: &LoadOptions) -> Result<S::Output> {
    run_with_memo(sink, input, opts, &mut Memo::new())
}

/// Runs one pickle from `input` through `sink`, starting from (and leaving
/// behind) the entries of `memo`.
pub(crate) fn run_with_memo<'a, S: Sink<'a>, I: Input<'a>>(
    sink: S,
    input: &mut I,
    opts: &LoadOptions,
    memo: &mut Memo<S::Item>,
) -> Result<S::Output> {
    let mut machine = Machine {
        sink,
        opts,
        stack: Vec::with_capacity(64),
        marks: Vec::new(),
        memo,
        proto: 0,
        buffers_used: 0,
        _input: std::marker::PhantomData,
    };
    let start = input.offset();
    loop {
        let at = input.offset();
        let Some(byte) = input.next_byte()? else {
            let kind = if at == start {
                ErrorKind::Empty
            } else {
                ErrorKind::Truncated { what: "STOP", needed: 1, available: 0 }
            };
            return Err(Error::at(kind, at));
        };
        let Some(op) = Opcode::from_byte(byte) else {
            return Err(Error::at(ErrorKind::UnknownOpcode(byte), at));
        };
        machine.sink.at_opcode(at, op);
        // STOP is the one opcode that ends the loop: tested here, so that
        // every other opcode's outcome is just success or an error.
        if op == Opcode::Stop {
            return machine.stop().map_err(|e| e.locate(at, Some(op)));
        }
        if let Err(e) = machine.step(op, input) {
            return Err(e.locate(at, Some(op)));
        }
        let skip = machine.sink.bytes_to_skip();
        if skip > 0 {
            input.data(skip, "data the sink skips").map_err(|e| e.locate(at, Some(op)))?;
        }
    }
}

struct Machine<'o, 'm, 'a, S: Sink<'a>> {
    sink: S,
    opts: &'o LoadOptions,
    stack: Vec<S::Item>,
    /// Stack lengths at each MARK.
    marks: Vec<usize>,
    memo: &'m mut Memo<S::Item>,
    /// The last PROTO seen (0 if none), which decides `fix_imports`.
    proto: u8,
    buffers_used: usize,
    _input: std::marker::PhantomData<&'a ()>,
}

/// An opcode's table row as a compile-time constant, so that code reading
/// its argument through the row folds to the row's values.
macro_rules! row {
    ($op:ident) => {{
        const ROW: &OpcodeInfo = Opcode::$op.info();
        ROW
    }};
}

fn err<T>(kind: ErrorKind) -> Result<T> {
    Err(Error::new(kind))
}

fn bad<T>(msg: impl Into<String>) -> Result<T> {
    err(ErrorKind::BadArgument(msg.into()))
}

impl<'o, 'm, 'a, S: Sink<'a>> Machine<'o, 'm, 'a, S> {
    /// Items above the topmost mark start here.
    #[inline]
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn underflow(&self, needed: usize) -> Error {
        if self.marks.is_empty() {
            Error::new(ErrorKind::StackUnderflow { needed, available: self.stack.len() })
        } else {
            Error::new(ErrorKind::UnexpectedMark)
        }
    }

    #[inline]
    fn pop(&mut self) -> Result<S::Item> {
        if self.stack.len() > self.fence() {
            Ok(self.stack.pop().unwrap())
        } else {
            Err(self.underflow(1))
        }
    }

    #[inline]
    fn top(&self) -> Result<&S::Item> {
        if self.stack.len() > self.fence() {
            Ok(self.stack.last().unwrap())
        } else {
            Err(self.underflow(1))
        }
    }

    #[inline]
    fn push(&mut self, item: S::Item) {
        self.stack.push(item);
    }

    /// Pops the topmost mark; the items above it are `stack[mark..]`.
    fn pop_mark(&mut self) -> Result<usize> {
        self.marks.pop().ok_or_else(|| Error::new(ErrorKind::NoMark))
    }

    /// Pops the topmost mark and everything above it, as a vector.
    fn pop_mark_items(&mut self) -> Result<Vec<S::Item>> {
        let mark = self.pop_mark()?;
        Ok(self.stack.split_off(mark))
    }

    /// Pops the topmost mark and returns it with the target just below it
    /// (for APPENDS, SETITEMS, ADDITEMS); the items are `stack[mark..]`.
    fn pop_mark_for_target(&mut self) -> Result<(S::Item, usize)> {
        let mark = self.pop_mark()?;
        if mark == 0 || mark <= self.fence() {
            return Err(self.underflow(1));
        }
        Ok((self.stack[mark - 1].clone(), mark))
    }

    /// BININT, BININT1, BININT2 (`row` a constant: see `row!`).
    #[inline(always)]
    fn small_int<I: Input<'a>>(&mut self, row: &'static OpcodeInfo, input: &mut I) -> Result<()> {
        let v = self.sink.small_int(read_small_int(row, input)?);
        self.push(v);
        Ok(())
    }

    /// SHORT_BINUNICODE, BINUNICODE, BINUNICODE8.
    #[inline(always)]
    fn unicode<I: Input<'a>>(&mut self, row: &'static OpcodeInfo, input: &mut I) -> Result<()> {
        let v = self.sink.str_utf8(read_payload(row, input)?)?;
        self.push(v);
        Ok(())
    }

    /// SHORT_BINBYTES, BINBYTES, BINBYTES8.
    #[inline(always)]
    fn bytes<I: Input<'a>>(&mut self, row: &'static OpcodeInfo, input: &mut I) -> Result<()> {
        let v = self.sink.bytes(read_payload(row, input)?)?;
        self.push(v);
        Ok(())
    }

    /// BINGET, LONG_BINGET.
    #[inline(always)]
    fn bin_get<I: Input<'a>>(&mut self, row: &'static OpcodeInfo, input: &mut I) -> Result<()> {
        let index = read_small_int(row, input)?;
        let item = self.memo_get(index)?;
        self.push(item);
        Ok(())
    }

    /// BINPUT, LONG_BINPUT: as CPython's load_binput, the index, then the stack.
    #[inline(always)]
    fn bin_put<I: Input<'a>>(&mut self, row: &'static OpcodeInfo, input: &mut I) -> Result<()> {
        let index = read_small_int(row, input)? as u64;
        let top = self.top()?.clone();
        self.memo.put(index, top);
        Ok(())
    }

    // Inlined into `run`'s loop: as a call, its prologue and epilogue (the
    // registers a function this large saves) cost ~17 instructions per
    // opcode, 5–9% of a load (callgrind).
    #[inline(always)]
    fn step<I: Input<'a>>(&mut self, op: Opcode, input: &mut I) -> Result<()> {
        match op {
            Opcode::Proto => {
                let arg = read_arg(op.info(), input)?;
                let p = arg.as_int().unwrap() as u8;
                if p > Opcode::HIGHEST_PROTOCOL {
                    return err(ErrorKind::UnsupportedProtocol(p));
                }
                self.proto = p;
                self.sink.protocol(p);
            }
            Opcode::Frame => {
                let arg = read_arg(op.info(), input)?;
                match arg {
                    Arg::Int(len) => input.frame(len as u64)?,
                    _ => return bad("FRAME length exceeds 2**63-1"),
                }
            }
            Opcode::Stop => unreachable!("the loop ends at STOP"),

            // Atoms.
            Opcode::None => {
                let v = self.sink.none();
                self.push(v)
            }
            Opcode::NewTrue | Opcode::NewFalse => {
                let v = self.sink.bool(op == Opcode::NewTrue);
                self.push(v)
            }
            // The hottest opcodes each have an arm of their own, so that
            // their table row is a constant there (`row!`) and their
            // argument reads compile to straight loads.
            Opcode::BinInt1 => self.small_int(row!(BinInt1), input)?,
            Opcode::BinInt2 => self.small_int(row!(BinInt2), input)?,
            Opcode::BinInt => self.small_int(row!(BinInt), input)?,
            Opcode::Int => {
                let arg = read_arg(op.info(), input)?;
                let line = self.line(arg)?;
                let v = match text::parse_int_line(&line, self.opts.limits.max_int_digits) {
                    Ok(text::IntOrBool::Bool(b)) => self.sink.bool(b),
                    Ok(text::IntOrBool::Int(i)) => self.sink.int(i),
                    Err(e) => return Err(self.int_error(e)),
                };
                self.push(v)
            }
            Opcode::Long => {
                let arg = read_arg(op.info(), input)?;
                let line = self.line(arg)?;
                let i = text::parse_long_line(&line, self.opts.limits.max_int_digits).map_err(|e| self.int_error(e))?;
                let v = self.sink.int(i);
                self.push(v)
            }
            Opcode::Long1 | Opcode::Long4 => {
                let arg = read_arg(op.info(), input)?;
                let data = self.data(arg);
                let v = self.sink.int(Int::from_signed_le(&data));
                self.push(v)
            }
            Opcode::Float => {
                let arg = read_arg(op.info(), input)?;
                let line = self.line(arg)?;
                let f = text::parse_float_line(&line).or_else(bad)?;
                let v = self.sink.float(f);
                self.push(v)
            }
            Opcode::BinFloat => {
                let arg = read_arg(op.info(), input)?;
                let Arg::Float(f) = arg else { unreachable!() };
                let v = self.sink.float(f);
                self.push(v)
            }
            Opcode::ShortBinUnicode => self.unicode(row!(ShortBinUnicode), input)?,
            Opcode::BinUnicode => self.unicode(row!(BinUnicode), input)?,
            Opcode::BinUnicode8 => self.unicode(row!(BinUnicode8), input)?,
            Opcode::Unicode => {
                let arg = read_arg(op.info(), input)?;
                let Arg::Line(line) = arg else { unreachable!() };
                let v = self.sink.str_raw_unicode_escape(line)?;
                self.push(v)
            }
            Opcode::ShortBinBytes => self.bytes(row!(ShortBinBytes), input)?,
            Opcode::BinBytes => self.bytes(row!(BinBytes), input)?,
            Opcode::BinBytes8 => self.bytes(row!(BinBytes8), input)?,
            Opcode::ByteArray8 => {
                let arg = read_arg(op.info(), input)?;
                let v = self.sink.bytearray(self.data(arg))?;
                self.push(v)
            }
            Opcode::String => {
                let arg = read_arg(op.info(), input)?;
                let Arg::Line(line) = arg else { unreachable!() };
                let raw = text::parse_string_line(&line).or_else(bad)?;
                let v = self.py2_string(Cow::Owned(raw))?;
                self.push(v)
            }
            Opcode::BinString | Opcode::ShortBinString => {
                let arg = read_arg(op.info(), input)?;
                let v = self.py2_string(self.data(arg))?;
                self.push(v)
            }

            // Containers.
            Opcode::EmptyList => {
                let v = self.sink.empty_list()?;
                self.push(v)
            }
            Opcode::EmptyDict => {
                let v = self.sink.empty_dict()?;
                self.push(v)
            }
            Opcode::EmptySet => {
                let v = self.sink.empty_set()?;
                self.push(v)
            }
            Opcode::EmptyTuple => {
                let v = self.sink.tuple(std::iter::empty())?;
                self.push(v)
            }
            Opcode::Tuple1 | Opcode::Tuple2 | Opcode::Tuple3 => {
                let n = match op {
                    Opcode::Tuple1 => 1,
                    Opcode::Tuple2 => 2,
                    _ => 3,
                };
                if self.stack.len() < self.fence() + n {
                    return Err(self.underflow(n));
                }
                let start = self.stack.len() - n;
                let v = self.sink.tuple(self.stack.drain(start..))?;
                self.push(v)
            }
            Opcode::Tuple => {
                let mark = self.pop_mark()?;
                let v = self.sink.tuple(self.stack.drain(mark..))?;
                self.push(v)
            }
            Opcode::List => {
                let mark = self.pop_mark()?;
                let v = self.sink.list(self.stack.drain(mark..))?;
                self.push(v)
            }
            Opcode::Dict => {
                let mark = self.pop_mark()?;
                if (self.stack.len() - mark) % 2 != 0 {
                    return bad("odd number of items for DICT");
                }
                let v = self.sink.dict(self.stack.drain(mark..))?;
                self.push(v)
            }
            Opcode::FrozenSet => {
                let mark = self.pop_mark()?;
                let v = self.sink.frozenset(self.stack.drain(mark..))?;
                self.push(v)
            }
            Opcode::Append => {
                let item = self.pop()?;
                let target = self.top()?.clone();
                self.sink.append(&target, std::iter::once(item))?;
            }
            Opcode::Appends => {
                let (target, mark) = self.pop_mark_for_target()?;
                if self.stack.len() > mark {
                    self.sink.append(&target, self.stack.drain(mark..))?;
                }
            }
            Opcode::SetItem => {
                let value = self.pop()?;
                let key = self.pop()?;
                let target = self.top()?.clone();
                self.sink.set_items(&target, [key, value].into_iter())?;
            }
            Opcode::SetItems => {
                let (target, mark) = self.pop_mark_for_target()?;
                if (self.stack.len() - mark) % 2 != 0 {
                    return bad("odd number of items for SETITEMS");
                }
                if self.stack.len() > mark {
                    self.sink.set_items(&target, self.stack.drain(mark..))?;
                }
            }
            Opcode::AddItems => {
                let (target, mark) = self.pop_mark_for_target()?;
                if self.stack.len() > mark {
                    self.sink.add_items(&target, self.stack.drain(mark..))?;
                }
            }

            // Stack and memo.
            Opcode::Mark => self.marks.push(self.stack.len()),
            Opcode::Pop => {
                if self.marks.last() == Some(&self.stack.len()) && self.stack.len() == self.fence() {
                    self.marks.pop();
                } else {
                    self.pop()?;
                }
            }
            Opcode::PopMark => {
                let mark = self.pop_mark()?;
                self.stack.truncate(mark);
            }
            Opcode::Dup => {
                let top = self.top()?.clone();
                self.push(top)
            }
            Opcode::BinGet => self.bin_get(row!(BinGet), input)?,
            Opcode::LongBinGet => self.bin_get(row!(LongBinGet), input)?,
            Opcode::Get => {
                let line = input.line(op.name())?;
                if line.is_empty() {
                    return err(ErrorKind::Truncated { what: "GET index", needed: 1, available: 0 });
                }
                let item = self.memo_get(memo_index(&line)?)?;
                self.push(item)
            }
            Opcode::BinPut => self.bin_put(row!(BinPut), input)?,
            Opcode::LongBinPut => self.bin_put(row!(LongBinPut), input)?,
            Opcode::Memoize => {
                let top = self.top()?.clone();
                self.memo.put(self.memo.len, top);
            }
            Opcode::Put => {
                // As CPython's load_put: an empty line, then the stack, then the index.
                let line = input.line(op.name())?;
                if line.is_empty() {
                    return err(ErrorKind::Truncated { what: "PUT index", needed: 1, available: 0 });
                }
                let top = self.top()?.clone();
                let index = u64::try_from(memo_index(&line)?)
                    .map_err(|_| Error::new(ErrorKind::BadArgument("negative PUT argument".into())))?;
                self.memo.put(index, top);
            }

            // Globals and objects.
            // Like CPython, each name line is decoded before the next is read.
            Opcode::Global => {
                let module = utf8_name(input.line("GLOBAL")?, "a GLOBAL module name")?;
                let name = utf8_name(input.line("GLOBAL")?, "a GLOBAL name")?;
                let v = self.global(module, name)?;
                self.push(v)
            }
            Opcode::StackGlobal => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (Some(module), Some(name)) = (self.sink.as_str(&module), self.sink.as_str(&name)) else {
                    return bad("STACK_GLOBAL requires str");
                };
                let v = self.global(module, name)?;
                self.push(v)
            }
            Opcode::Ext1 | Opcode::Ext2 | Opcode::Ext4 => {
                let arg = read_arg(op.info(), input)?;
                let code = arg.as_int().unwrap();
                if code <= 0 {
                    return bad("EXT specifies code <= 0");
                }
                let (module, name) = self
                    .opts
                    .extensions
                    .as_ref()
                    .and_then(|r| r.get(&code))
                    .cloned()
                    .ok_or_else(|| Error::new(ErrorKind::UnregisteredExtension(code)))?;
                let v = self.global(Str::new(module), Str::new(name))?;
                self.push(v)
            }
            Opcode::Reduce => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let v = self.sink.reduce(callable, args)?;
                self.push(v)
            }
            Opcode::NewObj => {
                let args = self.pop()?;
                let cls = self.pop()?;
                let v = self.sink.new_obj(cls, args)?;
                self.push(v)
            }
            Opcode::NewObjEx => {
                let kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                let v = self.sink.new_obj_ex(cls, args, kwargs)?;
                self.push(v)
            }
            // CPython finds the MARK, then reads and decodes one name line at a time.
            Opcode::Inst => {
                if self.marks.is_empty() {
                    return err(ErrorKind::NoMark);
                }
                let module = ascii_name(input.line("INST")?, "an INST module name")?;
                let name = ascii_name(input.line("INST")?, "an INST class name")?;
                let args = self.pop_mark_items()?;
                let cls = self.global(module, name)?;
                let v = self.sink.inst(cls, args)?;
                self.push(v)
            }
            Opcode::Obj => {
                let mut items = self.pop_mark_items()?;
                if items.is_empty() {
                    return Err(self.underflow(1));
                }
                let args = items.split_off(1);
                let cls = items.pop().unwrap();
                let v = self.sink.obj(cls, args)?;
                self.push(v)
            }
            Opcode::Build => {
                if self.stack.len() < self.fence() + 2 {
                    return Err(self.underflow(2));
                }
                let state = self.stack.pop().unwrap();
                let target = self.stack.last().unwrap().clone();
                self.sink.build(&target, state)?;
            }
            Opcode::PersId => {
                let arg = read_arg(op.info(), input)?;
                let Arg::Line(line) = arg else { unreachable!() };
                if !line.is_ascii() {
                    return bad("persistent IDs in protocol 0 must be ASCII strings");
                }
                let pid = self.sink.str(Str::from_surrogatepass(line).expect("ASCII is UTF-8"))?;
                let v = self.sink.persistent_load(pid, true)?;
                self.push(v)
            }
            Opcode::BinPersId => {
                let pid = self.pop()?;
                let v = self.sink.persistent_load(pid, false)?;
                self.push(v)
            }
            Opcode::NextBuffer => {
                let v = self.sink.next_buffer(self.buffers_used)?;
                self.buffers_used += 1;
                self.push(v)
            }
            Opcode::ReadonlyBuffer => {
                let buf = self.pop()?;
                let v = self.sink.readonly_buffer(buf)?;
                self.push(v)
            }
        }
        Ok(())
    }

    /// STOP: the top of the stack becomes the result.
    fn stop(&mut self) -> Result<S::Output> {
        let top = self.pop()?;
        self.sink.finish(top)
    }

    /// The memo entry `index` (CPython's error for a missing one).
    #[inline]
    fn memo_get(&self, index: i64) -> Result<S::Item> {
        u64::try_from(index)
            .ok()
            .and_then(|i| self.memo.get(i))
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::MemoMiss(index)))
    }

    fn data(&self, arg: Arg<'a>) -> Cow<'a, [u8]> {
        match arg {
            Arg::Data(d) => d,
            _ => unreachable!("the table gives this opcode a length-prefixed argument"),
        }
    }

    fn line(&self, arg: Arg<'a>) -> Result<Cow<'a, [u8]>> {
        match arg {
            // CPython reports an empty text argument as truncation.
            Arg::Line(l) if l.is_empty() => {
                err(ErrorKind::Truncated { what: "text argument", needed: 1, available: 0 })
            }
            Arg::Line(l) => Ok(l),
            _ => unreachable!("the table gives this opcode a text argument"),
        }
    }

    fn int_error(&self, e: text::IntError) -> Error {
        int_error(e, self.opts.limits.max_int_digits)
    }

    /// Resolves a global name, applying `fix_imports` for protocols < 3.
    fn global(&mut self, module: Str<'a>, name: Str<'a>) -> Result<S::Item> {
        if self.proto < 3 && self.opts.fix_imports {
            let mapped = match (module.as_str(), name.as_str()) {
                (Some(m), Some(n)) => compat::py2_to_py3(m, n).map(|(m2, n2)| (m2, n2.to_string())),
                _ => None,
            };
            if let Some((m2, n2)) = mapped {
                return self.sink.global(Str::new(m2), Str::new(n2));
            }
        }
        self.sink.global(module, name)
    }

    /// A Python 2 `str` (STRING, BINSTRING, SHORT_BINSTRING), decoded per the options.
    fn py2_string(&mut self, raw: Cow<'a, [u8]>) -> Result<S::Item> {
        match self.opts.encoding {
            StringEncoding::Bytes => self.sink.bytes(raw),
            StringEncoding::BySink => self.sink.py2_string(raw),
            enc => {
                let s = enc.decode(&raw, self.opts.errors).map_err(|m| Error::new(ErrorKind::Decode(m)))?;
                self.sink.str(s)
            }
        }
    }
}

/// The error for a text integer `e`, given the digit limit in force.
fn int_error(e: text::IntError, max_int_digits: usize) -> Error {
    Error::new(match e {
        text::IntError::Invalid(msg) => ErrorKind::BadArgument(msg),
        text::IntError::NotUtf8(bytes) => {
            ErrorKind::Undecodable { codec: "utf-8", what: "an invalid int literal", bytes }
        }
        text::IntError::TooManyDigits(digits) => {
            ErrorKind::LimitExceeded { limit: "max_int_digits", max: max_int_digits as u64, value: digits as u64 }
        }
    })
}

/// A text PUT/GET index (see [`text::memo_index_line`]); one that does not
/// fit a C `ssize_t` is refused, as CPython refuses it.
fn memo_index(line: &[u8]) -> Result<i64> {
    match text::memo_index_line(line) {
        Ok(i) => i
            .as_i64()
            .ok_or_else(|| Error::new(ErrorKind::BadArgument("Python int too large to convert to C ssize_t".into()))),
        Err(e) => Err(int_error(e, usize::MAX)),
    }
}

/// A GLOBAL name (`what`), which CPython decodes as strict UTF-8.
fn utf8_name<'a>(raw: Cow<'a, [u8]>, what: &'static str) -> Result<Str<'a>> {
    if raw.is_empty() {
        return err(ErrorKind::Truncated { what: "global name", needed: 1, available: 0 });
    }
    if !crate::utf8::is_valid(&raw) {
        return err(ErrorKind::Undecodable { codec: "utf-8", what, bytes: raw.into_owned() });
    }
    Ok(Str::from_validated(raw, true))
}

/// An INST name (`what`), which CPython decodes as strict ASCII.
fn ascii_name<'a>(raw: Cow<'a, [u8]>, what: &'static str) -> Result<Str<'a>> {
    if !raw.is_ascii() {
        return err(ErrorKind::Undecodable { codec: "ascii", what, bytes: raw.into_owned() });
    }
    utf8_name(raw, what)
}
