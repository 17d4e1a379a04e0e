//! A disassembler that prints exactly what `python3 -m pickletools` (CPython
//! 3.11) prints: Python's `pickletools.dis` for Rust, and the core of
//! `brinery dis`.
//!
//! The walk over the opcodes is [`ops`](super::ops); this module adds what
//! pickletools layers on top of such a walk:
//!
//! * each raw argument becomes the Python object pickletools' argument readers
//!   make of it (an `int`, a `str` decoded their way, `bytes`, ...), printed as
//!   Python's `repr()` through [`Value`]'s `Display`;
//! * a crude emulation of the unpickler's stack, marks and memo, which indents
//!   MARK blocks and catches inconsistent pickles;
//! * the optional annotation column.
//!
//! Where pickletools raises an exception, everything it printed before the
//! exception has been written, and [`DisError::Bad`] says why. As in
//! pickletools, the summary line names the highest protocol among the
//! opcodes (PROTO itself is a protocol-2 opcode), not PROTO's argument.
//!
//! ```
//! use brinery::pickle::dis::{Disassembler, DisOptions};
//! let mut out = Vec::new();
//! Disassembler::new(&DisOptions::default()).dis(b"\x80\x04K\x01.", &mut out).unwrap();
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "    0: \\x80 PROTO      4\n    2: K    BININT1    1\n    4: .    STOP\nhighest protocol among opcodes = 2\n"
//! );
//! ```

use super::escapes::{escape_decode, raw_unicode_escape_decode};
use super::{Arg, Op};
use crate::opcodes::{ArgKind, Opcode, OpcodeInfo, StackKind};
use crate::pickle;
use crate::{Int, Str, Value};
use std::collections::HashMap;
use std::io::{self, Write};

/// How to lay out a disassembly: pickletools' `indentlevel` and `annotate`.
#[derive(Clone, Debug)]
pub struct DisOptions {
    /// Blanks by which each MARK level is indented (pickletools' default 4).
    pub indent: usize,
    /// Annotate each line with a short description of its opcode.
    pub annotate: bool,
}

impl Default for DisOptions {
    fn default() -> Self {
        DisOptions { indent: 4, annotate: false }
    }
}

/// Why a disassembly stopped before the end of the pickle.
#[derive(Debug, thiserror::Error)]
pub enum DisError {
    /// The pickle is malformed or inconsistent, where pickletools raises
    /// (what it raises, and at which byte and opcode).
    #[error("{0}")]
    Bad(String),
    /// Writing the output failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Disassembles pickles one after another, keeping the memo between them
/// unless told not to (pickletools' `-m`: pickles written in turn by one pickler).
pub struct Disassembler {
    layout: Layout,
    memo: Memo,
}

impl Disassembler {
    /// A disassembler with an empty memo.
    pub fn new(opts: &DisOptions) -> Disassembler {
        Disassembler { layout: Layout::new(opts.indent, opts.annotate), memo: Memo::new() }
    }

    /// Forgets the memo entries of the pickles disassembled so far.
    pub fn clear_memo(&mut self) {
        self.memo.clear();
    }

    /// Disassembles the first pickle in `data` onto `out`: one line per
    /// opcode, then `highest protocol among opcodes = N`.
    pub fn dis(&mut self, data: &[u8], out: &mut dyn Write) -> Result<(), DisError> {
        disassemble(data, &self.layout, &mut self.memo, out).map_err(|stop| match stop {
            Stop::Bad(msg) => DisError::Bad(msg),
            Stop::Io(e) => DisError::Io(e),
        })
    }
}

/// Why a disassembly stopped early.
enum Stop {
    /// The pickle is malformed or inconsistent, where pickletools raises.
    Bad(String),
    /// Writing the output failed.
    Io(io::Error),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Io(e)
    }
}

/// A [`Stop::Bad`] naming the opcode it happened at.
fn bad_at(op: &Op<'_>, msg: impl std::fmt::Display) -> Stop {
    Stop::Bad(format!("{msg} (at byte {}, opcode {})", op.offset, op.info.name))
}

/// How lines are laid out: pickletools' `indentlevel` and `annotate`.
struct Layout {
    /// Blanks added per open MARK.
    indent: String,
    /// Column hint for annotations; 0 means no annotations.
    annotate: usize,
}

impl Layout {
    /// The layout for `indentlevel` blanks per MARK and `annotate` (column hint 30).
    fn new(indentlevel: usize, annotate: bool) -> Layout {
        Layout { indent: " ".repeat(indentlevel), annotate: if annotate { 30 } else { 0 } }
    }
}

