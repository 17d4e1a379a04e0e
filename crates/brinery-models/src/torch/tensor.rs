//! One tensor: where its elements are in which storage, and how to read them.

use super::DType;
use crate::{malformed, Result};
use brinery_formats::{zip::Member, Limits};
use std::borrow::Cow;
use std::sync::OnceLock;

/// The byte order a checkpoint's storages were written in (its `byteorder`
/// record, or `sys_info` in the legacy format).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOrder {
    /// Least significant byte first (every machine torch runs on today).
    Little,
    /// Most significant byte first.
    Big,
}

impl ByteOrder {
    /// `"little"` or `"big"`, as the record spells it.
    pub fn name(self) -> &'static str {
        match self {
            ByteOrder::Little => "little",
            ByteOrder::Big => "big",
        }
    }
}

/// A storage: the flat bytes one or more tensors view.
///
/// A ZIP checkpoint's storages are found lazily: loading lists them from the
/// archive's directory, and the first [`data`](Storage::data) call reads the
/// member's local header to find its bytes. So loading a checkpoint and
/// reading every tensor's metadata touches no page near the weights.
///
/// ```
/// use brinery_models::torch::Storage;
/// let storage = Storage::from_bytes("data/0", b"\x00\x00\x80\x3f");
/// assert_eq!(storage.len(), 4);
/// assert_eq!(storage.data().unwrap(), b"\x00\x00\x80\x3f");
/// ```
#[derive(Clone, Debug)]
pub struct Storage<'a> {
    /// The key tensors find it by (`data/0` in a ZIP checkpoint).
    pub key: String,
    /// Size in bytes, as the file declares it.
    len: usize,
    bytes: StorageBytes<'a>,
}

