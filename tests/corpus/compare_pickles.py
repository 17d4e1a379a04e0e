#!/usr/bin/env python3
"""Compare pickles by the value they load to, for brinery's differential tests.

Used where two pickles may legitimately differ byte for byte, e.g. when
they hold sets whose elements were written in different orders.

Reads JSON lines on stdin, one request per line:

  {"a": path, "b": path, "protocol": p, "persistent": bool, "buffers": [paths]}

  persistent  load with the corpus persistent_load hook (corpus_classes.py)
  buffers     out-of-band buffer files, supplied to both loads (as
              bytearrays: a buffer the pickle marks read-only loads as a
              read-only memoryview); optional "buffers_b" overrides the
              list for b
  protocol    accepted for symmetry with the manifest; loading does not
              need it

A file may hold several pickles back to back; all of them are loaded and
compared pairwise. For each request one JSON line is written (and flushed):

  {"a": path, "b": path, "equal": bool, "detail": str, "same_sharing": bool}

equal        the loaded values are equal by value:
             - types must match exactly (1 != 1.0 != True);
             - floats compare by value with nan == nan, but 0.0 != -0.0;
             - lists/tuples/deques element-wise, dicts by key (order matters
               only for OrderedDict, as with ==), sets by content;
             - instances by type and state: __dict__ and slots of container
               subclasses, otherwise whatever __reduce_ex__(4) returns
               (which covers __dict__, slots, __getstate__, __getnewargs_ex__
               and the stdlib value types);
             - classes and functions by identity (they are loaded by name);
             - cycles are handled by assuming a pair under comparison equal
               when it is reached again (bisimulation), never via ==.
detail       "" when equal, else where (e.g. "$[2]['k']") and why they differ
same_sharing the identity structure matches too: whenever one object is
             reached twice in a, its counterpart in b is the same object both
             times and vice versa (ints, floats, None and bools excluded, as
             pickle never memoizes them). Reported separately; it does not
             affect "equal", and is only meaningful when "equal" is true.
             When it is false, "detail" says where identity first differs.
"""

import collections
import io
import json
import math
import os
import pickle
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus_classes as cc  # noqa: E402  (needs sys.path set up first)


# --- loading -----------------------------------------------------------------

def load_all(path, persistent, buffer_paths):
    """Load every pickle in the file at `path`, in order, with the C unpickler."""
    with open(path, "rb") as f:
        data = f.read()
    buffers = []
    for buffer_path in buffer_paths:
        with open(buffer_path, "rb") as f:
            buffers.append(bytearray(f.read()))
    buffers = iter(buffers)  # shared by consecutive pickles, consumed in order
    unpickler_class = cc.PersistentUnpickler if persistent else pickle.Unpickler
    stream = io.BytesIO(data)
    values = []
    while stream.tell() < len(data):
        values.append(unpickler_class(stream, buffers=buffers).load())
    return values


# --- comparison --------------------------------------------------------------

# Compared by value and never memoized by pickle, so their identity is noise.
_UNSHARED = (type(None), bool, int, float)
# Compared with == after the exact type check.
_ATOMS = (type(None), bool, int, str, bytes)
# Loaded by reference: equal only if identical.
_BY_IDENTITY = (type, types.FunctionType, types.BuiltinFunctionType,
                types.MethodType, types.ModuleType)
_CONTAINERS = (list, tuple, dict, set, frozenset, bytearray, collections.deque)
_MISSING = object()


def _floats_equal(x, y):
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)


def _short(obj, limit=80):
    try:
        text = repr(obj)
    except Exception as e:  # a half-built object from a cycle, say
        text = f"<{type(obj).__name__}: repr failed: {e}>"
    return text if len(text) <= limit else text[:limit] + "..."


