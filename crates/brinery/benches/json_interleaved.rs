//! brinery's JSON parse and write beside serde_json's, timed in alternation.
//!
//! criterion (`benches/json.rs`) times each benchmark in its own stretch of
//! a run, and on a shared VM the machine's speed drifts by tens of percent
//! between stretches, which swamps a ratio near 1. Here each round times
//! brinery and then serde_json on the same document back to back, so both
//! see the same machine, and the ratio is taken per round; the table gives
//! the median round's times and the median of the per-round ratios.
//!
//! `make bench` runs it after the criterion benches:
//!
//! ```text
//! cargo bench -p brinery --bench json_interleaved [-- ROUNDS] [DOCUMENT...]
//! ```

use brinery::json::{self, DumpOptions, LoadOptions};
use std::hint::black_box;
use std::time::Instant;

#[path = "support/json_data.rs"]
mod json_data;
use json_data::{data_dir, DOCUMENTS};

/// Bytes of input (or output) each timed stretch handles: enough to last
/// several milliseconds, so the clock's resolution does not matter.
const BYTES_PER_ROUND: usize = 20 << 20;

/// Seconds per call of `f`, over `calls` calls.
fn per_call(calls: usize, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..calls {
        f();
    }
    start.elapsed().as_secs_f64() / calls as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// brinery's and serde_json's times per call, one pair per round.
struct Pairs {
    brinery: Vec<f64>,
    serde_json: Vec<f64>,
}

impl Pairs {
    fn new() -> Self {
        Pairs { brinery: Vec::new(), serde_json: Vec::new() }
    }

    /// `| brinery | serde_json | serde_json / brinery |` for the median round.
    fn cells(&self) -> String {
        let ratios = self.brinery.iter().zip(&self.serde_json).map(|(b, s)| s / b).collect();
        format!(
            "{:.3} ms | {:.3} ms | {:.2}×",
            median(self.brinery.clone()) * 1e3,
            median(self.serde_json.clone()) * 1e3,
            median(ratios)
        )
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a number among the arguments is the
    // round count, and document names pick documents (default: all three).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds = args.iter().find_map(|a| a.parse::<usize>().ok()).unwrap_or(31);
    let picked: Vec<&str> = DOCUMENTS.into_iter().filter(|d| args.iter().any(|a| a == d)).collect();
    let documents = if picked.is_empty() { DOCUMENTS.to_vec() } else { picked };
    let load = LoadOptions::default();
    let compact = DumpOptions::default().separators(",", ":").ensure_ascii(false);
    println!("JSON, brinery beside serde_json in alternation ({rounds} rounds; median round, median per-round ratio)");
    println!();
    println!("| document | parse brinery | parse serde_json | serde_json / brinery | write brinery (compact) | write serde_json | serde_json / brinery |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for name in documents {
        let path = data_dir().join(format!("{name}.json"));
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("json_interleaved: skipping {name}: {}: {e}", path.display());
                continue;
            }
        };
        let value = json::loads(&bytes[..], &load).expect("benchmark documents parse");
        let serde_value: serde_json::Value = serde_json::from_slice(&bytes).expect("benchmark documents parse");
        let calls = (BYTES_PER_ROUND / bytes.len()).max(3);
        let (mut parse, mut write) = (Pairs::new(), Pairs::new());
        for _ in 0..rounds {
            parse.brinery.push(per_call(calls, || drop(black_box(json::loads(black_box(&bytes[..]), &load).unwrap()))));
            parse.serde_json.push(per_call(calls, || {
                drop(black_box(serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).unwrap()))
            }));
            write.brinery.push(per_call(calls, || drop(black_box(json::dumps(black_box(&value), &compact).unwrap()))));
            write
                .serde_json
                .push(per_call(calls, || drop(black_box(serde_json::to_vec(black_box(&serde_value)).unwrap()))));
        }
        println!("| {name} | {} | {} |", parse.cells(), write.cells());
    }
}
