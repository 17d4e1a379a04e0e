//! `brinery convert`: pickle → JSON, JSON → pickle, and re-pickling.
//!
//! Each direction is one Python expression, and gives what it gives:
//!
//! * pickle → JSON: `json.dumps(pickle.loads(data), **flags)` (then a newline);
//! * JSON → pickle: `pickle.dumps(json.loads(data), protocol)`;
//! * pickle → pickle: `pickle.dumps(pickle.loads(data), protocol)`;
//! * with `--lossless`, `jsonpickle`'s tagged JSON stands in between, so that
//!   tuples, sets, bytes and objects survive the trip.

use crate::{load_pickle, pytext, read_input, write_output, BadInput};
use anyhow::{bail, Result};
use brinery::json::{self, DumpOptions as JsonDumpOptions, LoadOptions as JsonLoadOptions};
use brinery::opcodes::Opcode;
use brinery::pickle::{self, DumpOptions, LoadOptions, TrailingData};
use brinery::{jsonpickle, Value};
use clap::Args;
use std::path::PathBuf;

/// Convert between pickles and JSON, or re-pickle a pickle at another protocol.
#[derive(Args, Debug)]
#[command(after_help = "\
What each conversion gives, as Python would compute it:
  --to json     json.dumps(pickle.loads(data), indent=..., ...) followed by a newline
  --to pickle   pickle.dumps(json.loads(data), protocol)   (or pickle.loads, from a pickle)
The bytes written are CPython's, byte for byte. JSON input is read the way json.loads reads \
bytes: UTF-8, UTF-16 or UTF-32, with or without a BOM.

Input format: without --from, it is told from the first bytes. A pickle starts with PROTO \
(0x80 and a protocol byte) or, at protocols 0 and 1, with an opcode that pushes a value (`(`, \
`]`, `}`, `)`, `K`, `X`, `c`, ...). JSON starts, after optional whitespace or a byte order mark, \
with `{`, `[`, `\"`, a digit, `-`, `t`, `f` or `n`, or is UTF-16/32 text. `N` (pickle None \
or JSON NaN) and `I` (pickle INT or JSON Infinity) begin both: the input is read as the one \
it parses as, and if it parses as neither, you are asked for --from.

--lossless writes jsonpickle's tagged JSON (`py/tuple`, `py/set`, `py/b64`, `py/object`, \
...), which Python's jsonpickle.decode turns back into the objects, and reading JSON with \
--lossless restores the exact pickle from it. Without --lossless, JSON → pickle reads tags \
as plain dicts, and says so on stderr when the input looks tagged.

Bad input (not a pickle, not JSON, or a value JSON cannot hold) exits with status 2 and says \
which byte and why.

Examples:
  brinery convert model.pkl --to json --indent 2 -o model.json
  brinery convert data.json --to pickle --protocol 2 -o data.pkl
  brinery convert state.pkl --to json --lossless | brinery convert - --to pickle --lossless
  brinery convert old.pkl --to pickle --protocol 5 -o new.pkl
  brinery convert model.pt --to safetensors -o model.safetensors")]
