//! PyTorch checkpoints (`torch.save`, `torch.jit.save`) read without torch
//! and without running anything.
//!
//! Every format torch has written is read by content: the ZIP format (torch
//! 1.6 and later, any archive root name), TorchScript archives, the legacy
//! format of stacked pickles behind a magic number, and the tar format of
//! the first releases. The pickles become inert [`Value`]s; tensors are
//! found in them by the functions torch rebuilds them with
//! (`torch._utils._rebuild_tensor_v2` and friends) and viewed in place:
//! loading a memory-mapped checkpoint copies none of its weights.
//!
//! Before anything is built, the pickles torch would unpickle are scanned
//! ([`brinery_scan`]; the whole legacy file, since its pickles and storages
//! are interleaved): a checkpoint that names globals outside the data
//! allowlist (a full-model save, a TorchScript archive, a malicious file) is
//! refused with the scan's verdict unless [`LoadOptions::allow_unsafe`] is
//! set, the same line `torch.load(weights_only=True)` draws. A ZIP
//! checkpoint's storages are located only when their bytes are read (see
//! [`Storage`]), so loading touches neither the weights nor the pages near
//! them; `brinery_scan::scan_file` audits every member of the archive.
//!
//! ```no_run
//! use brinery_models::{torch, MappedFile};
//! let file = MappedFile::open("model.pt")?;
//! let checkpoint = torch::load(&file, &torch::LoadOptions::default())?;
//! for (name, tensor) in checkpoint.tensors()? {
//!     println!("{name}: {} {:?}", tensor.dtype, tensor.shape);
//! }
//! # Ok::<(), brinery_models::Error>(())
//! ```

mod dtype;
mod legacy;
mod names;
mod rebuild;
mod tar_format;
mod tensor;
mod zip_format;

pub use dtype::DType;
pub use tensor::{ByteOrder, Storage, Tensor};

use crate::{Error, Result};
use brinery::Value;
use brinery_scan::{FileReport, ScanOptions};
use std::collections::HashMap;

/// Which of torch's file formats a checkpoint is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `torch.save` since 1.6: a ZIP archive with `data.pkl` and `data/<key>` storages.
    Zip,
    /// `torch.jit.save`: a ZIP archive with code, `data.pkl` and `constants.pkl`.
    TorchScript,
    /// `torch.save(..., _use_new_zipfile_serialization=False)`: stacked pickles, then raw storages.
    Legacy,
    /// The tar archive of torch's first releases (`storages`, `tensors`, `pickle`).
    Tar,
}

impl Format {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Zip => "torch zip",
            Format::TorchScript => "TorchScript archive",
            Format::Legacy => "torch legacy (stacked pickles)",
            Format::Tar => "torch tar",
        }
    }
}

/// Which torch format `data` is in, judged by its first bytes (a ZIP
/// archive counts when it has a `data.pkl` record, which is checked on load).
///
/// ```
/// use brinery_models::torch::{sniff, Format};
/// assert_eq!(sniff(b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03."), Some(Format::Legacy));
/// assert_eq!(sniff(b"\x80\x04K\x01."), None);
/// ```
pub fn sniff(data: &[u8]) -> Option<Format> {
    if brinery_formats::sniff(data) == brinery_formats::Format::Zip {
        let archive = brinery_formats::zip::read_directory(data, &Default::default()).ok()?;
        let root = archive.members.first()?.name.split_once('/')?.0.to_string();
        let has = |name: &str| archive.members.iter().any(|m| m.name == format!("{root}/{name}"));
        return match (has("data.pkl"), has("constants.pkl")) {
            (true, true) => Some(Format::TorchScript),
            (true, false) => Some(Format::Zip),
            _ => None,
        };
    }
    if tar_format::is_tar(data) {
        Some(Format::Tar)
    } else if legacy::is_legacy(data) {
        Some(Format::Legacy)
    } else {
        None
    }
}

