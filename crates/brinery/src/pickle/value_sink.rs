//! The value sink: builds a [`Value`] graph.
//!
//! While loading, containers live in an arena (`nodes`) and the stack holds
//! cheap [`Item`]s: a finished leaf value or an arena index. Containers stay
//! mutable until STOP, when the arena is sealed into immutable shared values:
//! each container becomes one `Arc` (so sharing survives), and a reference to
//! a container that is still being sealed (a cycle) becomes a weak
//! [`Cycle`] handle.

use super::error::{Error, ErrorKind, Result};
use super::item_run::{Run, Span};
use super::options::LoadOptions;
use super::sink::Sink;
use crate::value::{
    Buffer, BufferData, Bytes, Constructor, CycleKind, Global, Int, Object, ObjectData, PendingTarget, Seq, Shared,
    Str, Update, Value,
};
use std::borrow::Cow;
use std::collections::HashMap;

/// A stack entry: a finished leaf value, or an arena node.
#[derive(Clone, Debug)]
pub(crate) enum Item<'a> {
    V(Value<'a>),
    N(u32),
}

struct Node<'a> {
    /// 1 + the deepest child, as far as known when the node last changed.
    depth: u32,
    /// If Python could not hash it, the type to blame (list, dict, set, or
    /// what a tuple holds), decided once when the node is made.
    unhashable: Option<Unhashable>,
    kind: NodeKind<'a>,
}

impl Default for Item<'_> {
    /// What a moved-out pool slot holds.
    fn default() -> Self {
        Item::V(Value::None)
    }
}

/// Python types that cannot be dict keys or set items (one byte, to keep nodes small).
#[derive(Clone, Copy)]
enum Unhashable {
    List,
    Dict,
    Set,
    ByteArray,
    Buffer,
}

impl Unhashable {
    fn name(self) -> &'static str {
        match self {
            Unhashable::List => "list",
            Unhashable::Dict => "dict",
            Unhashable::Set => "set",
            Unhashable::ByteArray => "bytearray",
            Unhashable::Buffer => "PickleBuffer",
        }
    }
}

enum NodeKind<'a> {
    /// Items in [`ValueSink::pool`] while they can grow there.
    List(Run<Item<'a>>),
    /// Tuples never change, so their items live in the shared `pool`.
    Tuple(Span),
    /// Key/value pairs in stream order. Repeated keys are resolved when the
    /// node is sealed (keys cannot change while loading), which keeps the
    /// common no-repeat case free of per-insert hashing.
    Dict(Run<(Item<'a>, Item<'a>)>),
    /// Items in stream order; repeats are resolved when sealed, as for dicts.
    Set(Vec<Item<'a>>),
    FrozenSet(Span),
    Object(Box<ObjNode<'a>>),
    /// Already turned into a value.
    Sealed,
}

impl NodeKind<'_> {
    /// What a back-reference to this node is a reference to.
    fn cycle_kind(&self) -> CycleKind {
        match self {
            NodeKind::List(_) => CycleKind::List,
            NodeKind::Tuple(_) => CycleKind::Tuple,
            NodeKind::Dict(_) => CycleKind::Dict,
            NodeKind::Set(_) => CycleKind::Set,
            NodeKind::FrozenSet(_) => CycleKind::FrozenSet,
            NodeKind::Object(_) => CycleKind::Object,
            NodeKind::Sealed => unreachable!("sealed nodes are Done"),
        }
    }
}

enum CtorKind {
    Reduce,
    NewObj,
    NewObjEx,
    Inst,
    Obj,
    Persistent { text: bool },
}

struct ObjNode<'a> {
    ctor: CtorKind,
    /// Reduce: [callable, args]; NewObj: [cls, args]; NewObjEx: [cls, args, kwargs];
    /// Inst/Obj: [cls, args…]; Persistent: [pid].
    parts: Vec<Item<'a>>,
    updates: Vec<UpdateItem<'a>>,
}

