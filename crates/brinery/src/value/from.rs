//! Conversions into [`Value`], and the deep copy behind [`Value::into_owned`].

use super::{
    Buffer, BufferData, Bytes, Constructor, Cycle, Global, Int, Object, ObjectData, Shared, Str, Update, Value,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

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
        Value::List(Shared::new(items))
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
        Value::Tuple(Shared::new(vec![a.into(), b.into()]))
    }
}

impl<'a, A: Into<Value<'a>>, B: Into<Value<'a>>, C: Into<Value<'a>>> From<(A, B, C)> for Value<'a> {
    /// A 3-tuple.
    fn from((a, b, c): (A, B, C)) -> Self {
        Value::Tuple(Shared::new(vec![a.into(), b.into(), c.into()]))
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
    open: HashMap<usize, Cycle<'static>>,
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
            if let Some(open) = self.open.get(&id) {
                return Value::Cycle(open.clone());
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
            Value::Tuple(s) => Value::Tuple(self.seq(v, s, Cycle::Tuple)),
            Value::List(s) => Value::List(self.seq(v, s, Cycle::List)),
            Value::Set(s) => Value::Set(self.seq(v, s, Cycle::Set)),
            Value::FrozenSet(s) => Value::FrozenSet(self.seq(v, s, Cycle::FrozenSet)),
            Value::Dict(d) => {
                let id = v.identity().unwrap();
                Value::Dict(Shared(Arc::new_cyclic(|weak| {
                    self.open.insert(id, Cycle::Dict(weak.clone()));
                    let pairs = d.iter().map(|(k, val)| (self.copy(k), self.copy(val))).collect();
                    self.open.remove(&id);
                    pairs
                })))
            }
            Value::Object(o) => {
                let id = v.identity().unwrap();
                Value::Object(Object(Shared(Arc::new_cyclic(|weak| {
                    self.open.insert(id, Cycle::Object(weak.clone()));
                    let data = ObjectData {
                        constructor: self.constructor(&o.0.constructor),
                        updates: o.0.updates.iter().map(|u| self.update(u)).collect(),
                    };
                    self.open.remove(&id);
                    data
                }))))
            }
            Value::Cycle(_) => unreachable!("cycles are resolved by copy()"),
        };
        if let Some(id) = v.identity() {
            self.done.insert(id, copy.clone());
        }
        copy
    }

    fn seq(
        &mut self,
        v: &Value<'_>,
        items: &[Value<'_>],
        back: fn(std::sync::Weak<Vec<Value<'static>>>) -> Cycle<'static>,
    ) -> Shared<Vec<Value<'static>>> {
        let id = v.identity().unwrap();
        Shared(Arc::new_cyclic(|weak| {
            self.open.insert(id, back(weak.clone()));
            let out = items.iter().map(|i| self.copy(i)).collect();
            self.open.remove(&id);
            out
        }))
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
