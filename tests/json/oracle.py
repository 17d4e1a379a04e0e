"""CPython's verdict on JSON documents, for brinery's differential tests.

Usage: oracle.py FILE...   (or one path per line on stdin with no arguments)

For each file prints one JSON line: how ``json.loads`` (bytes input) treats
it and, when it loads, the value's repr and ``json.dumps`` output with and
without ``ensure_ascii``. Text that may hold lone surrogates travels as the
hex of its UTF-8 'surrogatepass' encoding.
"""
import json
import sys


def hexed(text):
    return text.encode("utf-8", "surrogatepass").hex()


def verdict(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return {"file": path, "ok": False, "exc": type(e).__name__, "msg": str(e)}
    out = {"file": path, "ok": True, "repr_hex": hexed(repr(value))}
    for name, kwargs in [("dumps", {}), ("dumps_unicode", {"ensure_ascii": False})]:
        try:
            out[name] = hexed(json.dumps(value, **kwargs))
        except (ValueError, RecursionError) as e:
            out[name] = None
    return out


def main():
    paths = sys.argv[1:] or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for path in paths:
        print(json.dumps(verdict(path)))


if __name__ == "__main__":
    main()
