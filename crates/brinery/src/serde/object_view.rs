//! What a class instance looks like to a Rust type: the data an inert
//! [`Object`] carries, without running anything.

use crate::value::{Constructor, Object, Update, Value};

/// The data of an object, as serde sees it.
pub(crate) enum View<'v, 'a> {
    /// Key/value pairs: the items of a dict subclass (`OrderedDict`,
    /// `defaultdict`), or the attributes of an instance (its state dict, or
    /// the dicts of a `(dict, slots)` state).
    Map(Vec<(&'v Value<'a>, &'v Value<'a>)>),
    /// Items: those of a list-like object (`deque`), or the constructor
    /// arguments of an object without state (`namedtuple`).
    Seq(Vec<&'v Value<'a>>),
    /// One value stands for the object: a state that is not a dict, the one
    /// constructor argument (`Counter({...})`, an `Enum` member's value, a
    /// `Decimal`'s string), or the base value `copyreg._reconstructor` got.
    One(&'v Value<'a>),
    /// No data at all: an instance without attributes, an empty container.
    Empty,
    /// Nothing but a persistent id.
    Opaque,
}

/// The data of an object (see [`View`] for the rules, in order of precedence),
/// and the containers it is read through on the way (the state, the argument
/// tuple), which may be shared with other objects.
pub(crate) fn view<'v, 'a>(o: &'v Object<'a>) -> (View<'v, 'a>, Vec<&'v Value<'a>>) {
    if matches!(o.constructor(), Constructor::Persistent { .. }) {
        return (View::Opaque, Vec::new());
    }
    if o.updates().iter().any(|u| matches!(u, Update::SetItem(..))) {
        return (View::Map(o.dict_items().collect()), Vec::new());
    }
    if o.updates().iter().any(|u| matches!(u, Update::Append(_))) {
        return (View::Seq(o.list_items().collect()), Vec::new());
    }
    if let Some(state) = o.state() {
        return match state {
            Value::Dict(_) => (View::Map(o.attributes()), vec![state]),
            Value::Tuple(t) if t.len() == 2 && t.iter().all(|p| p.is_none() || p.as_dict().is_some()) => {
                let mut via = vec![state];
                via.extend(t.iter().filter(|p| p.as_dict().is_some()));
                (View::Map(o.attributes()), via)
            }
            other => (View::One(other), Vec::new()),
        };
    }
    let (args, via): (&[Value<'a>], Vec<&'v Value<'a>>) = match o.constructor() {
        Constructor::Reduce { callable, args } if is_reconstructor(callable) => {
            // `_reconstructor(cls, base, state)`: the state of a builtin base (`tuple`, `list`, …).
            let view = match args.as_tuple().and_then(|a| a.get(2)) {
                Some(state) if !state.is_none() => View::One(state),
                _ => View::Empty,
            };
            return (view, vec![args]);
        }
        Constructor::NewObjEx { args, kwargs, .. } if args.as_tuple().is_some_and(<[_]>::is_empty) => {
            let view = match kwargs.as_dict() {
                Some(d) if !d.is_empty() => View::Map(d.iter().map(|(k, v)| (k, v)).collect()),
                _ => View::Empty,
            };
            return (view, vec![kwargs]);
        }
        Constructor::Reduce { args, .. } | Constructor::NewObj { args, .. } | Constructor::NewObjEx { args, .. } => {
            match args.as_tuple() {
                Some(a) => (a, vec![args]),
                None => return (View::One(args), Vec::new()),
            }
        }
        Constructor::Inst { args, .. } | Constructor::Obj { args, .. } => (args, Vec::new()),
        Constructor::Persistent { .. } => return (View::Opaque, Vec::new()),
    };
    let view = match args {
        [] => View::Empty,
        [one] => View::One(one),
        many => View::Seq(many.iter().collect()),
    };
    (view, via)
}

fn is_reconstructor(callable: &Value<'_>) -> bool {
    callable.as_global().is_some_and(|g| g.is("copyreg", "_reconstructor") || g.is("copy_reg", "_reconstructor"))
}
