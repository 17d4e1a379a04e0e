//! Writing a checkpoint's tensors as a safetensors file, deciding about
//! shared and strided tensors the way Hugging Face's `convert.py` does:
//!
//! - tensors whose bytes overlap in one storage are written once: among
//!   those that cover their whole storage, the first name in sorted order
//!   is kept and every other name is dropped, recorded in the metadata as
//!   `dropped name → kept name` (safetensors cannot express aliasing);
//! - a group where no tensor covers its whole storage is refused, as
//!   Hugging Face's converter refuses it;
//! - every kept tensor is written contiguous and little-endian (a strided
//!   or big-endian tensor is copied; a contiguous little-endian one is
//!   written straight from the memory map);
//! - a checkpoint whose object has a `state_dict` entry is converted from
//!   that entry, as `convert.py` does.
//!
//! ```no_run
//! use brinery_models::{safetensors, torch, MappedFile};
//! let file = MappedFile::open("model.pt")?;
//! let checkpoint = torch::load(&file, &torch::LoadOptions::default())?;
//! let plan = safetensors::plan(safetensors::tensors_to_convert(&checkpoint)?, false)?;
//! safetensors::write(&plan, "model.safetensors".as_ref())?;
//! for (dropped, kept) in &plan.dropped {
//!     println!("{dropped} shares memory with {kept}: written once as {kept}");
//! }
//! # Ok::<(), brinery_models::Error>(())
//! ```

use crate::torch::{Checkpoint, Tensor};
use crate::{Error, Result};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// What will be written, and what was decided to get there.
pub struct Plan<'c> {
    /// The tensors to write, in checkpoint order.
    pub tensors: Vec<(String, Tensor<'c>)>,
    /// Names not written because they share memory with a kept tensor, with that tensor's name.
    pub dropped: Vec<(String, String)>,
    /// Names written as a contiguous copy of a strided tensor.
    pub made_contiguous: Vec<String>,
    /// Names left out because safetensors has no type for them (with `skip_unsupported`).
    pub skipped: Vec<(String, crate::torch::DType)>,
}

/// The tensors `convert.py` would convert: those under the object's
/// `state_dict` entry when it has one, else all of them.
pub fn tensors_to_convert<'c>(checkpoint: &'c Checkpoint<'_>) -> Result<Vec<(String, Tensor<'c>)>> {
    let all = checkpoint.tensors()?;
    if checkpoint.root.get_str("state_dict").is_some() {
        let inner: Vec<_> = all
            .into_iter()
            .filter_map(|(name, t)| name.strip_prefix("state_dict.").map(|n| (n.to_string(), t)))
            .collect();
        return Ok(inner);
    }
    Ok(all)
}

/// Decides which tensors to write (see the module documentation). A
/// tensor whose type safetensors lacks (complex128, quantized…) is an
/// error, or with `skip_unsupported` is left out and listed in
/// [`Plan::skipped`].
pub fn plan(tensors: Vec<(String, Tensor<'_>)>, skip_unsupported: bool) -> Result<Plan<'_>> {
    let (tensors, unsupported): (Vec<_>, Vec<_>) =
        tensors.into_iter().partition(|(_, t)| t.dtype.safetensors().is_some());
    if let (Some((name, t)), false) = (unsupported.first(), skip_unsupported) {
        return Err(Error::Unsupported(format!(
            "{name}: safetensors has no type for torch.{}{}",
            t.dtype,
            if unsupported.len() > 1 {
                format!(" (nor for {} more tensors)", unsupported.len() - 1)
            } else {
                String::new()
            }
        )));
    }
    let skipped = unsupported.into_iter().map(|(name, t)| (name, t.dtype)).collect();
    // Group by storage, then split each storage's tensors into runs whose bytes overlap.
    let mut by_storage: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, (_, t)) in tensors.iter().enumerate() {
        by_storage.entry(t.storage_key).or_default().push(i);
    }
    let mut drop_to: HashMap<usize, usize> = HashMap::new();
    for members in by_storage.values() {
        for group in overlapping_groups(&tensors, members) {
            if group.len() < 2 {
                continue;
            }
            let complete = group.iter().copied().filter(|&i| covers_storage(&tensors[i].1));
            let keep = complete.min_by(|&a, &b| tensors[a].0.cmp(&tensors[b].0)).ok_or_else(|| {
                let names: Vec<&str> = group.iter().map(|&i| tensors[i].0.as_str()).collect();
                Error::Unsupported(format!(
                    "tensors {} share memory and none of them covers its whole storage (Hugging Face's converter refuses this too)",
                    names.join(", ")
                ))
            })?;
            drop_to.extend(group.iter().filter(|&&i| i != keep).map(|&i| (i, keep)));
        }
    }
    let mut plan = Plan { tensors: Vec::new(), dropped: Vec::new(), made_contiguous: Vec::new(), skipped };
    let names: Vec<String> = tensors.iter().map(|(n, _)| n.clone()).collect();
    for (i, (name, tensor)) in tensors.into_iter().enumerate() {
        if let Some(&keep) = drop_to.get(&i) {
            plan.dropped.push((name, names[keep].clone()));
            continue;
        }
        if !tensor.is_contiguous() {
            plan.made_contiguous.push(name.clone());
        }
        plan.tensors.push((name, tensor));
    }
    Ok(plan)
}

/// Whether a tensor views every byte of its storage from the start (what
/// `safetensors.torch._is_complete` checks).
fn covers_storage(t: &Tensor<'_>) -> bool {
    t.storage_offset == 0 && t.nbytes() == t.storage.len()
}

/// Splits one storage's tensors into groups of overlapping byte ranges.
fn overlapping_groups(tensors: &[(String, Tensor<'_>)], members: &[usize]) -> Vec<Vec<usize>> {
    let mut spans: Vec<(usize, usize, usize)> = members
        .iter()
        .map(|&i| {
            let r = tensors[i].1.byte_span();
            (r.start, r.end, i)
        })
        .collect();
    spans.sort();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_end = 0;
    for (start, end, i) in spans {
        match groups.last_mut() {
            Some(group) if start < group_end => {
                group.push(i);
                group_end = group_end.max(end);
            }
            _ => {
                groups.push(vec![i]);
                group_end = end;
            }
        }
    }
    groups
}

/// Writes the plan's tensors to `path`, with `{"format": "pt"}` and the
/// dropped names in the header's metadata (as `convert.py` does).
pub fn write(plan: &Plan<'_>, path: &Path) -> Result<()> {
    let mut metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    for (dropped, kept) in &plan.dropped {
        metadata.entry(dropped.clone()).or_insert_with(|| kept.clone());
    }
    let data: Vec<(&str, Cow<'_, [u8]>)> = plan
        .tensors
        .iter()
        .map(|(n, t)| Ok((n.as_str(), t.to_little_endian().map_err(|e| Error::Malformed(format!("{n}: {e}")))?)))
        .collect::<Result<_>>()?;
    let mut views = Vec::with_capacity(data.len());
    for ((name, bytes), (_, t)) in data.iter().zip(&plan.tensors) {
        let dtype = t.dtype.safetensors().expect("plan() checked every dtype");
        let view = ::safetensors::tensor::TensorView::new(dtype, t.shape.clone(), bytes)
            .map_err(|e| Error::Malformed(format!("{name}: {e}")))?;
        views.push((*name, view));
    }
    ::safetensors::tensor::serialize_to_file(views, Some(metadata), path).map_err(|e| match e {
        ::safetensors::SafeTensorError::IoError(source) => Error::Io { path: path.display().to_string(), source },
        other => Error::Malformed(other.to_string()),
    })
}
