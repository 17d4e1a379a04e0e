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
        assert_eq!(hex(&t.to_little_endian()), w["data"].as_str().unwrap(), "{at}: bytes");
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
        if let Some(data) = t.data() {
            assert!(range.contains(&data.as_ptr()) || data.is_empty(), "{name} was copied");
        }
    }
}
