"""Learning curves: per-run metrics -> tables of the measured points, fitted curves and the answers beyond them.

Only the runs' own files are read: `metrics.json` (scores and the run's identity) and `predictions.conll` (per-
sentence counts for the bootstrap, bootstrap.py). Per language, written under the results folder:
* `curves.tsv`: one row per run; `summary.tsv`: mean F1 per (arm, method, size) with three intervals (the two-level
  bootstrap over test sentences and seeds, which is the one that decides; the t-interval over seeds; the
  sentence-only bootstrap);
* `gaps.tsv`: each projection method minus the reference arm (teacher-student) per size, with the crossover, and
  each hybrid minus the better single arm; `paired` says whether the interval pairs the seeds too (the arms train on
  the same sentences with the same teacher at each seed: bootstrap.paired_curve) or the test sentences only;
* `fits.tsv`: the inverse power law of each curve, its verdict and its backtest (fits.py);
* `equivalents.tsv`: gold-sentence equivalents of every arm and size (answers.py);
* `fits.json`: the fits with every replicate, which `xlner recommend` reads; plots (plots.py);
* `summary.md`: the same numbers as a page to read and quote, per language (markdown.py).
"""
import json
import logging
import math
from pathlib import Path

import numpy as np
from scipy import stats

from xlner.analysis.answers import crossover_interval, crossover_linear, describe_crossover, gold_equivalent
from xlner.analysis.bootstrap import build_replicates, percentile_interval
from xlner.analysis.counts import sentence_counts
from xlner.analysis.fits import backtest, fit_curve
from xlner.analysis.markdown import summary_markdown
from xlner.analysis.plots import plot_language, plot_overview
from xlner.formats.atomic import write_text
from xlner.formats.conll import read_predictions
from xlner.formats.tables import write_tsv
from xlner.formats.text import read_json

log = logging.getLogger(__name__)

ZERO_SHOT = "zero-shot"
SUPERVISED = "supervised"
FIT_COLUMNS = ["lang", "arm", "method", "sizes", "a", "a_low", "a_high", "b", "b_low", "b_high", "c", "c_low",
               "c_high", "rmse", "chi2_p", "verdict", "backtest_size", "backtest_measured", "backtest_predicted",
               "backtest_low", "backtest_high", "backtest_error", "backtest_inside"]
GAP_COLUMNS = ["lang", "arm", "method", "reference", "size", "seeds", "reference_seeds", "gap", "ci_low", "ci_high",
               "settled", "paired", "sentence_low", "sentence_high", "first_settled_size", "crossover", "crossover_n",
               "crossover_low", "crossover_high", "no_crossing_share"]


# --- reading runs -------------------------------------------------------------------------------------------

def run_identity(metrics):
    """(lang, arm, method, size, seed) of a metrics.json; `size` is the number of sentences asked for."""
    run = metrics["run"]
    size = run["size"]
    if size == "all":
        size = metrics["train"]["sentences_requested"]
    return run["lang"], run["arm"], run["method"], int(size), int(run["seed"])


def curve_rows(metrics_list):
    """One row per run: identity, P/R/F1 and per-class F1 (the long-format curves table)."""
    rows = []
    for metrics in metrics_list:
        lang, arm, method, size, seed = run_identity(metrics)
        row = {"lang": lang, "arm": arm, "method": method, "size": size, "seed": seed,
               "precision": metrics["precision"], "recall": metrics["recall"], "f1": metrics["f1"]}
        for kind, values in sorted(metrics["per_class"].items()):
            row[f"f1_{kind}"] = values["f1"]
        rows.append(row)
    rows.sort(key=lambda r: (r["lang"], r["arm"], r["method"], r["size"], r["seed"]))
    return rows


