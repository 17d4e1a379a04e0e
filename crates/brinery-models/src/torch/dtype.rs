//! The element types torch stores, by the names its pickles use for them.

/// A tensor element type, named as torch names it.
///
/// ```
/// use brinery_models::torch::DType;
/// assert_eq!(DType::from_storage_class("BFloat16Storage"), Some(DType::BFloat16));
/// assert_eq!(DType::from_torch_name("float8_e4m3fn"), Some(DType::Float8E4M3Fn));
/// assert_eq!(DType::from_torch_name("half"), Some(DType::Float16));
/// assert_eq!(DType::Complex64.item_size(), 8);
/// assert_eq!(DType::Float32.to_string(), "float32");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// `torch.float64`.
    Float64,
    /// `torch.float32`.
    Float32,
    /// `torch.float16`.
    Float16,
    /// `torch.bfloat16`.
    BFloat16,
    /// `torch.complex32` (two float16).
    Complex32,
    /// `torch.complex64` (two float32).
    Complex64,
    /// `torch.complex128` (two float64).
    Complex128,
    /// `torch.int8`.
    Int8,
    /// `torch.int16`.
    Int16,
    /// `torch.int32`.
    Int32,
    /// `torch.int64`.
    Int64,
    /// `torch.uint8`.
    UInt8,
    /// `torch.uint16`.
    UInt16,
    /// `torch.uint32`.
    UInt32,
    /// `torch.uint64`.
    UInt64,
    /// `torch.bool` (one byte, 0 or 1).
    Bool,
    /// `torch.float8_e4m3fn`.
    Float8E4M3Fn,
    /// `torch.float8_e4m3fnuz`.
    Float8E4M3FnUz,
    /// `torch.float8_e5m2`.
    Float8E5M2,
    /// `torch.float8_e5m2fnuz`.
    Float8E5M2FnUz,
    /// `torch.float8_e8m0fnu`.
    Float8E8M0Fnu,
    /// `torch.float4_e2m1fn_x2` (two 4-bit floats per byte).
    Float4E2M1FnX2,
    /// `torch.qint8` (quantized; the scale lives outside the storage).
    QInt8,
    /// `torch.quint8`.
    QUInt8,
    /// `torch.qint32`.
    QInt32,
    /// `torch.quint4x2`.
    QUInt4x2,
    /// `torch.quint2x4`.
    QUInt2x4,
}

/// Each type with its canonical torch name, its aliases, its legacy storage
/// class (types added since torch 2.1 have none: they are saved as an
/// `UntypedStorage` plus the dtype), and its size in bytes.
type Row = (DType, &'static str, &'static [&'static str], Option<&'static str>, usize);

const TABLE: &[Row] = &[
    (DType::Float64, "float64", &["double"], Some("DoubleStorage"), 8),
    (DType::Float32, "float32", &["float"], Some("FloatStorage"), 4),
    (DType::Float16, "float16", &["half"], Some("HalfStorage"), 2),
    (DType::BFloat16, "bfloat16", &[], Some("BFloat16Storage"), 2),
    (DType::Complex32, "complex32", &["chalf"], None, 4),
    (DType::Complex64, "complex64", &["cfloat"], Some("ComplexFloatStorage"), 8),
    (DType::Complex128, "complex128", &["cdouble"], Some("ComplexDoubleStorage"), 16),
    (DType::Int8, "int8", &[], Some("CharStorage"), 1),
    (DType::Int16, "int16", &["short"], Some("ShortStorage"), 2),
    (DType::Int32, "int32", &["int"], Some("IntStorage"), 4),
    (DType::Int64, "int64", &["long"], Some("LongStorage"), 8),
    (DType::UInt8, "uint8", &[], Some("ByteStorage"), 1),
    (DType::UInt16, "uint16", &[], None, 2),
    (DType::UInt32, "uint32", &[], None, 4),
    (DType::UInt64, "uint64", &[], None, 8),
    (DType::Bool, "bool", &[], Some("BoolStorage"), 1),
    (DType::Float8E4M3Fn, "float8_e4m3fn", &[], None, 1),
    (DType::Float8E4M3FnUz, "float8_e4m3fnuz", &[], None, 1),
    (DType::Float8E5M2, "float8_e5m2", &[], None, 1),
    (DType::Float8E5M2FnUz, "float8_e5m2fnuz", &[], None, 1),
    (DType::Float8E8M0Fnu, "float8_e8m0fnu", &[], None, 1),
    (DType::Float4E2M1FnX2, "float4_e2m1fn_x2", &[], None, 1),
    (DType::QInt8, "qint8", &[], Some("QInt8Storage"), 1),
    (DType::QUInt8, "quint8", &[], Some("QUInt8Storage"), 1),
    (DType::QInt32, "qint32", &[], Some("QInt32Storage"), 4),
    (DType::QUInt4x2, "quint4x2", &[], Some("QUInt4x2Storage"), 1),
    (DType::QUInt2x4, "quint2x4", &[], Some("QUInt2x4Storage"), 1),
];

impl DType {
    fn row(self) -> &'static Row {
        TABLE.iter().find(|row| row.0 == self).expect("every DType has a row")
    }

    /// Size of one element in bytes.
    pub fn item_size(self) -> usize {
        self.row().4
    }

    /// torch's canonical name (`float32`, not `float`).
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// The type a legacy storage class holds (`FloatStorage` → float32).
    pub fn from_storage_class(class: &str) -> Option<DType> {
        TABLE.iter().find(|row| row.3 == Some(class)).map(|row| row.0)
    }

    /// The type a `torch.<name>` global names (`float32`, `float`, `half`, …).
    pub fn from_torch_name(name: &str) -> Option<DType> {
        TABLE.iter().find(|row| row.1 == name || row.2.contains(&name)).map(|row| row.0)
    }

    /// The safetensors name of this type, if safetensors has one.
    pub fn safetensors(self) -> Option<safetensors::Dtype> {
        use safetensors::Dtype as S;
        Some(match self {
            DType::Float64 => S::F64,
            DType::Float32 => S::F32,
            DType::Float16 => S::F16,
            DType::BFloat16 => S::BF16,
            DType::Int8 => S::I8,
            DType::Int16 => S::I16,
            DType::Int32 => S::I32,
            DType::Int64 => S::I64,
            DType::UInt8 => S::U8,
            DType::UInt16 => S::U16,
            DType::UInt32 => S::U32,
            DType::UInt64 => S::U64,
            DType::Bool => S::BOOL,
            DType::Float8E4M3Fn => S::F8_E4M3,
            DType::Float8E5M2 => S::F8_E5M2,
            DType::Float8E8M0Fnu => S::F8_E8M0,
            DType::Complex64 => S::C64,
            _ => return None,
        })
    }

    /// Bytes per scalar component, the unit byte order applies to (a
    /// complex64 element is two 4-byte floats; bool and 8-bit types have no
    /// byte order).
    pub fn component_size(self) -> usize {
        match self {
            DType::Complex32 | DType::Complex64 | DType::Complex128 => self.item_size() / 2,
            _ => self.item_size(),
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_and_storage_class_maps_back_to_its_type() {
        for &(dtype, name, aliases, storage, _) in TABLE {
            assert_eq!(DType::from_torch_name(name), Some(dtype));
            for alias in aliases {
                assert_eq!(DType::from_torch_name(alias), Some(dtype));
            }
            if let Some(class) = storage {
                assert_eq!(DType::from_storage_class(class), Some(dtype));
            }
        }
        assert_eq!(DType::from_torch_name("float128"), None);
    }
}
