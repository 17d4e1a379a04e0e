//! The tar format of torch's first releases (before 0.4): a tar archive of
//! three files. `storages` holds a count, then per storage a pickled
//! `(key, location, storage_type)` and its bytes (an 8-byte element count
//! first), then a pickled list of storage views; `tensors` holds a count,
//! then per tensor a pickled `(key, storage_key, tensor_type)` and its
//! dimensions, strides and offset as little-endian integers; `pickle` is the
//! object, naming tensors by persistent id `str(key)`.

use super::rebuild::key_text;
use super::{pickle_options, ByteOrder, Checkpoint, DType, Format, Storage, Tensor};
use crate::{malformed, size_of, Error, Result};
use brinery::Value;
use std::collections::HashMap;

/// A tensor described in the `tensors` file.
#[derive(Clone, Debug)]
pub(crate) struct TarTensor {
    storage_key: String,
    dtype: DType,
    shape: Vec<usize>,
    stride: Vec<usize>,
    offset: usize,
}

impl TarTensor {
    pub(crate) fn tensor<'c>(&self, ckpt: &'c Checkpoint<'_>) -> Result<Tensor<'c>> {
        let storage = ckpt
            .storages
            .get(&self.storage_key)
            .ok_or_else(|| malformed(format!("tensor names storage {} which the file lacks", self.storage_key)))?;
        Tensor::new(
            self.dtype,
            self.shape.clone(),
            self.stride.clone(),
            self.offset,
            ByteOrder::Little,
            storage,
            usize::MAX,
        )
    }
}

/// Whether `data` is a tar archive (the `ustar` magic of its first header).
pub(crate) fn is_tar(data: &[u8]) -> bool {
    data.get(257..262) == Some(b"ustar")
}

/// The pickles of a tar checkpoint, with where each is (`tensors @ 12`).
pub(crate) type Pickles<'a> = Vec<(String, &'a [u8])>;

/// Reads the archive, returning every pickle it holds for the caller to scan.
pub(crate) fn load(data: &[u8]) -> Result<(Checkpoint<'_>, Pickles<'_>)> {
    let files = entries(data)?;
    let file = |name: &str| {
        files
            .get(name)
            .copied()
            .ok_or_else(|| malformed(format!("not a torch checkpoint: the tar archive has no {name:?}")))
    };
    let mut pickles = vec![("pickle".to_string(), file("pickle")?)];
    let mut storages = Reader { data: file("storages")?, at: 0, file: "storages", pickles: &mut pickles };
    let root = brinery::pickle::loads(file("pickle")?, &pickle_options())
        .map_err(|source| Error::Pickle { member: "pickle".to_string(), source })?;
    let mut checkpoint = Checkpoint::new(Format::Tar, ByteOrder::Little, root);
    let mut dtypes: HashMap<String, DType> = HashMap::new();

    let count = size_of("storage count", &storages.pickle()?)?;
    for _ in 0..count {
        let entry = storages.pickle()?;
        let (key, class) = match entry.as_tuple() {
            Some([key, _location, class]) => (key_text(key), class.as_global()),
            _ => (None, None),
        };
        let (Some(key), Some(class)) = (key, class) else {
            return Err(malformed(format!("storages: entry {entry} is not (key, location, storage_type)")));
        };
        let dtype = DType::from_storage_class(&class.name())
            .ok_or_else(|| Error::Unsupported(format!("storage type {}.{}", class.module(), class.name())))?;
        let elements = storages.u64()? as usize;
        let bytes = storages.take(elements.checked_mul(dtype.item_size()))?;
        dtypes.insert(key.clone(), dtype);
        checkpoint.storages.insert(key.clone(), Storage::from_bytes(key, bytes));
    }
    let views = storages.pickle()?;
    for view in views.as_seq().unwrap_or_default() {
        let Some([target, root, offset, numel]) = view.as_tuple() else {
            return Err(malformed(format!("storages: view {view} is not (target, root, offset, numel)")));
        };
        let (target, root) = (key_text(target).unwrap_or_default(), key_text(root).unwrap_or_default());
        let (offset, numel) = (size_of("view offset", offset)?, size_of("view size", numel)?);
        let dtype = *dtypes.get(&root).ok_or_else(|| malformed(format!("storage view of unknown storage {root}")))?;
        checkpoint.add_storage_view(&target, &root, offset, numel, dtype.item_size())?;
        dtypes.insert(target, dtype);
    }

    let mut tensors = Reader { data: file("tensors")?, at: 0, file: "tensors", pickles: storages.pickles };
    let count = size_of("tensor count", &tensors.pickle()?)?;
    for _ in 0..count {
        let entry = tensors.pickle()?;
        let Some([key, storage_key, _tensor_type]) = entry.as_tuple() else {
            return Err(malformed(format!("tensors: entry {entry} is not (key, storage_key, tensor_type)")));
        };
        let (key, storage_key) = (key_text(key).unwrap_or_default(), key_text(storage_key).unwrap_or_default());
        let dtype =
            *dtypes.get(&storage_key).ok_or_else(|| malformed(format!("tensor {key}: no storage {storage_key}")))?;
        let ndim = tensors.u32()? as usize;
        tensors.take(Some(4))?; // the high half of what was once an 8-byte ndim
        let shape = (0..ndim).map(|_| tensors.size()).collect::<Result<Vec<_>>>()?;
        let stride = (0..ndim).map(|_| tensors.size()).collect::<Result<Vec<_>>>()?;
        let offset = tensors.size()?;
        checkpoint.tar_tensors.insert(key, TarTensor { storage_key, dtype, shape, stride, offset });
    }
    Ok((checkpoint, pickles))
}