def t_interval(values, confidence=0.95):
    """Mean, sd and two-sided t-interval of the mean; a single value has no interval (nan bounds)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan"), float("nan")
    sd = float(values.std(ddof=1))
    low, high = stats.t.interval(confidence, len(values) - 1, loc=mean, scale=sd / math.sqrt(len(values)))
    return mean, sd, float(low), float(high)


def _round(value, digits=2):
    return round(float(value), digits) if value is not None and not math.isnan(value) else float("nan")


# --- one language ---------------------------------------------------------------------------------------------

def language_cells(runs, lang):
    """{(arm, method, size): {seed: counts}} of one language, read once per predictions file."""
    cells = {}
    for metrics, predictions in runs:
        run_lang, arm, method, size, seed = run_identity(metrics)
        if run_lang == lang:
            cells.setdefault((arm, method, size), {})[seed] = sentence_counts(*read_predictions(predictions))
    return cells


ENSEMBLE_DRAW = "1 (mean of {})"  # teacher_draws of a teacher ensemble's curve


def ensemble_curves(draws):
    """The (arm, method) curves of teacher_draws that rest on the teacher ensemble."""
    return {key for key, value in draws.items() if str(value).startswith(ENSEMBLE_DRAW.split("{")[0])}


def teacher_draws(runs, lang):
    """{(arm, method): how many teacher draws its runs rest on} from the runs' records: "" for none (supervised, a
    projection of gold labels), the number of distinct teachers among the seeds (one per seed in turn), or
    "1 (mean of k)" for the teacher ensemble, one draw shared by every seed that no interval covers."""
    seen = {}
    for metrics, _ in runs:
        run_lang, arm, method, _, _ = run_identity(metrics)
        teacher = (metrics.get("settings") or {}).get("teacher")
        if run_lang != lang:
            continue
        draws = seen.setdefault((arm, method), set())
        if teacher and "ensemble" in teacher:
            draws.add(ENSEMBLE_DRAW.format(len(teacher["ensemble"])))
        elif teacher:
            draws.add(json.dumps(teacher, sort_keys=True))
    return {key: (next(iter(draws)) if ensemble_curves({key: d for d in draws}) else len(draws) or "")
            for key, draws in seen.items()}


def summary_rows(lang, cells, reps, confidence, draws=None):
    rows = []
    for cell in sorted(cells):
        arm, method, size = cell
        mean, sd, t_low, t_high = t_interval(reps.per_seed[cell], confidence)
        low, high = percentile_interval(reps.two_level(cell), confidence)
        s_low, s_high = percentile_interval(reps.sentence[cell], confidence)
        rows.append({"lang": lang, "arm": arm, "method": method, "size": size, "seeds": len(reps.seeds[cell]),
                     "f1_mean": _round(mean), "f1_sd": _round(sd), "ci_low": _round(low), "ci_high": _round(high),
                     "t_low": _round(t_low), "t_high": _round(t_high), "sentence_low": _round(s_low),
                     "sentence_high": _round(s_high), "teacher_draws": (draws or {}).get((arm, method), "")})
    return rows


def fit_curves(cells, reps, confidence):
    """{(arm, method): (CurveFit, backtest dict)} for every trained curve (zero-shot has no curve)."""
    fits = {}
    for arm, method in sorted({(a, m) for a, m, _ in cells if a != ZERO_SHOT}):
        sizes = sorted(n for a, m, n in cells if (a, m) == (arm, method))
        points = {n: reps.per_seed[(arm, method, n)] for n in sizes}
        replicate_points = {n: reps.two_level_seeds[(arm, method, n)] for n in sizes}
        errors = {n: float(np.nanstd(reps.two_level((arm, method, n)), ddof=1)) for n in sizes}
        fits[(arm, method)] = (fit_curve(points, replicate_points, errors),
                               backtest(points, replicate_points, errors, confidence))
    return fits


def fit_rows(lang, fits, confidence):
    rows = []
    for (arm, method), (fit, test) in sorted(fits.items()):
        row = {"lang": lang, "arm": arm, "method": method, "sizes": ",".join(map(str, fit.sizes)),
               "verdict": fit.verdict, "rmse": _round(fit.rmse), "chi2_p": _round(fit.chi2_p, 3)}
        for i, name in enumerate("abc"):
            value = fit.params[i] if fit.params else math.nan
            low, high = (percentile_interval(fit.replicate_params[:, i], confidence) if fit.params
                         else (math.nan, math.nan))
            digits = 3 if name == "c" else 2
            row.update({name: _round(value, digits), f"{name}_low": _round(low, digits),
                        f"{name}_high": _round(high, digits)})
        if test:
            row.update(backtest_size=test["size"], backtest_measured=_round(test.get("measured", math.nan)),
                       backtest_predicted=_round(test.get("predicted", math.nan)),
                       backtest_low=_round(test.get("low", math.nan)), backtest_high=_round(test.get("high", math.nan)),
                       backtest_error=_round(test.get("error", math.nan)),
                       backtest_inside=("yes" if test.get("inside") else "no") if "inside" in test else test["verdict"])
        else:
            row.update(backtest_size="none", backtest_inside="fewer than 4 sizes")
        rows.append(row)
    return rows


def gap_rows(lang, cells, reps, fits, settings, draws=None):
    """Each projection method minus the reference arm at every size both have (the reference's one-teacher-per-seed
    method, not the teacher ensemble); the crossover per method; each ensemble minus its one-teacher-per-seed
    method."""
    reference = settings.reference_arm
    rows = []
    ensembles = ensemble_curves(draws or {})
    references = {n: (a, m, n) for a, m, n in cells if a == reference and (a, m) not in ensembles}
    methods = sorted({m for a, m, _ in cells if a == "projection"})
    for method in methods:
        group = []
        for size in sorted(n for a, m, n in cells if (a, m) == ("projection", method) and n in references):
            cell, other = ("projection", method, size), references[size]
            gap = reps.observed(cell) - reps.observed(other)
            low, high = percentile_interval(reps.two_level(cell) - reps.two_level(other), settings.confidence)
            s_low, s_high = percentile_interval(reps.sentence[cell] - reps.sentence[other], settings.confidence)
            settled = "+" if low > 0 else "-" if high < 0 else "no"
            group.append({"lang": lang, "arm": "projection", "method": method, "reference": reference, "size": size,
                          "seeds": len(reps.seeds[cell]), "reference_seeds": len(reps.seeds[other]),
                          "gap": _round(gap), "ci_low": _round(low), "ci_high": _round(high), "settled": settled,
                          "paired": pairing(reps, cell, other),
                          "sentence_low": _round(s_low), "sentence_high": _round(s_high)})
        if not group:
            continue
        first = next((r["size"] for r in group if r["settled"] != "no"), "none")
        crossing = crossover(group, fits.get(("projection", method)),
                             fits.get((reference, references[group[0]["size"]][1])), settings)
        for row in group:
            row.update(first_settled_size=first, **crossing)
        rows += group
    return rows + hybrid_gap_rows(lang, cells, reps, settings.confidence, ensembles) + \
        ensemble_gap_rows(lang, cells, reps, settings.confidence, ensembles)


def one_teacher_method(method):
    """The one-teacher-per-seed method an ensemble method stands beside: `{loss}-avgK` -> `{loss}`; the zero-shot
    ensemble `avgK` -> `teacher` (each seed's own teacher)."""
    single, _, _ = method.rpartition("-")
    return single or "teacher"


def ensemble_gap_rows(lang, cells, reps, confidence, ensembles):
    """Each teacher ensemble's curve minus the same arm's one-teacher-per-seed curve (`{loss}-avgK` - `{loss}`, and
    the zero-shot `avgK` - `teacher`) at each size: same subsets per seed, so the seeds are paired."""
    rows = []
    for arm, method in sorted(ensembles):
        single = one_teacher_method(method)
        for size in sorted(n for a, m, n in cells if (a, m) == (arm, method) and (arm, single, n) in cells):
            cell, other = (arm, method, size), (arm, single, size)
            low, high = percentile_interval(reps.two_level(cell) - reps.two_level(other), confidence)
            s_low, s_high = percentile_interval(reps.sentence[cell] - reps.sentence[other], confidence)
            rows.append({"lang": lang, "arm": arm, "method": method, "reference": f"{arm}/{single}", "size": size,
                         "seeds": len(reps.seeds[cell]), "reference_seeds": len(reps.seeds[other]),
                         "gap": _round(reps.observed(cell) - reps.observed(other)), "ci_low": _round(low),
                         "ci_high": _round(high), "settled": "+" if low > 0 else "-" if high < 0 else "no",
                         "paired": pairing(reps, cell, other), "sentence_low": _round(s_low),
                         "sentence_high": _round(s_high), "first_settled_size": "",
                         "crossover": "not computed (the ensemble's draw is one; intervals do not cover it)"})
    return rows


def hybrid_gap_rows(lang, cells, reps, confidence, ensembles=()):
    """Each hybrid method minus the better of its two single arms (projection with the same recipe, and
    teacher-student with one teacher per seed, as the hybrid) at each size; the max is taken inside every bootstrap
    replicate."""
    rows = []
    students = sorted({m for a, m, _ in cells if a == "teacher-student" and (a, m) not in ensembles})
    for method in sorted({m for a, m, _ in cells if a == "hybrid"}):
        recipe = method.split("-", 1)[1]
        if not students:
            continue
        reference = f"max(projection/{recipe}, teacher-student/{students[0]})"
        group = []
        for size in sorted(n for a, m, n in cells if (a, m) == ("hybrid", method)):
            singles = [("projection", recipe, size), ("teacher-student", students[0], size)]
            if not all(s in cells for s in singles):
                continue
            cell = ("hybrid", method, size)
            best = max(reps.observed(s) for s in singles)
            two_level = reps.two_level(cell) - np.maximum(*(reps.two_level(s) for s in singles))
            sentence = reps.sentence[cell] - np.maximum(*(reps.sentence[s] for s in singles))
            low, high = percentile_interval(two_level, confidence)
            s_low, s_high = percentile_interval(sentence, confidence)
            group.append({"lang": lang, "arm": "hybrid", "method": method, "reference": reference, "size": size,
                          "seeds": len(reps.seeds[cell]), "reference_seeds": min(len(reps.seeds[s]) for s in singles),
                          "gap": _round(reps.observed(cell) - best), "ci_low": _round(low), "ci_high": _round(high),
                          "settled": "+" if low > 0 else "-" if high < 0 else "no", "paired": pairing(reps, cell, *singles),
                          "sentence_low": _round(s_low),
                          "sentence_high": _round(s_high), "crossover": "not computed (a maximum of two curves)"})
        first = next((r["size"] for r in group if r["settled"] != "no"), "none")
        for row in group:
            row["first_settled_size"] = first
        rows += group
    return rows


def pairing(reps, *cells):
    """What a gap's interval pairs: the resampled test sentences always; the seeds where the arms share them."""
    return "seeds and sentences" if reps.seeds_paired(*cells) else "sentences"


def crossover(group, fit, reference_fit, settings):
    """The crossover columns of one method's gap rows: measured (interpolated) and fitted, with the interval
    from the refits; the text says which."""
    sizes = [r["size"] for r in group]
    measured = crossover_linear(sizes, [r["gap"] for r in group])
    largest, ceiling = max(sizes), max(sizes) * settings.extrapolation_factor
    refused = [f"{name} curve: {f[0].verdict}" for name, f in (("projection", fit), ("reference", reference_fit))
               if f is None or not f[0].usable]
    fitted = None if refused else crossover_interval(fit[0], reference_fit[0], min(sizes), ceiling,
                                                     settings.confidence)
    point = measured if measured is not None else (fitted or {}).get("point")
    return {"crossover": describe_crossover(measured, fitted, largest, ceiling, "; ".join(refused)),
            "crossover_n": _round(point if point is not None else math.nan, 0),
            "crossover_low": _round((fitted or {}).get("low", math.nan), 0),
            "crossover_high": _round((fitted or {}).get("high", math.nan), 0),
            "no_crossing_share": _round((fitted or {}).get("none_share", math.nan), 3)}


def equivalent_rows(lang, cells, reps, fits, settings):
    """Gold-sentence equivalents of every non-supervised cell, from the supervised curve."""
    supervised = [f for (arm, _), f in fits.items() if arm == SUPERVISED]
    if not supervised or not supervised[0][0].usable:
        return []
    curve = supervised[0][0]
    rows = []
    for cell in sorted(c for c in cells if c[0] != SUPERVISED):
        answer = gold_equivalent(curve, reps.observed(cell), reps.two_level(cell), curve.sizes,
                                 settings.extrapolation_factor, settings.confidence)
        rows.append({"lang": lang, "arm": cell[0], "method": cell[1], "size": cell[2],
                     "f1_mean": _round(reps.observed(cell)), "gold_equivalent": _round(answer["point"], 0),
                     "low": _round(answer["low"], 0), "high": _round(answer["high"], 0), "where": answer["where"]})
    return rows


def fits_record(lang, cells, reps, fits, settings, draws=None):
    """What `xlner recommend` needs, rounded so that the same results give the same bytes."""
    curves = {}
    for (arm, method), (fit, test) in sorted(fits.items()):
        curves[f"{arm}/{method}"] = {
            "arm": arm, "method": method, "sizes": fit.sizes, "verdict": fit.verdict,
            "params": [round(p, 6) for p in fit.params] if fit.params else None,
            "replicate_params": np.round(fit.replicate_params, 6).tolist() if fit.params else None,
            "backtest": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in test.items()}}
    cells_out = {f"{arm}/{method}/{size}": {"arm": arm, "method": method, "size": size,
                                            "seeds": reps.seeds[(arm, method, size)],
                                            "mean": round(reps.observed((arm, method, size)), 4),
                                            "replicates": np.round(reps.two_level((arm, method, size)), 4).tolist()}
                 for arm, method, size in sorted(cells)}
    # the teachers' own zero-shot runs, one per teacher (not the ensemble's line)
    single = [c for c in sorted(cells) if c[0] == ZERO_SHOT and c[1] == "teacher"]
    teachers = len(reps.seeds[single[0]]) if single else None
    ensembles = sorted(f"{arm}/{method}" for arm, method in ensemble_curves(draws or {}))
    return {"lang": lang, "confidence": settings.confidence, "extrapolation_factor": settings.extrapolation_factor,
            "resamples": reps.resamples, "test_sentences": reps.sentences, "teachers": teachers,
            "ensembles": ensembles, "curves": curves, "cells": cells_out}


