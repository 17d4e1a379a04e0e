//! Tagged JSON → a plan: the object graph the JSON describes, with `py/id`
//! references resolved the way jsonpickle resolves them.
//!
//! jsonpickle numbers objects as it restores them (`Unpickler._objs`): each
//! list, plain dict and `py/reduce` gets the next index when it is entered,
//! before its contents; `py/tuple`, `py/set`, `py/b64`, `py/type` and
//! `py/function` get none. The parser walks the JSON in the same order and
//! keeps the same registry, so `{"py/id": n}` names the same object for both.
//!
//! A `py/reduce` is read as pickle's reduce protocol, except where it is a
//! builtin value written through its type (`str(s)`, `tuple(t)`, `dict()`
//! with items, `set(t)`, `frozenset(t)`, `bytes(b)`, `bytearray(b)`,
//! `complex(re, im)`, `int(hex, 16)`) or its side key names another form.

use super::names::{copy_str, split};
use super::tags::{self, Form};
use super::{base64, Error};
use crate::pickle::Item;
use crate::value::{Buffer, BufferData, Bytes, Int, Value};

pub(super) type NodeId = u32;

/// A reference to a plan node: direct, or through jsonpickle's registry
/// (a `py/id`, resolved once the whole document is read).
#[derive(Clone, Copy, Debug)]
pub(super) enum Ref {
    Node(NodeId),
    Registered(u32),
}

/// One object of the graph.
pub(super) enum Node {
    /// Being read (only while parsing).
    Pending,
    /// A value without contents to build (str, bytes, numbers, globals, …).
    Leaf(Item<'static>),
    List(Vec<Ref>),
    Dict(Vec<(Ref, Ref)>),
    Tuple(Vec<Ref>),
    Set(Vec<Ref>),
    FrozenSet(Vec<Ref>),
    Object(Box<ObjectPlan>),
}

/// A constructed object and the updates applied to it, in pickle's order.
pub(super) struct ObjectPlan {
    pub(super) ctor: Ctor,
    pub(super) appends: Vec<Ref>,
    pub(super) setitems: Vec<(Ref, Ref)>,
    pub(super) state: Option<Ref>,
}

/// How the object is made; one variant per pickle opcode.
pub(super) enum Ctor {
    Reduce { callable: Ref, args: Ref },
    NewObj { cls: Ref, args: Ref },
    NewObjEx { cls: Ref, args: Ref, kwargs: Ref },
    Inst { class: Ref, args: Vec<Ref> },
    Obj { cls: Ref, args: Vec<Ref> },
    Persistent { pid: Ref, text: bool },
}

/// The parsed document.
pub(super) struct Plan {
    pub(super) nodes: Vec<Node>,
    registry: Vec<Option<Ref>>,
    pub(super) root: Ref,
}

impl Plan {
    /// The node a reference names.
    pub(super) fn resolve(&self, mut r: Ref) -> Result<NodeId, Error> {
        // A registry entry may itself be a reference (`tuple(t)` with `t` a
        // `py/id`); chains are shorter than the registry.
        for _ in 0..=self.registry.len() {
            match r {
                Ref::Node(id) => return Ok(id),
                Ref::Registered(i) => {
                    r = self.registry.get(i as usize).copied().flatten().ok_or_else(|| {
                        Error(format!("py/id {i} names no object ({} are registered)", self.registry.len()))
                    })?
                }
            }
        }
        Err(Error("py/id references form a loop".into()))
    }
}

/// Reads a tagged JSON tree.
pub(super) fn parse(json: &Value<'_>) -> Result<Plan, Error> {
    let mut p = Parser { nodes: Vec::new(), registry: Vec::new(), buffers: 0, depth: 0 };
    let root = p.value(json)?;
    Ok(Plan { nodes: p.nodes, registry: p.registry, root })
}

struct Parser {
    nodes: Vec<Node>,
    registry: Vec<Option<Ref>>,
    /// Out-of-band buffers read so far (their index in the pickle).
    buffers: usize,
    depth: usize,
}

/// The JSON value under a tag, if the dict has that key.
fn get<'j, 'a>(pairs: &'j [(Value<'a>, Value<'a>)], tag: &str) -> Option<&'j Value<'a>> {
    pairs.iter().find(|(k, _)| matches!(k, Value::Str(s) if s == tag)).map(|(_, v)| v)
}

/// The tags jsonpickle dispatches on, in its order.
const DISPATCH: &[&str] = &[
    tags::TUPLE,
    tags::SET,
    tags::B64,
    tags::B85,
    tags::ID,
    tags::ITERATOR,
    tags::OBJECT,
    tags::TYPE,
    tags::REDUCE,
    tags::FUNCTION,
    tags::MODULE,
    tags::REPR,
];

impl Parser {
    fn node(&mut self, node: Node) -> Ref {
        self.nodes.push(node);
        Ref::Node((self.nodes.len() - 1) as NodeId)
    }

