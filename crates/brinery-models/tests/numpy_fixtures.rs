//! `.npy` and `.npz` fixtures written by numpy (tests/models/make_fixtures.py)
//! read with the dtype, shape, order and bytes numpy reports.

use brinery_models::numpy::{load_npy, load_npz, Array, Data, LoadOptions};
use brinery_models::{Error, MappedFile};
use serde_json::Value as Json;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/models/fixtures")
}

fn expected(name: &str) -> Vec<Json> {
    let text = std::fs::read_to_string(fixtures().join(format!("{name}.expected.json"))).unwrap();
    serde_json::from_str::<Json>(&text).unwrap()["arrays"].as_array().unwrap().clone()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn compare(array: &Array<'_>, want: &Json) {
    let name = want["name"].as_str().unwrap();
    assert_eq!(array.dtype.descr, want["dtype"].as_str().unwrap(), "{name}: dtype");
    let shape: Vec<usize> = want["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    assert_eq!(array.shape, shape, "{name}: shape");
    assert_eq!(array.fortran_order, want["fortran_order"].as_bool().unwrap(), "{name}: order");
    match (&array.data, want.get("data"), want.get("items")) {
        (Data::Bytes(bytes), Some(data), None) => assert_eq!(hex(bytes), data.as_str().unwrap(), "{name}: bytes"),
        (Data::Pickled(_), None, Some(items)) => {
            let view = array.view().unwrap();
            let brinery::view::ArrayData::Objects(got) = view.data else { panic!("{name}: not an object array") };
            let got: Vec<String> = got.iter().map(|v| v.to_string()).collect();
            let want: Vec<&str> = items.as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
            assert_eq!(got, want, "{name}: items");
        }
        (data, _, _) => panic!("{name}: got {data:?}, expected {want}"),
    }
}

#[test]
fn every_npy_numpy_wrote() {
    let allow = LoadOptions { allow_pickle: true, ..Default::default() };
    for want in expected("numpy") {
        let name = want["name"].as_str().unwrap();
        let file = MappedFile::open(fixtures().join(format!("{name}.npy"))).unwrap();
        compare(&load_npy(&file, &allow).unwrap(), &want);
    }
}

#[test]
fn object_arrays_need_allow_pickle() {
    let file = MappedFile::open(fixtures().join("np_objects.npy")).unwrap();
    let err = load_npy(&file, &LoadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("needs allow_pickle"), "{err}");
}

#[test]
fn object_arrays_that_run_code_are_refused() {
    // numpy.save of an object array whose item pickles as os.system('true').
    let file = MappedFile::open(fixtures().join("np_objects.npy")).unwrap();
    let header_end = brinery_formats::npy::parse(&file).unwrap().data_offset;
    let mut evil = file[..header_end].to_vec();
    evil.extend_from_slice(b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00true\x85R.");
    let allow = LoadOptions { allow_pickle: true, ..Default::default() };
    match load_npy(&evil, &allow) {
        Err(Error::Unsafe { findings, .. }) => {
            assert!(findings.iter().any(|f| f.contains("posix.system")), "{findings:?}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn npz_plain_and_compressed() {
    for name in ["np_plain", "np_compressed"] {
        let file = MappedFile::open(fixtures().join(format!("{name}.npz"))).unwrap();
        let arrays = load_npz(&file, &LoadOptions::default()).unwrap();
        let want = expected(name);
        assert_eq!(arrays.len(), want.len(), "{name}");
        for ((member, array), w) in arrays.iter().zip(&want) {
            assert_eq!(member, w["name"].as_str().unwrap());
            compare(array, w);
        }
        let borrowed = arrays.iter().all(|(_, a)| matches!(&a.data, Data::Bytes(std::borrow::Cow::Borrowed(_))));
        assert_eq!(borrowed, name == "np_plain", "{name}: stored members are borrowed, deflated ones decompressed");
    }
}

#[test]
fn truncated_data_is_an_error_not_a_short_array() {
    let file = MappedFile::open(fixtures().join("np_f8.npy")).unwrap();
    let err = load_npy(&file[..file.len() - 1], &LoadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("needs 96 bytes, the file has 95"), "{err}");
}
