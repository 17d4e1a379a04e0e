"""Times `brinery scan` beside picklescan, fickling and modelscan on the scan
corpora plus model-sized files, and writes a markdown report: throughput and
each tool's verdict on every file.

Usage: python3 benches/scan_compare.py --brinery PATH/TO/brinery --corpus DIR --big DIR --markdown OUT.md

Run with the python of the venv that has the three tools (requirements/scan-bench.txt).
Each Python tool is called through its library API in this process (no
interpreter start-up counted); brinery is one process for all files, so its
start-up is counted once per directory.
"""

import argparse
import json
import os
import subprocess
import time


def files_under(d):
    out = []
    for root, _, names in os.walk(d):
        out.extend(os.path.join(root, n) for n in sorted(names))
    return sorted(out)


def run_brinery(exe, paths):
    t = time.perf_counter()
    p = subprocess.run([exe, "scan", "--format", "json", *paths], capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    verdicts = {f["path"]: f["verdict"] for f in json.loads(p.stdout)["files"]}
    return elapsed, verdicts


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


def time_tool(fn, paths):
    verdicts = {}
    t = time.perf_counter()
    for p in paths:
        try:
            verdicts[p] = fn(p)
        except Exception as e:  # a tool crashing on a file
            verdicts[p] = "crash"
    return time.perf_counter() - t, verdicts


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
    for group, paths in groups.items():
        size = sum(os.path.getsize(p) for p in paths)
        bt, bv = run_brinery(a.brinery, paths)
        results = {"brinery": (bt, bv)}
        for name, fn in TOOLS.items():
            results[name] = time_tool(fn, paths)
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
    sums = ["| tool | malicious caught | malicious missed | benign flagged dangerous |", "|---|---:|---:|---:|"]
    for name, s in summary.items():
        sums.append(f"| {name} | {s['caught']} | {s['missed']} | {s['false_alarm']} |")
    with open(a.markdown, "w") as f:
        f.write("## Throughput\n\n" + "\n".join(lines) + "\n\n## Detection\n\n" + "\n".join(sums)
                + "\n\n## Verdicts per file\n\n" + "\n".join(table) + "\n")
    print("\n".join(lines))
    print("\n".join(sums))


if __name__ == "__main__":
    main()
