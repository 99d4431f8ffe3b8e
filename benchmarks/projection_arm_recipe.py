"""The projection arm's recipe, chosen on Spanish dev (issue #28; the development language, never eu/is, never a
test split): do students trained on the pool projected with xlner's translate-test recipe beat students trained on
the heuristic's projection of the same sentences?

Spanish runs target-side projection in config/three-languages.yaml (`tgt-RECIPE`: the es pool translated into
English, labelled by the seed's teacher, projected back), so its pool is what a Basque run projects. For each recipe
and each size and seed, a student is trained exactly as the run trains projection students (config's `train`) on the
seed's subset of the pool (`subsets/unlabelled`, the teacher-student arm's own sentences) projected through the
seed's teacher, and scored on the first 1,000 sentences of WikiANN es dev (`data/wikiann/es/dev.tsv`). Needs the es
stages with the recipe among `project.methods`; its target side tagged too (`-f` on the tag rule: the pool was
tagged on the English side only while no recipe read the teacher's target spans):

    printf 'project:\\n  methods: [heuristic, anchor-nercand-split-typed]\\n' > /tmp/arm.yaml
    .venv/bin/snakemake --cores 2 --configfile config/three-languages.yaml /tmp/arm.yaml \\
        -f results/es/to-english/tag/seed{1,2,3}/pairs.jsonl
    .venv/bin/snakemake --cores 2 --configfile config/three-languages.yaml /tmp/arm.yaml --rerun-triggers mtime \\
        results/es/to-english/project/anchor-nercand-split-typed/seed{1,2,3}/projected.jsonl
    .venv/bin/python benchmarks/projection_arm_recipe.py [--recipes heuristic anchor-nercand-split-typed]

Writes benchmarks/projection_arm_recipe.tsv: per recipe and size, the seeds' es dev F1 and their mean; per size, the
difference (recipe - heuristic) with a two-level paired bootstrap interval (dev sentences resampled, and seeds drawn
jointly for both recipes, since the students of one seed read the same sentences through the same teacher; the
curves' own bootstrap, analysis/bootstrap.py). The rule (issue #28): the arm's default changes only where the
interval is above 0 at two or more sizes. About 20 minutes on 2 cores for the defaults.
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
WORK = Path("/tmp/xlner-projection-arm-recipe")
CONFIG = ROOT / "config/three-languages.yaml"


def train_and_score(job):
    from xlner.plan import Plan
    from xlner.stages import models as stages
    from xlner.stages import training

    recipe, size, seed, config, dev = job
    plan = Plan(config)
    method = f"tgt-{recipe}"
    out = WORK / recipe / f"n{size}" / f"seed{seed}"
    training.train(plan.projection_data("es", method, seed), plan.encoder, out / "model", plan.types,
                   plan.train(seed), plan.projection_ids("es", method, size, seed))
    stages.evaluate(out / "model", dev, out / "metrics.json", out / "predictions.conll", plan.types,
                    precision=plan.precision("inference"))
    shutil.rmtree(out / "model")  # 424 MB each
    return recipe, size, seed


def main():
    import numpy as np

    from xlner.analysis.bootstrap import build_replicates, percentile_interval
    from xlner.analysis.counts import sentence_counts
    from xlner.formats.conll import read_conll, read_predictions, write_conll
    from xlner.plan import Plan

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", nargs="+", default=["heuristic", "anchor-nercand-split-typed"],
                        help="the first is the reference")
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 500, 1000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--output", default=str(ROOT / "benchmarks/projection_arm_recipe.tsv"))
    args = parser.parse_args()
    os.chdir(ROOT)  # the config's relative paths (results, the encoder)
    config = yaml.safe_load(CONFIG.read_text())
    config["project"]["methods"] = args.recipes
    plan = Plan(config)
    WORK.mkdir(parents=True, exist_ok=True)
    dev = WORK / "es_dev.conll"
    write_conll(dev, read_conll(ROOT / "data/wikiann/es/dev.tsv", "iob2", {}, plan.types, 1000)[0])
    jobs = [(recipe, size, seed, config, dev) for recipe in args.recipes for size in args.sizes for seed in args.seeds
            if not (WORK / recipe / f"n{size}" / f"seed{seed}" / "metrics.json").exists()]
    with ProcessPoolExecutor(args.workers) as pool:
        list(pool.map(train_and_score, jobs))

    # cells as the curves name them: target-side projection curves share their seed draws (paired_curve)
    cells = {("projection", f"tgt-{recipe}", size): {
        seed: sentence_counts(*read_predictions(WORK / recipe / f"n{size}" / f"seed{seed}" / "predictions.conll"))
        for seed in args.seeds} for recipe in args.recipes for size in args.sizes}
    replicates = build_replicates(cells, args.resamples, seed=1)
    reference = args.recipes[0]
    lines = ["recipe\tsize\tseeds\tes_dev_f1_by_seed\tes_dev_f1_mean\tdifference\tlow\thigh\tinterval"]
    above = {}
    for recipe in args.recipes:
        for size in args.sizes:
            cell = ("projection", f"tgt-{recipe}", size)
            f1s = [json.loads((WORK / recipe / f"n{size}" / f"seed{seed}" / "metrics.json").read_text())["f1"]
                   for seed in args.seeds]
            difference = low = high = ""
            if recipe != reference:
                base = ("projection", f"tgt-{reference}", size)
                gap = replicates.two_level(cell) - replicates.two_level(base)
                low, high = (f"{x:.2f}" for x in percentile_interval(gap))
                difference = f"{replicates.observed(cell) - replicates.observed(base):.2f}"
                above.setdefault(recipe, []).append(float(low) > 0)
            lines.append(f"{recipe}\t{size}\t{len(f1s)}\t{json.dumps([round(f, 2) for f in f1s])}\t"
                         f"{np.mean(f1s):.2f}\t{difference}\t{low}\t{high}\t"
                         + ("" if recipe == reference else "95% percentile, two-level paired bootstrap (es dev "
                                                           "sentences and seeds)"))
    write_and_print(args.output, lines)
    for recipe, flags in above.items():
        verdict = "changes the arm's default" if sum(flags) >= 2 else "does not change the arm's default"
        print(f"{recipe}: interval above 0 at {sum(flags)} of {len(flags)} sizes: {verdict}")


if __name__ == "__main__":
    main()
