#!/usr/bin/env bash
# Sets up and runs every test: formatting, lints, unit/doc/integration tests
# (the differential ones run python3 to generate the CPython corpus), the
# Python module's tests (on the release build and on one with debug
# assertions), and a short fuzz of every target (FUZZ_SMOKE_SECONDS
# each, default 10; 0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)"; exit 1; }
command -v python3 >/dev/null || { echo "python3 (3.11) is required: CPython is the test oracle"; exit 1; }

echo "==> Python test environment (.venv, requirements/scan.txt = test.txt + the libraries the scan corpus is written with)"
# The tests run `python3` as the oracle; the venv's python3 has the test
# packages (jsonpickle) on top of the same CPython.
PATH="$(bash scripts/python-env.sh scan):$PATH"
export PATH

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test"
# The integration tests write their generated corpora and scratch files under
# target/tmp, one folder per test process, and keep them for inspection after
# a failure; each run starts by removing the previous run's (they add up to
# hundreds of MB per run otherwise).
rm -rf "${CARGO_TARGET_DIR:-target}/tmp"
cargo test --workspace --locked
echo "==> Python package (maturin develop --release into .venv) and pytest under PYTHONMALLOC=debug"
bash scripts/python-build.sh scan >/dev/null
# Python's debug allocator hooks (PYTHONMALLOC=debug) and development mode
# catch a native module's memory misuse: writes past a buffer, frees with the
# wrong allocator, allocation without the GIL.
PYTHONMALLOC=debug python3 -X dev -m pytest -q tests/python
echo "==> the Python suite again, on a build with Rust debug assertions and overflow checks"
# Optimised, so the suite stays quick, but with debug_assert!s, integer
# overflow checks and the standard library's checked preconditions on; its
# own target folder keeps both builds incremental.
CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true \
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/assertions" bash scripts/python-build.sh scan >/dev/null
PYTHONMALLOC=debug python3 -X dev -m pytest -q tests/python
# Back to the release module for whatever runs next (benchmarks, the demo).
bash scripts/python-build.sh scan >/dev/null
echo "==> fuzz smoke: every cargo-fuzz target for ${FUZZ_SMOKE_SECONDS:-10}s (make fuzz runs them longer)"
if [ "${FUZZ_SMOKE_SECONDS:-10}" != 0 ]; then
    FUZZ_SECONDS="${FUZZ_SMOKE_SECONDS:-10}" FUZZ_SANITIZER=none bash scripts/fuzz.sh
fi
