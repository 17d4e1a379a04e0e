//! `Display` for values: Python's `repr()` for builtin types, and a readable
//! constructor form for inert objects (`decimal.Decimal('1.10')`,
//! `shop.Item(name='pen', price=2)`).

use super::printable_table::NON_PRINTABLE;
use super::{Constructor, Object, Str, Update, Value};
use std::fmt::{self, Write};

/// Limits that keep the output of huge values readable.
#[derive(Clone, Copy, Debug)]
pub struct ReprOptions {
    /// Containers nested deeper than this print as `...`.
    pub max_depth: usize,
    /// Containers print at most this many items, then `...`.
    pub max_items: usize,
    /// Once the text is at least this many bytes long, the next value prints
    /// as `...` and nothing more is printed.
    /// A value that shares sub-objects prints each share in full, as
    /// Python's `repr` does, so a small graph (a pickle "billion laughs")
    /// can expand into an enormous text: this is the bound on that.
    pub max_len: usize,
}

impl Default for ReprOptions {
    /// No limits (Python's `repr`).
    fn default() -> Self {
        ReprOptions { max_depth: usize::MAX, max_items: usize::MAX, max_len: usize::MAX }
    }
}

impl fmt::Display for Value<'_> {
    /// Python's `repr()` of the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        Repr { out: &mut out, opts: ReprOptions::default(), stack: Vec::new(), cut: None }.value(self, 0);
        f.write_str(&out)
    }
}

impl Value<'_> {
    /// Python's `repr()`, cut short by `opts` for huge or deep values.
    ///
    /// ```
    /// use brinery::Value;
    /// use brinery::value::ReprOptions;
    /// let v = Value::list(0..100);
    /// let short = v.repr_with(ReprOptions { max_items: 3, ..Default::default() });
    /// assert_eq!(short, "[0, 1, 2, ...]");
    /// // Ten levels of a list holding the level below twice: 2^10 leaves.
    /// let mut laughs = Value::list([0]);
    /// for _ in 0..10 {
    ///     laughs = Value::list([laughs.clone(), laughs]);
    /// }
    /// // Cut at the first value that starts past 12 bytes of text.
    /// assert_eq!(laughs.repr_with(ReprOptions { max_len: 12, ..Default::default() }), "[[[[[[[[[[[0], ...");
    /// ```
    pub fn repr_with(&self, opts: ReprOptions) -> String {
        let mut out = String::new();
        let mut repr = Repr { out: &mut out, opts, stack: Vec::new(), cut: None };
        repr.value(self, 0);
        // What the open containers added after the cut (separators, closing brackets) goes.
        if let Some(at) = repr.cut {
            out.truncate(at);
        }
        out
    }
}

impl fmt::Display for Object<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Value::Object(self.clone()), f)
    }
}

struct Repr<'o> {
    out: &'o mut String,
    opts: ReprOptions,
    /// Identities of the containers being printed, to print `[...]` on recursion.
    stack: Vec<usize>,
    /// Where the text was cut (after its `...`) once it reached `max_len`.
    cut: Option<usize>,
}

