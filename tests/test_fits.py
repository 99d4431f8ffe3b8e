"""Fitted learning curves, their checks, the crossover interval, gold-sentence equivalents and `xlner recommend`,
on synthetic data whose answers are known."""
import json
import math

import numpy as np
import pytest

from xlner.analysis.answers import crossover_interval, first_crossing, gold_equivalent, inverse_power_law
from xlner.analysis.bootstrap import build_replicates
from xlner.analysis.fits import CurveFit, backtest, fit_curve, fit_power_law, power_law, shape_verdict
from xlner.analysis.recommend import recommendation
from xlner.stages.analysis import recommend

SIZES = [100, 200, 500, 1000]


def _points(params, sizes, seeds, noise, rng):
    return {n: power_law(n, *params) + rng.normal(0, noise, seeds) for n in sizes}


def _replicates(points, resamples, noise, rng):
    """Replicate points as the bootstrap gives them: the seeds redrawn, plus a little test-set noise."""
    out = {}
    for n, values in points.items():
        draws = rng.integers(0, len(values), size=(resamples, len(values)))
        out[n] = values[draws] + rng.normal(0, noise, (resamples, 1))
    return out


def test_fit_recovers_known_parameters():
    truth = (82.0, 20.0, 0.6)
    sizes = np.repeat([25, 50, 100, 200, 500, 1000], 3)
    exact = fit_power_law(sizes, power_law(sizes, *truth))
    assert exact == pytest.approx(truth, rel=1e-4)
    rng = np.random.default_rng(0)
    noisy = fit_power_law(sizes, power_law(sizes, *truth) + rng.normal(0, 0.3, len(sizes)))
    assert noisy[0] == pytest.approx(82, abs=1.5) and noisy[2] == pytest.approx(0.6, abs=0.1)


def test_fit_respects_the_bounds():
    # points that rise linearly in N would want an asymptote above 100: it stays at the bound
    sizes = np.array([100, 200, 500, 1000] * 2, dtype=float)
    a, b, c = fit_power_law(sizes, 50 + sizes / 20)
    assert 0 <= a <= 100 and b >= 0 and c > 0


def test_a_curve_that_falls_or_bends_up_is_not_extrapolated():
    se = [0.5] * 4
    assert shape_verdict(SIZES, [60, 65, 68, 70], se) == "ok"
    assert shape_verdict(SIZES, [60, 66, 62, 70], se) == "not monotone"  # a drop of 4 against noise 0.7
    assert shape_verdict(SIZES, [60, 66, 65.5, 70], [2.0] * 4) == "ok"  # a drop and a bend inside the noise
    assert shape_verdict(SIZES, [60, 60.5, 61, 75], se) == "not concave"  # the gain per doubling grows
    rng = np.random.default_rng(1)
    points = {100: np.array([60.0, 60.5, 59.5]), 200: np.array([66.0, 66.5, 65.5]),
              500: np.array([61.0, 61.5, 60.5]), 1000: np.array([70.0, 70.5, 69.5])}
    fit = fit_curve(points, _replicates(points, 20, 0.3, rng), {n: 0.5 for n in points})
    assert fit.verdict == "not monotone" and not fit.usable
    fit = fit_curve({100: points[100], 200: points[200]}, {}, {})
    assert fit.verdict == "too few sizes" and fit.params is None


def test_backtest_predicts_the_held_out_size():
    rng = np.random.default_rng(2)
    truth = (78.0, 18.0, 0.5)
    points = _points(truth, SIZES, 3, 0.5, rng)
    result = backtest(points, _replicates(points, 100, 0.3, rng), {n: 0.5 for n in SIZES})
    assert result["size"] == 1000 and result["measured"] == pytest.approx(points[1000].mean())
    assert abs(result["predicted"] - power_law(1000, *truth)) < 2.5
    assert result["low"] < result["predicted"] < result["high"]
    assert backtest({n: points[n] for n in SIZES[:3]}, {}, {}) == {}  # 3 sizes: nothing left to fit on


def test_two_known_curves_cross_where_they_should():
    a, b = (80.0, 35.0, 0.5), (70.0, 10.0, 0.5)  # gap 10 - 25 (N/100)^-0.5: zero at N = 625
    assert first_crossing(a, b, 100, 4000) == pytest.approx(625, rel=1e-6)
    assert first_crossing(a, b, 100, 600) is None  # not within the range asked
    assert first_crossing(b, b, 100, 4000) == 100  # equal everywhere: they meet at once


def _simulated_crossing(rng, resamples):
    """One experiment: two arms x 4 sizes x 3 seeds, 1000 test sentences whose entities each arm finds with
    the recall its curve (plus seed noise) implies, scored by the same bootstrap and fits as a real run."""
    curves = {("projection", "p"): (80.0, 35.0, 0.5), ("teacher-student", "t"): (70.0, 10.0, 0.5)}
    gold = rng.poisson(1.5, 1000)
    cells = {}
    for (arm, method), params in curves.items():
        for size in SIZES:
            runs = {}
            for seed in (1, 2, 3):
                f1 = np.clip((power_law(size, *params) + rng.normal(0, 0.7)) / 100, 1e-3, 0.999)
                found = rng.binomial(gold, f1 / (2 - f1))  # precision 1: F1 = 2r / (1 + r)
                runs[seed] = np.stack([found, found, gold], axis=1)
            cells[(arm, method, size)] = runs
    reps = build_replicates(cells, resamples, int(rng.integers(1 << 30)))
    fits = []
    for curve in curves:
        points = {n: reps.per_seed[(*curve, n)] for n in SIZES}
        replicate_points = {n: reps.two_level_seeds[(*curve, n)] for n in SIZES}
        errors = {n: float(np.std(reps.two_level((*curve, n)), ddof=1)) for n in SIZES}
        fits.append(fit_curve(points, replicate_points, errors))
    if not all(f.usable for f in fits):
        return None
    return crossover_interval(fits[0], fits[1], 100, 4000)


