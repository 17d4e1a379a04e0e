//! The `collections` module's containers: `OrderedDict`, `defaultdict`,
//! `Counter` and `deque`.

use super::{as_usize, describe, Call, ViewError};
use crate::Value;

type Pair<'v, 'a> = (&'v Value<'a>, &'v Value<'a>);

/// The `(key, value)` pairs of a dict, or of a list of 2-item lists/tuples
/// (how Python 2 pickled an `OrderedDict`).
fn pairs<'v, 'a>(view: &'static str, v: &'v Value<'a>) -> Result<Vec<Pair<'v, 'a>>, ViewError> {
    if let Some(d) = v.as_dict() {
        return Ok(d.iter().map(|(k, v)| (k, v)).collect());
    }
    let items =
        v.as_seq().ok_or_else(|| ViewError::new(view, format!("the items are {}, not a dict or list", describe(v))))?;
    items
        .iter()
        .map(|p| match p.as_seq() {
            Some([k, v]) => Ok((k, v)),
            _ => Err(ViewError::new(view, format!("item {} is not a (key, value) pair", describe(p)))),
        })
        .collect()
}

/// A `collections.OrderedDict`: `OrderedDict()` then SETITEMS (Python 3),
/// or `OrderedDict([[k, v], ...])` (Python 2).
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// use brinery::view::OrderedDict;
/// // pickle.dumps(collections.OrderedDict(b=1, a=2), protocol=4)
/// let bytes = b"\x80\x04\x950\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(\x8c\x01b\x94K\x01\x8c\x01a\x94K\x02u.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let od = OrderedDict::from_value(&value).unwrap().unwrap();
/// assert_eq!(od.len(), 2);
/// assert_eq!(od.items[0].0.as_str(), Some("b"));
/// assert_eq!(od.items[1].1.as_i64(), Some(2));
/// ```
#[derive(Clone, Debug)]
pub struct OrderedDict<'v, 'a> {
    /// The items, in order.
    pub items: Vec<(&'v Value<'a>, &'v Value<'a>)>,
}

impl<'v, 'a> OrderedDict<'v, 'a> {
    /// The ordered dict, if `v` is a pickled `collections.OrderedDict`.
    ///
    /// ```
    /// use brinery::view::OrderedDict;
    /// assert!(OrderedDict::from_value(&brinery::Value::dict([("a", 1)])).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> Result<Option<OrderedDict<'v, 'a>>, ViewError> {
        const VIEW: &str = "collections.OrderedDict";
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.callable.is("collections", "OrderedDict") {
            return Ok(None);
        }
        let mut items = match call.args {
            [] => Vec::new(),
            [initial] => pairs(VIEW, initial)?,
            _ => return Err(ViewError::new(VIEW, format!("{} arguments is too many", call.args.len()))),
        };
        items.extend(call.object.dict_items());
        Ok(Some(OrderedDict { items }))
    }

    /// The number of items (as pickled; a repeated key counts twice).
    ///
    /// See [`OrderedDict`] for an example.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it has no items.
    ///
    /// See [`OrderedDict`] for an example of the items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A `collections.defaultdict`: `defaultdict(factory)` then SETITEMS.
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// use brinery::view::DefaultDict;
/// // pickle.dumps(collections.defaultdict(list, k=[1]), protocol=4)
/// let bytes = b"\x80\x04\x95A\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x0bdefaultdict\x94\x93\x94\x8c\x08builtins\x94\x8c\x04list\x94\x93\x94\x85\x94R\x94\x8c\x01k\x94]\x94K\x01as.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let dd = DefaultDict::from_value(&value).unwrap().unwrap();
/// assert_eq!(dd.factory.and_then(|f| f.as_global()).map(|g| g.to_string()).as_deref(), Some("builtins.list"));
/// assert_eq!(dd.items[0].1.to_string(), "[1]");
/// ```
#[derive(Clone, Debug)]
pub struct DefaultDict<'v, 'a> {
    /// The `default_factory`; `None` when it is `None`.
    pub factory: Option<&'v Value<'a>>,
    /// The items, in order.
    pub items: Vec<(&'v Value<'a>, &'v Value<'a>)>,
}

