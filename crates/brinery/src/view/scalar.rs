//! numpy scalars (`numpy.float64(1.5)`, `numpy.int32(7)`, …).

use super::dtype::{DType, DTypeKind};
use super::ndarray::dtype_of;
use super::{describe, elements, Call, ViewError};
use crate::Value;

const VIEW: &str = "numpy scalar";

/// A numpy scalar: numpy pickles it as
/// `numpy.core.multiarray.scalar(dtype, raw_bytes)` (numpy 1.x) or
/// `numpy._core.multiarray.scalar(dtype, raw_bytes)` (numpy 2.x).
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// // pickle.dumps(numpy.float32(0.5), protocol=4)
/// let bytes = b"\x80\x04\x95f\x00\x00\x00\x00\x00\x00\x00\x8c\x16numpy._core.multiarray\x94\x8c\x06scalar\x94\x93\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bC\x04\x00\x00\x00?\x94\x86\x94R\x94.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let scalar = value.as_numpy_scalar().unwrap().unwrap();
/// assert_eq!(scalar.dtype.descr, "<f4");
/// assert_eq!(scalar.bytes, [0, 0, 0, 0x3f]);
/// assert_eq!(scalar.as_f64().unwrap(), 0.5);
/// ```
#[derive(Clone, Debug)]
pub struct NumpyScalar<'v> {
    /// The scalar's dtype.
    pub dtype: DType,
    /// Its raw bytes, in the dtype's byte order.
    pub bytes: &'v [u8],
}

impl<'v> NumpyScalar<'v> {
    /// The scalar, if `v` is a pickled numpy scalar; an error if it names
    /// `scalar` but its dtype or bytes do not fit.
    ///
    /// ```
    /// use brinery::view::NumpyScalar;
    /// assert!(NumpyScalar::from_value(&brinery::Value::from(1)).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'_>) -> Result<Option<NumpyScalar<'v>>, ViewError> {
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.is_any(&[("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")]) {
            return Ok(None);
        }
        let err = |m: String| ViewError::new(VIEW, m);
        let [dtype, data] = call.args else {
            return Err(err(format!("scalar takes (dtype, bytes), got {} arguments", call.args.len())));
        };
        let dtype = dtype_of(dtype).map_err(|e| err(e.message().to_string()))?;
        if dtype.kind == DTypeKind::Object {
            return Err(err("an object-dtype scalar holds a Python object, not bytes".into()));
        }
        let bytes = data.as_bytes().ok_or_else(|| err(format!("the data is {}, not bytes", describe(data))))?;
        if bytes.len() != dtype.item_size {
            return Err(err(format!(
                "dtype {} needs {} bytes, the data has {}",
                dtype.descr,
                dtype.item_size,
                bytes.len()
            )));
        }
        Ok(Some(NumpyScalar { dtype, bytes }))
    }

    /// The value as `f64` (bool, integer and 2/4/8-byte float dtypes).
    ///
    /// See [`NumpyScalar`] for an example.
    pub fn as_f64(&self) -> Result<f64, ViewError> {
        elements::to_f64(&self.dtype, self.bytes).map_err(|m| ViewError::new(VIEW, m))
    }

    /// The value as `i64` (bool and integer dtypes that fit; the raw count
    /// of a `datetime64`/`timedelta64`).
    ///
    /// ```
    /// use brinery::view::{DType, NumpyScalar};
    /// let s = NumpyScalar { dtype: DType::from_descr(">i2").unwrap(), bytes: &[0xff, 0xfe] };
    /// assert_eq!(s.as_i64().unwrap(), -2);
    /// ```
    pub fn as_i64(&self) -> Result<i64, ViewError> {
        elements::to_i64(&self.dtype, self.bytes).map_err(|m| ViewError::new(VIEW, m))
    }
}
