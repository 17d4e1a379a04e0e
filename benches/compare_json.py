#!/usr/bin/env python3
"""Put brinery's JSON criterion results next to CPython's json and orjson.

Run after ``cargo bench -p brinery --bench json`` (``make bench`` does both):

    python3 benches/compare_json.py [--criterion target/criterion] [--markdown out.md]

For each of the three JSON benchmark documents it times, on the same bytes,
CPython ``json.loads(data)`` and ``json.dumps(obj)`` (the garbage collector
off, as timeit does), and orjson's ``loads``/``dumps`` when orjson is
installed (``make bench`` installs it in .venv). It reads criterion's medians
for ``json-parse/{brinery,serde_json}/NAME`` and
``json-write/{brinery,brinery-compact,serde_json}/NAME`` and prints the
medians and the ratios the targets are stated in ("how many times faster
brinery is").
"""

import argparse
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import criterion_medians, fmt_ratio, fmt_time, median_per_call, ratio  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = ("twitter", "citm_catalog", "canada")

try:
    import orjson
except ImportError:  # the comparison still runs, without that column
    orjson = None


def measure(data_dir, medians, min_run, repeat):
    rows = []
    for name in DOCUMENTS:
        data = (data_dir / f"{name}.json").read_bytes()
        obj = json.loads(data)
        row = {
            "name": name,
            "size": len(data),
            "parse": {
                "brinery": medians.get(f"json-parse/brinery/{name}"),
                "serde_json": medians.get(f"json-parse/serde_json/{name}"),
                "CPython json.loads": median_per_call(lambda: json.loads(data), min_run, repeat),
            },
            "write": {
                "brinery": medians.get(f"json-write/brinery/{name}"),
                "brinery (compact)": medians.get(f"json-write/brinery-compact/{name}"),
                "serde_json (compact)": medians.get(f"json-write/serde_json/{name}"),
                "CPython json.dumps": median_per_call(lambda: json.dumps(obj), min_run, repeat),
            },
        }
        if orjson is not None:
            row["parse"]["orjson.loads"] = median_per_call(lambda: orjson.loads(data), min_run, repeat)
            row["write"]["orjson.dumps (compact)"] = median_per_call(lambda: orjson.dumps(obj), min_run, repeat)
        rows.append(row)
    return rows


def table(rows, kind, ours, markdown):
    columns = list(rows[0][kind])
    others = [c for c in columns if c != ours and not c.startswith("brinery")]
    head = ["document"] + columns + [f"{c} / {ours}" for c in others]
    lines = []
    if markdown:
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
    else:
        lines.append("  ".join(f"{h:>22}" for h in head))
    for row in rows:
        times = row[kind]
        cells = [row["name"]] + [fmt_time(times[c]) if times[c] else "n/a" for c in columns]
        cells += [fmt_ratio(ratio(times[c], times[ours])) for c in others]
        if markdown:
            lines.append("| " + " | ".join(cells) + " |")
        else:
            lines.append("  ".join(f"{c:>22}" for c in cells))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "json-benchmark")
    parser.add_argument("--criterion", type=Path, default=REPO / "target" / "criterion")
    parser.add_argument("--since", type=float, default=None, help="ignore criterion results older than this Unix time")
    parser.add_argument("--min-run", type=float, default=0.2)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()

    medians = criterion_medians(args.criterion, args.since)
    rows = measure(args.data, medians, args.min_run, args.repeat)
    header = (
        f"JSON, medians per call; Python {platform.python_version()}, "
        f"orjson {getattr(orjson, '__version__', 'not installed')}; {platform.machine()}"
    )
    print(header)
    print("\nparse (bytes → value)")
    print(table(rows, "parse", "brinery", False))
    print("\nwrite (value → text; brinery default = json.dumps layout; compact = separators=(',', ':'), "
          "ensure_ascii=False, the layout serde_json and orjson write)")
    print(table(rows, "write", "brinery (compact)", False))
    if args.markdown:
        args.markdown.write_text(
            f"{header}\n\n**parse**\n\n{table(rows, 'parse', 'brinery', True)}\n\n"
            f"**write**\n\n{table(rows, 'write', 'brinery (compact)', True)}\n"
        )


if __name__ == "__main__":
    main()
