"""Learning curves: per-run metrics -> curves.tsv, mean/interval summary, paired-bootstrap gaps, plots.

Only the runs' own files are read: `metrics.json` (scores and the run's identity) and `predictions.conll`
(for the bootstrap). The gap compares each projection method with a reference arm (teacher-student) at each
training size: test sentences are resampled with replacement, the same resample for both arms and every
seed, and on each resample the gap is mean-over-seeds F1(projection) - mean-over-seeds F1(reference).
"""
import logging
import math
from pathlib import Path

import numpy as np
from scipy import stats
from seqeval.scheme import IOB2, Entities

from xlner.formats.atomic import write_text
from xlner.formats.conll import read_predictions
from xlner.formats.tables import write_tsv
from xlner.formats.text import read_json

log = logging.getLogger(__name__)

ZERO_SHOT = "zero-shot"


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


def summary_rows(rows, confidence=0.95):
    """Mean, sd and t-interval of F1 over seeds per (lang, arm, method, size). A group-by of a few dozen rows
    written out by hand: pandas would add nothing here but a DataFrame round trip around `t_interval`."""
    groups = {}
    for row in rows:
        groups.setdefault((row["lang"], row["arm"], row["method"], row["size"]), []).append(row["f1"])
    out = []
    for (lang, arm, method, size), values in sorted(groups.items()):
        mean, sd, low, high = t_interval(values, confidence)
        out.append({"lang": lang, "arm": arm, "method": method, "size": size, "seeds": len(values),
                    "f1_mean": round(mean, 2), "f1_sd": round(sd, 2), "ci_low": round(low, 2),
                    "ci_high": round(high, 2)})
    return out


# --- per-sentence counts and the paired bootstrap -----------------------------------------------------------

def strict_spans(tags):
    """Entities as seqeval's strict IOB2 mode sees them: start at B-X, continue with I-X of the same type."""
    return {(entity.start, entity.end, entity.tag) for entity in Entities([list(tags)], IOB2).entities[0]}


def sentence_counts(gold_tags, predicted_tags):
    """(sentences x 3) array of true positives, predicted entities and gold entities."""
    counts = np.zeros((len(gold_tags), 3), dtype=np.int64)
    for i, (gold, predicted) in enumerate(zip(gold_tags, predicted_tags)):
        g, p = strict_spans(gold), strict_spans(predicted)
        counts[i] = (len(g & p), len(p), len(g))
    return counts


def f1_from_counts(counts):
    """counts (..., 3) -> F1 in percent (0 where there is nothing to find and nothing found)."""
    tp, predicted, gold = counts[..., 0], counts[..., 1], counts[..., 2]
    denominator = predicted + gold
    return np.where(denominator > 0, 200.0 * tp / np.maximum(denominator, 1), 0.0)


