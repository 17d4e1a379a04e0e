"""No leaks or crashes: dump/load loops hold memory steady, reference counts
of inputs are unchanged, and CPython's pickle tests pass under
PYTHONMALLOC=debug (a fresh interpreter with the debug allocator)."""

import gc
import io
import os
import pathlib
import pickle
import subprocess
import sys

import pytest

import brinery
import brinery.pickle as bpickle
from leakcheck import memory_growth


def sample():
    shared = ["shared"]
    return {
        "ints": list(range(-5, 300)) + [2**70],
        "text": ["é" * 10, "x" * 300, "\udc80"],
        "bytes": [b"", b"a", b"b" * 1000, bytearray(b"ba")],
        "nested": [shared, shared, (shared, 1.5), {1, 2}, frozenset({3})],
        "objects": [pathlib.PurePosixPath("a/b"), range(3)],
    }


def test_refcounts_of_inputs_unchanged():
    value = sample()
    parts = [value] + list(value.values())
    before = [sys.getrefcount(p) for p in parts]
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        for _ in range(50):
            data = bpickle.dumps(value, proto)
            bpickle.loads(data)
            f = io.BytesIO()
            bpickle.Pickler(f, proto).dump(value)
            bpickle.Unpickler(io.BytesIO(f.getvalue())).load()
    gc.collect()
    assert [sys.getrefcount(p) for p in parts] == before


def test_loaded_objects_are_freed():
    data = bpickle.dumps(sample(), 5)
    probe = bpickle.loads(data)
    # Only our local name refers to the result: nothing inside brinery holds it.
    assert sys.getrefcount(probe) == 2


def _growth(fn, rounds=3000):
    return memory_growth(fn, rounds, warmup=200)


@pytest.mark.parametrize("proto", [0, 2, 5])
def test_memory_is_steady(proto):
    value = sample()
    data = pickle.dumps(value, proto)
    assert _growth(lambda: bpickle.dumps(value, proto)) < 64 * 1024
    assert _growth(lambda: bpickle.loads(data)) < 64 * 1024
    assert _growth(lambda: brinery.loads(pickle.dumps([1, "a", {2: 3}], proto))) < 64 * 1024


def test_errors_do_not_leak():
    bad = [b"", b"\x80\x05", b"cos\nsystem\n.", b"(lp0\nI1\nag9\n.", b"\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\x7f."]

    def run():
        for data in bad:
            try:
                brinery.loads(data)
            except Exception:  # noqa: BLE001  (each of these is refused)
                pass

    assert _growth(run) < 64 * 1024


def test_rss_stays_flat_over_many_round_trips():
    resource = pytest.importorskip("resource")
    value = [sample() for _ in range(20)]
    for _ in range(50):
        bpickle.loads(bpickle.dumps(value, 5))
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(500):
        bpickle.loads(bpickle.dumps(value, 5))
    gc.collect()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before < 20 * 1024  # KiB


def test_cpython_suites_pass_under_debug_allocator():
    here = pathlib.Path(__file__).parent
    env = dict(os.environ, PYTHONMALLOC="debug")
    tests = [str(here / "test_cpython_pickletester.py"), str(here / "test_safe_load.py")]
    out = subprocess.run(
        [sys.executable, "-X", "dev", "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
