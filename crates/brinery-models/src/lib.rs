//! ML model files in Rust, read without Python and without running them.
//!
//! - [`torch`]: PyTorch checkpoints of every era (`torch.save` ZIP and
//!   legacy formats, the first releases' tar format, TorchScript archives):
//!   the saved object as inert values and its tensors as typed views of the
//!   file's bytes;
//! - [`numpy`]: `.npy` and `.npz` files, object arrays included;
//! - [`joblib`]: `joblib.dump` files (how scikit-learn models are saved),
//!   plain or compressed, with the numpy arrays joblib writes into the stream;
//! - [`safetensors`]: writing a checkpoint's tensors as a safetensors file,
//!   the way Hugging Face's converter does.
//!
//! Files are read through a [`MappedFile`]: a multi-gigabyte checkpoint
//! loads without copying its weights, and only the pages that are looked at
//! are read from disk.

mod error;
pub mod joblib;
mod mapped;
pub mod numpy;
pub mod safetensors;
pub mod torch;

pub(crate) use error::malformed;
pub use error::{Error, Result};
pub use mapped::MappedFile;

/// A pickled int that is a size: non-negative and within `usize`.
pub(crate) fn size_of(what: &str, value: &brinery::Value<'_>) -> Result<usize> {
    value
        .as_i64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| malformed(format!("{what} is {value}, not a size")))
}

/// The values an object was constructed from (callable or class, arguments),
/// in the order the pickle wrote them.
pub(crate) fn constructor_parts<'v, 'a>(object: &'v brinery::value::Object<'a>) -> Vec<&'v brinery::Value<'a>> {
    use brinery::value::Constructor;
    match object.constructor() {
        Constructor::Reduce { callable: a, args: b } | Constructor::NewObj { cls: a, args: b } => vec![a, b],
        Constructor::NewObjEx { cls, args, kwargs } => vec![cls, args, kwargs],
        Constructor::Inst { args, .. } => args.iter().collect(),
        Constructor::Obj { cls, args } => std::iter::once(cls).chain(args.iter()).collect(),
        Constructor::Persistent { .. } => Vec::new(),
    }
}
