//! Where the JSON benchmarks find their documents.

use std::path::PathBuf;

/// The three documents of `../shared/data/json-benchmark/`.
pub const DOCUMENTS: [&str; 3] = ["twitter", "citm_catalog", "canada"];

/// `BRINERY_JSON_DATA`, or `../shared/data/json-benchmark` beside the repository.
pub fn data_dir() -> PathBuf {
    std::env::var_os("BRINERY_JSON_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/json-benchmark"))
}
