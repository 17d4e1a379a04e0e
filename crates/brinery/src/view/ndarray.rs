//! `numpy.ndarray`, in every form numpy pickles it.

use super::dtype::{checked_product, shape_of, DType, DTypeKind};
use super::{describe, elements, text, Call, ViewError};
use crate::Value;

const VIEW: &str = "numpy.ndarray";

fn err(message: impl Into<String>) -> ViewError {
    ViewError::new(VIEW, message)
}

/// The elements of an [`NdArray`], borrowed from the value.
#[derive(Clone, Copy, Debug)]
pub enum ArrayData<'v, 'a> {
    /// Raw element bytes exactly as pickled, in storage order (C order, or
    /// Fortran order when [`NdArray::fortran_order`]); the byte order is the
    /// dtype's.
    Bytes(&'v [u8]),
    /// The items of an object array (dtype `O`), in storage order.
    Objects(&'v [Value<'a>]),
    /// A protocol-5 out-of-band buffer whose bytes were not supplied when
    /// loading (`LoadOptions::buffers`): only its position is known.
    OutOfBand {
        /// Which out-of-band buffer (0 for the first).
        index: usize,
    },
}

/// A numpy array, read from any of the ways numpy pickles one:
///
/// - `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')` (numpy 1.x) or
///   `numpy._core.multiarray._reconstruct` (numpy 2.x), then BUILD with
///   `(version, shape, dtype, is_fortran, rawdata)`, where `rawdata` is
///   bytes, or a list for object arrays (every protocol below 5, and
///   protocol 5 for object and non-contiguous arrays);
/// - `numpy.core.numeric._frombuffer(buffer, dtype, shape, order)` or
///   `numpy._core.numeric._frombuffer` (protocol 5), where the buffer is an
///   out-of-band `PickleBuffer` or in-band bytes/bytearray.
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// use brinery::view::{ArrayData, NdArray};
///
/// // pickle.dumps(numpy.array([[1, 2, 3], [4, 5, 6]], '>i2'), protocol=4)
/// let bytes = b"\x80\x04\x95\x97\x00\x00\x00\x00\x00\x00\x00\x8c\x16numpy._core.multiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x02K\x03\x86\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02i2\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01>\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x0c\x00\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00\x06\x94t\x94b.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let array = value.as_ndarray().unwrap().unwrap();
/// assert_eq!(array.dtype.descr, ">i2");
/// assert_eq!(array.shape, [2, 3]);
/// assert_eq!(array.len(), 6);
/// assert_eq!(array.element(1), Some(&[0, 2][..]));
/// assert_eq!(array.to_vec_i64().unwrap(), [1, 2, 3, 4, 5, 6]);
/// assert!(matches!(array.data, ArrayData::Bytes(b) if b.len() == 12)); // borrowed, not copied
/// ```
#[derive(Clone, Debug)]
pub struct NdArray<'v, 'a> {
    /// The element type.
    pub dtype: DType,
    /// The shape (empty for a 0-d array).
    pub shape: Vec<usize>,
    /// Whether the data is in Fortran (column-major) order: numpy writes
    /// this for arrays that are Fortran- but not C-contiguous.
    pub fortran_order: bool,
    /// The elements.
    pub data: ArrayData<'v, 'a>,
}

/// The module names numpy 1.x and 2.x use for `_reconstruct` and `_frombuffer`.
const RECONSTRUCT: [(&str, &str); 2] =
    [("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")];
const FROMBUFFER: [(&str, &str); 2] = [("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")];

