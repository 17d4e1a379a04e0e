//! Conversions into [`Value`], and the deep copy behind [`Value::into_owned`].

use super::{
    Buffer, BufferData, Bytes, Constructor, CycleKind, Global, Int, Object, ObjectData, PendingTarget, Shared, Str,
    Update, Value,
};
use std::borrow::Cow;
use std::collections::HashMap;

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            fn from(v: $t) -> Self { Value::Int(Int::from(v)) }
        }
    )*};
}
value_from_int!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

impl From<num_bigint::BigInt> for Value<'_> {
    fn from(v: num_bigint::BigInt) -> Self {
        Value::Int(Int::from(v))
    }
}

impl From<Int> for Value<'_> {
    fn from(v: Int) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value<'_> {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<f32> for Value<'_> {
    fn from(v: f32) -> Self {
        Value::Float(v as f64)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Str(Str::new(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Str(Str::new(s))
    }
}

impl<'a> From<Str<'a>> for Value<'a> {
    fn from(s: Str<'a>) -> Self {
        Value::Str(s)
    }
}

impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(b: &'a [u8]) -> Self {
        Value::Bytes(Bytes::new(b))
    }
}

impl<'a> From<Bytes<'a>> for Value<'a> {
    fn from(b: Bytes<'a>) -> Self {
        Value::Bytes(b)
    }
}

impl<'a> From<Global<'a>> for Value<'a> {
    fn from(g: Global<'a>) -> Self {
        Value::Global(g)
    }
}

impl<'a> From<Object<'a>> for Value<'a> {
    fn from(o: Object<'a>) -> Self {
        Value::Object(o)
    }
}

impl<'a> From<Vec<Value<'a>>> for Value<'a> {
    /// A list.
    fn from(items: Vec<Value<'a>>) -> Self {
        Value::List(Shared::from(items))
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    /// `None`, or the value.
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::None, Into::into)
    }
}

impl<'a, A: Into<Value<'a>>, B: Into<Value<'a>>> From<(A, B)> for Value<'a> {
    /// A 2-tuple.
    fn from((a, b): (A, B)) -> Self {
        Value::Tuple(Shared::from(vec![a.into(), b.into()]))
    }
}

impl<'a, A: Into<Value<'a>>, B: Into<Value<'a>>, C: Into<Value<'a>>> From<(A, B, C)> for Value<'a> {
    /// A 3-tuple.
    fn from((a, b, c): (A, B, C)) -> Self {
        Value::Tuple(Shared::from(vec![a.into(), b.into(), c.into()]))
    }
}

