//! Running CPython, the test oracle. Shared by the engine's and the CLI's
//! integration tests (the CLI's `tests/common` includes this file by path).

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `python3 -c script args...` with `input` on stdin and returns its
/// stdout; fails the test, with python's stderr, if the script fails.
pub fn run_python_with_args(script: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed: CPython is the test oracle");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Feed stdin from another thread so a large output cannot deadlock the pipes.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    // A script that died early closes its stdin: report the script, not the pipe.
    assert!(out.status.success(), "python3 failed:\n{}\n{script}", String::from_utf8_lossy(&out.stderr));
    writer.join().unwrap().unwrap();
    out.stdout
}
