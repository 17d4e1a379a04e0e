//! `brinery`: look inside pickles, convert them to and from JSON, and
//! pretty-print JSON, without running anything a pickle contains.

/// `eprintln!` that ignores a closed standard error (`2>&1 | head -1`)
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod convert;
mod dis;
mod jsontool;
mod model;
mod pytext;
mod scan;
mod show;

use anyhow::{Context, Result};
use brinery::pickle::{self, LoadOptions};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Inspect and convert Python pickles safely (nothing in them is ever imported or run),
/// convert them to and from JSON, and pretty-print JSON as Python's json.tool does.
#[derive(Parser, Debug)]
#[command(name = "brinery", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Disassemble pickles opcode by opcode (same output as `python -m pickletools`).
    Dis(dis::DisArgs),
    /// Print the value a pickle holds, as Python's repr() would (objects in constructor form);
    /// for a PyTorch checkpoint, a table of its tensors and its other values.
    Show(show::ShowArgs),
    /// Convert a pickle to JSON or JSON to a pickle, or re-pickle at another protocol,
    /// byte-identical to what CPython would write; or a PyTorch checkpoint to safetensors.
    Convert(convert::ConvertArgs),
    /// Validate and pretty-print JSON: a drop-in for `python3 -m json.tool`.
    Json(jsontool::JsonArgs),
    /// Tell whether pickles and model files are safe to load, without loading them:
    /// exit 0 if nothing is dangerous, 1 if something is, 2 if something could not be scanned.
    Scan(scan::ScanArgs),
}

/// A failure caused by the input (exit code 2), as opposed to a usage or I/O failure.
#[derive(Debug)]
pub(crate) struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Reads a whole file, `-` meaning standard input.
pub(crate) fn read_input(path: &PathBuf) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut data).context("reading standard input")?;
    } else {
        data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(data)
}

/// Writes to a file, `-` meaning standard output.
pub(crate) fn write_output(path: &PathBuf, data: &[u8]) -> Result<()> {
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(data)?;
        out.flush()?;
    } else {
        std::fs::write(path, data).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Loads a pickle for a command, turning a load failure into [`BadInput`].
pub(crate) fn load_pickle<'a>(data: &'a [u8], name: &str, opts: &LoadOptions) -> Result<brinery::Value<'a>> {
    pickle::loads(data, opts).map_err(|e| BadInput(format!("{name}: not a valid pickle: {e}")).into())
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match &cli.command {
        Command::Dis(args) => dis::run(args),
        Command::Show(args) => show::run(args),
        Command::Convert(args) => convert::run(args),
        Command::Json(args) => {
            let sub = matches.subcommand_matches("json").expect("the json subcommand was given");
            return jsontool::run(args, sub);
        }
        Command::Scan(args) => match scan::run(args) {
            Ok(code) => return code,
            Err(e) => {
                say!("brinery: {e:#}");
                return ExitCode::from(2);
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = std::io::stdout().flush();
            if let Some(usage) = e.downcast_ref::<convert::Usage>() {
                say!("brinery: error: {usage}");
                ExitCode::from(2)
            } else if e.downcast_ref::<BadInput>().is_some() {
                say!("brinery: {e}");
                ExitCode::from(2)
            } else {
                say!("brinery: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
