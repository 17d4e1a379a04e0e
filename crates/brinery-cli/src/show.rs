//! `brinery show`: the value a pickle holds, as Python's repr() prints it;
//! for model files (PyTorch checkpoints, `.npy`/`.npz`, joblib), a table of
//! their tensors or arrays first.

use anyhow::Result;
use brinery::pickle::{LoadOptions, TrailingData};
use brinery::value::ReprOptions;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    /// Pickle file, or `-` for standard input.
    file: PathBuf,
    /// Print containers nested deeper than this as `...`.
    #[arg(long)]
    max_depth: Option<usize>,
    /// Print at most this many items of each container, then `...`.
    #[arg(long)]
    max_items: Option<usize>,
    /// Stop printing a value after this many bytes of text, then `...` (a
    /// pickle that shares sub-objects can expand enormously when printed).
    #[arg(long, default_value_t = 10_000_000)]
    max_len: usize,
    /// Show every pickle in the file, one per line (files written by repeated `pickle.dump`).
    #[arg(long)]
    all: bool,
    /// Read a model file even when the scan finds globals that are not plain data
    /// (a full-model save, TorchScript); nothing in it is run either way.
    #[arg(long)]
    allow_unsafe: bool,
}

pub(crate) fn run(args: &ShowArgs) -> Result<()> {
    let opts = ReprOptions {
        max_depth: args.max_depth.unwrap_or(usize::MAX),
        max_items: args.max_items.unwrap_or(usize::MAX),
        max_len: args.max_len,
    };
    if !args.all && crate::model::is_checkpoint(&args.file) {
        let opts = ReprOptions {
            max_depth: args.max_depth.unwrap_or(4),
            max_items: args.max_items.unwrap_or(20),
            max_len: args.max_len,
        };
        return crate::model::show(&args.file, args.allow_unsafe, opts);
    }
    if !args.all {
        if let Some(kind) = crate::model::array_file_kind(&args.file) {
            let opts = ReprOptions {
                max_depth: args.max_depth.unwrap_or(6),
                max_items: args.max_items.unwrap_or(20),
                max_len: args.max_len,
            };
            return crate::model::show_arrays(&args.file, kind, args.allow_unsafe, opts);
        }
    }
    let data = crate::read_input(&args.file)?;
    let name = args.file.display().to_string();
    let mut out = String::new();
    if args.all {
        let load = LoadOptions { trailing_data: TrailingData::Ignore, ..Default::default() };
        let mut rest = &data[..];
        while !rest.is_empty() {
            let (value, used) = brinery::pickle::loads_prefix(rest, &load).map_err(|e| {
                crate::BadInput(format!("{name}: not a valid pickle at byte {}: {e}", data.len() - rest.len()))
            })?;
            out.push_str(&value.repr_with(opts));
            out.push('\n');
            rest = &rest[used..];
        }
    } else {
        let value = crate::load_pickle(&data, &name, &LoadOptions::default())?;
        out.push_str(&value.repr_with(opts));
        out.push('\n');
    }
    crate::write_output(&PathBuf::from("-"), out.as_bytes())
}
