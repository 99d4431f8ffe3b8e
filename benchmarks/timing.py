"""Shared by the benchmarks: best-of-n wall-clock timing."""
import time


def best_of(trials, function):
    """(fastest of `trials` runs in seconds, the last run's result): the minimum is the least disturbed run."""
    times, result = [], None
    for _ in range(trials):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return min(times), result
