//! `brinery json`: a drop-in for `python3 -m json.tool` (Python 3.11).
//!
//! Same arguments, same output byte for byte, same messages on stderr and the
//! same exit status: 0, 1 when the input is not valid JSON (the message is
//! Python's, for instance `Expecting value: line 1 column 1 (char 0)`), 2 for
//! usage errors. json.tool reads and writes text, so [`crate::pytext`]
//! supplies what Python's text streams do on the way (decoding, universal
//! newlines, line-by-line reading, encoding).

use crate::pytext::{self, Errors};
use brinery::json::{self, DumpOptions, ErrorKind, LoadOptions, PyException};
use brinery::Value;
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Args, CommandFactory};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How deep json.tool can nest arrays and objects: `python3 -m json.tool`
/// parses 990 levels and fails at 991 with a RecursionError (Python's
/// recursion limit of 1000, less the frames below the parser).
const MAX_DEPTH: usize = 990;

/// Indents longer than this are a MemoryError (Python would try to build
/// the string, and run out of memory making or writing it).
const MAX_INDENT: i128 = 1 << 30;

/// Validate and pretty-print JSON, exactly as `python3 -m json.tool` does.
#[derive(Args, Debug)]
#[command(
    infer_long_args = true,
    after_help = "\
Output, error messages and exit status are those of `python3 -m json.tool` (Python 3.11): \
exit 0 on success, 1 when the input is not JSON (the message is Python's, e.g. \
`Expecting value: line 1 column 1 (char 0)`), 2 for a usage error. INFILE is read as UTF-8 \
text with universal newlines (`\\r\\n` and `\\r` count as `\\n`), so positions in messages are \
those of json.loads on that text; standard input is not newline-translated, as in Python on \
POSIX, and undecodable bytes there become lone surrogates (`surrogateescape`) when the \
locale is C, POSIX or C.UTF-8 (or PYTHONUTF8=1), as Python's sys.stdin does.

One deliberate difference: OUTFILE `-` is standard output (json.tool would create a file named `-`).

Examples:
  brinery json data.json                             pretty-print, 4-space indentation
  brinery json --compact --sort-keys data.json       no whitespace, keys sorted
  curl -s URL | brinery json --no-ensure-ascii       from standard input, UTF-8 kept
  brinery json --json-lines --no-indent log.jsonl    validate JSON Lines, one per line"
)]
pub(crate) struct JsonArgs {
    /// A JSON file to be validated or pretty-printed (`-` or nothing: standard input).
    infile: Option<PathBuf>,
    /// Write the output of INFILE to OUTFILE (default: standard output).
    outfile: Option<PathBuf>,
    /// Sort the output of dictionaries alphabetically by key.
    #[arg(long, overrides_with = "sort_keys")]
    sort_keys: bool,
    /// Disable escaping of non-ASCII characters.
    #[arg(long, overrides_with = "no_ensure_ascii")]
    no_ensure_ascii: bool,
    /// Parse input using the JSON Lines format (each line separately). Use with
    /// --no-indent or --compact to produce valid JSON Lines output.
    #[arg(long, overrides_with = "json_lines")]
    json_lines: bool,
    /// Separate items with newlines and use this number of spaces for
    /// indentation [default: 4]; 0 or less still breaks lines.
    #[arg(long, value_name = "N", action = ArgAction::Append, allow_negative_numbers = true)]
    indent: Vec<String>,
    /// Separate items with newlines and use tabs for indentation.
    #[arg(long, overrides_with = "tab")]
    tab: bool,
    /// Separate items with spaces rather than newlines.
    #[arg(long, overrides_with = "no_indent")]
    no_indent: bool,
    /// Suppress all whitespace separation (most compact).
    #[arg(long, overrides_with = "compact")]
    compact: bool,
}

/// Python's `int(text)` for an argument: surrounding whitespace, a sign,
/// decimal digits with single underscores between them. Saturates (only
/// "too big" matters for an indent).
fn python_int(text: &str) -> Option<i128> {
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let mut n: i128 = 0;
    for c in digits.chars().filter(|&c| c != '_') {
        n = n.saturating_mul(10).saturating_add(i128::from(c.to_digit(10)?));
    }
    Some(if negative { -n } else { n })
}