    fn leaf(&mut self, value: Value<'static>) -> Ref {
        self.node(Node::Leaf(Item::V(value)))
    }

    /// Registers a new object (jsonpickle's `_mkref`) and returns its node.
    fn register_new(&mut self) -> NodeId {
        let Ref::Node(id) = self.node(Node::Pending) else { unreachable!() };
        self.registry.push(Some(Ref::Node(id)));
        id
    }

    fn value(&mut self, j: &Value<'_>) -> Result<Ref, Error> {
        self.depth += 1;
        let r = crate::stack::guard_at(self.depth, || self.value_inner(j));
        self.depth -= 1;
        r
    }

    fn value_inner(&mut self, j: &Value<'_>) -> Result<Ref, Error> {
        Ok(match j {
            Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) => self.leaf(j.clone().into_owned()),
            Value::Str(s) => self.leaf(copy_str(s)),
            Value::List(items) => {
                let id = self.register_new();
                let items = self.values(items)?;
                self.nodes[id as usize] = Node::List(items);
                Ref::Node(id)
            }
            Value::Dict(pairs) => self.dict(pairs)?,
            other => return Err(Error(format!("not a JSON value: {}", other.type_name()))),
        })
    }

    fn values(&mut self, items: &[Value<'_>]) -> Result<Vec<Ref>, Error> {
        items.iter().map(|item| self.value(item)).collect()
    }

    /// The items of a JSON list under a tag.
    fn list_under(&mut self, j: &Value<'_>, tag: &str) -> Result<Vec<Ref>, Error> {
        match j {
            Value::List(items) => self.values(items),
            other => Err(Error(format!("{tag} holds a {}, not a list", other.type_name()))),
        }
    }

    fn dict(&mut self, pairs: &[(Value<'_>, Value<'_>)]) -> Result<Ref, Error> {
        let Some((tag, body)) = DISPATCH.iter().find_map(|&t| get(pairs, t).map(|v| (t, v))) else {
            let id = self.register_new();
            let mut out = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                let Value::Str(k) = k else { return Err(Error(format!("a JSON key that is a {}", k.type_name()))) };
                let k = self.leaf(copy_str(k));
                out.push((k, self.value(v)?));
            }
            self.nodes[id as usize] = Node::Dict(out);
            return Ok(Ref::Node(id));
        };
        Ok(match tag {
            tags::TUPLE => {
                let items = self.list_under(body, tag)?;
                self.node(Node::Tuple(items))
            }
            tags::SET => {
                let items = self.list_under(body, tag)?;
                self.node(Node::Set(items))
            }
            tags::B64 | tags::B85 => {
                let Value::Str(text) = body else { return Err(Error(format!("{tag} holds a {}", body.type_name()))) };
                let text = text.as_surrogatepass();
                let data = if tag == tags::B64 { base64::decode(text) } else { base64::decode85(text) };
                self.leaf(Value::Bytes(Bytes::new(data.map_err(|e| Error(format!("{tag}: {e}")))?)))
            }
            tags::ID => match body.as_i64().and_then(|i| u32::try_from(i).ok()) {
                Some(i) => Ref::Registered(i),
                None => return Err(Error(format!("py/id holds {body}, not an index"))),
            },
            tags::TYPE | tags::FUNCTION => {
                let Value::Str(dotted) = body else { return Err(Error(format!("{tag} holds a {}", body.type_name()))) };
                let module = match get(pairs, tags::MODULE_NAME) {
                    Some(Value::Str(m)) => Some(m),
                    Some(other) => return Err(Error(format!("{} holds a {}", tags::MODULE_NAME, other.type_name()))),
                    None => None,
                };
                let (module, name) = split(dotted, module).map_err(Error)?;
                self.leaf(Value::global(module, name))
            }
            tags::REDUCE => self.reduce(pairs, body)?,
            _ => {
                return Err(Error(format!(
                    "{tag} is not read: pickles have no such values (brinery writes objects as py/reduce)"
                )))
            }
        })
    }

