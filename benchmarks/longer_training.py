"""Is the default training long enough? Retrain the largest-size students 3x as long and compare F1.

Issue 5's accuracy guard: at the largest size, the default students must stay within 2 F1 of a run three times
as long, averaged over the seeds. Needs a finished default run (`make run`): it reads the projected data, soft
labels, gold train split and subsets from `results/`, and the default F1s from `results/curves.tsv`.

    .venv/bin/python benchmarks/longer_training.py [--factor 3] [--workers 2]

Prints one line per arm and writes benchmarks/longer_training.tsv. About 15 minutes on 2 cores.
"""
import argparse
import csv
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import yaml
from timing import write_and_print

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def train_and_score(job):
    from xlner.settings import KDSettings, TrainSettings
    from xlner.stages import models as stages
    from xlner.stages import training

    arm, method, size, seed, steps, config, out = job
    results = Path(config.get("results", "results"))
    lang = next(iter(config["languages"]))
    types = config["entity_types"]
    settings = replace(TrainSettings(**{**config["train"], "seed": seed}), min_steps=steps, max_steps=steps)
    encoder = config["encoder"]["path"]
    base = results / lang
    started = time.time()
    if arm == "projection":
        training.train(base / f"project/{method}/projected.jsonl", encoder, out / "model", types, settings,
                     base / f"subsets/source/seed{seed}/n{size}.txt")
    elif arm == "supervised":
        training.train(base / "data/train.conll", encoder, out / "model", types, settings,
                     base / f"subsets/train/seed{seed}/n{size}.txt")
    else:
        training.train_distilled(base / "soft/soft_labels.jsonl", encoder, out / "model", types, settings,
                               KDSettings(**config["kd"]), base / f"subsets/unlabelled/seed{seed}/n{size}.txt")
    scores = stages.evaluate(out / "model", base / "data/test.conll", out / "metrics.json", out / "predictions.conll",
                             types)
    return arm, method, seed, scores["f1"], round(time.time() - started, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--factor", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", default=str(ROOT / "benchmarks/longer_training.tsv"))
    args = parser.parse_args()
    config = yaml.safe_load(Path(args.config).read_text())
    results = Path(config.get("results", "results"))
    curves = list(csv.DictReader(open(results / "curves.tsv"), delimiter="\t"))
    sizes = sorted({int(r["size"]) for r in curves if r["arm"] not in ("zero-shot",)})
    largest = sizes[-1]
    jobs, default_f1 = [], {}
    for row in curves:
        if row["arm"] == "zero-shot" or int(row["size"]) != largest:
            continue
        seed = int(row["seed"])
        run = results / row["lang"] / row["arm"] / row["method"] / f"n{largest}" / f"seed{seed}"
        steps = json.loads((run / "metrics.json").read_text())["train"]["steps"]
        default_f1[(row["arm"], row["method"], seed)] = (float(row["f1"]), steps)
        out = Path("/tmp/xlner-longer") / row["arm"] / row["method"] / f"seed{seed}"
        jobs.append((row["arm"], row["method"], largest, seed, round(args.factor * steps), config, out))
    with ProcessPoolExecutor(args.workers) as pool:
        longer = {(a, m, s): (f1, sec) for a, m, s, f1, sec in pool.map(train_and_score, jobs)}
    lines = ["arm\tmethod\tsize\tseeds\tdefault_steps\tlonger_steps\tdefault_f1\tlonger_f1\tdifference\tlonger_seconds"]
    for arm, method in sorted({(a, m) for a, m, _ in default_f1}):
        seeds = sorted(s for a, m, s in default_f1 if (a, m) == (arm, method))
        base = sum(default_f1[(arm, method, s)][0] for s in seeds) / len(seeds)
        long = sum(longer[(arm, method, s)][0] for s in seeds) / len(seeds)
        steps = default_f1[(arm, method, seeds[0])][1]
        lines.append(f"{arm}\t{method}\t{largest}\t{len(seeds)}\t{steps}\t{round(args.factor * steps)}\t{base:.2f}\t"
                     f"{long:.2f}\t{long - base:+.2f}\t{sum(longer[(arm, method, s)][1] for s in seeds):.0f}")
    write_and_print(args.output, lines)


if __name__ == "__main__":
    main()
