//! joblib files: what `joblib.dump` writes, and how scikit-learn models are
//! usually saved.
//!
//! A joblib file is one pickle, compressed as a whole or not
//! (`compress=`: zlib, gzip, bz2, xz, lzma). Each numpy array in it is pickled
//! as a `joblib.numpy_pickle.NumpyArrayWrapper` (its shape, order and dtype),
//! and joblib writes the array's bytes into the stream right after that
//! object's BUILD opcode, where its own loader reads them back. No pickle
//! reader can step over those bytes alone, so this module:
//!
//! 1. scans the file ([`brinery_scan`], which knows joblib's layout) and refuses
//!    it unless it is plain data (or [`LoadOptions::allow_unsafe`] is set); the
//!    scan also says where each array's bytes are;
//! 2. decodes the pickle with those bytes taken out, leaving each wrapper as an
//!    inert object in [`JoblibFile::root`];
//! 3. pairs each wrapper with its bytes, in stream order, as a
//!    [`numpy::Array`](crate::numpy::Array), checking that the byte count is
//!    what the wrapper's shape and dtype need.
//!
//! Array bytes are borrowed from the file unless it is compressed. Object
//! arrays (joblib pickles those with plain `pickle`) are decoded too.
//!
//! ```no_run
//! use brinery_models::{joblib, MappedFile};
//! let file = MappedFile::open("model.joblib")?;
//! // A scikit-learn model is not plain data: its classes would be imported
//! // and called by joblib. Here nothing runs; the objects stay inert.
//! let opts = joblib::LoadOptions { allow_unsafe: true, ..Default::default() };
//! let model = joblib::load(&file, &opts)?;
//! for (path, array) in model.arrays() {
//!     println!("{path}: {} {:?}", array.dtype.descr, array.shape);
//! }
//! # Ok::<(), brinery_models::Error>(())
//! ```

use crate::numpy::{Array, Data};
use crate::{malformed, Error, Result};
use brinery::view::DType;
use brinery::Value;
use brinery_formats::{compress, Format};
use brinery_scan::{FileReport, InlineArray};
use std::borrow::Cow;

/// How to load a joblib file: the scan's policy and limits (decompression
/// included), and whether to load what the scan does not call plain data.
pub use crate::torch::LoadOptions;

/// A loaded joblib file.
pub struct JoblibFile<'a> {
    /// The object `joblib.dump` was given, each numpy array in it left as
    /// joblib's `NumpyArrayWrapper` object (see [`JoblibFile::array`]).
    pub root: Value<'static>,
    /// What the scan found.
    pub report: FileReport,
    /// Each wrapper (by identity) and its array, sorted by identity (stably:
    /// equal identities keep stream order) so that a lookup is a binary search.
    arrays: Vec<(usize, Array<'a>)>,
}

impl<'a> JoblibFile<'a> {
    /// The array a `NumpyArrayWrapper` value of [`root`](JoblibFile::root)
    /// stands for (`None` for any other value).
    pub fn array(&self, wrapper: &Value<'_>) -> Option<&Array<'a>> {
        let id = wrapper.identity()?;
        let first = self.arrays.partition_point(|(w, _)| *w < id);
        self.arrays.get(first).filter(|(w, _)| *w == id).map(|(_, a)| a)
    }

    /// Every array with where it is in [`root`](JoblibFile::root): attribute
    /// names, dict keys and list/tuple indices joined with dots
    /// (`steps.1.1.coef_` for a pipeline's last estimator), in stream order.
    pub fn arrays(&self) -> Vec<(String, &Array<'a>)> {
        wrappers_in_order(&self.root)
            .into_iter()
            .filter_map(|(path, wrapper)| Some((path, self.array(wrapper)?)))
            .collect()
    }
}

/// Loads a joblib file from its bytes (usually a [`MappedFile`](crate::MappedFile)).
pub fn load<'a>(data: &'a [u8], opts: &LoadOptions) -> Result<JoblibFile<'a>> {
    match brinery_formats::sniff(data) {
        Format::Compressed(codec) => {
            let inflated = compress::decompress(codec, data, &opts.scan.limits)?;
            let file = load_pickle(&inflated, opts)?;
            let arrays = file.arrays.into_iter().map(|(id, array)| (id, crate::numpy::into_owned(array))).collect();
            Ok(JoblibFile { root: file.root, report: file.report, arrays })
        }
        Format::Other => load_pickle(data, opts),
        other => Err(malformed(format!("not a joblib file: it is a {} file", other.name()))),
    }
}

