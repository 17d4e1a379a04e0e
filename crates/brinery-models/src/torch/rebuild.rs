//! Recognising a tensor in the pickled values: the calls torch rebuilds
//! tensors with, and the persistent ids that name their storages.

use super::{Checkpoint, DType, Tensor};
use crate::{malformed, size_of, Error, Result};
use brinery::value::Constructor;
use brinery::Value;

/// The tensor `value` rebuilds, resolving storages in `dir` (`data` or
/// `constants`); `None` when `value` is not a tensor.
pub(crate) fn tensor<'c, 'a>(ckpt: &'c Checkpoint<'a>, value: &Value<'a>, dir: &str) -> Option<Result<Tensor<'c>>> {
    let object = value.as_object()?;
    match object.constructor() {
        Constructor::Reduce { callable, args } => {
            let function = callable.as_global()?;
            let args = args.as_tuple()?;
            match (function.module().as_ref(), function.name().as_ref()) {
                ("torch._utils", name @ ("_rebuild_tensor" | "_rebuild_tensor_v2" | "_rebuild_tensor_v3")) => {
                    Some(strided(ckpt, args, dir, name))
                }
                ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state") => {
                    let inner = tensor(ckpt, args.first()?, dir)?;
                    Some(inner.map(|mut t| {
                        t.parameter = true;
                        t.requires_grad = args.get(1).and_then(Value::as_bool).unwrap_or(false);
                        t
                    }))
                }
                // A tensor subclass: `_rebuild_from_type_v2(func, new_type, args, state)`.
                ("torch._tensor", "_rebuild_from_type_v2") => {
                    let func = args.first()?.as_global()?;
                    let inner = args.get(2)?.as_tuple()?;
                    match (func.module().as_ref(), func.name().as_ref()) {
                        ("torch._utils", name @ ("_rebuild_tensor" | "_rebuild_tensor_v2" | "_rebuild_tensor_v3")) => {
                            Some(strided(ckpt, inner, dir, name))
                        }
                        _ => None,
                    }
                }
                _ => None,
            }
        }
        Constructor::Persistent { pid, .. } => {
            let key = pid.as_str()?;
            let meta = ckpt.tar_tensors.get(key)?;
            Some(meta.tensor(ckpt))
        }
        _ => None,
    }
}

/// `_rebuild_tensor(storage, offset, size, stride)`, `_v2(…, requires_grad,
/// hooks[, metadata])`, `_v3(…, requires_grad, hooks, dtype[, metadata])`.
fn strided<'c>(ckpt: &'c Checkpoint<'_>, args: &[Value<'_>], dir: &str, function: &str) -> Result<Tensor<'c>> {
    let wanted = match function {
        "_rebuild_tensor" => 4,
        "_rebuild_tensor_v2" => 6,
        _ => 7,
    };
    if args.len() < wanted {
        return Err(malformed(format!("{function} needs {wanted} arguments, got {}", args.len())));
    }
    let pid =
        persistent_id(&args[0]).ok_or_else(|| malformed(format!("{function}: the storage is not a persistent id")))?;
    let storage = StorageRef::parse(pid)?;
    let dtype = if function == "_rebuild_tensor_v3" {
        let name = args[6].as_global().filter(|g| g.module() == "torch").map(|g| g.name().into_owned());
        let name = name.ok_or_else(|| malformed(format!("{function}: the dtype is {}", args[6])))?;
        DType::from_torch_name(&name).ok_or_else(|| Error::Unsupported(format!("dtype torch.{name}")))?
    } else {
        storage.dtype.ok_or_else(|| malformed(format!("{function} on an untyped storage names no dtype")))?
    };
    let key = ckpt.storage_key(dir, &storage);
    let bytes = ckpt
        .storages
        .get(&key)
        .ok_or_else(|| malformed(format!("storage {key} is named by a tensor but not in the file")))?;
    let declared = storage.numel.checked_mul(storage.element_size());
    let usable = match declared {
        Some(n) if n <= bytes.len() => n,
        _ => {
            return Err(malformed(format!(
                "storage {key} holds {} bytes, but its persistent id declares {} elements of {} bytes",
                bytes.len(),
                storage.numel,
                storage.element_size()
            )))
        }
    };
    let offset = size_of("storage offset", &args[1])?;
    let shape = sizes("size", &args[2])?;
    let stride = sizes("stride", &args[3])?;
    let mut tensor = Tensor::new(dtype, shape, stride, offset, ckpt.byte_order, bytes, usable)?;
    tensor.requires_grad = args.get(4).and_then(Value::as_bool).unwrap_or(false);
    tensor.device = storage.location;
    Ok(tensor)
}

/// The persistent id of an object the pickle kept out of band.
pub(crate) fn persistent_id<'v, 'a>(value: &'v Value<'a>) -> Option<&'v Value<'a>> {
    match value.as_object()?.constructor() {
        Constructor::Persistent { pid, .. } => Some(pid),
        _ => None,
    }
}

/// What a storage persistent id says:
/// `('storage', storage_type, key, location, numel[, view_metadata])`.
pub(crate) struct StorageRef {
    /// The element type of a typed storage class; `None` for `UntypedStorage`.
    pub dtype: Option<DType>,
    pub key: String,
    pub location: String,
    /// Elements in the storage (in the view, when it is one).
    pub numel: usize,
    /// The legacy format's `(view_key, offset, size)` when the storage is a view.
    pub view: Option<(String, usize, usize)>,
}

impl StorageRef {
    pub(crate) fn parse(pid: &Value<'_>) -> Result<StorageRef> {
        let bad = || malformed(format!("unexpected persistent id {pid}"));
        let items = pid.as_tuple().ok_or_else(bad)?;
        if items.len() < 5 || items[0].as_str() != Some("storage") {
            return Err(bad());
        }
        let class = items[1].as_global().ok_or_else(bad)?;
        let dtype = match (class.module().as_ref(), class.name().as_ref()) {
            ("torch.storage" | "torch", "UntypedStorage") => None,
            ("torch", name) => Some(
                DType::from_storage_class(name)
                    .ok_or_else(|| Error::Unsupported(format!("storage type torch.{name}")))?,
            ),
            _ => return Err(bad()),
        };
        let view = match items.get(5) {
            None | Some(Value::None) => None,
            Some(meta) => {
                let m = meta.as_tuple().filter(|m| m.len() == 3).ok_or_else(bad)?;
                Some((key_text(&m[0]).ok_or_else(bad)?, size_of("view offset", &m[1])?, size_of("view size", &m[2])?))
            }
        };
        let numel = match &view {
            Some((_, _, view_size)) => *view_size,
            None => size_of("storage size", &items[4])?,
        };
        Ok(StorageRef {
            dtype,
            key: key_text(&items[2]).ok_or_else(bad)?,
            location: items[3].as_str().unwrap_or_default().to_string(),
            numel,
            view,
        })
    }

    /// Bytes per element of the storage as saved (untyped storages count bytes).
    pub(crate) fn element_size(&self) -> usize {
        self.dtype.map_or(1, DType::item_size)
    }
}

/// A storage key: a str (ZIP, legacy) or an int (tar).
pub(crate) fn key_text(value: &Value<'_>) -> Option<String> {
    value.as_str().map(str::to_string).or_else(|| value.as_i64().map(|i| i.to_string()))
}

fn sizes(what: &str, value: &Value<'_>) -> Result<Vec<usize>> {
    let items = value.as_seq().ok_or_else(|| malformed(format!("tensor {what} is {value}, not a tuple")))?;
    items.iter().map(|v| size_of(what, v)).collect()
}
