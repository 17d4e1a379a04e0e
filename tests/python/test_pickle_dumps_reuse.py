"""One-shot dumps keep their output buffer and memo for the next dump on the
thread, and write atoms borrowed from exact lists and dicts
(crates/brinery-python/src/pickle/spare.rs and save.rs). These are the ways
that could go wrong: a dump inside a dump, Python code run while a dump's
memo is released, a buffer left over from a larger pickle or another
protocol, and containers changed by the objects being pickled. Each compares
with CPython's C pickler.
"""

import pickle
import subprocess
import sys
import threading

import pytest

import brinery.pickle as bpickle

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


class PicklesInsideReduce:
    """Its reduce dumps another object with the module under test."""

    module = pickle

    def __reduce__(self):
        inner = self.module.dumps({"inner": [1, 2, "three"]}, 2)
        return (bytes, (inner,))


class DumpsWhenFreed:
    """Dumps (with brinery) when freed: made during a dump and then held by
    the memo alone, so it is freed while the memo is released."""

    freed_dumps = []

    def __del__(self):
        DumpsWhenFreed.freed_dumps.append(bpickle.dumps(["freed", 1, 2.5]))


class MakesAFreshObject:
    def __reduce__(self):
        # The args tuple (memoized) holds the only reference to the new object.
        return (list, ((DumpsWhenFreed(), "x"),))


class DumpsWhenFreedReduce:
    def __reduce__(self):
        return (str, ("freed",))


DumpsWhenFreed.__reduce__ = DumpsWhenFreedReduce.__reduce__


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_a_dump_inside_a_dump(proto):
    class Brinery(PicklesInsideReduce):
        module = bpickle

    value = [Brinery(), "after", [1, 2, 3], {"k": Brinery()}]
    expected_value = [PicklesInsideReduce(), "after", [1, 2, 3], {"k": PicklesInsideReduce()}]
    assert bpickle.dumps(value, proto) == pickle.dumps(expected_value, proto)


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_python_code_run_while_the_memo_is_released(proto):
    DumpsWhenFreed.freed_dumps.clear()
    value = [MakesAFreshObject(), "tail"]
    ours = bpickle.dumps(value, proto)
    assert DumpsWhenFreed.freed_dumps == [pickle.dumps(["freed", 1, 2.5])]
    assert ours == pickle.dumps(value, proto)
    # The next dump on this thread still starts clean.
    assert bpickle.dumps([1, "a"], proto) == pickle.dumps([1, "a"], proto)


def test_spares_across_sizes_and_protocols():
    big = [str(i) * 50 for i in range(40_000)]  # a few MB: not kept
    small = {"a": [1, 2], "b": "text"}
    for proto in [5, 0, 5, 2, 4, 1, 3]:
        for value in (small, big, small, [], small):
            assert bpickle.dumps(value, proto) == pickle.dumps(value, proto)


def test_threads_each_reuse_their_own_spares():
    values = [{"thread": t, "items": list(range(t * 10))} for t in range(8)]
    failures = []

    def work(value):
        for proto in PROTOCOLS:
            for _ in range(50):
                if bpickle.dumps(value, proto) != pickle.dumps(value, proto):
                    failures.append((value["thread"], proto))

    threads = [threading.Thread(target=work, args=(v,)) for v in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


class ShrinksItsList:
    """Empties the list it is in when pickled (after the items before it)."""

    def __init__(self, owner):
        self.owner = owner

    def __reduce__(self):
        del self.owner[:]
        return (int, (7,))


class GrowsItsDict:
    def __init__(self, owner):
        self.owner = owner

    def __reduce__(self):
        self.owner["added"] = 1
        return (int, (7,))


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_a_list_changed_by_its_items(proto):
    def build():
        items = [1, 2.5, None, True]
        items.append(ShrinksItsList(items))
        items.extend([3, 4, 5])
        return items

    assert bpickle.dumps(build(), proto) == pickle.dumps(build(), proto)


@pytest.mark.parametrize("proto", range(1, pickle.HIGHEST_PROTOCOL + 1))
def test_a_dict_changed_by_its_values(proto):
    def build():
        d = {1: None, 2: 2.5}
        d["grows"] = GrowsItsDict(d)
        d[3] = 4
        return d

    with pytest.raises(RuntimeError) as theirs:
        pickle.dumps(build(), proto)
    with pytest.raises(RuntimeError) as ours:
        bpickle.dumps(build(), proto)
    assert str(ours.value) == str(theirs.value)


def test_deep_nesting_with_a_raised_recursion_limit():
    # The Rust stack is checked every few levels (save.rs, `nested`), not at
    # every one: a nesting far deeper than the default recursion limit must
    # still move to new stack segments in time, objects with reducers (which
    # run Python code between checks) too. Run apart, so that a stack
    # overflow is a failed check rather than a dead test process. Containers
    # are compared with the pure-Python pickler (its recursion over them
    # uses no C stack), objects with CPython's C pickler.
    script = (
        "import sys, pickle, brinery.pickle as b\n"
        "sys.setrecursionlimit(200_000)\n"
        "for kind in (list, dict, tuple):\n"
        "    deep = 0\n"
        "    for _ in range(60_000):\n"
        "        deep = {'k': deep} if kind is dict else kind([deep, 'x'])\n"
        "    for proto in (0, 2, 5):\n"
        "        assert b.dumps(deep, proto) == pickle._dumps(deep, proto), (kind, proto)\n"
        # Objects with a reducer: the pure-Python pickler runs out of C stack
        # on these before 20 000 levels; CPython's C pickler manages 20 000.
        "class Node:\n"
        "    def __init__(self, child):\n"
        "        self.child = child\n"
        "    def __reduce__(self):\n"
        "        return (Node, (self.child,))\n"
        "deep = 0\n"
        "for level in range(1, 50_001):\n"
        "    deep = Node(deep)\n"
        "    if level == 20_000:\n"
        "        assert b.dumps(deep, 5) == pickle.dumps(deep, 5)\n"
        "assert len(b.dumps(deep, 5)) > 50_000\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
