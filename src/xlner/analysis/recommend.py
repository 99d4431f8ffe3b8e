"""`xlner recommend`: which transfer arm to use at a budget, read from a finished run's `fits.json`.

The budget N is counted as each arm counts its size (English source sentences translated for translate-train
projection, unlabelled target sentences for teacher-student and target-side projection, N of each for a hybrid arm); `gold` adds the supervised reference
at that many hand-labelled sentences. An answer is the measured mean where N is a trained size, the fitted curve
otherwise (said so), and nothing beyond `extrapolation_factor` x the trained range or from a curve whose checks
failed. Every arm's value on replicate r shares replicate r's resampled test sentences, so the ranking's
interval is paired.
"""
import math

import numpy as np

from xlner.analysis.answers import gold_equivalent
from xlner.analysis.bootstrap import percentile_interval
from xlner.analysis.fits import CurveFit, power_law

SUPERVISED = "supervised"
ZERO_SHOT = "zero-shot"


def load_fit(curve):
    """A CurveFit from its fits.json entry (None params: the fit failed or had too few sizes)."""
    params = tuple(curve["params"]) if curve["params"] else None
    replicates = np.array(curve["replicate_params"], dtype=float) if curve["replicate_params"] else None
    return CurveFit(curve["sizes"], params, curve["verdict"], replicates)


def answer_at(record, curve_name, n):
    """{value, replicates (R,), source} of one curve at N, or {reason} when there is no honest answer."""
    curve = record["curves"][curve_name]
    sizes, factor = curve["sizes"], record["extrapolation_factor"]
    cell = record["cells"].get(f"{curve_name}/{n}")
    if cell is not None:
        return {"value": cell["mean"], "replicates": np.array(cell["replicates"]), "source": f"measured at N={n}"}
    if curve["verdict"] != "ok":
        return {"reason": f"N={n} was not trained and the curve is not extrapolated ({curve['verdict']})"}
    if not min(sizes) / factor <= n <= max(sizes) * factor:
        return {"reason": f"N={n} is beyond {factor:g}x the trained sizes ({min(sizes)} to {max(sizes)})"}
    fit = load_fit(curve)
    if n > max(sizes):
        source = f"extrapolated beyond N={max(sizes)} (fitted curve)"
    elif n < min(sizes):
        source = f"extrapolated below N={min(sizes)} (fitted curve)"
    else:
        source = "interpolated (fitted curve)"
    return {"value": float(power_law(n, *fit.params)), "replicates": fit.replicate_predictions(n), "source": source}


def rank(record, budget, gold=None):
    """The arms' answers at the budget, best first: [(name, answer)], and those without one."""
    answered, unanswered = [], []
    for name, curve in sorted(record["curves"].items()):
        if curve["arm"] == SUPERVISED and gold is None:
            continue
        n = gold if curve["arm"] == SUPERVISED else budget
        answer = answer_at(record, name, n)
        label = f"{name} (N={n} gold)" if curve["arm"] == SUPERVISED else name
        (answered if "value" in answer else unanswered).append((label, answer))
    for key, cell in sorted(record["cells"].items()):
        if cell["arm"] == ZERO_SHOT:
            answered.append((f"{cell['arm']}/{cell['method']}",
                             {"value": cell["mean"], "replicates": np.array(cell["replicates"]),
                              "source": "measured (no target training data)"}))
    answered.sort(key=lambda item: -item[1]["value"])
    return answered, unanswered


def recommendation(record, budget, gold=None):
    """The Markdown answer for one language (see module docstring)."""
    confidence, factor = record["confidence"], record["extrapolation_factor"]
    answered, unanswered = rank(record, budget, gold)
    supervised = next((c for c in record["curves"].values() if c["arm"] == SUPERVISED), None)
    lines = [f"# Which transfer method at N = {budget} ({record['lang']})", "",
             "N counts each arm's own sentences: English source sentences translated (translate-train projection), "
             "unlabelled target sentences (teacher-student, and target-side projection `tgt-*`, which labels the same "
             "ones), N of each (hybrid; the same N target sentences for a target-side hybrid)"
             + (f"; the supervised reference has {gold} hand-labelled sentences." if gold is not None else "."), "",
             f"| rank | arm | expected F1 | {confidence:.0%} interval | from | gold-sentence equivalent |",
             "|---|---|---|---|---|---|"]
    caveats = []
    for position, (name, answer) in enumerate(answered, 1):
        low, high = percentile_interval(answer["replicates"], confidence)
        equivalent = "-"
        if supervised is not None and supervised["verdict"] == "ok" and not name.startswith(SUPERVISED):
            eq = gold_equivalent(load_fit(supervised), answer["value"], answer["replicates"], supervised["sizes"],
                                 factor, confidence)
            equivalent = _equivalent_text(eq)
            if eq["where"] != "inside":
                caveats.append(f"The gold-sentence equivalent of {name} lies {eq['where']} the supervised sizes "
                               f"trained ({min(supervised['sizes'])} to {max(supervised['sizes'])}).")
        lines.append(f"| {position} | {name} | {answer['value']:.1f} | [{low:.1f}, {high:.1f}] | {answer['source']} | "
                     f"{equivalent} |")
        if "extrapolated" in answer["source"]:
            caveats.append(f"{name}: {answer['source']}; an extrapolation, not a measurement.")
    lines.append("")
    if len(answered) >= 2:
        (first, a), (second, b) = answered[:2]
        low, high = percentile_interval(a["replicates"] - b["replicates"], confidence)
        settled = low > 0
        lines.append(f"**Ranking {'settled' if settled else 'not settled'}:** {first} minus {second} is "
                     f"{a['value'] - b['value']:+.1f} F1, {confidence:.0%} interval [{low:+.1f}, {high:+.1f}]"
                     + ("." if settled else " (it includes 0: the data cannot tell them apart at this budget)."))
    elif answered:
        lines.append(f"Only {answered[0][0]} has an answer at this budget.")
    for name, answer in unanswered:
        caveats.append(f"No answer for {name}: {answer['reason']}.")
    for curve in record["curves"].values():
        test = curve.get("backtest") or {}
        if test.get("inside") is False:
            caveats.append(f"{curve['arm']}/{curve['method']}: its backtest missed (fitted without N={test['size']}, "
                           f"it predicted {test['predicted']:.1f} against a measured {test['measured']:.1f}).")
    if record.get("teachers") == 1:
        caveats.append("One teacher: the teacher-student and zero-shot intervals do not cover the teacher's own "
                       "training draw (set teacher.seeds > 1 to include it).")
    if record.get("ensembles"):
        caveats.append(f"{', '.join(record['ensembles'])}: one ensemble of the teachers, shared by every seed; their "
                       f"intervals do not cover its draw.")
    seeds = max(len(c["seeds"]) for c in record["cells"].values())
    caveats.append(f"{seeds} seeds per size: the seed part of the interval is coarse "
                   f"({math.comb(2 * seeds - 1, seeds)} distinct seed resamples).")
    caveats.append(f"One test set ({record['test_sentences']} sentences): the intervals cover resampling its "
                   f"sentences, not a different domain or annotation guideline.")
    lines += ["", "Caveats:", *[f"- {c}" for c in dict.fromkeys(caveats)], ""]
    return "\n".join(lines)


def _equivalent_text(eq):
    def bound(n):
        if n >= eq["ceiling"]:
            return f">{eq['ceiling']:.0f}"
        if n <= eq["floor"]:
            return f"<{eq['floor']:.0f}"
        return f"{n:.0f}"

    return f"~{bound(eq['point'])} [{bound(eq['low'])}, {bound(eq['high'])}]"
