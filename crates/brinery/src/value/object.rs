//! Inert stand-ins for what a pickle would otherwise import and call:
//! globals, constructed objects and out-of-band buffers.

use super::{Bytes, Shared, Str, Value};

/// A module-level name such as a class or function: `module.qualname`.
///
/// Loading never imports it; it is only a name.
///
/// ```
/// use brinery::value::Global;
/// let g = Global::new("collections", "OrderedDict");
/// assert_eq!(g.module(), "collections");
/// assert_eq!(g.name(), "OrderedDict");
/// assert_eq!(g.to_string(), "collections.OrderedDict");
/// ```
#[derive(Clone, Debug)]
pub struct Global<'a>(pub(crate) Shared<(Str<'a>, Str<'a>)>);

impl<'a> Global<'a> {
    /// A global named by module and qualified name.
    pub fn new(module: impl Into<Str<'a>>, name: impl Into<Str<'a>>) -> Global<'a> {
        Global(Shared::new((module.into(), name.into())))
    }

    /// The module, as text (lone surrogates replaced).
    pub fn module(&self) -> std::borrow::Cow<'_, str> {
        self.0 .0 .0.to_string_lossy()
    }

    /// The qualified name, as text (lone surrogates replaced).
    pub fn name(&self) -> std::borrow::Cow<'_, str> {
        self.0 .0 .1.to_string_lossy()
    }

    /// The module as a Python `str`.
    pub fn module_str(&self) -> &Str<'a> {
        &self.0 .0 .0
    }

    /// The qualified name as a Python `str`.
    pub fn name_str(&self) -> &Str<'a> {
        &self.0 .0 .1
    }

    /// Whether this names `module.name`.
    pub fn is(&self, module: &str, name: &str) -> bool {
        self.0 .0 .0 == module && self.0 .0 .1 == name
    }
}

impl std::fmt::Display for Global<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.module(), self.name())
    }
}

/// An object the pickle would build by calling something: a class instance,
/// a `datetime`, a `Decimal`, an `OrderedDict`… Kept inert: what it would be
/// called with, and every update applied to it afterwards, in order.
///
/// ```
/// use brinery::value::{Constructor, Object, Update};
/// use brinery::Value;
///
/// let point = Object::new(
///     Constructor::NewObj { cls: Value::global("geometry", "Point"), args: Value::tuple(Vec::<Value>::new()) },
///     vec![Update::Build(Value::dict([("x", 1), ("y", 2)]))],
/// );
/// assert_eq!(point.class().unwrap().to_string(), "geometry.Point");
/// assert_eq!(point.state().unwrap()["y"].as_i64(), Some(2));
/// ```
#[derive(Clone, Debug)]
pub struct Object<'a>(pub(crate) Shared<ObjectData<'a>>);

/// What an [`Object`] is made of.
#[derive(Clone, Debug)]
pub struct ObjectData<'a> {
    /// How the object is created.
    pub constructor: Constructor<'a>,
    /// What happens to it after creation, in stream order.
    pub updates: Vec<Update<'a>>,
}

/// How an object is created, one variant per creating opcode.
#[derive(Clone, Debug)]
pub enum Constructor<'a> {
    /// REDUCE: `callable(*args)`.
    Reduce {
        /// What is called (usually a [`Value::Global`]).
        callable: Value<'a>,
        /// The argument tuple.
        args: Value<'a>,
    },
    /// NEWOBJ: `cls.__new__(cls, *args)`.
    NewObj {
        /// The class.
        cls: Value<'a>,
        /// The argument tuple.
        args: Value<'a>,
    },
    /// NEWOBJ_EX: `cls.__new__(cls, *args, **kwargs)`.
    NewObjEx {
        /// The class.
        cls: Value<'a>,
        /// The argument tuple.
        args: Value<'a>,
        /// The keyword-argument dict.
        kwargs: Value<'a>,
    },
    /// INST (protocol 0): `module.name(*args)`, the class named inline.
    Inst {
        /// The class.
        class: Global<'a>,
        /// The arguments.
        args: Vec<Value<'a>>,
    },
    /// OBJ (protocol 1): `cls(*args)`.
    Obj {
        /// The class.
        cls: Value<'a>,
        /// The arguments.
        args: Vec<Value<'a>>,
    },
    /// PERSID/BINPERSID with no persistent-load hook: the object the pickler
    /// kept out of the stream, known only by its persistent id.
    Persistent {
        /// The persistent id.
        pid: Value<'a>,
        /// Whether it was written as text (PERSID, protocol 0).
        text: bool,
    },
}

