"""The memo in one-shot dumps: the same bytes as CPython where a string is
met twice.

`brinery.pickle.dumps` gives a str or bytes that only its container refers
to a memo index without a memo entry, and enters those into the memo before
any Python code runs (crates/brinery-python/src/pickle/unshared.rs). These
cases are the ways such a string can be met a second time, where CPython
writes a memo GET: each compares the bytes with CPython's at every protocol.
The strings are made at run time (`"".join`), so that no code object holds
them and their reference count is what the test arranges.
"""

import pickle
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brinery.pickle as bpickle

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


def fresh(text):
    """A new str object equal to `text`, referred to by nothing else."""
    return "".join(list(text))


def same_bytes(build, proto):
    # Each side gets its own object graph, built the same way, so reference
    # counts are the same for both.
    assert bpickle.dumps(build(), proto) == pickle.dumps(build(), proto)


class Attrs:
    pass


def split_table_dicts():
    # Instance dicts of one class share their keys: one key object is a key
    # of both dicts (why dict keys are never given an index without an entry).
    a, b = Attrs(), Attrs()
    for obj in (a, b):
        setattr(obj, fresh("dynamic_name"), 1)
        setattr(obj, fresh("other_name"), fresh("value"))
    return [vars(a), vars(b)]


def same_item_twice_in_a_list():
    items = [fresh("repeated")]
    items.append(items[0])
    return items


def same_item_twice_in_a_tuple():
    items = [fresh("repeated")]
    return tuple(items * 2)


def same_value_twice_in_a_dict():
    value = [fresh("repeated")]
    return {"a": value[0], "b": value.pop()}


def same_bytes_item_twice():
    items = [fresh("raw").encode()]
    items.append(items[0])
    return items


class ReturnsAHeldString:
    """Its reduce hands the pickler a string that, when first met, only a
    list held: CPython finds it in its memo."""

    def __init__(self, holder):
        self.holder = holder

    def __reduce__(self):
        return (str, (self.holder[0],))


def a_reducer_returns_an_earlier_string():
    holder = [fresh("first seen in a list")]
    return [holder, ReturnsAHeldString(holder)]


class ReturnsAnInternedString:
    def __reduce__(self):
        return (str, (sys.intern(fresh("interned by both")),))


def an_interned_string_met_again():
    # Interned strings' reference counts leave out the interning table: the
    # list holds the only counted reference, and the reducer finds the same
    # object through sys.intern.
    return [[sys.intern(fresh("interned by both"))], ReturnsAnInternedString()]


def a_tuple_met_again_inside_itself():
    # A tuple is memoized after its items, so a cycle back to it walks its
    # items a second time: CPython finds the string in its memo then.
    inner = []
    cycle = (fresh("in a recursive tuple"), inner)
    inner.append(cycle)
    return cycle


def lone_surrogates_and_big_ints_between_strings():
    return [fresh("a"), fresh("\udc80x"), fresh("b"), 2**100, fresh("c"), [fresh("d")], fresh("é")]


CASES = [
    split_table_dicts,
    same_item_twice_in_a_list,
    same_item_twice_in_a_tuple,
    same_value_twice_in_a_dict,
    same_bytes_item_twice,
    a_reducer_returns_an_earlier_string,
    an_interned_string_met_again,
    a_tuple_met_again_inside_itself,
    lone_surrogates_and_big_ints_between_strings,
]


@pytest.mark.parametrize("proto", PROTOCOLS)
@pytest.mark.parametrize("build", CASES, ids=lambda f: f.__name__)
def test_dumps_matches_cpython_where_a_string_recurs(build, proto):
    same_bytes(build, proto)


@pytest.mark.parametrize("build", CASES, ids=lambda f: f.__name__)
def test_the_recurring_string_is_one_object_after_loading(build):
    # Not only the bytes: the GET makes the loaded graph share the string.
    data = bpickle.dumps(build(), pickle.HIGHEST_PROTOCOL)
    # repr, not ==: one case is a recursive tuple.
    assert repr(bpickle.loads(data)) == repr(pickle.loads(pickle.dumps(build(), pickle.HIGHEST_PROTOCOL)))
    assert pickletools_gets(data) == pickletools_gets(pickle.dumps(build(), pickle.HIGHEST_PROTOCOL))


def pickletools_gets(data):
    import pickletools

    return sum(op.name.endswith("GET") for op, _, _ in pickletools.genops(data))


