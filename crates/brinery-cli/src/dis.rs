//! `brinery dis`: placeholder, being written.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct DisArgs {
    /// Pickle files.
    files: Vec<PathBuf>,
}

pub(crate) fn run(_args: &DisArgs) -> Result<()> {
    anyhow::bail!("not yet")
}
