"""Times `brinery scan` beside picklescan, fickling and modelscan on the scan
corpora plus model-sized files, and writes a markdown report: throughput and
each tool's verdict on every file.

Usage: python3 benches/scan_compare.py --brinery PATH/TO/brinery --corpus DIR --big DIR --markdown OUT.md

Run with the python of the venv that has the three tools (requirements/scan-bench.txt).
Each Python tool is called through its library API in this process (no
interpreter start-up counted), once per file: they take seconds to minutes on
the model-sized files; brinery is one process for all files of a group, so its
start-up is counted once per group, and it runs BRINERY_RUNS times (median
taken), since a tenth of a second moves with everything else on the machine.
brinery runs with `--jobs 1`: the other tools scan one file at a time, so
brinery does too (by default it scans a directory on every CPU).
The model-sized files are also timed one by one.
"""

import argparse
import json
import os
import statistics
import subprocess
import time

BRINERY_RUNS = 7


def files_under(d):
    out = []
    for root, _, names in os.walk(d):
        out.extend(os.path.join(root, n) for n in sorted(names))
    return sorted(out)


def run_brinery(exe, paths):
    """Median wall time of BRINERY_RUNS runs of one `brinery scan` over `paths`, and its verdicts."""
    times = []
    for _ in range(BRINERY_RUNS):
        t = time.perf_counter()
        p = subprocess.run([exe, "scan", "--jobs", "1", "--format", "json", *paths], capture_output=True, text=True)
        times.append(time.perf_counter() - t)
    verdicts = {f["path"]: f["verdict"] for f in json.loads(p.stdout)["files"]}
    return statistics.median(times), verdicts


def picklescan_verdict(path):
    from picklescan.scanner import scan_file_path

    r = scan_file_path(path)
    if r.infected_files:
        return "dangerous"
    if r.scan_err:
        return "error"
    return "unknown" if r.issues_count else "safe"


def fickling_verdict(path):
    import fickling

    r = fickling.scan_file(path, graceful=True)
    name = getattr(r.severity, "name", str(r.severity))
    if name in ("LIKELY_UNSAFE", "LIKELY_OVERTLY_MALICIOUS", "OVERTLY_MALICIOUS"):
        return "dangerous"
    if r.errors:
        return "error"
    return "safe" if name == "LIKELY_SAFE" else "unknown"


def modelscan_verdict(path):
    from modelscan.modelscan import ModelScan

    r = ModelScan().scan(path)
    if r.get("issues"):
        return "dangerous"
    if r.get("errors"):
        return "error"
    if not r.get("summary", {}).get("scanned", {}).get("total_scanned"):
        return "skipped"
    return "safe"


TOOLS = {"picklescan": picklescan_verdict, "fickling": fickling_verdict, "modelscan": modelscan_verdict}


def time_tool(fn, paths, per_file=None):
    """Total time of `fn` over `paths` and its verdicts; each file's time goes in `per_file`."""
    verdicts = {}
    total = 0.0
    for p in paths:
        t = time.perf_counter()
        try:
            verdicts[p] = fn(p)
        except Exception:  # a tool crashing on a file
            verdicts[p] = "crash"
        elapsed = time.perf_counter() - t
        total += elapsed
        if per_file is not None:
            per_file[p] = elapsed
    return total, verdicts


def mb(n):
    return n / (1 << 20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brinery", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--big", required=True)
    ap.add_argument("--markdown", required=True)
    a = ap.parse_args()

    groups = {
        "malicious": files_under(os.path.join(a.corpus, "malicious")),
        "benign": files_under(os.path.join(a.corpus, "benign")),
        "model-sized": files_under(a.big),
    }
    lines = ["| files | size (MiB) | tool | time (s) | MiB/s | vs brinery |", "|---|---:|---|---:|---:|---:|"]
    verdicts = {}
    one_by_one = {}  # tool -> {path: seconds}, model-sized files only
    for group, paths in groups.items():
        size = sum(os.path.getsize(p) for p in paths)
        bt, bv = run_brinery(a.brinery, paths)
        results = {"brinery": (bt, bv)}
        for name, fn in TOOLS.items():
            per_file = one_by_one.setdefault(name, {}) if group == "model-sized" else None
            results[name] = time_tool(fn, paths, per_file)
        for name, (t, v) in results.items():
            verdicts.setdefault(name, {}).update(v)
            ratio = t / bt if bt else float("nan")
            lines.append(f"| {group} ({len(paths)}) | {mb(size):.1f} | {name} | {t:.3f} | {mb(size) / t:.1f} | {ratio:.1f}× slower |"
                         if name != "brinery" else
                         f"| {group} ({len(paths)}) | {mb(size):.1f} | brinery | {t:.3f} | {mb(size) / t:.1f} | 1× |")
    table = ["| file | expected | brinery | picklescan | fickling | modelscan |", "|---|---|---|---|---|---|"]
    summary = {name: {"caught": 0, "missed": 0, "false_alarm": 0} for name in verdicts}
    for group, paths in groups.items():
        expected = "dangerous" if group == "malicious" else "not dangerous"
        for p in paths:
            row = [os.path.basename(p), expected]
            for name in ["brinery", "picklescan", "fickling", "modelscan"]:
                v = verdicts[name].get(p, "?")
                row.append(v)
                if group == "malicious":
                    summary[name]["caught" if v == "dangerous" else "missed"] += 1
                elif v == "dangerous":
                    summary[name]["false_alarm"] += 1
            table.append("| " + " | ".join(row) + " |")
    files = ["| file | size (MiB) | brinery (s) | " + " | ".join(f"{n} (s, × brinery)" for n in TOOLS) + " |",
             "|---|---:|---:|" + "---:|" * len(TOOLS)]
    for p in groups["model-sized"]:
        bt, _ = run_brinery(a.brinery, [p])
        cells = [f"{one_by_one[n][p]:.3f} ({one_by_one[n][p] / bt:.0f}×)" for n in TOOLS]
        files.append(f"| {os.path.basename(p)} | {mb(os.path.getsize(p)):.1f} | {bt:.4f} | " + " | ".join(cells) + " |")
    sums = ["| tool | malicious caught | malicious missed | benign flagged dangerous |", "|---|---:|---:|---:|"]
    for name, s in summary.items():
        sums.append(f"| {name} | {s['caught']} | {s['missed']} | {s['false_alarm']} |")
    with open(a.markdown, "w") as f:
        f.write("## Throughput\n\n" + "\n".join(lines) + "\n\n### Model-sized files one by one\n\n" + "\n".join(files)
                + "\n\n## Detection\n\n" + "\n".join(sums)
                + "\n\n## Verdicts per file\n\n" + "\n".join(table) + "\n")
    print("\n".join(lines))
    print("\n".join(files))
    print("\n".join(sums))


if __name__ == "__main__":
    main()
