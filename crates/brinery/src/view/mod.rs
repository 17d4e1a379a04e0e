//! Typed views of real-world values: "is this value a numpy array, a
//! `datetime`, an `OrderedDict`…?", answered without matching on
//! `_reconstruct` by hand.
//!
//! A loaded pickle keeps every class instance inert (a [`Value::Object`]: the
//! callable, its arguments and the updates applied afterwards). The views here
//! recognise the shapes that CPython, numpy and the standard library write and
//! give back typed Rust structs that borrow from the value (array data is
//! never copied).
//!
//! Every view has a constructor `X::from_value(&Value)` that returns
//! `Ok(None)` when the value is not that kind of thing at all, and
//! `Err(ViewError)` when it claims to be one (names the right callable) but
//! its arguments or state are not what CPython or numpy would write.
//!
//! ```
//! use brinery::pickle::{loads, LoadOptions};
//!
//! // pickle.dumps(datetime.date(2024, 2, 29), protocol=4)
//! let bytes = b"\x80\x04\x95 \x00\x00\x00\x00\x00\x00\x00\x8c\x08datetime\x94\x8c\x04date\x94\x93\x94C\x04\x07\xe8\x02\x1d\x94\x85\x94R\x94.";
//! let value = loads(bytes, &LoadOptions::default()).unwrap();
//! let date = value.as_date().unwrap().unwrap();
//! assert_eq!((date.year, date.month, date.day), (2024, 2, 29));
//! assert_eq!(date.to_string(), "2024-02-29");
//! assert!(value.as_ndarray().unwrap().is_none()); // not an array
//! ```

mod collections;
mod datetime;
mod dtype;
mod elements;
mod enum_member;
mod masked;
mod ndarray;
mod scalar;
mod stdlib;

pub use collections::{Counter, DefaultDict, Deque, OrderedDict};
pub use datetime::{Date, DateTime, Time, TimeDelta, TzInfo};
pub use dtype::{ByteOrder, DType, DTypeKind, Field, SubArray};
pub use enum_member::EnumMember;
pub use masked::MaskedArray;
pub use ndarray::{ArrayData, NdArray};
pub use scalar::NumpyScalar;
pub use stdlib::{Decimal, Uuid};

use crate::value::{Constructor, Global, Object, Str};
use crate::Value;
use std::borrow::Cow;

/// A value that names a known constructor (`numpy.dtype`, `datetime.date`, …)
/// but whose arguments or state are not what that constructor accepts.
///
/// ```
/// use brinery::view::DType;
/// let err = DType::from_descr("<x4").unwrap_err();
/// assert_eq!(err.view(), "numpy.dtype");
/// assert!(err.to_string().contains("<x4"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed {view}: {message}")]
pub struct ViewError {
    view: &'static str,
    message: String,
}

impl ViewError {
    /// An error for the view named `view` (e.g. `"numpy.ndarray"`).
    pub(crate) fn new(view: &'static str, message: impl Into<String>) -> ViewError {
        ViewError { view, message: message.into() }
    }

    /// Which kind of value was malformed (`"numpy.ndarray"`, `"datetime.datetime"`, …).
    pub fn view(&self) -> &'static str {
        self.view
    }

    /// What was wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A `REDUCE` call of a global: `callable(*args)` and the object it made.
pub(crate) struct Call<'v, 'a> {
    /// The global called.
    pub callable: &'v Global<'a>,
    /// The argument tuple's items (empty when the arguments are not a tuple).
    pub args: &'v [Value<'a>],
    /// Whether the arguments were a tuple at all.
    pub args_is_tuple: bool,
    /// The object, for its updates.
    pub object: &'v Object<'a>,
}

impl<'v, 'a> Call<'v, 'a> {
    /// The value if it is `global(*args)` built by REDUCE (or INST/OBJ, which
    /// call the class the same way).
    pub fn of(value: &'v Value<'a>) -> Option<Call<'v, 'a>> {
        let object = value.as_object()?;
        let (callable, args, args_is_tuple) = match object.constructor() {
            Constructor::Reduce { callable, args } => {
                let tuple = args.as_tuple();
                (callable.as_global()?, tuple.unwrap_or(&[]), tuple.is_some())
            }
            Constructor::Inst { class, args } => (class, args.as_slice(), true),
            Constructor::Obj { cls, args } => (cls.as_global()?, args.as_slice(), true),
            _ => return None,
        };
        Some(Call { callable, args, args_is_tuple, object })
    }

