#!/usr/bin/env bash
# Builds the Python package `brinery` (python/brinery + the native module from
# crates/brinery-python) and installs it into .venv in editable mode, so
# `.venv/bin/python3 -c "import brinery"` uses this checkout.
# Usage: scripts/python-build.sh [test|bench]   (which requirements to install first)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(bash scripts/python-env.sh "${1:-test}")"
# Release: the Python tests pickle megabytes and the benchmarks need it anyway.
VIRTUAL_ENV="$PWD/.venv" "$bin/maturin" develop --release --quiet >&2
echo "$bin"
