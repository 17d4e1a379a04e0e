"""Differential property tests: brinery.pickle writes the same bytes as
CPython's C pickler and reads what it writes, for generated values at every
protocol (hypothesis)."""

import io
import json
import math
import pickle

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import brinery.json as bjson
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


def test_small_ints_are_cpythons_own_objects():
    # CPython hands out one preallocated object for each int from -5 to 256
    # (brinery looks them up once); other ints are new objects each time.
    values = list(range(-300, 70000, 7)) + list(range(-10, 300))
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        data = pickle.dumps(values, proto)
        ours, theirs = bpickle.loads(data), pickle.loads(data)
        assert ours == values
        assert [a is b for a, b in zip(ours, theirs)] == [-5 <= v <= 256 for v in values]
    ours, theirs = bjson.loads(json.dumps(values)), json.loads(json.dumps(values))
    assert ours == values
    assert [a is b for a, b in zip(ours, theirs)] == [-5 <= v <= 256 for v in values]


@given(st.floats(allow_nan=True), protocols)
def test_floats_including_nan(x, proto):
    data = bpickle.dumps(x, proto)
    assert data == pickle.dumps(x, proto)
    back = bpickle.loads(data)
    assert (math.isnan(back) and math.isnan(x)) or back == x


# Protocol-0 text arguments the Python-side fuzzer (tests/fuzz_python) found
# read differently: each loads to the same value as CPython, or raises the
# same exception type.
TEXT_ARGUMENT_CASES = [
    b"Np99999999999999999999\n.",  # PUT index past ssize_t: OverflowError
    b"g99999999999999999999\n.",  # GET likewise
    b"(p99999999999999999999\n.",  # PUT onto a MARK: the stack is checked first
    b"Np_1\n.",  # underscores only between digits: ValueError
    b"Np1__0\n.",
    b"Np0\x00x\ng0\n.",  # the line is a C string: it ends at the NUL
    b"Np007\ng7\n.",  # base 10: leading zeros are fine
    b"I\x00\x00\n.",  # strtol reads no digits and stops at a NUL: False
    b"I\x00\x00\x00\n.",  # ... or 0
    b"N(p\n.",  # an empty PUT line is a truncation
    b"p1\n.",  # PUT on an empty stack
    b"Np-1\n.",  # negative PUT argument: ValueError
    b"F1e999\n.",  # OverflowError
    b"L" + b"9" * 4301 + b"\n.",  # past sys.get_int_max_str_digits(): ValueError
    b"L1\xff\n.",  # a bad literal that is not UTF-8: UnicodeDecodeError
    b"Np1\xe9\n.",  # likewise for a PUT index
    b"L1\xc2\xa0\n.",  # only ASCII whitespace is stripped: ValueError
    b"Vx\\u12\n.",  # a truncated \\u escape: UnicodeDecodeError
    b"V\\U00110000\n.",  # past U+10FFFF: UnicodeDecodeError
    b"F1e" + b"9" * 200 + b"\n.",  # a 200-digit exponent: OverflowError
    b"F0e" + b"9" * 200 + b"\n.",  # ... of zero: 0.0
    b"c\xff\nx\n.",  # a GLOBAL name that is not UTF-8: UnicodeDecodeError
    b"(i\xd92\nang\n.",  # an INST name that is not ASCII: UnicodeDecodeError
    b"c\xff\n",  # the module line is decoded before the name line is read
    b"(i\xd9\n",  # likewise for INST
    b"ios\nx\n.",  # INST looks for its MARK first
]

# The pieces protocol-0 text arguments are generated from: digits, signs,
# prefixes, underscores, whitespace, escapes, float words, and bytes that
# are NUL, non-ASCII or not UTF-8.
TEXT_PIECES = [b"0", b"1", b"9", b"x", b"o", b"b", b"_", b"-", b"+", b".", b"e", b"E", b" ", b"\t", b"L", b"f",
               b"inf", b"NaN", b"infinity", b"\\u", b"\\U", b"00110000", b"\x00", b"\xc3\xa9", b"\xc3", b"\xff",
               b"9" * 40, b"0" * 40]
TEXT_OPCODES = [b"I", b"L", b"F", b"V", b"(I1\np", b"(I1\np1\ng"]


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(TEXT_OPCODES), st.lists(st.sampled_from(TEXT_PIECES), max_size=8).map(b"".join))
def test_generated_text_arguments_load_or_fail_like_cpython(opcode, argument):
    """The same value, or the same exception type *and message*, as CPython."""
    data = opcode + argument + b"\n."
    theirs = detailed_outcome(pickle.loads, data)
    # Deliberate: CPython allocates a memo array as long as a large PUT index
    # (MemoryError); brinery keeps sparse indices (docs/fuzzing.md).
    assume(theirs[1] is not MemoryError)
    assert detailed_outcome(bpickle.loads, data) == theirs, data


