"""How many of the student's lower layers to freeze, chosen on English dev data (never the target test set).

Students exactly as the default run trains them (config.yaml's `train`, micro-batches, its precision), on N gold
English sentences: the English side of the projection pool (`results/{lang}/data/source.conll`, the subsets of
the projection arm), scored on the teacher's English dev set (`results/teacher/data/dev.conll`). For each value
of `freeze_layers`, each size and each seed: dev F1 and the seconds of the training loop. Needs a finished run
(`make run`) for the data files; about 8 minutes on 2 cores for the defaults.

    .venv/bin/python benchmarks/freeze_layers.py [--freeze 0 3] [--sizes 200 1000] [--workers 2]

Writes benchmarks/freeze_layers.tsv (one line per setting and size: the seeds' F1, their mean, seconds).
"""
import argparse
import json
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import yaml
from timing import write_and_print

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def train_and_score(job):
    from xlner.plan import Plan
    from xlner.stages import models as stages
    from xlner.stages import training

    freeze, size, seed, config, out = job
    plan = Plan(config)
    results = Path(plan.results)
    lang = plan.langs[0]
    settings = plan.train(seed)
    settings = replace(settings, freeze_layers=freeze)
    record = training.train(results / lang / "data/source.conll", config["encoder"]["path"], out / "model",
                            plan.types, settings, results / lang / f"subsets/source/seed{seed}/n{size}.txt")
    scores = stages.evaluate(out / "model", results / "teacher/data/dev.conll", out / "metrics.json",
                             out / "predictions.conll", plan.types, precision=plan.precision("inference"))
    shutil.rmtree(out / "model")  # 424 MB each
    return freeze, size, seed, scores["f1"], record["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--freeze", type=int, nargs="+", default=[0, 3])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", default=str(ROOT / "benchmarks/freeze_layers.tsv"))
    args = parser.parse_args()
    config = yaml.safe_load(Path(args.config).read_text())
    os.chdir(ROOT)  # the config's relative paths (results, the encoder)
    jobs = [(freeze, size, seed, config, Path("/tmp/xlner-freeze") / f"f{freeze}" / f"n{size}" / f"seed{seed}")
            for freeze in args.freeze for size in args.sizes for seed in args.seeds]
    with ProcessPoolExecutor(args.workers) as pool:
        done = list(pool.map(train_and_score, jobs))
    lines = ["freeze_layers\tsize\tseeds\tdev_f1_by_seed\tdev_f1_mean\ttraining_seconds_mean"]
    for freeze in args.freeze:
        for size in args.sizes:
            runs = [(f1, sec) for fr, n, _, f1, sec in done if (fr, n) == (freeze, size)]
            mean = sum(f1 for f1, _ in runs) / len(runs)
            lines.append(f"{freeze}\t{size}\t{len(runs)}\t{json.dumps([f1 for f1, _ in runs])}\t{mean:.2f}\t"
                         f"{sum(sec for _, sec in runs) / len(runs):.1f}")
    write_and_print(args.output, lines)


if __name__ == "__main__":
    main()
