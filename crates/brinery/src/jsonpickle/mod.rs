//! Lossless JSON for pickles, in jsonpickle's tagged format: what
//! `brinery convert --lossless` writes.
//!
//! [`encode`] turns a loaded pickle into a tree of plain JSON values (None,
//! bool, int, float, str, list, str-keyed dict) that uses jsonpickle's tags
//! (`py/tuple`, `py/set`, `py/b64`, `py/type`, `py/function`, `py/reduce`,
//! `py/id`). Python's `jsonpickle.decode` reads the text into objects equal to
//! what `pickle.loads` gives for the pickle, and [`decode`] turns it back into
//! the exact value graph, so re-pickling it gives the same bytes.
//!
//! What makes it exact is identity: the bytes CPython writes depend on which
//! objects are the same object. Lists, dicts and objects are numbered by
//! jsonpickle as it reads them and referred to again with `py/id`; a shared
//! tuple, set, str or bytes is written once through its type (`str(s)` is
//! `s`), which jsonpickle numbers too. Instances are pickle's reduce protocol
//! itself, `py/reduce: [callable, args, state, listitems, dictitems]`.
//! The mapping and its limits are described in `docs/lossless-json.md`.
//!
//! ```
//! use brinery::{json, jsonpickle, pickle};
//!
//! // pickle.dumps((s, s, {1, 2}), protocol=2) with s = "shared text"
//! let data = b"\x80\x02X\x0b\x00\x00\x00shared textq\x00h\x00c__builtin__\nset\nq\x01]q\x02(K\x01K\x02e\x85q\x03Rq\x04\x87q\x05.";
//! let value = pickle::loads(data, &pickle::LoadOptions::default()).unwrap();
//!
//! let text = jsonpickle::dumps(&value).unwrap();
//! assert_eq!(
//!     text,
//!     r#"{"py/tuple": [{"py/reduce": [{"py/type": "builtins.str"}, {"py/tuple": ["shared text"]}]}, {"py/id": 0}, {"py/set": [1, 2]}]}"#
//! );
//!
//! let back = jsonpickle::loads(&text).unwrap();
//! assert_eq!(pickle::dumps(&back, &pickle::DumpOptions::protocol(2)).unwrap(), data);
//! # let tagged = jsonpickle::encode(&value).unwrap();
//! # assert_eq!(json::dumps(&tagged, &json::DumpOptions::default()).unwrap(), text);
//! ```

mod base64;
mod build;
mod encode;
mod names;
mod plan;
mod tags;

use crate::json;
use crate::value::Value;

/// Why a value could not be tagged, or tagged JSON could not be restored.
///
/// ```
/// use brinery::jsonpickle;
/// let err = jsonpickle::loads(r#"{"py/id": 3}"#).unwrap_err();
/// assert_eq!(err.to_string(), "py/id 3 names no object (0 are registered)");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub(crate) String);

/// Options for [`encode_with`].
///
/// ```
/// use brinery::jsonpickle::EncodeOptions;
/// let opts = EncodeOptions::default().persistent_load("myapp.storage", "load_ref");
/// assert_eq!(opts.persistent_load, Some(("myapp.storage".to_string(), "load_ref".to_string())));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncodeOptions {
    /// The module-level function (module, qualified name) that turns a
    /// persistent id into its object, as `Unpickler.persistent_load` did when
    /// the pickle was loaded. Persistent ids are written as a call to it, which
    /// jsonpickle makes; without it they are an error, as jsonpickle has no
    /// other way to restore them.
    pub persistent_load: Option<(String, String)>,
    /// Fail rather than write a reference jsonpickle cannot restore.
    ///
    /// jsonpickle applies a `py/reduce`'s state before it makes the object,
    /// handing out a placeholder for references back to it, which it swaps
    /// for the object at the end only where they are list items or dict
    /// values. A reference back from inside a tuple or set (`self.key =
    /// (self, 1)`) stays a placeholder there. [`decode`] restores it either
    /// way; with `strict`, [`encode_with`] refuses such graphs instead.
    pub strict: bool,
}

impl EncodeOptions {
    /// Sets [`EncodeOptions::persistent_load`].
    pub fn persistent_load(mut self, module: impl Into<String>, name: impl Into<String>) -> Self {
        self.persistent_load = Some((module.into(), name.into()));
        self
    }

    /// Sets [`EncodeOptions::strict`].
    ///
    /// ```
    /// use brinery::jsonpickle::{self, EncodeOptions};
    /// use brinery::pickle;
    /// // p = corpus_classes.Plain(1, None); p.b = (p, 2); pickle.dumps(p, 2)
    /// let data = b"\x80\x02ccorpus_classes\nPlain\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00aq\x03K\x01X\x01\x00\x00\x00bq\x04h\x01K\x02\x86q\x05ub.";
    /// let p = pickle::loads(data, &Default::default()).unwrap();
    /// assert!(jsonpickle::encode_with(&p, &EncodeOptions::default().strict(true)).is_err());
    /// let back = jsonpickle::loads(&jsonpickle::dumps(&p).unwrap()).unwrap();
    /// assert_eq!(pickle::dumps(&back, &pickle::DumpOptions::protocol(2)).unwrap(), data);
    /// ```
    pub fn strict(mut self, yes: bool) -> Self {
        self.strict = yes;
        self
    }
}

