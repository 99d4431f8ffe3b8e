"""Learning curves: subsets, aggregation, t-intervals, the two-level bootstrap, measured crossover, tables, plots."""
import csv
import json
import math
import random

import numpy as np
import pytest

from xlner.analysis.answers import crossover_linear as crossover
from xlner.analysis.bootstrap import build_replicates, percentile_interval
from xlner.analysis.counts import f1_from_counts, sentence_counts, strict_spans
from xlner.analysis.curves import build_curves, t_interval
from xlner.analysis.metrics import score
from xlner.analysis.subsets import nested_subset
from xlner.settings import CurveSettings
from xlner.stages.data import subset


def test_subsets_are_nested_deterministic_and_seeded():
    ids = [str(i) for i in range(3000)]
    small, medium, large = (nested_subset(ids, n, seed=1) for n in (100, 300, 1000))
    assert set(small) < set(medium) < set(large)
    assert len(large) == 1000 and nested_subset(ids, 300, seed=1) == medium
    assert nested_subset(ids, 300, seed=2) != medium
    assert small == sorted(small, key=int)  # pool order, so training data order does not depend on N


def test_subset_all_takes_the_whole_pool(tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"id": str(i), "words": ["a"]}) + "\n" for i in range(7)))
    subset(pool, "all", 1, tmp_path / "all.txt")
    assert (tmp_path / "all.txt").read_text().split() == [str(i) for i in range(7)]


def test_strict_span_counts_reproduce_seqeval():
    rng = random.Random(3)
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG"]
    gold = [[rng.choice(tags[:5]) for _ in range(rng.randint(1, 12))] for _ in range(300)]
    gold = [[t if not (t.startswith("I-") and (i == 0 or s[i - 1][2:] != t[2:])) else "O" for i, t in enumerate(s)]
            for s in gold]
    predicted = [[rng.choice(tags) for _ in s] for s in gold]  # orphan I- included: strict mode ignores them
    counts = sentence_counts(gold, predicted).sum(0)
    assert round(float(f1_from_counts(counts)), 2) == score(gold, predicted)["f1"]
    assert strict_spans(["I-PER", "I-PER", "O", "B-LOC", "I-LOC", "I-ORG"]) == {(3, 5, "LOC")}


def test_t_interval_by_hand():
    mean, sd, low, high = t_interval([60.0, 62.0, 64.0])
    half = 4.302653 * 2.0 / math.sqrt(3)  # t(0.975, df=2) * sd / sqrt(n)
    assert mean == 62.0 and sd == 2.0
    assert low == pytest.approx(62 - half, abs=1e-4) and high == pytest.approx(62 + half, abs=1e-4)
    assert math.isnan(t_interval([70.0])[2])


def _counts(rng, n, quality):
    gold = rng.integers(1, 4, size=n)
    tp = rng.binomial(gold, quality)
    predicted = tp + rng.binomial(2, 1 - quality, size=n)
    return np.stack([tp, predicted, gold], axis=1)


def _gap(good, weak, resamples, seed=1):
    """Observed gap and its two-level and sentence-only intervals, as gaps.tsv computes them."""
    cells = {("projection", "p", 100): dict(enumerate(good, 1)), ("teacher-student", "t", 100): dict(enumerate(weak, 1))}
    reps = build_replicates(cells, resamples, seed)
    a, b = ("projection", "p", 100), ("teacher-student", "t", 100)
    gap = reps.observed(a) - reps.observed(b)
    return (gap, percentile_interval(reps.two_level(a) - reps.two_level(b)),
            percentile_interval(reps.sentence[a] - reps.sentence[b]))


def test_bootstrap_known_answers():
    rng = np.random.default_rng(0)
    same = _counts(rng, 200, 0.7)
    gap, two_level, sentence = _gap([same, same], [same, same], resamples=300)
    assert gap == 0 and two_level == (0, 0) and sentence == (0, 0)  # identical arms: no gap on any replicate
    perfect = np.stack([same[:, 2], same[:, 2], same[:, 2]], axis=1)
    empty = np.stack([0 * same[:, 2], 0 * same[:, 2], same[:, 2]], axis=1)
    assert _gap([perfect], [empty], resamples=300) == (100.0, (100.0, 100.0), (100.0, 100.0))