def test_crossover_interval_covers_the_true_crossing():
    """100 simulated experiments, 40 bootstrap replicates each (reduced for speed): the 95% interval covers the
    true crossing (N = 625) in 88 to 99 of them, and its median width is under twice the spread of the point
    estimates that the simulated noise itself produces."""
    rng = np.random.default_rng(7)
    results = [_simulated_crossing(rng, 40) for _ in range(100)]
    answered = [r for r in results if r is not None]
    covered = sum(r["low"] <= 625 <= r["high"] for r in answered)
    assert 88 <= covered <= 99
    points = np.array([r["point"] if r["point"] is not None else math.inf for r in answered])
    low, high = np.quantile(points, [0.025, 0.975], method="inverted_cdf")
    implied = high - low
    assert math.isfinite(implied)
    assert np.median([r["high"] - r["low"] for r in answered]) < 2 * implied


def _supervised_fit(truth, resamples=50, noise=0.0, rng=None):
    replicates = np.tile(truth, (resamples, 1))
    if noise:
        replicates = replicates * (1 + rng.normal(0, noise, replicates.shape))
    return CurveFit([25, 50, 100, 200, 500, 1000], truth, "ok", replicates)


def test_gold_equivalents_invert_a_known_supervised_curve():
    truth = (85.0, 30.0, 0.5)
    fit = _supervised_fit(truth)
    for n in (40, 150, 800):
        f1 = power_law(n, *truth)
        answer = gold_equivalent(fit, f1, np.full(50, f1), fit.sizes, factor=4)
        assert answer["point"] == pytest.approx(n, rel=1e-9) and answer["where"] == "inside"
    assert inverse_power_law(85.0, *truth) == math.inf  # the asymptote is never reached
    below = gold_equivalent(fit, power_law(10, *truth), np.full(50, power_law(10, *truth)), fit.sizes, 4)
    assert below["where"] == "below" and below["point"] == pytest.approx(10)
    # further down than 25 / 4: refused, only the bound is given
    far = gold_equivalent(fit, power_law(2, *truth), np.full(50, power_law(2, *truth)), fit.sizes, 4)
    assert far["where"] == "below range" and far["point"] == 25 / 4
    high = gold_equivalent(fit, 84.9, np.full(50, 84.9), fit.sizes, 4)
    assert high["where"] == "above range" and high["point"] == 4000


def _record(teachers=1):
    """A hand-made fits.json entry: teacher-student ahead below N=625, projection above."""
    resamples = 200
    rng = np.random.default_rng(3)
    curves = {"projection/heuristic": (80.0, 35.0, 0.5), "teacher-student/mse": (70.0, 10.0, 0.5),
              "supervised/gold": (85.0, 30.0, 0.5)}
    record = {"lang": "es", "confidence": 0.95, "extrapolation_factor": 4.0, "resamples": resamples,
              "test_sentences": 1000, "teachers": teachers, "curves": {}, "cells": {}}
    for name, params in curves.items():
        arm, method = name.split("/")
        sizes = [25, 50, 100, 200, 500, 1000] if arm == "supervised" else SIZES
        replicate_params = np.array(params) * (1 + rng.normal(0, 0.01, (resamples, 3)))
        record["curves"][name] = {"arm": arm, "method": method, "sizes": sizes, "verdict": "ok",
                                  "params": list(params), "replicate_params": replicate_params.tolist(),
                                  "backtest": {}}
        for n in sizes:
            mean = float(power_law(n, *params))
            record["cells"][f"{name}/{n}"] = {"arm": arm, "method": method, "size": n, "seeds": [1, 2, 3],
                                               "mean": mean, "replicates": (mean + rng.normal(0, 0.5, resamples)).tolist()}
    record["cells"]["zero-shot/teacher/0"] = {"arm": "zero-shot", "method": "teacher", "size": 0, "seeds": [1],
                                              "mean": 55.0, "replicates": (55 + rng.normal(0, 0.5, resamples)).tolist()}
    return record


def _ranking(text):
    rows = [line.split("|") for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    return [row[2].strip() for row in rows]


def test_recommend_ranks_the_arms_and_says_what_is_extrapolated(tmp_path):
    record = _record()
    small = recommendation(record, 100)
    assert _ranking(small) == ["teacher-student/mse", "zero-shot/teacher", "projection/heuristic"]
    assert "measured at N=100" in small and "**Ranking settled:**" in small
    assert "One teacher" in small and "One test set (1000 sentences)" in small
    large = recommendation(record, 3000, gold=300)
    assert _ranking(large)[0] == "projection/heuristic"
    assert "extrapolated beyond N=1000 (fitted curve)" in large and "an extrapolation, not a measurement" in large
    assert "supervised/gold (N=300 gold)" in large and "interpolated (fitted curve)" in large
    # N=625 is where projection and teacher-student cross: the data cannot order them there
    assert "**Ranking not settled:**" in recommendation(record, 625)
    too_far = recommendation(record, 5000)
    assert "No answer for projection/heuristic: N=5000 is beyond 4x the trained sizes" in too_far
    assert _ranking(too_far) == ["zero-shot/teacher"]
    assert "One teacher" not in recommendation(_record(teachers=3), 100)
    # the command: reads results/fits.json, writes the Markdown
    (tmp_path / "fits.json").write_text(json.dumps({"es": record}))
    text = recommend(tmp_path, "es", 1000, output_path=tmp_path / "answer.md")
    assert (tmp_path / "answer.md").read_text() == text and _ranking(text)[0] == "projection/heuristic"
