//! Times loading a PyTorch checkpoint up to every tensor's metadata.
//!
//! ```sh
//! cargo run --release -p brinery-models --example load_checkpoint -- FILE [--repeat N]
//! ```
//!
//! One run is what a program does before it can use the weights: open and
//! memory-map `FILE` ([`MappedFile::open`]), load it ([`torch::load`] with the
//! default options, so the safety scan runs too), and walk
//! [`Checkpoint::tensors`](torch::Checkpoint::tensors) reading each tensor's
//! name, dtype, shape and stride. The tensor bytes are not touched: only the
//! pages holding the ZIP directory and `data.pkl` are read from the map.
//!
//! Runs `N` times (default 5) and prints one JSON line:
//! `{"file", "runs_s": [...], "median_s", "tensors", "total_bytes"}`, where
//! `total_bytes` is the sum of the tensors' sizes as their shapes and dtypes
//! give them (a shared storage viewed by two names counts twice). Used by
//! `benches/models_load.py` (`make bench`).

use brinery_models::{torch, MappedFile};
use std::hint::black_box;
use std::time::Instant;

/// What one run found: tensor count and their total size in bytes.
fn load_once(path: &str) -> Result<(usize, usize), brinery_models::Error> {
    let file = MappedFile::open(path)?;
    let checkpoint = torch::load(&file, &torch::LoadOptions::default())?;
    let mut count = 0;
    let mut bytes = 0;
    for (name, tensor) in checkpoint.tensors()? {
        black_box((&name, tensor.dtype, &tensor.shape, &tensor.stride));
        count += 1;
        bytes += tensor.nbytes();
    }
    Ok((count, bytes))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut repeat = 5usize;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeat" => {
                repeat = args.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0).unwrap_or_else(|| usage())
            }
            _ if path.is_none() && !arg.starts_with("--") => path = Some(arg),
            _ => usage(),
        }
    }
    let path = path.unwrap_or_else(|| usage());

    let mut runs = Vec::with_capacity(repeat);
    let mut found = (0, 0);
    for _ in 0..repeat {
        let start = Instant::now();
        found = load_once(&path).unwrap_or_else(|e| {
            eprintln!("load_checkpoint: {path}: {e}");
            std::process::exit(1)
        });
        runs.push(start.elapsed().as_secs_f64());
    }
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    let median = if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 };
    let line = serde_json::json!({
        "file": path,
        "runs_s": runs,
        "median_s": median,
        "tensors": found.0,
        "total_bytes": found.1,
    });
    println!("{line}");
}

fn usage() -> ! {
    eprintln!("usage: load_checkpoint FILE [--repeat N]");
    std::process::exit(2)
}
