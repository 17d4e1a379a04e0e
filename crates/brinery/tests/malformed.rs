//! Malformed and hostile pickles: every class of bad input gets the exact
//! [`ErrorKind`] at the exact byte offset of the failing opcode, never a panic,
//! and the offset shows in the message (`"(at byte N"`).
//!
//! Every case also records what CPython 3.11's `pickle.loads` does with the
//! same bytes; [`cpython_agrees_on_every_case`] runs them all through one
//! `python3` subprocess, so "brinery rejects it" is always backed by "CPython
//! rejects it too", and the places where brinery deliberately differs
//! (trailing data, depth limit) are checked to really be differences.

use brinery::pickle::{self, ops, Arg, DumpOptions, Error, ErrorKind, Limits, LoadOptions, TrailingData};
use brinery::{Bytes, Int, Value};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

/// What CPython's `pickle.loads` does with a case's bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Py {
    /// CPython raises too.
    Rejects,
    /// CPython loads it: brinery differs on purpose (it rejects trailing data
    /// by default, and limits nesting depth).
    Accepts,
    /// CPython's outcome depends on the machine (e.g. `MemoryError` on a 2^31-entry memo).
    Unchecked,
}

struct Case {
    name: &'static str,
    data: Vec<u8>,
    opts: fn() -> LoadOptions,
    /// Extra keyword arguments for CPython's `pickle.loads(data<py_args>)`.
    py_args: &'static str,
    expect: &'static str,
    check: fn(&ErrorKind) -> bool,
    offset: u64,
    cpython: Py,
}

