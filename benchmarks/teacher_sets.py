"""Stability of the default run's teacher-dependent cells: two disjoint teacher sets, the same student seeds.

Issue 27: the default run trains k = 3 teachers (teacher seeds 1-3); how far would its cells move with three other
teachers (4-6)? Run the default config twice into two results folders (the second with `teacher: {seed: 4}`; the
supervised reference, the pool's translation and alignment, the subsets do not depend on the teacher and may be
copied over before the second run), then

    .venv/bin/python benchmarks/teacher_sets.py --first results --second /tmp/teachers456 \
        [--output benchmarks/teacher_sets.tsv]

For each language and each cell that rests on a teacher (zero-shot, teacher-student, target-side projection, the
hybrids; read from each run's `settings.teacher`) present in both folders, the mean over its seeds with each set, the
difference (second - first) and two 95% percentile intervals of it from the workflow's own bootstrap
(`analysis.bootstrap.build_replicates`, the config's resamples and seed): *two-level* resamples the test sentences
(one draw shared by both sets: paired) and the student seeds (student seed s reads the same subset file with either
set, so both sets' curves share one seed draw; the zero-shot lines' seeds are their teachers, drawn apart);
*sentences* resamples the sentences only. The teachers themselves are not resampled beyond their three: an interval
says how far the test sentences and student seeds alone would move the difference. Also written: the translate-test
table's per-language means over each set's teachers (`translate-test/table.tsv`), without an interval.

The same comparison serves any two sets of teachers with the same student seeds: session 21 paired the default run
with float32 teachers (first) against the same seeds trained in bfloat16 (second), `--output
benchmarks/teacher_precision.tsv`.
"""
import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SECOND = "@second"  # appended to the second set's methods so both sets' curves live in one bootstrap
COLUMNS = ["lang", "arm", "method", "size", "seeds", "first_f1", "second_f1", "difference", "ci_low", "ci_high",
           "sentence_low", "sentence_high", "seeds_paired"]


def teacher_runs(root):
    """[(metrics, predictions path)] of every run under root whose record names a teacher (teacher-dependent)."""
    from xlner.formats.text import read_json

    runs = []
    for path in sorted(Path(root).glob("*/*/*/n*/seed*/metrics.json")):
        metrics = read_json(path)
        if (metrics.get("settings") or {}).get("teacher") and (path.parent / "predictions.conll").exists():
            runs.append((metrics, path.parent / "predictions.conll"))
    return runs


def compare_cells(first, second, bootstrap, seed, confidence=0.95):
    """Rows of the difference second - first for every cell in both {(arm, method, size): {seed: counts}}."""
    from xlner.analysis.bootstrap import build_replicates, percentile_interval

    shared = sorted(set(first) & set(second))
    cells = {**{cell: first[cell] for cell in shared},
             **{(arm, method + SECOND, size): second[(arm, method, size)] for arm, method, size in shared}}
    reps = build_replicates(cells, bootstrap, seed)
    rows = []
    for arm, method, size in shared:
        one, two = (arm, method, size), (arm, method + SECOND, size)
        low, high = percentile_interval(reps.two_level(two) - reps.two_level(one), confidence)
        s_low, s_high = percentile_interval(reps.sentence[two] - reps.sentence[one], confidence)
        rows.append({"arm": arm, "method": method, "size": size, "seeds": len(reps.seeds[one]),
                     "first_f1": round(reps.observed(one), 2), "second_f1": round(reps.observed(two), 2),
                     "difference": round(reps.observed(two) - reps.observed(one), 2), "ci_low": round(low, 2),
                     "ci_high": round(high, 2), "sentence_low": round(s_low, 2), "sentence_high": round(s_high, 2),
                     "seeds_paired": "yes" if reps.seeds_paired(one, two) else "no"})
    return rows


def translate_test_means(root):
    """{(lang, method): F1 mean over the folder's teachers} from translate-test/table.tsv."""
    import csv

    path = Path(root) / "translate-test" / "table.tsv"
    if not path.exists():
        return {}
    return {(row["lang"], row["method"]): float(row["f1"]) for row in csv.DictReader(path.open(), delimiter="\t")
            if row["teacher"] == "mean"}


def main():
    from xlner.analysis.curves import language_cells, run_identity
    from xlner.formats.tables import write_tsv

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", required=True, help="results folder of teachers 1-3")
    parser.add_argument("--second", required=True, help="results folder of teachers 4-6")
    parser.add_argument("--config", default=str(ROOT / "config.yaml"), help="for the bootstrap's resamples and seed")
    parser.add_argument("--output", default=str(ROOT / "benchmarks/teacher_sets.tsv"))
    args = parser.parse_args()
    curves = yaml.safe_load(Path(args.config).read_text())["curves"]
    first, second = teacher_runs(args.first), teacher_runs(args.second)
    rows = []
    # the languages both folders have (the first may hold more: a three-language run beside the default)
    for lang in sorted({run_identity(m)[0] for m, _ in first} & {run_identity(m)[0] for m, _ in second}):
        rows += [{"lang": lang, **row} for row in compare_cells(language_cells(first, lang),
                                                                language_cells(second, lang),
                                                                curves["bootstrap"], curves["seed"])]
    one, two = translate_test_means(args.first), translate_test_means(args.second)
    for lang, method in sorted(set(one) & set(two)):
        rows.append({"lang": lang, "arm": "translate-test", "method": method, "size": "test", "seeds": 3,
                     "first_f1": one[lang, method], "second_f1": two[lang, method],
                     "difference": round(two[lang, method] - one[lang, method], 2)})
    write_tsv(args.output, rows, COLUMNS)
    for row in rows:
        print("\t".join(str(row.get(c, "")) for c in COLUMNS))


if __name__ == "__main__":
    main()