/// A change applied to an [`Object`] after it was created.
#[derive(Clone, Debug)]
pub enum Update<'a> {
    /// BUILD: `__setstate__(state)` or a `__dict__` update.
    Build(Value<'a>),
    /// APPEND/APPENDS on a list-like object.
    Append(Value<'a>),
    /// SETITEM/SETITEMS on a dict-like object.
    SetItem(Value<'a>, Value<'a>),
}

impl<'a> Object<'a> {
    /// An object from its constructor and updates.
    pub fn new(constructor: Constructor<'a>, updates: Vec<Update<'a>>) -> Object<'a> {
        Object(Shared::new(ObjectData { constructor, updates }))
    }

    /// The constructor.
    pub fn constructor(&self) -> &Constructor<'a> {
        &self.0.constructor
    }

    /// The updates, in stream order.
    pub fn updates(&self) -> &[Update<'a>] {
        &self.0.updates
    }

    /// The class this is an instance of, when that can be told without running
    /// anything: the class of NEWOBJ/NEWOBJ_EX/OBJ/INST, the callable of REDUCE,
    /// or the class argument of `copyreg._reconstructor`/`copyreg.__newobj__`.
    pub fn class(&self) -> Option<&Global<'a>> {
        match &self.0.constructor {
            Constructor::NewObj { cls, .. } | Constructor::NewObjEx { cls, .. } | Constructor::Obj { cls, .. } => {
                cls.as_global()
            }
            Constructor::Inst { class, .. } => Some(class),
            Constructor::Reduce { callable, args } => {
                let g = callable.as_global()?;
                if g.is("copyreg", "_reconstructor") || g.is("copyreg", "__newobj__") {
                    args.as_tuple()?.first()?.as_global()
                } else {
                    Some(g)
                }
            }
            Constructor::Persistent { .. } => None,
        }
    }

    /// The state given to the last BUILD, if any.
    pub fn state(&self) -> Option<&Value<'a>> {
        self.0.updates.iter().rev().find_map(|u| match u {
            Update::Build(s) => Some(s),
            _ => None,
        })
    }

    /// The instance attributes: the state dict, or the dict half of a
    /// `(dict, slots)` state, merged with the slots dict.
    pub fn attributes(&self) -> Vec<(&Value<'a>, &Value<'a>)> {
        let mut out = Vec::new();
        if let Some(state) = self.state() {
            match state {
                Value::Dict(d) => out.extend(d.iter().map(|(k, v)| (k, v))),
                Value::Tuple(t) if t.len() == 2 => {
                    for part in t.iter() {
                        if let Value::Dict(d) = part {
                            out.extend(d.iter().map(|(k, v)| (k, v)));
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Items appended to it (list subclasses, `deque`, …).
    pub fn list_items(&self) -> impl Iterator<Item = &Value<'a>> {
        self.0.updates.iter().filter_map(|u| match u {
            Update::Append(v) => Some(v),
            _ => None,
        })
    }

    /// Items set on it (dict subclasses, `OrderedDict`, `defaultdict`, …).
    pub fn dict_items(&self) -> impl Iterator<Item = (&Value<'a>, &Value<'a>)> {
        self.0.updates.iter().filter_map(|u| match u {
            Update::SetItem(k, v) => Some((k, v)),
            _ => None,
        })
    }

    /// Whether two handles are the same object.
    pub fn ptr_eq(a: &Object<'_>, b: &Object<'_>) -> bool {
        a.0.identity() == b.0.identity()
    }
}

/// A protocol-5 `PickleBuffer`.
///
/// Out-of-band buffers (NEXT_BUFFER) take their bytes from the buffers the
/// caller supplies; without them the buffer is kept as a placeholder with
/// only its position.
#[derive(Clone, Debug)]
pub struct Buffer<'a>(pub(crate) Shared<BufferData<'a>>);

/// What a [`Buffer`] holds.
#[derive(Clone, Debug)]
pub struct BufferData<'a> {
    /// Which out-of-band buffer this was (0 for the first NEXT_BUFFER).
    pub index: usize,
    /// The bytes, when supplied.
    pub data: Option<Bytes<'a>>,
    /// Whether READONLY_BUFFER was applied.
    pub readonly: bool,
}

impl<'a> Buffer<'a> {
    /// A buffer with its bytes.
    pub fn new(data: Bytes<'a>, readonly: bool) -> Buffer<'a> {
        Buffer(Shared::new(BufferData { index: 0, data: Some(data), readonly }))
    }

    pub(crate) fn from_data(data: BufferData<'a>) -> Buffer<'a> {
        Buffer(Shared::new(data))
    }

    /// The bytes, if supplied.
    pub fn data(&self) -> Option<&[u8]> {
        self.0.data.as_ref().map(Bytes::as_slice)
    }

    /// Whether the buffer is read-only.
    pub fn readonly(&self) -> bool {
        self.0.readonly
    }

    /// Its position among the stream's out-of-band buffers.
    pub fn index(&self) -> usize {
        self.0.index
    }
}
