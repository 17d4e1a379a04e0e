#!/usr/bin/env bash
# A short tour: CPython writes pickles, brinery disassembles, shows and
# re-pickles them, and the bytes are compared with what CPython writes; then
# pickle -> JSON -> pickle against json.dumps/pickle.dumps, and `brinery json`
# against `python3 -m json.tool`.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)"; exit 1; }
command -v python3 >/dev/null || { echo "python3 is required for the CPython side of the demo"; exit 1; }

echo "==> building brinery (release)"
cargo build --release --locked -q -p brinery-cli
BRINERY="$PWD/target/release/brinery"
DEMO="$PWD/target/demo"
rm -rf "$DEMO" && mkdir -p "$DEMO"

echo "==> CPython writes a few pickles into target/demo/"
python3 - "$DEMO" <<'PY'
import collections, datetime, decimal, pickle, sys
out = sys.argv[1]
shared = [1, 2, 3]
values = {
    "config": {"name": "brinery", "version": (0, 1), "ratio": 0.1, "big": 2**100,
               "tags": ["pickle", "json"], "blob": b"\x00\x01\xff", "nothing": None},
    "graph": {"a": shared, "b": shared, "cycle": None},
    "stdlib": [datetime.datetime(2026, 11, 21, 12, 30), decimal.Decimal("1.10"),
               collections.OrderedDict(x=1, y=2), complex(1, -2)],
}
values["graph"]["cycle"] = values["graph"]
for name, value in values.items():
    for protocol in (2, 5):
        with open(f"{out}/{name}.p{protocol}.pkl", "wb") as f:
            pickle.dump(value, f, protocol=protocol)
PY
ls "$DEMO"

echo
echo "==> brinery dis target/demo/config.p2.pkl   (same output as python3 -m pickletools)"
"$BRINERY" dis "$DEMO/config.p2.pkl" | head -20
echo "    ..."
if diff <("$BRINERY" dis "$DEMO/config.p2.pkl") <(python3 -m pickletools "$DEMO/config.p2.pkl") >/dev/null; then
    echo "    identical to python3 -m pickletools"
else
    echo "    DIFFERS from python3 -m pickletools"; exit 1
fi

echo
for name in config graph stdlib; do
    echo "==> brinery show target/demo/$name.p5.pkl"
    "$BRINERY" show "$DEMO/$name.p5.pkl"
done

