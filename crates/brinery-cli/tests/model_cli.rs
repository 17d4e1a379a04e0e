//! `brinery show` and `brinery convert --to safetensors` on the torch
//! fixtures (tests/models/fixtures, written by torch): the table lists what
//! torch reported, unsafe files are refused unless allowed, and the
//! safetensors files are checked by the safetensors library itself
//! (tests/models/check_safetensors.py, run with the test environment's python3).

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURES: [&str; 9] =
    ["dtypes", "layouts", "training", "renamed_root", "legacy", "big_endian", "tar", "full_model", "torchscript"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> String {
    root().join(format!("tests/models/fixtures/{name}.pt")).display().to_string()
}

fn expected(name: &str) -> Json {
    let path = root().join(format!("tests/models/fixtures/{name}.expected.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn brinery(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_brinery")).args(args).output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code().unwrap(), text(out.stdout), text(out.stderr))
}

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("model-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn show_lists_every_tensor_torch_reported() {
    for name in FIXTURES {
        let want = expected(name);
        let safe = want["safe"].as_bool().unwrap();
        let (code, table, err) = brinery(&["show", &fixture(name)]);
        if !safe {
            assert_eq!(code, 2, "{name}: {table}{err}");
            assert!(err.contains("refusing to read it: the scan verdict is"), "{err}");
            assert!(err.contains("--allow-unsafe"), "{err}");
        }
        let (code, table, err) = brinery(&["show", "--allow-unsafe", &fixture(name)]);
        assert_eq!(code, 0, "{name}: {err}");
        assert!(table.contains(want["format"].as_str().unwrap()), "{table}");
        for t in want["tensors"].as_array().unwrap() {
            let shape: Vec<String> = t["shape"].as_array().unwrap().iter().map(|d| d.to_string()).collect();
            let row =
                format!("{} {} [{}]", t["name"].as_str().unwrap(), t["dtype"].as_str().unwrap(), shape.join(", "));
            let found = table.lines().any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ").starts_with(&row));
            assert!(found, "{name}: no row {row:?} in\n{table}");
        }
    }
    let (_, table, _) = brinery(&["show", &fixture("training")]);
    assert!(table.contains("other values:\n  epoch: 3\n  note: 'trained'"), "{table}");
    assert!(table.contains("16 tensors in 16 storages, 328 B"), "{table}");
}

#[test]
fn safetensors_output_is_what_torch_loaded() {
    let dir = out_dir();
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    for name in FIXTURES {
        let out = dir.join(format!("{name}.safetensors")).display().to_string();
        let args =
            ["convert", &fixture(name), "--to", "safetensors", "--skip-unsupported", "--allow-unsafe", "-o", &out];
        let (code, _, err) = brinery(&args);
        assert_eq!(code, 0, "{name}: {err}");
        let check = root().join("tests/models/check_safetensors.py");
        let expected = root().join(format!("tests/models/fixtures/{name}.expected.json"));
        let run = Command::new(&python).arg(check).arg(&out).arg(expected).output().unwrap();
        assert!(
            run.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

#[test]
fn conversion_says_what_it_did_and_refuses_what_it_cannot_write() {
    let dir = out_dir();
    let out = dir.join("layouts-report.safetensors").display().to_string();
    let (code, _, err) = brinery(&["convert", &fixture("layouts"), "--to", "safetensors", "-o", &out]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("row: shares memory with alias, written once as alias"), "{err}");
    assert!(err.contains("wrote 6 tensors"), "{err}");

    let (code, _, err) = brinery(&["convert", &fixture("dtypes"), "--to", "safetensors", "-o", &out]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("c128: safetensors has no type for torch.complex128 (nor for 3 more tensors)"), "{err}");

    let (code, _, err) =
        brinery(&["convert", &fixture("dtypes"), "--to", "safetensors", "--skip-unsupported", "-o", &out]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("c128: left out, safetensors has no type for torch.complex128"), "{err}");

    let (code, _, err) =
        brinery(&["convert", &fixture("big_endian"), "--to", "safetensors", "--skip-unsupported", "-o", &out]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("big-endian: every tensor was byte-swapped"), "{err}");

    let (code, _, err) = brinery(&["convert", &fixture("full_model"), "--to", "safetensors", "-o", &out]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown global torch.nn.modules.container.Sequential"), "{err}");

    let (code, _, err) = brinery(&["convert", &fixture("layouts"), "--to", "safetensors"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs an output file"), "{err}");
    let (code, _, err) = brinery(&["convert", &fixture("layouts"), "--to", "json", "--allow-unsafe"]);
    assert_eq!(code, 2, "{err}");
}

/// `brinery show` on the joblib, `.npy` and `.npz` fixtures: one row per
/// array with the path, dtype and shape joblib/numpy reported; a
/// scikit-learn model is refused until `--allow-unsafe`.
#[test]
fn show_lists_the_arrays_of_joblib_and_numpy_files() {
    let file = |name: &str| root().join(format!("tests/models/fixtures/{name}")).display().to_string();
    let rows_of = |report: &str| -> Vec<String> {
        expected(report)["arrays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let shape: Vec<String> = a["shape"].as_array().unwrap().iter().map(|d| d.to_string()).collect();
                format!("{} {} [{}]", a["name"].as_str().unwrap(), a["dtype"].as_str().unwrap(), shape.join(", "))
            })
            .collect()
    };
    let check = |table: &str, rows: &[String], what: &str| {
        for row in rows {
            let found = table.lines().any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ").starts_with(row));
            assert!(found, "{what}: no row {row:?} in\n{table}");
        }
    };

    let (code, _, err) = brinery(&["show", &file("sklearn_pipeline.joblib")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refusing to read it") && err.contains("sklearn.pipeline.Pipeline"), "{err}");
    for name in ["sklearn_pipeline", "sklearn_pipeline_zlib"] {
        let (code, table, err) = brinery(&["show", "--allow-unsafe", &file(&format!("{name}.joblib"))]);
        assert_eq!(code, 0, "{name}: {err}");
        assert!(table.starts_with(&format!("{}: joblib, 7 array(s)", file(&format!("{name}.joblib")))), "{table}");
        check(&table, &rows_of(name), name);
        assert!(table.contains("sklearn.linear_model._logistic.LogisticRegression("), "{table}");
    }
    let (code, table, err) = brinery(&["show", &file("joblib_arrays.joblib")]);
    assert_eq!(code, 0, "{err}");
    check(&table, &rows_of("joblib_arrays"), "joblib_arrays");

    let (code, table, err) = brinery(&["show", &file("np_plain.npz")]);
    assert_eq!(code, 0, "{err}");
    check(&table, &rows_of("np_plain"), "np_plain");
    let (code, table, err) = brinery(&["show", &file("np_fortran.npy")]);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("np_fortran  <f8    [3, 4] F-order  96 B"), "{table}");
}
