"""Learning curves fitted as inverse power laws, checked before anyone extrapolates them.

F1(N) = a - b * (N / 100) ** (-c), with 0 <= a <= 100 (the asymptote), b >= 0 (how far below it the curve is at
N = 100) and c > 0 (how fast it closes), fitted by weighted least squares (scipy.optimize.curve_fit) to the per-seed
points, each weighted by its size's seed spread (Figueroa et al. 2012). N is scaled by 100 so that b is on the F1
scale and the fit is well conditioned. About one learning curve in seven is not monotone or not concave (LCDB 1.1),
so a curve is checked first, against the noise the bootstrap measured:
* `not monotone`: a larger size's mean is below a smaller one's by more than 1.96 standard errors of the drop;
* `not concave`: the gain per doubling of N grows by more than 1.96 standard errors (a power law's shrinks);
* `poor fit`: the weighted residuals of the means are too large for their noise (chi-square p < 0.01);
* `too few sizes`: fewer than 3 sizes (3 parameters).
Only an `ok` curve is extrapolated. Bands come from refitting every bootstrap replicate (bootstrap.py): they
cover the mean-over-seeds F1 on this test set's population at N under sentence and seed resampling, not the
F1 of one new seed.
"""
import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.optimize import OptimizeWarning, curve_fit

from xlner.analysis.bootstrap import percentile_interval

REFERENCE_N = 100.0
LOWER = (0.0, 0.0, 1e-3)
UPPER = (100.0, np.inf, 5.0)
Z = 1.96  # the checks' noise allowance


def power_law(n, a, b, c):
    return a - b * (np.asarray(n, dtype=float) / REFERENCE_N) ** (-c)


def _jacobian(n, a, b, c):
    scaled = np.asarray(n, dtype=float) / REFERENCE_N
    power = scaled ** (-c)
    return np.stack([np.ones_like(scaled), -power, b * power * np.log(scaled)], axis=1)


def fit_power_law(sizes, values, sigma=None, start=None):
    """Weighted least-squares fit of the points (sizes[i], values[i]); (a, b, c) or None if it fails."""
    sizes, values = np.asarray(sizes, dtype=float), np.asarray(values, dtype=float)
    if start is None:
        top = float(values[sizes == sizes.max()].mean())
        low = float(values[sizes == sizes.min()].mean())
        start = (min(100.0, max(top + 2.0, 1.0)), max(top + 2.0 - low, 0.1), 0.5)
    start = np.clip(start, np.add(LOWER, 1e-9), np.minimum(UPPER, 1e6) - 1e-9)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            params, _ = curve_fit(power_law, sizes, values, p0=start, sigma=sigma, bounds=(LOWER, UPPER),
                                  jac=_jacobian, max_nfev=2000)
    except (RuntimeError, ValueError):
        return None
    return tuple(float(p) for p in params)


def point_sigma(sizes, values, floor=0.25):
    """Each point's standard deviation for the weights: its size's seed spread, floored at a quarter of the
    median spread (two seeds that happen to agree must not get an infinite weight) and at `floor` F1."""
    sizes, values = np.asarray(sizes, dtype=float), np.asarray(values, dtype=float)
    spread = {n: float(values[sizes == n].std(ddof=1)) if (sizes == n).sum() > 1 else math.nan
              for n in np.unique(sizes)}
    known = [s for s in spread.values() if not math.isnan(s)]
    if not known:
        return None  # one seed per size: unweighted
    lowest = max(floor, 0.25 * float(np.median(known)))
    return np.array([max(spread[n], lowest) if not math.isnan(spread[n]) else lowest for n in sizes])


