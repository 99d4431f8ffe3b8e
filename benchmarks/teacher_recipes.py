"""The teacher's recipe, chosen on English dev and Spanish dev over several teacher seeds (never eu/is, never a test).

A teacher is one draw: three teachers of the same recipe scored 71.2 / 64.8 / 67.8 zero-shot on Spanish while their
English dev F1 differed by under 1 (docs/reproducibility.md). So a recipe is judged by the spread of its teachers,
not by one of them. For each recipe and each teacher seed (teacher j trains with seed `teacher.seed` + j - 1, as the
workflow does): the teacher is trained exactly as `xlner train-teacher` trains it (config.yaml's `train` with the
recipe's overrides of `teacher.settings`) on the English train split, its checkpoint chosen on English dev; then it is
scored on English dev and zero-shot on the first 1,000 sentences of WikiANN es dev (`data/wikiann/es/dev.tsv`, the
development language), as the zero-shot runs score it. Each finished teacher is appended to the TSV at once, so an
interrupted run resumes where it stopped (rows already there are not retrained).

    .venv/bin/python benchmarks/teacher_recipes.py [--recipes today l6-f3] [--seeds 1 2 3 4 5 6] [--workers 2]

Writes benchmarks/teacher_recipes.tsv (one line per recipe and seed: English dev F1, es dev F1, training seconds,
the precision used) and benchmarks/teacher_recipes_summary.tsv (per recipe: mean and sd of each over its seeds; the
es dev sd's 95% interval).
The rule, fixed before any run: among recipes whose k = 3 teachers cost at most today's one (mean seconds x 3 <=
today's mean), the lowest es dev sd with a mean es dev F1 not below today's; else today's recipe. Amended in session
15, once the cost had been shown out of reach for any recipe that keeps today's mean (docs/speed.md) and with four
of f3-avg's six teachers seen: where no recipe meets the cost, the cost condition is dropped (the lowest es dev sd
among recipes whose mean is not below today's; today's recipe competes too). `choose` applies it; the script prints
the choice under either rule.
"""
import argparse
import csv
import os
import shutil
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
WORK = Path("/tmp/xlner-teacher-recipes")
COLUMNS = ["recipe", "seed", "en_dev_f1", "es_dev_f1", "training_seconds", "precision", "settings"]

