"""The hybrid `agree` weight, chosen on Spanish dev (the development language; never eu/is, never a test split).

Spanish runs both projection directions in config/three-languages.yaml, so its pool has what a Basque run has: the
teacher's soft labels (`results/es/soft/seed1/`) and the target-side projection of the same sentences
(`results/es/to-english/project/heuristic/seed1/`). For each weight the agree targets of the pool are written
(`xlner agree`), and students exactly as the default run trains them (config.yaml's `train`, `kd`) distil from them
on the teacher-student subsets of each size and seed; each is scored on the first 1,000 sentences of WikiANN es dev
(`data/wikiann/es/dev.tsv`). Weight 0 keeps the teacher's distribution wherever the two disagree; 1 is the
projection's label everywhere. The teacher-student student (the teacher's soft labels alone) is trained beside them
on the same subsets, as the reference. Needs the es stages of config/three-languages.yaml:

    .venv/bin/snakemake results/es/hybrid/agree/tgt-heuristic/seed1/soft_labels.jsonl \\
        results/es/subsets/unlabelled/seed{1,2,3}/n{200,1000}.txt --cores 2 --configfile config/three-languages.yaml
    .venv/bin/python benchmarks/agree_weight.py [--weights 0 0.25 0.5 1] [--sizes 200 1000] [--workers 2]

Writes benchmarks/agree_weight.tsv (one line per weight and size: the seeds' es dev F1, their mean) and prints the
weight with the best mean over sizes; about 15 minutes on 2 cores for the defaults.
"""
import argparse
import json
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml
from timing import write_and_print

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
WORK = Path("/tmp/xlner-agree-weight")


def train_and_score(job):
    from xlner.plan import Plan
    from xlner.stages import models as stages
    from xlner.stages import training

    weight, size, seed, config, targets, dev = job
    plan = Plan(config)
    out = WORK / f"w{weight}" / f"n{size}" / f"seed{seed}"
    ids = Path(plan.results) / f"es/subsets/unlabelled/seed{seed}/n{size}.txt"
    training.train_distilled(targets, plan.encoder, out / "model", plan.types, plan.train(seed), plan.kd(), ids)
    scores = stages.evaluate(out / "model", dev, out / "metrics.json", out / "predictions.conll", plan.types,
                             precision=plan.precision("inference"))
    shutil.rmtree(out / "model")  # 424 MB each
    return weight, size, seed, scores["f1"]


def main():
    from xlner.formats.conll import read_conll, write_conll
    from xlner.plan import Plan
    from xlner.stages import models as stages

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.25, 0.5, 1.0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", default=str(ROOT / "benchmarks/agree_weight.tsv"))
    args = parser.parse_args()
    os.chdir(ROOT)  # the config's relative paths (results, the encoder)
    config = yaml.safe_load((ROOT / "config/three-languages.yaml").read_text())
    plan = Plan(config)
    es = Path(plan.results) / "es"
    WORK.mkdir(parents=True, exist_ok=True)
    dev = WORK / "es_dev.conll"
    write_conll(dev, read_conll(ROOT / "data/wikiann/es/dev.tsv", "iob2", {}, plan.types, 1000)[0])
    soft = es / "soft/seed1/soft_labels.jsonl"
    projected = es / "to-english/project/heuristic/seed1/projected.jsonl"
    targets = {}
    for weight in args.weights:
        targets[weight] = WORK / f"agree_w{weight}.jsonl"
        stages.agree(projected, soft, targets[weight], WORK / f"agree_w{weight}.stats.json", plan.types, weight)
    jobs = [(weight, size, seed, config, targets[weight], dev) for weight in args.weights for size in args.sizes
            for seed in args.seeds]
    jobs += [("teacher-student", size, seed, config, soft, dev) for size in args.sizes for seed in args.seeds]
    with ProcessPoolExecutor(args.workers) as pool:
        done = list(pool.map(train_and_score, jobs))
    lines = ["weight\tsize\tseeds\tes_dev_f1_by_seed\tes_dev_f1_mean\twords_agreed_share"]
    means = {}
    for weight in args.weights + ["teacher-student"]:
        agreed = (json.loads((WORK / f"agree_w{weight}.stats.json").read_text())["share_agreed"]
                  if weight != "teacher-student" else "")
        for size in args.sizes:
            f1s = [f1 for w, n, _, f1 in done if (w, n) == (weight, size)]
            means.setdefault(weight, []).append(sum(f1s) / len(f1s))
            lines.append(f"{weight}\t{size}\t{len(f1s)}\t{json.dumps(f1s)}\t{sum(f1s) / len(f1s):.2f}\t{agreed}")
    write_and_print(args.output, lines)
    best = max(args.weights, key=lambda w: sum(means[w]))
    print(f"best on es dev (mean over sizes): agree_weight {best:g} "
          f"({sum(means[best]) / len(means[best]):.2f}; teacher-student "
          f"{sum(means['teacher-student']) / len(args.sizes):.2f})")


if __name__ == "__main__":
    main()
