//! Walks a [`Value`] and drives the [`Writer`]: which values JSON can hold,
//! how dict keys are coerced, `sort_keys`, `skipkeys`, cycles and limits.

use super::error::{Error, ErrorKind, Result};
use super::options::DumpOptions;
use super::sort::{short_name, sort_items, Pair};
use super::write::Writer;
use crate::size_hint::SizeHint;
use crate::value::{Object, Value};
use rustc_hash::FxHashSet;

/// The JSON text of `value` as surrogatepass UTF-8, and whether it is plain
/// UTF-8 (no lone surrogate was written).
pub(super) fn to_vec(value: &Value<'_>, opts: &DumpOptions) -> Result<(Vec<u8>, bool)> {
    let mut w = Writer::new(opts);
    // Documents tend to be like the last one: start with its size rather
    // than growing (and copying) the buffer a dozen times.
    w.reserve(LAST_SIZE.get());
    let mut dumper = Dumper {
        w,
        opts,
        depth: 0,
        seen_shared: FxHashSet::default(),
        repeating: 0,
        first_values: 0,
        repeated_values: 0,
    };
    dumper.value(value)?;
    let mut out = dumper.w.out;
    LAST_SIZE.finish(&mut out);
    Ok((out, !dumper.w.wrote_surrogate))
}

/// The size of the last document written, as a first capacity for the next.
static LAST_SIZE: SizeHint = SizeHint::new();

struct Dumper<'o> {
    w: Writer,
    opts: &'o DumpOptions,
    depth: usize,
    /// Identities of shared containers already written once.
    seen_shared: FxHashSet<usize>,
    /// How many shared containers being written again enclose the current value.
    repeating: usize,
    first_values: u64,
    repeated_values: u64,
}

