"""atheris: brinery's Python loaders against CPython's on generated input.

    python tests/fuzz_python/differential.py pickle REPORT.json [libFuzzer flags] [SEED_DIR ...]
    python tests/fuzz_python/differential.py json REPORT.json [libFuzzer flags] [SEED_DIR ...]

Each input goes to both implementations:

* ``pickle``: ``brinery.loads`` (safe loading: globals outside
  ``brinery.safe.DEFAULT_ALLOWED`` are refused) against CPython's C
  ``pickle.Unpickler`` whose ``find_class`` refuses the same globals, so no
  generated input can run code on the machine. CPython's pure-Python
  ``pickle._Unpickler`` also reads each input, for coverage only: atheris
  instruments Python code, and its branches (one per opcode handler) are what
  guide the mutations; the two C-level loaders are not instrumented.
* ``json``: ``brinery.json.loads`` against ``json.loads``, on the bytes and,
  when they are UTF-8, on the text.

Both load, or both raise: same type of result with the same ``repr`` (which
compares NaN and -0.0 the way a reader would), or exceptions of the same
type. Anything else is a *difference*, counted by kind with its first input
(hex) in REPORT.json, rewritten as the run goes; `docs/fuzzing.md` says
which kinds are deliberate. A crash of brinery (a Rust panic surfacing as
``PanicException``, a ``SystemError``) stops the run like any fuzzer crash.
"""

import io
import json
import pickle
import sys

import atheris

import brinery
import brinery.json
from brinery.safe import DEFAULT_ALLOWED

try:  # CPython's Python 2 → 3 name mapping (fix_imports)
    from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
except ImportError:  # pragma: no cover
    IMPORT_MAPPING, NAME_MAPPING = {}, {}


def python3_name(module, name):
    """The name CPython's find_class looks up for a Python 2 one (applied to
    every protocol here: the C Unpickler does not say which protocol it read)."""
    if (module, name) in NAME_MAPPING:
        return NAME_MAPPING[(module, name)]
    return IMPORT_MAPPING.get(module, module), name


class Refused(pickle.UnpicklingError):
    """A global outside the allowlist (the CPython side of brinery's UnsafeGlobalError)."""


class RestrictedUnpickler(pickle.Unpickler):
    #: The protocol in effect at each global the stream names, in order
    #: (CPython maps Python 2 names only below protocol 3, per the latest
    #: PROTO; a find_class override cannot see it, so it is read ahead).
    protocols = iter(())

    def find_class(self, module, name):
        map_names = next(self.protocols, 0) < 3
        m3, n3 = python3_name(module, name) if map_names else (module, name)
        if f"{m3}.{n3}" not in DEFAULT_ALLOWED:
            raise Refused(f"global {m3}.{n3} is not allowed")
        return super().find_class(module, name)


class PeekableBytes(io.BytesIO):
    """BytesIO with ``peek``: the C unpickler reads a file with ``peek`` the
    way ``pickle.loads`` reads bytes; without it, it misreads some framed
    pickles that ``pickle.loads`` reads (CPython 3.11)."""

    def peek(self, n=0):
        at = self.tell()
        return self.getbuffer()[at : at + max(n, 1)].tobytes()


def cpython_pickle(data):
    unpickler = RestrictedUnpickler(PeekableBytes(data))
    unpickler.protocols = iter(protocols_at_globals(data))
    return unpickler.load()


#: The opcodes for which CPython's unpickler calls find_class.
GLOBAL_OPCODES = {"GLOBAL", "STACK_GLOBAL", "INST", "EXT1", "EXT2", "EXT4"}


def protocols_at_globals(data):
    """The protocol in effect (the last PROTO, else 0) at each opcode that
    calls find_class, in stream order, up to STOP or where the stream breaks."""
    import pickletools

    protocols, proto = [], 0
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name == "PROTO":
                proto = arg
            elif op.name in GLOBAL_OPCODES:
                protocols.append(proto)
    except Exception:  # noqa: BLE001  (malformed input: CPython stops there too)
        pass
    return protocols


#: CPython's C unpickler grows its memo array to twice the largest index
#: stored (16 bytes per slot): one LONG_BINPUT of 2^30 asks for 16 GiB.
#: brinery keeps sparse indices in a map. Inputs storing past this index are
#: not given to CPython (a deliberate difference, counted in the report).
HUGE_MEMO_INDEX = 1 << 20


def huge_memo_index(data):
    import pickletools

    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name in ("PUT", "BINPUT", "LONG_BINPUT") and isinstance(arg, int) and arg >= HUGE_MEMO_INDEX:
                return True
    except Exception:  # noqa: BLE001  (malformed input: judged up to where it breaks)
        pass
    return False


def coverage_only(data):
    """The pure-Python unpickler, instrumented, with the same restriction."""

    class Py(pickle._Unpickler):
        def find_class(self, module, name):
            raise Refused(name)

    try:
        Py(io.BytesIO(data)).load()
    except Exception:
        pass


