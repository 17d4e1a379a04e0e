//! Shared by the integration tests: the CPython-generated corpus.

#![allow(dead_code)]

#[path = "python.rs"]
mod python;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// One (case, protocol) entry of `manifest.json` (see tests/corpus/make_corpus.py).
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub protocol: u8,
    pub builtin: bool,
    pub has_sets: bool,
    pub persistent: bool,
    pub buffers: bool,
    pub count: usize,
    pub nbuffers: usize,
}

impl Entry {
    /// Path of one of this entry's files: `NAME.pP.<suffix>`.
    pub fn file(&self, dir: &Path, suffix: &str) -> PathBuf {
        dir.join(format!("{}.p{}.{}", self.name, self.protocol, suffix))
    }
}

/// Path of an entry's `i`-th out-of-band buffer file: `NAME.pP.bufI`.
pub fn buffer_path(dir: &Path, e: &Entry, i: usize) -> PathBuf {
    dir.join(format!("{}.p{}.buf{i}", e.name, e.protocol))
}

/// Options that load an entry's `.pkl` file: several pickles may follow one
/// another, and out-of-band buffers come from the entry's buffer files.
pub fn load_opts(dir: &Path, e: &Entry) -> brinery::pickle::LoadOptions {
    use brinery::pickle::{LoadOptions, TrailingData};
    let mut opts = LoadOptions { trailing_data: TrailingData::Ignore, ..Default::default() };
    if e.buffers {
        let buffers = (0..e.nbuffers).map(|i| brinery::Bytes::new(std::fs::read(buffer_path(dir, e, i)).unwrap()));
        opts.buffers = Some(buffers.collect());
    }
    opts
}

/// Every pickle of a `.pkl` file (several for the `multi` case).
pub fn load_all<'a>(
    data: &'a [u8],
    opts: &brinery::pickle::LoadOptions,
) -> Result<Vec<brinery::Value<'a>>, brinery::pickle::Error> {
    let mut values = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (v, used) = brinery::pickle::loads_prefix(rest, opts)?;
        values.push(v);
        rest = &rest[used..];
    }
    Ok(values)
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Generates the corpus once per test binary; returns its directory and entries.
pub fn corpus() -> &'static (PathBuf, Vec<Entry>) {
    static CORPUS: OnceLock<(PathBuf, Vec<Entry>)> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("corpus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let script = workspace_root().join("tests/corpus/make_corpus.py");
        let status = Command::new("python3").arg(&script).arg(&dir).status().expect("python3 must be installed");
        assert!(status.success(), "make_corpus.py failed");
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        let entries = manifest
            .as_array()
            .unwrap()
            .iter()
            .map(|e| Entry {
                name: e["name"].as_str().unwrap().to_string(),
                protocol: e["protocol"].as_u64().unwrap() as u8,
                builtin: e["builtin"].as_bool().unwrap(),
                has_sets: e["has_sets"].as_bool().unwrap(),
                persistent: e["persistent"].as_bool().unwrap(),
                buffers: e["buffers"].as_bool().unwrap(),
                count: e["count"].as_u64().unwrap_or(1) as usize,
                nbuffers: e["nbuffers"].as_u64().unwrap_or(0) as usize,
            })
            .collect();
        (dir, entries)
    })
}

/// Runs `python3 -c script` with `input` on stdin; returns its stdout.
/// Panics (failing the test) if python3 is missing or the script fails.
pub fn run_python(script: &str, input: &str) -> String {
    String::from_utf8(python::run_python_with_args(script, &[], input.as_bytes())).unwrap()
}

/// Runs a Python script of the repository (path relative to the workspace
/// root) with `input` on stdin and no arguments; returns its stdout.
pub fn run_script(relative: &str, input: &str) -> String {
    let script = workspace_root().join(relative);
    let runner = format!(
        "import runpy, sys; sys.argv = [{0:?}]; runpy.run_path({0:?}, run_name='__main__')",
        script.display().to_string()
    );
    run_python(&runner, input)
}

/// The folder of shared test data next to the repository (`../shared/data`).
pub fn shared_data() -> PathBuf {
    workspace_root().join("../shared/data")
}

/// Asks CPython whether pickles `a` and `b` hold equal values (sets by
/// content); used where only set element order may differ. Returns the pairs
/// that are not equal, with CPython's explanation.
pub fn cpython_unequal(pairs: &[(PathBuf, PathBuf, &Entry)]) -> Vec<String> {
    if pairs.is_empty() {
        return Vec::new();
    }
    let (dir, _) = corpus();
    let mut input = String::new();
    for (a, b, e) in pairs {
        let buffers: Vec<String> = (0..e.nbuffers)
            .map(|i| dir.join(format!("{}.p{}.buf{i}", e.name, e.protocol)).display().to_string())
            .collect();
        input.push_str(
            &serde_json::json!({
                "a": a, "b": b, "protocol": e.protocol, "persistent": e.persistent, "buffers": buffers
            })
            .to_string(),
        );
        input.push('\n');
    }
    let out = run_script("tests/corpus/compare_pickles.py", &input);
    out.lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            (!v["equal"].as_bool().unwrap()).then(|| format!("{} vs {}: {}", v["a"], v["b"], v["detail"]))
        })
        .collect()
}