impl Dumper<'_> {
    /// Writes any value. Inlined where it is called (the container loops),
    /// so the atoms that are most of a document cost no call; containers go
    /// through [`Dumper::container`].
    #[inline(always)]
    fn value(&mut self, v: &Value<'_>) -> Result<()> {
        if self.atom(v)? {
            return Ok(());
        }
        self.container(v)
    }

    /// Writes `v` if it is an atom (None, bool, int, float, str) and says
    /// whether it was.
    #[inline(always)]
    fn atom(&mut self, v: &Value<'_>) -> Result<bool> {
        match v {
            Value::None => self.w.null(),
            Value::Bool(b) => self.w.bool(*b),
            Value::Int(i) => self.w.int(i)?,
            Value::Float(f) => self.w.float(*f)?,
            Value::Str(s) => self.w.str(s.as_surrogatepass(), s.is_valid_utf8()),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Writes anything that is not an atom: containers, dict-like objects,
    /// cycles, and the error for values JSON cannot hold.
    fn container(&mut self, v: &Value<'_>) -> Result<()> {
        match v {
            Value::List(items) | Value::Tuple(items) => {
                self.nested(shared_identity(items), items.len(), |d| d.array(items))
            }
            Value::Dict(pairs) => {
                let len = pairs.len();
                self.nested(shared_identity(pairs), len, |d| d.object(pairs.iter().map(|(k, v)| (k, v)), len))
            }
            Value::Object(o) => match dict_subclass_items(o) {
                Some(pairs) => {
                    let len = pairs.len();
                    self.nested(shared_identity(&o.0), len, |d| d.object(pairs.into_iter(), len))
                }
                None => Err(not_serializable(v)),
            },
            Value::Cycle(_) if self.opts.check_circular => Err(Error::new(ErrorKind::Circular)),
            // Without the check, Python follows the cycle until the depth limit.
            Value::Cycle(c) => match c.upgrade() {
                Some(target) => self.value(&target),
                None => Err(Error::new(ErrorKind::Circular)),
            },
            _ => Err(not_serializable(v)),
        }
    }

    /// Counts the items of a container about to be written against the
    /// expansion limit (per container rather than per value: cheaper, and
    /// the same count but for the root).
    #[inline]
    fn count_items(&mut self, n: usize) -> Result<()> {
        if self.repeating == 0 {
            self.first_values += n as u64;
            return Ok(());
        }
        self.repeated_values += n as u64;
        let allowed = self.opts.limits.max_repeated_values.max(self.first_values.saturating_mul(10));
        if self.repeated_values > allowed {
            return Err(Error::new(ErrorKind::Expansion(allowed)));
        }
        Ok(())
    }

    /// Writes a container of `items` items one level deeper. `shared` is its
    /// identity when more than one handle points at it: met again, it is
    /// written again, and what it holds counts against the expansion limit.
    #[inline]
    fn nested(
        &mut self,
        shared: Option<usize>,
        items: usize,
        write: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        if self.depth >= self.opts.limits.max_depth {
            return Err(Error::new(ErrorKind::TooDeep("encoding a JSON object", self.opts.limits.max_depth)));
        }
        if shared.is_none() && self.repeating == 0 {
            // Most containers: held once, inside nothing written twice.
            self.first_values += items as u64;
            self.depth += 1;
            let result = crate::stack::guard_at(self.depth, || write(self));
            self.depth -= 1;
            return result;
        }
        let repeat = shared.is_some_and(|id| !self.seen_shared.insert(id));
        self.depth += 1;
        self.repeating += usize::from(repeat);
        if let Err(e) = self.count_items(items) {
            self.repeating -= usize::from(repeat);
            self.depth -= 1;
            return Err(e);
        }
        let result = crate::stack::guard_at(self.depth, || write(self));
        self.repeating -= usize::from(repeat);
        self.depth -= 1;
        result
    }

    fn array(&mut self, items: &[Value<'_>]) -> Result<()> {
        self.w.open(b'[', !items.is_empty());
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.w.separator();
            }
            self.value(item)?;
        }
        self.w.close(b']', !items.is_empty());
        Ok(())
    }

    fn object<'v, 'a: 'v>(&mut self, pairs: impl Iterator<Item = Pair<'v, 'a>>, len: usize) -> Result<()> {
        self.w.open(b'{', len > 0);
        let mut first = true;
        if self.opts.sort_keys && len > 1 {
            let mut order: Vec<Pair<'v, 'a>> = pairs.collect();
            sort_items(&mut order)?;
            for (k, v) in order {
                self.entry(k, v, &mut first)?;
            }
        } else {
            for (k, v) in pairs {
                self.entry(k, v, &mut first)?;
            }
        }
        self.w.close(b'}', len > 0);
        Ok(())
    }

    /// One `key: value` entry; `first` says whether a separator is due.
    #[inline]
    fn entry(&mut self, key: &Value<'_>, value: &Value<'_>, first: &mut bool) -> Result<()> {
        let Value::Str(s) = key else {
            return self.coerced_key_entry(key, value, first);
        };
        if !*first {
            self.w.separator();
        }
        *first = false;
        self.w.str(s.as_surrogatepass(), s.is_valid_utf8());
        self.w.key_end();
        self.value(value)
    }

    /// An entry whose key is not a str: Python writes bool, None, int and
    /// float keys as strings, skips others with `skipkeys`, else fails.
    #[inline(never)]
    fn coerced_key_entry(&mut self, key: &Value<'_>, value: &Value<'_>, first: &mut bool) -> Result<()> {
        match key {
            Value::Bool(_) | Value::None | Value::Int(_) | Value::Float(_) => {}
            _ if self.opts.skipkeys => return Ok(()),
            _ => return Err(Error::new(ErrorKind::BadKey(key_type_name(key)))),
        }
        if !*first {
            self.w.separator();
        }
        *first = false;
        match key {
            Value::Bool(b) => self.w.key_text(if *b { b"true" } else { b"false" }),
            Value::None => self.w.key_text(b"null"),
            Value::Int(i) => self.w.quoted(|w| w.int(i))?,
            Value::Float(f) => self.w.quoted(|w| w.float(*f))?,
            _ => unreachable!("checked above"),
        }
        self.w.key_end();
        self.value(value)
    }
}

/// The container's identity if more than one handle points at it.
#[inline]
fn shared_identity<T: ?Sized>(container: &crate::value::Shared<T>) -> Option<usize> {
    (container.ref_counts().0 > 1).then(|| container.identity())
}