def test_bootstrap_interval_covers_the_gap_and_narrows_with_data():
    rng = np.random.default_rng(1)
    widths = []
    for n in (200, 3200):
        good = [_counts(rng, n, 0.8) for _ in range(3)]
        weak = [_counts(rng, n, 0.6) for _ in range(3)]
        gap, (low, high), (s_low, s_high) = _gap(good, weak, resamples=500, seed=2)
        expected = np.mean([f1_from_counts(c.sum(0)) for c in good]) - np.mean([f1_from_counts(c.sum(0)) for c in weak])
        assert gap == pytest.approx(expected) and low < gap < high and low > 0 and s_low < gap < s_high
        widths.append(high - low)
    assert widths[1] < widths[0] / 2  # 16x the sentences: about a quarter of the width
    assert _gap(good, weak, 500, seed=2) == _gap(good, weak, 500, seed=2)


def test_two_level_interval_includes_seed_noise():
    # Seeds that differ a lot (0.5 to 0.9) on a large test set: sentence resampling alone cannot see that spread,
    # resampling seeds does.
    rng = np.random.default_rng(4)
    spread = [_counts(rng, 3000, q) for q in (0.5, 0.7, 0.9)]
    steady = [_counts(rng, 3000, 0.7) for _ in range(3)]
    _, (low, high), (s_low, s_high) = _gap(spread, steady, resamples=400)
    assert high - low > 3 * (s_high - s_low)
    # one seed per arm: nothing to resample, the two intervals coincide
    _, two_level, sentence = _gap(spread[:1], steady[:1], resamples=400)
    assert two_level == sentence


def test_crossover_interpolates_on_log_n():
    assert crossover([100, 1000], [-2.0, 2.0]) == pytest.approx(math.sqrt(100 * 1000))
    assert crossover([100, 300, 1000], [-3.0, -1.0, 3.0]) == pytest.approx(math.exp(math.log(300) + math.log(1000 / 300) / 4))
    assert crossover([100, 300, 1000], [1.0, 2.0, 0.5]) is None


def _write_run(path, lang, arm, method, size, seed, gold, predicted, teacher=None):
    path.mkdir(parents=True)
    scores = score(gold, predicted)
    (path / "metrics.json").write_text(json.dumps({
        **scores, "run": {"lang": lang, "arm": arm, "method": method, "size": size, "seed": seed},
        "train": {"sentences_requested": 40}, **({"settings": {"teacher": teacher}} if teacher else {})}))
    with open(path / "predictions.conll", "w") as handle:
        for g_tags, p_tags in zip(gold, predicted):
            handle.writelines(f"w {g} {p}\n" for g, p in zip(g_tags, p_tags))
            handle.write("\n")
    return scores["f1"]


