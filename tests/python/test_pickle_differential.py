"""Differential property tests: brinery.pickle writes the same bytes as
CPython's C pickler and reads what it writes, for generated values at every
protocol (hypothesis)."""

import io
import math
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

import brinery.pickle as bpickle

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**300), max_value=2**300)
    | st.floats(allow_nan=False)
    | st.text()
    | st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3)
    | st.binary()
    | st.complex_numbers(allow_nan=False)
)
hashable = st.recursive(scalars, lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=4), max_leaves=8)
values = st.recursive(
    scalars | hashable,
    lambda inner: st.lists(inner, max_size=6)
    | st.tuples(inner)
    | st.tuples(inner, inner, inner, inner)
    | st.dictionaries(hashable, inner, max_size=5)
    | st.sets(hashable, max_size=5)
    | st.builds(bytearray, st.binary(max_size=20)),
    max_leaves=30,
)
protocols = st.integers(min_value=0, max_value=pickle.HIGHEST_PROTOCOL)


def equal(a, b):
    """== that treats NaN inside containers (there are none here) and -0.0 as CPython's pickles do."""
    return type(a) is type(b) and a == b


@settings(max_examples=400, deadline=None)
@given(values, protocols)
def test_dumps_is_byte_identical(value, proto):
    assert bpickle.dumps(value, proto) == pickle.dumps(value, proto)


@settings(max_examples=300, deadline=None)
@given(values, protocols)
def test_loads_agree_both_ways(value, proto):
    theirs = pickle.dumps(value, proto)
    assert equal(bpickle.loads(theirs), pickle.loads(theirs))
    ours = bpickle.dumps(value, proto)
    assert equal(pickle.loads(ours), value)


@settings(max_examples=100, deadline=None)
@given(st.lists(values, min_size=1, max_size=4), protocols)
def test_shared_references_survive(items, proto):
    shared = [items, items, {"again": items}]
    data = bpickle.dumps(shared, proto)
    assert data == pickle.dumps(shared, proto)
    loaded = bpickle.loads(data)
    assert loaded[0] is loaded[1] is loaded[2]["again"]


@settings(max_examples=100, deadline=None)
@given(values, protocols)
def test_pickler_and_unpickler_classes_agree(value, proto):
    ours, theirs = io.BytesIO(), io.BytesIO()
    bpickle.Pickler(ours, proto).dump(value)
    pickle.Pickler(theirs, proto).dump(value)
    assert ours.getvalue() == theirs.getvalue()
    assert equal(bpickle.Unpickler(io.BytesIO(theirs.getvalue())).load(), pickle.loads(theirs.getvalue()))


@given(st.floats(allow_nan=True), protocols)
def test_floats_including_nan(x, proto):
    data = bpickle.dumps(x, proto)
    assert data == pickle.dumps(x, proto)
    back = bpickle.loads(data)
    assert (math.isnan(back) and math.isnan(x)) or back == x
