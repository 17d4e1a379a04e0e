//! The value sink: builds a [`Value`] graph.
//!
//! While loading, containers live in an arena (`nodes`) and the stack holds
//! cheap [`Item`]s: a finished leaf value or an arena index. Containers stay
//! mutable until STOP, when the arena is sealed into immutable shared values:
//! each container becomes one `Arc` (so sharing survives), and a reference to
//! a container that is still being sealed (a cycle) becomes a weak
//! [`Cycle`] handle.

use super::error::{Error, ErrorKind, Result};
use super::options::LoadOptions;
use super::sink::Sink;
use crate::value::{
    Buffer, BufferData, Bytes, Constructor, Cycle, Global, Int, Object, ObjectData, Shared, Str, Update, Value,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// A stack entry: a finished leaf value, or an arena node.
#[derive(Clone, Debug)]
pub(crate) enum Item<'a> {
    V(Value<'a>),
    N(u32),
}

struct Node<'a> {
    /// 1 + the deepest child, as far as known when the node last changed.
    depth: u32,
    kind: NodeKind<'a>,
}

enum NodeKind<'a> {
    List(Vec<Item<'a>>),
    Tuple(Vec<Item<'a>>),
    Dict(Keyed<'a>),
    Set(Keyed<'a>),
    FrozenSet(Vec<Item<'a>>),
    Object(ObjNode<'a>),
    /// Already turned into a value.
    Sealed,
}

/// Dict pairs or set items with Python's key semantics (a repeated key keeps
/// its first position; for dicts the last value wins).
#[derive(Default)]
struct Keyed<'a> {
    entries: Vec<(Item<'a>, Item<'a>)>,
    /// Hash → entry positions; built once the container grows past a few entries.
    index: Option<HashMap<u64, Vec<u32>>>,
}

const LINEAR_SCAN_MAX: usize = 8;

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
    /// Attribute names BUILD has stored: CPython interns them, which makes
    /// equal names one object, distinct from the strings in the stream.
    interned: HashMap<Vec<u8>, Str<'a>>,
    // Sealing state.
    sealed: Vec<Option<Value<'a>>>,
    open: HashMap<u32, Cycle<'a>>,
    seal_error: Option<Error>,
}

fn wrong_type<T>(expected: &'static str, found: &'static str) -> Result<T> {
    Err(Error::new(ErrorKind::WrongType { expected, found }))
}

impl<'o, 'a> ValueSink<'o, 'a> {
    pub(crate) fn new(opts: &'o LoadOptions) -> Self {
        ValueSink {
            opts,
            nodes: Vec::new(),
            interned: HashMap::new(),
            sealed: Vec::new(),
            open: HashMap::new(),
            seal_error: None,
        }
    }

    fn depth_of(&self, item: &Item<'a>) -> u32 {
        match item {
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

    fn add_node(&mut self, kind: NodeKind<'a>, children: &[&Item<'a>]) -> Result<Item<'a>> {
        let depth = 1 + children.iter().map(|c| self.depth_of(c)).max().unwrap_or(0);
        self.check_depth(depth)?;
        let index = u32::try_from(self.nodes.len()).map_err(|_| {
            Error::new(ErrorKind::LimitExceeded {
                limit: "containers",
                max: u32::MAX as u64,
                value: u32::MAX as u64 + 1,
            })
        })?;
        self.nodes.push(Node { depth, kind });
        Ok(Item::N(index))
    }

    fn node_from_items(&mut self, items: Vec<Item<'a>>, make: fn(Vec<Item<'a>>) -> NodeKind<'a>) -> Result<Item<'a>> {
        let depth = 1 + items.iter().map(|c| self.depth_of(c)).max().unwrap_or(0);
        self.check_depth(depth)?;
        let index = self.nodes.len() as u32;
        self.nodes.push(Node { depth, kind: make(items) });
        Ok(Item::N(index))
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

    // ---- Python hashing and equality on items, for dict keys and set items.

    fn hash_item(&self, item: &Item<'a>) -> Result<u64> {
        use std::hash::{Hash, Hasher};
        match item {
            Item::V(v) => crate::value::py_hash(v).ok_or_else(|| Error::new(ErrorKind::Unhashable(v.type_name()))),
            Item::N(i) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                match &self.nodes[*i as usize].kind {
                    NodeKind::Tuple(items) => {
                        7u8.hash(&mut h);
                        for it in items {
                            self.hash_item(it)?.hash(&mut h);
                        }
                    }
                    NodeKind::FrozenSet(items) => {
                        8u8.hash(&mut h);
                        let mut sum = 0u64;
                        for it in items {
                            sum = sum.wrapping_add(self.hash_item(it)?);
                        }
                        sum.hash(&mut h);
                    }
                    NodeKind::Object(_) => {
                        10u8.hash(&mut h);
                        i.hash(&mut h);
                    }
                    _ => return Err(Error::new(ErrorKind::Unhashable(self.type_name(item)))),
                }
                Ok(h.finish())
            }
        }
    }

    fn items_eq(&self, a: &Item<'a>, b: &Item<'a>) -> bool {
        match (a, b) {
            (Item::V(x), Item::V(y)) => crate::value::py_eq(x, y),
            (Item::N(x), Item::N(y)) if x == y => true,
            (Item::N(x), Item::N(y)) => match (&self.nodes[*x as usize].kind, &self.nodes[*y as usize].kind) {
                (NodeKind::Tuple(p), NodeKind::Tuple(q)) => {
                    p.len() == q.len() && p.iter().zip(q).all(|(i, j)| self.items_eq(i, j))
                }
                (NodeKind::FrozenSet(p), NodeKind::FrozenSet(q)) => {
                    p.len() == q.len() && p.iter().all(|i| q.iter().any(|j| self.items_eq(i, j)))
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Inserts into a dict or set node with Python's key semantics.
    fn insert_keyed(&mut self, node: u32, key: Item<'a>, value: Item<'a>) -> Result<()> {
        let hash = self.hash_item(&key)?;
        let child_depth = self.depth_of(&key).max(self.depth_of(&value));
        self.deepen(node, child_depth)?;
        // Find an existing equal key.
        let found = {
            let keyed = match &self.nodes[node as usize].kind {
                NodeKind::Dict(k) | NodeKind::Set(k) => k,
                _ => unreachable!("insert_keyed on a non-keyed node"),
            };
            match &keyed.index {
                Some(index) => index.get(&hash).and_then(|slots| {
                    slots.iter().copied().find(|&s| self.items_eq(&keyed.entries[s as usize].0, &key))
                }),
                None => keyed.entries.iter().position(|(k, _)| self.items_eq(k, &key)).map(|p| p as u32),
            }
        };
        let is_set = matches!(self.nodes[node as usize].kind, NodeKind::Set(_));
        let needs_rehash = {
            let keyed = match &mut self.nodes[node as usize].kind {
                NodeKind::Dict(k) | NodeKind::Set(k) => k,
                _ => unreachable!(),
            };
            match found {
                Some(slot) => {
                    if !is_set {
                        keyed.entries[slot as usize].1 = value;
                    }
                    return Ok(());
                }
                None => {
                    let position = keyed.entries.len() as u32;
                    keyed.entries.push((key, value));
                    if let Some(index) = &mut keyed.index {
                        index.entry(hash).or_default().push(position);
                        false
                    } else {
                        keyed.entries.len() > LINEAR_SCAN_MAX
                    }
                }
            }
        };
        if needs_rehash {
            self.build_index(node)?;
        }
        Ok(())
    }

    fn build_index(&mut self, node: u32) -> Result<()> {
        let entries = match &self.nodes[node as usize].kind {
            NodeKind::Dict(k) | NodeKind::Set(k) => &k.entries,
            _ => unreachable!(),
        };
        let mut index: HashMap<u64, Vec<u32>> = HashMap::with_capacity(entries.len() * 2);
        for (i, (k, _)) in entries.iter().enumerate() {
            index.entry(self.hash_item(k)?).or_default().push(i as u32);
        }
        if let NodeKind::Dict(k) | NodeKind::Set(k) = &mut self.nodes[node as usize].kind {
            k.index = Some(index);
        }
        Ok(())
    }

    fn new_object(&mut self, ctor: CtorKind, parts: Vec<Item<'a>>) -> Result<Item<'a>> {
        let refs: Vec<&Item<'a>> = parts.iter().collect();
        let depth = 1 + refs.iter().map(|c| self.depth_of(c)).max().unwrap_or(0);
        self.check_depth(depth)?;
        let index = self.nodes.len() as u32;
        self.nodes.push(Node { depth, kind: NodeKind::Object(ObjNode { ctor, parts, updates: Vec::new() }) });
        Ok(Item::N(index))
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
                NodeKind::Tuple(items) => Some(items),
                _ => None,
            },
            Item::V(_) => None,
        }
    }

    /// Turns the few builtin constructors CPython itself emits for builtin
    /// types back into those types: `_codecs.encode` (bytes, protocols < 3),
    /// `bytes()`, `bytearray(...)`, `set(list)`, `frozenset(list)`,
    /// `complex(re, im)`. Anything else stays an inert object.
    fn builtin_reduce(&mut self, g: &Global<'a>, args: &Item<'a>) -> Result<Option<Item<'a>>> {
        let Some(args) = self.tuple_items(args) else {
            return Ok(None);
        };
        let args: Vec<Item<'a>> = args.to_vec();
        let module = g.module_str();
        let name = g.name_str();
        let is = |m: &str, n: &str| module == m && name == n;
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
                [Item::N(i)] => match &self.nodes[*i as usize].kind {
                    NodeKind::List(items) | NodeKind::Tuple(items) => items.clone(),
                    _ => return Ok(None),
                },
                _ => return Ok(None),
            };
            return if is("builtins", "set") {
                let set = self.add_node(NodeKind::Set(Keyed::default()), &[])?;
                let Item::N(node) = set else { unreachable!() };
                for item in items {
                    self.insert_keyed(node, item, Item::V(Value::None))?;
                }
                Ok(Some(set))
            } else {
                self.frozenset(items).map(Some)
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

    fn seal(&mut self, item: &Item<'a>, depth: usize) -> Value<'a> {
        let index = match item {
            Item::V(v) => return v.clone(),
            Item::N(i) => *i,
        };
        if let Some(v) = &self.sealed[index as usize] {
            return v.clone();
        }
        if let Some(cycle) = self.open.get(&index) {
            return Value::Cycle(cycle.clone());
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
        let kind = std::mem::replace(&mut self.nodes[index as usize].kind, NodeKind::Sealed);
        let value = match kind {
            NodeKind::List(items) => Value::List(self.seal_seq(index, &items, depth, Cycle::List)),
            NodeKind::Tuple(items) => Value::Tuple(self.seal_seq(index, &items, depth, Cycle::Tuple)),
            NodeKind::FrozenSet(items) => Value::FrozenSet(self.seal_seq(index, &items, depth, Cycle::FrozenSet)),
            NodeKind::Set(keyed) => {
                let items: Vec<Item<'a>> = keyed.entries.into_iter().map(|(k, _)| k).collect();
                Value::Set(self.seal_seq(index, &items, depth, Cycle::Set))
            }
            NodeKind::Dict(keyed) => Value::Dict(Shared(Arc::new_cyclic(|weak| {
                self.open.insert(index, Cycle::Dict(weak.clone()));
                let pairs =
                    keyed.entries.iter().map(|(k, v)| (self.seal(k, depth + 1), self.seal(v, depth + 1))).collect();
                self.open.remove(&index);
                pairs
            }))),
            NodeKind::Object(obj) => Value::Object(Object(Shared(Arc::new_cyclic(|weak| {
                self.open.insert(index, Cycle::Object(weak.clone()));
                let data = self.seal_object(obj, depth);
                self.open.remove(&index);
                data
            })))),
            NodeKind::Sealed => unreachable!("sealed nodes are in `sealed`"),
        };
        self.sealed[index as usize] = Some(value.clone());
        value
    }

    fn seal_seq(
        &mut self,
        index: u32,
        items: &[Item<'a>],
        depth: usize,
        back: fn(std::sync::Weak<Vec<Value<'a>>>) -> Cycle<'a>,
    ) -> Shared<Vec<Value<'a>>> {
        Shared(Arc::new_cyclic(|weak| {
            self.open.insert(index, back(weak.clone()));
            let out = items.iter().map(|i| self.seal(i, depth + 1)).collect();
            self.open.remove(&index);
            out
        }))
    }

    fn seal_object(&mut self, obj: ObjNode<'a>, depth: usize) -> ObjectData<'a> {
        let d = depth + 1;
        let mut parts = obj.parts.iter();
        let mut next = |s: &mut Self| {
            let item = parts.next().expect("constructor parts");
            s.seal(item, d)
        };
        let constructor = match obj.ctor {
            CtorKind::Reduce => Constructor::Reduce { callable: next(self), args: next(self) },
            CtorKind::NewObj => Constructor::NewObj { cls: next(self), args: next(self) },
            CtorKind::NewObjEx => Constructor::NewObjEx { cls: next(self), args: next(self), kwargs: next(self) },
            CtorKind::Persistent { text } => Constructor::Persistent { pid: next(self), text },
            CtorKind::Inst => {
                let class = match next(self) {
                    Value::Global(g) => g,
                    _ => unreachable!("INST classes are globals"),
                };
                let args = obj.parts[1..].iter().map(|i| self.seal(i, d)).collect();
                Constructor::Inst { class, args }
            }
            CtorKind::Obj => {
                let cls = next(self);
                let args = obj.parts[1..].iter().map(|i| self.seal(i, d)).collect();
                Constructor::Obj { cls, args }
            }
        };
        let updates = obj
            .updates
            .iter()
            .map(|u| match u {
                UpdateItem::Build(s) => Update::Build(self.seal(s, d)),
                UpdateItem::Append(v) => Update::Append(self.seal(v, d)),
                UpdateItem::SetItem(k, v) => Update::SetItem(self.seal(k, d), self.seal(v, d)),
            })
            .collect();
        ObjectData { constructor, updates }
    }

    /// Seals part of the graph early (a persistent id handed to the hook).
    fn seal_now(&mut self, item: &Item<'a>) -> Result<Value<'a>> {
        self.sealed.resize(self.nodes.len(), None);
        let v = self.seal(item, 0);
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
        self.add_node(NodeKind::List(Vec::new()), &[])
    }

    fn empty_dict(&mut self) -> Result<Item<'a>> {
        self.add_node(NodeKind::Dict(Keyed::default()), &[])
    }

    fn empty_set(&mut self) -> Result<Item<'a>> {
        self.add_node(NodeKind::Set(Keyed::default()), &[])
    }

    fn tuple(&mut self, items: Vec<Item<'a>>) -> Result<Item<'a>> {
        self.node_from_items(items, NodeKind::Tuple)
    }

    fn list(&mut self, items: Vec<Item<'a>>) -> Result<Item<'a>> {
        self.node_from_items(items, NodeKind::List)
    }

    fn dict(&mut self, items: Vec<Item<'a>>) -> Result<Item<'a>> {
        let dict = self.empty_dict()?;
        self.set_items(&dict, items)?;
        Ok(dict)
    }

    fn frozenset(&mut self, items: Vec<Item<'a>>) -> Result<Item<'a>> {
        // Deduplicate through a temporary set node, then freeze.
        let mut unique: Vec<Item<'a>> = Vec::with_capacity(items.len());
        let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
        for item in items {
            let h = self.hash_item(&item)?;
            let slots = index.entry(h).or_default();
            if slots.iter().any(|&s| self.items_eq(&unique[s], &item)) {
                continue;
            }
            slots.push(unique.len());
            unique.push(item);
        }
        self.node_from_items(unique, NodeKind::FrozenSet)
    }

    fn append(&mut self, target: &Item<'a>, items: Vec<Item<'a>>) -> Result<()> {
        let Item::N(node) = *target else {
            return wrong_type("a list", self.type_name(target));
        };
        let child_depth = items.iter().map(|c| self.depth_of(c)).max().unwrap_or(0);
        match &self.nodes[node as usize].kind {
            NodeKind::List(_) => {
                self.deepen(node, child_depth)?;
                if let NodeKind::List(list) = &mut self.nodes[node as usize].kind {
                    list.extend(items);
                }
                Ok(())
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

    fn set_items(&mut self, target: &Item<'a>, items: Vec<Item<'a>>) -> Result<()> {
        let Item::N(node) = *target else {
            return wrong_type("a dict", self.type_name(target));
        };
        let is_dict = match &self.nodes[node as usize].kind {
            NodeKind::Dict(_) => true,
            NodeKind::Object(_) => false,
            _ => return wrong_type("a dict", self.type_name(target)),
        };
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            if is_dict {
                self.insert_keyed(node, k, v)?;
            } else {
                let d = self.depth_of(&k).max(self.depth_of(&v));
                self.push_update(node, UpdateItem::SetItem(k, v), d)?;
            }
        }
        Ok(())
    }

    fn add_items(&mut self, target: &Item<'a>, items: Vec<Item<'a>>) -> Result<()> {
        let Item::N(node) = *target else {
            return wrong_type("a set", self.type_name(target));
        };
        if !matches!(self.nodes[node as usize].kind, NodeKind::Set(_)) {
            return wrong_type("a set", self.type_name(target));
        }
        for item in items {
            self.insert_keyed(node, item, Item::V(Value::None))?;
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
            if let Some(done) = self.builtin_reduce(&g.clone(), &args)? {
                return Ok(done);
            }
        }
        self.new_object(CtorKind::Reduce, vec![callable, args])
    }

    fn new_obj(&mut self, cls: Item<'a>, args: Item<'a>) -> Result<Item<'a>> {
        if let Item::V(Value::Global(g)) = &cls {
            // `complex.__reduce_ex__(2)` is NEWOBJ(complex, (re, im)).
            if g.is("builtins", "complex") {
                if let Some(done) = self.builtin_reduce(&g.clone(), &args)? {
                    return Ok(done);
                }
            }
        }
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
            NodeKind::Tuple(parts) => parts
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
        let NodeKind::Dict(keyed) = &mut self.nodes[node as usize].kind else {
            return;
        };
        for (k, _) in keyed.entries.iter_mut() {
            if let Item::V(Value::Str(s)) = k {
                let canonical = self.interned.entry(s.as_surrogatepass().to_vec()).or_insert_with(|| s.interned_copy());
                *s = canonical.clone();
            }
        }
    }
}