/// Deep-copies a graph so it borrows nothing, keeping sharing and cycles.
pub(crate) fn to_owned_graph(v: &Value<'_>) -> Value<'static> {
    let mut copier = Copier { done: HashMap::new(), open: HashMap::new() };
    copier.copy(v)
}

struct Copier {
    /// Identity in the source → finished copy.
    done: HashMap<usize, Value<'static>>,
    /// Identity in the source → back-reference to a copy still being built.
    open: HashMap<usize, PendingTarget<'static>>,
}

impl Copier {
    fn copy(&mut self, v: &Value<'_>) -> Value<'static> {
        crate::stack::guard(|| self.copy_one(v))
    }

    fn copy_one(&mut self, v: &Value<'_>) -> Value<'static> {
        let source = match v {
            Value::Cycle(c) => match c.upgrade() {
                Some(target) => return self.copy_resolved(&target),
                None => return Value::None,
            },
            other => other,
        };
        self.copy_resolved(source)
    }

    fn copy_resolved(&mut self, v: &Value<'_>) -> Value<'static> {
        if let Some(id) = v.identity() {
            if let Some(done) = self.done.get(&id) {
                return done.clone();
            }
            if let Some(open) = self.open.get_mut(&id) {
                return Value::Cycle(open.back_ref());
            }
        }
        let copy = match v {
            Value::None => Value::None,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(i.clone()),
            Value::Float(f) => Value::Float(*f),
            Value::Complex { re, im } => Value::Complex { re: *re, im: *im },
            Value::Str(s) => Value::Str(s.clone().into_owned()),
            Value::Bytes(b) => Value::Bytes(b.clone().into_owned()),
            Value::ByteArray(b) => Value::ByteArray(Shared::new(Cow::Owned(b.to_vec()))),
            Value::Global(g) => {
                Value::Global(Global::new(g.module_str().clone().into_owned(), g.name_str().clone().into_owned()))
            }
            Value::Buffer(b) => Value::Buffer(Buffer::from_data(BufferData {
                index: b.0.index,
                data: b.0.data.clone().map(Bytes::into_owned),
                readonly: b.0.readonly,
            })),
            Value::Tuple(s) => self.container(v, |c| Value::Tuple(s.iter().map(|i| c.copy(i)).collect())),
            Value::List(s) => self.container(v, |c| Value::List(s.iter().map(|i| c.copy(i)).collect())),
            Value::Set(s) => self.container(v, |c| Value::Set(s.iter().map(|i| c.copy(i)).collect())),
            Value::FrozenSet(s) => self.container(v, |c| Value::FrozenSet(s.iter().map(|i| c.copy(i)).collect())),
            Value::Dict(d) => {
                self.container(v, |c| Value::Dict(d.iter().map(|(k, val)| (c.copy(k), c.copy(val))).collect()))
            }
            Value::Object(o) => self.container(v, |c| {
                let data = ObjectData {
                    constructor: c.constructor(&o.0.constructor),
                    updates: o.0.updates.iter().map(|u| c.update(u)).collect(),
                };
                Value::Object(Object(Shared::new(data)))
            }),
            Value::Cycle(_) => unreachable!("cycles are resolved by copy()"),
        };
        if let Some(id) = v.identity() {
            self.done.insert(id, copy.clone());
        }
        copy
    }

    /// Copies container `v` with `build`; references back to `v` met while
    /// building become back-references to the copy.
    fn container(&mut self, v: &Value<'_>, build: impl FnOnce(&mut Self) -> Value<'static>) -> Value<'static> {
        let id = v.identity().expect("containers have an identity");
        let kind = CycleKind::of(v).expect("a container");
        self.open.insert(id, PendingTarget::new(kind));
        let copy = build(self);
        if let Some(pending) = self.open.remove(&id) {
            pending.finish(&copy);
        }
        copy
    }

    fn constructor(&mut self, c: &Constructor<'_>) -> Constructor<'static> {
        match c {
            Constructor::Reduce { callable, args } => {
                Constructor::Reduce { callable: self.copy(callable), args: self.copy(args) }
            }
            Constructor::NewObj { cls, args } => Constructor::NewObj { cls: self.copy(cls), args: self.copy(args) },
            Constructor::NewObjEx { cls, args, kwargs } => {
                Constructor::NewObjEx { cls: self.copy(cls), args: self.copy(args), kwargs: self.copy(kwargs) }
            }
            Constructor::Inst { class, args } => Constructor::Inst {
                class: Global::new(class.module_str().clone().into_owned(), class.name_str().clone().into_owned()),
                args: args.iter().map(|a| self.copy(a)).collect(),
            },
            Constructor::Obj { cls, args } => {
                Constructor::Obj { cls: self.copy(cls), args: args.iter().map(|a| self.copy(a)).collect() }
            }
            Constructor::Persistent { pid, text } => Constructor::Persistent { pid: self.copy(pid), text: *text },
        }
    }

    fn update(&mut self, u: &Update<'_>) -> Update<'static> {
        match u {
            Update::Build(s) => Update::Build(self.copy(s)),
            Update::Append(v) => Update::Append(self.copy(v)),
            Update::SetItem(k, v) => Update::SetItem(self.copy(k), self.copy(v)),
        }
    }
}
