#!/usr/bin/env bash
# `make bench`, model part: loading a ~1 GB PyTorch checkpoint with brinery
# beside torch.load(weights_only=True) and safetensors.
#  1. .venv-fixtures (requirements/fixtures.txt: torch, safetensors) via scripts/python-env.sh;
#  2. the release build of crates/brinery-models/examples/load_checkpoint.rs;
#  3. benches/models_load.py writes the checkpoint and its safetensors twin
#     once into $TARGET/bench-models (~2.3 GB), times the tools and writes
#     the table to $TARGET/bench-models.md.
# Extra arguments go to models_load.py (e.g. --repeat 11).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PY="$(bash scripts/python-env.sh fixtures)/python3"
cargo build --release -p brinery-models --example load_checkpoint
"$PY" benches/models_load.py --brinery "$TARGET/release/examples/load_checkpoint" \
    --data "$TARGET/bench-models" --markdown "$TARGET/bench-models.md" "$@"
echo "==> $TARGET/bench-models.md"