def outcome(load, data):
    try:
        return ("ok", load(data))
    except (RecursionError, MemoryError) as e:
        return ("limit", type(e))
    except Exception as e:  # noqa: BLE001  (every exception type is compared)
        return ("raised", e)


def crash_check(result):
    kind, value = result
    if kind == "raised" and (type(value).__name__ == "PanicException" or isinstance(value, SystemError)):
        raise value


class Report:
    def __init__(self, path):
        self.path = path
        self.inputs = 0
        self.agreed = 0
        self.kinds = {}

    def differ(self, kind, data, detail):
        if kind not in self.kinds:
            self.kinds[kind] = {"count": 0, "first_input_hex": data.hex(), "detail": detail}
            self.write()
        self.kinds[kind]["count"] += 1

    def tick(self):
        """Counts an input; the report is rewritten every 5 000 (libFuzzer
        ends the process without running exit handlers)."""
        self.inputs += 1
        if self.inputs % 5000 == 0:
            self.write()

    def write(self):
        with open(self.path, "w") as f:
            json.dump({"inputs": self.inputs, "agreed": self.agreed, "differences": self.kinds}, f, indent=1)
            f.write("\n")


def canonical(x, seen=()):
    """repr, with set items sorted (a set holding NaNs iterates in an order
    that depends on the NaN objects' ids), memoryviews by content, cycles cut."""
    if id(x) in seen:
        return "<cycle>"
    inner = (*seen, id(x))
    if isinstance(x, (set, frozenset)):
        return f"{type(x).__name__}{{{', '.join(sorted(canonical(i, inner) for i in x))}}}"
    if isinstance(x, (list, tuple)):
        return f"{type(x).__name__}[{', '.join(canonical(i, inner) for i in x)}]"
    if isinstance(x, memoryview):  # its repr is its address
        return f"memoryview({x.tobytes()!r}, readonly={x.readonly})"
    if isinstance(x, dict):
        return f"{type(x).__name__}{{{', '.join(canonical(k, inner) + ': ' + canonical(v, inner) for k, v in x.items())}}}"
    return repr(x)


def same_value(a, b):
    try:
        return type(a) is type(b) and canonical(a) == canonical(b)
    except (RecursionError, ValueError):  # a value too deep, or an int too long for repr
        return type(a) is type(b)


def compare(report, data, ours, theirs, label):
    crash_check(ours)
    (k1, v1), (k2, v2) = ours, theirs
    if k1 == "ok" and k2 == "ok":
        if same_value(v1, v2):
            report.agreed += 1
        else:
            report.differ(f"{label}: different values", data, f"{type(v1).__name__} vs {type(v2).__name__}")
    elif k1 == "raised" and k2 == "raised":
        refused = isinstance(v2, Refused) and isinstance(v1, brinery.safe.UnsafeGlobalError)
        if type(v1) is type(v2) or refused:
            report.agreed += 1
        elif isinstance(v2, Refused) or isinstance(v1, brinery.safe.UnsafeGlobalError):
            report.differ(f"{label}: one refuses a global, the other fails first", data, f"{v1!r} / {v2!r}")
        else:
            report.differ(f"{label}: brinery raises {type(v1).__name__}, CPython {type(v2).__name__}", data,
                          f"{v1!r} / {v2!r}")
    elif k1 == "limit" and k2 == "limit" and v1 is v2:
        report.agreed += 1  # both ran out of recursion (or memory) alike
    elif k1 == "limit" or k2 == "limit":
        report.differ(f"{label}: a recursion or memory limit on one side", data, f"{ours[1]} / {theirs[1]}")
    else:
        who = "brinery" if k1 == "ok" else "CPython"
        other = v1 if k1 == "raised" else v2
        report.differ(f"{label}: only {who} loads it (the other raises {type(other).__name__})", data, repr(other))


def main():
    mode, report_path = sys.argv[1], sys.argv[2]
    report = Report(report_path)

    def test_pickle(data):
        report.tick()
        coverage_only(data)
        ours = outcome(brinery.loads, data)
        if huge_memo_index(data):
            crash_check(ours)
            report.differ("pickle: memo index past 2^20, not given to CPython (it would allocate 16 bytes per index)",
                          data, repr(ours[1])[:200])
            return
        compare(report, data, ours, outcome(cpython_pickle, data), "pickle")

    def test_json(data):
        report.tick()
        compare(report, data, outcome(brinery.json.loads, data), outcome(json.loads, data), "json bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return
        compare(report, data, outcome(brinery.json.loads, text), outcome(json.loads, text), "json text")

    # CPython's C unpickler allocates from memo indices the input chooses
    # (see HUGE_MEMO_INDEX; pickletools, which finds them, gives up earlier
    # than the unpickler on some malformed input). A cap on the address
    # space turns such an allocation into a MemoryError instead of the
    # fuzzer's out-of-memory stop.
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, resource.RLIM_INFINITY))
    # Coverage guidance: every Python function loaded so far, CPython's
    # pure-Python unpickler and json decoder among them.
    atheris.instrument_all()
    atheris.Setup([sys.argv[0], *sys.argv[3:]], {"pickle": test_pickle, "json": test_json}[mode])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
