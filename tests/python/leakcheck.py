"""Shared by the leak tests: how much memory a repeated call keeps."""

import gc
import tracemalloc


def memory_growth(step, rounds, warmup=5):
    """Bytes still allocated (tracemalloc) after ``rounds`` more calls of
    ``step`` than a warm-up of ``warmup`` calls."""
    for _ in range(warmup):
        step()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(rounds):
        step()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before
