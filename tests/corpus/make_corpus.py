#!/usr/bin/env python3
"""Generate the CPython side of brinery's differential test corpus.

Usage: python3 make_corpus.py OUTDIR

For every case below and every protocol P it can be pickled with (0..5),
this writes into OUTDIR:

  NAME.pP.pkl     pickle.dumps(value, protocol=P)   (the C pickler)
  NAME.pP.redump  pickle.dumps(pickle.loads(pkl), protocol=P)
  NAME.pP.dis     what `python3 -m pickletools NAME.pP.pkl` prints
  NAME.pP.dis-a   what `python3 -m pickletools -a NAME.pP.pkl` prints
  NAME.pP.repr    repr(pickle.loads(pkl))            (builtin-type cases only)
  NAME.pP.toQ     pickle.dumps(pickle.loads(pkl), protocol=Q) for each Q != P
                                                      (builtin-type cases only)
  NAME.p5.bufN    out-of-band buffer N, raw bytes     (buffer cases only)

and OUTDIR/manifest.json, a list with one entry per (case, protocol):

  {"name", "protocol", "builtin", "has_sets", "persistent", "buffers",
   "dis_error", "count", "nbuffers"}

  builtin    the value consists solely of None, bool, int, float, complex,
             str, bytes, bytearray, tuple, list, dict, set and frozenset
  has_sets   a set or frozenset occurs somewhere in the value, so pickles
             written by another implementation may legitimately differ in
             element order: compare by content (compare_pickles.py)
  persistent load/dump with the persistent_id/persistent_load hooks of
             corpus_classes (pid ('ref', key), or 'ref:key' at protocol 0)
  buffers    dump with buffer_callback, load with buffers=[NAME.p5.buf0, ...]
  dis_error  message of the exception pickletools.dis raised, else null
             (the .dis files then hold what it printed before raising)
  count      number of pickles concatenated in the .pkl (1, or 3 for
             "multi"; its .redump/.toQ files are concatenations as well and
             its .repr holds one repr per line)
  nbuffers   number of out-of-band buffers (0 unless "buffers")

Files of an earlier run in OUTDIR are overwritten, not deleted: use a
fresh directory. Classes live in corpus_classes.py next to this script, so the pickles name
corpus_classes.X and compare_pickles.py can load them. The run is made with
PYTHONHASHSEED=0 (the script re-executes itself if needed) so that set
iteration order, and thus the output, is reproducible.
"""

import collections
import datetime
import decimal
import fractions
import io
import json
import os
import pickle
import pickletools
import sys
import uuid
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOCOLS = range(0, 6)