/// The `indent` argparse leaves json.dump with.
#[derive(Clone, Debug, PartialEq)]
enum IndentChoice {
    Spaces(i128),
    Tab,
    None,
}

/// What json.tool's argument parsing decides, beyond the plain flags.
#[derive(Debug)]
struct Layout {
    indent: IndentChoice,
    compact: bool,
}

/// Resolves `--indent`, `--tab`, `--no-indent` and `--compact` the way
/// argparse does: they are mutually exclusive, except that argparse only
/// counts an option that was given a value different from its default, and
/// `--indent 4` *is* the default (so `--indent 4 --tab` is accepted); for
/// the options that set `indent`, the last one wins.
fn layout(args: &JsonArgs, matches: &ArgMatches) -> Result<Layout, clap::Error> {
    let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    let last = |id: &str| if given(id) { matches.indices_of(id).and_then(Iterator::max) } else { None };
    let mut indents = Vec::new();
    for text in &args.indent {
        match python_int(text) {
            Some(n) => indents.push(n),
            None => return Err(usage_error(&format!("argument --indent: invalid int value: '{text}'"))),
        }
    }
    // Options that conflict, in the order given: --indent only when some
    // value given for it was not 4.
    let first_non_default_indent = indents.iter().position(|&n| n != 4);
    let mut seen: Vec<(usize, &str)> = Vec::new();
    if let (Some(k), Some(at)) = (first_non_default_indent, matches.indices_of("indent")) {
        seen.extend(at.clone().nth(k).map(|i| (i, "--indent")));
    }
    for (id, name) in [("tab", "--tab"), ("no_indent", "--no-indent"), ("compact", "--compact")] {
        if let Some(at) = last(id) {
            seen.push((at, name));
        }
    }
    seen.sort();
    if seen.len() > 1 {
        return Err(usage_error(&format!("argument {}: not allowed with argument {}", seen[1].1, seen[0].1)));
    }
    let mut indent = (None, IndentChoice::Spaces(4));
    for (at, choice) in [
        (last("indent"), indents.last().map(|&n| IndentChoice::Spaces(n))),
        (last("tab"), Some(IndentChoice::Tab)),
        (last("no_indent"), Some(IndentChoice::None)),
    ] {
        if let (Some(at), Some(choice)) = (at, choice) {
            if indent.0.is_none_or(|before| at > before) {
                indent = (Some(at), choice);
            }
        }
    }
    Ok(Layout { indent: indent.1, compact: given("compact") })
}

/// A usage error found after clap's parsing (argparse finds these while
/// parsing): printed with the usage line, exit status 2.
fn usage_error(message: &str) -> clap::Error {
    let mut cli = crate::Cli::command();
    let cmd = cli.find_subcommand_mut("json").expect("the json subcommand exists");
    let mut cmd = cmd.clone().bin_name("brinery json");
    let usage = cmd.render_usage();
    let text = format!("{message}\n\n{usage}\n\nFor more information, try '--help'.\n");
    clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, text).with_cmd(&cmd)
}

/// Python's `str(OSError)` for a failed open: `[Errno 2] No such file or directory: 'x'`.
fn os_error(e: &io::Error, path: &Path) -> String {
    let text = e.to_string();
    let reason = text.split(" (os error").next().unwrap_or(&text);
    match e.raw_os_error() {
        Some(code) => format!("[Errno {code}] {reason}: '{}'", path.display()),
        None => format!("{reason}: '{}'", path.display()),
    }
}

/// The exception name Python would print for an I/O error.
fn os_error_name(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::NotFound => "FileNotFoundError",
        io::ErrorKind::PermissionDenied => "PermissionError",
        io::ErrorKind::IsADirectory => "IsADirectoryError",
        _ => "OSError",
    }
}

/// How a run ends early: the message for stderr and the exit status.
struct Exit {
    message: Option<String>,
    code: u8,
}

impl Exit {
    /// `raise SystemExit(e)` for a ValueError: its text, status 1.
    fn value_error(message: String) -> Exit {
        Exit { message: Some(message), code: 1 }
    }

