//! `brinery dis`: disassemble pickles opcode by opcode, printing exactly what
//! `python3 -m pickletools` (CPython 3.11) prints. The disassembler is the
//! engine's [`brinery::pickle::dis`]; this module is its command line: files,
//! preambles, the output file, and pickletools' exceptions reported as bad
//! input (exit code 2) after everything printed before them.

use crate::{read_input, BadInput};
use anyhow::Result;
use brinery::pickle::dis::{DisError, DisOptions, Disassembler};
use clap::Args;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Disassemble pickles: one line per opcode with its offset, byte, name and
/// argument, MARK blocks indented, checking stack and memo use as it goes.
#[derive(Args, Debug)]
#[command(after_help = "Without FILE, this help is printed (as `python -m pickletools` does).\n\
    Only the first pickle of each file is disassembled. Inconsistent or malformed pickles \
    are printed up to the offending opcode, then reported with exit code 2.")]
pub(crate) struct DisArgs {
    /// Pickle files to disassemble; `-` reads standard input.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Write the disassembly to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Keep the memo from one file to the next (pickles written in turn by one pickler).
    #[arg(short, long)]
    memo: bool,
    /// Number of blanks by which to indent each MARK level.
    #[arg(short = 'l', long, value_name = "N", default_value_t = 4, allow_negative_numbers = true)]
    indentlevel: i64,
    /// Annotate each line with a short description of its opcode.
    #[arg(short, long)]
    annotate: bool,
    /// Header printed before each disassembly when several files are given;
    /// `{name}` stands for the file name (`<stdin>` for `-`).
    #[arg(short, long, value_name = "TEXT", default_value = "==> {name} <==", allow_hyphen_values = true)]
    preamble: String,
}

/// Runs `brinery dis`.
pub(crate) fn run(args: &DisArgs) -> Result<()> {
    if args.files.is_empty() {
        return print_help();
    }
    // Like argparse, check the options and open every file before printing anything.
    let several = args.files.len() > 1;
    let sources = args
        .files
        .iter()
        .map(|path| {
            let name = display_name(path);
            let header = several.then(|| preamble(&args.preamble, &name)).transpose()?;
            Ok(Source { header, data: read_input(path)?, name })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out = open_output(args.output.as_deref())?;
    let result = disassemble_files(args, &sources, &mut out);
    out.flush()?;
    result
}

/// One file to disassemble.
struct Source {
    /// Its name in messages and preambles.
    name: String,
    /// The preamble to print before it, when there are several files.
    header: Option<String>,
    /// Its bytes.
    data: Vec<u8>,
}

/// Prints the help of `brinery dis` on standard output.
fn print_help() -> Result<()> {
    use clap::Parser;
    match crate::Cli::try_parse_from(["brinery", "dis", "--help"]) {
        Err(help) => Ok(help.print()?),
        Ok(_) => unreachable!("--help always stops parsing"),
    }
}

/// The name pickletools gives a file: the path as given, `<stdin>` for `-`.
fn display_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Opens the output: a file, or standard output for `None` and `-`.
fn open_output(path: Option<&Path>) -> Result<BufWriter<Box<dyn Write>>> {
    let sink: Box<dyn Write> = match path {
        Some(path) if path.as_os_str() != "-" => {
            Box::new(File::create(path).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?)
        }
        _ => Box::new(io::stdout().lock()),
    };
    Ok(BufWriter::new(sink))
}

/// Disassembles every file in turn, each after its preamble if it has one.
fn disassemble_files(args: &DisArgs, sources: &[Source], out: &mut dyn Write) -> Result<()> {
    let indent = usize::try_from(args.indentlevel.max(0)).unwrap_or(0);
    let mut disassembler = Disassembler::new(&DisOptions { indent, annotate: args.annotate });
    for source in sources {
        if let Some(header) = &source.header {
            writeln!(out, "{header}")?;
        }
        if !args.memo {
            disassembler.clear_memo();
        }
        match disassembler.dis(&source.data, out) {
            Ok(()) => {}
            Err(DisError::Io(e)) => return Err(e.into()),
            Err(DisError::Bad(msg)) => return Err(BadInput(format!("{}: {msg}", source.name)).into()),
        }
    }
    Ok(())
}

/// Fills in a preamble template the way `str.format(name=...)` would, for the
/// forms that make sense here: `{name}`, `{{` and `}}`.
fn preamble(template: &str, name: &str) -> Result<String> {
    let mut text = String::with_capacity(template.len() + name.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        text.push_str(&rest[..i]);
        rest = &rest[i..];
        let (piece, len) = if rest.starts_with("{name}") {
            (name, "{name}".len())
        } else if rest.starts_with("{{") || rest.starts_with("}}") {
            (&rest[..1], 2)
        } else {
            anyhow::bail!("--preamble: only {{name}}, {{{{ and }}}} may use braces, in {template:?}");
        };
        text.push_str(piece);
        rest = &rest[len..];
    }
    text.push_str(rest);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preamble_fills_in_the_name() {
        assert_eq!(preamble("==> {name} <==", "a.pkl").unwrap(), "==> a.pkl <==");
        assert_eq!(preamble("{{{name}}}", "x").unwrap(), "{x}");
        assert!(preamble("{other}", "x").is_err());
    }
}
