//! Value graph → tagged JSON tree.
//!
//! The walk writes the JSON in the order jsonpickle restores it, and counts
//! what jsonpickle registers on the way (every list, plain dict and
//! `py/reduce`), so that a `py/id` written here names the object jsonpickle's
//! `Unpickler._objs` holds at that index. Objects that can be met twice but
//! that jsonpickle would not register in their plain form (a shared tuple,
//! set, str or bytes) are written as a registered `py/reduce` of their own
//! type the first time, and as `py/id` afterwards.

use super::names::{copy_str, global_json, key};
use super::tags::{self, Form};
use super::{base64, EncodeOptions, Error};
use crate::value::{Buffer, Constructor, Int, Object, Shared, Str, Update, Value};
use std::collections::{HashMap, HashSet};

type Json = Value<'static>;

/// Ints with more decimal digits than this cannot be read by Python's
/// `json.loads` (`sys.get_int_max_str_digits()`); they are written as
/// `int(hex, 16)`, which has no such limit.
const MAX_INT_DIGITS: usize = 4300;

pub(super) fn encode(value: &Value<'_>, opts: &EncodeOptions) -> Result<Json, Error> {
    let mut encoder = Encoder { opts, next: 0, seen: HashMap::new(), open: HashSet::new(), patchable: false, depth: 0 };
    encoder.value(value)
}

struct Encoder<'o> {
    opts: &'o EncodeOptions,
    /// The index jsonpickle gives the next object it registers.
    next: usize,
    /// Registration index of each object written so far that may be met
    /// again (shared, or the target of a cycle), by identity.
    seen: HashMap<usize, usize>,
    /// Registration indices of the `py/reduce`s being written: until one is
    /// finished, jsonpickle hands out a placeholder for it.
    open: HashSet<usize>,
    /// Whether the value being written is a list item or a plain dict value,
    /// the places where jsonpickle swaps placeholders for the finished object.
    patchable: bool,
    depth: usize,
}

