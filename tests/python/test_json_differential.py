"""``brinery.json`` against the standard library's ``json`` (the oracle):
generated values and option sets for ``dumps``, generated documents and
every file of JSONTestSuite for ``loads``. Each side gives the same result
or raises the same exception type with the same message."""

import json
import math
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brinery.json as bjson

SUITE = pathlib.Path("/work/shared/data/JSONTestSuite/test_parsing")


def outcome(fn, *args, **kwargs):
    """What a call gives: ``("ok", repr(result))`` or the exception's type,
    message and, for decode errors, position. ``repr`` makes the comparison
    NaN-safe and tells ``-0.0`` from ``0.0`` and ``1`` from ``1.0``."""
    try:
        return ("ok", repr(fn(*args, **kwargs)))
    except Exception as e:  # noqa: BLE001 - the exception is the result
        detail = (e.pos, e.lineno, e.colno) if isinstance(e, json.JSONDecodeError) else None
        return (type(e).__name__, str(e), detail)


# Any code point, lone surrogates included.
texts = st.text(st.characters(blacklist_categories=()), max_size=12)
floats = st.floats(allow_nan=True, allow_infinity=True)
ints = st.integers() | st.integers(min_value=-(10**40), max_value=10**40)
scalars = st.none() | st.booleans() | ints | floats | texts
keys = texts | st.none() | st.booleans() | ints | floats | st.tuples(st.integers())
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)
options = st.fixed_dictionaries(
    {},
    optional={
        "skipkeys": st.booleans(),
        "ensure_ascii": st.booleans(),
        "check_circular": st.booleans(),
        "allow_nan": st.booleans(),
        "indent": st.none() | st.integers(-2, 4) | st.sampled_from(["", "\t", "ab"]),
        "separators": st.none() | st.sampled_from([(",", ":"), (", ", ": "), (";", "="), ("", "")]),
        "sort_keys": st.booleans(),
        "default": st.sampled_from([repr, str]),
    },
)


@settings(max_examples=1500, deadline=None)
@given(values, options)
def test_dumps_matches_json(value, opts):
    assert outcome(bjson.dumps, value, **opts) == outcome(json.dumps, value, **opts)


@settings(max_examples=300, deadline=None)
@given(values, options)
def test_dump_and_encoder_classes_match_json(value, opts):
    import io

    def dumped(module):
        out = io.StringIO()
        module.dump(value, out, **opts)
        return out.getvalue()

    assert outcome(dumped, bjson) == outcome(dumped, json)
    encoder_opts = {k: v for k, v in opts.items()}
    assert outcome(lambda: bjson.JSONEncoder(**encoder_opts).encode(value)) == outcome(
        lambda: json.JSONEncoder(**encoder_opts).encode(value)
    )


def _text(value, indent, ensure_ascii):
    try:
        return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii, default=repr)
    except (ValueError, TypeError):
        return "[]"


documents = st.builds(_text, values, st.none() | st.integers(0, 2), st.booleans())
# Fragments of JSON glued at random: mostly invalid, every error message.
json_alphabet = st.sampled_from(list('[]{}",:0123456789.eE+-\\ \n\t') + ["true", "null", "NaN", "-Infinity", "\\u", "d8", "é", "\ud800", "\x00"])
fragments = st.lists(json_alphabet, max_size=20).map("".join)


@settings(max_examples=1500, deadline=None)
@given(documents | fragments)
def test_loads_matches_json(doc):
    assert outcome(bjson.loads, doc) == outcome(json.loads, doc)
    encoded = doc.encode("utf-8", "surrogatepass")
    assert outcome(bjson.loads, encoded) == outcome(json.loads, encoded)


@settings(max_examples=300, deadline=None)
@given(documents | fragments, st.integers(0, 5))
def test_raw_decode_and_hooks_match_json(doc, idx):
    hooks = dict(
        object_pairs_hook=lambda pairs: ("pairs", pairs),
        parse_float=lambda t: ("float", t),
        parse_int=lambda t: ("int", t),
        parse_constant=lambda t: ("const", t),
    )
    assert outcome(bjson.loads, doc, **hooks) == outcome(json.loads, doc, **hooks)
    assert outcome(bjson.loads, doc, object_hook=sorted) == outcome(json.loads, doc, object_hook=sorted)
    assert outcome(bjson.loads, doc, strict=False) == outcome(json.loads, doc, strict=False)
    assert outcome(bjson.JSONDecoder().raw_decode, doc, idx) == outcome(json.JSONDecoder().raw_decode, doc, idx)


@pytest.mark.parametrize("path", sorted(SUITE.iterdir()), ids=lambda p: p.name)
def test_json_test_suite_file(path):
    data = path.read_bytes()
    assert outcome(bjson.loads, data) == outcome(json.loads, data)
    try:
        text = data.decode(json.detect_encoding(data), "surrogatepass")
    except UnicodeDecodeError:
        return
    assert outcome(bjson.loads, text) == outcome(json.loads, text)


@pytest.mark.parametrize(
    "value",
    [10**4300, 10**4299, -(10**5000), float("nan"), [float("-inf")], {float("inf"): 1}],
    ids=["big", "limit", "bigger", "nan", "-inf", "inf-key"],
)
def test_limits_and_specials_match_json(value):
    for opts in ({}, {"allow_nan": False}, {"indent": 1, "allow_nan": False}):
        assert outcome(bjson.dumps, value, **opts) == outcome(json.dumps, value, **opts)


def test_digit_limit_on_loads_matches_json():
    for doc in ("1" * 4300, "1" * 4301, "-" + "1" * 4301, "[" + "2" * 5000 + ".0]"):
        assert outcome(bjson.loads, doc) == outcome(json.loads, doc)


def test_nan_safe_comparison_sees_floats():
    assert outcome(bjson.loads, "NaN") == ("ok", repr(math.nan))
