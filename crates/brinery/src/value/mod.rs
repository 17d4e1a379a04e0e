//! The value model: an inert, thread-safe picture of a Python object graph.
//!
//! A pickle is a graph: objects can be shared (`[a, a]`) and can contain
//! themselves (`l.append(l)`). [`Value`] keeps both. Every object that has an
//! identity in Python (str, bytes, containers, instances) is reference-counted,
//! so sharing survives a load → dump round trip byte for byte. A reference back
//! to an object that is still being built (a cycle) is a [`Value::Cycle`]: a
//! weak handle, so cyclic graphs are freed like any other value.
//!
//! ```
//! use brinery::Value;
//!
//! let v = Value::dict([("name", Value::from("brinery")), ("tags", Value::list(["a", "b"]))]);
//! assert_eq!(v["name"].as_str(), Some("brinery"));
//! assert_eq!(v["tags"][1].as_str(), Some("b"));
//! assert_eq!(v.to_string(), "{'name': 'brinery', 'tags': ['a', 'b']}");
//! ```

mod cycle;
pub(crate) mod eq;
mod from;
mod int;
mod object;
mod printable_table;
pub(crate) mod repr;
pub use repr::ReprOptions;
mod text;

pub use cycle::Cycle;
pub(crate) use cycle::{CycleKind, PendingTarget};
pub(crate) use eq::{dedup_items, dedup_pair_tail, dedup_pairs};
pub use int::Int;
pub use object::{Buffer, BufferData, Constructor, Global, Object, ObjectData, Update};
pub(crate) use text::encode_code_point;
pub(crate) use text::{decode_error_text, first_utf8_error};
pub use text::{push_code_point, utf8_decode_error, Bytes, CodePoints, InvalidText, Str};

use std::sync::Arc;