/// pickletools' memo emulation: memo index → what was stored there.
type Memo = HashMap<Int, StackKind>;

/// Disassembles the first pickle in `data` onto `out`, with pickletools'
/// checks; `memo` may hold entries of earlier pickles (`-m`).
fn disassemble(data: &[u8], layout: &Layout, memo: &mut Memo, out: &mut dyn Write) -> Result<(), Stop> {
    let mut machine =
        Emulation { layout, memo, stack: Vec::new(), marks: Vec::new(), max_proto: -1, annocol: layout.annotate };
    for op in super::ops(data) {
        let op = op.map_err(walk_error)?;
        machine.step(&op, out)?;
    }
    writeln!(out, "highest protocol among opcodes = {}", machine.max_proto)?;
    if !machine.stack.is_empty() {
        return Err(Stop::Bad(format!("stack not empty after STOP: {}", stack_repr(&machine.stack))));
    }
    Ok(())
}

/// The engine's complaint about the opcode stream, phrased for a disassembler.
fn walk_error(e: pickle::Error) -> Stop {
    Stop::Bad(match (e.kind(), e.offset()) {
        (pickle::ErrorKind::UnknownOpcode(byte), Some(offset)) => {
            format!("unknown opcode {} at byte {offset}", Value::bytes(vec![*byte]))
        }
        _ => e.to_string(),
    })
}

/// A stack as pickletools shows it in errors: `[any, list]`.
fn stack_repr(stack: &[StackKind]) -> String {
    let names: Vec<&str> = stack.iter().map(|kind| kind.name()).collect();
    format!("[{}]", names.join(", "))
}

/// The state pickletools' `dis` keeps while it walks one pickle.
struct Emulation<'m> {
    layout: &'m Layout,
    memo: &'m mut Memo,
    /// What the unpickler's stack would hold, as stack kinds ([`StackKind::Mark`] for marks).
    stack: Vec<StackKind>,
    /// Offsets of the MARK opcodes still open.
    marks: Vec<u64>,
    /// Highest protocol among the opcodes seen so far (-1 before any).
    max_proto: i32,
    /// Current annotation column.
    annocol: usize,
}

/// What the emulation says about one opcode before its line is printed.
struct Check {
    /// `(MARK at N)` or `(as N)`, printed after the argument.
    note: Option<String>,
    /// An inconsistency, raised once the line is printed.
    error: Option<String>,
    /// Items still to pop off the stack.
    pops: usize,
    /// The memo entry a GET pushes instead of the opcode's generic `any`.
    fetched: Option<StackKind>,
}