/// Where a storage's bytes are.
#[derive(Clone, Debug)]
enum StorageBytes<'a> {
    /// At hand (legacy and tar formats, tests).
    Ready(Cow<'a, [u8]>),
    /// A ZIP member of `file`, located (and, if compressed, inflated) on first use.
    Member { file: &'a [u8], member: Member, limits: Limits, found: OnceLock<std::result::Result<Found, String>> },
}

/// A ZIP member's bytes once located: a range of the file (stored, as torch
/// writes them) or an inflated copy (a re-zipped archive).
#[derive(Clone, Debug)]
enum Found {
    InFile(std::ops::Range<usize>),
    Inflated(Vec<u8>),
}

impl<'a> Storage<'a> {
    /// A storage holding `bytes`.
    pub fn from_bytes(key: impl Into<String>, bytes: impl Into<Cow<'a, [u8]>>) -> Storage<'a> {
        let bytes = bytes.into();
        Storage { key: key.into(), len: bytes.len(), bytes: StorageBytes::Ready(bytes) }
    }

    /// A storage that is member `member` of the ZIP archive `file`; its size
    /// is what the archive's directory declares.
    pub(crate) fn zip_member(key: String, file: &'a [u8], member: Member, limits: Limits) -> Result<Storage<'a>> {
        let len = usize::try_from(member.size)
            .map_err(|_| malformed(format!("storage {key} declares {} bytes", member.size)))?;
        Ok(Storage { key, len, bytes: StorageBytes::Member { file, member, limits, found: OnceLock::new() } })
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes: borrowed from the file when stored uncompressed (as torch
    /// always writes them). Fails if the member's local header is missing or
    /// its data is not the size the directory declares.
    pub fn data(&self) -> Result<&[u8]> {
        match &self.bytes {
            StorageBytes::Ready(bytes) => Ok(bytes),
            StorageBytes::Member { file, member, limits, found } => {
                let found = found.get_or_init(|| locate(&self.key, self.len, file, member, limits));
                match found {
                    Ok(Found::InFile(range)) => Ok(&file[range.clone()]),
                    Ok(Found::Inflated(bytes)) => Ok(bytes),
                    Err(msg) => Err(malformed(msg.clone())),
                }
            }
        }
    }

    /// The bytes when they are at hand without reading the file (what a
    /// storage view of the legacy formats needs of its base).
    pub(crate) fn ready_bytes(&self) -> Option<&'a [u8]> {
        match &self.bytes {
            StorageBytes::Ready(Cow::Borrowed(bytes)) => Some(bytes),
            _ => None,
        }
    }

    /// Whether the bytes are borrowed from the file rather than copied
    /// (locating them first if need be).
    pub fn is_borrowed(&self) -> bool {
        match &self.bytes {
            StorageBytes::Ready(bytes) => matches!(bytes, Cow::Borrowed(_)),
            StorageBytes::Member { found, .. } => {
                let _ = self.data();
                matches!(found.get(), Some(Ok(Found::InFile(_))))
            }
        }
    }
}

/// Finds a ZIP member's bytes and checks they are as many as declared.
fn locate(key: &str, len: usize, file: &[u8], member: &Member, limits: &Limits) -> std::result::Result<Found, String> {
    let bytes = member.data(file, limits).map_err(|e| format!("storage {key}: {e}"))?;
    if bytes.len() != len {
        return Err(format!(
            "storage {key}: the archive holds {} bytes of the {len} its directory declares",
            bytes.len()
        ));
    }
    Ok(match bytes {
        Cow::Borrowed(slice) => {
            let start = slice.as_ptr() as usize - file.as_ptr() as usize;
            Found::InFile(start..start + slice.len())
        }
        Cow::Owned(bytes) => Found::Inflated(bytes),
    })
}

/// A tensor of a checkpoint: a strided view of a [`Storage`].
///
/// Nothing is copied: [`Tensor::data`] borrows the elements when they are
/// contiguous, and [`Tensor::to_contiguous`] gathers them when not.
#[derive(Clone, Debug)]
pub struct Tensor<'c> {
    /// Element type.
    pub dtype: DType,
    /// Size of each dimension.
    pub shape: Vec<usize>,
    /// Step between neighbours of each dimension, in elements.
    pub stride: Vec<usize>,
    /// Where the first element is, in elements from the start of the storage.
    pub storage_offset: usize,
    /// `requires_grad` as saved.
    pub requires_grad: bool,
    /// Saved as a `torch.nn.Parameter`.
    pub parameter: bool,
    /// The device it was saved from (`cpu`, `cuda:0`); the bytes are the same.
    pub device: String,
    /// The byte order of the storage bytes.
    pub byte_order: ByteOrder,
    /// The storage's key (tensors with the same key share memory).
    pub storage_key: &'c str,
    /// The storage it views.
    pub storage: &'c Storage<'c>,
}

impl<'c> Tensor<'c> {
    /// Builds a tensor after checking that every element it views lies inside
    /// the first `storage_len` bytes of the storage (fewer when the storage's
    /// persistent id declares fewer), so a hostile file cannot make reads go
    /// out of bounds. The storage's bytes are not read.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        dtype: DType,
        shape: Vec<usize>,
        stride: Vec<usize>,
        storage_offset: usize,
        byte_order: ByteOrder,
        storage: &'c Storage<'c>,
        storage_len: usize,
    ) -> Result<Tensor<'c>> {
        let storage_key = storage.key.as_str();
        let storage_len = storage_len.min(storage.len());
        if shape.len() != stride.len() {
            return Err(malformed(format!(
                "tensor on storage {storage_key} has {} sizes but {} strides",
                shape.len(),
                stride.len()
            )));
        }
        let tensor = Tensor {
            dtype,
            shape,
            stride,
            storage_offset,
            requires_grad: false,
            parameter: false,
            device: String::new(),
            byte_order,
            storage_key,
            storage,
        };
        let end =
            tensor.extent_end().ok_or_else(|| malformed(format!("tensor on storage {storage_key}: size overflows")))?;
        if end > storage_len {
            return Err(malformed(format!(
                "tensor on storage {storage_key} views bytes up to {end}, but the storage has {storage_len}"
            )));
        }
        Ok(tensor)
    }

    /// One past the last storage byte any element touches (the storage
    /// offset's byte position when the tensor is empty).
    fn extent_end(&self) -> Option<usize> {
        let item = self.dtype.item_size();
        if self.numel_checked()? == 0 {
            return self.storage_offset.checked_mul(item);
        }
        let mut last = self.storage_offset;
        for (&n, &s) in self.shape.iter().zip(&self.stride) {
            last = last.checked_add((n - 1).checked_mul(s)?)?;
        }
        last.checked_add(1)?.checked_mul(item)
    }

    /// The bytes of the storage from the first element to one past the
    /// last (what a tensor overlaps another by).
    pub fn byte_span(&self) -> std::ops::Range<usize> {
        let start = self.storage_offset * self.dtype.item_size();
        start..self.extent_end().unwrap_or(start).max(start)
    }

    fn numel_checked(&self) -> Option<usize> {
        self.shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n))
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Size of the elements in bytes (what a contiguous copy takes).
    pub fn nbytes(&self) -> usize {
        self.numel() * self.dtype.item_size()
    }

    /// Whether the elements lie in row-major order with no gaps.
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&n, &s) in self.shape.iter().zip(&self.stride).rev() {
            if n != 1 && s != expected {
                return false;
            }
            expected *= n;
        }
        true
    }

    /// The byte range of the storage the elements occupy when contiguous.
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        if !self.is_contiguous() {
            return None;
        }
        let start = self.storage_offset * self.dtype.item_size();
        Some(start..start + self.nbytes())
    }

    /// The element bytes, borrowed, when the tensor is contiguous (`None`
    /// when it is not). Reads the storage's place in the file on first use;
    /// fails if the file does not hold the bytes its directory declares.
    pub fn data(&self) -> Result<Option<&'c [u8]>> {
        match self.contiguous_range() {
            Some(range) => Ok(Some(&self.storage.data()?[range])),
            None => Ok(None),
        }
    }

    /// The element bytes in row-major order: borrowed when contiguous,
    /// gathered into a new buffer when not.
    pub fn to_contiguous(&self) -> Result<Cow<'c, [u8]>> {
        if let Some(data) = self.data()? {
            return Ok(Cow::Borrowed(data));
        }
        let storage = self.storage.data()?;
        let item = self.dtype.item_size();
        let mut out = Vec::with_capacity(self.nbytes());
        let mut index = vec![0usize; self.shape.len()];
        for _ in 0..self.numel() {
            let at = self.storage_offset + index.iter().zip(&self.stride).map(|(i, s)| i * s).sum::<usize>();
            out.extend_from_slice(&storage[at * item..(at + 1) * item]);
            for d in (0..index.len()).rev() {
                index[d] += 1;
                if index[d] < self.shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        Ok(Cow::Owned(out))
    }

    /// Row-major element bytes in little-endian order (what safetensors and
    /// every current machine use): swapped when the file was big-endian.
    pub fn to_little_endian(&self) -> Result<Cow<'c, [u8]>> {
        let data = self.to_contiguous()?;
        let unit = self.dtype.component_size();
        if self.byte_order == ByteOrder::Little || unit == 1 {
            return Ok(data);
        }
        let mut owned = data.into_owned();
        for chunk in owned.chunks_exact_mut(unit) {
            chunk.reverse();
        }
        Ok(Cow::Owned(owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn a_transposed_view_gathers_in_row_major_order() {
        let storage = Storage::from_bytes("0", floats(&[0., 1., 2., 3., 4., 5.]));
        // torch.arange(6.).reshape(2, 3).t(): shape (3, 2), stride (1, 3).
        let t =
            Tensor::new(DType::Float32, vec![3, 2], vec![1, 3], 0, ByteOrder::Little, &storage, usize::MAX).unwrap();
        assert!(!t.is_contiguous());
        assert!(t.data().unwrap().is_none());
        assert_eq!(t.to_contiguous().unwrap().as_ref(), floats(&[0., 3., 1., 4., 2., 5.]).as_slice());
    }

    #[test]
    fn a_row_of_a_matrix_borrows_its_bytes() {
        let storage = Storage::from_bytes("0", floats(&[0., 1., 2., 3., 4., 5.]));
        let t = Tensor::new(DType::Float32, vec![3], vec![1], 3, ByteOrder::Little, &storage, usize::MAX).unwrap();
        assert_eq!(t.data().unwrap().unwrap(), floats(&[3., 4., 5.]).as_slice());
        assert!(matches!(t.to_contiguous().unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn views_past_the_storage_are_refused() {
        let storage = Storage::from_bytes("7", floats(&[0., 1.]));
        let err =
            Tensor::new(DType::Float32, vec![3], vec![1], 0, ByteOrder::Little, &storage, usize::MAX).unwrap_err();
        assert!(err.to_string().contains("views bytes up to 12, but the storage has 8"), "{err}");
        let huge =
            Tensor::new(DType::Float32, vec![usize::MAX, 2], vec![1, 1], 0, ByteOrder::Little, &storage, usize::MAX);
        assert!(huge.unwrap_err().to_string().contains("overflows"));
        let empty =
            Tensor::new(DType::Float32, vec![0, 5], vec![5, 1], 2, ByteOrder::Little, &storage, usize::MAX).unwrap();
        assert_eq!(empty.to_contiguous().unwrap().len(), 0);
    }

    #[test]
    fn big_endian_components_are_swapped_one_by_one() {
        // complex64 (1.0 + 2.0j) written big-endian: each float swapped alone.
        let mut storage = 1f32.to_be_bytes().to_vec();
        storage.extend_from_slice(&2f32.to_be_bytes());
        let storage = Storage::from_bytes("0", storage);
        let t = Tensor::new(DType::Complex64, vec![1], vec![1], 0, ByteOrder::Big, &storage, usize::MAX).unwrap();
        assert_eq!(t.to_little_endian().unwrap().as_ref(), floats(&[1., 2.]).as_slice());
    }
}
