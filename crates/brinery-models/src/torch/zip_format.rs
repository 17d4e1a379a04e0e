//! The ZIP format of `torch.save` (torch ≥ 1.6) and `torch.jit.save`.
//!
//! Every record lives under one root folder, named after the file when it
//! was saved (`archive/` by default, anything in practice); torch takes the
//! root from the first entry and so does this reader. `data.pkl` is the
//! object; `data/<key>` holds each storage's bytes, stored uncompressed and
//! 64-byte aligned; `byteorder` says how they were written. A TorchScript
//! archive adds `code/` and `constants.pkl`, whose storages are in
//! `constants/<key>`.

use super::{pickle_options, ByteOrder, Checkpoint, Format, LoadOptions, Storage};
use crate::{malformed, Error, Result};
use brinery::Value;
use brinery_formats::zip::{self, Member};
use std::borrow::Cow;
use std::collections::HashMap;

pub(crate) fn load<'a>(data: &'a [u8], opts: &LoadOptions) -> Result<Checkpoint<'a>> {
    let limits = &opts.scan.limits;
    let archive = zip::read(data, limits)?;
    let first = archive.members.first().ok_or_else(|| malformed("not a torch checkpoint: an empty ZIP archive"))?;
    let root = match first.name.split_once('/') {
        Some((root, _)) => root.to_string(),
        None => return Err(malformed(format!("not a torch checkpoint: first entry {:?} is in no folder", first.name))),
    };
    let members: HashMap<&str, &Member> =
        archive.members.iter().filter(|m| !m.hidden).map(|m| (m.name.as_str(), m)).collect();
    let record = |name: &str| members.get(format!("{root}/{name}").as_str()).copied();

    let data_pkl = record("data.pkl")
        .ok_or_else(|| malformed(format!("not a torch checkpoint: the archive has no {root}/data.pkl")))?;
    let torchscript = record("constants.pkl").is_some();
    let byte_order = match record("byteorder") {
        None => ByteOrder::Little,
        Some(m) => match m.data(data, limits)?.as_ref() {
            b"little" => ByteOrder::Little,
            b"big" => ByteOrder::Big,
            other => return Err(malformed(format!("byteorder record says {:?}", String::from_utf8_lossy(other)))),
        },
    };
    let format = if torchscript { Format::TorchScript } else { Format::Zip };
    let mut checkpoint = Checkpoint::new(format, byte_order, unpickle(data_pkl, data, opts, "data.pkl")?);
    if let Some(constants) = record("constants.pkl") {
        checkpoint.constants = Some(unpickle(constants, data, opts, "constants.pkl")?);
    }
    for member in &archive.members {
        let Some(key) = member.name.strip_prefix(&root).and_then(|n| n.strip_prefix('/')) else { continue };
        if member.hidden || !(key.starts_with("data/") || key.starts_with("constants/")) {
            continue;
        }
        let bytes = member.data(data, limits)?;
        checkpoint.storages.insert(key.to_string(), Storage { key: key.to_string(), data: bytes });
    }
    Ok(checkpoint)
}

/// Loads one pickle record; a compressed record (torch never writes one,
/// but a re-zipped file may have it) is decompressed and its values owned.
fn unpickle<'a>(member: &Member, data: &'a [u8], opts: &LoadOptions, name: &str) -> Result<Value<'a>> {
    let bytes = member.data(data, &opts.scan.limits)?;
    let loaded = match bytes {
        Cow::Borrowed(b) => brinery::pickle::loads(b, &pickle_options()),
        Cow::Owned(b) => brinery::pickle::loads(&b, &pickle_options()).map(Value::into_owned),
    };
    loaded.map_err(|source| Error::Pickle { member: name.to_string(), source })
}