pub(crate) struct ConvertArgs {
    /// Input file, or `-` for standard input.
    input: PathBuf,
    /// Input format [default: detected from the content].
    #[arg(long, value_enum)]
    from: Option<Format>,
    /// Output format.
    #[arg(long, value_enum)]
    to: Format,
    /// Output file, or `-` for standard output (the default).
    #[arg(short, long, default_value = "-")]
    output: PathBuf,
    /// Pickle protocol to write (0–5) [default: 5]. Only with --to pickle.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=5))]
    protocol: Option<u8>,
    /// Keep every Python type: write or read jsonpickle's tagged JSON instead of plain JSON.
    #[arg(long)]
    lossless: bool,
    /// json.dumps(indent=...): a number of spaces (0 or less still breaks lines), or a string
    /// to indent with (`\t` in it stands for a tab). Default: everything on one line.
    #[arg(long, value_name = "N|STRING", allow_hyphen_values = true, help_heading = "JSON output (--to json)")]
    indent: Option<String>,
    /// json.dumps(separators=(ITEM, KEY)), e.g. `--separators , :` for the most compact
    /// output. Default: `, ` and `: `, or `,` and `: ` with --indent.
    #[arg(long, num_args = 2, value_names = ["ITEM", "KEY"], allow_hyphen_values = true, help_heading = "JSON output (--to json)")]
    separators: Option<Vec<String>>,
    /// json.dumps(sort_keys=True): sort each dict by key.
    #[arg(long, help_heading = "JSON output (--to json)")]
    sort_keys: bool,
    /// json.dumps(ensure_ascii=False): write non-ASCII characters as they are (UTF-8), not as \uXXXX.
    #[arg(long, help_heading = "JSON output (--to json)")]
    no_ensure_ascii: bool,
    /// json.dumps(allow_nan=True), the default: write NaN and ±Infinity as NaN, Infinity, -Infinity.
    #[arg(long, overrides_with = "no_allow_nan", help_heading = "JSON output (--to json)")]
    allow_nan: bool,
    /// json.dumps(allow_nan=False): NaN and infinities are an error, as strict JSON has none.
    #[arg(long, overrides_with = "allow_nan", help_heading = "JSON output (--to json)")]
    no_allow_nan: bool,
    /// json.dumps(skipkeys=True): leave out dict entries whose key is not str, int, float, bool
    /// or None, instead of failing.
    #[arg(long, help_heading = "JSON output (--to json)")]
    skipkeys: bool,
    /// Convert a checkpoint even when the scan finds globals that are not plain data
    /// (a full-model save); nothing in it is run either way.
    #[arg(long, help_heading = "Model files (--to safetensors)")]
    allow_unsafe: bool,
    /// Leave out tensors safetensors has no type for (complex128, quantized…), naming each,
    /// instead of failing.
    #[arg(long, help_heading = "Model files (--to safetensors)")]
    skip_unsupported: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// A Python pickle (any protocol, 0–5).
    Pickle,
    /// JSON text, as Python's json module reads and writes it.
    Json,
    /// A safetensors file (only as --to, from a PyTorch checkpoint; needs -o FILE).
    Safetensors,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Pickle => "pickle",
            Format::Json => "JSON",
            Format::Safetensors => "safetensors",
        }
    }
}

/// What the first bytes say about the input format.
#[derive(Debug, PartialEq, Eq)]
enum Detected {
    /// Certainly this format; the reason, for messages.
    Is(Format, String),
    /// `N` or `I`: could be either.
    Either(char),
    /// Neither; why.
    Neither(String),
}

/// Tells a pickle from JSON by its first bytes (see the command's help).
fn detect(data: &[u8]) -> Detected {
    let json = |why: String| Detected::Is(Format::Json, why);
    let Some(&first) = data.first() else {
        return Detected::Neither("the input is empty".into());
    };
    if first == 0x80 {
        return Detected::Is(Format::Pickle, "it starts with the PROTO opcode (0x80)".into());
    }
    if data.starts_with(b"\xef\xbb\xbf") || data.starts_with(b"\xff\xfe") || data.starts_with(b"\xfe\xff") {
        return json("it starts with a Unicode byte order mark".into());
    }
    // UTF-16 or UTF-32 without a BOM: a NUL before the first character, or
    // after an ASCII one (json.detect_encoding's patterns).
    if first == 0 || (data.len() >= 2 && data[1] == 0 && first.is_ascii() && !is_pickle_start(first)) {
        return json("it looks like UTF-16 or UTF-32 text".into());
    }
    match first {
        b' ' | b'\t' | b'\n' | b'\r' => json("it starts with whitespace".into()),
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
            json(format!("it starts with {:?}, which only JSON can start with", first as char))
        }
        b'N' | b'I' => Detected::Either(first as char),
        _ if is_pickle_start(first) => Detected::Is(
            Format::Pickle,
            format!(
                "it starts with {}, the {} opcode",
                describe_byte(first),
                Opcode::from_byte(first).expect("an opcode").name()
            ),
        ),
        _ => Detected::Neither(format!(
            "it starts with {}, which is neither a pickle opcode nor how JSON text starts",
            describe_byte(first)
        )),
    }
}

