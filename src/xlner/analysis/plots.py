"""Plots of the learning curves: measured means with their intervals, fitted curves (dashed and lighter where
extrapolated), the zero-shot line, the gap with its crossover, and gold-sentence equivalents."""
import math
from pathlib import Path

import numpy as np

from xlner.analysis.bootstrap import percentile_interval
from xlner.analysis.fits import power_law

ZERO_SHOT = "zero-shot"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    # the SVG's element ids hash a random uuid unless given a salt: a fixed one makes the same plot the same bytes
    matplotlib.rcParams["svg.hashsalt"] = "xlner"
    import matplotlib.pyplot as plt

    return plt


def plot_language(lang, summary, gaps, fits, equivalents, settings, path_stem):
    """Three panels: F1 vs N with fitted curves, the gap to the reference arm, gold-sentence equivalents."""
    plt = _pyplot()
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(7.5, 10), gridspec_kw={"height_ratios": [2.2, 1, 1]})
    colours = _draw_curves(top, summary, fits, settings)
    top.set_title(f"{lang}: test F1 vs training sentences N (mean over seeds)\nbars: {settings.confidence:.0%} "
                  f"bootstrap over test sentences and seeds; lines: fitted a - b N^-c; dashed: extrapolated",
                  fontsize=9)
    _draw_gaps(middle, gaps, fits, settings, colours)
    _draw_equivalents(bottom, equivalents, colours)
    for axis in (middle, bottom):  # one N axis for the three panels
        axis.set_xlim(top.get_xlim())
    _save(fig, path_stem)


def _colours(rows):
    """One colour per arm/method of the rows, in sorted order (matplotlib's cycle would restart in each panel, so a
    method missing from one language would shift every colour after it)."""
    return {key: f"C{index}" for index, key in enumerate(sorted({(r["arm"], r["method"]) for r in rows}))}


def _draw_curves(axis, summary, fits, settings):
    trained = [r for r in summary if r["arm"] != ZERO_SHOT]
    largest = max((r["size"] for r in trained), default=1)
    ceiling = largest * settings.extrapolation_factor
    colours = _colours(trained)
    for (arm, method), colour in colours.items():
        group = sorted((r for r in trained if (r["arm"], r["method"]) == (arm, method)), key=lambda r: r["size"])
        sizes = np.array([r["size"] for r in group], dtype=float)
        means = np.array([r["f1_mean"] for r in group])
        low = np.array([r["ci_low"] if not math.isnan(r["ci_low"]) else r["f1_mean"] for r in group])
        high = np.array([r["ci_high"] if not math.isnan(r["ci_high"]) else r["f1_mean"] for r in group])
        fit = fits.get((arm, method), (None,))[0]
        label = f"{arm}/{method}" + ("" if fit is None or fit.usable else f" (no fit: {fit.verdict})")
        axis.errorbar(sizes, means, yerr=[means - low, high - means], fmt="o", color=colour, capsize=3, label=label)
        if fit is not None and fit.usable:
            inside = np.geomspace(sizes.min(), sizes.max(), 60)
            axis.plot(inside, power_law(inside, *fit.params), color=colour, linewidth=1.5)
            beyond = np.geomspace(sizes.max(), ceiling, 40)
            axis.plot(beyond, power_law(beyond, *fit.params), color=colour, linestyle="--", alpha=0.5)
            band = [percentile_interval(fit.replicate_predictions(n), settings.confidence) for n in beyond]
            axis.fill_between(beyond, [b[0] for b in band], [b[1] for b in band], color=colour, alpha=0.08)
        else:  # a curve that failed its checks: the measured means joined, no fit, nothing extrapolated
            axis.plot(sizes, means, color=colour, linewidth=0.8, linestyle=":")
    for r in summary:
        if r["arm"] == ZERO_SHOT:
            axis.axhline(r["f1_mean"], **_zero_shot_style(r), label=_zero_shot_label(r))
    axis.axvline(largest, color="black", linewidth=0.6, alpha=0.4)
    axis.text(largest, axis.get_ylim()[1], "measured | extrapolated ", fontsize=7, va="top", ha="center", alpha=0.7)
    _log_axis(axis, sorted({r["size"] for r in trained}) + [int(ceiling)])
    axis.set_ylabel("test F1")
    axis.legend(fontsize=7, loc="lower right")
    return colours


def _draw_gaps(axis, gaps, fits, settings, colours):
    for index, (arm, method) in enumerate(sorted({(r["arm"], r["method"]) for r in gaps}, reverse=True)):
        group = sorted((r for r in gaps if (r["arm"], r["method"]) == (arm, method)), key=lambda r: r["size"])
        sizes = np.array([r["size"] for r in group], dtype=float)
        gap = np.array([r["gap"] for r in group])
        reference = group[0]["reference"]
        colour = colours.get((arm, method), f"C{index}")
        axis.errorbar(sizes, gap, yerr=[gap - [r["ci_low"] for r in group], [r["ci_high"] for r in group] - gap],
                      fmt="o", color=colour, capsize=3, label=f"{arm}/{method} - {reference}")
        ours = fits.get((arm, method), (None,))[0]
        theirs = next((f[0] for (arm, _), f in fits.items() if arm == reference), None)
        if arm == "projection" and ours is not None and theirs is not None and ours.usable and theirs.usable:
            grid = np.geomspace(sizes.min(), sizes.max() * settings.extrapolation_factor, 80)
            fitted = power_law(grid, *ours.params) - power_law(grid, *theirs.params)
            measured = grid <= sizes.max()
            axis.plot(grid[measured], fitted[measured], color=colour, linewidth=1.2)
            axis.plot(grid[~measured], fitted[~measured], color=colour, linestyle="--", alpha=0.5)
        crossing = group[0].get("crossover_n", math.nan)
        if not math.isnan(crossing):
            axis.axvline(crossing, color=colour, linestyle=":", linewidth=1)
            low, high = group[0]["crossover_low"], group[0]["crossover_high"]
            if not math.isnan(low):
                ceiling = sizes.max() * settings.extrapolation_factor
                axis.axvspan(low, min(high, ceiling), color=colour, alpha=0.08)
        if arm == "projection":
            axis.text(0.01, 0.04 + 0.1 * index, group[0]["crossover"], transform=axis.transAxes, fontsize=6.5,
                      color=colour)
    axis.axhline(0, color="black", linewidth=0.8)
    ticks = sorted({r["size"] for r in gaps})
    _log_axis(axis, ticks + ([int(max(ticks) * settings.extrapolation_factor)] if ticks else []))
    axis.set_ylabel(f"F1 gap ({settings.confidence:.0%}, two-level)", fontsize=8)
    if gaps:
        axis.legend(fontsize=7, loc="upper left")


