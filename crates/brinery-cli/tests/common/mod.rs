//! Shared by the CLI tests: the CPython-generated differential corpus.

#![allow(dead_code)]

#[path = "../../../brinery/tests/common/python.rs"]
mod python;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The workspace root (where `tests/corpus` lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh, empty directory for one test.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One (case, protocol) entry of the corpus manifest (see tests/corpus/make_corpus.py).
pub struct Entry {
    /// `NAME.pP`, the stem of the entry's files.
    pub stem: String,
    /// The protocol CPython wrote it with.
    pub protocol: u8,
    /// Whether the value holds only builtin types.
    pub builtin: bool,
    /// Whether the value holds a set or frozenset (element order is CPython's choice).
    pub has_sets: bool,
    /// How many pickles the file holds.
    pub count: usize,
    /// Whether loading needs the persistent-id or buffer hooks.
    pub needs_hooks: bool,
    /// Whether pickletools raised while disassembling it.
    pub dis_error: bool,
}

impl Entry {
    /// `DIR/NAME.pP.SUFFIX`.
    pub fn file(&self, dir: &Path, suffix: &str) -> PathBuf {
        dir.join(format!("{}.{suffix}", self.stem))
    }
}

/// Generates the corpus once per test binary; returns its directory and entries.
pub fn corpus() -> &'static (PathBuf, Vec<Entry>) {
    static CORPUS: OnceLock<(PathBuf, Vec<Entry>)> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = scratch_dir("corpus");
        let script = workspace_root().join("tests/corpus/make_corpus.py");
        let status = Command::new("python3").arg(script).arg(&dir).stdout(Stdio::null()).status();
        assert!(status.expect("python3 must be installed").success(), "make_corpus.py failed");
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        let entries = manifest
            .as_array()
            .unwrap()
            .iter()
            .map(|e| Entry {
                stem: format!("{}.p{}", e["name"].as_str().unwrap(), e["protocol"]),
                protocol: e["protocol"].as_u64().unwrap() as u8,
                builtin: e["builtin"].as_bool().unwrap(),
                has_sets: e["has_sets"].as_bool().unwrap(),
                count: e["count"].as_u64().unwrap_or(1) as usize,
                needs_hooks: e["persistent"].as_bool().unwrap() || e["buffers"].as_bool().unwrap(),
                dis_error: !e["dis_error"].is_null(),
            })
            .collect();
        (dir, entries)
    })
}

/// The shared data sets (JSONTestSuite, the JSON benchmark files), next to the workspace.
pub fn shared_data() -> PathBuf {
    workspace_root().join("../shared/data")
}

/// Runs `python3 -c script args...` with `input` on stdin and returns its
/// stdout; fails the test if the script fails.
pub fn run_python(script: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    python::run_python_with_args(script, args, input)
}

/// What a process did: its output, error output and exit status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub code: i32,
}

/// Runs `brinery args...` with `env` set and standard input read from `stdin`
/// (or empty).
pub fn brinery_with(args: &[String], stdin: Option<&Path>, env: &[(&str, &str)]) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_brinery"));
    cmd.args(args).envs(env.iter().copied());
    match stdin {
        Some(path) => cmd.stdin(std::fs::File::open(path).unwrap()),
        None => cmd.stdin(Stdio::null()),
    };
    let out = cmd.output().expect("brinery runs");
    Outcome { stdout: out.stdout, stderr: out.stderr, code: out.status.code().unwrap_or(-1) }
}

/// Runs `f` on every item on two threads, keeping the order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let half = items.len().div_ceil(2);
    std::thread::scope(|s| {
        let (a, b) = items.split_at(half);
        let f = &f;
        let first = s.spawn(move || a.iter().map(f).collect::<Vec<_>>());
        let mut second: Vec<R> = b.iter().map(f).collect();
        let mut all = first.join().unwrap();
        all.append(&mut second);
        all
    })
}
