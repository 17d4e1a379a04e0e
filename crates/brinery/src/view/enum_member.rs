//! Enum members, recognised by shape.

use super::Call;
use crate::value::Global;
use crate::Value;

/// What looks like an `enum` member.
///
/// **This view is structural.** A pickle does not say that a class is an
/// `Enum`; it only shows calls. Two shapes are recognised:
///
/// - `cls(value)`: a REDUCE calling a global with one argument and nothing
///   applied afterwards. This is how `Enum.__reduce_ex__` pickles members
///   (Python ≤ 3.11 and most enums since), but any class called with one
///   argument (e.g. `decimal.Decimal('1.5')`) has the same shape; calls of
///   `builtins`, `copyreg` and `codecs` names are excluded. Prefer the
///   specific views first.
/// - `getattr(cls, name)`: by name, as `enum.pickle_by_enum_name`
///   (Python 3.12+) and methods such as `ZoneInfo._unpickle` are pickled.
///
/// Members of `global_enum`s and flags pickled by
/// `_reduce_ex_by_global_name` (such as `re.IGNORECASE`) are written as
/// plain globals (`re.IGNORECASE`): they are [`Value::Global`]s and cannot
/// be told apart from any other global, so this view does not match them.
///
/// ```
/// use brinery::value::{Constructor, Object};
/// use brinery::view::EnumMember;
/// use brinery::Value;
///
/// // pickle.dumps(Color.RED) for `class Color(Enum): RED = 1` in module `paint`
/// let red = Value::Object(Object::new(
///     Constructor::Reduce { callable: Value::global("paint", "Color"), args: Value::tuple([1]) },
///     vec![],
/// ));
/// let m = EnumMember::from_value(&red).unwrap();
/// assert_eq!(m.class.to_string(), "paint.Color");
/// assert_eq!((m.value.as_i64(), m.by_name), (Some(1), false));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct EnumMember<'v, 'a> {
    /// The (presumed) enum class.
    pub class: &'v Global<'a>,
    /// The member's value, or its name when [`EnumMember::by_name`].
    pub value: &'v Value<'a>,
    /// Whether the member was pickled by name (`getattr(cls, name)`).
    pub by_name: bool,
}

impl<'v, 'a> EnumMember<'v, 'a> {
    /// The member, if `v` has one of the two shapes (see [`EnumMember`]).
    ///
    /// ```
    /// use brinery::value::{Constructor, Object};
    /// use brinery::view::EnumMember;
    /// use brinery::Value;
    /// let by_name = Value::Object(Object::new(
    ///     Constructor::Reduce {
    ///         callable: Value::global("builtins", "getattr"),
    ///         args: Value::tuple([Value::global("paint", "Color"), Value::from("RED")]),
    ///     },
    ///     vec![],
    /// ));
    /// let m = EnumMember::from_value(&by_name).unwrap();
    /// assert_eq!((m.value.as_str(), m.by_name), (Some("RED"), true));
    /// assert!(EnumMember::from_value(&Value::from(1)).is_none());
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> Option<EnumMember<'v, 'a>> {
        let call = Call::of(v)?;
        if !call.args_is_tuple || !call.object.updates().is_empty() {
            return None;
        }
        if call.callable.is("builtins", "getattr") {
            return match call.args {
                [Value::Global(class), name @ Value::Str(_)] => Some(EnumMember { class, value: name, by_name: true }),
                _ => None,
            };
        }
        let module = call.callable.module();
        if ["builtins", "copyreg", "_codecs", "codecs"].contains(&&*module) {
            return None;
        }
        match call.args {
            [value] => Some(EnumMember { class: call.callable, value, by_name: false }),
            _ => None,
        }
    }
}