impl Emulation<'_> {
    /// Prints one opcode's line and applies its stack effect.
    fn step(&mut self, op: &Op<'_>, out: &mut dyn Write) -> Result<(), Stop> {
        let arg = python_arg(op).map_err(|msg| bad_at(op, msg))?;
        write!(out, "{:5}: ", op.offset)?;
        let info = op.info;
        let mut line =
            format!("{:<4} {}{}", code_repr(info.code), self.layout.indent.repeat(self.marks.len()), info.name);
        self.max_proto = self.max_proto.max(i32::from(info.proto));
        let mut check = self.pop_mark(info).map_err(|msg| bad_at(op, msg))?;
        self.check_memo(info, arg.as_ref(), &mut check);
        if arg.is_some() || check.note.is_some() {
            // pickletools' "mild effort to align arguments".
            line.extend(std::iter::repeat_n(' ', 10usize.saturating_sub(info.name.len())));
            if let Some(arg) = &arg {
                line.push(' ');
                line.push_str(&python_repr(arg).map_err(|msg| bad_at(op, msg))?);
            }
            if let Some(note) = &check.note {
                line.push(' ');
                line.push_str(note);
            }
        }
        self.annotate(&mut line, info);
        writeln!(out, "{line}")?;
        if let Some(error) = check.error {
            return Err(bad_at(op, error));
        }
        self.apply(op, &check).map_err(|msg| bad_at(op, msg))
    }

    /// Closes the topmost MARK block if the opcode consumes a mark (or is a POP
    /// of a mark), popping the stack down to and including that mark.
    fn pop_mark(&mut self, info: &OpcodeInfo) -> Result<Check, String> {
        let before = info.stack_before;
        let mut check = Check { note: None, error: None, pops: before.len(), fetched: None };
        let pops_mark = before.contains(&StackKind::Mark)
            || (info.opcode == Opcode::Pop && self.stack.last() == Some(&StackKind::Mark));
        if !pops_mark {
            return Ok(check);
        }
        let Some(mark_at) = self.marks.pop() else {
            let msg = "no MARK exists on stack".to_string();
            check.note = Some(msg.clone());
            check.error = Some(msg);
            return Ok(check);
        };
        check.note = Some(format!("(MARK at {mark_at})"));
        let Some(i) = self.stack.iter().rposition(|kind| *kind == StackKind::Mark) else {
            // pickletools runs off the bottom of its list here.
            return Err("IndexError: list index out of range".to_string());
        };
        self.stack.truncate(i);
        check.pops = before.iter().position(|kind| *kind == StackKind::Mark).unwrap_or(0);
        Ok(check)
    }

    /// pickletools' memo checks: PUTs must not redefine an entry nor store a
    /// mark, GETs must find their entry.
    fn check_memo(&mut self, info: &OpcodeInfo, arg: Option<&Value<'_>>, check: &mut Check) {
        let arg_repr = || arg.map_or_else(|| "None".to_string(), Value::to_string);
        match info.opcode {
            Opcode::Put | Opcode::BinPut | Opcode::LongBinPut | Opcode::Memoize => {
                let index = match arg {
                    Some(arg) => memo_index(arg),
                    None => {
                        check.note = Some(format!("(as {})", self.memo.len()));
                        Int::from(self.memo.len())
                    }
                };
                if self.memo.contains_key(&index) {
                    check.error = Some(format!("memo key {} already defined", arg_repr()));
                } else {
                    match self.stack.last() {
                        None => check.error = Some("stack is empty -- can't store into memo".to_string()),
                        Some(StackKind::Mark) => check.error = Some("can't store markobject in the memo".to_string()),
                        Some(&top) => {
                            self.memo.insert(index, top);
                        }
                    }
                }
            }
            Opcode::Get | Opcode::BinGet | Opcode::LongBinGet => {
                let found = arg.and_then(|arg| self.memo.get(&memo_index(arg)));
                match found {
                    Some(&kind) => check.fetched = Some(kind),
                    None => check.error = Some(format!("memo key {} has never been stored into", arg_repr())),
                }
            }
            _ => {}
        }
    }

    /// Adds the annotation (the opcode's one-line doc) at the current column.
    fn annotate(&mut self, line: &mut String, info: &OpcodeInfo) {
        if self.layout.annotate == 0 {
            return;
        }
        pad_to(line, self.annocol);
        self.annocol = line.chars().count();
        if self.annocol > 50 {
            self.annocol = self.layout.annotate;
        }
        line.push(' ');
        line.push_str(info.doc);
    }

    /// Pops what the opcode consumes and pushes what it produces.
    fn apply(&mut self, op: &Op<'_>, check: &Check) -> Result<(), String> {
        let have = self.stack.len();
        if have < check.pops {
            return Err(format!("tries to pop {} items from stack with only {have} items", check.pops));
        }
        self.stack.truncate(have - check.pops);
        let after = op.info.stack_after;
        if after.contains(&StackKind::Mark) {
            self.marks.push(op.offset);
        }
        match check.fetched {
            Some(kind) => self.stack.push(kind),
            None => self.stack.extend_from_slice(after),
        }
        Ok(())
    }
}

/// Appends blanks until `line` is `width` characters long (if it is shorter).
fn pad_to(line: &mut String, width: usize) {
    let len = line.chars().count();
    if width > len {
        line.extend(std::iter::repeat_n(' ', width - len));
    }
}

/// The opcode byte as pickletools shows it: `repr()` of the one-character
/// string, without the quotes (`K`, `\x80`).
fn code_repr(code: u8) -> String {
    let repr = Value::from(char::from(code).to_string()).to_string();
    repr[1..repr.len() - 1].to_string()
}

/// The memo index an int (or bool) argument names; memo opcodes have no
/// other kind of argument.
fn memo_index(arg: &Value<'_>) -> Int {
    match arg {
        Value::Int(i) => i.clone(),
        Value::Bool(b) => Int::from(i64::from(*b)),
        other => unreachable!("memo opcodes take int arguments, not {other}"),
    }
}

/// CPython 3.11 refuses to convert ints of more than this many digits to text.
const MAX_STR_DIGITS: usize = 4300;