def shape_verdict(sizes, means, standard_errors):
    """`ok`, `not monotone` or `not concave` (see module docstring) for means at increasing sizes."""
    sizes, means, se = (np.asarray(x, dtype=float) for x in (sizes, means, standard_errors))
    steps = np.diff(means)
    noise = np.sqrt(se[1:] ** 2 + se[:-1] ** 2)
    if np.any(steps < -Z * noise):
        return "not monotone"
    if len(sizes) >= 3:
        per_doubling = steps / np.log2(sizes[1:] / sizes[:-1])
        step_noise = noise / np.log2(sizes[1:] / sizes[:-1])
        rise = np.diff(per_doubling)
        if np.any(rise > Z * np.sqrt(step_noise[1:] ** 2 + step_noise[:-1] ** 2)):
            return "not concave"
    return "ok"


@dataclass
class CurveFit:
    """A fitted curve, its verdict, and its refits on the bootstrap replicates."""

    sizes: list  # the sizes it was fitted on
    params: tuple | None
    verdict: str
    replicate_params: np.ndarray | None = None  # R x 3 (nan rows: the refit failed)
    chi2_p: float = math.nan
    rmse: float = math.nan

    @property
    def usable(self):
        return self.verdict == "ok"

    def predict(self, n):
        return float(power_law(n, *self.params))

    def replicate_predictions(self, n):
        """(R,) the curve of each replicate at N (nan where its refit failed)."""
        p = self.replicate_params
        return p[:, 0] - p[:, 1] * (float(n) / REFERENCE_N) ** (-p[:, 2])


def fit_curve(points, replicate_points, standard_errors):
    """points: {size: (K,) observed per-seed F1}; replicate_points: {size: (R, K)} from the bootstrap;
    standard_errors: {size: bootstrap sd of the mean}. Fits, checks and refits one curve."""
    sizes = sorted(points)
    if len(sizes) < 3:
        return CurveFit(sizes, None, "too few sizes")
    x = np.concatenate([[n] * len(points[n]) for n in sizes]).astype(float)
    y = np.concatenate([points[n] for n in sizes]).astype(float)
    sigma = point_sigma(x, y)
    params = fit_power_law(x, y, sigma)
    if params is None:
        return CurveFit(sizes, None, "fit failed")
    means = np.array([points[n].mean() for n in sizes])
    se = np.array([max(standard_errors[n], 1e-6) for n in sizes])
    verdict = shape_verdict(sizes, means, se)
    residuals = means - power_law(sizes, *params)
    rmse = float(np.sqrt(np.mean(residuals ** 2)))
    dof = len(sizes) - 3
    chi2_p = float(stats.chi2.sf(float(np.sum((residuals / se) ** 2)), dof)) if dof > 0 else math.nan
    if verdict == "ok" and chi2_p < 0.01:
        verdict = "poor fit"
    resamples = len(next(iter(replicate_points.values())))
    refits = np.full((resamples, 3), np.nan)
    for r in range(resamples):
        yr = np.concatenate([replicate_points[n][r] for n in sizes])
        refit = fit_power_law(x, yr, sigma, start=params)
        if refit is not None:
            refits[r] = refit
    return CurveFit(sizes, params, verdict, refits, chi2_p, rmse)


def backtest(points, replicate_points, standard_errors, confidence=0.95):
    """Refit without the largest size and predict it. {} where fewer than 3 sizes would remain."""
    sizes = sorted(points)
    if len(sizes) < 4:
        return {}
    held_out = sizes[-1]
    keep = sizes[:-1]
    fitted = fit_curve({n: points[n] for n in keep}, {n: replicate_points[n] for n in keep},
                       {n: standard_errors[n] for n in keep})
    if fitted.params is None:
        return {"size": held_out, "verdict": fitted.verdict}
    measured = float(points[held_out].mean())
    predicted = fitted.predict(held_out)
    low, high = percentile_interval(fitted.replicate_predictions(held_out), confidence)
    return {"size": held_out, "measured": measured, "predicted": predicted, "low": low, "high": high,
            "error": predicted - measured, "inside": bool(low <= measured <= high), "verdict": fitted.verdict}
