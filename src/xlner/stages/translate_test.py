"""`xlner translate-test-gaps`: within-run paired differences of the translate-test table, with paired sentence-bootstrap
intervals (results/translate-test/gaps.tsv).

Each column of the table is a family: `paper` (Politov et al.'s methods and xlner's `heuristic` fix), `xlner` (a
projection recipe with xlner's levers) or `combination` (a projection joined with the zero-shot teacher's
prediction). Per language, two contrasts: the xlner recipe against the best paper column, and the combination
against the better of zero-shot and the best paper column. "Best" is read off this very table, which favours the
paper's side; xlner's columns are the recipes chosen on Spanish dev (benchmarks/projection_recipes.py), one of each
family, so nothing of xlner's side is chosen here. With several teachers each column's F1 is the mean over them
(the teachers are the same for every column). Every replicate resamples the test sentences with one multinomial
weight vector shared by all columns and teachers of a language (so the difference is paired); the teachers are not
resampled (their draw is reported as the table's spread).
"""
import numpy as np

from xlner.analysis.bootstrap import percentile_interval
from xlner.analysis.counts import f1_from_counts, sentence_counts
from xlner.errors import InputError, SettingsError
from xlner.formats.atomic import write_text
from xlner.formats.conll import read_conll
from xlner.formats.jsonl import read_jsonl
from xlner.stages.projection import field_tags

FAMILIES = ("paper", "xlner", "combination")
GAP_COLUMNS = ["lang", "contrast", "column", "against", "f1", "f1_against", "difference", "low", "high", "resamples",
               "interval"]
INTERVAL = "95% percentile, paired sentence bootstrap (test sentences resampled; the teachers fixed)"


def predicted_tags(path, gold, entity_types):
    """A column's tags on the gold sentences: `tgt_tags` of a projection, or the decoded `tgt_label_probs` of the
    tagged file (zero-shot). A gold sentence without a line counts as all O, as the table's score does."""
    records = {r["id"]: r for r in read_jsonl(path, required=("id", "tgt_tokens"), entity_types=entity_types)}
    out = []
    for sentence in gold:
        record = records.get(sentence.id)
        if record is None:
            out.append(["O"] * len(sentence.tokens))
        elif "tgt_tags" in record or "tgt_label_probs" in record:
            out.append(field_tags(record, "tgt_tags" if "tgt_tags" in record else "tgt_label_probs"))
        else:
            raise InputError(path, "neither tgt_tags nor tgt_label_probs", record["_line"])
    return out


def teacher_mean_f1(counts, weights=None):
    """The mean over teachers of F1 from per-sentence counts (one array per teacher): observed, or per replicate of
    the sentence weights."""
    if weights is None:
        return float(np.mean([f1_from_counts(c.sum(0)) for c in counts]))
    return np.mean([f1_from_counts(weights @ c) for c in counts], axis=0)


def paired_gap(counts_a, counts_b, weights):
    """(observed F1 a, observed F1 b, difference, replicate differences) from per-sentence counts, each a list of
    one array per teacher (F1 averaged over the teachers)."""
    f1_a, f1_b = teacher_mean_f1(counts_a), teacher_mean_f1(counts_b)
    replicates = teacher_mean_f1(counts_a, weights) - teacher_mean_f1(counts_b, weights)
    return f1_a, f1_b, f1_a - f1_b, replicates


def contrasts(observed, families):
    """{lang: [(contrast, column, against)]}: the xlner column against the best paper column, the combination
    against the better of zero-shot and the best paper column (ties: the first in table order)."""
    out = {}
    for lang, columns in observed.items():
        paper = [c for c in columns if families.get(c) == "paper"]
        if not paper:
            continue
        best_paper = max(paper, key=lambda c: columns[c])
        rows = [("xlner - best paper", c, best_paper) for c in columns if families.get(c) == "xlner"]
        reference = max([best_paper] + (["zero-shot"] if "zero-shot" in columns else []), key=lambda c: columns[c])
        rows += [("combination - max(zero-shot, best paper)", c, reference) for c in columns
                 if families.get(c) == "combination"]
        out[lang] = rows
    return out


def translate_test_gaps(cells, gold_files, families, output_path, resamples=1000, seed=1, entity_types=None):
    """cells: {(lang, column, teacher): prediction file}; gold_files: {lang: CoNLL}; families: {column: family}."""
    unknown = {column: family for column, family in families.items() if family not in FAMILIES}
    if unknown:
        raise SettingsError(f"--families: {unknown} are not among {list(FAMILIES)}")
    strays = sorted({key[0] for key in cells} - set(gold_files))
    if strays:
        raise SettingsError(f"--cells: languages {strays} have no --gold file")
    counts, observed, weights = {}, {}, {}
    for lang, gold_path in gold_files.items():
        gold, _ = read_conll(gold_path, "iob2", {}, entity_types)
        rng = np.random.default_rng([seed, len(gold)])
        weights[lang] = rng.multinomial(len(gold), np.full(len(gold), 1 / len(gold)), size=resamples).astype(float)
        for (cell_lang, column, _), path in cells.items():
            if cell_lang == lang:
                counts.setdefault((lang, column), []).append(
                    sentence_counts([s.tags for s in gold], predicted_tags(path, gold, entity_types)))
        for (cell_lang, column), per_teacher in counts.items():
            if cell_lang == lang:
                observed.setdefault(lang, {})[column] = teacher_mean_f1(per_teacher)
    lines = ["\t".join(GAP_COLUMNS)]
    for lang, rows in contrasts(observed, families).items():
        for contrast, column, against in rows:
            f1_a, f1_b, difference, replicates = paired_gap(counts[(lang, column)], counts[(lang, against)],
                                                            weights[lang])
            low, high = percentile_interval(replicates)
            lines.append("\t".join([lang, contrast, column, against, f"{f1_a:.2f}", f"{f1_b:.2f}", f"{difference:.2f}",
                                    f"{low:.2f}", f"{high:.2f}", str(resamples), INTERVAL]))
    write_text(output_path, "\n".join(lines) + "\n")