/// Whether a pickle can start with this opcode: it must push something
/// (or be MARK, FRAME, or PROTO), as the stack and memo are empty.
fn is_pickle_start(byte: u8) -> bool {
    Opcode::from_byte(byte).is_some_and(|op| {
        op.info().stack_before.is_empty()
            && !matches!(op.name(), "GET" | "BINGET" | "LONG_BINGET" | "PUT" | "BINPUT" | "LONG_BINPUT")
    })
}

/// `'K' (0x4b)` or `0x95`.
fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}' (0x{b:02x})", b as char)
    } else {
        format!("0x{b:02x}")
    }
}

/// Reads JSON as `json.loads(bytes)` does; errors name the line, column,
/// character and byte.
fn load_json<'a>(data: &'a [u8], name: &str) -> Result<Value<'a>> {
    json::loads(data, &JsonLoadOptions::default()).map_err(|e| {
        let at = match e.position() {
            // The byte offset is into the UTF-8 text: the file's own offset
            // unless the file was UTF-16/32 (then it is left out).
            Some(p) if !is_utf16_or_32(data) => {
                let bom = if data.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
                format!(" (at byte {})", p.byte + bom)
            }
            _ => String::new(),
        };
        BadInput(format!("{name}: not valid JSON: {e}{at}")).into()
    })
}

/// json.detect_encoding's verdict is UTF-16 or UTF-32.
fn is_utf16_or_32(b: &[u8]) -> bool {
    b.starts_with(b"\xff\xfe")
        || b.starts_with(b"\xfe\xff")
        || b.starts_with(b"\x00\x00\xfe\xff")
        || (b.len() >= 4 && (b[0] == 0 || b[1] == 0))
        || (b.len() == 2 && (b[0] == 0 || b[1] == 0))
}

/// The JSON options the flags ask for.
fn json_options(args: &ConvertArgs) -> JsonDumpOptions {
    let mut opts = JsonDumpOptions::default()
        .sort_keys(args.sort_keys)
        .ensure_ascii(!args.no_ensure_ascii)
        .allow_nan(!args.no_allow_nan)
        .skipkeys(args.skipkeys);
    if let Some(indent) = &args.indent {
        opts.indent = Some(match indent.trim().parse::<i64>() {
            Ok(n) => json::Indent::from(n),
            Err(_) => json::Indent::from(indent.replace("\\t", "\t")),
        });
    }
    if let Some(seps) = &args.separators {
        opts.separators = Some((seps[0].clone(), seps[1].clone()));
    }
    opts
}

/// Whether any dict in the value has a `py/...` key, as jsonpickle's tags do.
fn looks_tagged(value: &Value<'_>) -> bool {
    let mut todo = vec![value];
    while let Some(v) = todo.pop() {
        match v {
            Value::List(items) => todo.extend(items.iter()),
            Value::Dict(pairs) => {
                for (k, v) in pairs.iter() {
                    if let Value::Str(s) = k {
                        if s.as_surrogatepass().starts_with(b"py/") {
                            return true;
                        }
                    }
                    todo.push(v);
                }
            }
            _ => {}
        }
    }
    false
}

/// Decides the input format: `--from`, or what the bytes say.
fn input_format<'a>(args: &ConvertArgs, data: &'a [u8], name: &str) -> Result<(Format, Option<Value<'a>>)> {
    if let Some(from) = args.from {
        return Ok((from, None));
    }
    match detect(data) {
        Detected::Is(format, _) => Ok((format, None)),
        Detected::Neither(why) => {
            // Say what is wrong with it as JSON, in case that is what it was meant to be.
            let as_json = match json::loads(data, &JsonLoadOptions::default()) {
                Err(e) => format!(" (as JSON: {e})"),
                Ok(_) => String::new(),
            };
            bail!(BadInput(format!("{name}: cannot tell whether this is a pickle or JSON: {why}{as_json}; use --from")))
        }
        Detected::Either(c) => {
            // Parse as both: at most one can succeed.
            let pickled = pickle::loads(data, &pickle_load_options());
            let parsed = json::loads(data, &JsonLoadOptions::default());
            match (pickled, parsed) {
                (Ok(v), Err(_)) => Ok((Format::Pickle, Some(v))),
                (Err(_), Ok(v)) => Ok((Format::Json, Some(v))),
                (Ok(_), Ok(_)) => bail!(BadInput(format!(
                    "{name}: this is both a valid pickle and valid JSON; use --from to say which"
                ))),
                (Err(p), Err(j)) => bail!(BadInput(format!(
                    "{name}: cannot tell whether this is a pickle or JSON: it starts with '{c}', which begins \
                     both a pickle ({}) and JSON ({}), and it is neither: as a pickle, {p}; as JSON, {j}; \
                     use --from to say which it should be",
                    if c == 'N' { "the NONE opcode" } else { "the INT opcode" },
                    if c == 'N' { "NaN" } else { "Infinity" },
                ))),
            }
        }
    }
}

