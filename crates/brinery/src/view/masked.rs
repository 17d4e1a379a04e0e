//! `numpy.ma.MaskedArray`.

use super::dtype::checked_product;
use super::ndarray::{ArrayData, NdArray};
use super::{describe, Call, ViewError};
use crate::Value;

const VIEW: &str = "numpy.ma.MaskedArray";

/// A numpy masked array: numpy pickles it as
/// `numpy.ma.core._mareconstruct(subtype, baseclass, (0,), 'b')` followed by
/// BUILD with `(version, shape, dtype, is_fortran, data, mask, fill_value)`.
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// use brinery::view::MaskedArray;
/// // pickle.dumps(numpy.ma.array([1.0, 2.0], mask=[False, True]), protocol=2)
/// let bytes = b"\x80\x02cnumpy.ma.core\n_mareconstruct\nq\x00(cnumpy.ma\nMaskedArray\nq\x01cnumpy\nndarray\nq\x02K\x00\x85q\x03X\x01\x00\x00\x00bq\x04tq\x05Rq\x06(K\x01K\x02\x85q\x07cnumpy\ndtype\nq\x08X\x02\x00\x00\x00f8q\x09\x89\x88\x87q\nRq\x0b(K\x03X\x01\x00\x00\x00<q\x0cNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0db\x89c_codecs\nencode\nq\x0eX\x11\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc3\xb0?\x00\x00\x00\x00\x00\x00\x00@q\x0fX\x06\x00\x00\x00latin1q\x10\x86q\x11Rq\x12h\x0eX\x02\x00\x00\x00\x00\x01q\x13h\x10\x86q\x14Rq\x15Ntq\x16b.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let m = MaskedArray::from_value(&value).unwrap().unwrap();
/// assert_eq!(m.array.to_vec_f64().unwrap(), [1.0, 2.0]);
/// assert_eq!(m.mask, [0, 1]);
/// assert!(m.fill_value.is_none());
/// ```
#[derive(Clone, Debug)]
pub struct MaskedArray<'v, 'a> {
    /// The data, as an array.
    pub array: NdArray<'v, 'a>,
    /// The mask bytes (numpy's `getmaskarray(a).tobytes()`): one byte per
    /// element (nonzero = masked), or one per field and element for
    /// structured dtypes, in the array's storage order.
    pub mask: &'v [u8],
    /// The fill value as pickled (`None` for numpy's default).
    pub fill_value: &'v Value<'a>,
}

impl<'v, 'a> MaskedArray<'v, 'a> {
    /// The masked array, if `v` is a pickled one.
    ///
    /// ```
    /// use brinery::view::MaskedArray;
    /// assert!(MaskedArray::from_value(&brinery::Value::None).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> Result<Option<MaskedArray<'v, 'a>>, ViewError> {
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.callable.is("numpy.ma.core", "_mareconstruct") {
            return Ok(None);
        }
        let err = |m: String| ViewError::new(VIEW, m);
        let state = call.object.state().ok_or_else(|| err("_mareconstruct without BUILD state".into()))?;
        let s = state
            .as_tuple()
            .filter(|s| s.len() == 7)
            .ok_or_else(|| err(format!("the state is {}, not numpy's 7-item tuple", describe(state))))?;
        let array = NdArray::from_state_items(&s[..5]).map_err(|e| err(e.message().to_string()))?;
        let mask = s[5].as_bytes().ok_or_else(|| err(format!("the mask is {}, not bytes", describe(&s[5]))))?;
        // Structured dtypes have a structured mask (one bool per leaf field); only plain ones are checked.
        let want = checked_product(&array.shape);
        let plain = array.dtype.fields.is_none() && !matches!(array.data, ArrayData::Objects(_));
        if plain && want != Some(mask.len()) {
            return Err(err(format!("the mask has {} bytes for shape {:?}", mask.len(), array.shape)));
        }
        Ok(Some(MaskedArray { array, mask, fill_value: &s[6] }))
    }
}
