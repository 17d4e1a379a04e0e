//! The symbolic sink: the engine's one machine runs the pickle, and this sink
//! builds nothing real. Each stack item is a node in an arena — a constant, a
//! container, a global reference, the result of a call, a persistent id —
//! carrying the worst [`Class`] of everything that flowed into it. Every
//! global resolved and every call made is recorded with its byte offset.

use crate::item_pool::{Id, ItemPool, Span};
use crate::policy::Class;
use crate::report::{Finding, FindingKind, InlineArray, StreamReport};
use crate::stream::{self, Ctx};
use brinery::opcodes::Opcode;
use brinery::pickle::sink::Sink;
use brinery::pickle::{Error, ErrorKind, Result};
use brinery::{Int, Str};
use std::borrow::Cow;

/// A resolved global's module and (possibly dotted) qualified name.
struct GlobalName {
    module: String,
    name: String,
    /// Whether the policy lists it as a loader of pickled bytes (asked once,
    /// when the global is resolved, not at each call of it).
    loader: bool,
}

/// The bytes of a str or bytes node: borrowed from the input (always, when
/// scanning a slice), or kept in [`Symbolic::owned`] (texts the engine
/// decoded itself).
#[derive(Clone, Copy)]
enum Payload<'a> {
    Input(&'a [u8]),
    Owned(u32),
}

