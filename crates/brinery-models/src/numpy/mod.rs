//! numpy's own files: `.npy` (one array) and `.npz` (a ZIP of `.npy`
//! files, stored or deflated, as `numpy.savez` and `savez_compressed` write).
//!
//! Plain arrays are views of the file's bytes (borrowed from the memory map
//! for `.npy` and stored `.npz` members). An array of Python objects is
//! stored as a pickle of the whole array; like `numpy.load`, reading one
//! needs [`LoadOptions::allow_pickle`], and the pickle is scanned first: one
//! that names anything but plain data is refused with the scan's verdict
//! unless [`LoadOptions::allow_unsafe`] is set (nothing is run either way).
//!
//! ```
//! use brinery_models::numpy::{load_npy, LoadOptions};
//! // numpy.save(f, numpy.array([1.5, -2.0], '<f4'))
//! let mut file = b"\x93NUMPY\x01\x00v\x00".to_vec();
//! let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
//! file.extend(format!("{header:<117}\n").bytes());
//! file.extend([1.5f32, -2.0].iter().flat_map(|x| x.to_le_bytes()));
//! let array = load_npy(&file, &LoadOptions::default()).unwrap();
//! assert_eq!(array.dtype.descr, "<f4");
//! assert_eq!(array.shape, [2]);
//! assert_eq!(array.view().unwrap().to_vec_f64().unwrap(), [1.5, -2.0]);
//! ```

mod literal;

use crate::{malformed, size_of, Error, Result};
use brinery::view::{ArrayData, DType, DTypeKind, NdArray};
use brinery::Value;
use brinery_scan::ScanOptions;
use std::borrow::Cow;

/// How to read numpy files.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Read arrays of Python objects, whose data is a pickle (`numpy.load`'s
    /// `allow_pickle`); the pickle must still scan safe.
    pub allow_pickle: bool,
    /// Read an object array's pickle even when the scan finds more than plain data.
    pub allow_unsafe: bool,
    /// The scan's policy and the ZIP limits.
    pub scan: ScanOptions,
}

/// One array from a numpy file.
#[derive(Clone, Debug)]
pub struct Array<'a> {
    /// The element type (byte order included).
    pub dtype: DType,
    /// The shape (empty for a 0-d array).
    pub shape: Vec<usize>,
    /// Whether the elements are in column-major order.
    pub fortran_order: bool,
    /// The elements.
    pub data: Data<'a>,
}

/// Where an array's elements are.
#[derive(Clone, Debug)]
pub enum Data<'a> {
    /// The raw elements, in the file's order: borrowed from the file unless
    /// an `.npz` member had to be decompressed.
    Bytes(Cow<'a, [u8]>),
    /// An object array: the array as numpy pickled it (see [`Array::view`]
    /// for its items).
    Pickled(Value<'a>),
}

impl<'a> Array<'a> {
    /// The array as a [`NdArray`] view, with its helpers (`element`,
    /// `to_vec_f64`, strides…); for an object array, its items.
    pub fn view(&self) -> Result<NdArray<'_, 'a>> {
        match &self.data {
            Data::Bytes(bytes) => Ok(NdArray {
                dtype: self.dtype.clone(),
                shape: self.shape.clone(),
                fortran_order: self.fortran_order,
                data: ArrayData::Bytes(bytes),
            }),
            Data::Pickled(value) => {
                NdArray::from_value(value).map_err(|e| malformed(e.to_string()))?.ok_or_else(|| {
                    malformed(format!("the object array's pickle holds {}, not an array", value.type_name()))
                })
            }
        }
    }
}

/// Reads an `.npy` file.
pub fn load_npy<'a>(data: &'a [u8], opts: &LoadOptions) -> Result<Array<'a>> {
    let header = brinery_formats::npy::parse(data)?;
    let (dtype, shape, fortran_order) = read_header(data, header.data_offset)?;
    let body = &data[header.data_offset..];
    if dtype.kind == DTypeKind::Object || header.has_object {
        return Ok(Array { dtype, shape, fortran_order, data: Data::Pickled(unpickle(body, opts)?) });
    }
    let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let len = count.and_then(|c| c.checked_mul(dtype.item_size));
    let bytes = len.and_then(|len| body.get(..len)).ok_or_else(|| {
        malformed(format!(
            ".npy data: shape {shape:?} of {} needs {} bytes, the file has {}",
            dtype.descr,
            len.map_or("too many".to_string(), |l| l.to_string()),
            body.len()
        ))
    })?;
    Ok(Array { dtype, shape, fortran_order, data: Data::Bytes(Cow::Borrowed(bytes)) })
}