def _ensure_hash_seed():
    """Re-exec with PYTHONHASHSEED=0 unless str hashing is already fixed."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)


if __name__ == "__main__":
    _ensure_hash_seed()

sys.path.insert(0, HERE)
import corpus_classes as cc  # noqa: E402  (needs sys.path set up first)


# --- cases -------------------------------------------------------------------

@dataclass
class Case:
    name: str
    value: object
    protocols: range = PROTOCOLS
    persistent: bool = False  # use the persistent_id / persistent_load hooks
    buffers: bool = False  # out-of-band buffers (buffer_callback / buffers=)
    multi: bool = False  # value is a tuple of objects pickled back to back


def _bytes_pattern(n):
    """n bytes: all 256 byte values for small n, printable ASCII for large n.

    The large payloads exist to hit length-field boundaries (and framing);
    keeping them printable keeps their reprs, and so the corpus, small.
    """
    if n <= 256:
        return bytes(i % 256 for i in range(n))
    return bytes(0x20 + i % 95 for i in range(n))


def _int_cases():
    ints = [
        ("0", 0), ("1", 1), ("255", 255), ("256", 256),
        ("65535", 65535), ("65536", 65536),
        ("m1", -1), ("m256", -256),
        ("2p31m1", 2**31 - 1), ("2p31", 2**31),
        ("m2p31", -2**31), ("m2p31m1", -2**31 - 1),
        ("2p63m1", 2**63 - 1), ("2p63", 2**63),
        ("m2p63", -2**63), ("m2p63m1", -2**63 - 1),
        ("2p64", 2**64),
        ("10p100", 10**100), ("m10p100", -10**100),
        # LONG1 holds at most 255 bytes of two's complement: the range is
        # -2**2039 .. 2**2039-1; anything outside needs LONG4.
        ("2p2039m1", 2**2039 - 1), ("m2p2039", -2**2039),
        ("m2p2039m1", -2**2039 - 1),
        ("2p2040m1", 2**2040 - 1), ("2p2048", 2**2048),
        ("2p2400", 2**2400), ("m2p2400", -(2**2400)),
    ]
    cases = [Case("none", None), Case("true", True), Case("false", False)]
    cases += [Case(f"int_{name}", v) for name, v in ints]
    cases.append(Case("int_all", [v for _, v in ints]))
    return cases


def _float_cases():
    floats = [
        ("0", 0.0), ("m0", -0.0), ("nan", float("nan")),
        ("inf", float("inf")), ("minf", float("-inf")),
        ("1e16", 1e16), ("1em7", 1e-7), ("5em324", 5e-324),
        ("1_5", 1.5), ("0_1", 0.1), ("1e22", 1e22),
        ("max", 1.7976931348623157e308),
        ("123456789012345678", 123456789012345678.0),
    ]
    cases = [Case(f"float_{name}", v) for name, v in floats]
    cases.append(Case("float_all", [v for _, v in floats]))
    return cases


def _str_cases():
    strs = [
        ("empty", ""), ("a", "a"), ("e_acute", "\u00e9"),
        ("y_diaeresis", "\u00ff"), ("a_macron", "\u0100"),
        ("ascii", "Hello, world! ~{}[]"),
        ("emoji", "\U0001f600"), ("max_codepoint", "\U0010ffff"),
        ("lone_surrogate", "\ud800"), ("surrogate_inside", "a\udfffb"),
        # Characters that protocol 0 (raw-unicode-escape, line-based) has to
        # escape or that Windows text mode would mangle.
        ("backslash", "\\"), ("newline", "\n"), ("cr", "\r"),
        ("ctrl_z", "\x1a"), ("nul", "\x00"), ("del_c1", "\x7f\x80\x9f"),
        ("specials", "back\\slash\nnl\rcr\x1asub\x00nul\ttab"),
        # Looks like an escape: must survive raw-unicode-escape as 8 chars.
        ("fake_escape", "x\\u0041y\\U0001F600z"),
        ("len255_ascii", "a" * 255), ("len256_ascii", "a" * 256),
        # 255 and 256 bytes of UTF-8 but only 128 characters.
        ("len255_utf8", "\u00e9" * 127 + "a"), ("len256_utf8", "\u00e9" * 128),
        ("len70000", "".join(chr(0x20 + i % 95) for i in range(70000))),
        ("nonbmp_large", "\U0001f600" * 17000),  # 68000 UTF-8 bytes
    ]
    cases = [Case(f"str_{name}", v) for name, v in strs]

    shared = "shared string"
    cases.append(Case("str_same_object_twice", [shared, shared]))
    distinct_a = "distinct string"
    distinct_b = "".join(["distinct ", "string"])  # equal, not identical
    assert distinct_a == distinct_b and distinct_a is not distinct_b
    cases.append(Case("str_equal_distinct", [distinct_a, distinct_b]))
    return cases


def _bytes_cases():
    cases = []
    for n in (0, 1, 255, 256, 65536, 70000):
        data = _bytes_pattern(n)
        cases.append(Case(f"bytes_{n}", data))
        cases.append(Case(f"bytearray_{n}", bytearray(data)))
    cases.append(Case("bytes_list", [b"ab", b"cd"]))
    shared = b"shared bytes"
    cases.append(Case("bytes_same_object_twice", [shared, shared]))
    shared_ba = bytearray(b"shared bytearray")
    cases.append(Case("bytearray_same_object_twice", [shared_ba, shared_ba]))
    return cases


def _tuple_cases():
    items = [1, "two", 3.0, None, b"five"]
    cases = [Case(f"tuple_{n}", tuple(items[:n])) for n in range(6)]
    shared = (1, 2)
    cases.append(Case("tuple_shared", [shared, shared]))
    cases.append(Case("tuple_nested", ((1, 2), (3, (4, (5, ()))), ())))
    return cases


def _collection_cases():
    cases = []
    for n in (0, 1, 999, 1000, 1001, 2500):  # 1000 = pickle's batch size
        cases.append(Case(f"list_{n}", list(range(n))))
        cases.append(Case(f"dict_{n}", {f"k{i}": i for i in range(n)}))
        cases.append(Case(f"set_{n}", {f"s{i}" for i in range(n)}))
        cases.append(Case(f"frozenset_{n}", frozenset(range(n))))
    cases.append(Case("dict_mixed_keys", {
        1: "int", 2.5: "float", "k": "str", False: "bool", None: "none",
        (1, "t"): "tuple", b"b": "bytes",
    }))
    cases.append(Case("set_mixed", {1, 2.5, "s", None, (1, 2), b"b", frozenset({3})}))
    return cases


def _nesting_cases():
    nested_list = "leaf"
    for _ in range(200):
        nested_list = [nested_list]
    nested_dict = {"leaf": 1}
    for _ in range(100):
        nested_dict = {"d": nested_dict}
    nested_tuple = ()
    for i in range(100):
        nested_tuple = (nested_tuple, i)
    return [
        Case("list_deep_200", nested_list),
        Case("dict_deep_100", nested_dict),
        Case("tuple_deep_100", nested_tuple),
    ]


def _sharing_cases():
    a = [1]
    shared_value = {"x": 1}
    self_list = [1]
    self_list.append(self_list)
    self_dict = {"a": 1}
    self_dict["self"] = self_dict
    cyclic_tuple = ([],)
    cyclic_tuple[0].append(cyclic_tuple)
    first, second = [], []
    first.append(second)
    second.append(first)
    return [
        Case("shared_list", [a, a]),
        Case("shared_dict_value", {"p": shared_value, "q": shared_value}),
        Case("cycle_list", self_list),
        Case("cycle_dict", self_dict),
        Case("cycle_tuple", cyclic_tuple),
        Case("cycle_two_lists", first),
    ]


def _instance_cases():
    reduce_ex = cc.WithReduceEx("bag")
    reduce_ex.tag = "tagged"
    reduce_ex.extend([1, "two"])
    reduce_ex["k"] = 3
    reduce_ex["l"] = [4]
    twice = cc.Plain("shared", 0)
    return [
        Case("inst_plain", cc.Plain(1, ["two", 3.0])),
        Case("inst_reduce", cc.WithReduce(1, "y")),
        Case("inst_reduce_ex", reduce_ex),
        Case("inst_getstate", cc.WithState([1, 2, 3])),
        Case("inst_newargs_ex", cc.WithNewArgsEx(1, b="bee")),
        # object.__reduce_ex__ refuses __slots__ without __getstate__ below 2.
        Case("inst_slots", cc.Slotted(1, [2]), protocols=range(2, 6)),
        # A str value that is the very (interned) object used as attribute or
        # slot name gets memoized and written as a BINGET. The unpickler
        # returns a fresh str, so the redump spells it out: redump != pkl.
        Case("inst_attr_name_as_value", cc.Plain("b", "a")),
        Case("inst_slots_name_as_value", cc.Slotted("y", "x"), protocols=range(2, 6)),
        Case("inst_dict_subclass", cc.DictSub({"a": 1, "b": [2]})),
        Case("inst_list_subclass", cc.ListSub([1, "two", None])),
        Case("inst_two_same_class", [cc.Plain(1, 2), cc.Plain(3, 4)]),
        Case("inst_twice", [twice, twice]),
        Case("inst_nested_class", cc.Outer.Inner(42)),
    ]


def _stdlib_cases():
    utc = datetime.timezone.utc
    return [
        Case("datetime_naive", datetime.datetime(2024, 2, 29, 13, 45, 30, 123456)),
        Case("datetime_utc", datetime.datetime(2024, 2, 29, 13, 45, 30, tzinfo=utc)),
        Case("date", datetime.date(1999, 12, 31)),
        Case("time", datetime.time(12, 30, 15, 500)),
        Case("timedelta", datetime.timedelta(days=3, seconds=7, microseconds=11)),
        Case("decimal", decimal.Decimal("1.10")),
        Case("fraction", fractions.Fraction(1, 3)),
        Case("complex", complex(1, 2)),
        Case("ordereddict", collections.OrderedDict([("b", 1), ("a", 2)])),
        Case("defaultdict", collections.defaultdict(list, {"x": [1, 2]})),
        Case("deque", collections.deque([1, 2, 3], maxlen=5)),
        Case("counter", collections.Counter("abracadabra")),
        Case("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
        Case("enum_member", cc.Color.RED),
        Case("intenum_member", cc.Level.HIGH),
        Case("class_object", cc.Plain),
        Case("function", cc.some_function),
        Case("nested_class_object", cc.Outer.Inner),
    ]


def _hook_cases():
    refs = [
        cc.PersistentRef("alpha"), 1, "two", cc.PersistentRef("beta"),
        [cc.PersistentRef("alpha")], {"k": cc.PersistentRef("gamma")},
    ]
    buffers = [pickle.PickleBuffer(bytearray(b"abc" * 10)),
               pickle.PickleBuffer(b"readonly-bytes")]
    multi = ([1, 2, 3], "hello", {"a": (1, 2.5), "b": None})
    return [
        Case("persistent_refs", refs, persistent=True),
        Case("oob_buffers", buffers, protocols=range(5, 6), buffers=True),
        Case("multi", multi, multi=True),
    ]


def build_cases():
    cases = (_int_cases() + _float_cases() + _str_cases() + _bytes_cases()
             + _tuple_cases() + _collection_cases() + _nesting_cases()
             + _sharing_cases() + _instance_cases() + _stdlib_cases()
             + _hook_cases())
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    return cases


# --- value inspection --------------------------------------------------------

BUILTIN_TYPES = frozenset({
    type(None), bool, int, float, complex, str, bytes, bytearray,
    tuple, list, dict, set, frozenset,
})


def _children(obj):
    """Sub-objects of obj that pickling would visit (good enough for flags)."""
    if isinstance(obj, (list, tuple, set, frozenset, collections.deque)):
        yield from obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield v
    if type(obj) not in BUILTIN_TYPES and not isinstance(obj, type):
        yield from getattr(obj, "__dict__", {}).values()
        for klass in type(obj).__mro__:
            slots = klass.__dict__.get("__slots__", ())
            for slot in (slots,) if isinstance(slots, str) else slots:
                if hasattr(obj, slot):
                    yield getattr(obj, slot)


def _walk(obj):
    """Every object reachable from obj, each once (cycle-safe)."""
    seen = set()
    stack = [obj]
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        yield o
        stack.extend(_children(o))


def is_builtin(obj):
    return all(type(o) in BUILTIN_TYPES for o in _walk(obj))


def has_sets(obj):
    return any(isinstance(o, (set, frozenset)) for o in _walk(obj))


# --- pickling with the hooks a case needs ------------------------------------

def dump(obj, protocol, case, buffers=None):
    """Pickle obj with the C pickler; out-of-band buffers go to `buffers`."""
    callback = buffers.append if buffers is not None else None
    if case.persistent:
        f = io.BytesIO()
        cc.PersistentPickler(f, protocol, buffer_callback=callback).dump(obj)
        return f.getvalue()
    return pickle.dumps(obj, protocol=protocol, buffer_callback=callback)


def load(data, case, buffers=None):
    if case.persistent:
        return cc.PersistentUnpickler(io.BytesIO(data), buffers=buffers).load()
    return pickle.loads(data, buffers=buffers)


def disassemble(data, annotate):
    """pickletools output as `python3 -m pickletools [-a] FILE` prints it.

    The CLI calls dis(file, stdout, None, 4, 30 if -a else 0). Returns
    (text, error message or None); on error, text is what was printed so far.
    """
    out = io.StringIO()
    try:
        pickletools.dis(data, out=out, indentlevel=4, annotate=annotate)
    except Exception as e:  # pickletools raises ValueError, but be general
        return out.getvalue(), str(e)
    return out.getvalue(), None


# --- output ------------------------------------------------------------------

class Writer:
    def __init__(self, outdir):
        self.outdir = outdir
        self.files = 0
        self.size = 0

    def write(self, filename, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(os.path.join(self.outdir, filename), "wb") as f:
            f.write(data)
        self.files += 1
        self.size += len(data)


def generate_case(case, protocol, w, stats):
    """Write all files for one (case, protocol); return its manifest entry."""
    stem = f"{case.name}.p{protocol}"
    values = case.value if case.multi else (case.value,)
    builtin = is_builtin(values)
    entry = {
        "name": case.name,
        "protocol": protocol,
        "builtin": builtin,
        "has_sets": has_sets(values),
        "persistent": case.persistent,
        "buffers": case.buffers,
        "dis_error": None,
        "count": len(values),
        "nbuffers": 0,
    }

    pkls, redumps, loaded = [], [], []
    for value in values:
        oob = [] if case.buffers else None
        pkl = dump(value, protocol, case, oob)
        if case.buffers:
            raw = [bytes(b.raw()) for b in oob]
            for i, data in enumerate(raw):
                w.write(f"{stem}.buf{i}", data)
            entry["nbuffers"] = len(raw)
        obj = load(pkl, case, oob)
        oob_again = [] if case.buffers else None
        redump = dump(obj, protocol, case, oob_again)
        if case.buffers and [bytes(b.raw()) for b in oob_again] != raw:
            stats["redump_buffers_differ"].append(stem)
        pkls.append(pkl)
        redumps.append(redump)
        loaded.append(obj)

    pkl = b"".join(pkls)
    redump = b"".join(redumps)
    w.write(f"{stem}.pkl", pkl)
    w.write(f"{stem}.redump", redump)
    if redump != pkl:
        stats["redump_differs"].append(stem)

    # Like the CLI, dis only looks at the first pickle of a concatenation.
    for suffix, annotate in (("dis", 0), ("dis-a", 30)):
        text, error = disassemble(pkl, annotate)
        w.write(f"{stem}.{suffix}", text)
        if error is not None:
            entry["dis_error"] = error
    if entry["dis_error"] is not None:
        stats["dis_error"].append(f"{stem}: {entry['dis_error']}")

    if builtin:
        # repr() escapes newlines, so one repr per line is unambiguous.
        w.write(f"{stem}.repr", "\n".join(repr(obj) for obj in loaded))
        for q in PROTOCOLS:
            if q != protocol:
                w.write(f"{stem}.to{q}", b"".join(pickle.dumps(obj, protocol=q) for obj in loaded))
    return entry


def main(argv):
    if len(argv) != 2:
        sys.exit(f"usage: {argv[0]} OUTDIR")
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    sys.setrecursionlimit(10000)

    w = Writer(outdir)
    stats = {"redump_differs": [], "redump_buffers_differ": [], "dis_error": []}
    cases = build_cases()
    manifest = []
    for case in cases:
        for protocol in case.protocols:
            manifest.append(generate_case(case, protocol, w, stats))
    w.write("manifest.json", json.dumps(manifest, indent=1) + "\n")

    print(f"{len(cases)} cases, {len(manifest)} manifest entries, "
          f"{w.files} files, {w.size / 1e6:.1f} MB in {outdir}")
    for key, items in stats.items():
        if items:
            print(f"{key} ({len(items)}):")
            for item in items:
                print(f"  {item}")


if __name__ == "__main__":
    main(sys.argv)
