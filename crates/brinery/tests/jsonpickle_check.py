#!/usr/bin/env python3
"""Check brinery's lossless JSON with the real jsonpickle (used by jsonpickle_roundtrip.rs).

Reads JSON lines on stdin, one request per corpus entry:

  {"key": str, "pkl": path, "json": [paths], "persistent": bool, "buffers": [paths]}

  pkl         the original pickle(s), loaded with pickle (and the corpus
              persistent_load hook / out-of-band buffers, as the corpus does)
  json        brinery's tagged JSON, one file per pickle in the .pkl file

For each request one JSON line is written:

  {"key": str, "equal": bool, "detail": str, "same_sharing": bool}

  equal         jsonpickle.decode(text) equals pickle.loads(pkl), compared
                as tests/corpus/compare_pickles.py compares two loads (types
                exactly, floats with nan == nan, sets by content, instances
                by their reduce output, cycles by structure)
  same_sharing  the identity structure matches too (informational)

The first argument is the repository's tests/corpus folder (for
corpus_classes and compare_pickles).
"""

import json
import sys
import warnings

sys.path.insert(0, sys.argv[1])
import compare_pickles  # noqa: E402  (needs sys.path set up first)
import jsonpickle  # noqa: E402


def check(request):
    result = {"key": request["key"], "equal": False, "detail": "", "same_sharing": False}
    try:
        expected = compare_pickles.load_all(request["pkl"], request["persistent"], request["buffers"])
    except Exception as e:
        result["detail"] = f"pickle.loads failed: {type(e).__name__}: {e}"
        return result
    got = []
    for path in request["json"]:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            got.append(jsonpickle.decode(text))
        except Exception as e:
            result["detail"] = f"jsonpickle.decode failed: {type(e).__name__}: {e}"
            return result
    if len(got) != len(expected):
        result["detail"] = f"{len(got)} JSON documents for {len(expected)} pickles"
        return result
    return compare_pickles.compare_lists(expected, got, result)


def main():
    # Decoding uses jsonpickle's defaults; it warns that they will change.
    warnings.simplefilter("ignore", DeprecationWarning)
    sys.setrecursionlimit(20000)  # deeply nested corpus values
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(json.dumps(check(json.loads(line))) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