class Comparator:
    """Structural equality of two object graphs, cycle-safe.

    `compare` returns None when equal, else a message naming the first
    difference. Pairs of objects already under comparison are assumed equal
    (coinduction), so cycles terminate and compare by structure.
    """

    def __init__(self):
        self.pairs = set()  # (id(a), id(b)) assumed or proven equal
        self.a_to_b = {}  # id in a -> id of its counterpart in b
        self.b_to_a = {}
        self.same_sharing = True
        self.sharing_detail = ""
        # Undo log, so that failed trial comparisons (matching set elements
        # and dict keys) leave no assumptions behind.
        self.journal = []
        # Keeps every compared object alive, so ids are never reused
        # (__reduce_ex__ builds temporary tuples).
        self.keep_alive = []

    def _trial(self, a, b):
        mark = len(self.journal)
        if self.compare(a, b, "") is None:
            return True
        while len(self.journal) > mark:
            undo = self.journal.pop()
            undo()
        return False

    def _set_counterpart(self, mapping, key, value):
        previous = mapping.get(key, _MISSING)
        mapping[key] = value
        if previous is _MISSING:
            self.journal.append(lambda: mapping.pop(key))
        else:
            self.journal.append(lambda: mapping.__setitem__(key, previous))

    def _note_pair(self, a, b, path):
        """Record that a and b correspond; check identity structure."""
        key = (id(a), id(b))
        self.pairs.add(key)
        self.journal.append(lambda: self.pairs.discard(key))
        ia, ib = self.a_to_b.get(id(a)), self.b_to_a.get(id(b))
        if (ia is not None and ia != id(b)) or (ib is not None and ib != id(a)):
            if self.same_sharing:
                self.same_sharing = False
                self.sharing_detail = f"{path}: object identity differs"

                def undo():
                    self.same_sharing = True
                    self.sharing_detail = ""
                self.journal.append(undo)
        self._set_counterpart(self.a_to_b, id(a), id(b))
        self._set_counterpart(self.b_to_a, id(b), id(a))

    def compare(self, a, b, path="$"):
        ta = type(a)
        if ta is not type(b):
            return f"{path}: type {ta.__qualname__} != {type(b).__qualname__}"
        if ta is float:
            return None if _floats_equal(a, b) else f"{path}: {a!r} != {b!r}"
        if ta in _UNSHARED:  # None, bool, int
            return None if a == b else f"{path}: {_short(a)} != {_short(b)}"

        if (id(a), id(b)) in self.pairs:
            return None
        self._note_pair(a, b, path)
        self.keep_alive.append((a, b))

        if ta is complex:
            if _floats_equal(a.real, b.real) and _floats_equal(a.imag, b.imag):
                return None
            return f"{path}: {a!r} != {b!r}"
        if ta in _ATOMS:
            return None if a == b else f"{path}: {_short(a)} != {_short(b)}"
        if a is b:  # singletons, enum members, shared globals
            return None
        if isinstance(a, _BY_IDENTITY):
            return f"{path}: {_short(a)} is not {_short(b)}"
        if isinstance(a, (pickle.PickleBuffer, memoryview)):
            return self._compare_buffers(a, b, path)

        if isinstance(a, _CONTAINERS):
            diff = self._compare_container(a, b, path)
            if diff is None and ta not in _CONTAINERS:
                diff = self._compare_subclass_state(a, b, path)
            return diff
        return self._compare_reduced(a, b, path)

    def _compare_buffers(self, a, b, path):
        va, vb = memoryview(a), memoryview(b)
        if va.readonly != vb.readonly:
            return f"{path}: readonly {va.readonly} != {vb.readonly}"
        if va.tobytes() != vb.tobytes():
            return f"{path}: buffer contents differ"
        return None

    def _compare_container(self, a, b, path):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        if isinstance(a, bytearray):
            return None if a == b else f"{path}: {_short(a)} != {_short(b)}"
        if isinstance(a, collections.deque) and a.maxlen != b.maxlen:
            return f"{path}: maxlen {a.maxlen} != {b.maxlen}"
        if isinstance(a, (set, frozenset)):
            return self._compare_sets(a, b, path)
        if isinstance(a, dict):
            if isinstance(a, collections.OrderedDict):
                return self._compare_sequences(list(a.items()), list(b.items()),
                                               path + ".items()")
            return self._compare_dicts(a, b, path)
        return self._compare_sequences(a, b, path)

    def _compare_sequences(self, a, b, path):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            diff = self.compare(x, y, f"{path}[{i}]")
            if diff is not None:
                return diff
        return None

    def _match(self, items_a, items_b):
        """Pair each element of items_a with a deep-equal one of items_b.

        Returns (pairs, unmatched element of a or _MISSING). Tries the
        hash lookup first and falls back to a quadratic search (needed for
        nan, for identity-hashed instances, and for 1 == 1.0 == True).
        """
        lookup = {}
        for y in items_b:
            try:
                lookup.setdefault(y, y)
            except TypeError:  # unhashable: leave it to the quadratic search
                pass
        used = set()
        pairs, leftovers = [], []
        for x in items_a:
            try:
                y = lookup.get(x, _MISSING)
            except TypeError:
                y = _MISSING
            if y is not _MISSING and id(y) not in used and self._trial(x, y):
                used.add(id(y))
                pairs.append((x, y))
            else:
                leftovers.append(x)
        rest = [y for y in items_b if id(y) not in used]
        for x in leftovers:
            for i, y in enumerate(rest):
                if self._trial(x, y):
                    pairs.append((x, y))
                    del rest[i]
                    break
            else:
                return pairs, x
        return pairs, _MISSING

    def _compare_sets(self, a, b, path):
        _, missing = self._match(list(a), list(b))
        if missing is not _MISSING:
            return f"{path}: element {_short(missing)} has no equal in b"
        return None

    def _compare_dicts(self, a, b, path):
        pairs, missing = self._match(list(a), list(b))
        if missing is not _MISSING:
            return f"{path}: key {_short(missing)} has no equal in b"
        for ka, kb in pairs:
            diff = self.compare(a[ka], b[kb], f"{path}[{_short(ka, 40)}]")
            if diff is not None:
                return diff
        return None

    def _compare_subclass_state(self, a, b, path):
        """Extra state of a subclass of a builtin container."""
        state_a, state_b = _subclass_state(a), _subclass_state(b)
        self.keep_alive.append((state_a, state_b))
        return self._compare_dicts(state_a, state_b, path + "<state>")

    def _compare_reduced(self, a, b, path):
        """Compare two instances through what pickle itself would save."""
        try:
            ra, rb = _reduce(a), _reduce(b)
        except Exception as e:
            # Not reducible: == is the best we can do.
            if a == b:
                return None
            return f"{path}: not reducible ({e}) and {_short(a)} != {_short(b)}"
        self.keep_alive.append((ra, rb))
        return self._compare_sequences(ra, rb, path + "<reduce>")