    /// An exception json.tool does not catch: Python prints a traceback
    /// ending in `Name: message` (or `Name` alone) and exits with status 1;
    /// this prints that line.
    fn uncaught(name: &str, message: &str) -> Exit {
        let line = if message.is_empty() { name.to_string() } else { format!("{name}: {message}") };
        Exit { message: Some(line), code: 1 }
    }

    fn io(e: io::Error) -> Exit {
        if e.kind() == io::ErrorKind::BrokenPipe {
            // json.tool's `__main__` turns BrokenPipeError into exit(errno), silently.
            return Exit { message: None, code: 32 };
        }
        let text = e.to_string();
        let reason = text.split(" (os error").next().unwrap_or(&text).to_string();
        let message = match e.raw_os_error() {
            Some(code) => format!("[Errno {code}] {reason}"),
            None => reason,
        };
        Exit::uncaught(os_error_name(&e), &message)
    }
}

impl From<io::Error> for Exit {
    fn from(e: io::Error) -> Exit {
        Exit::io(e)
    }
}

/// A JSON error as json.tool reports it.
fn json_error(e: json::Error) -> Exit {
    match (e.py_exception(), e.kind()) {
        (_, ErrorKind::TooDeep(what, _)) => {
            Exit::uncaught("RecursionError", &format!("maximum recursion depth exceeded while {what}"))
        }
        (PyException::RecursionError, _) => Exit::uncaught("RecursionError", &e.message()),
        (PyException::TypeError, _) => Exit::uncaught("TypeError", &e.message()),
        (PyException::OsError, _) => Exit::uncaught("OSError", &e.message()),
        // JSONDecodeError, UnicodeDecodeError and other ValueErrors.
        _ => Exit::value_error(e.to_string()),
    }
}

/// Runs `brinery json`; returns the exit status.
pub(crate) fn run(args: &JsonArgs, matches: &ArgMatches) -> ExitCode {
    let layout = match layout(args, matches) {
        Ok(layout) => layout,
        Err(e) => e.exit(),
    };
    let mut stdout = io::stdout().lock();
    let result = tool(args, &layout, &mut stdout);
    let flushed = stdout.flush();
    let exit = match (result, flushed) {
        (Err(exit), _) => exit,
        (Ok(()), Err(e)) => Exit::io(e),
        (Ok(()), Ok(())) => return ExitCode::SUCCESS,
    };
    if let Some(message) = exit.message {
        say!("{message}");
    }
    ExitCode::from(exit.code)
}

/// The input: a file (opened, as argparse opens it, before anything else
/// happens) or standard input.
enum Input {
    File(File),
    Stdin,
}

impl Input {
    fn open(path: Option<&Path>) -> Input {
        let path = match path {
            None => return Input::Stdin,
            Some(p) if p.as_os_str() == "-" => return Input::Stdin,
            Some(p) => p,
        };
        let opened = match std::fs::metadata(path) {
            // open() of a directory fails in Python; on Linux it succeeds.
            Ok(m) if m.is_dir() => Err(io::Error::from_raw_os_error(21)),
            _ => File::open(path),
        };
        match opened {
            Ok(file) => Input::File(file),
            Err(e) => {
                usage_error(&format!("argument infile: can't open '{}': {}", path.display(), os_error(&e, path))).exit()
            }
        }
    }

    fn read(self) -> io::Result<Vec<u8>> {
        let mut data = Vec::new();
        match self {
            Input::File(mut f) => f.read_to_end(&mut data)?,
            Input::Stdin => io::stdin().lock().read_to_end(&mut data)?,
        };
        Ok(data)
    }

    /// Python's text stream settings: files are strict UTF-8 with universal
    /// newlines; stdin follows the locale and keeps `\r`.
    fn text_mode(&self) -> (Errors, bool) {
        match self {
            Input::File(_) => (Errors::Strict, true),
            Input::Stdin => (pytext::stdio_errors(), false),
        }
    }
}

/// Where output goes, with the `errors` of its text stream.
struct Output<'a> {
    sink: Box<dyn Write + 'a>,
    errors: Errors,
}

