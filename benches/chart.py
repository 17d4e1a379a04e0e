"""The README's benchmark chart: brinery's Python module against CPython's
C ``pickle`` and against ``json``/orjson, from the JSON results that
``benches/python_pickle.py --json`` and ``benches/python_json.py --json``
write (garbage collector on, as programs run).

Each bar is a speed ratio (the other's time / brinery's time) on a log
scale, growing right of the 1× line when brinery is faster and left when it
is slower, with the issue's target marked. The SVG is written by hand: a
few rectangles and labels do not justify a plotting library in the
benchmark environment.

Usage: python benches/chart.py PICKLE.json JSON.json OUT.svg [--title TEXT]
"""

import argparse
import json
import math
from html import escape

ROW, GAP, LABEL_W, PLOT_W, MARGIN = 20, 14, 250, 440, 12
LOW, HIGH = 1 / 8, 16  # the plotted ratio range (log scale); bars past it are clipped
GREEN, AMBER, RED, GREY = "#2e7d32", "#e0a100", "#c62828", "#888"


def x_of(ratio):
    """Horizontal position of a ratio, clamped to the plotted range."""
    r = min(max(ratio, LOW), HIGH)
    return LABEL_W + PLOT_W * (math.log(r) - math.log(LOW)) / (math.log(HIGH) - math.log(LOW))


def bar_colour(ratio, target):
    return GREEN if ratio >= target else AMBER if ratio >= 1 else RED


def sections(pickle_rows, json_rows):
    """[(title, [(label, ratio, target)])] for the GC-on rows."""
    pickle_bars = [
        (
            f"{r['workload']}",
            r.get("ratio", r["cpython"] / r["brinery"]),
            2.0 if r["workload"].startswith("pickle") else 1.5,
        )
        for r in pickle_rows
        if r["gc"] == "on"
    ]
    json_bars = []
    for r in json_rows:
        if r["gc"] != "on":
            continue
        for other in ("json", "orjson"):
            if other in r["times"]:
                target = 1.0
                json_bars.append(
                    (f"{r['document']} {r['op']} vs {other}", r["times"][other] / r["times"]["brinery"], target)
                )
    return [
        ("brinery.pickle vs CPython's C pickle (bm_pickle; target 2× dumps, 1.5× loads)", pickle_bars),
        ("brinery.json vs json and orjson (json-benchmark; target: as fast as orjson)", json_bars),
    ]


def svg(parts, title):
    rows = sum(len(bars) for _, bars in parts) + 2 * len(parts)
    height = MARGIN * 2 + 30 + rows * ROW + GAP * len(parts) + 40
    width = LABEL_W + PLOT_W + 70
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 14}" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    y = MARGIN + 30
    for heading, bars in parts:
        out.append(f'<text x="{MARGIN}" y="{y + 14}" font-weight="bold">{escape(heading)}</text>')
        y += ROW
        top = y
        for label, ratio, target in bars:
            x0, x1 = x_of(1.0), x_of(ratio)
            left, w = min(x0, x1), max(abs(x1 - x0), 1)
            out.append(f'<text x="{LABEL_W - 8}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
            out.append(
                f'<rect x="{left:.1f}" y="{y + 3}" width="{w:.1f}" height="{ROW - 6}" '
                f'fill="{bar_colour(ratio, target)}"/>'
            )
            tx = x1 + 4 if ratio >= 1 else x1 - 4
            anchor = "start" if ratio >= 1 else "end"
            out.append(f'<text x="{tx:.1f}" y="{y + 14}" text-anchor="{anchor}">{ratio:.2f}×</text>')
            tgt = x_of(target)
            out.append(
                f'<line x1="{tgt:.1f}" x2="{tgt:.1f}" y1="{y + 1}" y2="{y + ROW - 1}" '
                f'stroke="black" stroke-width="2"/>'
            )
            y += ROW
        # The 1× line and the scale under the section.
        one = x_of(1.0)
        out.append(f'<line x1="{one:.1f}" x2="{one:.1f}" y1="{top}" y2="{y}" stroke="{GREY}"/>')
        for tick in (1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16):
            label = f"{tick:g}×" if tick >= 1 else f"1/{round(1 / tick)}×"
            out.append(f'<text x="{x_of(tick):.1f}" y="{y + 14}" text-anchor="middle" fill="{GREY}">{label}</text>')
        y += ROW + GAP
    notes = (
        "Bars: how many times faster brinery is (log scale; left of 1×: slower). Black tick: the target.",
        "Green: target met; amber: faster, short of the target; red: slower. GC on; pickle: median of paired ratios.",
    )
    for i, note in enumerate(notes):
        out.append(f'<text x="{MARGIN}" y="{y + 6 + 16 * i}" fill="{GREY}">{escape(note)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pickle_results")
    ap.add_argument("json_results")
    ap.add_argument("out")
    ap.add_argument("--title", default="brinery's Python module: speed against CPython and orjson")
    args = ap.parse_args()
    with open(args.pickle_results) as f:
        pickle_rows = json.load(f)
    with open(args.json_results) as f:
        json_rows = json.load(f)
    with open(args.out, "w") as f:
        f.write(svg(sections(pickle_rows, json_rows), args.title))


if __name__ == "__main__":
    main()