/// The items of an instance of a stdlib dict subclass, which `json.dumps`
/// writes as an object: `OrderedDict` and `defaultdict` carry them as
/// SETITEMS updates, `Counter` as the dict it is constructed from.
fn dict_subclass_items<'v, 'a>(o: &'v Object<'a>) -> Option<Vec<Pair<'v, 'a>>> {
    let class = o.class()?;
    if class.is("collections", "OrderedDict") || class.is("collections", "defaultdict") {
        return Some(o.dict_items().collect());
    }
    if class.is("collections", "Counter") {
        let mut items: Vec<_> = match o.constructor() {
            crate::value::Constructor::Reduce { args, .. } => match args.as_tuple()? {
                [] => Vec::new(),
                [Value::Dict(d)] => d.iter().map(|(k, v)| (k, v)).collect(),
                _ => return None,
            },
            _ => return None,
        };
        items.extend(o.dict_items());
        return Some(items);
    }
    None
}

/// `Object of type X is not JSON serializable`, X being `type(o).__name__`.
fn not_serializable(v: &Value<'_>) -> Error {
    let name = match v {
        Value::Object(o) => o.class().map_or_else(|| "object".to_owned(), |c| short_name(&c.name())),
        Value::Global(_) => "type".to_owned(),
        other => other.type_name().to_owned(),
    };
    Error::new(ErrorKind::NotSerializable(name))
}

/// The type name in `keys must be ... not X`: CPython prints the type's
/// `tp_name`, which is qualified for types written in C.
fn key_type_name(v: &Value<'_>) -> String {
    match v {
        Value::Object(o) => match o.class() {
            Some(c) => {
                let (module, name) = (c.module(), c.name());
                let c_type = matches!(&*module, "decimal" | "datetime" | "collections");
                if c_type {
                    format!("{module}.{name}")
                } else {
                    short_name(&name)
                }
            }
            None => "object".to_owned(),
        },
        Value::Global(_) => "type".to_owned(),
        other => other.type_name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{DumpLimits, DumpOptions};

    #[test]
    fn a_large_document_does_not_leave_its_reservation_on_small_ones() {
        let opts = DumpOptions::default();
        let big = Value::list((0..100_000).map(Value::from));
        let (out, _) = to_vec(&big, &opts).unwrap();
        assert!(out.len() > 500_000);
        // The hint now asks for the large size; the small output is trimmed.
        let (out, _) = to_vec(&Value::list([1, 2, 3]), &opts).unwrap();
        assert_eq!(out, b"[1, 2, 3]");
        assert!(out.capacity() <= 2 * out.len() + 4096, "capacity {}", out.capacity());
    }

    /// `[a, a]` nested `levels` deep: 2^levels leaves as a tree.
    fn laughs(levels: usize) -> Value<'static> {
        let mut v = Value::list([Value::from("lol")]);
        for _ in 0..levels {
            v = Value::list([v.clone(), v]);
        }
        v
    }

    #[test]
    fn shared_graphs_that_explode_are_refused() {
        let start = std::time::Instant::now();
        let err = to_vec(&laughs(64), &DumpOptions::default()).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Expansion(10_000_000)), "{err}");
        assert!(start.elapsed().as_secs() < 30, "the limit trips early");
        // A small limit trips on a small graph; the same graph fits a larger one.
        let limits = DumpLimits { max_repeated_values: 100, ..DumpLimits::default() };
        let tight = DumpOptions { limits, ..DumpOptions::default() };
        assert!(matches!(to_vec(&laughs(12), &tight).unwrap_err().kind(), ErrorKind::Expansion(_)));
        // Within the limit, sharing is written out as the tree it stands for.
        fn tree(levels: usize) -> Value<'static> {
            match levels {
                0 => Value::list([Value::from("lol")]),
                n => Value::list([tree(n - 1), tree(n - 1)]),
            }
        }
        let opts = DumpOptions::default();
        assert_eq!(to_vec(&laughs(12), &opts).unwrap().0, to_vec(&tree(12), &opts).unwrap().0);
    }

    #[test]
    fn sharing_in_real_data_is_written_out() {
        // One small dict referenced two million times: what `[d] * 2_000_000` pickles to.
        let d = Value::dict([("a", 1)]);
        let v = Value::List(crate::value::Shared::from(vec![d; 2_000_000]));
        let (text, _) = to_vec(&v, &DumpOptions::default()).unwrap();
        assert_eq!(text.len(), "{\"a\": 1}".len() * 2_000_000 + 2 * (2_000_000 - 1) + 2);
    }
}