    /// `{"py/reduce": [callable, args, state, listitems, dictitems]}`.
    fn reduce(&mut self, pairs: &[(Value<'_>, Value<'_>)], body: &Value<'_>) -> Result<Ref, Error> {
        let form = match get(pairs, tags::FORM) {
            None => None,
            Some(Value::Str(s)) => Some(
                s.as_str().and_then(Form::from_name).ok_or_else(|| Error(format!("unknown {} {s:?}", tags::FORM)))?,
            ),
            Some(other) => return Err(Error(format!("{} holds a {}", tags::FORM, other.type_name()))),
        };
        let Value::List(parts) = body else {
            return Err(Error(format!("py/reduce holds a {}, not a list", body.type_name())));
        };
        if parts.len() < 2 || parts.len() > 5 {
            return Err(Error(format!("py/reduce has {} parts; it takes 2 to 5", parts.len())));
        }
        // Registered on entry, like jsonpickle's proxy; filled in once read.
        let index = self.registry.len();
        self.registry.push(None);
        let newobj = matches!(&parts[0], Value::Str(s) if s == tags::NEWOBJ);
        let mut refs = Vec::with_capacity(5);
        for part in parts.iter() {
            refs.push(if part.is_none() { None } else { Some(self.value(part)?) });
        }
        refs.resize(5, None);
        let (callable, args) = match (refs[0], refs[1]) {
            (Some(c), Some(a)) => (c, a),
            _ => return Err(Error("py/reduce needs a callable and arguments".into())),
        };
        let parts = Parts { callable, args, state: refs[2], list: refs[3], dict: refs[4] };
        let result = self.interpret(form, newobj, parts)?;
        self.registry[index] = Some(result);
        Ok(result)
    }

    fn interpret(&mut self, form: Option<Form>, newobj: bool, p: Parts) -> Result<Ref, Error> {
        let ctor = match form {
            None if newobj => {
                let (cls, rest) = self.split_first(p.args, "py/newobj")?;
                let args = self.node(Node::Tuple(rest));
                Ctor::NewObj { cls, args }
            }
            None => match self.builtin_value(&p)? {
                Some(value) => return Ok(value),
                None => Ctor::Reduce { callable: p.callable, args: p.args },
            },
            Some(Form::Reduce) => Ctor::Reduce { callable: p.callable, args: p.args },
            Some(Form::NewObjEx) => match self.seq(p.args).as_deref() {
                Some(&[cls, args, kwargs]) => Ctor::NewObjEx { cls, args, kwargs },
                _ => return Err(Error("newobj_ex takes (cls, args, kwargs)".into())),
            },
            Some(form @ (Form::Inst | Form::Obj)) => {
                let (cls, args) = if newobj {
                    self.split_first(p.args, form.name())?
                } else {
                    (p.callable, self.seq(p.args).ok_or_else(|| Error(format!("{} arguments", form.name())))?)
                };
                if form == Form::Inst {
                    Ctor::Inst { class: cls, args }
                } else {
                    Ctor::Obj { cls, args }
                }
            }
            Some(form @ (Form::Persistent | Form::PersistentText)) => match self.seq(p.args).as_deref() {
                Some(&[pid]) => Ctor::Persistent { pid, text: form == Form::PersistentText },
                _ => return Err(Error("a persistent id is the one argument of its load function".into())),
            },
            Some(Form::Buffer) => {
                let readonly = match self.global(p.callable) {
                    Some(("builtins", "memoryview")) => true,
                    Some(("builtins", "bytearray")) => false,
                    _ => return Err(Error("a buffer is made by builtins.bytearray or builtins.memoryview".into())),
                };
                let data = match self.seq(p.args).as_deref() {
                    Some(&[b]) => match self.leaf_value(b) {
                        Some(Value::Bytes(b)) => b.clone(),
                        _ => return Err(Error("a buffer's argument must be bytes".into())),
                    },
                    _ => return Err(Error("a buffer takes one argument".into())),
                };
                let index = self.buffers;
                self.buffers += 1;
                let buffer = Buffer::from_data(BufferData { index, data: Some(data), readonly });
                return Ok(self.leaf(Value::Buffer(buffer)));
            }
        };
        let appends = match p.list {
            None => Vec::new(),
            Some(r) => self.seq(r).ok_or_else(|| Error("py/reduce list items must be a tuple or list".into()))?,
        };
        let setitems = match p.dict {
            None => Vec::new(),
            Some(r) => self.pairs(r)?,
        };
        Ok(self.node(Node::Object(Box::new(ObjectPlan { ctor, appends, setitems, state: p.state }))))
    }