def test_unshared_strings_are_not_kept_alive_past_the_call():
    # The one-shot memo is gone with the call: nothing it noted outlives it.
    items = [fresh("x" * 50) for _ in range(100)]
    before = [sys.getrefcount(s) for s in items]
    bpickle.dumps(items, 5)
    assert [sys.getrefcount(s) for s in items] == before


@st.composite
def object_graphs(draw):
    """Builds a graph of fresh strings, lists, dicts and tuples with shared
    references and cycles (lists and dicts are filled after the tuples are
    made, so a tuple can reach itself through them). Returns a builder, so
    each side gets its own, identical graph."""
    n_strings = draw(st.integers(1, 6))
    # Two characters or more: shorter strings are shared singletons in CPython.
    texts = draw(st.lists(st.text(min_size=2, max_size=8), min_size=n_strings, max_size=n_strings))
    n_lists, n_dicts, n_tuples = (draw(st.integers(0, 3)) for _ in range(3))
    kinds = ["s"] * n_strings + ["l"] * n_lists + ["d"] * n_dicts
    # A tuple refers to anything made before it (strings, lists, dicts, earlier tuples).
    tuple_items = []
    for t in range(n_tuples):
        made = len(kinds) + t
        tuple_items.append(draw(st.lists(st.integers(0, made - 1), min_size=1, max_size=4)))
    total = len(kinds) + n_tuples
    list_items = [draw(st.lists(st.integers(0, total - 1), max_size=4)) for _ in range(n_lists)]
    dict_values = [draw(st.lists(st.integers(0, total - 1), max_size=4)) for _ in range(n_dicts)]
    root = draw(st.integers(0, total - 1))

    def build():
        nodes = [fresh(t) for t in texts] + [[] for _ in range(n_lists)] + [{} for _ in range(n_dicts)]
        for items in tuple_items:
            nodes.append(tuple(nodes[i] for i in items))
        for j, items in enumerate(list_items):
            nodes[n_strings + j].extend(nodes[i] for i in items)
        for k, values in enumerate(dict_values):
            target = nodes[n_strings + n_lists + k]
            for key, i in enumerate(values):
                target[f"k{key}"] = nodes[i]
        top = nodes[root]
        del nodes
        return top

    return build


@settings(max_examples=300, deadline=None)
@given(object_graphs(), st.integers(min_value=0, max_value=pickle.HIGHEST_PROTOCOL))
def test_generated_graphs_with_shared_strings_and_cycles_dump_like_cpython(build, proto):
    same_bytes(build, proto)


class _Finalizer:
    """Cyclic garbage whose finalizer empties and refills the lists being
    pickled, so a collection in the middle of a dump changes them."""

    victims = []

    def __init__(self):
        self.me = self

    def __del__(self):
        for victim in _Finalizer.victims:
            victim.clear()
            victim.extend(fresh(f"refill {i}") for i in range(3))


class _MakesGarbage:
    def __reduce__(self):
        for _ in range(5):
            _Finalizer()
        return (str, (fresh("reduced"),))


def test_collections_during_a_dump_never_touch_freed_strings():
    # Noted strings are entered into the memo before anything that can run
    # the collector, so a finalizer that frees them mid-dump cannot leave the
    # saver holding a dangling address. This exercises that path (reducers
    # that make cyclic garbage, a collection at every allocation, later
    # settling at a set) under make test's PYTHONMALLOC=debug; it catches
    # crashes, not every silent use after free.
    import gc
    import random

    rng = random.Random(1)
    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        for _ in range(300):
            items = [fresh(f"s{rng.random()}") for _ in range(rng.randint(1, 20))]
            if rng.random() < 0.5:
                items.insert(rng.randint(0, len(items)), _MakesGarbage())
            _Finalizer.victims[:] = [items]
            doc = {f"k{i}": fresh(f"v{i}") for i in range(rng.randint(0, 5))}
            doc["list"] = items
            # Sets settle the memo (their iterator is an allocation): a
            # noted string freed by a finalizer would be touched there.
            doc["set"] = {fresh("in a set"), 1}
            for proto in PROTOCOLS:
                try:
                    data = bpickle.dumps([doc, items], proto)
                except RuntimeError as e:
                    assert "changed size during iteration" in str(e)
                else:
                    pickle.loads(data)
    finally:
        _Finalizer.victims.clear()
        gc.set_threshold(*thresholds)
        gc.collect()
