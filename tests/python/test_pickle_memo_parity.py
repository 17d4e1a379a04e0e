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
