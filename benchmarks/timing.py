"""Shared by the benchmarks: best-of-n wall-clock timing, and their TSV output."""
import time
from pathlib import Path


def best_of(trials, function):
    """(fastest of `trials` runs in seconds, the last run's result): the minimum is the least disturbed run."""
    times, result = [], None
    for _ in range(trials):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return min(times), result


def write_and_print(path, lines):
    """A benchmark's table: written to `path` (TSV, committed beside the benchmark) and printed."""
    Path(path).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