impl Encoder<'_> {
    fn value(&mut self, v: &Value<'_>) -> Result<Json, Error> {
        let patchable = std::mem::take(&mut self.patchable);
        self.depth += 1;
        let r = crate::stack::guard_at(self.depth, || self.value_inner(v, patchable));
        self.depth -= 1;
        r
    }

    /// A list item or plain dict value (see [`Encoder::patchable`]).
    fn patchable_value(&mut self, v: &Value<'_>) -> Result<Json, Error> {
        self.patchable = true;
        self.value(v)
    }

    fn value_inner(&mut self, v: &Value<'_>, patchable: bool) -> Result<Json, Error> {
        if let Some(&index) = v.identity().and_then(|id| self.seen.get(&id)) {
            if self.opts.strict && !patchable && self.open.contains(&index) {
                return Err(Error(format!(
                    "a reference back to a {} jsonpickle is still restoring, from a place where it keeps a \
                     placeholder (a tuple, set, or reduce argument, state or item); brinery restores it, jsonpickle does not",
                    v.type_name()
                )));
            }
            return Ok(tagged(tags::ID, Value::from(index as i64)));
        }
        Ok(match v {
            Value::None => Value::None,
            Value::Bool(b) => Value::Bool(*b),
            Value::Float(f) => Value::Float(*f),
            Value::Int(i) => self.int(i),
            Value::Complex { re, im } => {
                self.next += 1;
                reduce(vec![builtin("complex"), tuple(vec![Value::Float(*re), Value::Float(*im)])], None)
            }
            Value::Str(s) => self.str(v, s),
            Value::Bytes(b) => {
                if b.len() <= 1 || b.is_unique() {
                    b64(b.as_slice())
                } else {
                    // bytes(b) is b: registers the very object.
                    self.register(v);
                    reduce(vec![builtin("bytes"), tuple(vec![b64(b.as_slice())])], None)
                }
            }
            Value::ByteArray(b) => {
                self.register(v);
                reduce(vec![builtin("bytearray"), tuple(vec![b64(b)])], None)
            }
            Value::Tuple(items) => {
                if items.is_empty() || v.is_unique_ref() {
                    tuple(self.values(items)?)
                } else {
                    // tuple(t) is t.
                    let index = self.register_open(v);
                    let inner = tuple(self.values(items)?);
                    self.close(index, reduce(vec![builtin("tuple"), tuple(vec![inner])], None))
                }
            }
            Value::List(items) => {
                self.register(v);
                let items = items.iter().map(|item| self.patchable_value(item)).collect::<Result<Vec<_>, _>>()?;
                Value::List(Shared::from(items))
            }
            Value::Dict(pairs) => self.dict(v, pairs)?,
            Value::Set(items) if v.is_unique_ref() => tagged(tags::SET, Value::List(Shared::from(self.values(items)?))),
            Value::Set(items) | Value::FrozenSet(items) => {
                let index = self.register_open(v);
                let name = if matches!(v, Value::Set(_)) { "set" } else { "frozenset" };
                let inner = tuple(self.values(items)?);
                self.close(index, reduce(vec![builtin(name), tuple(vec![inner])], None))
            }
            Value::Global(g) => global_json(g.module_str(), g.name_str()),
            Value::Object(o) => {
                let index = self.register_open(v);
                let json = self.object(o)?;
                self.close(index, json)
            }
            Value::Buffer(b) => {
                self.register(v);
                buffer(b)?
            }
            Value::Cycle(c) => {
                return Err(Error(format!(
                    "a reference back to a {} that is not an enclosing container",
                    c.type_name()
                )))
            }
        })
    }

    fn values(&mut self, items: &[Value<'_>]) -> Result<Vec<Json>, Error> {
        items.iter().map(|item| self.value(item)).collect()
    }

    /// Counts one registration by jsonpickle; remembers its index when the
    /// object can be met again.
    fn register(&mut self, v: &Value<'_>) -> usize {
        let index = self.next;
        self.next += 1;
        if !v.is_unique_ref() {
            if let Some(id) = v.identity() {
                self.seen.insert(id, index);
            }
        }
        index
    }

    /// [`Encoder::register`] for a `py/reduce` whose contents follow.
    fn register_open(&mut self, v: &Value<'_>) -> usize {
        let index = self.register(v);
        self.open.insert(index);
        index
    }

    /// The `py/reduce` registered as `index` is written.
    fn close(&mut self, index: usize, json: Json) -> Json {
        self.open.remove(&index);
        json
    }

    fn int(&mut self, i: &Int) -> Json {
        // 4300 digits need more than 14000 bits; only then is the text needed.
        if i.bit_length() > 14_000 && i.to_string().trim_start_matches('-').len() > MAX_INT_DIGITS {
            self.next += 1;
            let big = i.to_bigint();
            let sign = if i.is_negative() { "-" } else { "" };
            let hex = format!("{sign}{}", big.magnitude().to_str_radix(16));
            return reduce(vec![builtin("int"), tuple(vec![Value::Str(Str::from(hex)), Value::from(16)])], None);
        }
        Value::Int(i.clone())
    }

    /// A str: its text, unless it is an object other values share (pickle
    /// writes those once and then refers to them).
    ///
    /// Interned strings (attribute names) are rebuilt by the decoder the way
    /// the loader makes them, and CPython shares empty and one-character
    /// latin-1 strings by value, so neither needs an identity.
    fn str(&mut self, v: &Value<'_>, s: &Str<'_>) -> Json {
        if s.is_interned() || s.is_latin1_singleton() || s.is_unique() {
            return copy_str(s);
        }
        // str(s) is s: registers the very object.
        self.register(v);
        reduce(vec![builtin("str"), tuple(vec![copy_str(s)])], None)
    }

    /// A dict: a plain JSON object when every key is a str jsonpickle reads
    /// back as that str, else `dict()` with its items as the reduce's dict items.
    fn dict(&mut self, v: &Value<'_>, pairs: &[(Value<'_>, Value<'_>)]) -> Result<Json, Error> {
        let plain = pairs.iter().all(|(k, _)| match k {
            Value::Str(s) => {
                let text = s.as_surrogatepass();
                (s.is_interned() || s.is_latin1_singleton() || s.is_unique())
                    && !text.starts_with(b"py/")
                    && !text.starts_with(tags::JSON_KEY.as_bytes())
            }
            _ => false,
        });
        if plain {
            self.register(v);
            let mut out = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                let Value::Str(s) = k else { unreachable!("checked above") };
                out.push((copy_str(s), self.patchable_value(v)?));
            }
            return Ok(Value::Dict(Shared::from(out)));
        }
        let index = self.register_open(v);
        let items = self.pairs(pairs.iter().map(|(k, v)| (k, v)))?;
        Ok(self.close(index, reduce(vec![builtin("dict"), tuple(Vec::new()), Value::None, Value::None, items], None)))
    }

    /// Key/value pairs as a tuple of 2-tuples (reduce dict items).
    fn pairs<'v, 'a: 'v>(
        &mut self,
        pairs: impl Iterator<Item = (&'v Value<'a>, &'v Value<'a>)>,
    ) -> Result<Json, Error> {
        let mut out = Vec::new();
        for (k, v) in pairs {
            let k = self.value(k)?;
            let v = self.value(v)?;
            out.push(tuple(vec![k, v]));
        }
        Ok(tuple(out))
    }

    /// `{"py/reduce": [callable, args, state, listitems, dictitems]}`, plus the
    /// form when the callable alone does not tell it.
    fn object(&mut self, o: &Object<'_>) -> Result<Json, Error> {
        let updates = Updates::of(o.updates())?;
        let mut form = None;
        let (callable, args) = match o.constructor() {
            Constructor::Reduce { callable, args } => {
                if decoder_would_read_as_value(callable) {
                    form = Some(Form::Reduce);
                }
                (self.value(callable)?, self.value(args)?)
            }
            Constructor::NewObj { cls, args } => {
                // jsonpickle's NEWOBJ takes the class and the arguments in one tuple.
                let args = match args {
                    Value::Tuple(items) if items.is_empty() || args.is_unique_ref() => items,
                    _ => {
                        return Err(Error(format!(
                            "NEWOBJ arguments must be a tuple nothing else refers to, not a shared {}",
                            args.type_name()
                        )))
                    }
                };
                let mut all = vec![self.value(cls)?];
                all.extend(self.values(args)?);
                (Value::Str(Str::from(tags::NEWOBJ)), tuple(all))
            }
            Constructor::NewObjEx { cls, args, kwargs } => {
                form = Some(Form::NewObjEx);
                let callable = global_json(&Str::from("copyreg"), &Str::from("__newobj_ex__"));
                (callable, tuple(vec![self.value(cls)?, self.value(args)?, self.value(kwargs)?]))
            }
            Constructor::Inst { class, args } => {
                form = Some(Form::Inst);
                self.instantiate(global_json(class.module_str(), class.name_str()), args)?
            }
            Constructor::Obj { cls, args } => {
                form = Some(Form::Obj);
                let cls = self.value(cls)?;
                self.instantiate(cls, args)?
            }
            Constructor::Persistent { pid, text } => {
                form = Some(if *text { Form::PersistentText } else { Form::Persistent });
                let Some((module, name)) = &self.opts.persistent_load else {
                    return Err(Error(
                        "a persistent id has no jsonpickle form: set EncodeOptions::persistent_load to the \
                         module-level function that loads it"
                            .into(),
                    ));
                };
                let callable = global_json(&Str::from(module.as_str()), &Str::from(name.as_str()));
                (callable, tuple(vec![self.value(pid)?]))
            }
        };
        // jsonpickle restores the state before the items, so it is written (and counted) first.
        let state = match updates.state {
            Some(s) => self.value(s)?,
            None => Value::None,
        };
        let list = match updates.appends.is_empty() {
            true => Value::None,
            false => tuple(updates.appends.iter().map(|v| self.value(v)).collect::<Result<_, _>>()?),
        };
        let dict = match updates.setitems.is_empty() {
            true => Value::None,
            false => self.pairs(updates.setitems.iter().map(|&(k, v)| (k, v)))?,
        };
        let mut parts = vec![callable, args, state, list, dict];
        while parts.len() > 2 && parts.last().is_some_and(Value::is_none) {
            parts.pop();
        }
        Ok(reduce(parts, form))
    }

    /// INST/OBJ: `cls(*args)`, or `cls.__new__(cls)` without arguments (what
    /// pickle does for a class without `__getinitargs__`).
    fn instantiate(&mut self, cls: Json, args: &[Value<'_>]) -> Result<(Json, Json), Error> {
        if args.is_empty() {
            return Ok((Value::Str(Str::from(tags::NEWOBJ)), tuple(vec![cls])));
        }
        Ok((cls, tuple(self.values(args)?)))
    }
}

