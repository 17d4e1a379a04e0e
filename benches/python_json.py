#!/usr/bin/env python3
"""Time ``brinery.json`` against CPython's ``json`` (C accelerated), orjson,
msgspec and ujson, in one process.

    python3 benches/python_json.py [--repeat 7] [--markdown out.md] [--only twitter]

For each JSON benchmark document (``../shared/data/json-benchmark``:
twitter, citm_catalog, canada) loaded as Python objects, it times ``dumps``
of the objects and ``loads`` of the document text (a ``str``), with the
garbage collector on and off. Each figure is the median over ``--repeat``
repeats of the mean time per call in a repeat that runs for about
``--budget`` seconds. Before timing it checks that ``brinery.json.dumps``
gives exactly ``json.dumps``' text and ``brinery.json.loads`` the same
objects. It prints the table and the ratios (how many times faster brinery
is than each; above 1 is faster) and writes them as markdown with
``--markdown``. Packages that are not installed are left out
(``scripts/python-env.sh bench`` installs them from requirements/bench.txt).
"""

import argparse
import gc
import importlib
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import brinery.json as bjson

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "json-benchmark"
DOCUMENTS = ("twitter", "citm_catalog", "canada")


def implementations():
    """``{name: (dumps, loads)}`` for every implementation that is installed."""
    impls = {"brinery": (bjson.dumps, bjson.loads), "json": (json.dumps, json.loads)}
    optional = {
        "orjson": lambda m: (m.dumps, m.loads),
        "msgspec": lambda m: (m.json.encode, m.json.decode),
        "ujson": lambda m: (m.dumps, m.loads),
    }
    for name, pick in optional.items():
        try:
            importlib.import_module(name if name != "msgspec" else "msgspec.json")
            impls[name] = pick(sys.modules[name])
        except ImportError:
            print(f"({name} is not installed: left out)", file=sys.stderr)
    return impls


def time_per_call(fn, arg, repeat, budget, gc_on):
    """Median over `repeat` runs of the mean seconds per call."""
    # Calibrate: enough calls to fill `budget` seconds.
    start = time.perf_counter()
    fn(arg)
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(budget / once))
    results = []
    was_enabled = gc.isenabled()
    try:
        (gc.enable if gc_on else gc.disable)()
        for _ in range(repeat):
            gc.collect()
            start = time.perf_counter()
            for _ in range(loops):
                fn(arg)
            results.append((time.perf_counter() - start) / loops)
    finally:
        (gc.enable if was_enabled else gc.disable)()
    return statistics.median(results)


def check(document, text, obj):
    """brinery must agree with json before its speed means anything."""
    if bjson.dumps(obj) != json.dumps(obj):
        sys.exit(f"{document}: brinery.json.dumps differs from json.dumps")
    if repr(bjson.loads(text)) != repr(json.loads(text)):
        sys.exit(f"{document}: brinery.json.loads differs from json.loads")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per repeat")
    parser.add_argument("--markdown", type=Path, help="write the table here")
    parser.add_argument("--json", type=Path, help="write the results here (read by benches/chart.py)")
    parser.add_argument("--only", action="append", choices=DOCUMENTS, help="documents to run (default: all)")
    args = parser.parse_args()

    impls = implementations()
    names = list(impls)
    rows = []  # (document, operation, gc, {impl: seconds})
    for document in args.only or DOCUMENTS:
        text = (DATA / f"{document}.json").read_text(encoding="utf-8")
        obj = json.loads(text)
        check(document, text, obj)
        for operation, index, arg in (("dumps", 0, obj), ("loads", 1, text)):
            for gc_on in (True, False):
                times = {n: time_per_call(impls[n][index], arg, args.repeat, args.budget, gc_on) for n in names}
                rows.append((document, operation, "on" if gc_on else "off", times))
                shown = "  ".join(f"{n} {t * 1e3:8.3f} ms" for n, t in times.items())
                print(f"{document:13} {operation} gc {rows[-1][2]:3}  {shown}", flush=True)

    table = markdown(rows, names)
    print()
    print(table)
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    if args.json:
        records = [{"document": d, "op": o, "gc": g, "times": t} for d, o, g, t in rows]
        args.json.write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")


def markdown(rows, names):
    others = [n for n in names if n != "brinery"]
    head = (
        f"Python {platform.python_version()} on {platform.machine()}; "
        "median time per call in ms; `× x` = how many times faster brinery is than x "
        "(above 1: brinery is faster). Only brinery and json write the same text "
        "(json.dumps' exact output); orjson/msgspec return bytes in their own compact layout.\n\n"
    )
    header = ["document", "op", "gc", *names, *(f"× {n}" for n in others)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for document, operation, gc_state, times in rows:
        cells = [document, operation, gc_state]
        cells += [f"{times[n] * 1e3:.3f}" for n in names]
        cells += [f"{times[n] / times['brinery']:.2f}" for n in others]
        lines.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