/// What a node is. Every variant is `Copy`-sized and owns nothing (names,
/// big ints and decoded texts live in side tables), so a node is 32 bytes
/// and the node arena is freed without visiting its nodes.
#[derive(Clone, Copy)]
enum Kind<'a> {
    None,
    Bool(bool),
    Int(i64),
    /// An int past `i64`: an index into [`Symbolic::big_ints`].
    BigInt(u32),
    Float(f64),
    /// UTF-8 text as pickle stores it (lone surrogates allowed), already
    /// validated: kept as bytes so that a string costs no allocation.
    Str(Payload<'a>),
    Bytes(Payload<'a>),
    ByteArray(Payload<'a>),
    List(Span),
    Tuple(Span),
    /// Keys and values in turn.
    Dict(Span),
    Set(Span),
    FrozenSet(Span),
    /// An index into [`Symbolic::globals`].
    Global(u32),
    /// What a call returned: the callable, its arguments (a tuple node) and any BUILD state.
    Object {
        callable: Id,
        args: Id,
        state: Option<Id>,
    },
    Persistent,
    Buffer,
}

struct Node<'a> {
    kind: Kind<'a>,
    /// The worst class of anything that went into this node.
    taint: Class,
}

const _: () = assert!(std::mem::size_of::<Node<'static>>() <= 32);
const _: () = assert!(!std::mem::needs_drop::<Node<'static>>());

/// Longest rendering of a call or argument list in a finding.
const RENDER_MAX: usize = 160;
/// Most findings listed per stream (the rest are counted; the class still counts).
const MAX_FINDINGS: usize = 10_000;
/// Deepest nesting a dtype is followed when sizing joblib arrays.
const DTYPE_DEPTH: u32 = 8;

/// The sink. Run it as `&mut Symbolic` (see [`stream::scan_one`]) so that
/// what it recorded survives a failure of the machine.
pub(crate) struct Symbolic<'s, 'a> {
    /// The whole buffer the stream lives in; the machine runs on `data[start..]`.
    data: &'a [u8],
    start: usize,
    ctx: &'s Ctx<'s>,
    pub(crate) report: &'s mut StreamReport,
    /// Bytes handed to a loader (`pickle.loads(b'...')`): offset and data, scanned afterwards.
    pub(crate) nested: Vec<(u64, &'static str, Cow<'a, [u8]>)>,
    /// Reports of pickles read inline (joblib object arrays), already scanned.
    pub(crate) inline: Vec<StreamReport>,
    /// Whether a joblib `NumpyArrayWrapper` was built (the stream is a joblib file).
    pub(crate) saw_joblib_array: bool,
    nodes: Vec<Node<'a>>,
    /// What [`Kind::Global`], [`Kind::BigInt`] and [`Payload::Owned`] point into.
    globals: Vec<GlobalName>,
    big_ints: Vec<Int>,
    owned: Vec<Vec<u8>>,
    /// The items of the container nodes.
    pool: ItemPool,
    /// Offset (within `data`) and opcode being executed.
    offset: u64,
    op: Opcode,
    /// The last PROTO seen (decides dotted-name resolution, as in CPython).
    proto: u8,
    skip: u64,
}

/// Whether CPython fails to hash a value of this kind (a dict key or set item).
fn is_unhashable(kind: &Kind<'_>) -> bool {
    matches!(kind, Kind::List(_) | Kind::Dict(_) | Kind::Set(_) | Kind::ByteArray(_))
}

fn wrong(expected: &'static str, found: &'static str) -> Error {
    Error::from_kind(ErrorKind::WrongType { expected, found })
}

impl<'s, 'a> Symbolic<'s, 'a> {
    pub(crate) fn new(data: &'a [u8], start: usize, ctx: &'s Ctx<'s>, report: &'s mut StreamReport) -> Self {
        Symbolic {
            data,
            start,
            ctx,
            report,
            nested: Vec::new(),
            inline: Vec::new(),
            saw_joblib_array: false,
            nodes: Vec::new(),
            globals: Vec::new(),
            big_ints: Vec::new(),
            owned: Vec::new(),
            pool: ItemPool::default(),
            offset: start as u64,
            op: Opcode::Stop,
            proto: 0,
            skip: 0,
        }
    }

    fn add(&mut self, kind: Kind<'a>, taint: Class) -> Id {
        self.nodes.push(Node { kind, taint });
        (self.nodes.len() - 1) as Id
    }

    fn node(&self, id: Id) -> &Node<'a> {
        &self.nodes[id as usize]
    }

    fn taint_of(&self, ids: &[Id]) -> Class {
        ids.iter().map(|&i| self.node(i).taint).max().unwrap_or(Class::Safe)
    }

    /// A container node holding `items`; `keys_step` is 2 for a dict (its
    /// keys must be hashable), 1 for a frozenset, 0 for the others.
    fn container(
        &mut self,
        items: impl Iterator<Item = Id>,
        make: fn(Span) -> Kind<'a>,
        keys_step: usize,
    ) -> Result<Id> {
        let span = self.pool.span_of(items)?;
        let taint = self.judge_items(self.pool.get(span), keys_step)?;
        Ok(self.add(make(span), taint))
    }

    /// The worst class among `items`, or CPython's error for the first key
    /// it could not hash (every `keys_step`-th item from the first; none when 0).
    fn judge_items(&self, items: &[Id], keys_step: usize) -> Result<Class> {
        if keys_step > 0 {
            if let Some(&key) = items.iter().step_by(keys_step).find(|&&id| is_unhashable(&self.node(id).kind)) {
                return Err(Error::from_kind(ErrorKind::Unhashable(self.type_name(key))));
            }
        }
        Ok(items.iter().map(|&id| self.node(id).taint).max().unwrap_or(Class::Safe))
    }

    /// The items of a container node (none for other nodes).
    fn items(&self, id: Id) -> &[Id] {
        match self.node(id).kind {
            Kind::List(s) | Kind::Tuple(s) | Kind::Dict(s) | Kind::Set(s) | Kind::FrozenSet(s) => self.pool.get(s),
            _ => &[],
        }
    }

    /// The items of a tuple node.
    fn tuple_items(&self, id: Id) -> Option<&[Id]> {
        match self.node(id).kind {
            Kind::Tuple(s) => Some(self.pool.get(s)),
            _ => None,
        }
    }

    /// Keeps `data` as a node's payload (borrowed data stays borrowed).
    fn payload(&mut self, data: Cow<'a, [u8]>) -> Payload<'a> {
        match data {
            Cow::Borrowed(b) => Payload::Input(b),
            Cow::Owned(v) => {
                self.owned.push(v);
                Payload::Owned((self.owned.len() - 1) as u32)
            }
        }
    }

    /// A payload's bytes, as long as the input lives when they are borrowed from it.
    fn payload_cow(&self, payload: Payload<'a>) -> Cow<'a, [u8]> {
        match payload {
            Payload::Input(b) => Cow::Borrowed(b),
            Payload::Owned(i) => Cow::Owned(self.owned[i as usize].clone()),
        }
    }

    /// A payload's bytes.
    fn payload_bytes(&self, payload: Payload<'a>) -> &[u8] {
        match payload {
            Payload::Input(b) => b,
            Payload::Owned(i) => &self.owned[i as usize],
        }
    }

    /// The global behind a global node.
    fn global_name(&self, id: Id) -> Option<&GlobalName> {
        match self.node(id).kind {
            Kind::Global(g) => Some(&self.globals[g as usize]),
            _ => None,
        }
    }

    /// The text of a str node.
    fn text(&self, id: Id) -> Option<Str<'a>> {
        match self.node(id).kind {
            Kind::Str(payload) => Str::from_surrogatepass(self.payload_cow(payload)).ok(),
            _ => None,
        }
    }

    /// Python's type name for a node, for error messages and renderings.
    fn type_name(&self, id: Id) -> &'static str {
        match self.node(id).kind {
            Kind::None => "NoneType",
            Kind::Bool(_) => "bool",
            Kind::Int(_) | Kind::BigInt(_) => "int",
            Kind::Float(_) => "float",
            Kind::Str(_) => "str",
            Kind::Bytes(_) => "bytes",
            Kind::ByteArray(_) => "bytearray",
            Kind::List(_) => "list",
            Kind::Tuple(_) => "tuple",
            Kind::Dict(_) => "dict",
            Kind::Set(_) => "set",
            Kind::FrozenSet(_) => "frozenset",
            Kind::Global(_) => "global",
            Kind::Object { .. } => "object",
            Kind::Persistent => "persistent id",
            Kind::Buffer => "buffer",
        }
    }

    /// Whether a node is something the unpickler's own code handles
    /// (builtin constants and containers) rather than an object whose
    /// methods it would call.
    fn is_builtin(&self, id: Id) -> bool {
        !matches!(self.node(id).kind, Kind::Global(_) | Kind::Object { .. } | Kind::Persistent | Kind::Buffer)
    }

    // --- Rendering -------------------------------------------------------

    fn render(&self, id: Id) -> String {
        let mut out = String::new();
        self.render_into(id, &mut out, 0);
        if out.len() > RENDER_MAX {
            let mut cut = RENDER_MAX;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
        }
        out
    }

    fn render_items(&self, items: &[Id], out: &mut String, depth: u32) {
        for (i, &item) in items.iter().enumerate() {
            if out.len() > RENDER_MAX {
                return;
            }
            if i > 0 {
                out.push_str(", ");
            }
            self.render_into(item, out, depth + 1);
        }
    }

    fn render_into(&self, id: Id, out: &mut String, depth: u32) {
        use std::fmt::Write;
        if out.len() > RENDER_MAX || depth > 6 {
            out.push('…');
            return;
        }
        match &self.node(id).kind {
            Kind::None => out.push_str("None"),
            Kind::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Kind::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Kind::BigInt(i) => {
                let _ = write!(out, "{}", self.big_ints[*i as usize]);
            }
            Kind::Float(f) => {
                let _ = write!(out, "{f:?}");
            }
            Kind::Str(_) => {
                let text = self.text(id).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                let short: String = text.chars().take(60).collect();
                let _ = write!(out, "{short:?}");
                if short.len() < text.len() {
                    out.push('…');
                }
            }
            Kind::Bytes(b) | Kind::ByteArray(b) => {
                let _ = write!(out, "<{} bytes>", self.payload_bytes(*b).len());
            }
            Kind::List(_) => {
                out.push('[');
                self.render_items(self.items(id), out, depth);
                out.push(']');
            }
            Kind::Tuple(span) => {
                out.push('(');
                self.render_items(self.items(id), out, depth);
                if span.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
            Kind::Set(_) | Kind::FrozenSet(_) => {
                out.push('{');
                self.render_items(self.items(id), out, depth);
                out.push('}');
            }
            Kind::Dict(_) => {
                out.push('{');
                for (i, pair) in self.items(id).chunks(2).enumerate() {
                    if out.len() > RENDER_MAX {
                        break;
                    }
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.render_into(pair[0], out, depth + 1);
                    out.push_str(": ");
                    if let Some(&v) = pair.get(1) {
                        self.render_into(v, out, depth + 1);
                    }
                }
                out.push('}');
            }
            Kind::Global(g) => {
                let global = &self.globals[*g as usize];
                let _ = write!(out, "{}.{}", global.module, global.name);
            }
            Kind::Object { callable, args, .. } => {
                self.render_into(*callable, out, depth + 1);
                out.push('(');
                if let Some(items) = self.tuple_items(*args) {
                    self.render_items(items, out, depth);
                } else {
                    out.push('*');
                    self.render_into(*args, out, depth + 1);
                }
                out.push(')');
            }
            Kind::Persistent => out.push_str("<persistent id>"),
            Kind::Buffer => out.push_str("<buffer>"),
        }
    }

    // --- Findings --------------------------------------------------------

    fn finding(&mut self, class: Class, kind: FindingKind, what: String, why: String) {
        if class == Class::Safe {
            self.report.safe_count += 1;
            return;
        }
        self.report.worst = self.report.worst.max(class);
        if self.report.findings.len() >= MAX_FINDINGS {
            self.report.omitted += 1;
            return;
        }
        let offset = self.offset - self.start as u64 + self.report.start;
        self.report.findings.push(Finding { class, kind, offset, opcode: Some(self.op.name()), what, why });
    }

    /// Records a call of `callable` with `args` and returns its result node.
    fn call(&mut self, callable: Id, args: Id, how: &str) -> Id {
        let (callee, args_taint) = (self.node(callable).taint, self.node(args).taint);
        let class = callee.max(args_taint);
        let id = self.add(Kind::Object { callable, args, state: None }, class);
        if class != Class::Safe {
            let why = if callee >= args_taint {
                format!("{how} calls a {callee} callable")
            } else {
                format!("{how} passes an argument built from a {args_taint} global")
            };
            let what = self.render(id);
            self.finding(class, FindingKind::Call, what, why);
        } else {
            self.report.safe_count += 1;
        }
        self.nested_loader_call(callable, args);
        id
    }

    /// `pickle.loads(b'...')` and friends: the bytes are a pickle CPython would load.
    fn nested_loader_call(&mut self, callable: Id, args: Id) {
        if !self.global_name(callable).is_some_and(|g| g.loader) {
            return;
        }
        let Some(&first) = self.tuple_items(args).and_then(|items| items.first()) else { return };
        if let Kind::Bytes(b) | Kind::ByteArray(b) = self.node(first).kind {
            let offset = self.offset - self.start as u64 + self.report.start;
            let bytes = self.payload_cow(b);
            self.nested.push((offset, "bytes given to a loader", bytes));
        }
    }

    /// A call on a non-builtin target (its method runs): recorded with the target's class.
    fn method_call(&mut self, target: Id, method: &str, items: &[Id]) {
        let class = self.node(target).taint.max(self.taint_of(items));
        let what = format!("{}.{method}(…)", self.render(target));
        self.finding(
            class,
            FindingKind::Call,
            what,
            format!("{} calls `{method}` on a {class} object", self.op.name()),
        );
        self.raise_taint(target, class);
    }

    fn raise_taint(&mut self, id: Id, class: Class) {
        let node = &mut self.nodes[id as usize];
        node.taint = node.taint.max(class);
    }

    /// Appends items to a list, dict (key/value pairs) or set node, checking
    /// that the keys a dict or set would hash are hashable (CPython fails the
    /// load on the first one that is not).
    fn push_items(&mut self, target: Id, items: impl Iterator<Item = Id>) -> Result<()> {
        let (span, keys_step) = match &mut self.nodes[target as usize].kind {
            Kind::List(span) => (span, 0),
            Kind::Dict(span) => (span, 2),
            Kind::Set(span) => (span, 1),
            _ => unreachable!("push_items on a node that holds no items"),
        };
        let first_new = self.pool.extend(span, items)?;
        let span = *span;
        // An unhashable key ends the load: nothing is judged after it.
        let taint = self.judge_items(&self.pool.get(span)[first_new..], keys_step)?;
        self.raise_taint(target, taint);
        Ok(())
    }

    /// What the sink notes about PROTO and the EXT opcodes (kept out of the
    /// per-opcode path).
    #[cold]
    fn rare_opcode(&mut self, op: Opcode) {
        let at = self.offset as usize;
        match op {
            Opcode::Proto => self.proto = self.data.get(at + 1).copied().unwrap_or(0),
            _ => {
                let code = match op {
                    Opcode::Ext1 => self.data.get(at + 1).map(|&b| b as i64),
                    Opcode::Ext2 => self.data.get(at + 1..at + 3).map(|b| u16::from_le_bytes([b[0], b[1]]) as i64),
                    _ => self.data.get(at + 1..at + 5).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64),
                };
                let what = code.map_or("extension code (truncated)".to_string(), |c| format!("extension code {c}"));
                self.finding(
                    Class::Unknown,
                    FindingKind::Extension,
                    what,
                    "EXT imports whatever copyreg's extension registry maps the code to; CPython's default \
                     registry is empty (the load fails here), but an application may have registered codes"
                        .to_string(),
                );
            }
        }
    }

    // --- joblib ----------------------------------------------------------

    fn str_of(&self, id: Id) -> Option<String> {
        self.text(id).map(|s| s.to_string_lossy().into_owned())
    }

    fn int_of(&self, id: Id) -> Option<i64> {
        match &self.node(id).kind {
            Kind::Int(i) => Some(*i),
            Kind::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }

    /// The global a node was made from, through `copyreg._reconstructor(cls, …)`.
    fn class_global(&self, id: Id) -> Option<(&str, &str)> {
        let Kind::Object { callable, args, .. } = self.node(id).kind else { return None };
        let g = self.global_name(callable)?;
        let class = if g.module == "copyreg" && g.name == "_reconstructor" {
            self.global_name(*self.tuple_items(args)?.first()?)?
        } else {
            g
        };
        Some((&class.module, &class.name))
    }

    fn dict_get(&self, dict: Id, key: &str) -> Option<Id> {
        let Kind::Dict(_) = self.node(dict).kind else { return None };
        let items = self.items(dict);
        let is_key = |id: Id| matches!(self.node(id).kind, Kind::Str(b) if self.payload_bytes(b) == key.as_bytes());
        items.chunks(2).rev().find(|p| p.len() == 2 && is_key(p[0])).map(|p| p[1])
    }

    /// Item size and whether it holds objects, for a `numpy.dtype(...)` node.
    fn dtype_info(&self, id: Id, depth: u32) -> Option<(u64, bool)> {
        if depth > DTYPE_DEPTH {
            return None;
        }
        let Kind::Object { args, state, .. } = self.node(id).kind else { return None };
        let descr = self.str_of(*self.tuple_items(args)?.first()?)?;
        let (letter, digits) = descr.split_at(descr.find(|c: char| c.is_ascii_digit()).unwrap_or(descr.len()));
        let n: u64 = digits.parse().unwrap_or(0);
        let state_items = state.and_then(|s| self.tuple_items(s));
        // State (version, endian, subdescr, names, fields, elsize, alignment, flags).
        let elsize = state_items.and_then(|t| t.get(5)).and_then(|&e| self.int_of(e)).filter(|&e| e > 0);
        let mut hasobject = letter == "O";
        if let Some(&fields) = state_items.and_then(|t| t.get(4)) {
            if let Kind::Dict(_) = self.node(fields).kind {
                for pair in self.items(fields).chunks(2) {
                    let Some(&v) = pair.get(1) else { continue };
                    if let Some(f) = self.tuple_items(v) {
                        if let Some(&sub) = f.first() {
                            hasobject |= self.dtype_info(sub, depth + 1).is_none_or(|(_, o)| o);
                        }
                    }
                }
            }
        }
        let size = match letter {
            "O" => 8,
            "U" => n * 4,
            "M" | "m" => 8,
            "?" => 1,
            _ => n,
        };
        Some((elsize.map_or(size, |e| e as u64), hasobject))
    }

    /// After BUILD: if the target is joblib's `NumpyArrayWrapper`, the array's
    /// bytes follow in the stream; joblib reads them itself, so skip them (or,
    /// for an object array, scan the pickle joblib loads there).
    fn joblib_array(&mut self, target: Id, state: Id) {
        let Some((module, name)) = self.class_global(target) else { return };
        if name != "NumpyArrayWrapper" || !module.starts_with("joblib") && !module.contains(".joblib") {
            return;
        }
        self.saw_joblib_array = true;
        if !self.ctx.joblib {
            return;
        }
        let pos = self.offset as usize + 1;
        let (Some(shape), Some(dtype)) = (self.dict_get(state, "shape"), self.dict_get(state, "dtype")) else {
            return;
        };
        let count = self.tuple_items(shape).and_then(|dims| {
            dims.iter().try_fold(1u64, |acc, &d| {
                self.int_of(d).and_then(|d| u64::try_from(d).ok()).and_then(|d| acc.checked_mul(d))
            })
        });
        let (Some(count), Some((itemsize, hasobject))) = (count, self.dtype_info(dtype, 0)) else {
            return;
        };
        if hasobject {
            let location = stream::join(&self.report.location, &format!("joblib object array @{pos}"));
            // joblib reads an object array with plain `pickle.load` (no inline arrays in it).
            if self.ctx.depth >= stream::MAX_NESTING {
                self.report.error =
                    Some(format!("pickles nested deeper than {} levels are not followed", stream::MAX_NESTING));
                return;
            }
            let inner = Ctx { policy: self.ctx.policy, joblib: false, depth: self.ctx.depth + 1 };
            let (reports, used) = stream::scan_one(self.data, pos, &location, &inner);
            self.inline.extend(reports);
            self.skip = used.unwrap_or(0) as u64;
            self.report.inline_arrays.push(InlineArray {
                offset: pos as u64,
                len: self.skip,
                padding: 0,
                pickled: true,
            });
            return;
        }
        let padding = if self.dict_get(state, "numpy_array_alignment_bytes").is_some() {
            1 + self.data.get(pos).copied().unwrap_or(0) as u64
        } else {
            0
        };
        let len = count.saturating_mul(itemsize);
        self.skip = len.saturating_add(padding);
        let offset = (pos as u64).saturating_add(padding);
        self.report.inline_arrays.push(InlineArray { offset, len, padding, pickled: false });
    }
}

impl<'a> Sink<'a> for &mut Symbolic<'_, 'a> {
    type Item = Id;
    type Output = ();

    #[inline]
    fn at_opcode(&mut self, offset: u64, op: Opcode) {
        self.offset = offset + self.start as u64;
        self.op = op;
        if matches!(op, Opcode::Proto | Opcode::Ext1 | Opcode::Ext2 | Opcode::Ext4) {
            self.rare_opcode(op);
        }
    }

    #[inline]
    fn bytes_to_skip(&mut self) -> u64 {
        // Nearly always 0: test before writing.
        if self.skip == 0 {
            0
        } else {
            std::mem::take(&mut self.skip)
        }
    }

    fn none(&mut self) -> Id {
        self.add(Kind::None, Class::Safe)
    }
    fn bool(&mut self, value: bool) -> Id {
        self.add(Kind::Bool(value), Class::Safe)
    }
    fn int(&mut self, value: Int) -> Id {
        let kind = match value.as_i64() {
            Some(small) => Kind::Int(small),
            None => {
                self.big_ints.push(value);
                Kind::BigInt((self.big_ints.len() - 1) as u32)
            }
        };
        self.add(kind, Class::Safe)
    }
    fn float(&mut self, value: f64) -> Id {
        self.add(Kind::Float(value), Class::Safe)
    }
    fn str(&mut self, value: Str<'a>) -> Result<Id> {
        // Texts the engine decoded itself (protocol 0 lines, Python 2
        // strings); the common opcodes come through `str_utf8`.
        let payload = self.payload(Cow::Owned(value.as_surrogatepass().to_vec()));
        Ok(self.add(Kind::Str(payload), Class::Safe))
    }
    fn str_utf8(&mut self, data: Cow<'a, [u8]>) -> Result<Id> {
        // Lone surrogates are allowed; anything else fails as the engine's own check does.
        Str::check_surrogatepass(&data).map_err(|e| Error::new(ErrorKind::Decode(format!("'utf-8' codec: {e}"))))?;
        let payload = self.payload(data);
        Ok(self.add(Kind::Str(payload), Class::Safe))
    }
    fn bytes(&mut self, data: Cow<'a, [u8]>) -> Result<Id> {
        let payload = self.payload(data);
        Ok(self.add(Kind::Bytes(payload), Class::Safe))
    }
    fn bytearray(&mut self, data: Cow<'a, [u8]>) -> Result<Id> {
        let payload = self.payload(data);
        Ok(self.add(Kind::ByteArray(payload), Class::Safe))
    }
    fn empty_list(&mut self) -> Result<Id> {
        Ok(self.add(Kind::List(Span::default()), Class::Safe))
    }
    fn empty_dict(&mut self) -> Result<Id> {
        Ok(self.add(Kind::Dict(Span::default()), Class::Safe))
    }
    fn empty_set(&mut self) -> Result<Id> {
        Ok(self.add(Kind::Set(Span::default()), Class::Safe))
    }
    fn tuple<I: Iterator<Item = Id>>(&mut self, items: I) -> Result<Id> {
        self.container(items, Kind::Tuple, 0)
    }
    fn list<I: Iterator<Item = Id>>(&mut self, items: I) -> Result<Id> {
        self.container(items, Kind::List, 0)
    }
    fn dict<I: Iterator<Item = Id>>(&mut self, items: I) -> Result<Id> {
        self.container(items, Kind::Dict, 2)
    }
    fn frozenset<I: Iterator<Item = Id>>(&mut self, items: I) -> Result<Id> {
        self.container(items, Kind::FrozenSet, 1)
    }

    fn append<I: Iterator<Item = Id>>(&mut self, target: &Id, items: I) -> Result<()> {
        match self.node(*target).kind {
            Kind::List(_) => self.push_items(*target, items),
            _ if !self.is_builtin(*target) => {
                self.method_call(*target, "extend", &items.collect::<Vec<_>>());
                Ok(())
            }
            _ => Err(wrong("an object with append or extend", self.type_name(*target))),
        }
    }

    fn set_items<I: Iterator<Item = Id>>(&mut self, target: &Id, items: I) -> Result<()> {
        match self.node(*target).kind {
            Kind::Dict(_) | Kind::List(_) => self.push_items(*target, items),
            _ if !self.is_builtin(*target) => {
                self.method_call(*target, "__setitem__", &items.collect::<Vec<_>>());
                Ok(())
            }
            _ => Err(wrong("an object supporting item assignment", self.type_name(*target))),
        }
    }

    fn add_items<I: Iterator<Item = Id>>(&mut self, target: &Id, items: I) -> Result<()> {
        match self.node(*target).kind {
            Kind::Set(_) => self.push_items(*target, items),
            _ if !self.is_builtin(*target) => {
                self.method_call(*target, "add", &items.collect::<Vec<_>>());
                Ok(())
            }
            _ => Err(wrong("a set or an object with add", self.type_name(*target))),
        }
    }

    fn global(&mut self, module: Str<'a>, name: Str<'a>) -> Result<Id> {
        let offset = self.offset - self.start as u64 + self.report.start;
        let stream::Resolved { global, judgement, loader } =
            stream::resolve_global(self.ctx.policy, module, name, self.proto, offset, self.op);
        let what = format!("{}.{}", global.module, global.name);
        let why = if global.walk {
            format!("{} (attribute walk, protocol {})", judgement.why, self.proto)
        } else {
            judgement.why
        };
        let (module, name) = (global.module.clone(), global.name.clone());
        self.report.globals.push(global);
        self.finding(judgement.class, FindingKind::Global, what, why);
        self.globals.push(GlobalName { module, name, loader });
        Ok(self.add(Kind::Global((self.globals.len() - 1) as u32), judgement.class))
    }

    fn as_str(&self, item: &Id) -> Option<Str<'a>> {
        self.text(*item)
    }

    fn reduce(&mut self, callable: Id, args: Id) -> Result<Id> {
        if self.is_builtin(callable) {
            return Err(wrong("a callable", self.type_name(callable)));
        }
        if self.is_builtin(args) && !matches!(self.node(args).kind, Kind::Tuple(_)) {
            return Err(wrong("a tuple of arguments", self.type_name(args)));
        }
        Ok(self.call(callable, args, "REDUCE"))
    }

    fn new_obj(&mut self, cls: Id, args: Id) -> Result<Id> {
        if self.is_builtin(cls) {
            return Err(wrong("a class", self.type_name(cls)));
        }
        if self.is_builtin(args) && !matches!(self.node(args).kind, Kind::Tuple(_)) {
            return Err(wrong("a tuple of arguments", self.type_name(args)));
        }
        Ok(self.call(cls, args, "NEWOBJ"))
    }

    fn new_obj_ex(&mut self, cls: Id, args: Id, kwargs: Id) -> Result<Id> {
        if self.is_builtin(kwargs) && !matches!(self.node(kwargs).kind, Kind::Dict(_)) {
            return Err(wrong("a dict of keyword arguments", self.type_name(kwargs)));
        }
        let all = self.container([args, kwargs].into_iter(), Kind::Tuple, 0)?;
        if self.is_builtin(cls) {
            return Err(wrong("a class", self.type_name(cls)));
        }
        Ok(self.call(cls, all, "NEWOBJ_EX"))
    }

    fn inst(&mut self, cls: Id, args: Vec<Id>) -> Result<Id> {
        let args = self.container(args.into_iter(), Kind::Tuple, 0)?;
        Ok(self.call(cls, args, "INST"))
    }

    fn obj(&mut self, cls: Id, args: Vec<Id>) -> Result<Id> {
        if self.is_builtin(cls) {
            return Err(wrong("a class", self.type_name(cls)));
        }
        let args = self.container(args.into_iter(), Kind::Tuple, 0)?;
        Ok(self.call(cls, args, "OBJ"))
    }

    fn build(&mut self, target: &Id, state: Id) -> Result<()> {
        let target = *target;
        if self.is_builtin(target) {
            // CPython sets the state into `__dict__`, which builtins lack.
            if matches!(self.node(state).kind, Kind::None) {
                return Ok(());
            }
            return Err(wrong("an object with a __dict__ or __setstate__", self.type_name(target)));
        }
        let class = self.node(target).taint.max(self.node(state).taint);
        let what = format!("{}.__setstate__({})", self.render(target), self.render(state));
        self.finding(class, FindingKind::Call, what, format!("BUILD may call `__setstate__` of a {class} object"));
        self.raise_taint(target, class);
        if let Kind::Object { state: s, .. } = &mut self.nodes[target as usize].kind {
            *s = Some(state);
        }
        self.joblib_array(target, state);
        Ok(())
    }

    fn persistent_load(&mut self, pid: Id, _text: bool) -> Result<Id> {
        let taint = self.node(pid).taint;
        Ok(self.add(Kind::Persistent, taint))
    }

    fn next_buffer(&mut self, _index: usize) -> Result<Id> {
        Ok(self.add(Kind::Buffer, Class::Safe))
    }

    fn readonly_buffer(&mut self, buffer: Id) -> Result<Id> {
        Ok(buffer)
    }

    fn finish(&mut self, _top: Id) -> Result<()> {
        Ok(())
    }
}