# Overrides of config.yaml's `teacher.settings`. today: all 12 layers trained, float32 (config.yaml). The candidates
# are the levers the literature names for a steadier transfer (freezing the embeddings and lower layers: Wu & Dredze
# 2019) and those that make a teacher cheaper on CPU (fewer layers, as the students; length buckets; bfloat16 where
# the CPU computes it natively).
RECIPES = {
    "today": {},
    "f6": {"freeze_layers": 6, "length_buckets": True},
    "l6-f3": {"layers": 6, "freeze_layers": 3, "length_buckets": True},
    "l6-f3-auto": {"layers": 6, "freeze_layers": 3, "length_buckets": True, "precision": "auto"},
    # a gentler fine-tuning (the students' 3e-4 is the teacher's today): less drift from the multilingual encoder
    "l6-f3-lr1e-4": {"layers": 6, "freeze_layers": 3, "length_buckets": True, "learning_rate": 1e-4},
    # checkpoint averaging (Schmidt, Vulic & Glavas 2023): the mean of the second half's checkpoints, not the best one
    "l6-f3-avg": {"layers": 6, "freeze_layers": 3, "length_buckets": True, "average_checkpoints": True},
    # session 13, after the three above missed the rule by their mean: the two levers together (a gentler rate on the
    # averaged checkpoints), and more of the encoder kept as pretrained (only the top layer and the head trained)
    "l6-f3-avg-lr1e-4": {"layers": 6, "freeze_layers": 3, "length_buckets": True, "average_checkpoints": True,
                         "learning_rate": 1e-4},
    "l6-f5-avg": {"layers": 6, "freeze_layers": 5, "length_buckets": True, "average_checkpoints": True},
    # session 15: every 6-layer recipe lost 1.3-2.5 F1 of mean es dev against today's 12 layers, so the steadier
    # levers (frozen embeddings and lower layers, checkpoint averaging) on all 12 layers
    "f3-avg": {"freeze_layers": 3, "length_buckets": True, "average_checkpoints": True},
    # session 17: f3-avg (the default since session 15) left es dev sd at 2.8; at 6 layers the gentler rate halved the
    # sd of l6-f3-avg (1.70 -> 0.80) for 1.2 F1 of mean, so the same single lever on today's 12-layer recipe
    "f3-avg-lr1e-4": {"freeze_layers": 3, "length_buckets": True, "average_checkpoints": True, "learning_rate": 1e-4},
    # session 19: 3e-4 -> 1e-4 lowered the sd (2.81 -> 2.02) and raised the mean (71.2 -> 75.9); one step further
    # down, to config/paper.yaml's teacher rate, with the same steps
    "f3-avg-lr5e-5": {"freeze_layers": 3, "length_buckets": True, "average_checkpoints": True, "learning_rate": 5e-5},
    # session 20: today's recipe in bfloat16 where the CPU computes it natively (issue #27's cost lever; float32
    # elsewhere, so its teachers would differ by CPU: the row records the precision used)
    "f3-avg-lr5e-5-auto": {"freeze_layers": 3, "length_buckets": True, "average_checkpoints": True,
                           "learning_rate": 5e-5, "precision": "auto"},
    # session 22: the default (f3-avg-lr5e-5 in bfloat16, sd 1.94) missed #27's sd 1.5 and cost 1x; at 6 layers,
    # freezing more of the encoder (l6-f5-avg) had the lowest sd of any recipe with the full rate. So half of the 12
    # layers frozen, which also halves the layers the backward pass goes through
    "f6-avg-lr5e-5-auto": {"freeze_layers": 6, "length_buckets": True, "average_checkpoints": True,
                           "learning_rate": 5e-5, "precision": "auto"},
    # f6 at 5e-5 lowered the sd (0.97) with the mean (64.9, English dev -4.2): six trained layers learn too little at
    # that rate, so the rate of the best 12-layer mean (f3-avg-lr1e-4)
    "f6-avg-lr1e-4-auto": {"freeze_layers": 6, "length_buckets": True, "average_checkpoints": True,
                           "learning_rate": 1e-4, "precision": "auto"},
    # session 23: freezing more sold accuracy for spread, and the default's mean (74.3) is 6.4 above the 67.9:
    # that margin buys cost instead. Two epochs of the default recipe (313 steps, not 469), a gentler drift from
    # the encoder as a lower rate was; no in-training dev evaluation (models/train.py)
    "f3-avg-lr5e-5-e2-auto": {"freeze_layers": 3, "length_buckets": True, "average_checkpoints": True,
                              "learning_rate": 5e-5, "precision": "auto", "epochs": 2},
    # the averaging took 3 checkpoints (every eval_steps = 100 past half of training): a denser tail average (every 20
    # steps, 9 checkpoints of 313 steps; eval_steps only sets the averaging interval once dev no longer selects) is
    # the stochastic-weight-averaging reading of the same lever, for the same training cost; at 5e-5 and 1e-4
    "f3-avg20-lr5e-5-e2-auto": {"freeze_layers": 3, "length_buckets": True, "average_checkpoints": True,
                                "eval_steps": 20, "learning_rate": 5e-5, "precision": "auto", "epochs": 2},
    "f3-avg20-lr1e-4-e2-auto": {"freeze_layers": 3, "length_buckets": True, "average_checkpoints": True,
                                "eval_steps": 20, "learning_rate": 1e-4, "precision": "auto", "epochs": 2},
}


def train_and_score(job):
    from dataclasses import asdict, replace

    from xlner.plan import Plan
    from xlner.stages import models as stages
    from xlner.stages import training

    recipe, seed, config, data, keep = job
    plan = Plan(config)
    settings = plan.teacher_settings(seed)
    settings = replace(settings, **RECIPES[recipe])  # "auto" precision is resolved by the training itself
    out = WORK / recipe / f"seed{seed}"
    began = time.perf_counter()
    trained = training.train_teacher(data["train"], plan.encoder, out / "model", plan.types, settings, data["dev"])
    seconds = time.perf_counter() - began
    scores = {split: stages.evaluate(out / "model", data[split], out / f"{split}.json", out / f"{split}.conll",
                                     plan.types, precision=plan.precision("inference"))["f1"]
              for split in ("dev", "es_dev")}
    if not keep:
        shutil.rmtree(out / "model")
    return {"recipe": recipe, "seed": seed, "en_dev_f1": round(scores["dev"], 2),
            "es_dev_f1": round(scores["es_dev"], 2), "training_seconds": round(seconds, 1),
            "precision": trained["precision"]["used"], "settings": str(asdict(settings))}


