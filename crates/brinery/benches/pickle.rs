//! Pickle throughput: brinery against serde-pickle, on the bytes CPython writes.
//!
//! Inputs are the `NAME.pP.pkl` files of the directory named by the
//! `BRINERY_BENCH_DATA` environment variable, written by
//! `benches/make_datasets.py` (the JSON benchmark documents and pyperformance's
//! `bm_pickle` objects, pickled by CPython at protocols 2 and 5). `make bench`
//! (`scripts/bench.sh`) creates them and runs this binary; to run it alone:
//!
//! ```text
//! python3 benches/make_datasets.py target/bench-data
//! BRINERY_BENCH_DATA=$PWD/target/bench-data cargo bench -p brinery --bench pickle
//! ```
//!
//! For each file `NAME.pP.pkl` it measures, with the file size as throughput:
//!
//! - `decode/brinery/NAME.pP`: `brinery::pickle::loads` to a [`Value`] (borrowing from the bytes);
//! - `decode/serde-pickle/NAME.pP`: `serde_pickle::value_from_slice` on the same bytes
//!   (`decode/serde-pickle-replace-globals/NAME.pP` where its defaults reject the pickle);
//! - `encode/brinery/NAME.pP`: `brinery::pickle::dumps` of the loaded value at protocol P.
//!
//! Criterion writes each median to
//! `target/criterion/<group>/<library>/NAME.pP/new/estimates.json`, which
//! `benches/compare.py` reads next to CPython's timings.

use brinery::pickle::{self, DumpOptions, LoadOptions};
use brinery::Value;
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One input file: `NAME.pP.pkl` → id `NAME.pP`, protocol `P`, its bytes.
struct Dataset {
    id: String,
    protocol: u8,
    bytes: Vec<u8>,
}

/// Parses `NAME.pP.pkl` into `("NAME.pP", P)`.
fn parse_file_name(file_name: &str) -> Option<(String, u8)> {
    let id = file_name.strip_suffix(".pkl")?;
    let (_, protocol) = id.rsplit_once(".p")?;
    Some((id.to_owned(), protocol.parse().ok()?))
}

/// The data directory, or `None` (with a message saying why) when there is none.
fn data_dir() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("BRINERY_BENCH_DATA") else {
        eprintln!(
            "pickle bench: BRINERY_BENCH_DATA is not set; skipping all benchmarks.\n\
             Run `make bench`, or: python3 benches/make_datasets.py target/bench-data && \
             BRINERY_BENCH_DATA=$PWD/target/bench-data cargo bench -p brinery --bench pickle"
        );
        return None;
    };
    let dir = PathBuf::from(dir);
    if !dir.is_dir() {
        eprintln!("pickle bench: BRINERY_BENCH_DATA={} is not a directory; skipping all benchmarks.", dir.display());
        return None;
    }
    Some(dir)
}

/// Inputs at least this big take milliseconds per call: they get fewer,
/// equally sized samples so that each benchmark stays within its time budget.
const LARGE_INPUT: usize = 64 * 1024;

/// Sets the group up for the next benchmark, on an input of `len` bytes.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, len: usize) {
    group.throughput(Throughput::Bytes(len as u64));
    if len >= LARGE_INPUT {
        group.sample_size(10).sampling_mode(SamplingMode::Flat);
    } else {
        group.sample_size(30).sampling_mode(SamplingMode::Auto);
    }
}

/// Every `NAME.pP.pkl` file of `dir`, sorted by name.
fn load_datasets(dir: &Path) -> Vec<Dataset> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!("pickle bench: cannot read {}: {e}", dir.display());
            return Vec::new();
        }
    };
    let mut datasets: Vec<Dataset> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let (id, protocol) = parse_file_name(entry.file_name().to_str()?)?;
            let bytes = std::fs::read(entry.path()).ok()?;
            Some(Dataset { id, protocol, bytes })
        })
        .collect();
    datasets.sort_by(|a, b| a.id.cmp(&b.id));
    if datasets.is_empty() {
        eprintln!("pickle bench: no NAME.pP.pkl files in {}; skipping all benchmarks.", dir.display());
    }
    datasets
}

