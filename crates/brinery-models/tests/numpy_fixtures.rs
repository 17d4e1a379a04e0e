//! numpy arrays in the files numpy, joblib and scikit-learn write (`.npy`,
//! `.npz`, `joblib.dump`, a pickled pipeline; tests/models/make_fixtures.py),
//! read with the dtype, shape, order and bytes the library reports.

use brinery::view::{ArrayData, NdArray};
use brinery_models::numpy::{load_npy, load_npz, Array, Data, LoadOptions};
use brinery_models::{joblib, Error, MappedFile};
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
    compare_view(&array.view().unwrap(), want);
}

fn compare_view(array: &NdArray<'_, '_>, want: &Json) {
    let name = want["name"].as_str().unwrap();
    assert_eq!(array.dtype.descr, want["dtype"].as_str().unwrap(), "{name}: dtype");
    let shape: Vec<usize> = want["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    assert_eq!(array.shape, shape, "{name}: shape");
    assert_eq!(array.fortran_order, want["fortran_order"].as_bool().unwrap(), "{name}: order");
    match (&array.data, want.get("data"), want.get("items")) {
        (ArrayData::Bytes(bytes), Some(data), None) => assert_eq!(hex(bytes), data.as_str().unwrap(), "{name}: bytes"),
        (ArrayData::Objects(got), None, Some(items)) => {
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

/// Loads a joblib fixture and compares every array, by path, with what
/// joblib wrote; returns the file for further checks.
fn check_joblib<'a>(file: &'a MappedFile, name: &str, opts: &joblib::LoadOptions) -> joblib::JoblibFile<'a> {
    let loaded = joblib::load(file, opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let want = expected(name);
    let arrays = loaded.arrays();
    let paths: Vec<&str> = arrays.iter().map(|(p, _)| p.as_str()).collect();
    let want_paths: Vec<&str> = want.iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(paths, want_paths, "{name}");
    for ((_, array), w) in arrays.iter().zip(&want) {
        compare(array, w);
    }
    loaded
}

#[test]
fn joblib_arrays_of_every_layout() {
    let file = MappedFile::open(fixtures().join("joblib_arrays.joblib")).unwrap();
    // A dict of numpy arrays is plain data: it loads with the default options.
    let loaded = check_joblib(&file, "joblib_arrays", &joblib::LoadOptions::default());
    let f8 = &loaded.root["f8"];
    let array = loaded.array(f8).unwrap();
    assert!(matches!(&array.data, Data::Bytes(std::borrow::Cow::Borrowed(_))), "borrowed from the file");
}

#[test]
fn scikit_learn_pipeline_saved_by_joblib_is_refused_then_read_inert() {
    for name in ["sklearn_pipeline", "sklearn_pipeline_zlib"] {
        let file = MappedFile::open(fixtures().join(format!("{name}.joblib"))).unwrap();
        match joblib::load(&file, &joblib::LoadOptions::default()) {
            Err(Error::Unsafe { findings, .. }) => {
                assert!(findings.iter().any(|f| f.contains("sklearn")), "{name}: {findings:?}")
            }
            Err(e) => panic!("{name}: expected a refusal, got {e}"),
            Ok(_) => panic!("{name}: a scikit-learn model loaded as plain data"),
        }
        let allow = joblib::LoadOptions { allow_unsafe: true, ..Default::default() };
        check_joblib(&file, name, &allow);
    }
}

/// Follows a dotted path (`steps.1.1.coef_`) through dict keys, list and
/// tuple indices and object attributes.
fn lookup<'v, 'a>(root: &'v brinery::Value<'a>, path: &str) -> &'v brinery::Value<'a> {
    path.split('.').fold(root, |value, part| match value {
        brinery::Value::List(items) | brinery::Value::Tuple(items) => &items[part.parse::<usize>().unwrap()],
        brinery::Value::Dict(_) => &value[part],
        brinery::Value::Object(object) => {
            object
                .attributes()
                .into_iter()
                .find(|(k, _)| k.as_str() == Some(part))
                .unwrap_or_else(|| panic!("{path}"))
                .1
        }
        other => panic!("{path}: {part} of {other}"),
    })
}

#[test]
fn scikit_learn_pipeline_saved_by_pickle() {
    let bytes = std::fs::read(fixtures().join("sklearn_pipeline.pkl")).unwrap();
    let root = brinery::pickle::loads(&bytes, &Default::default()).unwrap();
    for want in expected("sklearn_pipeline_pkl") {
        let path = want["name"].as_str().unwrap();
        let array = lookup(&root, path).as_ndarray().unwrap().unwrap_or_else(|| panic!("{path}: not an ndarray"));
        compare_view(&array, &want);
    }
}
