//! JSON throughput: brinery against serde_json, on the three standard JSON
//! benchmark documents (`../shared/data/json-benchmark/`: twitter.json,
//! citm_catalog.json, canada.json). `make bench` runs it next to the pickle
//! benchmarks and `benches/compare_json.py` puts CPython's `json` beside it.
//!
//! For each document `NAME`, with the document size as throughput:
//!
//! - `json-parse/brinery/NAME`: `brinery::json::loads` of the bytes into a `Value`;
//! - `json-parse/serde_json/NAME`: `serde_json::from_slice::<serde_json::Value>`;
//! - `json-write/brinery/NAME`: `brinery::json::dumps` of the loaded value,
//!   default options (what `json.dumps(obj)` writes);
//! - `json-write/brinery-compact/NAME`: the same with `separators=(",", ":")`
//!   and `ensure_ascii=False`: the bytes serde_json writes (floats aside);
//! - `json-write/serde_json/NAME`: `serde_json::to_vec` of the `serde_json::Value`.
//!
//! The data folder can be overridden with `BRINERY_JSON_DATA`.

use brinery::json::{self, DumpOptions, LoadOptions};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;

#[path = "support/json_data.rs"]
mod json_data;
use json_data::{data_dir, DOCUMENTS};

fn bench_json(c: &mut Criterion) {
    let dir = data_dir();
    let docs: Vec<(&str, Vec<u8>)> = DOCUMENTS
        .iter()
        .filter_map(|name| match std::fs::read(dir.join(format!("{name}.json"))) {
            Ok(bytes) => Some((*name, bytes)),
            Err(e) => {
                eprintln!("json bench: skipping {name}: {}/{name}.json: {e}", dir.display());
                None
            }
        })
        .collect();
    let load_opts = LoadOptions::default();

    let mut parse = c.benchmark_group("json-parse");
    parse.sample_size(20).sampling_mode(SamplingMode::Flat);
    for (name, bytes) in &docs {
        parse.throughput(Throughput::Bytes(bytes.len() as u64));
        parse.bench_with_input(BenchmarkId::new("brinery", name), bytes, |b, bytes| {
            b.iter(|| json::loads(black_box(&bytes[..]), &load_opts).unwrap())
        });
        parse.bench_with_input(BenchmarkId::new("serde_json", name), bytes, |b, bytes| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(bytes)).unwrap())
        });
    }
    parse.finish();

    let mut write = c.benchmark_group("json-write");
    write.sample_size(20).sampling_mode(SamplingMode::Flat);
    let default = DumpOptions::default();
    let compact = DumpOptions::default().separators(",", ":").ensure_ascii(false);
    for (name, bytes) in &docs {
        let value = json::loads(&bytes[..], &load_opts).unwrap();
        let serde_value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        let out_len = json::dumps(&value, &default).unwrap().len();
        write.throughput(Throughput::Bytes(out_len as u64));
        write.bench_with_input(BenchmarkId::new("brinery", name), &value, |b, v| {
            b.iter(|| json::dumps(black_box(v), &default).unwrap())
        });
        write.bench_with_input(BenchmarkId::new("brinery-compact", name), &value, |b, v| {
            b.iter(|| json::dumps(black_box(v), &compact).unwrap())
        });
        write.bench_with_input(BenchmarkId::new("serde_json", name), &serde_value, |b, v| {
            b.iter(|| serde_json::to_vec(black_box(v)).unwrap())
        });
    }
    write.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500));
    targets = bench_json
}
criterion_main!(benches);
