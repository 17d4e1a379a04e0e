//! The ZIP format of `torch.save` (torch ≥ 1.6) and `torch.jit.save`.
//!
//! Every record lives under one root folder, named after the file when it
//! was saved (`archive/` by default, anything in practice); torch takes the
//! root from the first entry and so does this reader. `data.pkl` is the
//! object; `data/<key>` holds each storage's bytes, stored uncompressed and
//! 64-byte aligned; `byteorder` says how they were written. A TorchScript
//! archive adds `code/` and `constants.pkl`, whose storages are in
//! `constants/<key>`.
//!
//! Like torch, the reader goes by the central directory: loading reads the
//! end of the file and the pickles, and each storage's local header only when
//! its bytes are first asked for, so a checkpoint's metadata costs no page
//! fault near its weights. The safety gate scans the pickles torch unpickles
//! (`data.pkl`, `constants.pkl`); hidden members and other ZIP oddities, which
//! torch never reads, are for `brinery_scan`'s whole-file scan.

use super::{pickle_options, scan_pickles, ByteOrder, Checkpoint, Format, LoadOptions, Storage};
use crate::{malformed, Error, Result};
use brinery::Value;
use brinery_formats::zip;
use std::borrow::Cow;

pub(crate) fn load<'a>(data: &'a [u8], opts: &LoadOptions) -> Result<Checkpoint<'a>> {
    let limits = &opts.scan.limits;
    let archive = zip::read_directory(data, limits)?;
    let first = archive.members.first().ok_or_else(|| malformed("not a torch checkpoint: an empty ZIP archive"))?;
    let root = match first.name.split_once('/') {
        Some((root, _)) => root.to_string(),
        None => return Err(malformed(format!("not a torch checkpoint: first entry {:?} is in no folder", first.name))),
    };
    // A handful of records are looked up by name; the storages are taken in order below.
    let record = |name: &str| {
        archive.members.iter().find(|m| m.name.strip_prefix(&root).and_then(|r| r.strip_prefix('/')) == Some(name))
    };

    let data_pkl = record("data.pkl")
        .ok_or_else(|| malformed(format!("not a torch checkpoint: the archive has no {root}/data.pkl")))?;
    let mut pickles = vec![(format!("{root}/data.pkl"), data_pkl.data(data, limits)?)];
    if let Some(constants) = record("constants.pkl") {
        pickles.push((format!("{root}/constants.pkl"), constants.data(data, limits)?));
    }
    let format = if pickles.len() > 1 { Format::TorchScript } else { Format::Zip };
    let scanned: Vec<(String, &[u8])> = pickles.iter().map(|(name, bytes)| (name.clone(), bytes.as_ref())).collect();
    let report = scan_pickles(format, &scanned, opts)?;
    let mut decoded =
        pickles.iter().map(|(name, bytes)| unpickle(bytes, name)).collect::<Result<Vec<Value<'_>>>>()?.into_iter();

    let byte_order = match record("byteorder") {
        None => ByteOrder::Little,
        Some(m) => match m.data(data, limits)?.as_ref() {
            b"little" => ByteOrder::Little,
            b"big" => ByteOrder::Big,
            other => return Err(malformed(format!("byteorder record says {:?}", String::from_utf8_lossy(other)))),
        },
    };
    let mut checkpoint = Checkpoint::new(format, byte_order, decoded.next().expect("data.pkl is listed first"));
    checkpoint.constants = decoded.next();
    checkpoint.storages.reserve(archive.members.len());
    for member in archive.members {
        let Some(key) = member.name.strip_prefix(&root).and_then(|n| n.strip_prefix('/')) else { continue };
        if key.starts_with("data/") || key.starts_with("constants/") {
            let key = key.to_string();
            let storage = Storage::zip_member(key.clone(), data, member, *limits)?;
            checkpoint.storages.insert(key, storage);
        }
    }
    checkpoint.report = report;
    Ok(checkpoint)
}

/// Loads one pickle record; a compressed record (torch never writes one,
/// but a re-zipped file may have it) was inflated, so its values are owned.
fn unpickle<'a>(bytes: &Cow<'a, [u8]>, name: &str) -> Result<Value<'a>> {
    let loaded = match bytes {
        Cow::Borrowed(b) => brinery::pickle::loads(b, &pickle_options()),
        Cow::Owned(b) => brinery::pickle::loads(b, &pickle_options()).map(Value::into_owned),
    };
    let member = name.rsplit('/').next().unwrap_or(name);
    loaded.map_err(|source| Error::Pickle { member: member.to_string(), source })
}