impl<'a> Output<'a> {
    /// `outfile.open('w', encoding='utf-8')`, or sys.stdout.
    fn open(path: Option<&Path>, stdout: &'a mut io::StdoutLock<'static>) -> Result<Output<'a>, Exit> {
        match path {
            Some(p) if p.as_os_str() != "-" => match File::create(p) {
                Ok(f) => Ok(Output { sink: Box::new(io::BufWriter::new(f)), errors: Errors::Strict }),
                Err(e) => Err(Exit::uncaught(os_error_name(&e), &os_error(&e, p))),
            },
            _ => Ok(Output { sink: Box::new(stdout), errors: pytext::stdio_errors() }),
        }
    }

    /// `json.dump(value, out, **dump_args)` then `out.write('\n')`.
    fn dump(&mut self, value: &Value<'_>, opts: &Result<DumpOptions, DumpFailure>) -> Result<(), Exit> {
        let opts = opts.as_ref().map_err(|&(name, message)| Exit::uncaught(name, message))?;
        let text = json::dumps_str(value, opts).map_err(json_error)?;
        let text = text.as_surrogatepass();
        match pytext::encode(text, self.errors) {
            Ok(bytes) => {
                self.sink.write_all(&bytes)?;
                self.sink.write_all(b"\n")?;
                Ok(())
            }
            Err(bad) => {
                // json.dump writes piece by piece; the piece holding the
                // surrogate fails, after the pieces before it were written.
                let piece = dump_piece_start(text, bad.start);
                let before = pytext::encode(&text[..piece], self.errors).map_err(|_| unreachable_encode())?;
                self.sink.write_all(&before)?;
                self.sink.flush()?;
                Err(Exit::value_error(bad.message(text, piece)))
            }
        }
    }
}

fn unreachable_encode() -> Exit {
    Exit::uncaught("SystemError", "text before the first unencodable character failed to encode")
}