enum UpdateItem<'a> {
    Build(Item<'a>),
    Append(Item<'a>),
    SetItem(Item<'a>, Item<'a>),
}

/// Builds [`Value`]s; see the module docs.
pub(crate) struct ValueSink<'o, 'a> {
    opts: &'o LoadOptions,
    nodes: Vec<Node<'a>>,
    /// The items of every tuple and frozenset, and of lists while they can
    /// grow in place, one after the other (one allocation for all of them
    /// instead of one each).
    pool: Vec<Item<'a>>,
    /// The key/value pairs of dicts, the same way.
    pair_pool: Vec<(Item<'a>, Item<'a>)>,
    /// Attribute names BUILD has stored: CPython interns them, which makes
    /// equal names one object, distinct from the strings in the stream.
    interned: HashMap<Vec<u8>, Str<'a>>,
    /// Per node, how far sealing got.
    seal_state: Vec<SealState<'a>>,
    /// The sealed pairs of the dicts being sealed, innermost last.
    sealed_pairs: Vec<(Value<'a>, Value<'a>)>,
    seal_error: Option<Error>,
    /// Per node, how many containers hold it (or 1 for the root), counting
    /// to 2; filled at STOP by [`ValueSink::count_parents`], empty before (a
    /// persistent id sealed early for the hook may still be shared later).
    /// A node on a cycle always has 2: the edge that closes the cycle, and
    /// the edge (or root) it was first reached by. So a node with fewer
    /// cannot be met twice while sealing, and is sealed without the
    /// bookkeeping that sharing and cycles need.
    parents: Vec<u8>,
    /// The empty tuple: one object, as in CPython, so a stream of EMPTY_TUPLE
    /// opcodes costs a stack slot each, not an allocation.
    empty_tuple: Option<Seq<'a>>,
}

/// Sealing progress of one arena node.
#[derive(Default)]
enum SealState<'a> {
    #[default]
    Todo,
    /// Being sealed: references to it become back-references.
    Open(PendingTarget<'a>),
    /// Sealed into this value.
    Done(Value<'a>),
}

fn wrong_type<T>(expected: &'static str, found: &'static str) -> Result<T> {
    Err(Error::new(ErrorKind::WrongType { expected, found }))
}

/// Most arena nodes reserved before loading (2–3 MB).
const MAX_RESERVED_NODES: usize = 1 << 16;

impl<'o, 'a> ValueSink<'o, 'a> {
    /// A sink for loading `input_len` bytes (used to size the arena: real
    /// pickles have about one container per 16 bytes, up to
    /// [`MAX_RESERVED_NODES`]; past that the arena grows as containers come,
    /// so a pickle that is mostly one borrowed payload reserves nothing of
    /// its size).
    pub(crate) fn new(opts: &'o LoadOptions, input_len: usize) -> Self {
        ValueSink {
            opts,
            nodes: Vec::with_capacity((input_len / 16).min(MAX_RESERVED_NODES)),
            pool: Vec::new(),
            pair_pool: Vec::new(),
            interned: HashMap::new(),
            seal_state: Vec::new(),
            sealed_pairs: Vec::new(),
            seal_error: None,
            parents: Vec::new(),
            empty_tuple: None,
        }
    }

    fn depth_of(&self, item: &Item<'a>) -> u32 {
        match item {
            // The shared empty tuple is a container: one level, like a tuple node.
            Item::V(Value::Tuple(_)) => 1,
            Item::V(_) => 0,
            Item::N(i) => self.nodes[*i as usize].depth,
        }
    }

    fn check_depth(&self, depth: u32) -> Result<()> {
        if depth as usize > self.opts.limits.max_depth {
            return Err(Error::new(ErrorKind::LimitExceeded {
                limit: "max_depth",
                max: self.opts.limits.max_depth as u64,
                value: depth as u64,
            }));
        }
        Ok(())
    }

    /// 1 + the deepest of `children` (0 for leaves), checked against the limit.
    fn depth_above<'i>(&self, children: impl Iterator<Item = &'i Item<'a>>) -> Result<u32>
    where
        'a: 'i,
    {
        let depth = 1 + children.map(|c| self.depth_of(c)).max().unwrap_or(0);
        self.check_depth(depth)?;
        Ok(depth)
    }

    /// Adds a node to the arena; the one place nodes are made.
    fn push_node(&mut self, depth: u32, kind: NodeKind<'a>) -> Result<Item<'a>> {
        let index = u32::try_from(self.nodes.len()).map_err(|_| {
            Error::new(ErrorKind::LimitExceeded {
                limit: "containers",
                max: u32::MAX as u64,
                value: u32::MAX as u64 + 1,
            })
        })?;
        let unhashable = match &kind {
            NodeKind::List(_) => Some(Unhashable::List),
            NodeKind::Dict(_) => Some(Unhashable::Dict),
            NodeKind::Set(_) => Some(Unhashable::Set),
            NodeKind::Tuple(span) => self.pool[span.range()].iter().find_map(|it| self.unhashable_type(it)),
            NodeKind::FrozenSet(_) | NodeKind::Object(_) | NodeKind::Sealed => None,
        };
        self.nodes.push(Node { depth, unhashable, kind });
        Ok(Item::N(index))
    }

    /// A tuple or frozenset node: its items go to the pool.
    fn immutable_node(&mut self, items: impl Iterator<Item = Item<'a>>, frozenset: bool) -> Result<Item<'a>> {
        let start = self.pool.len();
        let start32 = u32::try_from(start).map_err(|_| {
            Error::new(ErrorKind::LimitExceeded {
                limit: "tuple items",
                max: u32::MAX as u64,
                value: u32::MAX as u64 + 1,
            })
        })?;
        self.pool.extend(items);
        if self.pool.len() == start && !frozenset {
            let empty = self.empty_tuple.get_or_insert_with(|| Seq::from(Vec::new()));
            return Ok(Item::V(Value::Tuple(empty.clone())));
        }
        let added = &self.pool[start..];
        let checked = self.depth_above(added.iter()).and_then(|depth| {
            match added.iter().find_map(|it| self.unhashable_type(it)) {
                Some(t) if frozenset => Err(Error::new(ErrorKind::Unhashable(t.name()))),
                _ => Ok(depth),
            }
        });
        let depth = match checked {
            Ok(depth) => depth,
            Err(e) => {
                self.pool.truncate(start);
                return Err(e);
            }
        };
        let span = Span { start: start32, len: (self.pool.len() - start) as u32 };
        self.push_node(depth, if frozenset { NodeKind::FrozenSet(span) } else { NodeKind::Tuple(span) })
    }

    /// Raises a node's depth after something was added to it.
    fn deepen(&mut self, node: u32, child_depth: u32) -> Result<()> {
        let depth = child_depth + 1;
        if depth > self.nodes[node as usize].depth {
            self.check_depth(depth)?;
            self.nodes[node as usize].depth = depth;
        }
        Ok(())
    }

    fn type_name(&self, item: &Item<'a>) -> &'static str {
        match item {
            Item::V(v) => v.type_name(),
            Item::N(i) => match &self.nodes[*i as usize].kind {
                NodeKind::List(_) => "list",
                NodeKind::Tuple(_) => "tuple",
                NodeKind::Dict(_) => "dict",
                NodeKind::Set(_) => "set",
                NodeKind::FrozenSet(_) => "frozenset",
                NodeKind::Object(_) => "object",
                NodeKind::Sealed => "value",
            },
        }
    }

    /// The type that makes `item` unhashable, if it is.
    fn unhashable_type(&self, item: &Item<'a>) -> Option<Unhashable> {
        match item {
            Item::V(Value::ByteArray(_)) => Some(Unhashable::ByteArray),
            Item::V(Value::Buffer(_)) => Some(Unhashable::Buffer),
            Item::V(_) => None,
            Item::N(i) => self.nodes[*i as usize].unhashable,
        }
    }

    /// Fails like Python for keys it cannot hash (list, dict, set, bytearray,
    /// or a tuple holding one); equality of keys is settled when sealing.
    fn check_hashable(&self, item: &Item<'a>) -> Result<()> {
        match self.unhashable_type(item) {
            Some(t) => Err(Error::new(ErrorKind::Unhashable(t.name()))),
            None => Ok(()),
        }
    }

    /// Adds key/value pairs to a dict node: all of them at once (one SETITEMS
    /// batch, usually a run at the end of the pair pool), then checks them.
    /// A failed check fails the whole load, so what was added stays moot.
    fn insert_pairs(&mut self, node: u32, pairs: impl Iterator<Item = (Item<'a>, Item<'a>)>) -> Result<()> {
        let NodeKind::Dict(run) = &mut self.nodes[node as usize].kind else {
            unreachable!("insert_pairs on a non-dict")
        };
        let start = run.extend(&mut self.pair_pool, pairs);
        let NodeKind::Dict(run) = &self.nodes[node as usize].kind else { unreachable!() };
        let mut deepest = 0;
        for (key, value) in &run.as_slice(&self.pair_pool)[start..] {
            self.check_hashable(key)?;
            deepest = deepest.max(self.depth_of(key)).max(self.depth_of(value));
        }
        self.deepen(node, deepest)
    }

    /// Adds an item to a set node.
    fn insert_item(&mut self, node: u32, item: Item<'a>) -> Result<()> {
        self.check_hashable(&item)?;
        self.deepen(node, self.depth_of(&item))?;
        match &mut self.nodes[node as usize].kind {
            NodeKind::Set(items) => items.push(item),
            _ => unreachable!("insert_item on a non-set"),
        }
        Ok(())
    }

    fn new_object(&mut self, ctor: CtorKind, parts: Vec<Item<'a>>) -> Result<Item<'a>> {
        let depth = self.depth_above(parts.iter())?;
        self.push_node(depth, NodeKind::Object(Box::new(ObjNode { ctor, parts, updates: Vec::new() })))
    }

    fn push_update(&mut self, node: u32, update: UpdateItem<'a>, child_depth: u32) -> Result<()> {
        self.deepen(node, child_depth)?;
        match &mut self.nodes[node as usize].kind {
            NodeKind::Object(o) => o.updates.push(update),
            _ => unreachable!("push_update on a non-object"),
        }
        Ok(())
    }

    /// The items of a tuple node, if `item` is one.
    fn tuple_items(&self, item: &Item<'a>) -> Option<&[Item<'a>]> {
        match item {
            Item::N(i) => match &self.nodes[*i as usize].kind {
                NodeKind::Tuple(span) => Some(&self.pool[span.range()]),
                _ => None,
            },
            // The one tuple that is a value from the start: the empty tuple.
            Item::V(Value::Tuple(t)) if t.is_empty() => Some(&[]),
            Item::V(_) => None,
        }
    }

    /// Turns the few builtin constructors CPython itself emits for builtin
    /// types back into those types: `_codecs.encode` (bytes, protocols < 3),
    /// `bytes()`, `bytearray(...)`, `set(list)`, `frozenset(list)`,
    /// `complex(re, im)`. Anything else stays an inert object.
    fn builtin_reduce(&mut self, g: &Global<'a>, args: &Item<'a>) -> Result<Option<Item<'a>>> {
        let module = g.module_str();
        let name = g.name_str();
        let is = |m: &str, n: &str| module == m && name == n;
        let known = is("_codecs", "encode")
            || is("codecs", "encode")
            || (module == "builtins"
                && ["bytes", "bytearray", "set", "frozenset", "complex"].iter().any(|n| name == *n));
        if !known {
            return Ok(None);
        }
        let Some(args) = self.tuple_items(args) else {
            return Ok(None);
        };
        let args: Vec<Item<'a>> = args.to_vec();
        let str_arg = |i: usize| match args.get(i) {
            Some(Item::V(Value::Str(s))) => Some(s.clone()),
            _ => None,
        };
        if is("_codecs", "encode") || is("codecs", "encode") {
            if let (2, Some(text), Some(enc)) = (args.len(), str_arg(0), str_arg(1)) {
                if let Some(bytes) = encode_text(&text, &enc) {
                    return Ok(Some(Item::V(Value::Bytes(Bytes::new(bytes)))));
                }
            }
            return Ok(None);
        }
        if is("builtins", "bytes") {
            return Ok(match args.as_slice() {
                [] => Some(Item::V(Value::Bytes(Bytes::new(Vec::new())))),
                [Item::V(Value::Bytes(b))] => Some(Item::V(Value::Bytes(b.clone()))),
                _ => None,
            });
        }
        if is("builtins", "bytearray") {
            return Ok(match args.as_slice() {
                [] => Some(Item::V(Value::bytearray(Vec::new()))),
                [Item::V(Value::Bytes(b))] => Some(Item::V(Value::bytearray(b.as_slice().to_vec()))),
                [Item::V(Value::Str(s)), Item::V(Value::Str(enc))] => {
                    encode_text(s, enc).map(|b| Item::V(Value::bytearray(b)))
                }
                _ => None,
            });
        }
        if is("builtins", "set") || is("builtins", "frozenset") {
            let items: Vec<Item<'a>> = match args.as_slice() {
                [] => Vec::new(),
                [Item::V(Value::Tuple(t))] if t.is_empty() => Vec::new(),
                [Item::N(i)] => match &self.nodes[*i as usize].kind {
                    NodeKind::List(items) => items.as_slice(&self.pool).to_vec(),
                    NodeKind::Tuple(span) => self.pool[span.range()].to_vec(),
                    _ => return Ok(None),
                },
                _ => return Ok(None),
            };
            return if is("builtins", "set") {
                let set = self.empty_set()?;
                self.add_items(&set, items.into_iter())?;
                Ok(Some(set))
            } else {
                self.frozenset(items.into_iter()).map(Some)
            };
        }
        if is("builtins", "complex") {
            let num = |i: usize| match args.get(i) {
                Some(Item::V(Value::Float(f))) => Some(*f),
                Some(Item::V(Value::Int(n))) => Some(n.to_f64()),
                Some(Item::V(Value::Bool(b))) => Some(*b as u8 as f64),
                None => Some(0.0),
                _ => None,
            };
            if args.len() <= 2 {
                if let (Some(re), Some(im)) = (num(0), num(1)) {
                    return Ok(Some(Item::V(Value::Complex { re, im })));
                }
            }
        }
        Ok(None)
    }

    // ---- Sealing the arena into values.

    /// Seals one item; `depth` is its nesting level (the root is 1).
    fn seal(&mut self, item: &Item<'a>, depth: usize) -> Value<'a> {
        crate::stack::guard_at(depth, || self.seal_inner(item, depth))
    }

    /// Seals an item the caller gives up: leaf values are moved, not cloned.
    fn seal_owned(&mut self, item: Item<'a>, depth: usize) -> Value<'a> {
        match item {
            Item::V(v) => v,
            node => self.seal(&node, depth),
        }
    }

    fn seal_inner(&mut self, item: &Item<'a>, depth: usize) -> Value<'a> {
        let index = match item {
            Item::V(v) => return v.clone(),
            Item::N(i) => *i,
        };
        match &mut self.seal_state[index as usize] {
            SealState::Done(v) => return v.clone(),
            SealState::Open(pending) => return Value::Cycle(pending.back_ref()),
            SealState::Todo => {}
        }
        if depth > self.opts.limits.max_depth {
            if self.seal_error.is_none() {
                self.seal_error = Some(Error::new(ErrorKind::LimitExceeded {
                    limit: "max_depth",
                    max: self.opts.limits.max_depth as u64,
                    value: depth as u64,
                }));
            }
            return Value::None;
        }
        // A node only one container holds is met once: no back-references
        // to hand out, no sealed value to remember.
        let once = self.parents.get(index as usize).is_some_and(|&held| held <= 1);
        let kind = std::mem::replace(&mut self.nodes[index as usize].kind, NodeKind::Sealed);
        if !once {
            self.seal_state[index as usize] = SealState::Open(PendingTarget::new(kind.cycle_kind()));
        }
        let value = match kind {
            NodeKind::List(items) => Value::List(self.seal_seq(items, depth, false)),
            NodeKind::Tuple(span) => Value::Tuple(self.seal_seq(Run::Pool(span), depth, false)),
            NodeKind::FrozenSet(span) => Value::FrozenSet(self.seal_seq(Run::Pool(span), depth, true)),
            NodeKind::Set(items) => Value::Set(self.seal_seq(Run::Own(items), depth, true)),
            NodeKind::Dict(pairs) => {
                let d = depth + 1;
                // Sealed into the shared `sealed_pairs` stack (dicts inside
                // push above this one's pairs and pop theirs), then moved
                // into the dict: one allocation per dict.
                let base = self.sealed_pairs.len();
                match pairs {
                    Run::Own(pairs) => {
                        for (k, v) in pairs {
                            let pair = (self.seal_owned(k, d), self.seal_owned(v, d));
                            self.sealed_pairs.push(pair);
                        }
                    }
                    // A pool span belongs to one node, sealed once: its pairs can be moved out.
                    Run::Pool(span) => {
                        for i in span.range() {
                            let (k, v) = std::mem::take(&mut self.pair_pool[i]);
                            let pair = (self.seal_owned(k, d), self.seal_owned(v, d));
                            self.sealed_pairs.push(pair);
                        }
                    }
                }
                Value::Dict(crate::value::dedup_pair_tail(&mut self.sealed_pairs, base))
            }
            NodeKind::Object(obj) => Value::Object(Object(Shared::new(self.seal_object(*obj, depth)))),
            NodeKind::Sealed => unreachable!("sealed nodes are Done"),
        };
        if !once {
            let done = std::mem::replace(&mut self.seal_state[index as usize], SealState::Done(value.clone()));
            if let SealState::Open(pending) = done {
                pending.finish(&value);
            }
        }
        value
    }

    /// Seals a sequence node's items (one allocation); `dedup` applies set
    /// semantics to them.
    fn seal_seq(&mut self, items: Run<Item<'a>>, depth: usize, dedup: bool) -> Seq<'a> {
        if dedup {
            let items: Vec<Value<'a>> = match items {
                Run::Own(items) => items.into_iter().map(|i| self.seal_owned(i, depth + 1)).collect(),
                Run::Pool(span) => span.range().map(|k| self.seal_pooled(k, depth)).collect(),
            };
            return crate::value::dedup_items(items.into_iter());
        }
        match items {
            Run::Own(items) => items.into_iter().map(|i| self.seal_owned(i, depth + 1)).collect(),
            Run::Pool(span) => span.range().map(|k| self.seal_pooled(k, depth)).collect(),
        }
    }

    /// Seals pool item `k` of a node at `depth`. A pool span belongs to one
    /// node, sealed once: its items can be moved out (strings then need no
    /// reference-count round trip).
    fn seal_pooled(&mut self, k: usize, depth: usize) -> Value<'a> {
        let item = std::mem::take(&mut self.pool[k]);
        self.seal_owned(item, depth + 1)
    }

    fn seal_object(&mut self, obj: ObjNode<'a>, depth: usize) -> ObjectData<'a> {
        let d = depth + 1;
        let mut parts = obj.parts.into_iter();
        let mut next = |s: &mut Self| s.seal_owned(parts.next().expect("constructor parts"), d);
        let constructor = match obj.ctor {
            CtorKind::Reduce => Constructor::Reduce { callable: next(self), args: next(self) },
            CtorKind::NewObj => Constructor::NewObj { cls: next(self), args: next(self) },
            CtorKind::NewObjEx => Constructor::NewObjEx { cls: next(self), args: next(self), kwargs: next(self) },
            CtorKind::Persistent { text } => Constructor::Persistent { pid: next(self), text },
            CtorKind::Inst => {
                let Value::Global(class) = next(self) else { unreachable!("INST classes are globals") };
                Constructor::Inst { class, args: parts.map(|i| self.seal_owned(i, d)).collect() }
            }
            CtorKind::Obj => {
                let cls = next(self);
                Constructor::Obj { cls, args: parts.map(|i| self.seal_owned(i, d)).collect() }
            }
        };
        let updates = obj
            .updates
            .into_iter()
            .map(|u| match u {
                UpdateItem::Build(s) => Update::Build(self.seal_owned(s, d)),
                UpdateItem::Append(v) => Update::Append(self.seal_owned(v, d)),
                UpdateItem::SetItem(k, v) => Update::SetItem(self.seal_owned(k, d), self.seal_owned(v, d)),
            })
            .collect();
        ObjectData { constructor, updates }
    }

    /// Fills [`ValueSink::parents`]: one pass over every node's items, once
    /// no container can change any more.
    fn count_parents(&mut self, root: &Item<'a>) {
        let mut parents = vec![0u8; self.nodes.len()];
        let mut held = |item: &Item<'a>| {
            if let Item::N(i) = *item {
                let p = &mut parents[i as usize];
                *p = (*p + 1).min(2);
            }
        };
        // The root counts as held, so a cycle back to it is seen as sharing.
        held(root);
        for node in &self.nodes {
            match &node.kind {
                NodeKind::List(items) => items.as_slice(&self.pool).iter().for_each(&mut held),
                NodeKind::Set(items) => items.iter().for_each(&mut held),
                NodeKind::Tuple(span) | NodeKind::FrozenSet(span) => self.pool[span.range()].iter().for_each(&mut held),
                NodeKind::Dict(pairs) => pairs.as_slice(&self.pair_pool).iter().for_each(|(k, v)| {
                    held(k);
                    held(v);
                }),
                NodeKind::Object(obj) => {
                    obj.parts.iter().for_each(&mut held);
                    for update in &obj.updates {
                        match update {
                            UpdateItem::Build(item) | UpdateItem::Append(item) => held(item),
                            UpdateItem::SetItem(k, v) => {
                                held(k);
                                held(v);
                            }
                        }
                    }
                }
                // Sealed early (for the persistent-load hook): its items were
                // sealed with their sealed values remembered.
                NodeKind::Sealed => {}
            }
        }
        self.parents = parents;
    }

    /// Seals part of the graph early (a persistent id handed to the hook).
    fn seal_now(&mut self, item: &Item<'a>) -> Result<Value<'a>> {
        self.seal_state.resize_with(self.nodes.len(), || SealState::Todo);
        let v = self.seal(item, 1);
        match self.seal_error.take() {
            Some(e) => Err(e),
            None => Ok(v),
        }
    }
}

/// `str.encode(encoding)` for the encodings pickles use for bytes.
fn encode_text(text: &Str<'_>, encoding: &Str<'_>) -> Option<Vec<u8>> {
    let enc = encoding.as_str()?.to_ascii_lowercase().replace('_', "-");
    match enc.as_str() {
        "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "l1" => {
            text.code_points().map(|c| u8::try_from(c).ok()).collect()
        }
        "ascii" | "us-ascii" => text.code_points().map(|c| if c < 0x80 { Some(c as u8) } else { None }).collect(),
        "utf-8" | "utf8" => text.as_str().map(|s| s.as_bytes().to_vec()),
        _ => None,
    }
}

impl<'o, 'a> Sink<'a> for ValueSink<'o, 'a> {
    type Item = Item<'a>;
    type Output = Value<'a>;

    #[inline]
    fn none(&mut self) -> Item<'a> {
        Item::V(Value::None)
    }

    #[inline]
    fn bool(&mut self, value: bool) -> Item<'a> {
        Item::V(Value::Bool(value))
    }

    #[inline]
    fn int(&mut self, value: Int) -> Item<'a> {
        Item::V(Value::Int(value))
    }

    #[inline]
    fn float(&mut self, value: f64) -> Item<'a> {
        Item::V(Value::Float(value))
    }

    #[inline]
    fn str(&mut self, value: Str<'a>) -> Result<Item<'a>> {
        Ok(Item::V(Value::Str(value)))
    }

    #[inline]
    fn bytes(&mut self, data: Cow<'a, [u8]>) -> Result<Item<'a>> {
        Ok(Item::V(Value::Bytes(Bytes::new(data))))
    }

    fn bytearray(&mut self, data: Cow<'a, [u8]>) -> Result<Item<'a>> {
        Ok(Item::V(Value::ByteArray(Shared::new(data))))
    }

    fn empty_list(&mut self) -> Result<Item<'a>> {
        self.push_node(1, NodeKind::List(Run::default()))
    }

    fn empty_dict(&mut self) -> Result<Item<'a>> {
        self.push_node(1, NodeKind::Dict(Run::default()))
    }

    fn empty_set(&mut self) -> Result<Item<'a>> {
        self.push_node(1, NodeKind::Set(Vec::new()))
    }

    fn tuple<I: Iterator<Item = Item<'a>>>(&mut self, items: I) -> Result<Item<'a>> {
        self.immutable_node(items, false)
    }

    fn list<I: Iterator<Item = Item<'a>>>(&mut self, items: I) -> Result<Item<'a>> {
        let list = self.empty_list()?;
        self.append(&list, items)?;
        Ok(list)
    }

    fn dict<I: Iterator<Item = Item<'a>>>(&mut self, items: I) -> Result<Item<'a>> {
        let dict = self.empty_dict()?;
        self.set_items(&dict, items)?;
        Ok(dict)
    }

    fn frozenset<I: Iterator<Item = Item<'a>>>(&mut self, items: I) -> Result<Item<'a>> {
        self.immutable_node(items, true)
    }

    fn append<I: Iterator<Item = Item<'a>>>(&mut self, target: &Item<'a>, items: I) -> Result<()> {
        let Item::N(node) = *target else { return wrong_type("a list", self.type_name(target)) };
        match &self.nodes[node as usize].kind {
            NodeKind::List(_) => {
                let NodeKind::List(list) = &mut self.nodes[node as usize].kind else { unreachable!() };
                let start = list.extend(&mut self.pool, items);
                let NodeKind::List(list) = &self.nodes[node as usize].kind else { unreachable!() };
                let added = &list.as_slice(&self.pool)[start..];
                let deepest = added.iter().map(|item| self.depth_of(item)).max().unwrap_or(0);
                self.deepen(node, deepest)
            }
            NodeKind::Object(_) => {
                for item in items {
                    let d = self.depth_of(&item);
                    self.push_update(node, UpdateItem::Append(item), d)?;
                }
                Ok(())
            }
            _ => wrong_type("a list", self.type_name(target)),
        }
    }

    fn set_items<I: Iterator<Item = Item<'a>>>(&mut self, target: &Item<'a>, mut items: I) -> Result<()> {
        let Item::N(node) = *target else { return wrong_type("a dict", self.type_name(target)) };
        let batch = items.size_hint().0 / 2;
        // Items pair up as key, value; an odd one out is dropped.
        let pairs = std::iter::from_fn(move || Some((items.next()?, items.next()?)));
        match &self.nodes[node as usize].kind {
            NodeKind::Dict(_) => {
                // One allocation for a whole SETITEMS batch, not a doubling per push.
                self.pair_pool.reserve(batch);
                self.insert_pairs(node, pairs)
            }
            NodeKind::Object(_) => {
                for (k, v) in pairs {
                    let d = self.depth_of(&k).max(self.depth_of(&v));
                    self.push_update(node, UpdateItem::SetItem(k, v), d)?;
                }
                Ok(())
            }
            _ => wrong_type("a dict", self.type_name(target)),
        }
    }

    fn add_items<I: Iterator<Item = Item<'a>>>(&mut self, target: &Item<'a>, items: I) -> Result<()> {
        let Item::N(node) = *target else { return wrong_type("a set", self.type_name(target)) };
        if !matches!(self.nodes[node as usize].kind, NodeKind::Set(_)) {
            return wrong_type("a set", self.type_name(target));
        }
        for item in items {
            self.insert_item(node, item)?;
        }
        Ok(())
    }

    fn global(&mut self, module: Str<'a>, name: Str<'a>) -> Result<Item<'a>> {
        Ok(Item::V(Value::Global(Global::new(module, name))))
    }

    fn as_str(&self, item: &Item<'a>) -> Option<Str<'a>> {
        match item {
            Item::V(Value::Str(s)) => Some(s.clone()),
            _ => None,
        }
    }

    fn reduce(&mut self, callable: Item<'a>, args: Item<'a>) -> Result<Item<'a>> {
        if let Item::V(Value::Global(g)) = &callable {
            if let Some(done) = self.builtin_reduce(g, &args)? {
                return Ok(done);
            }
        }
        self.new_object(CtorKind::Reduce, vec![callable, args])
    }

    fn new_obj(&mut self, cls: Item<'a>, args: Item<'a>) -> Result<Item<'a>> {
        self.new_object(CtorKind::NewObj, vec![cls, args])
    }

    fn new_obj_ex(&mut self, cls: Item<'a>, args: Item<'a>, kwargs: Item<'a>) -> Result<Item<'a>> {
        // Keyword names are identifiers: in the object CPython rebuilds they are
        // the interned strings of the class's source, like attribute names.
        if let Item::N(node) = kwargs {
            self.intern_dict_keys(node);
        }
        self.new_object(CtorKind::NewObjEx, vec![cls, args, kwargs])
    }

    fn inst(&mut self, cls: Item<'a>, mut args: Vec<Item<'a>>) -> Result<Item<'a>> {
        args.insert(0, cls);
        self.new_object(CtorKind::Inst, args)
    }

    fn obj(&mut self, cls: Item<'a>, mut args: Vec<Item<'a>>) -> Result<Item<'a>> {
        args.insert(0, cls);
        self.new_object(CtorKind::Obj, args)
    }

    fn build(&mut self, target: &Item<'a>, state: Item<'a>) -> Result<()> {
        let Item::N(node) = *target else {
            return wrong_type("an object", self.type_name(target));
        };
        if !matches!(self.nodes[node as usize].kind, NodeKind::Object(_)) {
            return wrong_type("an object", self.type_name(target));
        }
        self.intern_state_keys(&state);
        let d = self.depth_of(&state);
        self.push_update(node, UpdateItem::Build(state), d)
    }

    fn persistent_load(&mut self, pid: Item<'a>, text: bool) -> Result<Item<'a>> {
        match self.opts.persistent_load.clone() {
            Some(hook) => {
                let pid = self.seal_now(&pid)?;
                let loaded = hook(&pid).map_err(|m| Error::new(ErrorKind::PersistentLoad(m)))?;
                Ok(Item::V(loaded))
            }
            None => self.new_object(CtorKind::Persistent { text }, vec![pid]),
        }
    }

    fn next_buffer(&mut self, index: usize) -> Result<Item<'a>> {
        let data = match &self.opts.buffers {
            Some(buffers) => Some(buffers.get(index).cloned().ok_or_else(|| Error::new(ErrorKind::MissingBuffer))?),
            None => None,
        };
        Ok(Item::V(Value::Buffer(Buffer::from_data(BufferData { index, data, readonly: false }))))
    }

    fn readonly_buffer(&mut self, buffer: Item<'a>) -> Result<Item<'a>> {
        match &buffer {
            Item::V(Value::Buffer(b)) => Ok(Item::V(Value::Buffer(Buffer::from_data(BufferData {
                index: b.index(),
                data: b.0.data.clone(),
                readonly: true,
            })))),
            Item::V(Value::Bytes(_)) => Ok(buffer),
            Item::V(Value::ByteArray(b)) => Ok(Item::V(Value::Buffer(Buffer::new(Bytes::new(b.to_vec()), true)))),
            other => wrong_type("a buffer", self.type_name(other)),
        }
    }

    fn finish(&mut self, top: Item<'a>) -> Result<Value<'a>> {
        self.count_parents(&top);
        self.seal_now(&top)
    }
}

impl<'a> ValueSink<'_, 'a> {
    /// CPython interns the str keys of a BUILD state dict, and when it pickles
    /// the rebuilt object again the keys of its state (attribute names,
    /// keyword names of a `functools.partial` state, slot names) are the
    /// interned identifiers of the class's source. Model both by interning the
    /// str keys of every dict that is the state or directly inside a state tuple.
    fn intern_state_keys(&mut self, state: &Item<'a>) {
        let Item::N(i) = state else { return };
        let dicts: Vec<u32> = match &self.nodes[*i as usize].kind {
            NodeKind::Dict(_) => vec![*i],
            NodeKind::Tuple(span) => self.pool[span.range()]
                .iter()
                .filter_map(|p| match p {
                    Item::N(j) if matches!(self.nodes[*j as usize].kind, NodeKind::Dict(_)) => Some(*j),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for d in dicts {
            self.intern_dict_keys(d);
        }
    }

    /// Replaces the str keys of a dict node with interned copies.
    fn intern_dict_keys(&mut self, node: u32) {
        let NodeKind::Dict(pairs) = &mut self.nodes[node as usize].kind else {
            return;
        };
        for (k, _) in pairs.as_mut_slice(&mut self.pair_pool) {
            if let Item::V(Value::Str(s)) = k {
                let canonical = match self.interned.get(s.as_surrogatepass()) {
                    Some(known) => known.clone(),
                    None => {
                        let copy = s.interned_copy();
                        self.interned.insert(s.as_surrogatepass().to_vec(), copy.clone());
                        copy
                    }
                };
                *s = canonical;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arena_entries_stay_small() {
        // Memory per container while loading is about these two sizes; the
        // memory-bound tests depend on them staying small.
        assert!(std::mem::size_of::<Node<'_>>() <= 40, "Node is {} bytes", std::mem::size_of::<Node<'_>>());
        assert!(std::mem::size_of::<Item<'_>>() <= 32, "Item is {} bytes", std::mem::size_of::<Item<'_>>());
    }

    /// Containers held once are sealed without the sharing bookkeeping
    /// (`ValueSink::parents`); everything held twice must keep one identity.
    #[test]
    fn shared_containers_and_cycles_survive_sealing() {
        fn load(data: &[u8]) -> Value<'_> {
            crate::pickle::loads(data, &LoadOptions::default()).unwrap()
        }
        // a = []; [a, a]
        let v = load(b"\x80\x02]q\x00(]q\x01h\x01e.");
        assert_eq!(v[0].identity(), v[1].identity());
        // The same built with LIST (protocol 1): ((l q0 h0 l
        let v = load(b"((lq\x00h\x00l.");
        assert_eq!(v[0].identity(), v[1].identity());
        // l = []; l.append(l): the cycle closes on the root.
        let v = load(b"\x80\x02]q\x00h\x00a.");
        let Value::Cycle(back) = &v[0] else { panic!("{v:?}") };
        assert_eq!(back.upgrade().unwrap().identity(), v.identity());
        // d = {}; d['t'] = ([d],): a cycle through a list and a tuple.
        let v = load(b"\x80\x02}q\x00X\x01\x00\x00\x00tq\x01]q\x02h\x00a\x85q\x03s.");
        let Value::Cycle(back) = &v["t"][0][0] else { panic!("{v:?}") };
        assert_eq!(back.upgrade().unwrap().identity(), v.identity());
    }

    #[test]
    fn a_persistent_id_sealed_for_the_hook_can_be_shared_later() {
        // [pid_loaded, pid] where pid = ('k',) is handed to the hook, then fetched again from the memo.
        let opts = LoadOptions {
            persistent_load: Some(std::sync::Arc::new(|_: &Value<'_>| Ok(Value::from("loaded")))),
            ..LoadOptions::default()
        };
        let data = b"\x80\x02]q\x00(X\x01\x00\x00\x00k\x85q\x01Qh\x01h\x01e.";
        let v = crate::pickle::loads(data, &opts).unwrap();
        assert_eq!(v[0], Value::from("loaded"));
        assert_eq!(v[1], Value::tuple(vec![Value::from("k")]));
        assert_eq!(v[1].identity(), v[2].identity());
    }

    #[test]
    fn every_empty_tuple_is_one_object_as_in_cpython() {
        // (EMPTY_TUPLE, MARK TUPLE, EMPTY_TUPLE) as a tuple of three: `x[0] is x[1] is x[2]` in CPython.
        let v = crate::pickle::loads(b"\x80\x02)(t)\x87.", &LoadOptions::default()).unwrap();
        let Value::Tuple(items) = &v else { panic!("{v:?}") };
        let ids: Vec<Option<usize>> = items.iter().map(Value::identity).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids[0].is_some() && ids.iter().all(|&id| id == ids[0]), "{ids:?}");
        assert_ne!(v.identity(), ids[0]);
    }
}