    /// A `py/reduce` of a builtin type that stands for a value of that type;
    /// `None` when it is an ordinary object.
    fn builtin_value(&mut self, p: &Parts) -> Result<Option<Ref>, Error> {
        let Some(("builtins", name)) = self.global(p.callable) else { return Ok(None) };
        let name = name.to_string();
        let no_updates = p.state.is_none() && p.list.is_none() && p.dict.is_none();
        let Some(args) = self.seq(p.args) else { return Ok(None) };
        if name == "dict" && args.is_empty() && p.state.is_none() && p.list.is_none() {
            let pairs = match p.dict {
                Some(r) => self.pairs(r)?,
                None => Vec::new(),
            };
            return Ok(Some(self.node(Node::Dict(pairs))));
        }
        if !no_updates {
            return Ok(None);
        }
        Ok(match (name.as_str(), args.len()) {
            // str(s) is s, tuple(t) is t, bytes(b) is b: the same object.
            ("str", 1) if matches!(self.arg_leaf(&args, 0), Some(Value::Str(_))) => Some(args[0]),
            ("bytes", 1) if matches!(self.arg_leaf(&args, 0), Some(Value::Bytes(_))) => Some(args[0]),
            ("tuple", 1) if matches!(self.peek(args[0]), Some(Node::Tuple(_))) => Some(args[0]),
            ("set" | "frozenset", 0 | 1) => {
                let items = match args.first() {
                    None => Vec::new(),
                    Some(&r) => match self.peek(r) {
                        Some(Node::Tuple(items) | Node::List(items)) => items.clone(),
                        _ => return Ok(None),
                    },
                };
                Some(self.node(if name == "set" { Node::Set(items) } else { Node::FrozenSet(items) }))
            }
            ("bytearray", 1) => match self.arg_leaf(&args, 0) {
                Some(Value::Bytes(b)) => {
                    let copy = b.as_slice().to_vec();
                    Some(self.leaf(Value::bytearray(copy)))
                }
                _ => None,
            },
            ("complex", 2) => match (self.arg_leaf(&args, 0), self.arg_leaf(&args, 1)) {
                (Some(&Value::Float(re)), Some(&Value::Float(im))) => Some(self.leaf(Value::Complex { re, im })),
                _ => None,
            },
            ("int", 2) => match (self.arg_leaf(&args, 0), self.arg_leaf(&args, 1)) {
                (Some(Value::Str(hex)), Some(base)) if base.as_i64() == Some(16) => {
                    let text = hex.as_str().ok_or_else(|| Error("int(text, 16): bad text".into()))?;
                    let (neg, digits) = match text.strip_prefix('-') {
                        Some(d) => (true, d),
                        None => (false, text),
                    };
                    let big = num_bigint::BigInt::parse_bytes(digits.as_bytes(), 16)
                        .ok_or_else(|| Error(format!("int({text:?}, 16): not hexadecimal")))?;
                    Some(self.leaf(Value::Int(Int::from(if neg { -big } else { big }))))
                }
                _ => None,
            },
            _ => None,
        })
    }