impl Repr<'_> {
    fn value(&mut self, v: &Value<'_>, depth: usize) {
        if self.cut.is_none() && self.out.len() >= self.opts.max_len {
            self.out.push_str("...");
            self.cut = Some(self.out.len());
        }
        if self.cut.is_some() {
            // Nothing below is visited: a shared graph costs no more than
            // the text printed before the cut.
            return;
        }
        crate::stack::guard_at(depth, || self.value_inner(v, depth))
    }

    fn value_inner(&mut self, v: &Value<'_>, depth: usize) {
        let resolved;
        let v = match v {
            Value::Cycle(c) => match c.upgrade() {
                Some(target) => {
                    resolved = target;
                    &resolved
                }
                None => {
                    self.out.push_str("<dangling reference>");
                    return;
                }
            },
            v => v,
        };
        match v {
            Value::None => self.out.push_str("None"),
            Value::Bool(true) => self.out.push_str("True"),
            Value::Bool(false) => self.out.push_str("False"),
            Value::Int(i) => write!(self.out, "{i}").unwrap(),
            Value::Float(x) => crate::float_repr::write_repr(self.out, *x),
            Value::Complex { re, im } => self.complex(*re, *im),
            Value::Str(s) => push_str_repr(self.out, s),
            Value::Bytes(b) => push_bytes_repr(self.out, b.as_slice()),
            Value::ByteArray(b) => {
                self.out.push_str("bytearray(");
                push_bytes_repr(self.out, b);
                self.out.push(')');
            }
            Value::Global(g) => write!(self.out, "{g}").unwrap(),
            Value::Buffer(b) => match b.data() {
                Some(data) => {
                    self.out.push_str("PickleBuffer(");
                    push_bytes_repr(self.out, data);
                    self.out.push(')');
                }
                None => write!(self.out, "PickleBuffer(<out-of-band buffer {}>)", b.index()).unwrap(),
            },
            Value::Cycle(_) => unreachable!("resolved above"),
            Value::Tuple(_)
            | Value::List(_)
            | Value::Dict(_)
            | Value::Set(_)
            | Value::FrozenSet(_)
            | Value::Object(_) => self.container(v, depth),
        }
    }

    fn container(&mut self, v: &Value<'_>, depth: usize) {
        let id = v.identity().expect("containers have identity");
        if self.stack.contains(&id) {
            self.out.push_str(match v {
                Value::List(_) => "[...]",
                Value::Dict(_) => "{...}",
                Value::Tuple(_) => "(...)",
                Value::Set(_) => "set(...)",
                Value::FrozenSet(_) => "frozenset(...)",
                _ => "<...>",
            });
            return;
        }
        if depth >= self.opts.max_depth {
            self.out.push_str(match v {
                Value::List(_) => "[...]",
                Value::Dict(_) => "{...}",
                Value::Tuple(_) => "(...)",
                _ => "...",
            });
            return;
        }
        self.stack.push(id);
        match v {
            Value::List(items) => self.items("[", items.iter(), "]", depth),
            Value::Tuple(items) if items.len() == 1 => self.items("(", items.iter(), ",)", depth),
            Value::Tuple(items) => self.items("(", items.iter(), ")", depth),
            Value::Set(items) if items.is_empty() => self.out.push_str("set()"),
            Value::Set(items) => self.items("{", items.iter(), "}", depth),
            Value::FrozenSet(items) if items.is_empty() => self.out.push_str("frozenset()"),
            Value::FrozenSet(items) => self.items("frozenset({", items.iter(), "})", depth),
            Value::Dict(pairs) => self.pairs(pairs.iter().map(|(k, v)| (k, v)), depth),
            Value::Object(o) => self.object(o, depth),
            _ => unreachable!(),
        }
        self.stack.pop();
    }

    fn items<'v, 'a: 'v>(
        &mut self,
        open: &str,
        items: impl IntoIterator<Item = &'v Value<'a>>,
        close: &str,
        depth: usize,
    ) {
        self.out.push_str(open);
        for (i, item) in items.into_iter().enumerate() {
            if self.cut.is_some() {
                break;
            }
            if i > 0 {
                self.out.push_str(", ");
            }
            if i >= self.opts.max_items {
                self.out.push_str("...");
                break;
            }
            self.value(item, depth + 1);
        }
        self.out.push_str(close);
    }

    fn pairs<'v, 'a: 'v>(&mut self, pairs: impl Iterator<Item = (&'v Value<'a>, &'v Value<'a>)>, depth: usize) {
        self.out.push('{');
        for (i, (k, v)) in pairs.enumerate() {
            if self.cut.is_some() {
                break;
            }
            if i > 0 {
                self.out.push_str(", ");
            }
            if i >= self.opts.max_items {
                self.out.push_str("...");
                break;
            }
            self.value(k, depth + 1);
            self.out.push_str(": ");
            self.value(v, depth + 1);
        }
        self.out.push('}');
    }

    fn complex(&mut self, re: f64, im: f64) {
        if re == 0.0 && re.is_sign_positive() {
            crate::float_repr::write_float(self.out, im, false);
            self.out.push('j');
            return;
        }
        self.out.push('(');
        crate::float_repr::write_float(self.out, re, false);
        if !(im < 0.0 || (im == 0.0 && im.is_sign_negative()) || im.is_nan() && im.is_sign_negative()) {
            self.out.push('+');
        }
        crate::float_repr::write_float(self.out, im, false);
        self.out.push_str("j)");
    }

    /// `Class(args…, attr=value…)`: the constructor call, then the state.
    fn object(&mut self, o: &Object<'_>, depth: usize) {
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !first {
                out.push_str(", ");
            }
            first = false;
        };
        match o.constructor() {
            Constructor::Persistent { pid, .. } => {
                self.out.push_str("persistent_id(");
                self.value(pid, depth + 1);
                self.out.push(')');
                return;
            }
            Constructor::Reduce { callable, args } => {
                let reconstructor = o.class().is_some()
                    && callable
                        .as_global()
                        .is_some_and(|g| g.is("copyreg", "_reconstructor") || g.is("copyreg", "__newobj__"));
                if reconstructor {
                    write!(self.out, "{}(", o.class().unwrap()).unwrap();
                } else {
                    self.callee(callable, depth);
                    self.out.push('(');
                    for a in args.as_tuple().unwrap_or(std::slice::from_ref(args)) {
                        sep(self.out);
                        self.value(a, depth + 1);
                    }
                }
            }
            Constructor::NewObj { cls, args } | Constructor::NewObjEx { cls, args, .. } => {
                self.callee(cls, depth);
                self.out.push('(');
                for a in args.as_tuple().unwrap_or(std::slice::from_ref(args)) {
                    sep(self.out);
                    self.value(a, depth + 1);
                }
                if let Constructor::NewObjEx { kwargs, .. } = o.constructor() {
                    for (k, v) in kwargs.as_dict().unwrap_or(&[]) {
                        sep(self.out);
                        self.keyword(k, v, depth);
                    }
                }
            }
            Constructor::Inst { class, args } => {
                write!(self.out, "{class}(").unwrap();
                for a in args {
                    sep(self.out);
                    self.value(a, depth + 1);
                }
            }
            Constructor::Obj { cls, args } => {
                self.callee(cls, depth);
                self.out.push('(');
                for a in args {
                    sep(self.out);
                    self.value(a, depth + 1);
                }
            }
        }
        if o.list_items().next().is_some() {
            sep(self.out);
            self.items("[", o.list_items(), "]", depth);
        }
        if o.dict_items().next().is_some() {
            sep(self.out);
            self.pairs(o.dict_items(), depth);
        }
        for update in o.updates() {
            if let Update::Build(state) = update {
                let attrs = match state {
                    Value::Dict(d) if d.iter().all(|(k, _)| k.as_str().is_some_and(is_identifier)) => Some(d),
                    _ => None,
                };
                match attrs {
                    Some(d) => {
                        for (k, v) in d.iter() {
                            sep(self.out);
                            self.keyword(k, v, depth);
                        }
                    }
                    None => {
                        sep(self.out);
                        self.out.push_str("__setstate__=");
                        self.value(state, depth + 1);
                    }
                }
            }
        }
        self.out.push(')');
    }

    fn callee(&mut self, callable: &Value<'_>, depth: usize) {
        match callable {
            Value::Global(g) => write!(self.out, "{g}").unwrap(),
            other => self.value(other, depth + 1),
        }
    }

    fn keyword(&mut self, k: &Value<'_>, v: &Value<'_>, depth: usize) {
        match k.as_str() {
            Some(name) if is_identifier(name) => self.out.push_str(name),
            _ => self.value(k, depth + 1),
        }
        self.out.push('=');
        self.value(v, depth + 1);
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn is_printable(cp: u32) -> bool {
    NON_PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if cp < lo {
                std::cmp::Ordering::Greater
            } else if cp > hi {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_err()
}

/// Appends Python's `repr()` of a `str`.
pub(crate) fn push_str_repr(out: &mut String, s: &Str<'_>) {
    let bytes = s.as_surrogatepass();
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') { '"' } else { '\'' };
    out.push(quote);
    for cp in s.code_points() {
        match cp {
            0x5c => out.push_str("\\\\"),
            0x09 => out.push_str("\\t"),
            0x0a => out.push_str("\\n"),
            0x0d => out.push_str("\\r"),
            _ if cp == quote as u32 => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(cp as u8 as char),
            _ if cp < 0x7f || (cp < 0x100 && !is_printable(cp)) => write!(out, "\\x{cp:02x}").unwrap(),
            _ if is_printable(cp) => out.push(char::from_u32(cp).expect("printable code points are chars")),
            _ if cp < 0x10000 => write!(out, "\\u{cp:04x}").unwrap(),
            _ => write!(out, "\\U{cp:08x}").unwrap(),
        }
    }
    out.push(quote);
}

/// Appends Python's `repr()` of a `bytes`.
pub(crate) fn push_bytes_repr(out: &mut String, bytes: &[u8]) {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') { b'"' } else { b'\'' };
    out.push('b');
    out.push(quote as char);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if b == quote => {
                out.push('\\');
                out.push(quote as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => write!(out, "\\x{b:02x}").unwrap(),
        }
    }
    out.push(quote as char);
}

pub(crate) fn write_str_repr(f: &mut fmt::Formatter<'_>, s: &Str<'_>) -> fmt::Result {
    let mut out = String::new();
    push_str_repr(&mut out, s);
    f.write_str(&out)
}

pub(crate) fn write_bytes_repr(f: &mut fmt::Formatter<'_>, b: &[u8]) -> fmt::Result {
    let mut out = String::new();
    push_bytes_repr(&mut out, b);
    f.write_str(&out)
}