/// How serde-pickle builds its options for one benchmark.
type SerdeOptions = fn() -> serde_pickle::DeOptions;

fn serde_defaults() -> serde_pickle::DeOptions {
    serde_pickle::DeOptions::new()
}

fn serde_replace_globals() -> serde_pickle::DeOptions {
    serde_pickle::DeOptions::new().replace_unresolved_globals()
}

/// Which serde-pickle configuration can load `d`, with its benchmark name.
///
/// serde-pickle runs with its default options, exactly as a user would call
/// it. Those reject globals it does not know (`datetime.date` in
/// bm_pickle_dict); such inputs are benchmarked under their own name with
/// `replace_unresolved_globals()`, which loads the global as `None` (less work
/// than brinery's inert object, so that ratio flatters serde-pickle).
fn serde_pickle_variant(d: &Dataset) -> Option<(&'static str, SerdeOptions)> {
    let Err(e) = serde_pickle::value_from_slice(&d.bytes, serde_defaults()) else {
        return Some(("serde-pickle", serde_defaults));
    };
    match serde_pickle::value_from_slice(&d.bytes, serde_replace_globals()) {
        Ok(_) => {
            eprintln!(
                "decode/serde-pickle/{id}: serde-pickle's defaults reject it ({e}); \
                 benchmarked as decode/serde-pickle-replace-globals/{id}",
                id = d.id
            );
            Some(("serde-pickle-replace-globals", serde_replace_globals))
        }
        Err(e) => {
            eprintln!("decode/serde-pickle/{}: skipped, serde-pickle cannot load it: {e}", d.id);
            None
        }
    }
}

fn bench_pickle(c: &mut Criterion) {
    let Some(dir) = data_dir() else { return };
    let datasets = load_datasets(&dir);
    let load_opts = LoadOptions::default();

    let mut decode = c.benchmark_group("decode");
    for d in &datasets {
        configure(&mut decode, d.bytes.len());

        match pickle::loads(&d.bytes, &load_opts) {
            Ok(_) => {
                decode.bench_with_input(BenchmarkId::new("brinery", &d.id), &d.bytes, |b, bytes| {
                    b.iter(|| pickle::loads(black_box(bytes), &load_opts).unwrap())
                });
            }
            Err(e) => eprintln!("decode/brinery/{}: skipped, brinery cannot load it: {e}", d.id),
        }

        if let Some((name, de_opts)) = serde_pickle_variant(d) {
            decode.bench_with_input(BenchmarkId::new(name, &d.id), &d.bytes, |b, bytes| {
                b.iter(|| serde_pickle::value_from_slice(black_box(bytes), de_opts()).unwrap())
            });
        }
    }
    decode.finish();

    let mut encode = c.benchmark_group("encode");
    for d in &datasets {
        let Ok(value) = pickle::loads(&d.bytes, &load_opts) else {
            continue; // already reported above
        };
        let dump_opts = DumpOptions::protocol(d.protocol);
        match pickle::dumps(&value, &dump_opts) {
            Ok(out) => {
                if out != d.bytes {
                    // Still a fair benchmark, but worth knowing: the encoder
                    // is meant to write exactly what CPython wrote.
                    eprintln!("encode/brinery/{}: note: output differs from CPython's bytes", d.id);
                }
                // Throughput in output bytes (the same bytes CPython wrote).
                configure(&mut encode, out.len());
                encode.bench_with_input(BenchmarkId::new("brinery", &d.id), &value, |b, value: &Value<'_>| {
                    b.iter(|| pickle::dumps(black_box(value), &dump_opts).unwrap())
                });
            }
            Err(e) => eprintln!("encode/brinery/{}: skipped, brinery cannot dump it: {e}", d.id),
        }
    }
    encode.finish();
}

criterion_group! {
    name = benches;
    // Short runs: with 16 inputs × 3 benchmarks, criterion's defaults (3 s
    // warm-up + 5 s measurement each) would take six minutes on their own.
    // Sample sizes are set per input by `configure`.
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1000));
    targets = bench_pickle
}
criterion_main!(benches);