/// A Python value as pickle sees it. See the [module docs](self).
///
/// `'a` is the lifetime of the input bytes when loading borrows from a slice;
/// values built in Rust or loaded from a reader are `Value<'static>`.
#[derive(Clone, Debug)]
pub enum Value<'a> {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// `int`, arbitrary precision.
    Int(Int),
    /// `float`.
    Float(f64),
    /// `complex` (pickled through `builtins.complex`).
    Complex {
        /// Real part.
        re: f64,
        /// Imaginary part.
        im: f64,
    },
    /// `str`.
    Str(Str<'a>),
    /// `bytes`.
    Bytes(Bytes<'a>),
    /// `bytearray`.
    ByteArray(ByteArray<'a>),
    /// `tuple`.
    Tuple(Seq<'a>),
    /// `list`.
    List(Seq<'a>),
    /// `dict`, in insertion order.
    Dict(Dict<'a>),
    /// `set`, in the order the pickle listed its items.
    Set(Seq<'a>),
    /// `frozenset`, in the order the pickle listed its items.
    FrozenSet(Seq<'a>),
    /// A module-level name: a class, function or other global (`module.qualname`).
    Global(Global<'a>),
    /// A class instance or other object built by a constructor call, kept inert.
    Object(Object<'a>),
    /// A protocol-5 out-of-band or in-band `PickleBuffer`.
    Buffer(Buffer<'a>),
    /// A reference back to a container that encloses this one.
    Cycle(Cycle<'a>),
}

/// The items of a tuple, list, set or frozenset; cheap to clone (shared).
pub type Seq<'a> = Shared<[Value<'a>]>;

/// The items of a dict, as `(key, value)` pairs in insertion order.
pub type Dict<'a> = Shared<[(Value<'a>, Value<'a>)]>;

/// The bytes of a bytearray (a distinct type from [`Bytes`], as in Python).
pub type ByteArray<'a> = Shared<std::borrow::Cow<'a, [u8]>>;

/// A reference-counted, immutable object with an identity: two values are
/// "the same object" when they share the same allocation.
///
/// Sequences are one allocation each (`Shared<[T]>`), built from a `Vec` or
/// an iterator:
///
/// ```
/// use brinery::value::Shared;
/// let a: Shared<[i32]> = Shared::from(vec![1, 2]);
/// let b = a.clone();
/// assert!(Shared::ptr_eq(&a, &b));
/// assert_eq!(&*a, &[1, 2]);
/// let c: Shared<[i32]> = (1..=2).collect();
/// assert!(!Shared::ptr_eq(&a, &c));
/// ```
pub struct Shared<T: ?Sized>(pub(crate) Arc<T>);

impl<T: ?Sized> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Shared").field(&&*self.0).finish()
    }
}

impl<T> Shared<T> {
    /// Wraps a value in a new shared object.
    pub fn new(value: T) -> Shared<T> {
        Shared(Arc::new(value))
    }
}

impl<T: ?Sized> Shared<T> {
    /// Whether two handles are the same object.
    pub fn ptr_eq(a: &Shared<T>, b: &Shared<T>) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// The object's identity (an address, like Python's `id()`).
    pub fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as *const u8 as usize
    }

    /// How many strong and weak handles to the object exist.
    #[inline]
    pub(crate) fn ref_counts(&self) -> (usize, usize) {
        (Arc::strong_count(&self.0), Arc::weak_count(&self.0))
    }
}

impl<T: ?Sized> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<Vec<T>> for Shared<[T]> {
    /// The items as one shared slice (one allocation; the vector's is freed).
    fn from(items: Vec<T>) -> Shared<[T]> {
        Shared(Arc::from(items))
    }
}

impl<T> FromIterator<T> for Shared<[T]> {
    /// Collects into one allocation when the iterator knows its exact length
    /// (a `Vec`'s drain or `into_iter`, a range, their `map`s).
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Shared<[T]> {
        Shared(items.into_iter().collect())
    }
}

static NONE: Value<'static> = Value::None;

impl<'a> Value<'a> {
    /// A `bytes` value.
    pub fn bytes(data: impl Into<std::borrow::Cow<'a, [u8]>>) -> Value<'a> {
        Value::Bytes(Bytes::new(data))
    }

    /// A `bytearray` value.
    pub fn bytearray(data: impl Into<std::borrow::Cow<'a, [u8]>>) -> Value<'a> {
        Value::ByteArray(Shared::new(data.into()))
    }

    /// A `list` from anything that converts into values.
    pub fn list<T: Into<Value<'a>>>(items: impl IntoIterator<Item = T>) -> Value<'a> {
        Value::List(items.into_iter().map(Into::into).collect())
    }

    /// A `tuple` from anything that converts into values.
    pub fn tuple<T: Into<Value<'a>>>(items: impl IntoIterator<Item = T>) -> Value<'a> {
        Value::Tuple(items.into_iter().map(Into::into).collect())
    }

    /// A `set`. Items equal in Python (`1`, `1.0`, `True`) are kept once.
    pub fn set<T: Into<Value<'a>>>(items: impl IntoIterator<Item = T>) -> Value<'a> {
        Value::Set(eq::dedup_items(items.into_iter().map(Into::into)))
    }

    /// A `frozenset`. Items equal in Python are kept once.
    pub fn frozenset<T: Into<Value<'a>>>(items: impl IntoIterator<Item = T>) -> Value<'a> {
        Value::FrozenSet(eq::dedup_items(items.into_iter().map(Into::into)))
    }

    /// A `dict` from key/value pairs. As in Python, a repeated key keeps its
    /// first position and its last value.
    pub fn dict<K: Into<Value<'a>>, V: Into<Value<'a>>>(pairs: impl IntoIterator<Item = (K, V)>) -> Value<'a> {
        Value::Dict(eq::dedup_pairs(pairs.into_iter().map(|(k, v)| (k.into(), v.into()))))
    }

    /// A global (`module.qualname`), e.g. a class.
    pub fn global(module: impl Into<Str<'a>>, name: impl Into<Str<'a>>) -> Value<'a> {
        Value::Global(Global::new(module, name))
    }

    /// Python's name for the value's type (`"int"`, `"dict"`, …; `"object"` for instances).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Complex { .. } => "complex",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::ByteArray(_) => "bytearray",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::FrozenSet(_) => "frozenset",
            Value::Global(_) => "global",
            Value::Object(_) => "object",
            Value::Buffer(_) => "PickleBuffer",
            Value::Cycle(c) => c.type_name(),
        }
    }

    /// Whether this is `None`.
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// The bool, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The int, if this is one (bools are not ints here, unlike Python).
    pub fn as_int(&self) -> Option<&Int> {
        match self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The int as `i64`, if this is an int that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_int().and_then(Int::as_i64)
    }

    /// The float, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The text, if this is a `str` without lone surrogates.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => s.as_str(),
            _ => None,
        }
    }

    /// The `str`, if this is one.
    pub fn as_py_str(&self) -> Option<&Str<'a>> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a `bytes` or `bytearray`.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b.as_slice()),
            Value::ByteArray(b) => Some(b),
            _ => None,
        }
    }

    /// The items of a list, tuple, set or frozenset.
    pub fn as_seq(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::List(s) | Value::Tuple(s) | Value::Set(s) | Value::FrozenSet(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a list.
    pub fn as_list(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::List(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a tuple.
    pub fn as_tuple(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Tuple(s) => Some(s),
            _ => None,
        }
    }

    /// The pairs of a dict.
    pub fn as_dict(&self) -> Option<&[(Value<'a>, Value<'a>)]> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The object, if this is a class instance or other constructed object.
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The global, if this is one.
    pub fn as_global(&self) -> Option<&Global<'a>> {
        match self {
            Value::Global(g) => Some(g),
            _ => None,
        }
    }

    /// Looks a key up in a dict (Python equality: `1`, `1.0` and `True` are the same key).
    ///
    /// ```
    /// use brinery::Value;
    /// let d = Value::dict([(Value::from(1), "one")]);
    /// assert_eq!(d.get(&Value::from(1.0)).and_then(Value::as_str), Some("one"));
    /// ```
    pub fn get(&self, key: &Value<'_>) -> Option<&Value<'a>> {
        self.as_dict()?.iter().find(|(k, _)| eq::py_eq(k, key)).map(|(_, v)| v)
    }

    /// Looks a `str` key up in a dict.
    pub fn get_str(&self, key: &str) -> Option<&Value<'a>> {
        self.as_dict()?.iter().find(|(k, _)| matches!(k, Value::Str(s) if s == key)).map(|(_, v)| v)
    }

    /// Number of items of a container (`len()`), or `None` for other values.
    pub fn len(&self) -> Option<usize> {
        match self {
            Value::List(s) | Value::Tuple(s) | Value::Set(s) | Value::FrozenSet(s) => Some(s.len()),
            Value::Dict(d) => Some(d.len()),
            Value::Str(s) => Some(s.char_count()),
            Value::Bytes(b) => Some(b.len()),
            Value::ByteArray(b) => Some(b.len()),
            _ => None,
        }
    }

    /// Whether a container (or str/bytes) is empty; `None` for other values.
    pub fn is_empty(&self) -> Option<bool> {
        self.len().map(|n| n == 0)
    }

    /// The object identity for values that have one in Python (str, bytes,
    /// containers, objects, …); `None` for atoms (None, bool, int, float).
    pub fn identity(&self) -> Option<usize> {
        Some(match self {
            Value::Str(s) => s.identity(),
            Value::Bytes(b) => b.identity(),
            Value::ByteArray(b) => b.identity(),
            Value::Tuple(s) | Value::List(s) | Value::Set(s) | Value::FrozenSet(s) => s.identity(),
            Value::Dict(d) => d.identity(),
            Value::Object(o) => o.0.identity(),
            Value::Global(g) => g.0.identity(),
            Value::Buffer(b) => b.0.identity(),
            Value::Cycle(c) => c.identity(),
            _ => return None,
        })
    }

    /// Strong and weak handle counts of an object with identity (the
    /// reference-counted ones); `None` for atoms, globals and cycles.
    #[inline]
    fn ref_counts(&self) -> Option<(usize, usize)> {
        Some(match self {
            Value::Str(s) => s.ref_counts(),
            Value::Bytes(b) => b.ref_counts(),
            Value::ByteArray(b) => b.ref_counts(),
            Value::Tuple(s) | Value::List(s) | Value::Set(s) | Value::FrozenSet(s) => s.ref_counts(),
            Value::Dict(d) => d.ref_counts(),
            Value::Object(o) => o.0.ref_counts(),
            Value::Buffer(b) => b.0.ref_counts(),
            _ => return None,
        })
    }

    /// Whether this is the only reference to an object with identity, so a
    /// walk over the graph meets it exactly once.
    #[inline]
    pub(crate) fn is_unique_ref(&self) -> bool {
        self.ref_counts() == Some((1, 0))
    }

    /// Whether a [`Value::Cycle`] somewhere points at this object (only
    /// containers and objects can be cycle targets).
    #[inline]
    pub(crate) fn is_cycle_target(&self) -> bool {
        self.ref_counts().is_some_and(|(_, weak)| weak > 0)
    }

    /// A copy that borrows nothing from the input, keeping sharing and cycles.
    pub fn into_owned(self) -> Value<'static> {
        crate::value::from::to_owned_graph(&self)
    }
}

impl<'a> std::ops::Index<usize> for Value<'a> {
    type Output = Value<'a>;
    /// Item `i` of a list or tuple; `None` when out of range or not a sequence.
    fn index(&self, i: usize) -> &Value<'a> {
        self.as_seq().and_then(|s| s.get(i)).unwrap_or(&NONE)
    }
}

impl<'a> std::ops::Index<&str> for Value<'a> {
    type Output = Value<'a>;
    /// The value under a `str` key of a dict; `None` when missing or not a dict.
    fn index(&self, key: &str) -> &Value<'a> {
        self.get_str(key).unwrap_or(&NONE)
    }
}

impl PartialEq for Value<'_> {
    /// Python's `==`, structurally: `1 == 1.0 == True`, sets compare by content,
    /// dicts by content regardless of order, objects by identity.
    fn eq(&self, other: &Value<'_>) -> bool {
        eq::py_eq(self, other)
    }
}