def detailed_outcome(loads, data):
    try:
        value = loads(data)
        return ("ok", type(value), repr(value))
    except Exception as e:  # noqa: BLE001  (type and message are compared)
        return ("raised", type(e), str(e))


def outcome(loads, data):
    try:
        return ("ok", loads(data))
    except Exception as e:  # noqa: BLE001  (the type is what is compared)
        return ("raised", type(e))


def test_text_arguments_read_like_cpython():
    for data in TEXT_ARGUMENT_CASES:
        ours, theirs = outcome(bpickle.loads, data), outcome(pickle.loads, data)
        assert ours[0] == theirs[0], (data, ours, theirs)
        if ours[0] == "ok":
            assert type(ours[1]) is type(theirs[1]) and ours[1] == theirs[1], (data, ours, theirs)
        else:
            assert ours[1] is theirs[1], (data, ours, theirs)


def test_ints_past_the_text_digit_limit_dump_like_cpython():
    """Below protocol 2 an int is written as decimal text, which CPython refuses
    past sys.get_int_max_str_digits() digits; brinery follows the same setting."""
    import sys

    def outcome(dumps, x, proto):
        try:
            return dumps(x, proto)
        except ValueError as e:
            return ("ValueError", str(e))

    limit = sys.get_int_max_str_digits()
    try:
        for setting in (limit, 0, 5000):
            sys.set_int_max_str_digits(setting)
            for digits in (4300, 4301, 5001):
                for x in (10 ** (digits - 1), -(10 ** (digits - 1))):
                    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
                        ours, theirs = outcome(bpickle.dumps, x, proto), outcome(pickle.dumps, x, proto)
                        assert ours == theirs, (setting, digits, proto)
    finally:
        sys.set_int_max_str_digits(limit)


def test_missing_out_of_band_buffers_fail_like_cpython():
    # Not given and None both mean "no buffers" (CPython's C default is
    # NULL, whatever its signature shows); an empty iterable runs out.
    data = pickle.dumps(pickle.PickleBuffer(b"abc"), 5, buffer_callback=lambda b: False)

    def failure(module, how, kwargs):
        try:
            if how == "loads":
                module.loads(data, **kwargs)
            elif how == "load":
                module.load(io.BytesIO(data), **kwargs)
            else:
                module.Unpickler(io.BytesIO(data), **kwargs).load()
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            return type(e).__name__, str(e)
        return None

    for kwargs in ({}, {"buffers": None}, {"buffers": ()}, {"buffers": iter([])}):
        for how in ("loads", "load", "Unpickler"):
            expected = failure(pickle, how, dict(kwargs))
            assert expected is not None
            assert failure(bpickle, how, dict(kwargs)) == expected, (how, kwargs)


def test_find_class_audit_events_match_cpython():
    # Audit hooks cannot be removed, so this runs in a fresh interpreter.
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import collections, pickle, sys
        import brinery.pickle as bp
        seen = []
        def hook(event, args):
            if event == "pickle.find_class":
                seen.append(args)
                if args[1] == "Counter":
                    raise RuntimeError("refused by the audit hook")
        sys.addaudithook(hook)
        for proto in (0, 2, 5):
            data = pickle.dumps([collections.OrderedDict(a=1), collections.deque([2])], proto)
            for module in (pickle, bp):
                seen.clear()
                module.loads(data)
                print(proto, module.__name__, seen)
        data = pickle.dumps(collections.Counter("ab"), 5)
        for module in (pickle, bp):
            try:
                module.loads(data)
            except RuntimeError as e:
                print(module.__name__, "raised", e)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    for proto in ("0", "2", "5"):
        cpython = [line.split(" ", 2)[2] for line in lines if line.startswith(proto + " pickle ")]
        ours = [line.split(" ", 2)[2] for line in lines if line.startswith(proto + " brinery.pickle ")]
        assert ours == cpython and cpython != ["[]"]
    assert "pickle raised refused by the audit hook" in lines
    assert "brinery.pickle raised refused by the audit hook" in lines


def test_odd_files_load_or_fail_like_cpython():
    class BytearrayReader(io.RawIOBase):
        """A file whose read returns bytearray, which CPython accepts."""

        def __init__(self, data):
            self.data, self.at = data, 0

        def read(self, n=-1):
            end = len(self.data) if n < 0 else self.at + n
            chunk, self.at = self.data[self.at : end], min(end, len(self.data))
            return bytearray(chunk)

        def readline(self):
            return self.read(1)

    data = pickle.dumps({"a": [1, 2.5, "x"]}, 2)

    def outcome(load):
        try:
            return "ok", load()
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            return type(e).__name__, str(e)

    makers = [object, lambda: io.StringIO("x"), lambda: BytearrayReader(data)]
    for make in makers:
        for how in ("load", "Unpickler"):

            def run(module):
                if how == "load":
                    return outcome(lambda: module.load(make()))
                return outcome(lambda: module.Unpickler(make()).load())

            expected = run(pickle)
            assert run(bpickle) == expected, (make, how)