fn pickle_load_options() -> LoadOptions {
    LoadOptions { trailing_data: TrailingData::Reject, ..Default::default() }
}

/// Runs `brinery convert`.
pub(crate) fn run(args: &ConvertArgs) -> Result<()> {
    check_flags(args)?;
    if args.to == Format::Safetensors {
        return crate::model::to_safetensors(&args.input, &args.output, args.allow_unsafe, args.skip_unsupported);
    }
    let data = read_input(&args.input)?;
    let name = args.input.display().to_string();
    let (from, parsed) = input_format(args, &data, &name)?;
    if args.lossless && from == args.to {
        bail!(BadInput(format!("--lossless converts between pickle and JSON, but {name} is {} already", from.name())));
    }
    let value = match parsed {
        Some(v) => v,
        None => match from {
            Format::Pickle => {
                load_pickle(&data, &name, &pickle_load_options()).map_err(|e| why_pickle(e, args, &data))?
            }
            Format::Json => load_json(&data, &name).map_err(|e| why_json(e, args, &data))?,
            Format::Safetensors => unreachable!("check_flags refuses --from safetensors"),
        },
    };
    let out = match args.to {
        Format::Json => {
            let tagged;
            let value = if args.lossless {
                tagged = jsonpickle::encode(&value)
                    .map_err(|e| BadInput(format!("{name}: cannot write as tagged JSON: {e}")))?;
                &tagged
            } else {
                &value
            };
            let text = json::dumps_str(value, &json_options(args)).map_err(|e| {
                let hint = match e.kind() {
                    json::ErrorKind::NotSerializable(_) | json::ErrorKind::BadKey(_) if !args.lossless => {
                        " (--lossless keeps every type)"
                    }
                    _ => "",
                };
                BadInput(format!("{name}: cannot write as JSON: {e}{hint}"))
            })?;
            // Python's str may hold lone surrogates (--no-ensure-ascii); a
            // UTF-8 file cannot: the same UnicodeEncodeError as writing it.
            let text = text.as_surrogatepass();
            let mut bytes = pytext::encode(text, pytext::Errors::Strict)
                .map_err(|bad| BadInput(format!("{name}: cannot write as JSON: {}", bad.message(text, 0))))?
                .into_owned();
            bytes.push(b'\n');
            bytes
        }
        Format::Safetensors => unreachable!("run() converts to safetensors before loading"),
        Format::Pickle => {
            let restored;
            let value = if args.lossless && from == Format::Json {
                restored = jsonpickle::decode(&value)
                    .map_err(|e| BadInput(format!("{name}: cannot restore from tagged JSON: {e}")))?;
                &restored
            } else {
                if from == Format::Json && looks_tagged(&value) {
                    say!(
                        "brinery: note: {name} has `py/...` keys, like the tagged JSON `--lossless` writes; \
                         they are kept as plain dicts (add --lossless to restore the objects)"
                    );
                }
                &value
            };
            let protocol = args.protocol.unwrap_or(5);
            pickle::dumps(value, &DumpOptions::protocol(protocol))
                .map_err(|e| BadInput(format!("{name}: cannot write as pickle protocol {protocol}: {e}")))?
        }
    };
    write_output(&args.output, &out)
}

