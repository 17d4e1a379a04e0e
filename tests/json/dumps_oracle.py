"""CPython's json.dumps on values brinery generated, for the differential tests.

Reads lines ``PICKLE_HEX<TAB>OPTIONS_JSON`` on stdin. For each, unpickles the
value and prints one JSON line: either ``{"out": HEX}`` (the UTF-8
'surrogatepass' bytes of ``json.dumps(value, **options)``, plus ``"back"``:
the hex of ``repr(json.loads(out))``, or ``{"msg": ...}`` when that fails) or ``{"exc": NAME, "msg": TEXT}``.
"""
import json
import pickle
import sys


def hexed(text):
    return text.encode("utf-8", "surrogatepass").hex()


def main():
    for line in sys.stdin:
        data_hex, options = line.rstrip("\n").split("\t")
        value = pickle.loads(bytes.fromhex(data_hex))
        kwargs = json.loads(options)
        if "separators" in kwargs:
            kwargs["separators"] = tuple(kwargs["separators"])
        try:
            out = json.dumps(value, **kwargs)
        except (TypeError, ValueError, RecursionError) as e:
            print(json.dumps({"exc": type(e).__name__, "msg": str(e)}))
            continue
        try:
            back = hexed(repr(json.loads(out)))
        except json.JSONDecodeError as e:  # odd separators or indents make invalid JSON
            back = {"msg": str(e)}
        print(json.dumps({"out": hexed(out), "back": back}))


if __name__ == "__main__":
    main()
