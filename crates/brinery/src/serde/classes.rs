//! Writing Rust structs as instances of named Python classes, in the shape
//! CPython gives a plain instance (`object.__reduce_ex__`).

use crate::value::{Constructor, Global, Object, Update, Value};
use std::collections::HashMap;

/// Which Rust structs to write as instances of which Python classes.
///
/// Keys are the names serde gives the struct: the Rust type name, or its
/// `#[serde(rename = "...")]`. A struct listed here becomes a
/// [`Value::Object`] of the class instead of a dict, built the way CPython
/// pickles a plain instance whose `__dict__` holds the fields in order:
///
/// - protocol 2 and later: `NEWOBJ` of the class with no arguments, then
///   `BUILD` with the attribute dict (`copyreg.__reduce_ex__` →
///   `copyreg.__newobj__`);
/// - protocols 0 and 1: `copyreg._reconstructor(cls, object, None)`, then
///   `BUILD`.
///
/// An instance without attributes gets no `BUILD`, as in CPython.
///
/// ```
/// use brinery::pickle::{self, DumpOptions};
/// use brinery::serde::Classes;
///
/// #[derive(serde::Serialize)]
/// struct Point { x: i32, y: i32 }
///
/// let classes = Classes::new().with("Point", "geometry", "Point");
/// let bytes = pickle::to_vec_with(&Point { x: 1, y: 2 }, &DumpOptions::protocol(2), &classes).unwrap();
/// // What CPython writes for `geometry.Point` with `p.x, p.y = 1, 2`:
/// assert_eq!(bytes, b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Classes {
    by_name: HashMap<String, Global<'static>>,
}

impl Classes {
    /// No classes: every struct is written as a dict.
    pub fn new() -> Classes {
        Classes::default()
    }

    /// Adds a class: structs serde names `rust_name` become instances of
    /// `module.qualname`.
    ///
    /// ```
    /// use brinery::serde::Classes;
    /// let mut classes = Classes::new();
    /// classes.insert("Config", "app.settings", "Config");
    /// assert_eq!(classes.get("Config").unwrap().to_string(), "app.settings.Config");
    /// ```
    pub fn insert(&mut self, rust_name: impl Into<String>, module: impl Into<String>, qualname: impl Into<String>) {
        self.by_name.insert(rust_name.into(), Global::new(module.into(), qualname.into()));
    }

    /// [`insert`](Classes::insert), by value, for chaining.
    pub fn with(
        mut self,
        rust_name: impl Into<String>,
        module: impl Into<String>,
        qualname: impl Into<String>,
    ) -> Self {
        self.insert(rust_name, module, qualname);
        self
    }

    /// The class for a struct name, if one was added.
    pub fn get(&self, rust_name: &str) -> Option<&Global<'static>> {
        self.by_name.get(rust_name)
    }

    /// Whether no class was added.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// A plain instance of `class` with `attributes` (a dict), shaped for `protocol`.
pub(crate) fn instance(class: &Global<'static>, attributes: Value<'static>, protocol: u8) -> Value<'static> {
    let cls = Value::Global(class.clone());
    let constructor = if protocol >= 2 {
        Constructor::NewObj { cls, args: Value::tuple(Vec::<Value>::new()) }
    } else {
        Constructor::Reduce {
            callable: Value::global("copyreg", "_reconstructor"),
            args: Value::tuple([cls, Value::global("builtins", "object"), Value::None]),
        }
    };
    let updates = match attributes.as_dict() {
        Some([]) => Vec::new(),
        _ => vec![Update::Build(attributes)],
    };
    Value::Object(Object::new(constructor, updates))
}