/// Python's `repr()` of an argument. Like CPython 3.11, refuses ints of more
/// than 4300 digits.
fn python_repr(value: &Value<'_>) -> Result<String, String> {
    let too_long = || {
        format!(
            "Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion; \
             use sys.set_int_max_str_digits() to increase the limit"
        )
    };
    if let Value::Int(i) = value {
        // 10**4300 needs 14285 bits: anything much longer is certainly too long.
        if i.bit_length() > 14_300 {
            return Err(too_long());
        }
        let text = i.to_string();
        if text.trim_start_matches('-').len() > MAX_STR_DIGITS {
            return Err(too_long());
        }
        return Ok(text);
    }
    Ok(value.to_string())
}

/// The object pickletools' argument reader makes of `op`'s argument, or
/// `None` when the opcode has no argument.
fn python_arg<'a>(op: &Op<'a>) -> Result<Option<Value<'a>>, String> {
    let Some(kind) = op.info.arg else {
        return Ok(None);
    };
    use ArgKind as K;
    let value = match (kind, &op.arg) {
        (_, Arg::Int(i)) => Value::from(*i),
        (_, Arg::Float(f)) => Value::from(*f),
        (K::Long1 | K::Long4, Arg::Data(data)) => Value::Int(Int::from_signed_le(data)),
        (K::String1 | K::String4, Arg::Data(data)) => Value::Str(latin1(data)),
        (K::Bytes1 | K::Bytes4 | K::Bytes8, Arg::Data(data)) => Value::bytes(data.clone()),
        (K::ByteArray8, Arg::Data(data)) => Value::bytearray(data.clone()),
        (K::UnicodeString1 | K::UnicodeString4 | K::UnicodeString8, Arg::Data(data)) => {
            Value::Str(Str::from_surrogatepass(data.clone()).map_err(|e| format!("'utf-8' codec can't decode: {e}"))?)
        }
        (K::StringNl, Arg::Line(line)) => Value::from(escaped_ascii(strip_quotes(line)?)?),
        (K::StringNlNoescape, Arg::Line(line)) => Value::from(escaped_ascii(line)?),
        (K::StringNlNoescapePair, Arg::Pair(module, name)) => {
            Value::from(format!("{} {}", escaped_ascii(module)?, escaped_ascii(name)?))
        }
        (K::UnicodeStringNl, Arg::Line(line)) => Value::Str(raw_unicode_escape_decode(line)?),
        (K::DecimalNlShort, Arg::Line(line)) => decimal_short(line)?,
        (K::DecimalNlLong, Arg::Line(line)) => Value::Int(python_int(line.strip_suffix(b"L").unwrap_or(line))?),
        (K::FloatNl, Arg::Line(line)) => Value::from(python_float(line)?),
        (kind, arg) => return Err(format!("unexpected {} argument {arg:?}", kind.name())),
    };
    Ok(Some(value))
}

/// Bytes decoded as latin-1 (how pickletools reads Python 2 strings).
fn latin1(data: &[u8]) -> Str<'static> {
    Str::from_code_points(data.iter().map(|&b| u32::from(b)))
}

/// pickletools' quote stripping for `stringnl`: the line must start and end
/// with the same quote (`"` tried first, then `'`).
fn strip_quotes(line: &[u8]) -> Result<&[u8], String> {
    for quote in [b'"', b'\''] {
        if line.first() == Some(&quote) {
            if line.last() != Some(&quote) {
                return Err(format!(
                    "string quote {} not found at both ends of {}",
                    Value::bytes(&[quote][..]),
                    Value::bytes(line)
                ));
            }
            return Ok(line.get(1..line.len() - 1).unwrap_or_default());
        }
    }
    Err(format!("no string quotes around {}", Value::bytes(line)))
}

/// `codecs.escape_decode(text)[0].decode("ascii")`, as pickletools decodes
/// `stringnl` arguments.
fn escaped_ascii(text: &[u8]) -> Result<String, String> {
    let bytes = escape_decode(text)?;
    if !bytes.is_ascii() {
        return Err("'ascii' codec can't decode the string argument".to_string());
    }
    Ok(bytes.into_iter().map(char::from).collect())
}

/// pickletools' `decimalnl_short`: `00` and `01` are False and True,
/// anything else goes through `int()`.
fn decimal_short(line: &[u8]) -> Result<Value<'static>, String> {
    Ok(match line {
        b"00" => Value::Bool(false),
        b"01" => Value::Bool(true),
        _ => Value::Int(python_int(line)?),
    })
}

/// The whitespace Python's `int()` and `float()` strip from bytes.
fn is_py_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `text` without leading and trailing ASCII whitespace.
fn trim_py_space(text: &[u8]) -> &[u8] {
    let start = text.iter().position(|b| !is_py_space(b)).unwrap_or(text.len());
    let end = text.iter().rposition(|b| !is_py_space(b)).map_or(start, |i| i + 1);
    &text[start..end]
}