    /// The node a reference names, if it is already known.
    fn peek(&self, r: Ref) -> Option<&Node> {
        let id = match r {
            Ref::Node(id) => id,
            Ref::Registered(i) => match self.registry.get(i as usize).copied().flatten()? {
                Ref::Node(id) => id,
                Ref::Registered(_) => return None,
            },
        };
        self.nodes.get(id as usize)
    }

    fn leaf_value(&self, r: Ref) -> Option<&Value<'static>> {
        match self.peek(r)? {
            Node::Leaf(Item::V(v)) => Some(v),
            _ => None,
        }
    }

    fn arg_leaf(&self, args: &[Ref], i: usize) -> Option<&Value<'static>> {
        args.get(i).and_then(|&r| self.leaf_value(r))
    }

    /// `(module, name)` of a global leaf.
    fn global(&self, r: Ref) -> Option<(&str, &str)> {
        match self.leaf_value(r)? {
            Value::Global(g) => Some((g.module_str().as_str()?, g.name_str().as_str()?)),
            _ => None,
        }
    }

    /// The items of a tuple or list node.
    fn seq(&self, r: Ref) -> Option<Vec<Ref>> {
        match self.peek(r)? {
            Node::Tuple(items) | Node::List(items) => Some(items.clone()),
            _ => None,
        }
    }

    /// The first item of an argument tuple and the rest.
    fn split_first(&self, args: Ref, what: &str) -> Result<(Ref, Vec<Ref>), Error> {
        match self.seq(args) {
            Some(items) if !items.is_empty() => Ok((items[0], items[1..].to_vec())),
            _ => Err(Error(format!("{what} needs the class as its first argument"))),
        }
    }

    /// Reduce dict items: a sequence of 2-item sequences.
    fn pairs(&self, r: Ref) -> Result<Vec<(Ref, Ref)>, Error> {
        let items = self.seq(r).ok_or_else(|| Error("py/reduce dict items must be a tuple or list".into()))?;
        items
            .into_iter()
            .map(|item| match self.seq(item).as_deref() {
                Some(&[k, v]) => Ok((k, v)),
                _ => Err(Error("each py/reduce dict item must be a (key, value) pair".into())),
            })
            .collect()
    }
}

/// The parts of a `py/reduce`, read.
struct Parts {
    callable: Ref,
    args: Ref,
    state: Option<Ref>,
    list: Option<Ref>,
    dict: Option<Ref>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Plan, Error> {
        parse(&crate::json::loads(text, &Default::default()).unwrap())
    }

    #[test]
    fn registration_follows_jsonpickle() {
        // list 0, str(...) 1, dict 2; py/id 1 is the str.
        let plan = parse_text(
            r#"[{"py/reduce": [{"py/type": "builtins.str"}, {"py/tuple": ["s"]}]}, {"k": {"py/id": 1}}, {"py/id": 2}]"#,
        )
        .unwrap();
        assert_eq!(plan.registry.len(), 3);
        let Node::List(items) = &plan.nodes[plan.resolve(plan.root).unwrap() as usize] else { panic!() };
        let first = plan.resolve(items[0]).unwrap();
        assert!(matches!(&plan.nodes[first as usize], Node::Leaf(Item::V(Value::Str(_)))));
        assert_eq!(plan.resolve(Ref::Registered(1)).unwrap(), first);
        assert_eq!(plan.resolve(items[2]).unwrap(), plan.resolve(items[1]).unwrap());
    }

    #[test]
    fn unknown_forms_and_tags_are_errors() {
        assert!(parse_text(r#"{"py/object": "x.Y"}"#).is_err());
        assert!(parse_text(r#"{"py/reduce": [{"py/type": "x.Y"}, {"py/tuple": []}], "brinery/form": "nope"}"#).is_err());
        assert!(parse_text(r#"{"py/id": 0}"#).is_ok()); // resolved (and found missing) later
        assert!(parse_text(r#"{"py/reduce": [1]}"#).is_err());
    }
}