/// `case!(name, bytes, Pattern, at offset, Py::…)` with optional `opts` and `py_args`.
macro_rules! case {
    ($name:expr, $data:expr, $pat:pat $(if $guard:expr)?, at $off:expr, $py:expr) => {
        case!($name, $data, $pat $(if $guard)?, at $off, $py, LoadOptions::default, "")
    };
    ($name:expr, $data:expr, $pat:pat $(if $guard:expr)?, at $off:expr, $py:expr, $opts:expr, $py_args:expr) => {
        Case {
            name: $name,
            data: AsRef::<[u8]>::as_ref(&$data).to_vec(),
            opts: $opts,
            py_args: $py_args,
            expect: stringify!($pat $(if $guard)?),
            check: |k| matches!(k, $pat $(if $guard)?),
            offset: $off,
            cpython: $py,
        }
    };
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Loads `data` and returns the error it must produce.
fn load_err(name: &str, data: &[u8], opts: &LoadOptions) -> Error {
    match pickle::loads(data, opts) {
        Ok(v) => panic!("{name}: expected an error, loaded {v:?}"),
        Err(e) => e,
    }
}

/// Checks one case: kind, offset, and the offset in the message.
fn check_case(c: &Case) -> Result<(), String> {
    let err = match pickle::loads(&c.data, &(c.opts)()) {
        Ok(v) => return Err(format!("{}: expected {}, loaded {}", c.name, c.expect, short_debug(&v))),
        Err(e) => e,
    };
    if !(c.check)(err.kind()) {
        return Err(format!("{}: expected {}, got {:?} ({err})", c.name, c.expect, err.kind()));
    }
    if err.offset() != Some(c.offset) {
        return Err(format!("{}: expected offset {}, got {:?} ({err})", c.name, c.offset, err.offset()));
    }
    let msg = err.to_string();
    if !msg.contains(&format!("(at byte {}", c.offset)) {
        return Err(format!("{}: message does not name the offset: {msg}", c.name));
    }
    Ok(())
}

fn short_debug(v: &Value<'_>) -> String {
    let s = format!("{v:?}");
    if s.len() > 200 {
        format!("{}…", &s[..s.char_indices().nth(200).map_or(s.len(), |(i, _)| i)])
    } else {
        s
    }
}

/// Checks every case and reports all failures together.
fn run(cases: &[Case]) {
    assert!(!cases.is_empty());
    let failures: Vec<String> = cases.iter().filter_map(|c| check_case(c).err()).collect();
    assert!(failures.is_empty(), "{} of {} case(s) failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// Set in the child process that [`run_in_child`] starts.
const CHILD_ENV: &str = "BRINERY_MALFORMED_CHILD";

/// Runs `body` in a child process: this test binary re-run with only the
/// test `name` (on an ordinary 2 MiB test thread), so that a stack overflow,
/// which aborts the process, or a hang (the child is killed after `timeout`)
/// fails only the calling test instead of the whole binary. In the child,
/// runs `body` directly.
fn run_in_child(name: &str, timeout: Duration, body: fn()) {
    use std::io::Read;
    if std::env::var_os(CHILD_ENV).is_some() {
        body();
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-running the test binary");
    fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    }
    let readers = [drain(child.stdout.take().unwrap()), drain(child.stderr.take().unwrap())];
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > timeout {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text: String = readers.into_iter().map(|r| r.join().unwrap()).collect();
    match status {
        None => panic!("child test {name} did not finish in {timeout:?}:\n{text}"),
        Some(status) => {
            assert!(status.success() && text.contains("1 passed"), "child test {name} failed ({status}):\n{text}")
        }
    }
}

/// Generous: the children take about a second in a debug build.
const CHILD_TIMEOUT: Duration = Duration::from_secs(300);

fn buffers_none() -> LoadOptions {
    LoadOptions { buffers: Some(Vec::new()), ..Default::default() }
}

fn buffers_one() -> LoadOptions {
    LoadOptions { buffers: Some(vec![Bytes::new(b"x".to_vec())]), ..Default::default() }
}

fn registry_with_5() -> LoadOptions {
    let mut reg = HashMap::new();
    reg.insert(5i64, ("builtins".to_string(), "list".to_string()));
    LoadOptions { extensions: Some(Arc::new(reg)), ..Default::default() }
}

const P2: &[u8] = b"\x80\x02";

fn argument_cases() -> Vec<Case> {
    vec![
        case!("INT not a number", cat(&[P2, b"Iabc\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("INT trailing junk", cat(&[P2, b"I12x\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("INT decimal with leading zero overflow", cat(&[P2, b"I01000000000000000000000\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("INT empty line is truncation, as in CPython", cat(&[P2, b"I\n."]), ErrorKind::Truncated { .. }, at 2, Py::Rejects),
        case!("LONG not a number", cat(&[P2, b"L12aL\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("LONG two Ls", cat(&[P2, b"L5LL\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("LONG invalid UTF-8", cat(&[P2, b"L\xffL\n."]), ErrorKind::Undecodable { codec: "utf-8", .. }, at 2, Py::Rejects),
        case!("FLOAT trailing junk", cat(&[P2, b"F1.5x\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("FLOAT not a number", cat(&[P2, b"Fabc\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("FLOAT leading space", cat(&[P2, b"F 1.5\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("FLOAT overflow", cat(&[P2, b"F1e500\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("STRING unquoted", cat(&[P2, b"Sabc\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("STRING mismatched quotes", cat(&[P2, b"S'abc\"\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("STRING lone quote", cat(&[P2, b"S'\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("STRING bad \\x escape (one digit)", cat(&[P2, b"S'\\x4'\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("STRING bad \\x escape (non-hex digit)", cat(&[P2, b"S'ab\\x4g'\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("STRING trailing backslash", cat(&[P2, b"S'ab\\'\n."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("BINUNICODE invalid start byte", cat(&[P2, b"X\x01\x00\x00\x00\xff."]), ErrorKind::Decode(_), at 2, Py::Rejects),
        case!("SHORT_BINUNICODE invalid continuation", cat(&[P2, b"\x8c\x02\xc3\x28."]), ErrorKind::Decode(_), at 2, Py::Rejects),
        case!("SHORT_BINUNICODE overlong NUL", cat(&[P2, b"\x8c\x02\xc0\x80."]), ErrorKind::Decode(_), at 2, Py::Rejects),
        case!("SHORT_BINUNICODE above U+10FFFF", cat(&[P2, b"\x8c\x04\xf4\x90\x80\x80."]), ErrorKind::Decode(_), at 2, Py::Rejects),
        case!("BINUNICODE8 cut multi-byte sequence", cat(&[P2, b"\x8d\x01\x00\x00\x00\x00\x00\x00\x00\xe2."]), ErrorKind::Decode(_), at 2, Py::Rejects),
        case!("UNICODE truncated \\u escape", cat(&[P2, b"V\\u12zz\n."]), ErrorKind::Decode(_), at 2, Py::Rejects),
        case!("LONG4 negative length -1", cat(&[P2, b"\x8b\xff\xff\xff\xff."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("LONG4 negative length -2^31", cat(&[P2, b"\x8b\x00\x00\x00\x80."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("PUT negative", cat(&[P2, b"Np-1\n."]), ErrorKind::BadArgument(_), at 3, Py::Rejects),
        case!("PUT hex", cat(&[P2, b"Np0x5\n."]), ErrorKind::BadArgument(_), at 3, Py::Rejects),
        case!("GLOBAL name not UTF-8", cat(&[P2, b"c\xff\nx\n."]), ErrorKind::Undecodable { codec: "utf-8", .. }, at 2, Py::Rejects),
        case!("INST name not ASCII", cat(&[P2, b"(i\xc3\xa9\nx\n."]), ErrorKind::Undecodable { codec: "ascii", .. }, at 3, Py::Rejects),
        case!("EXT1 code 0", cat(&[P2, b"\x82\x00."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("EXT4 negative code", cat(&[P2, b"\x84\xff\xff\xff\xff."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("STACK_GLOBAL of ints", cat(&[P2, b"K\x01K\x02\x93."]), ErrorKind::BadArgument(_), at 6, Py::Rejects),
        case!("BINBYTES8 length above 2^63-1", cat(&[P2, b"\x8e\xff\xff\xff\xff\xff\xff\xff\xffabc."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("BINUNICODE8 length above 2^63-1", cat(&[P2, b"\x8d\xff\xff\xff\xff\xff\xff\xff\xffabc."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
        case!("FRAME length above 2^63-1", cat(&[P2, b"\x95\xff\xff\xff\xff\xff\xff\xff\xffN."]), ErrorKind::BadArgument(_), at 2, Py::Rejects),
    ]
}

fn wrong_type_cases() -> Vec<Case> {
    vec![
        case!("APPEND onto an int", b"K\x01K\x02a.", ErrorKind::WrongType { expected: "a list", found: "int" }, at 4, Py::Rejects),
        case!("APPENDS onto a str", b"X\x00\x00\x00\x00(K\x01e.", ErrorKind::WrongType { found: "str", .. }, at 8, Py::Rejects),
        case!("SETITEM onto a tuple", b")K\x01K\x02s.", ErrorKind::WrongType { expected: "a dict", found: "tuple" }, at 5, Py::Rejects),
        case!("ADDITEMS onto a list", b"](K\x01\x90.", ErrorKind::WrongType { expected: "a set", found: "list" }, at 4, Py::Rejects),
        case!("BUILD onto an int", b"K\x01}b.", ErrorKind::WrongType { found: "int", .. }, at 3, Py::Rejects),
    ]
}

fn underflow_cases() -> Vec<Case> {
    vec![
        case!("STOP on an empty stack", b".", ErrorKind::StackUnderflow { needed: 1, available: 0 }, at 0, Py::Rejects),
        case!("APPEND on an empty stack (no STOP)", b"a", ErrorKind::StackUnderflow { needed: 1, available: 0 }, at 0, Py::Rejects),
        case!("APPEND with one item", b"]a.", ErrorKind::StackUnderflow { needed: 1, available: 0 }, at 1, Py::Rejects),
        case!("TUPLE2 with one item", b"N\x86.", ErrorKind::StackUnderflow { needed: 2, available: 1 }, at 1, Py::Rejects),
        case!("TUPLE3 with two items", b"NN\x87.", ErrorKind::StackUnderflow { needed: 3, available: 2 }, at 2, Py::Rejects),
        case!("SETITEM with one item", b"K\x01s.", ErrorKind::StackUnderflow { .. }, at 2, Py::Rejects),
        case!("BUILD with one item", b"Nb.", ErrorKind::StackUnderflow { needed: 2, available: 1 }, at 1, Py::Rejects),
        case!("REDUCE with one item", b"NR.", ErrorKind::StackUnderflow { .. }, at 1, Py::Rejects),
        case!("DUP on an empty stack", b"2.", ErrorKind::StackUnderflow { needed: 1, .. }, at 0, Py::Rejects),
        case!("POP on an empty stack", b"0N.", ErrorKind::StackUnderflow { needed: 1, .. }, at 0, Py::Rejects),
        case!("PUT on an empty stack", b"q\x00N.", ErrorKind::StackUnderflow { needed: 1, .. }, at 0, Py::Rejects),
        case!("POP removes the mark, STOP then underflows", b"(0.", ErrorKind::StackUnderflow { needed: 1, available: 0 }, at 2, Py::Rejects),
    ]
}

fn mark_cases() -> Vec<Case> {
    vec![
        case!("TUPLE without MARK", b"t.", ErrorKind::NoMark, at 0, Py::Rejects),
        case!("LIST without MARK after items", b"NNl.", ErrorKind::NoMark, at 2, Py::Rejects),
        case!("DICT without MARK", b"(]ld.", ErrorKind::NoMark, at 3, Py::Rejects),
        case!("POP_MARK without MARK", b"N1.", ErrorKind::NoMark, at 1, Py::Rejects),
        case!("APPENDS without MARK", b"]K\x01e.", ErrorKind::NoMark, at 3, Py::Rejects),
        case!("OBJ without MARK", b"No.", ErrorKind::NoMark, at 1, Py::Rejects),
        case!("INST without MARK", b"ibuiltins\nlist\n.", ErrorKind::NoMark, at 0, Py::Rejects),
        case!("STOP with an object below a MARK", b"N(.", ErrorKind::UnexpectedMark, at 2, Py::Rejects),
        case!("STOP with only a MARK", b"(.", ErrorKind::UnexpectedMark, at 1, Py::Rejects),
        case!("STOP with only MARKs", b"((.", ErrorKind::UnexpectedMark, at 2, Py::Rejects),
        case!("TUPLE1 across a MARK", b"N(\x85.", ErrorKind::UnexpectedMark, at 2, Py::Rejects),
        case!("TUPLE2 across a MARK", b"N(K\x01\x86.", ErrorKind::UnexpectedMark, at 4, Py::Rejects),
        case!("SETITEM across a MARK", b"}(K\x01K\x02s.", ErrorKind::UnexpectedMark, at 6, Py::Rejects),
        case!("APPEND across a MARK", b"](K\x01a.", ErrorKind::UnexpectedMark, at 4, Py::Rejects),
        case!("APPENDS with no target below the MARK", b"(K\x01e.", ErrorKind::StackUnderflow { .. }, at 3, Py::Rejects),
        case!("APPENDS whose target is a MARK", b"]((K\x01e.", ErrorKind::UnexpectedMark, at 5, Py::Rejects),
        case!("SETITEMS whose target is a MARK", b"}((K\x01K\x02u.", ErrorKind::UnexpectedMark, at 7, Py::Rejects),
        case!("ADDITEMS whose target is a MARK", b"\x8f((K\x01\x90.", ErrorKind::UnexpectedMark, at 5, Py::Rejects),
        case!("OBJ with nothing above the MARK", b"(o.", ErrorKind::StackUnderflow { .. }, at 1, Py::Rejects),
        case!("MEMOIZE with only a MARK on top", b"N(\x94.", ErrorKind::UnexpectedMark, at 2, Py::Rejects),
    ]
}

fn memo_cases() -> Vec<Case> {
    vec![
        case!("BINGET of an empty memo", b"h\x05.", ErrorKind::MemoMiss(5), at 0, Py::Rejects),
        case!("BINGET next to a used slot", b"Nq\x00h\x01.", ErrorKind::MemoMiss(1), at 3, Py::Rejects),
        case!("LONG_BINGET 2^32-1", b"j\xff\xff\xff\xff.", ErrorKind::MemoMiss(4294967295), at 0, Py::Rejects),
        case!("GET text index", b"g7\n.", ErrorKind::MemoMiss(7), at 0, Py::Rejects),
        case!("LONG_BINGET next to a sparse slot", b"Nr\x00\x00\x00\x80j\x01\x00\x00\x80.", ErrorKind::MemoMiss(0x8000_0001), at 6, Py::Unchecked),
    ]
}

fn absurd_length_cases() -> Vec<Case> {
    let le8 = |n: u64| n.to_le_bytes();
    vec![
        case!("BINBYTES8 of 2^62", cat(&[b"\x8e", &le8(1 << 62), b"abc"]),
            ErrorKind::Truncated { what: "BINBYTES8", needed, available: 3 } if *needed == 1 << 62, at 0, Py::Rejects),
        case!("BINUNICODE8 of 2^63-1", cat(&[b"\x8d", &le8(i64::MAX as u64), b"abc"]),
            ErrorKind::Truncated { what: "BINUNICODE8", needed, available: 3 } if *needed == i64::MAX as u64, at 0, Py::Rejects),
        case!("BINBYTES of 2^32-1", b"B\xff\xff\xff\xffabc",
            ErrorKind::Truncated { what: "BINBYTES", needed: 0xffff_ffff, available: 3 }, at 0, Py::Rejects),
        case!("BINUNICODE of 2^32-1", b"X\xff\xff\xff\xffabc",
            ErrorKind::Truncated { what: "BINUNICODE", needed: 0xffff_ffff, available: 3 }, at 0, Py::Rejects),
        case!("BINSTRING of 2^31-1", b"T\xff\xff\xff\x7fabc",
            ErrorKind::Truncated { what: "BINSTRING", needed: 0x7fff_ffff, available: 3 }, at 0, Py::Rejects),
        case!("LONG4 of 2^31-1", b"\x8b\xff\xff\xff\x7fabc",
            ErrorKind::Truncated { what: "LONG4", needed: 0x7fff_ffff, available: 3 }, at 0, Py::Rejects),
        case!("BYTEARRAY8 of 2^62", cat(&[b"\x96", &le8(1 << 62), b"abc"]),
            ErrorKind::Truncated { what: "BYTEARRAY8", available: 3, .. }, at 0, Py::Rejects),
        case!("FRAME of 2^62", cat(&[b"\x80\x04\x95", &le8(1 << 62), b"N."]),
            ErrorKind::Truncated { what: "FRAME", available: 2, .. }, at 2, Py::Rejects),
        case!("FRAME one byte longer than the rest", cat(&[b"\x80\x04\x95", &le8(3), b"N."]),
            ErrorKind::Truncated { what: "FRAME", needed: 3, available: 2 }, at 2, Py::Rejects),
        case!("SHORT_BINBYTES of 255 with 3 bytes", b"C\xffabc",
            ErrorKind::Truncated { what: "SHORT_BINBYTES", needed: 255, available: 3 }, at 0, Py::Rejects),
    ]
}

fn end_of_input_cases() -> Vec<Case> {
    vec![
        case!("empty input", b"", ErrorKind::Empty, at 0, Py::Rejects),
        case!("no STOP", b"K\x01", ErrorKind::Truncated { what: "STOP", needed: 1, available: 0 }, at 2, Py::Rejects),
        case!("BININT cut", b"J\x01\x02", ErrorKind::Truncated { what: "BININT", needed: 4, available: 2 }, at 0, Py::Rejects),
        case!("text line without newline", b"NI12", ErrorKind::Truncated { .. }, at 1, Py::Rejects),
        case!("GLOBAL second line missing", b"cbuiltins\nlist", ErrorKind::Truncated { .. }, at 0, Py::Rejects),
        case!("garbage after STOP", b"K\x01.\xff", ErrorKind::TrailingData(1), at 3, Py::Accepts),
        case!("second STOP after STOP", b"N..", ErrorKind::TrailingData(1), at 2, Py::Accepts),
        case!("a whole second pickle after STOP", b"N.K\x01.", ErrorKind::TrailingData(3), at 2, Py::Accepts),
    ]
}

fn opcode_and_protocol_cases() -> Vec<Case> {
    vec![
        case!("unknown opcode 0xff", b"\xff", ErrorKind::UnknownOpcode(0xff), at 0, Py::Rejects),
        case!("unknown opcode after others", b"N\xfe.", ErrorKind::UnknownOpcode(0xfe), at 1, Py::Rejects),
        case!("quote is not an opcode", b"NN'", ErrorKind::UnknownOpcode(b'\''), at 2, Py::Rejects),
        case!("NUL is not an opcode", b"\x80\x02\x00", ErrorKind::UnknownOpcode(0), at 2, Py::Rejects),
        case!("PROTO 6", b"\x80\x06.", ErrorKind::UnsupportedProtocol(6), at 0, Py::Rejects),
        case!("PROTO 255 mid-stream", b"N\x80\xffN.", ErrorKind::UnsupportedProtocol(255), at 1, Py::Rejects),
    ]
}

fn container_cases() -> Vec<Case> {
    vec![
        case!("odd SETITEMS", b"}(K\x01K\x02K\x03u.", ErrorKind::BadArgument(m) if m.contains("odd"), at 8, Py::Rejects),
        case!("odd DICT", b"(K\x01K\x02K\x03d.", ErrorKind::BadArgument(m) if m.contains("odd"), at 7, Py::Rejects),
        case!("list as a SETITEM key", b"}]K\x01s.", ErrorKind::Unhashable("list"), at 4, Py::Rejects),
        case!("dict as a DICT key", b"(}K\x01d.", ErrorKind::Unhashable("dict"), at 4, Py::Rejects),
        case!("list inside a tuple key", b"}]\x85K\x01s.", ErrorKind::Unhashable("list"), at 5, Py::Rejects),
        case!("list in ADDITEMS", b"\x8f(]\x90.", ErrorKind::Unhashable("list"), at 3, Py::Rejects),
        case!("set in FROZENSET", b"(\x8f\x91.", ErrorKind::Unhashable("set"), at 2, Py::Rejects),
        case!("list key in SETITEMS after good keys", b"}(K\x01K\x02]K\x03u.", ErrorKind::Unhashable("list"), at 9, Py::Rejects),
    ]
}

fn extension_and_buffer_cases() -> Vec<Case> {
    vec![
        case!("EXT1 unregistered", b"\x82\x05.", ErrorKind::UnregisteredExtension(5), at 0, Py::Rejects),
        case!("EXT2 unregistered", b"N0\x83\x00\x01.", ErrorKind::UnregisteredExtension(256), at 2, Py::Rejects),
        case!("EXT4 unregistered", b"\x84\xff\xff\xff\x7f.", ErrorKind::UnregisteredExtension(0x7fff_ffff), at 0, Py::Rejects),
        case!("EXT1 code missing from a registry", b"\x82\x05\x82\x06.", ErrorKind::UnregisteredExtension(6), at 2, Py::Unchecked, registry_with_5, ""),
        case!("NEXT_BUFFER with no buffers", b"\x97.", ErrorKind::MissingBuffer, at 0, Py::Rejects, buffers_none, ", buffers=[]"),
        case!("NEXT_BUFFER past the last buffer", b"\x97\x97\x86.", ErrorKind::MissingBuffer, at 1, Py::Rejects, buffers_one, ", buffers=[b'x']"),
    ]
}

fn int_digit_cases() -> Vec<Case> {
    let digits = "1".repeat(4301);
    vec![
        case!("INT of 4301 digits", format!("I{digits}\n."),
            ErrorKind::LimitExceeded { limit: "max_int_digits", max: 4300, value: 4301 }, at 0, Py::Rejects),
        case!("LONG of 4301 digits", format!("N0L{digits}L\n."),
            ErrorKind::LimitExceeded { limit: "max_int_digits", max: 4300, value: 4301 }, at 2, Py::Rejects),
        case!("negative INT of 4301 digits", format!("I-{digits}\n."),
            ErrorKind::LimitExceeded { limit: "max_int_digits", max: 4300, value: 4301 }, at 0, Py::Rejects),
    ]
}

// ---------------------------------------------------------------------------
// Deep nesting
// ---------------------------------------------------------------------------

/// The default depth limit.
const MAX_DEPTH: usize = 1000;

/// A way to nest `n` containers, and the offset of the opcode that makes the
/// nesting exceed [`MAX_DEPTH`] (when `n > MAX_DEPTH`).
struct Nesting {
    name: &'static str,
    /// Only the check of the finished graph (at STOP) can see the depth,
    /// which walks the graph recursively.
    seal_only: bool,
    build: fn(usize) -> Vec<u8>,
    fail_at: fn(usize) -> u64,
}

fn nestings() -> Vec<Nesting> {
    vec![
        Nesting {
            seal_only: false,
            // `]` × n, then APPEND × (n-1): the k-th APPEND makes depth k+1.
            name: "EMPTY_LIST + APPEND chain",
            build: |n| [b"]".repeat(n), b"a".repeat(n - 1), b".".to_vec()].concat(),
            fail_at: |n| (n + MAX_DEPTH - 1) as u64,
        },
        Nesting {
            seal_only: false,
            // `](` × (n-1), `]`, then APPENDS × (n-1).
            name: "EMPTY_LIST MARK + APPENDS chain",
            build: |n| [b"](".repeat(n - 1), b"]".to_vec(), b"e".repeat(n - 1), b".".to_vec()].concat(),
            fail_at: |n| (2 * (n - 1) + 1 + MAX_DEPTH - 1) as u64,
        },
        Nesting {
            seal_only: false,
            // `(` × n, `l` × n: the k-th LIST makes depth k.
            name: "MARK + LIST nesting",
            build: |n| [b"(".repeat(n), b"l".repeat(n), b".".to_vec()].concat(),
            fail_at: |n| (n + MAX_DEPTH) as u64,
        },
        Nesting {
            seal_only: false,
            name: "MARK + TUPLE nesting",
            build: |n| [b"(".repeat(n), b"t".repeat(n), b".".to_vec()].concat(),
            fail_at: |n| (n + MAX_DEPTH) as u64,
        },
        Nesting {
            seal_only: false,
            // `N` then TUPLE1 × n: the k-th TUPLE1 makes depth k.
            name: "TUPLE1 chain",
            build: |n| [b"N".to_vec(), b"\x85".repeat(n), b".".to_vec()].concat(),
            fail_at: |_| (1 + MAX_DEPTH) as u64,
        },
        Nesting {
            seal_only: false,
            // `}` (`K\x01}`) × (n-1), then SETITEM × (n-1): the k-th makes depth k+1.
            name: "nested dicts via SETITEM",
            build: |n| [b"}".to_vec(), b"K\x01}".repeat(n - 1), b"s".repeat(n - 1), b".".to_vec()].concat(),
            fail_at: |n| (1 + 3 * (n - 1) + MAX_DEPTH - 1) as u64,
        },
        Nesting {
            seal_only: false,
            // `(K\x01` × (n-1), `}`, then `d` × (n-1): the k-th DICT makes depth k+1.
            name: "MARK + DICT nesting",
            build: |n| [b"(K\x01".repeat(n - 1), b"}".to_vec(), b"d".repeat(n - 1), b".".to_vec()].concat(),
            fail_at: |n| (3 * (n - 1) + 1 + MAX_DEPTH - 1) as u64,
        },
        Nesting {
            // n empty lists, each stored with LONG_BINPUT, then list i+1 is
            // appended to list i *top-down* through the memo, so every APPEND
            // sees an empty child: only the check on the finished graph (at
            // STOP) can see the depth.
            name: "memo-linked lists appended top-down",
            seal_only: true,
            build: memo_linked_lists,
            fail_at: |n| memo_linked_lists(n).len() as u64 - 1,
        },
    ]
}

fn memo_linked_lists(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n as u32 {
        out.push(b']');
        out.push(b'r');
        out.extend_from_slice(&i.to_le_bytes());
        out.push(b'0');
    }
    for i in 0..n as u32 - 1 {
        out.push(b'j');
        out.extend_from_slice(&i.to_le_bytes());
        out.push(b'j');
        out.extend_from_slice(&(i + 1).to_le_bytes());
        out.extend_from_slice(b"a0");
    }
    out.extend_from_slice(b"j\x00\x00\x00\x00.");
    out
}

fn is_nesting(v: &Value<'_>) -> bool {
    matches!(v, Value::List(_) | Value::Tuple(_) | Value::Dict(_))
}

/// How deep the loaded value nests (containers only), walking the first
/// container child at each level.
fn nesting_depth(v: &Value<'_>) -> usize {
    let mut depth = 0;
    let mut cur = v.clone();
    loop {
        let next = match &cur {
            Value::List(s) | Value::Tuple(s) => {
                depth += 1;
                s.iter().find(|c| is_nesting(c)).cloned()
            }
            Value::Dict(d) => {
                depth += 1;
                d.iter().map(|(_, v)| v).find(|c| is_nesting(c)).cloned()
            }
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return depth,
        }
    }
}

fn depth_cases(seal_only: bool) -> Vec<Case> {
    let mut cases = Vec::new();
    for nest in nestings().into_iter().filter(|n| n.seal_only == seal_only) {
        for n in [MAX_DEPTH + 1, 100_000] {
            cases.push(Case {
                name: nest.name,
                data: (nest.build)(n),
                opts: LoadOptions::default,
                py_args: "",
                expect: "LimitExceeded { limit: \"max_depth\", max: 1000, value: 1001 }",
                check: |k| matches!(k, ErrorKind::LimitExceeded { limit: "max_depth", max: 1000, value: 1001 }),
                offset: (nest.fail_at)(n),
                // CPython has no depth limit for loading: brinery's is deliberate.
                cpython: Py::Accepts,
            });
        }
    }
    cases
}

// ---------------------------------------------------------------------------
// Tests: one per class of bad input
// ---------------------------------------------------------------------------

/// Bad INT/LONG/FLOAT text, unquoted STRING, bad escapes, invalid UTF-8,
/// negative LONG4 length, over-2^63 length fields: `BadArgument`/`Decode`
/// at the opcode's offset.
#[test]
fn wrong_argument_encodings() {
    run(&argument_cases());
}

/// APPEND/SETITEM/ADDITEMS/BUILD onto the wrong kind of object: `WrongType`.
#[test]
fn wrong_operand_types() {
    run(&wrong_type_cases());
}

/// Opcodes that pop more than the stack holds: `StackUnderflow` with the
/// needed/available counts.
#[test]
fn stack_underflow() {
    run(&underflow_cases());
}

/// MARK misuse: no mark where one is needed (`NoMark`), a mark where an
/// object is needed (`UnexpectedMark`), targets below or at a mark.
#[test]
fn mark_misuse() {
    run(&mark_cases());
}

/// GETs of memo slots never PUT: `MemoMiss(index)`.
#[test]
fn memo_misses() {
    run(&memo_cases());
}

/// Length fields far larger than the input: `Truncated` naming the opcode,
/// the announced length and what is really there — and quickly, i.e.
/// without allocating or scanning the announced length.
#[test]
fn absurd_length_fields_are_truncation() {
    let cases = absurd_length_cases();
    let start = Instant::now();
    run(&cases);
    assert!(start.elapsed() < Duration::from_secs(2), "absurd lengths took {:?}", start.elapsed());
}

/// The same absurd lengths read through `load` (a reader, which cannot know
/// how much is left) also end in `Truncated` at the opcode, not in a huge
/// allocation or a hang.
#[test]
fn absurd_length_fields_from_a_reader() {
    let mut wrong = Vec::new();
    for c in absurd_length_cases() {
        let mut reader = &c.data[..];
        match pickle::load(&mut reader, &(c.opts)()) {
            Ok(v) => wrong.push(format!("{}: load accepted it as {v:?}", c.name)),
            Err(e) if !matches!(e.kind(), ErrorKind::Truncated { .. }) => wrong.push(format!("{}: {e}", c.name)),
            Err(e) if e.offset() != Some(c.offset) => {
                wrong.push(format!("{}: offset {:?}, want {} ({e})", c.name, e.offset(), c.offset))
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Empty input, a missing STOP, cut arguments, and bytes after STOP (rejected
/// by default with `TrailingData(count)` at STOP+1; CPython ignores them).
#[test]
fn end_of_input_and_trailing_data() {
    run(&end_of_input_cases());
}

/// With `TrailingData::Ignore`, bytes after STOP are ignored as in CPython,
/// and `loads_prefix` reports where the pickle ended.
#[test]
fn trailing_data_can_be_ignored() {
    let opts = LoadOptions { trailing_data: TrailingData::Ignore, ..Default::default() };
    let v = pickle::loads(b"K\x01.\xff\xfe", &opts).unwrap();
    assert_eq!(v.as_i64(), Some(1));
    let (v, used) = pickle::loads_prefix(b"K\x07.garbage", &LoadOptions::default()).unwrap();
    assert_eq!((v.as_i64(), used), (Some(7), 3));
}

/// Bytes that are no opcode (`UnknownOpcode(byte)`) and PROTO above 5
/// (`UnsupportedProtocol`).
#[test]
fn unknown_opcodes_and_protocols() {
    run(&opcode_and_protocol_cases());
}

/// Every byte that is not in the opcode table is `UnknownOpcode` at offset 0,
/// on its own and as the first byte of a longer input.
#[test]
fn every_non_opcode_byte_is_unknown() {
    let mut unknown = 0;
    for b in 0..=255u8 {
        if brinery::opcodes::Opcode::from_byte(b).is_some() {
            continue;
        }
        unknown += 1;
        for data in [vec![b], vec![b, b'N', b'.']] {
            let err = load_err("non-opcode", &data, &LoadOptions::default());
            assert!(matches!(err.kind(), ErrorKind::UnknownOpcode(x) if *x == b), "{b:#04x}: {err}");
            assert_eq!(err.offset(), Some(0));
        }
    }
    assert_eq!(unknown, 256 - 68);
}

/// Odd SETITEMS/DICT item counts, and unhashable keys or set items
/// (`Unhashable(type)`), including a list nested in a tuple key.
#[test]
fn odd_items_and_unhashable_keys() {
    run(&container_cases());
}

/// EXT codes that are not registered (`UnregisteredExtension(code)`) and
/// NEXT_BUFFER when the supplied buffers are exhausted (`MissingBuffer`).
#[test]
fn unregistered_extensions_and_missing_buffers() {
    run(&extension_and_buffer_cases());
}

/// A text INT/LONG of more than `max_int_digits` (4300) decimal digits is a
/// `LimitExceeded` naming that limit; raising the limit makes it load, so
/// it is the limit and not the parse that rejects it.
#[test]
fn text_int_longer_than_max_int_digits() {
    run(&int_digit_cases());
    let digits = "1".repeat(4301);
    let opts = LoadOptions { limits: Limits { max_int_digits: 4301, ..Default::default() }, ..Default::default() };
    for data in [format!("I{digits}\n."), format!("L{digits}L\n.")] {
        let v = pickle::loads(data.as_bytes(), &opts).unwrap();
        assert_eq!(v.as_int().unwrap().to_string(), digits);
    }
    // 4300 digits load with the default limit.
    let ok = format!("I{}\n.", "7".repeat(4300));
    assert!(pickle::loads(ok.as_bytes(), &LoadOptions::default()).is_ok());
    // Hexadecimal is not limited (as in CPython: only non-power-of-two bases are).
    let hex = format!("L0x{}L\n.", "f".repeat(5000));
    assert!(pickle::loads(hex.as_bytes(), &LoadOptions::default()).is_ok());
}

/// Nesting 1001 and 100 000 deep, built seven different ways (APPEND,
/// APPENDS, LIST, TUPLE, TUPLE1, SETITEM, DICT), fails with
/// `LimitExceeded { max_depth }` at the opcode that crossed the limit,
/// before anything deep exists.
#[test]
fn deep_nesting_is_limited() {
    run(&depth_cases(false));
}

/// Memo-linked lists appended top-down, whose depth only shows in the
/// finished graph, fail the same way at STOP when 1001 or 100 000 deep — on
/// an ordinary 2 MiB test thread, without overflowing the stack (checked in
/// a child process, so an overflow fails only this test).
#[test]
fn deep_memo_nesting_is_limited() {
    run_in_child("deep_memo_nesting_is_limited", CHILD_TIMEOUT, child_deep_memo_nesting_is_limited);
}

fn child_deep_memo_nesting_is_limited() {
    run(&depth_cases(true));
}

/// Exactly 1000 levels (the default limit) load on an ordinary 2 MiB test
/// thread, and the loaded value really is 1000 deep, for every way of
/// nesting (in a child process, so a stack overflow fails only this test).
#[test]
fn nesting_at_the_limit_loads() {
    run_in_child("nesting_at_the_limit_loads", CHILD_TIMEOUT, child_nesting_at_the_limit_loads);
}

fn child_nesting_at_the_limit_loads() {
    for nest in nestings() {
        let data = (nest.build)(MAX_DEPTH);
        let v = pickle::loads(&data, &LoadOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", nest.name));
        assert_eq!(nesting_depth(&v), MAX_DEPTH, "{}", nest.name);
        drop(v); // dropping is recursive too
        println!("{}: ok", nest.name);
    }
}

/// A custom `max_depth` is honoured: 10 levels load, 11 fail with `max: 10`.
#[test]
fn custom_depth_limit() {
    let opts = LoadOptions { limits: Limits { max_depth: 10, ..Default::default() }, ..Default::default() };
    let mut failures = Vec::new();
    for nest in nestings() {
        let ten = (nest.build)(10);
        match pickle::loads(&ten, &opts) {
            Ok(v) if nesting_depth(&v) == 10 => {}
            Ok(v) => failures.push(format!("{}: 10 levels loaded as {} levels", nest.name, nesting_depth(&v))),
            Err(e) => failures.push(format!("{}: 10 levels: {e}", nest.name)),
        }
        let eleven = (nest.build)(11);
        match pickle::loads(&eleven, &opts) {
            Ok(_) => failures.push(format!("{}: 11 levels loaded with max_depth 10", nest.name)),
            Err(e) if !matches!(e.kind(), ErrorKind::LimitExceeded { limit: "max_depth", max: 10, value: 11 }) => {
                failures.push(format!("{}: 11 levels: {e}", nest.name))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A memo index of 2^31 (LONG_BINPUT, and text PUT) loads — one entry, not
/// 2^31 — and the value can be fetched back from that index.
#[test]
fn huge_memo_index_is_fine() {
    let put = cat(&[b"N", b"r", &(1u32 << 31).to_le_bytes(), b"."]);
    assert!(pickle::loads(&put, &LoadOptions::default()).unwrap().is_none());
    let put_get = cat(&[b"K\x07r", &(1u32 << 31).to_le_bytes(), b"0j", &(1u32 << 31).to_le_bytes(), b"."]);
    assert_eq!(pickle::loads(&put_get, &LoadOptions::default()).unwrap().as_i64(), Some(7));
    let text = b"K\x09p2147483648\n0g2147483648\n.";
    assert_eq!(pickle::loads(text, &LoadOptions::default()).unwrap().as_i64(), Some(9));
    // MEMOIZE after a sparse PUT still stores (at the count of used slots, like CPython).
    let memoize = cat(&[b"\x80\x04K\x01r", &u32::MAX.to_le_bytes(), b"K\x02\x94h\x01."]);
    assert_eq!(pickle::loads(&memoize, &LoadOptions::default()).unwrap().as_i64(), Some(2));
}

// ---------------------------------------------------------------------------
// Truncation at every byte
// ---------------------------------------------------------------------------

fn int(s: &str) -> Value<'static> {
    Value::Int(s.parse::<Int>().unwrap())
}

/// A value that exercises most opcodes at every protocol.
fn rich_value() -> Value<'static> {
    let shared = Value::list([Value::from(1), Value::from("shared")]);
    Value::dict([
        (
            Value::from("ints"),
            Value::list([
                Value::from(0),
                Value::from(1),
                Value::from(-1),
                Value::from(255),
                Value::from(256),
                Value::from(65536),
                Value::from(-2147483648i64),
                Value::from(4294967296i64),
                int("123456789012345678901234567890"),
                int("-98765432109876543210987654321"),
                int(&"9".repeat(700)),
                Value::Bool(true),
                Value::Bool(false),
            ]),
        ),
        (Value::from("floats"), Value::list([0.0, -1.5, 1e300, 5e-324, f64::INFINITY])),
        (
            Value::from("strs"),
            Value::list([
                Value::from(""),
                Value::from("a"),
                Value::from("é ü"),
                Value::from("日本語 \u{1F600}"),
                Value::from("x".repeat(300)),
                Value::from("back\\slash\nnewline"),
            ]),
        ),
        (
            Value::from("bytes"),
            Value::list([
                Value::bytes(b"".to_vec()),
                Value::bytes(b"\x00\xff\n".to_vec()),
                Value::bytes(vec![7u8; 300]),
            ]),
        ),
        (
            Value::from("nested"),
            Value::tuple([
                Value::tuple(Vec::<Value>::new()),
                Value::list([Value::list([Value::list(Vec::<Value>::new())])]),
                Value::dict([(Value::from(1), Value::tuple([2, 3]))]),
                Value::tuple([Value::None, Value::from(1), Value::from("t")]),
            ]),
        ),
        (Value::from("shared"), Value::list([shared.clone(), shared.clone(), shared])),
        (Value::tuple([1, 2]), Value::None),
        (Value::from(7), Value::set([1, 2, 3])),
        (Value::from("fs"), Value::frozenset(["a"])),
        (Value::from("ba"), Value::bytearray(b"ba".to_vec())),
    ])
}

/// A value whose pickle at protocols 4 and 5 spans several frames and has a
/// payload too big for a frame.
fn multi_frame_value() -> Value<'static> {
    Value::list([
        Value::list((0..6000).map(|i| Value::from(format!("item number {i}"))).collect::<Vec<_>>()),
        Value::bytes(vec![0xab; 100_000]),
        Value::from("y".repeat(70_000)),
        Value::list((0..3000).map(|i| Value::from(i * 1000)).collect::<Vec<_>>()),
    ])
}

struct OpSpan {
    start: u64,
    end: u64,
    frame: Option<u64>,
}

fn op_spans(data: &[u8]) -> Vec<OpSpan> {
    let mut it = ops(data);
    let mut list: Vec<(u64, Option<u64>)> = Vec::new();
    for op in &mut it {
        let op = op.unwrap();
        let frame = match (op.info.name, &op.arg) {
            ("FRAME", Arg::Int(n)) => Some(*n as u64),
            _ => None,
        };
        list.push((op.offset, frame));
    }
    assert_eq!(it.offset(), data.len() as u64);
    (0..list.len())
        .map(|i| OpSpan { start: list[i].0, end: list.get(i + 1).map_or(data.len() as u64, |n| n.0), frame: list[i].1 })
        .collect()
}

/// Where loading the first `len` bytes must fail: at the opcode cut by the
/// end (or at the FRAME whose announced contents are cut), or
/// at `len` when the cut falls between opcodes (the missing STOP).
fn expected_truncation_offset(spans: &[OpSpan], len: u64) -> u64 {
    for s in spans {
        if s.start >= len {
            break;
        }
        if s.end > len {
            return s.start;
        }
        if let Some(n) = s.frame {
            if s.end + n > len {
                return s.start;
            }
        }
    }
    len
}

/// Loads `data[..len]` from a slice and from a reader; both must fail with
/// `Truncated` (or `Empty` for nothing) at the expected opcode.
fn check_prefix(label: &str, data: &[u8], spans: &[OpSpan], len: usize) {
    let prefix = &data[..len];
    let from_slice = pickle::loads(prefix, &LoadOptions::default());
    let mut reader = prefix;
    let from_reader = pickle::load(&mut reader, &LoadOptions::default()).map(|_| ());
    // Both paths check a FRAME's length when they meet it, as CPython does.
    for (path, result) in [("loads", from_slice.map(|_| ())), ("load", from_reader)] {
        let err = match result {
            Ok(()) => panic!("{label}: {path} of the first {len} bytes succeeded"),
            Err(e) => e,
        };
        let offset = err.offset().unwrap_or_else(|| panic!("{label}/{len}: no offset: {err}"));
        assert!(offset <= len as u64, "{label}/{len}: {path} offset {offset}: {err}");
        match err.kind() {
            ErrorKind::Empty => assert_eq!(len, 0, "{label}: {path}: {err}"),
            ErrorKind::Truncated { needed, available, .. } => {
                assert!(len > 0, "{label}: {path}: {err}");
                assert!(available < needed, "{label}/{len}: {path}: {err}");
            }
            other => panic!("{label}: {path} of the first {len} bytes: {other:?} ({err})"),
        }
        let want = expected_truncation_offset(spans, len as u64);
        assert_eq!(offset, want, "{label}: {path} of the first {len} bytes: {err}");
        assert!(err.to_string().contains(&format!("(at byte {offset}")), "{label}: {err}");
    }
}

fn pickles_of(value: &Value<'_>) -> Vec<(u8, Vec<u8>)> {
    (0..=5).map(|p| (p, pickle::dumps(value, &DumpOptions::protocol(p)).unwrap())).collect()
}

/// Every proper prefix of a rich pickle at protocols 0–5 fails with
/// `Truncated` (`Empty` for no bytes), from a slice and from a reader, at
/// exactly the opcode the cut falls in (or the FRAME whose contents are cut,
/// for slices), never panicking; the full pickle loads back to the value.
#[test]
fn truncated_at_every_byte() {
    let value = rich_value();
    for (p, data) in pickles_of(&value) {
        let back = pickle::loads(&data, &LoadOptions::default()).unwrap();
        assert_eq!(back, value, "protocol {p} round trip");
        let spans = op_spans(&data);
        for len in 0..data.len() {
            check_prefix(&format!("rich, protocol {p}"), &data, &spans, len);
        }
    }
}

/// Cuts around every FRAME and every payload larger than a frame (and ~200
/// evenly spaced cuts) of protocol 4 and 5 pickles with several frames fail
/// like any other truncation, at the FRAME whose contents are cut (slices)
/// or the opcode that is cut (readers).
#[test]
fn truncated_multi_frame_pickles() {
    let value = multi_frame_value();
    for p in [4, 5] {
        let data = pickle::dumps(&value, &DumpOptions::protocol(p)).unwrap();
        assert_eq!(pickle::loads(&data, &LoadOptions::default()).unwrap(), value);
        let spans = op_spans(&data);
        let frames = spans.iter().filter(|s| s.frame.is_some()).count();
        assert!(frames >= 3, "protocol {p}: only {frames} frames");
        // Around every FRAME and every large payload, plus ~200 evenly spaced cuts.
        let mut lens: Vec<usize> = spans
            .iter()
            .filter(|s| s.frame.is_some() || s.end - s.start > 1000)
            .flat_map(|s| {
                let (a, b) = (s.start as usize, s.end as usize);
                (a.saturating_sub(2)..a + 3).chain(a + 9..a + 12).chain(b.saturating_sub(2)..b + 2)
            })
            .filter(|&n| n < data.len())
            .chain((0..data.len()).step_by(data.len() / 200))
            .collect();
        lens.sort_unstable();
        lens.dedup();
        for len in lens {
            check_prefix(&format!("multi-frame, protocol {p}"), &data, &spans, len);
        }
    }
}

/// Every single-byte corruption (each position × all 256 values) of small
/// pickles at every protocol either loads or fails with an error that has
/// an offset inside the input — no panic.
#[test]
fn single_byte_corruptions_never_panic() {
    let value = Value::dict([
        (Value::from("a"), Value::list([Value::from(1), Value::from(300), int("123456789012345678901234567890")])),
        (Value::from("b"), Value::tuple([Value::from(1.5), Value::from("é"), Value::bytes(b"xy".to_vec())])),
        (Value::from("c"), Value::set([1, 2])),
    ]);
    let opts = LoadOptions { trailing_data: TrailingData::Ignore, ..Default::default() };
    for (p, data) in pickles_of(&value) {
        let mut buf = data.clone();
        for i in 0..data.len() {
            for b in 0..=255u8 {
                buf[i] = b;
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    pickle::loads(&buf, &opts).map(|_| ()).map_err(|e| (e.offset(), e.to_string()))
                }));
                match result {
                    Err(_) => panic!("protocol {p}: panic with byte {i} = {b:#04x}: {}", hex(&buf)),
                    Ok(Err((offset, msg))) => {
                        let offset = offset.unwrap_or_else(|| panic!("no offset: {msg}"));
                        assert!(offset <= buf.len() as u64, "{msg}");
                    }
                    Ok(Ok(())) => {}
                }
            }
            buf[i] = data[i];
        }
    }
}

// ---------------------------------------------------------------------------
// CPython agreement
// ---------------------------------------------------------------------------

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `pickle.loads(data<extra>)` in one python3 process for every input
/// (for `prefixes` inputs: on every proper prefix of it); returns `None`
/// where it loaded (any prefix loaded) and the exception where it raised.
fn cpython_outcomes(inputs: &[(Vec<u8>, &str, bool)]) -> Vec<Option<String>> {
    const SCRIPT: &str = r#"
import json, pickle, sys
out = []
for hx, extra, prefixes in json.load(sys.stdin):
    data = bytes.fromhex(hx)
    if prefixes:
        # Every proper prefix must raise; report the first that loads.
        loaded = None
        for n in range(len(data)):
            try:
                pickle.loads(data[:n])
                loaded = n
                break
            except Exception:
                pass
        out.append(None if loaded is not None else "every proper prefix raised")
        continue
    try:
        eval("pickle.loads(data" + extra + ")")
        out.append(None)
    except Exception as e:
        out.append(type(e).__name__ + ": " + str(e)[:200])
json.dump(out, sys.stdout)
"#;
    let payload = serde_json::to_vec(
        &inputs.iter().map(|(d, extra, prefixes)| serde_json::json!([hex(d), extra, prefixes])).collect::<Vec<_>>(),
    )
    .unwrap();
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&payload).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "python3 failed: {}", String::from_utf8_lossy(&out.stderr));
    let results: Vec<Option<String>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), inputs.len());
    results
}

/// Every case brinery rejects is rejected by CPython too (all marked
/// `Py::Rejects`, plus every truncated prefix of the rich pickles), and every
/// deliberate difference (`Py::Accepts`: trailing data, the depth limit)
/// really is one — CPython loads those bytes.
#[test]
fn cpython_agrees_on_every_case() {
    let cases: Vec<Case> = [
        argument_cases(),
        wrong_type_cases(),
        underflow_cases(),
        mark_cases(),
        memo_cases(),
        absurd_length_cases(),
        end_of_input_cases(),
        opcode_and_protocol_cases(),
        container_cases(),
        extension_and_buffer_cases(),
        int_digit_cases(),
        depth_cases(false),
        depth_cases(true),
    ]
    .into_iter()
    .flatten()
    .filter(|c| c.cpython != Py::Unchecked)
    .collect();
    let mut inputs: Vec<(Vec<u8>, &str, bool)> = cases.iter().map(|c| (c.data.clone(), c.py_args, false)).collect();
    let mut names: Vec<String> = cases.iter().map(|c| c.name.to_string()).collect();
    let mut expect: Vec<Py> = cases.iter().map(|c| c.cpython).collect();
    for (p, data) in pickles_of(&rich_value()) {
        names.push(format!("some proper prefix of the protocol {p} rich pickle"));
        inputs.push((data, "", true));
        expect.push(Py::Rejects);
    }
    let outcomes = cpython_outcomes(&inputs);
    let mut wrong = Vec::new();
    for (i, got) in outcomes.iter().enumerate() {
        match (expect[i], got) {
            (Py::Rejects, None) => wrong.push(format!("{}: CPython loads {}", names[i], short_hex(&inputs[i].0))),
            (Py::Accepts, Some(e)) => wrong.push(format!("{}: CPython raises {e}", names[i])),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{} disagreement(s):\n{}", wrong.len(), wrong.join("\n"));
}

fn short_hex(data: &[u8]) -> String {
    let h = hex(data);
    if h.len() > 80 {
        format!("{}… ({} bytes)", &h[..80], data.len())
    } else {
        h
    }
}

/// A tuple "billion laughs" (a tuple holding the same memoized tuple ten
/// times, 30 levels deep) used as a dict key, a set item or a frozenset item
/// must not make hashing walk the 10^30-leaf expansion: loading finishes
/// promptly. (Run in a child process that is killed if it hangs.)
#[test]
fn shared_tuple_bomb_as_key_does_not_hang() {
    run_in_child(
        "shared_tuple_bomb_as_key_does_not_hang",
        Duration::from_secs(30),
        child_shared_tuple_bomb_as_key_does_not_hang,
    );
}

fn child_shared_tuple_bomb_as_key_does_not_hang() {
    for tail in [&b"}h\x1eNs."[..], b"\x8f(h\x1e\x90.", b"(h\x1e\x91."] {
        let mut data = b"\x80\x04K\x01\x85q\x00".to_vec();
        for level in 1..=30u8 {
            data.push(b'(');
            for _ in 0..10 {
                data.extend_from_slice(&[b'h', level - 1]);
            }
            data.extend_from_slice(&[b't', b'q', level]);
            data.push(b'0');
        }
        data.extend_from_slice(tail);
        let start = Instant::now();
        let v = pickle::loads(&data, &LoadOptions::default()).unwrap();
        assert_eq!(v.len(), Some(1));
        println!("{} loaded in {:?}", short_hex(tail), start.elapsed());
    }
}