def _subclass_state(obj):
    """__dict__, slots (and default_factory) of a container subclass."""
    state = dict(getattr(obj, "__dict__", {}))
    for klass in type(obj).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot not in ("__dict__", "__weakref__") and hasattr(obj, slot):
                state["slot:" + slot] = getattr(obj, slot)
    if isinstance(obj, collections.defaultdict):
        state["default_factory"] = obj.default_factory
    return state


def _reduce(obj):
    """obj.__reduce_ex__(4) as a list, with its item iterators materialized."""
    reduced = obj.__reduce_ex__(4)
    if isinstance(reduced, str):  # a global: compare by name
        return [reduced]
    reduced = list(reduced)
    for i in (3, 4):
        if i < len(reduced) and reduced[i] is not None:
            reduced[i] = list(reduced[i])
    return reduced


# --- driver ------------------------------------------------------------------

def handle(request):
    result = {"a": request.get("a"), "b": request.get("b"),
              "equal": False, "detail": "", "same_sharing": False}
    persistent = bool(request.get("persistent", False))
    buffers_a = request.get("buffers") or []
    buffers_b = request.get("buffers_b", buffers_a) or []
    loaded = []
    for side, buffers in (("a", buffers_a), ("b", buffers_b)):
        try:
            loaded.append(load_all(request[side], persistent, buffers))
        except Exception as e:
            result["detail"] = f"loading {side} failed: {type(e).__name__}: {e}"
            return result
    values_a, values_b = loaded
    if len(values_a) != len(values_b):
        result["detail"] = f"{len(values_a)} pickles in a, {len(values_b)} in b"
        return result
    return compare_lists(values_a, values_b, result)


def compare_lists(values_a, values_b, result):
    """Compares two equally long lists of values pairwise into ``result``
    (``equal``, ``detail``, ``same_sharing``) and returns it."""
    comparator = Comparator()
    for i, (x, y) in enumerate(zip(values_a, values_b)):
        diff = comparator.compare(x, y, "$" if len(values_a) == 1 else f"${i}")
        if diff is not None:
            result["detail"] = diff
            return result
    result["equal"] = True
    result["same_sharing"] = comparator.same_sharing
    result["detail"] = comparator.sharing_detail
    return result


def main():
    sys.setrecursionlimit(20000)  # deeply nested corpus values
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
            result = handle(request)
        except Exception as e:  # malformed request: report, keep going
            result = {"a": None, "b": None, "equal": False,
                      "detail": f"bad request: {type(e).__name__}: {e}",
                      "same_sharing": False}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
