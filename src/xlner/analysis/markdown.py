"""The learning curves as a page to read: per language, the arms' F1 by size with their intervals, the zero-shot
teachers one by one, P/R/F1 per class, and the gaps — the tables the README and docs/ quote, written by the curves
stage as `summary.md` from the rows it has just written to summary.tsv, gaps.tsv and curves.tsv (so no number is
typed by hand). Pure functions of those rows."""
import math
import statistics

ZERO_SHOT = "zero-shot"
# Rows in reading order: the arms the question is about first, the reference last.
ARM_ORDER = ("projection", "teacher-student", "hybrid", "supervised")


def summary_markdown(summary, gaps, curve_rows, confidence):
    """The whole page: one section per language that has summary rows."""
    level = f"{confidence:.0%}"
    parts = [f"# Learning curves\n\nWritten by `xlner curves` from summary.tsv, gaps.tsv and curves.tsv. Each cell: "
             f"mean F1 over the seeds [{level} two-level bootstrap interval: test sentences and seeds resampled]; "
             f"each gap: the difference of the means [{level} interval], paired on seeds where the arms share "
             f"them (gaps.tsv `paired`).\n"]
    for lang in sorted({r["lang"] for r in summary}):
        parts.append(language_section(lang, [r for r in summary if r["lang"] == lang],
                                      [r for r in gaps if r["lang"] == lang],
                                      [r for r in curve_rows if r["lang"] == lang], level))
    return "\n".join(parts)


def language_section(lang, summary, gaps, curve_rows, level):
    trained = [r for r in summary if r["arm"] != ZERO_SHOT]
    lines = [f"## {lang}\n"]
    if trained:
        sizes = sorted({r["size"] for r in trained})
        seeds = sorted({r["seeds"] for r in trained})
        seed_words = "/".join(str(s) for s in seeds)
        lines.append(_table(f"arm (mean of {seed_words} seeds [{level} interval])", sizes,
                            _curve_cells(trained), _cell))
    for row in (r for r in summary if r["arm"] == ZERO_SHOT):
        lines.append(zero_shot_line(row, [r for r in curve_rows if (r["arm"], r["method"]) ==
                                          (ZERO_SHOT, row["method"])]))
    if curve_rows:
        lines.append(per_class_table(curve_rows))
    if gaps:
        lines.append(_table(f"gap [{level} interval]", sorted({r["size"] for r in gaps}), _gap_cells(gaps), _cell))
        paired = sorted({f"{_gap_name(r)}: {r['paired']}" for r in gaps})
        lines.append("Paired: " + "; ".join(paired) + ".\n")
    return "\n".join(lines)


def zero_shot_line(row, runs):
    """The zero-shot mean with its interval, and each teacher's own score (one run per teacher seed)."""
    name = "Zero-shot" if row["method"] == "teacher" else f"Zero-shot ensemble `{row['method']}`"
    text = f"{name}: {_cell(row)}"
    if len(runs) > 1:
        runs = sorted(runs, key=lambda r: r["seed"])
        scores = [r["f1"] for r in runs]
        text += (f"; by teacher (the runs of seeds {', '.join(str(r['seed']) for r in runs)}): "
                 f"{', '.join(f'{s:.1f}' for s in scores)}, sd {statistics.stdev(scores):.1f}")
    return text + ".\n"


def per_class_table(curve_rows):
    """Precision, recall, F1 and F1 per class of every (arm, method, N), the mean over its runs (curves.tsv)."""
    classes = sorted({k[3:] for r in curve_rows for k in r if k.startswith("f1_")})
    groups = {}
    for r in curve_rows:
        groups.setdefault((_arm_rank(r["arm"]), f"{r['arm']}/{r['method']}", r["size"]), []).append(r)
    columns = ["precision", "recall", "f1"] + [f"f1_{c}" for c in classes]
    lines = ["| arm/method (mean of its runs) | N | P | R | F1 | " + " | ".join(classes) + " |",
             "|---|---:|" + "---:|" * len(columns)]
    for (_, name, size), runs in sorted(groups.items()):
        means = [statistics.mean(float(r[c]) for r in runs) for c in columns]
        lines.append(f"| {name} | {size} | " + " | ".join(f"{m:.1f}" for m in means) + " |")
    return "\n".join(lines) + "\n"


def _curve_cells(rows):
    cells = {}
    for r in rows:
        cells.setdefault(f"{r['arm']}/{r['method']}", {})[r["size"]] = r
    return sorted(cells.items(), key=lambda kv: (_arm_rank(kv[0]), kv[0]))


def _gap_cells(rows):
    cells = {}
    for r in rows:
        cells.setdefault(_gap_name(r), {})[r["size"]] = {"f1_mean": r["gap"], "ci_low": r["ci_low"],
                                                         "ci_high": r["ci_high"], "signed": True}
    return sorted(cells.items(), key=lambda kv: (_arm_rank(kv[0]), kv[0]))


def _gap_name(row):
    return f"{row['arm']}/{row['method']} − {row['reference']}"


def _arm_rank(name):
    arm = name.split("/", 1)[0]
    return ARM_ORDER.index(arm) if arm in ARM_ORDER else len(ARM_ORDER)


def _table(header, sizes, named_cells, render):
    lines = [f"| {header} | " + " | ".join(f"N={n}" for n in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for name, by_size in named_cells:
        lines.append(f"| {name} | " + " | ".join(render(by_size[n]) if n in by_size else "" for n in sizes) + " |")
    return "\n".join(lines) + "\n"


def _cell(row):
    sign = "+" if row.get("signed") else ""
    number = f"{row['f1_mean']:{sign}.1f}"
    if math.isnan(row["ci_low"]) or math.isnan(row["ci_high"]):  # one seed: no interval (curves._round)
        return number
    return f"{number} [{row['ci_low']:{sign}.1f}, {row['ci_high']:{sign}.1f}]"