/// Loads the (uncompressed) pickle of a joblib file.
fn load_pickle<'a>(data: &'a [u8], opts: &LoadOptions) -> Result<JoblibFile<'a>> {
    let report = brinery_scan::scan_bytes(data, "joblib", &opts.scan);
    crate::error::refuse_unless_safe(&report, opts.allow_unsafe)?;
    let regions = report.streams.first().map(|s| s.inline_arrays.clone()).unwrap_or_default();
    let pickle = without_regions(data, &regions)?;
    let root = brinery::pickle::loads(&pickle, &brinery::pickle::LoadOptions::default())
        .map_err(|source| Error::Pickle { member: "joblib pickle (array data taken out)".into(), source })?
        .into_owned();
    let wrappers = wrappers_in_order(&root);
    if wrappers.len() != regions.len() {
        return Err(malformed(format!(
            "the pickle has {} NumpyArrayWrapper objects but the stream {} arrays",
            wrappers.len(),
            regions.len()
        )));
    }
    let mut arrays = Vec::with_capacity(regions.len());
    for ((path, wrapper), region) in wrappers.iter().zip(&regions) {
        let array = array_of(wrapper, region, data).map_err(|e| malformed(format!("array {path}: {e}")))?;
        arrays.push((wrapper.identity().expect("a wrapper is an object"), array));
    }
    arrays.sort_by_key(|(id, _)| *id);
    Ok(JoblibFile { root, report, arrays })
}

/// The stream without the array data (and its alignment padding) joblib
/// wrote between opcodes.
fn without_regions(data: &[u8], regions: &[InlineArray]) -> Result<Vec<u8>> {
    // Not sized by `data`: the arrays, nearly all of a large file, are left out.
    let mut out = Vec::new();
    let mut at = 0usize;
    for region in regions {
        let start = to_usize(region.offset.saturating_sub(region.padding))?;
        let end = to_usize(region.offset.saturating_add(region.len))?;
        if start < at || end > data.len() {
            return Err(malformed(format!("array data at byte {} runs outside the stream", region.offset)));
        }
        out.extend_from_slice(&data[at..start]);
        at = end;
    }
    out.extend_from_slice(&data[at..]);
    Ok(out)
}

fn to_usize(n: u64) -> Result<usize> {
    usize::try_from(n).map_err(|_| malformed(format!("offset {n} is beyond this machine's address space")))
}

/// The array a wrapper describes, over the bytes the scan found for it.
fn array_of<'a>(wrapper: &Value<'_>, region: &InlineArray, data: &'a [u8]) -> Result<Array<'a>> {
    let object = wrapper.as_object().ok_or_else(|| malformed("not an object"))?;
    let state: Vec<(String, &Value<'_>)> =
        object.attributes().into_iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), v))).collect();
    let field = |name: &str| {
        state.iter().rev().find(|(k, _)| k == name).map(|(_, v)| *v).ok_or_else(|| malformed(format!("no {name}")))
    };
    let dtype = DType::from_value(field("dtype")?)
        .map_err(|e| malformed(format!("dtype: {e}")))?
        .ok_or_else(|| malformed("its dtype is not a numpy dtype"))?;
    let shape = match field("shape")? {
        Value::Tuple(dims) => dims.iter().map(|d| crate::size_of("a dimension", d)).collect::<Result<Vec<_>>>()?,
        other => return Err(malformed(format!("shape is {other}"))),
    };
    let fortran_order = field("order")?.as_str() == Some("F");
    let start = to_usize(region.offset)?;
    let bytes = data
        .get(start..start.saturating_add(to_usize(region.len)?))
        .ok_or_else(|| malformed("its data runs past the end of the stream"))?;
    if region.pickled {
        let value = brinery::pickle::loads(bytes, &brinery::pickle::LoadOptions::default())
            .map_err(|source| Error::Pickle { member: "joblib object array".into(), source })?;
        return Ok(Array { dtype, shape, fortran_order, data: Data::Pickled(value) });
    }
    let needed = shape.iter().try_fold(dtype.item_size, |n, &d| n.checked_mul(d));
    if needed != Some(bytes.len()) {
        return Err(malformed(format!(
            "shape {shape:?} of {} needs {} bytes, the stream holds {}",
            dtype.descr,
            needed.map_or("too many".to_string(), |n| n.to_string()),
            bytes.len()
        )));
    }
    Ok(Array { dtype, shape, fortran_order, data: Data::Bytes(Cow::Borrowed(bytes)) })
}