/// An object's updates in the one order `py/reduce` can express, which is
/// the order CPython's pickler writes them: appends, then set items, then
/// one BUILD.
struct Updates<'u, 'a> {
    appends: Vec<&'u Value<'a>>,
    setitems: Vec<(&'u Value<'a>, &'u Value<'a>)>,
    state: Option<&'u Value<'a>>,
}

impl<'u, 'a> Updates<'u, 'a> {
    fn of(updates: &'u [Update<'a>]) -> Result<Self, Error> {
        let mut out = Updates { appends: Vec::new(), setitems: Vec::new(), state: None };
        for u in updates {
            match u {
                Update::Append(v) if out.setitems.is_empty() && out.state.is_none() => out.appends.push(v),
                Update::SetItem(k, v) if out.state.is_none() => out.setitems.push((k, v)),
                Update::Build(Value::None) => {
                    return Err(Error("BUILD with the state None has no py/reduce form (null means no state)".into()))
                }
                Update::Build(s) if out.state.is_none() => out.state = Some(s),
                _ => {
                    return Err(Error(
                        "object updates out of the order py/reduce restores (appends, set items, one BUILD)".into(),
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// Whether the decoder reads `py/reduce` with this callable as a builtin
/// value rather than an object (see `plan.rs`); such objects carry their form.
fn decoder_would_read_as_value(callable: &Value<'_>) -> bool {
    match callable {
        Value::Global(g) => ["str", "tuple", "dict", "int"].iter().any(|n| g.is("builtins", n)),
        Value::Str(s) => s == tags::NEWOBJ,
        _ => false,
    }
}

/// A protocol-5 buffer: what `pickle.loads(..., buffers=...)` gives for it,
/// a `bytearray` (writable) or a read-only `memoryview`.
fn buffer(b: &Buffer<'_>) -> Result<Json, Error> {
    let data = b.data().ok_or_else(|| {
        Error(format!(
            "out-of-band buffer {} has no data: load the pickle with its buffers to write it as JSON",
            b.index()
        ))
    })?;
    let callable = if b.readonly() { "memoryview" } else { "bytearray" };
    Ok(reduce(vec![builtin(callable), tuple(vec![b64(data)])], Some(Form::Buffer)))
}

fn tagged(tag: &'static str, value: Json) -> Json {
    Value::Dict(Shared::from(vec![(key(tag), value)]))
}

fn tuple(items: Vec<Json>) -> Json {
    tagged(tags::TUPLE, Value::List(Shared::from(items)))
}

fn b64(data: &[u8]) -> Json {
    tagged(tags::B64, Value::Str(Str::from(base64::encode(data))))
}

fn builtin(name: &str) -> Json {
    global_json(&Str::from("builtins"), &Str::from(name))
}

fn reduce(parts: Vec<Json>, form: Option<Form>) -> Json {
    let mut pairs = vec![(key(tags::REDUCE), Value::List(Shared::from(parts)))];
    if let Some(form) = form {
        pairs.push((key(tags::FORM), Value::Str(Str::new(form.name()))));
    }
    Value::Dict(Shared::from(pairs))
}