/// Adds to a load failure how the format was decided, when it was guessed.
fn why_pickle(e: anyhow::Error, args: &ConvertArgs, data: &[u8]) -> anyhow::Error {
    match (args.from, detect(data)) {
        (None, Detected::Is(_, why)) => {
            let as_json = match json::loads(data, &JsonLoadOptions::default()) {
                Err(j) => format!("; as JSON it is not valid either: {j}"),
                Ok(_) => String::new(),
            };
            BadInput(format!("{e} (read as a pickle because {why}{as_json}; use --from json if it is JSON)")).into()
        }
        _ => e,
    }
}

fn why_json(e: anyhow::Error, args: &ConvertArgs, data: &[u8]) -> anyhow::Error {
    match (args.from, detect(data)) {
        (None, Detected::Is(_, why)) => {
            BadInput(format!("{e} (read as JSON because {why}; use --from pickle if it is a pickle)")).into()
        }
        _ => e,
    }
}

/// Flags that only make sense for one output format.
fn check_flags(args: &ConvertArgs) -> Result<()> {
    let json_flags = [
        (args.indent.is_some(), "--indent"),
        (args.separators.is_some(), "--separators"),
        (args.sort_keys, "--sort-keys"),
        (args.no_ensure_ascii, "--no-ensure-ascii"),
        (args.allow_nan, "--allow-nan"),
        (args.no_allow_nan, "--no-allow-nan"),
        (args.skipkeys, "--skipkeys"),
    ];
    match args.to {
        Format::Pickle => {
            if let Some((_, flag)) = json_flags.iter().find(|(given, _)| *given) {
                bail!(Usage(format!("{flag} shapes JSON output; it does nothing with --to pickle")));
            }
        }
        Format::Json => {
            if args.protocol.is_some() {
                bail!(Usage("--protocol is the pickle protocol to write; it does nothing with --to json".into()));
            }
        }
        Format::Safetensors => {
            let others = [(args.protocol.is_some(), "--protocol"), (args.lossless, "--lossless")];
            if let Some((_, flag)) = json_flags.iter().chain(&others).find(|(given, _)| *given) {
                bail!(Usage(format!("{flag} does nothing with --to safetensors")));
            }
        }
    }
    if args.from == Some(Format::Safetensors) {
        bail!(Usage("safetensors is an output format only (--to safetensors, from a PyTorch checkpoint)".into()));
    }
    if args.to != Format::Safetensors {
        if args.allow_unsafe {
            bail!(Usage(
                "--allow-unsafe is for --to safetensors; pickle and JSON conversion never run anything".into()
            ));
        }
        if args.skip_unsupported {
            bail!(Usage("--skip-unsupported is for --to safetensors".into()));
        }
    }
    Ok(())
}

/// A combination of arguments that makes no sense (exit code 2, like clap's own).
#[derive(Debug)]
pub(crate) struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        let is = |d: &[u8]| match detect(d) {
            Detected::Is(f, _) => Some(f),
            _ => None,
        };
        assert_eq!(is(b"\x80\x04\x95"), Some(Format::Pickle));
        assert_eq!(is(b"(lp0\n"), Some(Format::Pickle));
        assert_eq!(is(b"]q\x00."), Some(Format::Pickle));
        assert_eq!(is(b"K\x00."), Some(Format::Pickle));
        assert_eq!(is(b"ccopy_reg\n"), Some(Format::Pickle));
        assert_eq!(is(b"\x88."), Some(Format::Pickle));
        assert_eq!(is(b"{\"a\": 1}"), Some(Format::Json));
        assert_eq!(is(b"  [1]"), Some(Format::Json));
        assert_eq!(is(b"\xef\xbb\xbf[1]"), Some(Format::Json));
        assert_eq!(is(b"[\x001\x00]\x00"), Some(Format::Json));
        assert_eq!(is(b"\x00[\x001"), Some(Format::Json));
        assert_eq!(is(b"12"), Some(Format::Json));
        assert_eq!(is(b"true"), Some(Format::Json));
        assert_eq!(detect(b"NaN"), Detected::Either('N'));
        assert_eq!(detect(b"I1\n."), Detected::Either('I'));
        assert!(matches!(detect(b""), Detected::Neither(_)));
        assert!(matches!(detect(b"x"), Detected::Neither(_)));
        assert!(matches!(detect(b"."), Detected::Neither(_)));
        assert!(matches!(detect(b"a"), Detected::Neither(_)));
    }
}
