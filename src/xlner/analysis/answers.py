"""Answers beyond the measured points: where two curves cross, and how many gold sentences an arm is worth.

Both come from the fitted curves (fits.py) and carry an interval from refitting every bootstrap replicate. Neither
reaches further than `factor` times the trained range: a crossing is looked for up to factor x the largest size,
a gold-sentence equivalent down to the smallest supervised size / factor and up to the largest x factor. A
replicate whose answer lies beyond that range is counted as such ("no crossover up to N=4000 in 97% of
replicates"), never extrapolated further.
"""
import math

import numpy as np
from scipy.optimize import brentq

from xlner.analysis.fits import REFERENCE_N, power_law

GRID_POINTS = 200


def crossover_linear(sizes, gaps):
    """Where a measured gap curve changes sign, interpolated linearly on log N; None if it never does."""
    points = sorted(zip(sizes, gaps))
    for (n0, g0), (n1, g1) in zip(points, points[1:]):
        if g0 == 0:
            return float(n0)
        if g0 * g1 < 0:
            x0, x1 = math.log(n0), math.log(n1)
            return float(math.exp(x0 + (x1 - x0) * g0 / (g0 - g1)))
    if points and points[-1][1] == 0:
        return float(points[-1][0])
    return None


def first_crossing(params_a, params_b, low, high):
    """The smallest N in [low, high] where curve a - curve b changes sign (its sign at `low` flips); None if none.
    A log-spaced grid finds the bracket, brentq the root."""
    grid = np.geomspace(low, high, GRID_POINTS)
    gap = power_law(grid, *params_a) - power_law(grid, *params_b)
    if gap[0] == 0:
        return float(low)
    flips = np.nonzero(np.sign(gap[1:]) != np.sign(gap[0]))[0]
    if not len(flips):
        return None
    i = int(flips[0])
    if gap[i + 1] == 0:
        return float(grid[i + 1])
    return float(brentq(lambda n: power_law(n, *params_a) - power_law(n, *params_b), grid[i], grid[i + 1]))


def crossover_interval(fit_a, fit_b, low, high, confidence=0.95):
    """Crossing of two fitted curves in [low, high] with its bootstrap interval.

    Returns {"point": N or None, "low", "high": interval bounds (inf: beyond `high`), "none_share": share of
    replicates with no crossing in range, "replicates": how many refits of both curves succeeded}."""
    point = first_crossing(fit_a.params, fit_b.params, low, high)
    values = []
    for pa, pb in zip(fit_a.replicate_params, fit_b.replicate_params):
        if np.isnan(pa).any() or np.isnan(pb).any():
            continue
        crossing = first_crossing(pa, pb, low, high)
        values.append(math.inf if crossing is None else crossing)
    if not values:
        return {"point": point, "low": math.nan, "high": math.nan, "none_share": math.nan, "replicates": 0}
    values = np.array(values)
    tail = (1 - confidence) / 2
    # inverted_cdf returns replicate values themselves, so an infinite (no crossing) one stays infinite
    lo, hi = np.quantile(values, [tail, 1 - tail], method="inverted_cdf")
    return {"point": point, "low": float(lo), "high": float(hi), "none_share": float(np.isinf(values).mean()),
            "replicates": len(values)}


def inverse_power_law(f1, a, b, c):
    """The N at which the curve reaches `f1`: inf at or above its asymptote, 0 for a curve already above it."""
    if f1 >= a:
        return math.inf
    if b <= 0:
        return 0.0
    return REFERENCE_N * ((a - f1) / b) ** (-1.0 / c)


def gold_equivalent(supervised_fit, f1, replicate_f1, trained_sizes, factor, confidence=0.95):
    """How many gold sentences the supervised curve needs to reach `f1` (and each replicate its own value).

    Returns {"point", "low", "high", "where"}: `where` is inside (within the trained supervised sizes), below /
    above (extrapolated, within `factor`), or below range / above range (beyond it: the bound is reported,
    with < or >, instead of a number)."""
    smallest, largest = min(trained_sizes), max(trained_sizes)
    floor, ceiling = smallest / factor, largest * factor

    def clip(n):
        return min(max(n, floor), ceiling) if not math.isnan(n) else n

    point = inverse_power_law(f1, *supervised_fit.params)
    values = [inverse_power_law(v, *p) for v, p in zip(replicate_f1, supervised_fit.replicate_params)
              if not (np.isnan(p).any() or math.isnan(v))]
    tail = (1 - confidence) / 2
    lo, hi = (np.quantile(np.array(values), [tail, 1 - tail], method="inverted_cdf") if values
              else (math.nan, math.nan))
    if point < floor:
        where = "below range"
    elif point > ceiling:
        where = "above range"
    elif point < smallest:
        where = "below"
    elif point > largest:
        where = "above"
    else:
        where = "inside"
    return {"point": clip(point), "low": clip(float(lo)), "high": clip(float(hi)), "where": where,
            "floor": floor, "ceiling": ceiling}


def describe_crossover(measured, fitted, largest, ceiling, usable_reason=None):
    """The sentence gaps.tsv and the report print about a crossover."""
    if measured is not None:
        text = f"crosses at N~{measured:.0f} (measured)"
        if fitted and fitted["replicates"] and not math.isnan(fitted["low"]):
            text += f"; fitted interval {_bounds(fitted, ceiling)}"
        elif usable_reason:
            text += f"; no fitted interval, not extrapolated ({usable_reason})"
        return text
    if usable_reason or fitted is None:
        return f"no measured crossover; not extrapolated ({usable_reason})"
    none = f"no crossing up to N={ceiling:.0f} in {100 * fitted['none_share']:.0f}% of replicates"
    if fitted["point"] is not None:
        where = f"extrapolated beyond N={largest}" if fitted["point"] > largest else "fitted, inside the trained sizes"
        return f"crosses at N~{fitted['point']:.0f} {_bounds(fitted, ceiling)} ({where}); {none}"
    return f"no crossover up to N={ceiling:.0f} in {100 * fitted['none_share']:.0f}% of replicates"


def _bounds(fitted, ceiling):
    high = f">{ceiling:.0f}" if math.isinf(fitted["high"]) else f"{fitted['high']:.0f}"
    low = f">{ceiling:.0f}" if math.isinf(fitted["low"]) else f"{fitted['low']:.0f}"
    return f"[{low}, {high}]"