impl<'v, 'a> DefaultDict<'v, 'a> {
    /// The defaultdict, if `v` is a pickled `collections.defaultdict`.
    ///
    /// ```
    /// use brinery::view::DefaultDict;
    /// assert!(DefaultDict::from_value(&brinery::Value::None).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> Result<Option<DefaultDict<'v, 'a>>, ViewError> {
        const VIEW: &str = "collections.defaultdict";
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.callable.is("collections", "defaultdict") {
            return Ok(None);
        }
        let (factory, mut items) = match call.args {
            [] => (None, Vec::new()),
            [f] => (Some(f), Vec::new()),
            [f, initial] => (Some(f), pairs(VIEW, initial)?),
            _ => return Err(ViewError::new(VIEW, format!("{} arguments is too many", call.args.len()))),
        };
        items.extend(call.object.dict_items());
        Ok(Some(DefaultDict { factory: factory.filter(|f| !f.is_none()), items }))
    }

    /// The number of items.
    ///
    /// See [`DefaultDict`] for an example of the items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it has no items.
    ///
    /// See [`DefaultDict`] for an example of the items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A `collections.Counter`: `Counter({key: count, ...})`.
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// use brinery::view::Counter;
/// // pickle.dumps(collections.Counter('abb'), protocol=4)
/// let bytes = b"\x80\x04\x95/\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x07Counter\x94\x93\x94}\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94K\x02u\x85\x94R\x94.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let c = Counter::from_value(&value).unwrap().unwrap();
/// assert_eq!(c.items.iter().map(|(k, n)| format!("{k}={n}")).collect::<Vec<_>>(), ["'a'=1", "'b'=2"]);
/// ```
#[derive(Clone, Debug)]
pub struct Counter<'v, 'a> {
    /// The `(element, count)` items, in order.
    pub items: Vec<(&'v Value<'a>, &'v Value<'a>)>,
}

impl<'v, 'a> Counter<'v, 'a> {
    /// The counter, if `v` is a pickled `collections.Counter`.
    ///
    /// ```
    /// use brinery::view::Counter;
    /// assert!(Counter::from_value(&brinery::Value::None).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> Result<Option<Counter<'v, 'a>>, ViewError> {
        const VIEW: &str = "collections.Counter";
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.callable.is("collections", "Counter") {
            return Ok(None);
        }
        let mut items = match call.args {
            [] => Vec::new(),
            [counts] => pairs(VIEW, counts)?,
            _ => return Err(ViewError::new(VIEW, format!("{} arguments is too many", call.args.len()))),
        };
        items.extend(call.object.dict_items());
        Ok(Some(Counter { items }))
    }

    /// The number of distinct elements.
    ///
    /// See [`Counter`] for an example of the items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it is empty.
    ///
    /// See [`Counter`] for an example of the items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A `collections.deque`: `deque((), maxlen)` or `deque()` then APPENDS
/// (Python 3), or `deque([items], maxlen)` (older Pythons).
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// use brinery::view::Deque;
/// // pickle.dumps(collections.deque([1, 2], 3), protocol=4)
/// let bytes = b"\x80\x04\x95&\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x05deque\x94\x93\x94)K\x03\x86\x94R\x94(K\x01K\x02e.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let d = Deque::from_value(&value).unwrap().unwrap();
/// assert_eq!((d.len(), d.maxlen), (2, Some(3)));
/// ```
#[derive(Clone, Debug)]
pub struct Deque<'v, 'a> {
    /// The items, left to right.
    pub items: Vec<&'v Value<'a>>,
    /// The `maxlen`, if bounded.
    pub maxlen: Option<usize>,
}

impl<'v, 'a> Deque<'v, 'a> {
    /// The deque, if `v` is a pickled `collections.deque`.
    ///
    /// ```
    /// use brinery::view::Deque;
    /// assert!(Deque::from_value(&brinery::Value::list([1])).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> Result<Option<Deque<'v, 'a>>, ViewError> {
        const VIEW: &str = "collections.deque";
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.callable.is("collections", "deque") {
            return Ok(None);
        }
        let err = |m: String| ViewError::new(VIEW, m);
        let (initial, maxlen) = match call.args {
            [] => (None, None),
            [i] => (Some(i), None),
            [i, m] => (Some(i), Some(m)),
            _ => return Err(err(format!("{} arguments is too many", call.args.len()))),
        };
        let mut items: Vec<&'v Value<'a>> = match initial {
            None => Vec::new(),
            Some(i) => i
                .as_seq()
                .ok_or_else(|| err(format!("the initial items are {}, not a sequence", describe(i))))?
                .iter()
                .collect(),
        };
        items.extend(call.object.list_items());
        let maxlen = match maxlen {
            None | Some(Value::None) => None,
            Some(m) => {
                Some(as_usize(m).ok_or_else(|| err(format!("maxlen is {}, not a non-negative int", describe(m))))?)
            }
        };
        Ok(Some(Deque { items, maxlen }))
    }

    /// The number of items.
    ///
    /// See [`Deque`] for an example.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it is empty.
    ///
    /// See [`Deque`] for an example.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