/// Where the piece json.dump writes that holds byte `at` of its output
/// starts. json.dump writes what the pure-Python encoder yields, and that
/// yields each dict key and each string dict value as a piece of its own, a
/// string list item together with the `[` or `,` (and newline and indent)
/// before it, and a top-level string alone. `at` is inside a string.
fn dump_piece_start(out: &[u8], at: usize) -> usize {
    // For each open container: for a list, where the current item's piece
    // starts (its `[` or the `,` before it); for a dict, nothing.
    let mut open: Vec<Option<usize>> = Vec::new();
    let mut i = 0;
    while i < out.len() {
        match out[i] {
            b'[' => open.push(Some(i)),
            b'{' => open.push(None),
            b']' | b'}' => {
                open.pop();
            }
            b',' => {
                if let Some(Some(start)) = open.last_mut() {
                    *start = i;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                while out[i] != b'"' {
                    i += if out[i] == b'\\' { 2 } else { 1 };
                }
                if (start..=i).contains(&at) {
                    return match open.last() {
                        Some(Some(item)) => *item,
                        _ => start,
                    };
                }
            }
            _ => {}
        }
        i += 1;
    }
    0
}

/// A failure that happens when json.dump runs: the exception's name and message.
type DumpFailure = (&'static str, &'static str);

/// json.dump's arguments. Python makes the indent string (`' ' * indent`)
/// each time it dumps, so an indent too large for memory fails only then,
/// after the input was read and parsed: that failure is kept for [`Output::dump`].
fn dump_options(args: &JsonArgs, layout: &Layout) -> Result<DumpOptions, DumpFailure> {
    let mut dump = DumpOptions::default().sort_keys(args.sort_keys).ensure_ascii(!args.no_ensure_ascii);
    dump.indent = match layout.indent {
        IndentChoice::Spaces(n) if n > isize::MAX as i128 => {
            return Err(("OverflowError", "cannot fit 'int' into an index-sized integer"))
        }
        IndentChoice::Spaces(n) if n > MAX_INDENT => return Err(("MemoryError", "")),
        IndentChoice::Spaces(n) => Some(json::Indent::from(n.max(0) as usize)),
        IndentChoice::Tab => Some(json::Indent::from("\t")),
        IndentChoice::None => None,
    };
    if layout.compact {
        dump.indent = None;
        dump.separators = Some((",".into(), ":".into()));
    }
    Ok(dump)
}

fn tool(args: &JsonArgs, layout: &Layout, stdout: &mut io::StdoutLock<'static>) -> Result<(), Exit> {
    let input = Input::open(args.infile.as_deref());
    let dump = dump_options(args, layout);
    let load = LoadOptions { max_depth: MAX_DEPTH, ..LoadOptions::default() };
    let (errors, universal) = input.text_mode();
    if args.json_lines {
        // The output is opened first: lines are parsed lazily, while writing.
        let mut out = Output::open(args.outfile.as_deref(), stdout)?;
        let data = input.read()?;
        let (lines, decode_error) = pytext::lines(&data, errors, universal);
        for line in &lines {
            let value = loads_text(line, &load).map_err(json_error)?;
            out.dump(&value, &dump)?;
        }
        out.sink.flush()?;
        return match decode_error {
            Some(message) => Err(Exit::value_error(message)),
            None => Ok(()),
        };
    }
    let data = input.read()?;
    let text = pytext::decode(&data, errors).map_err(Exit::value_error)?;
    let text = if universal { pytext::translate_newlines(text) } else { text };
    let value = loads_text(&text, &load).map_err(json_error)?;
    let mut out = Output::open(args.outfile.as_deref(), stdout)?;
    out.dump(&value, &dump)?;
    out.sink.flush()?;
    Ok(())
}

/// `json.loads(text)` for a Python str given as surrogatepass UTF-8.
///
/// Plain UTF-8 goes through the `&str` entry point. Text with lone
/// surrogates (undecodable stdin bytes under surrogateescape) can only be
/// given as bytes, and `json.loads(bytes)` differs from `json.loads(str)` in
/// two ways, both at the very start: a UTF-8 BOM is skipped instead of
/// rejected, and a NUL among the first two bytes selects UTF-16 or UTF-32.
/// Both cases are errors for a str that the first two characters decide,
/// so they are parsed as str from those.
fn loads_text<'a>(text: &'a [u8], opts: &LoadOptions) -> json::Result<Value<'a>> {
    if let Ok(s) = std::str::from_utf8(text) {
        return json::loads(s, opts);
    }
    if text.starts_with("\u{feff}".as_bytes()) {
        return json::loads("\u{feff}", opts);
    }
    if text[0] == 0 {
        return json::loads("\0", opts);
    }
    if text[1] == 0 {
        let head = std::str::from_utf8(&text[..2]).expect("an ASCII byte and a NUL");
        return json::loads(head, opts);
    }
    json::loads(text, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_parse_like_python() {
        assert_eq!(python_int(" 1_0 "), Some(10));
        assert_eq!(python_int("+04"), Some(4));
        assert_eq!(python_int("-3"), Some(-3));
        assert_eq!(python_int("1__0"), None);
        assert_eq!(python_int("_1"), None);
        assert_eq!(python_int("0x10"), None);
        assert_eq!(python_int(""), None);
    }

    #[test]
    fn dump_pieces_start_where_json_dump_writes_them() {
        let out = br#"{"a": ["x", "y"], "b": "z", "c": [{"d": "w"}]}"#;
        let at = |needle: &str| out.windows(needle.len()).position(|w| w == needle.as_bytes()).unwrap();
        assert_eq!(dump_piece_start(out, at("x")), at("[\"x"));
        assert_eq!(dump_piece_start(out, at("y")), at(", \"y"));
        assert_eq!(dump_piece_start(out, at("z")), at("\"z"));
        assert_eq!(dump_piece_start(out, at("\"a") + 1), 1);
        assert_eq!(dump_piece_start(out, at("w")), at("\"w"));
        assert_eq!(dump_piece_start(br#""\"x""#, 3), 0);
    }

    #[test]
    fn surrogate_text_parses_as_a_str() {
        let opts = LoadOptions::default();
        let mut text = b"[\"".to_vec();
        text.extend_from_slice(b"\xed\xb3\xbf\"]");
        assert_eq!(loads_text(&text, &opts).unwrap().to_string(), "['\\udcff']");
        let mut bom = "\u{feff}".as_bytes().to_vec();
        bom.extend_from_slice(&text);
        assert_eq!(
            loads_text(&bom, &opts).unwrap_err().to_string(),
            "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"
        );
        let nul = b"1\0\xed\xb3\xbf";
        assert_eq!(loads_text(nul, &opts).unwrap_err().to_string(), "Extra data: line 1 column 2 (char 1)");
    }
}
