//! The opcode table (`brinery::opcodes::OPCODES`) against CPython's own
//! `pickletools.opcodes`: same 68 opcodes in the same order, and for each the
//! same name, code byte, argument descriptor (name and `n`), stack effect,
//! protocol and first doc line. pickletools is dumped to JSON by one
//! `python3` subprocess.

use brinery::opcodes::{Opcode, OpcodeInfo, OPCODES};
use serde_json::{json, Value as Json};
use std::process::Command;
use std::sync::OnceLock;

const SCRIPT: &str = r#"
import json, pickle, pickletools, sys
ops = []
for op in pickletools.opcodes:
    ops.append({
        "name": op.name,
        "code": ord(op.code),
        "arg": None if op.arg is None else op.arg.name,
        "n": None if op.arg is None else op.arg.n,
        "stack_before": [s.name for s in op.stack_before],
        "stack_after": [s.name for s in op.stack_after],
        "proto": op.proto,
        "doc": op.doc.split("\n", 1)[0],
    })
json.dump({"highest_protocol": pickle.HIGHEST_PROTOCOL, "opcodes": ops}, sys.stdout)
"#;

/// pickletools' table, as JSON (run once per test binary).
fn cpython() -> &'static Json {
    static TABLE: OnceLock<Json> = OnceLock::new();
    TABLE.get_or_init(|| {
        let out = Command::new("python3").args(["-c", SCRIPT]).output().expect("python3 must be installed");
        assert!(out.status.success(), "python3 failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    })
}

fn cpython_opcodes() -> &'static [Json] {
    cpython()["opcodes"].as_array().unwrap()
}

/// Our row in pickletools' JSON shape.
fn ours(info: &OpcodeInfo) -> Json {
    json!({
        "name": info.name,
        "code": info.code,
        "arg": info.arg.map(|a| a.name()),
        "n": info.arg.map(|a| a.pickletools_n()),
        "stack_before": info.stack_before.iter().map(|s| s.name()).collect::<Vec<_>>(),
        "stack_after": info.stack_after.iter().map(|s| s.name()).collect::<Vec<_>>(),
        "proto": info.proto,
        "doc": info.doc,
    })
}

/// Both tables have 68 opcodes, in the same order (compared by name).
#[test]
fn same_opcodes_in_the_same_order() {
    let theirs: Vec<&str> = cpython_opcodes().iter().map(|o| o["name"].as_str().unwrap()).collect();
    let mine: Vec<&str> = OPCODES.iter().map(|o| o.name).collect();
    assert_eq!(theirs.len(), 68, "pickletools has {} opcodes", theirs.len());
    assert_eq!(mine, theirs);
}

/// Every field of every row — code byte, argument descriptor name and its
/// `n`, stack_before/stack_after names, protocol, first doc line — equals
/// pickletools'. All differences are reported at once.
#[test]
fn every_field_matches_pickletools() {
    let theirs = cpython_opcodes();
    assert_eq!(OPCODES.len(), theirs.len());
    let mut diffs = Vec::new();
    for (i, (mine, theirs)) in OPCODES.iter().zip(theirs).enumerate() {
        let mine = ours(mine);
        let fields = theirs.as_object().unwrap();
        assert_eq!(fields.len(), 8);
        for (field, want) in fields {
            let got = &mine[field.as_str()];
            if got != want {
                diffs.push(format!("#{i} {}: {field}: ours {got}, pickletools {want}", theirs["name"]));
            }
        }
    }
    assert!(diffs.is_empty(), "{} difference(s):\n{}", diffs.len(), diffs.join("\n"));
}

/// Byte → opcode lookup agrees with pickletools for all 256 bytes (including
/// which bytes are not opcodes), and each row's `opcode` is the enum value
/// whose discriminant is the byte and whose `info()` is that row.
#[test]
fn byte_lookup_matches_pickletools() {
    let theirs: std::collections::HashMap<u8, &str> =
        cpython_opcodes().iter().map(|o| (o["code"].as_u64().unwrap() as u8, o["name"].as_str().unwrap())).collect();
    for b in 0..=255u8 {
        let mine = Opcode::from_byte(b).map(|op| op.name());
        assert_eq!(mine, theirs.get(&b).copied(), "byte {b:#04x}");
    }
    for info in OPCODES {
        assert_eq!(info.opcode as u8, info.code, "{}", info.name);
        assert_eq!(info.opcode.info(), info, "{}", info.name);
        assert_eq!(info.opcode.name(), info.name);
    }
}

/// The highest protocol the table knows is CPython's `pickle.HIGHEST_PROTOCOL`,
/// and it is the highest `proto` of any opcode.
#[test]
fn highest_protocol_matches() {
    let theirs = cpython()["highest_protocol"].as_u64().unwrap();
    assert_eq!(Opcode::HIGHEST_PROTOCOL as u64, theirs);
    assert_eq!(OPCODES.iter().map(|o| o.proto).max(), Some(Opcode::HIGHEST_PROTOCOL));
}
