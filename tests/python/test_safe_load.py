"""brinery.loads is safe by default: malicious pickles are refused before
anything is imported or called (checked with an audit-hook spy in a fresh
interpreter), allowlisted types load, and ``allow=``/``trusted=`` work."""

import ast
import collections
import datetime
import decimal
import fractions
import json
import pathlib
import pickle
import subprocess
import sys
import uuid

import pytest

import brinery

HERE = pathlib.Path(__file__).parent / "safe"


@pytest.fixture(scope="module")
def spy_results():
    out = subprocess.run([sys.executable, str(HERE / "spy.py"), str(HERE)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_corpus_is_dangerous_under_plain_pickle():
    # Sanity: the stdlib resolves every global the corpus names (so it would
    # really import and call them); we only ask find_class, never call.
    sys.path.insert(0, str(HERE))
    import malicious

    for name, data in malicious.corpus():
        seen = []

        class Recorder(pickle.Unpickler):
            def find_class(self, module, qualname):
                seen.append((module, qualname))
                raise pickle.UnpicklingError("stop")

        with pytest.raises(pickle.UnpicklingError):
            Recorder(__import__("io").BytesIO(data)).load()
        assert seen, name


def per_pickle(spy_results):
    return {k: v for k, v in spy_results.items() if k != "__new_modules__"}


def test_every_malicious_pickle_is_refused(spy_results):
    results = per_pickle(spy_results)
    assert len(results) >= 70
    for name, r in results.items():
        assert r["outcome"][0] == "refused", (name, r["outcome"])
        assert r["outcome"][3] is not None, name  # the byte offset is reported


def test_nothing_is_imported_or_called(spy_results):
    assert spy_results["__new_modules__"] == []
    for name, r in per_pickle(spy_results).items():
        assert r["events"] == [], (name, r["events"])
        # The refusal happens inside find_class, after its audit event, before
        # any import: the refused global is the last one asked for (the audit
        # event shows it before the Python 2 name mapping).
        _, module, qualname, _ = r["outcome"]
        asked_module, asked_name = ast.literal_eval(r["find_class"][-1])
        assert asked_name == qualname and pickle._compat_pickle.IMPORT_MAPPING.get(asked_module, module) == module, (
            name,
            r["find_class"],
        )


ALLOWED_VALUES = [
    None, True, 1, -(2**100), 1.5, 2j, "text \udc80", b"bytes", bytearray(b"ba"), (1, 2), [1, [2]], {"a": {1: 2}},
    {1, 2}, frozenset({3}), range(1, 10, 2), slice(1, 2, 3),
    collections.OrderedDict(a=1), collections.defaultdict(list, a=[1]), collections.deque([1, 2], maxlen=5),
    collections.Counter("abca"), datetime.datetime(2026, 11, 21, 8, 30, tzinfo=datetime.timezone.utc),
    datetime.date(2026, 1, 1), datetime.time(12, 0), datetime.timedelta(days=3), decimal.Decimal("1.25"),
    fractions.Fraction(3, 7), uuid.UUID(int=12345),
]


@pytest.mark.parametrize("proto", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("value", ALLOWED_VALUES, ids=lambda v: type(v).__name__)
def test_allowlisted_types_load(value, proto):
    data = pickle.dumps(value, proto)
    assert brinery.loads(data) == value


@pytest.mark.parametrize("proto", range(pickle.HIGHEST_PROTOCOL + 1))
def test_allow_and_trusted_let_a_global_through(proto):
    value = pathlib.PurePosixPath("a/b")
    data = pickle.dumps(value, proto)
    with pytest.raises(brinery.UnsafeGlobalError) as e:
        brinery.loads(data)
    assert (e.value.module, e.value.name) == ("pathlib", "PurePosixPath")
    assert data[e.value.offset] in b"c\x93"  # GLOBAL or STACK_GLOBAL is at the reported offset
    message = str(e.value)
    assert "pathlib.PurePosixPath" in message and "allow=" in message and "trusted=True" in message
    assert brinery.loads(data, allow={"pathlib.PurePosixPath"}) == value
    assert brinery.loads(data, trusted=True) == value


def test_refusal_is_an_unpickling_error():
    with pytest.raises(pickle.UnpicklingError):
        brinery.loads(b"cos\nsystem\n.")