/// How to load a checkpoint.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The scan's policy and container limits.
    pub scan: ScanOptions,
    /// Load even when the scan verdict is not `safe` (the values stay inert:
    /// nothing is imported or called either way).
    pub allow_unsafe: bool,
}

/// A loaded checkpoint: the pickled object and the storages its tensors view.
pub struct Checkpoint<'a> {
    /// The format it was read as.
    pub format: Format,
    /// The byte order of the storages.
    pub byte_order: ByteOrder,
    /// The object `torch.save` was given (a state dict, a model, a dict of both…).
    pub root: Value<'a>,
    /// A TorchScript archive's `constants.pkl` (tensors its code uses).
    pub constants: Option<Value<'a>>,
    /// What the scan found.
    pub report: FileReport,
    /// Storages by key (`data/0`, `constants/3`, or the legacy formats' keys).
    pub(crate) storages: HashMap<String, Storage<'a>>,
    /// The tar format's tensors, which its pickle names by key.
    pub(crate) tar_tensors: HashMap<String, tar_format::TarTensor>,
}

/// Loads a checkpoint from its bytes (usually a [`MappedFile`](crate::MappedFile)).
///
/// The scan runs first; [`Error::Unsafe`] carries its verdict when the file
/// is refused.
pub fn load<'a>(data: &'a [u8], opts: &LoadOptions) -> Result<Checkpoint<'a>> {
    if brinery_formats::sniff(data) == brinery_formats::Format::Zip {
        return zip_format::load(data, opts);
    }
    if tar_format::is_tar(data) {
        // The tar format interleaves pickles with raw bytes the scanner
        // cannot tell apart, so its pickles are found first, then scanned.
        let (mut checkpoint, pickles) = tar_format::load(data)?;
        checkpoint.report = scan_pickles(Format::Tar, &pickles, opts)?;
        return Ok(checkpoint);
    }
    if !legacy::is_legacy(data) {
        return Err(Error::Malformed(format!(
            "not a torch checkpoint: neither a ZIP archive, a tar archive, nor torch's legacy magic number (starts {:02x?})",
            &data[..data.len().min(8)]
        )));
    }
    let report = brinery_scan::scan_bytes(data, "checkpoint", &opts.scan);
    crate::error::refuse_unless_safe(&report, opts.allow_unsafe)?;
    let mut checkpoint = legacy::load(data)?;
    checkpoint.report = report;
    Ok(checkpoint)
}

/// Scans each pickle torch would unpickle from a checkpoint (`(where, bytes)`)
/// into one report, and refuses the checkpoint unless the verdict is safe
/// (or [`LoadOptions::allow_unsafe`] is set).
fn scan_pickles(format: Format, pickles: &[(String, &[u8])], opts: &LoadOptions) -> Result<FileReport> {
    let mut report =
        FileReport { path: "checkpoint".to_string(), format: format.name().to_string(), ..Default::default() };
    for (location, bytes) in pickles {
        let part = brinery_scan::scan_bytes(bytes, location, &opts.scan);
        report.streams.extend(part.streams.into_iter().map(|mut s| {
            s.location = if s.location.is_empty() { location.clone() } else { format!("{location} > {}", s.location) };
            s
        }));
        report.anomalies.extend(part.anomalies);
        report.errors.extend(part.errors);
    }
    crate::error::refuse_unless_safe(&report, opts.allow_unsafe)?;
    Ok(report)
}

/// How torch unpickles: Python 2 strings as UTF-8 (`torch.load`'s default).
pub(crate) fn pickle_options() -> brinery::pickle::LoadOptions {
    brinery::pickle::LoadOptions { encoding: brinery::pickle::StringEncoding::Utf8, ..Default::default() }
}

