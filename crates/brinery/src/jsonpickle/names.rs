//! Globals as jsonpickle names them: one dotted string, `module.qualname`.
//!
//! jsonpickle finds the object by trying the longest importable module prefix
//! first, so it never needs to know where the module ends. brinery does (a
//! pickle names module and qualname separately, and writes both), so the
//! dotted name is split at its last dot, and where that would be wrong (a
//! nested qualname such as `Outer.Inner`) the module is written alongside,
//! under a side key jsonpickle ignores.

use super::tags;
use crate::value::{Shared, Str, Value};
use std::borrow::Cow;

/// Builtin types whose names are lower case; written as `py/type`.
const BUILTIN_TYPES: &[&str] = &[
    "bool",
    "bytearray",
    "bytes",
    "complex",
    "dict",
    "float",
    "frozenset",
    "int",
    "list",
    "memoryview",
    "object",
    "range",
    "set",
    "slice",
    "str",
    "tuple",
    "type",
];

/// The tagged dict for a global: `{"py/type": "m.n"}` for what looks like a
/// class, `{"py/function": "m.n"}` otherwise (jsonpickle resolves both the same
/// way), plus `brinery/module` when the last dot is not where the module ends.
pub(crate) fn global_json(module: &Str<'_>, name: &Str<'_>) -> Value<'static> {
    let (m, n) = (module.as_surrogatepass(), name.as_surrogatepass());
    let mut dotted = Vec::with_capacity(m.len() + 1 + n.len());
    dotted.extend_from_slice(m);
    dotted.push(b'.');
    dotted.extend_from_slice(n);
    let tag = if looks_like_class(m, n) { tags::TYPE } else { tags::FUNCTION };
    let mut pairs = vec![(key(tag), text(dotted, module.is_valid_utf8() && name.is_valid_utf8()))];
    if n.contains(&b'.') {
        pairs.push((key(tags::MODULE_NAME), copy_str(module)));
    }
    Value::Dict(Shared::from(pairs))
}

/// Splits a dotted global name back into module and qualname: at `module`
/// when given (it must be a prefix followed by a dot), else at the last dot.
pub(crate) fn split(dotted: &Str<'_>, module: Option<&Str<'_>>) -> Result<(Str<'static>, Str<'static>), String> {
    let bytes = dotted.as_surrogatepass();
    let at = match module {
        Some(m) => {
            let m = m.as_surrogatepass();
            if bytes.len() > m.len() && bytes.starts_with(m) && bytes[m.len()] == b'.' {
                m.len()
            } else {
                return Err(format!("{dotted:?} does not start with its module {:?}", String::from_utf8_lossy(m)));
            }
        }
        None => bytes.iter().rposition(|&b| b == b'.').ok_or_else(|| format!("global name {dotted:?} has no dot"))?,
    };
    Ok((from_bytes(&bytes[..at]), from_bytes(&bytes[at + 1..])))
}

fn looks_like_class(module: &[u8], name: &[u8]) -> bool {
    let last = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
    last.first().is_some_and(u8::is_ascii_uppercase)
        || (module == b"builtins" && BUILTIN_TYPES.iter().any(|t| t.as_bytes() == last))
}

/// A str value (a new object) from surrogatepass bytes known to be valid.
fn from_bytes(bytes: &[u8]) -> Str<'static> {
    let utf8 = std::str::from_utf8(bytes).is_ok();
    Str::from_validated(Cow::Owned(bytes.to_vec()), utf8)
}

fn text(bytes: Vec<u8>, utf8: bool) -> Value<'static> {
    Value::Str(Str::from_validated(Cow::Owned(bytes), utf8))
}

/// A new str object with the same text.
pub(crate) fn copy_str(s: &Str<'_>) -> Value<'static> {
    Value::Str(Str::from_validated(Cow::Owned(s.as_surrogatepass().to_vec()), s.is_valid_utf8()))
}

/// A dict key.
pub(crate) fn key(k: &'static str) -> Value<'static> {
    Value::Str(Str::new(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_back_exactly() {
        for (m, n, tag, side) in [
            ("collections", "OrderedDict", tags::TYPE, false),
            ("copyreg", "_reconstructor", tags::FUNCTION, false),
            ("builtins", "set", tags::TYPE, false),
            ("os.path", "join", tags::FUNCTION, false),
            ("corpus_classes", "Outer.Inner", tags::TYPE, true),
            ("", "x", tags::FUNCTION, false),
        ] {
            let json = global_json(&Str::from(m), &Str::from(n));
            let dotted = json.get_str(tag).and_then(Value::as_py_str).expect("tag");
            assert_eq!(dotted, &format!("{m}.{n}")[..]);
            let module = json.get_str(tags::MODULE_NAME).and_then(Value::as_py_str);
            assert_eq!(module.is_some(), side);
            let (m2, n2) = split(dotted, module).unwrap();
            assert_eq!((m2.as_str(), n2.as_str()), (Some(m), Some(n)));
        }
        assert!(split(&Str::from("nodot"), None).is_err());
        assert!(split(&Str::from("a.b"), Some(&Str::from("b"))).is_err());
    }
}
