"""Choose hybrid.kd_weight (the mixed student's weight of the distillation loss) without the target test set.

Trains the mixed student of one size and seed at several weights and scores each on data that is not the target
test set: English dev (the teacher's dev split; a cross-lingual proxy) and 200 held-out projected sentences of the
pool (translations the student did not train on, with their projected labels: noisy, and biased towards the
projection). Needs a finished default run's projected data, soft labels and subsets (`make run`, or its first
stages).

    .venv/bin/python benchmarks/hybrid_weight.py [--results results] [--size 500] [--weights 1 3 10 30]

Writes benchmarks/hybrid_weight.tsv; about 3 minutes per weight on one core at N=500.
"""
import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main():
    import yaml

    from xlner.formats.conll import Sentence, write_conll
    from xlner.formats.jsonl import read_jsonl
    from xlner.formats.training import read_ids
    from xlner.plan import Plan
    from xlner.settings import HybridSettings
    from xlner.stages import models as stages
    from xlner.stages import training

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=ROOT / "results")
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weights", type=float, nargs="+", default=[1.0, 3.0, 10.0, 30.0])
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/hybrid_weight.tsv")
    args = parser.parse_args()
    plan = Plan(yaml.safe_load((ROOT / "config.yaml").read_text()))  # the default run's training settings
    es, types = args.results / "es", plan.types
    ids = es / f"subsets/source/seed{args.seed}/n{args.size}.txt"
    used = set(read_ids(ids))
    held_out = [r for r in read_jsonl(es / "project/heuristic/projected.jsonl") if str(r["id"]) not in used][:200]
    work = args.results / "benchmarks/hybrid_weight"
    write_conll(work / "held_out.conll", [Sentence(r["tgt_tokens"], r["tgt_tags"]) for r in held_out])
    encoder = plan.encoder
    rows = []
    for weight in args.weights:
        model = work / f"w{weight:g}"
        training.train_mixed(es / "project/heuristic/projected.jsonl", es / "soft/seed1/soft_labels.jsonl", encoder,
                           model, types, plan.train(args.seed), plan.kd(), HybridSettings(kd_weight=weight),
                           ids_path=ids, soft_ids_path=es / f"subsets/unlabelled/seed{args.seed}/n{args.size}.txt")
        english = stages.evaluate(model, args.results / "teacher/data/dev.conll", model / "en_dev.json",
                                  model / "en_dev.conll", types)
        projected = stages.evaluate(model, work / "held_out.conll", model / "held_out.json", model / "held_out.conll",
                                    types)
        rows.append({"kd_weight": weight, "size": args.size, "seed": args.seed, "english_dev_f1": english["f1"],
                     "held_out_projected_f1": projected["f1"]})
        print(rows[-1], flush=True)
    with open(args.output, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    best = max(rows, key=lambda r: r["english_dev_f1"])
    print(f"best on English dev: kd_weight {best['kd_weight']:g} ({best['english_dev_f1']})")


if __name__ == "__main__":
    main()
