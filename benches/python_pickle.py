"""brinery.pickle beside CPython's C pickle on pyperformance's bm_pickle
workloads, in one process: pickle, unpickle, pickle_list, unpickle_list,
pickle_dict (objects re-created in benches/make_datasets.py), with the
garbage collector on and off. Prints medians and ratios (CPython time /
brinery time: above 1 means brinery is faster; the median of the ratios of
samples taken back to back) and can write a markdown table.

Usage: python benches/python_pickle.py [--markdown FILE] [--json FILE] [--repeat N]
"""

import argparse
import gc
import json
import pathlib
import pickle
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import make_datasets  # noqa: E402

import brinery.pickle as bpickle  # noqa: E402

PROTO = pickle.HIGHEST_PROTOCOL
GROUP = [make_datasets.DICT, make_datasets.TUPLE, make_datasets.dict_group()]


def workloads(module):
    """pyperformance's five bm_pickle benchmarks for one pickle module."""
    dumps, loads = module.dumps, module.loads
    group_pickles = [pickle.dumps(x, PROTO) for x in GROUP]
    list_pickle = pickle.dumps(make_datasets.LIST, PROTO)

    def pickle_(): 
        for x in GROUP:
            dumps(x, PROTO)

    def unpickle():
        for p in group_pickles:
            loads(p)

    def pickle_list():
        dumps(make_datasets.LIST, PROTO)

    def unpickle_list():
        loads(list_pickle)

    def pickle_dict():
        dumps(make_datasets.MICRO_DICT, PROTO)

    return {
        "pickle": pickle_,
        "unpickle": unpickle,
        "pickle_list": pickle_list,
        "unpickle_list": unpickle_list,
        "pickle_dict": pickle_dict,
    }


def loops_for(fn, target):
    """How many calls of `fn` take about `target` seconds (at least a quarter of it)."""
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t > target / 4:
            return n
        n *= 2


def paired_medians(theirs, ours, repeat, target=0.05):
    """Median seconds per call of each function over `repeat` samples of
    about `target` seconds, the two sampled in turn, and the median of the
    ratios of each back-to-back pair (theirs / ours): the machine's speed
    drifts from one stretch of a run to the next, and a pair taken back to
    back sees the same speed, so that median is the steadier speed-up."""
    n_theirs, n_ours = loops_for(theirs, target), loops_for(ours, target)
    samples = ([], [])
    for _ in range(repeat):
        for fn, n, out in ((theirs, n_theirs, samples[0]), (ours, n_ours, samples[1])):
            t = time.perf_counter()
            for _ in range(n):
                fn()
            out.append((time.perf_counter() - t) / n)
    ratio = statistics.median(c / b for c, b in zip(*samples))
    return statistics.median(samples[0]), statistics.median(samples[1]), ratio


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown")
    ap.add_argument("--json", help="write the results here (read by benches/chart.py)")
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    theirs, ours = workloads(pickle), workloads(bpickle)
    rows = []
    for gc_on in (True, False):
        for name in theirs:
            (gc.enable if gc_on else gc.disable)()
            c, b, ratio = paired_medians(theirs[name], ours[name], args.repeat)
            gc.enable()
            rows.append((name, "on" if gc_on else "off", c, b, ratio))
            print(f"{name:14} gc {rows[-1][1]:3}  pickle {c * 1e6:9.1f} us  brinery {b * 1e6:9.1f} us  ratio {ratio:5.2f}x")
    if args.markdown:
        lines = [
            "| workload | GC | CPython `pickle` (µs) | `brinery.pickle` (µs) | speed-up (median of paired ratios) |",
            "|---|---|---:|---:|---:|",
        ]
        lines += [f"| {n} | {g} | {c * 1e6:.1f} | {b * 1e6:.1f} | {r:.2f}× |" for n, g, c, b, r in rows]
        pathlib.Path(args.markdown).write_text("\n".join(lines) + "\n")
    if args.json:
        records = [{"workload": n, "gc": g, "cpython": c, "brinery": b, "ratio": r} for n, g, c, b, r in rows]
        pathlib.Path(args.json).write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    main()