# --- all languages ------------------------------------------------------------------------------------------

def build_curves(run_dirs, output_dir, settings, no_test=()):
    """Read every run directory's metrics.json/predictions.conll and write the tables, fits.json and plots."""
    output_dir = Path(output_dir)
    runs = []
    for run_dir in run_dirs:
        metrics = read_json(Path(run_dir) / "metrics.json")
        runs.append((metrics, Path(run_dir) / "predictions.conll"))
    rows = curve_rows([m for m, _ in runs])
    summary, gaps, fit_table, equivalents, record = [], [], [], [], {}
    for lang in sorted({r["lang"] for r in rows}):
        cells = language_cells(runs, lang)
        reps = build_replicates(cells, settings.bootstrap, settings.seed)
        fits = fit_curves(cells, reps, settings.confidence)
        draws = teacher_draws(runs, lang)
        lang_summary = summary_rows(lang, cells, reps, settings.confidence, draws)
        lang_gaps = gap_rows(lang, cells, reps, fits, settings, draws)
        lang_equivalents = equivalent_rows(lang, cells, reps, fits, settings)
        summary += lang_summary
        gaps += lang_gaps
        fit_table += fit_rows(lang, fits, settings.confidence)
        equivalents += lang_equivalents
        record[lang] = fits_record(lang, cells, reps, fits, settings, draws)
        plot_language(lang, lang_summary, lang_gaps, fits, lang_equivalents, settings,
                      output_dir / "plots" / lang)
    write_tsv(output_dir / "curves.tsv", rows)
    write_tsv(output_dir / "summary.tsv", summary)
    write_tsv(output_dir / "gaps.tsv", gaps, GAP_COLUMNS)
    write_tsv(output_dir / "fits.tsv", fit_table, FIT_COLUMNS)
    write_tsv(output_dir / "equivalents.tsv", equivalents,
              ["lang", "arm", "method", "size", "f1_mean", "gold_equivalent", "low", "high", "where"])
    write_text(output_dir / "fits.json", json.dumps(record, sort_keys=True) + "\n")
    write_text(output_dir / "summary.md", summary_markdown(summary, gaps, rows, settings.confidence))
    plot_overview(summary, output_dir / "plots" / "overview")
    notes = [f"{lang}: no gold test set; evaluation and curves skipped (its projected data, soft labels and "
             f"models are built)." for lang in no_test]
    write_text(output_dir / "notes.txt", "".join(line + "\n" for line in notes))
    log.info("curves: %d runs, %d summary rows, %d gap rows, %d fits -> %s", len(rows), len(summary), len(gaps),
             len(fit_table), output_dir)
    return rows, summary, gaps
