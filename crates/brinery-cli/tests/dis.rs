//! `brinery dis` against CPython's pickletools: the whole differential corpus
//! (`tests/corpus/make_corpus.py` records what `python3 -m pickletools [-a]`
//! prints), then the command-line options and malformed pickles, each run
//! through both `python3 -m pickletools` and `brinery dis`.

mod common;

use common::{corpus, scratch_dir};
use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs a command to completion, standard input from `stdin` (or nothing).
fn run(mut command: Command, stdin: Option<&Path>) -> Output {
    let input = match stdin {
        Some(path) => Stdio::from(File::open(path).unwrap()),
        None => Stdio::null(),
    };
    command.stdin(input).output().expect("command runs")
}

/// `brinery dis ARGS`.
fn brinery<S: AsRef<OsStr>>(args: &[S], stdin: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_brinery"));
    command.arg("dis").args(args);
    run(command, stdin)
}

/// `python3 -m pickletools ARGS`.
fn pickletools<S: AsRef<OsStr>>(args: &[S], stdin: Option<&Path>) -> Output {
    let mut command = Command::new("python3");
    command.args(["-W", "ignore", "-m", "pickletools"]).args(args);
    run(command, stdin)
}

/// Where two outputs first differ, line by line, for failure messages.
fn first_difference(expected: &[u8], actual: &[u8]) -> String {
    let expected_lines: Vec<&[u8]> = expected.split(|&b| b == b'\n').collect();
    let actual_lines: Vec<&[u8]> = actual.split(|&b| b == b'\n').collect();
    let n = expected_lines.len().max(actual_lines.len());
    (0..n)
        .find(|&i| expected_lines.get(i) != actual_lines.get(i))
        .map(|i| {
            let show = |line: Option<&&[u8]>| line.map_or("<none>".into(), |l| String::from_utf8_lossy(l).into_owned());
            format!(
                "line {}:\n    expected: {}\n    actual:   {}",
                i + 1,
                show(expected_lines.get(i)),
                show(actual_lines.get(i))
            )
        })
        .unwrap_or_else(|| "outputs are equal".to_string())
}