/// Whether every `_` in `text` sits between two ASCII digits (PEP 515).
fn underscores_ok(text: &[u8]) -> bool {
    text.iter().enumerate().all(|(i, &b)| {
        b != b'_' || (i > 0 && text[i - 1].is_ascii_digit() && text.get(i + 1).is_some_and(u8::is_ascii_digit))
    })
}

/// Python's `int(text)` for bytes: base 10, surrounding whitespace, a sign,
/// single underscores between digits, at most 4300 digits.
fn python_int(text: &[u8]) -> Result<Int, String> {
    let invalid = || format!("invalid literal for int() with base 10: {}", Value::bytes(text));
    let body = trim_py_space(text);
    let (negative, digits) = match body.first() {
        Some(b'-') => (true, &body[1..]),
        Some(b'+') => (false, &body[1..]),
        _ => (false, body),
    };
    let well_formed = digits.first().is_some_and(u8::is_ascii_digit)
        && digits.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && underscores_ok(digits);
    if !well_formed {
        return Err(invalid());
    }
    let mut plain: String = digits.iter().filter(|&&b| b != b'_').map(|&b| char::from(b)).collect();
    if plain.len() > MAX_STR_DIGITS {
        return Err(format!(
            "Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion: value has {} digits; \
             use sys.set_int_max_str_digits() to increase the limit",
            plain.len()
        ));
    }
    if negative {
        plain.insert(0, '-');
    }
    plain.parse().map_err(|_| invalid())
}

/// Python's `float(text)` for bytes: surrounding whitespace, underscores
/// between digits, `inf`/`infinity`/`nan` in any case; overflow gives ±inf.
fn python_float(text: &[u8]) -> Result<f64, String> {
    let invalid = || format!("could not convert string to float: {}", Value::bytes(text));
    if !underscores_ok(text) {
        return Err(invalid());
    }
    let plain: Vec<u8> = trim_py_space(text).iter().copied().filter(|&b| b != b'_').collect();
    let literal = std::str::from_utf8(&plain).map_err(|_| invalid())?;
    if !is_float_literal(literal) {
        return Err(invalid());
    }
    literal.parse().map_err(|_| invalid())
}

/// Whether `text` is a float literal `_PyOS_string_to_double` accepts whole:
/// `[sign] (digits [. [digits]] | . digits) [(e|E) [sign] digits]`, or a
/// signed `inf`, `infinity` or `nan` in any case.
fn is_float_literal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if ["inf", "infinity", "nan"].iter().any(|word| unsigned.eq_ignore_ascii_case(word)) {
        return true;
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int_part) && all_digits(frac_part) && !(int_part.is_empty() && frac_part.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stringnl_quotes_must_match() {
        assert_eq!(strip_quotes(b"'"), Ok(&b""[..]));
        assert_eq!(strip_quotes(b"\""), Ok(&b""[..]));
        assert!(strip_quotes(b"'a\"").is_err());
        assert!(strip_quotes(b"abc").is_err());
    }

    #[test]
    fn python_int_follows_int_of_bytes() {
        let ok = |s: &[u8]| python_int(s).map(|i| i.to_string());
        assert_eq!(ok(b" -1_000 "), Ok("-1000".to_string()));
        assert_eq!(ok(b"007"), Ok("7".to_string()));
        assert_eq!(ok(b"123456789012345678901234567890"), Ok("123456789012345678901234567890".to_string()));
        for bad in [&b""[..], b"-", b"_1", b"1_", b"1__0", b"- 1", b"0x10", b"1.0", b"1\x00"] {
            assert!(python_int(bad).is_err(), "{bad:?}");
        }
        assert!(python_int(&b"1".repeat(4301)).is_err());
    }

    #[test]
    fn python_float_follows_float_of_bytes() {
        assert_eq!(python_float(b" 1_0.5e1 "), Ok(105.0));
        assert_eq!(python_float(b"-InFinity"), Ok(f64::NEG_INFINITY));
        assert_eq!(python_float(b"1e999"), Ok(f64::INFINITY));
        assert_eq!(python_float(b".5"), Ok(0.5));
        assert_eq!(python_float(b"5."), Ok(5.0));
        assert!(python_float(b"nan").unwrap().is_nan());
        for bad in [&b""[..], b" ", b".", b"e5", b"1e", b"1_.5", b"_1", b"1__0", b"0x1p3", b"in", b"1\x00"] {
            assert!(python_float(bad).is_err(), "{bad:?}");
        }
    }
}
