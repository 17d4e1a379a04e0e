//! serde support: Rust types to and from [`Value`], and through it to and
//! from pickle and JSON.
//!
//! The format functions are [`pickle::to_vec`](crate::pickle::to_vec),
//! [`pickle::from_slice`](crate::pickle::from_slice), [`json::to_string`](crate::json::to_string),
//! [`json::from_str`](crate::json::from_str) and their siblings; they convert
//! to a [`Value`] ([`to_value`]) and from one ([`from_value`]). [`Value`] and
//! [`Int`](crate::Int) implement `Serialize` and `Deserialize` themselves, so
//! a field of either type keeps whatever Python put there, exactly (big ints,
//! sets, class instances…).
//!
//! | Rust (serde) | Python |
//! |---|---|
//! | `bool`, integers (`i128`/`u128` too), floats | `bool`, `int` (exact), `float` |
//! | `char`, `str`, `String` | `str` |
//! | bytes (`serde_bytes`) | `bytes` (reading: `bytes`, `bytearray`, or a list of ints) |
//! | `Vec<u8>` and other sequences | `list` (reading: `list`, `tuple`, `set`, `frozenset`, `bytes`) |
//! | tuples, tuple structs | `tuple` (reading: `tuple` or `list`) |
//! | `()`, unit structs, `None` | `None` |
//! | `Some(x)` | `x` |
//! | maps | `dict`, keys of any type (made hashable: see below) |
//! | structs | `dict` of field names, or an instance of a named class ([`Classes`]) |
//! | unit variant | `'Variant'` |
//! | other variants | `{'Variant': content}` (externally tagged, serde's default) |
//!
//! Inside a dict key, where Python needs hashable values, sequences become
//! tuples, structs tuples of their field values, maps tuples of `(key, value)`
//! pairs and variants with content `('Variant', content)` tuples; reading
//! accepts these forms back.
//!
//! Reading a class instance goes through the data it carries: a dataclass,
//! a plain or `__slots__` object, or a protocol 0/1 `copyreg._reconstructor`
//! pickle through its attributes; `OrderedDict`, `defaultdict` and other dict
//! subclasses through their items; `deque` and list subclasses through their
//! items; `Counter`, `namedtuple`, `Enum` members and others without state
//! through their constructor arguments. `docs/serde.md` has the full table.
//!
//! ```
//! use brinery::serde::{from_value, to_value};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! enum Shape { Circle { r: f64 }, Square(f64), Empty }
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Scene { shapes: Vec<Shape>, big: u128, origin: (i32, i32) }
//!
//! let scene = Scene { shapes: vec![Shape::Circle { r: 1.5 }, Shape::Empty], big: 1 << 100, origin: (0, -1) };
//! let value = to_value(&scene).unwrap();
//! assert_eq!(value.to_string(),
//!            "{'shapes': [{'Circle': {'r': 1.5}}, 'Empty'], 'big': 1267650600228229401496703205376, 'origin': (0, -1)}");
//! assert_eq!(from_value::<Scene>(&value).unwrap(), scene);
//! ```

mod classes;
mod de;
mod de_access;
mod error;
mod int_impl;
pub(crate) mod json_facade;
mod object_view;
mod passthrough;
pub(crate) mod pickle_facade;
mod ser;
mod value_impl;
mod walk;

pub use classes::Classes;
pub use error::{Error, ErrorKind, Path, Result, Segment};

use crate::value::Value;
use ::serde::{Deserialize, Serialize};

/// Converts any `Serialize` type into a [`Value`] (see the [module docs](self)
/// for the mapping). Every struct becomes a dict; see [`to_value_with`] for
/// class instances.
///
/// ```
/// use brinery::serde::to_value;
/// use std::collections::HashMap;
///
/// #[derive(serde::Serialize, PartialEq, Eq, Hash)]
/// struct Cell { row: u8, col: u8 }
///
/// let grid = HashMap::from([(Cell { row: 1, col: 2 }, "x")]);
/// // A struct key becomes a tuple, so Python can hash it:
/// assert_eq!(to_value(&grid).unwrap().to_string(), "{(1, 2): 'x'}");
/// ```
pub fn to_value<T: ?Sized + Serialize>(value: &T) -> Result<Value<'static>> {
    let ctx = ser::Ctx::new(None, 5, false);
    value.serialize(ser::ValueSerializer::new(&ctx))
}

/// Like [`to_value`], writing the structs listed in `classes` as instances of
/// their Python classes, shaped the way CPython pickles a plain instance at
/// `protocol`.
///
/// ```
/// use brinery::serde::{to_value_with, Classes};
///
/// #[derive(serde::Serialize)]
/// struct Point { x: i32, y: i32 }
///
/// let classes = Classes::new().with("Point", "geometry", "Point");
/// let v = to_value_with(&Point { x: 1, y: 2 }, &classes, 2).unwrap();
/// assert_eq!(v.to_string(), "geometry.Point(x=1, y=2)");
/// assert_eq!(v.as_object().unwrap().class().unwrap().to_string(), "geometry.Point");
/// ```
pub fn to_value_with<T: ?Sized + Serialize>(value: &T, classes: &Classes, protocol: u8) -> Result<Value<'static>> {
    let ctx = ser::Ctx::new(Some(classes), protocol, false);
    value.serialize(ser::ValueSerializer::new(&ctx))
}

/// Converts a [`Value`] into any `Deserialize` type. `&str` and `&[u8]`
/// fields borrow from the input when the value does (loaded from a slice).
///
/// Errors say what was expected, what was found and where:
///
/// ```
/// use brinery::{serde::from_value, Value};
///
/// #[derive(serde::Deserialize, Debug)]
/// struct Job { id: u32, tags: Vec<String> }
///
/// let v = Value::dict([("id", Value::from(7)), ("tags", Value::list([Value::from("a"), Value::from(2)]))]);
/// assert_eq!(from_value::<Job>(&v).unwrap_err().to_string(),
///            "invalid type: expected a str, found int 2 (at field \"tags\" → item 1)");
/// ```
pub fn from_value<'de, T: Deserialize<'de>>(value: &Value<'de>) -> Result<T> {
    let walk = walk::Walk::default();
    T::deserialize(de::ValueDeserializer::root(value, &walk)?)
}