#[test]
fn corpus_disassembles_like_pickletools() {
    let (dir, entries) = corpus();
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in entries {
        let pkl = dir.join(format!("{}.pkl", entry.stem));
        for (flags, suffix) in [(&[][..], "dis"), (&["-a"][..], "dis-a")] {
            let expected = std::fs::read(dir.join(format!("{}.{suffix}", entry.stem))).unwrap();
            let args: Vec<&OsStr> = flags.iter().map(OsStr::new).chain([pkl.as_os_str()]).collect();
            let out = brinery(&args, None);
            checked += 1;
            let want_code = if entry.dis_error { 2 } else { 0 };
            if out.stdout != expected || out.status.code() != Some(want_code) {
                failures.push(format!(
                    "{}.{suffix} (exit {:?}, want {want_code}; stderr {:?}): {}",
                    entry.stem,
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr).trim_end(),
                    first_difference(&expected, &out.stdout)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} disassemblies differ from pickletools; the first ones:\n{}",
        failures.len(),
        failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
    println!("{checked} disassemblies match pickletools");
}

/// Runs both tools with `args` and checks they print the same and agree on
/// success; pickletools fails with a traceback (exit 1), brinery with exit 2.
fn assert_same<S: AsRef<OsStr>>(args: &[S], stdin: Option<&Path>) -> Output {
    let want = pickletools(args, stdin);
    let got = brinery(args, stdin);
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    assert!(
        want.stdout == got.stdout,
        "`dis {}` prints differently: {}\nbrinery stderr: {}",
        shown.join(" "),
        first_difference(&want.stdout, &got.stdout),
        String::from_utf8_lossy(&got.stderr)
    );
    let want_code = if want.status.success() { 0 } else { 2 };
    assert_eq!(
        got.status.code(),
        Some(want_code),
        "`dis {}`: pickletools stderr: {}\nbrinery stderr: {}",
        shown.join(" "),
        String::from_utf8_lossy(&want.stderr),
        String::from_utf8_lossy(&got.stderr)
    );
    got
}

/// Writes `pickles` as `NAME.pkl` files into a scratch directory.
fn write_pickles(test: &str, pickles: &[(&str, &[u8])]) -> Vec<PathBuf> {
    let dir = scratch_dir(test);
    pickles
        .iter()
        .map(|(name, data)| {
            let path = dir.join(format!("{name}.pkl"));
            std::fs::write(&path, data).unwrap();
            path
        })
        .collect()
}

/// A corpus pickle by stem, e.g. `list_deep_200.p0`.
fn corpus_file(stem: &str) -> PathBuf {
    corpus().0.join(format!("{stem}.pkl"))
}

#[test]
fn several_files_share_the_memo_with_m() {
    // The second pickle fetches memo entry 0, which only the first one stored.
    let files = write_pickles("memo", &[("first", b"\x80\x02]q\x00K\x01a."), ("second", b"\x80\x02]q\x01h\x00a.")]);
    let [first, second] = [files[0].as_os_str(), files[1].as_os_str()];
    let shared = assert_same(&[OsStr::new("-m"), OsStr::new("-p"), OsStr::new("--- {name} ---"), first, second], None);
    assert!(shared.status.success());
    let separate = assert_same(&[first, second], None);
    assert_eq!(separate.status.code(), Some(2));
    assert_same(&[OsStr::new("-a"), OsStr::new("-p"), OsStr::new("{{{name}}}"), first, second, first], None);
}

#[test]
fn indent_level_and_annotations() {
    for stem in ["list_deep_200.p0", "dict_mixed_keys.p1", "inst_plain.p0", "tuple_nested.p2"] {
        let file = corpus_file(stem);
        let file = file.as_os_str();
        for flags in [&["-l", "2"][..], &["-l", "0", "-a"], &["--indentlevel", "7"], &["-l", "-3"]] {
            let args: Vec<&OsStr> = flags.iter().map(OsStr::new).chain([file]).collect();
            assert_same(&args, None);
        }
    }
}

#[test]
fn output_goes_to_the_file_given_with_o() {
    let dir = scratch_dir("output");
    let input = corpus_file("dict_mixed_keys.p2");
    let (want_path, got_path) = (dir.join("want.txt"), dir.join("got.txt"));
    let want = pickletools(&[OsStr::new("-o"), want_path.as_os_str(), input.as_os_str()], None);
    let got = brinery(&[OsStr::new("--output"), got_path.as_os_str(), input.as_os_str()], None);
    assert!(want.status.success() && got.status.success());
    assert!(got.stdout.is_empty());
    assert_eq!(std::fs::read(&got_path).unwrap(), std::fs::read(&want_path).unwrap());
}

#[test]
fn dash_reads_standard_input() {
    let input = corpus_file("inst_reduce.p4");
    assert_same(&["-"], Some(&input));
    assert_same(&["-a", "-", "-"], Some(&input));
}

#[test]
fn no_file_prints_the_help() {
    let out = brinery::<&str>(&[], None);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Usage: brinery dis"), "{help}");
    assert!(help.contains("--preamble"), "{help}");
}

/// A protocol-0 pickle whose arguments exercise every text reader's quirks,
/// followed by one opcode of every binary argument kind.
fn quirky_arguments() -> Vec<u8> {
    let pieces: [&[u8]; 8] = [
        b"(I01\nI00\nI 1_0\nI-0\nL12L\nL-99999999999999999999999\nF1_0.5\nFinf\nF-nan\nF1e999\nF.5\n",
        b"S'a\\x41\\101\\n\\q'\nS\"q'\"\nS'\nV\\u20ac\\ud800x\xe9\\\\u0041\\U0001F600\n",
        b"c__main__\nf\\x41o\nPpid\\t\np00\ng0\n0U\x03\xe9ab\x8a\x02\xff\x7f\x8a\x00\x8b\x03\x00\x00\x00\x00\x00\x80",
        b"\x8c\x03\xe2\x82\xac\x94\x8d\x03\x00\x00\x00\x00\x00\x00\x00\xed\xa0\x80",
        b"C\x02\x00'\x8e\x01\x00\x00\x00\x00\x00\x00\x00\"\x96\x03\x00\x00\x00\x00\x00\x00\x00a'\"",
        b"G>z\xd7\xf2\x9a\xbc\xafHJ\xff\xff\xff\xffM\xff\xffK\x00X\x05\x00\x00\x00'\"\x7f\xc2\xa0T\x02\x00\x00\x00\xff\x00",
        b"\x95\x05\x00\x00\x00\x00\x00\x00\x00\x88\x89N\x97\x98\x82\x01\x83\x01\x01\x84\xff\xff\xff\xff",
        b"t.",
    ];
    pieces.concat()
}

#[test]
fn argument_readers_match_pickletools() {
    // POP takes a MARK off the stack when one is on top.
    let files = write_pickles("quirks", &[("quirks", &quirky_arguments()), ("pop_mark", b"(0N.")]);
    for file in &files {
        assert!(assert_same(&[file], None).status.success());
        assert!(assert_same(&[OsStr::new("-a"), file.as_os_str()], None).status.success());
    }
}

#[test]
fn malformed_pickles_print_the_same_lines_then_fail() {
    let valid = std::fs::read(corpus_file("dict_mixed_keys.p2")).unwrap();
    let truncated = &valid[..valid.len() / 2];
    let huge_long = [&b"\x80\x02\x8b\x00\x08\x00\x00"[..], &[0x11; 0x800], b"."].concat();
    let cases: &[(&str, &[u8])] = &[
        ("truncated", truncated),
        ("truncated_argument", b"\x80\x02(K\x01J\x00\x00"),
        ("unknown_opcode", b"\x80\x02]q\x00(K\x01\xffe."),
        ("empty", b""),
        ("no_stop", b"(K\x01t"),
        ("stack_not_empty", b"K\x01K\x02."),
        ("no_mark", b"]K\x01e."),
        ("memo_redefined", b"]q\x00q\x00."),
        ("memoize_after_bool_put", b"]p01\n\x94."),
        ("memo_missing", b"h\x05."),
        ("put_mark", b"(q\x00."),
        ("put_empty", b"q\x00."),
        ("pop_too_many", b"0."),
        ("mark_popped_by_tuple1", b"(\x85(t."),
        ("lost_mark", b"(\x85t."),
        ("unquoted_string", b"Sabc\n."),
        ("half_quoted_string", b"S'abc\"\n."),
        ("non_ascii_string", b"S'\xe9'\n."),
        ("bad_escape", b"S'\\x4'\n."),
        ("bad_int", b"I1.5\n."),
        ("bad_long", b"L12LL\n."),
        ("bad_float", b"F1__0\n."),
        ("bad_unicode_escape", b"V\\u12\n."),
        ("bad_utf8", b"\x8c\x01\xff."),
        ("negative_length", b"T\xff\xff\xff\xff."),
        ("int_too_long_to_print", &huge_long),
    ];
    let files = write_pickles("malformed", cases);
    for (path, (name, _)) in files.iter().zip(cases) {
        let out = assert_same(&[path], None);
        assert_eq!(out.status.code(), Some(2), "{name} should be rejected");
        assert!(!out.stderr.is_empty(), "{name} should say why");
    }
    let unknown = brinery(&[&files[2]], None);
    let message = String::from_utf8_lossy(&unknown.stderr);
    assert!(message.contains("at byte 8"), "the error names the offset: {message}");
}