/// Whether `value` is joblib's placeholder for an inline array.
fn is_wrapper(value: &Value<'_>) -> bool {
    let class = value.as_object().and_then(|o| o.class());
    class.is_some_and(|c| c.name() == "NumpyArrayWrapper" && c.module().starts_with("joblib"))
}

/// Every `NumpyArrayWrapper` reachable from `root` with its path, in the
/// order the pickler met them: depth first, each object once, an object's
/// constructor before its list items, dict items and state (the order
/// `save_reduce` writes them), containers' items in order. Constructor
/// arguments add no name; a state dict's keys are attribute names.
fn wrappers_in_order<'v>(root: &'v Value<'static>) -> Vec<(String, &'v Value<'static>)> {
    use brinery::value::Update;
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // (path, value), popped from the end: children are pushed in reverse.
    let mut stack: Vec<(String, &'v Value<'static>)> = vec![(String::new(), root)];
    while let Some((path, value)) = stack.pop() {
        if let Some(id) = value.identity() {
            if !seen.insert(id) {
                continue;
            }
        }
        if is_wrapper(value) {
            out.push((path, value));
            continue;
        }
        let join = |part: String| if path.is_empty() { part } else { format!("{path}.{part}") };
        let mut children: Vec<(String, &'v Value<'static>)> = Vec::new();
        match value {
            Value::Dict(pairs) => children.extend(pairs.iter().map(|(k, v)| (join(key_name(k)), v))),
            Value::List(items) | Value::Tuple(items) | Value::Set(items) | Value::FrozenSet(items) => {
                children.extend(items.iter().enumerate().map(|(i, v)| (join(i.to_string()), v)))
            }
            Value::Object(object) => {
                children.extend(crate::constructor_parts(object).into_iter().map(|v| (path.clone(), v)));
                let mut appended = 0;
                for update in object.updates() {
                    match update {
                        Update::Append(v) => {
                            children.push((join(appended.to_string()), v));
                            appended += 1;
                        }
                        Update::SetItem(k, v) => children.push((join(key_name(k)), v)),
                        Update::Build(state) => children.extend(
                            state_parts(state)
                                .into_iter()
                                .map(|(name, v)| (name.map_or_else(|| path.clone(), &join), v)),
                        ),
                    }
                }
            }
            _ => {}
        }
        stack.extend(children.into_iter().rev());
    }
    out
}

/// A BUILD state's parts: a dict's items by attribute name, the two halves
/// of a `(dict, slots)` state likewise, anything else unnamed.
fn state_parts<'v>(state: &'v Value<'static>) -> Vec<(Option<String>, &'v Value<'static>)> {
    match state {
        Value::Dict(pairs) => pairs.iter().map(|(k, v)| (Some(key_name(k)), v)).collect(),
        Value::Tuple(halves) if halves.len() == 2 => halves.iter().flat_map(state_parts).collect(),
        other => vec![(None, other)],
    }
}

fn key_name(key: &Value<'_>) -> String {
    key.as_str().map_or_else(|| key.to_string(), str::to_string)
}