def paired_bootstrap_gap(counts_a, counts_b, resamples=1000, seed=1, confidence=0.95):
    """Gap mean F1(a) - mean F1(b) over seeds, with a paired bootstrap interval over test sentences.

    counts_a, counts_b: lists (one per seed) of (sentences x 3) count arrays on the same test sentences.
    Returns (gap on the full test set, interval low, interval high).
    """
    counts_a, counts_b = np.stack(counts_a), np.stack(counts_b)
    n = counts_a.shape[1]
    if counts_b.shape[1] != n:
        raise ValueError(f"the two arms were scored on different test sets ({n} vs {counts_b.shape[1]} sentences)")
    observed = f1_from_counts(counts_a.sum(1)).mean() - f1_from_counts(counts_b.sum(1)).mean()
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(np.float64)  # resamples x sentences
    totals_a = np.einsum("rs,ksc->rkc", weights, counts_a)  # resamples x seeds x 3
    totals_b = np.einsum("rs,ksc->rkc", weights, counts_b)
    gaps = f1_from_counts(totals_a).mean(1) - f1_from_counts(totals_b).mean(1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(gaps, [tail, 100 - tail])
    return float(observed), float(low), float(high)


def crossover(sizes, gaps):
    """Where a gap curve changes sign, interpolated linearly on log N; None if it never does."""
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


def gap_rows(runs, reference_arm="teacher-student", resamples=1000, seed=1, confidence=0.95):
    """runs: [(metrics, predictions path)]. One row per (lang, projection method, size) with a reference run."""
    by_key = {}
    for metrics, predictions in runs:
        lang, arm, method, size, run_seed = run_identity(metrics)
        by_key.setdefault((lang, arm, method, size), {})[run_seed] = predictions
    counts_cache = {}

    def counts(path):
        if path not in counts_cache:
            counts_cache[path] = sentence_counts(*read_predictions(path))
        return counts_cache[path]

    rows = []
    references = {(lang, size): runs for (lang, arm, _, size), runs in by_key.items() if arm == reference_arm}
    for (lang, arm, method, size), seeds in sorted(by_key.items()):
        if arm != "projection" or (lang, size) not in references:
            continue
        reference = references[(lang, size)]
        gap, low, high = paired_bootstrap_gap([counts(p) for _, p in sorted(seeds.items())],
                                              [counts(p) for _, p in sorted(reference.items())], resamples, seed,
                                              confidence)
        settled = "+" if low > 0 else "-" if high < 0 else ""
        rows.append({"lang": lang, "method": method, "reference": reference_arm, "size": size,
                     "seeds": len(seeds), "reference_seeds": len(reference), "gap": round(gap, 2),
                     "ci_low": round(low, 2), "ci_high": round(high, 2), "settled": settled or "no"})
    for (lang, method) in {(r["lang"], r["method"]) for r in rows}:
        group = [r for r in rows if r["lang"] == lang and r["method"] == method]
        first = next((r["size"] for r in group if r["settled"] != "no"), None)
        cross = crossover([r["size"] for r in group], [r["gap"] for r in group])
        sizes = [r["size"] for r in group]
        text = (f"crosses at N~{cross:.0f}" if cross is not None
                else f"no crossover between N={min(sizes)} and N={max(sizes)}")
        for r in group:
            r["first_settled_size"] = first if first is not None else "none"
            r["crossover"] = text
    return rows


# --- writing ------------------------------------------------------------------------------------------------

def plot_language(lang, summary, gaps, path_stem):
    """F1 vs N (log x) with t-intervals per arm/method, the zero-shot line, and the gap panel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    _draw_curves(top, [r for r in summary if r["lang"] == lang])
    top.set_title(f"{lang}: F1 vs training sentences (mean over seeds, 95% t-interval)")
    lang_gaps = [r for r in gaps if r["lang"] == lang]
    for method in sorted({r["method"] for r in lang_gaps}):
        group = sorted((r for r in lang_gaps if r["method"] == method), key=lambda r: r["size"])
        sizes = [r["size"] for r in group]
        bottom.plot(sizes, [r["gap"] for r in group], marker="o", label=f"projection/{method} - {group[0]['reference']}")
        bottom.fill_between(sizes, [r["ci_low"] for r in group], [r["ci_high"] for r in group], alpha=0.2)
    bottom.axhline(0, color="black", linewidth=0.8)
    if lang_gaps:
        sizes = sorted({r["size"] for r in lang_gaps})
        bottom.set_xticks(sizes, [str(n) for n in sizes])
        bottom.minorticks_off()
    bottom.set_ylabel("F1 gap (paired bootstrap 95%)")
    bottom.set_xlabel("training sentences N (log scale)")
    if lang_gaps:
        bottom.legend(fontsize=8)
    _save(fig, path_stem)


def _draw_curves(axis, summary):
    for (arm, method) in sorted({(r["arm"], r["method"]) for r in summary if r["arm"] != ZERO_SHOT}):
        group = sorted((r for r in summary if r["arm"] == arm and r["method"] == method), key=lambda r: r["size"])
        sizes = [r["size"] for r in group]
        line, = axis.plot(sizes, [r["f1_mean"] for r in group], marker="o", label=f"{arm}/{method}")
        low = [r["ci_low"] if not math.isnan(r["ci_low"]) else r["f1_mean"] for r in group]
        high = [r["ci_high"] if not math.isnan(r["ci_high"]) else r["f1_mean"] for r in group]
        axis.fill_between(sizes, low, high, alpha=0.2, color=line.get_color())
    for r in summary:
        if r["arm"] == ZERO_SHOT:
            axis.axhline(r["f1_mean"], linestyle="--", color="grey", label=f"zero-shot teacher ({r['f1_mean']})")
    axis.set_xscale("log")
    sizes = sorted({r["size"] for r in summary if r["arm"] != ZERO_SHOT})
    if sizes:
        axis.set_xticks(sizes, [str(n) for n in sizes])
        axis.minorticks_off()
    axis.set_ylabel("test F1")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)


def plot_overview(summary, path_stem):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = sorted({r["lang"] for r in summary})
    columns = min(3, max(1, len(langs)))
    rows = math.ceil(max(1, len(langs)) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 4 * rows), squeeze=False)
    for axis, lang in zip(axes.flat, langs):
        _draw_curves(axis, [r for r in summary if r["lang"] == lang])
        axis.set_title(lang)
        axis.set_xlabel("training sentences N")
    for axis in list(axes.flat)[len(langs):]:
        axis.axis("off")
    _save(fig, path_stem)


def _save(fig, path_stem):
    import matplotlib.pyplot as plt

    fig.tight_layout()
    for suffix in (".png", ".svg"):
        path = Path(f"{path_stem}{suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{suffix}")
        fig.savefig(tmp, dpi=120, metadata={"Date": None} if suffix == ".svg" else None)
        tmp.replace(path)
    plt.close(fig)


def build_curves(run_dirs, output_dir, reference_arm="teacher-student", resamples=1000, seed=1, no_test=(),
                 confidence=0.95):
    """Read every run directory's metrics.json/predictions.conll and write the tables and plots."""
    output_dir = Path(output_dir)
    runs = []
    for run_dir in run_dirs:
        metrics = read_json(Path(run_dir) / "metrics.json")
        runs.append((metrics, Path(run_dir) / "predictions.conll"))
    rows = curve_rows([m for m, _ in runs])
    summary = summary_rows(rows, confidence)
    gaps = gap_rows(runs, reference_arm, resamples, seed, confidence)
    write_tsv(output_dir / "curves.tsv", rows)
    write_tsv(output_dir / "summary.tsv", summary)
    write_tsv(output_dir / "gaps.tsv", gaps, ["lang", "method", "reference", "size", "seeds", "reference_seeds",
                                             "gap", "ci_low", "ci_high", "settled", "first_settled_size",
                                             "crossover"])
    for lang in sorted({r["lang"] for r in rows}):
        plot_language(lang, summary, gaps, output_dir / "plots" / lang)
    plot_overview(summary, output_dir / "plots" / "overview")
    notes = [f"{lang}: no gold test set; evaluation and curves skipped (its projected data, soft labels and "
             f"models are built)." for lang in no_test]
    write_text(output_dir / "notes.txt", "".join(line + "\n" for line in notes))
    log.info("curves: %d runs, %d summary rows, %d gap rows -> %s", len(rows), len(summary), len(gaps), output_dir)
    return rows, summary, gaps