    /// Whether the callable is one of `names` (`(module, qualname)` pairs).
    pub fn is_any(&self, names: &[(&str, &str)]) -> bool {
        names.iter().any(|(m, n)| self.callable.is(m, n))
    }
}

/// Text held as a `str`, or as `bytes` (Python 2 strings loaded with
/// `encoding='bytes'`, and the `b'ns'` numpy writes for datetime units).
pub(crate) fn text<'v>(v: &'v Value<'_>) -> Option<Cow<'v, str>> {
    match v {
        Value::Str(s) => Some(s.to_string_lossy()),
        Value::Bytes(b) => Some(String::from_utf8_lossy(b.as_slice())),
        _ => None,
    }
}

/// The bytes a `str` holds when each code point is one byte (Python 2
/// strings loaded with `encoding='latin1'`), copied.
pub(crate) fn latin1_bytes(s: &Str<'_>) -> Option<Vec<u8>> {
    s.code_points().map(|cp| u8::try_from(cp).ok()).collect()
}

/// A short description of a value for error messages: its type and, for
/// small atoms, the value itself.
pub(crate) fn describe(v: &Value<'_>) -> String {
    match v {
        Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) => v.to_string(),
        Value::Str(s) if s.char_count() <= 40 => v.to_string(),
        Value::Global(g) => format!("global {g}"),
        Value::Object(o) => match o.class() {
            Some(g) => format!("a {g} object"),
            None => "an object".to_string(),
        },
        _ => format!("a {}", v.type_name()),
    }
}

/// A non-negative integer that fits `usize`.
pub(crate) fn as_usize(v: &Value<'_>) -> Option<usize> {
    v.as_int()?.to_u128().and_then(|n| usize::try_from(n).ok())
}

/// Convenience views on [`Value`]; each is the matching `from_value`.
impl<'a> Value<'a> {
    /// The numpy array, if this is one ([`NdArray::from_value`]).
    ///
    /// ```
    /// use brinery::Value;
    /// assert!(Value::from(1).as_ndarray().unwrap().is_none());
    /// ```
    pub fn as_ndarray(&self) -> Result<Option<NdArray<'_, 'a>>, ViewError> {
        NdArray::from_value(self)
    }

    /// The numpy dtype, if this is one ([`DType::from_value`]).
    ///
    /// ```
    /// use brinery::Value;
    /// assert!(Value::from("f8").as_dtype().unwrap().is_none());
    /// ```
    pub fn as_dtype(&self) -> Result<Option<DType>, ViewError> {
        DType::from_value(self)
    }

    /// The numpy scalar, if this is one ([`NumpyScalar::from_value`]).
    ///
    /// ```
    /// use brinery::Value;
    /// assert!(Value::from(1.5).as_numpy_scalar().unwrap().is_none());
    /// ```
    pub fn as_numpy_scalar(&self) -> Result<Option<NumpyScalar<'_>>, ViewError> {
        NumpyScalar::from_value(self)
    }

    /// The `datetime.datetime`, if this is one ([`DateTime::from_value`]).
    ///
    /// ```
    /// use brinery::Value;
    /// assert!(Value::None.as_datetime().unwrap().is_none());
    /// ```
    pub fn as_datetime(&self) -> Result<Option<DateTime<'_, 'a>>, ViewError> {
        DateTime::from_value(self)
    }

    /// The `datetime.date`, if this is one ([`Date::from_value`]).
    ///
    /// ```
    /// use brinery::Value;
    /// assert!(Value::None.as_date().unwrap().is_none());
    /// ```
    pub fn as_date(&self) -> Result<Option<Date>, ViewError> {
        Date::from_value(self)
    }

    /// The `datetime.time`, if this is one ([`Time::from_value`]).
    ///
    /// ```
    /// use brinery::Value;
    /// assert!(Value::None.as_time().unwrap().is_none());
    /// ```
    pub fn as_time(&self) -> Result<Option<Time<'_, 'a>>, ViewError> {
        Time::from_value(self)
    }

    /// The `datetime.timedelta`, if this is one ([`TimeDelta::from_value`]).
    ///
    /// ```
    /// use brinery::Value;
    /// assert!(Value::None.as_timedelta().unwrap().is_none());
    /// ```
    pub fn as_timedelta(&self) -> Result<Option<TimeDelta>, ViewError> {
        TimeDelta::from_value(self)
    }
}