impl<'v, 'a> NdArray<'v, 'a> {
    /// The array, if `v` is a pickled numpy array; an error if it is one
    /// but its state does not hold together (wrong data length, missing
    /// state, a dtype that is not a dtype…).
    ///
    /// ```
    /// use brinery::view::NdArray;
    /// use brinery::Value;
    /// assert!(NdArray::from_value(&Value::list([1, 2])).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> Result<Option<NdArray<'v, 'a>>, ViewError> {
        let Some(call) = Call::of(v) else { return Ok(None) };
        if call.is_any(&RECONSTRUCT) {
            let state = call.object.state().ok_or_else(|| err("_reconstruct without BUILD state"))?;
            return NdArray::from_state(state).map(Some);
        }
        if call.is_any(&FROMBUFFER) {
            return NdArray::from_frombuffer(call.args).map(Some);
        }
        Ok(None)
    }

    /// Reads the `__setstate__` tuple `(version, shape, dtype, is_fortran,
    /// rawdata)` (or the 4-item form without the version).
    pub(crate) fn from_state(state: &'v Value<'a>) -> Result<NdArray<'v, 'a>, ViewError> {
        let s = state.as_tuple().ok_or_else(|| err(format!("the state is {}, not a tuple", describe(state))))?;
        NdArray::from_state_items(s)
    }

    /// [`NdArray::from_state`] on the state tuple's items.
    pub(crate) fn from_state_items(s: &'v [Value<'a>]) -> Result<NdArray<'v, 'a>, ViewError> {
        let s = match s.len() {
            5 => &s[1..],
            4 => s,
            n => return Err(err(format!("the state tuple has {n} items; numpy writes 5"))),
        };
        let shape = shape_of(&s[0]).map_err(|e| err(e.message()))?;
        let dtype = dtype_of(&s[1])?;
        let fortran_order = match &s[2] {
            Value::Bool(b) => *b,
            Value::Int(i) => !i.is_zero(),
            other => return Err(err(format!("is_fortran is {}, not a bool", describe(other)))),
        };
        let data = match &s[3] {
            Value::Bytes(b) => ArrayData::Bytes(b.as_slice()),
            Value::ByteArray(b) => ArrayData::Bytes(b),
            Value::List(items) if dtype.kind == DTypeKind::Object => ArrayData::Objects(items),
            Value::Str(_) => {
                return Err(err(
                    "the array data is a str: a Python 2 pickle loaded with a text encoding; load it with StringEncoding::Bytes",
                ))
            }
            other => return Err(err(format!("the array data is {} for dtype {}", describe(other), dtype.descr))),
        };
        NdArray::checked(dtype, shape, fortran_order, data)
    }

    /// Reads `_frombuffer(buffer, dtype, shape, order)`.
    fn from_frombuffer(args: &'v [Value<'a>]) -> Result<NdArray<'v, 'a>, ViewError> {
        let [buffer, dtype, shape, order] = args else {
            return Err(err(format!("_frombuffer takes (buffer, dtype, shape, order), got {} arguments", args.len())));
        };
        let dtype = dtype_of(dtype)?;
        let shape = shape_of(shape).map_err(|e| err(e.message()))?;
        let fortran_order = match text(order).as_deref() {
            Some("C") => false,
            Some("F") => true,
            _ => return Err(err(format!("order is {}, not 'C' or 'F'", describe(order)))),
        };
        let data = match buffer {
            Value::Buffer(b) => match b.data() {
                Some(bytes) => ArrayData::Bytes(bytes),
                None => ArrayData::OutOfBand { index: b.index() },
            },
            Value::Bytes(b) => ArrayData::Bytes(b.as_slice()),
            Value::ByteArray(b) => ArrayData::Bytes(b),
            other => return Err(err(format!("the buffer is {}, not a PickleBuffer or bytes", describe(other)))),
        };
        NdArray::checked(dtype, shape, fortran_order, data)
    }

    /// Checks that the data holds exactly the elements the shape asks for.
    fn checked(
        dtype: DType,
        shape: Vec<usize>,
        fortran_order: bool,
        data: ArrayData<'v, 'a>,
    ) -> Result<Self, ViewError> {
        let count = checked_product(&shape).ok_or_else(|| err(format!("shape {shape:?} overflows")))?;
        match data {
            ArrayData::Bytes(b) => {
                let want = count.checked_mul(dtype.item_size).ok_or_else(|| err("array size overflows"))?;
                if b.len() != want {
                    return Err(err(format!(
                        "shape {shape:?} of {} needs {want} bytes, the data has {}",
                        dtype.descr,
                        b.len()
                    )));
                }
            }
            ArrayData::Objects(items) if items.len() != count => {
                return Err(err(format!("shape {shape:?} needs {count} objects, the data has {}", items.len())));
            }
            _ => {}
        }
        Ok(NdArray { dtype, shape, fortran_order, data })
    }

    /// The number of elements (numpy's `size`; 1 for a 0-d array).
    ///
    /// See [`NdArray`] for an example.
    pub fn len(&self) -> usize {
        checked_product(&self.shape).unwrap_or(usize::MAX)
    }

    /// Whether the array has no elements.
    ///
    /// ```
    /// use brinery::view::{ArrayData, DType, NdArray};
    /// let a = NdArray { dtype: DType::from_descr("<f8").unwrap(), shape: vec![0, 3], fortran_order: false, data: ArrayData::Bytes(&[]) };
    /// assert!(a.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of dimensions.
    ///
    /// ```
    /// use brinery::view::{ArrayData, DType, NdArray};
    /// let a = NdArray { dtype: DType::from_descr("|u1").unwrap(), shape: vec![], fortran_order: false, data: ArrayData::Bytes(&[7]) };
    /// assert_eq!((a.ndim(), a.len()), (0, 1));
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The raw bytes of element `i` in storage order, or `None` when out of
    /// range or the array has no byte data (object arrays, missing
    /// out-of-band buffers).
    ///
    /// See [`NdArray`] for an example.
    pub fn element(&self, i: usize) -> Option<&'v [u8]> {
        let ArrayData::Bytes(b) = self.data else { return None };
        let size = self.dtype.item_size;
        let start = i.checked_mul(size)?;
        b.get(start..start.checked_add(size)?).filter(|_| i < self.len())
    }

    /// The storage index of the element at a multi-dimensional index
    /// (honouring Fortran order), or `None` when out of bounds.
    ///
    /// ```
    /// use brinery::view::{ArrayData, DType, NdArray};
    /// let data = [1u8, 2, 3, 4, 5, 6];
    /// let f = NdArray { dtype: DType::from_descr("|u1").unwrap(), shape: vec![2, 3], fortran_order: true, data: ArrayData::Bytes(&data) };
    /// assert_eq!(f.storage_index(&[1, 0]), Some(1));
    /// assert_eq!(f.storage_index(&[0, 1]), Some(2));
    /// assert_eq!(f.storage_index(&[2, 0]), None);
    /// ```
    pub fn storage_index(&self, index: &[usize]) -> Option<usize> {
        if index.len() != self.shape.len() || index.iter().zip(&self.shape).any(|(i, d)| i >= d) {
            return None;
        }
        let mut pos = 0usize;
        let mut step = 1usize;
        let mut visit = |i: usize, d: usize| {
            pos = pos.saturating_add(i.saturating_mul(step));
            step = step.saturating_mul(d);
        };
        if self.fortran_order {
            index.iter().zip(&self.shape).for_each(|(&i, &d)| visit(i, d));
        } else {
            index.iter().zip(&self.shape).rev().for_each(|(&i, &d)| visit(i, d));
        }
        Some(pos)
    }

    /// The byte strides numpy gives the array (`arr.strides`): contiguous in
    /// C or Fortran order, dimensions of length 0 counted as 1 as numpy does.
    ///
    /// ```
    /// use brinery::view::{ArrayData, DType, NdArray};
    /// let c = NdArray { dtype: DType::from_descr("<f8").unwrap(), shape: vec![2, 3], fortran_order: false, data: ArrayData::Objects(&[]) };
    /// assert_eq!(c.strides(), [24, 8]);
    /// ```
    pub fn strides(&self) -> Vec<usize> {
        let mut strides = vec![0; self.shape.len()];
        let mut step = self.dtype.item_size;
        let order: Box<dyn Iterator<Item = usize>> =
            if self.fortran_order { Box::new(0..self.shape.len()) } else { Box::new((0..self.shape.len()).rev()) };
        for k in order {
            strides[k] = step;
            step = step.saturating_mul(self.shape[k].max(1));
        }
        strides
    }

    /// Whether the elements are laid out in C (row-major) order: always,
    /// unless the data is in Fortran order with more than one dimension
    /// longer than 1 (numpy's `flags.c_contiguous` for an unpickled array).
    ///
    /// ```
    /// use brinery::view::{ArrayData, DType, NdArray};
    /// let mut a = NdArray { dtype: DType::from_descr("<f8").unwrap(), shape: vec![3, 1], fortran_order: true, data: ArrayData::Objects(&[]) };
    /// assert!(a.is_c_contiguous());
    /// a.shape = vec![3, 2];
    /// assert!(!a.is_c_contiguous());
    /// ```
    pub fn is_c_contiguous(&self) -> bool {
        !self.fortran_order || self.is_empty() || self.shape.iter().filter(|&&d| d > 1).count() <= 1
    }

    /// Whether the elements are laid out in Fortran (column-major) order
    /// (numpy's `flags.f_contiguous`).
    ///
    /// ```
    /// use brinery::view::{ArrayData, DType, NdArray};
    /// let a = NdArray { dtype: DType::from_descr("<f8").unwrap(), shape: vec![4], fortran_order: false, data: ArrayData::Objects(&[]) };
    /// assert!(a.is_f_contiguous() && a.is_c_contiguous());
    /// ```
    pub fn is_f_contiguous(&self) -> bool {
        self.fortran_order || self.is_empty() || self.shape.iter().filter(|&&d| d > 1).count() <= 1
    }

    /// Every element as `f64`, in storage order, honouring the dtype's byte
    /// order: bool, integer and float (`f2`, `f4`, `f8`) dtypes; an error
    /// for others or when the array has no byte data.
    ///
    /// ```
    /// use brinery::view::{ArrayData, DType, NdArray};
    /// let data = [0x3f, 0xf8, 0, 0, 0, 0, 0, 0]; // 1.5 big-endian
    /// let a = NdArray { dtype: DType::from_descr(">f8").unwrap(), shape: vec![1], fortran_order: false, data: ArrayData::Bytes(&data) };
    /// assert_eq!(a.to_vec_f64().unwrap(), [1.5]);
    /// ```
    pub fn to_vec_f64(&self) -> Result<Vec<f64>, ViewError> {
        self.convert(elements::to_f64)
    }

    /// Every element as `i64`, in storage order: bool and integer dtypes
    /// (unsigned values above `i64::MAX` are an error) and the raw counts of
    /// `datetime64`/`timedelta64`.
    ///
    /// See [`NdArray`] for an example.
    pub fn to_vec_i64(&self) -> Result<Vec<i64>, ViewError> {
        self.convert(elements::to_i64)
    }

    fn convert<T>(&self, f: fn(&DType, &[u8]) -> Result<T, String>) -> Result<Vec<T>, ViewError> {
        let bytes = match self.data {
            ArrayData::Bytes(b) => b,
            ArrayData::Objects(_) => return Err(err("an object array has no element bytes")),
            ArrayData::OutOfBand { index } => {
                return Err(err(format!("out-of-band buffer {index} was not supplied (LoadOptions::buffers)")))
            }
        };
        // The dtype decides, even for an empty array: probe with one zero element.
        let zero = [0u8; 16];
        f(&self.dtype, &zero[..self.dtype.item_size.min(zero.len())]).map_err(err)?;
        if self.dtype.item_size == 0 {
            return Ok(Vec::new());
        }
        bytes.chunks_exact(self.dtype.item_size).map(|e| f(&self.dtype, e).map_err(err)).collect()
    }
}

/// A pickled `numpy.dtype`, required.
pub(crate) fn dtype_of(v: &Value<'_>) -> Result<DType, ViewError> {
    DType::from_value(v)?.ok_or_else(|| err(format!("the dtype is {}, not a numpy.dtype", describe(v))))
}
