//! The legacy format (`torch.save(..., _use_new_zipfile_serialization=False)`,
//! the default before torch 1.6): five pickles back to back — a magic
//! number, the protocol version 1001, `sys_info` (byte order and type
//! sizes), the object, the list of storage keys — then each storage in that
//! order as an 8-byte element count followed by its bytes.

use super::rebuild::StorageRef;
use super::{names, pickle_options, ByteOrder, Checkpoint, Format, Storage};
use crate::{malformed, Error, Result};
use brinery::Value;
use std::collections::HashMap;

/// The first pickle of every legacy checkpoint.
const MAGIC_NUMBER: i128 = 0x1950a86a20f9469cfc6c;
/// The only protocol version torch has written.
const PROTOCOL_VERSION: i64 = 1001;

/// Whether `data` starts with the legacy magic-number pickle (a pickle of a
/// few dozen bytes at most, so only the start of a large file is parsed).
pub(crate) fn is_legacy(data: &[u8]) -> bool {
    brinery::pickle::loads_prefix(&data[..data.len().min(64)], &pickle_options())
        .is_ok_and(|(v, _)| v.as_int().and_then(|i| i.to_i128()) == Some(MAGIC_NUMBER))
}

pub(crate) fn load(data: &[u8]) -> Result<Checkpoint<'_>> {
    let mut at = 0;
    let mut next = |what: &str| -> Result<Value<'_>> {
        let (value, used) = brinery::pickle::loads_prefix(&data[at..], &pickle_options())
            .map_err(|source| Error::Pickle { member: format!("{what} (the pickle at byte {at})"), source })?;
        at += used;
        Ok(value)
    };
    let magic = next("magic number")?;
    if magic.as_int().and_then(|i| i.to_i128()) != Some(MAGIC_NUMBER) {
        return Err(malformed(format!(
            "not a torch checkpoint: the first pickle is {magic}, not torch's magic number"
        )));
    }
    let version = next("protocol version")?;
    if version.as_i64() != Some(PROTOCOL_VERSION) {
        return Err(Error::Unsupported(format!("legacy protocol version {version}")));
    }
    let sys_info = next("sys_info")?;
    let byte_order = match sys_info.get_str("little_endian").and_then(Value::as_bool) {
        Some(false) => ByteOrder::Big,
        _ => ByteOrder::Little,
    };
    let root = next("saved object")?;
    let keys = next("storage keys")?;
    let keys = keys.as_list().ok_or_else(|| malformed(format!("storage keys are {keys}, not a list")))?;

    let mut refs: HashMap<String, StorageRef> = HashMap::new();
    for pid in names::persistent_ids(&root) {
        let r = StorageRef::parse(pid)?;
        refs.insert(r.key.clone(), r);
    }
    let mut checkpoint = Checkpoint::new(Format::Legacy, byte_order, root);
    for key in keys {
        let key = key.as_str().ok_or_else(|| malformed(format!("storage key {key} is not a str")))?;
        let element = refs.get(key).map_or(1, StorageRef::element_size);
        let header = data.get(at..at + 8).ok_or_else(|| malformed(format!("storage {key}: file ends at byte {at}")))?;
        let header: [u8; 8] = header.try_into().expect("8 bytes");
        let count = match byte_order {
            ByteOrder::Little => u64::from_le_bytes(header),
            ByteOrder::Big => u64::from_be_bytes(header),
        };
        let len = usize::try_from(count).ok().and_then(|c| c.checked_mul(element));
        let bytes = len
            .and_then(|len| data.get(at + 8..(at + 8).checked_add(len)?))
            .ok_or_else(|| malformed(format!("storage {key}: {count} elements of {element} bytes run past the end")))?;
        at += 8 + bytes.len();
        checkpoint.storages.insert(key.to_string(), Storage::from_bytes(key, bytes));
    }
    // Storages saved as views of another (torch < 1.0) share its bytes.
    for r in refs.values() {
        if let Some((view_key, offset, size)) = &r.view {
            checkpoint.add_storage_view(view_key, &r.key, *offset, *size, r.element_size())?;
        }
    }
    Ok(checkpoint)
}