echo
echo "==> brinery convert: re-pickle every file at every protocol, compare with CPython"
fail=0
for f in "$DEMO"/*.pkl; do
    for protocol in 0 1 2 3 4 5; do
        ours=$("$BRINERY" convert "$f" --to pickle --protocol "$protocol" | od -An -tx1 | tr -d ' \n')
        theirs=$(python3 -c 'import pickle,sys; sys.stdout.buffer.write(pickle.dumps(pickle.loads(open(sys.argv[1],"rb").read()), protocol=int(sys.argv[2])))' "$f" "$protocol" | od -An -tx1 | tr -d ' \n')
        if [ "$ours" = "$theirs" ]; then verdict="identical"; else verdict="DIFFERENT"; fail=1; fi
        printf "    %-16s -> protocol %s: %s\n" "$(basename "$f")" "$protocol" "$verdict"
    done
done
[ "$fail" = 0 ] && echo "==> all bytes identical to CPython's" || { echo "==> some bytes differ"; exit 1; }

echo
echo "==> pickle -> JSON without running the pickle: brinery convert --to json --indent 2"
python3 - "$DEMO" <<'PY'
import pickle, sys
out = sys.argv[1]
record = {"user": "ada", "scores": [9.5, 1e-7, 1e16], "big": 2**70, "tags": ("a", "é"), "ok": True, "none": None}
open(f"{out}/record.pkl", "wb").write(pickle.dumps(record, protocol=5))
PY
"$BRINERY" convert "$DEMO/record.pkl" --to json --indent 2 | tee "$DEMO/record.json"
theirs=$(python3 -c 'import json,pickle,sys; print(json.dumps(pickle.loads(open(sys.argv[1],"rb").read()), indent=2))' "$DEMO/record.pkl")
[ "$theirs" = "$(cat "$DEMO/record.json")" ] && echo "    identical to json.dumps(pickle.loads(data), indent=2)" || { echo "    DIFFERS from json.dumps"; exit 1; }

echo
echo "==> the other way: brinery convert record.json --to pickle, compared with pickle.dumps(json.loads(text))"
ours=$("$BRINERY" convert "$DEMO/record.json" --to pickle --protocol 4 | od -An -tx1 | tr -d ' \n')
theirs=$(python3 -c 'import json,pickle,sys; sys.stdout.buffer.write(pickle.dumps(json.loads(open(sys.argv[1]).read()), 4))' "$DEMO/record.json" | od -An -tx1 | tr -d ' \n')
[ "$ours" = "$theirs" ] && echo "    identical" || { echo "    DIFFERENT"; exit 1; }

echo
echo "==> brinery json (a drop-in for python3 -m json.tool), on valid and broken input"
printf '{"b": [1, 2.50, 1E400], "a": "\\u00e9"}' > "$DEMO/small.json"
"$BRINERY" json --sort-keys "$DEMO/small.json"
printf '{"a": 1,}' > "$DEMO/broken.json"
set +e
ours=$("$BRINERY" json "$DEMO/broken.json" 2>&1); ours_status=$?
theirs=$(python3 -m json.tool "$DEMO/broken.json" 2>&1); theirs_status=$?
set -e
echo "    brinery: $ours (exit $ours_status)"
[ "$ours" = "$theirs" ] && [ "$ours_status" = "$theirs_status" ] && echo "    same message and exit status as python3 -m json.tool" || { echo "    DIFFERS from json.tool: $theirs"; exit 1; }

echo
echo "==> brinery scan: a pickle that would run a shell command, beside a harmless one"
python3 - "$DEMO" <<'PY'
import os, pickle, sys
class Evil:
    def __reduce__(self):
        return (os.system, ("echo this would have run",))
open(f"{sys.argv[1]}/evil.pkl", "wb").write(pickle.dumps(Evil(), 4))
open(f"{sys.argv[1]}/good.pkl", "wb").write(pickle.dumps({"weights": [0.5, 1.5]}, 4))
PY
set +e
"$BRINERY" scan "$DEMO/good.pkl" "$DEMO/evil.pkl"; scan_status=$?
set -e
[ "$scan_status" = 1 ] && echo "    exit status 1: something dangerous was found (nothing was run)" || { echo "    unexpected exit status $scan_status"; exit 1; }

echo
echo "==> model files: a checkpoint torch wrote, read without torch; then converted to safetensors"
"$BRINERY" show tests/models/fixtures/training.pt | sed -n '1,6p;18,$p'
"$BRINERY" convert tests/models/fixtures/layouts.pt --to safetensors -o "$DEMO/layouts.safetensors"
set +e
refusal="$("$BRINERY" show tests/models/fixtures/full_model.pt 2>&1)"; show_status=$?
set -e
echo "$refusal" | sed -n '1,2p'

[ "$show_status" = 2 ] && echo "    a full-model save names classes, so it is refused unless --allow-unsafe" || { echo "    unexpected exit status $show_status"; exit 1; }
echo "==> a scikit-learn pipeline saved with joblib.dump: its arrays, read without Python (classes stay inert)"
"$BRINERY" show --allow-unsafe --max-len 300 tests/models/fixtures/sklearn_pipeline.joblib

echo
echo "==> the Python module (built into .venv): drop-in brinery.pickle, safe brinery.loads"
PYTHON="$(bash scripts/python-build.sh test)/python3"
"$PYTHON" - "$DEMO" <<'PY'
import pickle, sys
import brinery, brinery.pickle
value = {"user": "ada", "scores": [9.5, 1e-7], "big": 2**70, "shared": [[1]] * 2}
for proto in range(6):
    assert brinery.pickle.dumps(value, proto) == pickle.dumps(value, proto)
print("    brinery.pickle.dumps == pickle.dumps at protocols 0-5")
print("    brinery.loads(good.pkl) ->", brinery.loads(open(f"{sys.argv[1]}/good.pkl", "rb").read()))
try:
    brinery.loads(open(f"{sys.argv[1]}/evil.pkl", "rb").read())
except brinery.UnsafeGlobalError as e:
    print("    brinery.loads(evil.pkl) ->", type(e).__name__ + ":", e)
report = brinery.scan(f"{sys.argv[1]}/evil.pkl")
print("    brinery.scan(evil.pkl).verdict ->", report.verdict, [(f.what, f.offset) for f in report.findings])
PY
