"""``brinery.json`` against the standard library on the cases where the C
encoder's and decoder's choices are subtle: subclasses of the built-in
types, user classes deriving from the encoder and decoder, hooks and their
call order, the key memo, recursion, input types. The standard library's
``json`` is the oracle for every expectation."""

import collections
import enum
import json
import pickle

import pytest

import brinery.json as bjson
from test_json_differential import outcome


class ReprInt(int):
    def __repr__(self):
        return "nope"

    __str__ = __repr__


class ReprFloat(float):
    def __repr__(self):
        return "nope"


class StrStr(str):
    def __str__(self):
        return "nope"


class BackwardsList(list):
    def __iter__(self):
        return reversed(list(list.__iter__(self)))


class BrokenList(list):
    def __iter__(self):
        raise TypeError("no iterating")


class BackwardsTuple(tuple):
    def __iter__(self):
        return reversed(tuple(tuple.__iter__(self)))


class ItemsDict(dict):
    def items(self):
        return [("replaced", 1)]


class Color(enum.IntEnum):
    RED = 1


class Half(float, enum.Enum):
    HALF = 0.5


circular_list = []
circular_list.append(circular_list)
circular_dict = {}
circular_dict["self"] = circular_dict

CASES = [
    ReprInt(7),
    [ReprInt(2**70)],
    {ReprInt(3): ReprFloat(1.5)},
    ReprFloat(2.5),
    StrStr("é"),
    {StrStr("k"): StrStr("v")},
    BackwardsList([1, 2, 3]),
    BackwardsTuple((1, 2)),
    BrokenList([1]),
    ItemsDict(a=1),
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.defaultdict(int, {"x": 1}),
    collections.Counter("abca"),
    Color.RED,
    {Color.RED: Half.HALF},
    circular_list,
    circular_dict,
    {1: 1, "a": 2},
    {(1, 2): 3},
    {b"x": 1},
    object(),
    {1, 2},
    [1, [2, [3, {"a": (4, 5)}]]],
    {True: 1, None: 2, 1.5: 3, -0.0: 4, float("nan"): 5},
]

OPTIONS = [
    {},
    {"indent": 2},
    {"sort_keys": True},
    {"skipkeys": True},
    {"check_circular": False},
    {"default": repr},
    {"default": lambda o: o},
    {"indent": "\t", "sort_keys": True, "ensure_ascii": False, "default": str},
]


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
@pytest.mark.parametrize("value", CASES, ids=lambda v: type(v).__name__)
def test_dumps_of_subclasses_and_odd_values(value, opts):
    if "check_circular" in opts and value in (circular_list, circular_dict):
        # Both hit the recursion limit; only the limit's wording differs
        # between implementations when indent is set.
        with pytest.raises(RecursionError):
            bjson.dumps(value, **opts)
        return
    assert outcome(bjson.dumps, value, **opts) == outcome(json.dumps, value, **opts)


class StdEncoder(json.JSONEncoder):
    def default(self, o):
        return sorted(o) if isinstance(o, set) else super().default(o)


class OurEncoder(bjson.JSONEncoder):
    def default(self, o):
        return sorted(o) if isinstance(o, set) else super().default(o)


class OurEncodeOverride(bjson.JSONEncoder):
    def encode(self, o):
        return "<" + super().encode(o) + ">"


class OurIterencodeOverride(bjson.JSONEncoder):
    def iterencode(self, o, _one_shot=False):
        yield "["
        yield from super().iterencode(o, _one_shot)
        yield "]"


class StdIterencodeOverride(json.JSONEncoder):
    def iterencode(self, o, _one_shot=False):
        yield "["
        yield from super().iterencode(o, _one_shot)
        yield "]"


def test_encoder_classes_keep_the_standard_semantics():
    value = {"s": {3, 1, 2}, "n": [1.5, None]}
    assert bjson.dumps(value, cls=OurEncoder) == json.dumps(value, cls=StdEncoder)
    assert bjson.dumps(value, cls=StdEncoder) == json.dumps(value, cls=StdEncoder)
    assert OurEncodeOverride().encode([1]) == "<[1]>"
    assert bjson.dumps([1], cls=OurIterencodeOverride) == json.dumps([1], cls=StdIterencodeOverride)
    assert list(OurEncoder(indent=1).iterencode([{1}])) != []
    assert "".join(OurEncoder(indent=1).iterencode([{1}])) == "".join(StdEncoder(indent=1).iterencode([{1}]))
    assert isinstance(bjson.JSONEncoder(), json.JSONEncoder)


