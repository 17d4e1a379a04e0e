#!/usr/bin/env bash
# `make bench`, scan part: brinery scan vs picklescan, fickling and modelscan.
#  1. tests/scan/make_corpus.py writes the malicious and benign corpora (.venv, requirements/scan.txt);
#  2. benches/make_big_models.py writes model-sized files (a 1 GiB torch-style zip, a 256 MiB pickle);
#  3. benches/scan_compare.py times the four tools and writes $TARGET/bench-scan.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET/bench-scan"
PY="$(bash scripts/python-env.sh scan)/python3"
VENV="$ROOT/.venv-scan-bench"
if [ ! -x "$VENV/bin/python3" ]; then python3 -m venv "$VENV"; fi
if ! cmp -s requirements/scan-bench.txt "$VENV/.installed"; then
    "$VENV/bin/python3" -m pip install --quiet --disable-pip-version-check -r requirements/scan-bench.txt
    cp requirements/scan-bench.txt "$VENV/.installed"
fi
cargo build --release -p brinery-cli
rm -rf "$OUT" && mkdir -p "$OUT"
"$PY" tests/scan/make_corpus.py "$OUT/corpus"
"$PY" benches/make_big_models.py "$OUT/big"
"$VENV/bin/python3" benches/scan_compare.py --brinery "$TARGET/release/brinery" \
    --corpus "$OUT/corpus" --big "$OUT/big" --markdown "$TARGET/bench-scan.md"
echo "==> $TARGET/bench-scan.md"