/// The archive's regular files by name, borrowed from `data`.
fn entries(data: &[u8]) -> Result<HashMap<String, &[u8]>> {
    let bad = |e: std::io::Error| malformed(format!("tar archive: {e}"));
    let mut archive = tar::Archive::new(data);
    let mut files = HashMap::new();
    for entry in archive.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let start = entry.raw_file_position() as usize;
        let len = entry.size() as usize;
        let bytes = start
            .checked_add(len)
            .and_then(|end| data.get(start..end))
            .ok_or_else(|| malformed(format!("tar member {name:?} runs past the end")))?;
        files.insert(name, bytes);
    }
    Ok(files)
}

/// A cursor over one of the tar's files: pickles and raw integers in turn.
/// Every pickle read is recorded in `pickles`.
struct Reader<'a, 'p> {
    data: &'a [u8],
    at: usize,
    file: &'static str,
    pickles: &'p mut Pickles<'a>,
}

impl<'a> Reader<'a, '_> {
    fn pickle(&mut self) -> Result<Value<'a>> {
        let (value, used) =
            brinery::pickle::loads_prefix(&self.data[self.at..], &pickle_options()).map_err(|source| {
                Error::Pickle { member: format!("{} (the pickle at byte {})", self.file, self.at), source }
            })?;
        self.pickles.push((format!("{} @ {}", self.file, self.at), &self.data[self.at..self.at + used]));
        self.at += used;
        Ok(value)
    }

    fn take(&mut self, len: Option<usize>) -> Result<&'a [u8]> {
        let bytes = len
            .and_then(|len| self.data.get(self.at..self.at.checked_add(len)?))
            .ok_or_else(|| malformed(format!("{}: ends before byte {} where more data was due", self.file, self.at)))?;
        self.at += bytes.len();
        Ok(bytes)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(Some(4))?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(Some(8))?.try_into().expect("8 bytes")))
    }

    fn size(&mut self) -> Result<usize> {
        let n = i64::from_le_bytes(self.take(Some(8))?.try_into().expect("8 bytes"));
        usize::try_from(n).map_err(|_| malformed(format!("{}: size {n} is negative", self.file)))
    }
}
