"""No leaks, no crashes: repeated ``dumps``/``loads`` hold memory steady,
leave the reference counts of their inputs as they were, and the JSON tests
pass under CPython's debug allocator."""

import gc
import os
import pathlib
import subprocess
import sys

import brinery.json as bjson
from leakcheck import memory_growth

DATA = pathlib.Path("/work/shared/data/json-benchmark")
HERE = pathlib.Path(__file__).parent


def _sample():
    text = (DATA / "twitter.json").read_text(encoding="utf-8")
    value = bjson.loads(text)
    value["extra"] = [2**80, -1.5e300, float("nan"), "\ud800é😀", (1, 2), {1: None, 2.5: True}]
    return text, value


def _growth(step, rounds=30):
    return memory_growth(step, rounds)


def test_repeated_dumps_and_loads_hold_memory_steady():
    text, value = _sample()
    steps = [
        lambda: bjson.dumps(value),
        lambda: bjson.dumps(value, indent=2, sort_keys=False, ensure_ascii=False),
        lambda: bjson.loads(text),
        lambda: bjson.loads(text.encode()),
        lambda: bjson.loads(text, object_pairs_hook=dict, parse_float=float, parse_int=int),
    ]
    for step in steps:
        assert _growth(step) < 64 * 1024


def test_errors_leak_nothing():
    bad = {"a": [1, 2, {"b": object()}]}
    text = '{"a": [1, 2, {"b": [1, 2, x]}]}'

    def fail_dumps():
        try:
            bjson.dumps(bad)
        except TypeError:
            pass

    def fail_loads():
        try:
            bjson.loads(text)
        except ValueError:
            pass

    def fail_hook():
        try:
            bjson.loads(text.replace("x", "3"), object_hook=lambda d: 1 / 0)
        except ZeroDivisionError:
            pass

    for step in (fail_dumps, fail_loads, fail_hook):
        assert _growth(step, rounds=200) < 16 * 1024


def test_reference_counts_of_inputs_are_unchanged():
    text, value = _sample()
    key = "user"
    items = [value, text, key, value["statuses"], value["extra"]]
    before = [sys.getrefcount(x) for x in items]
    for _ in range(20):
        bjson.dumps(value)
        bjson.dumps(value, indent=1, sort_keys=False)
        bjson.loads(text)
        try:
            bjson.dumps([value, object()])
        except TypeError:
            pass
    gc.collect()
    assert [sys.getrefcount(x) for x in items] == before


def test_json_tests_pass_under_the_debug_allocator():
    env = dict(os.environ, PYTHONMALLOC="debug")
    tests = [str(HERE / name) for name in ("test_json_cpython.py", "test_json_semantics.py")]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
        env=env,
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
