//! Every checkpoint in `tests/models/fixtures` (written by torch, see
//! `tests/models/make_fixtures.py`) loads with the names, dtypes, shapes,
//! strides, offsets, storage sharing and bytes torch itself reports.

use brinery_models::torch::{self, Checkpoint, LoadOptions};
use brinery_models::{Error, MappedFile};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/models/fixtures")
}

fn expected(name: &str) -> Json {
    let text = std::fs::read_to_string(fixtures().join(format!("{name}.expected.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads fixture `name`, refusing it first when torch's report says it is
/// not plain data (the same line `weights_only=True` draws).
fn check(name: &str) {
    let file = MappedFile::open(fixtures().join(format!("{name}.pt"))).unwrap();
    let want = expected(name);
    let safe = want["safe"].as_bool().unwrap();
    let checkpoint = match torch::load(&file, &LoadOptions::default()) {
        Ok(c) => {
            assert!(safe, "{name}: loaded although torch's report calls it unsafe");
            c
        }
        Err(Error::Unsafe { verdict, findings }) => {
            assert!(!safe, "{name}: refused ({verdict}: {findings:?}) although it is plain data");
            assert!(!findings.is_empty());
            torch::load(&file, &LoadOptions { allow_unsafe: true, ..Default::default() }).unwrap()
        }
        Err(e) => panic!("{name}: {e}"),
    };
    assert_eq!(checkpoint.format.name(), want["format"].as_str().unwrap(), "{name}");
    compare(name, &checkpoint, &want);
}

fn compare(name: &str, checkpoint: &Checkpoint<'_>, want: &Json) {
    let got = checkpoint.tensors().unwrap();
    let want = want["tensors"].as_array().unwrap();
    let names = |v: Vec<&str>| v.join(", ");
    assert_eq!(
        names(got.iter().map(|(n, _)| n.as_str()).collect()),
        names(want.iter().map(|t| t["name"].as_str().unwrap()).collect()),
        "{name}: tensor names"
    );
    // torch's storage ids and our storage keys must partition the tensors alike.
    let mut key_of_id: HashMap<u64, &str> = HashMap::new();
    let mut id_of_key: HashMap<&str, u64> = HashMap::new();
    for ((tensor_name, t), w) in got.iter().zip(want) {
        let at = format!("{name}: {tensor_name}");
        assert_eq!(t.dtype.name(), w["dtype"].as_str().unwrap(), "{at}");
        let ints = |j: &Json| j.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect::<Vec<_>>();
        assert_eq!(t.shape, ints(&w["shape"]), "{at}: shape");
        assert_eq!(t.stride, ints(&w["stride"]), "{at}: stride");
        assert_eq!(t.storage_offset as u64, w["storage_offset"].as_u64().unwrap(), "{at}: storage offset");
        assert_eq!(t.requires_grad, w["requires_grad"].as_bool().unwrap(), "{at}: requires_grad");
        assert_eq!(t.parameter, w["parameter"].as_bool().unwrap(), "{at}: parameter");
        assert_eq!(hex(&t.to_little_endian().unwrap()), w["data"].as_str().unwrap(), "{at}: bytes");
        let id = w["storage"].as_u64().unwrap();
        assert_eq!(*key_of_id.entry(id).or_insert(t.storage_key), t.storage_key, "{at}: storage sharing");
        assert_eq!(*id_of_key.entry(t.storage_key).or_insert(id), id, "{at}: storage sharing");
    }
}

#[test]
fn state_dict_of_every_dtype() {
    check("dtypes");
}

#[test]
fn views_shared_storages_parameters_and_odd_shapes() {
    check("layouts");
}

#[test]
fn training_checkpoint_with_optimizer_state() {
    check("training");
}

#[test]
fn archive_root_named_after_the_file() {
    check("renamed_root");
}

#[test]
fn legacy_stacked_pickles() {
    check("legacy");
}

#[test]
fn big_endian_storages_are_swapped() {
    check("big_endian");
    let file = MappedFile::open(fixtures().join("big_endian.pt")).unwrap();
    let checkpoint = torch::load(&file, &LoadOptions::default()).unwrap();
    assert_eq!(checkpoint.byte_order, torch::ByteOrder::Big);
}

#[test]
fn full_model_save_is_refused_then_named_like_its_state_dict() {
    check("full_model");
}

#[test]
fn torchscript_archive() {
    check("torchscript");
}

#[test]
fn tar_format_of_the_first_releases() {
    check("tar");
}

#[test]
fn zero_copy_when_contiguous() {
    let file = MappedFile::open(fixtures().join("layouts.pt")).unwrap();
    let checkpoint = torch::load(&file, &LoadOptions::default()).unwrap();
    let range = file.as_ptr_range();
    for (name, t) in checkpoint.tensors().unwrap() {
        if let Some(data) = t.data().unwrap() {
            assert!(range.contains(&data.as_ptr()) || data.is_empty(), "{name} was copied");
        }
    }
}

/// Every ZIP checkpoint's directory, read alone (what `torch::load` does),
/// lists the same members at the same places as the full read the scanner
/// does; torch writes a ZIP64 end record even for small files.
#[test]
fn directory_listing_matches_the_full_read() {
    let limits = brinery_formats::Limits::default();
    for name in ["dtypes", "layouts", "training", "renamed_root", "big_endian", "full_model", "torchscript"] {
        let bytes = std::fs::read(fixtures().join(format!("{name}.pt"))).unwrap();
        let full = brinery_formats::zip::read(&bytes, &limits).unwrap();
        let directory = brinery_formats::zip::read_directory(&bytes, &limits).unwrap();
        let listing = |archive: &brinery_formats::zip::Archive| {
            archive.members.iter().map(|m| (m.name.clone(), m.header_offset, m.size)).collect::<Vec<_>>()
        };
        assert_eq!(listing(&directory), listing(&full), "{name}");
        for (a, b) in directory.members.iter().zip(&full.members) {
            assert_eq!(a.data(&bytes, &limits).unwrap(), b.data(&bytes, &limits).unwrap(), "{name}: {}", a.name);
        }
    }
}

/// Bytes prepended to an archive (a self-extracting stub) shift every offset
/// by the same amount, ZIP64 end record included, as `zipfile` reads it.
#[test]
fn prepended_bytes_shift_the_zip64_directory() {
    let limits = brinery_formats::Limits::default();
    let original = std::fs::read(fixtures().join("renamed_root.pt")).unwrap();
    let mut shifted = vec![b'#'; 100];
    shifted.extend_from_slice(&original);
    let before = brinery_formats::zip::read_directory(&original, &limits).unwrap();
    let after = brinery_formats::zip::read_directory(&shifted, &limits).unwrap();
    assert_eq!(after.members.len(), before.members.len());
    for (a, b) in after.members.iter().zip(&before.members) {
        assert_eq!(a.header_offset, b.header_offset + 100);
        assert_eq!(a.data(&shifted, &limits).unwrap(), b.data(&original, &limits).unwrap(), "{}", a.name);
    }
}

/// Storages are located on first use: a checkpoint whose storage member has
/// lost its local header still loads and lists its tensors, and reading that
/// tensor's bytes is an error naming the storage, not a panic or wrong bytes.
#[test]
fn storages_are_located_lazily_and_checked_when_read() {
    let mut bytes = std::fs::read(fixtures().join("dtypes.pt")).unwrap();
    let directory = brinery_formats::zip::read_directory(&bytes, &Default::default()).unwrap();
    let victim = directory.members.iter().find(|m| m.name.ends_with("/data/0")).unwrap();
    let at = victim.header_offset as usize;
    bytes[at..at + 4].copy_from_slice(b"XXXX");
    let checkpoint = torch::load(&bytes, &LoadOptions::default()).unwrap();
    let tensors = checkpoint.tensors().unwrap();
    let (broken, intact): (Vec<_>, Vec<_>) = tensors.iter().partition(|(_, t)| t.storage_key == "data/0");
    assert!(!broken.is_empty() && !intact.is_empty());
    for (name, t) in broken {
        let err = t.to_contiguous().unwrap_err().to_string();
        assert!(err.contains("storage data/0") && err.contains("local header"), "{name}: {err}");
    }
    for (name, t) in intact {
        assert_eq!(t.to_contiguous().unwrap().len(), t.nbytes(), "{name}");
    }
}

/// A directory that declares more bytes for a storage than the file holds
/// gives an error when the storage is read, naming both sizes.
#[test]
fn a_storage_shorter_than_declared_is_an_error() {
    let mut bytes = std::fs::read(fixtures().join("dtypes.pt")).unwrap();
    let directory = brinery_formats::zip::read_directory(&bytes, &Default::default()).unwrap();
    let victim = directory.members.iter().find(|m| m.name.ends_with("/data/0")).unwrap();
    // Its central directory entry: the one whose local-header offset (at +42) is the victim's.
    let entry = (0..bytes.len() - 46)
        .find(|&i| {
            bytes[i..].starts_with(b"PK\x01\x02")
                && u32::from_le_bytes(bytes[i + 42..i + 46].try_into().unwrap()) as u64 == victim.header_offset
        })
        .unwrap();
    let declared = 0x7fff_ffffu32.to_le_bytes();
    bytes[entry + 20..entry + 24].copy_from_slice(&declared); // compressed size
    bytes[entry + 24..entry + 28].copy_from_slice(&declared); // uncompressed size
    let checkpoint = torch::load(&bytes, &LoadOptions::default()).unwrap();
    let err = checkpoint.storage("data/0").unwrap().data().unwrap_err().to_string();
    assert!(err.contains(&format!("of the {} its directory declares", 0x7fff_ffffu32)), "{err}");
}