def _draw_equivalents(axis, equivalents, colours):
    if not equivalents:
        axis.text(0.5, 0.5, "no gold-sentence equivalents (no usable supervised curve)", ha="center",
                  transform=axis.transAxes, fontsize=8)
        axis.axis("off")
        return
    for r in equivalents:
        if r["arm"] == ZERO_SHOT:
            axis.axhline(r["gold_equivalent"], **_zero_shot_style(r),
                         label=f"{_zero_shot_name(r)}: {r['gold_equivalent']:.0f} gold")
    for (arm, method) in sorted({(r["arm"], r["method"]) for r in equivalents if r["arm"] != ZERO_SHOT}):
        group = sorted((r for r in equivalents if (r["arm"], r["method"]) == (arm, method)), key=lambda r: r["size"])
        sizes = np.array([r["size"] for r in group], dtype=float)
        point = np.array([r["gold_equivalent"] for r in group])
        low = np.array([r["low"] for r in group])
        high = np.array([r["high"] for r in group])
        colour = colours.get((arm, method), "grey")
        axis.errorbar(sizes, point, yerr=[point - low, high - point], fmt="s", color=colour, capsize=3,
                      markersize=4, label=f"{arm}/{method}")
    top = max(r["high"] for r in equivalents if not math.isnan(r["high"]))
    axis.plot([10, max(top, 1000)], [10, max(top, 1000)], color="black", linewidth=0.6, alpha=0.4,
              label="1 sentence = 1 gold sentence")
    axis.set_yscale("log")
    _log_axis(axis, sorted({r["size"] for r in equivalents if r["size"] > 0}))
    axis.set_ylabel("gold-sentence\nequivalent", fontsize=8)
    axis.set_xlabel("training sentences N (log scale)")
    axis.legend(fontsize=6.5, loc="upper left")


def _log_axis(axis, sizes):
    if len(set(sizes)) == 1:  # one size: give the log axis a width around it
        axis.set_xlim(sizes[0] / 2, sizes[0] * 2)
    axis.set_xscale("log")
    if sizes:
        axis.set_xticks(sizes, [str(n) for n in sizes])
        axis.minorticks_off()
    axis.grid(True, which="both", alpha=0.3)


def plot_overview(summary, path_stem):
    """One small panel per language: the measured means and their intervals."""
    plt = _pyplot()
    langs = sorted({r["lang"] for r in summary})
    columns = min(3, max(1, len(langs)))
    rows = math.ceil(max(1, len(langs)) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 4 * rows), squeeze=False)
    colours = _colours([r for r in summary if r["arm"] != ZERO_SHOT])  # one colour per method across the panels
    for axis, lang in zip(axes.flat, langs):
        for (arm, method) in sorted({(r["arm"], r["method"]) for r in summary if r["lang"] == lang
                                     and r["arm"] != ZERO_SHOT}):
            group = sorted((r for r in summary if (r["lang"], r["arm"], r["method"]) == (lang, arm, method)),
                           key=lambda r: r["size"])
            colour = colours[(arm, method)]
            axis.plot([r["size"] for r in group], [r["f1_mean"] for r in group], marker="o", color=colour,
                      label=f"{arm}/{method}")
            low = [r["ci_low"] if not math.isnan(r["ci_low"]) else r["f1_mean"] for r in group]
            high = [r["ci_high"] if not math.isnan(r["ci_high"]) else r["f1_mean"] for r in group]
            axis.fill_between([r["size"] for r in group], low, high, alpha=0.2, color=colour)
        for r in summary:
            if r["lang"] == lang and r["arm"] == ZERO_SHOT:
                axis.axhline(r["f1_mean"], **_zero_shot_style(r), label=_zero_shot_label(r))
        _log_axis(axis, sorted({r["size"] for r in summary if r["lang"] == lang and r["arm"] != ZERO_SHOT}))
        axis.set_title(lang)
        axis.set_xlabel("training sentences N")
        axis.legend(fontsize=7)
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


def _zero_shot_name(row):
    """The zero-shot line's legend: the teachers' mean (method `teacher`) or the teacher ensemble (`avgK`)."""
    return "zero-shot teacher" if row["method"] == "teacher" else f"zero-shot ensemble {row['method']}"


def _zero_shot_label(row):
    return f"{_zero_shot_name(row)} ({row['f1_mean']:.1f})"


def _zero_shot_style(row):
    return {"linestyle": ":" if row["method"] == "teacher" else "-.", "color": "grey"}