impl<'a> Checkpoint<'a> {
    pub(crate) fn new(format: Format, byte_order: ByteOrder, root: Value<'a>) -> Checkpoint<'a> {
        Checkpoint {
            format,
            byte_order,
            root,
            constants: None,
            report: FileReport::default(),
            storages: HashMap::new(),
            tar_tensors: HashMap::new(),
        }
    }

    /// Every tensor reachable from [`root`](Checkpoint::root), named the way
    /// `state_dict()` names them (`layer.0.weight`; a model object's
    /// `_parameters`, `_buffers` and `_modules` add no name of their own),
    /// in pickle order; then a TorchScript archive's constants as
    /// `constants.<i>`. A tensor reachable by two names is listed twice.
    pub fn tensors(&self) -> Result<Vec<(String, Tensor<'_>)>> {
        let mut out = Vec::new();
        names::walk(self, &self.root, "data", "", &mut out)?;
        if let Some(constants) = &self.constants {
            names::walk(self, constants, "constants", "constants", &mut out)?;
        }
        Ok(out)
    }

    /// The tensor `value` rebuilds, if it is one (`None` for any other value).
    pub fn tensor(&self, value: &Value<'a>) -> Option<Result<Tensor<'_>>> {
        rebuild::tensor(self, value, "data")
    }

    /// Where the storage a persistent id names is kept: `data/<key>` (or
    /// `constants/<key>`) in ZIP archives, the key itself (or the key of
    /// the view it names) in the legacy formats.
    pub(crate) fn storage_key(&self, dir: &str, storage: &rebuild::StorageRef) -> String {
        match (self.format, &storage.view) {
            (Format::Zip | Format::TorchScript, _) => format!("{dir}/{}", storage.key),
            (_, Some((view_key, _, _))) => view_key.clone(),
            (_, None) => storage.key.clone(),
        }
    }

    /// Registers storage `view_key` as `len` elements of `element_size`
    /// bytes starting `offset` elements into storage `base_key`, sharing its
    /// bytes: how the legacy and tar formats save a storage that views another.
    pub(crate) fn add_storage_view(
        &mut self,
        view_key: &str,
        base_key: &str,
        offset: usize,
        len: usize,
        element_size: usize,
    ) -> Result<()> {
        let Some(base) = self.storages.get(base_key).and_then(Storage::ready_bytes) else {
            return Err(crate::malformed(format!("storage view {view_key} of missing storage {base_key}")));
        };
        let start = offset.checked_mul(element_size);
        let end = offset.checked_add(len).and_then(|end| end.checked_mul(element_size));
        let bytes = start
            .zip(end)
            .and_then(|(start, end)| base.get(start..end))
            .ok_or_else(|| crate::malformed(format!("storage view {view_key} lies outside storage {base_key}")))?;
        let view = Storage::from_bytes(view_key, bytes);
        self.storages.insert(view_key.to_string(), view);
        Ok(())
    }

    /// A storage by key (`data/0` in ZIP checkpoints).
    pub fn storage(&self, key: &str) -> Option<&Storage<'a>> {
        self.storages.get(key)
    }

    /// Every storage, in no particular order.
    pub fn storages(&self) -> impl Iterator<Item = &Storage<'a>> {
        self.storages.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_view_shares_its_base_bytes_and_stays_inside_it() {
        let base: Vec<u8> = (0..16).collect();
        let mut c = Checkpoint::new(Format::Legacy, ByteOrder::Little, Value::None);
        c.storages.insert("1".into(), Storage::from_bytes("1", &base[..]));
        c.add_storage_view("2", "1", 1, 2, 4).unwrap();
        assert_eq!(c.storage("2").unwrap().data().unwrap(), &base[4..12]);
        assert!(c.storage("2").unwrap().is_borrowed());
        let outside = c.add_storage_view("3", "1", 3, 2, 4).unwrap_err();
        assert!(outside.to_string().contains("lies outside storage 1"), "{outside}");
        assert!(c.add_storage_view("4", "1", usize::MAX, 1, 4).is_err(), "overflow is an error, not a panic");
        assert!(c.add_storage_view("5", "9", 0, 1, 4).unwrap_err().to_string().contains("missing storage 9"));
    }
}