def test_json_dump_writes_what_json_dump_writes():
    import io

    for value in (CASES[21], {"a": float("nan")}):
        for opts in ({}, {"indent": 3}, {"allow_nan": False}):
            ours, theirs = io.StringIO(), io.StringIO()
            result = outcome(bjson.dump, value, ours, **opts)
            assert result == outcome(json.dump, value, theirs, **opts)
            # A known difference: on an error, json.dump has written the
            # chunks before it; brinery writes the document whole or not at all.
            if result[0] == "ok":
                assert ours.getvalue() == theirs.getvalue()


MUTATIONS = {
    "clear": lambda d: d.clear(),
    "delete the next": lambda d: d.pop("c", None),
    "replace a later value": lambda d: d.__setitem__("d", "replaced"),
    "replace an earlier value": lambda d: d.__setitem__("a", "replaced"),
    "add": lambda d: d.__setitem__("z", 26),
    "rebuild": lambda d: (d.clear(), d.update(y=1, x=[2])),
}


@pytest.mark.parametrize("trigger", ["default", "list subclass __iter__", "dict subclass items"])
@pytest.mark.parametrize("mutation", MUTATIONS)
@pytest.mark.parametrize("shape", ["object first", "atoms first", "nested", "object last"])
def test_python_code_may_mutate_the_dict_being_written(trigger, mutation, shape):
    # C writes the entries the dict had when it was reached, whatever Python
    # code run while writing it (`default`, a subclass's `__iter__` or
    # `items`) then does to it; brinery reads the dict straight from its
    # table until such code is about to run.
    def run(module):
        class Iter(list):
            def __iter__(self):
                MUTATIONS[mutation](d)
                return super().__iter__()

        class Items(dict):
            def items(self):
                MUTATIONS[mutation](d)
                return super().items()

        marker = {"default": object, "list subclass __iter__": lambda: Iter([1]), "dict subclass items": lambda: Items(k=1)}[
            trigger
        ]()
        if shape == "object first":
            d = {"b": marker, "a": 1, "c": "three", "d": 4.0}
        elif shape == "atoms first":
            d = {"a": 1, "b": None, "e": marker, "c": "three", "d": 4.0}
        elif shape == "nested":
            d = {"a": 1, "b": [2, {"x": marker}], "c": "three", "d": True}
        else:
            d = {"a": 1, "c": "three", "d": 4.0, "e": marker}

        def default(o):
            MUTATIONS[mutation](d)
            return "gone"

        return outcome(module.dumps, d, default=default)

    assert run(bjson) == run(json)


NOT_UTF8 = [
    b'["\xff"]',
    b"\xff",
    b"[1, 2] \xff",
    b'[1,, 2, "\xff"]',
    b'{"a": 1, "\xc3": 2}',
    b'["ok", \xff]',
    b'[1] "\xe9"',
    b'["\xf0\x9f\x98"]',
    b'{"k": [1, 2, {"deep": "\xe9t\xe9"}]}',
    # Encoded surrogates: json.loads decodes bytes with surrogatepass.
    b'["\xed\xa0\x80"]',
    b'{"\xed\xa0\x80": 1}',
    b'["\xed\xa0\x80\\ud800"]',
    b'["\xed\xa0\x80", 1,]',
]


@pytest.mark.parametrize("hooked", [False, True])
@pytest.mark.parametrize("doc", NOT_UTF8)
def test_bytes_that_are_not_utf8_load_or_fail_like_json(doc, hooked):
    # json.loads decodes the whole document before it parses: a decode
    # error comes first, wherever the first JSON error is, and no hook runs.
    def run(module):
        calls = []
        hooks = {"object_hook": lambda d: calls.append(d) or d} if hooked else {}
        return outcome(module.loads, doc, **hooks), calls

    assert run(bjson) == run(json)


def test_hooks_are_called_in_json_order():
    doc = '{"a": [1, 2.5, NaN, {"b": -0, "c": 1e400}], "d": {"e": "x"}, "a": true}'

    def record(calls):
        def hook(kind):
            return lambda arg: (calls.append((kind, arg)), (kind, arg))[1]

        return dict(
            parse_int=hook("int"),
            parse_float=hook("float"),
            parse_constant=hook("const"),
            object_hook=hook("object"),
        )

    ours, theirs = [], []
    assert repr(bjson.loads(doc, **record(ours))) == repr(json.loads(doc, **record(theirs)))
    assert repr(ours) == repr(theirs)
    pairs = dict(object_pairs_hook=lambda p: p, object_hook=lambda d: "unused")
    assert outcome(bjson.loads, doc, **pairs) == outcome(json.loads, doc, **pairs)


