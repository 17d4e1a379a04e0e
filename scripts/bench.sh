#!/usr/bin/env bash
# `make bench`: pickle benchmarks in one go.
#
#  1. benches/make_datasets.py pickles the JSON benchmark documents
#     (../shared/data/json-benchmark) and pyperformance's bm_pickle objects
#     with CPython at protocols 2 and 5, into $TARGET/bench-data;
#  2. criterion times brinery (decode and encode) and serde-pickle (decode)
#     on those bytes (crates/brinery/benches/pickle.rs);
#  3. benches/compare.py times CPython's pickle.loads/dumps on the same bytes
#     and writes the table with ratios to $TARGET/bench-results.md;
#  4. criterion times brinery's JSON parse/write beside serde_json on the
#     three JSON benchmark documents (crates/brinery/benches/json.rs), then
#     times the two again in alternation, round by round, which this VM's
#     drifting speed cannot skew (benches/json_interleaved.rs, written to
#     $TARGET/bench-json-interleaved.md), and benches/compare_json.py adds
#     CPython's json and orjson (installed in .venv from requirements/bench.txt),
#     written to $TARGET/bench-json.md;
#  5. the Python package is built into .venv and benches/python_pickle.py
#     times brinery.pickle beside CPython's C pickle on pyperformance's
#     bm_pickle workloads (GC on and off), written to $TARGET/bench-python-pickle.md,
#     and benches/python_json.py times brinery.json beside json, orjson, msgspec
#     and ujson on the JSON benchmark documents ($TARGET/bench-python-json.md),
#     and benches/chart.py draws both as $TARGET/bench-python.svg (the README's chart);
#  6. scripts/bench-scan.sh times brinery scan against picklescan, fickling
#     and modelscan ($TARGET/bench-scan.md);
#  7. scripts/bench-models.sh times loading a ~1 GB PyTorch checkpoint with
#     brinery-models beside torch.load and safetensors ($TARGET/bench-models.md;
#     needs .venv-fixtures, several GB, created on first use).
#
# Extra arguments go to criterion, e.g. `scripts/bench.sh twitter` to run
# only the benchmarks whose id contains "twitter".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
DATA="$TARGET/bench-data"
# The project venv: CPython plus the packages compared against (orjson).
PYTHON="${PYTHON:-$(bash scripts/python-env.sh bench)/python3}"

echo "==> datasets: $DATA"
"$PYTHON" benches/make_datasets.py "$DATA"

echo "==> criterion: cargo bench -p brinery --bench pickle"
# Results criterion writes from now on are this run's; older ones are stale.
STARTED="$(date +%s)"
BRINERY_BENCH_DATA="$DATA" cargo bench -p brinery --bench pickle -- "$@"

echo "==> CPython and ratios"
"$PYTHON" benches/compare.py \
    --data "$DATA" \
    --criterion "$TARGET/criterion" \
    --since "$STARTED" \
    --markdown "$TARGET/bench-results.md" \
    --json "$TARGET/bench-results.json"

echo "==> criterion: cargo bench -p brinery --bench json"
STARTED="$(date +%s)"
cargo bench -p brinery --bench json -- "$@"

echo "==> brinery beside serde_json in alternation: cargo bench -p brinery --bench json_interleaved"
cargo bench -p brinery --bench json_interleaved | tee "$TARGET/bench-json-interleaved.md"

echo "==> CPython json, orjson and ratios"
"$PYTHON" benches/compare_json.py \
    --criterion "$TARGET/criterion" \
    --since "$STARTED" \
    --markdown "$TARGET/bench-json.md"

echo "==> Python package: brinery.pickle beside CPython's C pickle (bm_pickle workloads)"
bash scripts/python-build.sh bench >/dev/null
"$PYTHON" benches/python_pickle.py --markdown "$TARGET/bench-python-pickle.md" --json "$TARGET/bench-python-pickle.json"

echo "==> Python package: brinery.json beside json, orjson, msgspec, ujson"
"$PYTHON" benches/python_json.py --markdown "$TARGET/bench-python-json.md" --json "$TARGET/bench-python-json.json"

# The README's chart (docs/bench-python.svg is the copy of a recorded run).
"$PYTHON" benches/chart.py "$TARGET/bench-python-pickle.json" "$TARGET/bench-python-json.json" \
    "$TARGET/bench-python.svg" --title "brinery's Python module vs CPython and orjson ($(date +%F), $(uname -m))"
echo "    chart: $TARGET/bench-python.svg"

echo "==> scan: brinery scan vs picklescan, fickling, modelscan"
bash scripts/bench-scan.sh

echo "==> models: loading a 1 GB checkpoint, brinery vs torch.load and safetensors"
bash scripts/bench-models.sh
