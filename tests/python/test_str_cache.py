"""The cache of short ASCII strings behind `brinery.pickle.loads` and the
object keys of `brinery.json.loads` (crates/brinery-python/src/str_cache.rs).

A text of at most 64 ASCII bytes read again comes back as the same `str`
object; everything else about the loaded value is unchanged. These tests
check that the cache never returns a string whose text differs from the
input's (texts that share a slot, texts that differ in a single byte, every
length around the key's boundaries), that it is really used, and that loads
nested inside hooks or running in other threads get the right values.
"""

import io
import json
import pickle
import string
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

import brinery.json as bjson
import brinery.pickle as bpickle

ascii_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=80)


def one_byte_variants(length):
    """Texts of `length` bytes that differ from a base text in exactly one
    position each: the texts most likely to share a key's words."""
    base = (string.ascii_letters * 3)[:length]
    variants = [base]
    for i in range(length):
        variants.append(base[:i] + "#" + base[i + 1 :])
    return variants


def test_one_byte_differences_never_read_as_equal():
    for length in range(0, 70):
        texts = one_byte_variants(length)
        data = pickle.dumps(texts, 5)
        for _ in range(3):  # the later rounds read from the cache
            assert bpickle.loads(data) == texts
        doc = json.dumps({t: i for i, t in enumerate(texts)})
        for _ in range(3):
            assert bjson.loads(doc) == {t: i for i, t in enumerate(texts)}


@settings(max_examples=300, deadline=None)
@given(st.lists(ascii_text, max_size=40))
def test_pickled_strings_load_equal_every_time(texts):
    for proto in (0, 2, 4, 5):
        data = pickle.dumps(texts, proto)
        assert bpickle.loads(data) == texts
        assert bpickle.loads(data) == texts


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(ascii_text, st.integers(), max_size=40))
def test_json_keys_load_equal_every_time(obj):
    doc = json.dumps(obj)
    assert bjson.loads(doc) == obj
    assert bjson.loads(doc) == obj


def test_many_distinct_texts_evict_without_mixing():
    # Far more texts than slots: every slot is replaced many times over.
    texts = [f"key-{i:06d}" for i in range(20_000)]
    data = pickle.dumps(texts, 5)
    assert bpickle.loads(data) == texts
    assert bpickle.loads(data) == texts


def test_short_texts_are_shared_between_loads_and_long_ones_are_not():
    short = "".join(["field_", "name"])
    long = "x" * 65
    first = bpickle.loads(pickle.dumps([short, long], 5))
    second = bpickle.loads(pickle.dumps([short, long], 5))
    assert first[0] is second[0]
    assert first[1] is not second[1]
    keys_a = list(bjson.loads('{"screen_name": 1}'))
    keys_b = list(bjson.loads('{"screen_name": 2}'))
    assert keys_a[0] is keys_b[0]


def test_non_ascii_text_is_decoded_not_cached():
    texts = ["caf\u00e9", "\u65e5\u672c", "\ud800", "a\udfffb"]
    data = pickle.dumps(texts, 5)
    assert bpickle.loads(data) == texts
    assert bpickle.loads(data) == texts


def test_loads_nested_in_hooks_get_their_own_values():
    inner_doc = '{"alpha": 1, "beta": 2}'
    seen = []

    def hook(obj):
        seen.append(bjson.loads(inner_doc))  # runs while the outer load holds the cache
        return obj

    outer = bjson.loads('{"alpha": {"beta": 3}, "gamma": 4}', object_hook=hook)
    assert outer == {"alpha": {"beta": 3}, "gamma": 4}
    assert seen == [{"alpha": 1, "beta": 2}] * 2

    class Reader(bpickle.Unpickler):
        def persistent_load(self, pid):
            return bpickle.loads(pickle.dumps([pid, "alpha", "beta"], 5))

    class Writer(pickle.Pickler):
        def persistent_id(self, obj):
            return obj if isinstance(obj, str) and obj.startswith("ref:") else None

    buf = io.BytesIO()
    Writer(buf, 5).dump(["alpha", "ref:one", "beta", "ref:two"])
    loaded = Reader(io.BytesIO(buf.getvalue())).load()
    assert loaded == ["alpha", ["ref:one", "alpha", "beta"], "beta", ["ref:two", "alpha", "beta"]]


def test_loads_in_many_threads_agree():
    docs = [[f"t{t}-{i % 50}" for i in range(500)] for t in range(8)]
    data = [pickle.dumps(d, 5) for d in docs]
    errors = []

    def work(t):
        for _ in range(50):
            if bpickle.loads(data[t]) != docs[t]:
                errors.append(t)
            if list(bjson.loads(json.dumps(dict.fromkeys(docs[t], 0)))) != list(dict.fromkeys(docs[t])):
                errors.append(t)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


def test_equal_json_keys_of_one_document_stay_one_object_through_evictions():
    # Twice as many distinct short keys as the cache has slots, each met
    # three times in one document: keys the cache gives up mid-document
    # must still come back as the object handed out first (CPython's memo).
    # The second document has the keys in the opposite order, so it starts
    # by taking from the cache strings that its own later keys then evict.
    keys = [f"k{i}" for i in range(8192)] + [f"{'long' * 5}{i}" for i in range(300)]
    for order in (keys, keys[::-1], keys):
        value = bjson.loads(json.dumps([{k: 0} for k in order] * 3))
        seen = {}
        for entry in value:
            (key,) = entry
            assert seen.setdefault(key, key) is key, f"{key!r} came back as a second object"
        assert len(seen) == len(keys)