def test_equal_keys_are_one_object():
    value = bjson.loads('[{"key": 1, "k\\u0065y2": 2}, {"key": 3, "key2": 4}]')
    (a, b), (c, d) = sorted(value[0]), sorted(value[1])
    assert a is c and b is d


class OurDecoder(bjson.JSONDecoder):
    def raw_decode(self, s, idx=0):
        value, end = super().raw_decode(s, idx)
        return ("raw", value), end


class StdDecoder(json.JSONDecoder):
    def raw_decode(self, s, idx=0):
        value, end = super().raw_decode(s, idx)
        return ("raw", value), end


def test_decoder_classes_keep_the_standard_semantics():
    for doc in ("[1, 2]", " [1] ", "[1] x", "é"):
        assert outcome(bjson.loads, doc, cls=OurDecoder) == outcome(json.loads, doc, cls=StdDecoder)
        assert outcome(bjson.loads, doc, cls=StdDecoder) == outcome(json.loads, doc, cls=StdDecoder)
        assert outcome(OurDecoder().decode, doc) == outcome(StdDecoder().decode, doc)
    for idx in (-1, 0, 1, 3, 5, 50):
        doc = "é [1, {}] x"
        assert outcome(bjson.JSONDecoder().raw_decode, doc, idx) == outcome(json.JSONDecoder().raw_decode, doc, idx)
    assert isinstance(bjson.JSONDecoder(), json.JSONDecoder)


@pytest.mark.parametrize(
    "doc",
    [
        b'[1, "\xc3\xa9"]',
        b"\xef\xbb\xbf[1]",
        "[1]".encode("utf-16"),
        "[1]".encode("utf-16-be"),
        "[1]".encode("utf-32"),
        "[1]".encode("utf-32-le"),
        b'"\xed\xa0\x80"',
        b"\xff",
        b'"\x80"',
        b"\xff\xfe",
        bytearray(b"[1, 2]"),
        b"[1 2]",
        "\ufeff[1]",
        memoryview(b"[1]"),
        123,
        None,
    ],
    ids=repr,
)
def test_input_types_and_encodings(doc):
    assert outcome(bjson.loads, doc) == outcome(json.loads, doc)


def test_decode_error_is_the_standard_class_and_pickles():
    with pytest.raises(json.JSONDecodeError) as info:
        bjson.loads('{"a": 1,\n "b" 2}')
    err = info.value
    theirs = outcome(json.loads, '{"a": 1,\n "b" 2}')
    assert (type(err).__name__, str(err), (err.pos, err.lineno, err.colno)) == theirs
    assert bjson.JSONDecodeError is json.JSONDecodeError
    again = pickle.loads(pickle.dumps(err))
    assert (again.msg, again.doc, again.pos) == (err.msg, err.doc, err.pos)


def test_deep_nesting_is_a_recursion_error():
    for doc in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        with pytest.raises(RecursionError) as ours:
            bjson.loads(doc)
        with pytest.raises(RecursionError) as theirs:
            json.loads(doc)
        assert str(ours.value) == str(theirs.value)
    deep = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(RecursionError) as ours:
        bjson.dumps(deep)
    with pytest.raises(RecursionError) as theirs:
        json.dumps(deep)
    assert str(ours.value) == str(theirs.value)
    # Within the limit, both succeed.
    assert bjson.loads("[" * 500 + "]" * 500) == json.loads("[" * 500 + "]" * 500)


def test_module_surface():
    for name in json.__all__:
        assert hasattr(bjson, name), name
    assert bjson.decoder.JSONDecoder is bjson.JSONDecoder
    assert bjson.encoder.JSONEncoder is bjson.JSONEncoder
    assert bjson.scanner.make_scanner is json.scanner.make_scanner


def _nested_list(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


ENTRY_POINTS = {
    "loads": lambda m, n: m.loads("[" * n + "]" * n),
    "decode": lambda m, n: m.JSONDecoder().decode("[" * n + "]" * n),
    "raw_decode": lambda m, n: m.JSONDecoder().raw_decode("[" * n + "]" * n),
    "dumps": lambda m, n: m.dumps(_nested_list(n)),
    "encode": lambda m, n: m.JSONEncoder().encode(_nested_list(n)),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_recursion_limit_is_hit_at_the_same_depth(entry):
    call = ENTRY_POINTS[entry]

    def deepest(module):
        # Called at the same stack depth for both modules.
        return [n for n in range(900, 1100, 1) if outcome(call, module, n)[0] == "ok"][-1:]

    assert deepest(bjson) == deepest(json)