/// Tags a pickle value graph as a JSON-ready value tree (only None, bool,
/// int, float, str, list and str-keyed dict), in jsonpickle's format.
///
/// Fails for what jsonpickle cannot restore: persistent ids (unless
/// [`EncodeOptions::persistent_load`] is set), out-of-band buffers loaded
/// without their data, and object updates in an order no `py/reduce` has.
///
/// ```
/// use brinery::{jsonpickle, Value};
/// let v = Value::list([Value::tuple([1, 2]), Value::bytes(&b"ab"[..])]);
/// let tagged = jsonpickle::encode(&v).unwrap();
/// assert_eq!(tagged.to_string(), "[{'py/tuple': [1, 2]}, {'py/b64': 'YWI='}]");
/// ```
pub fn encode(value: &Value<'_>) -> Result<Value<'static>, Error> {
    encode_with(value, &EncodeOptions::default())
}

/// [`encode`] with options.
///
/// ```
/// use brinery::jsonpickle::{self, EncodeOptions};
/// use brinery::value::{Constructor, Object};
/// use brinery::Value;
/// let pid = Value::Object(Object::new(Constructor::Persistent { pid: Value::from("k"), text: false }, vec![]));
/// assert!(jsonpickle::encode(&pid).is_err());
/// let opts = EncodeOptions::default().persistent_load("store", "load");
/// let text = jsonpickle::dumps_with(&pid, &opts).unwrap();
/// assert_eq!(text, r#"{"py/reduce": [{"py/function": "store.load"}, {"py/tuple": ["k"]}], "brinery/form": "persistent"}"#);
/// ```
pub fn encode_with(value: &Value<'_>, opts: &EncodeOptions) -> Result<Value<'static>, Error> {
    encode::encode(value, opts)
}

/// Restores the value graph from tagged JSON written by [`encode`] (or by
/// jsonpickle, for the tags brinery writes).
///
/// ```
/// use brinery::{json, jsonpickle};
/// let tagged = json::loads(r#"[{"py/set": [1]}, {"py/b64": "YWI="}]"#, &Default::default()).unwrap();
/// assert_eq!(jsonpickle::decode(&tagged).unwrap().to_string(), "[{1}, b'ab']");
/// ```
pub fn decode(tagged: &Value<'_>) -> Result<Value<'static>, Error> {
    build::build(&plan::parse(tagged)?)
}

/// [`encode`], then `json.dumps` with default options: the text
/// `jsonpickle.encode` would hand to Python's `json`.
///
/// ```
/// use brinery::{jsonpickle, Value};
/// assert_eq!(jsonpickle::dumps(&Value::tuple([1.5, f64::NAN])).unwrap(), r#"{"py/tuple": [1.5, NaN]}"#);
/// ```
pub fn dumps(value: &Value<'_>) -> Result<String, Error> {
    dumps_with(value, &EncodeOptions::default())
}

/// [`dumps`] with options.
///
/// ```
/// use brinery::jsonpickle::{self, EncodeOptions};
/// use brinery::value::{Constructor, Object};
/// use brinery::Value;
/// let pid = Value::Object(Object::new(Constructor::Persistent { pid: Value::from("ref:a"), text: true }, vec![]));
/// let opts = EncodeOptions::default().persistent_load("app", "load");
/// assert_eq!(
///     jsonpickle::dumps_with(&pid, &opts).unwrap(),
///     r#"{"py/reduce": [{"py/function": "app.load"}, {"py/tuple": ["ref:a"]}], "brinery/form": "persistent_text"}"#
/// );
/// ```
pub fn dumps_with(value: &Value<'_>, opts: &EncodeOptions) -> Result<String, Error> {
    let tagged = encode_with(value, opts)?;
    json::dumps(&tagged, &json::DumpOptions::default()).map_err(|e| Error(format!("JSON: {e}")))
}

/// `json.loads`, then [`decode`].
///
/// ```
/// use brinery::jsonpickle;
/// let v = jsonpickle::loads(r#"{"py/reduce": [{"py/type": "builtins.complex"}, {"py/tuple": [1.0, 2.0]}]}"#).unwrap();
/// assert_eq!(v.to_string(), "(1+2j)");
/// ```
pub fn loads(text: &str) -> Result<Value<'static>, Error> {
    let tagged = json::loads(text, &json::LoadOptions::default()).map_err(|e| Error(format!("JSON: {e}")))?;
    decode(&tagged)
}
