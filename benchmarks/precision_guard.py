"""The accuracy guard of bfloat16 (issue 18): what changes when a stage family runs in bfloat16 instead of float32.

    python benchmarks/precision_guard.py soft --model results/teacher/seed1/model --pool results/es/data/unlabelled.jsonl
        the teacher's soft labels in both precisions: argmax and decoded agreement per word, seconds of each
    python benchmarks/precision_guard.py links --before results/es/align/alignments.jsonl --after OTHER/...
        two alignment files of the same pairs: the share of links that changed
    python benchmarks/precision_guard.py tables --before results/translate-test/table.tsv --after OTHER/...
        the translate-test tables: the projection columns' F1 change per language
    python benchmarks/precision_guard.py cells --before results --after OTHER_RESULTS [--lang es] [--tsv F]
        the learning-curve cells (arm, method, N): mean F1 over seeds before and after, the change, the before
        run's 95% seed half-width, and the verdict of the guard: mean change >= -0.5 F1 and no cell dropping by
        more than its half-width

Each prints a Markdown table (docs/speed.md quotes them).
"""
import argparse
import glob
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571}  # two-sided 95% t quantiles by degrees of freedom


def soft(args):
    import numpy as np

    from xlner.formats.conll import label_list
    from xlner.formats.decoding import decode_all
    from xlner.formats.jsonl import read_jsonl
    from xlner.models.inference import Tagger

    sentences = [r["words"] for r in read_jsonl(args.pool, required=("id", "words"))][:args.sentences]
    labels = label_list(args.types.split(","))
    results = {}
    for precision in ("float32", "bfloat16"):
        tagger = Tagger(args.model, labels, precision=precision)
        tagger.probabilities(sentences[:16])  # warm-up
        began = time.perf_counter()
        probabilities = tagger.probabilities(sentences)
        results[precision] = (time.perf_counter() - began, probabilities, decode_all(probabilities, labels)[0],
                              tagger.precision)
    (t32, p32, d32, _), (t16, p16, d16, used) = results["float32"], results["bfloat16"]
    words = sum(len(s) for s in sentences)
    argmax = sum(int((a.argmax(-1) == b.argmax(-1)).sum()) for a, b in zip(p32, p16))
    decoded = sum(x == y for a, b in zip(d32, d16) for x, y in zip(a, b))
    largest = max(float(np.abs(a - b).max()) for a, b in zip(p32, p16) if len(a))
    print(f"| sentences | words | argmax agrees | decoded tag agrees | max abs. probability change | float32 s | "
          f"bfloat16 s ({used['used']}, native {used['native_bf16']}) |\n|---|---|---|---|---|---|---|")
    print(f"| {len(sentences)} | {words} | {argmax / words:.4%} | {decoded / words:.4%} | {largest:.4f} | {t32:.1f} | "
          f"{t16:.1f} |")


def _links(path):
    return {str(r["id"]): {tuple(link) for link in r["alignment"]}
            for r in map(json.loads, Path(path).read_text().splitlines())}


def links(args):
    before, after = _links(args.before), _links(args.after)
    common = sorted(set(before) & set(after))
    total = sum(len(before[i]) for i in common)
    lost = sum(len(before[i] - after[i]) for i in common)
    new = sum(len(after[i] - before[i]) for i in common)
    changed_pairs = sum(before[i] != after[i] for i in common)
    print("| pairs | float32 links | links absent in bfloat16 | new links | pairs with any change |\n|---|---|---|---|---|")
    print(f"| {len(common)} | {total} | {lost} ({lost / max(total, 1):.2%}) | {new} | {changed_pairs} "
          f"({changed_pairs / max(len(common), 1):.1%}) |")


def _table(path):
    rows = [line.split("\t") for line in Path(path).read_text().splitlines()]
    header = rows[0]
    return {(r[0], r[1]): float(r[header.index("f1")]) for r in rows[1:] if r[header.index("f1")] not in ("", "n/a")}


def tables(args):
    before, after = _table(args.before), _table(args.after)
    print("| lang | method | F1 float32 | F1 bfloat16 | change |\n|---|---|---|---|---|")
    changes = []
    for key in sorted(set(before) & set(after)):
        change = after[key] - before[key]
        if key[1] != "zero-shot":
            changes.append(abs(change))
        print(f"| {key[0]} | {key[1]} | {before[key]:.2f} | {after[key]:.2f} | {change:+.2f} |")
    print(f"\nlargest change of a projection column: {max(changes):.2f} F1 (guard: 0.3)")


def _cells(results, lang):
    cells = {}
    for path in glob.glob(f"{results}/{lang}/*/*/n*/seed*/metrics.json"):
        metrics = json.loads(Path(path).read_text())
        run = metrics.get("run") or {}
        if metrics.get("f1") is None or run.get("arm") == "zero-shot":
            continue
        cells.setdefault((run["arm"], run["method"], int(run["size"])), {})[run["seed"]] = metrics["f1"]
    return cells


def cells(args):
    before, after = _cells(args.before, args.lang), _cells(args.after, args.lang)
    rows, changes, breaches = [], [], []
    for key in sorted(set(before) & set(after)):
        seeds = sorted(set(before[key]) & set(after[key]))
        if len(seeds) < 2:
            continue
        old = [before[key][s] for s in seeds]
        new = [after[key][s] for s in seeds]
        half_width = T_975[len(seeds) - 1] * statistics.stdev(old) / len(seeds) ** 0.5
        change = statistics.mean(new) - statistics.mean(old)
        changes.append(change)
        breach = change < -half_width
        breaches += [key] if breach else []
        rows.append((*key, len(seeds), statistics.mean(old), statistics.mean(new), change, half_width, breach))
    lines = ["arm\tmethod\tN\tseeds\tf1_float32\tf1_after\tchange\thalf_width_95\tdrop_beyond_half_width"]
    lines += ["\t".join(str(round(v, 2)) if isinstance(v, float) else str(v) for v in row) for row in rows]
    if args.tsv:
        Path(args.tsv).write_text("\n".join(lines) + "\n")
    print("| arm | method | N | seeds | F1 float32 | F1 after | change | 95% seed half-width |\n|---|---|---|---|---|---|---|---|")
    for arm, method, size, n, old, new, change, half, breach in rows:
        print(f"| {arm} | {method} | {size} | {n} | {old:.1f} | {new:.1f} | {change:+.1f}{' **' if breach else ''} | "
              f"{half:.1f} |")
    mean = statistics.mean(changes) if changes else float("nan")
    verdict = "holds" if changes and mean >= -0.5 and not breaches else "fails"
    print(f"\nmean change over {len(changes)} cells: {mean:+.2f} F1 (guard: >= -0.5); cells dropping by more than "
          f"their half-width: {len(breaches)} {breaches or ''}; the guard {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    one = sub.add_parser("soft")
    one.add_argument("--model", required=True)
    one.add_argument("--pool", required=True)
    one.add_argument("--sentences", type=int, default=2000)
    one.add_argument("--types", default="PER,ORG,LOC")
    for name in ("links", "tables", "cells"):
        each = sub.add_parser(name)
        each.add_argument("--before", required=True)
        each.add_argument("--after", required=True)
        if name == "cells":
            each.add_argument("--lang", default="es")
            each.add_argument("--tsv")
    args = parser.parse_args()
    {"soft": soft, "links": links, "tables": tables, "cells": cells}[args.mode](args)


if __name__ == "__main__":
    main()