def choose(stats, with_cost=True):
    """stats: {recipe: (es dev mean, es dev sd, seconds mean)} -> the recipe the rule picks ("today" if none)."""
    today_mean, _, today_seconds = stats["today"]
    eligible = {recipe: sd for recipe, (mean, sd, seconds) in stats.items()
                if mean >= today_mean and (not with_cost or 3 * seconds <= today_seconds)}
    return min(eligible, key=eligible.get) if eligible else "today"


def sd_interval(values, level=0.95):
    """The chi-square interval of a standard deviation from n draws, assuming the teachers' F1 is normal across seeds
    (scipy's chi2): with six teachers it spans about 0.6x to 2.5x the estimate, so two recipes' sds 0.3 apart are
    not told apart by six seeds, and a target like sd <= 1.5 cannot be shown met or missed by them alone."""
    from scipy.stats import chi2

    n, sd = len(values), statistics.stdev(values)
    tail = (1 - level) / 2
    return sd * ((n - 1) / chi2.ppf(1 - tail, n - 1)) ** 0.5, sd * ((n - 1) / chi2.ppf(tail, n - 1)) ** 0.5


def summarise(rows, output):
    lines = ["recipe\tteachers\ten_dev_mean\ten_dev_sd\tes_dev_mean\tes_dev_sd\tes_dev_sd_95\tes_dev_by_seed"
             "\tseconds_mean"]
    stats = {}  # what `choose` reads
    for recipe in dict.fromkeys(row["recipe"] for row in rows):
        mine = sorted((row for row in rows if row["recipe"] == recipe), key=lambda row: int(row["seed"]))
        en, es = [float(r["en_dev_f1"]) for r in mine], [float(r["es_dev_f1"]) for r in mine]
        seconds = [float(r["training_seconds"]) for r in mine]
        sd = (lambda xs: f"{statistics.stdev(xs):.2f}" if len(xs) > 1 else "")
        interval = "[{:.2f}, {:.2f}]".format(*sd_interval(es)) if len(es) > 1 else ""
        lines.append(f"{recipe}\t{len(mine)}\t{statistics.mean(en):.2f}\t{sd(en)}\t{statistics.mean(es):.2f}\t{sd(es)}"
                     f"\t{interval}\t{es}\t{statistics.mean(seconds):.0f}")
        stats[recipe] = (statistics.mean(es), statistics.stdev(es) if len(es) > 1 else float("inf"),
                         statistics.mean(seconds))
    Path(output).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if "today" in stats:
        print(f"chosen with the cost condition: {choose(stats)}; without it: {choose(stats, with_cost=False)}")


def main():
    from xlner.formats.conll import read_conll, write_conll
    from xlner.plan import Plan

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true",
                        help=f"keep each teacher under {WORK}/RECIPE/seedN/model (for teacher_interpolation.py)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks/teacher_recipes.tsv"))
    args = parser.parse_args()
    os.chdir(ROOT)  # the config's relative paths (the encoder, the data)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["train"] = {**config["train"], "threads": 1}  # two 1-thread jobs side by side, as snakemake runs them
    plan = Plan(config)
    WORK.mkdir(parents=True, exist_ok=True)
    data = {"train": WORK / "en_train.conll", "dev": WORK / "en_dev.conll", "es_dev": WORK / "es_dev.conll"}
    for name, (path, limit) in {"train": (plan.teacher["train"]["path"], None),
                                "dev": (plan.teacher["dev"]["path"], None),
                                "es_dev": ("data/wikiann/es/dev.tsv", 1000)}.items():
        write_conll(data[name], read_conll(ROOT / path, "iob2", {}, plan.types, limit)[0])
    output = Path(args.output)
    rows = list(csv.DictReader(output.open(), delimiter="\t")) if output.exists() else []
    done = {(row["recipe"], int(row["seed"])) for row in rows}
    jobs = [(recipe, seed, config, data, args.keep) for recipe in args.recipes for seed in args.seeds
            if (recipe, seed) not in done]
    if not output.exists():
        output.write_text("\t".join(COLUMNS) + "\n")
    with ProcessPoolExecutor(args.workers) as pool:
        for future in as_completed([pool.submit(train_and_score, job) for job in jobs]):
            row = future.result()
            with output.open("a") as handle:  # one finished teacher at a time: an interrupted run resumes
                handle.write("\t".join(str(row[c]) for c in COLUMNS) + "\n")
            print(row["recipe"], row["seed"], row["en_dev_f1"], row["es_dev_f1"], row["training_seconds"], flush=True)
            rows.append(row)
    summarise(rows, output.with_name(output.stem + "_summary.tsv"))


if __name__ == "__main__":
    main()
