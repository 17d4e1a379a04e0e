#!/usr/bin/env python3
"""Put brinery's criterion results next to CPython's pickle, per dataset.

Run after ``cargo bench -p brinery --bench pickle`` (``make bench`` does both):

    python3 benches/compare.py [--data target/bench-data] [--markdown target/bench-results.md]

For every ``NAME.pP.pkl`` in the data directory it times, on the same bytes,

* CPython ``pickle.loads(data)`` with the garbage collector off, and
* CPython ``pickle.dumps(obj, protocol=P)`` of the loaded object,

as the median per call over repeated runs (``timeit``-style: the loop count
is grown until one run takes ``--min-run`` seconds, then ``--repeat`` runs
are timed; the GC is off during timing, as ``timeit`` does). It reads
criterion's medians for ``decode/brinery/NAME.pP``,
``decode/serde-pickle/NAME.pP`` and ``encode/brinery/NAME.pP`` from
``target/criterion/**/new/{benchmark,estimates}.json``, prints a table with
the ratios the targets are stated in, and writes it as Markdown with
``--markdown``.

Ratios are "how many times faster brinery is": ``serde-pickle / brinery`` and
``CPython / brinery`` of the median times.
"""

import argparse
import gc
import json
import math
import pickle
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Targets from the benchmark issue: (label, column key, minimum ratio).
TARGETS = (
    ("decode ≥ 10× serde-pickle", "serde_ratio", 10.0),
    ("decode ≥ 3× CPython pickle.loads", "py_loads_ratio", 3.0),
    ("encode ≥ 3× CPython pickle.dumps", "py_dumps_ratio", 3.0),
)

LENIENT_NOTE = (
    "† serde-pickle's default options reject this pickle (unresolved global `datetime.date`); "
    "timed with `DeOptions::new().replace_unresolved_globals()`, which loads the global as None."
)

# Dataset order for the table: the order make_datasets.py writes them in.
DATASET_ORDER = (
    "twitter",
    "citm_catalog",
    "canada",
    "bm_pickle_dict",
    "bm_pickle_tuple",
    "bm_pickle_dict_group",
    "bm_pickle_list",
    "bm_pickle_micro_dict",
)


