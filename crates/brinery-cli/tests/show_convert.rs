//! `brinery show` and `brinery convert` on the CPython corpus, and how both
//! report bad input.

mod common;

use common::{corpus, scratch_dir, Entry};
use std::process::{Command, Output};

fn brinery(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brinery")).args(args).output().expect("brinery runs")
}

fn path(e: &Entry, dir: &std::path::Path, suffix: &str) -> String {
    e.file(dir, suffix).display().to_string()
}

/// `brinery show` prints exactly Python's `repr(pickle.loads(data))` for every
/// builtin-type value of the corpus (sets aside: their order is CPython's).
#[test]
fn show_prints_python_repr() {
    let (dir, entries) = corpus();
    let mut failures = Vec::new();
    let mut checked = 0;
    for e in entries.iter().filter(|e| e.builtin && !e.has_sets && !e.needs_hooks) {
        let file = path(e, dir, "pkl");
        let out = if e.count > 1 { brinery(&["show", "--all", &file]) } else { brinery(&["show", &file]) };
        let expected = std::fs::read_to_string(e.file(dir, "repr")).unwrap();
        checked += 1;
        if !out.status.success() || String::from_utf8_lossy(&out.stdout).trim_end() != expected.trim_end() {
            failures.push(format!("{}: {}", e.stem, String::from_utf8_lossy(&out.stderr)));
        }
    }
    assert!(checked > 300, "only {checked} entries checked");
    assert!(failures.is_empty(), "{} of {checked} differ:\n{}", failures.len(), failures.join("\n"));
}

/// `brinery convert --to pickle --protocol P` writes what CPython's
/// `pickle.dumps(pickle.loads(data), P)` writes: at the same protocol for
/// every kind of value, and at every other protocol for builtin values.
#[test]
fn convert_repickles_like_cpython() {
    let (dir, entries) = corpus();
    let out_dir = scratch_dir("convert");
    let mut failures = Vec::new();
    let mut checked = 0;
    for e in entries.iter().filter(|e| !e.has_sets && !e.needs_hooks && e.count == 1) {
        for q in 0..=5u8 {
            // CPython's bytes: same protocol in .redump, others in .toQ (builtin values only).
            let suffix = if q == e.protocol { "redump".to_string() } else { format!("to{q}") };
            if !e.file(dir, &suffix).exists() {
                continue;
            }
            let output = out_dir.join(format!("{}.to{q}", e.stem));
            let output = output.display().to_string();
            let res = brinery(&[
                "convert",
                &path(e, dir, "pkl"),
                "--to",
                "pickle",
                "--protocol",
                &q.to_string(),
                "-o",
                &output,
            ]);
            checked += 1;
            let same = res.status.success() && std::fs::read(&output).ok() == std::fs::read(e.file(dir, &suffix)).ok();
            if !same {
                failures.push(format!("{} -> protocol {q}: {}", e.stem, String::from_utf8_lossy(&res.stderr)));
            }
        }
    }
    assert!(checked > 1000, "only {checked} conversions checked");
    assert!(failures.is_empty(), "{} of {checked} differ:\n{}", failures.len(), failures.join("\n"));
}

/// Bad input exits with code 2 and names the byte and the opcode; stdin works.
#[test]
fn bad_input_exits_2_with_the_offset() {
    let dir = scratch_dir("bad-input");
    let truncated = dir.join("truncated.pkl");
    std::fs::write(&truncated, b"\x80\x02]q\x00(K\x01K").unwrap();
    for command in ["show", "convert"] {
        let mut args = vec![command, truncated.to_str().unwrap()];
        if command == "convert" {
            args.extend(["--to", "pickle"]);
        }
        let out = brinery(&args);
        assert_eq!(out.status.code(), Some(2), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("truncated") && err.contains("at byte 8") && err.contains("BININT1"), "{command}: {err}");
        assert!(out.stdout.is_empty(), "{command} wrote output for bad input");
    }
    let garbage = dir.join("garbage.pkl");
    std::fs::write(&garbage, b"N.extra").unwrap();
    let out = brinery(&["show", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("trailing data"));
    // A missing file is a usage problem, not bad input.
    let out = brinery(&["show", dir.join("missing.pkl").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

/// `-` reads standard input and writes standard output.
#[test]
fn dash_means_stdin_and_stdout() {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_brinery"))
        .args(["convert", "-", "--to", "pickle", "--protocol", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00]\x94K\x01a.").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"\x80\x02]q\x00K\x01a.");
}

/// `--max-items` and `--max-depth` shorten huge values.
#[test]
fn show_limits_keep_output_readable() {
    let dir = scratch_dir("limits");
    let file = dir.join("big.pkl");
    // [[[0, 1, ..., 9]]] at protocol 2, written by CPython.
    let status = Command::new("python3")
        .args(["-c", "import pickle,sys; open(sys.argv[1],'wb').write(pickle.dumps([[list(range(10))]], 2))"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success());
    let f = file.to_str().unwrap();
    assert_eq!(String::from_utf8(brinery(&["show", "--max-items", "3", f]).stdout).unwrap(), "[[[0, 1, 2, ...]]]\n");
    assert_eq!(String::from_utf8(brinery(&["show", "--max-depth", "2", f]).stdout).unwrap(), "[[[...]]]\n");
}

/// A "billion laughs" pickle (a list holding the list below twice, 64 levels:
/// 2^64 leaves when printed in full, 600 bytes of pickle) prints up to
/// `--max-len` bytes, then `...`, and returns at once instead of expanding.
#[test]
fn show_stops_a_shared_graph_at_max_len() {
    let mut pickle = b"\x80\x02]q\x00K\x00a".to_vec(); // level 0: [0], memo 0
    for level in 1..=64u32 {
        // [level-1, level-1], memoised as `level`
        pickle.extend_from_slice(b"]r");
        pickle.extend_from_slice(&level.to_le_bytes());
        pickle.extend_from_slice(b"(j");
        pickle.extend_from_slice(&(level - 1).to_le_bytes());
        pickle.extend_from_slice(b"j");
        pickle.extend_from_slice(&(level - 1).to_le_bytes());
        pickle.extend_from_slice(b"e");
    }
    pickle.push(b'.');
    let dir = scratch_dir("show-laughs");
    let file = dir.join("laughs.pkl");
    std::fs::write(&file, &pickle).unwrap();
    let start = std::time::Instant::now();
    let out = brinery(&["show", "--max-len", "1000", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&"[".repeat(65)), "{text}");
    assert!(text.trim_end().ends_with("..."), "{text}");
    assert!(text.len() < 1100, "{} bytes", text.len());
    // The default limit (10 MB of text) also ends it.
    let out = brinery(&["show", file.to_str().unwrap()]);
    assert!(out.status.success() && out.stdout.len() < 10_100_000, "{} bytes", out.stdout.len());
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
}
