#!/usr/bin/env bash
# `make fuzz`: runs every cargo-fuzz target for FUZZ_SECONDS (default 300)
# each, seeded from the test suites (the CPython pickle corpus, JSONTestSuite,
# the model fixtures). `make test` runs it as a smoke (FUZZ_SECONDS=10,
# FUZZ_SANITIZER=none) so CI catches regressions on every change.
#
# FUZZ_SANITIZER: `address` (AddressSanitizer, needs a nightly toolchain) or
# `none` (builds on stable: panics, hangs, out-of-memory and the targets'
# assertions are still caught). Default: address when a nightly toolchain is
# installed, none otherwise. cargo-fuzz is installed here if missing.
#
# A crash is saved by libFuzzer under fuzz/artifacts/<target>/; once fixed,
# copy the input to fuzz/regressions/<target>/ under a name that says what
# it was, and `make test` replays it from then on (crates/brinery/tests/fuzz_corpus.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${FUZZ_SECONDS:-300}"
TARGETS="${FUZZ_TARGETS:-pickle_loads json_loads pickle_roundtrip json_roundtrip model_files scan_bytes dis}"

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    TOOLCHAIN="+nightly"
    SANITIZER="${FUZZ_SANITIZER:-address}"
else
    TOOLCHAIN=""
    SANITIZER="${FUZZ_SANITIZER:-none}"
    if [ "$SANITIZER" != none ]; then
        echo "FUZZ_SANITIZER=$SANITIZER needs a nightly toolchain (rustup toolchain install nightly)"
        exit 1
    fi
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
echo "==> cargo ${TOOLCHAIN:-(default toolchain)} fuzz, sanitizer: $SANITIZER, ${SECONDS_EACH}s per target"

echo "==> seeds from the test suites"
SEEDS="fuzz/target/seeds"
rm -rf "$SEEDS" && mkdir -p "$SEEDS/pickle" "$SEEDS/json" "$SEEDS/models"
python3 tests/corpus/make_corpus.py "$SEEDS/generated" >/dev/null
find "$SEEDS/generated" -name '*.pkl' -size -64k -exec cp {} "$SEEDS/pickle/" \;
cp ../shared/data/JSONTestSuite/test_parsing/*.json ../shared/data/JSONTestSuite/test_transform/*.json "$SEEDS/json/"
# Checkpoints of every torch era, numpy and joblib files (all under 64 KiB), for the model readers and the scanner.
cp tests/models/fixtures/*.pt tests/models/fixtures/*.npy tests/models/fixtures/*.npz tests/models/fixtures/*.joblib \
    tests/models/fixtures/*.pkl "$SEEDS/models/"

cd fuzz
failed=""
for target in $TARGETS; do
    case "$target" in
        pickle_loads | dis) seeds="../$SEEDS/pickle ../fuzz/corpus-min/pickle_loads ../fuzz/regressions/$target" ;;
        json_loads) seeds="../$SEEDS/json ../fuzz/corpus-min/json_loads ../fuzz/regressions/json_loads" ;;
        model_files | scan_bytes) seeds="../$SEEDS/models ../$SEEDS/pickle ../fuzz/corpus-min/scan_bytes ../fuzz/regressions/$target" ;;
        *) seeds="../fuzz/regressions/$target" ;;
    esac
    mkdir -p "corpus/$target"
    echo "==> $target for ${SECONDS_EACH}s"
    # shellcheck disable=SC2086
    if ! cargo $TOOLCHAIN fuzz run -O -s "$SANITIZER" "$target" "corpus/$target" $seeds -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1; then
        failed="$failed $target"
    fi
done
cd ..

# The Python module against CPython (atheris): differences are counted in
# fuzz/target/python-<mode>.json (see docs/fuzzing.md for the deliberate
# ones); a crash of brinery fails the run. FUZZ_PYTHON=0 skips it.
if [ "${FUZZ_PYTHON:-1}" != 0 ]; then
    PY="$(bash scripts/python-env.sh fuzz)/python3"
    bash scripts/python-build.sh fuzz >/dev/null
    for mode in pickle json; do
        corpus="fuzz/corpus-min/${mode}_loads"
        echo "==> python $mode loaders vs CPython for ${SECONDS_EACH}s"
        mkdir -p "fuzz/target/python-$mode" fuzz/artifacts/python
        if ! "$PY" tests/fuzz_python/differential.py "$mode" "fuzz/target/python-$mode.json" \
            -max_total_time="$SECONDS_EACH" -rss_limit_mb=3500 -artifact_prefix=fuzz/artifacts/python/ \
            "fuzz/target/python-$mode" "$corpus" > "fuzz/target/python-$mode.log" 2>&1; then
            tail -20 "fuzz/target/python-$mode.log"
            failed="$failed python-$mode"
        fi
        "$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("   ", r["inputs"], "inputs; differences:", {k: v["count"] for k, v in r["differences"].items()} or "none")' "fuzz/target/python-$mode.json"
    done
fi

if [ -n "$failed" ]; then
    echo "==> failures in:$failed (inputs under fuzz/artifacts/)"
    exit 1
fi
echo "==> no failures"
