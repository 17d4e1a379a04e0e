//! `brinery scan` end to end: exit codes, the three output formats, policy options.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dir(test: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("scan-cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("sub")).unwrap();
    d
}

fn brinery(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_brinery")).args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
}

// Protocol 2: `posix.system('id')`, `collections.OrderedDict()`, a truncated pickle,
// and `sklearn.Thing()` (unknown).
const EVIL: &[u8] = b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.";
const SAFE: &[u8] = b"\x80\x02ccollections\nOrderedDict\n)R.";
const BROKEN: &[u8] = b"\x80\x02]q\x00(K\x01";
const UNKNOWN: &[u8] = b"\x80\x02csklearn\nThing\n)R.";

#[test]
fn exit_codes_dangerous_wins_then_error() {
    let d = dir("exit");
    std::fs::write(d.join("safe.bin"), SAFE).unwrap();
    std::fs::write(d.join("unknown.dat"), UNKNOWN).unwrap();
    let s = d.to_str().unwrap();
    assert_eq!(brinery(&["scan", s]).0, 0);
    assert_eq!(brinery(&["scan", "--strict", s]).0, 1, "unknown counts as dangerous under --strict");
    assert_eq!(brinery(&["scan", "--strict", "--allow", "sklearn", s]).0, 0);
    assert_eq!(brinery(&["scan", "--deny", "collections:OrderedDict", s]).0, 1);
    std::fs::write(d.join("sub/broken"), BROKEN).unwrap();
    assert_eq!(brinery(&["scan", s]).0, 2);
    std::fs::write(d.join("sub/evil.txt"), EVIL).unwrap();
    let (code, text) = brinery(&["scan", s]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("evil.txt: DANGEROUS (pickle)"), "{text}");
    assert!(text.contains("dangerous global posix.system at byte 2 GLOBAL"), "{text}");
    assert!(text.contains("4 file(s): 1 dangerous, 1 error, 1 unknown, 1 safe"), "{text}");
}

#[test]
fn policy_file_extends_the_policy() {
    let d = dir("policy");
    std::fs::write(d.join("unknown.pkl"), UNKNOWN).unwrap();
    std::fs::write(d.join("policy.txt"), "[dangerous]\nsklearn  # not trusted here\n").unwrap();
    let file = d.join("unknown.pkl");
    let (code, text) = brinery(&["scan", "--policy", d.join("policy.txt").to_str().unwrap(), file.to_str().unwrap()]);
    assert_eq!(code, 1, "{text}");
    std::fs::write(d.join("bad.txt"), "os\n").unwrap();
    assert_eq!(brinery(&["scan", "--policy", d.join("bad.txt").to_str().unwrap(), file.to_str().unwrap()]).0, 2);
}

#[test]
fn json_and_sarif() {
    let d = dir("formats");
    std::fs::write(d.join("evil.pkl"), EVIL).unwrap();
    let path = d.join("evil.pkl");
    let (code, out) = brinery(&["scan", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let file = &v["files"][0];
    assert_eq!(file["verdict"], "dangerous");
    assert_eq!(file["streams"][0]["globals"][0]["module"], "posix");
    assert_eq!(file["streams"][0]["globals"][0]["offset"], 2);
    assert_eq!(file["findings"][1]["opcode"], "REDUCE");
    let (_, out) = brinery(&["scan", "--format", "sarif", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let result = &v["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "dangerous-global");
    assert_eq!(result["level"], "error");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["byteOffset"], 2);
}

#[test]
fn parallel_scans_report_every_file_once_in_path_order() {
    let d = dir("jobs");
    let kinds = [EVIL, SAFE, BROKEN, UNKNOWN];
    for i in 0..40 {
        let sub = if i % 3 == 0 { "sub/" } else { "" };
        std::fs::write(d.join(format!("{sub}f{i:02}.bin")), kinds[i % kinds.len()]).unwrap();
    }
    let s = d.to_str().unwrap();
    let (code, serial) = brinery(&["scan", "--format", "json", "--jobs", "1", s]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&serial).unwrap();
    let paths: Vec<&str> = v["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 40);
    assert!(paths.windows(2).all(|w| w[0] < w[1]), "{paths:?}");
    for jobs in ["2", "3", "16"] {
        assert_eq!(brinery(&["scan", "--format", "json", "-j", jobs, s]), (1, serial.clone()), "--jobs {jobs}");
    }
    assert_eq!(brinery(&["scan", "--jobs", "0", s]).0, 2, "--jobs 0 is refused");
}