def test_curves_tables_and_plots_from_hand_made_runs(tmp_path):
    rng = random.Random(5)
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"], ["O", "B-LOC", "I-LOC"], ["B-PER", "O", "B-ORG"]] * 10

    def noisy(p):
        return [[t if rng.random() > p else "O" for t in s] for s in gold]

    runs, f1 = [], {}
    for arm, method, error in (("projection", "heuristic", {100: 0.5, 300: 0.2}), ("teacher-student", "mse", {100: 0.3, 300: 0.3})):
        for size, p in error.items():
            for seed in (1, 2, 3):
                run = tmp_path / "es" / arm / method / f"n{size}" / f"seed{seed}"
                f1[(arm, size, seed)] = _write_run(run, "es", arm, method, size, seed, gold, noisy(p))
                runs.append(run)
    zero = tmp_path / "es/zero-shot/teacher/n0/seed1"
    _write_run(zero, "es", "zero-shot", "teacher", 0, 1, gold, noisy(0.6))
    runs.append(zero)
    all_run = tmp_path / "es/supervised/gold/nall/seed1"
    _write_run(all_run, "es", "supervised", "gold", "all", 1, gold, gold)
    runs.append(all_run)
    rows, summary, gaps = build_curves(runs, tmp_path / "out", CurveSettings(bootstrap=200), no_test=["sw"])
    table = list(csv.DictReader(open(tmp_path / "out/curves.tsv"), delimiter="\t"))
    assert len(table) == 14 and {"lang", "arm", "method", "size", "seed", "precision", "recall", "f1", "f1_PER",
                                 "f1_ORG", "f1_LOC"} <= set(table[0])
    assert {r["size"] for r in table if r["arm"] == "zero-shot"} == {"0"}
    assert {r["size"] for r in table if r["arm"] == "supervised"} == {"40"}  # "all" = the sentences asked for
    row = next(r for r in summary if r["arm"] == "projection" and r["size"] == 300)
    assert row["f1_mean"] == round(np.mean([f1[("projection", 300, s)] for s in (1, 2, 3)]), 2)
    assert [g["size"] for g in gaps] == [100, 300]
    assert gaps[0]["gap"] < 0 < gaps[1]["gap"] and gaps[0]["crossover"].startswith("crosses at N~")
    assert (tmp_path / "out/plots/es.png").stat().st_size > 10_000 and (tmp_path / "out/plots/overview.svg").exists()
    assert "sw: no gold test set" in (tmp_path / "out/notes.txt").read_text()
    fits = list(csv.DictReader(open(tmp_path / "out/fits.tsv"), delimiter="\t"))
    assert {(r["arm"], r["verdict"]) for r in fits} == {("projection", "too few sizes"),
                                                         ("teacher-student", "too few sizes"),
                                                         ("supervised", "too few sizes")}
    assert "not extrapolated" in gaps[0]["crossover"]  # two sizes: no curve is fitted, nothing extrapolated
    # the same runs give byte-identical tables
    build_curves(runs, tmp_path / "again", CurveSettings(bootstrap=200))
    for name in ("curves.tsv", "summary.tsv", "gaps.tsv", "fits.tsv", "equivalents.tsv", "fits.json", "summary.md"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def test_the_zero_shot_ensemble_is_measured_against_the_seeds_own_teachers(tmp_path):
    """zero-shot/avg3 - zero-shot/teacher (the three teachers' mean), and mse-avg3 - mse: never a curve against
    itself (session 18's runs printed `zero-shot/avg3 - zero-shot/avg3`, +0.0)."""
    rng = random.Random(7)
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"], ["O", "B-LOC", "I-LOC"], ["B-PER", "O", "B-ORG"]] * 10

    def noisy(p):
        return [[t if rng.random() > p else "O" for t in s] for s in gold]

    runs, f1 = [], {}
    ensemble = {"ensemble": [{"seed": t} for t in (1, 2, 3)]}
    for arm, method, size, seeds, error, teacher in (
            ("zero-shot", "teacher", 0, (1, 2, 3), 0.5, lambda s: {"seed": s}),
            ("zero-shot", "avg3", 0, (1,), 0.2, lambda s: ensemble),
            ("teacher-student", "mse", 100, (1, 2, 3), 0.4, lambda s: {"seed": s}),
            ("teacher-student", "mse-avg3", 100, (1, 2, 3), 0.3, lambda s: ensemble)):
        for seed in seeds:
            run = tmp_path / "es" / arm / method / f"n{size}" / f"seed{seed}"
            f1[(method, seed)] = _write_run(run, "es", arm, method, size, seed, gold, noisy(error), teacher(seed))
            runs.append(run)
    _, _, gaps = build_curves(runs, tmp_path / "out", CurveSettings(bootstrap=100))
    against = {(g["method"], g["reference"]): g["gap"] for g in gaps if g["method"].endswith("avg3")}
    assert set(against) == {("avg3", "zero-shot/teacher"), ("mse-avg3", "teacher-student/mse")}
    teachers = np.mean([f1[("teacher", s)] for s in (1, 2, 3)])
    assert against[("avg3", "zero-shot/teacher")] == pytest.approx(f1[("avg3", 1)] - teachers, abs=0.01)
    assert against[("avg3", "zero-shot/teacher")] > 0  # the ensemble made fewer errors than each teacher


def test_accounting_lists_every_loss_with_its_count(tmp_path):
    from xlner.analysis.accounting import write_accounting

    def dump(name, obj):
        (tmp_path / name).write_text(json.dumps(obj))
        return str(tmp_path / name)

    files = {
        "data_test": dump("test.json", {"empty_sentences_skipped": 2, "iob1_tags_rewritten_as_b": 0,
                                        "mapped_entities": {"MISC->O": 17}}),
        "translate": dump("translate.json", {"failed": 3, "failed_ids": ["4", "9", "12"]}),
        "align": dump("align.json", {"too_long_unaligned": 0, "sentences_split_into_windows": 1}),
        "project_heuristic": dump("project.json", {"entities_in": {"PER": 10, "LOC": 5},
                                                   "entities_lost": {"PER": 1, "LOC": 2},
                                                   "sentences_with_lost_entities": 3}),
        "metrics_0": dump("m0.json", {"train": {"sentences": 97, "sentences_missing_upstream": 3}}),
        "metrics_1": dump("m1.json", {"train": {"sentences": None}}),  # zero-shot: no training
    }
    rows = write_accounting("es", files, tmp_path / "accounting.tsv")
    found = {(r["stage"], r["what"]): (r["count"], r["detail"]) for r in rows}
    assert found[("data/test", "empty sentences skipped")][0] == 2
    assert found[("data/test", "entities mapped MISC->O")][0] == 17
    assert found[("translate", "sentences that failed translation (dropped)")] == (3, "4 9 12")
    assert found[("project/heuristic", "LOC entities not projected")] == (2, "of 5")
    assert found[("train", "requested training sentences missing upstream (summed over runs)")] == (3, "1 runs")
    assert (tmp_path / "accounting.tsv").read_text().count("\n") == len(rows) + 1


def test_curves_confidence_sets_the_level_of_both_intervals(tmp_path):
    """`curves.confidence`: a 90% interval lies inside the 95% one, for the seeds' t-interval and the gap's."""
    gold = [["B-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "O"]] * 15
    rng = random.Random(3)
    runs = []
    for arm, method, p in (("projection", "heuristic", 0.5), ("teacher-student", "mse", 0.2)):
        for seed in (1, 2, 3):
            run = tmp_path / "es" / arm / method / "n100" / f"seed{seed}"
            _write_run(run, "es", arm, method, 100, seed, gold,
                       [[t if rng.random() > p else "O" for t in s] for s in gold])
            runs.append(run)
    _, wide, wide_gaps = build_curves(runs, tmp_path / "95", CurveSettings(bootstrap=300))
    _, narrow, narrow_gaps = build_curves(runs, tmp_path / "90", CurveSettings(bootstrap=300, confidence=0.90))
    for a, b in zip(wide, narrow):
        assert a["f1_mean"] == b["f1_mean"] and a["ci_low"] < b["ci_low"] < b["ci_high"] < a["ci_high"]
        assert a["t_low"] < b["t_low"] < b["t_high"] < a["t_high"]
    assert wide_gaps[0]["ci_low"] < narrow_gaps[0]["ci_low"] < narrow_gaps[0]["ci_high"] < wide_gaps[0]["ci_high"]


def test_overview_gives_each_method_one_colour_in_every_panel(tmp_path, monkeypatch):
    """es has a method eu lacks (translate-train projection): the methods after it keep their colour in eu's panel,
    and the zero-shot line's legend gives its F1 to one decimal."""
    from xlner.analysis import plots

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, stem: figures.append(fig))
    methods = {"es": [("projection", "heuristic"), ("projection", "tgt-heuristic"), ("teacher-student", "mse")],
               "eu": [("projection", "tgt-heuristic"), ("teacher-student", "mse")]}
    summary = [{"lang": lang, "arm": arm, "method": method, "size": size, "f1_mean": 50.0 + size / 100,
                "ci_low": 49.0, "ci_high": 61.0} for lang, pairs in methods.items() for arm, method in pairs
               for size in (100, 1000)]
    summary += [{"lang": "eu", "arm": "zero-shot", "method": "teacher", "size": 0, "f1_mean": 47.8667,
                 "ci_low": 43.0, "ci_high": 52.0}]
    plots.plot_overview(summary, tmp_path / "overview")
    colour = {(axis.get_title(), line.get_label()): line.get_color()
              for axis in figures[0].axes for line in axis.get_lines()}
    for method in ("projection/tgt-heuristic", "teacher-student/mse"):
        assert colour[("es", method)] == colour[("eu", method)], method
    assert colour[("es", "projection/heuristic")] not in {colour[("eu", m)] for m in
                                                          ("projection/tgt-heuristic", "teacher-student/mse")}
    assert ("eu", "zero-shot teacher (47.9)") in colour


def test_the_same_summary_gives_byte_identical_svg(tmp_path):
    """matplotlib salts the SVG's element ids with a random uuid unless svg.hashsalt is set."""
    from xlner.analysis import plots

    summary = [{"lang": "eu", "arm": arm, "method": "m", "size": size, "f1_mean": 40.0 + size / 100, "ci_low": 39.0,
                "ci_high": 52.0} for arm in ("projection", "teacher-student") for size in (100, 1000)]
    plots.plot_overview(summary, tmp_path / "first")
    plots.plot_overview(summary, tmp_path / "second")
    assert (tmp_path / "first.svg").read_bytes() == (tmp_path / "second.svg").read_bytes()


def test_summary_page_quotes_the_tables_rows():
    """summary.md: one section per language; cells are summary.tsv's mean [interval] to one decimal, gaps signed,
    the zero-shot teachers listed one by one with their sd; an arm missing at a size leaves the cell empty."""
    from xlner.analysis.markdown import summary_markdown

    summary = [
        {"lang": "eu", "arm": "teacher-student", "method": "mse", "size": 100, "seeds": 3, "f1_mean": 46.71,
         "ci_low": 40.84, "ci_high": 52.06},
        {"lang": "eu", "arm": "supervised", "method": "gold", "size": 25, "seeds": 3, "f1_mean": 46.6,
         "ci_low": 41.8, "ci_high": 51.2},
        {"lang": "eu", "arm": "projection", "method": "tgt-heuristic", "size": 100, "seeds": 3, "f1_mean": 44.96,
         "ci_low": 38.8, "ci_high": 50.0},
        {"lang": "eu", "arm": "zero-shot", "method": "teacher", "size": 0, "seeds": 3, "f1_mean": 50.63,
         "ci_low": 45.9, "ci_high": 55.1},
        {"lang": "es", "arm": "zero-shot", "method": "teacher", "size": 0, "seeds": 1, "f1_mean": 71.0,
         "ci_low": float("nan"), "ci_high": float("nan")},
    ]
    gaps = [{"lang": "eu", "arm": "projection", "method": "tgt-heuristic", "reference": "teacher-student",
             "size": 100, "gap": -1.75, "ci_low": -7.0, "ci_high": 2.5, "paired": "sentences and seeds"}]
    runs = [{"lang": "eu", "arm": "zero-shot", "method": "teacher", "size": 0, "seed": s, "f1": f, "precision": p,
             "recall": 50.0, "f1_PER": 60.0 + s, "f1_LOC": 40.0} for s, f, p in ((2, 45.78, 44.0), (1, 54.25, 58.0),
                                                                             (3, 51.86, 52.0))]
    page = summary_markdown(summary, gaps, runs, 0.95)
    es, eu = page.split("## es")[1].split("## eu")
    assert "Zero-shot: 71.0.\n" in es and "|" not in es  # one teacher, no interval, no trained arm
    rows = [line for line in eu.splitlines() if line.startswith("| ")]
    assert rows[0] == "| arm (mean of 3 seeds [95% interval]) | N=25 | N=100 |"
    assert rows[1] == "| projection/tgt-heuristic |  | 45.0 [38.8, 50.0] |"
    assert rows[2] == "| teacher-student/mse |  | 46.7 [40.8, 52.1] |"
    assert rows[3] == "| supervised/gold | 46.6 [41.8, 51.2] |  |"
    assert "Zero-shot: 50.6 [45.9, 55.1]; by teacher (the runs of seeds 1, 2, 3): 54.2, 45.8, 51.9, sd 4.4.\n" in eu
    assert "| projection/tgt-heuristic − teacher-student | -1.8 [-7.0, +2.5] |" in eu
    assert "projection/tgt-heuristic − teacher-student: sentences and seeds" in eu
    assert "| arm/method (mean of its runs) | N | P | R | F1 | LOC | PER |" in eu
    assert "| zero-shot/teacher | 0 | 51.3 | 50.0 | 50.6 | 40.0 | 62.0 |" in eu