def median_per_call(func, min_run, repeat):
    """Median seconds per call of ``func()``, timeit-style, with the GC off."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        # Grow the loop count until one run takes at least `min_run` seconds.
        number = 1
        while True:
            start = time.perf_counter()
            for _ in range(number):
                func()
            elapsed = time.perf_counter() - start
            if elapsed >= min_run:
                break
            # Aim straight for the target, growing at least 2× and at most 100×.
            number *= min(100, max(2, math.ceil(min_run / max(elapsed, 1e-9) * 1.2)))
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(number):
                func()
            runs.append((time.perf_counter() - start) / number)
        return statistics.median(runs)
    finally:
        if gc_was_enabled:
            gc.enable()


def criterion_medians(criterion_dir, since=None):
    """Map criterion's full benchmark id (``decode/brinery/twitter.p5``) to its median in seconds.

    Criterion stores each benchmark under a directory derived from its id;
    rather than re-deriving the escaping rules, this reads the id back from
    each ``new/benchmark.json`` and the median from ``new/estimates.json``
    next to it. With ``since`` (a Unix time), results written before it
    (left over from an earlier run) are ignored.
    """
    medians = {}
    for meta_path in Path(criterion_dir).glob("**/new/benchmark.json"):
        estimates_path = meta_path.with_name("estimates.json")
        if not estimates_path.is_file():
            continue
        if since is not None and estimates_path.stat().st_mtime < since:
            continue
        full_id = json.loads(meta_path.read_text())["full_id"]
        median_ns = json.loads(estimates_path.read_text())["median"]["point_estimate"]
        medians[full_id] = median_ns * 1e-9
    return medians


def dataset_key(path):
    """Sort key: known datasets in make_datasets.py order, then protocol."""
    name, _, protocol = path.name.removesuffix(".pkl").rpartition(".p")
    rank = DATASET_ORDER.index(name) if name in DATASET_ORDER else len(DATASET_ORDER)
    return (rank, name, int(protocol))


def fmt_time(seconds):
    """A duration in s, ms, µs or ns, to about 3 significant digits."""
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}" if seconds / scale < 100 else f"{seconds / scale:.0f} {unit}"
    return f"{seconds / 1e-9:.0f} ns"


def fmt_size(n):
    """A byte count in B / KiB / MiB."""
    if n >= 1 << 20:
        return f"{n / (1 << 20):.2f} MiB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.1f} KiB"
    return f"{n} B"


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}×"


def ratio(slow, fast):
    """How many times faster ``fast`` is than ``slow`` (None if either is missing)."""
    if slow is None or fast is None or fast == 0:
        return None
    return slow / fast


def measure(data_dir, criterion_dir, since, min_run, repeat):
    """One row per dataset: sizes, medians and ratios."""
    medians = criterion_medians(criterion_dir, since)
    if not medians:
        print(f"compare.py: warning: no criterion results under {criterion_dir}", file=sys.stderr)
    rows = []
    for path in sorted(Path(data_dir).glob("*.p[0-9].pkl"), key=dataset_key):
        ident = path.name.removesuffix(".pkl")
        protocol = int(ident.rpartition(".p")[2])
        data = path.read_bytes()
        obj = pickle.loads(data)

        py_loads = median_per_call(lambda: pickle.loads(data), min_run, repeat)
        py_dumps = median_per_call(lambda: pickle.dumps(obj, protocol=protocol), min_run, repeat)
        row = {
            "dataset": ident,
            "size": len(data),
            "brinery_decode": medians.get(f"decode/brinery/{ident}"),
            "serde_decode": medians.get(f"decode/serde-pickle/{ident}"),
            "serde_lenient": False,
            "py_loads": py_loads,
            "brinery_encode": medians.get(f"encode/brinery/{ident}"),
            "py_dumps": py_dumps,
        }
        if row["serde_decode"] is None:
            # serde-pickle's defaults reject globals; the bench then runs it
            # with replace_unresolved_globals() under another name.
            row["serde_decode"] = medians.get(f"decode/serde-pickle-replace-globals/{ident}")
            row["serde_lenient"] = row["serde_decode"] is not None
        row["serde_ratio"] = ratio(row["serde_decode"], row["brinery_decode"])
        row["py_loads_ratio"] = ratio(py_loads, row["brinery_decode"])
        row["py_dumps_ratio"] = ratio(py_dumps, row["brinery_encode"])
        rows.append(row)
        print(f"  timed CPython on {ident}", file=sys.stderr)
    return rows


COLUMNS = (
    # (header, formatter of a row)
    ("dataset", lambda r: r["dataset"]),
    ("size", lambda r: fmt_size(r["size"])),
    ("brinery decode", lambda r: fmt_time(r["brinery_decode"])),
    ("serde-pickle decode", lambda r: fmt_time(r["serde_decode"]) + (" †" if r["serde_lenient"] else "")),
    ("CPython loads", lambda r: fmt_time(r["py_loads"])),
    ("serde/brinery", lambda r: fmt_ratio(r["serde_ratio"])),
    ("CPython/brinery", lambda r: fmt_ratio(r["py_loads_ratio"])),
    ("brinery encode", lambda r: fmt_time(r["brinery_encode"])),
    ("CPython dumps", lambda r: fmt_time(r["py_dumps"])),
    ("CPython/brinery (enc)", lambda r: fmt_ratio(r["py_dumps_ratio"])),
)


def geomean(values):
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else None


def summary(rows):
    """One line per target: how many datasets meet it, the worst and the geometric mean."""
    lines = []
    for label, key, minimum in TARGETS:
        values = [(r[key], r["dataset"]) for r in rows if r[key] is not None]
        if not values:
            lines.append(f"{label}: no data")
            continue
        met = sum(v >= minimum for v, _ in values)
        worst, worst_ds = min(values)
        lines.append(
            f"{label}: {'met' if met == len(values) else 'NOT met'} (met on {met}/{len(values)} datasets); "
            f"worst {worst:.2f}× ({worst_ds}), geometric mean {geomean([v for v, _ in values]):.2f}×"
        )
    return lines


def text_table(rows):
    cells = [[h for h, _ in COLUMNS]] + [[f(r) for _, f in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    out = []
    for n, row in enumerate(cells):
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def markdown_table(rows):
    header = "| " + " | ".join(h for h, _ in COLUMNS) + " |"
    align = "|" + "|".join([":---"] + ["---:"] * (len(COLUMNS) - 1)) + "|"
    body = ["| " + " | ".join(f(r) for _, f in COLUMNS) + " |" for r in rows]
    return "\n".join([header, align, *body])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "target" / "bench-data",
                        help="directory of NAME.pP.pkl files (default: target/bench-data)")
    parser.add_argument("--criterion", type=Path, default=REPO / "target" / "criterion",
                        help="criterion's output directory (default: target/criterion)")
    parser.add_argument("--since", type=float,
                        help="ignore criterion results older than this Unix time (stale from an earlier run)")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument("--json", type=Path, help="also write the raw numbers (seconds) as JSON to this file")
    parser.add_argument("--min-run", type=float, default=0.05,
                        help="minimum seconds per timed run of CPython (default: 0.05)")
    parser.add_argument("--repeat", type=int, default=11, help="timed runs per measurement (default: 11)")
    args = parser.parse_args()

    if not args.data.is_dir():
        sys.exit(f"compare.py: no data directory {args.data}; run benches/make_datasets.py first")
    rows = measure(args.data, args.criterion, args.since, args.min_run, args.repeat)
    if not rows:
        sys.exit(f"compare.py: no NAME.pP.pkl files in {args.data}")

    python = f"CPython {platform.python_version()} (`pickle` with its C accelerator `_pickle`)"
    print()
    print(text_table(rows))
    print()
    print("\n".join(summary(rows)))
    if any(r["serde_lenient"] for r in rows):
        print(f"\n{LENIENT_NOTE}")
    print(f"\nMedian time per call. {python}.")

    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(
            "Median time per call; ratios are how many times faster brinery is "
            f"(higher is better). {python}, GC off while timing.\n\n"
            + markdown_table(rows)
            + "\n\n"
            + "\n".join(f"- {line}" for line in summary(rows))
            + "\n"
            + (f"\n{LENIENT_NOTE}\n" if any(r["serde_lenient"] for r in rows) else "")
        )
        print(f"Markdown table written to {args.markdown}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
