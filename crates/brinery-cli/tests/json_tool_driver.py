"""The oracle of json_cli.rs: runs `python3 -m json.tool` in-process, case after case.

Usage: python3 json_tool_driver.py OUTDIR < cases.json

cases.json is a list of cases, each {"args": [...], "stdin": PATH or null}. In the
arguments, "{OUT}" stands for OUTDIR/I.file. For case I this writes OUTDIR/I.out (what went
to stdout) and OUTDIR/I.err (what went to stderr), and it prints the list of exit statuses
as JSON.

Each run gets fresh standard streams built the way CPython builds them on POSIX (UTF-8, the
same `errors` as this interpreter's own stdio, stdin without newline translation), and an
exception is reported the way the interpreter reports it, so every case gives what a
separate `python3 -m json.tool ARGS < STDIN` would give in the same environment, in a
fraction of the time.
"""

import io
import json
import json.tool
import os
import sys
import traceback


class KeepOpen(io.BytesIO):
    """A buffer that survives json.tool closing the stream around it."""

    def close(self):
        pass


def run(args, stdin_path):
    out, err = KeepOpen(), KeepOpen()
    saved = sys.stdin, sys.stdout, sys.stderr, sys.argv
    data = b""
    if stdin_path is not None:
        with open(stdin_path, "rb") as f:
            data = f.read()
    sys.stdin = io.TextIOWrapper(KeepOpen(data), encoding="utf-8", errors=saved[0].errors, newline="\n")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", errors=saved[1].errors, newline="\n")
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", newline="\n")
    sys.argv = ["python -m json.tool"] + args
    try:
        json.tool.main()
        code = 0
    except SystemExit as e:
        # What the interpreter does with SystemExit.
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except ValueError:  # closed by json.tool
                pass
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved
    return out.getvalue(), err.getvalue(), code


def main():
    # `python3 -m json.tool` reaches main() through runpy's exec(), which
    # costs one level of the recursion limit that this script does not pay:
    # without this, the driver would parse one level deeper than json.tool.
    sys.setrecursionlimit(sys.getrecursionlimit() - 1)
    outdir = sys.argv[1]
    cases = json.load(sys.stdin)
    codes = []
    for i, case in enumerate(cases):
        outfile = os.path.join(outdir, f"{i}.file")
        args = [a.replace("{OUT}", outfile) for a in case["args"]]
        out, err, code = run(args, case["stdin"])
        with open(os.path.join(outdir, f"{i}.out"), "wb") as f:
            f.write(out)
        with open(os.path.join(outdir, f"{i}.err"), "wb") as f:
            f.write(err)
        codes.append(code)
    json.dump(codes, sys.stdout)


if __name__ == "__main__":
    main()
