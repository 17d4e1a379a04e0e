//! Options for [`dumps`](super::dumps) and [`loads`](super::loads), mirroring
//! the keyword arguments of Python's `json.dumps` and `json.loads`.

/// The indentation of `json.dumps(indent=...)`: an int is that many spaces
/// (zero or negative still breaks lines, with no indentation), a string is
/// used verbatim.
///
/// ```
/// use brinery::json::Indent;
/// assert_eq!(Indent::from(2).unit(), "  ");
/// assert_eq!(Indent::from(-1).unit(), "");
/// assert_eq!(Indent::from("\t").unit(), "\t");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indent(String);

impl Indent {
    /// The string written once per nesting level.
    pub fn unit(&self) -> &str {
        &self.0
    }
}

impl From<i64> for Indent {
    fn from(n: i64) -> Indent {
        Indent(" ".repeat(n.max(0) as usize))
    }
}

impl From<i32> for Indent {
    fn from(n: i32) -> Indent {
        Indent::from(n as i64)
    }
}

impl From<usize> for Indent {
    fn from(n: usize) -> Indent {
        Indent(" ".repeat(n))
    }
}

impl From<&str> for Indent {
    fn from(s: &str) -> Indent {
        Indent(s.to_owned())
    }
}

impl From<String> for Indent {
    fn from(s: String) -> Indent {
        Indent(s)
    }
}

/// Options for writing JSON: the keyword arguments of `json.dumps`, with the
/// same defaults.
///
/// ```
/// use brinery::json::{dumps, DumpOptions};
/// use brinery::Value;
///
/// let v = Value::dict([("b", Value::list([1, 2])), ("a", Value::None)]);
/// assert_eq!(dumps(&v, &DumpOptions::default()).unwrap(), r#"{"b": [1, 2], "a": null}"#);
/// let opts = DumpOptions::default().indent(2).sort_keys(true);
/// assert_eq!(dumps(&v, &opts).unwrap(), "{\n  \"a\": null,\n  \"b\": [\n    1,\n    2\n  ]\n}");
/// let compact = DumpOptions::default().separators(",", ":");
/// assert_eq!(dumps(&v, &compact).unwrap(), r#"{"b":[1,2],"a":null}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpOptions {
    /// `indent`: `None` writes everything on one line.
    pub indent: Option<Indent>,
    /// `separators`: `(item_separator, key_separator)`. `None` means
    /// `(", ", ": ")`, or `(",", ": ")` when `indent` is set.
    pub separators: Option<(String, String)>,
    /// `sort_keys`: sort each dict by its original keys (Python's `<`).
    pub sort_keys: bool,
    /// `ensure_ascii`: escape every non-ASCII character as `\uXXXX`.
    pub ensure_ascii: bool,
    /// `allow_nan`: write `NaN`/`Infinity`/`-Infinity`; when false they are an error.
    pub allow_nan: bool,
    /// `skipkeys`: leave out dict entries whose key is not str, int, float,
    /// bool or None, instead of failing.
    pub skipkeys: bool,
    /// `check_circular`: a cycle is "Circular reference detected" instead of
    /// running into the depth limit.
    pub check_circular: bool,
    /// Resource limits.
    pub limits: DumpLimits,
}

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions {
            indent: None,
            separators: None,
            sort_keys: false,
            ensure_ascii: true,
            allow_nan: true,
            skipkeys: false,
            check_circular: true,
            limits: DumpLimits::default(),
        }
    }
}

impl DumpOptions {
    /// Sets `indent`.
    pub fn indent(mut self, indent: impl Into<Indent>) -> Self {
        self.indent = Some(indent.into());
        self
    }

    /// Sets `separators`.
    pub fn separators(mut self, item: impl Into<String>, key: impl Into<String>) -> Self {
        self.separators = Some((item.into(), key.into()));
        self
    }

    /// Sets `sort_keys`.
    pub fn sort_keys(mut self, yes: bool) -> Self {
        self.sort_keys = yes;
        self
    }

    /// Sets `ensure_ascii`.
    pub fn ensure_ascii(mut self, yes: bool) -> Self {
        self.ensure_ascii = yes;
        self
    }

    /// Sets `allow_nan`.
    pub fn allow_nan(mut self, yes: bool) -> Self {
        self.allow_nan = yes;
        self
    }

    /// Sets `skipkeys`.
    pub fn skipkeys(mut self, yes: bool) -> Self {
        self.skipkeys = yes;
        self
    }

    /// The item and key separators in effect (Python's rule for `None`).
    pub fn effective_separators(&self) -> (&str, &str) {
        match &self.separators {
            Some((item, key)) => (item, key),
            None if self.indent.is_some() => (",", ": "),
            None => (", ", ": "),
        }
    }
}

/// Limits for writing: defaults real data never reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DumpLimits {
    /// Deepest nesting of arrays and objects (Python's recursion limit is 1000).
    pub max_depth: usize,
    /// Most decimal digits in an int (`sys.get_int_max_str_digits()`, default
    /// 4300; 0 means no limit).
    pub max_int_digits: usize,
    /// A value that shares sub-objects is written as a tree, so a small graph
    /// can expand into an enormous document. Values written again because
    /// they were reached a second time may number at most this many, or ten
    /// times the values written on first visits, whichever is larger.
    pub max_repeated_values: u64,
}

impl Default for DumpLimits {
    fn default() -> Self {
        DumpLimits { max_depth: 1000, max_int_digits: 4300, max_repeated_values: 10_000_000 }
    }
}

/// Options for parsing JSON: what `json.loads` does, plus limits.
///
/// ```
/// use brinery::json::{loads, LoadOptions};
/// let v = loads("[1, 2.5, NaN]", &LoadOptions::default()).unwrap();
/// assert_eq!(v.to_string(), "[1, 2.5, nan]");
/// let lenient = LoadOptions { strict: false, ..LoadOptions::default() };
/// assert_eq!(loads("\"a\tb\"", &lenient).unwrap().as_str(), Some("a\tb"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Python's `strict`: when true (the default), raw control characters
    /// (U+0000–U+001F) inside strings are an error.
    pub strict: bool,
    /// Deepest nesting of arrays and objects. Python's recursion limit stops
    /// it near 1000 levels; deeper input is an error, never a stack overflow.
    pub max_depth: usize,
    /// Most decimal digits in an int (`sys.get_int_max_str_digits()`, default
    /// 4300; 0 means no limit).
    pub max_int_digits: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { strict: true, max_depth: 1000, max_int_digits: 4300 }
    }
}