/// Reads an `.npz` file: each member's name (without `.npy`) and array, in
/// archive order.
pub fn load_npz<'a>(data: &'a [u8], opts: &LoadOptions) -> Result<Vec<(String, Array<'a>)>> {
    let limits = &opts.scan.limits;
    let archive = brinery_formats::zip::read(data, limits)?;
    let mut out = Vec::new();
    for member in archive.members.iter().filter(|m| !m.hidden) {
        let name = member.name.strip_suffix(".npy").unwrap_or(&member.name).to_string();
        let array = match member.data(data, limits)? {
            Cow::Borrowed(bytes) => load_npy(bytes, opts),
            Cow::Owned(bytes) => load_npy(&bytes, opts).map(into_owned),
        };
        out.push((name, array.map_err(|e| malformed(format!("{}: {e}", member.name)))?));
    }
    Ok(out)
}

pub(crate) fn into_owned(array: Array<'_>) -> Array<'static> {
    let data = match array.data {
        Data::Bytes(b) => Data::Bytes(Cow::Owned(b.into_owned())),
        Data::Pickled(v) => Data::Pickled(v.into_owned()),
    };
    Array { dtype: array.dtype, shape: array.shape, fortran_order: array.fortran_order, data }
}

/// The header dict's `descr`, `shape` and `fortran_order`.
fn read_header(data: &[u8], end: usize) -> Result<(DType, Vec<usize>, bool)> {
    let start = if data[6] == 1 { 10 } else { 12 };
    let text = std::str::from_utf8(&data[start..end]).map_err(|_| malformed(".npy header is not text"))?;
    let header = literal::parse(text)?;
    let field = |name: &str| header.get_str(name).ok_or_else(|| malformed(format!(".npy header has no '{name}'")));
    let dtype = DType::from_npy_descr(field("descr")?).map_err(|e| malformed(format!(".npy header: {e}")))?;
    let shape = field("shape")?;
    let dims = shape.as_tuple().ok_or_else(|| malformed(format!(".npy header: shape {shape} is not a tuple")))?;
    let shape = dims.iter().map(|d| size_of(".npy header: a dimension", d)).collect::<Result<Vec<_>>>()?;
    let fortran_order =
        field("fortran_order")?.as_bool().ok_or_else(|| malformed(".npy header: fortran_order is not a bool"))?;
    Ok((dtype, shape, fortran_order))
}

/// An object array's pickle, refused unless allowed and scanned safe.
fn unpickle<'a>(body: &'a [u8], opts: &LoadOptions) -> Result<Value<'a>> {
    if !opts.allow_pickle {
        return Err(Error::Unsupported(
            "an array of Python objects is stored as a pickle; reading it needs allow_pickle (as numpy.load does)"
                .into(),
        ));
    }
    let report = brinery_scan::scan_bytes(body, "object array", &opts.scan);
    crate::error::refuse_unless_safe(&report, opts.allow_unsafe)?;
    // As numpy.load: Python 2 strings decoded as ASCII, bytes after the pickle ignored.
    let options =
        brinery::pickle::LoadOptions { trailing_data: brinery::pickle::TrailingData::Ignore, ..Default::default() };
    brinery::pickle::loads(body, &options).map_err(|source| Error::Pickle { member: "object array".into(), source })
}
