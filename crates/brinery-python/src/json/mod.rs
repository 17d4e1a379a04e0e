//! `brinery.json`'s native part: Python objects to JSON text through the
//! engine's writer ([`encode`]), and JSON text to Python objects through its
//! parser with a Python-object sink ([`decode`]). The Python-facing API and
//! its `json`-compatible argument handling live in `python/brinery/json.py`.

mod decode;
mod encode;
mod frames;
mod open_dicts;
pub(crate) mod text;

use decode::Hooks;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

/// Adds the JSON functions to the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(json_encode, m)?)?;
    m.add_function(wrap_pyfunction!(json_loads, m)?)?;
    m.add_function(wrap_pyfunction!(json_raw_decode, m)?)?;
    Ok(())
}

/// `json_encode(obj, default, skipkeys, ensure_ascii, check_circular,
/// allow_nan, indent, item_separator, key_separator, sort_keys,
/// python_messages, frames)`: the JSON text of `obj` as a `str`. `indent` is `None`
/// or the string written per level; `default` is called for objects JSON
/// cannot hold; `python_messages` words errors as the pure-Python encoder;
/// `frames` is how many more Python frames the standard library would
/// have used to get here (see [`frames`]).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (obj, default, skipkeys, ensure_ascii, check_circular, allow_nan, indent, item_separator, key_separator, sort_keys, python_messages, frames))]
fn json_encode<'py>(
    obj: &Bound<'py, PyAny>,
    default: Bound<'py, PyAny>,
    skipkeys: &Bound<'py, PyAny>,
    ensure_ascii: &Bound<'py, PyAny>,
    check_circular: &Bound<'py, PyAny>,
    allow_nan: &Bound<'py, PyAny>,
    indent: Option<&str>,
    item_separator: &str,
    key_separator: &str,
    sort_keys: &Bound<'py, PyAny>,
    python_messages: bool,
    frames: u32,
) -> PyResult<Bound<'py, PyAny>> {
    let _charged = frames::Charged::take(obj.py(), frames)?;
    // Flags are truth-tested, as the C encoder does (any object will do).
    let opts = encode::EncodeOptions {
        default,
        skipkeys: skipkeys.is_truthy()?,
        sort_keys: sort_keys.is_truthy()?,
        check_circular: check_circular.is_truthy()?,
        allow_nan: allow_nan.is_truthy()?,
        python_messages,
    };
    encode::encode(obj, opts, ensure_ascii.is_truthy()?, indent, (item_separator, key_separator))
}

/// The hooks as `json.py` passes them, in one tuple: `(object_hook,
/// object_pairs_hook, parse_float, parse_int, parse_constant)`, `None` for
/// each default.
type HookArgs<'py> = (
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
);

fn hooks(args: HookArgs<'_>) -> Hooks<'_> {
    let (object_hook, object_pairs_hook, parse_float, parse_int, parse_constant) = args;
    Hooks { object_hook, object_pairs_hook, parse_float, parse_int, parse_constant }
}

/// `json_loads(s, strict, hooks, frames)`: the document in `s`, a `str` or UTF-8
/// `bytes`/`bytearray`. Bytes that need `json.detect_encoding` (a BOM, NUL
/// bytes, invalid UTF-8, surrogates) return `NotImplemented`: the caller
/// decodes them as `json.loads` does and passes the `str`. `frames` as for
/// [`json_encode`].
#[pyfunction]
fn json_loads<'py>(
    s: &Bound<'py, PyAny>,
    strict: &Bound<'py, PyAny>,
    hook_args: HookArgs<'py>,
    frames: u32,
) -> PyResult<Bound<'py, PyAny>> {
    let py = s.py();
    let _charged = frames::Charged::take(py, frames)?;
    let strict = strict.is_truthy()?;
    let hooks = hooks(hook_args);
    if s.cast::<PyString>().is_ok() {
        let utf8 = text::str_utf8(s)?;
        let parsed = decode::parse(py, utf8.bytes(), utf8.valid(), strict, &hooks, None);
        return parsed.map(|(v, _)| v).map_err(|e| e.into_pyerr(py, || Ok(s.clone().unbind())));
    }
    // Hooks may change a bytearray while it is parsed: parse a copy.
    let owned;
    let data: &[u8] = if let Ok(b) = s.cast::<PyBytes>() {
        b.as_bytes()
    } else if let Ok(b) = s.cast::<PyByteArray>() {
        owned = b.to_vec();
        &owned
    } else {
        return Ok(py.NotImplemented().into_bound(py));
    };
    // `json.loads` decodes the whole document (UTF-8, surrogatepass) before
    // it parses, so text that is not strict UTF-8 goes back to do that. The
    // check costs a pass over the text; it is made after the parse, and only
    // when that fails: a parse succeeds only if every byte outside strings
    // is JSON's ASCII and every string decoded strictly. With hooks, which
    // a failed parse would have called in vain, it is made first.
    let checked_first = hooks.any();
    if needs_detection(data) || (checked_first && std::str::from_utf8(data).is_err()) {
        return Ok(py.NotImplemented().into_bound(py));
    }
    match decode::parse(py, data, true, strict, &hooks, None) {
        Ok((value, _)) => Ok(value),
        Err(_) if !checked_first && std::str::from_utf8(data).is_err() => Ok(py.NotImplemented().into_bound(py)),
        Err(e) => Err(e.into_pyerr(py, || Ok(PyString::from_bytes(py, data)?.into_any().unbind()))),
    }
}

/// Whether `json.detect_encoding` might not say plain `utf-8` for `b`.
fn needs_detection(b: &[u8]) -> bool {
    let bom = b.starts_with(&[0xEF, 0xBB, 0xBF]) || b.starts_with(&[0xFE, 0xFF]) || b.starts_with(&[0xFF, 0xFE]);
    bom || b.first() == Some(&0) || b.get(1) == Some(&0)
}

/// `json_raw_decode(s, idx, strict, hooks, frames)`: `JSONDecoder.raw_decode`,
/// the value starting exactly at code point `idx` of the `str` `s` and the
/// index after it.
#[pyfunction]
fn json_raw_decode<'py>(
    s: &Bound<'py, PyString>,
    idx: usize,
    strict: &Bound<'py, PyAny>,
    hook_args: HookArgs<'py>,
    frames: u32,
) -> PyResult<(Bound<'py, PyAny>, usize)> {
    let py = s.py();
    let _charged = frames::Charged::take(py, frames)?;
    let strict = strict.is_truthy()?;
    let hooks = hooks(hook_args);
    let any = s.as_any();
    let utf8 = text::str_utf8(any)?;
    let bytes = utf8.bytes();
    let ascii = bytes.len() == s.len()?;
    let start = if ascii { idx } else { byte_offset(bytes, idx) };
    let (value, end) = decode::parse(py, bytes, utf8.valid(), strict, &hooks, Some(start))
        .map_err(|e| e.into_pyerr(py, || Ok(any.clone().unbind())))?;
    Ok((value, if ascii { end } else { code_points(&bytes[..end]) }))
}

/// The byte offset of code point `index` in UTF-8 (surrogatepass) text.
fn byte_offset(text: &[u8], index: usize) -> usize {
    text.iter().enumerate().filter(|(_, &b)| b & 0xC0 != 0x80).nth(index).map_or(text.len(), |(at, _)| at)
}

/// The number of code points in UTF-8 (surrogatepass) text.
fn code_points(text: &[u8]) -> usize {
    text.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}
